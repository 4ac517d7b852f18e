// Optimizers: a few steps against the PyTorch update rules written out here,
// convergence on small quadratics (a Tensor and a CsrMatrix parameter), and errors.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Adam, AdamW, CsrMatrix, matmul, mul, randn, SGD, sub, sum, Tensor, tensor } from '../../native/lib/index.js';
import { assertClose, randomCsr } from '../helpers.js';

/** Sets a fixed gradient on a leaf, as backward() would. */
function setGrad(p: Tensor, g: number[]): void {
  p.grad = tensor(g, { dtype: p.dtype });
}

// Gradients fed to the optimizers at steps 1, 2, 3.
const G = [
  [0.5, -1.0, 2.0],
  [0.25, 0.5, -1.5],
  [-0.75, 1.0, 0.1],
];
const P0 = [1.0, -2.0, 0.5];

describe('SGD', () => {
  test('plain: p ← p − lr g', () => {
    const p = tensor(P0, { requiresGrad: true });
    const opt = new SGD([p], { lr: 0.1 });
    setGrad(p, G[0]!);
    opt.step();
    assertClose(p.data, P0.map((v, j) => v - 0.1 * G[0]![j]!), { rtol: 1e-15 });
  });

  test('momentum, dampening, weight decay and Nesterov follow torch.optim.SGD for three steps', () => {
    for (const cfg of [
      { lr: 0.1, momentum: 0.9 },
      { lr: 0.05, momentum: 0.8, dampening: 0.3, weightDecay: 0.01 },
      { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.1 },
    ]) {
      const mu = cfg.momentum;
      const tau = cfg.dampening ?? 0;
      const wd = cfg.weightDecay ?? 0;
      const p = tensor(P0, { requiresGrad: true });
      const opt = new SGD([p], cfg);
      // Reference (torch.optim.SGD): d = g + wd p; b = d (first) or mu b + (1 − tau) d;
      // d = d + mu b (nesterov) or b; p = p − lr d.
      const ref = [...P0];
      let buf: number[] | null = null;
      for (const g of G) {
        setGrad(p, g);
        opt.step();
        const d = g.map((gj, j) => gj + wd * ref[j]!);
        buf = buf === null ? [...d] : buf.map((b, j) => mu * b + (1 - tau) * d[j]!);
        const step = cfg.nesterov ? d.map((dj, j) => dj + mu * buf![j]!) : buf;
        for (let j = 0; j < 3; j++) ref[j] = ref[j]! - cfg.lr * step[j]!;
        assertClose(p.data, ref, { rtol: 1e-14, atol: 1e-15, msg: JSON.stringify(cfg) });
      }
    }
  });

  test('first momentum step by hand: b = g, p = p − lr g', () => {
    const p = tensor([1], { requiresGrad: true });
    const opt = new SGD([p], { lr: 0.5, momentum: 0.9 });
    setGrad(p, [2]);
    opt.step(); // b = 2, p = 1 − 1 = 0
    assert.equal(p.item(), 0);
    setGrad(p, [2]);
    opt.step(); // b = 0.9·2 + 2 = 3.8, p = 0 − 1.9
    assertClose([p.item()], [-1.9], { rtol: 1e-15 });
  });
});

describe('Adam and AdamW', () => {
  /** torch.optim.Adam / AdamW for one parameter, written out. */
  function adamRef(opts: { lr: number; b1: number; b2: number; eps: number; wd: number; decoupled: boolean; amsgrad: boolean }): number[][] {
    const p = [...P0];
    const m = [0, 0, 0];
    const v = [0, 0, 0];
    const vmax = [0, 0, 0];
    const out: number[][] = [];
    G.forEach((g0, t0) => {
      const t = t0 + 1;
      for (let j = 0; j < 3; j++) {
        let g = g0[j]!;
        if (opts.decoupled) p[j] = p[j]! * (1 - opts.lr * opts.wd);
        else g = g + opts.wd * p[j]!;
        m[j] = opts.b1 * m[j]! + (1 - opts.b1) * g;
        v[j] = opts.b2 * v[j]! + (1 - opts.b2) * g * g;
        const mhat = m[j]! / (1 - opts.b1 ** t);
        vmax[j] = Math.max(vmax[j]!, v[j]!);
        const vhat = (opts.amsgrad ? vmax[j]! : v[j]!) / (1 - opts.b2 ** t);
        p[j] = p[j]! - (opts.lr * mhat) / (Math.sqrt(vhat) + opts.eps);
      }
      out.push([...p]);
    });
    return out;
  }

  const configs = [
    { name: 'Adam defaults', make: (p: Tensor) => new Adam([p]), ref: { lr: 1e-3, b1: 0.9, b2: 0.999, eps: 1e-8, wd: 0, decoupled: false, amsgrad: false } },
    {
      name: 'Adam with L2 weight decay',
      make: (p: Tensor) => new Adam([p], { lr: 0.1, betas: [0.8, 0.99], eps: 1e-6, weightDecay: 0.1 }),
      ref: { lr: 0.1, b1: 0.8, b2: 0.99, eps: 1e-6, wd: 0.1, decoupled: false, amsgrad: false },
    },
    {
      name: 'Adam amsgrad',
      make: (p: Tensor) => new Adam([p], { lr: 0.1, amsgrad: true }),
      ref: { lr: 0.1, b1: 0.9, b2: 0.999, eps: 1e-8, wd: 0, decoupled: false, amsgrad: true },
    },
    { name: 'AdamW defaults (λ = 1e-2)', make: (p: Tensor) => new AdamW([p]), ref: { lr: 1e-3, b1: 0.9, b2: 0.999, eps: 1e-8, wd: 1e-2, decoupled: true, amsgrad: false } },
    {
      name: 'AdamW decoupled decay',
      make: (p: Tensor) => new AdamW([p], { lr: 0.05, weightDecay: 0.5 }),
      ref: { lr: 0.05, b1: 0.9, b2: 0.999, eps: 1e-8, wd: 0.5, decoupled: true, amsgrad: false },
    },
  ];
  for (const c of configs) {
    test(`${c.name}: three steps follow the PyTorch update`, () => {
      const p = tensor(P0, { requiresGrad: true });
      const opt = c.make(p);
      const want = adamRef(c.ref);
      G.forEach((g, t) => {
        setGrad(p, g);
        opt.step();
        assertClose(p.data, want[t]!, { rtol: 1e-13, atol: 1e-15, msg: `${c.name} step ${t + 1}` });
      });
    });
  }

  test('Adam first step by hand: p moves by lr·sign(g) (up to ε)', () => {
    const p = tensor([1, 1], { requiresGrad: true });
    const opt = new Adam([p], { lr: 0.1 });
    setGrad(p, [3, -0.01]);
    opt.step();
    assertClose(p.data, [0.9, 1.1], { rtol: 1e-6 });
  });

  test('float32 parameters are updated in float32 and track float64', () => {
    const p64 = tensor(P0, { requiresGrad: true });
    const p32 = tensor(P0, { dtype: 'float32', requiresGrad: true });
    const o64 = new Adam([p64], { lr: 0.1 });
    const o32 = new Adam([p32], { lr: 0.1 });
    for (const g of G) {
      setGrad(p64, g);
      setGrad(p32, g);
      o64.step();
      o32.step();
    }
    assert.ok(p32.data instanceof Float32Array);
    assertClose(p32.data, p64.data, { rtol: 1e-5, atol: 1e-6 });
  });
});

describe('common behaviour', () => {
  test('params without a gradient are skipped; zeroGrad clears; lr can be set for a schedule', () => {
    const a = tensor([1, 2], { requiresGrad: true });
    const b = tensor([3, 4], { requiresGrad: true });
    const opt = new SGD([a, b], { lr: 1 });
    setGrad(a, [1, 1]);
    opt.step();
    assert.deepEqual([...a.data], [0, 1]);
    assert.deepEqual([...b.data], [3, 4]);
    opt.lr = 0.5;
    assert.equal(opt.lr, 0.5);
    opt.step();
    assert.deepEqual([...a.data], [-0.5, 0.5]);
    opt.zeroGrad();
    assert.equal(a.grad, null);
    assert.equal(b.grad, null);
    assert.throws(() => (opt.lr = -1), { message: 'SGD: expected a non-negative finite number for lr but received number -1' });
  });

  test('a CsrMatrix parameter: its values are updated in place, on its pattern', () => {
    const A = CsrMatrix.fromCoo([0, 1, 1], [1, 0, 2], [1, 2, 3], [2, 3], { requiresGrad: true });
    const pattern = A.pattern;
    const opt = new SGD([A], { lr: 0.5 });
    A.values.grad = tensor([2, 2, 2]);
    opt.step();
    assert.deepEqual([...A.values.data], [0, 1, 2]);
    assert.equal(A.pattern, pattern);
    assert.equal(opt.params[0], A.values);
  });

  test('convergence on a dense quadratic: ‖W x − y‖² over several x (SGD with momentum, Adam, AdamW λ=0)', () => {
    const X = tensor([[1, 0, 2], [0, 1, -1], [1, 1, 1], [2, -1, 0]]); // rows are samples, rank 3
    const Wtrue = tensor([[1, -2, 0.5], [0, 3, 1]]);
    const Y = matmul(X, Wtrue.T);
    const makers = [
      (p: Tensor) => new SGD([p], { lr: 0.02, momentum: 0.9 }),
      (p: Tensor) => new Adam([p], { lr: 0.05 }),
      (p: Tensor) => new AdamW([p], { lr: 0.05, weightDecay: 0 }),
    ];
    for (const make of makers) {
      const W = tensor([[0, 0, 0], [0, 0, 0]], { requiresGrad: true });
      const opt = make(W);
      for (let it = 0; it < 1500; it++) {
        opt.zeroGrad();
        const r = sub(matmul(X, W.T), Y);
        sum(mul(r, r)).backward();
        opt.step();
      }
      assertClose(W.data, Wtrue.data, { atol: 1e-3, rtol: 0, msg: opt.constructor.name });
    }
  });

  test('convergence with a CsrMatrix parameter: its gradient stays on its pattern and it recovers the target values', () => {
    const target = randomCsr(6, 5, { seed: 21, density: 0.4 });
    const A = target.withValues(new Float64Array(target.nnz), { requiresGrad: true });
    const xs = [0, 1, 2, 3, 4, 5].map((s) => randn([5], { seed: 40 + s })); // spans R⁵: the values are identifiable
    const ys = xs.map((x) => matmul(target, x));
    const opt = new Adam([A], { lr: 0.05 });
    for (let it = 0; it < 600; it++) {
      opt.zeroGrad();
      let loss: Tensor | null = null;
      xs.forEach((x, k) => {
        const r = sub(matmul(A, x), ys[k]!);
        const l = sum(mul(r, r));
        loss = loss === null ? l : loss.add(l);
      });
      loss!.backward();
      assert.equal(A.grad!.size, A.nnz); // the gradient lives on the pattern
      opt.step();
    }
    assertClose(A.values.data, target.values.data, { atol: 1e-3, rtol: 0 });
  });

  test('errors: empty list, non-leaf, duplicates, wrong types and options', () => {
    const p = tensor([1], { requiresGrad: true });
    assert.throws(() => new SGD([], { lr: 0.1 }), { message: 'SGD: the parameter list is empty' });
    assert.throws(() => new Adam([mul(p, 2)]), {
      message: 'Adam: params[0] is not a leaf (it was computed by mul); optimize the leaves it was computed from',
    });
    assert.throws(() => new AdamW([p, p]), { message: 'AdamW: params[1] appears more than once in the parameter list' });
    assert.throws(() => new SGD([[1, 2]] as never, { lr: 0.1 }), { message: 'SGD: expected a Tensor or CsrMatrix for params[0] but received array of length 2' });
    assert.throws(() => new SGD(p as never, { lr: 0.1 }), { message: 'SGD: expected an array of Tensors or CsrMatrix for params but received Tensor of shape [1] (float64)' });
    assert.throws(() => new SGD([p], {} as never), { message: 'SGD: expected a non-negative finite number for lr but received undefined' });
    assert.throws(() => new SGD([p], { lr: 0.1, nesterov: true }), {
      message: 'SGD: Nesterov momentum needs momentum > 0 and dampening 0 (got momentum 0, dampening 0)',
    });
    assert.throws(() => new Adam([p], { betas: [0.9, 1] }), { message: 'Adam: expected two numbers in [0, 1) for betas but received array of length 2' });
    assert.throws(() => new Adam([p], { eps: -1 }), { message: 'Adam: expected a non-negative finite number for eps but received number -1' });
    const opt = new SGD([p], { lr: 0.1 });
    p.grad = tensor([1, 2]);
    assert.throws(() => opt.step(), { message: 'SGD: params[0] has shape [1] (float64) but its grad has shape [2] (float64)' });
  });
});
