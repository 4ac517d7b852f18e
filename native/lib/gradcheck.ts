// Numerical gradient check: float64 central differences against the analytic VJP.
import { noGrad } from './autograd.js';
import { CsrMatrix } from './csr.js';
import { fail } from './errors.js';
import { Generator } from './random.js';
import { Tensor } from './tensor.js';
import { mul } from './ops/elementwise.js';
import { sum } from './ops/reduce.js';
import { cast, reshape } from './ops/shape.js';
import { abs } from './ops/unary.js';

export interface GradcheckOptions {
  /** Relative finite-difference step: entry θ moves by eps·max(1, |θ|) (default 1e-6). */
  eps?: number;
  /** Absolute tolerance (default 1e-6). */
  atol?: number;
  /** Relative tolerance (default 1e-4). */
  rtol?: number;
  /** Check at most this many entries per input, chosen at random (default: all). */
  maxEntries?: number;
  /** Seed for the random output weights and the entry sample (default 0). */
  seed?: number;
}

export interface GradcheckFailure {
  input: number;
  entry: number;
  analytic: number;
  numeric: number;
}

export interface GradcheckResult {
  ok: boolean;
  maxAbsError: number;
  maxRelError: number;
  checked: number;
  failures: GradcheckFailure[];
}

type Input = Tensor | CsrMatrix;

/**
 * Checks the analytic gradient of `fn(...inputs)` against central differences.
 * The output may have any shape: it is reduced with fixed random weights w, so
 * the check covers the VJP with a generic v = w. Inputs must be float64; for a
 * CsrMatrix the check is with respect to its values (its own pattern).
 */
export function gradcheck(fn: (...inputs: Input[]) => Tensor, inputs: readonly Input[], opts: GradcheckOptions = {}): GradcheckResult {
  const eps = opts.eps ?? 1e-6;
  const atol = opts.atol ?? 1e-6;
  const rtol = opts.rtol ?? 1e-4;
  const gen = new Generator(opts.seed ?? 0);
  const leaves = inputs.map((x) => (x instanceof CsrMatrix ? x.values : x));
  for (const [i, t] of leaves.entries()) {
    if (!(t instanceof Tensor)) fail('gradcheck', `input ${i} is not a Tensor or CsrMatrix`);
    if (t.dtype !== 'float64') fail('gradcheck', `input ${i} is ${t.dtype}; gradcheck needs float64 inputs`);
    if (!t.isLeaf) fail('gradcheck', `input ${i} is not a leaf tensor (detach it first)`);
  }

  // Analytic: grads of <w, fn(inputs)>.
  const saved = leaves.map((t) => ({ requiresGrad: t.requiresGrad, grad: t.grad }));
  for (const t of leaves) {
    t.requiresGrad = true;
    t.grad = null;
  }
  let analytic: (Float64Array | null)[];
  let w: Float64Array;
  try {
    const out = fn(...inputs);
    if (!(out instanceof Tensor)) fail('gradcheck', 'fn must return a Tensor');
    w = new Float64Array(out.size);
    for (let k = 0; k < w.length; k++) w[k] = gen.normal();
    if (out.requiresGrad) out.backward(new Tensor(out.dtype === 'float64' ? w.slice() : Float32Array.from(w), out.shape));
    analytic = leaves.map((t) => (t.grad ? Float64Array.from(t.grad.data) : null));
  } finally {
    leaves.forEach((t, i) => {
      t.requiresGrad = saved[i]!.requiresGrad;
      t.grad = saved[i]!.grad;
    });
  }

  // The objective <w, fn(inputs)>, and the scale Σ|w_k out_k| of its terms: in
  // float64 the objective carries a rounding error of about 1e-16 times that
  // scale, so a central difference with step h cannot be trusted below
  // ≈ 1e-16·scale/h. That bound is added to atol (it matters for matrices with
  // entries of very different magnitudes, such as bcsstk01's 1e9 stiffnesses).
  let scale = 0;
  const wt = new Tensor(w, [w.length]);
  const objective = (): number =>
    noGrad(() => {
      // Both sums in float64 by native kernels: out is cast up, and w·out formed once.
      const out = fn(...inputs);
      const terms = mul(wt, reshape(out.dtype === 'float64' ? out : cast(out, 'float64'), [out.size]));
      scale = Math.max(scale, sum(abs(terms)).item());
      return sum(terms).item();
    });
  objective();

  const result: GradcheckResult = { ok: true, maxAbsError: 0, maxRelError: 0, checked: 0, failures: [] };
  leaves.forEach((t, i) => {
    const data = t.data;
    let entries = [...Array(data.length).keys()];
    if (opts.maxEntries !== undefined && entries.length > opts.maxEntries) {
      for (let k = entries.length - 1; k > 0; k--) {
        const r = gen.integer(k + 1);
        [entries[k], entries[r]] = [entries[r]!, entries[k]!];
      }
      entries = entries.slice(0, opts.maxEntries);
    }
    for (const e of entries) {
      const orig = data[e]!;
      const h = eps * Math.max(1, Math.abs(orig));
      data[e] = orig + h;
      const fp = objective();
      data[e] = orig - h;
      const fm = objective();
      data[e] = orig;
      const numeric = (fp - fm) / (2 * h);
      const roundoff = (64 * 2.220446049250313e-16 * scale) / h;
      const a = analytic[i]?.[e] ?? 0;
      const abs = Math.abs(a - numeric);
      const rel = abs / Math.max(Math.abs(numeric), 1e-12);
      result.checked++;
      result.maxAbsError = Math.max(result.maxAbsError, abs);
      if (Math.abs(numeric) > atol) result.maxRelError = Math.max(result.maxRelError, rel);
      if (!(abs <= atol + roundoff + rtol * Math.abs(numeric))) {
        result.ok = false;
        if (result.failures.length < 20) result.failures.push({ input: i, entry: e, analytic: a, numeric });
      }
    }
  });
  return result;
}
