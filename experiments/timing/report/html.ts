// report.html: one self-contained file (inline CSS and SVG, no scripts to run,
// no external references) with the machine, the notes, Table 2 with speedup
// columns, the charts (sparse vs dense, CPU vs GPU, log-log scaling with slopes),
// every measurement, and the canonical JSON embedded for re-import.
import { formatSeconds } from '../../bench/measure.js';
import { OP_PAIRS } from '../cases.js';
import type { DeviceKind, Measurement, TimingReport } from '../types.js';
import type { DType } from '../../../native/lib/index.js';
import { environmentLines } from './markdown.js';
import { barChart, type BarGroup, esc, logLogChart, PALETTE, type Series } from './svg.js';
import { buildTableView, type Cell, indexMeasurements, type MatrixRow, passLabel, SPEEDUP_COLUMNS, SPEEDUP_LEGEND, TIME_COLUMNS } from './table.js';

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px auto;max-width:1400px;padding:0 16px;color:#222}
h1{font-size:22px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #ddd}h3{font-size:15px}
table{border-collapse:collapse;margin:8px 0 16px;font-size:12.5px}th,td{border:1px solid #ddd;padding:3px 6px;vertical-align:top}
th{background:#f4f4f4;position:sticky;top:0}td.num{text-align:right;white-space:nowrap}td.absent,td.error{color:#999;font-style:italic}
td.error{color:#b00}tr.dense td:first-child{padding-left:16px}td.sp{background:#f8fbff}
.chart{margin:6px 12px 12px 0;border:1px solid #eee;background:#fff}.ct{font-weight:600;font-size:13px}.tick{font-size:10.5px;fill:#444}
.absent{font-size:9px;fill:#999}.grid{stroke:#eee}.axis{stroke:#888}.charts{display:flex;flex-wrap:wrap}
ol.notes li{color:#555}code{font-size:12px}details{margin:10px 0}
`;

/** Text safe for HTML; URLs are defanged so the file holds no http(s) reference even in quoted error messages. */
function t(s: string): string {
  return esc(s).replace(/\b(https?):\/\//gi, '$1[:]//');
}

function cellHtml(c: Cell, cls: string): string {
  const kind = c.m?.status && c.m.status !== 'ok' ? c.m.status : '';
  const note = c.note ? ` <sup>[${c.note}]</sup>` : '';
  return `<td class="${cls}${kind ? ` ${kind}` : ''}"${c.title ? ` title="${t(c.title)}"` : ''}>${t(c.text)}${note}</td>`;
}

function okMedian(m: Measurement | undefined): number | null {
  return m && m.status === 'ok' && m.stats ? m.stats.median_s : null;
}

function chartsSparseVsDense(r: TimingReport): string {
  const byId = indexMeasurements(r.measurements);
  const threads = r.options.threads[0] ?? 1;
  const out: string[] = [];
  for (const dtype of r.options.dtypes) {
    for (const pass of r.options.passes) {
      const groups: BarGroup[] = r.sizes.map((s) => {
        const sparseSuite = s.denseN === s.sparseN ? 'table2' : 'matched';
        const sp = byId.get(`${sparseSuite}/${s.op}/sparse/ours/cpu/${dtype}/${threads}t/${pass}/${s.denseN}`);
        const de = byId.get(`table2/${s.op}/dense/ours/cpu/${dtype}/${threads}t/${pass}/${s.denseN}`);
        const tde = byId.get(`table2/${s.op}/dense/torch/cpu/${dtype}/${threads}t/${pass}/${s.denseN}`);
        return {
          label: `${s.sparseTest} N=${s.denseN}`,
          bars: [
            { label: `${s.sparseTest} (ours, sparse)`, value: okMedian(sp), color: PALETTE[0]!, title: sp?.reason },
            { label: `${s.denseTest} (ours, dense)`, value: okMedian(de), color: PALETTE[1]!, title: de?.reason },
            { label: `${s.denseTest} (PyTorch, dense)`, value: okMedian(tde), color: PALETTE[3]!, title: tde?.reason },
          ],
        };
      });
      out.push(barChart({
        title: `Sparse vs dense at the same N — ${dtype}, ${passLabel(pass)}, ${threads} thread${threads === 1 ? '' : 's'}`,
        groups,
        legend: [{ label: 'ours, sparse', color: PALETTE[0]! }, { label: 'ours, dense', color: PALETTE[1]! }, { label: 'PyTorch, dense', color: PALETTE[3]! }],
      }));
    }
  }
  return out.join('');
}

function chartMatrix(r: TimingReport, rows: MatrixRow[]): string {
  const groups: BarGroup[] = rows.map((m) => ({
    label: `${m.test} ${passLabel(m.pass)}${r.options.threads.length > 1 ? ` ${m.threads}T` : ''}`,
    bars: [
      { label: 'sparse (ours)', value: m.sparse.m?.stats?.median_s ?? null, color: PALETTE[0]!, title: m.sparse.m?.reason },
      { label: 'dense (ours)', value: m.dense.m?.stats?.median_s ?? null, color: PALETTE[1]!, title: m.dense.m?.reason },
    ],
  }));
  return barChart({ title: 'Your matrix: sparse vs dense', groups, legend: [{ label: 'sparse (ours)', color: PALETTE[0]! }, { label: 'dense (ours)', color: PALETTE[1]! }], width: Math.max(500, 90 * groups.length) });
}

function chartsCpuVsGpu(r: TimingReport): string {
  const byId = indexMeasurements(r.measurements);
  const dtype: DType = r.options.dtypes.includes('float64') ? 'float64' : r.options.dtypes[0]!;
  const out: string[] = [];
  for (const pass of r.options.passes) {
    const groups: BarGroup[] = [];
    for (const s of r.sizes) {
      for (const variant of ['sparse', 'dense'] as const) {
        const n = variant === 'sparse' ? s.sparseN : s.denseN;
        const bars = r.options.threads.map((th, i) => {
          const m = byId.get(`table2/${s.op}/${variant}/ours/cpu/${dtype}/${th}t/${pass}/${n}`);
          return { label: `CPU ${th}T`, value: okMedian(m), color: PALETTE[i % 2 === 0 ? 0 : 7]!, title: m?.reason };
        });
        if (r.options.devices.includes('cuda' as DeviceKind)) {
          const g = byId.get(`table2/${s.op}/${variant}/ours/cuda/${dtype}/0t/${pass}/${n}`);
          bars.push({ label: 'GPU', value: okMedian(g), color: PALETTE[2]!, title: g?.reason });
        }
        groups.push({ label: variant === 'sparse' ? s.sparseTest : s.denseTest, bars });
      }
    }
    const legend = [...r.options.threads.map((th, i) => ({ label: `ours CPU, ${th} thread${th === 1 ? '' : 's'}`, color: PALETTE[i % 2 === 0 ? 0 : 7]! })), { label: 'ours GPU', color: PALETTE[2]! }];
    out.push(barChart({ title: `CPU vs GPU (ours) — ${dtype}, ${passLabel(pass)}`, groups, legend, width: 1000 }));
  }
  const why = r.environment.cuda.available ? '' : `<p>GPU bars are absent: ${t(r.environment.cuda.reason ?? 'no CUDA device')}.</p>`;
  return why + out.join('');
}

function chartsScaling(r: TimingReport): string {
  const ops = [...new Set(r.sweeps.map((s) => s.op))];
  return ops.map((op) => {
    const series: Series[] = r.sweeps.filter((s) => s.op === op).map((s, i) => ({
      label: `${passLabel(s.pass)} ${s.dtype} ${s.device === 'cpu' ? `${s.threads}T` : 'GPU'}`,
      color: PALETTE[(s.device === 'cuda' ? 2 : 0) + (i % 2) * 1 + (s.dtype === 'float32' ? 4 : 0)]!,
      marker: s.pass === 'forward' ? 'circle' : 'triangle',
      points: s.points.map((p) => ({ x: p.nnz, y: p.median_s, title: `N=${p.n}` })),
      fit: s.fit,
    }));
    return logLogChart({ title: `${OP_PAIRS[op].sparseTest}: time vs nnz`, xLabel: 'nnz of the matrix', series });
  }).join('');
}

function measurementRow(m: Measurement): string {
  const s = m.stats;
  const num = (v: number | undefined): string => `<td class="num">${v === undefined ? '' : t(formatSeconds(v))}</td>`;
  return `<tr id="m-${t(m.id)}"><td><code>${t(m.id)}</code></td><td>${t(m.test)}</td><td>${t(m.impl)}</td><td>${t(m.detail)}</td>`
    + `<td class="${m.status === 'ok' ? '' : m.status}">${t(m.status)}${m.reason ? `: ${t(m.reason)}` : ''}</td>`
    + `${num(s?.median_s)}${num(s?.min_s)}${num(s?.mean_s)}${num(s?.stddev_s)}${num(s?.max_s)}<td class="num">${s ? `${s.samples.length} × ${s.callsPerSample}` : ''}</td></tr>`;
}

/** The report as one self-contained HTML document. */
export function toHtml(r: TimingReport): string {
  const view = buildTableView(r);
  const h: string[] = [];
  h.push('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">');
  h.push(`<meta name="viewport" content="width=device-width, initial-scale=1"><title>${t(r.title)}</title><style>${CSS}</style></head><body>`);
  h.push(`<h1>${t(r.title)}</h1><p>${t(r.createdAt)}; wall time ${r.wall_s.toFixed(1)} s${r.cancelled ? '; <strong>cancelled</strong> (partial report)' : ''}; schema version ${r.schemaVersion}.</p>`);
  h.push(`<h2>Machine</h2><ul>${environmentLines(r).map((l) => `<li>${t(l)}</li>`).join('')}</ul>`);
  if (r.notes.length) h.push(`<h2>Notes</h2><ul>${r.notes.map((n) => `<li>${t(n)}</li>`).join('')}</ul>`);
  if (view.matrix.length) {
    h.push('<h2>Your matrix</h2><p>Medians per call; sparse vs dense = dense time / sparse time (&gt; 1: sparse faster).</p>');
    h.push('<table><tr><th>test</th><th>pass</th><th>threads</th><th>sparse (ours)</th><th>dense (ours)</th><th>sparse vs dense</th></tr>');
    for (const m of view.matrix) h.push(`<tr><td>${t(`${m.test} / ${m.denseTest}`)}</td><td>${passLabel(m.pass)}</td><td class="num">${m.threads}</td>${cellHtml(m.sparse, 'num')}${cellHtml(m.dense, 'num')}${cellHtml(m.speedup, 'num sp')}</tr>`);
    h.push('</table>');
    h.push(`<div class="charts">${chartMatrix(r, view.matrix)}</div>`);
  }
  if (r.sizes.length) {
    h.push('<h2>Sizes</h2><table><tr><th>op pair</th><th>sparse N</th><th>dense N</th><th>why the dense N is smaller</th></tr>');
    for (const s of r.sizes) h.push(`<tr><td>${t(`${s.sparseTest} / ${s.denseTest}`)}</td><td class="num">${s.sparseN}</td><td class="num">${s.denseN}</td><td>${t(s.denseScaledReason ?? '')}</td></tr>`);
    h.push('</table>');
    h.push(`<h2>Table 2</h2><p>${t(SPEEDUP_LEGEND)}</p>`);
  }
  for (const s of view.sections) {
    h.push(`<h3>${t(s.title)}</h3><table><tr><th>test</th><th>pass</th><th>N</th>${TIME_COLUMNS.map((c) => `<th>${t(c.label)}</th>`).join('')}${SPEEDUP_COLUMNS.map((c) => `<th>${t(c)}</th>`).join('')}</tr>`);
    for (const row of s.rows) {
      h.push(`<tr class="${row.variant}"><td>${t(row.test)}</td><td>${passLabel(row.pass)}</td><td class="num">${row.n}</td>${row.times.map((c) => cellHtml(c, 'num')).join('')}${row.speedups.map((c) => cellHtml(c, 'num sp')).join('')}</tr>`);
    }
    h.push('</table>');
  }
  if (view.footnotes.length) h.push(`<p>Reasons for absent cells:</p><ol class="notes">${view.footnotes.map((f) => `<li>${t(f)}</li>`).join('')}</ol>`);
  if (r.sizes.length) {
    h.push(`<h2>Sparse vs dense</h2><div class="charts">${chartsSparseVsDense(r)}</div>`);
    h.push(`<h2>CPU vs GPU</h2><div class="charts">${chartsCpuVsGpu(r)}</div>`);
  }
  if (r.sweeps.length) {
    h.push(`<h2>Figure 11: scaling (time vs nnz, log-log)</h2><p>Dashed lines are least-squares fits in log space; circles are forward passes, triangles forward+backward.</p><div class="charts">${chartsScaling(r)}</div>`);
    h.push('<table><tr><th>op</th><th>pass</th><th>dtype</th><th>device</th><th>threads</th><th>slope</th><th>r²</th><th>points</th></tr>');
    for (const s of r.sweeps) h.push(`<tr><td>${t(s.test)}</td><td>${passLabel(s.pass)}</td><td>${s.dtype}</td><td>${s.device}</td><td class="num">${s.threads}</td><td class="num">${s.fit ? s.fit.slope.toFixed(2) : '—'}</td><td class="num">${s.fit ? s.fit.r2.toFixed(3) : '—'}</td><td class="num">${s.points.length}</td></tr>`);
    h.push('</table>');
  }
  h.push(`<h2>Peers</h2><table><tr><th>peer</th><th>available</th><th>version</th><th>build</th><th>device</th><th>reason</th></tr>${r.peers.map((p) => `<tr><td>${t(p.name)}</td><td>${p.available ? 'yes' : 'no'}</td><td>${t(p.version ?? '')}</td><td>${t(p.build ?? '')}</td><td>${t(p.device ?? '')}</td><td>${t(p.reason ?? '')}</td></tr>`).join('')}</table>`);
  h.push(`<h2>Every measurement</h2><details open><summary>${r.measurements.length} measurements (samples are in the embedded JSON and in report.json / report.csv)</summary><table><tr><th>id</th><th>test</th><th>impl</th><th>what was called</th><th>status</th><th>median</th><th>min</th><th>mean</th><th>stddev</th><th>max</th><th>samples × calls</th></tr>`);
  for (const m of r.measurements) h.push(measurementRow(m));
  h.push('</table></details>');
  // The canonical JSON, inert (type application/json is never executed); '<' escaped so it cannot close the element.
  const json = JSON.stringify(r).replace(/</g, '\\u003c').replace(/\b(https?):\/\//gi, '$1:\\/\\/');
  h.push(`<script type="application/json" id="timing-report">${json}</script>`);
  h.push('</body></html>');
  return h.join('\n');
}

