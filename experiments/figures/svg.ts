// A small line-chart renderer producing self-contained SVG (no scripts, fonts,
// images or links to anything outside the file): linear or log axes, a second
// y axis, dashed lines, markers, shaded bands (mean ± kσ) and a legend.

export interface ChartSeries {
  /** Legend text; series without one are drawn but not listed. */
  label?: string;
  /** x values (default 0, 1, 2, …). */
  x?: readonly number[];
  y: readonly number[];
  color: string;
  /** SVG stroke-dasharray, e.g. '6 4'. */
  dash?: string;
  width?: number;
  /** Draw a dot at every point. */
  markers?: boolean;
  axis?: 'left' | 'right';
  /** A shaded band drawn under the line (e.g. mean ± 2σ). */
  band?: { lower: readonly number[]; upper: readonly number[] };
}

export interface ChartSpec {
  title: string;
  /** A line under the title (e.g. the figure's caption in the paper). */
  subtitle?: string;
  xLabel: string;
  yLabel: string;
  y2Label?: string;
  yLog?: boolean;
  y2Log?: boolean;
  /** Only integer x ticks (node numbers, iteration counts). */
  xInteger?: boolean;
  /** Fix the y range instead of fitting the data. */
  yRange?: [number, number];
  y2Range?: [number, number];
  series: ChartSeries[];
  /** Extra legend entries (e.g. one entry standing for a family of lines). */
  legendExtra?: { label: string; color: string; dash?: string }[];
  width?: number;
  height?: number;
}

const FONT = 'font-family="DejaVu Sans, Helvetica, Arial, sans-serif"';

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

function fmt(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) {
    const [m, e] = v.toExponential(1).split('e');
    return `${m!.replace(/\.0$/, '')}e${Number(e)}`;
  }
  return String(Number(v.toPrecision(4)));
}

/** 'Nice' linear ticks (1, 2, 5 × 10^k steps) covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, target = 6): number[] {
  if (!(hi > lo)) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    return niceTicks(lo - pad, hi + pad, target);
  }
  const raw = (hi - lo) / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const start = Math.floor(lo / step + 1e-9) * step;
  const ticks: number[] = [];
  for (let t = start; t <= hi + step * 1e-9 + step; t += step) {
    ticks.push(Number(t.toPrecision(12)));
    if (t >= hi - step * 1e-9) break;
  }
  return ticks;
}

/** Decade ticks for a log axis covering [lo, hi] (both > 0). */
export function logTicks(lo: number, hi: number): number[] {
  let a = Math.floor(Math.log10(lo));
  let b = Math.ceil(Math.log10(hi));
  if (a === b) {
    a -= 1;
    b += 1;
  }
  const stride = Math.max(1, Math.ceil((b - a) / 8));
  const out: number[] = [];
  for (let e = a; e <= b; e += stride) {
    out.push(Number(`1e${e}`));
    // Few decades: label 2 and 5 of each too.
    if (b - a <= 2 && e < b) out.push(Number(`2e${e}`), Number(`5e${e}`));
  }
  if (out[out.length - 1]! < hi) out.push(Number(`1e${a + Math.ceil((b - a) / stride) * stride}`));
  return out;
}

interface Axis {
  ticks: number[];
  map: (v: number) => number;
  log: boolean;
}

function finiteValues(series: ChartSeries[], log: boolean): number[] {
  const out: number[] = [];
  for (const s of series) {
    const push = (v: number): void => {
      if (Number.isFinite(v) && (!log || v > 0)) out.push(v);
    };
    s.y.forEach(push);
    s.band?.lower.forEach(push);
    s.band?.upper.forEach(push);
  }
  return out;
}

function makeAxis(values: number[], log: boolean, range: [number, number] | undefined, pixels: [number, number]): Axis {
  let lo = range ? range[0] : Math.min(...values);
  let hi = range ? range[1] : Math.max(...values);
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) {
    lo = log ? 0.1 : 0;
    hi = log ? 10 : 1;
  }
  const ticks = log ? logTicks(lo, hi) : niceTicks(lo, hi);
  const t0 = range ? lo : ticks[0]!;
  const t1 = range ? hi : ticks[ticks.length - 1]!;
  const [p0, p1] = pixels;
  const f = log ? Math.log10 : (v: number) => v;
  const a = f(t0);
  const b = f(t1);
  const map = (v: number): number => p0 + ((f(v) - a) / (b - a || 1)) * (p1 - p0);
  return { ticks: ticks.filter((t) => t >= Math.min(t0, t1) - 1e-12 && t <= Math.max(t0, t1) * (1 + 1e-12) + 1e-12), map, log };
}

/** Keeps at most `max` points (evenly spaced, first and last kept). */
function downsample(n: number, max: number): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  const out: number[] = [];
  for (let k = 0; k < max; k++) out.push(Math.round((k * (n - 1)) / (max - 1)));
  return out;
}

export function renderChart(spec: ChartSpec): string {
  const W = spec.width ?? 760;
  const H = spec.height ?? 460;
  const hasRight = spec.series.some((s) => s.axis === 'right');
  const top = spec.subtitle ? 64 : 44;
  const left = 78;
  const right = hasRight ? 78 : 24;
  const bottom = 56;
  const px0 = left;
  const px1 = W - right;
  const py0 = H - bottom;
  const py1 = top;

  const xs = spec.series.flatMap((s) => (s.x ? [...s.x] : s.y.map((_, i) => i)));
  const xAxis = makeAxis(xs.length ? xs : [0, 1], false, undefined, [px0, px1]);
  if (spec.xInteger) xAxis.ticks = xAxis.ticks.filter((t) => Number.isInteger(t));
  const leftSeries = spec.series.filter((s) => s.axis !== 'right');
  const rightSeries = spec.series.filter((s) => s.axis === 'right');
  const yAxis = makeAxis(finiteValues(leftSeries, !!spec.yLog), !!spec.yLog, spec.yRange, [py0, py1]);
  const y2Axis = hasRight ? makeAxis(finiteValues(rightSeries, !!spec.y2Log), !!spec.y2Log, spec.y2Range, [py0, py1]) : null;

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" ${FONT} font-size="12">`);
  out.push(`<title>${escapeXml(spec.title)}</title>`);
  out.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(spec.title)}</text>`);
  if (spec.subtitle) out.push(`<text x="${W / 2}" y="42" text-anchor="middle" font-size="11" fill="#555">${escapeXml(spec.subtitle)}</text>`);

  // Grid and ticks
  for (const t of yAxis.ticks) {
    const y = yAxis.map(t).toFixed(1);
    out.push(`<line x1="${px0}" y1="${y}" x2="${px1}" y2="${y}" stroke="#e4e4e4"/>`);
    out.push(`<text x="${px0 - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${fmt(t)}</text>`);
  }
  for (const t of xAxis.ticks) {
    const x = xAxis.map(t).toFixed(1);
    out.push(`<line x1="${x}" y1="${py0}" x2="${x}" y2="${py1}" stroke="#f0f0f0"/>`);
    out.push(`<text x="${x}" y="${py0 + 16}" text-anchor="middle">${fmt(t)}</text>`);
  }
  if (y2Axis) {
    for (const t of y2Axis.ticks) {
      out.push(`<text x="${px1 + 6}" y="${y2Axis.map(t).toFixed(1)}" dominant-baseline="middle">${fmt(t)}</text>`);
    }
  }
  out.push(`<rect x="${px0}" y="${py1}" width="${px1 - px0}" height="${py0 - py1}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${(px0 + px1) / 2}" y="${H - 14}" text-anchor="middle" font-size="13">${escapeXml(spec.xLabel)}</text>`);
  out.push(`<text transform="translate(18 ${(py0 + py1) / 2}) rotate(-90)" text-anchor="middle" font-size="13">${escapeXml(spec.yLabel)}</text>`);
  if (y2Axis && spec.y2Label) {
    out.push(`<text transform="translate(${W - 14} ${(py0 + py1) / 2}) rotate(90)" text-anchor="middle" font-size="13">${escapeXml(spec.y2Label)}</text>`);
  }

  // Data, clipped to the plot area
  const clip = `plot-${spec.title.toLowerCase().replace(/[^a-z0-9]+/g, '-').slice(0, 40)}`;
  out.push(`<defs><clipPath id="${clip}"><rect x="${px0}" y="${py1}" width="${px1 - px0}" height="${py0 - py1}"/></clipPath></defs>`);
  out.push(`<g clip-path="url(#${clip})">`);
  for (const s of spec.series) {
    const ya = s.axis === 'right' ? y2Axis! : yAxis;
    const xOf = (i: number): number => xAxis.map(s.x ? s.x[i]! : i);
    const ok = (v: number): boolean => Number.isFinite(v) && (!ya.log || v > 0);
    const idx = downsample(s.y.length, 2000);
    if (s.band) {
      const up = idx.filter((i) => ok(s.band!.upper[i]!) && ok(s.band!.lower[i]!));
      if (up.length > 1) {
        const pts = [
          ...up.map((i) => `${xOf(i).toFixed(1)},${ya.map(s.band!.upper[i]!).toFixed(1)}`),
          ...up.reverse().map((i) => `${xOf(i).toFixed(1)},${ya.map(s.band!.lower[i]!).toFixed(1)}`),
        ];
        out.push(`<polygon points="${pts.join(' ')}" fill="${s.color}" fill-opacity="0.18" stroke="none"/>`);
      }
    }
    // Break the line where values are missing (NaN, or ≤ 0 on a log axis).
    let seg: string[] = [];
    const flush = (): void => {
      if (seg.length > 1) {
        out.push(
          `<polyline points="${seg.join(' ')}" fill="none" stroke="${s.color}" stroke-width="${s.width ?? 1.8}"` +
            `${s.dash ? ` stroke-dasharray="${s.dash}"` : ''} stroke-linejoin="round"/>`,
        );
      }
      seg = [];
    };
    for (const i of idx) {
      if (ok(s.y[i]!)) seg.push(`${xOf(i).toFixed(1)},${ya.map(s.y[i]!).toFixed(1)}`);
      else flush();
    }
    flush();
    if (s.markers) {
      for (const i of idx) {
        if (ok(s.y[i]!)) out.push(`<circle cx="${xOf(i).toFixed(1)}" cy="${ya.map(s.y[i]!).toFixed(1)}" r="3.2" fill="${s.color}"/>`);
      }
    }
  }
  out.push('</g>');

  // Legend (top right inside the plot)
  const entries = [
    ...spec.series.filter((s) => s.label).map((s) => ({ label: s.label!, color: s.color, dash: s.dash, band: !!s.band })),
    ...(spec.legendExtra ?? []).map((e) => ({ ...e, band: false })),
  ];
  if (entries.length) {
    const lw = Math.max(...entries.map((e) => e.label.length)) * 6.6 + 44;
    const lx = px1 - lw - 8;
    const ly = py1 + 8;
    out.push(`<rect x="${lx}" y="${ly}" width="${lw}" height="${entries.length * 18 + 8}" fill="#ffffff" fill-opacity="0.88" stroke="#bbb"/>`);
    entries.forEach((e, k) => {
      const y = ly + 14 + k * 18;
      if (e.band) out.push(`<rect x="${lx + 8}" y="${y - 6}" width="24" height="12" fill="${e.color}" fill-opacity="0.18"/>`);
      out.push(`<line x1="${lx + 8}" y1="${y}" x2="${lx + 32}" y2="${y}" stroke="${e.color}" stroke-width="2"${e.dash ? ` stroke-dasharray="${e.dash}"` : ''}/>`);
      out.push(`<text x="${lx + 38}" y="${y}" dominant-baseline="middle">${escapeXml(e.label)}</text>`);
    });
  }
  out.push('</svg>');
  return out.join('\n');
}

/** A colour for line k of n, from a perceptually ordered ramp (viridis-like, as matplotlib's default for families). */
export function rampColor(k: number, n: number): string {
  const stops = [
    [68, 1, 84],
    [59, 82, 139],
    [33, 145, 140],
    [94, 201, 98],
    [253, 231, 37],
  ];
  const t = n <= 1 ? 0 : (k / (n - 1)) * 0.92;
  const f = t * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(f));
  const u = f - i;
  const c = stops[i]!.map((a, j) => Math.round(a + (stops[i + 1]![j]! - a) * u));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

export const COLORS = {
  black: '#111111',
  blue: '#1f77b4',
  orange: '#ff7f0e',
  green: '#2ca02c',
  red: '#d62728',
  purple: '#9467bd',
} as const;
