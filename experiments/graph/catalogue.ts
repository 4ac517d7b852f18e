// The node catalogue: every kind a graph node can be, with its fields (a zod
// schema with defaults and ranges), its ports, how it infers the shapes of its
// outputs from its inputs (before anything runs), and how it computes them on
// the engine. Kinds register themselves from the files in ./kinds.
import { z } from 'zod';
import type { CsrMatrix, Device, DType, Generator, Tensor } from '../../native/lib/index.js';
import type { Category, GraphNode, NodeKindInfo, PortDef, PortShape, Training } from './schema.js';

export type { PortShape };

/** What flows on an edge: a sparse matrix, a dense tensor (any rank; [] a scalar) or an integer vector. */
export type Value = CsrMatrix | Tensor | Int32Array;

/** A problem with a node found while inferring shapes or building; becomes a GraphIssue on that node. */
export class NodeIssue extends Error {
  readonly port: string | undefined;
  readonly field: string | undefined;
  constructor(message: string, where: { port?: string; field?: string } = {}) {
    super(message);
    this.name = 'NodeIssue';
    this.port = where.port;
    this.field = where.field;
  }
}

export interface InferContext {
  node: GraphNode;
  training: Training;
  /** Folder relative data paths resolve against, and the graph file's folder (tried first). */
  dataDir: string;
  specDir: string | undefined;
}

export interface BuildContext extends InferContext {
  /** The inferred shapes of this node's inputs and outputs. */
  inputs: Record<string, PortShape | undefined>;
  outputs: Record<string, PortShape>;
  /** The output ports that have an edge (a node may skip work for the others). */
  connected: Set<string>;
  device: Device;
}

/** When a node is evaluated. */
export interface PassContext {
  /**
   * 'train': the forward pass whose objective is differentiated (dropout on);
   * 'eval': a pass after the optimizer step without gradients (dropout off), as PyTorch's model.eval();
   * 'final': the pass after the last step that the run's final values come from (dropout off);
   * 'setup': evaluation of constants at compile time and of per-run draws at a run's start.
   */
  mode: 'train' | 'eval' | 'final' | 'setup';
  /** The run's generator for a random stream: one sequence of draws per (run, stream), shared by the nodes that name it. */
  generator(stream: number): Generator;
  epoch: number;
  device: Device;
  dtype: DType;
  /** For a parameter node: its learnable leaf (on the run's device). */
  param?: Tensor | CsrMatrix;
}

/**
 * How a node's value varies, which decides when it is computed:
 * 'constant' once when the graph is compiled; 'random' once per run (at its start, from its stream);
 * 'resampled' at the start of every epoch; 'parameter' a learnable leaf made per run;
 * 'stochastic' drawn anew in every training pass (dropout). Derived nodes (undefined) vary as their inputs.
 */
export type Variability = 'constant' | 'random' | 'resampled' | 'parameter' | 'stochastic';

export interface NodeImpl {
  /** The node's outputs from its inputs (all inputs on the run's device, except index vectors). */
  evaluate(inputs: Record<string, Value | undefined>, ctx: PassContext): Record<string, Value>;
  /** A parameter: its learnable leaf for a run, made on the CPU (seeded), before the run's device copy. */
  createParameter?(inputs: Record<string, Value | undefined>, ctx: PassContext): Tensor | CsrMatrix;
}

/** How an output node reports: a scalar per epoch into `metrics`, a vector into the result's series. */
export interface OutputRole {
  /** Which pass the output is measured in ('final': once, after the last step). */
  pass: 'train' | 'eval' | 'final';
}

export interface KindDef<S extends z.ZodObject = z.ZodObject> {
  kind: string;
  category: Category;
  title: string;
  description: string;
  fields: S;
  inputs: PortDef[];
  outputs: PortDef[];
  variability?: (fields: z.infer<S>) => Variability | undefined;
  /** Random nodes: the stream field's default is a hash of the node id (see streamOf). */
  random?: boolean;
  /** Losses: whether this one is part of the objective or only monitored (evaluated without gradients). */
  lossRole?: (fields: z.infer<S>) => 'objective' | 'monitor';
  /** Outputs: when they are measured. */
  output?: (fields: z.infer<S>) => OutputRole;
  /** Output shapes from the inputs' (those connected) and the fields; throws NodeIssue. May read file headers. */
  infer(fields: z.infer<S>, inputs: Record<string, PortShape | undefined>, ctx: InferContext): Record<string, PortShape> | Promise<Record<string, PortShape>>;
  /** Prepares the computation (may load files); called once per compile. */
  build(fields: z.infer<S>, ctx: BuildContext): NodeImpl | Promise<NodeImpl>;
}

const registry = new Map<string, KindDef>();

export function defineKind<S extends z.ZodObject>(def: KindDef<S>): KindDef<S> {
  if (registry.has(def.kind)) throw new Error(`node kind "${def.kind}" is defined twice`);
  registry.set(def.kind, def as unknown as KindDef);
  return def;
}

export function kindDef(kind: string): KindDef | undefined {
  return registry.get(kind);
}

export function allKinds(): KindDef[] {
  return [...registry.values()];
}

export function kindInfo(def: KindDef): NodeKindInfo {
  const json = z.toJSONSchema(def.fields, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return {
    kind: def.kind,
    category: def.category,
    title: def.title,
    description: def.description,
    inputs: def.inputs.map((p) => ({ ...p })),
    outputs: def.outputs.map((p) => ({ ...p })),
    fields: json,
    defaults: def.fields.parse({}) as Record<string, unknown>,
  };
}

// ---------------------------------------------------------------------------
// Helpers the kinds share

/** The stream a random node draws from: its `stream` field, else a stable hash of its id (FNV-1a). */
export function streamOf(node: { id: string; fields: Record<string, unknown> }): number {
  const s = node.fields.stream;
  if (typeof s === 'number') return s;
  let h = 0x811c9dc5;
  for (let i = 0; i < node.id.length; i++) h = Math.imul(h ^ node.id.charCodeAt(i), 0x01000193);
  // Above the small numbers the paper templates use for today's streams.
  return 1000 + ((h >>> 0) % 1_000_000);
}

/** A stream field: an optional non-negative integer. */
export const streamField = () =>
  z.int().min(0).max(2 ** 31 - 1).optional().describe('random stream: the same (seed, run, stream) gives the same draws; default: a hash of the node id');

/** A dtype field for sources and parameters: 'auto' follows the training dtype. */
export const dtypeField = () => z.enum(['auto', 'float64', 'float32']).default('auto').describe("element type; 'auto' follows training.dtype");

export function resolveDtype(d: 'auto' | 'float64' | 'float32', training: Training): DType {
  return d === 'auto' ? training.dtype : d;
}

export const sparse = (name: string, description: string, optional = false): PortDef => ({ name, type: 'sparse', description, ...(optional ? { optional } : {}) });
export const dense = (name: string, description: string, optional = false): PortDef => ({ name, type: 'dense', description, ...(optional ? { optional } : {}) });
export const index = (name: string, description: string, optional = false): PortDef => ({ name, type: 'index', description, ...(optional ? { optional } : {}) });

export const showShape = (s: readonly number[]): string => (s.length === 0 ? 'a scalar' : s.map((d) => (d < 0 ? '?' : String(d))).join('×'));

/** Sizes agree when equal or either is not known yet (-1). */
export const sameSize = (a: number, b: number): boolean => a < 0 || b < 0 || a === b;

export function need(inputs: Record<string, PortShape | undefined>, port: string): PortShape {
  const s = inputs[port];
  if (!s) throw new NodeIssue(`input ${port} is not connected`, { port });
  return s;
}

/** The dtype two float operands share, or an issue naming both. */
export function commonDtype(op: string, a: [string, PortShape], b: [string, PortShape]): 'float64' | 'float32' {
  if (a[1].dtype !== b[1].dtype) throw new NodeIssue(`${a[0]} is ${a[1].dtype} but ${b[0]} is ${b[1].dtype} (insert a cast node)`, { port: b[0] });
  return a[1].dtype as 'float64' | 'float32';
}

export const shapeOf = (type: PortShape['type'], shape: number[], dtype: PortShape['dtype']): PortShape => ({ type, shape, dtype });

/**
 * One node kind outside a graph (for tests and tools): its fields parsed
 * (defaults filled), its output shapes inferred from the inputs' and the node
 * built; the returned function evaluates it on the CPU (synchronously, so it can
 * go under gradcheck), in a training pass unless told otherwise.
 */
export async function buildKind(
  kind: string,
  fields: Record<string, unknown>,
  like: Record<string, Value>,
  opts: { training?: Partial<Training>; seed?: number; dataDir?: string; id?: string } = {},
): Promise<{ outputs: Record<string, PortShape>; evaluate: (inputs: Record<string, Value>, o?: { mode?: PassContext['mode']; param?: Tensor | CsrMatrix }) => Record<string, Value>; impl: NodeImpl }> {
  const def = kindDef(kind);
  if (!def) throw new Error(`unknown node kind "${kind}"`);
  const f = def.fields.parse(fields) as Record<string, unknown>;
  const { Generator, mixSeed, Tensor: T } = await engineForEvaluate();
  const training: Training = {
    optimizer: { kind: 'adam', lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, momentum: 0, weightDecay: 0 },
    epochs: 1,
    runs: 1,
    seed: 0,
    dtype: 'float64',
    device: 'cpu',
    ...opts.training,
  };
  const shapes: Record<string, PortShape> = {};
  for (const [k, v] of Object.entries(like)) {
    shapes[k] =
      v instanceof Int32Array
        ? { type: 'index', shape: [v.length], dtype: 'int32' }
        : v instanceof T
          ? { type: 'dense', shape: v.shape.slice(), dtype: v.dtype }
          : { type: 'sparse', shape: [(v as CsrMatrix).rows, (v as CsrMatrix).cols], dtype: (v as CsrMatrix).dtype };
  }
  const node = { id: opts.id ?? kind, kind, fields: f };
  const ictx: InferContext = { node, training, dataDir: opts.dataDir ?? process.cwd(), specDir: undefined };
  const outputs = await def.infer(f as never, shapes, ictx);
  const impl = await def.build(f as never, { ...ictx, inputs: shapes, outputs, connected: new Set(def.outputs.map((p) => p.name)), device: 'cpu' });
  const gens = new Map<number, Generator>();
  const generator = (s: number): Generator => gens.get(s) ?? gens.set(s, new Generator(mixSeed(opts.seed ?? 0, s))).get(s)!;
  return {
    outputs,
    impl,
    evaluate: (inputs, o = {}) => {
      const ctx: PassContext = { mode: o.mode ?? 'train', epoch: 0, device: 'cpu', dtype: training.dtype, generator };
      if (impl.createParameter) ctx.param = o.param ?? impl.createParameter(inputs, { ...ctx, mode: 'setup' });
      return impl.evaluate(inputs, ctx);
    },
  };
}

/** buildKind, evaluated once on `inputs`. */
export async function evaluateKind(
  kind: string,
  fields: Record<string, unknown>,
  inputs: Record<string, Value>,
  opts: { mode?: PassContext['mode']; training?: Partial<Training>; seed?: number; param?: Tensor | CsrMatrix; dataDir?: string } = {},
): Promise<Record<string, Value>> {
  const k = await buildKind(kind, fields, inputs, opts);
  return k.evaluate(inputs, { ...(opts.mode ? { mode: opts.mode } : {}), ...(opts.param ? { param: opts.param } : {}) });
}

async function engineForEvaluate() {
  const engine = await import('../../native/lib/index.js');
  const { mixSeed } = await import('./seeds.js');
  return { Generator: engine.Generator, Tensor: engine.Tensor, mixSeed };
}
