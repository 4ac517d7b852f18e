# NumPy's times for the ops of bench-dense.ts, same shapes and dtypes, printed as
# one JSON object {"<dtype>/<op>": [median, fastest] seconds}. Run by bench-dense.ts in the
# same (pinned) process tree; reads N, ROWS, COLS, SAMPLES from argv.
import json
import sys
import time

import numpy as np

n, rows, cols, samples = (int(v) for v in sys.argv[1:5])


def median_time(fn, min_time=0.01):
    fn()
    calls, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < 0.05:
        fn()
        calls += 1
    per = (time.perf_counter() - t0) / calls
    reps = max(1, int(min_time / max(per, 1e-9)))
    out = []
    for _ in range(samples):
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        out.append((time.perf_counter() - t0) / reps)
    out.sort()
    return [out[len(out) // 2], out[0]]


result = {"numpy": np.__version__}
for name in ("float32", "float64"):
    dt = np.dtype(name)
    rng = np.random.default_rng(0)
    a = rng.standard_normal(n).astype(dt)
    b = (rng.random(n) + 0.5).astype(dt)
    m = a.reshape(rows, cols)
    v = b[:cols].copy()
    p, g = a.copy(), b.copy()
    mom, var = np.zeros(n, dt), np.zeros(n, dt)
    b1, b2, lr, eps = 0.9, 0.999, 1e-3, 1e-8
    t = [0]

    def log_softmax():
        mx = m.max(axis=1, keepdims=True)
        s = m - mx
        return s - np.log(np.exp(s).sum(axis=1, keepdims=True))

    def adam():
        # In place, as a NumPy user would write a fused-as-possible step.
        t[0] += 1
        np.multiply(mom, b1, out=mom)
        np.add(mom, (1 - b1) * g, out=mom)
        np.multiply(var, b2, out=var)
        np.add(var, (1 - b2) * (g * g), out=var)
        step = lr / (1 - b1 ** t[0])
        bc2 = np.sqrt(1 - b2 ** t[0])
        np.subtract(p, step * mom / (np.sqrt(var) / bc2 + eps), out=p)

    ops = {
        "add": lambda: a + b,
        "mul": lambda: a * b,
        "div": lambda: a / b,
        "relu": lambda: np.maximum(a, 0),
        "exp": lambda: np.exp(a),
        "tanh": lambda: np.tanh(a),
        "sum": lambda: a.sum(),
        "mean axis 0": lambda: m.mean(axis=0),
        "mean axis 1": lambda: m.mean(axis=1),
        "broadcast add": lambda: m + v,
        "logSoftmax rows": log_softmax,
        "Adam step": adam,
    }
    for op, fn in ops.items():
        result[f"{name}/{op}"] = median_time(fn)
print(json.dumps(result))
