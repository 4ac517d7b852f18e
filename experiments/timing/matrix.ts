// "Your matrix": time any op of the suite on any loaded CsrMatrix, sparse against
// its dense counterpart, with the same measurement as the study (the app's
// Timing view calls this for the matrix a person has loaded).
import {
  add, CsrMatrix, denseSolve, denseTriangularSolve, type DType, getThreads, matmul, mul, noGrad, randn, setThreads, spadd, spdmm,
  spgemm, spmv, spsolve, sptrsv, type Tensor, tensor, transpose, tril,
} from '../../native/lib/index.js';
import { loadavg } from 'node:os';
import { measure, type MeasureOptions } from '../bench/measure.js';
import { AbsentCase, isSolverOp, OP_PAIRS, OPS, SPDMM_COLS, type TimedCase, testName } from './cases.js';
import { solverDenseCase, solverSparseCase } from './solver-cases.js';
import { describeEnvironment } from './environment.js';
import { resolvePython } from './peers.js';
import { formatBytes } from './stats.js';
import { measurementId } from './study.js';
import { type Measurement, type OpName, type Pass, REPORT_KIND, SCHEMA_VERSION, type TimingReport, type Variant } from './types.js';

export interface MatrixTimingOptions {
  /** Ops to time (default all: the paper's six and the solvers; those that need a square matrix are absent for others, with the reason). */
  ops?: OpName[];
  passes?: Pass[];
  /** CPU thread counts (default: the current setting). */
  threads?: number[];
  /** Also time the dense counterpart (default true; absent with the reason when it does not fit denseMemoryBytes). */
  dense?: boolean;
  /** Largest dense copy of the matrix (default 256 MiB). */
  denseMemoryBytes?: number;
  timing?: Partial<MeasureOptions>;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number, label: string) => void;
}

export interface MatrixTiming {
  matrix: { rows: number; cols: number; nnz: number; dtype: DType };
  measurements: Measurement[];
}

function onesLike(t: Tensor): Tensor {
  return tensor(new (t.dtype === 'float64' ? Float64Array : Float32Array)(t.size).fill(1), { shape: t.shape });
}

/** A CsrMatrix with the same pattern and its own leaf values (for forward+backward). */
function leafCsr(A: CsrMatrix): CsrMatrix {
  return A.withValues(A.values.detach().clone(), { requiresGrad: true });
}

/** Runs f on fresh leaves each call: forward under noGrad, or forward + backward with a ones seed. */
function caseOf(nnz: number, detail: string, forward: () => unknown, backward: () => { out: Tensor; clear: () => void }): TimedCase {
  let seed: Tensor | null = null;
  return {
    nnz,
    detail,
    run: (pass) => (pass === 'forward'
      ? () => void noGrad(forward)
      : () => {
        const { out, clear } = backward();
        clear();
        seed ??= onesLike(out);
        out.backward(seed);
      }),
  };
}

/** Why op cannot run on A (or null). */
function inapplicable(op: OpName, A: CsrMatrix): string | null {
  const square = A.rows === A.cols;
  if ((op === 'sptrsv' || op === 'spsolve' || isSolverOp(op)) && !square) return `${testName(op, 'sparse')} needs a square matrix but this one is ${A.rows} × ${A.cols}`;
  if (isSolverOp(op) && !isSymmetric(A)) return `${testName(op, 'sparse')} needs a symmetric positive definite matrix but this one is not symmetric`;
  if (op === 'sptrsv') {
    const L = tril(A.detach());
    const { indptr, indices } = L.pattern.raw;
    const v = L.values.data;
    for (let i = 0; i < L.rows; i++) {
      const last = indptr[i + 1]! - 1;
      if (last < indptr[i]! || indices[last] !== i || v[last] === 0) return `SpTRSV on tril(A) needs a nonzero diagonal, but row ${i} has ${last < indptr[i]! || indices[last] !== i ? 'no diagonal entry' : 'a zero on the diagonal'}`;
    }
  }
  return null;
}

/** A square A equal to its transpose, pattern and values. */
function isSymmetric(A: CsrMatrix): boolean {
  const T = noGrad(() => transpose(A.detach()));
  const a = A.pattern.raw;
  const t = T.pattern.raw;
  const same = (x: ArrayLike<number>, y: ArrayLike<number>): boolean => x.length === y.length && Array.prototype.every.call(x, (v: number, i: number) => v === y[i]);
  return same(a.indptr, t.indptr) && same(a.indices, t.indices) && same(A.values.data, T.values.data);
}

function sparseCase(op: OpName, A: CsrMatrix): TimedCase {
  if (isSolverOp(op)) return solverSparseCase(op, A.detach());
  const dtype = A.dtype;
  const detail = OP_PAIRS[op].sparseDetail;
  const A0 = A.detach();
  const x = randn([A.cols], { dtype, seed: 1 });
  switch (op) {
    case 'spmv': {
      const Ag = leafCsr(A0);
      const xg = x.clone().requiresGrad_();
      return caseOf(A.nnz, detail, () => spmv(A0, x), () => ({ out: spmv(Ag, xg), clear: () => { Ag.values.grad = null; xg.grad = null; } }));
    }
    case 'spgemm': {
      // A·A when square, else A·Aᵀ.
      const B0 = A.rows === A.cols ? A0 : transpose(A0);
      const Ag = leafCsr(A0);
      const Bg = leafCsr(B0);
      return caseOf(A.nnz, A.rows === A.cols ? 'spgemm(A, A)' : 'spgemm(A, Aᵀ)', () => spgemm(A0, B0),
        () => ({ out: spgemm(Ag, Bg).values, clear: () => { Ag.values.grad = null; Bg.values.grad = null; } }));
    }
    case 'spdmm': {
      const D = randn([A.cols, SPDMM_COLS], { dtype, seed: 2 });
      const Ag = leafCsr(A0);
      const Dg = D.clone().requiresGrad_();
      return caseOf(A.nnz, detail, () => spdmm(A0, D), () => ({ out: spdmm(Ag, Dg), clear: () => { Ag.values.grad = null; Dg.grad = null; } }));
    }
    case 'spadd': {
      const B0 = A0.withValues(randn([A.nnz], { dtype, seed: 3 }));
      const Ag = leafCsr(A0);
      const Bg = leafCsr(B0);
      const o = { alpha: 2, beta: -0.5 };
      return caseOf(A.nnz, detail, () => spadd(A0, B0, o), () => ({ out: spadd(Ag, Bg, o).values, clear: () => { Ag.values.grad = null; Bg.values.grad = null; } }));
    }
    case 'sptrsv': {
      const L0 = tril(A0);
      const Lg = leafCsr(L0);
      const xg = x.clone().requiresGrad_();
      return caseOf(L0.nnz, `${detail}, L = tril(A)`, () => sptrsv(L0, x, { lower: true }),
        () => ({ out: sptrsv(Lg, xg, { lower: true }), clear: () => { Lg.values.grad = null; xg.grad = null; } }));
    }
    case 'spsolve': {
      const Ag = leafCsr(A0);
      const xg = x.clone().requiresGrad_();
      return caseOf(A.nnz, detail, () => spsolve(A0, x), () => ({ out: spsolve(Ag, xg), clear: () => { Ag.values.grad = null; xg.grad = null; } }));
    }
  }
}

function denseCaseOf(op: OpName, A: CsrMatrix): TimedCase {
  if (isSolverOp(op)) return solverDenseCase(op, A.detach());
  const dtype = A.dtype;
  const detail = OP_PAIRS[op].denseDetail;
  const Ad = noGrad(() => (op === 'sptrsv' ? tril(A.detach()) : A.detach()).toDense());
  const size = A.rows * A.cols;
  const x = randn([A.cols], { dtype, seed: 1 });
  const two = (f: (a: Tensor, b: Tensor) => Tensor, a: Tensor, b: Tensor, d = detail): TimedCase => {
    const ag = a.clone().requiresGrad_();
    const bg = b.clone().requiresGrad_();
    return caseOf(size, d, () => f(a, b), () => ({ out: f(ag, bg), clear: () => { ag.grad = null; bg.grad = null; } }));
  };
  switch (op) {
    case 'spmv': return two((a, b) => matmul(a, b), Ad, x);
    case 'spgemm': {
      const Bd = A.rows === A.cols ? Ad.clone() : noGrad(() => transpose(A.detach()).toDense());
      return two((a, b) => matmul(a, b), Ad, Bd, A.rows === A.cols ? detail : 'matmul(A, Aᵀ), dense');
    }
    case 'spdmm': return two((a, b) => matmul(a, b), Ad, randn([A.cols, SPDMM_COLS], { dtype, seed: 2 }));
    case 'spadd': return two((a, b) => add(mul(a, 2), mul(b, -0.5)), Ad, Ad.clone());
    case 'sptrsv': return two((a, b) => denseTriangularSolve(a, b, { lower: true }), Ad, x, `${detail}, L = tril(A)`);
    case 'spsolve': return two((a, b) => denseSolve(a, b), Ad, x);
  }
}

/**
 * Times `op` on A (sparse, and its dense counterpart unless disabled or too
 * large) for each pass and thread count. Never throws for an op that cannot run
 * on A: that measurement is absent (or error) with the reason.
 */
export async function timeMatrixOp(A: CsrMatrix, op: OpName, options: MatrixTimingOptions = {}): Promise<Measurement[]> {
  return (await timeMatrix(A, { ...options, ops: [op] })).measurements;
}

/** Times every op in options.ops (default all) on A; see timeMatrixOp. */
export async function timeMatrix(A: CsrMatrix, options: MatrixTimingOptions = {}): Promise<MatrixTiming> {
  if (!(A instanceof CsrMatrix)) throw new TypeError('timeMatrix: expected a CsrMatrix for A');
  const ops = options.ops ?? [...OPS];
  for (const op of ops) if (!OPS.includes(op)) throw new Error(`timeMatrix: unknown op '${op}' (ops: ${OPS.join(', ')})`);
  const passes = options.passes ?? ['forward', 'forward+backward'];
  const threadsBefore = getThreads();
  const threads = options.threads ?? [threadsBefore];
  const timing: MeasureOptions = { sampleTime: 0.01, samples: 15, warmupTime: 0.05, maxTime: 2, ...options.timing };
  const budget = options.denseMemoryBytes ?? 256 * 2 ** 20;
  const bytes = A.rows * A.cols * (A.dtype === 'float64' ? 8 : 4);
  const variants: Variant[] = options.dense === false ? ['sparse'] : ['sparse', 'dense'];
  const total = ops.length * variants.length * threads.length * passes.length;
  let done = 0;
  const measurements: Measurement[] = [];
  try {
    for (const op of ops) {
      for (const variant of variants) {
        let c: TimedCase | null = null;
        let failure: { status: 'absent' | 'error'; reason: string } | null = null;
        const why = inapplicable(op, A);
        if (why) failure = { status: 'absent', reason: why };
        else if (variant === 'dense' && bytes > budget) {
          failure = { status: 'absent', reason: `a dense copy of this ${A.rows} × ${A.cols} ${A.dtype} matrix needs ${formatBytes(bytes)}, over the ${formatBytes(budget)} budget` };
        } else {
          try {
            c = variant === 'sparse' ? sparseCase(op, A) : denseCaseOf(op, A);
          } catch (e) {
            failure = { status: e instanceof AbsentCase ? 'absent' : 'error', reason: e instanceof Error ? e.message : String(e) };
          }
        }
        for (const t of threads) {
          for (const pass of passes) {
            if (options.signal?.aborted) return { matrix: { rows: A.rows, cols: A.cols, nnz: A.nnz, dtype: A.dtype }, measurements };
            const base = { suite: 'matrix' as const, op, variant, impl: 'ours' as const, device: 'cpu' as const, dtype: A.dtype, threads: t, pass, n: A.rows };
            const m: Measurement = {
              id: measurementId(base), ...base, test: testName(op, variant),
              detail: c?.detail ?? (variant === 'sparse' ? OP_PAIRS[op].sparseDetail : OP_PAIRS[op].denseDetail),
              nnz: c?.nnz ?? (variant === 'sparse' ? A.nnz : A.rows * A.cols), status: 'ok', stats: null,
            };
            if (failure) {
              m.status = failure.status;
              m.reason = failure.reason;
            } else {
              options.onProgress?.(done, total, `${m.test} ${pass} ${t}T`);
              await new Promise((r) => setImmediate(r));
              try {
                setThreads(t);
                m.stats = measure(c!.run(pass), timing);
              } catch (e) {
                m.status = 'error';
                m.reason = e instanceof Error ? e.message : String(e);
              }
            }
            measurements.push(m);
            done++;
          }
        }
      }
    }
  } finally {
    setThreads(threadsBefore);
  }
  options.onProgress?.(done, total, 'done');
  return { matrix: { rows: A.rows, cols: A.cols, nnz: A.nnz, dtype: A.dtype }, measurements };
}

export interface MatrixReportOptions extends MatrixTimingOptions {
  /** A name for the matrix (its file name), shown in the report. */
  name?: string;
  /** python3 whose version the environment records (default as the study's). */
  python?: string;
}

/**
 * timeMatrix wrapped as a full report (suite 'matrix'), so that the writers
 * (JSON, CSV, Markdown, HTML) and the schema serve a user's matrix exactly as
 * they serve the study: the Markdown and HTML show a "Your matrix" table with
 * the sparse-vs-dense speedups.
 */
export async function matrixTimingReport(A: CsrMatrix, options: MatrixReportOptions = {}): Promise<TimingReport> {
  const t0 = performance.now();
  const environment = describeEnvironment(resolvePython(options.python));
  const timing = { sampleTime: 0.01, samples: 15, warmupTime: 0.05, maxTime: 2, ...options.timing };
  const denseMemoryBytes = options.denseMemoryBytes ?? 256 * 2 ** 20;
  const res = await timeMatrix(A, { ...options, timing, denseMemoryBytes });
  const name = options.name ?? 'matrix';
  environment.loadAverage.atEnd = loadavg();
  const ops = [...new Set(res.measurements.map((m) => m.op))];
  return {
    schemaVersion: SCHEMA_VERSION,
    kind: REPORT_KIND,
    title: `Sparse AD Lab timing: ${name}`,
    createdAt: new Date().toISOString(),
    wall_s: (performance.now() - t0) / 1000,
    cancelled: options.signal?.aborted ?? false,
    options: {
      quick: false, ops, dtypes: [A.dtype], threads: [...new Set(res.measurements.map((m) => m.threads))],
      passes: options.passes ?? ['forward', 'forward+backward'], devices: ['cpu'], peers: [], sweep: null,
      denseMemoryBytes, denseFlops: 0, spdmmCols: SPDMM_COLS,
      timing: { sampleTime: timing.sampleTime, samples: timing.samples, warmupTime: timing.warmupTime, maxTime: timing.maxTime },
    },
    environment,
    peers: [],
    sizes: [],
    notes: [
      `Your matrix: ${name}, ${A.rows} × ${A.cols}, ${A.nnz} stored entries (${A.dtype}); its dense counterpart is A.toDense() (tril(A) for SpTRSV).`,
      ...(options.signal?.aborted ? ['The timing was cancelled: this report holds only what was measured before.'] : []),
    ],
    measurements: res.measurements,
    sweeps: [],
  };
}
