// A compact way to write a template graph by hand: nodes as [id, kind, fields],
// edges as 'from.port -> to.port' (edge ids follow from them).
import type { TemplateInfo } from '../schema.js';
import type { Graph, Training } from '../schema.js';

export type NodeSpec = [id: string, kind: string, fields?: Record<string, unknown>];

export interface TemplateSpec {
  name: string;
  title: string;
  description: string;
  notes: string[];
  nodes: NodeSpec[];
  /** 'A.A -> y.A': output port A of node A into input port A of node y. */
  edges: string[];
  training: Partial<Omit<Training, 'optimizer'>> & { optimizer?: Partial<Training['optimizer']> };
}

/** A template: its graph carries the name, description and notes too (fields not given are filled with their defaults when the graph is validated). */
export function defineTemplate(t: TemplateSpec): TemplateInfo {
  return structuredClone({ name: t.name, title: t.title, description: t.description, notes: t.notes, graph: templateGraph(t) });
}

function templateGraph(t: TemplateSpec): Graph {
  const edges = t.edges.map((e) => {
    const m = /^\s*([^.\s]+)\.(\S+)\s*->\s*([^.\s]+)\.(\S+)\s*$/.exec(e);
    if (!m) throw new Error(`template ${t.name}: edge "${e}" is not "node.port -> node.port"`);
    const [, fn, fp, tn, tp] = m as unknown as [string, string, string, string, string];
    return { id: `${fn}.${fp}→${tn}.${tp}`, from: { node: fn, port: fp }, to: { node: tn, port: tp } };
  });
  // Editor positions: a column per step of data flow (the longest path from a source), rows in node order.
  const depth = new Map<string, number>();
  const depthOf = (id: string, seen: Set<string> = new Set()): number => {
    if (depth.has(id)) return depth.get(id)!;
    if (seen.has(id)) return 0;
    seen.add(id);
    const d = Math.max(-1, ...edges.filter((e) => e.to.node === id).map((e) => depthOf(e.from.node, seen))) + 1;
    depth.set(id, d);
    return d;
  };
  const rows = new Map<number, number>();
  const position = (id: string): { x: number; y: number } => {
    const col = depthOf(id);
    const row = rows.get(col) ?? 0;
    rows.set(col, row + 1);
    return { x: col * 240, y: row * 140 };
  };
  const { optimizer, ...rest } = t.training;
  return {
    version: 2,
    name: t.name,
    description: t.description,
    notes: t.notes,
    nodes: t.nodes.map(([id, kind, fields]) => ({ id, kind, fields: fields ?? {}, position: position(id) })),
    edges,
    training: {
      optimizer: { kind: 'adam', lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, momentum: 0, weightDecay: 0, ...optimizer },
      epochs: 100,
      runs: 1,
      seed: 0,
      dtype: 'float64',
      device: 'cpu',
      ...rest,
    },
  };
}
