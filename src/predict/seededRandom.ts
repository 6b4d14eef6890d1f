/**
 * A small seeded pseudo-random generator, so that a sampled generation can be repeated exactly from its seed
 * (Math.random cannot be seeded). Mulberry32: a 32-bit state advanced by a constant and scrambled by two
 * multiply-xorshift rounds; plenty for drawing tokens, not for anything secret.
 */
export type RandomSource = () => number;

/** A generator of floats in [0, 1) from a 32-bit seed; the same seed gives the same sequence. */
export function seededRandom(seed: number): RandomSource {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
