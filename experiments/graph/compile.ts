// The compiler: a checked graph becomes a training plan on the engine's
// autograd. Nodes are built once (files loaded), constants computed once on the
// CPU, random draws and parameters made per run (on the CPU, seeded, then moved
// to the run's device), and everything that depends on a parameter or on
// per-epoch randomness recomputed in every pass. A pass evaluates on demand from
// the nodes it needs, so the order of random draws follows the data flow.
import {
  add,
  Adam,
  AdamW,
  CsrMatrix,
  type Device,
  deviceMode,
  type DType,
  Generator,
  keep,
  noGrad,
  SGD,
  Tensor,
} from '../../native/lib/index.js';
import { type BuildContext, kindDef, type KindDef, type NodeImpl, NodeIssue, type PassContext, type Value } from './catalogue.js';
import { defaultDataDir } from './data-dir.js';
import { type Graph, GraphError, type GraphNode, type OptimizerSettings, type PortShape } from './schema.js';
import { mixSeed, runSeed } from './seeds.js';
import { analyzeGraph, type ValidateOptions } from './validate.js';

export { mixSeed, runSeed };

/** 0: computed once at compile; 1: once per run; 2: in every pass. */
type Level = 0 | 1 | 2;

interface CompiledNode {
  node: GraphNode;
  def: KindDef;
  impl: NodeImpl;
  level: Level;
  /** Input port → where it comes from. */
  inputs: Map<string, { node: string; port: string; edge: string }>;
  outputs: Record<string, PortShape>;
  resampled: boolean;
}

export interface Plan {
  graph: Graph;
  device: Device;
  dtype: DType;
  nodes: Map<string, CompiledNode>;
  order: string[];
  /** Outputs of the constant nodes (CPU), and their device copies where a per-pass node reads them. */
  constants: Map<string, Record<string, Value>>;
  placedConstants: Map<string, Record<string, Value>>;
  ports: Record<string, Record<string, PortShape>>;
}

export type CompileOptions = ValidateOptions;

function issueOf(id: string, kind: string, e: unknown): never {
  if (e instanceof NodeIssue) throw new GraphError([{ nodeId: id, ...(e.port ? { port: e.port } : {}), ...(e.field ? { field: e.field } : {}), message: `${kind} "${id}": ${e.message}` }]);
  if (e instanceof GraphError) throw e;
  const msg = e instanceof Error ? e.message : String(e);
  const err = new GraphError([{ nodeId: id, message: `${kind} "${id}": ${msg}` }]);
  if (e instanceof Error) err.stack = e.stack;
  throw err;
}

/** A constant (or per-run value) on the run's device; index vectors stay on the CPU. */
export function place(v: Value, device: Device): Value {
  if (device === 'cpu' || v instanceof Int32Array) return v;
  return noGrad(() => (v as Tensor | CsrMatrix).to(device)) as Value;
}

/** Validates and compiles a graph (already converted from v1). */
export async function compileGraph(input: unknown, opts: CompileOptions = {}): Promise<Plan> {
  const a = await analyzeGraph(input, opts);
  if (!a.graph || a.issues.length) throw new GraphError(a.issues);
  const graph = a.graph;
  const device = graph.training.device;
  if (device === 'cuda') {
    const { mode, reason } = deviceMode();
    if (mode === 'none') throw new GraphError([{ field: 'training.device', message: `training.device 'cuda' is not available: ${reason} (use 'cpu')` }]);
  }
  const dataDir = opts.dataDir ?? defaultDataDir();
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const connected = new Map<string, Set<string>>();
  for (const e of graph.edges) {
    if (!connected.has(e.from.node)) connected.set(e.from.node, new Set());
    connected.get(e.from.node)!.add(e.from.port);
  }

  const nodes = new Map<string, CompiledNode>();
  for (const id of a.order) {
    const node = byId.get(id)!;
    const def = kindDef(node.kind)!;
    const wiring = a.wiring.get(id) ?? new Map();
    const inputs: BuildContext['inputs'] = {};
    for (const [port, w] of wiring) inputs[port] = a.ports[w.node]?.[w.port];
    const ctx: BuildContext = { node, training: graph.training, dataDir, specDir: opts.specDir, inputs, outputs: a.ports[id] ?? {}, connected: connected.get(id) ?? new Set(), device };
    let impl: NodeImpl;
    try {
      impl = await def.build(node.fields as never, ctx);
    } catch (e) {
      issueOf(id, node.kind, e);
    }
    const v = def.variability?.(node.fields as never);
    let level: Level = v === 'constant' ? 0 : v === 'random' ? 1 : v === undefined ? 0 : 2;
    for (const w of wiring.values()) level = Math.max(level, nodes.get(w.node)!.level) as Level;
    if (v === 'parameter') {
      for (const [port, w] of wiring) {
        if (nodes.get(w.node)!.level === 2) {
          throw new GraphError([{ nodeId: id, port, edgeId: w.edge, message: `${node.kind} "${id}": input ${port} changes during training (it depends on a parameter or on per-epoch randomness); a parameter's size must come from data` }]);
        }
      }
    }
    nodes.set(id, { node, def, impl, level, inputs: wiring, outputs: a.ports[id] ?? {}, resampled: v === 'resampled' });
  }

  // Constants, once, on the CPU.
  const constants = new Map<string, Record<string, Value>>();
  const setup: PassContext = {
    mode: 'setup',
    epoch: 0,
    device: 'cpu',
    dtype: graph.training.dtype,
    generator: () => {
      throw new Error('a constant node drew random numbers');
    },
  };
  for (const id of a.order) {
    const c = nodes.get(id)!;
    if (c.level !== 0) continue;
    const inputs: Record<string, Value | undefined> = {};
    for (const [port, w] of c.inputs) inputs[port] = constants.get(w.node)![w.port];
    try {
      constants.set(id, noGrad(() => c.impl.evaluate(inputs, setup)));
    } catch (e) {
      issueOf(id, c.node.kind, e);
    }
  }
  // Device copies of the constants a per-run or per-pass node reads.
  const placedConstants = new Map<string, Record<string, Value>>();
  if (device !== 'cpu') {
    for (const c of nodes.values()) {
      if (c.level === 0) continue;
      for (const w of c.inputs.values()) {
        if (nodes.get(w.node)!.level !== 0) continue;
        const placed = placedConstants.get(w.node) ?? {};
        if (!(w.port in placed)) placed[w.port] = place(constants.get(w.node)![w.port]!, device);
        placedConstants.set(w.node, placed);
      }
    }
  }
  return { graph, device, dtype: graph.training.dtype, nodes, order: a.order, constants, placedConstants, ports: a.ports };
}

// ---------------------------------------------------------------------------
// Optimizers

export interface Stepper {
  zeroGrad(): void;
  step(): void;
  /** Frees the optimizers' device state. */
  dispose(): void;
}

export function weightDecayOf(opt: OptimizerSettings, name: string): number {
  return typeof opt.weightDecay === 'number' ? opt.weightDecay : (opt.weightDecay[name] ?? 0);
}

/**
 * The optimizer over named parameters. Parameters with different weight decays
 * get separate optimizer instances (what PyTorch's parameter groups do: the
 * optimizers' state is per parameter, so the update is the same).
 */
export function makeOptimizer(opt: OptimizerSettings, params: Record<string, Tensor | CsrMatrix>): Stepper {
  const groups = new Map<number, (Tensor | CsrMatrix)[]>();
  for (const [name, t] of Object.entries(params)) {
    const wd = weightDecayOf(opt, name);
    if (!groups.has(wd)) groups.set(wd, []);
    groups.get(wd)!.push(t);
  }
  const steppers: Stepper[] = [...groups].map(([weightDecay, ps]) => {
    switch (opt.kind) {
      case 'sgd':
        return new SGD(ps, { lr: opt.lr, momentum: opt.momentum, weightDecay });
      case 'adam':
        return new Adam(ps, { lr: opt.lr, betas: opt.betas, eps: opt.eps, weightDecay });
      case 'adamw':
        return new AdamW(ps, { lr: opt.lr, betas: opt.betas, eps: opt.eps, weightDecay });
    }
  });
  return {
    zeroGrad: () => steppers.forEach((s) => s.zeroGrad()),
    step: () => steppers.forEach((s) => s.step()),
    dispose: () => steppers.forEach((s) => s.dispose()),
  };
}

// ---------------------------------------------------------------------------
// A run's state and its passes

export class RunState {
  readonly generators = new Map<number, Generator>();
  /** Outputs of the per-run nodes (on the device) and of the resampled ones (current draw). */
  readonly values = new Map<string, Record<string, Value>>();
  readonly params = new Map<string, Tensor | CsrMatrix>();
  epoch = 0;

  constructor(
    readonly plan: Plan,
    readonly seed: number,
  ) {}

  generator = (stream: number): Generator => {
    let g = this.generators.get(stream);
    if (!g) this.generators.set(stream, (g = new Generator(mixSeed(this.seed, stream))));
    return g;
  };

  ctx(mode: PassContext['mode'], param?: Tensor | CsrMatrix): PassContext {
    return { mode, epoch: this.epoch, device: this.plan.device, dtype: this.plan.dtype, generator: this.generator, ...(param ? { param } : {}) };
  }

  /**
   * Draws the per-run nodes and makes the parameters in the order the graph
   * lists them (a node's per-run inputs first), so that nodes sharing a stream
   * draw in that order.
   */
  start(): void {
    const { plan } = this;
    const cpu = new Map<string, Record<string, Value>>();
    const visit = (id: string): Record<string, Value> | undefined => {
      const c = plan.nodes.get(id)!;
      if (c.level === 0) return plan.constants.get(id);
      const done = cpu.get(id);
      if (done) return done;
      const v = c.def.variability?.(c.node.fields as never);
      if (!(c.level === 1 || c.resampled || v === 'parameter')) return undefined;
      const inputs: Record<string, Value | undefined> = {};
      for (const [port, w] of c.inputs) inputs[port] = visit(w.node)?.[w.port];
      try {
        if (v === 'parameter') {
          const leaf = c.impl.createParameter!(inputs, this.ctx('setup'));
          this.params.set(id, this.leafOn(leaf));
          cpu.set(id, {});
        } else {
          const out = noGrad(() => c.impl.evaluate(inputs, this.ctx('setup')));
          cpu.set(id, out);
          this.values.set(id, this.placeAll(out));
        }
      } catch (e) {
        issueOf(id, c.node.kind, e);
      }
      return cpu.get(id);
    };
    for (const n of plan.graph.nodes) visit(n.id);
  }

  /** Fresh draws for the resampled nodes (epochs after the first); the previous draw is freed on a device. */
  resample(): void {
    const { plan } = this;
    for (const id of plan.order) {
      const c = plan.nodes.get(id)!;
      if (!c.resampled) continue;
      const inputs: Record<string, Value | undefined> = {};
      for (const [port, w] of c.inputs) inputs[port] = plan.constants.get(w.node)?.[w.port];
      const out = noGrad(() => c.impl.evaluate(inputs, this.ctx('setup')));
      if (plan.device !== 'cpu') for (const v of Object.values(this.values.get(id) ?? {})) if (!(v instanceof Int32Array)) v.dispose();
      const placed = this.placeAll(out);
      // Outlives this epoch's scope on a device (the runner's arena frees it with the run).
      for (const v of Object.values(placed)) if (!(v instanceof Int32Array)) keep(v);
      this.values.set(id, placed);
    }
  }

  private placeAll(out: Record<string, Value>): Record<string, Value> {
    if (this.plan.device === 'cpu') return out;
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, place(v, this.plan.device)]));
  }

  private leafOn(p: Tensor | CsrMatrix): Tensor | CsrMatrix {
    const device = this.plan.device;
    if (device === 'cpu') return p;
    if (p instanceof Tensor) return noGrad(() => p.to(device)).requiresGrad_();
    const D = noGrad(() => p.detach().to(device));
    return D.withValues(D.values.requiresGrad_());
  }

  pass(mode: 'train' | 'eval' | 'final'): Pass {
    return new Pass(this, mode);
  }
}

/** One evaluation of the graph: each node at most once, on demand. */
export class Pass {
  readonly memo = new Map<string, Record<string, Value>>();
  constructor(
    readonly run: RunState,
    readonly mode: 'train' | 'eval' | 'final',
  ) {}

  /** A node's outputs (computing what it needs first). */
  node(id: string): Record<string, Value> {
    const { plan } = this.run;
    const c = plan.nodes.get(id)!;
    if (c.level === 0) return plan.device === 'cpu' ? plan.constants.get(id)! : { ...plan.constants.get(id)!, ...plan.placedConstants.get(id) };
    if (c.level === 1 || c.resampled) return this.run.values.get(id)!;
    const hit = this.memo.get(id);
    if (hit) return hit;
    const inputs: Record<string, Value | undefined> = {};
    for (const [port, w] of c.inputs) inputs[port] = this.node(w.node)[w.port];
    let out: Record<string, Value>;
    try {
      out = c.impl.evaluate(inputs, this.run.ctx(this.mode, this.run.params.get(id)));
    } catch (e) {
      issueOf(id, c.node.kind, e);
    }
    this.memo.set(id, out);
    return out;
  }

  /** The value on an input port of node `id` (undefined when not wired). */
  input(id: string, port: string): Value | undefined {
    const w = this.run.plan.nodes.get(id)!.inputs.get(port);
    return w ? this.node(w.node)[w.port] : undefined;
  }

  /** Sum of the objective losses, in node order (a single loss is itself). */
  objective(ids: string[]): { total: Tensor; parts: Record<string, Tensor> } {
    let total: Tensor | null = null;
    const parts: Record<string, Tensor> = {};
    for (const id of ids) {
      const l = this.node(id).loss as Tensor;
      parts[id] = l;
      total = total ? add(total, l) : l;
    }
    return { total: total!, parts };
  }
}
