// §4.4 as a graph: a two-layer GCN on CiteSeer, logits = Â (dropout(relu(Â (X W1))) W2)
// computed right to left as sparse–dense products, cross-entropy on the training
// nodes, accuracies per split measured after each step without dropout.
import type { TemplateInfo } from '../index.js';
import { ADAM, GraphBuilder, STREAM } from './build.js';

const description =
  'A two-layer GCN on CiteSeer (§4.4, Fig. 9–10): Â = D̃^-½ (A + I) D̃^-½, hidden 16, ReLU, dropout 0.5, ' +
  'Adam lr 0.01 with weight decay 5e-4 on the first layer, 200 epochs, cross-entropy on the 120 training nodes, ' +
  'sparse features through SpDMM; mean and ±2σ over 100 runs.';

const notes = [
  'From the paper: CiteSeer, hidden 16, ReLU, dropout 0.5, Adam lr 0.01, L2 5e-4, 200 epochs, 100 runs.',
  'As in Kipf & Welling’s code, which the paper follows: weight decay on the first layer only, Glorot-uniform ' +
    'weights without bias, features row-normalised, dropout also on the sparse input features, and the 124 ' +
    'self-loops of the raw graph kept (those nodes get 2 on the diagonal of A + I).',
  'The output layer feeds a log-softmax cross-entropy (the paper’s “sigmoid” is Kipf’s softmax).',
  'float32, as PyTorch trains it. Accuracies are measured each epoch without dropout; the reported test accuracy ' +
    'is the last epoch’s.',
];

export function gcnTemplate(): TemplateInfo {
  const g = new GraphBuilder()
    .node('data', 'graph-dataset', { format: 'folder', path: 'citeseer', selfLoops: 'kipf' }, [0, 1], 'CiteSeer')
    .node('Ahat', 'normalize-adjacency', {}, [1, 0], 'Â')
    .node('X', 'row-normalize', {}, [1, 2], 'features')
    .node('W1', 'dense-parameter', { rows: 0, cols: 16, init: 'glorot', stream: STREAM.init }, [2, 3])
    .node('W2', 'dense-parameter', { rows: 16, cols: 0, init: 'glorot', stream: STREAM.init }, [5, 3])
    .node('inputDropout', 'sparse-dropout', { p: 0.5, stream: STREAM.dropout }, [2, 2])
    .node('XW1', 'spdmm', {}, [3, 2], 'X W1')
    .node('H', 'spdmm', {}, [4, 1], 'Â X W1')
    .node('relu', 'relu', {}, [5, 1])
    .node('dropout', 'dropout', { p: 0.5, stream: STREAM.dropout }, [6, 1])
    .node('HW2', 'matmul', {}, [7, 2], 'H W2')
    .node('logits', 'spdmm', {}, [8, 1], 'Â H W2')
    .node('loss', 'cross-entropy-loss', {}, [9, 0])
    .node('trainAccuracy', 'accuracy', { pass: 'eval' }, [9, 1], 'train accuracy')
    .node('valAccuracy', 'accuracy', { pass: 'eval' }, [9, 2], 'validation accuracy')
    .node('testAccuracy', 'accuracy', { pass: 'eval' }, [9, 3], 'test accuracy')
    .node('accuracyPerRun', 'chart', { chart: 'bars', title: 'Final test accuracy per run', x: 'run', xLabel: 'run', yLabel: 'accuracy', names: ['test accuracy'] }, [10, 3])
    .wire('data.adjacency', 'Ahat.A')
    .wire('data.features', 'X.A')
    .wire('X.B', 'W1.rowsOf')
    .wire('data.onehot', 'W2.colsOf')
    .wire('X.B', 'inputDropout.A')
    .wire('inputDropout.B', 'XW1.A')
    .wire('W1.value', 'XW1.D')
    .wire('Ahat.Ahat', 'H.A')
    .wire('XW1.Y', 'H.D')
    .wire('H.Y', 'relu.x')
    .wire('relu.y', 'dropout.x')
    .wire('dropout.y', 'HW2.A')
    .wire('W2.value', 'HW2.B')
    .wire('Ahat.Ahat', 'logits.A')
    .wire('HW2.C', 'logits.D')
    .wire('logits.Y', 'loss.logits')
    .wire('data.labels', 'loss.labels')
    .wire('data.train', 'loss.rows');
  for (const [id, split] of [
    ['trainAccuracy', 'train'],
    ['valAccuracy', 'val'],
    ['testAccuracy', 'test'],
  ] as const) {
    g.wire('logits.Y', `${id}.logits`).wire('data.labels', `${id}.labels`).wire(`data.${split}`, `${id}.rows`);
  }
  g.wire('testAccuracy.value', 'accuracyPerRun.s1');
  const graph = g.graph(
    'gcn',
    { optimizer: { ...ADAM, weightDecay: { W1: 5e-4 } }, epochs: 200, runs: 100, seed: 0, dtype: 'float32', device: 'cpu' },
    description,
    notes,
  );
  return { name: 'gcn', title: 'GCN on CiteSeer (§4.4)', description, notes, graph };
}
