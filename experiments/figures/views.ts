// A result's views (the figures its graph's chart and heatmap nodes ask for),
// one self-contained SVG each: lines and bars through the chart renderer, a
// heatmap as a grid of cells with a colour bar.
import type { ParamView } from '../graph/result.js';
import { COLORS, escapeXml, rampColor, renderChart } from './svg.js';

export interface ViewFigure {
  file: string;
  title: string;
  svg: string;
}

const PALETTE = [COLORS.blue, COLORS.orange, COLORS.green, COLORS.red];

function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 48) || 'view';
}

/** A heatmap: width×height cells (row 0 at the bottom, as a grid's y axis), viridis-like ramp. */
export function renderHeatmap(v: Extract<ParamView, { kind: 'heatmap' }>): string {
  const cell = Math.max(2, Math.min(16, Math.floor(480 / Math.max(v.width, v.height))));
  const left = 20;
  const top = 44;
  const W = left + v.width * cell + 90;
  const H = top + v.height * cell + 24;
  let lo = v.min ?? Infinity;
  let hi = v.max ?? -Infinity;
  if (v.min === undefined || v.max === undefined) {
    for (const x of v.values) {
      if (v.min === undefined && x < lo) lo = x;
      if (v.max === undefined && x > hi) hi = x;
    }
  }
  const span = hi > lo ? hi - lo : 1;
  const steps = 64;
  const rects: string[] = [];
  for (let y = 0; y < v.height; y++) {
    for (let x = 0; x < v.width; x++) {
      const val = v.values[y * v.width + x] ?? Number.NaN;
      const k = Number.isFinite(val) ? Math.round(((val - lo) / span) * (steps - 1)) : 0;
      rects.push(`<rect x="${left + x * cell}" y="${top + (v.height - 1 - y) * cell}" width="${cell}" height="${cell}" fill="${Number.isFinite(val) ? rampColor(Math.max(0, Math.min(steps - 1, k)), steps) : '#cccccc'}"/>`);
    }
  }
  const barX = left + v.width * cell + 16;
  const barH = v.height * cell;
  const bar: string[] = [];
  for (let k = 0; k < steps; k++) bar.push(`<rect x="${barX}" y="${top + barH - ((k + 1) * barH) / steps}" width="14" height="${barH / steps + 0.5}" fill="${rampColor(k, steps)}"/>`);
  const font = 'font-family="DejaVu Sans, Helvetica, Arial, sans-serif"';
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${left}" y="24" ${font} font-size="15" font-weight="bold">${escapeXml(v.title)}</text>`,
    ...rects,
    ...bar,
    `<text x="${barX + 18}" y="${top + 10}" ${font} font-size="11">${escapeXml(hi.toPrecision(3))}</text>`,
    `<text x="${barX + 18}" y="${top + barH}" ${font} font-size="11">${escapeXml(lo.toPrecision(3))}</text>`,
    '</svg>',
  ].join('\n');
}

/** One SVG per view, named view-<n>-<title>.svg. */
export function viewFigures(views: readonly ParamView[]): ViewFigure[] {
  return views.map((v, k) => {
    const file = `view-${k + 1}-${slug(v.title)}.svg`;
    if (v.kind === 'heatmap') return { file, title: v.title, svg: renderHeatmap(v) };
    const svg = renderChart({
      title: v.title,
      xLabel: v.xLabel,
      yLabel: v.yLabel,
      yLog: v.logY,
      xInteger: v.kind === 'bars' || v.xLabel === 'run' || v.xLabel === 'node',
      series: v.series.map((s, i) => ({
        label: s.name,
        y: s.values,
        color: PALETTE[i % PALETTE.length]!,
        // Bars as markers on a faint line: the values per node or per run.
        ...(v.kind === 'bars' ? { markers: true, width: 0.6 } : {}),
      })),
    });
    return { file, title: v.title, svg };
  });
}
