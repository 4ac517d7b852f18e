// Dense ops: forwards against references computed here, VJPs by gradcheck
// (float64), broadcasting, float32 against float64, and the error messages.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  abs, add, deviceMode, clamp, concat, cos, crossEntropy, denseTranspose, div, dot, dropout, exp, gatherRows, Generator,
  gradcheck, log, logSoftmax, maximum, mean, minimum, mul, neg, nllLoss, norm, pow, randn, relu, reshape, sigmoid, sin,
  softmax, sqrt, sub, sum, tanh, Tensor, tensor, where,
} from '../../native/lib/index.js';
import { assertClose } from '../helpers.js';

type AnyFn = (...xs: never[]) => Tensor;
const gc = (fn: AnyFn, inputs: Tensor[], opts = {}): void => {
  const r = gradcheck(fn as never, inputs, opts);
  assert.ok(r.ok, `gradcheck failed: ${JSON.stringify(r.failures.slice(0, 3))} (max abs error ${r.maxAbsError})`);
};

/** Positive-definite-ish random data in (lo, hi) for ops that need a domain. */
function uniform(shape: number[], seed: number, lo = -1, hi = 1, dtype: 'float64' | 'float32' = 'float64'): Tensor {
  const g = new Generator(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const d = dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) d[i] = lo + (hi - lo) * g.uniform();
  return tensor(d, { shape });
}

/** Reference broadcasting by coordinates, written independently of the engine. */
function broadcastRef(a: Tensor, b: Tensor, f: (x: number, y: number) => number): { shape: number[]; data: number[] } {
  const nd = Math.max(a.ndim, b.ndim);
  const pa = [...Array(nd - a.ndim).fill(1), ...a.shape] as number[];
  const pb = [...Array(nd - b.ndim).fill(1), ...b.shape] as number[];
  const shape = pa.map((d, i) => (d === 1 ? pb[i]! : d));
  const size = shape.reduce((s, d) => s * d, 1);
  const data: number[] = [];
  for (let flat = 0; flat < size; flat++) {
    let rem = flat;
    const coord = new Array<number>(nd);
    for (let d = nd - 1; d >= 0; d--) {
      coord[d] = rem % shape[d]!;
      rem = Math.floor(rem / shape[d]!);
    }
    const at = (p: number[]): number => p.reduce((off, dim, d) => off * dim + (dim === 1 ? 0 : coord[d]!), 0);
    data.push(f(a.data[at(pa)]!, b.data[at(pb)]!));
  }
  return { shape, data };
}

const BROADCAST_CASES: [number[], number[]][] = [
  [[3, 4], [3, 4]], // same shape
  [[3, 4], [4]], // row vector
  [[3, 4], [1, 4]], // row as [1, m]
  [[3, 4], [3, 1]], // column
  [[3, 1], [1, 4]], // outer
  [[3, 4], [1]], // one-element tensor
  [[3, 4], []], // 0-D
  [[4], [3, 1]], // 1-D against a column
  [[2, 1, 3], [4, 1]], // 3-D
  [[1, 1], [5]],
  [[0, 3], [3]], // empty
];

describe('elementwise binary ops', () => {
  const ops: [string, (a: Tensor | number, b: Tensor | number) => Tensor, (x: number, y: number) => number][] = [
    ['add', add, (x, y) => x + y],
    ['sub', sub, (x, y) => x - y],
    ['mul', mul, (x, y) => x * y],
    ['div', div, (x, y) => x / y],
    ['maximum', maximum, (x, y) => Math.max(x, y)],
    ['minimum', minimum, (x, y) => Math.min(x, y)],
  ];
  for (const [name, fn, ref] of ops) {
    test(`${name}: forward with broadcasting against a coordinate-wise reference`, () => {
      BROADCAST_CASES.forEach(([sa, sb], k) => {
        const a = uniform(sa, 10 + k, 0.5, 2);
        const b = uniform(sb, 50 + k, 0.5, 2);
        for (const [x, y] of [[a, b], [b, a]] as const) {
          const want = broadcastRef(x, y, ref);
          const got = fn(x, y);
          assert.deepEqual(got.shape, want.shape, `${name} ${JSON.stringify(x.shape)} ${JSON.stringify(y.shape)}`);
          assertClose(got.data, want.data, { rtol: 1e-15 });
        }
      });
    });

    test(`${name}: VJP by gradcheck over broadcast shapes (float64)`, () => {
      BROADCAST_CASES.forEach(([sa, sb], k) => {
        const a = uniform(sa, 100 + k, 0.5, 2);
        // keep maximum/minimum away from ties, where they are not differentiable
        const b = uniform(sb, 200 + k, name === 'maximum' || name === 'minimum' ? 2.5 : 0.5, name === 'maximum' || name === 'minimum' ? 4 : 2);
        gc((x: Tensor, y: Tensor) => fn(x, y), [a, b]);
        gc((x: Tensor, y: Tensor) => fn(y, x), [a, b]);
      });
    });

    test(`${name}: number operands on either side`, () => {
      const x = tensor([[1, 2], [3, 4]], { requiresGrad: true });
      assertClose(fn(x, 3).data, [1, 2, 3, 4].map((v) => ref(v, 3)));
      assertClose(fn(3, x).data, [1, 2, 3, 4].map((v) => ref(3, v)));
      gc((t: Tensor) => fn(t, 2.5), [uniform([2, 3], 7, 0.5, 2)]);
      gc((t: Tensor) => fn(2.5, t), [uniform([2, 3], 8, 0.5, 2)]);
    });
  }

  test('hand-worked broadcasting gradients: a row over a matrix sums over rows, a column over columns', () => {
    const A = tensor([[1, 2, 3], [4, 5, 6]], { requiresGrad: true });
    const r = tensor([10, 20, 30], { requiresGrad: true });
    const c = tensor([[1], [2]], { requiresGrad: true });
    const y = mul(add(A, r), c); // (A + r) ⊙ c
    assert.deepEqual(y.toList(), [[11, 22, 33], [28, 50, 72]]);
    y.sum().backward();
    assert.deepEqual(A.grad!.toList(), [[1, 1, 1], [2, 2, 2]]);
    assert.deepEqual(r.grad!.toList(), [3, 3, 3]);
    assert.deepEqual(c.grad!.toList(), [[66], [75]]);
  });

  test('pow: scalar exponents (including 0 and negative), tensor exponents, PyTorch conventions', () => {
    const x = uniform([3, 4], 3, 0.5, 2);
    for (const p of [2, 3, 0.5, -1.5, 1]) {
      assertClose(pow(x, p).data, Array.from(x.data, (v) => v ** p), { rtol: 1e-14 });
      gc((t: Tensor) => pow(t, p), [x]);
    }
    const z = tensor([0, 1, 2], { requiresGrad: true });
    pow(z, 0).sum().backward();
    assert.deepEqual([...z.grad!.data], [0, 0, 0]); // exponent 0: gradient 0, even at 0
    gc((t: Tensor, e: Tensor) => pow(t, e), [uniform([2, 3], 4, 0.5, 2), uniform([3], 5, -1, 2)]);
    gc((e: Tensor) => pow(2, e), [uniform([4], 6)]);
    assert.equal(tensor([2]).pow(3).item(), 8);
  });

  test('maximum/minimum split the gradient evenly at ties (as PyTorch)', () => {
    const a = tensor([1, 5, 3], { requiresGrad: true });
    const b = tensor([2, 5, 1], { requiresGrad: true });
    maximum(a, b).sum().backward();
    assert.deepEqual([...a.grad!.data], [0, 0.5, 1]);
    assert.deepEqual([...b.grad!.data], [1, 0.5, 0]);
    assert.ok(Number.isNaN(maximum(tensor([NaN]), tensor([1])).item()));
    assert.ok(Number.isNaN(minimum(tensor([1]), tensor([NaN])).item()));
  });

  test('neg', () => {
    const x = uniform([2, 3], 9);
    assertClose(neg(x).data, Array.from(x.data, (v) => -v));
    gc((t: Tensor) => neg(t), [x]);
    assertClose(x.neg().data, Array.from(x.data, (v) => -v));
  });

  test('errors: shapes that do not broadcast name both shapes; mixed dtypes; wrong JS types', () => {
    const a = tensor([[1, 2, 3], [4, 5, 6]]);
    assert.throws(() => add(a, tensor([1, 2])), {
      message: 'add: shapes a [2, 3] and b [2] cannot be broadcast together (size 3 vs 2 in dimension 1 of the result)',
    });
    assert.throws(() => mul(tensor([[1], [2], [3]]), a), {
      message: 'mul: shapes a [3, 1] and b [2, 3] cannot be broadcast together (size 3 vs 2 in dimension 0 of the result)',
    });
    assert.throws(() => sub(a, a.to('float32')), { message: 'sub: mixed dtypes: a is float64 but b is float32 (convert one with .to())' });
    assert.throws(() => div(a, 'x' as never), { message: 'div: expected a Tensor or a number for b but received string "x"' });
    assert.throws(() => add([1, 2] as never, a), { message: 'add: expected a Tensor or a number for a but received array of length 2' });
    assert.throws(() => add(1, 2), { message: 'add: at least one operand must be a Tensor (received number 1 and number 2)' });
  });
});

describe('where and clamp', () => {
  test('where: Tensor condition with broadcasting, boolean[] and Uint8Array conditions, number branches', () => {
    const a = tensor([[1, 2, 3], [4, 5, 6]]);
    const b = tensor([10, 20, 30]);
    assert.deepEqual(where(tensor([[1, 0, 1], [0, 1, 0]]), a, b).toList(), [[1, 20, 3], [10, 5, 30]]);
    assert.deepEqual(where([true, false, false, false, true, true], a, b).toList(), [[1, 20, 30], [10, 5, 6]]);
    assert.deepEqual(where(new Uint8Array([0, 1, 0]), a, 0).toList(), [[0, 2, 0], [0, 5, 0]]); // 1-D mask over the last axis
    assert.deepEqual(where(tensor([[1], [0]]), a, -1).toList(), [[1, 2, 3], [-1, -1, -1]]);
  });

  test('where: VJP routes the gradient by the condition (gradcheck and by hand)', () => {
    const cond = [true, false, true, true, false, false];
    gc((x: Tensor, y: Tensor) => where(cond, x, y), [uniform([2, 3], 1), uniform([3], 2)]);
    gc((x: Tensor, y: Tensor) => where(tensor([[0], [1]]), x, y), [uniform([2, 3], 3), uniform([2, 1], 4)]);
    const x = tensor([1, 2, 3], { requiresGrad: true });
    where([true, false, true], x, 0).sum().backward();
    assert.deepEqual([...x.grad!.data], [1, 0, 1]);
  });

  test('where: errors', () => {
    assert.throws(() => where('yes' as never, tensor([1]), tensor([2])), {
      message: 'where: expected a Tensor, boolean[] or Uint8Array for cond but received string "yes"',
    });
    assert.throws(() => where([true, false], tensor([1, 2, 3]), 0), {
      message: 'where: shapes cond [2] and a [3] and b [] cannot be broadcast together (size 2 vs 3 in dimension 0 of the result)',
    });
    assert.throws(() => where([1, 'a'] as never, tensor([1, 2]), 0), { message: 'where: cond[1] is string "a"; expected booleans' });
  });

  test('clamp: forward, gradient 1 inside [min, max] (bounds included) and 0 outside', () => {
    const x = tensor([-2, -1, 0, 0.5, 1, 3], { requiresGrad: true });
    const y = clamp(x, -1, 1);
    assert.deepEqual([...y.data], [-1, -1, 0, 0.5, 1, 1]);
    y.sum().backward();
    assert.deepEqual([...x.grad!.data], [0, 1, 1, 1, 1, 0]);
    assert.deepEqual([...clamp(tensor([-5, 5]), undefined, 2).data], [-5, 2]);
    assert.deepEqual([...tensor([-5, 5]).clamp(0).data], [0, 5]);
    gc((t: Tensor) => clamp(t, -0.5, 0.5), [tensor([-0.9, -0.2, 0.1, 0.3, 0.8])]);
    assert.throws(() => clamp(x, 'a' as never), { message: 'clamp: expected a number or undefined for min but received string "a"' });
  });
});

describe('unary ops', () => {
  const cases: [string, (x: Tensor) => Tensor, (v: number) => number, number, number][] = [
    ['exp', exp, Math.exp, -2, 2],
    ['log', log, Math.log, 0.2, 3],
    ['sqrt', sqrt, Math.sqrt, 0.2, 3],
    ['abs', abs, Math.abs, -2, 2],
    ['sin', sin, Math.sin, -3, 3],
    ['cos', cos, Math.cos, -3, 3],
    ['tanh', tanh, Math.tanh, -3, 3],
    ['relu', relu, (v) => Math.max(v, 0), -2, 2],
    ['sigmoid', sigmoid, (v) => 1 / (1 + Math.exp(-v)), -5, 5],
  ];
  for (const [name, fn, ref, lo, hi] of cases) {
    test(`${name}: forward against Math, VJP by gradcheck, float32 close to float64`, () => {
      const x = uniform([3, 5], name.length, lo, hi);
      assertClose(fn(x).data, Array.from(x.data, ref), { rtol: 1e-14, atol: 1e-15 });
      gc((t: Tensor) => fn(t), [x]);
      const x32 = x.to('float32');
      const y32 = fn(x32);
      assert.equal(y32.dtype, 'float32');
      assertClose(y32.data, Array.from(x32.data, ref), { rtol: 1e-6, atol: 1e-7 });
    });
  }

  test('sigmoid is stable for large |x|; relu and abs have gradient 0 at 0', () => {
    const s = sigmoid(tensor([-1000, -40, 0, 40, 1000]));
    assert.deepEqual([...s.data].map((v) => Number.isFinite(v)), [true, true, true, true, true]);
    assert.equal(s.data[0], 0);
    assert.equal(s.data[2], 0.5);
    assert.equal(s.data[4], 1);
    assertClose([s.data[1]!], [Math.exp(-40)], { rtol: 1e-14 });
    const x = tensor([0, 0], { requiresGrad: true });
    add(relu(x), abs(x)).sum().backward();
    assert.deepEqual([...x.grad!.data], [0, 0]);
  });

  test('methods chain as the functions do', () => {
    const x = uniform([2, 2], 77, 0.5, 1.5);
    const a = x.exp().log().sqrt().tanh().sigmoid().relu().abs().sin().cos();
    const b = cos(sin(abs(relu(sigmoid(tanh(sqrt(log(exp(x)))))))));
    assert.deepEqual([...a.data], [...b.data]);
  });

  test('errors: wrong JS types', () => {
    assert.throws(() => exp([1, 2] as never), { message: 'exp: expected a Tensor for x but received array of length 2' });
  });
});

describe('reductions', () => {
  const x = tensor([[[1, 2, 3], [4, 5, 6]], [[7, 8, 9], [10, 11, 12]]]); // [2, 2, 3]

  test('sum: all, over an axis, negative axes, several axes, keepdims', () => {
    const all = sum(x);
    assert.deepEqual(all.shape, []);
    assert.equal(all.item(), 78);
    assert.deepEqual(sum(x, 0).toList(), [[8, 10, 12], [14, 16, 18]]);
    assert.deepEqual(sum(x, 1).toList(), [[5, 7, 9], [17, 19, 21]]);
    assert.deepEqual(sum(x, -1).toList(), [[6, 15], [24, 33]]);
    assert.deepEqual(sum(x, [0, 2]).toList(), [30, 48]);
    assert.deepEqual(sum(x, 1, true).shape, [2, 1, 3]);
    assert.deepEqual(sum(x, undefined, true).shape, [1, 1, 1]);
    assert.deepEqual(x.sum(2).toList(), [[6, 15], [24, 33]]);
  });

  test('mean: all and over axes; NaN over an empty set (as PyTorch)', () => {
    assert.equal(mean(x).item(), 6.5);
    assert.deepEqual(mean(x, 2).toList(), [[2, 5], [8, 11]]);
    assert.deepEqual(x.mean([0, 1], true).toList(), [[[5.5, 6.5, 7.5]]]);
    assert.ok(Number.isNaN(mean(tensor([])).item()));
    assert.equal(sum(tensor([])).item(), 0);
  });

  test('sum/mean VJPs by gradcheck', () => {
    const t = uniform([3, 4, 2], 5);
    for (const axis of [undefined, 0, 1, 2, -1, [0, 2]] as const) {
      for (const keep of [false, true]) {
        gc((u: Tensor) => sum(u, axis as never, keep), [t]);
        gc((u: Tensor) => mean(u, axis as never, keep), [t]);
      }
    }
    gc((u: Tensor) => mean(u, 0), [uniform([5], 6)]);
  });

  test('float32 sums accumulate in float64', () => {
    const n = 1 << 16;
    const v = new Float32Array(n).fill(0.1);
    assertClose([sum(tensor(v)).item()], [n * Math.fround(0.1)], { rtol: 1e-7 });
  });

  test('errors: bad axis, repeated axis, bad keepdims', () => {
    assert.throws(() => sum(x, 3), { message: 'sum: axis 3 is out of range for a tensor of shape [2, 2, 3]' });
    assert.throws(() => mean(x, -4), { message: 'mean: axis -4 is out of range for a tensor of shape [2, 2, 3]' });
    assert.throws(() => sum(x, 1.5), { message: 'sum: expected an integer axis for axis but received number 1.5' });
    assert.throws(() => sum(x, [1, -2]), { message: 'sum: axis 1 is repeated in [1,-2] for a tensor of shape [2, 2, 3]' });
    assert.throws(() => sum(x, 0, 'yes' as never), { message: 'sum: expected a boolean for keepdims but received string "yes"' });
  });

  test('dot: forward, VJP, errors', () => {
    const a = tensor([1, 2, 3]);
    const b = tensor([4, 5, 6]);
    assert.equal(dot(a, b).item(), 32);
    assert.equal(a.dot(b).item(), 32);
    gc((p: Tensor, q: Tensor) => dot(p, q), [uniform([5], 1), uniform([5], 2)]);
    assert.throws(() => dot(a, tensor([1, 2])), {
      message: 'dot: expected two 1-D tensors of one length but a has shape [3] and b has shape [2]',
    });
    assert.throws(() => dot(a, b.to('float32')), { message: 'dot: mixed dtypes: a is float64 but b is float32 (convert one with .to())' });
  });

  test('norm: 2-norm, no overflow or underflow, gradient x/‖x‖ and 0 at x = 0', () => {
    assert.equal(norm(tensor([3, 4])).item(), 5);
    assert.equal(tensor([[3], [4]]).norm().item(), 5);
    assertClose([norm(tensor([3e200, 4e200])).item()], [5e200], { rtol: 1e-15 });
    assertClose([norm(tensor([3e-200, 4e-200])).item()], [5e-200], { rtol: 1e-15 });
    gc((t: Tensor) => norm(t), [uniform([2, 3], 9)]);
    const z = tensor([0, 0, 0], { requiresGrad: true });
    norm(z).backward();
    assert.deepEqual([...z.grad!.data], [0, 0, 0]);
  });
});

describe('softmax, losses, dropout', () => {
  function logSoftmaxRef(rows: number[][]): number[][] {
    return rows.map((r) => {
      const m = Math.max(...r);
      const lse = m + Math.log(r.reduce((s, v) => s + Math.exp(v - m), 0));
      return r.map((v) => v - lse);
    });
  }

  test('logSoftmax/softmax: forward over the last axis, stable for large logits, VJPs', () => {
    const x = uniform([4, 5], 11, -3, 3);
    const rows = x.toList() as number[][];
    assertClose(logSoftmax(x).data, logSoftmaxRef(rows).flat(), { rtol: 1e-14, atol: 1e-15 });
    assertClose(softmax(x).data, logSoftmaxRef(rows).flat().map(Math.exp), { rtol: 1e-14, atol: 1e-15 });
    const big = logSoftmax(tensor([[1000, 1001, 1002], [-1000, -1000, -1000]]));
    assertClose(big.data, [...logSoftmaxRef([[0, 1, 2]])[0]!, ...Array(3).fill(-Math.log(3))], { rtol: 1e-14 });
    gc((t: Tensor) => logSoftmax(t), [x]);
    gc((t: Tensor) => softmax(t), [x]);
    gc((t: Tensor) => logSoftmax(t), [uniform([6], 12)]);
    gc((t: Tensor) => softmax(t), [uniform([2, 3, 4], 13)]);
    assert.deepEqual(x.logSoftmax().toList(), logSoftmax(x).toList());
  });

  test('crossEntropy: hand-worked value, selected rows (repeats count twice), gradients', () => {
    const logits = tensor([[2, 1, 0], [0, 0, 0], [1, 3, 2]], { requiresGrad: true });
    const targets = [0, 2, 1];
    const lsm = logSoftmaxRef(logits.toList() as number[][]);
    const all = crossEntropy(logits, targets);
    assert.deepEqual(all.shape, []);
    assertClose([all.item()], [-(lsm[0]![0]! + lsm[1]![2]! + lsm[2]![1]!) / 3], { rtol: 1e-14 });
    const sel = crossEntropy(logits, targets, [2, 0, 2]);
    assertClose([sel.item()], [-(2 * lsm[2]![1]! + lsm[0]![0]!) / 3], { rtol: 1e-14 });
    sel.backward();
    // d/dlogits[r] = count(r)/R (softmax(r) − onehot(t_r)); row 1 is not selected
    const g = logits.grad!.toList() as number[][];
    assertClose(g[1]!, [0, 0, 0]);
    assertClose(g[2]!, lsm[2]!.map((v, j) => (2 / 3) * (Math.exp(v) - (j === 1 ? 1 : 0))), { rtol: 1e-13 });
    gc((t: Tensor) => crossEntropy(t, [1, 0, 2, 2], [3, 1, 1]), [uniform([4, 3], 14, -2, 2)]);
    gc((t: Tensor) => crossEntropy(t, new Int32Array([1, 0, 4])), [uniform([3, 5], 15, -2, 2)]);
  });

  test('crossEntropy: rows that are not selected may hold any label (e.g. −1 for unlabelled)', () => {
    const logits = uniform([3, 2], 16);
    const a = crossEntropy(logits, [-1, 1, 0], [1, 2]).item();
    const b = crossEntropy(gatherRows(logits, [1, 2]), [1, 0]).item();
    assertClose([a], [b], { rtol: 1e-15 });
  });

  test('nllLoss of logSoftmax equals crossEntropy, with its own VJP', () => {
    const x = uniform([5, 4], 17, -2, 2);
    const t = [3, 0, 1, 1, 2];
    assertClose([nllLoss(logSoftmax(x), t, [0, 4, 4]).item()], [crossEntropy(x, t, [0, 4, 4]).item()], { rtol: 1e-14 });
    gc((u: Tensor) => nllLoss(u, t, [0, 4, 4]), [x]);
  });

  test('crossEntropy/nllLoss: errors', () => {
    const x = tensor([[1, 2], [3, 4]]);
    assert.throws(() => crossEntropy(x, [0, 2]), { message: 'crossEntropy: targets[1] = 2 is not a class id in [0, 2)' });
    assert.throws(() => crossEntropy(x, [0]), {
      message: 'crossEntropy: targets has 1 entries but the input has 2 rows (give one class id per row; use rows to pick the rows that count)',
    });
    assert.throws(() => crossEntropy(x, [0, 1], [2]), { message: 'crossEntropy: rows[0] = 2 is out of range for 2 rows' });
    assert.throws(() => crossEntropy(x, [0, 1], []), {
      message: 'crossEntropy: no rows selected (the mean over zero rows is undefined); input has shape [2, 2]',
    });
    assert.throws(() => crossEntropy(tensor([1, 2]), [0]), { message: 'crossEntropy: expected a 2-D input [rows, classes] but it has shape [2]' });
    assert.throws(() => nllLoss(x, new Float64Array([0, 1]) as never), {
      message: 'nllLoss: expected an Int32Array or an array of integer class ids for targets but received Float64Array of length 2',
    });
    assert.throws(() => crossEntropy(x, [0, 0.5]), { message: 'crossEntropy: targets[1] = 0.5 is not a class id in [0, 2)' });
  });

  test('dropout: seeded, inverted scaling, VJP = mask / (1 − p), identity when not training', () => {
    const x = tensor(new Float64Array(4000).fill(2), { requiresGrad: true });
    const y1 = dropout(x, 0.25, { seed: 3 });
    const y2 = dropout(x, 0.25, { seed: 3 });
    assert.deepEqual([...y1.data], [...y2.data]);
    const kept = [...y1.data].filter((v) => v !== 0);
    assert.ok(kept.every((v) => v === 2 / 0.75));
    assert.ok(Math.abs(kept.length / 4000 - 0.75) < 0.03, `kept fraction ${kept.length / 4000}`);
    y1.sum().backward();
    assert.deepEqual([...x.grad!.data], [...y1.data].map((v) => (v === 0 ? 0 : 1 / 0.75)));
    // a generator advances: two calls differ, and match a fresh generator's two draws
    const gen = new Generator(9);
    const d1 = dropout(x, 0.5, { generator: gen });
    const d2 = dropout(x, 0.5, { generator: gen });
    assert.notDeepEqual([...d1.data], [...d2.data]);
    const gen2 = new Generator(9);
    assert.deepEqual([...dropout(x, 0.5, { generator: gen2 }).data], [...d1.data]);
    assert.equal(dropout(x, 0.5, { training: false }), x);
    assert.equal(dropout(x, 0), x);
    assert.ok([...dropout(x, 1, { seed: 1 }).data].every((v) => v === 0));
    gc((t: Tensor) => dropout(t, 0.3, { seed: 5 }), [uniform([4, 5], 18)]);
  });

  test('dropout: errors', () => {
    const x = tensor([1, 2]);
    assert.throws(() => dropout(x, 1.5), { message: 'dropout: expected a probability in [0, 1] for p but received number 1.5' });
    assert.throws(() => dropout(x, 0.5, { training: 'no' as never }), { message: 'dropout: expected a boolean for training but received string "no"' });
  });
});

describe('shape ops', () => {
  test('reshape: shares storage, infers −1, VJP, errors', () => {
    const x = tensor([1, 2, 3, 4, 5, 6], { requiresGrad: true });
    const y = reshape(x, [2, -1]);
    assert.deepEqual(y.shape, [2, 3]);
    assert.equal(y.data, x.data);
    assert.deepEqual(x.reshape([3, 2]).toList(), [[1, 2], [3, 4], [5, 6]]);
    gc((t: Tensor) => mul(reshape(t, [3, 2]), tensor([1, 2])), [uniform([6], 1)]);
    assert.throws(() => reshape(x, [4, 2]), { message: 'reshape: cannot reshape a tensor of shape [6] (6 entries) into [4, 2]' });
    assert.throws(() => reshape(x, [4, -1]), { message: 'reshape: cannot reshape a tensor of shape [6] (6 entries) into [4, -1]' });
    assert.throws(() => reshape(x, [-1, -1]), { message: 'reshape: shape [-1, -1] must hold non-negative integers and at most one -1' });
  });

  test('transpose of a 2-D tensor (a copy), .T and .transpose(), VJP', () => {
    const x = uniform([37, 45], 2); // crosses the 32×32 tiles
    const t = denseTranspose(x);
    assert.deepEqual(t.shape, [45, 37]);
    for (let i = 0; i < 37; i++) for (let j = 0; j < 45; j++) assert.equal(t.data[j * 37 + i], x.data[i * 45 + j]);
    assert.notEqual(t.data, x.data);
    assert.deepEqual(x.T.toList(), t.toList());
    assert.deepEqual(x.transpose().toList(), t.toList());
    gc((u: Tensor) => mul(denseTranspose(u), tensor([1, 2, 3])), [uniform([3, 2], 3)]);
    assert.throws(() => denseTranspose(tensor([1, 2])), { message: 'transpose: expected a 2-D tensor but x has shape [2]' });
  });

  test('gatherRows: forward, repeated rows accumulate in the VJP, errors', () => {
    const x = tensor([[1, 2], [3, 4], [5, 6]], { requiresGrad: true });
    const y = gatherRows(x, [2, 0, 2]);
    assert.deepEqual(y.toList(), [[5, 6], [1, 2], [5, 6]]);
    y.backward(tensor([[1, 1], [2, 2], [3, 3]]));
    assert.deepEqual(x.grad!.toList(), [[2, 2], [0, 0], [4, 4]]);
    assert.deepEqual(gatherRows(tensor([7, 8, 9]), new Int32Array([1, 1])).toList(), [8, 8]);
    assert.deepEqual(gatherRows(x, []).shape, [0, 2]);
    gc((t: Tensor) => gatherRows(t, [1, 3, 1, 0]), [uniform([4, 3], 4)]);
    assert.throws(() => gatherRows(x, [0, 3]), { message: 'gatherRows: indices[1] = 3 is out of range for 3 rows of x (shape [3, 2])' });
    assert.throws(() => gatherRows(x, [0.5] as never), { message: 'gatherRows: indices[0] = number 0.5 is not an integer' });
    assert.throws(() => gatherRows(x, 'a' as never), {
      message: 'gatherRows: expected an Int32Array or an array of integers for indices but received string "a"',
    });
  });

  test('concat along axis 0 and 1 (and −1), VJP, errors', () => {
    const a = tensor([[1, 2], [3, 4]]);
    const b = tensor([[5, 6]]);
    const c = tensor([[7], [8]]);
    assert.deepEqual(concat([a, b]).toList(), [[1, 2], [3, 4], [5, 6]]);
    assert.deepEqual(concat([a, c], 1).toList(), [[1, 2, 7], [3, 4, 8]]);
    assert.deepEqual(concat([c, a, c], -1).toList(), [[7, 1, 2, 7], [8, 3, 4, 8]]);
    assert.deepEqual(concat([tensor([1]), tensor([2, 3])]).toList(), [1, 2, 3]);
    gc((p: Tensor, q: Tensor) => concat([p, q, p], 1), [uniform([2, 3], 5), uniform([2, 1], 6)]);
    gc((p: Tensor, q: Tensor) => concat([q, p], 0), [uniform([2, 3], 7), uniform([1, 3], 8)]);
    assert.throws(() => concat([a, c]), { message: 'concat: tensors[1] has shape [2, 1] but tensors[0] has shape [2, 2] (only axis 0 may differ)' });
    assert.throws(() => concat([a, a.to('float32')]), {
      message: 'concat: mixed dtypes: tensors[0] is float64 but tensors[1] is float32 (convert one with .to())',
    });
    assert.throws(() => concat([]), { message: 'concat: expected at least one tensor' });
    assert.throws(() => concat([a], 2), { message: 'concat: axis 2 is out of range for a tensor of shape [2, 2]' });
  });

  test("to(): differentiable casts; 'cpu' is a no-op; 'cuda' says why it is not available", () => {
    const x = tensor([1.5, 2.25], { requiresGrad: true });
    const y = x.to('float32');
    assert.equal(y.dtype, 'float32');
    assert.equal(x.to('float64'), x);
    assert.equal(x.to('cpu'), x);
    mul(y, y).sum().backward();
    assert.equal(x.grad!.dtype, 'float64');
    assert.deepEqual([...x.grad!.data], [3, 4.5]);
    // Without a GPU (and without emulation) 'cuda' says why; device tensors are tested in device*.test.ts.
    if (deviceMode().mode === 'none') assert.throws(() => x.to('cuda'), { message: `to: no CUDA device: ${deviceMode().reason}` });
    assert.throws(() => x.to('float16' as never), {
      message: "to: expected 'float64', 'float32', 'cpu' or 'cuda' for target but received string \"float16\"",
    });
  });
});

test('float32 agrees with float64 on a composite expression (values and gradients)', () => {
  const run = (dtype: 'float64' | 'float32'): { loss: number; gx: ArrayLike<number>; gw: ArrayLike<number> } => {
    const x = randn([6, 4], { seed: 1 }).to(dtype).detach().requiresGrad_();
    const w = randn([4], { seed: 2 }).to(dtype).detach().requiresGrad_();
    const h = tanh(add(mul(x, w), 0.5)).pow(2);
    const loss = add(mean(sigmoid(sum(h, 1))), norm(sub(x, exp(w.mul(0.1)))));
    loss.backward();
    return { loss: loss.item(), gx: x.grad!.data, gw: w.grad!.data };
  };
  const a = run('float64');
  const b = run('float32');
  assertClose([b.loss], [a.loss], { rtol: 1e-5 });
  assertClose(b.gx, a.gx, { rtol: 1e-4, atol: 1e-6 });
  assertClose(b.gw, a.gw, { rtol: 1e-4, atol: 1e-6 });
});
