// A sweep file → its runs: the base graph loaded (template, file or inline), each
// axis checked against the graph (the node exists, the field is one of its kind's
// fields, the training setting exists), then the grid (or a seeded random sample)
// of configurations × seeds, each a graph of its own with training.seed = the run's
// seed and training.runs = 1. A run is identified by its index in this order, so a
// sweep id + run index names one run everywhere (the queue's job id, the result row).
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { formatIssue, nodeCatalogue, templates, toGraph, validateGraph, type Graph } from '../graph/index.js';
import { dottedPath, parse } from '../schema/issues.js';
import { type Axis, type AxisValue, type Sweep, SweepSchema } from './schema.js';

export class SweepError extends Error {
  constructor(
    message: string,
    /** Where in the sweep file, e.g. `axes["omega.init"]`. */
    readonly field?: string,
  ) {
    super(message);
    this.name = 'SweepError';
  }
}

/** One run of a sweep: its configuration (axis path → value), its seed and the graph it runs. */
export interface SweepRun {
  index: number;
  /** Which configuration (grid point or sample draw) this run belongs to; runs of one config differ only by seed. */
  config: number;
  axes: Record<string, AxisValue>;
  seed: number;
  graph: Graph;
}

export interface ExpandedSweep {
  name: string;
  /** The sweep as validated (defaults filled). */
  sweep: Sweep;
  /** The base graph after overrides, before any axis is applied. */
  base: Graph;
  /** Canonical field paths (`training.optimizer.lr`, `<node>.<field>`) in the file's order. */
  axes: string[];
  configs: number;
  runs: SweepRun[];
  /** Where relative data paths of the graph resolve (the base file's folder). */
  specDir?: string;
}

export interface ExpandOptions {
  /** The sweep file's folder: a `base` path resolves against it. */
  sweepDir?: string;
  /** Overrides as in `npm run experiment` (applied to the base). */
  epochs?: number;
}

/** Parses and validates a sweep (zod; every offending field named), without loading its base. */
export function parseSweep(input: unknown): Sweep {
  const r = parse(SweepSchema, input);
  if (!r.ok) {
    const lines = r.issues.map((i) => `  ${dottedPath('sweep', i.path)}: ${i.message}`);
    throw new SweepError(`not a valid sweep:\n${lines.join('\n')}`, r.issues[0] ? dottedPath('', r.issues[0].path) : undefined);
  }
  return r.data;
}

/** The base graph: a template by name, a spec/graph JSON file, or an inline graph. */
export function loadBase(base: Sweep['base'], sweepDir?: string): { graph: Graph; specDir?: string } {
  if (typeof base !== 'string') return { graph: toGraph(base) };
  const t = templates().find((x) => x.name === base);
  if (t) return { graph: t.graph };
  const path = resolve(sweepDir ?? '.', base);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const names = templates().map((x) => x.name).join(', ');
    throw new SweepError(
      (e as NodeJS.ErrnoException).code === 'ENOENT' ? `base: ${JSON.stringify(base)} is neither a template (${names}) nor a file (${path})` : `base: ${path}: ${(e as Error).message}`,
      'base',
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new SweepError(`base: ${path} is not valid JSON (${(e as Error).message})`, 'base');
  }
  try {
    return { graph: toGraph(json), specDir: dirname(path) };
  } catch (e) {
    throw new SweepError(`base: ${path}: ${(e as Error).message}`, 'base');
  }
}

/** Where an axis writes: a node's field, or a training setting (a path under graph.training). */
type Target = { kind: 'node'; node: string; field: string } | { kind: 'training'; path: string[] };

/**
 * `<nodeId>.<field>` or `training.<a>[.<b>]`; a path that names no node but an
 * existing training setting (`optimizer.lr`, `epochs`) is read as `training.<path>`.
 */
export function resolveField(graph: Graph, path: string): { canonical: string; target: Target } {
  const parts = path.split('.');
  const where = `axes[${JSON.stringify(path)}]`;
  const node = graph.nodes.find((n) => n.id === parts[0]);
  if (node && parts.length === 2) {
    const field = parts[1]!;
    const info = nodeCatalogue().find((k) => k.kind === node.kind);
    const known = Object.keys(((info?.fields as { properties?: object } | undefined)?.properties ?? {}) as object);
    if (!known.includes(field) && !(field in node.fields)) {
      throw new SweepError(`${where}: node "${node.id}" (${node.kind}) has no field "${field}" (its fields: ${known.join(', ') || 'none'})`, where);
    }
    return { canonical: path, target: { kind: 'node', node: node.id, field } };
  }
  const tpath = parts[0] === 'training' ? parts.slice(1) : parts;
  let cur: unknown = graph.training;
  for (const p of tpath) cur = cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>)[p] : undefined;
  if (tpath.length > 0 && cur !== undefined && (cur === null || typeof cur !== 'object' || tpath.join('.') === 'optimizer.weightDecay')) {
    return { canonical: `training.${tpath.join('.')}`, target: { kind: 'training', path: tpath } };
  }
  if (node) throw new SweepError(`${where}: name one field of node "${node.id}" as "${node.id}.<field>"`, where);
  const ids = graph.nodes.map((n) => n.id).join(', ');
  throw new SweepError(
    `${where}: no node "${parts[0]}" in graph "${graph.name}" (nodes: ${ids}) and no training setting "${tpath.join('.')}" (e.g. training.optimizer.lr, training.epochs)`,
    where,
  );
}

function setField(graph: Graph, target: Target, value: AxisValue): void {
  if (target.kind === 'node') {
    graph.nodes.find((n) => n.id === target.node)!.fields[target.field] = value;
    return;
  }
  let obj = graph.training as unknown as Record<string, unknown>;
  for (const p of target.path.slice(0, -1)) obj = obj[p] as Record<string, unknown>;
  obj[target.path[target.path.length - 1]!] = value;
}

/** The values of an axis on the grid. */
export function gridValues(axis: Axis): AxisValue[] {
  if (Array.isArray(axis)) return axis;
  const { from, to, steps, scale, integer } = axis;
  const out: AxisValue[] = [];
  for (let i = 0; i < steps; i++) {
    const t = steps === 1 ? 0 : i / (steps - 1);
    // log scale: x_i = from · (to/from)^t, evenly spaced exponents
    const v = scale === 'log' ? from * Math.pow(to / from, t) : from + (to - from) * t;
    out.push(integer ? Math.round(v) : v);
  }
  return integer ? [...new Set(out)] : out;
}

/** mulberry32: a small seeded generator, so that a sample is the same on every machine. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One random value of an axis: a list by uniform choice, a range uniformly (log-uniformly on a log scale). */
function sampleValue(axis: Axis, u: number): AxisValue {
  if (Array.isArray(axis)) return axis[Math.min(axis.length - 1, Math.floor(u * axis.length))]!;
  const { from, to, scale, integer } = axis;
  const v = scale === 'log' ? from * Math.pow(to / from, u) : from + (to - from) * u;
  return integer ? Math.round(v) : v;
}

/** Every configuration of the axes: the grid (first axis slowest) or `count` seeded draws. */
export function configurations(sweep: Sweep, paths: string[]): Record<string, AxisValue>[] {
  const axes = Object.values(sweep.axes);
  if (sweep.sample) {
    const rand = mulberry32(sweep.sample.seed);
    return Array.from({ length: sweep.sample.count }, () => Object.fromEntries(paths.map((p, k) => [p, sampleValue(axes[k]!, rand())])));
  }
  let out: Record<string, AxisValue>[] = [{}];
  paths.forEach((p, k) => {
    const values = gridValues(axes[k]!);
    out = out.flatMap((c) => values.map((v) => ({ ...c, [p]: v })));
  });
  return out;
}

/** How many runs a sweep expands to, without building them (for "see the run count before starting"). */
export function runCount(sweep: Sweep): number {
  const configs = sweep.sample ? sweep.sample.count : Object.values(sweep.axes).reduce((n, a) => n * gridValues(a).length, 1);
  return configs * sweep.seeds.length;
}

/** A sweep (parsed JSON) → its runs. Throws SweepError naming the field. */
export function expandSweep(input: unknown, opts: ExpandOptions = {}): ExpandedSweep {
  const sweep = parseSweep(input);
  const total = runCount(sweep);
  if (total > sweep.budget) {
    const sizes = sweep.sample ? [`${sweep.sample.count} samples`] : Object.entries(sweep.axes).map(([p, a]) => `${gridValues(a).length} (${p})`);
    throw new SweepError(`budget: the sweep has ${[...sizes, `${sweep.seeds.length} seeds`].join(' × ')} = ${total} runs, more than its budget of ${sweep.budget} (raise "budget" or shrink an axis)`, 'budget');
  }
  const { graph: loaded, specDir } = loadBase(sweep.base, opts.sweepDir);
  const base = structuredClone(loaded);
  const epochs = opts.epochs ?? sweep.epochs;
  if (epochs !== undefined) base.training.epochs = epochs;
  base.training.runs = 1;
  const resolved = Object.keys(sweep.axes).map((p) => resolveField(base, p));
  const paths = resolved.map((r) => r.canonical);
  const dup = paths.find((p, i) => paths.indexOf(p) !== i);
  if (dup) throw new SweepError(`axes: two axes name the same field ${dup}`, 'axes');
  const configs = configurations(sweep, paths);
  const runs: SweepRun[] = [];
  configs.forEach((axes, config) => {
    for (const seed of sweep.seeds) {
      const graph = structuredClone(base);
      paths.forEach((p, k) => setField(graph, resolved[k]!.target, axes[p]!));
      graph.training.seed = seed;
      runs.push({ index: runs.length, config, axes, seed, graph });
    }
  });
  return { name: sweep.name ?? base.name, sweep, base, axes: paths, configs: configs.length, runs, ...(specDir ? { specDir } : {}) };
}

/** Reads and expands a sweep file. */
export function readSweepFile(path: string, opts: Omit<ExpandOptions, 'sweepDir'> = {}): ExpandedSweep {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new SweepError(code === 'ENOENT' ? `${path}: no such file` : `${path}: ${code ? (e as Error).message : `not valid JSON (${(e as Error).message})`}`);
  }
  return expandSweep(json, { ...opts, sweepDir: dirname(resolve(path)) });
}

/**
 * Checks each configuration's graph (one run per configuration: seeds do not change
 * shapes) with validateGraph, so that a value that breaks the graph (a size that no
 * longer matches) is refused before anything runs, naming the run's axis values.
 */
export async function validateSweepRuns(expanded: ExpandedSweep, dataDir?: string): Promise<void> {
  const seen = new Set<number>();
  const problems: string[] = [];
  for (const run of expanded.runs) {
    if (seen.has(run.config)) continue;
    seen.add(run.config);
    const v = await validateGraph(run.graph, { ...(dataDir ? { dataDir } : {}), ...(expanded.specDir ? { specDir: expanded.specDir } : {}) });
    if (!v.ok) {
      const where = Object.entries(run.axes).map(([p, x]) => `${p} = ${JSON.stringify(x)}`).join(', ') || 'the base graph';
      problems.push(`  with ${where}: ${v.issues.slice(0, 3).map(formatIssue).join('; ')}`);
      if (problems.length >= 5) break;
    }
  }
  if (problems.length) throw new SweepError(`some configurations do not make a valid graph:\n${problems.join('\n')}`, 'axes');
}
