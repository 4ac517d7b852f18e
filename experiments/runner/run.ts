// The headless runner is the graph runner (experiments/graph/run.ts): a graph
// or a v1 spec (converted) runs through one compiler and one training loop.
// runExperiment stays the name callers know.
export { runGraph as runExperiment, runGraph } from '../graph/run.js';
export type { RunOptions } from '../graph/run.js';
