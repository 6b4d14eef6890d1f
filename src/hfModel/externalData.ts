/**
 * External data (weights in `model.onnx_data` beside the graph): a downloaded model names those files itself, so
 * each `location` is checked before onnxruntime reads it — an absolute path, a `..` or a symbolic link that leads
 * out of the model folder is refused, naming the initializer and the path.
 */
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { externalInitializers, readOnnxGraph } from './onnxGraphRead';

export class ExternalDataError extends Error {
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`${file}: ${detail}`);
    this.name = 'ExternalDataError';
  }
}

const inside = (folder: string, p: string): boolean => {
  const rel = path.relative(folder, p);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
};

/**
 * Checks every external-data location of `model` (the bytes of `modelFile`) against `modelFolder`. Returns the
 * folder onnxruntime must resolve them from (the model file's own folder) or undefined when there is none.
 */
export async function checkExternalData(model: Uint8Array, modelFile: string, modelFolder: string): Promise<string | undefined> {
  const entries = externalInitializers(model, readOnnxGraph(model));
  if (!entries.length) return undefined;
  const base = path.dirname(modelFile);
  const realFolder = await realpath(modelFolder);
  const checked = new Map<string, void>();
  for (const { name, location } of entries) {
    if (checked.has(location)) continue;
    if (!location) throw new ExternalDataError(modelFile, `initializer "${name}" is stored as external data but names no location`);
    if (path.isAbsolute(location) || /^[A-Za-z]:[\\/]/.test(location)) {
      throw new ExternalDataError(modelFile, `initializer "${name}" names external data at an absolute path "${location}"; only files inside the model folder are read`);
    }
    const resolved = path.resolve(base, location);
    if (!inside(path.resolve(modelFolder), resolved)) {
      throw new ExternalDataError(modelFile, `initializer "${name}" names external data "${location}", outside the model folder ${modelFolder}; refused`);
    }
    let real: string;
    try {
      real = await realpath(resolved);
    } catch (e) {
      throw new ExternalDataError(modelFile, `initializer "${name}" names external data "${location}", which cannot be read (${(e as NodeJS.ErrnoException).code ?? e})`);
    }
    if (!inside(realFolder, real)) {
      throw new ExternalDataError(modelFile, `initializer "${name}" names external data "${location}", a link to ${real} outside the model folder; refused`);
    }
    checked.set(location);
  }
  return base;
}
