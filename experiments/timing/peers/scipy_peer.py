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


SOLVER_OPS = ("cholesky", "logdet", "cg")
CG_TOL = 1e-8  # experiments/timing/solver-cases.ts CG_TOL


def grid_of(n):
    """The grid of the N-unknown 2-D Poisson matrix, as solver-cases.ts gridOf: nx the largest divisor of N with nx <= sqrt(N)."""
    import math
    nx = math.isqrt(n)
    while nx > 1 and n % nx != 0:
        nx -= 1
    return nx, n // nx


def poisson2d(n, dtype):
    """kron(I_ny, T_nx) + kron(T_ny, I_nx), T the 1-D Poisson matrix: the engine's CsrMatrix.poisson2d."""
    import numpy as np
    import scipy.sparse as sp

    def t(m):
        return sp.diags([-np.ones(m - 1), 2 * np.ones(m), -np.ones(m - 1)], [-1, 0, 1]) if m > 1 else sp.identity(1) * 2
    nx, ny = grid_of(n)
    return (sp.kron(sp.identity(ny), t(nx)) + sp.kron(t(ny), sp.identity(nx))).tocsr().astype(dtype)


def solver_case(np, op, variant, n, dtype):
    """The solver rows (issue 16) on the 2-D Poisson matrix. SciPy has no sparse Cholesky (nor a sparse
    log-determinant), so its direct solver splu (SuperLU, COLAMD) stands beside ours."""
    import inspect
    import scipy.linalg as sla
    import scipy.sparse.linalg as spla
    A = poisson2d(n, dtype)
    nx, ny = grid_of(n)
    grid = f", A 2-D Poisson {nx}×{ny}"
    b = np.random.default_rng(1).standard_normal(n).astype(dtype)
    if variant == "sparse":
        if op == "cholesky":
            Acsc = A.tocsc()
            return ("scipy.sparse.linalg.splu factor + solve (SuperLU; SciPy has no sparse Cholesky)" + grid, A.nnz,
                    lambda: spla.splu(Acsc).solve(b))
        if op == "logdet":
            Acsc = A.tocsc()

            def logdet():
                lu = spla.splu(Acsc)
                return np.sum(np.log(np.abs(lu.U.diagonal())))
            return "splu factor + Σ log|U_ii| (SciPy has no sparse Cholesky or log-determinant)" + grid, A.nnz, logdet
        # SciPy 1.12 renamed cg's tol to rtol (and 1.14 removed tol).
        tol = "rtol" if "rtol" in inspect.signature(spla.cg).parameters else "tol"

        def cg():
            x, info = spla.cg(A, b, atol=0.0, **{tol: CG_TOL})
            if info != 0:
                raise RuntimeError(f"scipy.sparse.linalg.cg did not converge to {CG_TOL} (info {info})")
            return x
        return f"scipy.sparse.linalg.cg ({tol} {CG_TOL:g})" + grid, A.nnz, cg
    Ad = A.toarray()
    if op == "cholesky":
        return "scipy.linalg.cho_factor + cho_solve (LAPACK potrf/potrs)" + grid, n * n, lambda: sla.cho_solve(sla.cho_factor(Ad, check_finite=False), b, check_finite=False)
    if op == "logdet":
        return "numpy.linalg.slogdet (LAPACK getrf)" + grid, n * n, lambda: np.linalg.slogdet(Ad)
    return "numpy.linalg.solve (LAPACK gesv)" + grid, n * n, lambda: np.linalg.solve(Ad, b)


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
        if op in SOLVER_OPS:
            return solver_case(np, op, c["variant"], n, dtype)
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
