// The one API the renderer sees (STYLE.md §4): implemented by the preload in the
// app (ipcRenderer.invoke) and by a WebSocket client in browser mode, both built
// from LAB_METHODS below, so the two cannot drift. Every method takes one params
// object and returns a promise; the host validates params against
// ./lab-schema.ts before anything runs. No platform imports here.
import type { z } from 'zod';
import type { LAB_SCHEMAS, LabParams, GeneratorParamsSchema, MatrixSourceSchema, ReportFormatSchema, TimingOpSchema, TimingRequestSchema } from './lab-schema.js';
import type { SweepDetail, SweepField, SweepMeta, SweepPreview } from './sweep-api.js';
export type * from './sweep-api.js';

// ---------------------------------------------------------------------------
// The app and its compute host

export type AppMode = 'electron' | 'browser';

export interface EngineInfo {
  cuda: boolean;
  blas: string;
  klu: boolean;
  hardwareThreads: number;
  /** What device 'cuda' is (an emulated one is host memory, for tests). */
  cudaDevices: { index: number; name: string; totalMemory: number; computeCapability: string; emulated: boolean }[];
}

export interface LabInfo {
  mode: AppMode;
  version: string;
  versions: Record<string, string>;
  platform: string;
  cpu: { model: string; cores: number };
  memoryBytes: number;
  engine: EngineInfo | { error: string };
  dataDir: string;
  poolThreads: number;
  /** pdf: printToPDF (the app only). filePaths: dropped files resolve to paths. */
  capabilities: { pdf: boolean; filePaths: boolean };
}

// ---------------------------------------------------------------------------
// Jobs: every long operation is one, streams progress, can be cancelled.

export type JobKind = 'load-matrix' | 'generate-matrix' | 'spy-plot' | 'run-problem' | 'run-timing' | 'export-report';
export type JobState = 'queued' | 'running' | 'finished' | 'cancelled' | 'failed';

export interface JobInfo {
  id: string;
  kind: JobKind;
  label: string;
  state: JobState;
  /** 0..1 */
  progress: number;
  etaSeconds: number | null;
  message?: string;
  error?: string;
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  /** The object the job produces or works on. */
  matrixId?: string;
  runId?: string;
  timingId?: string;
}

export interface JobRef {
  jobId: string;
}

// ---------------------------------------------------------------------------
// Matrices (they stay in the compute host; the renderer gets summaries)

// The shapes the host validates are described once, as zod schemas in
// ./lab-schema.ts; their types are inferred here.
export type GeneratorParams = z.infer<typeof GeneratorParamsSchema>;

/** A file the host can read (the app: a dropped file's path), or its bytes (browser mode: the browser gives no paths). */
export type MatrixSource = z.infer<typeof MatrixSourceSchema>;

export type MatrixOrigin = { kind: 'file'; path: string } | { kind: 'generator'; params: GeneratorParams };

export interface MatrixHeader {
  format: string;
  field: string;
  symmetry: string;
  /** Entries that repeated a position and were summed. */
  duplicates: number;
  comments: string[];
}

/** The engine's matrix statistics (native/lib/stats.ts), each O(nnz). */
export interface MatrixStatistics {
  rows: number;
  cols: number;
  nnz: number;
  explicitZeros: number;
  density: number;
  square: boolean;
  patternSymmetric: boolean;
  numericSymmetric: boolean;
  patternSymmetry: number | null;
  numericSymmetry: number | null;
  diagonalNnz: number;
  zeroDiagonals: number;
  bandwidth: { lower: number; upper: number };
  rowLength: { min: number; mean: number; max: number };
  emptyRows: number;
  spd: { likely: boolean | null; certain: boolean; method: string; reason: string };
}

export interface MatrixSummary {
  id: string;
  name: string;
  origin: MatrixOrigin;
  state: 'loading' | 'ready' | 'failed';
  error?: string;
  jobId?: string;
  rows?: number;
  cols?: number;
  nnz?: number;
  header?: MatrixHeader;
  stats?: MatrixStatistics;
  /** Seconds from the request to the summary (read + statistics + spy bins). */
  loadSeconds?: number;
  bytes?: number;
}

/** Nonzero counts binned to a height×width grid (row-major), for a canvas spy plot. */
export interface SpyGrid {
  matrixId: string;
  rows: number;
  cols: number;
  width: number;
  height: number;
  max: number;
  counts: Uint32Array;
}

// ---------------------------------------------------------------------------
// Problems and runs (issue 4's specs; the host adapts its events into these)

export interface PresetInfo {
  name: string;
  title: string;
  description: string;
  spec: Record<string, unknown>;
}

export interface SpecIssue {
  /** Dotted path of the offending field, e.g. "optimizer.lr" ("" for the whole spec). */
  path: string;
  message: string;
}

export type SpecValidation = { ok: true; spec: Record<string, unknown> } | { ok: false; errors: SpecIssue[] };

export type RunState = 'running' | 'finished' | 'cancelled' | 'failed';

/** A scalar series a run reports per epoch, and which chart it belongs in. */
export interface SeriesInfo {
  key: string;
  label: string;
  group: 'loss' | 'metric' | 'parameter';
}

export interface RunMeta {
  id: string;
  name: string;
  method: string;
  state: RunState;
  error?: string;
  createdAt: number;
  finishedAt?: number;
  epochs: number;
  runs: number;
  series: SeriesInfo[];
  summary?: Record<string, unknown>;
  folder: string;
  jobId?: string;
}

/** One epoch of one run: its scalar series by key. */
export interface RunPoint {
  run: number;
  epoch: number;
  values: Record<string, number>;
}

/** A vector-valued parameter at an epoch (e.g. Jacobi weights by node). */
export interface ParamSnapshot {
  run: number;
  epoch: number;
  name: string;
  values: number[];
}

/** A figure of a finished run that is not a per-epoch curve: bars or lines over an index, or a heatmap of a grid. */
export type ParamView =
  | {
      kind: 'bars' | 'lines';
      title: string;
      xLabel: string;
      yLabel: string;
      logY: boolean;
      series: { name: string; values: number[] }[];
    }
  | {
      kind: 'heatmap';
      title: string;
      width: number;
      height: number;
      /** Row-major, height × width. */
      values: number[];
      /** The colour scale's ends (default: the values' own range), so two heatmaps can share one. */
      min?: number;
      max?: number;
    };

export interface RunRecord {
  meta: RunMeta;
  /** The problem as run: a v2 graph (a v1 spec is converted before it runs). */
  spec: Record<string, unknown>;
  points: RunPoint[];
  params: ParamSnapshot[];
  views: ParamView[];
  /** Edges whose last-epoch values were recorded (getProbe answers for these). */
  probeEdges: string[];
}

// ---------------------------------------------------------------------------
// Problem graphs (issue 14): JSON-safe mirrors of experiments/graph's types, so
// the renderer needs no engine code. lab-functions.ts checks they stay assignable.

export type PortType = 'sparse' | 'dense' | 'index';
export type NodeCategory = 'sources' | 'parameters' | 'sparse ops' | 'solvers' | 'structure' | 'dense ops' | 'iteration' | 'losses' | 'outputs';

export interface PortDef {
  name: string;
  type: PortType;
  optional?: boolean;
  description: string;
}

export interface NodeKindInfo {
  kind: string;
  category: NodeCategory;
  title: string;
  description: string;
  inputs: PortDef[];
  outputs: PortDef[];
  /** JSON Schema of the node's fields: properties with type, enum, minimum, maximum, default, description. */
  fields: Record<string, unknown>;
  /** The fields a freshly dropped node gets. */
  defaults: Record<string, unknown>;
}

export interface GraphNode {
  id: string;
  kind: string;
  label?: string;
  fields: Record<string, unknown>;
  /** Editor layout only. */
  position?: { x: number; y: number };
}

export interface GraphEdge {
  id: string;
  from: { node: string; port: string };
  to: { node: string; port: string };
}

export interface Training {
  optimizer: {
    kind: 'adam' | 'adamw' | 'sgd';
    lr: number;
    betas: [number, number];
    eps: number;
    momentum: number;
    /** One value, or one per parameter node id. */
    weightDecay: number | Record<string, number>;
  };
  epochs: number;
  runs: number;
  seed: number;
  dtype: 'float64' | 'float32';
  device: 'cpu' | 'cuda';
}

export interface ProblemGraph {
  version: 2;
  name: string;
  description?: string;
  notes?: string[];
  nodes: GraphNode[];
  edges: GraphEdge[];
  training: Training;
}

/** Where something is wrong: on a node (optionally one of its fields or ports) or on an edge. */
export interface GraphIssue {
  nodeId?: string;
  edgeId?: string;
  port?: string;
  field?: string;
  message: string;
}

export interface PortShape {
  type: PortType;
  shape: number[];
  dtype: 'float64' | 'float32' | 'int32';
}

/** nodeId → output port → what flows out of it (inferred where possible, also for an invalid graph). */
export type PortShapes = Record<string, Record<string, PortShape>>;

export type GraphValidation = { ok: true; graph: ProblemGraph; ports: PortShapes } | { ok: false; issues: GraphIssue[]; ports: PortShapes };

export interface TemplateInfo {
  name: string;
  title: string;
  description: string;
  notes: string[];
  graph: ProblemGraph;
}

/** Values downsampled to at most ~2k, with their statistics over all of them. */
export interface ProbeValues {
  min: number;
  max: number;
  norm: number;
  values?: number[];
}

/** What flowed on an edge in the last epoch of run 0 (and, leaving a parameter, its gradient). */
export type Probe =
  | ({ kind: 'dense'; shape: number[]; values: number[]; grad?: ProbeValues } & ProbeValues)
  | ({ kind: 'sparse'; shape: number[]; nnz: number; spy: { width: number; height: number; counts: number[] }; grad?: ProbeValues } & ProbeValues);

// ---------------------------------------------------------------------------
// Timing (issue 5's study; the host adapts its report into these)

export { TIMING_OPS } from './timing-ops.js';
export type TimingOp = z.infer<typeof TimingOpSchema>;

/** A timing study ('suite': the paper's, with the quick defaults or not) or one op on a loaded matrix. */
export type TimingRequest = z.infer<typeof TimingRequestSchema>;

export interface TimingRow {
  /** 'table2' | 'matched' | 'sweep' | 'matrix' (the study's suites). */
  suite: string;
  /** The op pair, by its sparse name (spmv, spgemm, …). */
  op: string;
  /** The paper's name of the test (SpMV, DMV, …). */
  test: string;
  /** 'sparse' or 'dense' for ours; '<peer> sparse|dense' for SciPy, PyTorch, CuPy. */
  impl: string;
  pass: string;
  device: string;
  dtype: string;
  threads: number;
  n: number;
  nnz: number;
  medianSeconds: number | null;
  minSeconds: number | null;
  maxSeconds: number | null;
  note?: string;
}

export interface TimingSweep {
  op: string;
  impl: string;
  device: string;
  points: { nnz: number; seconds: number }[];
  slope: number | null;
}

export interface TimingSummary {
  id: string;
  createdAt: number;
  state: RunState;
  error?: string;
  request: TimingRequest;
  rows: TimingRow[];
  sweeps: TimingSweep[];
  environment: Record<string, unknown>;
}

export type ReportFormat = z.infer<typeof ReportFormatSchema>;

export interface ExportedReport {
  fileName: string;
  mimeType: string;
  text: string;
  /** Where the host also saved it. */
  savedPath: string;
}

// ---------------------------------------------------------------------------
// The methods. params/result per method; LabApi is derived from this map.

export interface LabMethods {
  info: { params: Record<string, never>; result: LabInfo };
  listJobs: { params: Record<string, never>; result: JobInfo[] };
  cancel: { params: { jobId: string }; result: { cancelled: boolean } };

  openMatrix: { params: { source: MatrixSource }; result: JobRef & { matrixId: string } };
  generateMatrix: { params: { params: GeneratorParams }; result: JobRef & { matrixId: string } };
  listMatrices: { params: Record<string, never>; result: MatrixSummary[] };
  removeMatrix: { params: { matrixId: string }; result: { removed: boolean } };
  spyPlot: { params: { matrixId: string }; result: SpyGrid };

  presets: { params: Record<string, never>; result: PresetInfo[] };
  validateSpec: { params: { spec: unknown }; result: SpecValidation };
  /** The node kinds a graph may use, with their ports and fields. */
  graphCatalogue: { params: Record<string, never>; result: NodeKindInfo[] };
  /** The graph templates (the paper's four first). */
  templates: { params: Record<string, never>; result: TemplateInfo[] };
  /** Checks a graph (a v1 spec is converted first): issues on nodes/edges and the inferred port shapes. Runs nothing. */
  validateGraph: { params: { graph: unknown }; result: GraphValidation };
  /** A self-contained TypeScript script that builds and trains the graph on sparse-ad-lab/engine. */
  exportTypeScript: { params: { graph: unknown }; result: { fileName: string; text: string } };
  /** Runs a v2 graph or a v1 spec (converted). */
  runProblem: { params: { spec: unknown; name?: string }; result: JobRef & { runId: string } };
  /** What flowed on one edge in a finished run's last epoch (null: not recorded). */
  getProbe: { params: { runId: string; edgeId: string }; result: Probe | null };
  listRuns: { params: Record<string, never>; result: RunMeta[] };
  getRun: { params: { runId: string }; result: RunRecord };
  deleteRun: { params: { runId: string }; result: { removed: boolean } };

  runTiming: { params: { request: TimingRequest }; result: JobRef & { timingId: string } };
  listTimings: { params: Record<string, never>; result: TimingSummary[] };
  exportReport: { params: { timingId: string; format: ReportFormat }; result: ExportedReport };
  /** The app only (printToPDF); browser mode answers with an error. */
  exportPdf: { params: { timingId: string }; result: { savedPath: string } };

  /** Sweeps (issue 17): the fields of a graph a sweep can vary, a sweep's run count, start/list/get/cancel/delete/export. */
  sweepFields: { params: { graph: unknown }; result: SweepField[] };
  previewSweep: { params: { sweep: unknown }; result: SweepPreview };
  /** queue: a Redis URL (redis://, rediss://) to run on; absent: the host's default ($SPARSE_AD_QUEUE) or the local pool. */
  startSweep: { params: { sweep: unknown; queue?: string; name?: string }; result: SweepMeta };
  listSweeps: { params: Record<string, never>; result: SweepMeta[] };
  getSweep: { params: { sweepId: string }; result: SweepDetail };
  cancelSweep: { params: { sweepId: string }; result: { cancelled: boolean } };
  deleteSweep: { params: { sweepId: string }; result: { removed: boolean } };
  exportSweep: { params: { sweepId: string; format: 'csv' | 'json' }; result: { fileName: string; text: string } };
}

export type LabMethod = keyof LabMethods;

export const LAB_METHODS: readonly LabMethod[] = [
  'info',
  'listJobs',
  'cancel',
  'openMatrix',
  'generateMatrix',
  'listMatrices',
  'removeMatrix',
  'spyPlot',
  'presets',
  'validateSpec',
  'graphCatalogue',
  'templates',
  'validateGraph',
  'exportTypeScript',
  'runProblem',
  'getProbe',
  'listRuns',
  'getRun',
  'deleteRun',
  'runTiming',
  'listTimings',
  'exportReport',
  'exportPdf',
  'sweepFields',
  'previewSweep',
  'startSweep',
  'listSweeps',
  'getSweep',
  'cancelSweep',
  'deleteSweep',
  'exportSweep',
];

export type LabEvent =
  | { type: 'job'; job: JobInfo }
  | { type: 'matrix'; matrix: MatrixSummary }
  | { type: 'matrix-removed'; matrixId: string }
  | { type: 'run'; run: RunMeta }
  | { type: 'run-progress'; runId: string; points: RunPoint[]; params: ParamSnapshot[] }
  | { type: 'timing'; timing: TimingSummary }
  | { type: 'sweep'; sweep: SweepMeta }
  | { type: 'host'; state: 'restarted'; reason: string };

export type LabCalls = { [K in LabMethod]: (params: LabMethods[K]['params']) => Promise<LabMethods[K]['result']> };

export interface LabApi extends LabCalls {
  /** Subscribes to the host's event stream; returns the unsubscribe function. */
  onEvent(listener: (event: LabEvent) => void): () => void;
  /**
   * A path the compute host can read for a file the user picked or dropped: in
   * the app the file's own path (webUtils.getPathForFile); in the browser, where
   * the server stored the upload (streamed over HTTP, not through the socket).
   */
  fileToPath(file: File): Promise<string>;
}

/** Builds the calls from one transport function (the preload and the WebSocket client both use this). */
export function labCalls(invoke: (method: LabMethod, params: unknown) => Promise<unknown>): LabCalls {
  const calls: Partial<Record<LabMethod, (params: unknown) => Promise<unknown>>> = {};
  for (const m of LAB_METHODS) calls[m] = (params: unknown) => invoke(m, params ?? {});
  return calls as LabCalls;
}

// Every method has a params schema in ./lab-schema.ts, no schema lacks a method, and each
// schema's output equals the method's params (both ways). Types only: this file stays free of zod.
type Schemas = typeof LAB_SCHEMAS;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Loose<T> = T extends Record<string, never> ? Record<string, never> : T;
type Mismatched =
  | { [K in LabMethod]: K extends keyof Schemas ? (Same<Loose<LabParams<K>>, Loose<LabMethods[K]['params']>> extends true ? never : K) : K }[LabMethod]
  | Exclude<keyof Schemas, LabMethod>;
const schemasMatchApi: [Mismatched] extends [never] ? true : `LAB_SCHEMAS.${Mismatched} differs from LabMethods['${Mismatched}']['params'] (or has no method)` = true;
void schemasMatchApi;
