// The engine's ops on the 1-D Poisson matrix (2 on the diagonal, −1 off), as
// the paper's Table 2 times them: each op's forward, and forward+backward.
import {
  CsrMatrix, type Device, type DType, keep, Tensor, noGrad, randn, scope, spadd, spdmm, spgemm, spmv, spsolve, sptrsv, synchronize, tensor,
} from '../../native/lib/index.js';

export const OPS = ['spmv', 'spgemm', 'spdmm', 'spadd', 'sptrsv', 'spsolve'] as const;
export type OpName = (typeof OPS)[number];
export type Pass = 'forward' | 'forward+backward';

/** The paper's sizes (Table 2). */
export const PAPER_SIZES: Record<OpName, number> = {
  spmv: 32768, spgemm: 16384, spdmm: 16384, spadd: 32768, sptrsv: 32768, spsolve: 32768,
};

/** Columns of the dense operand of SpDMM. */
export const SPDMM_COLS = 32;

/** 1-D Poisson (2 on the diagonal, −1 off), or its lower triangle for SpTRSV. */
export function poisson1d(n: number, dtype: DType, part: 'full' | 'lower' = 'full'): CsrMatrix {
  const A = CsrMatrix.poisson1d(n, { dtype });
  return part === 'lower' ? A.tril() : A;
}

export interface OpCase {
  /** Nonzeros of the sparse operand. */
  nnz: number;
  run(pass: Pass): () => void;
  /**
   * One training step's worth of autograd through a sum() loss: gradients
   * reset, the forward on operands that require grad, .sum(), backward() —
   * what issue #15's forward+backward bar times against run('forward').
   */
  sumLoss(): () => void;
}

function leaf(A: CsrMatrix): CsrMatrix {
  const values = A.values.detach();
  if (A.device !== 'cpu') keep(values);
  return A.withValues(values, { requiresGrad: true });
}

function seedLike(t: Tensor): Tensor {
  const s = tensor(new (t.dtype === 'float64' ? Float64Array : Float32Array)(t.size).fill(1), { shape: t.shape });
  return t.device === 'cpu' ? s : keep(s.to(t.device));
}

/** Builds the inputs of one op at size n, and returns closures that run one call. */
export function makeCase(op: OpName, n: number, dtype: DType, device: Device = 'cpu'): OpCase {
  if (device === 'cpu') {
    // Each call in a scope: its outputs (and the gradients it leaves, which the
    // next call resets) go back to the buffer pool at once, as a training loop's
    // step in the lab does and as the peers' temporaries are freed by reference
    // counting; without it each call's outputs are cold memory V8 frees at GC.
    const c = makeHostCase(op, n, dtype);
    return { nnz: c.nnz, run: (pass) => { const call = c.run(pass); return () => scope(call); }, sumLoss: () => { const call = c.sumLoss(); return () => scope(call); } };
  }
  // On the device: inputs moved once; each call in a scope (its outputs freed
  // at once, as a training loop would) and synchronised, so a timing covers the
  // kernels' completion and not just their launch.
  const c = noGrad(() => makeHostCase(op, n, dtype, device));
  return {
    nnz: c.nnz,
    run: (pass) => {
      const call = c.run(pass);
      return () => {
        scope(call);
        synchronize();
      };
    },
    sumLoss: () => {
      const call = c.sumLoss();
      return () => {
        scope(call);
        synchronize();
      };
    },
  };
}

function makeHostCase(op: OpName, n: number, dtype: DType, device: Device = 'cpu'): OpCase {
  const on = <T extends Tensor | CsrMatrix>(t: T): T => (device === 'cpu' ? t : keep(t.to(device) as T));
  const A = on(op === 'sptrsv' ? poisson1d(n, dtype, 'lower') : poisson1d(n, dtype));
  const x = on(randn([n], { dtype, seed: 1 }));
  const Ag = leaf(A);
  const xg = x.detach().requiresGrad_();
  // Gradients reset each call, their memory freed (as PyTorch's zero_grad() with
  // set_to_none gives it back to its allocator): on the CPU it goes to the pool.
  const reset = (...ts: Tensor[]): void => {
    for (const t of ts) {
      t.grad?.dispose();
      t.zeroGrad();
    }
  };
  const clear = (): void => reset(Ag.values, xg);
  switch (op) {
    case 'spmv': {
      const seed = seedLike(x);
      return {
        nnz: A.nnz,
        run: (pass) => (pass === 'forward' ? () => void noGrad(() => spmv(A, x)) : () => { clear(); spmv(Ag, xg).backward(seed); }),
        sumLoss: () => () => { clear(); spmv(Ag, xg).sum().backward(); },
      };
    }
    case 'sptrsv': {
      const seed = seedLike(x);
      return {
        nnz: A.nnz,
        run: (pass) => (pass === 'forward'
          ? () => void noGrad(() => sptrsv(A, x, { lower: true }))
          : () => { clear(); sptrsv(Ag, xg, { lower: true }).backward(seed); }),
        sumLoss: () => () => { clear(); sptrsv(Ag, xg, { lower: true }).sum().backward(); },
      };
    }
    case 'spsolve': {
      const seed = seedLike(x);
      return {
        nnz: A.nnz,
        run: (pass) => (pass === 'forward' ? () => void noGrad(() => spsolve(A, x)) : () => { clear(); spsolve(Ag, xg).backward(seed); }),
        sumLoss: () => () => { clear(); spsolve(Ag, xg).sum().backward(); },
      };
    }
    case 'spdmm': {
      const D = on(randn([n, SPDMM_COLS], { dtype, seed: 2 }));
      const Dg = D.detach().requiresGrad_();
      const seed = seedLike(D);
      return {
        nnz: A.nnz,
        run: (pass) => (pass === 'forward'
          ? () => void noGrad(() => spdmm(A, D))
          : () => { clear(); reset(Dg); spdmm(Ag, Dg).backward(seed); }),
        sumLoss: () => () => { clear(); reset(Dg); spdmm(Ag, Dg).sum().backward(); },
      };
    }
    case 'spgemm': {
      const Bg = leaf(A);
      const C = noGrad(() => spgemm(A, A));
      const seed = seedLike(C.values);
      return {
        nnz: A.nnz,
        run: (pass) => (pass === 'forward'
          ? () => void noGrad(() => spgemm(A, A))
          : () => { clear(); reset(Bg.values); spgemm(Ag, Bg).values.backward(seed); }),
        sumLoss: () => () => { clear(); reset(Bg.values); spgemm(Ag, Bg).values.sum().backward(); },
      };
    }
    case 'spadd': {
      const Bg = leaf(A);
      const C = noGrad(() => spadd(A, A, { alpha: 2, beta: -0.5 }));
      const seed = seedLike(C.values);
      return {
        nnz: A.nnz,
        run: (pass) => (pass === 'forward'
          ? () => void noGrad(() => spadd(A, A, { alpha: 2, beta: -0.5 }))
          : () => { clear(); reset(Bg.values); spadd(Ag, Bg, { alpha: 2, beta: -0.5 }).values.backward(seed); }),
        sumLoss: () => () => { clear(); reset(Bg.values); spadd(Ag, Bg, { alpha: 2, beta: -0.5 }).values.sum().backward(); },
      };
    }
  }
}
