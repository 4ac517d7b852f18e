// Version-1 specs (a fixed pipeline: matrix → method → parameters → loss →
// optimizer) as version-2 graphs that compute the same numbers: the same
// random streams (STREAM), the same ops on the same operands in the same order.
// The paper templates are these graphs for the v1 presets.
import type {
  DenseParameter,
  GcnMethod,
  GraphSource,
  HeavyballMethod,
  JacobiMethod,
  MatrixSource,
  PcgMethod,
  ProblemSpec,
  RhsKind,
  ScalarParameter,
  SparseParameter,
  VectorParameter,
} from '../spec/types.js';
import { SpecError, validateSpec } from '../spec/validate.js';
import { GraphError, GraphSchema, type Graph, type Training } from './schema.js';
import { GraphBuilder, STREAM } from './templates/build.js';

/** A v1 spec or a v2 graph (as parsed JSON) → a v2 graph (v1 converted). Throws GraphError with issues. */
export function toGraph(input: unknown): Graph {
  const version = (input as { version?: unknown } | null)?.version;
  if (version === 1) {
    let spec: ProblemSpec;
    try {
      spec = validateSpec(input);
    } catch (e) {
      if (e instanceof SpecError) throw new GraphError([{ field: e.field, message: e.message }]);
      throw e;
    }
    return specToGraph(spec);
  }
  const parsed = GraphSchema.safeParse(input);
  if (!parsed.success) {
    throw new GraphError(
      parsed.error.issues.map((i) => ({ message: `${i.path.length ? i.path.join('.') + ': ' : ''}${i.message}${version === undefined && i.path[0] === 'version' ? ' (a graph has version 2; a v1 spec version 1)' : ''}` })),
    );
  }
  return parsed.data;
}

/** A checked v1 spec as a graph. */
export function specToGraph(spec: ProblemSpec): Graph {
  const training: Training = {
    optimizer: structuredClone(spec.optimizer) as Training['optimizer'],
    epochs: spec.epochs,
    runs: spec.runs,
    seed: spec.seed,
    dtype: spec.dtype,
    device: spec.device,
  };
  const g = new GraphBuilder();
  switch (spec.method.kind) {
    case 'jacobi':
      jacobi(g, spec, spec.method);
      break;
    case 'heavyball':
      heavyball(g, spec, spec.method);
      break;
    case 'pcg':
      pcg(g, spec, spec.method);
      break;
    case 'gcn':
      gcn(g, spec, spec.method);
      break;
  }
  return g.graph(spec.name, training, spec.description || undefined, spec.notes.length ? [...spec.notes] : undefined);
}

function matrix(g: GraphBuilder, m: MatrixSource, at: [number, number]): void {
  if (m.kind === 'generator') g.node('A', m.name, m.name === 'poisson1d' ? { n: m.n } : { nx: m.nx, ny: m.ny }, at);
  else if (m.kind === 'file') g.node('A', 'matrix-file', { path: m.path }, at);
  else throw new GraphError([{ field: 'spec.matrix', message: 'a graph dataset goes with the gcn method' }]);
}

/** The right-hand side b (one vector; blocks broadcast it to every column), or nothing for b = 0. */
function rhs(g: GraphBuilder, m: MatrixSource, kind: RhsKind, at: [number, number], columns = 0): boolean {
  if (kind === 'zero') return false;
  const period = m.kind === 'generator' && m.name === 'poisson2d' ? m.nx : 0;
  const fields = { fill: kind, ...(kind === 'random' ? { distribution: 'normal', stream: STREAM.rhs } : {}), ...(kind === 'linear' ? { period } : {}), ...(columns ? { columns } : {}) };
  g.node('b', 'vector', fields, at, `b (${kind})`);
  g.wire('A.A', 'b.like');
  return true;
}

function solverLoss(g: GraphBuilder, spec: ProblemSpec, id: string, x: string, withB: boolean, at: [number, number], monitor = false, label?: string): void {
  const loss = spec.loss;
  if (loss.kind !== 'energy' && loss.kind !== 'residual') throw new GraphError([{ field: 'spec.loss.kind', message: `the ${spec.method.kind} method takes an energy or residual loss, not ${loss.kind}` }]);
  g.node(id, loss.kind === 'energy' ? 'energy-loss' : 'residual-loss', { reduction: loss.reduction, ...(monitor ? { role: 'monitor' } : {}) }, at, label);
  g.wire('A.A', `${id}.A`).wire(x, `${id}.x`);
  if (loss.kind === 'residual' && withB) g.wire('b.b', `${id}.b`);
}

function jacobi(g: GraphBuilder, spec: ProblemSpec, m: JacobiMethod): void {
  matrix(g, spec.matrix, [0, 0]);
  // b in every column of an n×K block, as v1 applied Ω D⁻¹ to it (SpDMM over K columns).
  const withB = rhs(g, spec.matrix, m.rhs, [1, 3], m.vectors.count);
  g.node('X', 'random-block', { count: m.vectors.count, distribution: m.vectors.distribution, resample: m.resample, stream: STREAM.vectors }, [1, 1], 'vectors xₖ')
    .node('omega', 'vector-parameter', { init: 'constant', value: (spec.parameters.omega as VectorParameter).init }, [1, 2], 'ω')
    .node('jacobi', 'jacobi', { sweeps: m.sweeps }, [2, 0], `weighted Jacobi ×${m.sweeps}`)
    .wire('A.A', 'X.like')
    .wire('A.A', 'omega.like')
    .wire('A.A', 'jacobi.A')
    .wire('X.X', 'jacobi.x')
    .wire('omega.value', 'jacobi.omega');
  if (withB) g.wire('b.b', 'jacobi.b');
  solverLoss(g, spec, 'loss', 'jacobi.y', withB, [3, 0]);
  g.node('weights', 'chart', { chart: 'bars', title: 'Learned Jacobi weights by node (Fig. 4)', x: 'index', xLabel: 'node', yLabel: 'ω', names: ['learned ω'] }, [3, 2]).wire(
    'omega.value',
    'weights.s1',
  );
}

function heavyball(g: GraphBuilder, spec: ProblemSpec, m: HeavyballMethod): void {
  matrix(g, spec.matrix, [0, 1]);
  const withB = rhs(g, spec.matrix, m.rhs, [0, 3]);
  g.node('Xtrain', 'random-block', { count: m.train.count, distribution: m.train.distribution, stream: STREAM.vectors }, [1, 0], 'training vectors')
    .node('Xtest', 'random-block', { count: m.test.count, distribution: m.test.distribution, stream: STREAM.testVectors }, [1, 3], 'test vectors')
    .node('alpha', 'scalar-parameter', { init: (spec.parameters.alpha as ScalarParameter).init }, [1, 1], 'α')
    .node('beta', 'scalar-parameter', { init: (spec.parameters.beta as ScalarParameter).init }, [1, 2], 'β')
    .node('heavyball', 'heavyball', { iterations: m.iterations }, [2, 0], `heavyball ×${m.iterations}`)
    .node('heavyballTest', 'heavyball', { iterations: m.iterations }, [2, 3], `heavyball ×${m.iterations} (test)`)
    .wire('A.A', 'Xtrain.like')
    .wire('A.A', 'Xtest.like');
  for (const [block, X] of [
    ['heavyball', 'Xtrain'],
    ['heavyballTest', 'Xtest'],
  ] as const) {
    g.wire('A.A', `${block}.A`).wire(`${X}.X`, `${block}.x`).wire('alpha.value', `${block}.alpha`).wire('beta.value', `${block}.beta`);
    if (withB) g.wire('b.b', `${block}.b`);
  }
  solverLoss(g, spec, 'loss', 'heavyball.y', withB, [3, 0]);
  solverLoss(g, spec, 'test', 'heavyballTest.y', withB, [3, 3], true, 'test loss');
  g.node('parameters', 'chart', { chart: 'lines', title: 'α and β per epoch (Fig. 6)', x: 'epoch', xLabel: 'epoch', yLabel: 'value', names: ['α', 'β'] }, [3, 1])
    .wire('alpha.value', 'parameters.s1')
    .wire('beta.value', 'parameters.s2');
}

const PATTERN: Record<SparseParameter['pattern'], string> = {
  diagonal: 'diagonal',
  'lower bidiagonal': 'lower bidiagonal',
  'upper bidiagonal': 'upper bidiagonal',
  tridiagonal: 'tridiagonal',
  'lower triangle of A': 'lower triangle',
};

function pcg(g: GraphBuilder, spec: ProblemSpec, m: PcgMethod): void {
  const L = spec.parameters.L as SparseParameter;
  if (spec.loss.kind !== 'weighted-residual') throw new GraphError([{ field: 'spec.loss.kind', message: `the pcg method takes the weighted-residual loss, not ${spec.loss.kind}` }]);
  matrix(g, spec.matrix, [0, 0]);
  rhs(g, spec.matrix, m.rhs, [1, 0]);
  g.node('L', 'sparse-parameter', { pattern: PATTERN[L.pattern], diagonal: L.init.diagonal, offDiagonal: L.init.offDiagonal }, [1, 1])
    .node('LT', 'transpose', {}, [2, 2], 'Lᵀ')
    .node('M', 'spgemm', {}, [3, 1], 'M = L Lᵀ')
    .node('pcg', 'cg', { iterations: m.iterations }, [4, 0], `PCG ×${m.iterations}`)
    .node('loss', 'weighted-residual-loss', { gamma: spec.loss.gamma }, [5, 0])
    .node('relativeResidual', 'relative-residual', { pass: 'train' }, [5, 1], 'relative residual')
    .node('cgHistory', 'residual-history', { iterations: m.historyIterations }, [4, 2], 'CG history')
    .node('pcgHistory', 'residual-history', { iterations: m.historyIterations }, [4, 3], 'learned PCG history')
    .node('history', 'chart', { chart: 'lines', title: 'Residual history: CG vs learned PCG (Fig. 8)', x: 'index', xLabel: 'iteration', yLabel: '‖r‖/‖b‖', logY: true, names: ['CG', 'learned PCG'] }, [5, 3])
    .wire('A.A', 'L.like')
    .wire('L.value', 'LT.A')
    .wire('L.value', 'M.A')
    .wire('LT.AT', 'M.B')
    .wire('A.A', 'pcg.A')
    .wire('b.b', 'pcg.b')
    .wire('M.C', 'pcg.M')
    .wire('pcg.residuals', 'loss.residuals')
    .wire('pcg.residuals', 'relativeResidual.residuals')
    .wire('A.A', 'cgHistory.A')
    .wire('b.b', 'cgHistory.b')
    .wire('A.A', 'pcgHistory.A')
    .wire('b.b', 'pcgHistory.b')
    .wire('M.C', 'pcgHistory.M')
    .wire('cgHistory.value', 'history.s1')
    .wire('pcgHistory.value', 'history.s2');
}

function gcn(g: GraphBuilder, spec: ProblemSpec, m: GcnMethod): void {
  const src = spec.matrix as GraphSource;
  const init = (name: string): Record<string, unknown> => {
    const p = spec.parameters[name] as DenseParameter;
    return p.init === 'glorot' ? { init: 'glorot', stream: STREAM.init } : { init: 'constant', value: 0 };
  };
  const { kind: _k, ...source } = src;
  void _k;
  g.node('data', 'graph-dataset', source, [0, 1], src.format === 'folder' ? src.path : src.name)
    .node('Ahat', 'normalize-adjacency', {}, [1, 0], 'Â')
    .wire('data.adjacency', 'Ahat.A');
  let X = 'data.features';
  if (m.normalizeFeatures === 'row') {
    g.node('X', 'row-normalize', {}, [1, 2], 'features').wire('data.features', 'X.A');
    X = 'X.B';
  }
  // Parameters in the v1 order (W1, b1, W2, b2): W1 and W2 draw from one stream in that order.
  g.node('W1', 'dense-parameter', { rows: 0, cols: m.hidden, ...init('W1') }, [2, 3]).wire(X, 'W1.rowsOf');
  if (m.bias) g.node('b1', 'vector-parameter', { length: m.hidden, init: 'constant', value: 0 }, [3, 3]);
  g.node('W2', 'dense-parameter', { rows: m.hidden, cols: 0, ...init('W2') }, [5, 3]).wire('data.onehot', 'W2.colsOf');
  if (m.bias) g.node('b2', 'vector-parameter', { length: 0, init: 'constant', value: 0 }, [7, 3]).wire('data.onehot', 'b2.sizeOf');
  if (m.inputDropout > 0) {
    g.node('inputDropout', 'sparse-dropout', { p: m.inputDropout, stream: STREAM.dropout }, [2, 2]).wire(X, 'inputDropout.A');
    X = 'inputDropout.B';
  }
  g.node('XW1', 'spdmm', {}, [3, 2], 'X W1').node('H', 'spdmm', {}, [4, 1], 'Â X W1').wire(X, 'XW1.A').wire('W1.value', 'XW1.D').wire('Ahat.Ahat', 'H.A').wire('XW1.Y', 'H.D');
  let h = 'H.Y';
  if (m.bias) {
    g.node('H1', 'add', {}, [4, 2], '+ b1').wire(h, 'H1.a').wire('b1.value', 'H1.b');
    h = 'H1.y';
  }
  g.node('relu', 'relu', {}, [5, 1]).wire(h, 'relu.x');
  h = 'relu.y';
  if (m.dropout > 0) {
    g.node('dropout', 'dropout', { p: m.dropout, stream: STREAM.dropout }, [6, 1]).wire(h, 'dropout.x');
    h = 'dropout.y';
  }
  g.node('HW2', 'matmul', {}, [7, 2], 'H W2').node('logits', 'spdmm', {}, [8, 1], 'Â H W2').wire(h, 'HW2.A').wire('W2.value', 'HW2.B').wire('Ahat.Ahat', 'logits.A').wire('HW2.C', 'logits.D');
  let out = 'logits.Y';
  if (m.bias) {
    g.node('out', 'add', {}, [8, 2], '+ b2').wire(out, 'out.a').wire('b2.value', 'out.b');
    out = 'out.y';
  }
  g.node('loss', 'cross-entropy-loss', {}, [9, 0]).wire(out, 'loss.logits').wire('data.labels', 'loss.labels').wire('data.train', 'loss.rows');
  for (const [id, split, row, label] of [
    ['trainAccuracy', 'train', 1, 'train accuracy'],
    ['valAccuracy', 'val', 2, 'validation accuracy'],
    ['testAccuracy', 'test', 3, 'test accuracy'],
  ] as const) {
    g.node(id, 'accuracy', { pass: 'eval' }, [9, row], label).wire(out, `${id}.logits`).wire('data.labels', `${id}.labels`).wire(`data.${split}`, `${id}.rows`);
  }
  g.node('accuracyPerRun', 'chart', { chart: 'bars', title: 'Final test accuracy per run', x: 'run', xLabel: 'run', yLabel: 'accuracy', names: ['test accuracy'] }, [10, 3]).wire(
    'testAccuracy.value',
    'accuracyPerRun.s1',
  );
}
