// Cross-check models/tokenizer-fixtures.json against the Rust Hugging Face `tokenizers`
// (npm @anush008/tokenizers, installed into models/training/work/npm by build_all.sh).
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import path from 'node:path';
const here = path.dirname(new URL(import.meta.url).pathname);
const require = createRequire(path.join(here, 'work/npm/package.json'));
const { Tokenizer } = require('@anush008/tokenizers');
const tok = Tokenizer.fromFile(path.join(here, '../tokenizer.json'));
const fixtures = JSON.parse(readFileSync(path.join(here, '../tokenizer-fixtures.json'), 'utf8'));
let bad = 0;
for (const f of fixtures) {
  const enc = await tok.encode(f.text, null, { addSpecialTokens: false });
  const ids = Array.from(enc.getIds());
  if (JSON.stringify(ids) !== JSON.stringify(f.ids)) {
    bad++;
    console.log('MISMATCH', JSON.stringify(f.text), '\n  py', JSON.stringify(f.ids), '\n  hf', JSON.stringify(ids));
  }
}
console.log(`${fixtures.length - bad}/${fixtures.length} fixtures identical to Hugging Face tokenizers`);
process.exit(bad ? 1 : 0);
