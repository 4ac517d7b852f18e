// Axis domains and ticks computed once per data change, so recharts need not
// scan the data or measure tick labels on every render (it does both, slowly).

/** Up to ~`count` round ticks covering [lo, hi] (1, 2, 5 × 10^k steps). */
export function linearTicks(lo: number, hi: number, count = 5): { domain: [number, number]; ticks: number[] } {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return { domain: [0, 1], ticks: [0, 0.5, 1] };
  if (lo === hi) {
    const pad = Math.abs(lo) > 0 ? Math.abs(lo) * 0.1 : 1;
    lo -= pad;
    hi += pad;
  }
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const start = Math.floor(lo / step) * step;
  const end = Math.ceil(hi / step) * step;
  const ticks: number[] = [];
  for (let t = start; t <= end + step / 2; t += step) ticks.push(Number(t.toPrecision(12)));
  return { domain: [start, end], ticks };
}

/** Powers of ten covering [lo, hi] (both > 0); a single decade also gets 2× and 5× ticks. */
export function logTicks(lo: number, hi: number): { domain: [number, number]; ticks: number[] } {
  if (!(lo > 0) || !(hi > 0) || !Number.isFinite(lo) || !Number.isFinite(hi)) return { domain: [0.1, 10], ticks: [0.1, 1, 10] };
  const a = Math.floor(Math.log10(lo));
  const b = Math.max(a + 1, Math.ceil(Math.log10(hi)));
  const ticks: number[] = [];
  const every = Math.max(1, Math.ceil((b - a) / 6));
  for (let k = a; k <= b; k += every) ticks.push(10 ** k);
  if (b - a === 1) for (const m of [2, 5]) ticks.push(m * 10 ** a);
  ticks.sort((x, y) => x - y);
  return { domain: [10 ** a, 10 ** b], ticks };
}

/** The extent of every finite value (and [lo, hi] band pairs) under `keys` in `rows`. */
export function extent(rows: readonly Record<string, unknown>[], keys: readonly string[], positiveOnly: boolean): [number, number] {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  const see = (v: unknown): void => {
    if (typeof v === 'number' && Number.isFinite(v) && (!positiveOnly || v > 0)) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    } else if (Array.isArray(v)) for (const x of v) see(x);
  };
  for (const r of rows) for (const k of keys) see(r[k]);
  return [lo, hi];
}
