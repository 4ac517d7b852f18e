// The types of the version-1 problem spec, inferred from its zod schemas
// (./schema.ts), so the schema is the one description of a spec: what
// validateSpec() returns, complete, with every default filled.
import type { z } from 'zod';
import type * as S from './schema.js';

export { METHOD_KINDS, SPARSE_PATTERNS, SPEC_VERSION } from './schema.js';

export type MethodKind = z.infer<typeof S.MethodKindSchema>;

export type Poisson1dSource = z.infer<typeof S.Poisson1dSourceSchema>;
export type Poisson2dSource = z.infer<typeof S.Poisson2dSourceSchema>;
export type GeneratorSource = z.infer<typeof S.GeneratorSourceSchema>;
export type FileSource = z.infer<typeof S.FileSourceSchema>;
export type GraphSource = z.infer<typeof S.GraphSourceSchema>;
export type MatrixSource = z.infer<typeof S.MatrixSourceSchema>;

export type RhsKind = z.infer<typeof S.RhsKindSchema>;
export type VectorSet = z.infer<typeof S.VectorSetSchema>;

export type JacobiMethod = z.infer<typeof S.JacobiMethodSchema>;
export type HeavyballMethod = z.infer<typeof S.HeavyballMethodSchema>;
export type PcgMethod = z.infer<typeof S.PcgMethodSchema>;
export type GcnMethod = z.infer<typeof S.GcnMethodSchema>;
export type MethodSpec = z.infer<typeof S.MethodSpecSchema>;

export type ScalarParameter = z.infer<typeof S.ScalarParameterSchema>;
export type VectorParameter = z.infer<typeof S.VectorParameterSchema>;
export type SparsePattern = (typeof S.SPARSE_PATTERNS)[number];
export type SparseParameter = z.infer<typeof S.SparseParameterSchema>;
export type DenseParameter = z.infer<typeof S.DenseParameterSchema>;
export type ParameterSpec = z.infer<typeof S.ParameterSpecSchema>;

export type EnergyLoss = z.infer<typeof S.EnergyLossSchema>;
export type ResidualLoss = z.infer<typeof S.ResidualLossSchema>;
export type WeightedResidualLoss = z.infer<typeof S.WeightedResidualLossSchema>;
export type CrossEntropyLoss = z.infer<typeof S.CrossEntropyLossSchema>;
export type LossSpec = z.infer<typeof S.LossSpecSchema>;

export type OptimizerSpec = z.infer<typeof S.OptimizerSpecSchema>;

export type ProblemSpec = z.infer<typeof S.ProblemSpecSchema>;

/** What a person writes: every field with a default may be left out. */
export type ProblemSpecInput = Record<string, unknown>;
