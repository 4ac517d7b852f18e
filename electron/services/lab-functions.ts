// The one place the lab calls into the engine (native/lib) and the experiments
// (experiments/): reading and generating matrices, statistics, spy bins,
// presets, spec validation, runs, timing and reports. It runs inside pool
// threads (worker.ts). Everything here adapts those APIs to the LabApi's
// shapes; nothing here re-implements them.
import {
  CsrMatrix,
  Generator,
  buildInfo,
  devices,
  matrixStats,
  poisson1d,
  poisson2d,
  readMatrixMarket,
  spyBins as engineSpyBins,
  type MatrixMarketHeader,
} from '../../native/lib/index.js';
import { defaultDataDir } from '../../experiments/compile/common.js';
import {
  matrixTimingReport,
  PEER_NAMES,
  runTimingStudy,
  toCsv,
  toHtml,
  toJson,
  toMarkdown,
  type Measurement,
  type Sweep,
  type TimingReport,
  type TimingStudyOptions,
} from '../../experiments/timing/index.js';
import {
  exportTypeScript as graphScript,
  GraphError,
  nodeCatalogue,
  runGraph,
  templates as graphTemplates,
  toGraph,
  validateGraph as checkGraph,
  type GraphResult,
} from '../../experiments/graph/index.js';
import type { ExperimentEvent } from '../../experiments/runner/types.js';
import { PRESETS } from '../../experiments/spec/presets.js';
import { SpecError, validateSpec as validateProblemSpec } from '../../experiments/spec/validate.js';
import type {
  EngineInfo,
  GeneratorParams,
  GraphValidation,
  NodeKindInfo,
  MatrixHeader,
  MatrixStatistics,
  ParamSnapshot,
  ParamView,
  PresetInfo,
  Probe,
  ProblemGraph,
  ReportFormat,
  RunPoint,
  SeriesInfo,
  SpecValidation,
  TemplateInfo,
  TimingOp,
  TimingRequest,
  TimingRow,
  TimingSweep,
} from '../common/lab-api.js';
import type { SharedCsr, SpyBins } from './worker-protocol.js';

// ---------------------------------------------------------------------------
// Matrices

export function engineInfo(): EngineInfo {
  return { ...buildInfo(), cudaDevices: devices() };
}

export async function readMatrix(path: string, name: string): Promise<{ matrix: CsrMatrix; header: MatrixHeader }> {
  const { matrix, header } = await readMatrixMarket(path, { name });
  return { matrix, header: headerOf(header) };
}

function headerOf(h: MatrixMarketHeader): MatrixHeader {
  return { format: h.format, field: h.field, symmetry: h.symmetry, duplicates: h.duplicates, comments: h.comments.slice(0, 20) };
}

export function statistics(matrix: CsrMatrix, header: MatrixHeader): MatrixStatistics {
  return matrixStats(matrix, { pattern: header.field === 'pattern' });
}

export function spyBins(matrix: CsrMatrix, width: number, height: number): SpyBins {
  const { width: w, height: h, counts, max } = engineSpyBins(matrix, width, height);
  return { width: w, height: h, counts, max };
}

/** The bins for a plot at most `max` pixels on its long side, keeping the matrix's aspect ratio. */
export function spyGridSize(rows: number, cols: number, max: number): { width: number; height: number } {
  const long = Math.max(rows, cols, 1);
  const scale = Math.min(1, max / long);
  return { width: Math.max(1, Math.round(cols * scale)), height: Math.max(1, Math.round(rows * scale)) };
}

export function generate(params: GeneratorParams): { matrix: CsrMatrix; header: MatrixHeader } {
  const header = (symmetry: string): MatrixHeader => ({ format: 'generated', field: 'real', symmetry, duplicates: 0, comments: [] });
  switch (params.kind) {
    case 'poisson1d':
      return { matrix: poisson1d(params.n), header: header('symmetric') };
    case 'poisson2d':
      return { matrix: poisson2d(params.nx, params.ny), header: header('symmetric') };
    case 'random':
      return { matrix: randomSparse(params), header: header('general') };
  }
}

/** A random sparse matrix: about density·rows·cols entries at uniform positions, standard normal values. */
function randomSparse(p: { rows: number; cols: number; density: number; seed: number }): CsrMatrix {
  const target = Math.round(p.density * p.rows * p.cols);
  if (target > 50_000_000) throw new Error(`random sparse: ${p.rows}×${p.cols} at density ${p.density} is ${target} entries, more than the 50,000,000 the lab generates`);
  const gen = new Generator(p.seed);
  const r = new Int32Array(target);
  const c = new Int32Array(target);
  const v = new Float64Array(target);
  for (let k = 0; k < target; k++) {
    r[k] = Math.min(p.rows - 1, Math.floor(gen.uniform() * p.rows));
    c[k] = Math.min(p.cols - 1, Math.floor(gen.uniform() * p.cols));
    v[k] = gen.normal();
  }
  // Positions drawn twice are summed (fromCoo), so nnz can be slightly below the target.
  return CsrMatrix.fromCoo(r, c, v, [p.rows, p.cols]);
}

/** CSR arrays over SharedArrayBuffers (float64 values), so the host stores and re-sends them without copies. */
export function toShared(matrix: CsrMatrix): SharedCsr {
  const { indptr, indices } = matrix.pattern.raw;
  const share = <T extends Int32Array | Float64Array>(Ctor: new (b: SharedArrayBuffer) => T, src: ArrayLike<number>, bytes: number): T => {
    const out = new Ctor(new SharedArrayBuffer(Math.max(bytes * src.length, 0)));
    (out as unknown as { set(a: ArrayLike<number>): void }).set(src);
    return out;
  };
  return {
    rows: matrix.rows,
    cols: matrix.cols,
    indptr: share(Int32Array, indptr, 4),
    indices: share(Int32Array, indices, 4),
    values: share(Float64Array, matrix.values.data, 8),
  };
}

export function fromShared(csr: SharedCsr): CsrMatrix {
  return CsrMatrix.fromCsr(csr.indptr, csr.indices, csr.values, [csr.rows, csr.cols]);
}

// ---------------------------------------------------------------------------
// Problems

const PRESET_TITLES: Record<string, string> = {
  jacobi: 'Jacobi',
  heavyball: 'Heavyball',
  pcg: 'PCG',
  gcn: 'GCN',
};

export function presets(): PresetInfo[] {
  return Object.entries(PRESETS).map(([name, spec]) => ({
    name,
    title: PRESET_TITLES[name] ?? name,
    description: spec.description,
    spec: structuredClone(spec) as unknown as Record<string, unknown>,
  }));
}

export function validateSpec(spec: unknown): SpecValidation {
  try {
    return { ok: true, spec: validateProblemSpec(spec) as unknown as Record<string, unknown> };
  } catch (e) {
    // Every offending field, by its path inside the spec ("" for the whole spec).
    if (e instanceof SpecError) return { ok: false, errors: e.issues.map((i) => ({ path: i.field.replace(/^spec\.?/, ''), message: i.message })) };
    throw e;
  }
}

export interface RunSink {
  start(info: { method: string; epochs: number; runs: number }): void;
  points(points: RunPoint[], params: ParamSnapshot[], series: SeriesInfo[] | null): void;
  progress(progress: number, message: string, etaSeconds: number | null): void;
}

const LOSS_LABELS: Record<string, string> = { train: 'training loss', test: 'test loss' };

/** trainAccuracy → "train accuracy", W1Norm → "W1 norm". */
function words(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, (_m, a: string, b: string) => `${a} ${b.toLowerCase()}`);
}

// ---------------------------------------------------------------------------
// Problem graphs (experiments/graph): the catalogue, templates, validation and
// export pass through as they are; the types in lab-api.ts mirror them.

export function graphCatalogue(): NodeKindInfo[] {
  return nodeCatalogue();
}

export function templates(): TemplateInfo[] {
  return graphTemplates();
}

/** Never throws for a bad graph: its issues come back on the nodes and edges they concern. */
export async function validateGraph(graph: unknown, dataDir: string | undefined): Promise<GraphValidation> {
  let input = graph;
  if (!(graph && typeof graph === 'object' && (graph as { version?: unknown }).version === 2)) {
    // A v1 spec: converted first, its conversion errors reported as the graph's issues.
    try {
      input = toGraph(graph);
    } catch (e) {
      if (e instanceof GraphError) return { ok: false, issues: e.issues, ports: {} };
      throw e;
    }
  }
  return (await checkGraph(input, { dataDir: dataDir ?? defaultDataDir() })) as GraphValidation;
}

/** The graph (or v1 spec) as a TypeScript script, named after the graph. */
export function exportTypeScript(graph: unknown): { fileName: string; text: string } {
  const g = toGraph(graph);
  const base = g.name.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '') || 'problem';
  return { fileName: `${base}.ts`, text: graphScript(g) };
}

/** The result without its probes (they are saved apart, in probes.json, and fetched one edge at a time). */
export interface RunOutcome {
  result: Omit<GraphResult, 'probes'>;
  graph: ProblemGraph;
  views: ParamView[];
  probes: Record<string, Probe>;
  series: SeriesInfo[];
}

/**
 * Runs a graph (or a v1 spec, converted) through the one runner, turning its
 * events into per-epoch points (scalar losses, metrics and parameters by key)
 * and snapshots of vector parameters (at most ~200 per run, and the last).
 */
export async function runProblem(spec: unknown, dataDir: string | undefined, sink: RunSink, signal: AbortSignal): Promise<RunOutcome> {
  const series = new Map<string, SeriesInfo>();
  let snapshotEvery = 1;
  let epochs = 1;
  let runs = 1;
  const onEvent = (e: ExperimentEvent): void => {
    switch (e.type) {
      case 'start':
        epochs = e.epochs;
        runs = e.runs;
        snapshotEvery = Math.max(1, Math.ceil(e.epochs / 200));
        sink.start({ method: String(e.method), epochs: e.epochs, runs: e.runs });
        break;
      case 'epoch': {
        const values: Record<string, number> = {};
        const params: ParamSnapshot[] = [];
        let added = false;
        const note = (key: string, label: string, group: SeriesInfo['group']): void => {
          if (!series.has(key)) {
            series.set(key, { key, label, group });
            added = true;
          }
        };
        for (const [k, v] of Object.entries(e.losses)) {
          values[`loss.${k}`] = v;
          note(`loss.${k}`, LOSS_LABELS[k] ?? `${k} loss`, 'loss');
        }
        for (const [k, v] of Object.entries(e.metrics)) {
          values[`metric.${k}`] = v;
          note(`metric.${k}`, words(k), 'metric');
        }
        for (const [k, v] of Object.entries(e.parameters)) {
          if (typeof v === 'number') {
            values[`param.${k}`] = v;
            note(`param.${k}`, words(k), 'parameter');
          } else if (e.epoch % snapshotEvery === 0 || e.epoch === epochs - 1) {
            params.push({ run: e.run, epoch: e.epoch, name: k, values: v });
          }
        }
        sink.points([{ run: e.run, epoch: e.epoch, values }], params, added ? [...series.values()] : null);
        const done = e.step / e.totalSteps;
        const eta = done > 0 ? (e.elapsed * (1 - done)) / done : null;
        sink.progress(done, progressText(e.run, runs, e.epoch, epochs), eta);
        break;
      }
      default:
        break;
    }
  };
  const { probes, ...result } = await runGraph(spec, { signal, onEvent, dataDir: dataDir ?? defaultDataDir() });
  return {
    result,
    graph: result.spec as unknown as ProblemGraph,
    views: (result.views ?? []) as ParamView[],
    probes: (probes ?? {}) as Record<string, Probe>,
    series: [...series.values()],
  };
}

/** "run 2 of 5, epoch 200 of 200" (1-based, as a person counts). */
export function progressText(run: number, runs: number, epoch: number, epochs: number): string {
  return `${runs > 1 ? `run ${run + 1} of ${runs}, ` : ''}epoch ${epoch + 1} of ${epochs}`;
}

// ---------------------------------------------------------------------------
// Timing (experiments/timing): the Table-2 suite with its sweeps, or one op on
// a loaded matrix, as the study's canonical report plus the rows the view draws.

export interface TimingOutcome {
  report: TimingReport;
  rows: TimingRow[];
  sweeps: TimingSweep[];
  environment: Record<string, unknown>;
}

function implLabel(m: Pick<Measurement, 'impl' | 'variant'>): string {
  return m.impl === 'ours' ? m.variant : `${PEER_NAMES[m.impl]} ${m.variant}`;
}

export function timingRows(report: TimingReport): TimingRow[] {
  return report.measurements.map((m) => ({
    suite: m.suite,
    op: m.op,
    test: m.test,
    impl: implLabel(m),
    pass: m.pass,
    device: m.device,
    dtype: m.dtype,
    threads: m.threads,
    n: m.n,
    nnz: m.nnz,
    medianSeconds: m.stats?.median_s ?? null,
    minSeconds: m.stats?.min_s ?? null,
    maxSeconds: m.stats?.max_s ?? null,
    ...(m.status !== 'ok' ? { note: `${m.status}: ${m.reason ?? ''}` } : {}),
  }));
}

export function timingSweeps(report: TimingReport): TimingSweep[] {
  return report.sweeps.map((s: Sweep) => ({
    op: s.test,
    impl: `${implLabel({ impl: s.impl, variant: 'sparse' })} ${s.dtype} ${s.threads ? `${s.threads}T` : ''} ${s.pass}`.replace(/\s+/g, ' ').trim(),
    device: s.device,
    points: s.points.map((p) => ({ nnz: p.nnz, seconds: p.median_s })),
    slope: s.fit?.slope ?? null,
  }));
}

function outcome(report: TimingReport): TimingOutcome {
  const e = report.environment;
  return {
    report,
    rows: timingRows(report),
    sweeps: timingSweeps(report),
    environment: { cpu: e.cpu.model, cores: e.cpu.cores, blas: e.addon.blas, gemm: e.addon.gemmBackend, cuda: e.cuda.available, python: e.python.version },
  };
}

export async function runTimingSuite(
  request: Extract<TimingRequest, { kind: 'suite' }>,
  onProgress: (progress: number, label: string) => void,
  signal: AbortSignal,
): Promise<TimingOutcome> {
  const options: TimingStudyOptions = { quick: request.quick, ...(request.peers ? {} : { peers: [] }), ...(request.sweep ? {} : { sweep: false }) };
  if (request.ops) options.ops = request.ops;
  if (request.dtypes) options.dtypes = request.dtypes;
  if (request.size) options.sizes = Object.fromEntries((request.ops ?? []).map((op) => [op, request.size!]));
  if (request.size && !request.ops) throw new Error('timing: a size needs the ops it applies to');
  const report = await runTimingStudy(options, (p) => onProgress(p.total > 0 ? p.done / p.total : 0, `${p.phase}: ${p.label}`), signal);
  return outcome(report);
}

/** Times `op` (sparse and its dense counterpart) on a loaded matrix, as the study's report of suite 'matrix'. */
export async function runTimingOnMatrix(
  matrix: CsrMatrix,
  name: string,
  op: TimingOp,
  onProgress: (progress: number, label: string) => void,
  signal: AbortSignal,
): Promise<TimingOutcome> {
  const report = await matrixTimingReport(matrix, { name, ops: [op], signal, onProgress: (done, total, label) => onProgress(total ? done / total : 0, label) });
  return outcome(report);
}

const MIME: Record<ReportFormat, string> = { csv: 'text/csv', json: 'application/json', html: 'text/html', md: 'text/markdown' };

/** The report in one of the study's formats (its own writers). */
export function reportText(report: TimingReport, format: ReportFormat): { text: string; mimeType: string } {
  const text = format === 'csv' ? toCsv(report) : format === 'json' ? toJson(report) : format === 'html' ? toHtml(report) : toMarkdown(report);
  return { text, mimeType: MIME[format] };
}
