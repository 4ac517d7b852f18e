// Optimizers: SGD (momentum, Nesterov), Adam (L2 weight decay added to the
// gradient, as torch.optim.Adam) and AdamW (decoupled weight decay, as
// torch.optim.AdamW). Each updates its parameters' storage in place; a
// CsrMatrix parameter is its values tensor, so its update stays on its pattern.
// A 'cuda' parameter is stepped on the device, its state (momentum buffer,
// moments) allocated there on the first step: plain device arrays owned by the
// optimizer, which no scope() disposes, freed when the optimizer is collected.
import { noGrad } from './autograd.js';
import { CsrMatrix } from './csr.js';
import { type FloatArray, kernel } from './addon.js';
import { copyDevice, deviceAlloc, type DeviceArray, fillDevice } from './device.js';
import { allocate } from './dtype.js';
import { expected, fail, shapeStr } from './errors.js';
import { Tensor } from './tensor.js';

/** What an optimizer updates: a leaf Tensor, or a CsrMatrix (its values). */
export type Param = Tensor | CsrMatrix;

function numberOpt(op: string, name: string, v: unknown, fallback: number, check: (x: number) => boolean, what: string): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !check(v)) expected(op, what, name, v);
  return v;
}

const nonNegative = (x: number): boolean => Number.isFinite(x) && x >= 0;
const unitInterval = (x: number): boolean => Number.isFinite(x) && x >= 0 && x < 1;

type Axpby = (alpha: number, x: DeviceArray, beta: number, y: DeviceArray) => void;

function isDeviceArray(x: unknown): x is DeviceArray {
  return typeof x === 'object' && x !== null && typeof (x as DeviceArray).dispose === 'function' && 'bytes' in x;
}

/** A zero-filled device array of p's type and length (optimizer state). */
function deviceZerosLike(p: DeviceArray): DeviceArray {
  const a = deviceAlloc(p.type, p.length);
  fillDevice(a, 0);
  return a;
}

/**
 * The shared part: parameter list, learning rate, zeroGrad, per-parameter
 * state (S for cpu parameters, D for 'cuda' ones).
 */
export abstract class Optimizer<S, D = S> {
  /** The tensors updated in place (a CsrMatrix contributes its values). */
  readonly params: readonly Tensor[];
  #lr: number;
  protected readonly op: string;
  protected readonly state: (S | undefined)[];
  protected readonly deviceState: (D | undefined)[];

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
    this.deviceState = new Array<D | undefined>(this.params.length);
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
    for (let i = 0; i < this.deviceState.length; i++) {
      const s = this.deviceState[i];
      if (s === undefined) continue;
      for (const a of isDeviceArray(s) ? [s] : Object.values(s as object)) if (isDeviceArray(a)) a.dispose();
      this.deviceState[i] = undefined;
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
        if (p.device === 'cuda') this.updateDevice(p.buffer, g.buffer, i);
        else this.update(p.data, g.data, i);
      });
    });
  }

  protected abstract update(p: FloatArray, g: FloatArray, index: number): void;
  protected abstract updateDevice(p: DeviceArray, g: DeviceArray, index: number): void;
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
export class SGD extends Optimizer<FloatArray, DeviceArray> {
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

  protected update(p: FloatArray, g: FloatArray, i: number): void {
    const { momentum: mu, dampening: tau, nesterov, weightDecay: wd } = this;
    const lr = this.lr;
    let buf = this.state[i];
    const first = buf === undefined;
    if (mu !== 0 && buf === undefined) buf = this.state[i] = allocate(p instanceof Float64Array ? 'float64' : 'float32', p.length);
    for (let j = 0; j < p.length; j++) {
      let d = g[j]! + wd * p[j]!;
      if (buf !== undefined) {
        buf[j] = first ? d : mu * buf[j]! + (1 - tau) * d;
        d = nesterov ? d + mu * buf[j]! : buf[j]!;
      }
      p[j] = p[j]! - lr * d;
    }
  }

  // The same update as a few y = αx + βy passes (dAxpby), each operation in the
  // order update() does it; d is a temporary only when it differs from g.
  protected updateDevice(p: DeviceArray, g: DeviceArray, i: number): void {
    const { momentum: mu, dampening: tau, nesterov, weightDecay: wd } = this;
    const axpby = kernel<Axpby>('dAxpby');
    let temp: DeviceArray | null = null;
    let d = g;
    try {
      if (wd !== 0) {
        d = temp = copyDevice(g);
        axpby(wd, p, 1, d); // d = g + λ p
      }
      if (mu !== 0) {
        let buf = this.deviceState[i];
        if (buf === undefined) buf = this.deviceState[i] = copyDevice(d); // b = d at the first step
        else axpby(1 - tau, d, mu, buf); // b = μ b + (1 − τ) d
        if (nesterov) {
          d = temp ??= copyDevice(g); // d is g or already the temporary
          axpby(mu, buf, 1, d); // d = d + μ b
        } else d = buf;
      }
      axpby(-this.lr, d, 1, p); // p = p − lr d
    } finally {
      temp?.dispose();
    }
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

type DAdamStep = (
  p: DeviceArray, g: DeviceArray, m: DeviceArray, v: DeviceArray, vMax: DeviceArray | null,
  lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, decoupled: boolean, amsgrad: boolean, step: number,
) => void;

/** Adam and AdamW share everything but where the weight decay enters. */
abstract class AdamBase extends Optimizer<AdamState<FloatArray>, AdamState<DeviceArray>> {
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

  protected update(p: FloatArray, g: FloatArray, i: number): void {
    const dtype = p instanceof Float64Array ? 'float64' : 'float32';
    let s = this.state[i];
    if (s === undefined) {
      s = this.state[i] = { step: 0, m: allocate(dtype, p.length), v: allocate(dtype, p.length), vMax: this.amsgrad ? allocate(dtype, p.length) : null };
    }
    s.step++;
    const { beta1: b1, beta2: b2, eps, weightDecay: wd, decoupled } = this;
    const lr = this.lr;
    const bc1 = 1 - Math.pow(b1, s.step);
    const bc2Sqrt = Math.sqrt(1 - Math.pow(b2, s.step));
    const stepSize = lr / bc1;
    const { m, v, vMax } = s;
    const shrink = decoupled ? 1 - lr * wd : 1;
    for (let j = 0; j < p.length; j++) {
      // AdamW: p = p (1 − lr λ); Adam: g = g + λ p
      const pj = p[j]! * shrink;
      const gj = decoupled ? g[j]! : g[j]! + wd * p[j]!;
      // m = β₁ m + (1 − β₁) g;  v = β₂ v + (1 − β₂) g²
      m[j] = b1 * m[j]! + (1 - b1) * gj;
      v[j] = b2 * v[j]! + (1 - b2) * gj * gj;
      let vj = v[j]!;
      if (vMax !== null) {
        if (vj > vMax[j]!) vMax[j] = vj;
        vj = vMax[j]!;
      }
      // p = p − (lr / (1 − β₁ᵗ)) m / (√v / √(1 − β₂ᵗ) + ε)
      p[j] = pj - (stepSize * m[j]!) / (Math.sqrt(vj) / bc2Sqrt + eps);
    }
  }

  // The same element update on the device (body::adam_element in dense_bodies.h).
  protected updateDevice(p: DeviceArray, g: DeviceArray, i: number): void {
    let s = this.deviceState[i];
    if (s === undefined) {
      s = this.deviceState[i] = { step: 0, m: deviceZerosLike(p), v: deviceZerosLike(p), vMax: this.amsgrad ? deviceZerosLike(p) : null };
    }
    const step = s.step + 1;
    kernel<DAdamStep>('dAdamStep')(p, g, s.m, s.v, s.vMax, this.lr, this.beta1, this.beta2, this.eps, this.weightDecay, this.decoupled, this.amsgrad, step);
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
