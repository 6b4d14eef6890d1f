/** Seeded generator of hostile texts for the fuzz tests (deterministic: the same seed gives the same texts). */
/** The fuzz tests' seeded generator is the one generation uses (mulberry32). */
export { seededRandom as mulberry32 } from '../../src/predict/seededRandom';

const ASCII_WORDS = ['the', 'attention', 'model', 'reads', 'every', 'token', 'Hello', 'world', "it's", "they'll", 'x', 'I'];
const CODE = ['function', '(', ')', '{', '}', '=>', 'const', 'x', '=', '42;', '//', 'return', '\t', '    ', '\n', '"str"', '`tpl${a}`', '[]', '&&', '!=='];
const CJK = ['注意力', '机制', '模型', '中文', '。', '，', '日本語', 'ひらがな', 'カタカナ', '한국어', '𠀀', '𪚥'];
const EMOJI = ['😀', '👍🏽', '👩‍👩‍👧‍👦', '🇨🇭', '❤️', '🧑🏿‍🚀', '🏳️‍🌈', '1️⃣', '👨‍💻'];
const COMBINING = ['e\u0301', 'a\u0308', 'n\u0303', 'A\u030a', 'Z\u0335\u0336\u0337', 'ก\u0e34\u0e49', 'क\u094d\u0937'];
const RTL = ['שלום', 'עולם', 'مرحبا', 'بالعالم', '\u202e', '\u202d', '\u2067', '\u2069', '\u200f'];
const CONTROL = ['\u0000', '\u0001', '\u0007', '\u001b[31m', '\u007f', '\u0085', '\u2028', '\u2029', '\ufeff', '\u200b'];
const SURROGATES = ['\ud800', '\udc00', '\udbff', '\udfff', 'a\ud83d', '\ude00b'];
const SPACES = [' ', '  ', '\t', '\n', '\r\n', '\r', '\n\n', '\u00a0', '\u3000'];

const POOLS = [ASCII_WORDS, CODE, CJK, EMOJI, COMBINING, RTL, CONTROL, SURROGATES, SPACES];

export function fuzzText(rand: () => number, maxPieces = 24): string {
  const pieces = 1 + Math.floor(rand() * maxPieces);
  // Each text leans on one or two pools so every kind of text appears on its own as well as mixed.
  const main = POOLS[Math.floor(rand() * POOLS.length)];
  const other = POOLS[Math.floor(rand() * POOLS.length)];
  let s = '';
  for (let i = 0; i < pieces; i++) {
    const pool = rand() < 0.7 ? main : rand() < 0.5 ? other : SPACES;
    s += pool[Math.floor(rand() * pool.length)];
    if (rand() < 0.3) s += ' ';
  }
  return s;
}

/** A very long line (thousands of characters without a newline). */
export function longLine(rand: () => number): string {
  let s = '';
  while (s.length < 6000) s += ASCII_WORDS[Math.floor(rand() * ASCII_WORDS.length)] + (rand() < 0.1 ? ',' : ' ');
  return s;
}
