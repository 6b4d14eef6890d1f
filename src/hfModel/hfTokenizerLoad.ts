/**
 * Loads the tokenizer of a Hugging Face folder (src/hfTokenizer's HfTokenizer over tokenizer.json, with
 * tokenizer_config.json and special_tokens_map.json when present) and checks it against config.json: a tokenizer
 * that can produce ids beyond the model's embedding table does not belong to that model.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ModelConfigError, type ModelManifest } from '../model/modelManifest';
import type { TextTokenizer } from '../hfTokenizer/textTokenizer';

async function readText(file: string, optional: boolean): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    if (optional) return undefined;
    throw new ModelConfigError(file, '(file)', `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

export async function loadHfTokenizer(m: ModelManifest): Promise<TextTokenizer> {
  const configFile = m.hf?.tokenizerConfigPath;
  const mapFile = m.hf?.specialTokensMapPath;
  // Loaded on first use, not at activation: @huggingface/tokenizers is most of the extension's bundle, and
  // compiling and evaluating it made up most of the activation time (issue 14, target 6).
  const { HfTokenizer } = await import('../hfTokenizer/hfTokenizer');
  const tok = HfTokenizer.fromFiles({
    tokenizerJson: (await readText(m.tokenizerPath, false)) as string,
    tokenizerJsonName: m.tokenizerPath,
    ...(configFile ? { tokenizerConfig: await readText(configFile, true), tokenizerConfigName: configFile } : {}),
    ...(mapFile ? { specialTokensMap: await readText(mapFile, true), specialTokensMapName: mapFile } : {}),
  });
  // config.json's vocab_size is the embedding's row count; exports often pad it (to a multiple of 64), so only a
  // tokenizer with more ids than rows is wrong: its largest ids would index past the table.
  if (m.vocabSize !== undefined && tok.vocabSize > m.vocabSize) {
    throw new ModelConfigError(
      m.tokenizerPath,
      'model.vocab',
      `has ids up to ${tok.vocabSize - 1} but ${m.hf?.configPath ?? path.join(m.folder, 'config.json')} says vocab_size ${m.vocabSize}: the tokenizer does not match the model's embedding`,
    );
  }
  return tok;
}
