#!/usr/bin/env python3
"""PyTorch peer: dense ops forward and forward+backward (the paper's dense rows),
and torch.sparse where it works in this build (CSR tried first, then COO; a
layout whose gradient w.r.t. the sparse operand comes back dense is not used
for forward+backward). What torch cannot do is reported absent with its error.
"""
import math
import time
import warnings

from common import Absent, emit, first_line, python_version, read_request, run_cases

warnings.filterwarnings("ignore")


def torch_build(torch):
    """BLAS and MKL of this torch build, from torch.__config__.show()."""
    try:
        text = torch.__config__.show()
        blas = next((part.split("=", 1)[1] for part in text.replace(",", " ").split() if part.startswith("BLAS_INFO=")), "unknown")
        mkl = "with MKL" if torch.backends.mkl.is_available() else "without MKL"
        return f"BLAS {blas}, {mkl}"
    except Exception as e:  # only descriptive
        return f"build unknown ({first_line(e)})"


def main():
    req = read_request()
    try:
        import torch
    except Exception as e:
        emit({"type": "info", "available": False, "name": "PyTorch", "python": python_version(),
              "reason": f"PyTorch is not importable by {__import__('sys').executable} ({first_line(e)})"})
        return
    device = req.get("device", "cpu")
    info = {"type": "info", "available": True, "name": "PyTorch", "version": torch.__version__, "python": python_version(),
            "build": torch_build(torch)}
    if device == "cuda":
        if not torch.cuda.is_available():
            why = "built without CUDA" if torch.version.cuda is None else "no CUDA device visible"
            info.update(available=False, reason=f"torch.cuda.is_available() is False (torch {torch.__version__}: {why})")
            emit(info)
            return
        info["device"] = torch.cuda.get_device_name(0)
    else:
        torch.set_num_threads(max(1, int(req.get("threads", 1))))
    emit(info)
    dev = torch.device(device)
    sync = torch.cuda.synchronize if device == "cuda" else None
    k = req.get("spdmmCols", 32)
    gen = torch.Generator().manual_seed(1)

    def poisson(n, dtype, lower=False):
        i = torch.arange(n)
        rows = [i, i[1:]] + ([] if lower else [i[:-1]])
        cols = [i, i[:-1]] + ([] if lower else [i[1:]])
        vals = [torch.full((n,), 2.0), torch.full((n - 1,), -1.0)] + ([] if lower else [torch.full((n - 1,), -1.0)])
        coo = torch.sparse_coo_tensor(torch.stack([torch.cat(rows), torch.cat(cols)]), torch.cat(vals), (n, n))
        return coo.coalesce().to(dtype=dtype, device=dev)

    def leaf(t):
        t = t.detach().clone()
        t.requires_grad_(True)
        return t

    def timed_fn(f, inputs, backward):
        """One call: forward under no_grad, or forward + backward with a ones seed."""
        if not backward:
            def fwd():
                with torch.no_grad():
                    f(*inputs)
            return fwd
        leaves = [leaf(t) for t in inputs]

        def fb():
            for t in leaves:
                t.grad = None
            out = f(*leaves)
            if out.layout == torch.sparse_coo:
                torch.sparse.sum(out).backward()
            elif out.layout == torch.sparse_csr:
                out.values().sum().backward()
            else:
                out.backward(torch.ones_like(out))
        return fb, leaves

    def sparse_candidates(op, n, dtype):
        A = poisson(n, dtype, lower=(op == "sptrsv"))
        x = torch.randn(n, generator=gen).to(dtype=dtype, device=dev)
        csr = A.to_sparse_csr()
        if op == "spmv":
            return [("torch CSR @ x", lambda a, v: a @ v, [csr, x]),
                    ("torch.sparse.mm (COO) @ x", lambda a, v: torch.sparse.mm(a, v.unsqueeze(1)), [A, x])]
        if op == "spgemm":
            return [("torch CSR @ CSR", lambda a, b: a @ b, [csr, csr]),
                    ("torch.sparse.mm (COO @ COO)", lambda a, b: torch.sparse.mm(a, b), [A, A])]
        if op == "spdmm":
            D = torch.randn(n, k, generator=gen).to(dtype=dtype, device=dev)
            return [(f"torch CSR @ D (N×{k})", lambda a, d: a @ d, [csr, D]),
                    (f"torch.sparse.mm (COO) @ D (N×{k})", lambda a, d: torch.sparse.mm(a, d), [A, D])]
        if op == "spadd":
            return [("torch CSR: 2·A + (−0.5)·B", lambda a, b: a * 2 + b * (-0.5), [csr, csr]),
                    ("torch COO: 2·A + (−0.5)·B", lambda a, b: a * 2 + b * (-0.5), [A, A])]
        if op == "sptrsv":
            return [("torch.triangular_solve (CSR)", lambda a, v: torch.triangular_solve(v.unsqueeze(1), a, upper=False).solution, [csr, x])]
        if op == "spsolve":
            return [("torch.linalg.solve (CSR)", lambda a, v: torch.linalg.solve(a, v), [csr, x])]
        raise Absent(f"unknown op {op}")

    def try_candidate(f, inputs, backward):
        """Runs one call; raises when torch cannot do it (or, for backward, gives a dense gradient)."""
        if not backward:
            timed_fn(f, inputs, False)()
            return
        fb, leaves = timed_fn(f, inputs, True)
        fb()
        g = leaves[0].grad
        if g is not None and g.layout == torch.strided:
            raise RuntimeError("the gradient w.r.t. the sparse operand comes back dense")

    def once(op, detail, n, dtype, backward):
        """Seconds of the fastest of three calls of candidate `detail` at size n."""
        for (d, f, inputs) in sparse_candidates(op, n, dtype):
            if d == detail:
                fn = timed_fn(f, inputs, backward)
                fn = fn[0] if backward else fn
                best = float("inf")
                for _ in range(3):
                    t0 = time.perf_counter()
                    fn()
                    if sync:
                        sync()
                    best = min(best, time.perf_counter() - t0)
                return best
        raise Absent(f"no candidate {detail}")

    def check_scaling(op, detail, n, dtype, backward):
        """Refuses a case that scales superlinearly (some torch.sparse gradients go
        through a dense N × N intermediate) and whose predicted call time at n is
        over the per-call budget, from timings at n/16 and n/4."""
        max_call = float(req["timing"].get("maxCallTime", 5.0))
        if n < 1024:
            return
        n1, n2 = max(64, n // 16), max(128, n // 4)

        def probe():
            t1 = once(op, detail, n1, dtype, backward)
            t2 = once(op, detail, n2, dtype, backward)
            slope = math.log(t2 / t1) / math.log(n2 / n1) if t1 > 0 and t2 > 0 else 1.0
            slope = min(3.0, max(0.0, slope))
            return t2 * (n / n2) ** slope if slope >= 1.5 else 0.0, slope, t1, t2

        predicted, slope, t1, t2 = probe()
        if predicted > max_call:
            # A busy machine can stall one probe: refuse only if a second one agrees.
            predicted, slope, t1, t2 = min(probe(), (predicted, slope, t1, t2))
        if predicted > max_call:
            raise Absent(f"{detail} scales as N^{slope:.1f} here: {t1:.3g} s per call at N = {n1}, {t2:.3g} s at N = {n2}, "
                         f"so about {predicted:.3g} s at N = {n}, over the {max_call:g} s per-call budget")

    def build_sparse(c, dtype):
        backward = c["pass"] != "forward"
        n = c["n"]
        failures = []
        # Find a layout that works on a small case first, then time it at size n.
        for (detail, f, small_inputs) in sparse_candidates(c["op"], min(n, 64), dtype):
            try:
                try_candidate(f, small_inputs, backward)
            except Exception as e:
                failures.append(f"{detail}: {first_line(e)}")
                continue
            check_scaling(c["op"], detail, n, dtype, backward)
            for (d2, f2, inputs) in sparse_candidates(c["op"], n, dtype):
                if d2 == detail:
                    fn = timed_fn(f2, inputs, backward)
                    return detail, 3 * n - 2 if c["op"] != "sptrsv" else 2 * n - 1, fn[0] if backward else fn
        raise Absent("torch.sparse cannot do this here: " + "; ".join(failures))

    def build_dense(c, dtype):
        n, op = c["n"], c["op"]
        backward = c["pass"] != "forward"
        A = poisson(n, dtype, lower=(op == "sptrsv")).to_dense()
        x = torch.randn(n, generator=gen).to(dtype=dtype, device=dev)
        if op == "spmv":
            detail, f, inputs = "torch.mv (dense)", lambda a, v: torch.mv(a, v), [A, x]
        elif op == "spgemm":
            detail, f, inputs = "torch.mm (dense)", lambda a, b: a @ b, [A, A.clone()]
        elif op == "spdmm":
            D = torch.randn(n, k, generator=gen).to(dtype=dtype, device=dev)
            detail, f, inputs = f"torch.mm (dense, D N×{k})", lambda a, d: a @ d, [A, D]
        elif op == "spadd":
            detail, f, inputs = "torch 2·A + (−0.5)·B (dense)", lambda a, b: a * 2 + b * (-0.5), [A, A.clone()]
        elif op == "sptrsv":
            detail, f, inputs = "torch.linalg.solve_triangular (dense)", lambda a, v: torch.linalg.solve_triangular(a, v.unsqueeze(1), upper=False), [A, x]
        elif op == "spsolve":
            detail, f, inputs = "torch.linalg.solve (dense)", lambda a, v: torch.linalg.solve(a, v), [A, x]
        else:
            raise Absent(f"unknown op {op}")
        fn = timed_fn(f, inputs, backward)
        return detail, n * n, fn[0] if backward else fn

    def build(c):
        if c["op"] in ("cholesky", "logdet", "cg"):
            # The solver rows (issue 16): torch.sparse has no Cholesky, no log-determinant and no
            # Krylov solver; the dense counterparts are not part of this peer yet.
            if c["variant"] == "sparse":
                raise Absent({"cholesky": "torch.sparse has no Cholesky factorization",
                              "logdet": "torch.sparse has no log-determinant",
                              "cg": "PyTorch has no conjugate-gradient solver"}[c["op"]])
            raise Absent("not timed: this peer does not time dense counterparts of the solver rows yet")
        dtype = torch.float32 if c["dtype"] == "float32" else torch.float64
        return build_sparse(c, dtype) if c["variant"] == "sparse" else build_dense(c, dtype)

    run_cases(req, build, sync)


if __name__ == "__main__":
    main()
