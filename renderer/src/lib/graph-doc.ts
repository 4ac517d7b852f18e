// The problem graph as the node editor holds it (React Flow nodes and edges,
// the training settings beside them) and back, plus the editor's pure helpers:
// port compatibility, field forms from the catalogue's JSON Schema, dagre
// layout, copy/paste. No React and no DOM here (test/electron can import it).
import dagre from '@dagrejs/dagre';
import type { Edge, Node } from '@xyflow/react';
import type { GraphEdge, GraphIssue, NodeKindInfo, PortDef, PortShape, ProblemGraph, Training } from '../../../electron/common/lab-api.js';

export interface OpData extends Record<string, unknown> {
  kind: string;
  fields: Record<string, unknown>;
  label?: string;
  /** What the host says is wrong with this node (several issues joined), drawn on it. */
  issue?: string;
  /** The shapes the host inferred for its outputs. */
  ports?: Record<string, PortShape>;
}
export type OpNode = Node<OpData, 'op'>;
export type FlowEdge = Edge<{ issue?: string }>;

/** What a graph holds besides its nodes and edges. */
export interface GraphMeta {
  name: string;
  description?: string;
  notes?: string[];
}

export const DEFAULT_TRAINING: Training = {
  optimizer: { kind: 'adam', lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, momentum: 0, weightDecay: 0 },
  epochs: 200,
  runs: 1,
  seed: 0,
  dtype: 'float64',
  device: 'cpu',
};

export function emptyGraph(name = 'untitled'): ProblemGraph {
  return { version: 2, name, nodes: [], edges: [], training: structuredClone(DEFAULT_TRAINING) };
}

const flowEdge = (e: GraphEdge): FlowEdge => ({ id: e.id, source: e.from.node, sourceHandle: e.from.port, target: e.to.node, targetHandle: e.to.port });

export function toFlow(graph: ProblemGraph): { nodes: OpNode[]; edges: FlowEdge[] } {
  const nodes: OpNode[] = graph.nodes.map((n, i) => ({
    id: n.id,
    type: 'op',
    position: n.position ?? { x: (i % 6) * 240, y: Math.floor(i / 6) * 160 },
    data: { kind: n.kind, fields: n.fields ?? {}, ...(n.label ? { label: n.label } : {}) },
  }));
  return { nodes, edges: graph.edges.map(flowEdge) };
}

const round = (v: number): number => Math.round(v * 10) / 10;

export function fromFlow(meta: GraphMeta, nodes: readonly OpNode[], edges: readonly FlowEdge[], training: Training): ProblemGraph {
  return {
    version: 2,
    name: meta.name,
    ...(meta.description ? { description: meta.description } : {}),
    ...(meta.notes?.length ? { notes: meta.notes } : {}),
    nodes: nodes.map((n) => ({
      id: n.id,
      kind: n.data.kind,
      ...(n.data.label ? { label: n.data.label } : {}),
      fields: n.data.fields,
      position: { x: round(n.position.x), y: round(n.position.y) },
    })),
    edges: edges.map((e) => ({ id: e.id, from: { node: e.source, port: e.sourceHandle ?? '' }, to: { node: e.target, port: e.targetHandle ?? '' } })),
    training,
  };
}

/** Whether the layout is all that differs (positions are the editor's; the compiler ignores them). */
export function sameStructure(a: ProblemGraph, b: ProblemGraph): boolean {
  const strip = (g: ProblemGraph): string => JSON.stringify({ ...g, nodes: g.nodes.map((n) => ({ ...n, position: undefined })) });
  return strip(a) === strip(b);
}

// ---------------------------------------------------------------------------
// Ids

/** A fresh id from the kind's name: "spmv", then "spmv2", "spmv3", … */
export function freshId(base: string, taken: ReadonlySet<string>): string {
  const stem = base.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '') || 'node';
  if (!taken.has(stem)) return stem;
  for (let i = 2; ; i++) if (!taken.has(`${stem}${i}`)) return `${stem}${i}`;
}

export const edgeId = (source: string, sourcePort: string, target: string, targetPort: string): string => `${source}.${sourcePort}→${target}.${targetPort}`;

// ---------------------------------------------------------------------------
// Ports

export function portOf(info: NodeKindInfo | undefined, side: 'in' | 'out', name: string | null | undefined): PortDef | undefined {
  if (!info || !name) return undefined;
  return (side === 'in' ? info.inputs : info.outputs).find((p) => p.name === name);
}

const TYPE_WORDS: Record<PortDef['type'], string> = { sparse: 'a sparse matrix', dense: 'a dense tensor', index: 'an index vector' };

/**
 * Why a connection from `source.sourcePort` to `target.targetPort` cannot be
 * made from what the catalogue says alone (types, direction, an input already
 * fed, a loop onto itself), or null when only the host can tell (shapes, dtypes).
 */
export function connectionProblem(
  c: { source: string; sourceHandle?: string | null; target: string; targetHandle?: string | null },
  kindOf: (nodeId: string) => NodeKindInfo | undefined,
  edges: readonly FlowEdge[],
): string | null {
  const from = kindOf(c.source);
  const to = kindOf(c.target);
  const out = portOf(from, 'out', c.sourceHandle);
  const inp = portOf(to, 'in', c.targetHandle);
  const name = (id: string, port: string | null | undefined): string => `${id}.${port ?? '?'}`;
  if (!out || !inp) return `${name(c.source, c.sourceHandle)} → ${name(c.target, c.targetHandle)}: connect an output (right side) to an input (left side)`;
  if (c.source === c.target) return `${c.source}: a node cannot feed its own input (the graph must not have cycles)`;
  if (out.type !== inp.type) {
    return `Cannot connect ${name(c.source, out.name)} → ${name(c.target, inp.name)}: ${from!.title} gives ${TYPE_WORDS[out.type]} but input "${inp.name}" of ${to!.title} takes ${TYPE_WORDS[inp.type]}`;
  }
  const fed = edges.find((e) => e.target === c.target && e.targetHandle === c.targetHandle);
  if (fed) return `Cannot connect ${name(c.source, out.name)} → ${name(c.target, inp.name)}: input "${inp.name}" is already fed by ${fed.source}.${fed.sourceHandle ?? ''} (delete that edge first)`;
  return null;
}

export function shapeText(s: PortShape | undefined): string {
  if (!s) return '';
  // -1: a size known only when the data is read (a file's).
  const dims = s.shape.length === 0 ? 'scalar' : s.shape.map((d) => (d < 0 ? '?' : String(d))).join('×');
  return s.dtype === 'float64' ? dims : `${dims} ${s.dtype}`;
}

// ---------------------------------------------------------------------------
// Issues

export interface IssueIndex {
  byNode: Record<string, string>;
  byEdge: Record<string, string>;
  /** Per node, per field. */
  byField: Record<string, Record<string, string>>;
}

/** Issues grouped for drawing: one text per node and per edge (several joined), and per field. */
export function indexIssues(issues: readonly GraphIssue[]): IssueIndex {
  const byNode: Record<string, string[]> = {};
  const byEdge: Record<string, string[]> = {};
  const byField: Record<string, Record<string, string>> = {};
  for (const i of issues) {
    if (i.edgeId) (byEdge[i.edgeId] ??= []).push(i.message);
    else if (i.nodeId) {
      (byNode[i.nodeId] ??= []).push(i.message);
      if (i.field) (byField[i.nodeId] ??= {})[i.field] = i.message;
    }
  }
  const join = (m: Record<string, string[]>): Record<string, string> => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, v.join('\n')]));
  return { byNode: join(byNode), byEdge: join(byEdge), byField };
}

export function issueWhere(i: GraphIssue): string {
  if (i.edgeId) return `edge ${i.edgeId}`;
  if (i.nodeId) return `node ${i.nodeId}${i.field ? `, field ${i.field}` : i.port ? `, port ${i.port}` : ''}`;
  return 'graph';
}

// ---------------------------------------------------------------------------
// Fields from the catalogue's JSON Schema

export interface FieldSpec {
  name: string;
  label: string;
  kind: 'number' | 'integer' | 'enum' | 'boolean' | 'string' | 'json';
  options?: string[];
  min?: number;
  max?: number;
  exclusiveMin?: number;
  exclusiveMax?: number;
  description?: string;
  optional: boolean;
}

type JsonSchema = Record<string, unknown>;

function describeSchema(name: string, s: JsonSchema, required: boolean): FieldSpec {
  const base = { name, label: typeof s.title === 'string' ? s.title : name, optional: !required, ...(typeof s.description === 'string' ? { description: s.description } : {}) };
  // A union with null or one literal per option (zod's enums and optionals).
  const variants = (Array.isArray(s.anyOf) ? s.anyOf : Array.isArray(s.oneOf) ? s.oneOf : null) as JsonSchema[] | null;
  if (variants) {
    const consts = variants.map((v) => v.const).filter((c) => c !== undefined);
    if (consts.length === variants.length) return { ...base, kind: 'enum', options: consts.map(String) };
    const nonNull = variants.filter((v) => v.type !== 'null');
    if (nonNull.length === 1) return describeSchema(name, { ...nonNull[0]!, ...(s.description ? { description: s.description } : {}) }, required);
    return { ...base, kind: 'json' };
  }
  if (Array.isArray(s.enum)) return { ...base, kind: 'enum', options: s.enum.map(String) };
  if (s.const !== undefined) return { ...base, kind: 'enum', options: [String(s.const)] };
  const num = (k: string): number | undefined => (typeof s[k] === 'number' ? (s[k] as number) : undefined);
  const bounds = {
    ...(num('minimum') !== undefined ? { min: num('minimum') } : {}),
    ...(num('maximum') !== undefined ? { max: num('maximum') } : {}),
    ...(num('exclusiveMinimum') !== undefined ? { exclusiveMin: num('exclusiveMinimum') } : {}),
    ...(num('exclusiveMaximum') !== undefined ? { exclusiveMax: num('exclusiveMaximum') } : {}),
  };
  switch (s.type) {
    case 'integer':
      return { ...base, kind: 'integer', ...bounds };
    case 'number':
      return { ...base, kind: 'number', ...bounds };
    case 'boolean':
      return { ...base, kind: 'boolean' };
    case 'string':
      return { ...base, kind: 'string' };
    default:
      return { ...base, kind: 'json' };
  }
}

/** The editable fields of a node kind, in the schema's order. */
export function fieldSpecs(info: NodeKindInfo | undefined): FieldSpec[] {
  const schema = info?.fields as JsonSchema | undefined;
  const props = (schema?.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set(Array.isArray(schema?.required) ? (schema.required as string[]) : []);
  return Object.entries(props).map(([name, s]) => describeSchema(name, s, required.has(name)));
}

/** A field's text read as the value the graph holds, or a message that names the field and says what it takes. */
export function parseFieldText(f: FieldSpec, text: string): { value: unknown } | { error: string } {
  const t = text.trim();
  if (t === '' && f.optional && f.kind !== 'string') return { value: undefined };
  switch (f.kind) {
    case 'integer':
    case 'number': {
      const v = Number(t);
      if (t === '' || !Number.isFinite(v)) return { error: `${f.label}: expected ${f.kind === 'integer' ? 'a whole number' : 'a number'}` };
      if (f.kind === 'integer' && !Number.isInteger(v)) return { error: `${f.label}: expected a whole number but got ${t}` };
      if (f.min !== undefined && v < f.min) return { error: `${f.label}: must be at least ${f.min}` };
      if (f.max !== undefined && v > f.max) return { error: `${f.label}: must be at most ${f.max}` };
      if (f.exclusiveMin !== undefined && v <= f.exclusiveMin) return { error: `${f.label}: must be more than ${f.exclusiveMin}` };
      if (f.exclusiveMax !== undefined && v >= f.exclusiveMax) return { error: `${f.label}: must be less than ${f.exclusiveMax}` };
      return { value: v };
    }
    case 'json':
      try {
        return { value: JSON.parse(t) as unknown };
      } catch {
        return { error: `${f.label}: expected JSON (e.g. [1, 2] or {"a": 1})` };
      }
    default:
      return { value: text };
  }
}

export function fieldText(f: FieldSpec, v: unknown): string {
  if (v === undefined || v === null) return '';
  return f.kind === 'json' ? JSON.stringify(v) : String(v);
}

// ---------------------------------------------------------------------------
// Layout

const NODE_W = 200;

/** Node positions from dagre, left to right in the direction data flows. */
export function layout(nodes: readonly OpNode[], edges: readonly FlowEdge[]): Record<string, { x: number; y: number }> {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'LR', nodesep: 28, ranksep: 70, marginx: 10, marginy: 10 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of nodes) g.setNode(n.id, { width: n.measured?.width ?? NODE_W, height: n.measured?.height ?? 90 });
  for (const e of edges) if (g.hasNode(e.source) && g.hasNode(e.target)) g.setEdge(e.source, e.target);
  dagre.layout(g);
  const out: Record<string, { x: number; y: number }> = {};
  for (const n of nodes) {
    const p = g.node(n.id);
    const w = n.measured?.width ?? NODE_W;
    const h = n.measured?.height ?? 90;
    out[n.id] = { x: p.x - w / 2, y: p.y - h / 2 };
  }
  return out;
}

// ---------------------------------------------------------------------------
// Copy and paste

export interface Clip {
  nodes: { id: string; kind: string; fields: Record<string, unknown>; label?: string; position: { x: number; y: number } }[];
  edges: GraphEdge[];
}

export function copySelection(nodes: readonly OpNode[], edges: readonly FlowEdge[]): Clip | null {
  const picked = nodes.filter((n) => n.selected);
  if (!picked.length) return null;
  const ids = new Set(picked.map((n) => n.id));
  return {
    nodes: picked.map((n) => ({ id: n.id, kind: n.data.kind, fields: structuredClone(n.data.fields), ...(n.data.label ? { label: n.data.label } : {}), position: { ...n.position } })),
    // Edges between copied nodes come along; edges into the rest of the graph do not.
    edges: edges.filter((e) => ids.has(e.source) && ids.has(e.target)).map((e) => ({ id: e.id, from: { node: e.source, port: e.sourceHandle ?? '' }, to: { node: e.target, port: e.targetHandle ?? '' } })),
  };
}

/** The clip's nodes and edges under fresh ids, shifted by `offset`, selected. */
export function pasteClip(clip: Clip, taken: Set<string>, offset: number): { nodes: OpNode[]; edges: FlowEdge[] } {
  const rename = new Map<string, string>();
  const nodes: OpNode[] = clip.nodes.map((n) => {
    const id = freshId(n.id.replace(/\d+$/, ''), taken);
    taken.add(id);
    rename.set(n.id, id);
    return { id, type: 'op', selected: true, position: { x: n.position.x + offset, y: n.position.y + offset }, data: { kind: n.kind, fields: structuredClone(n.fields), ...(n.label ? { label: n.label } : {}) } };
  });
  const edges: FlowEdge[] = clip.edges.map((e) => {
    const s = rename.get(e.from.node)!;
    const t = rename.get(e.to.node)!;
    return { id: edgeId(s, e.from.port, t, e.to.port), source: s, sourceHandle: e.from.port, target: t, targetHandle: e.to.port };
  });
  return { nodes, edges };
}
