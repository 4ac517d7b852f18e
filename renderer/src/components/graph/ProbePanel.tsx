// What flowed on an edge in the last epoch of a finished run (the host's
// probe): a vector as a line with min/max/norm, a dense matrix as a heatmap, a
// sparse matrix as its spy plot and statistics, and for a parameter also its
// gradient.
import { useEffect, useState } from 'react';
import type { Probe, ProbeValues, SpyGrid } from '../../../../electron/common/lab-api.js';
import { api } from '../../api.js';
import { fmtInt, fmtNum } from '../../lib/format.js';
import { IndexLines } from '../Charts.js';
import { Heatmap } from '../Heatmap.js';
import { SpyPlot } from '../SpyPlot.js';

function Stats({ label, v, extra }: { label: string; v: ProbeValues; extra?: [string, string][] }) {
  return (
    <dl className="stats probe-stats" aria-label={`${label} statistics`}>
      {[...(extra ?? []), ['min', fmtNum(v.min)], ['max', fmtNum(v.max)], ['‖·‖₂', fmtNum(v.norm)]].map(([k, x]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{x}</dd>
        </div>
      ))}
    </dl>
  );
}

function Values({ title, shape, v }: { title: string; shape: number[]; v: ProbeValues }) {
  const values = v.values ?? [];
  if (values.length <= 1) return null;
  // A dense matrix sent whole is drawn as a grid; anything else (vectors, downsampled) as a line.
  if (shape.length === 2 && shape[0]! > 1 && shape[1]! > 1 && values.length === shape[0]! * shape[1]!) {
    return <Heatmap title={title} width={shape[1]!} height={shape[0]!} values={values} size={260} />;
  }
  return <IndexLines title={title} xLabel={values.length < (shape.reduce((a, b) => a * b, 1) || 0) ? 'index (downsampled)' : 'index'} yLabel="value" logY={false} series={[{ name: title, values }]} />;
}

export function ProbePanel({ runId, edgeId }: { runId: string; edgeId: string }) {
  const [probe, setProbe] = useState<Probe | null | { error: string } | undefined>(undefined);
  useEffect(() => {
    let live = true;
    setProbe(undefined);
    api.getProbe({ runId, edgeId }).then(
      (p) => live && setProbe(p),
      (e: Error) => live && setProbe({ error: e.message }),
    );
    return () => {
      live = false;
    };
  }, [runId, edgeId]);
  if (probe === undefined) return <p className="muted">Reading what flowed…</p>;
  if (probe === null) return <p className="muted">Nothing was recorded on this edge.</p>;
  if ('error' in probe) return <p className="field-error">{probe.error}</p>;
  const shape = probe.shape.length ? probe.shape.join(' × ') : 'scalar';
  return (
    <div className="probe" aria-label="What flowed in the last epoch">
      <h3>Last epoch of run 1: {probe.kind === 'sparse' ? `sparse ${shape}, ${fmtInt(probe.nnz)} stored` : `dense ${shape}`}</h3>
      <Stats label="values" v={probe} />
      {probe.kind === 'sparse' ? (
        <SpyPlot
          grid={{ matrixId: edgeId, rows: probe.shape[0] ?? 0, cols: probe.shape[1] ?? 0, width: probe.spy.width, height: probe.spy.height, max: Math.max(1, ...probe.spy.counts), counts: Uint32Array.from(probe.spy.counts) } satisfies SpyGrid}
          name={edgeId}
          nnz={probe.nnz}
          size={240}
        />
      ) : probe.shape.length === 0 ? (
        <p>value {fmtNum(probe.values[0])}</p>
      ) : (
        <Values title="values" shape={probe.shape} v={probe} />
      )}
      {probe.grad ? (
        <>
          <h3>Gradient of the loss</h3>
          <Stats label="gradient" v={probe.grad} />
          <Values title="gradient" shape={probe.kind === 'dense' ? probe.shape : [probe.grad.values?.length ?? 0]} v={probe.grad} />
        </>
      ) : null}
    </div>
  );
}
