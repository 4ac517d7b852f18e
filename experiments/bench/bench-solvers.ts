// npm run bench:solvers -- [--nx 1000] [--cg-nx 256] [--lu-nx 256] [--min-time 0.5] [--no-scipy] [--skip logdet,cg,refactor,loop,rhs,spd]
//
// The bars of issue 16, each measured and printed with its figures (nothing is
// asserted on timing; a bar line says PASS or FAIL for the figures just measured):
//   logdet   logdet's VJP (selected inversion) on a 2-D Poisson matrix with nx² unknowns:
//            time against the numeric factorization, and peak memory against the factor's:
//            the RSS high-water mark during the VJP (VmHWM, reset through
//            /proc/self/clear_refs just before it) minus the RSS before it, plus the factor
//            itself; beside it the C++ accounting (simplicial factor + Z + O(n) work).
//   cg       cg with the implicit adjoint: backward time against the forward solve at one
//            tolerance; the memory a forward keeps for backward (the growth of
//            ArrayBuffer bytes retained by the tape) and the RSS high-water of
//            forward + backward at 100 and at 1000 iterations; SciPy's cg beside it.
//   refactor SparseLU.refactor and CholeskyFactor.refactor against a fresh factorization:
//            what a matrix the engine has not seen costs (symbolic analysis + numeric
//            factorization: the pattern's cache cleared before each run; the bar), and, for
//            information, a factorization whose pattern's analysis is cached (cholesky() and
//            splu() keep it per pattern, so that one is numeric work only, like refactor).
//   loop     spsolve in a training loop (new values every step, same pattern): the time of
//            one spsolve call with a fresh factorization each step (spsolveCache.maxBytes = 0,
//            the behaviour before the cache) and with the kept factorization refactored.
//   rhs      spsolve with k = 32 right-hand sides against 32 single spsolve calls (and the
//            solve phase alone: one [n, 32] solve against 32 solves with one factor); the
//            single calls refactor spsolve's kept factorization (the default), and, for
//            information, factor afresh each (spsolveCache.maxBytes = 0).
//   spd      cholesky factor + solve against SciPy's splu factor + solve on every real SPD
//            matrix of ../shared/data/matrices (SciPy has no sparse Cholesky of its own), ours
//            with the analysis (the pattern's cache cleared: what SciPy's splu does each call,
//            its COLAMD ordering included; the bar) and, for information, with it cached.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  cg, cholesky, CsrMatrix, getThreads, Generator, readMatrixMarket, splu, spsolve, spsolveCache, tensor, type Tensor,
} from '../../native/lib/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const { values: opts } = parseArgs({
  options: {
    nx: { type: 'string', default: '1000' },
    'cg-nx': { type: 'string', default: '256' },
    'lu-nx': { type: 'string', default: '256' },
    'min-time': { type: 'string', default: '0.5' },
    'no-scipy': { type: 'boolean', default: false },
    skip: { type: 'string', default: '' },
  },
});
const minTime = Number(opts['min-time']);
const skip = new Set(opts.skip.split(',').filter(Boolean));

function status(): Record<string, number> {
  const s = readFileSync('/proc/self/status', 'utf8');
  const kb = (k: string): number => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(s)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}
function resetPeak(): void {
  writeFileSync('/proc/self/clear_refs', '5'); // VmHWM := VmRSS (Linux ≥ 4.0)
}
function mb(b: number): string {
  return `${(b / 2 ** 20).toFixed(1)} MiB`;
}
function s(t: number): string {
  return t >= 1 ? `${t.toFixed(2)} s` : `${(t * 1e3).toFixed(2)} ms`;
}
function now(): number {
  return performance.now() / 1e3;
}
/** Median (and min) seconds of fn over ≥ minRuns runs and ≥ minTime. */
function timed(fn: () => void, min = minTime, minRuns = 3): { median: number; min: number; runs: number } {
  const runs: number[] = [];
  const start = now();
  while (runs.length < minRuns || (now() - start < min && runs.length < 200)) {
    const t0 = now();
    fn();
    runs.push(now() - t0);
  }
  runs.sort((a, b) => a - b);
  return { median: runs[runs.length >> 1]!, min: runs[0]!, runs: runs.length };
}
function bar(name: string, ok: boolean, figures: string): void {
  console.log(`  BAR ${ok ? 'PASS' : 'FAIL'}  ${name}: ${figures}`);
}
function load(): string {
  return `load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`;
}
function vec(n: number, seed: number): Tensor {
  const g = new Generator(seed);
  return tensor(Float64Array.from({ length: n }, () => g.normal()));
}
function gc(): void {
  // Several passes: ArrayBuffer backing stores are released after their wrappers are collected.
  for (let i = 0; i < 3; i++) (globalThis as { gc?: () => void }).gc?.();
}

function scipyPeers(req: object): Record<string, unknown> | null {
  if (opts['no-scipy']) return null;
  const r = spawnSync('python3', [join(here, 'scipy_solvers.py')], {
    input: JSON.stringify(req), encoding: 'utf8', maxBuffer: 1 << 26, env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' },
  });
  if (r.status !== 0) {
    console.log(`  (SciPy peer absent: ${(r.stderr || r.error?.message || '').trim().split('\n').pop()})`);
    return null;
  }
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

console.log(`bench:solvers  node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model}), engine threads ${getThreads()}, ` +
  `OPENBLAS_CORETYPE=${process.env.OPENBLAS_CORETYPE ?? '(unset)'}, ${new Date().toISOString()}, ${load()}`);

// ---------------------------------------------------------------------------
if (!skip.has('logdet')) {
  const nx = Number(opts.nx);
  console.log(`\nlogdet VJP on poisson2d(${nx}, ${nx}): n = ${nx * nx} (${load()})`);
  const A = CsrMatrix.poisson2d(nx, nx);
  A.values.requiresGrad = true;
  let t0 = now();
  cholesky(A).dispose(); // symbolic analysis (cached on the pattern) + a first numeric factorization
  const tFirst = now() - t0;
  t0 = now();
  const f = cholesky(A); // numeric factorization with the cached analysis
  const tFactor = now() - t0;
  const info0 = f.info;
  const ld = f.logdet();
  gc();
  resetPeak();
  const before = status();
  t0 = now();
  ld.backward();
  const tVjp = now() - t0;
  const after = status();
  const info1 = f.info;
  const vjpPeak = after.hwm - before.rss;
  console.log(`  analysis + factor ${s(tFirst)}; numeric factorization ${s(tFactor)} (${info0.supernodal ? 'supernodal' : 'simplicial'}, ordering ${info0.ordering}, nnz(L) ${info0.nnzL.toLocaleString()})`);
  console.log(`  logdet = ${ld.item().toFixed(6)}; VJP (selected inversion) ${s(tVjp)}`);
  console.log(`  factor memory ${mb(info0.bytes)}; RSS peak during the VJP above the RSS before it ${mb(vjpPeak)}`);
  // Held at once: the supernodal and the simplicial factor while one is converted
  // into the other, then the simplicial factor with Z and the work arrays; dA throughout.
  // (A supernodal factor stays as it is: Z has its layout.)
  const counted = (info1.supernodal ? info0.bytes + info1.selinvBytes : Math.max(info0.bytes + info1.bytes, info1.bytes + info1.selinvBytes)) + A.nnz * 8;
  console.log(`  C++ accounting: factor after the VJP ${mb(info1.bytes)} (${info1.supernodal ? 'supernodal' : 'simplicial'}), Z and work ${mb(info1.selinvBytes)}, dA ${mb(A.nnz * 8)}: ` +
    `peak held during the VJP (factor included) ${mb(counted)}`);
  // RSS can understate (malloc reuses pages freed earlier), so the bar takes the larger of the two.
  const peak = Math.max(counted, info0.bytes + vjpPeak);
  bar('logdet VJP time ≤ 4× factorization', tVjp <= 4 * tFactor, `${s(tVjp)} / ${s(tFactor)} = ${(tVjp / tFactor).toFixed(2)}×`);
  bar('logdet VJP peak memory ≤ 3× factor', peak <= 3 * info0.bytes,
    `max(accounting ${mb(counted)}, factor + RSS peak ${mb(info0.bytes + vjpPeak)}) / factor ${mb(info0.bytes)} = ${(peak / info0.bytes).toFixed(2)}×`);
  f.dispose();
  gc();
}

// ---------------------------------------------------------------------------
if (!skip.has('cg')) {
  const nx = Number(opts['cg-nx']);
  const A = CsrMatrix.poisson2d(nx, nx);
  const n = A.rows;
  const tol = 1e-8;
  console.log(`\ncg (implicit adjoint) on poisson2d(${nx}, ${nx}): n = ${n}, tol ${tol} (${load()})`);
  let info = cg(A, vec(n, 1), { tol }).info;
  let fwdIt = 0, adjIt = 0;
  const fw: number[] = [], bw: number[] = [];
  const runs = 7; // medians: on a shared machine single runs of one solve vary by 3×
  for (let r = 0; r < runs; r++) {
    const A2 = A.detach();
    A2.values.requiresGrad = true;
    const b = vec(n, 1);
    b.requiresGrad = true;
    let t0 = now();
    const res = cg(A2, b, { tol });
    fw.push(now() - t0);
    const loss = res.x.mul(vec(n, 2)).sum();
    t0 = now();
    loss.backward();
    bw.push(now() - t0);
    info = res.info;
    fwdIt = info.iterations;
    adjIt = info.adjoint!.iterations;
  }
  const median = (a: number[]): number => [...a].sort((x, y) => x - y)[a.length >> 1]!;
  const tF = median(fw);
  const tB = median(bw);
  console.log(`  medians of ${runs} runs: forward ${s(tF)} (${fwdIt} iterations, converged ${info.converged}); backward ${s(tB)} (adjoint cg, ${adjIt} iterations, + dA = −λxᵀ ⊙ mask(A))`);
  bar('cg implicit backward ≤ 1.3× forward', tB <= 1.3 * tF, `${s(tB)} / ${s(tF)} = ${(tB / tF).toFixed(2)}×`);
  const mem: Record<number, { kept: number; peak: number }> = {};
  for (const iters of [100, 1000]) {
    const A2 = A.detach();
    A2.values.requiresGrad = true;
    const b = vec(n, 3);
    gc();
    const ab0 = process.memoryUsage().arrayBuffers;
    resetPeak();
    const rss0 = status().rss;
    const res = cg(A2, b, { tol: 1e-30, maxIter: iters, onNonConvergence: 'ignore' });
    gc();
    const kept = process.memoryUsage().arrayBuffers - ab0;
    res.x.sum().backward();
    mem[iters] = { kept, peak: status().hwm - rss0 };
    console.log(`  maxIter ${iters}: ${res.info.iterations} iterations; kept for backward ${mb(kept)} (x is ${mb(n * 8)}); RSS peak of forward + backward ${mb(mem[iters]!.peak)}`);
  }
  {
    // The same measure on the unrolled mode, to show what it detects: the tape keeps every iteration's vectors.
    const A2 = A.detach();
    A2.values.requiresGrad = true;
    gc();
    const ab0 = process.memoryUsage().arrayBuffers;
    const res = cg(A2, vec(n, 3), { tol: 1e-30, maxIter: 100, adjoint: 'unrolled', onNonConvergence: 'ignore' });
    gc();
    console.log(`  (unrolled, maxIter 100: kept for backward ${mb(process.memoryUsage().arrayBuffers - ab0)}; ${res.info.iterations} iterations)`);
  }
  bar('cg implicit memory flat in iterations (1000 vs 100)', mem[1000]!.kept <= 1.1 * mem[100]!.kept + 2 ** 20,
    `kept ${mb(mem[1000]!.kept)} vs ${mb(mem[100]!.kept)}; RSS peak ${mb(mem[1000]!.peak)} vs ${mb(mem[100]!.peak)}`);
  const peer = scipyPeers({ cg: { nx, tol }, minTime });
  if (peer?.cg) {
    const c = peer.cg as { median_s: number; iterations: number };
    console.log(`  SciPy ${String(peer.scipy)} cg: ${s(c.median_s)} (${c.iterations} iterations); ours forward ${s(tF)}: ${(c.median_s / tF).toFixed(2)}× SciPy's time`);
  }
}

// ---------------------------------------------------------------------------
if (!skip.has('refactor')) {
  const nx = Number(opts['lu-nx']);
  const A = CsrMatrix.poisson2d(nx, nx);
  const g = new Generator(4);
  const A2 = A.withValues(A.values.toArray().map((v) => v * (1 + 0.05 * (g.uniform() / 2 ** 32))));
  const S2 = A.withValues(A.values.toArray().map((v, p) => (v > 0 ? v + 0.1 * (1 + Math.cos(p)) : v))); // a larger diagonal: still SPD
  console.log(`\nrefactor on poisson2d(${nx}, ${nx}): n = ${A.rows} (${load()}); medians of ≥ 3 runs and ≥ ${minTime} s`);
  console.log('  columns: refactor = numeric factorization into the existing factor (same pattern, new values);');
  console.log('           fresh = a matrix the engine has not seen: symbolic analysis + numeric factorization (pattern cache cleared) — the bar;');
  console.log('           warm = a fresh factor object whose pattern\'s analysis is cached (numeric only, plus allocating the factor)');
  const clear = (M: CsrMatrix): void => { for (const k of [...M.pattern.cache.keys()]) M.pattern.cache.delete(k); };
  const lu = splu(A);
  const luRe = timed(() => lu.refactor(A2));
  const luCold = timed(() => { clear(A2); splu(A2).dispose(); });
  const luWarm = timed(() => splu(A2).dispose());
  console.log(`  LU (KLU):       refactor ${s(luRe.median)}  fresh ${s(luCold.median)} (${(luCold.median / luRe.median).toFixed(2)}×)  warm ${s(luWarm.median)} (${(luWarm.median / luRe.median).toFixed(2)}×: KLU's refactor also skips the pivot search)`);
  bar('LU refactor ≥ 2× faster than a fresh factorization', luCold.median >= 2 * luRe.median, `${s(luCold.median)} / ${s(luRe.median)} = ${(luCold.median / luRe.median).toFixed(2)}×`);
  lu.dispose();
  for (const ordering of ['default', 'metis'] as const) {
    const ch = cholesky(A, { ordering });
    const info = ch.info;
    const chRe = timed(() => ch.refactor(S2));
    const chCold = timed(() => { clear(S2); cholesky(S2, { ordering }).dispose(); });
    const chWarm = timed(() => cholesky(S2, { ordering }).dispose());
    console.log(`  Cholesky (${ordering === 'default' ? 'default ordering' : `ordering '${ordering}'`}: ${info.ordering}, ${info.supernodal ? 'supernodal' : 'simplicial'}, nnz(L) ${info.nnzL.toLocaleString()}): refactor ${s(chRe.median)}  fresh ${s(chCold.median)} (${(chCold.median / chRe.median).toFixed(2)}×)  warm ${s(chWarm.median)} (${(chWarm.median / chRe.median).toFixed(2)}×)`);
    if (ordering === 'default') {
      bar('Cholesky refactor ≥ 2× faster than a fresh factorization', chCold.median >= 2 * chRe.median, `${s(chCold.median)} / ${s(chRe.median)} = ${(chCold.median / chRe.median).toFixed(2)}× (default ordering)`);
    }
    ch.dispose();
  }
  console.log('  (a Cholesky has no pivot search to skip: refactor saves the analysis and the factor\'s allocation, so fresh / refactor = 1 + their share)');
}

// ---------------------------------------------------------------------------
if (!skip.has('loop')) {
  const nx = Number(opts['lu-nx']);
  const A = CsrMatrix.poisson2d(nx, nx);
  const n = A.rows;
  const steps = 8;
  console.log(`\nspsolve in a training loop on poisson2d(${nx}, ${nx}) with unsymmetric values: n = ${n}, ${steps} steps (${load()})`);
  const base = A.values.toArray().map((v, p) => v * (1 + 0.3 * Math.sin(p)));
  const run = (limit: number): { step: number; fast: number } => {
    const lim = spsolveCache.maxBytes;
    spsolveCache.clear();
    spsolveCache.maxBytes = limit;
    const M = A.withValues(base, { requiresGrad: true });
    const b = vec(n, 6);
    const times: number[] = [];
    try {
      for (let t = 0; t <= steps; t++) {
        const d = M.values.data; // an optimizer's in-place update of the values
        for (let p = 0; p < d.length; p++) d[p] = base[p]! * (1 + 0.02 * Math.sin(p + t));
        const t0 = now();
        const x = spsolve(M, b);
        if (t > 0) times.push(now() - t0); // step 0 factors in both runs
        x.sum().backward();
        M.values.grad = null;
      }
      const st = spsolveCache.stats();
      return { step: [...times].sort((a, b2) => a - b2)[times.length >> 1]!, fast: st.refactors - st.pivotedAfresh };
    } finally {
      spsolveCache.maxBytes = lim;
      spsolveCache.clear();
    }
  };
  const fresh = run(0);
  const reused = run(spsolveCache.maxBytes);
  console.log(`  per step (median; values change in place, then spsolve; backward untimed): fresh factorization ${s(fresh.step)}, ` +
    `kept factorization refactored ${s(reused.step)} (KLU refactor on ${reused.fast} of ${steps} steps): ${(fresh.step / reused.step).toFixed(2)}× faster`);
}

// ---------------------------------------------------------------------------
if (!skip.has('rhs')) {
  const nx = Number(opts['lu-nx']);
  const A = CsrMatrix.poisson2d(nx, nx);
  const n = A.rows;
  const k = 32;
  const B = tensor(vec(n * k, 5).toArray()).reshape([n, k]);
  const cols = Array.from({ length: k }, (_, c) => tensor(Float64Array.from({ length: n }, (__, i) => B.data[i * k + c]!)));
  console.log(`\n${k} right-hand sides on poisson2d(${nx}, ${nx}): n = ${n} (${load()})`);
  const one = timed(() => spsolve(A, B));
  const many = timed(() => { for (const b of cols) spsolve(A, b); }, 0, 1); // one run: 1 factorization + 31 refactors
  bar(`spsolve with k = ${k} ≥ 5× faster than ${k} single spsolve calls`, many.median >= 5 * one.median,
    `${s(one.median)} vs ${s(many.median)}: ${(many.median / one.median).toFixed(2)}× (the single calls refactor spsolve's kept factorization)`);
  {
    const lim = spsolveCache.maxBytes;
    spsolveCache.maxBytes = 0;
    const one0 = timed(() => spsolve(A, B));
    const many0 = timed(() => { for (const b of cols) spsolve(A, b); }, 0, 1); // one run: 32 factorizations
    spsolveCache.maxBytes = lim;
    console.log(`  with spsolve's reuse off (each call factors afresh): ${s(one0.median)} vs ${s(many0.median)}: ${(many0.median / one0.median).toFixed(2)}×`);
  }
  const lu = splu(A);
  const solveOne = timed(() => lu.solve(B));
  const solveMany = timed(() => { for (const b of cols) lu.solve(b); });
  console.log(`  solve phase alone (one factor): [n, ${k}] ${s(solveOne.median)} vs ${k} solves ${s(solveMany.median)}: ${(solveMany.median / solveOne.median).toFixed(2)}×`);
  const ch = cholesky(A);
  const cOne = timed(() => ch.solve(B));
  const cMany = timed(() => { for (const b of cols) ch.solve(b); });
  console.log(`  Cholesky solve phase: [n, ${k}] ${s(cOne.median)} vs ${k} solves ${s(cMany.median)}: ${(cMany.median / cOne.median).toFixed(2)}×`);
}

// ---------------------------------------------------------------------------
if (!skip.has('spd')) {
  const dir = join(here, '..', '..', '..', 'shared', 'data', 'matrices');
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { matrices: { name: string; file: string; spd: unknown; field: string }[] };
  const spd = index.matrices.filter((m) => m.spd === true && (m.field === 'real' || m.field === 'integer'));
  console.log(`\ncholesky factor + solve vs SciPy splu factor + solve (SciPy has no sparse Cholesky of its own), ${spd.length} real SPD matrices (${load()})`);
  console.log('  ours = cholesky(A) + solve + dispose with the pattern\'s cache cleared (analysis + numeric factorization + solve: what splu does each call) — the bar;');
  console.log('  "cached" = the same with the analysis cached (for information); medians of ≥ 3 runs and ≥ min-time (≤ 200 runs)');
  const peer = scipyPeers({ files: spd.map((m) => join(dir, m.file)), minTime });
  let all = peer !== null;
  for (const m of spd) {
    const { matrix: A } = await readMatrixMarket(join(dir, m.file));
    const b = vec(A.rows, 5);
    const clear = (): void => { for (const k of [...A.pattern.cache.keys()]) A.pattern.cache.delete(k); };
    const ours = timed(() => { clear(); const f = cholesky(A); f.solve(b); f.dispose(); });
    const cached = timed(() => { const f = cholesky(A); f.solve(b); f.dispose(); });
    const sc = (peer?.splu as Record<string, { median_s: number }> | undefined)?.[join(dir, m.file)];
    const ratio = sc ? sc.median_s / ours.median : NaN;
    if (!(ratio > 1)) all = false;
    console.log(`  ${m.name.padEnd(10)} n ${String(A.rows).padStart(6)} nnz ${String(A.nnz).padStart(7)}: ours ${s(ours.median)} ` +
      `(cached ${s(cached.median)})` + (sc ? `, SciPy splu ${s(sc.median_s)}: ours ${ratio.toFixed(2)}× faster` : ', SciPy absent'));
  }
  if (peer) bar('Cholesky factor + solve faster than SciPy splu on every SPD matrix', all, `SciPy ${String(peer.scipy)}`);
}
