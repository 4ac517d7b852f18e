// Inline SVG charts for the self-contained HTML report: grouped bars on a log
// time axis, and log-log scatter plots with fitted lines. Plain strings, no
// external references (no xmlns needed for SVG inside HTML).

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

function fmtTime(s: number): string {
  if (s < 1e-6) return `${+(s * 1e9).toPrecision(3)} ns`;
  if (s < 1e-3) return `${+(s * 1e6).toPrecision(3)} µs`;
  if (s < 1) return `${+(s * 1e3).toPrecision(3)} ms`;
  return `${+s.toPrecision(3)} s`;
}

function fmtCount(x: number): string {
  const e = Math.round(Math.log10(x));
  return Math.abs(Math.log10(x) - e) < 1e-9 ? `1e${e}` : x.toPrecision(2);
}

/** Decade ticks covering [lo, hi] (positive). */
function decades(lo: number, hi: number): { lo: number; hi: number; ticks: number[] } {
  const a = Math.floor(Math.log10(lo));
  const b = Math.max(a + 1, Math.ceil(Math.log10(hi)));
  const ticks: number[] = [];
  for (let e = a; e <= b; e++) ticks.push(10 ** e);
  return { lo: 10 ** a, hi: 10 ** b, ticks };
}

export interface Bar {
  label: string;
  /** Seconds; null draws an "absent" marker (its reason in the tooltip). */
  value: number | null;
  color: string;
  title?: string;
}

export interface BarGroup {
  label: string;
  bars: Bar[];
}

export function barChart(o: { title: string; groups: BarGroup[]; legend: { label: string; color: string }[]; width?: number; height?: number }): string {
  const W = o.width ?? 760;
  const H = o.height ?? 320;
  const m = { l: 64, r: 12, t: 28, b: 70 };
  const values = o.groups.flatMap((g) => g.bars.map((b) => b.value)).filter((v): v is number => v !== null && v > 0);
  const parts: string[] = [`<svg class="chart" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(o.title)}">`];
  parts.push(`<text x="${W / 2}" y="16" text-anchor="middle" class="ct">${esc(o.title)}</text>`);
  if (values.length === 0) {
    parts.push(`<text x="${W / 2}" y="${H / 2}" text-anchor="middle">no timed values</text></svg>`);
    return parts.join('');
  }
  const { lo, hi, ticks } = decades(Math.min(...values), Math.max(...values));
  const ph = H - m.t - m.b;
  const pw = W - m.l - m.r;
  const y = (v: number): number => m.t + ph * (1 - (Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)));
  for (const t of ticks) {
    parts.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" class="grid"/>`);
    parts.push(`<text x="${m.l - 4}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end" class="tick">${esc(fmtTime(t))}</text>`);
  }
  const gw = pw / o.groups.length;
  o.groups.forEach((g, gi) => {
    const nb = Math.max(1, g.bars.length);
    const bw = Math.min(28, (gw * 0.8) / nb);
    const x0 = m.l + gi * gw + (gw - bw * nb) / 2;
    g.bars.forEach((b, bi) => {
      const x = x0 + bi * bw;
      const tip = `<title>${esc(`${g.label} — ${b.label}: ${b.value !== null ? fmtTime(b.value) : 'absent'}${b.title ? ` (${b.title})` : ''}`)}</title>`;
      if (b.value !== null && b.value > 0) {
        const top = y(b.value);
        parts.push(`<rect x="${x.toFixed(1)}" y="${top.toFixed(1)}" width="${(bw - 2).toFixed(1)}" height="${(m.t + ph - top).toFixed(1)}" fill="${b.color}">${tip}</rect>`);
      } else {
        parts.push(`<rect x="${x.toFixed(1)}" y="${(m.t + ph - 14).toFixed(1)}" width="${(bw - 2).toFixed(1)}" height="14" fill="none" stroke="${b.color}" stroke-dasharray="3 2">${tip}</rect>`);
        parts.push(`<text x="${(x + bw / 2 - 1).toFixed(1)}" y="${(m.t + ph - 17).toFixed(1)}" text-anchor="middle" class="absent" transform="rotate(-90 ${(x + bw / 2 - 1).toFixed(1)} ${(m.t + ph - 17).toFixed(1)})">absent</text>`);
      }
    });
    const cx = m.l + gi * gw + gw / 2;
    parts.push(`<text x="${cx.toFixed(1)}" y="${H - m.b + 14}" text-anchor="middle" class="tick">${esc(g.label)}</text>`);
  });
  parts.push(`<line x1="${m.l}" x2="${m.l}" y1="${m.t}" y2="${m.t + ph}" class="axis"/><line x1="${m.l}" x2="${W - m.r}" y1="${m.t + ph}" y2="${m.t + ph}" class="axis"/>`);
  o.legend.forEach((l, i) => {
    const lx = m.l + (i % 4) * 170;
    const ly = H - m.b + 34 + Math.floor(i / 4) * 16;
    parts.push(`<rect x="${lx}" y="${ly - 9}" width="10" height="10" fill="${l.color}"/><text x="${lx + 14}" y="${ly}" class="tick">${esc(l.label)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

export interface Series {
  label: string;
  color: string;
  /** Marker: circle (forward) or triangle (backward, as the paper's Figure 11). */
  marker: 'circle' | 'triangle';
  points: { x: number; y: number; title?: string }[];
  /** Fitted line y = e^intercept x^slope (natural logs). */
  fit?: { slope: number; intercept: number } | null;
}

export function logLogChart(o: { title: string; xLabel: string; series: Series[]; width?: number; height?: number }): string {
  const W = o.width ?? 380;
  const H = o.height ?? 300;
  const m = { l: 62, r: 10, t: 26, b: 40 + 15 * o.series.length };
  const pts = o.series.flatMap((s) => s.points).filter((p) => p.x > 0 && p.y > 0);
  const parts: string[] = [`<svg class="chart" width="${W}" height="${H + 15 * o.series.length}" viewBox="0 0 ${W} ${H + 15 * o.series.length}" role="img" aria-label="${esc(o.title)}">`];
  parts.push(`<text x="${W / 2}" y="16" text-anchor="middle" class="ct">${esc(o.title)}</text>`);
  if (pts.length === 0) {
    parts.push(`<text x="${W / 2}" y="${H / 2}" text-anchor="middle">no timed points</text></svg>`);
    return parts.join('');
  }
  const xs = decades(Math.min(...pts.map((p) => p.x)), Math.max(...pts.map((p) => p.x)));
  const ys = decades(Math.min(...pts.map((p) => p.y)), Math.max(...pts.map((p) => p.y)));
  const Hp = H + 15 * o.series.length;
  const pw = W - m.l - m.r;
  const ph = Hp - m.t - m.b;
  const X = (v: number): number => m.l + (pw * (Math.log10(v) - Math.log10(xs.lo))) / (Math.log10(xs.hi) - Math.log10(xs.lo));
  const Y = (v: number): number => m.t + ph * (1 - (Math.log10(v) - Math.log10(ys.lo)) / (Math.log10(ys.hi) - Math.log10(ys.lo)));
  for (const t of ys.ticks) {
    parts.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${Y(t).toFixed(1)}" y2="${Y(t).toFixed(1)}" class="grid"/>`);
    parts.push(`<text x="${m.l - 4}" y="${(Y(t) + 4).toFixed(1)}" text-anchor="end" class="tick">${esc(fmtTime(t))}</text>`);
  }
  for (const t of xs.ticks) {
    parts.push(`<line y1="${m.t}" y2="${m.t + ph}" x1="${X(t).toFixed(1)}" x2="${X(t).toFixed(1)}" class="grid"/>`);
    parts.push(`<text x="${X(t).toFixed(1)}" y="${m.t + ph + 14}" text-anchor="middle" class="tick">${esc(fmtCount(t))}</text>`);
  }
  parts.push(`<text x="${m.l + pw / 2}" y="${m.t + ph + 30}" text-anchor="middle" class="tick">${esc(o.xLabel)}</text>`);
  parts.push(`<line x1="${m.l}" x2="${m.l}" y1="${m.t}" y2="${m.t + ph}" class="axis"/><line x1="${m.l}" x2="${W - m.r}" y1="${m.t + ph}" y2="${m.t + ph}" class="axis"/>`);
  o.series.forEach((s, si) => {
    const valid = s.points.filter((p) => p.x > 0 && p.y > 0);
    if (s.fit && valid.length >= 2) {
      const x1 = Math.min(...valid.map((p) => p.x));
      const x2 = Math.max(...valid.map((p) => p.x));
      const f = (x: number): number => Math.exp(s.fit!.intercept + s.fit!.slope * Math.log(x));
      parts.push(`<line x1="${X(x1).toFixed(1)}" y1="${Y(f(x1)).toFixed(1)}" x2="${X(x2).toFixed(1)}" y2="${Y(f(x2)).toFixed(1)}" stroke="${s.color}" stroke-width="1.2" stroke-dasharray="4 3"/>`);
    }
    for (const p of valid) {
      const cx = X(p.x);
      const cy = Y(p.y);
      const tip = `<title>${esc(`${s.label}: nnz ${p.x}, ${fmtTime(p.y)}${p.title ? ` (${p.title})` : ''}`)}</title>`;
      parts.push(s.marker === 'circle'
        ? `<circle cx="${cx.toFixed(1)}" cy="${cy.toFixed(1)}" r="3.5" fill="${s.color}">${tip}</circle>`
        : `<path d="M${cx.toFixed(1)} ${(cy - 4.5).toFixed(1)} L${(cx + 4.5).toFixed(1)} ${(cy + 3.5).toFixed(1)} L${(cx - 4.5).toFixed(1)} ${(cy + 3.5).toFixed(1)} Z" fill="${s.color}">${tip}</path>`);
    }
    const ly = m.t + ph + 46 + si * 15;
    parts.push(s.marker === 'circle'
      ? `<circle cx="${m.l + 5}" cy="${ly - 4}" r="3.5" fill="${s.color}"/>`
      : `<path d="M${m.l + 5} ${ly - 8.5} L${m.l + 9.5} ${ly - 0.5} L${m.l + 0.5} ${ly - 0.5} Z" fill="${s.color}"/>`);
    parts.push(`<text x="${m.l + 14}" y="${ly}" class="tick">${esc(`${s.label}${s.fit ? ` — slope ${s.fit.slope.toFixed(2)}` : ''}`)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}
