// Loads each fixture tokenizer.json with npm @huggingface/tokenizers and compares its ids on a few
// sentences with the Python reference encodings (sentencepiece itself for llama/marian, bpe.py for
// gpt2, greedy WordPiece for bert) that write_tokenizers.py left in ../work/hf_fixtures/tokenizer_reference.json.
// Usage: node check_tokenizers.mjs PATH/TO/@huggingface/tokenizers/dist/tokenizers.mjs
// (the library is not a dependency of the repository: `npm pack @huggingface/tokenizers` into /tmp).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const here = path.dirname(new URL(import.meta.url).pathname);
const lib = process.argv[2];
if (!lib) throw new Error('usage: node check_tokenizers.mjs PATH/TO/tokenizers.mjs');
const { Tokenizer } = await import(pathToFileURL(path.resolve(lib)).href);
const root = path.resolve(here, '../../../test/fixtures/hf');
const ref = JSON.parse(readFileSync(path.join(here, '../work/hf_fixtures/tokenizer_reference.json'), 'utf8'));
let bad = 0;
for (const [name, expected] of Object.entries(ref.ids)) {
  const tj = JSON.parse(readFileSync(path.join(root, name, 'tokenizer.json'), 'utf8'));
  const cfg = JSON.parse(readFileSync(path.join(root, name, 'tokenizer_config.json'), 'utf8'));
  const tok = new Tokenizer(tj, cfg);
  ref.samples.forEach((text, i) => {
    const enc = tok.encode(text);
    const same = JSON.stringify(enc.ids) === JSON.stringify(expected[i]);
    if (!same) bad++;
    console.log(`${same ? 'same' : 'DIFF'} ${name} ${JSON.stringify(text)}\n  js ${JSON.stringify(enc.tokens)}`);
    if (!same) console.log(`  js ${JSON.stringify(enc.ids)}\n  py ${JSON.stringify(expected[i])}`);
  });
}
console.log(bad ? `${bad} differences` : 'all identical');
process.exit(bad ? 1 : 0);
