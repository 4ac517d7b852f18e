// Chart panels on recharts (SVG): animation off, dots off, data already cut to
// ≤ 2k points per series by lib/series.ts. Each panel says how many points it
// draws (data-points) out of how many the run has (data-full-points).
import { memo, useMemo } from 'react';
import { Area, Bar, BarChart, CartesianGrid, ComposedChart, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { ChartData } from '../lib/series.js';
import { fmtNum } from '../lib/format.js';
import { extent, linearTicks, logTicks } from '../lib/ticks.js';

export const PALETTE = ['#1f5fbf', '#d1495b', '#2a9d5c', '#e39b1b', '#7a4fc2', '#2b9bb3', '#8c564b', '#444444'];

export interface SeriesSpec {
  key: string;
  label: string;
}

const tick = (v: number): string => fmtNum(v, 3);

/** A legend in HTML (recharts' own measures its text on every render). */
export function LegendRow({ items }: { items: { label: string; color: string }[] }) {
  return (
    <ul className="legend">
      {items.map((it) => (
        <li key={it.label}>
          <span className="swatch" style={{ background: it.color }} />
          {it.label}
        </li>
      ))}
    </ul>
  );
}

export const CurveChart = memo(function CurveChart({ title, series, data, logScale, xLabel = 'epoch', height = 240 }: { title: string; series: SeriesSpec[]; data: ChartData; logScale: boolean; xLabel?: string; height?: number }) {
  // Domains and ticks computed here once, not by recharts on every render.
  const axes = useMemo(() => {
    const keys = series.flatMap((s) => [s.key, `${s.key}:band`]);
    const [lo, hi] = extent(data.rows, keys, logScale);
    const y = logScale ? logTicks(lo, hi) : linearTicks(lo, hi);
    const last = data.rows.length ? data.rows[data.rows.length - 1]!.epoch : 1;
    const x = linearTicks(0, Math.max(1, last), 6);
    return { y, x: { domain: [0, Math.max(1, last)] as [number, number], ticks: x.ticks.filter((t) => t <= Math.max(1, last)) } };
  }, [data, series, logScale]);
  const legend = series.map((s, i) => ({ label: data.banded.includes(s.key) ? `${s.label} (mean ± 2σ)` : s.label, color: PALETTE[i % PALETTE.length]! }));
  return (
    <section className="chart" aria-label={title} data-points={data.rows.length} data-full-points={data.fullPoints}>
      <h3>{title}</h3>
      <LegendRow items={legend} />
      <ResponsiveContainer width="100%" height={height}>
        <ComposedChart data={data.rows} margin={{ top: 8, right: 16, bottom: 18, left: 8 }}>
          <CartesianGrid stroke="#e6e8ec" />
          <XAxis dataKey="epoch" type="number" domain={axes.x.domain} ticks={axes.x.ticks} interval={0} tickFormatter={tick} label={{ value: xLabel, position: 'insideBottom', offset: -8 }} />
          <YAxis scale={logScale ? 'log' : 'linear'} type="number" domain={axes.y.domain} ticks={axes.y.ticks} interval={0} allowDataOverflow tickFormatter={tick} width={64} />
          <Tooltip isAnimationActive={false} formatter={(v) => (Array.isArray(v) ? v.map((x) => fmtNum(Number(x))).join(' … ') : fmtNum(Number(v)))} labelFormatter={(l) => `${xLabel} ${String(l)}`} />
          {series.map((s, i) =>
            data.banded.includes(s.key) ? (
              <Area
                key={`${s.key}:band`}
                dataKey={`${s.key}:band`}
                name={`${s.label} ±2σ`}
                stroke="none"
                fill={PALETTE[i % PALETTE.length]}
                fillOpacity={0.18}
                isAnimationActive={false}
                legendType="none"
                connectNulls
              />
            ) : null,
          )}
          {series.map((s, i) => (
            <Line key={s.key} dataKey={s.key} name={data.banded.includes(s.key) ? `${s.label} (mean)` : s.label} stroke={PALETTE[i % PALETTE.length]} dot={false} strokeWidth={1.6} isAnimationActive={false} connectNulls />
          ))}
        </ComposedChart>
      </ResponsiveContainer>
    </section>
  );
});

/** Bars for a vector (e.g. Jacobi weights by node), one bar group per index. */
export const VectorBars = memo(function VectorBars({ title, xLabel, yLabel, series, logY = false }: { title: string; xLabel: string; yLabel: string; series: { name: string; values: number[] }[]; logY?: boolean }) {
  const n = series.reduce((m, s) => Math.max(m, s.values.length), 0);
  const rows = Array.from({ length: n }, (_, i) => {
    const row: Record<string, number | null> = { i };
    for (const s of series) row[s.name] = Number.isFinite(s.values[i]!) ? s.values[i]! : null;
    return row;
  });
  return (
    <section className="chart" aria-label={title}>
      <h3>{title}</h3>
      <ResponsiveContainer width="100%" height={220}>
        <BarChart data={rows} margin={{ top: 8, right: 16, bottom: 18, left: 8 }}>
          <CartesianGrid stroke="#e6e8ec" />
          <XAxis dataKey="i" label={{ value: xLabel, position: 'insideBottom', offset: -8 }} />
          <YAxis scale={logY ? 'log' : 'linear'} domain={logY ? ['auto', 'auto'] : [0, 'auto']} tickFormatter={tick} width={64} label={{ value: yLabel, angle: -90, position: 'insideLeft' }} />
          <Tooltip isAnimationActive={false} formatter={(v) => fmtNum(Number(v))} />
          {series.length > 1 ? <Legend verticalAlign="top" height={24} /> : null}
          {series.map((s, i) => (
            <Bar key={s.name} dataKey={s.name} fill={PALETTE[i % PALETTE.length]} isAnimationActive={false} />
          ))}
        </BarChart>
      </ResponsiveContainer>
    </section>
  );
});
/** Lines over an index (e.g. residual histories per iteration). */
export const IndexLines = memo(function IndexLines({ title, xLabel, yLabel, series, logY }: { title: string; xLabel: string; yLabel: string; series: { name: string; values: number[] }[]; logY: boolean }) {
  const n = series.reduce((m, s) => Math.max(m, s.values.length), 0);
  const step = Math.max(1, Math.ceil(n / 2000));
  const rows: Record<string, number | null>[] = [];
  for (let i = 0; i < n; i += step) {
    const row: Record<string, number | null> = { i };
    for (const s of series) {
      const v = s.values[i];
      row[s.name] = v !== undefined && Number.isFinite(v) && (!logY || v > 0) ? v : null;
    }
    rows.push(row);
  }
  return (
    <section className="chart" aria-label={title} data-points={rows.length}>
      <h3>{title}</h3>
      <ResponsiveContainer width="100%" height={220}>
        <LineChart data={rows} margin={{ top: 8, right: 16, bottom: 18, left: 8 }}>
          <CartesianGrid stroke="#e6e8ec" />
          <XAxis dataKey="i" type="number" domain={['dataMin', 'dataMax']} label={{ value: xLabel, position: 'insideBottom', offset: -8 }} />
          <YAxis scale={logY ? 'log' : 'linear'} domain={['auto', 'auto']} allowDataOverflow tickFormatter={tick} width={64} label={{ value: yLabel, angle: -90, position: 'insideLeft' }} />
          <Tooltip isAnimationActive={false} formatter={(v) => fmtNum(Number(v))} />
          <Legend verticalAlign="top" height={24} />
          {series.map((s, i) => (
            <Line key={s.name} dataKey={s.name} stroke={PALETTE[i % PALETTE.length]} dot={n <= 40} strokeWidth={1.6} isAnimationActive={false} connectNulls />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </section>
  );
});
