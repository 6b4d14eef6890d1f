/**
 * One promise per key in a map (sessions, tokenizers, parsed graphs), made on first need and shared by every caller
 * after that. A failed promise is not kept: the person may fix the file and try again.
 */
export function cachedPromise<T>(cache: Map<string, Promise<T>>, key: string, make: () => Promise<T>): Promise<T> {
  let p = cache.get(key);
  if (!p) {
    p = make();
    cache.set(key, p);
    p.catch(() => {
      // Only this attempt is forgotten: a newer one under the same key stays.
      if (cache.get(key) === p) cache.delete(key);
    });
  }
  return p;
}
