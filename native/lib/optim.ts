// Optimizers: SGD (momentum, Nesterov), Adam (L2 weight decay added to the
// gradient, as torch.optim.Adam) and AdamW (decoupled weight decay, as
// torch.optim.AdamW). Each updates its parameters' storage in place; a
// CsrMatrix parameter is its values tensor, so its update stays on its pattern.
// Each step is one native kernel per parameter (bind_dense_ops.cc) over the
// element update of dense_bodies.h (body::sgd_element, body::adam_element), on
// the parameter's device. A 'cuda' parameter's state (momentum buffer, moments)
// is allocated there on the first step: plain device arrays owned by the
// optimizer, which no scope() disposes, freed by dispose() or when collected.
import { noGrad } from './autograd.js';
import { CsrMatrix } from './csr.js';
import { type FloatArray, kernel } from './addon.js';
import { deviceAlloc, type DeviceArray, fillDevice } from './device.js';
import { allocate, type DType } from './dtype.js';
import { expected, fail, shapeStr } from './errors.js';
import { Tensor } from './tensor.js';
import { storage, type Storage } from './ops/transfer.js';

/** What an optimizer updates: a leaf Tensor, or a CsrMatrix (its values). */
export type Param = Tensor | CsrMatrix;

function numberOpt(op: string, name: string, v: unknown, fallback: number, check: (x: number) => boolean, what: string): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !check(v)) expected(op, what, name, v);
  return v;
}

const nonNegative = (x: number): boolean => Number.isFinite(x) && x >= 0;
const unitInterval = (x: number): boolean => Number.isFinite(x) && x >= 0 && x < 1;

function isDeviceArray(x: unknown): x is DeviceArray {
  return typeof x === 'object' && x !== null && typeof (x as DeviceArray).dispose === 'function' && 'bytes' in x;
}

/** Zero-filled optimizer state beside parameter p (on its device). */
function zerosLike(p: Tensor): Storage {
  if (p.device === 'cpu') return allocate(p.dtype, p.size);
  const a = deviceAlloc(p.dtype as DType, p.size);
  fillDevice(a, 0);
  return a;
}

/** The shared part: parameter list, learning rate, zeroGrad, per-parameter state S. */
export abstract class Optimizer<S> {
  /** The tensors updated in place (a CsrMatrix contributes its values). */
  readonly params: readonly Tensor[];
  #lr: number;
  protected readonly op: string;
  protected readonly state: (S | undefined)[];

  protected constructor(op: string, params: readonly Param[], lr: number) {
    this.op = op;
    if (!Array.isArray(params as unknown)) expected(op, 'an array of Tensors or CsrMatrix', 'params', params);
    if (params.length === 0) fail(op, 'the parameter list is empty');
    const seen = new Set<Tensor>();
    this.params = params.map((p, i) => {
      const t = p instanceof CsrMatrix ? p.values : p;
      if (!(t instanceof Tensor)) expected(op, 'a Tensor or CsrMatrix', `params[${i}]`, p);
      if (!t.isLeaf) fail(op, `params[${i}] is not a leaf (it was computed by ${t.gradFn!.name}); optimize the leaves it was computed from`);
      if (seen.has(t)) fail(op, `params[${i}] appears more than once in the parameter list`);
      seen.add(t);
      return t;
    });
    this.#lr = lr;
    this.state = new Array<S | undefined>(this.params.length);
  }

  /** The learning rate; assign to it for a schedule. */
  get lr(): number {
    return this.#lr;
  }
  set lr(v: number) {
    if (typeof v !== 'number' || !nonNegative(v)) expected(this.op, 'a non-negative finite number', 'lr', v);
    this.#lr = v;
  }

  /** Clears every parameter's gradient (sets it to null, as PyTorch's default; a device gradient is freed now). */
  zeroGrad(): void {
    for (const p of this.params) p.zeroGrad();
  }

  /**
   * Frees the device state (moments, momentum buffers) now rather than when the
   * optimizer is collected. A later step() starts that state afresh.
   */
  dispose(): void {
    for (let i = 0; i < this.state.length; i++) {
      const s = this.state[i];
      if (s === undefined) continue;
      const arrays = Object.values(s as object).filter(isDeviceArray);
      if (arrays.length === 0) continue;
      for (const a of arrays) a.dispose();
      this.state[i] = undefined;
    }
  }

  /** One update of every parameter that has a gradient (the others are skipped). */
  step(): void {
    noGrad(() => {
      this.params.forEach((p, i) => {
        const g = p.grad;
        if (g === null) return;
        if (g.size !== p.size || g.dtype !== p.dtype) {
          fail(this.op, `params[${i}] has shape ${shapeStr(p.shape)} (${p.dtype}) but its grad has shape ${shapeStr(g.shape)} (${g.dtype})`);
        }
        if (g.device !== p.device) fail(this.op, `params[${i}] is on ${p.device} but its grad is on ${g.device}`);
        this.update(p, g, i);
      });
    });
  }

  protected abstract update(p: Tensor, g: Tensor, index: number): void;
}

export interface SGDOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  weightDecay?: number;
}

/**
 * Stochastic gradient descent, as torch.optim.SGD:
 *   d = g + λ p;  b = μ b + (1 − τ) d (b = d at the first step);
 *   d = d + μ b (Nesterov) or d = b;  p = p − lr d.
 */
export class SGD extends Optimizer<{ buf: Storage | null; steps: number }> {
  readonly momentum: number;
  readonly dampening: number;
  readonly nesterov: boolean;
  readonly weightDecay: number;

  constructor(params: readonly Param[], opts: SGDOptions) {
    const op = 'SGD';
    if (opts === null || typeof opts !== 'object') expected(op, 'an options object with lr', 'options', opts);
    if (typeof opts.lr !== 'number' || !nonNegative(opts.lr)) expected(op, 'a non-negative finite number', 'lr', opts.lr);
    super(op, params, opts.lr);
    this.momentum = numberOpt(op, 'momentum', opts.momentum, 0, nonNegative, 'a non-negative finite number');
    this.dampening = numberOpt(op, 'dampening', opts.dampening, 0, Number.isFinite, 'a finite number');
    this.weightDecay = numberOpt(op, 'weightDecay', opts.weightDecay, 0, nonNegative, 'a non-negative finite number');
    if (opts.nesterov !== undefined && typeof opts.nesterov !== 'boolean') expected(op, 'a boolean', 'nesterov', opts.nesterov);
    this.nesterov = opts.nesterov ?? false;
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) {
      fail(op, `Nesterov momentum needs momentum > 0 and dampening 0 (got momentum ${this.momentum}, dampening ${this.dampening})`);
    }
  }

  protected update(p: Tensor, g: Tensor, i: number): void {
    const mu = this.momentum;
    let s = this.state[i];
    if (s === undefined) s = this.state[i] = { buf: mu !== 0 ? zerosLike(p) : null, steps: 0 };
    // b = d at the first step (first), then b = μ b + (1 − τ) d
    kernel<SgdStep>('sgdStep')(storage(p), storage(g), s.buf, this.lr, mu, this.dampening, this.weightDecay, this.nesterov, s.steps === 0);
    s.steps++;
  }
}

export interface AdamOptions {
  lr?: number;
  betas?: readonly [number, number];
  eps?: number;
  weightDecay?: number;
  amsgrad?: boolean;
}

interface AdamState<A> {
  step: number;
  m: A;
  v: A;
  vMax: A | null;
}

type SgdStep = (
  p: Storage, g: Storage, buf: Storage | null, lr: number, momentum: number, dampening: number, weightDecay: number, nesterov: boolean, first: boolean,
) => void;

type AdamStepKernel = (
  p: Storage, g: Storage, m: Storage, v: Storage, vMax: Storage | null,
  lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, decoupled: boolean, amsgrad: boolean, step: number,
  stepSize: number, bc2Sqrt: number,
) => void;

/** Adam and AdamW share everything but where the weight decay enters. */
abstract class AdamBase extends Optimizer<AdamState<Storage>> {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  readonly amsgrad: boolean;

  protected constructor(op: string, params: readonly Param[], opts: AdamOptions, defaultWeightDecay: number) {
    if (opts === null || typeof opts !== 'object') expected(op, 'an options object', 'options', opts);
    const lr = numberOpt(op, 'lr', opts.lr, 1e-3, nonNegative, 'a non-negative finite number');
    super(op, params, lr);
    const betas = opts.betas ?? [0.9, 0.999];
    if (!Array.isArray(betas as unknown) || betas.length !== 2 || !betas.every((b) => typeof b === 'number' && unitInterval(b))) {
      expected(op, 'two numbers in [0, 1)', 'betas', betas);
    }
    [this.beta1, this.beta2] = betas;
    this.eps = numberOpt(op, 'eps', opts.eps, 1e-8, nonNegative, 'a non-negative finite number');
    this.weightDecay = numberOpt(op, 'weightDecay', opts.weightDecay, defaultWeightDecay, nonNegative, 'a non-negative finite number');
    if (opts.amsgrad !== undefined && typeof opts.amsgrad !== 'boolean') expected(op, 'a boolean', 'amsgrad', opts.amsgrad);
    this.amsgrad = opts.amsgrad ?? false;
  }

  /** Whether weight decay is decoupled (AdamW) or added to the gradient (Adam). */
  protected abstract readonly decoupled: boolean;

  // One element update per parameter entry (body::adam_element in dense_bodies.h).
  protected update(p: Tensor, g: Tensor, i: number): void {
    let s = this.state[i];
    if (s === undefined) {
      s = this.state[i] = { step: 0, m: zerosLike(p), v: zerosLike(p), vMax: this.amsgrad ? zerosLike(p) : null };
    }
    const step = s.step + 1;
    // lr / (1 − β₁ᵗ) and √(1 − β₂ᵗ), once per step
    const stepSize = this.lr / (1 - Math.pow(this.beta1, step));
    const bc2Sqrt = Math.sqrt(1 - Math.pow(this.beta2, step));
    kernel<AdamStepKernel>('adamStep')(
      storage(p), storage(g), s.m, s.v, s.vMax, this.lr, this.beta1, this.beta2, this.eps, this.weightDecay, this.decoupled, this.amsgrad, step, stepSize, bc2Sqrt,
    );
    s.step = step;
  }
}

/** Adam, as torch.optim.Adam: weight decay λ adds λ p to the gradient (L2). Defaults lr 1e-3, betas [0.9, 0.999], eps 1e-8, λ 0. */
export class Adam extends AdamBase {
  protected readonly decoupled = false;
  constructor(params: readonly Param[], opts: AdamOptions = {}) {
    super('Adam', params, opts, 0);
  }
}

/** AdamW, as torch.optim.AdamW: decoupled decay p ← p (1 − lr λ) before the Adam step. Default λ 1e-2. */
export class AdamW extends AdamBase {
  protected readonly decoupled = true;
  constructor(params: readonly Param[], opts: AdamOptions = {}) {
    super('AdamW', params, opts, 1e-2);
  }
}
