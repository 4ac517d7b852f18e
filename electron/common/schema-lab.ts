// The schema of every LabApi call's params. The host checks each incoming call
// with checkCall() before it acts; the type assertions below keep these schemas
// and lab-api.ts in step.
import type { LabMethod, LabMethods } from './lab-api.js';
import { LAB_METHODS, TIMING_OPS } from './lab-api.js';
import { array, boolean, bytes, json, literal, number, object, optional, SchemaError, string, tagged, type Infer, type Schema } from './schema.js';

/** Matrix files up to 1 GiB may be sent as bytes (browser mode). */
export const MAX_UPLOAD_BYTES = 1 << 30;

const id = string({ min: 1, max: 64, pattern: /^[A-Za-z0-9_.-]+$/ });
const empty = object({});

const generatorParams = tagged('kind', {
  poisson1d: object({ kind: literal('poisson1d'), n: number({ int: true, min: 1, max: 50_000_000 }) }),
  poisson2d: object({ kind: literal('poisson2d'), nx: number({ int: true, min: 1, max: 10_000 }), ny: number({ int: true, min: 1, max: 10_000 }) }),
  random: object({
    kind: literal('random'),
    rows: number({ int: true, min: 1, max: 50_000_000 }),
    cols: number({ int: true, min: 1, max: 50_000_000 }),
    density: number({ min: 0, max: 1 }),
    seed: number({ int: true, min: 0, max: 2 ** 32 - 1 }),
  }),
});

const matrixSource = tagged('kind', {
  path: object({ kind: literal('path'), path: string({ min: 1, max: 4096 }) }),
  bytes: object({ kind: literal('bytes'), name: string({ min: 1, max: 255 }), data: bytes({ max: MAX_UPLOAD_BYTES }) }),
});

const timingOp = literal(...TIMING_OPS);
const timingRequest = tagged('kind', {
  suite: object({
    kind: literal('suite'),
    quick: boolean(),
    ops: optional(array(timingOp, { max: TIMING_OPS.length })),
    dtypes: optional(array(literal('float32', 'float64'), { max: 2 })),
    peers: boolean(),
    sweep: boolean(),
    size: optional(number({ int: true, min: 2, max: 100_000_000 })),
  }),
  matrix: object({ kind: literal('matrix'), matrixId: id, op: timingOp }),
});

export const LAB_SCHEMAS = {
  info: empty,
  listJobs: empty,
  cancel: object({ jobId: id }),
  openMatrix: object({ source: matrixSource }),
  generateMatrix: object({ params: generatorParams }),
  listMatrices: empty,
  removeMatrix: object({ matrixId: id }),
  spyPlot: object({ matrixId: id }),
  presets: empty,
  validateSpec: object({ spec: json() }),
  runProblem: object({ spec: json(), name: optional(string({ min: 1, max: 200 })) }),
  listRuns: empty,
  getRun: object({ runId: id }),
  deleteRun: object({ runId: id }),
  runTiming: object({ request: timingRequest }),
  listTimings: empty,
  exportReport: object({ timingId: id, format: literal('csv', 'json', 'html', 'md') }),
  exportPdf: object({ timingId: id }),
} satisfies Record<LabMethod, Schema<unknown>>;

// Each schema's output must be assignable to the method's params (and back).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Loose<T> = T extends Record<string, never> ? Record<string, never> : T;
type Checked = { [K in LabMethod]: Same<Loose<Infer<(typeof LAB_SCHEMAS)[K]>>, Loose<LabMethods[K]['params']>> };
const schemasMatchApi: { [K in LabMethod]: Checked[K] extends true ? true : Infer<(typeof LAB_SCHEMAS)[K]> } = {
  info: true,
  listJobs: true,
  cancel: true,
  openMatrix: true,
  generateMatrix: true,
  listMatrices: true,
  removeMatrix: true,
  spyPlot: true,
  presets: true,
  validateSpec: true,
  runProblem: true,
  listRuns: true,
  getRun: true,
  deleteRun: true,
  runTiming: true,
  listTimings: true,
  exportReport: true,
  exportPdf: true,
};
void schemasMatchApi;

/** Checks one incoming call; throws SchemaError naming the method and the field. */
export function checkCall<M extends LabMethod>(method: unknown, params: unknown): { method: M; params: LabMethods[M]['params'] } {
  if (typeof method !== 'string' || !(LAB_METHODS as readonly string[]).includes(method)) {
    throw new SchemaError(`call: expected a LabApi method but received ${typeof method === 'string' ? JSON.stringify(method.slice(0, 40)) : typeof method}`);
  }
  const schema = LAB_SCHEMAS[method as LabMethod] as Schema<unknown>;
  const checked = schema.check(params, `${method}: params`);
  return { method: method as M, params: checked as LabMethods[M]['params'] };
}
