// The problem spec: plain JSON describing an optimization problem on a sparse
// matrix (the paper's §4 applications are presets of it). Versioned: a spec
// carries `version: 1`; validateSpec() checks every field and fills defaults.

export const SPEC_VERSION = 1;

export type MethodKind = 'jacobi' | 'heavyball' | 'pcg' | 'gcn';
export const METHOD_KINDS: readonly MethodKind[] = ['jacobi', 'heavyball', 'pcg', 'gcn'];

// ---------------------------------------------------------------------------
// Where the matrix comes from

/** 1-D Poisson (eq. 15): tridiag(-1, 2, -1), n interior points. */
export interface Poisson1dSource {
  kind: 'generator';
  name: 'poisson1d';
  n: number;
}

/** 2-D Poisson (eq. 26): A_nx ⊗ I_ny + I_nx ⊗ A_ny (Kronecker sum), nx·ny rows. */
export interface Poisson2dSource {
  kind: 'generator';
  name: 'poisson2d';
  nx: number;
  ny: number;
}

/** A MatrixMarket file (path relative to the spec file, or to the data folder). */
export interface FileSource {
  kind: 'file';
  path: string;
}

/**
 * A graph whose adjacency is the matrix (GCN). `folder`: adjacency.mtx,
 * features.mtx, labels.txt, split.json; `planetoid`: the raw
 * ind.<name>.{x,y,tx,ty,allx,ally,graph,test.index} pickles, read from `path`
 * or fetched from `url` into `cache`.
 */
export interface GraphSource {
  kind: 'graph';
  format: 'folder' | 'planetoid';
  /** Folder path (relative to the data folder unless absolute). */
  path?: string;
  /** Planetoid dataset name (the <name> in ind.<name>.x). */
  name?: string;
  /** Planetoid: base URL to fetch missing raw files from. */
  url?: string;
  /** Planetoid: folder the fetched files are kept in. */
  cache?: string;
  /**
   * 'kipf': keep the self-loops of the raw adjacency lists (so those nodes get 2
   * on the diagonal of A + I, as in Kipf's code); 'none': drop them (PyG).
   */
  selfLoops: 'kipf' | 'none';
}

export type GeneratorSource = Poisson1dSource | Poisson2dSource;
export type MatrixSource = GeneratorSource | FileSource | GraphSource;

// ---------------------------------------------------------------------------
// Right-hand sides and vector sets

/**
 * b for Ax = b. 'zero'; 'ones'; 'random' (seeded standard normal);
 * 'linear': b_k = the coordinate of grid point k along the fast index on the
 * interior of (-1, 1), as in the authors' PCG demo.
 */
export type RhsKind = 'zero' | 'ones' | 'random' | 'linear';

/** A set of starting vectors x_k with seeded random entries. */
export interface VectorSet {
  count: number;
  distribution: 'normal' | 'uniform';
}

// ---------------------------------------------------------------------------
// Methods

export interface JacobiMethod {
  kind: 'jacobi';
  /** Weighted-Jacobi sweeps j(·) applied to each vector before the loss (the paper: 1). */
  sweeps: number;
  rhs: RhsKind;
  /** The vectors x_k the loss is taken over (K of them). */
  vectors: VectorSet;
  /** Draw fresh vectors every epoch instead of keeping one fixed set. */
  resample: boolean;
}

export interface HeavyballMethod {
  kind: 'heavyball';
  /** Heavyball iterations h_L (the paper: ¾ n = 12 for n = 16). */
  iterations: number;
  rhs: RhsKind;
  train: VectorSet;
  test: VectorSet;
}

export interface PcgMethod {
  kind: 'pcg';
  /** PCG iterations N_it unrolled in the loss (the paper: 4). */
  iterations: number;
  rhs: RhsKind;
  /** How many iterations the CG / learned-PCG residual histories (Fig. 8) run. */
  historyIterations: number;
}

export interface GcnMethod {
  kind: 'gcn';
  hidden: number;
  activation: 'relu';
  /** Dropout on the hidden layer (between the two GCN layers). */
  dropout: number;
  /** Dropout on the (sparse) input features, as in Kipf's code; 0 disables. */
  inputDropout: number;
  /** 'row': divide each feature row by its sum (Kipf's preprocess_features). */
  normalizeFeatures: 'row' | 'none';
  bias: boolean;
}

export type MethodSpec = JacobiMethod | HeavyballMethod | PcgMethod | GcnMethod;

// ---------------------------------------------------------------------------
// Learnable parameters

export interface ScalarParameter {
  kind: 'scalar';
  init: number;
}

/** A vector of length n (the matrix size). */
export interface VectorParameter {
  kind: 'vector';
  init: number;
}

export type SparsePattern = 'diagonal' | 'lower bidiagonal' | 'upper bidiagonal' | 'tridiagonal' | 'lower triangle of A';
export const SPARSE_PATTERNS: readonly SparsePattern[] = ['diagonal', 'lower bidiagonal', 'upper bidiagonal', 'tridiagonal', 'lower triangle of A'];

/** A sparse n×n matrix with a fixed sparsity pattern; init gives its diagonal and off-diagonal values. */
export interface SparseParameter {
  kind: 'sparse';
  pattern: SparsePattern;
  init: { diagonal: number; offDiagonal: number };
}

/** A dense weight matrix (GCN); its shape follows from the data and the method. */
export interface DenseParameter {
  kind: 'dense';
  init: 'glorot' | 'zeros';
}

export type ParameterSpec = ScalarParameter | VectorParameter | SparseParameter | DenseParameter;

// ---------------------------------------------------------------------------
// Loss and optimizer

/** Σ_k x_kᵀ A x_k of the final iterates (the squared A-norm of the error for b = 0). */
export interface EnergyLoss {
  kind: 'energy';
  reduction: 'sum' | 'mean';
}

/** Σ_k ‖b − A x_k‖² of the final iterates. */
export interface ResidualLoss {
  kind: 'residual';
  reduction: 'sum' | 'mean';
}

/** Eq. (28): Σ_i γ^(N−i) / Σ_j γ^(N−j) · ‖r_i‖ / ‖b‖. */
export interface WeightedResidualLoss {
  kind: 'weighted-residual';
  gamma: number;
}

/** Mean cross-entropy over the training nodes. */
export interface CrossEntropyLoss {
  kind: 'cross-entropy';
}

export type LossSpec = EnergyLoss | ResidualLoss | WeightedResidualLoss | CrossEntropyLoss;

export interface OptimizerSpec {
  kind: 'adam' | 'adamw' | 'sgd';
  lr: number;
  /** Adam/AdamW. */
  betas: [number, number];
  eps: number;
  /** SGD. */
  momentum: number;
  /** L2 weight decay (decoupled for AdamW): one number for all parameters, or per parameter name. */
  weightDecay: number | Record<string, number>;
}

// ---------------------------------------------------------------------------

export interface ProblemSpec {
  version: typeof SPEC_VERSION;
  name: string;
  description: string;
  /** Why the values the paper leaves open were chosen (presets fill this in). */
  notes: string[];
  matrix: MatrixSource;
  method: MethodSpec;
  parameters: Record<string, ParameterSpec>;
  loss: LossSpec;
  optimizer: OptimizerSpec;
  epochs: number;
  runs: number;
  seed: number;
  device: 'cpu' | 'cuda';
  dtype: 'float64' | 'float32';
}

/** What a person writes: every field with a default may be left out. */
export type ProblemSpecInput = Record<string, unknown>;
