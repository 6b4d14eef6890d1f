import path from 'node:path';
import { ModelRegistry } from '../../src/model/modelRegistry';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const MODELS_DIR = path.join(REPO_ROOT, 'models');

/** The registry over the real bundled models (no mocks: every test that needs a model runs the real one). */
export function bundledRegistry(): ModelRegistry {
  return new ModelRegistry([MODELS_DIR]);
}

/** Texts that exercise the tokenizer's offset mapping. */
export const OFFSET_TEXTS: Record<string, string> = {
  english: 'The quick brown fox jumps over the lazy dog. It wasn\'t "that" hard, was it?',
  code: 'export function add(a: number, b: number): number {\n\treturn a + b; // sum\n}\n',
  chinese: '注意力机制让模型在处理每个词时，都能关注句子中的其他词。',
  emoji: 'I ❤️ 👩‍👩‍👧‍👦 and 👍🏽 and 🇨🇭!',
  combining: 'Cafe\u0301 nai\u0308ve re\u0301sume\u0301 — Å vs A\u030a',
  crlf: 'line one\r\nline two\r\n\r\n  indented\r\n',
  rtl: 'שלום עולם — مرحبا بالعالم',
  mixed: 'Tokens: 12345, 3.14159; naïve café 中文 😀 end',
  loneSurrogate: 'a\ud800b\udc00c',
  control: 'nul\u0000tab\tbell\u0007 end',
};
