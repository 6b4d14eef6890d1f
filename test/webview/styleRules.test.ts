/**
 * Static rules of the panel code, checked on the sources: colours only from --vscode-* variables (literal
 * colours live only in the standalone page's fallback block), token text never through HTML parsing, no inline
 * style attributes (the CSP forbids them), and the toolkit imported by controls.ts alone.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const WEBVIEW = path.resolve(__dirname, '..', '..', 'webview');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return sources(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

/** styles.css without the `body.standalone { … }` fallback blocks (those define the variables themselves). */
function cssOutsideFallbacks(): string {
  const css = readFileSync(path.join(WEBVIEW, 'styles.css'), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
  let out = '';
  let i = 0;
  for (;;) {
    const at = css.indexOf('body.standalone {', i);
    if (at < 0) return out + css.slice(i);
    out += css.slice(i, at);
    let depth = 0;
    let j = css.indexOf('{', at);
    for (; j < css.length; j++) {
      if (css[j] === '{') depth++;
      if (css[j] === '}' && --depth === 0) break;
    }
    i = j + 1;
  }
}

describe('panel code rules', () => {
  it('colours come from --vscode-* variables only (literal colours only in the standalone fallbacks)', () => {
    const css = cssOutsideFallbacks();
    expect(css).not.toMatch(/#[0-9a-fA-F]{3,8}\b/);
    expect(css).not.toMatch(/\brgba?\(|\bhsla?\(/);
    for (const file of sources(WEBVIEW)) {
      const code = readFileSync(file, 'utf8');
      expect(code, file).not.toMatch(/['"`]#[0-9a-fA-F]{3,8}['"`]/);
    }
  });

  it('no HTML parsing of text and no inline style attributes', () => {
    for (const file of sources(WEBVIEW)) {
      const code = readFileSync(file, 'utf8');
      expect(code, file).not.toMatch(/\.innerHTML\s*=|insertAdjacentHTML|document\.write/);
      expect(code, file).not.toMatch(/setAttribute\(\s*['"]style['"]/);
    }
  });

  it('only controls.ts imports the toolkit', () => {
    const importers = sources(WEBVIEW).filter((f) => readFileSync(f, 'utf8').includes('@vscode/webview-ui-toolkit'));
    expect(importers.map((f) => path.relative(WEBVIEW, f))).toEqual(['controls.ts']);
  });
});
