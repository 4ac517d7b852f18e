// A node-classification problem on the graph of any matrix: the nodes are the
// rows, an edge joins i and j when A_ij or A_ji is stored (i ≠ j). Labels come
// from the graph itself, so that a graph model has something to learn that
// node features alone do not show:
//   labels:   graph-Voronoi regions: `classes` seed nodes drawn at random, every
//             node takes the class of its nearest seed (breadth-first, ties to
//             the seed reached first); nodes no seed reaches draw a class at random;
//   features: x_i = μ_{label i} + σ ε_i, class means μ_c ~ N(0, I), ε_i ~ N(0, I),
//             so with σ ≳ 1 one node's features say little, its neighbourhood's more;
//   split:    a random `trainFraction` of the nodes (at least one per class
//             drawn overall) train, the rest test.
import { CsrMatrix, type DType, type Generator, type Tensor, zeros } from '../../../native/lib/index.js';

/** The symmetric 0/1 adjacency of A's pattern without the diagonal (n × n, A square). */
export function matrixAdjacency(A: CsrMatrix, dtype: DType = 'float64'): CsrMatrix {
  if (A.rows !== A.cols) throw new Error(`matrix-graph: a graph needs a square matrix but A is ${A.rows}×${A.cols}`);
  const n = A.rows;
  const { indptr, indices } = A.pattern.raw;
  const rows: number[] = [];
  const cols: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let q = indptr[i]!; q < indptr[i + 1]!; q++) {
      const j = indices[q]!;
      if (j !== i) rows.push(i, j), cols.push(j, i);
    }
  }
  const summed = CsrMatrix.fromCoo(rows, cols, new Float64Array(rows.length), [n, n], { dtype });
  return summed.withValues(new Float64Array(summed.nnz).fill(1), { dtype }); // duplicates (A_ij and A_ji) count once
}

/** Graph-Voronoi classes of `classes` random seeds (see the file's comment). */
export function voronoiLabels(adjacency: CsrMatrix, classes: number, gen: Generator): Int32Array {
  const n = adjacency.rows;
  if (classes < 2 || classes > n) throw new Error(`matrix-graph: classes must be in 2 … ${n} (the nodes) but is ${classes}`);
  const label = new Int32Array(n).fill(-1);
  const queue: number[] = [];
  for (let c = 0; c < classes; c++) {
    let seed: number;
    do seed = gen.integer(n);
    while (label[seed] !== -1);
    label[seed] = c;
    queue.push(seed);
  }
  const { indptr, indices } = adjacency.pattern.raw;
  for (let head = 0; head < queue.length; head++) {
    const i = queue[head]!;
    for (let q = indptr[i]!; q < indptr[i + 1]!; q++) {
      const j = indices[q]!;
      if (label[j] === -1) {
        label[j] = label[i]!;
        queue.push(j);
      }
    }
  }
  for (let i = 0; i < n; i++) if (label[i] === -1) label[i] = gen.integer(classes);
  return label;
}

/** n × features: x_i = μ_{label i} + σ ε_i (see the file's comment). */
export function clusteredFeatures(labels: Int32Array, classes: number, features: number, sigma: number, gen: Generator, dtype: DType = 'float64'): Tensor {
  const mu: number[][] = [];
  for (let c = 0; c < classes; c++) mu.push(Array.from({ length: features }, () => gen.normal()));
  const n = labels.length;
  const X = zeros([n, features], { dtype });
  const d = X.data;
  for (let i = 0; i < n; i++) for (let f = 0; f < features; f++) d[i * features + f] = mu[labels[i]!]![f]! + sigma * gen.normal();
  return X;
}

/** A random split: the first round(trainFraction · n) of a shuffled 0 … n−1 train, the rest test (both sorted). */
export function randomSplit(n: number, trainFraction: number, gen: Generator): { train: Int32Array; test: Int32Array } {
  const perm = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = gen.integer(i + 1);
    const t = perm[i]!;
    perm[i] = perm[j]!;
    perm[j] = t;
  }
  const cut = Math.min(n - 1, Math.max(1, Math.round(trainFraction * n)));
  return { train: perm.slice(0, cut).sort(), test: perm.slice(cut).sort() };
}
