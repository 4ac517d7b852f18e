// A two-layer GCN (Kipf & Welling, as §4.4 of the paper) on the graph of any
// matrix: the nodes are its rows, an edge wherever A_ij or A_ji is stored.
// The classes are regions of the graph (graph-Voronoi cells of random seed
// nodes) and the features noisy class means, so a node's own features are a
// weak clue and its neighbourhood's a strong one — what propagation over Â adds:
//   logits = Â (dropout(relu(Â X W₁ + b₁)) W₂) + b₂,   Â = D̃^-½ (A + I) D̃^-½,
// cross-entropy on the training nodes, accuracy on the others.
import type { TemplateInfo } from '../schema.js';
import { defineTemplate, type TemplateSpec } from '../ext/template.js';

const features = 16;
const hidden = 16;
const classes = 4;

const spec: TemplateSpec = {
  name: 'graph-model',
  title: 'Graph model on any matrix (GCN)',
  description: 'A 2-layer GCN over the graph of a loaded matrix, classifying graph regions from noisy node features.',
  notes: [
    'Swap the matrix node for any square matrix (a file you loaded, or a generator): the graph is its pattern, symmetrised, without the diagonal.',
    `Labels: ${classes} graph-Voronoi regions of random seed nodes; features: class mean + σ·noise with σ = 3 (${features} per node); 10% of the nodes train. All drawn per run from the run's seed.`,
    'Raise σ to make single nodes less informative; the gap between test accuracy and what the features alone give is what the two Â products contribute.',
    'Weight decay 5e-4 on W1, dropout 0.5 on the hidden layer, Adam lr 0.01: the settings of Kipf & Welling.',
  ],
  nodes: [
    ['A', 'matrix-file', { path: 'matrices/494_bus.mtx' }],
    ['data', 'matrix-graph', { classes, features, sigma: 3, trainFraction: 0.1 }],
    ['Ahat', 'normalize-adjacency'],
    ['W1', 'dense-parameter', { rows: features, cols: hidden, init: 'glorot' }],
    ['b1', 'vector-parameter', { length: hidden, init: 'constant', value: 0 }],
    ['W2', 'dense-parameter', { rows: hidden, cols: classes, init: 'glorot' }],
    ['b2', 'vector-parameter', { length: classes, init: 'constant', value: 0 }],
    ['XW1', 'matmul'],
    ['AXW1', 'spdmm'],
    ['h1', 'add'],
    ['relu1', 'relu'],
    ['drop1', 'dropout', { p: 0.5 }],
    ['HW2', 'matmul'],
    ['AHW2', 'spdmm'],
    ['logits', 'add'],
    ['loss', 'cross-entropy-loss'],
    ['trainAccuracy', 'accuracy', { pass: 'eval' }],
    ['testAccuracy', 'accuracy', { pass: 'eval' }],
  ],
  edges: [
    'A.A -> data.A',
    'data.adjacency -> Ahat.A',
    'data.features -> XW1.A',
    'W1.value -> XW1.B',
    'Ahat.Ahat -> AXW1.A',
    'XW1.C -> AXW1.D',
    'AXW1.Y -> h1.a',
    'b1.value -> h1.b',
    'h1.y -> relu1.x',
    'relu1.y -> drop1.x',
    'drop1.y -> HW2.A',
    'W2.value -> HW2.B',
    'Ahat.Ahat -> AHW2.A',
    'HW2.C -> AHW2.D',
    'AHW2.Y -> logits.a',
    'b2.value -> logits.b',
    'logits.y -> loss.logits',
    'data.labels -> loss.labels',
    'data.train -> loss.rows',
    'logits.y -> trainAccuracy.logits',
    'data.labels -> trainAccuracy.labels',
    'data.train -> trainAccuracy.rows',
    'logits.y -> testAccuracy.logits',
    'data.labels -> testAccuracy.labels',
    'data.test -> testAccuracy.rows',
  ],
  training: { epochs: 100, optimizer: { kind: 'adam', lr: 0.01, weightDecay: { W1: 5e-4 } } },
};

/** A fresh copy of the template (safe to modify). */
export function graphModelTemplate(): TemplateInfo {
  return defineTemplate(spec);
}
