// What the compute host asks of a pool thread, and what the thread reports back.
// Matrices travel as CSR arrays over SharedArrayBuffers, so handing a stored
// matrix to a thread copies nothing.
import type {
  GeneratorParams,
  MatrixHeader,
  MatrixStatistics,
  ParamSnapshot,
  ParamView,
  Probe,
  ReportFormat,
  RunPoint,
  SeriesInfo,
  SpecValidation,
  PresetInfo,
  TimingRequest,
  TimingRow,
  TimingSweep,
} from '../common/lab-api.js';

export interface SharedCsr {
  rows: number;
  cols: number;
  indptr: Int32Array;
  indices: Int32Array;
  values: Float64Array;
}

export interface SpyBins {
  width: number;
  height: number;
  max: number;
  counts: Uint32Array;
}

export interface LoadedMatrix {
  csr: SharedCsr;
  header: MatrixHeader;
  stats: MatrixStatistics;
  spy: SpyBins;
  bytes: number;
}

export type WorkerTask =
  | { kind: 'load-matrix'; path: string; name: string; spyMax: number }
  | { kind: 'generate-matrix'; params: GeneratorParams; spyMax: number }
  | { kind: 'spy-plot'; csr: SharedCsr; width: number; height: number }
  | { kind: 'presets' }
  | { kind: 'validate-spec'; spec: unknown; dataDir: string }
  | { kind: 'run-problem'; spec: unknown; dataDir: string }
  | { kind: 'run-timing'; request: TimingRequest; matrix?: { name: string; csr: SharedCsr } }
  | { kind: 'export-report'; report: unknown; format: ReportFormat }
  | { kind: 'engine-info' }
  // Test hooks (only when SPARSE_AD_LAB_TEST_HOOKS=1): a task that sleeps in
  // steps honouring cancel, one that ignores cancel, one that kills its thread,
  // one that kills the whole host process.
  | { kind: 'test-steps'; steps: number; stepMs: number }
  | { kind: 'test-hang'; ms: number }
  | { kind: 'test-crash' }
  | { kind: 'test-abort-host' };

export interface WorkerEnvelope {
  task: WorkerTask;
  port: import('node:worker_threads').MessagePort;
  cancelFlag: Int32Array;
}

export type WorkerProgress =
  | { kind: 'progress'; progress: number; message?: string; etaSeconds?: number | null }
  /** The task's last message on its port: everything it reported has arrived. */
  | { kind: 'end' }
  | { kind: 'run-start'; method: string; epochs: number; runs: number; series: SeriesInfo[] }
  | { kind: 'run-points'; points: RunPoint[]; params: ParamSnapshot[] };

export interface RunProblemResult {
  method: string;
  epochs: number;
  runs: number;
  series: SeriesInfo[];
  summary: Record<string, unknown>;
  views: ParamView[];
  /** What flowed on each edge in run 0's last epoch, saved as probes.json. */
  probes: Record<string, Probe>;
  /** The runner's result object (without its probes), saved as result.json. */
  result: unknown;
  spec: Record<string, unknown>;
  cancelled: boolean;
}

export interface RunTimingResult {
  rows: TimingRow[];
  sweeps: TimingSweep[];
  environment: Record<string, unknown>;
  /** The study's canonical report (what the report writers take). */
  report: unknown;
  cancelled: boolean;
}

export type { SpecValidation, PresetInfo };
