// Validation of version-1 problem specs: a parse with the zod schemas of
// ./schema.ts. Fields with defaults may be left out; the defaults are those of
// the preset for the spec's method, so a spec reads as "a preset plus changes",
// and a nested object given in part is completed field by field. Every message
// names the offending field by its path, in one format:
// "spec.optimizer.lr: expected a number > 0 but received -1".
import { z } from 'zod';
import { dottedPath, type Issue, parse, show } from '../schema/issues.js';
import { PRESETS } from './presets.js';
import * as S from './schema.js';
import type { LossSpec, MethodKind, MethodSpec, OptimizerSpec, ParameterSpec, ProblemSpec } from './types.js';

export { show };

export class SpecError extends Error {
  /** The (first) offending field, e.g. "spec.optimizer.lr". */
  readonly field: string;
  /** Every offending field with what is wrong with it (the message lists them all). */
  readonly issues: { field: string; message: string }[];
  constructor(field: string, message: string, issues: { field: string; message: string }[] = [{ field, message }]) {
    super(issues.map((i) => `${i.field}: ${i.message}`).join('; '));
    this.name = 'SpecError';
    this.field = field;
    this.issues = issues;
  }
}

function specError(issues: Issue[]): SpecError {
  const fields = issues.map((i) => ({ field: dottedPath('spec', i.path), message: i.message }));
  return new SpecError(fields[0]!.field, fields[0]!.message, fields);
}

// ---------------------------------------------------------------------------
// Learnable parameters: their names and kinds follow from the method.

const METHOD_PARAMETERS: Record<MethodKind, Record<string, ParameterSpec>> = {
  jacobi: { omega: { kind: 'vector', init: 1 } },
  heavyball: { alpha: { kind: 'scalar', init: 0 }, beta: { kind: 'scalar', init: 0 } },
  pcg: { L: { kind: 'sparse', pattern: 'diagonal', init: { diagonal: 1, offDiagonal: 0 } } },
  // b1, b2 only with method.bias (methodParameters drops them otherwise).
  gcn: { W1: { kind: 'dense', init: 'glorot' }, b1: { kind: 'dense', init: 'zeros' }, W2: { kind: 'dense', init: 'glorot' }, b2: { kind: 'dense', init: 'zeros' } },
};

/**
 * The parameters a method learns, each with its default (whose kind the spec
 * must keep). The presets' values take precedence over these defaults.
 */
export function methodParameters(method: MethodSpec): Record<string, ParameterSpec> {
  const all = structuredClone(METHOD_PARAMETERS[method.kind]);
  if (method.kind === 'gcn' && !method.bias) {
    delete all.b1;
    delete all.b2;
  }
  return all;
}

/** The weight decay of one parameter under an optimizer spec. */
export function weightDecayOf(opt: OptimizerSpec, name: string): number {
  return typeof opt.weightDecay === 'number' ? opt.weightDecay : (opt.weightDecay[name] ?? 0);
}

// ---------------------------------------------------------------------------
// The schema of a spec for one method: the complete schemas with the preset's
// values as defaults.

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * `schema` with each field defaulting to `base`'s value; a nested object
 * defaults as a whole when absent and field by field when given in part.
 * `required` fields keep no default (a method's kind: it chose `base`).
 */
function withDefaults<T extends z.ZodObject>(schema: T, base: object, required: readonly string[] = []): T {
  const shape: Record<string, z.ZodType> = {};
  for (const [key, field] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
    const b = (base as Record<string, unknown>)[key];
    if (b === undefined || required.includes(key)) {
      shape[key] = field;
      continue;
    }
    const inner = field instanceof z.ZodObject && isPlainObject(b) ? withDefaults(field, b) : field;
    shape[key] = inner.default(() => structuredClone(b));
  }
  return z.strictObject(shape) as unknown as T;
}

function buildSpecSchema(kind: MethodKind) {
  const base = PRESETS[kind];
  const complete = S.ProblemSpecSchema.shape;
  const parameterDefaults = { ...METHOD_PARAMETERS[kind], ...base.parameters };
  const parameters = z.strictObject(
    Object.fromEntries(Object.entries(parameterDefaults).map(([name, p]) => [name, withDefaults(S.PARAMETER_SCHEMAS[p.kind], p).optional()])),
  );
  return z
    .strictObject({
      version: complete.version,
      name: complete.name.optional(),
      description: complete.description.optional(),
      notes: complete.notes.optional(),
      matrix: S.MatrixSourceSchema.default(() => structuredClone(base.matrix)),
      method: withDefaults(S.METHOD_SCHEMAS[kind], base.method, ['kind']),
      parameters: parameters.optional(),
      loss: (S.METHOD_LOSSES[kind] as z.ZodType<LossSpec>).default(() => structuredClone(base.loss)),
      optimizer: withDefaults(S.OptimizerSpecSchema, base.optimizer).default(() => structuredClone(base.optimizer)),
      epochs: complete.epochs.default(base.epochs),
      runs: complete.runs.default(base.runs),
      seed: complete.seed.default(base.seed),
      device: complete.device.default(base.device),
      dtype: complete.dtype.default(base.dtype),
    })
    .superRefine((s, ctx) => {
      // Rules between fields (they run once every field is well-formed).
      const issue = (path: (string | number)[], message: string, input: unknown): void => void ctx.addIssue({ code: 'custom', path, message, input });
      const method = s.method as MethodSpec;
      if (kind === 'gcn' && s.matrix.kind !== 'graph') issue(['matrix', 'kind'], `the gcn method needs a graph but received ${show(s.matrix.kind)}`, s.matrix.kind);
      if (kind !== 'gcn' && s.matrix.kind === 'graph') issue(['matrix', 'kind'], `the ${kind} method needs a square matrix, not a graph (a graph goes with gcn)`, s.matrix.kind);
      if (method.kind === 'pcg' && method.rhs === 'zero') issue(['method', 'rhs'], "PCG's relative residual ‖r‖/‖b‖ needs b ≠ 0 (use 'ones', 'random' or 'linear')", method.rhs);

      const names = Object.keys(methodParameters(method));
      for (const name of Object.keys(s.parameters ?? {})) {
        if (!names.includes(name)) issue(['parameters', name], `unknown field (expected one of ${names.join(', ')})`, name);
      }

      // A setting the chosen optimizer ignores is an error (unless it is left at its default).
      const o = s.optimizer;
      if (o.kind !== 'sgd' && o.momentum !== 0) issue(['optimizer', 'momentum'], "only applies to kind 'sgd'", o.momentum);
      if (o.kind === 'sgd' && (o.betas[0] !== 0.9 || o.betas[1] !== 0.999)) issue(['optimizer', 'betas'], "only applies to kinds 'adam' and 'adamw'", o.betas);
      if (o.kind === 'sgd' && o.eps !== 1e-8) issue(['optimizer', 'eps'], "only applies to kinds 'adam' and 'adamw'", o.eps);
      if (typeof o.weightDecay === 'object') {
        for (const name of Object.keys(o.weightDecay)) {
          if (!names.includes(name)) issue(['optimizer', 'weightDecay', name], `not a learnable parameter of this method (expected one of ${names.join(', ')})`, name);
        }
      }
    })
    .transform((s): ProblemSpec => {
      const method = s.method as MethodSpec;
      const parameters: Record<string, ParameterSpec> = {};
      for (const [name, fallback] of Object.entries(methodParameters(method))) {
        parameters[name] = (s.parameters?.[name] as ParameterSpec | undefined) ?? structuredClone(base.parameters[name] ?? fallback);
      }
      // A spec with its own name is its own problem: the preset's words do not describe it.
      const own = s.name !== undefined;
      return {
        version: S.SPEC_VERSION,
        name: s.name ?? base.name,
        description: s.description ?? (own ? '' : base.description),
        notes: s.notes ?? (own ? [] : [...base.notes]),
        matrix: s.matrix,
        method,
        parameters,
        loss: s.loss,
        optimizer: s.optimizer as OptimizerSpec,
        epochs: s.epochs,
        runs: s.runs,
        seed: s.seed,
        device: s.device,
        dtype: s.dtype,
      };
    });
}

const specSchemas = new Map<MethodKind, ReturnType<typeof buildSpecSchema>>();

/** The zod schema of a spec whose method is `kind`, with that method's preset as its defaults. */
export function specSchemaFor(kind: MethodKind): ReturnType<typeof buildSpecSchema> {
  let s = specSchemas.get(kind);
  if (!s) specSchemas.set(kind, (s = buildSpecSchema(kind)));
  return s;
}

/**
 * Checks a spec (parsed JSON) and returns it complete, with defaults filled in
 * from the preset of its method. Throws a SpecError naming every offending field.
 */
export function validateSpec(input: unknown): ProblemSpec {
  // The method chooses the defaults, so it is read first.
  const head = parse(S.SpecHeadSchema, input);
  if (!head.ok) throw specError(head.issues);
  const r = parse(specSchemaFor(head.data.method.kind), input);
  if (!r.ok) throw specError(r.issues);
  return r.data;
}
