// The JSON Schema of report.json (schemaVersion 1). The same schema is kept as
// experiments/timing/report.schema.json for other tools (a test checks that the
// two agree) and is written beside every report.
import { IMPLS, PEERS, REPORT_KIND, SCHEMA_VERSION, type TimingReport } from '../types.js';
import { type JsonSchema, validate, type ValidationError } from './validate.js';

const num = { type: 'number' };
const nonNeg = { type: 'number', minimum: 0 };
const int0 = { type: 'integer', minimum: 0 };
const str = { type: 'string' };
const strOrNull = { type: ['string', 'null'] };
const dtype = { enum: ['float32', 'float64'] };
const op = { enum: ['spmv', 'spgemm', 'spdmm', 'spadd', 'sptrsv', 'spsolve'] };
const impl = { enum: [...IMPLS] };
const peer = { enum: [...PEERS] };
const pass = { enum: ['forward', 'forward+backward'] };
const device = { enum: ['cpu', 'cuda'] };
const obj = (properties: Record<string, unknown>, required = Object.keys(properties)): JsonSchema => ({
  type: 'object', properties, required, additionalProperties: false,
});

export const REPORT_SCHEMA: JsonSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'sparse-ad-lab/timing-report.schema.json',
  title: 'Sparse AD Lab timing report',
  description: 'The timing study (Table 2 and Figure 11 of the paper) with peers; one entry per measurement, samples kept.',
  type: 'object',
  additionalProperties: false,
  required: ['schemaVersion', 'kind', 'title', 'createdAt', 'wall_s', 'cancelled', 'options', 'environment', 'peers', 'sizes', 'notes', 'measurements', 'sweeps'],
  properties: {
    schemaVersion: { const: SCHEMA_VERSION },
    kind: { const: REPORT_KIND },
    title: str,
    createdAt: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}T' },
    wall_s: nonNeg,
    cancelled: { type: 'boolean' },
    options: { $ref: '#/$defs/options' },
    environment: { $ref: '#/$defs/environment' },
    peers: { type: 'array', items: { $ref: '#/$defs/peer' } },
    sizes: { type: 'array', items: { $ref: '#/$defs/sizePlan' } },
    notes: { type: 'array', items: str },
    measurements: { type: 'array', items: { $ref: '#/$defs/measurement' } },
    sweeps: { type: 'array', items: { $ref: '#/$defs/sweep' } },
  },
  $defs: {
    stats: obj({
      samples: { type: 'array', minItems: 1, items: nonNeg },
      callsPerSample: { type: 'integer', minimum: 1 },
      min_s: nonNeg, median_s: nonNeg, mean_s: nonNeg, stddev_s: nonNeg, max_s: nonNeg,
    }),
    measurement: {
      ...obj({
        id: { type: 'string', minLength: 1 },
        suite: { enum: ['table2', 'matched', 'sweep', 'matrix'] },
        op, test: str, variant: { enum: ['sparse', 'dense'] }, impl, detail: str, device,
        threads: int0, dtype, pass, n: int0, nnz: int0,
        status: { enum: ['ok', 'absent', 'error'] },
        reason: { type: 'string', minLength: 1 },
        stats: { anyOf: [{ type: 'null' }, { $ref: '#/$defs/stats' }] },
      }, ['id', 'suite', 'op', 'test', 'variant', 'impl', 'detail', 'device', 'threads', 'dtype', 'pass', 'n', 'nnz', 'status', 'stats']),
      // A timed measurement has statistics; an absent or failed one has a reason and none (never a zero time).
      if: { properties: { status: { const: 'ok' } } },
      then: { properties: { stats: { $ref: '#/$defs/stats' } } },
      else: { required: ['reason'], properties: { stats: { type: 'null' } } },
    },
    sweep: obj({
      op, test: str, impl, device, dtype, threads: int0, pass,
      points: { type: 'array', items: obj({ n: int0, nnz: int0, median_s: nonNeg, id: str }) },
      fit: { anyOf: [{ type: 'null' }, obj({ slope: num, intercept: num, r2: num })] },
    }),
    peer: obj({
      impl: peer, name: str, available: { type: 'boolean' }, version: str, reason: str, python: str, device: str, build: str,
    }, ['impl', 'name', 'available']),
    sizePlan: obj({
      op, sparseTest: str, denseTest: str, sparseN: int0, denseN: int0, denseScaledReason: str,
    }, ['op', 'sparseTest', 'denseTest', 'sparseN', 'denseN']),
    options: obj({
      quick: { type: 'boolean' },
      ops: { type: 'array', items: op },
      dtypes: { type: 'array', items: dtype },
      threads: { type: 'array', items: { type: 'integer', minimum: 1 } },
      passes: { type: 'array', items: pass },
      devices: { type: 'array', items: device },
      peers: { type: 'array', items: peer },
      sweep: {
        anyOf: [{ type: 'null' }, obj({
          exponents: { type: 'array', minItems: 2, maxItems: 2, items: { type: 'integer', minimum: 1 } },
          dtypes: { type: 'array', items: dtype },
          threads: { type: 'array', items: { type: 'integer', minimum: 1 } },
        })],
      },
      denseMemoryBytes: nonNeg, denseFlops: nonNeg, spdmmCols: int0,
      timing: obj({ sampleTime: nonNeg, samples: { type: 'integer', minimum: 1 }, warmupTime: nonNeg, maxTime: nonNeg }),
    }),
    environment: obj({
      os: obj({ platform: str, release: str, arch: str, version: str }),
      cpu: obj({ model: str, cores: int0, hardwareThreads: int0, speedMHz: nonNeg }),
      memory: obj({ totalBytes: nonNeg, freeBytesAtStart: nonNeg }),
      loadAverage: obj({ atStart: { type: 'array', items: nonNeg }, atEnd: { type: 'array', items: nonNeg } }),
      versions: obj({ node: str, v8: str, electron: strOrNull, chromium: strOrNull }),
      addon: obj({
        cuda: { type: 'boolean' }, blas: str, klu: { type: 'boolean' }, hardwareThreads: int0, gemmBackend: strOrNull,
        env: { type: 'object', additionalProperties: strOrNull },
      }),
      cuda: obj({
        available: { type: 'boolean' },
        devices: { type: 'array', items: obj({ index: int0, name: str, totalMemory: nonNeg, computeCapability: str, emulated: { type: 'boolean' } }) },
        reason: str,
      }, ['available', 'devices']),
      python: obj({ path: str, version: strOrNull, reason: str }, ['path', 'version']),
    }),
  },
};

/** Schema violations of a report, plus what a schema cannot say (unique measurement ids, sweep points that exist). */
export function validateReport(report: unknown): ValidationError[] {
  const errors = validate(report, REPORT_SCHEMA);
  if (errors.length > 0) return errors;
  const r = report as TimingReport;
  const ids = new Set<string>();
  r.measurements.forEach((m, i) => {
    if (ids.has(m.id)) errors.push({ path: `/measurements/${i}/id`, message: `duplicate measurement id ${m.id}` });
    ids.add(m.id);
  });
  r.sweeps.forEach((s, i) => s.points.forEach((p, j) => {
    if (!ids.has(p.id)) errors.push({ path: `/sweeps/${i}/points/${j}/id`, message: `no measurement ${p.id}` });
  }));
  return errors;
}
