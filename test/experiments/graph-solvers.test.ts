// The solver nodes (kinds/sparse-solvers.ts): logdet, the Cholesky solve and the
// four Krylov solvers, built on their own against dense elimination written here,
// their convergence records, gradients against finite differences (gradcheck),
// every validation error on its node, port or field; a graph using all six run,
// and its exported script computing the same final loss; and the gaussian-field
// template training to its truth, its loss checked against a dense evaluation.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { buildKind, type Value } from '../../experiments/graph/catalogue.js';
import { defineTemplate } from '../../experiments/graph/ext/template.js';
import { exportTypeScript, type Graph, type GraphIssue, nodeCatalogue, runGraph, templates, validateGraph } from '../../experiments/graph/index.js';
import { cg, CsrMatrix, gradcheck, poisson2d, spadd, type Tensor, tensor, tril } from '../../native/lib/index.js';
import { assertClose, denseOf, randomCsr } from '../helpers.js';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));

// ---------------------------------------------------------------------------
// Dense references: Gaussian elimination with partial pivoting.

function eliminate(A: number[][], B: number[][]): { X: number[][]; logAbsDet: number } {
  const n = A.length;
  const a = A.map((r) => r.slice());
  const b = B.map((r) => r.slice());
  let logAbsDet = 0;
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(a[i]![k]!) > Math.abs(a[p]![k]!)) p = i;
    [a[k], a[p]] = [a[p]!, a[k]!];
    [b[k], b[p]] = [b[p]!, b[k]!];
    logAbsDet += Math.log(Math.abs(a[k]![k]!));
    for (let i = k + 1; i < n; i++) {
      const f = a[i]![k]! / a[k]![k]!;
      for (let j = k; j < n; j++) a[i]![j]! -= f * a[k]![j]!;
      for (let j = 0; j < b[0]!.length; j++) b[i]![j]! -= f * b[k]![j]!;
    }
  }
  const X = b.map((r) => r.map(() => 0));
  for (let k = n - 1; k >= 0; k--) {
    for (let j = 0; j < b[0]!.length; j++) {
      let s = b[k]![j]!;
      for (let i = k + 1; i < n; i++) s -= a[k]![i]! * X[i]![j]!;
      X[k]![j] = s / a[k]![k]!;
    }
  }
  return { X, logAbsDet };
}
const solveDense = (A: number[][], b: number[]): number[] => eliminate(A, b.map((v) => [v])).X.map((r) => r[0]!);
const logdetDense = (A: number[][]): number => eliminate(A, A.map(() => [0])).logAbsDet;

/** A random symmetric positive definite n×n CsrMatrix (diagonally dominant, both triangles stored). */
function randomSpd(n: number, seed: number): CsrMatrix {
  const B = randomCsr(n, n, { seed, density: 0.3 });
  const d = denseOf(B);
  const S = d.map((row, i) => row.map((v, j) => (i === j ? 0 : (v + d[j]![i]!) / 2)));
  for (let i = 0; i < n; i++) S[i]![i] = 1 + S[i]!.reduce((s, v) => s + Math.abs(v), 0);
  return CsrMatrix.fromDense(tensor(S));
}

const arr = (v: Value | undefined): number[] => Array.from((v as Tensor).toArray());
const leafOf = (A: CsrMatrix): CsrMatrix => A.withValues(A.values.detach().clone(), { requiresGrad: true });
const S = randomSpd(7, 11);
const Sd = denseOf(S);
const R = randomCsr(6, 6, { seed: 3, density: 0.4, diagonal: 4 }); // nonsymmetric
const Rd = denseOf(R);
const b7 = [1, -2, 0.5, 3, -1, 2, 0.25];
const b6 = [0.5, -1, 2, 0.25, 1.5, -3];

describe('Cholesky nodes', () => {
  it('logdet equals the dense log-determinant, for A stored whole or as one triangle', async () => {
    const k = await buildKind('logdet', {}, { A: S });
    assert.deepEqual(k.outputs.value, { type: 'dense', shape: [], dtype: 'float64' });
    assertClose([arr(k.evaluate({ A: S }).value)[0]!], [logdetDense(Sd)], { rtol: 1e-12 });
    const lower = await buildKind('logdet', { storage: 'lower', ordering: 'amd' }, { A: tril(S) });
    assertClose([arr(lower.evaluate({ A: tril(S) }).value)[0]!], [logdetDense(Sd)], { rtol: 1e-12 });
  });

  it('logdet’s gradient (A⁻¹ ⊙ mask(A), by selected inversion) matches finite differences', async () => {
    const k = await buildKind('logdet', {}, { A: S });
    const r = gradcheck((A) => k.evaluate({ A }).value as Tensor, [leafOf(S)]);
    assert.ok(r.ok, JSON.stringify(r.failures.slice(0, 2)));
  });

  it('the Cholesky solve equals dense elimination for a vector and an n×k block; gradients in A and b match finite differences', async () => {
    const k = await buildKind('cholesky-solve', {}, { A: S, b: tensor(b7) });
    assertClose(arr(k.evaluate({ A: S, b: tensor(b7) }).x), solveDense(Sd, b7), { rtol: 1e-12 });
    const B = b7.map((v, i) => [v, i - 3]);
    const kb = await buildKind('cholesky-solve', { ordering: 'natural' }, { A: S, b: tensor(B) });
    assert.deepEqual(kb.outputs.x!.shape, [7, 2]);
    assertClose(arr(kb.evaluate({ A: S, b: tensor(B) }).x), eliminate(Sd, B).X.flat(), { rtol: 1e-12 });
    const r = gradcheck((A, b) => k.evaluate({ A: A as CsrMatrix, b: b as Tensor }).x as Tensor, [leafOf(S), tensor(b7, { requiresGrad: true })]);
    assert.ok(r.ok, JSON.stringify(r.failures.slice(0, 2)));
  });

  it('a matrix that is not positive definite fails with the engine’s message naming the column', async () => {
    const indefinite = CsrMatrix.fromCoo([0, 0, 1, 1], [0, 1, 0, 1], [1, 2, 2, 1], [2, 2]);
    const k = await buildKind('logdet', {}, { A: indefinite });
    assert.throws(() => k.evaluate({ A: indefinite }), /column/);
  });
});

describe('Krylov nodes', () => {
  const cases = [
    ['cg-solve', { preconditioner: 'jacobi' }, S, Sd, b7],
    ['cg-solve', { preconditioner: 'ic0' }, S, Sd, b7],
    ['minres-solve', { preconditioner: 'jacobi' }, S, Sd, b7],
    ['gmres-solve', { preconditioner: 'ilu0', restart: 2 }, R, Rd, b6],
    ['bicgstab-solve', {}, R, Rd, b6],
  ] as const;
  for (const [kind, fields, A, Ad, b] of cases) {
    it(`${kind} ${JSON.stringify(fields)}: the solution to tol, and its convergence record (residual history from 1, iterations)`, async () => {
      const f = { tol: 1e-12, ...fields };
      const k = await buildKind(kind, f, { A, b: tensor(b) });
      assert.deepEqual(k.outputs.residuals, { type: 'dense', shape: [-1], dtype: 'float64' });
      const out = k.evaluate({ A, b: tensor(b) });
      assertClose(arr(out.x), solveDense(Ad, b), { rtol: 1e-9, atol: 1e-11 });
      const history = arr(out.residuals);
      const iterations = arr(out.iterations)[0]!;
      assert.equal(history[0], 1); // x₀ = 0: r₀ = b
      assert.equal(history.length, iterations + 1);
      assert.ok(history.at(-1)! <= 1e-12, `last residual ${history.at(-1)}`);
      assert.ok(iterations >= 1 && iterations <= (kind === 'gmres-solve' ? 60 : 30), `${iterations} iterations`);
    });
  }

  it("a preconditioner matrix on input M (preconditioner 'matrix') is applied: Jacobi as a matrix takes CG's Jacobi iterations", async () => {
    const dinv = Sd.map((row, i) => 1 / row[i]!);
    const M = CsrMatrix.fromCoo([...dinv.keys()], [...dinv.keys()], dinv, [7, 7]);
    const withM = await buildKind('cg-solve', { preconditioner: 'matrix', tol: 1e-12 }, { A: S, b: tensor(b7), M });
    const jacobi = await buildKind('cg-solve', { preconditioner: 'jacobi', tol: 1e-12 }, { A: S, b: tensor(b7) });
    const a = withM.evaluate({ A: S, b: tensor(b7), M });
    const j = jacobi.evaluate({ A: S, b: tensor(b7) });
    assert.deepEqual(arr(a.iterations), arr(j.iterations));
    assertClose(arr(a.residuals), arr(j.residuals), { rtol: 1e-10 });
  });

  it('an n×k right-hand side is solved column by column; the record is the slowest column’s', async () => {
    const B = b7.map((v, i) => [v, (i % 3) - 1]);
    const k = await buildKind('cg-solve', { tol: 1e-12 }, { A: S, b: tensor(B) });
    assert.deepEqual(k.outputs.x!.shape, [7, 2]);
    const out = k.evaluate({ A: S, b: tensor(B) });
    assertClose(arr(out.x), eliminate(Sd, B).X.flat(), { rtol: 1e-9, atol: 1e-11 });
    const cols = [0, 1].map((c) => cg(S, tensor(B.map((r) => r[c]!)), { tol: 1e-12 }).info.iterations);
    assert.equal(arr(out.iterations)[0], Math.max(...cols));
  });

  it('gradients (implicit adjoint) match finite differences: gmres and bicgstab in A’s values and b; cg and minres in b and along a symmetric change of A', async () => {
    for (const kind of ['gmres-solve', 'bicgstab-solve'] as const) {
      const k = await buildKind(kind, { tol: 1e-13 }, { A: R, b: tensor(b6) });
      const r = gradcheck((A, b) => k.evaluate({ A: A as CsrMatrix, b: b as Tensor }).x as Tensor, [leafOf(R), tensor(b6, { requiresGrad: true })]);
      assert.ok(r.ok, `${kind}: ${JSON.stringify(r.failures.slice(0, 2))}`);
    }
    // cg and minres assume a symmetric A: perturb it symmetrically, A(t) = S + t E with E symmetric.
    const E = poisson2d(7, 1);
    for (const kind of ['cg-solve', 'minres-solve'] as const) {
      const k = await buildKind(kind, { tol: 1e-13 }, { A: S, b: tensor(b7) });
      const r = gradcheck(
        (t, b) => k.evaluate({ A: spadd(S, E, { alpha: 1, beta: t as Tensor }), b: b as Tensor }).x as Tensor,
        [tensor(0.1, { requiresGrad: true }), tensor(b7, { requiresGrad: true })],
      );
      assert.ok(r.ok, `${kind}: ${JSON.stringify(r.failures.slice(0, 2))}`);
    }
  });

  it("adjoint 'unrolled' gives gmres the implicit gradient at convergence", async () => {
    const grads = [];
    for (const adjoint of ['implicit', 'unrolled']) {
      const k = await buildKind('gmres-solve', { tol: 1e-13, adjoint }, { A: R, b: tensor(b6) });
      const A = leafOf(R);
      (k.evaluate({ A, b: tensor(b6) }).x as Tensor).sum().backward();
      grads.push(Array.from(A.values.grad!.toArray()));
    }
    assertClose(grads[1]!, grads[0]!, { rtol: 1e-7, atol: 1e-9 });
  });
});

// ---------------------------------------------------------------------------
// Validation

/** A graph around one solver node: A from `A`, b from `b` (and M when given). */
function around(kind: string, fields: Record<string, unknown>, A: [string, Record<string, unknown>], b: [string, Record<string, unknown>] | null, M?: [string, Record<string, unknown>]): Graph {
  return defineTemplate({
    name: 'one-solver',
    title: 'one solver',
    description: '',
    notes: [],
    nodes: [
      ['A', ...A],
      ...(b ? [['b', ...b] as [string, string, Record<string, unknown>]] : []),
      ...(M ? [['M', ...M] as [string, string, Record<string, unknown>]] : []),
      ['s', kind, fields],
      ['loss', 'sum-loss'],
    ],
    edges: ['A.A -> s.A', ...(b ? [`b.${b[0] === 'cast' ? 'y' : 'b'} -> s.b`] : []), ...(M ? ['M.A -> s.M'] : []), `s.${kind === 'logdet' ? 'value' : 'x'} -> loss.x`],
    training: { epochs: 1 },
  }).graph;
}

async function issuesOf(g: Graph): Promise<GraphIssue[]> {
  const v = await validateGraph(g);
  assert.equal(v.ok, false, 'expected issues');
  return v.ok ? [] : v.issues;
}

describe('validation of the solver nodes', () => {
  it('a good graph: shapes and dtypes inferred on every port, the record too', async () => {
    const g = around('gmres-solve', { restart: 5 }, ['poisson2d', { nx: 3, ny: 4 }], ['vector', { fill: 'ones', length: 12 }]);
    const v = await validateGraph(g);
    assert.ok(v.ok, JSON.stringify(!v.ok && v.issues));
    assert.deepEqual(v.ports.s, {
      x: { type: 'dense', shape: [12], dtype: 'float64' },
      residuals: { type: 'dense', shape: [-1], dtype: 'float64' },
      iterations: { type: 'dense', shape: [], dtype: 'float64' },
    });
    assert.equal(v.graph.nodes.find((n) => n.id === 's')!.fields.tol, 1e-8);
    const ld = await validateGraph(around('logdet', {}, ['poisson2d', { nx: 3, ny: 4 }], null));
    assert.ok(ld.ok && ld.ports.s!.value!.shape.length === 0);
  });

  const cases: [string, () => Graph, Partial<GraphIssue>, RegExp][] = [
    ['logdet of a non-square matrix', () => around('logdet', {}, ['random-sparse', { rows: 5, cols: 4, density: 0.5 }], null), { nodeId: 's', port: 'A' }, /^logdet "s": logdet needs a square A but A is 5×4$/],
    ['a Cholesky solve with b of the wrong length', () => around('cholesky-solve', {}, ['poisson1d', { n: 4 }], ['vector', { fill: 'ones', length: 5 }]), { nodeId: 's', port: 'b' }, /^cholesky-solve "s": b has 5 rows but A is 4×4 \(b needs 4 rows\)$/],
    ['a Krylov solve of a non-square A', () => around('bicgstab-solve', {}, ['random-sparse', { rows: 5, cols: 4, density: 0.5 }], ['vector', { fill: 'ones', length: 5 }]), { nodeId: 's', port: 'A' }, /bicgstab-solve needs a square A but A is 5×4/],
    ["preconditioner 'matrix' without M", () => around('cg-solve', { preconditioner: 'matrix' }, ['poisson1d', { n: 4 }], ['vector', { fill: 'ones', length: 4 }]), { nodeId: 's', field: 'preconditioner' }, /preconditioner is 'matrix' but input M is not connected/],
    ["M wired while another preconditioner is chosen", () => around('gmres-solve', { preconditioner: 'jacobi' }, ['poisson1d', { n: 4 }], ['vector', { fill: 'ones', length: 4 }], ['poisson1d', { n: 4 }]), { nodeId: 's', field: 'preconditioner' }, /input M is connected but preconditioner is 'jacobi' \(choose 'matrix' to use it\)/],
    ['M of the wrong size', () => around('cg-solve', { preconditioner: 'matrix' }, ['poisson1d', { n: 4 }], ['vector', { fill: 'ones', length: 4 }], ['poisson1d', { n: 3 }]), { nodeId: 's', port: 'M' }, /the preconditioner M is 3×3 but A is 4×4/],
    ['b of another dtype', () => around('minres-solve', {}, ['poisson1d', { n: 4 }], ['vector', { fill: 'ones', length: 4, dtype: 'float32' }]), { nodeId: 's', port: 'b' }, /A is float64 but b is float32 \(insert a cast node\)/],
    ['a negative tol', () => around('cg-solve', { tol: -1 }, ['poisson1d', { n: 4 }], ['vector', { fill: 'ones', length: 4 }]), { nodeId: 's', field: 'tol' }, /tol/],
  ];
  for (const [what, graph, where, message] of cases) {
    it(what, async () => {
      const found = await issuesOf(graph());
      const i = found.find((x) => x.nodeId === where.nodeId);
      assert.ok(i, JSON.stringify(found));
      for (const [k, v] of Object.entries(where)) assert.equal(i[k as keyof GraphIssue], v, `${k} of ${JSON.stringify(i)}`);
      assert.match(i.message, message);
    });
  }

  it('the palette lists the six kinds under solvers, each with a description and inspector fields from its JSON Schema', () => {
    const kinds = nodeCatalogue().filter((k) => k.category === 'solvers');
    assert.deepEqual(kinds.map((k) => k.kind), ['logdet', 'cholesky-solve', 'cg-solve', 'minres-solve', 'gmres-solve', 'bicgstab-solve']);
    for (const k of kinds) assert.ok(k.description.length > 40, k.kind);
    const gm = kinds.find((k) => k.kind === 'gmres-solve')!;
    const props = (gm.fields as { properties: Record<string, { enum?: string[]; default?: unknown }> }).properties;
    assert.deepEqual(Object.keys(props), ['tol', 'maxIter', 'preconditioner', 'adjoint', 'onNonConvergence', 'restart']);
    assert.deepEqual(props.preconditioner!.enum, ['none', 'jacobi', 'ic0', 'ilu0', 'matrix']);
    assert.deepEqual(gm.defaults, { tol: 1e-8, maxIter: 0, preconditioner: 'none', adjoint: 'implicit', onNonConvergence: 'warn', restart: 0 });
    assert.deepEqual(gm.outputs.map((p) => p.name), ['x', 'residuals', 'iterations']);
    assert.ok(!('restart' in (kinds.find((k) => k.kind === 'cg-solve')!.fields as { properties: object }).properties));
  });
});

// ---------------------------------------------------------------------------
// A graph with all six, run and exported

/** C = A + s I (s learnable), and every solver on it or on a nonsymmetric R = C + tril(C). */
function allSolvers(): Graph {
  return defineTemplate({
    name: 'all-solvers',
    title: 'all solvers',
    description: 'Every solver node, learnable through s.',
    notes: [],
    nodes: [
      ['A', 'poisson2d', { nx: 4, ny: 3 }],
      ['I', 'identity'],
      ['s', 'scalar-parameter', { init: 0.5 }],
      ['C', 'spadd'],
      ['L', 'tril'],
      ['R', 'spadd'],
      ['d', 'diagonal'],
      ['one', 'scalar', { value: 1 }],
      ['dinv', 'div'],
      ['M', 'diag-matrix'],
      ['b', 'vector', { fill: 'linear', period: 5 }],
      ['ld', 'logdet'],
      ['xc', 'cholesky-solve'],
      ['xcg', 'cg-solve', { tol: 1e-12, preconditioner: 'jacobi' }],
      ['xmr', 'minres-solve', { tol: 1e-12 }],
      ['xgm', 'gmres-solve', { tol: 1e-12, preconditioner: 'ilu0', restart: 4 }],
      ['xbi', 'bicgstab-solve', { tol: 1e-12, preconditioner: 'matrix', adjoint: 'unrolled' }],
      ['lossLd', 'sum-loss', { weight: 0.1 }],
      ['lossC', 'sum-loss'],
      ['lossCg', 'sum-loss'],
      ['lossMr', 'sum-loss'],
      ['lossGm', 'sum-loss'],
      ['lossBi', 'sum-loss'],
      ['cgIterations', 'metric', { pass: 'final' }],
      ['gmresIterations', 'metric', { pass: 'final' }],
      ['history', 'chart', { title: 'residuals', logY: true }],
    ],
    edges: [
      'A.A -> I.like', 'A.A -> C.A', 'I.I -> C.B', 's.value -> C.beta',
      'C.C -> L.A', 'C.C -> R.A', 'L.T -> R.B',
      'R.C -> d.A', 'one.value -> dinv.a', 'd.d -> dinv.b', 'dinv.y -> M.v',
      'A.A -> b.like',
      'C.C -> ld.A', 'ld.value -> lossLd.x',
      'C.C -> xc.A', 'b.b -> xc.b', 'xc.x -> lossC.x',
      'C.C -> xcg.A', 'b.b -> xcg.b', 'xcg.x -> lossCg.x',
      'C.C -> xmr.A', 'b.b -> xmr.b', 'xmr.x -> lossMr.x',
      'R.C -> xgm.A', 'b.b -> xgm.b', 'xgm.x -> lossGm.x',
      'R.C -> xbi.A', 'b.b -> xbi.b', 'M.D -> xbi.M', 'xbi.x -> lossBi.x',
      'xcg.iterations -> cgIterations.x', 'xgm.iterations -> gmresIterations.x',
      'xcg.residuals -> history.s1', 'xgm.residuals -> history.s2',
    ],
    training: { epochs: 5, optimizer: { kind: 'adam', lr: 0.05 } },
  }).graph;
}

describe('a graph with every solver node', () => {
  it('runs: the objective decreases, and the reported CG iterations are the engine’s at the final s', async () => {
    const g = allSolvers();
    const v = await validateGraph(g);
    assert.ok(v.ok, JSON.stringify(!v.ok && v.issues));
    const r = await runGraph(g);
    const losses = r.series.losses.train!;
    assert.ok(losses.at(-1)! < losses[0]!, `loss ${losses[0]} → ${losses.at(-1)}`);
    const s = r.summary.s as number;
    const C = spadd(poisson2d(4, 3), CsrMatrix.fromCoo([...Array(12).keys()], [...Array(12).keys()], new Array(12).fill(1), [12, 12]), { alpha: 1, beta: s });
    // b: 'linear' fill with period 5, b_i = −1 + 2 ((i mod 5) + 1) / 6.
    const b = Array.from({ length: 12 }, (_, i) => -1 + (2 * ((i % 5) + 1)) / 6);
    assertClose((r.probes['b.b→xcg.b'] as { values: number[] }).values, b, { rtol: 1e-15 });
    assert.equal(r.summary.cgIterations, cg(C, tensor(b), { tol: 1e-12, preconditioner: 'jacobi' }).info.iterations);
    const view = r.views.find((w) => w.kind === 'lines')!;
    assert.ok(view.kind === 'lines' && view.series.length === 2 && view.series[0]!.values[0] === 1);
  });

  const dist = existsSync(join(root, 'dist', 'native', 'lib', 'index.js'));
  const dir = join(root, '.cache', `graph-solvers-${process.pid}`);
  after(() => rmSync(dir, { recursive: true, force: true }));
  it('export as TypeScript: the script prints the runner’s final loss and the same iteration counts', { skip: dist ? false : 'dist/native/lib/index.js is missing: run `npm run build:ts` first' }, async () => {
    const g = allSolvers();
    const r = await runGraph(structuredClone(g));
    const code = exportTypeScript(g);
    assert.match(code, /= logdet\(C\);/);
    assert.match(code, /= spsolve\(C, b, \{ method: 'cholesky' \}\);/);
    assert.match(code, /= cg\(C, b, \{ tol: 1e-12, preconditioner: 'jacobi', adjoint: 'implicit', onNonConvergence: 'warn' \}\);/);
    assert.match(code, /= bicgstab\(R, b, \{ tol: 1e-12, preconditioner: M, adjoint: 'unrolled', onNonConvergence: 'warn' \}\);/);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'all-solvers.ts');
    writeFileSync(file, code);
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', file], { cwd: root });
    const final = Number(/^final loss (\S+)$/m.exec(stdout)![1]);
    assert.ok(Math.abs(final - (r.summary.finalLoss as number)) <= 1e-9 * Math.abs(final), `script ${final} vs runGraph ${r.summary.finalLoss}`);
    assert.equal(Number(/^cgIterations (\S+)$/m.exec(stdout)![1]), r.summary.cgIterations);
    assert.equal(Number(/^gmresIterations (\S+)$/m.exec(stdout)![1]), r.summary.gmresIterations);
  });
});

// ---------------------------------------------------------------------------
// The template

describe('template gaussian-field', () => {
  it('is listed, and trains: the loss falls and κ, τ come within 10% of the truth', async () => {
    const t = templates().find((x) => x.name === 'gaussian-field');
    assert.ok(t, 'templates() lists gaussian-field');
    const r = await runGraph(t.graph);
    const losses = r.series.losses.train!;
    assert.ok(losses.at(-1)! < losses[0]! - 5, `loss ${losses[0]} → ${losses.at(-1)}`);
    assert.ok((r.summary.kappaError as number) < 0.1, `κ error ${r.summary.kappaError}`);
    assert.ok((r.summary.tauError as number) < 0.1, `τ error ${r.summary.tauError}`);
  });

  it('its loss is the Gaussian negative log-likelihood, checked against dense elimination on a small grid', async () => {
    // The same graph on a 3×3 grid with 4 samples, so that the probe of y holds every value.
    const g = templates().find((x) => x.name === 'gaussian-field')!.graph;
    for (const n of g.nodes) {
      if (n.kind === 'grid-gradient') Object.assign(n.fields, { nx: 3, ny: 3 });
      if (n.kind === 'random-block') n.fields.count = 4;
      if (n.id === 'quadratic') n.fields.weight = 1 / 8;
    }
    g.training.epochs = 4;
    const r = await runGraph(g);
    const y = (r.probes['y.y→Cinvy.b'] as { values: number[] }).values; // 9×4, row-major
    assert.equal(y.length, 36);
    const kappa = Math.exp(r.summary.a as number);
    const tau = Math.exp(r.summary.b as number);
    // C = κ GᵀG + τ I with GᵀG the 5-point graph Laplacian of the 3×3 grid (degree on the diagonal).
    const L = denseOf(poisson2d(3, 3)).map((row, i) => row.map((v, j) => (i === j ? -row.reduce((s, w, k) => (k === i ? s : s + w), 0) : v)));
    const C = L.map((row, i) => row.map((v, j) => kappa * v + (i === j ? tau : 0)));
    const Y = Array.from({ length: 9 }, (_, i) => y.slice(4 * i, 4 * i + 4));
    const X = eliminate(C, Y).X;
    let quad = 0;
    for (let i = 0; i < 9; i++) for (let k = 0; k < 4; k++) quad += Y[i]![k]! * X[i]![k]!;
    const nll = quad / 8 + logdetDense(C) / 2;
    assertClose([r.summary.finalLoss as number], [nll], { rtol: 1e-10 });
  });
});
