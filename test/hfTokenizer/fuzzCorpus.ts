/**
 * A seeded generator of awkward texts for the tokenizer property tests: English with accents and ligatures,
 * Chinese, Japanese and Korean (precomposed and as jamo), emoji (with skin tones and ZWJ sequences) and other
 * astral characters, combining marks, full-width and half-width forms, NBSP and other odd whitespace, control
 * characters, code with identifiers, numbers in several scripts, added-token literals, and mixed scripts.
 */

/** mulberry32: a small deterministic PRNG. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FRAGMENTS: Record<string, string[]> = {
  english: ['The quick brown fox', 'attention heads', "don't", "it's", 'we’ll', 'Hello, World!', 'e.g.', 'U.S.A.', 'state-of-the-art', 'tokenization'],
  accents: ['café', 'naïve', 'résumé', 'Zoë', 'Ångström', 'São Paulo', 'Dvořák', 'façade', 'Øresund', 'İstanbul', 'straße', 'ΟΔΟΣ', 'Ökonomie'],
  ligatures: ['ﬁne', 'ﬂow', 'œuvre', 'Æsir', 'ﬀ', 'ﬃx', 'Ĳssel'],
  chinese: ['深度学习', '注意力机制', '我们今天学习中文。', '模型', '你好，世界！', '𠀀𠀁'],
  japanese: ['東京は日本の首都です。', 'カタカナ', 'ｶﾞｷﾞ', 'ひらがな', 'ﾊﾟﾝ'],
  korean: ['서울은 한국의 수도입니다.', '\u1100\u1161\u11a8', '\u1112\u1161\u11ab\u1100\u1173\u11af'],
  emoji: ['😀', '🎉🎉', '👍🏽', '👨‍👩‍👧', '🇫🇷', '❤️', '🤖 bot', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢', '𝟙𝟚𝟛'],
  combining: ['e\u0301', 'a\u0308\u0304', 'Z\u0324\u0354\u0367\u0311', 'n\u0303o', '\u0301lead', 'q\u0323\u0307'],
  fullwidth: ['ＡＢＣ', '１２３', '（括弧）', 'Ｈｅｌｌｏ', '！？'],
  whitespace: ['\u00a0', '\u2003', '\u3000', '\t', '\r\n', '\n\n', '  ', '\u200b', '\ufeff', '\u2028', ' \u00a0 ', '\u202f'],
  controls: ['\u0000', '\u0007', '\u0085', '\u001b[0m', '\ufffd', '\ud800', 'a\udc00b'],
  code: ['const fooBar = baz_qux(42);', 'if (x <= 0x1F) { return; }', 'def __init__(self):', 'snake_case', 'camelCaseIdentifier', '#include <stdio.h>', 'a->b', '$HOME/.config', 'i++'],
  numbers: ['2024', '3.14159', '1,234,567', '1e-9', '٣٤٥', '²³', '½', '½ cup', '१२३', '007'],
  scripts: ['Привет мир', 'Γειά σου κόσμε', 'مرحبا بالعالم', 'שלום עולם', 'नमस्ते दुनिया', 'สวัสดี', 'ქართული'],
  added: ['<s>', '</s>', '[CLS]', '[MASK]', '<|endoftext|>', '<mask>', '<unk>', '<0x41>', '##ing', '▁', 'Ġ'],
};
const CATEGORIES = Object.keys(FRAGMENTS);
const SEPARATORS = [' ', ' ', ' ', '', '\n', '  ', ', ', '\t', '. '];

/** `count` texts from `seed`; each joins 1–30 fragments, sometimes a random code point. */
export function fuzzTexts(seed: number, count: number): string[] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const out: string[] = [];
  for (let k = 0; k < count; k++) {
    const parts: string[] = [];
    const n = 1 + Math.floor(r() * 30);
    for (let i = 0; i < n; i++) {
      const roll = r();
      if (roll < 0.06) {
        // A random code point from the BMP (a lone surrogate now and then: editors can hold one) or an astral plane.
        const cp = r() < 0.8 ? Math.floor(r() * 0xffff) : 0x10000 + Math.floor(r() * 0x2ffff);
        parts.push(cp >= 0xd800 && cp <= 0xdfff ? String.fromCharCode(cp) : String.fromCodePoint(cp));
      } else if (roll < 0.1) {
        // A random CJK ideograph run.
        let s = '';
        for (let j = 1 + Math.floor(r() * 6); j > 0; j--) s += String.fromCodePoint(0x4e00 + Math.floor(r() * 0x5000));
        parts.push(s);
      } else parts.push(pick(FRAGMENTS[pick(CATEGORIES)]));
      parts.push(pick(SEPARATORS));
    }
    out.push(parts.join(''));
  }
  return out;
}
