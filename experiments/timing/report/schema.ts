// The timing report (report.json, schemaVersion 1), described once with zod.
// The types in ../types.ts are inferred from it; validateReport() parses with
// it; REPORT_SCHEMA, the JSON Schema other tools read, is generated from it
// (z.toJSONSchema), kept as experiments/timing/report.schema.json
// (`npm run schemas` writes it; a test checks that the two agree) and written
// beside every report.
import { z } from 'zod';
import type { TimingStats } from '../../bench/measure.js';
import type { Pass } from '../../bench/ops-suite.js';
import type { StudyOp } from '../ops.js';
import type { DType } from '../../../native/lib/index.js';
import { jsonPointer, parse } from '../../schema/issues.js';

export const SCHEMA_VERSION = 1;
export const REPORT_KIND = 'sparse-ad-lab.timing-report';

/** Whose implementation was timed. */
export const IMPLS = ['ours', 'scipy', 'torch', 'cupy'] as const;
export const PEERS = ['scipy', 'torch', 'cupy'] as const;

/** Names of the shapes that appear more than once, for $defs in the JSON Schema. */
const defs = z.registry<{ id: string; description?: string }>();

const nonNeg = z.number().min(0);
const int0 = z.int().min(0);
const str = z.string();
/** The paper's Table 2 ops, then the sparse solvers beyond the paper (ops.ts). */
export const OpSchema = z.enum(['spmv', 'spgemm', 'spdmm', 'spadd', 'sptrsv', 'spsolve', 'cholesky', 'logdet', 'cg']);
export const DTypeSchema = z.enum(['float32', 'float64']);
export const ImplSchema = z.enum(IMPLS);
export const PeerSchema = z.enum(PEERS);
export const PassSchema = z.enum(['forward', 'forward+backward']);
export const DeviceKindSchema = z.enum(['cpu', 'cuda']);
export const VariantSchema = z.enum(['sparse', 'dense']);
/**
 * table2: the Table 2 rows (sparse at its N, dense at its possibly scaled-down N);
 * matched: our sparse op again at the dense N, for the sparse-vs-dense speedup;
 * sweep: the Figure 11 scaling runs; matrix: a user's own matrix.
 */
export const SuiteSchema = z.enum(['table2', 'matched', 'sweep', 'matrix']);
/** ok: timed; absent: that implementation cannot run it here (the reason says why); error: it failed. */
export const StatusSchema = z.enum(['ok', 'absent', 'error']);

export const StatsSchema = z
  .strictObject({
    /** Per-call seconds of each sample. */
    samples: z.array(nonNeg).min(1),
    /** Calls per sample. */
    callsPerSample: z.int().min(1),
    min_s: nonNeg,
    median_s: nonNeg,
    mean_s: nonNeg,
    stddev_s: nonNeg,
    max_s: nonNeg,
  })
  .register(defs, { id: 'stats' });

const MeasurementShape = z.strictObject({
  /** Unique within a report: suite/op/variant/impl/device/dtype/threads/pass/n. */
  id: z.string().min(1),
  suite: SuiteSchema,
  /** The Table 2 pair this belongs to (named by its sparse op). */
  op: OpSchema,
  /** The paper's name of the test: SpMV, DMV, SpGEMM, DDMM, … */
  test: str,
  variant: VariantSchema,
  impl: ImplSchema,
  /** What was called, e.g. "torch.sparse.mm (COO)" or "numpy.linalg.solve". */
  detail: str,
  device: DeviceKindSchema,
  /** CPU threads (0 on a GPU, where it does not apply). */
  threads: int0,
  dtype: DTypeSchema,
  pass: PassSchema,
  /** Matrix dimension N (the 1-D Poisson matrix is N × N). */
  n: int0,
  /** Stored entries of the matrix operand (N × N for a dense one). */
  nnz: int0,
  status: StatusSchema,
  /** Why it is absent or failed (status ≠ ok). */
  reason: z.string().min(1).optional(),
  /** Per-call timing statistics and the kept samples (status ok). */
  stats: StatsSchema.nullable(),
});

// A timed measurement has statistics; an absent or failed one has a reason and none (never a zero time).
export const MeasurementSchema = MeasurementShape.superRefine((m, ctx) => {
  if (m.status === 'ok' && m.stats === null) {
    ctx.addIssue({ code: 'custom', path: ['stats'], input: null, message: "expected timing statistics (status 'ok') but received null" });
  }
  if (m.status !== 'ok' && m.stats !== null) {
    ctx.addIssue({ code: 'custom', path: ['stats'], input: m.stats, message: `expected null (status '${m.status}' has no time, never a zero one) but received an object` });
  }
  if (m.status !== 'ok' && m.reason === undefined) {
    ctx.addIssue({ code: 'custom', path: ['reason'], input: undefined, message: `expected a non-empty string saying why (status '${m.status}') but received nothing` });
  }
}).register(defs, { id: 'measurement' });

/** The same rule as MeasurementSchema's refinement, for JSON Schema readers. */
const MEASUREMENT_CONDITION = {
  if: { properties: { status: { const: 'ok' } } },
  then: { properties: { stats: { $ref: '#/$defs/stats' } } },
  else: { required: ['reason'], properties: { stats: { type: 'null' } } },
};

export const LogLogFitSchema = z.strictObject({
  /** d log(time) / d log(nnz). */
  slope: z.number(),
  /** log(time) at log(nnz) = 0 (natural logarithms). */
  intercept: z.number(),
  /** Coefficient of determination of the fit in log space. */
  r2: z.number(),
});

/** A Figure 11 series: time vs nnz on log-log axes with the least-squares slope. */
export const SweepSchema = z
  .strictObject({
    op: OpSchema,
    test: str,
    impl: ImplSchema,
    device: DeviceKindSchema,
    dtype: DTypeSchema,
    threads: int0,
    pass: PassSchema,
    points: z.array(z.strictObject({ n: int0, nnz: int0, median_s: nonNeg, id: str })),
    fit: LogLogFitSchema.nullable(),
  })
  .register(defs, { id: 'sweep' });

export const PeerInfoSchema = z
  .strictObject({
    impl: PeerSchema,
    name: str,
    available: z.boolean(),
    version: str.optional(),
    /** Why the peer is absent (available false). */
    reason: str.optional(),
    python: str.optional(),
    /** GPU the peer ran on, when it has one. */
    device: str.optional(),
    /** How the peer was built (its BLAS, NumPy version…). */
    build: str.optional(),
  })
  .register(defs, { id: 'peer' });

/** The N each op pair was timed at, and why the dense side is smaller when it is. */
export const SizePlanSchema = z
  .strictObject({
    op: OpSchema,
    sparseTest: str,
    denseTest: str,
    sparseN: int0,
    denseN: int0,
    /** Set when denseN < sparseN. */
    denseScaledReason: str.optional(),
  })
  .register(defs, { id: 'sizePlan' });

const strOrNull = z.string().nullable();
export const EnvironmentSchema = z
  .strictObject({
    os: z.strictObject({ platform: str, release: str, arch: str, version: str }),
    cpu: z.strictObject({ model: str, cores: int0, hardwareThreads: int0, speedMHz: nonNeg }),
    memory: z.strictObject({ totalBytes: nonNeg, freeBytesAtStart: nonNeg }),
    loadAverage: z.strictObject({ atStart: z.array(nonNeg), atEnd: z.array(nonNeg) }),
    versions: z.strictObject({ node: str, v8: str, electron: strOrNull, chromium: strOrNull }),
    addon: z.strictObject({ cuda: z.boolean(), blas: str, klu: z.boolean(), hardwareThreads: int0, gemmBackend: strOrNull, env: z.record(z.string(), strOrNull) }),
    cuda: z.strictObject({
      available: z.boolean(),
      devices: z.array(z.strictObject({ index: int0, name: str, totalMemory: nonNeg, computeCapability: str, emulated: z.boolean() })),
      reason: str.optional(),
    }),
    python: z.strictObject({ path: str, version: strOrNull, reason: str.optional() }),
  })
  .register(defs, { id: 'environment' });

const threadCounts = z.array(z.int().min(1));
export const StudyOptionsRecordSchema = z
  .strictObject({
    quick: z.boolean(),
    ops: z.array(OpSchema),
    dtypes: z.array(DTypeSchema),
    threads: threadCounts,
    passes: z.array(PassSchema),
    devices: z.array(DeviceKindSchema),
    peers: z.array(PeerSchema),
    sweep: z.strictObject({ exponents: z.tuple([z.int().min(1), z.int().min(1)]), dtypes: z.array(DTypeSchema), threads: threadCounts }).nullable(),
    denseMemoryBytes: nonNeg,
    denseFlops: nonNeg,
    spdmmCols: int0,
    timing: z.strictObject({ sampleTime: nonNeg, samples: z.int().min(1), warmupTime: nonNeg, maxTime: nonNeg }),
  })
  .register(defs, { id: 'options' });

export const TimingReportSchema = z
  .strictObject({
    schemaVersion: z.literal(SCHEMA_VERSION),
    kind: z.literal(REPORT_KIND),
    title: str,
    createdAt: z.string().regex(/^\d{4}-\d{2}-\d{2}T/),
    wall_s: nonNeg,
    cancelled: z.boolean(),
    options: StudyOptionsRecordSchema,
    environment: EnvironmentSchema,
    peers: z.array(PeerInfoSchema),
    sizes: z.array(SizePlanSchema),
    notes: z.array(str),
    measurements: z.array(MeasurementSchema),
    sweeps: z.array(SweepSchema),
  })
  // What a JSON Schema cannot say: measurement ids are unique, and sweep points name measurements that exist.
  .superRefine((r, ctx) => {
    const ids = new Set<string>();
    r.measurements.forEach((m, i) => {
      if (ids.has(m.id)) ctx.addIssue({ code: 'custom', path: ['measurements', i, 'id'], input: m.id, message: `duplicate measurement id ${m.id}` });
      ids.add(m.id);
    });
    r.sweeps.forEach((s, i) =>
      s.points.forEach((p, j) => {
        if (!ids.has(p.id)) ctx.addIssue({ code: 'custom', path: ['sweeps', i, 'points', j, 'id'], input: p.id, message: `no measurement ${p.id}` });
      }),
    );
  });

// The inferred types must stay those the measuring code uses (both ways).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const agrees: [
  Same<z.infer<typeof StatsSchema>, TimingStats>,
  Same<z.infer<typeof OpSchema>, StudyOp>,
  Same<z.infer<typeof PassSchema>, Pass>,
  Same<z.infer<typeof DTypeSchema>, DType>,
] = [true, true, true, true];
void agrees;

export type JsonSchema = { [k: string]: unknown };

/** The JSON Schema of report.json, generated from TimingReportSchema. */
export function reportJsonSchema(): JsonSchema {
  const generated = z.toJSONSchema(TimingReportSchema, {
    target: 'draft-2020-12',
    metadata: defs,
    override: (ctx) => {
      if (ctx.zodSchema === MeasurementSchema) Object.assign(ctx.jsonSchema, MEASUREMENT_CONDITION);
    },
  }) as JsonSchema;
  const { $schema, ...rest } = generated;
  return {
    $schema,
    $id: 'sparse-ad-lab/timing-report.schema.json',
    title: 'Sparse AD Lab timing report',
    description: 'The timing study (Table 2 and Figure 11 of the paper) with peers; one entry per measurement, samples kept.',
    ...rest,
  };
}

export const REPORT_SCHEMA: JsonSchema = reportJsonSchema();

export interface ValidationError {
  /** JSON Pointer to the offending value ('' for the root). */
  path: string;
  message: string;
}

/** Everything wrong with a report (empty when it conforms), each at its JSON Pointer. */
export function validateReport(report: unknown): ValidationError[] {
  const r = parse(TimingReportSchema, report);
  return r.ok ? [] : r.issues.map((i) => ({ path: jsonPointer(i.path), message: i.message }));
}
