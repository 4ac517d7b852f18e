// The timing study (the paper's §5): Table 2 — each sparse op beside its dense
// counterpart, forward and forward+backward, float32 and float64, CPU at 1 and
// all threads and CUDA when the engine has a device — and the Figure 11 sweeps
// (time vs nnz, log-log, with fitted slopes), with SciPy, PyTorch and CuPy timed
// in the same run on the same matrices, dtypes and thread counts.
//
// runTimingStudy is what the CLI (cli.ts) and the app call. It is async only so
// that progress can be drawn and `signal` can stop it between measurements; a
// cancelled study resolves with what it measured so far (report.cancelled true).
import { type DType, getThreads, setThreads, buildInfo } from '../../native/lib/index.js';
import { measure, type MeasureOptions } from '../bench/measure.js';
import { AbsentCase, isSolverOp, makeOursCase, OP_PAIRS, OPS, oursCudaAbsence, planSizes, SPDMM_COLS, type TimedCase, testName } from './cases.js';
import { describeEnvironment } from './environment.js';
import { PEER_NAMES, type PeerCase, type PeerTiming, resolvePython, runPeer } from './peers.js';
import { fitLogLog } from './stats.js';
import {
  type DeviceKind, type Measurement, type OpName, type Pass, type Peer, type PeerInfo, PEERS, REPORT_KIND, SCHEMA_VERSION,
  type SizePlan, type Suite, type Sweep, type TimingReport, type Variant,
} from './types.js';

export interface TimingStudyOptions {
  /** Smaller defaults that finish in a few minutes (short samples, smaller dense sizes and sweep). */
  quick?: boolean;
  ops?: OpName[];
  /** Sparse N per op (default: the paper's, as bench:ops). */
  sizes?: Partial<Record<OpName, number>>;
  /** Dense N per op (default: the sparse N, scaled down to fit denseMemoryBytes and denseFlops). */
  denseSizes?: Partial<Record<OpName, number>>;
  /** Largest N × N float64 dense operand (default 128 MiB; quick 32 MiB). */
  denseMemoryBytes?: number;
  /** Largest dense forward call, in floating-point operations (default 4e9; quick 5e8). */
  denseFlops?: number;
  dtypes?: DType[];
  /** CPU thread counts (default 1 and all cores). */
  threads?: number[];
  passes?: Pass[];
  /** Include the GPU columns (ours, PyTorch, CuPy on CUDA; absent with the reason where there is none). Default true. */
  cuda?: boolean;
  /** Peers to run (default all three; [] for none). */
  peers?: Peer[];
  /** python3 for the peers (default: SPARSE_AD_PYTHON, /usr/bin/python3, python3 on the PATH). */
  python?: string;
  /** Figure 11 sweep: N = 2^lo … 2^hi of each sparse op (false: none). */
  sweep?: { exponents?: [number, number]; dtypes?: DType[]; threads?: number[] } | false;
  /** Per-measurement timing (defaults as bench:ops, and as bench:ops --quick with quick). */
  timing?: Partial<MeasureOptions>;
  /** A peer case predicted to take longer per call is reported absent (default 5 s; quick 1 s). */
  maxCallTime?: number;
  /** Time limit of one peer process (default 900 s; quick 240 s). */
  peerTimeout_s?: number;
  title?: string;
}

export interface TimingProgress {
  phase: 'ours' | 'sweep' | 'peers' | 'done';
  done: number;
  total: number;
  label: string;
  elapsed_s: number;
}

interface Resolved {
  quick: boolean;
  ops: OpName[];
  sizes: SizePlan[];
  dtypes: DType[];
  threads: number[];
  passes: Pass[];
  cuda: boolean;
  peers: Peer[];
  python: string;
  sweep: { exponents: [number, number]; dtypes: DType[]; threads: number[] } | null;
  denseMemoryBytes: number;
  denseFlops: number;
  timing: Required<MeasureOptions>;
  maxCallTime: number;
  peerTimeout_s: number;
  title: string;
}

const PASSES: Pass[] = ['forward', 'forward+backward'];

function bad(msg: string): never {
  throw new Error(`runTimingStudy: ${msg}`);
}

export function resolveOptions(o: TimingStudyOptions = {}): Resolved {
  const quick = o.quick ?? false;
  const hw = buildInfo().hardwareThreads;
  const ops = o.ops ?? [...OPS];
  for (const op of ops) if (!OPS.includes(op)) bad(`unknown op '${op}' (ops: ${OPS.join(', ')})`);
  const dtypes = o.dtypes ?? ['float32', 'float64'];
  for (const d of dtypes) if (d !== 'float32' && d !== 'float64') bad(`unknown dtype '${d}'`);
  const threads = [...new Set(o.threads ?? [1, hw])];
  for (const t of threads) if (!Number.isInteger(t) || t < 1) bad(`thread counts must be positive integers (got ${t})`);
  const passes = o.passes ?? PASSES;
  for (const p of passes) if (!PASSES.includes(p)) bad(`unknown pass '${p}'`);
  const peers = o.peers ?? [...PEERS];
  for (const p of peers) if (!PEERS.includes(p)) bad(`unknown peer '${p}' (peers: ${PEERS.join(', ')})`);
  for (const [k, v] of Object.entries({ ...o.sizes, ...o.denseSizes })) {
    if (!Number.isInteger(v) || (v as number) < 2) bad(`sizes must be integers ≥ 2 (got ${k} = ${v})`);
  }
  const denseMemoryBytes = o.denseMemoryBytes ?? (quick ? 32 : 128) * 2 ** 20;
  const denseFlops = o.denseFlops ?? (quick ? 5e8 : 4e9);
  const base = quick ? { sampleTime: 0.005, samples: 7, warmupTime: 0.05, maxTime: 0.5 } : { sampleTime: 0.01, samples: 15, warmupTime: 0.05, maxTime: 2 };
  const timing = { ...base, ...o.timing };
  let sweep: Resolved['sweep'] = null;
  if (o.sweep !== false) {
    const s = o.sweep ?? {};
    const exponents = s.exponents ?? (quick ? [12, 18] : [12, 20]);
    if (!(Number.isInteger(exponents[0]) && Number.isInteger(exponents[1]) && exponents[0] >= 1 && exponents[1] >= exponents[0] && exponents[1] <= 26)) {
      bad(`sweep exponents must be integers 1 ≤ lo ≤ hi ≤ 26 (got ${exponents.join(':')})`);
    }
    sweep = { exponents: [exponents[0], exponents[1]], dtypes: s.dtypes ?? ['float64'], threads: s.threads ?? [1] };
  }
  return {
    quick, ops, dtypes, threads, passes, peers, sweep, denseMemoryBytes, denseFlops, timing,
    sizes: planSizes(ops, o.sizes ?? {}, o.denseSizes ?? {}, denseMemoryBytes, denseFlops),
    cuda: o.cuda ?? true,
    python: resolvePython(o.python),
    maxCallTime: o.maxCallTime ?? (quick ? 1 : 5),
    peerTimeout_s: o.peerTimeout_s ?? (quick ? 240 : 900),
    title: o.title ?? `Sparse AD Lab timing study${quick ? ' (quick)' : ''}`,
  };
}

export function measurementId(m: Pick<Measurement, 'suite' | 'op' | 'variant' | 'impl' | 'device' | 'dtype' | 'threads' | 'pass' | 'n'>): string {
  return `${m.suite}/${m.op}/${m.variant}/${m.impl}/${m.device}/${m.dtype}/${m.threads}t/${m.pass}/${m.n}`;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** One planned measurement of our engine. */
interface OurItem {
  suite: Suite;
  op: OpName;
  variant: Variant;
  device: DeviceKind;
  n: number;
  dtype: DType;
  threads: number[];
}

/** Runs the study and returns its report (see TimingReport; reports/*.ts write it out). */
export async function runTimingStudy(
  options: TimingStudyOptions = {},
  onProgress?: (p: TimingProgress) => void,
  signal?: AbortSignal,
): Promise<TimingReport> {
  const o = resolveOptions(options);
  const t0 = performance.now();
  const elapsed = (): number => (performance.now() - t0) / 1000;
  const environment = describeEnvironment(o.python);
  const measurements: Measurement[] = [];
  const notes: string[] = [];
  const threadsBefore = getThreads();
  const cudaAbsence = oursCudaAbsence();

  // Plan: Table 2 (sparse at its N, dense at its N), matched sparse runs at the dense N, sweeps.
  const items: OurItem[] = [];
  const devicesOurs: DeviceKind[] = o.cuda ? ['cpu', 'cuda'] : ['cpu'];
  for (const dtype of o.dtypes) {
    for (const plan of o.sizes) {
      for (const device of devicesOurs) {
        const thr = device === 'cpu' ? o.threads : [0];
        items.push({ suite: 'table2', op: plan.op, variant: 'sparse', device, n: plan.sparseN, dtype, threads: thr });
        items.push({ suite: 'table2', op: plan.op, variant: 'dense', device, n: plan.denseN, dtype, threads: thr });
        if (plan.denseN !== plan.sparseN) items.push({ suite: 'matched', op: plan.op, variant: 'sparse', device, n: plan.denseN, dtype, threads: thr });
      }
    }
  }
  const sweepItems: OurItem[] = [];
  if (o.sweep) {
    for (const dtype of o.sweep.dtypes) {
      // The Figure 11 sweeps are the paper's ops'; the solver rows are timed at their N only.
      for (const op of o.ops.filter((x) => !isSolverOp(x))) {
        for (let e = o.sweep.exponents[0]; e <= o.sweep.exponents[1]; e++) {
          sweepItems.push({ suite: 'sweep', op, variant: 'sparse', device: 'cpu', n: 2 ** e, dtype, threads: o.sweep.threads });
          if (o.cuda && !cudaAbsence) sweepItems.push({ suite: 'sweep', op, variant: 'sparse', device: 'cuda', n: 2 ** e, dtype, threads: [0] });
        }
      }
    }
  }
  const peerJobs: { peer: Peer; device: DeviceKind; threads: number; cases: PeerCase[] }[] = [];
  for (const peer of o.peers) {
    const devs: DeviceKind[] = peer === 'cupy' ? ['cuda'] : peer === 'torch' ? ['cpu', 'cuda'] : ['cpu'];
    for (const device of devs) {
      if (device === 'cuda' && !o.cuda) continue;
      for (const threads of device === 'cpu' ? o.threads : [0]) {
        const cases: PeerCase[] = [];
        for (const dtype of o.dtypes) {
          for (const plan of o.sizes) {
            for (const variant of ['sparse', 'dense'] as Variant[]) {
              const n = variant === 'sparse' ? plan.sparseN : plan.denseN;
              for (const pass of o.passes) {
                const key = measurementId({ suite: 'table2', op: plan.op, variant, impl: peer, device, dtype, threads, pass, n });
                cases.push({ key, op: plan.op, variant, pass, n, dtype });
              }
            }
          }
        }
        peerJobs.push({ peer, device, threads, cases });
      }
    }
  }
  const countOurs = (list: OurItem[]): number => list.reduce((s, it) => s + it.threads.length * o.passes.length, 0);
  const total = countOurs(items) + countOurs(sweepItems) + peerJobs.reduce((s, j) => s + j.cases.length, 0);
  let done = 0;
  const progress = (phase: TimingProgress['phase'], label: string): void => onProgress?.({ phase, done, total, label, elapsed_s: elapsed() });

  const runOurs = async (list: OurItem[], phase: 'ours' | 'sweep'): Promise<void> => {
    for (const it of list) {
      if (signal?.aborted) return;
      const base = { suite: it.suite, op: it.op, test: testName(it.op, it.variant), variant: it.variant, impl: 'ours' as const, device: it.device, dtype: it.dtype, n: it.n };
      const detailOf = (c: TimedCase | null): string => c?.detail ?? (it.variant === 'sparse' ? OP_PAIRS[it.op].sparseDetail : OP_PAIRS[it.op].denseDetail);
      let c: TimedCase | null = null;
      let failure: { status: 'absent' | 'error'; reason: string } | null = null;
      if (it.device === 'cuda' && cudaAbsence) failure = { status: 'absent', reason: cudaAbsence };
      else {
        progress(phase, `building ${base.test} N=${it.n} ${it.dtype}`);
        await tick();
        try {
          c = makeOursCase(it.op, it.variant, it.n, it.dtype, it.device);
        } catch (e) {
          failure = { status: it.device === 'cuda' || e instanceof AbsentCase ? 'absent' : 'error', reason: errorText(e) };
        }
      }
      for (const threads of it.threads) {
        for (const pass of o.passes) {
          if (signal?.aborted) return;
          const m: Measurement = {
            id: measurementId({ ...base, threads, pass }), ...base, detail: detailOf(c), threads, pass,
            nnz: c?.nnz ?? (it.variant === 'dense' ? it.n * it.n : 0), status: 'ok', stats: null,
          };
          if (failure) {
            m.status = failure.status;
            m.reason = failure.reason;
          } else {
            progress(phase, `${base.test} ${pass} ${it.dtype} ${threads === 0 ? 'GPU' : `${threads}T`} N=${it.n}`);
            await tick();
            try {
              if (threads > 0) setThreads(threads);
              m.stats = measure(c!.run(pass), o.timing);
            } catch (e) {
              m.status = 'error';
              m.reason = errorText(e);
            }
          }
          measurements.push(m);
          done++;
        }
      }
      c = null;
    }
  };

  try {
    await runOurs(items, 'ours');
    await runOurs(sweepItems, 'sweep');
  } finally {
    setThreads(threadsBefore);
  }

  // Peers, after our runs so that they never compete for the cores.
  const peerInfo = new Map<string, PeerInfo>();
  const timing: PeerTiming = { ...o.timing, maxCallTime: o.maxCallTime };
  for (const job of peerJobs) {
    if (signal?.aborted) break;
    const label = `${PEER_NAMES[job.peer]} ${job.device === 'cpu' ? `${job.threads}T` : 'GPU'}`;
    progress('peers', `${label}: starting ${environment.python.path}`);
    let answered = 0;
    const run = await runPeer({
      python: o.python, peer: job.peer, device: job.device, threads: job.threads, cases: job.cases, timing,
      spdmmCols: SPDMM_COLS, timeout_s: o.peerTimeout_s, signal,
      onResult: (r) => {
        answered++;
        done++;
        const [, op, variant, , , dtype, , pass] = r.key.split('/');
        progress('peers', `${label}: ${testName(op as OpName, variant as Variant)} ${pass} ${dtype} ${r.status}`);
      },
    });
    // Cases answered without a result line (absent peer, stopped) count too.
    done += job.cases.length - answered;
    const h = run.header;
    const prev = peerInfo.get(job.peer);
    const info: PeerInfo = { impl: job.peer, name: PEER_NAMES[job.peer], available: h.available || (prev?.available ?? false), python: o.python };
    if (h.version ?? prev?.version) info.version = h.version ?? prev?.version;
    if (h.device ?? prev?.device) info.device = h.device ?? prev?.device;
    if (h.build ?? prev?.build) info.build = h.build ?? prev?.build;
    if (!info.available) info.reason = h.reason ?? prev?.reason ?? 'not available';
    else if (!h.available && job.device === 'cuda') notes.push(`${PEER_NAMES[job.peer]} on GPU absent: ${h.reason ?? 'not available'}`);
    peerInfo.set(job.peer, info);
    for (const c of job.cases) {
      const r = run.results.get(c.key);
      const m: Measurement = {
        id: c.key, suite: 'table2', op: c.op, test: testName(c.op, c.variant), variant: c.variant, impl: job.peer,
        detail: r?.detail ?? PEER_NAMES[job.peer], device: job.device, threads: job.threads, dtype: c.dtype, pass: c.pass, n: c.n,
        nnz: r?.nnz ?? (c.variant === 'dense' ? c.n * c.n : 0), status: r?.status ?? 'error', stats: r?.stats ?? null,
      };
      if (m.status !== 'ok') m.reason = r?.reason ?? 'no result';
      if (m.status === 'ok' && !m.stats) {
        m.status = 'error';
        m.reason = 'the peer reported no statistics';
      }
      measurements.push(m);
    }
  }

  // Notes a reader needs beside the numbers.
  notes.push(
    'The dense baseline is the engine\'s native dense code: DMV, DDMM and DTRSV through OpenBLAS (GEMV, GEMM, blocked TRSV), ' +
      'D+D and every other element-wise op and reduction through vectorized C++ kernels (issue 15; before, D+D and the sum() ' +
      'seeding of the forward+backward rows were JavaScript loops, which inflated the sparse-vs-dense factors).',
  );
  // Once each: the Cholesky and CG rows share their dense counterpart (and its scaling note).
  for (const s of o.sizes) if (s.denseScaledReason && !notes.includes(s.denseScaledReason)) notes.push(s.denseScaledReason);
  if (o.cuda && cudaAbsence) notes.push(`Our GPU columns are absent: ${cudaAbsence}.`);
  for (const p of peerInfo.values()) if (!p.available) notes.push(`${p.name} columns are absent: ${p.reason}`);
  if (o.peers.includes('scipy')) notes.push('SciPy and CuPy have no autodiff: their forward+backward cells are absent (as in the paper, which times their forward passes only). SciPy\'s sparse kernels are single-threaded whatever the thread count.');
  if (o.ops.some(isSolverOp)) {
    notes.push(
      'The solver rows (Cholesky solve, logdet, CG; issue 16) use the 2-D Poisson matrix of an nx × ny grid with nx·ny = N (symmetric positive definite, ' +
        'with fill in its factor), not the 1-D one. SciPy has no sparse Cholesky: beside our Cholesky solve and logdet it is timed with splu (SuperLU) ' +
        'factor + solve, and factor + Σ log|U_ii|. Its cg runs to the same relative tolerance as ours. They are not part of the sweeps.',
    );
  }
  notes.push(`SpDMM multiplies by a dense N×${SPDMM_COLS} operand (as bench:ops); its dense counterpart is the dense N×N matrix times the same operand.`);
  if (environment.addon.env.OPENBLAS_CORETYPE) notes.push(`OPENBLAS_CORETYPE=${environment.addon.env.OPENBLAS_CORETYPE} is set on this machine (it can halve OpenBLAS GEMM speed): dense timings reflect it.`);
  const load = environment.loadAverage.atStart[0] ?? 0;
  if (load > 0.5 * environment.cpu.cores) {
    notes.push(`The machine was busy: load average ${load.toFixed(2)} on ${environment.cpu.cores} cores when the study started, so timings are noisy.`);
  }
  environment.loadAverage.atEnd = (await import('node:os')).loadavg();

  const sweeps = buildSweeps(measurements);
  if (signal?.aborted) notes.push('The study was cancelled: this report holds only what was measured before.');
  progress('done', signal?.aborted ? 'cancelled' : 'done');
  return {
    schemaVersion: SCHEMA_VERSION,
    kind: REPORT_KIND,
    title: o.title,
    createdAt: new Date().toISOString(),
    wall_s: elapsed(),
    cancelled: signal?.aborted ?? false,
    options: {
      quick: o.quick, ops: o.ops, dtypes: o.dtypes, threads: o.threads, passes: o.passes,
      devices: o.cuda ? ['cpu', 'cuda'] : ['cpu'], peers: o.peers,
      sweep: o.sweep ? { exponents: o.sweep.exponents, dtypes: o.sweep.dtypes, threads: o.sweep.threads } : null,
      denseMemoryBytes: o.denseMemoryBytes, denseFlops: o.denseFlops, spdmmCols: SPDMM_COLS, timing: o.timing,
    },
    environment,
    peers: o.peers.map((p) => peerInfo.get(p) ?? {
      impl: p, name: PEER_NAMES[p], available: false,
      reason: peerJobs.some((j) => j.peer === p) ? 'not run (the study was cancelled first)' : 'not run: it needs a GPU and the GPU columns were turned off (cuda: false)',
    }),
    sizes: o.sizes,
    notes,
    measurements,
    sweeps,
  };
}

/** The Figure 11 series: sweep measurements grouped by op/impl/device/dtype/threads/pass, with log-log fits. */
export function buildSweeps(measurements: readonly Measurement[]): Sweep[] {
  const groups = new Map<string, Sweep>();
  for (const m of measurements) {
    if (m.suite !== 'sweep' || m.status !== 'ok' || !m.stats) continue;
    const key = [m.op, m.impl, m.device, m.dtype, m.threads, m.pass].join('/');
    let s = groups.get(key);
    if (!s) {
      s = { op: m.op, test: m.test, impl: m.impl, device: m.device, dtype: m.dtype, threads: m.threads, pass: m.pass, points: [], fit: null };
      groups.set(key, s);
    }
    s.points.push({ n: m.n, nnz: m.nnz, median_s: m.stats.median_s, id: m.id });
  }
  for (const s of groups.values()) {
    s.points.sort((a, b) => a.nnz - b.nnz);
    s.fit = fitLogLog(s.points.map((p) => ({ x: p.nnz, y: p.median_s })));
  }
  return [...groups.values()];
}
