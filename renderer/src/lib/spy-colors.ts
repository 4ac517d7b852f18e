// Spy-plot colours: a log scale from white (empty) through blue to near black,
// so one stray entry in a bin still shows against a dense diagonal.

/** RGBA pixels for a height×width count grid (row-major). */
export function spyPixels(counts: Uint32Array, max: number): Uint8ClampedArray {
  const out = new Uint8ClampedArray(counts.length * 4);
  const scale = max > 0 ? 1 / Math.log1p(max) : 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    const o = i * 4;
    if (c === 0) {
      out[o] = 255;
      out[o + 1] = 255;
      out[o + 2] = 255;
    } else {
      // t in (0, 1]: 0.25 for a single entry at most, so it never fades into white.
      const t = 0.25 + 0.75 * Math.log1p(c) * scale;
      out[o] = Math.round(40 * (1 - t) + 8 * t);
      out[o + 1] = Math.round(110 * (1 - t) + 20 * t);
      out[o + 2] = Math.round(220 * (1 - t) + 70 * t);
    }
    out[o + 3] = 255;
  }
  return out;
}
