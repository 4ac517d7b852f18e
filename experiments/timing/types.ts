// The timing study's data model: what a report holds. report.schema.json states
// the same shape for other tools; validate.ts checks a report against it.
import type { DType } from '../../native/lib/index.js';
import type { TimingStats } from '../bench/measure.js';
import type { OpName, Pass } from '../bench/ops-suite.js';

export type { OpName, Pass } from '../bench/ops-suite.js';
export type { TimingStats } from '../bench/measure.js';

export const SCHEMA_VERSION = 1;
export const REPORT_KIND = 'sparse-ad-lab.timing-report';

/** Whose implementation was timed. */
export type Impl = 'ours' | 'scipy' | 'torch' | 'cupy';
export const IMPLS: readonly Impl[] = ['ours', 'scipy', 'torch', 'cupy'];
export type Peer = Exclude<Impl, 'ours'>;
export const PEERS: readonly Peer[] = ['scipy', 'torch', 'cupy'];
export type Variant = 'sparse' | 'dense';
export type DeviceKind = 'cpu' | 'cuda';
/**
 * table2: the Table 2 rows (sparse at its N, dense at its possibly scaled-down N);
 * matched: our sparse op again at the dense N, for the sparse-vs-dense speedup;
 * sweep: the Figure 11 scaling runs; matrix: a user's own matrix.
 */
export type Suite = 'table2' | 'matched' | 'sweep' | 'matrix';
/** ok: timed; absent: that implementation cannot run it here (the reason says why); error: it failed. */
export type Status = 'ok' | 'absent' | 'error';

export interface Measurement {
  /** Unique within a report: suite/op/variant/impl/device/dtype/threads/pass/n. */
  id: string;
  suite: Suite;
  /** The Table 2 pair this belongs to (named by its sparse op). */
  op: OpName;
  /** The paper's name of the test: SpMV, DMV, SpGEMM, DDMM, … */
  test: string;
  variant: Variant;
  impl: Impl;
  /** What was called, e.g. "torch.sparse.mm (COO)" or "numpy.linalg.solve". */
  detail: string;
  device: DeviceKind;
  /** CPU threads (0 on a GPU, where it does not apply). */
  threads: number;
  dtype: DType;
  pass: Pass;
  /** Matrix dimension N (the 1-D Poisson matrix is N × N). */
  n: number;
  /** Stored entries of the matrix operand (N × N for a dense one). */
  nnz: number;
  status: Status;
  /** Why it is absent or failed (status ≠ ok). */
  reason?: string;
  /** Per-call timing statistics and the kept samples (status ok). */
  stats: TimingStats | null;
}

/** A Figure 11 series: time vs nnz on log-log axes with the least-squares slope. */
export interface Sweep {
  op: OpName;
  test: string;
  impl: Impl;
  device: DeviceKind;
  dtype: DType;
  threads: number;
  pass: Pass;
  points: { n: number; nnz: number; median_s: number; id: string }[];
  fit: LogLogFit | null;
}

export interface LogLogFit {
  /** d log(time) / d log(nnz). */
  slope: number;
  /** log(time) at log(nnz) = 0 (natural logarithms). */
  intercept: number;
  /** Coefficient of determination of the fit in log space. */
  r2: number;
}

export interface PeerInfo {
  impl: Peer;
  name: string;
  available: boolean;
  version?: string;
  /** Why the peer is absent (available false). */
  reason?: string;
  python?: string;
  /** GPU the peer ran on, when it has one. */
  device?: string;
  /** How the peer was built (its BLAS, NumPy version…). */
  build?: string;
}

/** The N each op pair was timed at, and why the dense side is smaller when it is. */
export interface SizePlan {
  op: OpName;
  sparseTest: string;
  denseTest: string;
  sparseN: number;
  denseN: number;
  /** Set when denseN < sparseN. */
  denseScaledReason?: string;
}

export interface Environment {
  os: { platform: string; release: string; arch: string; version: string };
  cpu: { model: string; cores: number; hardwareThreads: number; speedMHz: number };
  memory: { totalBytes: number; freeBytesAtStart: number };
  loadAverage: { atStart: number[]; atEnd: number[] };
  versions: { node: string; v8: string; electron: string | null; chromium: string | null };
  addon: { cuda: boolean; blas: string; klu: boolean; hardwareThreads: number; gemmBackend: string | null; env: Record<string, string | null> };
  cuda: { available: boolean; devices: { index: number; name: string; totalMemory: number; computeCapability: string; emulated: boolean }[]; reason?: string };
  python: { path: string; version: string | null; reason?: string };
}

export interface StudyOptionsRecord {
  quick: boolean;
  ops: OpName[];
  dtypes: DType[];
  threads: number[];
  passes: Pass[];
  devices: DeviceKind[];
  peers: Peer[];
  sweep: { exponents: [number, number]; dtypes: DType[]; threads: number[] } | null;
  denseMemoryBytes: number;
  denseFlops: number;
  spdmmCols: number;
  timing: { sampleTime: number; samples: number; warmupTime: number; maxTime: number };
}

export interface TimingReport {
  schemaVersion: number;
  kind: typeof REPORT_KIND;
  title: string;
  createdAt: string;
  wall_s: number;
  cancelled: boolean;
  options: StudyOptionsRecord;
  environment: Environment;
  peers: PeerInfo[];
  sizes: SizePlan[];
  notes: string[];
  measurements: Measurement[];
  sweeps: Sweep[];
}
