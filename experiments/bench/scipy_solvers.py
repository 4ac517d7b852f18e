#!/usr/bin/env python3
"""SciPy peers for bench-solvers: splu factor + solve on MatrixMarket files, and cg on a 2-D
Poisson matrix. Reads {"files": [path], "cg": {"nx", "tol"}, "minTime": s} on stdin and prints
JSON {"scipy": version, "splu": {path: {"median_s", "min_s", "runs"}}, "cg": {...}} on stdout.
SciPy has no sparse Cholesky of its own, so splu (SuperLU, COLAMD ordering) is its direct solver.
"""
import json
import sys
import time

import numpy as np
import scipy
import scipy.io
import scipy.sparse as sp
import scipy.sparse.linalg as spla


def timed(fn, min_time):
    runs = []
    start = time.perf_counter()
    while len(runs) < 3 or (time.perf_counter() - start < min_time and len(runs) < 200):
        t0 = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t0)
    return {"median_s": float(np.median(runs)), "min_s": float(min(runs)), "runs": len(runs)}


def poisson2d(nx):
    T = sp.diags([-np.ones(nx - 1), 2 * np.ones(nx), -np.ones(nx - 1)], [-1, 0, 1])
    I = sp.identity(nx)
    return (sp.kron(I, T) + sp.kron(T, I)).tocsr()


def main():
    req = json.load(sys.stdin)
    min_time = req.get("minTime", 0.5)
    out = {"scipy": scipy.__version__, "splu": {}, "cg": None}
    for path in req.get("files", []):
        A = scipy.io.mmread(path).tocsc().astype(np.float64)
        b = np.random.default_rng(5).standard_normal(A.shape[0])
        out["splu"][path] = timed(lambda: spla.splu(A).solve(b), min_time)
    if req.get("cg"):
        nx, tol = req["cg"]["nx"], req["cg"]["tol"]
        A = poisson2d(nx)
        b = np.random.default_rng(5).standard_normal(A.shape[0])
        iters = [0]

        def run():
            iters[0] = 0

            def cb(_):
                iters[0] += 1
            kw = {"rtol": tol} if tuple(int(x) for x in scipy.__version__.split(".")[:2]) >= (1, 12) else {"tol": tol}
            spla.cg(A, b, atol=0.0, maxiter=100000, callback=cb, **kw)
        out["cg"] = timed(run, min_time)
        out["cg"]["iterations"] = iters[0]
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
