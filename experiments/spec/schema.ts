// The version-1 problem spec, described once with zod: plain JSON describing an
// optimization problem on a sparse matrix (the paper's §4 applications are
// presets of it). The types in ./types.ts are inferred from these schemas;
// validate.ts parses with them, filling defaults from the preset of the spec's
// method (specSchemaFor), and words the errors (experiments/schema/issues.ts).
// Version 2 is a graph (experiments/graph); a v1 spec still loads and is converted.
import { z } from 'zod';

export const SPEC_VERSION = 1;

export const METHOD_KINDS = ['jacobi', 'heavyball', 'pcg', 'gcn'] as const;
export const MethodKindSchema = z.enum(METHOD_KINDS);

const count = (max: number) => z.int().min(1).max(max);
/** A probability of dropping, in [0, 1). */
const dropRate = z.number().min(0).lt(1);
const nonEmpty = z.string().min(1);

// ---------------------------------------------------------------------------
// Where the matrix comes from

/** 1-D Poisson (eq. 15): tridiag(-1, 2, -1), n interior points. */
export const Poisson1dSourceSchema = z.strictObject({ kind: z.literal('generator'), name: z.literal('poisson1d'), n: count(50_000_000) });

const MAX_UNKNOWNS = 50_000_000;
/** 2-D Poisson (eq. 26): A_nx ⊗ I_ny + I_nx ⊗ A_ny (Kronecker sum), nx·ny rows. */
export const Poisson2dSourceSchema = z
  .strictObject({ kind: z.literal('generator'), name: z.literal('poisson2d'), nx: count(100_000), ny: count(100_000) })
  .superRefine((m, ctx) => {
    if (m.nx * m.ny > MAX_UNKNOWNS) ctx.addIssue({ code: 'custom', message: `a ${m.nx}×${m.ny} grid is too large (at most 50,000,000 unknowns)`, input: m });
  });

export const GeneratorSourceSchema = z.discriminatedUnion('name', [Poisson1dSourceSchema, Poisson2dSourceSchema]);

/** A MatrixMarket file (path relative to the spec file, or to the data folder). */
export const FileSourceSchema = z.strictObject({ kind: z.literal('file'), path: nonEmpty });

/**
 * A graph whose adjacency is the matrix (GCN). `folder`: adjacency.mtx,
 * features.mtx, labels.txt, split.json; `planetoid`: the raw
 * ind.<name>.{x,y,tx,ty,allx,ally,graph,test.index} pickles, read from `path`
 * or fetched from `url` into `cache`.
 */
export const GraphSourceSchema = z
  .strictObject({
    kind: z.literal('graph'),
    format: z.enum(['folder', 'planetoid']),
    /** Folder path (relative to the data folder unless absolute). */
    path: nonEmpty.optional(),
    /** Planetoid dataset name (the <name> in ind.<name>.x). */
    name: nonEmpty.regex(/^[A-Za-z0-9_-]+$/).meta({ expected: 'a dataset name of letters, digits, _ and -' }).optional(),
    /** Planetoid: base URL to fetch missing raw files from. */
    url: nonEmpty.regex(/^https?:\/\//).meta({ expected: 'an http:// or https:// URL' }).optional(),
    /** Planetoid: folder the fetched files are kept in. */
    cache: nonEmpty.optional(),
    /**
     * 'kipf': keep the self-loops of the raw adjacency lists (so those nodes get 2
     * on the diagonal of A + I, as in Kipf's code); 'none': drop them (PyG).
     */
    selfLoops: z.enum(['kipf', 'none']).default('kipf'),
  })
  .superRefine((g, ctx) => {
    if (g.format === 'folder') {
      if (g.path === undefined) ctx.addIssue({ code: 'invalid_type', expected: 'string', path: ['path'], input: undefined });
      for (const k of ['name', 'url', 'cache'] as const) {
        if (g[k] !== undefined) ctx.addIssue({ code: 'custom', path: [k], message: "only applies to format 'planetoid'", input: g[k] });
      }
    } else {
      if (g.name === undefined) ctx.addIssue({ code: 'invalid_type', expected: 'string', path: ['name'], input: undefined });
      if (g.path === undefined && g.url === undefined) ctx.addIssue({ code: 'custom', message: 'a planetoid graph needs a path to the raw files or a url to fetch them from', input: g });
    }
  });

export const MatrixSourceSchema = z.discriminatedUnion('kind', [GeneratorSourceSchema, FileSourceSchema, GraphSourceSchema]);

// ---------------------------------------------------------------------------
// Right-hand sides and vector sets

/**
 * b for Ax = b. 'zero'; 'ones'; 'random' (seeded standard normal);
 * 'linear': b_k = the coordinate of grid point k along the fast index on the
 * interior of (-1, 1), as in the authors' PCG demo.
 */
export const RhsKindSchema = z.enum(['zero', 'ones', 'random', 'linear']);

/** A set of starting vectors x_k with seeded random entries. */
export const VectorSetSchema = z.strictObject({ count: count(1_000_000), distribution: z.enum(['normal', 'uniform']) });

// ---------------------------------------------------------------------------
// Methods

export const JacobiMethodSchema = z.strictObject({
  kind: z.literal('jacobi'),
  /** Weighted-Jacobi sweeps j(·) applied to each vector before the loss (the paper: 1). */
  sweeps: count(10_000),
  rhs: RhsKindSchema,
  /** The vectors x_k the loss is taken over (K of them). */
  vectors: VectorSetSchema,
  /** Draw fresh vectors every epoch instead of keeping one fixed set. */
  resample: z.boolean(),
});

export const HeavyballMethodSchema = z.strictObject({
  kind: z.literal('heavyball'),
  /** Heavyball iterations h_L (the paper: ¾ n = 12 for n = 16). */
  iterations: count(100_000),
  rhs: RhsKindSchema,
  train: VectorSetSchema,
  test: VectorSetSchema,
});

export const PcgMethodSchema = z.strictObject({
  kind: z.literal('pcg'),
  /** PCG iterations N_it unrolled in the loss (the paper: 4). */
  iterations: count(10_000),
  rhs: RhsKindSchema,
  /** How many iterations the CG / learned-PCG residual histories (Fig. 8) run. */
  historyIterations: count(100_000),
});

export const GcnMethodSchema = z.strictObject({
  kind: z.literal('gcn'),
  hidden: count(65_536),
  activation: z.literal('relu'),
  /** Dropout on the hidden layer (between the two GCN layers). */
  dropout: dropRate,
  /** Dropout on the (sparse) input features, as in Kipf's code; 0 disables. */
  inputDropout: dropRate,
  /** 'row': divide each feature row by its sum (Kipf's preprocess_features). */
  normalizeFeatures: z.enum(['row', 'none']),
  bias: z.boolean(),
});

export const METHOD_SCHEMAS = { jacobi: JacobiMethodSchema, heavyball: HeavyballMethodSchema, pcg: PcgMethodSchema, gcn: GcnMethodSchema } as const;
export const MethodSpecSchema = z.discriminatedUnion('kind', [JacobiMethodSchema, HeavyballMethodSchema, PcgMethodSchema, GcnMethodSchema]);

// ---------------------------------------------------------------------------
// Learnable parameters

export const ScalarParameterSchema = z.strictObject({ kind: z.literal('scalar'), init: z.number() });

/** A vector of length n (the matrix size). */
export const VectorParameterSchema = z.strictObject({ kind: z.literal('vector'), init: z.number() });

export const SPARSE_PATTERNS = ['diagonal', 'lower bidiagonal', 'upper bidiagonal', 'tridiagonal', 'lower triangle of A'] as const;

/** A sparse n×n matrix with a fixed sparsity pattern; init gives its diagonal and off-diagonal values. */
export const SparseParameterSchema = z.strictObject({
  kind: z.literal('sparse'),
  pattern: z.enum(SPARSE_PATTERNS),
  init: z.strictObject({ diagonal: z.number(), offDiagonal: z.number() }),
});

/** A dense weight matrix (GCN); its shape follows from the data and the method. */
export const DenseParameterSchema = z.strictObject({ kind: z.literal('dense'), init: z.enum(['glorot', 'zeros']) });

export const PARAMETER_SCHEMAS = { scalar: ScalarParameterSchema, vector: VectorParameterSchema, sparse: SparseParameterSchema, dense: DenseParameterSchema } as const;
export const ParameterSpecSchema = z.discriminatedUnion('kind', [ScalarParameterSchema, VectorParameterSchema, SparseParameterSchema, DenseParameterSchema]);

// ---------------------------------------------------------------------------
// Loss and optimizer

const reduction = z.enum(['sum', 'mean']).default('sum');
/** Σ_k x_kᵀ A x_k of the final iterates (the squared A-norm of the error for b = 0). */
export const EnergyLossSchema = z.strictObject({ kind: z.literal('energy'), reduction });
/** Σ_k ‖b − A x_k‖² of the final iterates. */
export const ResidualLossSchema = z.strictObject({ kind: z.literal('residual'), reduction });
/** Eq. (28): Σ_i γ^(N−i) / Σ_j γ^(N−j) · ‖r_i‖ / ‖b‖. */
export const WeightedResidualLossSchema = z.strictObject({ kind: z.literal('weighted-residual'), gamma: z.number().gt(0).max(1) });
/** Mean cross-entropy over the training nodes. */
export const CrossEntropyLossSchema = z.strictObject({ kind: z.literal('cross-entropy') });

export const LossSpecSchema = z.discriminatedUnion('kind', [EnergyLossSchema, ResidualLossSchema, WeightedResidualLossSchema, CrossEntropyLossSchema]);
/** The losses each method can be trained on. */
export const METHOD_LOSSES = {
  jacobi: z.discriminatedUnion('kind', [EnergyLossSchema, ResidualLossSchema]),
  heavyball: z.discriminatedUnion('kind', [EnergyLossSchema, ResidualLossSchema]),
  pcg: z.discriminatedUnion('kind', [WeightedResidualLossSchema]),
  gcn: z.discriminatedUnion('kind', [CrossEntropyLossSchema]),
} as const;

const decay = z.number().min(0);
export const OptimizerSpecSchema = z.strictObject({
  kind: z.enum(['adam', 'adamw', 'sgd']),
  lr: z.number().gt(0),
  /** Adam/AdamW. */
  betas: z.tuple([z.number().min(0).lt(1), z.number().min(0).lt(1)]),
  eps: z.number().gt(0),
  /** SGD. */
  momentum: z.number().min(0).lt(1),
  /** L2 weight decay (decoupled for AdamW): one number for all parameters, or per parameter name. */
  weightDecay: z.union([decay, z.record(z.string(), decay)]),
});

// ---------------------------------------------------------------------------

export const ProblemSpecSchema = z.strictObject({
  version: z.literal(SPEC_VERSION),
  name: nonEmpty,
  description: z.string(),
  /** Why the values the paper leaves open were chosen (presets fill this in). */
  notes: z.array(z.string()),
  matrix: MatrixSourceSchema,
  method: MethodSpecSchema,
  parameters: z.record(z.string(), ParameterSpecSchema),
  loss: LossSpecSchema,
  optimizer: OptimizerSpecSchema,
  epochs: count(1_000_000),
  runs: count(100_000),
  seed: z.int().min(0).max(2 ** 32 - 1),
  device: z.enum(['cpu', 'cuda']),
  dtype: z.enum(['float64', 'float32']),
});

/** Only the fields that choose the rest: checked first, so the method's preset can supply the defaults. */
export const SpecHeadSchema = z.object({ version: z.literal(SPEC_VERSION), method: z.object({ kind: MethodKindSchema }) });
