/**
 * Finds the models a person can pick: every `models/<id>/model.json` under the bundled folder and any extra
 * folders (from settings, trusted workspaces only), and Hugging Face folders (config.json + tokenizer.json, no
 * model.json) found under a root, named as a root, or given one by one (`extraFolders`: "Open Model Folder…",
 * the CLI's `--model PATH`). Caches manifests and tokenizers for its whole life: the extension makes a new registry
 * when the models path or workspace trust changes. A broken model folder is reported with its error and never
 * hides the others.
 */
import { cachedPromise } from '../common/promiseCache';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { ByteLevelBpeTokenizer } from '../tokenizer/byteLevelBpe';
import { defaultCacheFolder } from '../hfModel/graphCache';
import { inspectHfFolder, isHfFolder, slugFor } from '../hfModel/hfFolder';
import { hfManifest } from '../hfModel/hfManifest';
import { loadHfTokenizer } from '../hfModel/hfTokenizerLoad';
import { BundledTextTokenizer } from '../hfTokenizer/bundledTextTokenizer';
import type { TextTokenizer } from '../hfTokenizer/textTokenizer';
import { specialTokensOf } from '../predict/specialTokens';
import { loadManifest, ModelConfigError, type ModelManifest } from './modelManifest';
import { loadTranslationTokenizer, type TranslationTokenizer } from '../translate/translationTokenizer';

export const DEFAULT_MODEL_ID = 'encoder';

export interface ModelListing {
  models: ModelManifest[];
  /** Folders that look like models but failed validation, with the reason. */
  problems: { folder: string; error: Error }[];
}

export interface RegistryOptions {
  /** Single model folders (Hugging Face or contract), each listed as one model. */
  extraFolders?: readonly string[];
  /** Where rewritten Hugging Face graphs are cached (the extension: its global storage). Default: the user cache. */
  cacheFolder?: string;
  /** The variant chosen per Hugging Face folder (absolute folder path → file name, e.g. `model_fp16.onnx`). */
  variants?: Readonly<Record<string, string>>;
}

export class ModelRegistry {
  private listing: Promise<ModelListing> | undefined;
  private readonly tokenizers = new Map<string, Promise<ByteLevelBpeTokenizer>>();
  private readonly textTokenizers = new Map<string, Promise<TextTokenizer>>();
  private readonly translationTokenizers = new Map<string, Promise<TranslationTokenizer>>();
  /** Variant file names per Hugging Face model id, for a picker. */
  private readonly variantNames = new Map<string, string[]>();

  constructor(
    private readonly roots: readonly string[],
    private readonly options: RegistryOptions = {},
  ) {}

  list(): Promise<ModelListing> {
    this.listing ??= this.scan();
    return this.listing;
  }

  private async scan(): Promise<ModelListing> {
    const models: ModelManifest[] = [];
    const problems: ModelListing['problems'] = [];
    const seen = new Set<string>();
    const singles = [...(this.options.extraFolders ?? [])].map((f) => path.resolve(f));
    for (const root of this.roots) {
      // A models path that is itself a Hugging Face folder is that one model.
      if (await isHfFolder(root, true)) {
        singles.push(path.resolve(root));
        continue;
      }
      let entries: string[];
      try {
        entries = (await readdir(root, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();
      } catch (e) {
        problems.push({ folder: root, error: new ModelConfigError(root, '(file)', `is not a readable folder (${(e as NodeJS.ErrnoException).code ?? e})`) });
        continue;
      }
      for (const name of entries) {
        const folder = path.join(root, name);
        const hasManifest = await readFile(path.join(folder, 'model.json')).then(
          () => true,
          () => false,
        );
        if (!hasManifest) {
          if (await isHfFolder(folder)) await this.addHf(folder, seen, models, problems);
          continue; // not a model folder (e.g. models/training)
        }
        try {
          const m = await loadManifest(folder);
          if (m.id !== name) {
            throw new ModelConfigError(path.join(folder, 'model.json'), 'id', `must equal the folder name "${name}" (got "${m.id}")`);
          }
          if (seen.has(m.id)) continue; // an earlier root wins
          seen.add(m.id);
          models.push(m);
        } catch (e) {
          problems.push({ folder, error: e as Error });
        }
      }
    }
    for (const folder of singles) {
      if (models.some((m) => m.folder === folder)) continue;
      const hasManifest = await readFile(path.join(folder, 'model.json')).then(
        () => true,
        () => false,
      );
      if (!hasManifest) {
        await this.addHf(folder, seen, models, problems);
        continue;
      }
      try {
        const m = await loadManifest(folder);
        if (seen.has(m.id)) throw new ModelConfigError(path.join(folder, 'model.json'), 'id', `"${m.id}" is the id of another model already listed`);
        seen.add(m.id);
        models.push(m);
      } catch (e) {
        problems.push({ folder, error: e as Error });
      }
    }
    return { models, problems };
  }

  /** Lists the Hugging Face folder `folder` under a slug of its name, or records why it cannot be opened. */
  private async addHf(folder: string, seen: Set<string>, models: ModelManifest[], problems: ModelListing['problems']): Promise<void> {
    try {
      const info = await inspectHfFolder(folder);
      const id = slugFor(folder, seen);
      const m = hfManifest(info, {
        id,
        variant: this.options.variants?.[info.folder],
        cacheFolder: this.options.cacheFolder ?? defaultCacheFolder(),
      });
      seen.add(id);
      this.variantNames.set(id, info.variants.map((v) => v.name));
      models.push(m);
    } catch (e) {
      problems.push({ folder: path.resolve(folder), error: e as Error });
    }
  }

  /** The model files a Hugging Face model could open instead (`model.onnx`, `model_fp16.onnx`, …); [] otherwise. */
  async variants(id: string): Promise<string[]> {
    await this.list();
    return this.variantNames.get(id) ?? [];
  }

  /** The model read from `folder` (a path given to the CLI or "Open Model Folder…"), or that folder's error. */
  async getByFolder(folder: string): Promise<ModelManifest> {
    const abs = path.resolve(folder);
    const { models, problems } = await this.list();
    const found = models.find((m) => m.folder === abs);
    if (found) return found;
    const broken = problems.find((p) => path.resolve(p.folder) === abs);
    if (broken) throw broken.error;
    throw new ModelConfigError(abs, '(file)', 'is not a model folder: expected config.json and tokenizer.json (a Hugging Face export) or model.json');
  }

  async get(id: string): Promise<ModelManifest> {
    const { models, problems } = await this.list();
    const found = models.find((m) => m.id === id);
    if (found) return found;
    const broken = problems.find((p) => path.basename(p.folder) === id || slugFor(p.folder, new Set()) === id);
    if (broken) throw broken.error;
    const known = models.map((m) => m.id).join(', ') || 'none';
    throw new Error(`No model "${id}" (available: ${known}).`);
  }

  /**
   * The tokenizer that turns text into tokens with offsets, for any model: the contract's byte-level BPE, or the
   * Hugging Face tokenizer of an HF folder (special tokens marked, start = end).
   */
  textTokenizer(m: ModelManifest): Promise<TextTokenizer> {
    return cachedPromise(this.textTokenizers, m.tokenizerPath, () =>
      m.source === 'hf' ? loadHfTokenizer(m) : this.tokenizer(m).then(async (bpe) => new BundledTextTokenizer(bpe, await specialTokensOf(m))),
    );
  }

  /**
   * The contract's byte-level BPE tokenizer (sliced tokenization of bundled models). A Hugging Face folder has none:
   * its tokenizer is `textTokenizer`, which predictions and generation take for every model.
   */
  tokenizer(m: ModelManifest): Promise<ByteLevelBpeTokenizer> {
    if (m.source === 'hf') {
      return Promise.reject(new Error(`Model "${m.id}" is a Hugging Face folder: it has no byte-level BPE tokenizer of the contract; use its text tokenizer.`));
    }
    return cachedPromise(this.tokenizers, m.tokenizerPath, () => loadTokenizer(m));
  }

  /**
   * A translation model's tokenizer (kind `encoder-decoder`): source tokens with the end token, the language tags,
   * target ids back to text with exact ranges (src/translate/translationTokenizer.ts).
   */
  translationTokenizer(m: ModelManifest): Promise<TranslationTokenizer> {
    return cachedPromise(this.translationTokenizers, m.tokenizerPath, async () => loadTranslationTokenizer(m, await this.tokenizer(m)));
  }
}

export async function loadTokenizer(m: ModelManifest): Promise<ByteLevelBpeTokenizer> {
  let text: string;
  try {
    text = await readFile(m.tokenizerPath, 'utf8');
  } catch (e) {
    throw new ModelConfigError(m.tokenizerPath, '(file)', `cannot be read (${(e as NodeJS.ErrnoException).code ?? e}); named by "files.tokenizer" in model.json`);
  }
  const tok = ByteLevelBpeTokenizer.fromJson(text, m.tokenizerPath);
  if (m.vocabSize !== undefined && tok.vocabSize !== m.vocabSize) {
    throw new ModelConfigError(
      m.tokenizerPath,
      'model.vocab',
      `holds ${tok.vocabSize} tokens but ${path.join(m.folder, 'model.json')} says vocab_size ${m.vocabSize}: the tokenizer does not match the model`,
    );
  }
  return tok;
}
