/**
 * `attention-lens translate FILE [--to zh|en] [--target REFERENCE_FILE] (--json | --html OUT.html)`: translates the
 * file's text with a translation model (or aligns the given reference, teacher forcing) and prints the JSON of
 * translationJson.ts and/or writes the standalone page of the joint analysis (the panel's views).
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { attentionJsonText } from '../common/attentionJson';
import type { TargetLanguage } from '../common/translation';
import { buildStandaloneHtml } from '../export/standalonePage';
import type { ModelManifest } from '../model/modelManifest';
import type { ModelRegistry } from '../model/modelRegistry';
import { InputError } from '../pipeline/analyze';
import { translate } from './greedyTranslate';
import { toJointAnalysis } from './jointAnalysis';
import { translationJson } from './translationJson';

export interface TranslateCommandArgs {
  /** The file's path as given, and its text. */
  file: string;
  text: string;
  to?: TargetLanguage;
  /** A reference translation's file (--target). */
  targetFile?: string;
  json: boolean;
  html?: string;
  /** Where dist/webview.js and webview.css are (the page). */
  distDir: string;
}

/**
 * Trailing whitespace (a file's final newline) is no part of a sentence to translate, and the model never saw one
 * in training: it is left out; the text is not otherwise changed, so the source ranges stay those of the file.
 */
function sentenceOf(text: string): string {
  return text.replace(/\s+$/u, '');
}

export async function translateCommand(registry: ModelRegistry, manifest: ModelManifest, args: TranslateCommandArgs): Promise<number> {
  if (manifest.kind !== 'encoder-decoder') {
    throw new InputError(`Model "${manifest.id}" is not a translation model (kind "${manifest.kind}"): translate needs kind "encoder-decoder" (the bundled "translation").`);
  }
  const source = sentenceOf(args.text);
  if (source.trim() === '') throw new InputError(`${path.resolve(args.file)} is empty: there is nothing to translate.`);
  let target: string | undefined;
  if (args.targetFile !== undefined) {
    const file = path.resolve(args.targetFile);
    try {
      target = sentenceOf(await readFile(file, 'utf8'));
    } catch (e) {
      throw new InputError(`cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? e})`);
    }
    if (target.trim() === '') throw new InputError(`${file} is empty: give the translation to align with --target, or leave --target out.`);
  }
  const tokenizer = await registry.translationTokenizer(manifest);
  const result = await translate(manifest, tokenizer, source, { to: args.to, target });
  if (result.stop === 'length') {
    process.stderr.write(`Stopped after ${result.target.ids.length - 1} tokens: the length limit for a source of ${result.source.ids.length} tokens.\n`);
  }
  if (args.json) process.stdout.write(attentionJsonText(translationJson(result)));
  if (args.html) {
    const out = path.resolve(args.html);
    const joint = toJointAnalysis(result);
    await writeFile(out, await buildStandaloneHtml([joint], { distDir: args.distDir, sourceLabel: path.basename(args.file) }));
    process.stderr.write(`Wrote ${out} (${result.source.ids.length} source and ${result.target.ids.length} target tokens, model ${manifest.id}). Open it in a browser.\n`);
  }
  if (!args.json && !args.html) process.stdout.write(`${result.target.text}\n`);
  return 0;
}
