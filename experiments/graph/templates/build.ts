// A small builder for graphs written in code (templates, v1 conversion): nodes
// in order, edges named "from.port→to.port", positions laid out by column.
import type { Graph, GraphEdge, GraphNode, Training } from '../schema.js';
import { GRAPH_VERSION } from '../schema.js';

export class GraphBuilder {
  readonly nodes: GraphNode[] = [];
  readonly edges: GraphEdge[] = [];

  /** Adds a node; `col`/`row` place it on a grid for the editor (left to right in data-flow order). */
  node(id: string, kind: string, fields: Record<string, unknown> = {}, at?: [col: number, row: number], label?: string): this {
    const [c, r] = at ?? [this.nodes.length, 0];
    this.nodes.push({ id, kind, fields, position: { x: c * 240, y: r * 140 }, ...(label ? { label } : {}) });
    return this;
  }

  /** Wires `from` ("node.port") to `to` ("node.port"). */
  wire(from: string, to: string): this {
    const [fn, fp] = split(from);
    const [tn, tp] = split(to);
    this.edges.push({ id: `${from}→${to}`, from: { node: fn, port: fp }, to: { node: tn, port: tp } });
    return this;
  }

  graph(name: string, training: Training, description?: string, notes?: string[]): Graph {
    return {
      version: GRAPH_VERSION,
      name,
      ...(description !== undefined ? { description } : {}),
      ...(notes !== undefined ? { notes } : {}),
      nodes: this.nodes,
      edges: this.edges,
      training,
    };
  }
}

function split(ref: string): [string, string] {
  const k = ref.lastIndexOf('.');
  if (k <= 0) throw new Error(`GraphBuilder: "${ref}" is not "node.port"`);
  return [ref.slice(0, k), ref.slice(k + 1)];
}

export const ADAM = { kind: 'adam', lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, momentum: 0, weightDecay: 0 } as Training['optimizer'];

/** The streams today's presets draw from (so the paper templates reproduce them bit for bit). */
export const STREAM = { vectors: 1, testVectors: 2, rhs: 3, init: 4, dropout: 5 } as const;
