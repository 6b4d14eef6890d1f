// The extension's own tokenizer (src/tokenizer/byteLevelBpe.ts, bundled on the fly with esbuild) must load the
// translation tokenizer.json and give the same ids as the Python trainer (bpe.py) on the fixtures, with UTF-16
// offsets that cover each text exactly: node models/training/translation/check_tokenizer.mjs
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const here = path.dirname(new URL(import.meta.url).pathname);
const root = path.resolve(here, '../../..');
const require = createRequire(path.join(root, 'package.json'));
const esbuild = require('esbuild');
const built = esbuild.buildSync({
  entryPoints: [path.join(root, 'src/tokenizer/byteLevelBpe.ts')],
  bundle: true, format: 'esm', platform: 'node', write: false,
});
const mod = await import('data:text/javascript;base64,' + Buffer.from(built.outputFiles[0].text).toString('base64'));
const work = path.join(here, '../work/translation/tokenizer');
const tok = mod.ByteLevelBpeTokenizer.fromJson(readFileSync(path.join(work, 'tokenizer.json'), 'utf8'));
const fixtures = JSON.parse(readFileSync(path.join(work, 'fixtures.json'), 'utf8'));
let bad = 0;
for (const f of fixtures) {
  const toks = tok.encode(f.text);
  const ids = toks.map((t) => t.id);
  let covered = 0;
  for (const t of toks) if (t.start <= covered && t.end > covered) covered = t.end; // ranges tile the text
  const sameIds = JSON.stringify(ids) === JSON.stringify(f.ids);
  if (!sameIds || covered !== f.text.length) {
    bad++;
    if (bad <= 5) console.log('MISMATCH', JSON.stringify(f.text), '\n  py', JSON.stringify(f.ids), '\n  ts', JSON.stringify(ids));
  }
}
console.log(`${fixtures.length - bad}/${fixtures.length} fixtures: same ids as bpe.py and offsets covering the text`);
process.exit(bad ? 1 : 0);
