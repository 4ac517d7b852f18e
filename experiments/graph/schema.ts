// The problem graph format (version 2), described once with zod: the types
// are inferred from these schemas, and the same schemas validate a graph read
// from a file, sent over IPC or built in the editor. A node's own fields are
// checked against its kind's schema (catalogue.ts), not here, so that this file
// does not depend on the catalogue.
import { z } from 'zod';

export const GRAPH_VERSION = 2;

/** Node ids and port names: what an edge refers to and the optimizer names parameters by. */
const Id = z.string().min(1).max(200);

export const GraphNodeSchema = z.object({
  id: Id.describe('unique in the graph, e.g. "A", "omega", "n3"'),
  kind: z.string().min(1).describe('a catalogue kind, e.g. "poisson1d", "spmv", "energy-loss"'),
  label: z.string().optional(),
  fields: z.record(z.string(), z.unknown()).default({}).describe("validated against the kind's field schema; defaults filled"),
  position: z.object({ x: z.number(), y: z.number() }).optional().describe('editor layout only; ignored by the compiler'),
});

export const PortRefSchema = z.object({ node: Id, port: z.string().min(1) });

export const GraphEdgeSchema = z.object({ id: Id, from: PortRefSchema, to: PortRefSchema });

export const OptimizerSchema = z.object({
  kind: z.enum(['adam', 'adamw', 'sgd']).default('adam'),
  lr: z.number().gt(0).max(1e6).default(0.01),
  betas: z.tuple([z.number().min(0).lt(1), z.number().min(0).lt(1)]).default([0.9, 0.999]),
  eps: z.number().gt(0).max(1).default(1e-8),
  momentum: z.number().min(0).lt(1).default(0),
  /** L2 weight decay (decoupled for AdamW): one number for all parameters, or per parameter node id. */
  weightDecay: z.union([z.number().min(0), z.record(z.string(), z.number().min(0))]).default(0),
});

export const TrainingSchema = z.object({
  optimizer: OptimizerSchema.prefault({}),
  epochs: z.int().min(1).max(1_000_000).default(100),
  runs: z.int().min(1).max(100_000).default(1),
  seed: z.int().min(0).max(2 ** 32 - 1).default(0),
  dtype: z.enum(['float64', 'float32']).default('float64'),
  device: z.enum(['cpu', 'cuda']).default('cpu'),
});

export const GraphSchema = z.object({
  version: z.literal(GRAPH_VERSION),
  name: z.string().min(1).max(200),
  description: z.string().optional(),
  notes: z.array(z.string()).optional(),
  nodes: z.array(GraphNodeSchema),
  edges: z.array(GraphEdgeSchema).default([]),
  training: TrainingSchema.prefault({}),
});

export type Graph = z.infer<typeof GraphSchema>;
export type GraphNode = z.infer<typeof GraphNodeSchema>;
export type GraphEdge = z.infer<typeof GraphEdgeSchema>;
export type Training = z.infer<typeof TrainingSchema>;
export type OptimizerSettings = z.infer<typeof OptimizerSchema>;

export type PortType = 'sparse' | 'dense' | 'index';

export interface PortDef {
  name: string;
  type: PortType;
  optional?: boolean;
  description: string;
}

export type Category = 'sources' | 'parameters' | 'sparse ops' | 'solvers' | 'structure' | 'dense ops' | 'iteration' | 'losses' | 'outputs';

/** What the renderer gets over the LabApi (JSON-safe). */
export interface NodeKindInfo {
  kind: string;
  category: Category;
  title: string;
  description: string;
  inputs: PortDef[];
  outputs: PortDef[];
  /** z.toJSONSchema of the kind's field schema. */
  fields: Record<string, unknown>;
  defaults: Record<string, unknown>;
}

/** Where something is wrong: on a node (optionally one of its fields or ports) or on an edge. */
export interface GraphIssue {
  nodeId?: string;
  edgeId?: string;
  port?: string;
  field?: string;
  message: string;
}

/** A port's inferred type, shape and dtype. -1 in a shape: a size known only when the data is read. */
export interface PortShape {
  type: PortType;
  shape: number[];
  dtype: 'float64' | 'float32' | 'int32';
}

export type GraphValidation =
  | { ok: true; graph: Graph; ports: Record<string, Record<string, PortShape>> }
  | { ok: false; issues: GraphIssue[]; ports: Record<string, Record<string, PortShape>> };

export class GraphError extends Error {
  readonly issues: GraphIssue[];
  constructor(issues: GraphIssue[]) {
    super(issues.map(formatIssue).join('\n'));
    this.name = 'GraphError';
    this.issues = issues;
  }
}

/** One line naming where the issue is, e.g. `node "y" port x: …` (messages that already name their node or edge stand as they are). */
export function formatIssue(i: GraphIssue): string {
  if ((i.nodeId !== undefined && i.message.includes(`"${i.nodeId}"`)) || (i.edgeId !== undefined && i.message.includes(`"${i.edgeId}"`))) return i.message;
  if (i.nodeId === undefined && i.edgeId === undefined && i.field !== undefined && i.message.startsWith(i.field)) return i.message;
  const where = [
    i.nodeId !== undefined ? `node "${i.nodeId}"` : undefined,
    i.edgeId !== undefined ? `edge "${i.edgeId}"` : undefined,
    i.field !== undefined ? `field ${i.field}` : undefined,
    i.port !== undefined ? `port ${i.port}` : undefined,
  ].filter(Boolean);
  return where.length ? `${where.join(' ')}: ${i.message}` : i.message;
}

/** A problem to start from: the paper's applications and our own. */
export interface TemplateInfo {
  name: string;
  title: string;
  description: string;
  notes: string[];
  graph: Graph;
}
