#!/usr/bin/env python3
"""SciPy forward timings for the engine's ops, on the same matrices as bench-ops.

Reads a JSON request on stdin: {"cases": [{"op", "n", "dtype"}], "sampleTime", "samples"}
and prints JSON records {op, pass, dtype, threads, n, nnz, median_s, min_s, max_s, mean_s,
stddev_s, samples, lib} on stdout. Single-threaded (SciPy's sparse kernels are serial;
BLAS threads are pinned to 1 by the caller's environment).
"""
import json
import sys
import time

import numpy as np
import scipy
import scipy.sparse as sp
import scipy.sparse.linalg as spla


def poisson1d(n, dtype, lower=False):
    main = np.full(n, 2.0, dtype=dtype)
    off = np.full(n - 1, -1.0, dtype=dtype)
    if lower:
        return sp.diags([off, main], [-1, 0], format="csr", dtype=dtype)
    return sp.diags([off, main, off], [-1, 0, 1], format="csr", dtype=dtype)


def measure(fn, sample_time, samples, warmup=0.05):
    calls = 0
    t0 = time.perf_counter()
    while True:
        fn()
        calls += 1
        if time.perf_counter() - t0 >= warmup or calls >= 1_000_000:
            break
    per_call = (time.perf_counter() - t0) / calls
    n_calls = max(1, round(max(per_call, sample_time) / max(per_call, 1e-9)))
    out = []
    for _ in range(samples):
        t0 = time.perf_counter()
        for _ in range(n_calls):
            fn()
        out.append((time.perf_counter() - t0) / n_calls)
    return out, n_calls


def case_fn(op, n, dtype):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(n).astype(dtype)
    if op == "sptrsv":
        L = poisson1d(n, dtype, lower=True)
        # SuperLU's C triangular solve: factor L with the natural order and no pivoting,
        # so that lu.solve does exactly one forward substitution with L (U = I scaled).
        lu = spla.splu(L.tocsc(), permc_spec="NATURAL", diag_pivot_thresh=0.0, options={"SymmetricMode": True})
        return L.nnz, lambda: lu.solve(x)
    A = poisson1d(n, dtype)
    if op == "spmv":
        return A.nnz, lambda: A @ x
    if op == "spgemm":
        return A.nnz, lambda: A @ A
    if op == "spdmm":
        D = rng.standard_normal((n, 32)).astype(dtype)
        return A.nnz, lambda: A @ D
    if op == "spadd":
        B = poisson1d(n, dtype)
        return A.nnz, lambda: 2.0 * A + (-0.5) * B
    if op == "spsolve":
        Acsc = A.tocsc()
        return A.nnz, lambda: spla.spsolve(Acsc, x)
    raise ValueError(op)


def main():
    req = json.load(sys.stdin)
    records = []
    for c in req["cases"]:
        dtype = np.float32 if c["dtype"] == "float32" else np.float64
        nnz, fn = case_fn(c["op"], c["n"], dtype)
        samples, calls = measure(fn, req.get("sampleTime", 0.01), req.get("samples", 15))
        s = sorted(samples)
        mean = sum(s) / len(s)
        sd = (sum((v - mean) ** 2 for v in s) / max(1, len(s) - 1)) ** 0.5
        records.append({
            "lib": "scipy", "version": scipy.__version__, "op": c["op"], "pass": "forward",
            "dtype": c["dtype"], "threads": 1, "n": c["n"], "nnz": int(nnz),
            "median_s": s[len(s) // 2] if len(s) % 2 else (s[len(s) // 2 - 1] + s[len(s) // 2]) / 2,
            "min_s": s[0], "max_s": s[-1], "mean_s": mean, "stddev_s": sd,
            "samples": samples, "callsPerSample": calls,
        })
    json.dump(records, sys.stdout)


if __name__ == "__main__":
    main()
