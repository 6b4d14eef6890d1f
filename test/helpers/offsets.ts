import { pieceToBytes, type Token } from '../../src/tokenizer/byteLevelBpe';

const encoder = new TextEncoder();

/**
 * The offset property of the tokenizer: group tokens whose ranges overlap (tokens that split one character
 * share its range); each group's bytes are exactly the UTF-8 bytes of the text in the group's range (lone
 * surrogates as U+FFFD, as TextEncoder writes them), and the groups tile the text without gaps.
 * Returns null when it holds, else a description of the first place it fails.
 */
export function offsetProblem(text: string, tokens: readonly Pick<Token, 'piece' | 'start' | 'end'>[]): string | null {
  let cursor = 0;
  for (let i = 0; i < tokens.length; ) {
    const start = tokens[i].start;
    let end = tokens[i].end;
    const bytes: number[] = [];
    let j = i;
    while (j < tokens.length && tokens[j].start < end) {
      end = Math.max(end, tokens[j].end);
      bytes.push(...pieceToBytes(tokens[j].piece));
      j++;
    }
    if (start !== cursor) return `gap or overlap at ${cursor}: next group starts at ${start}`;
    const want = encoder.encode(text.slice(start, end));
    if (want.length !== bytes.length || want.some((b, k) => b !== bytes[k])) {
      return `tokens ${i}..${j - 1} hold bytes [${bytes.join(',')}] but the text at ${start}..${end} is [${Array.from(want).join(',')}]`;
    }
    cursor = end;
    i = j;
  }
  return cursor === text.length ? null : `tokens end at ${cursor}, the text at ${text.length}`;
}
