/**
 * Added tokens (tokenizer.json `added_tokens`) matched in the text the way the library matches them: at each
 * position the longest added token that starts there, scanning left to right; tokens marked `normalized` are
 * matched in the normalised text, the others in the raw text. `lstrip`/`rstrip` eat the whitespace beside them.
 */
export interface AddedTokenInfo {
  id: number;
  content: string;
  special: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
}

interface TrieNode {
  next: Map<string, TrieNode>;
  end?: string;
}

export class AddedTokenSplitter {
  private readonly root: TrieNode = { next: new Map() };
  readonly empty: boolean;

  constructor(contents: Iterable<string>) {
    let any = false;
    for (const word of contents) {
      any = true;
      let node = this.root;
      for (let i = 0; i < word.length; i++) {
        let child = node.next.get(word[i]);
        if (!child) {
          child = { next: new Map() };
          node.next.set(word[i], child);
        }
        node = child;
      }
      node.end = word;
    }
    this.empty = !any;
  }

  /** Splits text[from, to) into [start, end, matched?] pieces covering it. */
  split(text: string, from: number, to: number): [number, number, boolean][] {
    const out: [number, number, boolean][] = [];
    if (this.empty) return from < to ? [[from, to, false]] : [];
    let start = from;
    for (let i = from; i < to; ) {
      let node: TrieNode | undefined = this.root;
      let match: string | undefined;
      for (let j = i; j < to && (node = node.next.get(text[j])); j++) if (node.end !== undefined) match = node.end;
      if (match !== undefined) {
        if (i > start) out.push([start, i, false]);
        out.push([i, i + match.length, true]);
        i += match.length;
        start = i;
      } else i++;
    }
    if (start < to) out.push([start, to, false]);
    return out;
  }
}

/** Applies lstrip/rstrip of matched added tokens to their neighbours' ranges (whitespace at the joins). */
export function stripAroundAdded(text: string, parts: [number, number, boolean][], info: (content: string) => AddedTokenInfo | undefined): void {
  parts.forEach(([s, e, matched], i) => {
    if (!matched) return;
    const t = info(text.slice(s, e));
    if (!t) return;
    if (t.lstrip && i > 0) {
      const prev = parts[i - 1];
      prev[1] = prev[0] + text.slice(prev[0], prev[1]).trimEnd().length;
    }
    if (t.rstrip && i < parts.length - 1) {
      const next = parts[i + 1];
      const piece = text.slice(next[0], next[1]);
      next[0] = next[1] - piece.trimStart().length;
    }
  });
}
