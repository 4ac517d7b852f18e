// The Table-2-like view of a report, shared by the Markdown and HTML writers:
// one section per dtype and CPU thread count, one row per test and pass, a
// column per implementation and the speedup columns. Absent cells carry their
// reason as a numbered footnote; a cell is never shown as a zero time.
import { formatSeconds } from '../../bench/measure.js';
import { OP_PAIRS } from '../cases.js';
import { formatSpeedup, speedup } from '../stats.js';
import type { DeviceKind, Impl, Measurement, OpName, Pass, TimingReport, Variant } from '../types.js';
import type { DType } from '../../../native/lib/index.js';

export interface Column {
  key: string;
  label: string;
  impl: Impl;
  device: DeviceKind;
}

/** The time columns, in the paper's order (ours CPU, SciPy, PyTorch, ours GPU, CuPy) plus PyTorch on GPU. */
export const TIME_COLUMNS: Column[] = [
  { key: 'ours-cpu', label: 'ours CPU', impl: 'ours', device: 'cpu' },
  { key: 'scipy-cpu', label: 'SciPy CPU', impl: 'scipy', device: 'cpu' },
  { key: 'torch-cpu', label: 'PyTorch CPU', impl: 'torch', device: 'cpu' },
  { key: 'ours-cuda', label: 'ours GPU', impl: 'ours', device: 'cuda' },
  { key: 'torch-cuda', label: 'PyTorch GPU', impl: 'torch', device: 'cuda' },
  { key: 'cupy-cuda', label: 'CuPy GPU', impl: 'cupy', device: 'cuda' },
];

export const SPEEDUP_COLUMNS = ['sparse vs dense', 'GPU vs CPU', 'vs SciPy', 'vs PyTorch', 'vs CuPy'] as const;

export interface Cell {
  text: string;
  /** The measurement behind the cell, when there is one. */
  m?: Measurement;
  /** Footnote number of the reason (absent / error cells). */
  note?: number;
  title?: string;
}

export interface Row {
  op: OpName;
  variant: Variant;
  test: string;
  pass: Pass;
  n: number;
  times: Cell[];
  speedups: Cell[];
}

export interface Section {
  dtype: DType;
  threads: number;
  title: string;
  rows: Row[];
}

/** A row of the "Your matrix" table: one op, pass and thread count, sparse beside dense. */
export interface MatrixRow {
  op: OpName;
  test: string;
  denseTest: string;
  pass: Pass;
  threads: number;
  sparse: Cell;
  dense: Cell;
  speedup: Cell;
}

export interface TableView {
  sections: Section[];
  /** Rows of suite 'matrix' (a user's own matrix), empty for a study. */
  matrix: MatrixRow[];
  /** Footnotes: number → reason. */
  footnotes: string[];
}

export function indexMeasurements(ms: readonly Measurement[]): Map<string, Measurement> {
  const map = new Map<string, Measurement>();
  for (const m of ms) map.set(m.id, m);
  return map;
}

function idOf(suite: string, op: string, variant: string, impl: string, device: string, dtype: string, threads: number, pass: string, n: number): string {
  return `${suite}/${op}/${variant}/${impl}/${device}/${dtype}/${threads}t/${pass}/${n}`;
}

const okTime = (m: Measurement | undefined): number | null => (m && m.status === 'ok' && m.stats ? m.stats.median_s : null);

export function buildTableView(report: TimingReport): TableView {
  const byId = indexMeasurements(report.measurements);
  const footnotes: string[] = [];
  const noteOf = (reason: string): number => {
    let i = footnotes.indexOf(reason);
    if (i < 0) i = footnotes.push(reason) - 1;
    return i + 1;
  };
  const cellOf = (m: Measurement | undefined): Cell => {
    if (!m) return { text: 'not run' };
    if (m.status === 'ok' && m.stats) return { text: formatSeconds(m.stats.median_s), m, title: `${m.detail}; median of ${m.stats.samples.length} samples (min ${formatSeconds(m.stats.min_s)}, max ${formatSeconds(m.stats.max_s)})` };
    const reason = m.reason ?? 'no reason given';
    return { text: m.status === 'error' ? 'error' : 'absent', m, note: noteOf(reason), title: reason };
  };
  const sp = (s: number | null, suffix = ''): Cell => ({ text: s === null ? '—' : `${formatSpeedup(s)}${suffix}` });

  const sections: Section[] = [];
  const gpuThreads = 0;
  for (const dtype of report.options.dtypes) {
    for (const threads of report.options.threads) {
      const rows: Row[] = [];
      for (const plan of report.sizes) {
        for (const variant of ['sparse', 'dense'] as Variant[]) {
          const n = variant === 'sparse' ? plan.sparseN : plan.denseN;
          for (const pass of report.options.passes) {
            const at = (impl: Impl, device: DeviceKind): Measurement | undefined =>
              byId.get(idOf('table2', plan.op, variant, impl, device, dtype, device === 'cpu' ? threads : gpuThreads, pass, n));
            const cells = TIME_COLUMNS.map((c) => at(c.impl, c.device));
            const [oursCpu, scipy, torch, oursGpu, , cupy] = cells;
            let sparseVsDense: Cell = { text: '' };
            if (variant === 'sparse') {
              const dense = okTime(byId.get(idOf('table2', plan.op, 'dense', 'ours', 'cpu', dtype, threads, pass, plan.denseN)));
              const sparseAtDenseN = plan.denseN === plan.sparseN
                ? okTime(oursCpu)
                : okTime(byId.get(idOf('matched', plan.op, 'sparse', 'ours', 'cpu', dtype, threads, pass, plan.denseN)));
              sparseVsDense = sp(speedup(dense, sparseAtDenseN), plan.denseN === plan.sparseN ? '' : ` (N=${plan.denseN})`);
            }
            rows.push({
              op: plan.op, variant, test: variant === 'sparse' ? OP_PAIRS[plan.op].sparseTest : OP_PAIRS[plan.op].denseTest, pass, n,
              times: cells.map(cellOf),
              speedups: [
                sparseVsDense,
                sp(speedup(okTime(oursCpu), okTime(oursGpu))),
                sp(speedup(okTime(scipy), okTime(oursCpu))),
                sp(speedup(okTime(torch), okTime(oursCpu))),
                sp(speedup(okTime(cupy), okTime(oursGpu))),
              ],
            });
          }
        }
      }
      if (rows.length) sections.push({ dtype, threads, title: `${dtype}, CPU ${threads} thread${threads === 1 ? '' : 's'}`, rows });
    }
  }
  const matrix: MatrixRow[] = [];
  const seen = new Set<string>();
  for (const m of report.measurements) {
    if (m.suite !== 'matrix') continue;
    const key = `${m.op}/${m.pass}/${m.threads}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const sparse = byId.get(idOf('matrix', m.op, 'sparse', 'ours', 'cpu', m.dtype, m.threads, m.pass, m.n));
    const dense = byId.get(idOf('matrix', m.op, 'dense', 'ours', 'cpu', m.dtype, m.threads, m.pass, m.n));
    matrix.push({
      op: m.op, test: OP_PAIRS[m.op].sparseTest, denseTest: OP_PAIRS[m.op].denseTest, pass: m.pass, threads: m.threads,
      sparse: cellOf(sparse), dense: cellOf(dense), speedup: sp(speedup(okTime(dense), okTime(sparse))),
    });
  }
  return { sections, matrix, footnotes };
}

export const SPEEDUP_LEGEND =
  'Times are medians per call. Speedups are how many times faster ours is (> 1: ours faster): ' +
  'sparse vs dense = our dense time / our sparse time at the same N; GPU vs CPU = our CPU time / our GPU time; ' +
  'vs a peer = the peer\'s time / ours on the same device (sparse rows against the peer\'s sparse op, dense rows against its dense op).';

export function passLabel(p: Pass): string {
  return p === 'forward' ? 'forward' : 'fwd+bwd';
}
