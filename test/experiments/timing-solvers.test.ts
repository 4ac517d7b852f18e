// The timing study's solver rows (issue 16): Cholesky solve, logdet and CG on
// the 2-D Poisson matrix, forward and forward+backward, with SciPy's splu and cg
// beside them — and every SciPy cell absent with "SciPy is not importable" when
// the peers' python has no SciPy. No assertion on timings.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { cholesky, CsrMatrix, randn, spmv, tensor } from '../../native/lib/index.js';
import { timeMatrix } from '../../experiments/timing/matrix.js';
import { toMarkdown, validateReport } from '../../experiments/timing/report/index.js';
import { gridOf, poisson2dOf } from '../../experiments/timing/solver-cases.js';
import { runTimingStudy } from '../../experiments/timing/study.js';
import type { Measurement, TimingReport } from '../../experiments/timing/types.js';

const TINY_TIMING = { sampleTime: 0.0005, samples: 3, warmupTime: 0.0005, maxTime: 0.01 };
const OPS = ['cholesky', 'logdet', 'cg'] as const;
const N = 64;

/** A python that imports SciPy, or null (the SciPy cells are then checked absent). */
function pythonWithScipy(): string | null {
  for (const p of [process.env.SPARSE_AD_PYTHON, '/usr/bin/python3', 'python3']) {
    if (p && spawnSync(p, ['-c', 'import scipy.sparse.linalg'], { encoding: 'utf8' }).status === 0) return p;
  }
  return null;
}
const python = pythonWithScipy();
const tmp = mkdtempSync(join(tmpdir(), 'timing-solvers-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const study = (py: string): Promise<TimingReport> =>
  runTimingStudy({ ops: [...OPS], sizes: { cholesky: N, logdet: N, cg: N }, threads: [1], sweep: { exponents: [4, 5] }, peers: ['scipy'], python: py, timing: TINY_TIMING });

test('gridOf / poisson2dOf: the grid of N unknowns has nx·ny = N exactly; the matrix is the 5-point Laplacian', () => {
  assert.deepEqual(gridOf(64), [8, 8]);
  assert.deepEqual(gridOf(128), [8, 16]);
  assert.deepEqual(gridOf(16384), [128, 128]);
  assert.deepEqual(gridOf(13), [1, 13]); // a prime: the 1-D Poisson matrix
  const A = poisson2dOf(12, 'float64'); // 3 × 4
  assert.equal(A.rows, 12);
  assert.equal(A.nnz, 12 + 2 * (2 * 4 + 3 * 3)); // diagonal + both directions of 17 grid edges
  // Its quadratic form is Σ over grid edges (u_i − u_j)² + Σ boundary faces u_i², checked on a random u.
  const u = randn([12], { seed: 3 }).data;
  let q = 0;
  for (let y = 0; y < 4; y++) {
    for (let x = 0; x < 3; x++) {
      const k = y * 3 + x;
      q += u[k]! ** 2 * ((x === 0 ? 1 : 0) + (x === 2 ? 1 : 0) + (y === 0 ? 1 : 0) + (y === 3 ? 1 : 0));
      if (x < 2) q += (u[k]! - u[k + 1]!) ** 2;
      if (y < 3) q += (u[k]! - u[k + 3]!) ** 2;
    }
  }
  const Au = Array.from(spmv(A, tensor(Array.from(u))).data);
  assert.ok(Math.abs(Au.reduce((s, v, i) => s + v * u[i]!, 0) - q) < 1e-12 * q);
});

test('runTimingStudy (solver rows): ours timed forward and forward+backward; dense logdet and GPU absent with the reason; SciPy splu / cg beside them; no sweeps', async () => {
  const r = await study(python ?? '/usr/bin/python3');
  assert.deepEqual(validateReport(r), []);
  const byId = new Map(r.measurements.map((m) => [m.id, m]));
  const cell = (op: string, variant: string, impl: string, dtype: string, pass: string, device = 'cpu'): Measurement => {
    const id = `table2/${op}/${variant}/${impl}/${device}/${dtype}/${device === 'cpu' ? 1 : 0}t/${pass}/${N}`;
    const m = byId.get(id);
    assert.ok(m, `no cell ${id}`);
    return m;
  };
  const A = poisson2dOf(N, 'float64');
  for (const dtype of ['float32', 'float64']) {
    for (const pass of ['forward', 'forward+backward']) {
      for (const op of OPS) {
        const ours = cell(op, 'sparse', 'ours', dtype, pass);
        assert.equal(ours.status, 'ok', `${ours.id}: ${ours.reason}`);
        assert.equal(ours.nnz, A.nnz);
        assert.match(ours.detail, /2-D Poisson 8×8/);
        const dense = cell(op, 'dense', 'ours', dtype, pass);
        if (op === 'logdet') assert.deepEqual([dense.status, dense.reason], ['absent', 'the engine has no dense log-determinant to compare with']);
        else assert.equal(dense.status, 'ok', `${dense.id}: ${dense.reason}`);
        const gpu = cell(op, 'sparse', 'ours', dtype, pass, 'cuda');
        assert.equal(gpu.status, 'absent');
        const scipy = cell(op, 'sparse', 'scipy', dtype, pass);
        if (!python) assert.match(scipy.reason!, /SciPy is not importable/);
        else if (pass === 'forward+backward') assert.match(scipy.reason!, /no reverse-mode autodiff/);
        else {
          assert.equal(scipy.status, 'ok', `${scipy.id}: ${scipy.reason}`);
          // SciPy times the same matrix: its nnz is ours.
          assert.equal(scipy.nnz, A.nnz);
          assert.match(scipy.detail, { cholesky: /splu factor \+ solve .*SciPy has no sparse Cholesky/, logdet: /splu factor \+ Σ log\|U_ii\|/, cg: /scipy\.sparse\.linalg\.cg \((rtol|tol) 1e-08\)/ }[op]);
        }
      }
    }
  }
  assert.equal(r.sweeps.length, 0, 'the solver rows are not swept');
  assert.ok(r.notes.some((n) => /SciPy has no sparse Cholesky/.test(n)));
  // The report's table shows the rows.
  const md = toMarkdown(r);
  for (const test of ['Cholesky solve', 'logdet', 'CG']) assert.match(md, new RegExp(`\\| ${test} \\| (forward|fwd\\+bwd) \\|`));
});

test('runTimingStudy (solver rows): a python without SciPy makes every SciPy cell absent with "SciPy is not importable", and the study still completes', async () => {
  // A python whose `import scipy` fails: a package named scipy that raises, first on its path.
  const fake = join(tmp, 'fake');
  mkdirSync(join(fake, 'scipy'), { recursive: true });
  writeFileSync(join(fake, 'scipy', '__init__.py'), 'raise ImportError("hidden for this test")\n');
  const wrapper = join(tmp, 'python-without-scipy');
  writeFileSync(wrapper, `#!/bin/sh\nPYTHONPATH='${fake}' exec '${python ?? '/usr/bin/python3'}' "$@"\n`);
  chmodSync(wrapper, 0o755);
  const r = await study(wrapper);
  assert.deepEqual(validateReport(r), []);
  const scipyCells = r.measurements.filter((m) => m.impl === 'scipy');
  assert.equal(scipyCells.length, OPS.length * 2 * 2 * 2); // ops × variants × dtypes × passes
  for (const m of scipyCells) {
    assert.equal(m.status, 'absent', m.id);
    assert.equal(m.stats, null);
    assert.match(m.reason!, /SciPy is not importable/);
  }
  assert.ok(r.measurements.filter((m) => m.impl === 'ours' && m.device === 'cpu' && m.variant === 'sparse').every((m) => m.status === 'ok'));
});

test('timeMatrix (solver rows): an SPD matrix is timed; a non-symmetric one is absent with the reason; one that is not positive definite fails naming the column', async () => {
  const spd = poisson2dOf(36, 'float64');
  const ok = await timeMatrix(spd, { ops: [...OPS], timing: TINY_TIMING, threads: [1] });
  for (const m of ok.measurements) {
    if (m.op === 'logdet' && m.variant === 'dense') assert.equal(m.status, 'absent');
    else assert.equal(m.status, 'ok', `${m.id}: ${m.reason}`);
  }
  const skew = CsrMatrix.fromCoo([0, 0, 1, 1], [0, 1, 0, 1], [4, 1, 2, 4], [2, 2]);
  const no = await timeMatrix(skew, { ops: ['cholesky'], timing: TINY_TIMING, passes: ['forward'], dense: false });
  assert.equal(no.measurements[0]!.reason, 'Cholesky solve needs a symmetric positive definite matrix but this one is not symmetric');
  const indefinite = CsrMatrix.fromCoo([0, 0, 1, 1], [0, 1, 0, 1], [1, 2, 2, 1], [2, 2]);
  assert.throws(() => cholesky(indefinite), /column/); // the engine's own message
  const bad = await timeMatrix(indefinite, { ops: ['logdet'], timing: TINY_TIMING, passes: ['forward'], dense: false });
  assert.equal(bad.measurements[0]!.status, 'error');
  assert.match(bad.measurements[0]!.reason!, /column/);
});
