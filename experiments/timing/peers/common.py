"""Shared plumbing of the peer scripts (scipy_peer.py, torch_peer.py, cupy_peer.py).

Protocol. stdin: one JSON request
  {"threads": t, "device": "cpu" | "cuda", "timing": {sampleTime, samples, warmupTime, maxTime},
   "spdmmCols": 32, "cases": [{"key", "op", "variant": "sparse" | "dense", "pass", "n", "dtype"}]}
stdout: JSON lines, flushed as they come (the caller shows progress and keeps what
finished if it has to stop the script):
  {"type": "info", "available": bool, "name", "version", "python", "device", "reason"}
  {"type": "result", "key", "status": "ok" | "absent" | "error", "detail", "nnz", "reason", "stats"}
A peer that cannot be imported prints one info line with available false and exits 0.
Timing mirrors experiments/bench/measure.ts: warm-up, then samples of enough calls
to last sampleTime each, per-call statistics over the samples, bounded by maxTime.
"""
import json
import os
import platform
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
# bench:ops' SciPy cases, shared so both benchmarks time the same calls.
sys.path.insert(0, os.path.join(HERE, "..", "..", "bench"))


class Absent(Exception):
    """This peer cannot do this op (the message says why)."""


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def read_request():
    return json.load(sys.stdin)


def python_version():
    return platform.python_version()


def summarize(samples, calls):
    s = sorted(samples)
    n = len(s)
    mean = sum(s) / n
    var = sum((v - mean) ** 2 for v in s) / (n - 1) if n > 1 else 0.0
    median = s[(n - 1) // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2
    return {"samples": samples, "callsPerSample": calls, "min_s": s[0], "median_s": median,
            "mean_s": mean, "stddev_s": var ** 0.5, "max_s": s[-1]}


def measure(fn, timing, sync=None):
    """Per-call seconds of fn (sync, when given, waits for a device after each batch)."""
    sample_time = timing.get("sampleTime", 0.01)
    n_samples = timing.get("samples", 15)
    warmup = timing.get("warmupTime", 0.05)
    max_time = timing.get("maxTime", 3.0)
    now = time.perf_counter
    start = now()
    calls = 0
    t0 = now()
    while True:
        fn()
        calls += 1
        if sync:
            sync()
        if now() - t0 >= warmup or calls >= 1_000_000:
            break
    per_call = (now() - t0) / calls
    budget = max(per_call, min(sample_time, (max_time - (now() - start)) / n_samples))
    n_calls = max(1, round(budget / max(per_call, 1e-9)))
    samples = []
    for _ in range(n_samples):
        t0 = now()
        for _ in range(n_calls):
            fn()
        if sync:
            sync()
        samples.append((now() - t0) / n_calls)
        if now() - start > max_time and len(samples) >= 3:
            break
    return summarize(samples, n_calls)


def first_line(e):
    text = str(e).strip().splitlines()
    msg = text[0] if text else ""
    return f"{type(e).__name__}: {msg}"[:300]


def run_cases(req, build, sync=None):
    """build(case) -> (detail, nnz, fn) or raises Absent; emits one result per case."""
    for case in req["cases"]:
        out = {"type": "result", "key": case["key"]}
        try:
            detail, nnz, fn = build(case)
            out.update(status="ok", detail=detail, nnz=int(nnz), stats=measure(fn, req["timing"], sync))
        except Absent as e:
            out.update(status="absent", reason=str(e))
        except MemoryError as e:
            out.update(status="absent", reason=f"out of memory ({first_line(e)})")
        except Exception as e:  # a failure of the peer on this case, reported, not fatal
            out.update(status="error", reason=first_line(e))
        emit(out)
