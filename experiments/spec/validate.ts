// Validation of problem specs. Every message names the offending field by its
// path, in one format: "spec.optimizer.lr: expected a positive number but
// received -1". Fields with defaults may be left out; the defaults are those of
// the preset for the spec's method, so a spec reads as "a preset plus changes".
import { PRESETS } from './presets.js';
import {
  type DenseParameter,
  type GcnMethod,
  type HeavyballMethod,
  type JacobiMethod,
  type LossSpec,
  type MatrixSource,
  METHOD_KINDS,
  type MethodKind,
  type MethodSpec,
  type OptimizerSpec,
  type ParameterSpec,
  type PcgMethod,
  type ProblemSpec,
  type RhsKind,
  SPARSE_PATTERNS,
  SPEC_VERSION,
  type VectorSet,
} from './types.js';

export class SpecError extends Error {
  /** The offending field, e.g. "spec.optimizer.lr". */
  readonly field: string;
  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = 'SpecError';
    this.field = field;
  }
}

/** How a received value is shown in a message. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (typeof value === 'object') return 'an object';
  return typeof value;
}

function fail(field: string, message: string): never {
  throw new SpecError(field, message);
}

function expected(field: string, what: string, value: unknown): never {
  return fail(field, `expected ${what} but received ${show(value)}`);
}

// ---------------------------------------------------------------------------
// Readers: each takes the field path and the raw value, checks it, returns it typed.

type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function object(field: string, v: unknown, allowed: readonly string[]): Obj {
  if (!isObject(v)) expected(field, 'an object', v);
  for (const key of Object.keys(v)) {
    if (!allowed.includes(key)) fail(`${field}.${key}`, `unknown field (expected one of ${allowed.join(', ')})`);
  }
  return v;
}

function finite(field: string, v: unknown, what = 'a number'): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) expected(field, what, v);
  return v;
}

function positive(field: string, v: unknown): number {
  const x = finite(field, v, 'a positive number');
  if (!(x > 0)) expected(field, 'a positive number', v);
  return x;
}

function nonNegative(field: string, v: unknown): number {
  const x = finite(field, v, 'a non-negative number');
  if (x < 0) expected(field, 'a non-negative number', v);
  return x;
}

function integer(field: string, v: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const what = min === 1 ? 'a positive integer' : min === 0 ? 'a non-negative integer' : `an integer ≥ ${min}`;
  const full = max < Number.MAX_SAFE_INTEGER ? `${what} (at most ${max})` : what;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) expected(field, full, v);
  return v;
}

/** A probability in [0, 1). */
function dropRate(field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v >= 1) expected(field, 'a number in [0, 1)', v);
  return v;
}

function oneOf<T extends string | number>(field: string, v: unknown, options: readonly T[]): T {
  if (!options.includes(v as T)) {
    expected(field, options.length === 1 ? show(options[0]) : `one of ${options.map((o) => show(o)).join(', ')}`, v);
  }
  return v as T;
}

function text(field: string, v: unknown): string {
  if (typeof v !== 'string') expected(field, 'a string', v);
  return v;
}

function nonEmptyText(field: string, v: unknown): string {
  if (typeof v !== 'string' || v.length === 0) expected(field, 'a non-empty string', v);
  return v;
}

function boolean(field: string, v: unknown): boolean {
  if (typeof v !== 'boolean') expected(field, 'true or false', v);
  return v;
}

/** `raw[key]` if present, else the default. */
function or<T>(raw: Obj, key: string, fallback: T, read: (field: string, v: unknown) => T, field: string): T {
  return raw[key] === undefined ? fallback : read(`${field}.${key}`, raw[key]);
}

// ---------------------------------------------------------------------------

const TOP_FIELDS = ['version', 'name', 'description', 'notes', 'matrix', 'method', 'parameters', 'loss', 'optimizer', 'epochs', 'runs', 'seed', 'device', 'dtype'];

/**
 * Checks a spec (parsed JSON) and returns it complete, with defaults filled in
 * from the preset of its method. Throws a SpecError naming the first offending field.
 */
export function validateSpec(input: unknown): ProblemSpec {
  const raw = object('spec', input, TOP_FIELDS);
  if (raw.version !== SPEC_VERSION) expected('spec.version', String(SPEC_VERSION), raw.version);

  const methodRaw = raw.method;
  if (!isObject(methodRaw)) expected('spec.method', 'an object', methodRaw);
  const kind = oneOf('spec.method.kind', methodRaw.kind, METHOD_KINDS);
  const base = PRESETS[kind];

  const method = readMethod('spec.method', methodRaw, base.method);
  const matrix = raw.matrix === undefined ? structuredClone(base.matrix) : readMatrix('spec.matrix', raw.matrix, kind);
  const parameters = readParameters('spec.parameters', raw.parameters, method, base.parameters);
  const loss = raw.loss === undefined ? structuredClone(base.loss) : readLoss('spec.loss', raw.loss, kind);
  const optimizer = readOptimizer('spec.optimizer', raw.optimizer, base.optimizer, Object.keys(parameters));

  const notes = raw.notes === undefined ? (raw.name === undefined ? [...base.notes] : []) : readNotes('spec.notes', raw.notes);
  return {
    version: SPEC_VERSION,
    name: or(raw, 'name', base.name, nonEmptyText, 'spec'),
    description: or(raw, 'description', raw.name === undefined ? base.description : '', text, 'spec'),
    notes,
    matrix,
    method,
    parameters,
    loss,
    optimizer,
    epochs: or(raw, 'epochs', base.epochs, (f, v) => integer(f, v, 1, 1_000_000), 'spec'),
    runs: or(raw, 'runs', base.runs, (f, v) => integer(f, v, 1, 100_000), 'spec'),
    seed: or(raw, 'seed', base.seed, (f, v) => integer(f, v, 0, 2 ** 32 - 1), 'spec'),
    device: or(raw, 'device', base.device, (f, v) => oneOf(f, v, ['cpu', 'cuda'] as const), 'spec'),
    dtype: or(raw, 'dtype', base.dtype, (f, v) => oneOf(f, v, ['float64', 'float32'] as const), 'spec'),
  };
}

function readNotes(field: string, v: unknown): string[] {
  if (!Array.isArray(v)) expected(field, 'an array of strings', v);
  return v.map((n, i) => text(`${field}[${i}]`, n));
}

// ---------------------------------------------------------------------------
// Matrix source

function readMatrix(field: string, v: unknown, method: MethodKind): MatrixSource {
  if (!isObject(v)) expected(field, 'an object', v);
  const kind = oneOf(`${field}.kind`, v.kind, ['generator', 'file', 'graph'] as const);
  if (method === 'gcn' && kind !== 'graph') fail(`${field}.kind`, `the gcn method needs a graph but received ${show(kind)}`);
  if (method !== 'gcn' && kind === 'graph') fail(`${field}.kind`, `the ${method} method needs a square matrix, not a graph (a graph goes with gcn)`);
  if (kind === 'generator') {
    const name = oneOf(`${field}.name`, v.name, ['poisson1d', 'poisson2d'] as const);
    if (name === 'poisson1d') {
      const o = object(field, v, ['kind', 'name', 'n']);
      return { kind, name, n: integer(`${field}.n`, o.n, 1, 50_000_000) };
    }
    const o = object(field, v, ['kind', 'name', 'nx', 'ny']);
    const nx = integer(`${field}.nx`, o.nx, 1, 100_000);
    const ny = integer(`${field}.ny`, o.ny, 1, 100_000);
    if (nx * ny > 50_000_000) fail(field, `a ${nx}×${ny} grid is too large (at most 50,000,000 unknowns)`);
    return { kind, name, nx, ny };
  }
  if (kind === 'file') {
    const o = object(field, v, ['kind', 'path']);
    return { kind, path: nonEmptyText(`${field}.path`, o.path) };
  }
  const o = object(field, v, ['kind', 'format', 'path', 'name', 'url', 'cache', 'selfLoops']);
  const format = oneOf(`${field}.format`, o.format, ['folder', 'planetoid'] as const);
  const out: MatrixSource = { kind, format, selfLoops: or(o, 'selfLoops', 'kipf', (f, x) => oneOf(f, x, ['kipf', 'none'] as const), field) };
  if (o.path !== undefined) out.path = nonEmptyText(`${field}.path`, o.path);
  if (format === 'folder') {
    if (out.path === undefined) expected(`${field}.path`, 'a non-empty string', o.path);
    for (const k of ['name', 'url', 'cache'] as const) {
      if (o[k] !== undefined) fail(`${field}.${k}`, "only applies to format 'planetoid'");
    }
    return out;
  }
  const name = nonEmptyText(`${field}.name`, o.name);
  if (!/^[A-Za-z0-9_-]+$/.test(name)) expected(`${field}.name`, 'a dataset name of letters, digits, _ and -', name);
  out.name = name;
  if (o.url !== undefined) {
    const url = nonEmptyText(`${field}.url`, o.url);
    if (!/^https?:\/\//.test(url)) expected(`${field}.url`, 'an http:// or https:// URL', url);
    out.url = url;
  }
  if (o.cache !== undefined) out.cache = nonEmptyText(`${field}.cache`, o.cache);
  if (out.path === undefined && out.url === undefined) fail(field, "a planetoid graph needs a path to the raw files or a url to fetch them from");
  return out;
}

// ---------------------------------------------------------------------------
// Method

function readRhs(field: string, v: unknown): RhsKind {
  return oneOf(field, v, ['zero', 'ones', 'random', 'linear'] as const);
}

function readVectors(field: string, v: unknown, base: VectorSet): VectorSet {
  if (v === undefined) return { ...base };
  const o = object(field, v, ['count', 'distribution']);
  return {
    count: or(o, 'count', base.count, (f, x) => integer(f, x, 1, 1_000_000), field),
    distribution: or(o, 'distribution', base.distribution, (f, x) => oneOf(f, x, ['normal', 'uniform'] as const), field),
  };
}

function readMethod(field: string, o: Obj, base: MethodSpec): MethodSpec {
  switch (base.kind) {
    case 'jacobi': {
      const b = base as JacobiMethod;
      object(field, o, ['kind', 'sweeps', 'rhs', 'vectors', 'resample']);
      return {
        kind: 'jacobi',
        sweeps: or(o, 'sweeps', b.sweeps, (f, x) => integer(f, x, 1, 10_000), field),
        rhs: or(o, 'rhs', b.rhs, readRhs, field),
        vectors: readVectors(`${field}.vectors`, o.vectors, b.vectors),
        resample: or(o, 'resample', b.resample, boolean, field),
      };
    }
    case 'heavyball': {
      const b = base as HeavyballMethod;
      object(field, o, ['kind', 'iterations', 'rhs', 'train', 'test']);
      return {
        kind: 'heavyball',
        iterations: or(o, 'iterations', b.iterations, (f, x) => integer(f, x, 1, 100_000), field),
        rhs: or(o, 'rhs', b.rhs, readRhs, field),
        train: readVectors(`${field}.train`, o.train, b.train),
        test: readVectors(`${field}.test`, o.test, b.test),
      };
    }
    case 'pcg': {
      const b = base as PcgMethod;
      object(field, o, ['kind', 'iterations', 'rhs', 'historyIterations']);
      const rhs = or(o, 'rhs', b.rhs, readRhs, field);
      if (rhs === 'zero') fail(`${field}.rhs`, "PCG's relative residual ‖r‖/‖b‖ needs b ≠ 0 (use 'ones', 'random' or 'linear')");
      return {
        kind: 'pcg',
        iterations: or(o, 'iterations', b.iterations, (f, x) => integer(f, x, 1, 10_000), field),
        rhs,
        historyIterations: or(o, 'historyIterations', b.historyIterations, (f, x) => integer(f, x, 1, 100_000), field),
      };
    }
    case 'gcn': {
      const b = base as GcnMethod;
      object(field, o, ['kind', 'hidden', 'activation', 'dropout', 'inputDropout', 'normalizeFeatures', 'bias']);
      return {
        kind: 'gcn',
        hidden: or(o, 'hidden', b.hidden, (f, x) => integer(f, x, 1, 65_536), field),
        activation: or(o, 'activation', b.activation, (f, x) => oneOf(f, x, ['relu'] as const), field),
        dropout: or(o, 'dropout', b.dropout, dropRate, field),
        inputDropout: or(o, 'inputDropout', b.inputDropout, dropRate, field),
        normalizeFeatures: or(o, 'normalizeFeatures', b.normalizeFeatures, (f, x) => oneOf(f, x, ['row', 'none'] as const), field),
        bias: or(o, 'bias', b.bias, boolean, field),
      };
    }
  }
}

// ---------------------------------------------------------------------------
// Learnable parameters: their names and kinds follow from the method.

/**
 * The parameters a method learns, each with its default (whose kind the spec
 * must keep). The presets' values take precedence over these defaults.
 */
export function methodParameters(method: MethodSpec): Record<string, ParameterSpec> {
  switch (method.kind) {
    case 'jacobi':
      return { omega: { kind: 'vector', init: 1 } };
    case 'heavyball':
      return { alpha: { kind: 'scalar', init: 0 }, beta: { kind: 'scalar', init: 0 } };
    case 'pcg':
      return { L: { kind: 'sparse', pattern: 'diagonal', init: { diagonal: 1, offDiagonal: 0 } } };
    case 'gcn': {
      const W = (): ParameterSpec => ({ kind: 'dense', init: 'glorot' });
      const b = (): ParameterSpec => ({ kind: 'dense', init: 'zeros' });
      return method.bias ? { W1: W(), b1: b(), W2: W(), b2: b() } : { W1: W(), W2: W() };
    }
  }
}

function readParameters(
  field: string,
  v: unknown,
  method: MethodSpec,
  base: Record<string, ParameterSpec>,
): Record<string, ParameterSpec> {
  const defaults = methodParameters(method);
  const names = Object.keys(defaults);
  const o = v === undefined ? {} : object(field, v, names);
  const out: Record<string, ParameterSpec> = {};
  for (const name of names) {
    const fallback = base[name] ?? defaults[name]!;
    out[name] = o[name] === undefined ? structuredClone(fallback) : readParameter(`${field}.${name}`, o[name], fallback.kind, fallback);
  }
  return out;
}

function readParameter(field: string, v: unknown, kind: ParameterSpec['kind'], base: ParameterSpec): ParameterSpec {
  if (!isObject(v)) expected(field, 'an object', v);
  if (v.kind !== undefined) oneOf(`${field}.kind`, v.kind, [kind]);
  switch (kind) {
    case 'scalar':
    case 'vector': {
      const o = object(field, v, ['kind', 'init']);
      const b = base as { init: number };
      return { kind, init: or(o, 'init', b.init, finite, field) };
    }
    case 'sparse': {
      const o = object(field, v, ['kind', 'pattern', 'init']);
      const b = base as Extract<ParameterSpec, { kind: 'sparse' }>;
      const pattern = or(o, 'pattern', b.pattern, (f, x) => oneOf(f, x, SPARSE_PATTERNS), field);
      let init = { ...b.init };
      if (o.init !== undefined) {
        const io = object(`${field}.init`, o.init, ['diagonal', 'offDiagonal']);
        init = {
          diagonal: or(io, 'diagonal', init.diagonal, finite, `${field}.init`),
          offDiagonal: or(io, 'offDiagonal', init.offDiagonal, finite, `${field}.init`),
        };
      }
      return { kind, pattern, init };
    }
    case 'dense': {
      const o = object(field, v, ['kind', 'init']);
      const b = base as DenseParameter;
      return { kind, init: or(o, 'init', b.init, (f, x) => oneOf(f, x, ['glorot', 'zeros'] as const), field) };
    }
  }
}

// ---------------------------------------------------------------------------
// Loss and optimizer

const LOSSES: Record<MethodKind, readonly LossSpec['kind'][]> = {
  jacobi: ['energy', 'residual'],
  heavyball: ['energy', 'residual'],
  pcg: ['weighted-residual'],
  gcn: ['cross-entropy'],
};

function readLoss(field: string, v: unknown, method: MethodKind): LossSpec {
  if (!isObject(v)) expected(field, 'an object', v);
  const kind = oneOf(`${field}.kind`, v.kind, LOSSES[method]);
  switch (kind) {
    case 'energy':
    case 'residual': {
      const o = object(field, v, ['kind', 'reduction']);
      return { kind, reduction: or(o, 'reduction', 'sum', (f, x) => oneOf(f, x, ['sum', 'mean'] as const), field) };
    }
    case 'weighted-residual': {
      const o = object(field, v, ['kind', 'gamma']);
      const gamma = finite(`${field}.gamma`, o.gamma, 'a number in (0, 1]');
      if (!(gamma > 0 && gamma <= 1)) expected(`${field}.gamma`, 'a number in (0, 1]', gamma);
      return { kind, gamma };
    }
    case 'cross-entropy':
      object(field, v, ['kind']);
      return { kind };
  }
}

function readOptimizer(field: string, v: unknown, base: OptimizerSpec, parameterNames: string[]): OptimizerSpec {
  if (v === undefined) return structuredClone(base);
  const o = object(field, v, ['kind', 'lr', 'betas', 'eps', 'momentum', 'weightDecay']);
  const kind = or(o, 'kind', base.kind, (f, x) => oneOf(f, x, ['adam', 'adamw', 'sgd'] as const), field);
  let betas: [number, number] = [base.betas[0], base.betas[1]];
  if (o.betas !== undefined) {
    const b = o.betas;
    const ok = Array.isArray(b) && b.length === 2 && b.every((x) => typeof x === 'number' && x >= 0 && x < 1);
    if (!ok) expected(`${field}.betas`, 'two numbers in [0, 1)', b);
    betas = [b[0] as number, b[1] as number];
  }
  let weightDecay: OptimizerSpec['weightDecay'] = structuredClone(base.weightDecay);
  if (o.weightDecay !== undefined) {
    const w = o.weightDecay;
    const f = `${field}.weightDecay`;
    if (typeof w === 'number') {
      weightDecay = nonNegative(f, w);
    } else if (isObject(w)) {
      const map: Record<string, number> = {};
      for (const [name, x] of Object.entries(w)) {
        if (!parameterNames.includes(name)) fail(`${f}.${name}`, `not a learnable parameter of this method (expected one of ${parameterNames.join(', ')})`);
        map[name] = nonNegative(`${f}.${name}`, x);
      }
      weightDecay = map;
    } else {
      expected(f, 'a non-negative number or an object of them by parameter name', w);
    }
  }
  const out: OptimizerSpec = {
    kind,
    lr: or(o, 'lr', base.lr, positive, field),
    betas,
    eps: or(o, 'eps', base.eps, positive, field),
    momentum: or(o, 'momentum', base.momentum, (f, x) => {
      const m = nonNegative(f, x);
      if (m >= 1) expected(f, 'a number in [0, 1)', x);
      return m;
    }, field),
    weightDecay,
  };
  // A setting the chosen optimizer ignores is an error (unless it is left at its default).
  if (kind !== 'sgd' && out.momentum !== 0) fail(`${field}.momentum`, "only applies to kind 'sgd'");
  if (kind === 'sgd' && (out.betas[0] !== 0.9 || out.betas[1] !== 0.999)) fail(`${field}.betas`, "only applies to kinds 'adam' and 'adamw'");
  if (kind === 'sgd' && out.eps !== 1e-8) fail(`${field}.eps`, "only applies to kinds 'adam' and 'adamw'");
  return out;
}

/** The weight decay of one parameter under an optimizer spec. */
export function weightDecayOf(opt: OptimizerSpec, name: string): number {
  return typeof opt.weightDecay === 'number' ? opt.weightDecay : (opt.weightDecay[name] ?? 0);
}
