// Seeds: every random stream of a run is Generator(mixSeed(runSeed(seed, run), stream)),
// so runs are independent and the same (graph, seed) always gives the same numbers.
// Apart from the compiler so that the catalogue (and export-ts, which copies
// mixSeed into its scripts) can reach them without importing the compiler.

/** A 32-bit hash of integers (murmur3's finaliser over a running combination): every stream's seed. */
export function mixSeed(...parts: number[]): number {
  let h = 0x2545f491;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x9e3779b1);
    h ^= Math.floor(p / 4294967296) >>> 0;
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/** The seed run `run` draws from: runs are independent, and (graph seed, run) always gives the same numbers. */
export function runSeed(seed: number, run: number): number {
  return mixSeed(seed, run);
}
