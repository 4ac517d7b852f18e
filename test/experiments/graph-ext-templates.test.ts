// The templates beyond the paper (inverse-diffusion, graph-model,
// learned-smoother) and the node kinds they are built from (experiments/graph/ext),
// each checked against a reference computed independently here: the operator
// A(κ) against a dense matrix written from the finite-volume formula, its
// gradient against float64 finite differences, CG against a dense solve, the
// smoother against Jacobi sweeps written out, and the templates' figures against
// the formulas they claim.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CsrMatrix, Generator, denseSolve, exp, gradcheck, mul, poisson2d, spmv, spsolve, sum, tensor, type Tensor, zeros } from '../../native/lib/index.js';
import { runGraph, templates, validateGraph, type Graph, type TemplateInfo } from '../../experiments/graph/index.js';
import { assembleDiffusion2d, diffusionPattern } from '../../experiments/graph/kinds/fields.js';
import { gridGradient } from '../../experiments/graph/ext/grid.js';
import { matrixAdjacency, voronoiLabels } from '../../experiments/graph/ext/matrix-graph.js';
import { conjugateGradient, smooth } from '../../experiments/graph/ext/solvers.js';
import { graphModelTemplate } from '../../experiments/graph/templates/graph-model.js';
import { inverseDiffusionTemplate } from '../../experiments/graph/templates/inverse-diffusion.js';
import { learnedSmootherTemplate } from '../../experiments/graph/templates/learned-smoother.js';

/** The template from templates() when it is listed there, else from its own module. */
function template(name: string, own: () => TemplateInfo): Graph {
  return (templates().find((t) => t.name === name) ?? own()).graph;
}

describe('ext kinds against independent references', () => {
  it('A(κ): the 5-point finite-volume operator, entry by entry from its formula (4×3 grid, random κ)', () => {
    const nx = 4;
    const ny = 3;
    const g = new Generator(1);
    const kappa = Float64Array.from({ length: nx * ny }, () => 0.5 + g.uniform());
    const A = assembleDiffusion2d(diffusionPattern(nx, ny, 'h2', 'float64'), tensor(kappa)).toDense().toArray();
    // −∇·(κ∇u) by hand: a face between cells c and d weighs (κ_c + κ_d)/2, a boundary face κ_c, each over h² = 1/(n+1)².
    const n = nx * ny;
    const ref = new Float64Array(n * n);
    for (let iy = 0; iy < ny; iy++) {
      for (let ix = 0; ix < nx; ix++) {
        const c = iy * nx + ix;
        for (const [dx, dy, s] of [[-1, 0, (nx + 1) ** 2], [1, 0, (nx + 1) ** 2], [0, -1, (ny + 1) ** 2], [0, 1, (ny + 1) ** 2]] as const) {
          const jx = ix + dx;
          const jy = iy + dy;
          if (jx < 0 || jy < 0 || jx >= nx || jy >= ny) {
            ref[c * n + c] += s * kappa[c]!;
            continue;
          }
          const d = jy * nx + jx;
          const w = (s * (kappa[c]! + kappa[d]!)) / 2;
          ref[c * n + c] += w;
          ref[c * n + d] -= w;
        }
      }
    }
    for (let k = 0; k < n * n; k++) assert.ok(Math.abs(A[k]! - ref[k]!) <= 1e-12 * Math.abs(ref[k]!), `entry ${k}: ${A[k]} vs ${ref[k]}`);
  });

  it('the inverse problem’s loss has the gradient finite differences give (θ → exp → A(κ) → spsolve → misfit + λ‖Gθ‖²)', () => {
    const nx = 4;
    const ny = 3;
    const assembly = diffusionPattern(nx, ny, 'h2', 'float64');
    const G = gridGradient(nx, ny);
    const g = new Generator(2);
    const F = zeros([nx * ny, 2]);
    for (let i = 0; i < F.data.length; i++) F.data[i] = g.normal();
    const target = zeros([nx * ny, 2]);
    for (let i = 0; i < target.data.length; i++) target.data[i] = 0.01 * g.normal();
    const theta = tensor(Float64Array.from({ length: nx * ny }, () => 0.3 * g.normal()));
    const loss = (t: CsrMatrix | Tensor): Tensor => {
      const th = t as Tensor;
      const u = spsolve(assembleDiffusion2d(assembly, exp(th)), F);
      const d = u.sub(target);
      const Gt = spmv(G, th);
      return sum(mul(d, d)).add(mul(sum(mul(Gt, Gt)), 1e-3));
    };
    const r = gradcheck(loss, [theta], { eps: 1e-6, rtol: 1e-5, atol: 1e-10 });
    assert.ok(r.ok, `gradcheck failed: max relative error ${r.maxRelError}, ${JSON.stringify(r.failures.slice(0, 3))}`);
  });

  it('gridGradient: ‖Gθ‖² is the sum of squared differences across interior faces (written out)', () => {
    const nx = 5;
    const ny = 4;
    const g = new Generator(3);
    const th = Float64Array.from({ length: nx * ny }, () => g.normal());
    let ref = 0;
    for (let iy = 0; iy < ny; iy++) {
      for (let ix = 0; ix < nx; ix++) {
        if (ix + 1 < nx) ref += (th[iy * nx + ix + 1]! - th[iy * nx + ix]!) ** 2;
        if (iy + 1 < ny) ref += (th[(iy + 1) * nx + ix]! - th[iy * nx + ix]!) ** 2;
      }
    }
    const Gt = spmv(gridGradient(nx, ny), tensor(th));
    assert.ok(Math.abs(sum(mul(Gt, Gt)).item() - ref) < 1e-12 * ref);
    assert.equal(gridGradient(nx, ny).rows, (nx - 1) * ny + nx * (ny - 1));
  });

  it('block CG from x₀: n iterations on an n×n SPD matrix reach the dense solution, column by column', () => {
    const A = poisson2d(3, 3); // 9×9 SPD
    const g = new Generator(4);
    const B = zeros([9, 3]);
    const X0 = zeros([9, 3]);
    for (let i = 0; i < 27; i++) {
      B.data[i] = g.normal();
      X0.data[i] = g.normal();
    }
    const { x, residuals } = conjugateGradient(A, B, X0, 9);
    const ref = denseSolve(A.toDense(), B).toArray();
    const got = x.toArray();
    for (let i = 0; i < 27; i++) assert.ok(Math.abs(got[i]! - ref[i]!) < 1e-9, `entry ${i}: ${got[i]} vs ${ref[i]}`);
    const r = residuals.toArray();
    assert.equal(r.length, 9);
    assert.ok(r[8]! < 1e-10, `final relative residual ${r[8]}`);
    // One vector: the same iterate as the first column of a block.
    const b0 = tensor(Array.from({ length: 9 }, (_, i) => B.data[i * 3]!));
    const x00 = tensor(Array.from({ length: 9 }, (_, i) => X0.data[i * 3]!));
    const single = conjugateGradient(A, b0, x00, 4).x.toArray();
    const block = conjugateGradient(A, B, X0, 4).x.toArray();
    for (let i = 0; i < 9; i++) assert.ok(Math.abs(single[i]! - block[i * 3]!) < 1e-12);
  });

  it('smoother with M = ω D⁻¹: two sweeps are two weighted-Jacobi sweeps from 0, written out densely', () => {
    const A = poisson2d(3, 2);
    const n = A.rows;
    const d = A.diagonal().toArray();
    const M = CsrMatrix.fromCoo(Array.from({ length: n }, (_, i) => i), Array.from({ length: n }, (_, i) => i), Array.from(d, (v) => 0.6 / v), [n, n]);
    const b = tensor(Array.from({ length: n }, (_, i) => Math.sin(i + 1)));
    const got = smooth(A, M, b, 2).toArray();
    const Ad = A.toDense().toArray();
    let x = new Float64Array(n);
    for (let s = 0; s < 2; s++) {
      const next = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        let r = b.data[i]!;
        for (let j = 0; j < n; j++) r -= Ad[i * n + j]! * x[j]!;
        next[i] = x[i]! + (0.6 / d[i]!) * r;
      }
      x = next;
    }
    for (let i = 0; i < n; i++) assert.ok(Math.abs(got[i]! - x[i]!) < 1e-14, `entry ${i}`);
  });

  it('graph-Voronoi labels: every class is non-empty and connected in the matrix’s graph', () => {
    const adj = matrixAdjacency(poisson2d(8, 6));
    const labels = voronoiLabels(adj, 5, new Generator(5));
    const { indptr, indices } = adj.pattern.raw;
    for (let c = 0; c < 5; c++) {
      const members = [...labels.keys()].filter((i) => labels[i] === c);
      assert.ok(members.length > 0, `class ${c} is empty`);
      const seen = new Set([members[0]!]);
      const queue = [members[0]!];
      while (queue.length) {
        const i = queue.pop()!;
        for (let q = indptr[i]!; q < indptr[i + 1]!; q++) {
          const j = indices[q]!;
          if (labels[j] === c && !seen.has(j)) seen.add(j), queue.push(j);
        }
      }
      assert.equal(seen.size, members.length, `class ${c} is not connected`);
    }
    // The adjacency is the symmetric pattern without the diagonal.
    const dense = adj.toDense().toArray();
    for (let i = 0; i < 48; i++) {
      assert.equal(dense[i * 48 + i], 0);
      for (let j = 0; j < 48; j++) assert.equal(dense[i * 48 + j], dense[j * 48 + i]);
    }
  });
});

describe('ext kinds: mistakes are reported on the node, edge or field, before anything runs', () => {
  it('an unknown field value, too many classes for the graph, and a right-hand side of the wrong size', async () => {
    const v = await validateGraph({
      version: 2,
      name: 'bad',
      nodes: [
        { id: 'A', kind: 'poisson2d', fields: { nx: 4, ny: 4 } },
        { id: 'b', kind: 'random-block', fields: { rows: 10, count: 2 } },
        { id: 'cg', kind: 'block-cg', fields: {} },
        { id: 'l', kind: 'weighted-residual-loss', fields: {} },
        { id: 'mg', kind: 'matrix-graph', fields: { classes: 40 } },
        { id: 'f', kind: 'grid-field', fields: { shape: 'blob' } },
      ],
      edges: [
        { id: 'e1', from: { node: 'A', port: 'A' }, to: { node: 'cg', port: 'A' } },
        { id: 'e2', from: { node: 'b', port: 'X' }, to: { node: 'cg', port: 'b' } },
        { id: 'e3', from: { node: 'cg', port: 'residuals' }, to: { node: 'l', port: 'residuals' } },
        { id: 'e4', from: { node: 'A', port: 'A' }, to: { node: 'mg', port: 'A' } },
      ],
    });
    assert.equal(v.ok, false);
    const issues = v.ok ? [] : v.issues;
    const on = (nodeId: string) => issues.find((i) => i.nodeId === nodeId);
    assert.equal(on('f')?.field, 'shape');
    assert.match(on('f')!.message, /grid-field "f" field shape/);
    assert.equal(on('mg')?.field, 'classes');
    assert.match(on('mg')!.message, /40 classes need at least as many nodes but A has 16 rows/);
    assert.deepEqual([on('cg')?.edgeId, on('cg')?.port], ['e2', 'b']);
    assert.match(on('cg')!.message, /block-cg "cg": b has 10 rows but A is 16×16/);
    assert.equal(issues.length, 3, JSON.stringify(issues));
  });
});

describe('templates beyond the paper', () => {
  it('inverse-diffusion: on the defaults the relative L2 error of κ is below 0.15, as its formula gives; two heatmaps', async () => {
    const graph = template('inverse-diffusion', inverseDiffusionTemplate);
    const v = await validateGraph(graph);
    assert.ok(v.ok, JSON.stringify(!v.ok && v.issues));
    const t0 = performance.now();
    const r = await runGraph(graph);
    console.log(`inverse-diffusion: ${((performance.now() - t0) / 1000).toFixed(2)} s, relative error ${r.summary.relativeError} (from ${r.series.metrics.relativeError?.[0]})`);
    const err = r.summary.relativeError as number;
    assert.ok(err < 0.15, `relative error ${err}`);
    assert.ok(r.series.metrics.relativeError![0]! > 0.3, 'the start (κ ≡ 1) is far from the truth');
    // ‖exp(θ) − κ_true‖/‖κ_true‖ from the learned θ and the field's formula, written out here.
    const theta = r.summary.theta as number[];
    let num = 0;
    let den = 0;
    for (let iy = 0; iy < 32; iy++) {
      for (let ix = 0; ix < 32; ix++) {
        const x = (ix + 0.5) / 32;
        const y = (iy + 0.5) / 32;
        const k = 1 + 2 * Math.exp(-((x - 0.35) ** 2 + (y - 0.6) ** 2) / 0.02) + x + 0.5 * x * Math.sin(2 * Math.PI * y);
        num += (Math.exp(theta[iy * 32 + ix]!) - k) ** 2;
        den += k * k;
      }
    }
    assert.ok(Math.abs(Math.sqrt(num / den) - err) < 1e-12, `${Math.sqrt(num / den)} vs ${err}`);
    const maps = r.views.filter((w) => w.kind === 'heatmap');
    assert.deepEqual(
      maps.map((m) => [m.title, m.kind === 'heatmap' && m.width, m.kind === 'heatmap' && m.height, m.kind === 'heatmap' && m.values.length]),
      [
        ['κ true', 32, 32, 1024],
        ['κ recovered', 32, 32, 1024],
      ],
    );
    assert.ok(r.summary.finalLoss < 0.01 * r.summary.initialLoss);
  });

  it('graph-model: the GCN trains, and on held-out nodes beats the same model without the graph (Â replaced by I)', async () => {
    const graph = template('graph-model', graphModelTemplate);
    graph.training.runs = 3;
    const gcn = await runGraph(structuredClone(graph));
    // The features-only reference: the same layers with the identity where Â was.
    const mlp = structuredClone(graph);
    mlp.nodes.push({ id: 'I', kind: 'identity', fields: {} });
    mlp.edges = mlp.edges.filter((e) => e.from.node !== 'Ahat');
    mlp.edges.push(
      { id: 'adjacency→I', from: { node: 'data', port: 'adjacency' }, to: { node: 'I', port: 'like' } },
      { id: 'I→AXW1', from: { node: 'I', port: 'I' }, to: { node: 'AXW1', port: 'A' } },
      { id: 'I→AHW2', from: { node: 'I', port: 'I' }, to: { node: 'AHW2', port: 'A' } },
    );
    const base = await runGraph(mlp);
    const gAcc = gcn.summary.testAccuracyMean as number;
    const mAcc = base.summary.testAccuracyMean as number;
    console.log(`graph-model: loss ${gcn.summary.initialLoss} → ${gcn.summary.finalLoss}; test accuracy GCN ${gAcc}, without the graph ${mAcc} (3 runs each)`);
    assert.ok(gcn.summary.finalLoss < 0.2 * gcn.summary.initialLoss);
    assert.ok(gAcc > mAcc + 0.1, `GCN ${gAcc} vs features only ${mAcc}`);
  });

  it('learned-smoother: training lowers the residual after smoother + CG, relative to plain CG on the same right-hand sides', async () => {
    const graph = template('learned-smoother', learnedSmootherTemplate);
    const r = await runGraph(graph);
    const res = r.series.metrics.residual!;
    const cg = r.series.metrics.cgResidual!;
    // Each epoch draws new right-hand sides; the ratio to plain CG on the same ones takes their luck out.
    const ratio = res.map((v, i) => v / cg[i]!);
    const start = ratio[0]!;
    const end = (r.summary.residual as number) / (r.summary.cgResidual as number);
    console.log(`learned-smoother: residual / plain-CG residual ${start.toFixed(3)} at the start (Jacobi) → ${end.toFixed(3)}; loss ${r.summary.initialLoss} → ${r.summary.finalLoss}`);
    assert.ok(start < 1, 'Jacobi smoothing already helps CG');
    assert.ok(end < 0.85 * start, `ratio ${start} → ${end}`);
    const history = r.views.find((w) => w.kind === 'lines');
    assert.ok(history && history.kind === 'lines' && history.series.length === 2 && history.series[0]!.values.length === 5);
  });
});
