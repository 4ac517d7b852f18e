// npm run bench:ops -- [--dtype float32,float64] [--threads 1,2] [--ops spmv,...]
//                      [--sizes spmv=32768,...] [--sweep 12:20] [--no-sweep] [--no-scipy]
//                      [--quick] [--out FILE.json]
// npm run bench:ops -- --ratios [--dtype …] [--ops …] [--sizes …] [--rounds R]
//
// Times every engine op at the paper's sizes on the 1-D Poisson matrix, forward
// and forward+backward, then sweeps N = 2^12 … 2^20 (time vs nnz), and puts
// SciPy's forward times for the same matrices beside ours (same run, one thread).
// Prints a table and writes one JSON record per measurement.
//
// --ratios times issue #15's bar instead: forward+backward through a sum() loss
// (gradients reset, forward on operands that require grad, .sum(), backward())
// against the forward alone, per op and dtype at the paper's sizes, on one
// thread pinned to CPU 0 (taskset), the two alternating sample by sample over
// R rounds so that load from other work on the machine falls on both; the
// ratio is the median of the adjacent pairs' ratios; load average printed.
// The npm script compiles first and runs dist/ (the code the lab runs).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildInfo, CsrMatrix, getThreads, noGrad, setThreads, spmv, tensor, type DType } from '../../native/lib/index.js';
import { addon } from '../../native/lib/addon.js';
import { formatSeconds, measure, type MeasureOptions, summarize } from './measure.js';
import { makeCase, OPS, type OpName, PAPER_SIZES, type Pass } from './ops-suite.js';

export interface OpRecord {
  lib: 'ours' | 'scipy';
  op: string;
  pass: Pass;
  dtype: DType;
  threads: number;
  n: number;
  nnz: number;
  median_s: number;
  min_s: number;
  max_s: number;
  mean_s: number;
  stddev_s: number;
  samples: number[];
  kind: 'paper' | 'sweep' | 'overhead';
}

interface Args {
  dtypes: DType[];
  threads: number[];
  ops: OpName[];
  sizes: Record<OpName, number>;
  sweep: [number, number] | null;
  scipy: boolean;
  out: string;
  timing: MeasureOptions;
  ratios: boolean;
  rounds: number;
}

function parseArgs(argv: string[]): Args {
  const hw = buildInfo().hardwareThreads;
  const args: Args = {
    dtypes: ['float32', 'float64'],
    threads: [...new Set([1, hw])],
    ops: [...OPS],
    sizes: { ...PAPER_SIZES },
    sweep: [12, 20],
    scipy: true,
    out: 'bench-results/ops.json',
    timing: { sampleTime: 0.01, samples: 15, maxTime: 2 },
    ratios: false,
    rounds: 5,
  };
  const value = (i: number): string => {
    const v = argv[i + 1];
    if (v === undefined) throw new Error(`bench:ops: ${argv[i]} needs a value`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    switch (a) {
      case '--dtype': args.dtypes = value(i).split(',') as DType[]; i++; break;
      case '--threads': args.threads = value(i).split(',').map((t) => (t === 'all' ? hw : Number(t))); i++; break;
      case '--ops': args.ops = value(i).split(',') as OpName[]; i++; break;
      case '--sizes':
        for (const kv of value(i).split(',')) {
          const [k, v] = kv.split('=');
          if (!OPS.includes(k as OpName) || !Number.isInteger(Number(v))) throw new Error(`bench:ops: bad --sizes entry ${kv}`);
          args.sizes[k as OpName] = Number(v);
        }
        i++;
        break;
      case '--sweep': {
        const [lo, hi] = value(i).split(':').map(Number);
        args.sweep = [lo!, hi!];
        i++;
        break;
      }
      case '--no-sweep': args.sweep = null; break;
      case '--no-scipy': args.scipy = false; break;
      case '--quick': args.timing = { sampleTime: 0.005, samples: 7, maxTime: 0.5 }; args.sweep = [12, 18]; break;
      case '--out': args.out = value(i); i++; break;
      case '--ratios': args.ratios = true; break;
      case '--rounds': args.rounds = Number(value(i)); i++; break;
      case '--help':
        console.log('usage: npm run bench:ops -- [--dtype float32,float64] [--threads 1,2] [--ops spmv,spgemm,spdmm,spadd,sptrsv,spsolve] [--sizes op=N,...] [--sweep LO:HI | --no-sweep] [--no-scipy] [--quick] [--out FILE]');
        console.log('       npm run bench:ops -- --ratios [--dtype …] [--ops …] [--sizes op=N,...] [--rounds R] [--out FILE]   (fwd+bwd through sum() over fwd, one pinned core)');
        process.exit(0);
      default: throw new Error(`bench:ops: unknown option ${a} (try --help)`);
    }
  }
  for (const d of args.dtypes) if (d !== 'float32' && d !== 'float64') throw new Error(`bench:ops: bad dtype ${d}`);
  for (const o of args.ops) if (!OPS.includes(o)) throw new Error(`bench:ops: unknown op ${o} (ops: ${OPS.join(', ')})`);
  for (const t of args.threads) if (!Number.isInteger(t) || t < 1) throw new Error(`bench:ops: bad thread count ${t}`);
  if (!Number.isInteger(args.rounds) || args.rounds < 1) throw new Error(`bench:ops: bad --rounds ${args.rounds}`);
  return args;
}

function record(op: string, pass: Pass, dtype: DType, threads: number, n: number, nnz: number, kind: OpRecord['kind'], fn: () => void, timing: MeasureOptions): OpRecord {
  const s = measure(fn, timing);
  return { lib: 'ours', op, pass, dtype, threads, n, nnz, median_s: s.median_s, min_s: s.min_s, max_s: s.max_s, mean_s: s.mean_s, stddev_s: s.stddev_s, samples: s.samples, kind };
}

/** Single-core streaming read bandwidth (bytes/s), over a 512 MiB array. */
function readBandwidth(): number {
  const a = new Float64Array(64 * 1024 * 1024).fill(1);
  const streamReadSum = addon().streamReadSum as (a: Float64Array, reps: number) => number;
  streamReadSum(a, 1);
  const best = measure(() => void streamReadSum(a, 1), { sampleTime: 0.05, samples: 7, warmupTime: 0.05, maxTime: 5 });
  return a.byteLength / best.min_s;
}

function runScipy(cases: { op: string; n: number; dtype: DType }[], timing: MeasureOptions): { records: OpRecord[]; note: string } {
  const python = process.env.SPARSE_AD_PYTHON ?? '/usr/bin/python3';
  // Beside this file in the source tree; from the compiled dist/experiments/bench, back in it.
  const here = dirname(fileURLToPath(import.meta.url));
  const script = [resolve(here, 'scipy_ops.py'), resolve(here, '../../../experiments/bench/scipy_ops.py')].find((p) => existsSync(p));
  if (script === undefined) return { records: [], note: `SciPy column absent: scipy_ops.py is neither beside ${here} nor in experiments/bench` };
  const env = { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
  const res = spawnSync(python, [script], { input: JSON.stringify({ cases, timing }), env, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (res.error) return { records: [], note: `SciPy column absent: could not run ${python} (${res.error.message})` };
  if (res.status !== 0) return { records: [], note: `SciPy column absent: ${python} failed: ${res.stderr.trim().split('\n').slice(-1)[0]}` };
  const records = (JSON.parse(res.stdout) as OpRecord[]).map((r) => ({ ...r, kind: 'paper' as const }));
  return { records, note: `SciPy ${(records[0] as unknown as { version?: string })?.version ?? ''} via ${python}, one thread` };
}

/** Issue #15's bar on forward+backward through a sum() loss over the forward. */
const RATIO_BAR: Record<OpName, number> = { spmv: 3, spdmm: 3, spadd: 3, sptrsv: 3, spgemm: 4, spsolve: 2 };

/** Sets the CPUs of every thread of this process (taskset -a -p); false when taskset is missing or fails. */
function pinTo(cpuList: string): boolean {
  const r = spawnSync('taskset', ['-a', '-p', '-c', cpuList, String(process.pid)], { encoding: 'utf8' });
  return !r.error && r.status === 0;
}

const load = (): string => loadavg().map((x) => x.toFixed(2)).join(' ');

/**
 * Per-call wall and CPU time (this process's user + system time: a call that
 * waits for a core busy with other work is not charged for the wait), over
 * `samples` samples of `calls` calls each.
 */
function measureCpu(fn: () => void, calls: number, samples: number): { wall: number[]; cpu: number[] } {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let s = 0; s < samples; s++) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (let k = 0; k < calls; k++) fn();
    const t1 = process.hrtime.bigint();
    const c1 = process.cpuUsage(c0);
    wall.push(Number(t1 - t0) / 1e9 / calls);
    cpu.push((c1.user + c1.system) / 1e6 / calls);
  }
  return { wall, cpu };
}

function ratios(args: Args): void {
  const pinned = pinTo('0');
  setThreads(1);
  console.log(`\n## Forward+backward through sum() over forward — paper sizes, 1 thread, ${pinned ? 'pinned to CPU 0 (taskset)' : 'NOT pinned (taskset failed)'}`);
  console.log(`load average at start: ${load()}. The two alternate sample by sample over ${args.rounds} rounds; times are medians of per-call wall time,`);
  console.log('and of CPU time (user + system of this process: on a busy machine the wall time also counts waiting for the core, the CPU time does not);');
  console.log('a ratio is the median over the adjacent (forward, forward+backward) sample pairs of their ratio.\n');
  console.log('| op | N | dtype | fwd wall | fwd+bwd wall | ratio (wall) | fwd CPU | fwd+bwd CPU | ratio (CPU) | bar | met (CPU) |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  const records: { op: OpName; n: number; dtype: DType; forward: { wall: number[]; cpu: number[] }; sumLoss: { wall: number[]; cpu: number[] }; ratioWall: number; ratioCpu: number; bar: number; load: number[] }[] = [];
  const perSample = args.timing.sampleTime ?? 0.01;
  const samples = Math.max(3, Math.ceil((args.timing.samples ?? 15) / args.rounds));
  for (const dtype of args.dtypes) {
    for (const op of args.ops) {
      const n = args.sizes[op];
      const c = makeCase(op, n, dtype);
      const fwd = c.run('forward');
      const fb = c.sumLoss();
      // Warm-up (0.3 s of calls each: a training loop's steady state, the pool
      // and the allocator settled), and the number of calls that fills a sample.
      const callsFor = (fn: () => void): number => {
        const w = measure(fn, { samples: 3, sampleTime: perSample, warmupTime: 0.3, maxTime: 1 });
        return Math.max(1, Math.round(perSample / Math.max(w.median_s, 1e-9)));
      };
      const nf = callsFor(fwd);
      const nb = callsFor(fb);
      const f = { wall: [] as number[], cpu: [] as number[] };
      const b = { wall: [] as number[], cpu: [] as number[] };
      // Sample by sample, a forward sample and then a forward+backward one: each
      // pair shares the machine's state of that moment (a neighbour's load on
      // this shared VM moves both for ~10 ms at a time), and the ratio reported
      // is the median of the pairs' ratios.
      const pairWall: number[] = [];
      const pairCpu: number[] = [];
      for (let r = 0; r < args.rounds; r++) {
        process.stderr.write(`\r\x1b[K${op} ${dtype} round ${r + 1}/${args.rounds}`);
        for (let s = 0; s < samples; s++) {
          const mf = measureCpu(fwd, nf, 1);
          const mb = measureCpu(fb, nb, 1);
          f.wall.push(...mf.wall); f.cpu.push(...mf.cpu);
          b.wall.push(...mb.wall); b.cpu.push(...mb.cpu);
          pairWall.push(mb.wall[0]! / mf.wall[0]!);
          if (mf.cpu[0]! > 0) pairCpu.push(mb.cpu[0]! / mf.cpu[0]!);
        }
      }
      process.stderr.write('\r\x1b[K');
      const med = (xs: number[]): number => summarize(xs, 1).median_s;
      const bar = RATIO_BAR[op];
      const ratioWall = med(pairWall);
      const ratioCpu = pairCpu.length > 0 ? med(pairCpu) : NaN;
      records.push({ op, n, dtype, forward: f, sumLoss: b, ratioWall, ratioCpu, bar, load: loadavg() });
      console.log(`| ${op} | ${n} | ${dtype} | ${formatSeconds(med(f.wall))} | ${formatSeconds(med(b.wall))} | ${ratioWall.toFixed(2)} | ${formatSeconds(med(f.cpu))} | ${formatSeconds(med(b.cpu))} | ${ratioCpu.toFixed(2)} | ≤ ${bar} | ${ratioCpu <= bar ? 'yes' : 'no'} |`);
    }
  }
  console.log(`\nload average at end: ${load()}`);
  setThreads(0);
  mkdirSync(dirname(resolve(args.out)), { recursive: true });
  writeFileSync(args.out, JSON.stringify({ schemaVersion: 1, kind: 'ratios', pinned, machine: { cpu: cpus()[0]?.model, cores: cpus().length, node: process.version }, records }, null, 1));
  console.log(`wrote ${records.length} records to ${args.out}`);
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  if (args.ratios) {
    const info = buildInfo();
    console.log(`# bench:ops --ratios — ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, node ${process.version}, BLAS ${info.blas}, KLU ${info.klu}`);
    if (args.out === 'bench-results/ops.json') args.out = 'bench-results/ops-ratios.json';
    ratios(args);
    return;
  }
  const info = buildInfo();
  const records: OpRecord[] = [];
  const progress = (msg: string): void => void process.stderr.write(`\r\x1b[K${msg}`);
  console.log(`# bench:ops — ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}, BLAS ${info.blas}, KLU ${info.klu}, CUDA build ${info.cuda}`);

  // Paper sizes.
  for (const threads of args.threads) {
    setThreads(threads);
    for (const dtype of args.dtypes) {
      for (const op of args.ops) {
        const n = args.sizes[op];
        const c = makeCase(op, n, dtype);
        for (const pass of ['forward', 'forward+backward'] as Pass[]) {
          progress(`paper sizes: ${op} ${pass} ${dtype} ${threads} thread(s) N=${n}`);
          records.push(record(op, pass, dtype, threads, n, c.nnz, 'paper', c.run(pass), args.timing));
        }
      }
    }
  }

  // Call overhead on tiny inputs.
  setThreads(1);
  {
    const A = CsrMatrix.fromCoo([0], [0], [2], [1, 1]);
    const x = tensor([3]);
    records.push(record('spmv', 'forward', 'float64', 1, 1, 1, 'overhead', () => void noGrad(() => spmv(A, x)), args.timing));
  }

  // Sweep: time vs nnz.
  if (args.sweep) {
    for (const threads of args.threads) {
      setThreads(threads);
      for (const dtype of args.dtypes) {
        for (const op of args.ops) {
          for (let e = args.sweep[0]; e <= args.sweep[1]; e++) {
            const n = 2 ** e;
            const c = makeCase(op, n, dtype);
            for (const pass of ['forward', 'forward+backward'] as Pass[]) {
              progress(`sweep: ${op} ${pass} ${dtype} ${threads} thread(s) N=2^${e}`);
              records.push(record(op, pass, dtype, threads, n, c.nnz, 'sweep', c.run(pass), args.timing));
            }
          }
        }
      }
    }
  }
  progress('');

  // SciPy side by side (forward, one thread, paper sizes).
  let scipyNote = 'SciPy column not requested (--no-scipy)';
  if (args.scipy) {
    progress('SciPy…');
    const cases = args.dtypes.flatMap((dtype) => args.ops.map((op) => ({ op, n: args.sizes[op], dtype })));
    const res = runScipy(cases, args.timing);
    records.push(...res.records);
    scipyNote = res.note;
    progress('');
  }
  setThreads(0);

  // Table: paper sizes.
  const find = (lib: string, op: string, pass: Pass, dtype: DType, threads: number, n: number, kind: OpRecord['kind']): OpRecord | undefined =>
    records.find((r) => r.lib === lib && r.op === op && r.pass === pass && r.dtype === dtype && r.threads === threads && r.n === n && r.kind === kind);
  console.log(`\n## Paper sizes (medians per call; ${scipyNote})\n`);
  console.log('| op | N | dtype | threads | ours fwd | ours fwd+bwd | bwd ratio | SciPy fwd | ours/SciPy |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const threads of args.threads) {
    for (const dtype of args.dtypes) {
      for (const op of args.ops) {
        const n = args.sizes[op];
        const f = find('ours', op, 'forward', dtype, threads, n, 'paper');
        const fb = find('ours', op, 'forward+backward', dtype, threads, n, 'paper');
        const s = threads === 1 ? find('scipy', op, 'forward', dtype, 1, n, 'paper') : undefined;
        console.log(`| ${op} | ${n} | ${dtype} | ${threads} | ${formatSeconds(f?.median_s ?? NaN)} | ${formatSeconds(fb?.median_s ?? NaN)} | ${f && fb ? (fb.median_s / f.median_s).toFixed(2) : '—'} | ${s ? formatSeconds(s.median_s) : '—'} | ${f && s ? (f.median_s / s.median_s).toFixed(2) : '—'} |`);
      }
    }
  }
  const ov = records.find((r) => r.kind === 'overhead');
  if (ov) console.log(`\nTypeScript → native overhead: spmv on a 1×1 matrix, forward, ${formatSeconds(ov.median_s)} per call`);

  // SpMV bandwidth at N = 2^20, float64, 1 thread.
  if (args.sweep && args.sweep[1] >= 20 && args.ops.includes('spmv') && args.dtypes.includes('float64') && args.threads.includes(1)) {
    const n = 2 ** 20;
    const r = find('ours', 'spmv', 'forward', 'float64', 1, n, 'sweep');
    if (r) {
      const bw = readBandwidth();
      const bytes = r.nnz * 12 + n * 20;
      const achieved = bytes / r.median_s;
      console.log(`SpMV N=2^20 float64, 1 thread: ${formatSeconds(r.median_s)}, ${(achieved / 1e9).toFixed(1)} GB/s of ${(bw / 1e9).toFixed(1)} GB/s single-core streaming read (${((100 * achieved) / bw).toFixed(0)}%)`);
    }
  }
  // Thread scaling at N = 2^20.
  if (args.sweep && args.sweep[1] >= 20 && args.threads.length > 1) {
    const tmax = Math.max(...args.threads);
    for (const op of ['spmv', 'spdmm'] as OpName[]) {
      for (const dtype of args.dtypes) {
        const one = find('ours', op, 'forward', dtype, 1, 2 ** 20, 'sweep');
        const many = find('ours', op, 'forward', dtype, tmax, 2 ** 20, 'sweep');
        if (one && many) console.log(`${op} N=2^20 ${dtype}: ${tmax} threads ${(one.median_s / many.median_s).toFixed(2)}× faster than 1 (${formatSeconds(one.median_s)} → ${formatSeconds(many.median_s)})`);
      }
    }
  }
  // Sweep slopes (log-log, time vs nnz).
  if (args.sweep) {
    console.log('\n## Sweep: log-log slope of time vs nnz (1 thread)\n');
    console.log('| op | dtype | pass | slope | time at smallest N | time at largest N |');
    console.log('|---|---|---|---|---|---|');
    for (const op of args.ops) {
      for (const dtype of args.dtypes) {
        for (const pass of ['forward', 'forward+backward'] as Pass[]) {
          const pts = records.filter((r) => r.kind === 'sweep' && r.op === op && r.dtype === dtype && r.pass === pass && r.threads === (args.threads[0] ?? 1));
          if (pts.length < 2) continue;
          const xs = pts.map((p) => Math.log(p.nnz));
          const ys = pts.map((p) => Math.log(p.median_s));
          const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
          const my = ys.reduce((a, b) => a + b, 0) / ys.length;
          let sxy = 0;
          let sxx = 0;
          xs.forEach((x, i) => { sxy += (x - mx) * (ys[i]! - my); sxx += (x - mx) ** 2; });
          console.log(`| ${op} | ${dtype} | ${pass} | ${(sxy / sxx).toFixed(2)} | ${formatSeconds(pts[0]!.median_s)} | ${formatSeconds(pts[pts.length - 1]!.median_s)} |`);
        }
      }
    }
  }

  mkdirSync(dirname(resolve(args.out)), { recursive: true });
  writeFileSync(args.out, JSON.stringify({ schemaVersion: 1, machine: { cpu: cpus()[0]?.model, cores: cpus().length, memory: totalmem(), node: process.version, build: info, threadsAtEnd: getThreads() }, records }, null, 1));
  console.log(`\nwrote ${records.length} records to ${args.out}`);
}

main();
