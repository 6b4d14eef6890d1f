/**
 * Loads the test tokenizers: the folders under test/hfTokenizer/fixtures (written by make-fixtures.mjs) and,
 * when present, the model fixtures' folders test/fixtures/hf/<name>. A byte-level fixture's model.vocab and
 * model.merges may name the bundled models/tokenizer.json instead of copying it; they are filled in here.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HfTokenizer, type HfTokenizerFiles } from '../../src/hfTokenizer/hfTokenizer';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const OWN_FIXTURES = path.join(REPO, 'test/hfTokenizer/fixtures');
export const MODEL_FIXTURES = path.join(REPO, 'test/fixtures/hf');

export function readFixtureFiles(dir: string): HfTokenizerFiles {
  const file = (name: string): string | undefined => (existsSync(path.join(dir, name)) ? readFileSync(path.join(dir, name), 'utf8') : undefined);
  let tokenizerJson = file('tokenizer.json');
  if (tokenizerJson === undefined) throw new Error(`${dir}: no tokenizer.json`);
  const json = JSON.parse(tokenizerJson) as { model: { vocab: unknown; merges?: unknown } };
  if (typeof json.model.vocab === 'string') {
    const bundled = JSON.parse(readFileSync(path.join(REPO, json.model.vocab), 'utf8')) as { model: { vocab: unknown; merges: unknown } };
    json.model.vocab = bundled.model.vocab;
    json.model.merges = bundled.model.merges;
    tokenizerJson = JSON.stringify(json);
  }
  return {
    tokenizerJson,
    tokenizerJsonName: path.join(dir, 'tokenizer.json'),
    tokenizerConfig: file('tokenizer_config.json'),
    tokenizerConfigName: path.join(dir, 'tokenizer_config.json'),
    specialTokensMap: file('special_tokens_map.json'),
    specialTokensMapName: path.join(dir, 'special_tokens_map.json'),
  };
}

export function loadFixture(dir: string): HfTokenizer {
  return HfTokenizer.fromFiles(readFixtureFiles(dir));
}
