// The curves of a run that is still going, drawn on a canvas. recharts (SVG,
// its own state store and selectors) spends tens to hundreds of milliseconds of
// main-thread time per update, which is fine for a finished run but not several
// times a second while a GCN trains on every core; this draws the same rows
// (lib/series.ts chartData: ≤ 2k points per series, mean ± 2σ bands) with the
// same axes and colours in a few milliseconds. A finished run is drawn by
// CurveChart (recharts), with tooltips.
import { memo, useEffect, useMemo, useRef, useState } from 'react';
import { fmtNum } from '../lib/format.js';
import type { ChartData } from '../lib/series.js';
import { extent, linearTicks, logTicks } from '../lib/ticks.js';
import { LegendRow, PALETTE, type SeriesSpec } from './Charts.js';

const M = { left: 72, right: 16, top: 10, bottom: 38 };

function useWidth(ref: React.RefObject<HTMLElement | null>): number {
  const [width, setWidth] = useState(0);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    setWidth(el.clientWidth);
    const ro = new ResizeObserver(() => setWidth(el.clientWidth));
    ro.observe(el);
    return () => ro.disconnect();
  }, [ref]);
  return width;
}

export const CanvasCurves = memo(function CanvasCurves({ title, series, data, logScale, xLabel = 'epoch', height = 240 }: { title: string; series: SeriesSpec[]; data: ChartData; logScale: boolean; xLabel?: string; height?: number }) {
  const box = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const width = useWidth(box);
  const axes = useMemo(() => {
    const keys = series.flatMap((s) => [s.key, `${s.key}:band`]);
    const [lo, hi] = extent(data.rows, keys, logScale);
    const y = logScale ? logTicks(lo, hi) : linearTicks(lo, hi);
    const last = Math.max(1, data.rows.length ? data.rows[data.rows.length - 1]!.epoch : 1);
    return { y, x: { domain: [0, last] as [number, number], ticks: linearTicks(0, last, 6).ticks.filter((t) => t <= last) } };
  }, [data, series, logScale]);

  useEffect(() => {
    const c = canvas.current;
    const ctx = c?.getContext('2d');
    if (!c || !ctx || width <= 0) return;
    const dpr = window.devicePixelRatio || 1;
    c.width = Math.round(width * dpr);
    c.height = Math.round(height * dpr);
    c.style.width = `${width}px`;
    c.style.height = `${height}px`;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);
    const pw = width - M.left - M.right;
    const ph = height - M.top - M.bottom;
    const [x0, x1] = axes.x.domain;
    const [y0, y1] = axes.y.domain;
    const fy = logScale ? Math.log10 : (v: number) => v;
    const ly0 = fy(y0);
    const ly1 = fy(y1);
    const X = (v: number): number => M.left + ((v - x0) / (x1 - x0 || 1)) * pw;
    const Y = (v: number): number => M.top + ph - ((fy(v) - ly0) / (ly1 - ly0 || 1)) * ph;

    // Grid and ticks
    ctx.font = '12px system-ui, sans-serif';
    ctx.fillStyle = '#5b6575';
    ctx.strokeStyle = '#e6e8ec';
    ctx.lineWidth = 1;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (const t of axes.y.ticks) {
      const y = Math.round(Y(t)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(M.left, y);
      ctx.lineTo(M.left + pw, y);
      ctx.stroke();
      ctx.fillText(fmtNum(t, 3), M.left - 8, y);
    }
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    for (const t of axes.x.ticks) {
      const x = Math.round(X(t)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(x, M.top);
      ctx.lineTo(x, M.top + ph);
      ctx.stroke();
      ctx.fillText(fmtNum(t, 3), x, M.top + ph + 6);
    }
    ctx.fillText(xLabel, M.left + pw / 2, M.top + ph + 22);
    ctx.strokeStyle = '#666';
    ctx.beginPath();
    ctx.moveTo(M.left + 0.5, M.top);
    ctx.lineTo(M.left + 0.5, M.top + ph + 0.5);
    ctx.lineTo(M.left + pw, M.top + ph + 0.5);
    ctx.stroke();

    ctx.save();
    ctx.beginPath();
    ctx.rect(M.left, M.top, pw, ph);
    ctx.clip();
    series.forEach((s, i) => {
      const color = PALETTE[i % PALETTE.length]!;
      // The ±2σ band: upper edge left to right, lower edge back.
      if (data.banded.includes(s.key)) {
        const band = data.rows.filter((r) => Array.isArray(r[`${s.key}:band`]));
        if (band.length > 1) {
          ctx.beginPath();
          band.forEach((r, k) => {
            const [, hi] = r[`${s.key}:band`] as [number, number];
            if (k === 0) ctx.moveTo(X(r.epoch), Y(hi));
            else ctx.lineTo(X(r.epoch), Y(hi));
          });
          for (let k = band.length - 1; k >= 0; k--) {
            const r = band[k]!;
            const [lo] = r[`${s.key}:band`] as [number, number];
            ctx.lineTo(X(r.epoch), Y(lo));
          }
          ctx.closePath();
          ctx.globalAlpha = 0.18;
          ctx.fillStyle = color;
          ctx.fill();
          ctx.globalAlpha = 1;
        }
      }
      ctx.beginPath();
      ctx.strokeStyle = color;
      ctx.lineWidth = 1.6;
      let pen = false;
      for (const r of data.rows) {
        const v = r[s.key];
        if (typeof v !== 'number' || !Number.isFinite(v) || (logScale && v <= 0)) continue;
        if (pen) ctx.lineTo(X(r.epoch), Y(v));
        else ctx.moveTo(X(r.epoch), Y(v));
        pen = true;
      }
      ctx.stroke();
    });
    ctx.restore();
  }, [axes, data, series, logScale, width, height, xLabel]);

  const legend = series.map((s, i) => ({ label: data.banded.includes(s.key) ? `${s.label} (mean ± 2σ)` : s.label, color: PALETTE[i % PALETTE.length]! }));
  return (
    <section className="chart" aria-label={title} data-points={data.rows.length} data-full-points={data.fullPoints}>
      <h3>{title}</h3>
      <LegendRow items={legend} />
      <div ref={box} style={{ width: '100%', height }}>
        <canvas ref={canvas} role="img" aria-label={`${title}: ${series.map((s) => s.label).join(', ')} by ${xLabel} (live)`} />
      </div>
    </section>
  );
});
