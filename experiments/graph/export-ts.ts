// Placeholder until graph-ext's exporter lands here: the graph as a
// self-contained TypeScript script against sparse-ad-lab/engine.
import type { Graph } from './schema.js';

export function exportTypeScript(_graph: Graph): string {
  throw new Error('exportTypeScript: not implemented yet');
}
