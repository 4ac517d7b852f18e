#!/usr/bin/env python3
"""SciPy / NumPy peer: forward passes only (SciPy has no reverse-mode autodiff).

Sparse cases are bench:ops' own (experiments/bench/scipy_ops.py: CSR products,
SuperLU's C triangular solve, SuperLU spsolve); dense counterparts are NumPy
(BLAS through NumPy's OpenBLAS) and SciPy's LAPACK wrappers. Threads: the caller
sets OPENBLAS_NUM_THREADS / OMP_NUM_THREADS; SciPy's sparse kernels are serial.
"""
from common import Absent, emit, python_version, read_request, run_cases, first_line


def blas_name(np):
    """NumPy's BLAS as NumPy reports it (e.g. "openblas 0.3.21"), or "BLAS unknown"."""
    try:
        import io
        import contextlib
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            np.show_config()
        text = buf.getvalue()
        for key in ("openblas", "mkl", "blis", "accelerate"):
            if key in text.lower():
                return f"BLAS {key}"
    except Exception:
        pass
    return "BLAS unknown"


def main():
    req = read_request()
    try:
        import numpy as np
        import scipy
        import scipy.linalg as sla
        from scipy_ops import case_fn
    except Exception as e:
        emit({"type": "info", "available": False, "name": "SciPy", "python": python_version(),
              "reason": f"SciPy is not importable by {__import__('sys').executable} ({first_line(e)})"})
        return
    emit({"type": "info", "available": True, "name": "SciPy", "version": scipy.__version__,
          "python": python_version(), "build": f"NumPy {np.__version__}, {blas_name(np)}"})
    if req.get("device", "cpu") != "cpu":
        for c in req["cases"]:
            emit({"type": "result", "key": c["key"], "status": "absent", "reason": "SciPy runs on the CPU only"})
        return
    k = req.get("spdmmCols", 32)

    def poisson_dense(n, dtype, lower=False):
        A = np.zeros((n, n), dtype=dtype)
        i = np.arange(n)
        A[i, i] = 2
        A[i[1:], i[:-1]] = -1
        if not lower:
            A[i[:-1], i[1:]] = -1
        return A

    def build(c):
        if c["pass"] != "forward":
            raise Absent("SciPy has no reverse-mode autodiff (forward passes only, as in the paper)")
        dtype = np.float32 if c["dtype"] == "float32" else np.float64
        n, op = c["n"], c["op"]
        if c["variant"] == "sparse":
            nnz, fn = case_fn(op, n, dtype)
            detail = {
                "spmv": "scipy.sparse csr @ x", "spgemm": "scipy.sparse csr @ csr", "spdmm": f"scipy.sparse csr @ ndarray (N×{k})",
                "spadd": "2·A + (−0.5)·B, scipy.sparse csr", "sptrsv": "SuperLU triangular solve (splu, natural order)",
                "spsolve": "scipy.sparse.linalg.spsolve (SuperLU)",
            }[op]
            return detail, nnz, fn
        rng = np.random.default_rng(1)
        x = rng.standard_normal(n).astype(dtype)
        if op == "sptrsv":
            L = poisson_dense(n, dtype, lower=True)
            return "scipy.linalg.solve_triangular (LAPACK trtrs)", n * n, lambda: sla.solve_triangular(L, x, lower=True, check_finite=False)
        A = poisson_dense(n, dtype)
        if op == "spmv":
            return "numpy A @ x (BLAS gemv)", n * n, lambda: A @ x
        if op == "spgemm":
            B = A.copy()
            return "numpy A @ B (BLAS gemm)", n * n, lambda: A @ B
        if op == "spdmm":
            D = rng.standard_normal((n, k)).astype(dtype)
            return f"numpy A @ D (BLAS gemm, D N×{k})", n * n, lambda: A @ D
        if op == "spadd":
            B = A.copy()
            return "numpy 2·A + (−0.5)·B", n * n, lambda: 2.0 * A + (-0.5) * B
        if op == "spsolve":
            return "numpy.linalg.solve (LAPACK gesv)", n * n, lambda: np.linalg.solve(A, x)
        raise Absent(f"unknown op {op}")

    run_cases(req, build)


if __name__ == "__main__":
    main()
