// validateGraph: everything that can be known about a graph before anything
// runs — the format (zod), node kinds and their fields, edges and ports, cycles,
// and the shapes and dtypes flowing on every port — reported on the node or
// edge it concerns. Never runs engine math; file sources read only headers.
import { z } from 'zod';
import { defaultDataDir } from './data-dir.js';
import { explainIssues } from '../schema/issues.js';
import { type InferContext, kindDef, NodeIssue } from './catalogue.js';
import './kinds/index.js';
import { type Graph, type GraphIssue, GraphSchema, type GraphValidation, type PortShape } from './schema.js';

export interface ValidateOptions {
  /** Folder relative data paths resolve against (default: defaultDataDir()). */
  dataDir?: string;
  /** Folder of the graph file, tried first for relative paths. */
  specDir?: string;
}

export interface Analysis {
  graph: Graph | null;
  issues: GraphIssue[];
  ports: Record<string, Record<string, PortShape>>;
  /** Node ids, every node after the nodes it reads from (when there is no cycle). */
  order: string[];
  /** nodeId → input port → [from node, from port]. */
  wiring: Map<string, Map<string, { node: string; port: string; edge: string }>>;
}

function zodIssues(error: z.ZodError, graphInput: unknown): GraphIssue[] {
  const nodes = (graphInput as { nodes?: unknown[] })?.nodes;
  const edges = (graphInput as { edges?: unknown[] })?.edges;
  return explainIssues(GraphSchema, graphInput, error.issues).map((i) => {
    const path = i.path.map(String);
    const out: GraphIssue = { message: `${path.length ? path.join('.') + ': ' : ''}${i.message}` };
    if (path[0] === 'nodes' && path.length > 1 && Array.isArray(nodes)) {
      const id = (nodes[Number(path[1])] as { id?: unknown })?.id;
      if (typeof id === 'string') out.nodeId = id;
      if (path[2] === 'fields' && path[3] !== undefined) out.field = path.slice(3).join('.');
    }
    if (path[0] === 'edges' && path.length > 1 && Array.isArray(edges)) {
      const id = (edges[Number(path[1])] as { id?: unknown })?.id;
      if (typeof id === 'string') out.edgeId = id;
    }
    return out;
  });
}

/** Everything validateGraph finds, plus the order and wiring the compiler reuses. */
export async function analyzeGraph(input: unknown, opts: ValidateOptions = {}): Promise<Analysis> {
  const ports: Record<string, Record<string, PortShape>> = {};
  const wiring: Analysis['wiring'] = new Map();
  const parsed = GraphSchema.safeParse(input, { reportInput: true });
  if (!parsed.success) return { graph: null, issues: zodIssues(parsed.error, input), ports, order: [], wiring };
  const graph = structuredClone(parsed.data);
  const issues: GraphIssue[] = [];

  // Node ids, kinds and fields.
  const byId = new Map<string, Graph['nodes'][number]>();
  const badNodes = new Set<string>();
  for (const node of graph.nodes) {
    if (byId.has(node.id)) {
      issues.push({ nodeId: node.id, message: `two nodes have the id "${node.id}"; ids must be unique` });
      badNodes.add(node.id);
      continue;
    }
    byId.set(node.id, node);
    const def = kindDef(node.kind);
    if (!def) {
      issues.push({ nodeId: node.id, field: 'kind', message: `unknown node kind "${node.kind}"` });
      badNodes.add(node.id);
      continue;
    }
    const f = def.fields.safeParse(node.fields, { reportInput: true });
    if (!f.success) {
      // In the project's words (explainIssues): "expected an integer in [1, 100000] but received 0".
      for (const i of explainIssues(def.fields, node.fields, f.error.issues)) {
        const field = i.path.map(String).join('.');
        issues.push({ nodeId: node.id, ...(field ? { field } : {}), message: `${def.kind} "${node.id}"${field ? ` field ${field}` : ''}: ${i.message}` });
      }
      badNodes.add(node.id);
      continue;
    }
    node.fields = f.data as Record<string, unknown>;
  }

  // Edges: both ends exist, run output → input, at most one edge into an input.
  const edgeIds = new Set<string>();
  const into = new Map<string, string[]>(); // node → nodes it reads from
  for (const e of graph.edges) {
    if (edgeIds.has(e.id)) {
      issues.push({ edgeId: e.id, message: `two edges have the id "${e.id}"` });
      continue;
    }
    edgeIds.add(e.id);
    const from = byId.get(e.from.node);
    const to = byId.get(e.to.node);
    if (!from) {
      issues.push({ edgeId: e.id, message: `edge "${e.id}" starts at node "${e.from.node}", which does not exist` });
      continue;
    }
    if (!to) {
      issues.push({ edgeId: e.id, message: `edge "${e.id}" ends at node "${e.to.node}", which does not exist` });
      continue;
    }
    const fromDef = kindDef(from.kind);
    const toDef = kindDef(to.kind);
    if (fromDef && !fromDef.outputs.some((p) => p.name === e.from.port)) {
      issues.push({
        edgeId: e.id,
        nodeId: from.id,
        port: e.from.port,
        message: `edge "${e.id}": ${from.kind} "${from.id}" has no output ${e.from.port} (outputs: ${fromDef.outputs.map((p) => p.name).join(', ') || 'none'})`,
      });
      continue;
    }
    if (toDef && !toDef.inputs.some((p) => p.name === e.to.port)) {
      issues.push({
        edgeId: e.id,
        nodeId: to.id,
        port: e.to.port,
        message: `edge "${e.id}": ${to.kind} "${to.id}" has no input ${e.to.port} (inputs: ${toDef.inputs.map((p) => p.name).join(', ') || 'none'})`,
      });
      continue;
    }
    let w = wiring.get(to.id);
    if (!w) wiring.set(to.id, (w = new Map()));
    const prev = w.get(e.to.port);
    if (prev) {
      issues.push({ edgeId: e.id, nodeId: to.id, port: e.to.port, message: `input ${e.to.port} of "${to.id}" is wired twice (edges "${prev.edge}" and "${e.id}")` });
      continue;
    }
    w.set(e.to.port, { node: from.id, port: e.from.port, edge: e.id });
    if (!into.has(to.id)) into.set(to.id, []);
    into.get(to.id)!.push(from.id);
  }

  // Required inputs.
  for (const node of byId.values()) {
    const def = kindDef(node.kind);
    if (!def) continue;
    for (const p of def.inputs) {
      if (!p.optional && !wiring.get(node.id)?.has(p.name)) {
        issues.push({ nodeId: node.id, port: p.name, message: `${node.kind} "${node.id}": input ${p.name} is not connected (${p.description})` });
        badNodes.add(node.id);
      }
    }
  }

  // Topological order (Kahn); what remains lies on or behind a cycle.
  const indeg = new Map<string, number>();
  const readers = new Map<string, string[]>();
  for (const id of byId.keys()) indeg.set(id, 0);
  for (const [to, froms] of into) {
    for (const from of froms) {
      indeg.set(to, indeg.get(to)! + 1);
      if (!readers.has(from)) readers.set(from, []);
      readers.get(from)!.push(to);
    }
  }
  const order: string[] = [];
  const ready = [...byId.keys()].filter((id) => indeg.get(id) === 0);
  while (ready.length) {
    const id = ready.shift()!;
    order.push(id);
    for (const r of readers.get(id) ?? []) {
      indeg.set(r, indeg.get(r)! - 1);
      if (indeg.get(r) === 0) ready.push(r);
    }
  }
  if (order.length < byId.size) {
    const left = new Set([...byId.keys()].filter((id) => !order.includes(id)));
    // The edges whose both ends are left over form the cycle(s).
    for (const e of graph.edges) {
      if (left.has(e.from.node) && left.has(e.to.node) && wiring.get(e.to.node)?.get(e.to.port)?.edge === e.id) {
        issues.push({ edgeId: e.id, message: `edge "${e.id}" (${e.from.node}.${e.from.port} → ${e.to.node}.${e.to.port}) is part of a cycle; a graph must not feed a node's output back into itself` });
      }
    }
    for (const id of left) issues.push({ nodeId: id, message: `node "${id}" is on a cycle` });
  }

  // Shapes and dtypes, in order; a node whose inputs are unknown is skipped.
  const dataDir = opts.dataDir ?? defaultDataDir();
  for (const id of order) {
    const node = byId.get(id)!;
    const def = kindDef(node.kind);
    if (!def || badNodes.has(id)) continue;
    const inputs: Record<string, PortShape | undefined> = {};
    let known = true;
    for (const p of def.inputs) {
      const w = wiring.get(id)?.get(p.name);
      if (!w) continue;
      const s = ports[w.node]?.[w.port];
      if (!s) {
        known = false;
        break;
      }
      if (s.type !== p.type) {
        issues.push({
          edgeId: w.edge,
          nodeId: id,
          port: p.name,
          message: `edge "${w.edge}": ${w.node}.${w.port} is ${typeName(s.type)} but input ${p.name} of ${node.kind} "${id}" takes ${typeName(p.type)}`,
        });
        known = false;
        break;
      }
      inputs[p.name] = s;
    }
    if (!known) continue;
    const ctx: InferContext = { node, training: graph.training, dataDir, specDir: opts.specDir };
    try {
      ports[id] = await def.infer(node.fields as never, inputs, ctx);
    } catch (err) {
      if (!(err instanceof NodeIssue)) throw err;
      const port = err.port;
      const edge = port !== undefined ? wiring.get(id)?.get(port)?.edge : undefined;
      issues.push({
        nodeId: id,
        ...(edge !== undefined ? { edgeId: edge } : {}),
        ...(port !== undefined ? { port } : {}),
        ...(err.field !== undefined ? { field: err.field } : {}),
        message: `${node.kind} "${id}": ${err.message}`,
      });
    }
  }

  // The objective and the optimizer's parameter names.
  const kinds = graph.nodes.map((n) => kindDef(n.kind));
  if (issues.length === 0 && !kinds.some((d) => d?.category === 'losses')) issues.push({ message: 'the graph has no loss node: add one (losses) so there is something to minimise' });
  else if (issues.length === 0 && !graph.nodes.some((n, k) => kinds[k]?.category === 'losses' && kinds[k]?.lossRole?.(n.fields as never) !== 'monitor')) {
    issues.push({ message: "every loss node is a monitor: set one's role to 'objective' so there is something to minimise" });
  }
  const wd = graph.training.optimizer.weightDecay;
  if (typeof wd === 'object') {
    for (const name of Object.keys(wd)) {
      const n = byId.get(name);
      if (!n || kindDef(n.kind)?.category !== 'parameters') {
        issues.push({ field: `training.optimizer.weightDecay.${name}`, message: `training.optimizer.weightDecay names "${name}", which is not a parameter node` });
      }
    }
  }
  return { graph, issues, ports, order, wiring };
}

const typeName = (t: string): string => (t === 'sparse' ? 'a sparse matrix' : t === 'dense' ? 'a dense tensor' : 'an index vector');

export async function validateGraph(input: unknown, opts: ValidateOptions = {}): Promise<GraphValidation> {
  const a = await analyzeGraph(input, opts);
  if (a.graph && a.issues.length === 0) return { ok: true, graph: a.graph, ports: a.ports };
  return { ok: false, issues: a.issues, ports: a.ports };
}
