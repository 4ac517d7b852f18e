// The timing study's data model: what a report holds. The types are inferred
// from the zod schema of report.json (report/schema.ts), the one description of
// it; report.schema.json is generated from the same schema.
import type { z } from 'zod';
import type * as S from './report/schema.js';

import type { Pass } from '../bench/ops-suite.js';

export type { Pass };
/** A row of the study: a Table 2 op of the paper or a sparse solver (ops.ts). */
export type { StudyOp as OpName } from './ops.js';
export type { TimingStats } from '../bench/measure.js';
export { IMPLS, PEERS, REPORT_KIND, SCHEMA_VERSION } from './report/schema.js';

/** Whose implementation was timed. */
export type Impl = z.infer<typeof S.ImplSchema>;
export type Peer = z.infer<typeof S.PeerSchema>;
export type Variant = z.infer<typeof S.VariantSchema>;
export type DeviceKind = z.infer<typeof S.DeviceKindSchema>;
export type Suite = z.infer<typeof S.SuiteSchema>;
export type Status = z.infer<typeof S.StatusSchema>;

export type Measurement = z.infer<typeof S.MeasurementSchema>;
export type Sweep = z.infer<typeof S.SweepSchema>;
export type LogLogFit = z.infer<typeof S.LogLogFitSchema>;
export type PeerInfo = z.infer<typeof S.PeerInfoSchema>;
export type SizePlan = z.infer<typeof S.SizePlanSchema>;
export type Environment = z.infer<typeof S.EnvironmentSchema>;
export type StudyOptionsRecord = z.infer<typeof S.StudyOptionsRecordSchema>;
export type TimingReport = z.infer<typeof S.TimingReportSchema>;

/** One timed call of a case, built once: `run(pass)` returns the closure that is timed. */
export interface TimedCase {
  /** Stored entries of the matrix operand. */
  nnz: number;
  detail: string;
  run(pass: Pass): () => void;
}
