/**
 * Finds the models a person can pick: every `models/<id>/model.json` under the bundled folder and any extra
 * folders (from settings, trusted workspaces only). Caches manifests and tokenizers for its whole life: the
 * extension makes a new registry when the models path or workspace trust changes. A broken model folder is
 * reported with its error and never hides the others.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { ByteLevelBpeTokenizer } from '../tokenizer/byteLevelBpe';
import { loadManifest, ModelConfigError, type ModelManifest } from './modelManifest';

export const DEFAULT_MODEL_ID = 'encoder';

export interface ModelListing {
  models: ModelManifest[];
  /** Folders that look like models but failed validation, with the reason. */
  problems: { folder: string; error: Error }[];
}

export class ModelRegistry {
  private listing: Promise<ModelListing> | undefined;
  private readonly tokenizers = new Map<string, Promise<ByteLevelBpeTokenizer>>();

  constructor(private readonly roots: readonly string[]) {}

  list(): Promise<ModelListing> {
    this.listing ??= this.scan();
    return this.listing;
  }

  private async scan(): Promise<ModelListing> {
    const models: ModelManifest[] = [];
    const problems: ModelListing['problems'] = [];
    const seen = new Set<string>();
    for (const root of this.roots) {
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
        if (!hasManifest) continue; // not a model folder (e.g. models/training)
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
    return { models, problems };
  }

  async get(id: string): Promise<ModelManifest> {
    const { models, problems } = await this.list();
    const found = models.find((m) => m.id === id);
    if (found) return found;
    const broken = problems.find((p) => path.basename(p.folder) === id);
    if (broken) throw broken.error;
    const known = models.map((m) => m.id).join(', ') || 'none';
    throw new Error(`No model "${id}" (available: ${known}).`);
  }

  tokenizer(m: ModelManifest): Promise<ByteLevelBpeTokenizer> {
    let p = this.tokenizers.get(m.tokenizerPath);
    if (!p) {
      p = loadTokenizer(m);
      this.tokenizers.set(m.tokenizerPath, p);
      p.catch(() => this.tokenizers.delete(m.tokenizerPath));
    }
    return p;
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
