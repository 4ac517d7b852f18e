#!/usr/bin/env python3
"""CuPy / cuSPARSE forward timings for the matrices sad_core_bench times.

Run by scripts/gpu-check.sh when `import cupy` works; prints the same columns as
sad_core_bench (device "cupy"), so the two tables line up: the paper's sizes
(Table 2: SpMV, Sp+Sp, SpTRSV at N = 32768; SpSpMM, SpDMM at N = 16384) and the
sweep N = 2^10 ... 2^24 over the 1-D Poisson matrix tridiag(-1, 2, -1) and the
2-D 5-point Laplacian. Times: CUDA events around each call, median of --reps
after 3 warm-up calls.

    python3 scripts/cupy_bench.py [--min-log2n 10] [--max-log2n 24] [--max-chain-log2n 18]
                                  [--reps 50] [--quick] [--csv FILE]

SpTRSV is left out of the sweep above 2^--max-chain-log2n rows (as sad_core_bench
does): cuSPARSE's solve of a chain of N dependent rows takes seconds per call there.
"""
import argparse
import sys

import numpy as np

try:
    import cupy as cp
    import cupyx.scipy.sparse as csp
    import cupyx.scipy.sparse.linalg as cspl
except ImportError as e:  # the caller checks first; say why if run by hand
    print(f"# cupy not importable: {e}")
    sys.exit(0)


def poisson1d(n, offset=1):
    return csp.diags([-1.0, 2.0, -1.0], [-offset, 0, offset], shape=(n, n), format="csr", dtype=np.float64)


def poisson2d(g):
    t = csp.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(g, g), format="csr", dtype=np.float64)
    eye = csp.identity(g, format="csr", dtype=np.float64)
    a = csp.kron(eye, t) + csp.kron(t, eye)
    return csp.csr_matrix(a)


def median_ms(fn, reps, warmup=3):
    for _ in range(warmup):
        fn()
    cp.cuda.Device().synchronize()
    start, stop = cp.cuda.Event(), cp.cuda.Event()
    ms = []
    for _ in range(reps):
        start.record()
        fn()
        stop.record()
        stop.synchronize()
        ms.append(cp.cuda.get_elapsed_time(start, stop))
    return float(np.median(ms))


ROWS = []


def report(op, matrix, n, nnz, ms, note="", csv=None):
    print(f"{'cupy':<4} {op:<18} {matrix:<22} {n:>10} {nnz:>11} {ms:>12.4f} {'nan':>12} {'nan':>7}  {note}", flush=True)
    if csv:
        csv.write(f"cupy,{op},{matrix},{n},{nnz},{ms:.6g},nan,{note}\n")


def ops(a, name, reps, csv, full=True, m=16, max_chain=None):
    n = a.shape[0]
    x = cp.random.default_rng(1).uniform(-1, 1, n)
    v = cp.random.default_rng(2).uniform(-1, 1, n)
    report("spmv", name, n, a.nnz, median_ms(lambda: a @ x, reps), "cuSPARSE SpMV", csv)
    at = a.T.tocsr()
    report("spmv Aᵀv", name, n, a.nnz, median_ms(lambda: a.T @ v, reps), "A.T @ v (CSC view)", csv)
    report("spmv Aᵀv cached", name, n, a.nnz, median_ms(lambda: at @ v, reps), "explicit transpose", csv)
    if not full:
        return
    report("spgemm A*A", name, n, a.nnz, median_ms(lambda: a @ a, reps), "cuSPARSE SpGEMM", csv)
    b = poisson1d(n, 2)
    report("spadd A+B", name, n, a.nnz + b.nnz, median_ms(lambda: a + b, reps), "csrgeam (structure each call)", csv)
    d = cp.random.default_rng(3).uniform(-1, 1, (n, m))
    report(f"spdmm m={m}", name, n, a.nnz, median_ms(lambda: a @ d, reps), "cuSPARSE SpMM", csv)
    if max_chain is not None and n > max_chain:
        print(f"{'cupy':<4} {'sptrsv tril':<18} {name:<22} {n:>10}  "
              f"(skipped: a chain of N dependent rows is sequential; --max-chain-log2n {max_chain.bit_length() - 1})")
        return
    lo = csp.tril(a, format="csr")
    try:
        t = median_ms(lambda: cspl.spsolve_triangular(lo, x, lower=True), reps)
        report("sptrsv tril", name, n, lo.nnz, t, "spsolve_triangular", csv)
    except Exception as e:  # older CuPy without it
        report("sptrsv tril", name, n, lo.nnz, float("nan"), f"unavailable: {e}", csv)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--min-log2n", type=int, default=10)
    p.add_argument("--max-log2n", type=int, default=24)
    p.add_argument("--max-chain-log2n", type=int, default=18)
    p.add_argument("--reps", type=int, default=50)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--csv")
    args = p.parse_args()
    reps = 10 if args.quick else args.reps
    csv = open(args.csv, "w") if args.csv else None
    if csv:
        csv.write("device,op,matrix,n,nnz,fwd_ms,bwd_ms,note\n")
    dev = cp.cuda.Device()
    props = cp.cuda.runtime.getDeviceProperties(dev.id)
    print(f"# cupy {cp.__version__}, CUDA runtime {cp.cuda.runtime.runtimeGetVersion()}, "
          f"{props['name'].decode()}, {props['totalGlobalMem'] / 2**30:.1f} GiB")
    print(f"{'dev':<4} {'op':<18} {'matrix':<22} {'N':>10} {'nnz':>11} {'fwd ms':>12} {'bwd ms':>12} {'bwd/fwd':>7}  note")
    print("\n# The paper's sizes (Table 2), 1-D Poisson")
    ops(poisson1d(32768), "poisson1d", reps, csv)
    s = poisson1d(16384)
    report("spgemm A*A", "poisson1d", 16384, s.nnz, median_ms(lambda: s @ s, reps), "paper's SpSpMM size", csv)
    m = 1024 if args.quick else 16384
    d = cp.random.default_rng(4).uniform(-1, 1, (16384, m))
    report(f"spdmm m={m}", "poisson1d", 16384, s.nnz, median_ms(lambda: s @ d, reps), "paper's SpDMM size", csv)
    del d
    print(f"\n# Sweep (Figure 11): 1-D and 2-D Poisson, N = 2^{args.min_log2n} ... 2^{args.max_log2n}")
    k = args.min_log2n
    while k <= args.max_log2n:
        n = 1 << k
        ops(poisson1d(n), "poisson1d", reps, csv, max_chain=1 << args.max_chain_log2n)
        if k % 2 == 0:  # a 2-D grid of 2^k points (an odd k would repeat the size below)
            ops(poisson2d(1 << (k // 2)), "poisson2d", reps, csv, full=False)
        cp.get_default_memory_pool().free_all_blocks()
        k += 2 if k < 20 else 1
    if csv:
        csv.close()


if __name__ == "__main__":
    main()
