#!/usr/bin/env python3
"""CuPy peer (GPU): forward passes, as in the paper (CuPy has no autodiff).

Sparse: cupyx.scipy.sparse CSR products and sums, cupyx.scipy.sparse.linalg
spsolve_triangular and spsolve; dense: cupy matmul / add, cupyx.scipy.linalg
solve_triangular, cupy.linalg.solve. Each batch of calls ends with a device
synchronize so the times are the GPU's, not the launch queue's.
"""
from common import Absent, emit, first_line, python_version, read_request, run_cases


def main():
    req = read_request()
    try:
        import cupy as cp
        import cupyx.scipy.sparse as csp
        import cupyx.scipy.sparse.linalg as cspla
        import cupyx.scipy.linalg as cla
    except Exception as e:
        emit({"type": "info", "available": False, "name": "CuPy", "python": python_version(),
              "reason": f"CuPy is not importable by {__import__('sys').executable} ({first_line(e)})"})
        return
    try:
        count = cp.cuda.runtime.getDeviceCount()
    except Exception as e:
        count = 0
        why = first_line(e)
    else:
        why = "getDeviceCount() = 0"
    if count == 0:
        emit({"type": "info", "available": False, "name": "CuPy", "version": cp.__version__, "python": python_version(),
              "reason": f"CuPy has no CUDA device ({why})"})
        return
    props = cp.cuda.runtime.getDeviceProperties(0)
    name = props["name"].decode() if isinstance(props["name"], bytes) else str(props["name"])
    emit({"type": "info", "available": True, "name": "CuPy", "version": cp.__version__, "python": python_version(), "device": name})
    k = req.get("spdmmCols", 32)
    sync = cp.cuda.Device().synchronize

    def poisson(n, dtype, lower=False):
        main_d = cp.full(n, 2.0, dtype=dtype)
        off = cp.full(n - 1, -1.0, dtype=dtype)
        if lower:
            return csp.diags([off, main_d], [-1, 0], format="csr", dtype=dtype)
        return csp.diags([off, main_d, off], [-1, 0, 1], format="csr", dtype=dtype)

    def build(c):
        if c["pass"] != "forward":
            raise Absent("CuPy has no reverse-mode autodiff (forward passes only, as in the paper)")
        dtype = cp.float32 if c["dtype"] == "float32" else cp.float64
        n, op = c["n"], c["op"]
        if op in ("cholesky", "logdet", "cg"):
            raise Absent("not timed: this peer does not time the solver rows (issue 16) yet")
        x = cp.random.default_rng(1).standard_normal(n).astype(dtype)
        A = poisson(n, dtype, lower=(op == "sptrsv"))
        if c["variant"] == "sparse":
            if op == "spmv":
                return "cupyx csr @ x (cuSPARSE)", A.nnz, lambda: A @ x
            if op == "spgemm":
                return "cupyx csr @ csr (cuSPARSE)", A.nnz, lambda: A @ A
            if op == "spdmm":
                D = cp.random.default_rng(2).standard_normal((n, k)).astype(dtype)
                return f"cupyx csr @ D (N×{k})", A.nnz, lambda: A @ D
            if op == "spadd":
                return "cupyx 2·A + (−0.5)·B", A.nnz, lambda: 2.0 * A + (-0.5) * A
            if op == "sptrsv":
                return "cupyx spsolve_triangular", A.nnz, lambda: cspla.spsolve_triangular(A, x, lower=True)
            if op == "spsolve":
                return "cupyx spsolve", A.nnz, lambda: cspla.spsolve(A, x)
        else:
            Ad = A.toarray()
            if op == "spmv":
                return "cupy A @ x (dense)", n * n, lambda: Ad @ x
            if op == "spgemm":
                Bd = Ad.copy()
                return "cupy A @ B (dense)", n * n, lambda: Ad @ Bd
            if op == "spdmm":
                D = cp.random.default_rng(2).standard_normal((n, k)).astype(dtype)
                return f"cupy A @ D (dense, D N×{k})", n * n, lambda: Ad @ D
            if op == "spadd":
                Bd = Ad.copy()
                return "cupy 2·A + (−0.5)·B (dense)", n * n, lambda: 2.0 * Ad + (-0.5) * Bd
            if op == "sptrsv":
                return "cupyx.scipy.linalg.solve_triangular", n * n, lambda: cla.solve_triangular(Ad, x, lower=True)
            if op == "spsolve":
                return "cupy.linalg.solve", n * n, lambda: cp.linalg.solve(Ad, x)
        raise Absent(f"unknown op {op}")

    run_cases(req, build, sync)


if __name__ == "__main__":
    main()
