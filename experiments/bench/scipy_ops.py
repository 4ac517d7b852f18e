#!/usr/bin/env python3
"""SciPy forward timings for the engine's ops, on the same matrices as bench-ops.

Reads a JSON request on stdin: {"cases": [{"op", "n", "dtype"}], "timing": {sampleTime,
samples, warmupTime, maxTime}} (bench-ops' own MeasureOptions) and prints JSON records
{op, pass, dtype, threads, n, nnz, median_s, min_s, max_s, mean_s, stddev_s, samples,
callsPerSample, lib} on stdout, measured by the timing peers' measure (which mirrors
measure.ts), so both columns are timed alike. Single-threaded (SciPy's sparse kernels are
serial; BLAS threads are pinned to 1 by the caller's environment).
"""
import json
import os
import sys

import numpy as np
import scipy
import scipy.sparse as sp
import scipy.sparse.linalg as spla

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "timing", "peers"))
from common import measure  # noqa: E402


def poisson1d(n, dtype, lower=False):
    main = np.full(n, 2.0, dtype=dtype)
    off = np.full(n - 1, -1.0, dtype=dtype)
    if lower:
        return sp.diags([off, main], [-1, 0], format="csr", dtype=dtype)
    return sp.diags([off, main, off], [-1, 0, 1], format="csr", dtype=dtype)


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
        records.append({
            "lib": "scipy", "version": scipy.__version__, "op": c["op"], "pass": "forward",
            "dtype": c["dtype"], "threads": 1, "n": c["n"], "nnz": int(nnz),
            **measure(fn, req.get("timing", {})),
        })
    json.dump(records, sys.stdout)


if __name__ == "__main__":
    main()
