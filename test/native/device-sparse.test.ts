// Sparse ops on the device ('cuda') against the same ops on the CPU: spgemm,
// spadd, spdmm, transpose, tril/triu, diagonal, toDense, astype — forward and
// VJPs (backward from a seed gradient), float64 and float32, odd shapes; the
// product/union pattern caches; mixed-device errors; memory in a scope() loop.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CsrMatrix, deviceMemory, Generator, scope, spadd, spdmm, spgemm, type DType, type Tensor, tensor,
} from '../../native/lib/index.js';
import { devicePair, testDevice } from '../device-helpers.js';
import { assertClose, randomCsr } from '../helpers.js';

testDevice('device-sparse.test.ts');

const DTYPES = ['float64', 'float32'] as const;
const tolOf = (dtype: DType): { rtol: number; atol: number } => (dtype === 'float64' ? { rtol: 1e-12, atol: 1e-12 } : { rtol: 1e-5, atol: 1e-5 });

interface Spec {
  rows: number;
  cols: number;
  density?: number;
  emptyRows?: number[];
  seed: number;
}

function pair(s: Spec, dtype: DType): { cpu: CsrMatrix; dev: CsrMatrix } {
  return devicePair(s.rows, s.cols, dtype, s.seed, { density: s.density ?? 0.25, emptyRows: s.emptyRows });
}

/** A dense tensor pair (CPU leaf, device leaf) of one shape. */
function densePair(shape: [number, number], dtype: DType, seed: number): { cpu: Tensor; dev: Tensor } {
  const n = shape[0] * shape[1];
  const data = Array.from({ length: n }, (_, k) => Math.sin(seed + 1.3 * k));
  const cpu = tensor(data, { dtype, shape, requiresGrad: true });
  const dev = tensor(data, { dtype, shape }).to('cuda');
  dev.requiresGrad = true;
  return { cpu, dev };
}

function seedOf(n: number, dtype: DType, shape: readonly number[] = [n]): Tensor {
  return tensor(Array.from({ length: n }, (_, k) => Math.cos(0.7 * k + 0.3)), { dtype, shape: [...shape] });
}

/** Backward from the same seed on both outputs. */
function backwardBoth(cpu: Tensor, dev: Tensor): void {
  const g = seedOf(cpu.size, cpu.dtype, cpu.shape);
  cpu.backward(g);
  dev.backward(g.to('cuda'));
}

function assertSameOnDevice(dev: Tensor | null, cpu: Tensor | null, tol: { rtol: number; atol: number }, msg: string): void {
  assert.ok(dev && cpu, `${msg}: missing gradient (device ${dev !== null}, cpu ${cpu !== null})`);
  assert.equal(dev.device, 'cuda', msg);
  assert.equal(dev.dtype, cpu.dtype, msg);
  assert.deepEqual(dev.shape, cpu.shape, msg);
  assertClose(dev.toArray(), cpu.data, { ...tol, msg });
}

function assertSameMatrix(dev: CsrMatrix, cpu: CsrMatrix, tol: { rtol: number; atol: number }, msg: string): void {
  assert.equal(dev.device, 'cuda', msg);
  assert.ok(dev.pattern.equals(cpu.pattern), `${msg}: patterns differ`);
  assertSameOnDevice(dev.values, cpu.values, tol, msg);
}

// ---------------------------------------------------------------------------
// SpGEMM

const SPGEMM_CASES: [string, Spec, Spec][] = [
  ['rectangular', { rows: 37, cols: 23, seed: 1 }, { rows: 23, cols: 41, seed: 2 }],
  ['square', { rows: 60, cols: 60, density: 0.08, seed: 3 }, { rows: 60, cols: 60, density: 0.08, seed: 4 }],
  ['empty rows', { rows: 20, cols: 15, emptyRows: [0, 7, 19], seed: 5 }, { rows: 15, cols: 9, emptyRows: [3, 4], seed: 6 }],
  ['A nnz 0', { rows: 6, cols: 5, density: 0, seed: 7 }, { rows: 5, cols: 4, seed: 8 }],
  ['B nnz 0', { rows: 6, cols: 5, seed: 9 }, { rows: 5, cols: 4, density: 0, seed: 10 }],
  ['1x1', { rows: 1, cols: 1, density: 1, seed: 11 }, { rows: 1, cols: 1, density: 1, seed: 12 }],
  ['inner dimension 0', { rows: 5, cols: 0, seed: 13 }, { rows: 0, cols: 4, seed: 14 }],
  ['no rows', { rows: 0, cols: 3, seed: 15 }, { rows: 3, cols: 2, seed: 16 }],
];

test('spgemm on the device matches the CPU: product, pattern, dA and dB', () => {
  for (const dtype of DTYPES) {
    for (const [name, sa, sb] of SPGEMM_CASES) {
      const msg = `spgemm ${name} ${dtype}`;
      const A = pair(sa, dtype);
      const B = pair(sb, dtype);
      const Cd = spgemm(A.dev, B.dev); // fresh patterns: structure from the device kernel
      const Cc = spgemm(A.cpu, B.cpu);
      assert.notEqual(Cd.pattern, Cc.pattern);
      assertSameMatrix(Cd, Cc, tolOf(dtype), msg);
      assert.deepEqual(Cd.shape, [sa.rows, sb.cols]);
      backwardBoth(Cc.values, Cd.values);
      assertSameOnDevice(A.dev.grad, A.cpu.grad, tolOf(dtype), `${msg} dA`);
      assertSameOnDevice(B.dev.grad, B.cpu.grad, tolOf(dtype), `${msg} dB`);
    }
  }
});

test('spgemm caches the product pattern per pattern pair, shared by the CPU and the device', () => {
  const A = pair({ rows: 30, cols: 25, seed: 21 }, 'float64');
  const B = pair({ rows: 25, cols: 30, seed: 22 }, 'float64');
  const C1 = spgemm(A.dev, B.dev);
  const s = deviceMemory().allocations;
  const d = C1.pattern.deviceArrays(); // adopted from the kernel: no upload
  assert.equal(deviceMemory().allocations, s);
  const C2 = spgemm(A.dev, B.dev);
  assert.equal(C2.pattern, C1.pattern);
  assert.equal(C2.pattern.deviceArrays(), d);
  assert.equal(deviceMemory().allocations - s, 1, 'the numeric pass allocates the values only');
  // The numeric-only pass and the first (expand-sort-compress) product sum in different orders
  // on a GPU: equal to rounding (on the H200, 1 ulp), not bit for bit.
  assertClose(C2.values.toArray(), C1.values.toArray(), { rtol: 1e-14, atol: 1e-15 });
  // The CPU product of the same patterns finds the device's pattern, and the other way round.
  const Ch = spgemm(A.dev.detach().to('cpu'), B.dev.detach().to('cpu'));
  assert.equal(Ch.pattern, C1.pattern);
  const E = pair({ rows: 30, cols: 12, seed: 23 }, 'float64');
  const Eh = spgemm(B.cpu, E.cpu);
  const Ed = spgemm(B.cpu.detach().to('cuda'), E.cpu.detach().to('cuda'));
  assert.equal(Ed.pattern, Eh.pattern);
  assertClose(Ed.values.toArray(), Eh.values.data, { rtol: 1e-12, atol: 1e-12 });
});

// ---------------------------------------------------------------------------
// Sparse + sparse

/** B with only the entries of A's pattern that `keep` picks (a sub-pattern of A's). */
function subPattern(A: CsrMatrix, keep: (p: number) => boolean, scale: number): CsrMatrix {
  const ip = A.indptr;
  const ix = A.indices;
  const r: number[] = [];
  const c: number[] = [];
  const v: number[] = [];
  for (let i = 0; i < A.rows; i++) {
    for (let p = ip[i]!; p < ip[i + 1]!; p++) {
      if (!keep(p)) continue;
      r.push(i);
      c.push(ix[p]!);
      v.push(scale * Math.sin(p + 1));
    }
  }
  return CsrMatrix.fromCoo(r, c, v, A.shape, { dtype: A.dtype });
}

/** A CPU/device pair of leaves with M's structure and values (distinct pattern objects). */
function pairOf(M: CsrMatrix): { cpu: CsrMatrix; dev: CsrMatrix } {
  const cpu = CsrMatrix.fromCsr(M.indptr, M.indices, M.values.detach().clone(), M.shape, { requiresGrad: true });
  const v = M.values.to('cuda');
  v.requiresGrad = true;
  return { cpu, dev: CsrMatrix.fromCsr(M.indptr, M.indices, v, M.shape) };
}

test('spadd on the device matches the CPU: αA + βB and dA, dB, dα, dβ, for every kind of union', () => {
  for (const dtype of DTYPES) {
    const base = randomCsr(24, 17, { density: 0.3, emptyRows: [2, 23], seed: 31, dtype });
    const other = randomCsr(24, 17, { density: 0.3, emptyRows: [2, 5], seed: 32, dtype });
    const empty = randomCsr(24, 17, { density: 0, seed: 33, dtype });
    const cases: [string, CsrMatrix, CsrMatrix][] = [
      ['general union', base, other],
      ['B within A', base, subPattern(base, (p) => p % 3 !== 0, 2)],
      ['A within B', subPattern(base, (p) => p % 2 === 0, -1), base],
      ['equal patterns', base, subPattern(base, () => true, 0.5)],
      ['A nnz 0', empty, other],
      ['both nnz 0', empty, randomCsr(24, 17, { density: 0, seed: 34, dtype })],
      ['1x1', randomCsr(1, 1, { density: 1, seed: 35, dtype }), randomCsr(1, 1, { density: 1, seed: 36, dtype })],
      ['no rows', randomCsr(0, 5, { seed: 37, dtype }), randomCsr(0, 5, { seed: 38, dtype })],
    ];
    for (const [name, Ma, Mb] of cases) {
      for (const scalars of ['numbers', 'tensors', 'ones'] as const) {
        const msg = `spadd ${name} ${scalars} ${dtype}`;
        const A = pairOf(Ma);
        const B = pairOf(Mb);
        let opts: { cpu: Parameters<typeof spadd>[2]; dev: Parameters<typeof spadd>[2] };
        let al: { cpu: Tensor; dev: Tensor } | null = null;
        let be: { cpu: Tensor; dev: Tensor } | null = null;
        if (scalars === 'tensors') {
          al = { cpu: tensor(1.5, { dtype, requiresGrad: true }), dev: tensor(1.5, { dtype }).to('cuda') };
          be = { cpu: tensor([-0.75], { dtype, requiresGrad: true }), dev: tensor([-0.75], { dtype }).to('cuda') };
          al.dev.requiresGrad = true;
          be.dev.requiresGrad = true;
          opts = { cpu: { alpha: al.cpu, beta: be.cpu }, dev: { alpha: al.dev, beta: be.dev } };
        } else if (scalars === 'numbers') {
          opts = { cpu: { alpha: 2, beta: -0.5 }, dev: { alpha: 2, beta: -0.5 } };
        } else {
          opts = { cpu: {}, dev: {} };
        }
        const Cd = spadd(A.dev, B.dev, opts.dev);
        const Cc = spadd(A.cpu, B.cpu, opts.cpu);
        assertSameMatrix(Cd, Cc, tolOf(dtype), msg);
        backwardBoth(Cc.values, Cd.values);
        assertSameOnDevice(A.dev.grad, A.cpu.grad, tolOf(dtype), `${msg} dA`);
        assertSameOnDevice(B.dev.grad, B.cpu.grad, tolOf(dtype), `${msg} dB`);
        if (al && be) {
          assertSameOnDevice(al.dev.grad, al.cpu.grad, tolOf(dtype), `${msg} dα`);
          assertSameOnDevice(be.dev.grad, be.cpu.grad, tolOf(dtype), `${msg} dβ`);
          assert.deepEqual(be.dev.grad!.shape, [1]);
        }
      }
    }
    // One pattern object on both sides: C shares it, V is both gradients.
    const A = pairOf(base);
    const Cd = spadd(A.dev, A.dev);
    const Cc = spadd(A.cpu, A.cpu);
    assert.equal(Cd.pattern, A.dev.pattern);
    assertSameMatrix(Cd, Cc, tolOf(dtype), `spadd A + A ${dtype}`);
    backwardBoth(Cc.values, Cd.values);
    assertSameOnDevice(A.dev.grad, A.cpu.grad, tolOf(dtype), `spadd A + A ${dtype} dA`);
  }
});

test('spadd caches the union per pattern pair: the second call shares C\'s pattern and allocates its values only', () => {
  const A = pairOf(randomCsr(40, 30, { density: 0.2, seed: 41 }));
  const B = pairOf(randomCsr(40, 30, { density: 0.2, seed: 42 }));
  const C1 = spadd(A.dev, B.dev, { alpha: 3 });
  const s = deviceMemory().allocations;
  C1.pattern.deviceArrays();
  const C2 = spadd(A.dev, B.dev, { beta: 2 });
  assert.equal(C2.pattern, C1.pattern);
  assert.equal(deviceMemory().allocations - s, 1);
  // The CPU sum of the same patterns shares the device's union pattern.
  const Ch = spadd(A.dev.detach().to('cpu'), B.dev.detach().to('cpu'), { beta: 2 });
  assert.equal(Ch.pattern, C1.pattern);
  assertClose(C2.values.toArray(), Ch.values.data, { rtol: 1e-12, atol: 1e-12 });
});

// ---------------------------------------------------------------------------
// SpDMM

test('spdmm on the device matches the CPU: A D, dA and dD', () => {
  for (const dtype of DTYPES) {
    const cases: [string, Spec, number][] = [
      ['rectangular', { rows: 37, cols: 23, seed: 51 }, 5],
      ['square, one column', { rows: 40, cols: 40, density: 0.1, seed: 52 }, 1],
      ['wide D', { rows: 9, cols: 12, seed: 53 }, 70],
      ['empty rows', { rows: 20, cols: 10, emptyRows: [0, 3, 19], seed: 54 }, 3],
      ['nnz 0', { rows: 8, cols: 6, density: 0, seed: 55 }, 4],
      ['1x1', { rows: 1, cols: 1, density: 1, seed: 56 }, 1],
      ['no rows', { rows: 0, cols: 4, seed: 57 }, 3],
      ['no columns', { rows: 4, cols: 0, seed: 58 }, 3],
    ];
    for (const [name, s, m] of cases) {
      const msg = `spdmm ${name} ${dtype}`;
      const A = pair(s, dtype);
      const D = densePair([s.cols, m], dtype, s.seed);
      const Cd = spdmm(A.dev, D.dev);
      const Cc = spdmm(A.cpu, D.cpu);
      assertSameOnDevice(Cd, Cc, tolOf(dtype), msg);
      backwardBoth(Cc, Cd);
      assertSameOnDevice(A.dev.grad, A.cpu.grad, tolOf(dtype), `${msg} dA`);
      assertSameOnDevice(D.dev.grad, D.cpu.grad, tolOf(dtype), `${msg} dD`);
    }
  }
});

// ---------------------------------------------------------------------------
// Structural ops

const STRUCT_CASES: [string, Spec][] = [
  ['rectangular', { rows: 23, cols: 31, seed: 61 }],
  ['square with empty rows', { rows: 30, cols: 30, emptyRows: [0, 4, 29], seed: 62 }],
  ['nnz 0', { rows: 5, cols: 7, density: 0, seed: 63 }],
  ['1x1', { rows: 1, cols: 1, density: 1, seed: 64 }],
  ['no rows', { rows: 0, cols: 3, seed: 65 }],
];

test('transpose on the device matches the CPU, forward and VJP; Aᵀᵀ has A\'s pattern', () => {
  for (const dtype of DTYPES) {
    for (const [name, s] of STRUCT_CASES) {
      const msg = `transpose ${name} ${dtype}`;
      const A = pair(s, dtype);
      const Td = A.dev.transpose(); // a fresh pattern: structure from the device kernel
      const Tc = A.cpu.transpose();
      assertSameMatrix(Td, Tc, tolOf(dtype), msg);
      assert.deepEqual(Td.shape, [s.cols, s.rows]);
      assert.equal(Td.transpose().pattern, A.dev.pattern, `${msg}: transposing back`);
      // The device-made structure also serves the CPU path (one pattern object).
      assert.equal(Td.detach().to('cpu').transpose().pattern, A.dev.pattern);
      assert.equal(A.dev.detach().to('cpu').transpose().pattern, Td.pattern);
      backwardBoth(Tc.values, Td.values);
      assertSameOnDevice(A.dev.grad, A.cpu.grad, tolOf(dtype), `${msg} dA`);
    }
  }
  // A transpose first made on the CPU is uploaded, not recomputed.
  const M = randomCsr(12, 9, { seed: 66 });
  const Th = M.transpose();
  const Td = M.to('cuda').transpose();
  assert.equal(Td.pattern, Th.pattern);
  assertClose(Td.values.toArray(), Th.values.data, { rtol: 0, atol: 0 });
});

test('tril, triu and diagonal on the device match the CPU, forward and VJP', () => {
  for (const dtype of DTYPES) {
    for (const [name, s] of STRUCT_CASES) {
      for (const k of [0, 1, -2, 40, -40]) {
        for (const which of ['tril', 'triu', 'diagonal'] as const) {
          const msg = `${which}(${k}) ${name} ${dtype}`;
          const A = pair(s, dtype);
          if (which === 'diagonal') {
            const dd = A.dev.diagonal(k);
            const dc = A.cpu.diagonal(k);
            assertSameOnDevice(dd, dc, tolOf(dtype), msg);
            if (dc.size === 0) continue; // nothing to differentiate
            backwardBoth(dc, dd);
          } else {
            const Bd = A.dev[which](k);
            const Bc = A.cpu[which](k);
            assertSameMatrix(Bd, Bc, tolOf(dtype), msg);
            assert.equal(Bd.pattern, A.dev[which](k).pattern, `${msg}: cached`);
            if (Bc.nnz === 0) continue;
            backwardBoth(Bc.values, Bd.values);
          }
          assertSameOnDevice(A.dev.grad, A.cpu.grad, tolOf(dtype), `${msg} dA`);
        }
      }
    }
  }
});

test('toDense on the device matches the CPU, forward and VJP; too large a dense copy is refused', () => {
  for (const dtype of DTYPES) {
    for (const [name, s] of STRUCT_CASES) {
      const msg = `toDense ${name} ${dtype}`;
      const A = pair(s, dtype);
      const Dd = A.dev.toDense();
      const Dc = A.cpu.toDense();
      assertSameOnDevice(Dd, Dc, tolOf(dtype), msg); // zeros where nothing is stored (fresh device memory is not)
      if (Dc.size === 0) continue;
      backwardBoth(Dc, Dd);
      assertSameOnDevice(A.dev.grad, A.cpu.grad, tolOf(dtype), `${msg} dA`);
    }
  }
  // One path on both devices: the same 32-bit scatter positions, the same refusal.
  const big = CsrMatrix.fromCsr(new Int32Array(65537), [], [], [65536, 65536]);
  const tooBig = { message: "toDense: a [65536, 65536] matrix has 4294967296 entries, more than the scatter's 32-bit positions reach" };
  assert.throws(() => big.to('cuda').toDense(), tooBig);
  assert.throws(() => big.toDense(), tooBig);
});

test('astype on the device converts the values (differentiably)', () => {
  const A = pair({ rows: 9, cols: 7, seed: 71 }, 'float64');
  const Bd = A.dev.astype('float32');
  assert.equal(Bd.device, 'cuda');
  const Bc = A.cpu.astype('float32');
  assert.equal(Bd.pattern, A.dev.pattern);
  assertSameMatrix(Bd, Bc, tolOf('float32'), 'astype');
  backwardBoth(Bc.values, Bd.values);
  assertSameOnDevice(A.dev.grad, A.cpu.grad, tolOf('float32'), 'astype dA');
  assert.equal(A.dev.astype('float64'), A.dev);
});

// ---------------------------------------------------------------------------
// Errors

test('operands on different devices are refused by name', () => {
  const A = randomCsr(4, 4, { seed: 81 });
  const Ad = A.to('cuda');
  assert.throws(() => spgemm(A, Ad), { message: 'spgemm: mixed devices: A is on cpu but B is on cuda' });
  assert.throws(() => spgemm(Ad, A), { message: 'spgemm: mixed devices: A is on cuda but B is on cpu' });
  assert.throws(() => spadd(Ad, A), { message: 'spadd: mixed devices: A is on cuda but B is on cpu' });
  assert.throws(() => spadd(Ad, Ad, { alpha: tensor(2) }), { message: 'spadd: mixed devices: A is on cuda but alpha is on cpu' });
  assert.throws(() => spadd(A, A, { beta: tensor(2).to('cuda') }), { message: 'spadd: mixed devices: A is on cpu but beta is on cuda' });
  const D = tensor(Array.from({ length: 8 }, (_, k) => k), { shape: [4, 2] });
  assert.throws(() => spdmm(Ad, D), { message: 'spdmm: mixed devices: A is on cuda but D is on cpu' });
  assert.throws(() => spdmm(A, D.to('cuda')), { message: 'spdmm: mixed devices: A is on cpu but D is on cuda' });
  // kron and diags: test/native/device-structure.test.ts
});

// ---------------------------------------------------------------------------
// Memory

test('a device training step (PCG-style L Lᵀ, spadd, spdmm, structural ops) in scope() leaves device memory flat', () => {
  const n = 40;
  const L = randomCsr(n, n, { density: 0.1, diagonal: 2, seed: 91 }).tril().to('cuda');
  L.values.requiresGrad = true;
  const I = CsrMatrix.eye(n).to('cuda');
  const X = tensor(Array.from({ length: n * 3 }, (_, k) => Math.sin(k)), { shape: [n, 3] }).to('cuda');
  const alpha = tensor(0.5).to('cuda');
  alpha.requiresGrad = true;
  const step = (): void => scope(() => {
    const M = spadd(spgemm(L, L.transpose()), I, { alpha, beta: 1e-3 });
    const Y = spdmm(M.triu(), X);
    // The loss is summed on the CPU (the dense device ops are not this file's subject).
    const y = Y.to('cpu');
    const loss = y.mul(y).sum().add(M.diagonal().to('cpu').sum()).add(M.toDense().to('cpu').sum());
    loss.backward();
  });
  step(); // first call: structure computed and cached on the patterns
  const g1 = L.values.grad!.toArray();
  L.values.zeroGrad();
  alpha.zeroGrad();
  const live = deviceMemory().liveBytes;
  for (let k = 0; k < 20; k++) {
    step();
    L.values.zeroGrad();
    alpha.zeroGrad();
  }
  assert.equal(deviceMemory().liveBytes, live);
  step();
  assertClose(L.values.grad!.toArray(), g1, { rtol: 1e-12, atol: 1e-12 });
});

test('fromCoo and fromDense take device values: the matrix lives on the device, equal to the CPU one, and gradients reach the device values', () => {
  for (const dtype of ['float64', 'float32'] as const) {
    // 60 entries (past fromCoo's JavaScript threshold), a third of them repeating an earlier (row, col).
    const gen = new Generator(7);
    const n = 60;
    const rows = new Int32Array(n);
    const cols = new Int32Array(n);
    for (let k = 0; k < n; k++) {
      rows[k] = k % 3 === 2 ? rows[k - 1]! : Math.floor(gen.uniform() * 12);
      cols[k] = k % 3 === 2 ? cols[k - 1]! : Math.floor(gen.uniform() * 9);
    }
    const vals = Float64Array.from({ length: n }, () => gen.normal());
    const w = Float64Array.from({ length: n }, () => gen.normal()); // a weight per stored entry (at most n)
    for (const dup of [true, false]) {
      const r = dup ? rows : Int32Array.from({ length: n }, (_, k) => k % 12);
      const c = dup ? cols : Int32Array.from({ length: n }, (_, k) => Math.floor(k / 12));
      const vc = tensor(vals, { dtype, requiresGrad: true });
      const vd = tensor(vals, { dtype }).to('cuda');
      vd.requiresGrad = true;
      const Ac = CsrMatrix.fromCoo(r, c, vc, [12, 9]);
      const Ad = CsrMatrix.fromCoo(r, c, vd, [12, 9]);
      assert.equal(Ad.device, 'cuda');
      assert.deepEqual(Ad.pattern.indptr, Ac.pattern.indptr);
      assert.deepEqual(Ad.pattern.indices, Ac.pattern.indices);
      assert.deepEqual(Ad.values.toArray(), Ac.values.toArray(), `${dtype} values, duplicates: ${dup}`);
      const weight = (A: CsrMatrix): Tensor => tensor(w.subarray(0, A.nnz), { dtype }).to(A.device);
      Ac.values.mul(weight(Ac)).sum().backward();
      Ad.values.mul(weight(Ad)).sum().backward();
      assert.equal(vd.grad!.device, 'cuda');
      assert.deepEqual(vd.grad!.toArray(), vc.grad!.toArray(), `${dtype} gradient, duplicates: ${dup}`);
    }
    // A device leaf made from plain values under requiresGrad stays a leaf on the device.
    const leaf = CsrMatrix.fromCoo([0, 1], [1, 0], tensor([2, 3], { dtype }).to('cuda'), [2, 2], { requiresGrad: true });
    assert.equal(leaf.values.device, 'cuda');
    assert.equal(leaf.values.requiresGrad, true);
    assert.equal(leaf.values.isLeaf, true);

    const dense = [[0, 1.5, 0, -2], [0, 0, 0, 0], [3, 0, NaN, 0]];
    const Dc = tensor(dense, { dtype, requiresGrad: true });
    const Dd = tensor(dense, { dtype }).to('cuda');
    Dd.requiresGrad = true;
    const Bc = CsrMatrix.fromDense(Dc);
    const Bd = CsrMatrix.fromDense(Dd);
    assert.equal(Bd.device, 'cuda');
    assert.deepEqual(Bd.pattern.indices, Bc.pattern.indices);
    assert.deepEqual(Bd.values.toArray(), Bc.values.toArray());
    const wd = (B: CsrMatrix): Tensor => tensor([1, 2, 3, 4], { dtype }).to(B.device);
    Bc.values.mul(wd(Bc)).sum().backward();
    Bd.values.mul(wd(Bd)).sum().backward();
    assert.equal(Dd.grad!.device, 'cuda');
    assert.deepEqual(Dd.grad!.toArray(), Dc.grad!.toArray());
    // Hand-worked: the weights land at the stored positions, zeros elsewhere.
    assert.deepEqual(Array.from(Dc.grad!.toArray()), [0, 1, 0, 2, 0, 0, 0, 0, 3, 0, 4, 0]);
  }
});
