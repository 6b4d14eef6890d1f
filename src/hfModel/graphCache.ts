/**
 * Rewritten graphs, cached in a folder the caller owns (the extension's global storage, the CLI's user cache),
 * keyed by the source file's identity, so a second open skips the rewrite. Nothing is ever written into the model
 * folder. A file is written under a temporary name and renamed, so a reader never sees half of one.
 */
import { createHash } from 'node:crypto';
import { open, mkdir, readFile, rename, stat, writeFile, realpath, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** Bump when the rewrite changes, so graphs cached by an older version are not used. */
export const REWRITE_VERSION = 1;

/** How much of a large file's head and tail is hashed: enough to tell re-exports apart without reading GBs. */
const HASHED_EDGE = 1 << 20;

/** The CLI's default cache: $XDG_CACHE_HOME or ~/.cache, `attention-lens/graphs`; the OS temp folder if no home. */
export function defaultCacheFolder(): string {
  const home = os.homedir();
  const base = process.env.XDG_CACHE_HOME || (home ? path.join(home, '.cache') : os.tmpdir());
  return path.join(base, 'attention-lens', 'graphs');
}

/**
 * The identity of a model file: its real path, size and modification time, and a hash of its first and last MiB
 * (the whole file when it is smaller than 2 MiB), with `purpose` (what the rewrite keeps) and the rewrite version.
 */
export async function fileIdentity(file: string, purpose: string): Promise<string> {
  const real = await realpath(file);
  const s = await stat(real);
  const hash = createHash('sha256');
  hash.update(`${REWRITE_VERSION}\n${purpose}\n${real}\n${s.size}\n${s.mtimeMs}\n`);
  const fh = await open(real, 'r');
  try {
    if (s.size <= 2 * HASHED_EDGE) {
      hash.update(await fh.readFile());
    } else {
      const buf = Buffer.alloc(HASHED_EDGE);
      await fh.read(buf, 0, HASHED_EDGE, 0);
      hash.update(buf);
      await fh.read(buf, 0, HASHED_EDGE, s.size - HASHED_EDGE);
      hash.update(buf);
    }
  } finally {
    await fh.close();
  }
  return hash.digest('hex').slice(0, 32);
}

/** Refuses a cache folder inside the model folder (the one place it must never write). */
function assertOutside(cacheFolder: string, modelFolder: string): void {
  const rel = path.relative(path.resolve(modelFolder), path.resolve(cacheFolder));
  if (rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))) {
    throw new Error(`The graph cache ${cacheFolder} is inside the model folder ${modelFolder}; Attention Lens never writes there.`);
  }
}

export interface CachedGraph {
  bytes: Uint8Array;
  /** true when read from the cache, false when `make` ran */
  hit: boolean;
  /** The cached file, when it is there (undefined when the cache could not be written). */
  file: string | undefined;
}

/**
 * The rewritten graph for `source` and `purpose`: read from `cacheFolder` when there, else made by `make` and
 * stored. A cache that cannot be written (read-only storage) only costs the rewrite next time.
 */
export async function cachedGraph(
  source: string,
  modelFolder: string,
  cacheFolder: string,
  purpose: string,
  make: (bytes: Uint8Array) => Uint8Array,
): Promise<CachedGraph> {
  assertOutside(cacheFolder, modelFolder);
  const key = await fileIdentity(source, purpose);
  const file = path.join(cacheFolder, `${key}.onnx`);
  try {
    return { bytes: new Uint8Array(await readFile(file)), hit: true, file };
  } catch {
    // not cached yet
  }
  const bytes = make(new Uint8Array(await readFile(source)));
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    await mkdir(cacheFolder, { recursive: true });
    await writeFile(tmp, bytes);
    await rename(tmp, file);
  } catch {
    await unlink(tmp).catch(() => undefined);
    return { bytes, hit: false, file: undefined };
  }
  return { bytes, hit: false, file };
}
