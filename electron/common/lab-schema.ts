// The params of every LabApi call, described once with zod: the host checks each
// incoming call against LAB_SCHEMAS[method] before it acts
// (electron/services/check-call.ts), and the renderer may parse with the same
// schema as a person types. Objects are strict (an unknown key is refused),
// strings and arrays are bounded, numbers are finite (zod's z.number() refuses
// NaN and ±Infinity). No platform imports here: the renderer bundles this file.
import { z } from 'zod';
import { TIMING_OPS } from './timing-ops.js';

/** Matrix files up to 1 GiB may be sent as bytes (browser mode). */
export const MAX_UPLOAD_BYTES = 1 << 30;

/** A job, matrix, run or timing id: it names a folder on disk, so no separators. */
export const IdSchema = z.string().min(1).max(64).regex(/^[A-Za-z0-9_.-]+$/);
const empty = z.strictObject({});

export const GeneratorParamsSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('poisson1d'), n: z.int().min(1).max(50_000_000) }),
  z.strictObject({ kind: z.literal('poisson2d'), nx: z.int().min(1).max(10_000), ny: z.int().min(1).max(10_000) }),
  z.strictObject({
    kind: z.literal('random'),
    rows: z.int().min(1).max(50_000_000),
    cols: z.int().min(1).max(50_000_000),
    density: z.number().min(0).max(1),
    seed: z.int().min(0).max(2 ** 32 - 1),
  }),
]);

const bytesExpected = `a Uint8Array of at most ${MAX_UPLOAD_BYTES} bytes`;
export const MatrixSourceSchema = z.discriminatedUnion('kind', [
  /** A file the host can read (the app: a dropped file's path). */
  z.strictObject({ kind: z.literal('path'), path: z.string().min(1).max(4096) }),
  /** A file's bytes (browser mode: the browser gives no paths). */
  z.strictObject({
    kind: z.literal('bytes'),
    name: z.string().min(1).max(255),
    data: z.custom<Uint8Array>((v) => v instanceof Uint8Array && v.byteLength <= MAX_UPLOAD_BYTES).meta({ expected: bytesExpected }),
  }),
]);

export const TimingOpSchema = z.enum(TIMING_OPS);
export const TimingRequestSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('suite'),
    /** The study's quick defaults (short samples, smaller dense sizes and sweep). */
    quick: z.boolean(),
    /** Ops to time (default all six). */
    ops: z.array(TimingOpSchema).max(TIMING_OPS.length).optional(),
    dtypes: z.array(z.enum(['float32', 'float64'])).max(2).optional(),
    /** Time SciPy / PyTorch / CuPy beside ours (through python3) where present. */
    peers: z.boolean(),
    /** The Figure 11 scaling sweep. */
    sweep: z.boolean(),
    /** Sparse N for every op (default: the paper's sizes). */
    size: z.int().min(2).max(100_000_000).optional(),
  }),
  z.strictObject({ kind: z.literal('matrix'), matrixId: IdSchema, op: TimingOpSchema }),
]);

export const ReportFormatSchema = z.enum(['csv', 'json', 'html', 'md']);

const isPlainObject = (v: unknown): v is Record<string, unknown> => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};

/**
 * Any JSON value (plain objects, arrays, strings, finite numbers, booleans,
 * null), bounded in depth and in the number of values, so a hostile message
 * cannot make the host walk forever. Its meaning is checked by the validator
 * that owns it (a problem spec by experiments/spec, a graph by experiments/graph).
 * (zod's own z.json() has no bounds, hence this walk.)
 */
export function jsonValue(opts: { maxDepth?: number; maxValues?: number } = {}) {
  const maxDepth = opts.maxDepth ?? 16;
  const maxValues = opts.maxValues ?? 20_000;
  const what = `JSON data (depth ≤ ${maxDepth}, ≤ ${maxValues} values)`;
  return z.unknown().superRefine((root, ctx) => {
    let values = 0;
    // Iterative, like the tape walk: a deep value must not overflow the stack before the depth check says so.
    const stack: { x: unknown; path: (string | number)[] }[] = [{ x: root, path: [] }];
    while (stack.length > 0) {
      const { x, path } = stack.pop()!;
      values++;
      if (path.length > maxDepth) {
        ctx.addIssue({ code: 'custom', path, message: `expected ${what} but it nests deeper`, input: x });
        return;
      }
      if (x === null || typeof x === 'boolean' || typeof x === 'string') continue;
      if (typeof x === 'number') {
        if (!Number.isFinite(x)) ctx.addIssue({ code: 'custom', path, message: `expected a finite number but received ${x}`, input: x });
        continue;
      }
      // Children count before they are walked, so a huge array is refused without being pushed.
      const children = Array.isArray(x) ? x.length : isPlainObject(x) ? Object.keys(x).length : 0;
      if (values + stack.length + children > maxValues) {
        ctx.addIssue({ code: 'custom', message: `expected ${what} but it holds more values`, input: root });
        return;
      }
      if (Array.isArray(x)) {
        for (let i = x.length - 1; i >= 0; i--) stack.push({ x: x[i], path: [...path, i] });
        continue;
      }
      if (isPlainObject(x)) {
        for (const [k, item] of Object.entries(x).reverse()) stack.push({ x: item, path: [...path, k] });
        continue;
      }
      const kind = x === undefined ? 'nothing' : typeof x === 'object' ? `a ${(x as object).constructor?.name ?? 'object'}` : typeof x;
      ctx.addIssue({ code: 'custom', path, message: `expected JSON data but received ${kind}`, input: x });
    }
  });
}

// ---------------------------------------------------------------------------
// The params of each method, keyed by method name. A method added to
// LAB_METHODS in lab-api.ts gets its params schema here (the `satisfies` below
// refuses to compile until it has one, and the check under it until the
// schema's type equals the method's params).

export const LAB_SCHEMAS = {
  info: empty,
  listJobs: empty,
  cancel: z.strictObject({ jobId: IdSchema }),

  openMatrix: z.strictObject({ source: MatrixSourceSchema }),
  generateMatrix: z.strictObject({ params: GeneratorParamsSchema }),
  listMatrices: empty,
  removeMatrix: z.strictObject({ matrixId: IdSchema }),
  spyPlot: z.strictObject({ matrixId: IdSchema }),

  presets: empty,
  validateSpec: z.strictObject({ spec: jsonValue() }),
  runProblem: z.strictObject({ spec: jsonValue(), name: z.string().min(1).max(200).optional() }),
  listRuns: empty,
  getRun: z.strictObject({ runId: IdSchema }),
  deleteRun: z.strictObject({ runId: IdSchema }),

  runTiming: z.strictObject({ request: TimingRequestSchema }),
  listTimings: empty,
  exportReport: z.strictObject({ timingId: IdSchema, format: ReportFormatSchema }),
  exportPdf: z.strictObject({ timingId: IdSchema }),

  // ---- problem graphs (issue 14): the editor's methods go here. A graph is
  // bounded JSON here; its meaning is experiments/graph's GraphSchema, which
  // validateGraph applies (and reports per node and edge). ----
  graphCatalogue: empty,
  templates: empty,
  validateGraph: z.strictObject({ graph: jsonValue() }),
  exportTypeScript: z.strictObject({ graph: jsonValue() }),
  getProbe: z.strictObject({ runId: IdSchema, edgeId: z.string().min(1).max(200) }),

  // ---- sweeps (issue 17). A sweep is bounded JSON here; experiments/sweep's SweepSchema
  // gives it meaning (and names the offending field). ----
  sweepFields: z.strictObject({ graph: jsonValue() }),
  previewSweep: z.strictObject({ sweep: jsonValue() }),
  startSweep: z.strictObject({
    sweep: jsonValue(),
    queue: z.string().max(1000).regex(/^rediss?:\/\//, 'a Redis URL: redis://host:port or rediss://…').optional(),
    name: z.string().min(1).max(200).optional(),
  }),
  listSweeps: empty,
  getSweep: z.strictObject({ sweepId: IdSchema }),
  cancelSweep: z.strictObject({ sweepId: IdSchema }),
  deleteSweep: z.strictObject({ sweepId: IdSchema }),
  exportSweep: z.strictObject({ sweepId: IdSchema, format: z.enum(['csv', 'json']) }),
} satisfies Record<string, z.ZodType>;

export type LabParams<M extends keyof typeof LAB_SCHEMAS> = z.output<(typeof LAB_SCHEMAS)[M]>;
