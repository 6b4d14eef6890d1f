/**
 * How long encodeAsync blocks the event loop at most, per family, on a 16 k-character text (about the default
 * attentionLens.maxTokens of 4096). A measurement, not a check: run it with
 *   HF_TOKENIZER_BENCH=1 npx vitest run test/hfTokenizer/blocking.bench.test.ts
 */
import path from 'node:path';
import { it } from 'vitest';
import { fuzzTexts } from './fuzzCorpus';
import { loadFixture, OWN_FIXTURES } from './fixtures';

const FAMILIES = ['bert-uncased', 'gpt2-bytelevel', 'roberta-bytelevel', 'llama3-split-bytelevel', 'llama2-bytefallback', 't5-unigram', 'marian-unigram', 'xlmr-unigram'];

it.skipIf(!process.env.HF_TOKENIZER_BENCH)('encodeAsync: longest block of the event loop per family', async () => {
  const size = Number(process.env.HF_TOKENIZER_BENCH_CHARS ?? 16_384);
  let text = '';
  for (let seed = 1; text.length < size; seed++) {
    text += fuzzTexts(seed, 50)
      .join('.\nThe ')
      .replace(/<\/?s>|<unk>|<mask>|\[CLS\]|\[MASK\]|<\|endoftext\|>/g, 'w');
  }
  text = text.slice(0, size);
  const lines: string[] = [];
  for (const name of FAMILIES) {
    const tok = loadFixture(path.join(OWN_FIXTURES, name));
    tok.encode(text); // warm up
    let last = performance.now();
    let maxGap = 0;
    let running = true;
    const tick = (): void => {
      const now = performance.now();
      maxGap = Math.max(maxGap, now - last);
      last = now;
      if (running) setImmediate(tick);
    };
    setImmediate(tick);
    const t0 = performance.now();
    const tokens = await tok.encodeAsync(text);
    running = false;
    const total = performance.now() - t0;
    const t1 = performance.now();
    tok.libraryIds(text);
    const lib = performance.now() - t1;
    lines.push(`${name.padEnd(24)} ${tokens.length} tokens, chunks: ${tok.chunking ?? 'none'}; encodeAsync ${total.toFixed(0)} ms, longest block ${maxGap.toFixed(0)} ms; library encode ${lib.toFixed(0)} ms`);
  }
  console.log(`${text.length} characters\n${lines.join('\n')}`);
}, 120_000);
