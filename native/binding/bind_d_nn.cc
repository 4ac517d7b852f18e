// Device ('cuda') bindings of the nn ops and the optimizer steps. See
// device_array.h for the conventions. On the emulated device each binding runs
// a host loop over the same bodies (dense_bodies.h) the CUDA kernel runs, one
// lane per row where the GPU splits a row over a warp, so only the order of
// the double-precision row sums differs from the GPU.
//
//   dLogSoftmax(rows, cols, x, y, expOut)         y = log softmax(x) row-wise (softmax when expOut)
//   dLogSoftmaxBackward(rows, cols, y, g, dx, softmax)
//                                                 log-softmax: dx = g − exp(y) Σ g;  softmax: dx = y ⊙ (g − Σ g y)
//   dCrossEntropy(N, C, R, x, idx, lse, loss)     idx = [sel (R) | tgt (R)]; loss = mean_k lse_k − x[sel_k, tgt_k]
//   dCrossEntropyBackward(N, C, R, x, idx, lse, g, dx)
//                                                 dx[sel_k] += (g / R)(softmax(x[sel_k]) − onehot(tgt_k))
//   dDropout(p, seedLo, seedHi, offsetLo, offsetHi, x, out, keep)
//                                                 keep[i] = philox(seed, offset, i) >= p; out = keep ? x / (1 − p) : 0
//   dDropoutBackward(p, keep, g, dx)              dx = keep ? g / (1 − p) : 0
//   dAdamStep(p, g, m, v, vmax|null, lr, beta1, beta2, eps, weightDecay, decoupled, amsgrad, step)
//                                                 one Adam / AdamW step in place (body::adam_element)
#include <algorithm>
#include <cmath>

#include "bindings.h"
#include "dense_bodies.h"
#include "dense_ops.h"
#include "device_array.h"

namespace sad::binding {
namespace {

// log Σ exp of one row, as the GPU's row_lse with a single lane.
template <class T>
double host_row_lse(const T* xr, int64_t cols) {
  const T mx = body::row_max_partial(xr, cols, 0, 1);
  return body::log_sum_exp(mx, body::row_sumexp_partial(xr, cols, mx, 0, 1));
}

uint32_t u32_arg(const Napi::Env& env, const Napi::Value& v, const char* op, const char* name) {
  const double d = num_arg(env, v, op, name);
  if (!(d >= 0 && d <= 4294967295.0) || d != std::floor(d))
    throw_js(env, std::string(op) + ": " + name + " must be an unsigned 32-bit integer");
  return uint32_t(d);
}

double probability_arg(const Napi::Env& env, const Napi::Value& v, const char* op) {
  const double p = num_arg(env, v, op, "p");
  if (!(p >= 0 && p <= 1)) throw_js(env, std::string(op) + ": p must be in [0, 1]");
  return p;
}

// dropout_cuda's scale, in T: 1 / (1 − p), 0 when p = 1.
template <class T>
T dropout_scale(double p) {
  return p >= 1 ? T(0) : T(1.0 / (1.0 - p));
}

Napi::Value DLogSoftmax(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const bool exp_out = bool_arg(info[4]);
  const char* op = exp_out ? "softmax" : "logSoftmax";
  const int64_t rows = int_arg(env, info[0], op, "rows");
  const int64_t cols = int_arg(env, info[1], op, "cols");
  const int64_t n = rows * cols;  // each below 2^31
  by_device_dtype(env, info[2], op, "x", [&](auto tag) {
    using T = decltype(tag);
    const T* x = dev_arg<T>(env, info[2], n, op, "x");
    T* y = dev_arg<T>(env, info[3], n, op, "y");
    on_device(env, op, [&] { log_softmax_cuda<T>(rows, cols, x, y, exp_out); },
              [&] {
                if (cols == 0) return;
                for (int64_t r = 0; r < rows; ++r) {
                  const T* xr = x + r * cols;
                  const double lse = host_row_lse(xr, cols);
                  for (int64_t j = 0; j < cols; ++j) {
                    const double v = double(xr[j]) - lse;
                    y[r * cols + j] = T(exp_out ? std::exp(v) : v);
                  }
                }
              });
    return 0;
  });
  return env.Undefined();
}

Napi::Value DLogSoftmaxBackward(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const bool softmax = bool_arg(info[5]);
  const char* op = softmax ? "softmax" : "logSoftmax";
  const int64_t rows = int_arg(env, info[0], op, "rows");
  const int64_t cols = int_arg(env, info[1], op, "cols");
  const int64_t n = rows * cols;  // each below 2^31
  by_device_dtype(env, info[2], op, "y", [&](auto tag) {
    using T = decltype(tag);
    const T* y = dev_arg<T>(env, info[2], n, op, "y");
    const T* g = dev_arg<T>(env, info[3], n, op, "g");
    T* dx = dev_arg<T>(env, info[4], n, op, "dx");
    on_device(env, op,
              [&] {
                if (softmax) softmax_backward_cuda<T>(rows, cols, y, g, dx);
                else log_softmax_backward_cuda<T>(rows, cols, y, g, dx);
              },
              [&] {
                if (cols == 0) return;
                for (int64_t r = 0; r < rows; ++r) {
                  const T* yr = y + r * cols;
                  const T* gr = g + r * cols;
                  const double s = softmax ? body::row_dot_partial(gr, yr, cols, 0, 1) : body::row_sum_partial(gr, cols, 0, 1);
                  for (int64_t j = 0; j < cols; ++j)
                    dx[r * cols + j] = softmax ? T(double(yr[j]) * (double(gr[j]) - s)) : T(double(gr[j]) - std::exp(double(yr[j])) * s);
                }
              });
    return 0;
  });
  return env.Undefined();
}

// N, C, R and the index array [sel | tgt] shared by both cross-entropy
// bindings. The entries of sel (< N) and tgt (< C) were validated in
// TypeScript before they were uploaded; here only the lengths are re-checked.
struct CrossEntropyArgs {
  int64_t N, C, R;
  const int32_t* sel;
  const int32_t* tgt;
};

CrossEntropyArgs cross_entropy_args(const Napi::Env& env, const Napi::CallbackInfo& info, const char* op) {
  CrossEntropyArgs a{};
  a.N = int_arg(env, info[0], op, "N");
  a.C = int_arg(env, info[1], op, "C");
  a.R = int_arg(env, info[2], op, "R");
  if (a.R == 0 || a.C == 0) throw_js(env, std::string(op) + ": needs at least one selected row and one class");
  const int32_t* idx = dev_arg<int32_t>(env, info[4], 2 * a.R, op, "idx");
  a.sel = idx;
  a.tgt = idx + a.R;
  return a;
}

Napi::Value DCrossEntropy(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "crossEntropy";
  const CrossEntropyArgs a = cross_entropy_args(env, info, op);
  const int64_t n = a.N * a.C;
  by_device_dtype(env, info[3], op, "x", [&](auto tag) {
    using T = decltype(tag);
    const T* x = dev_arg<T>(env, info[3], n, op, "x");
    T* lse = dev_arg<T>(env, info[5], a.R, op, "lse");
    T* loss = dev_arg<T>(env, info[6], 1, op, "loss");
    on_device(env, op, [&] { cross_entropy_cuda<T>(a.C, a.R, x, a.sel, a.tgt, lse, loss); },
              [&] {
                // As cross_entropy_kernel, then the mean as final_sum_kernel scales it.
                double total = 0;
                for (int64_t k = 0; k < a.R; ++k) {
                  const T* xr = x + int64_t(a.sel[k]) * a.C;
                  const double l = host_row_lse(xr, a.C);
                  lse[k] = T(l);
                  total += l - double(xr[a.tgt[k]]);
                }
                *loss = T(total * (1.0 / double(a.R)));
              });
    return 0;
  });
  return env.Undefined();
}

Napi::Value DCrossEntropyBackward(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "crossEntropy";
  const CrossEntropyArgs a = cross_entropy_args(env, info, op);
  const int64_t n = a.N * a.C;
  by_device_dtype(env, info[3], op, "x", [&](auto tag) {
    using T = decltype(tag);
    const T* x = dev_arg<T>(env, info[3], n, op, "x");
    const T* lse = dev_arg<T>(env, info[5], a.R, op, "lse");
    const T* g = dev_arg<T>(env, info[6], 1, op, "g");
    T* dx = dev_arg<T>(env, info[7], n, op, "dx");
    on_device(env, op, [&] { cross_entropy_backward_cuda<T>(a.N, a.C, a.R, x, a.sel, a.tgt, lse, g, dx); },
              [&] {
                // As cross_entropy_backward_kernel (whose atomic adds these are): rows may repeat.
                std::fill(dx, dx + n, T(0));
                const double c = double(*g) / double(a.R);
                for (int64_t k = 0; k < a.R; ++k) {
                  const int64_t base = int64_t(a.sel[k]) * a.C;
                  const double l = double(lse[k]);
                  for (int64_t j = 0; j < a.C; ++j) dx[base + j] += T(c * std::exp(double(x[base + j]) - l));
                  dx[base + a.tgt[k]] += T(-c);
                }
              });
    return 0;
  });
  return env.Undefined();
}

Napi::Value DDropout(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "dropout";
  const double p = probability_arg(env, info[0], op);
  const uint64_t seed = uint64_t(u32_arg(env, info[2], op, "seedHi")) << 32 | u32_arg(env, info[1], op, "seedLo");
  const uint64_t offset = uint64_t(u32_arg(env, info[4], op, "offsetHi")) << 32 | u32_arg(env, info[3], op, "offsetLo");
  by_device_dtype(env, info[5], op, "x", [&](auto tag) {
    using T = decltype(tag);
    int64_t n = 0;
    const T* x = dev_arg<T>(env, info[5], -1, op, "x", &n);
    T* out = dev_arg<T>(env, info[6], n, op, "out");
    uint8_t* keep = dev_arg<uint8_t>(env, info[7], n, op, "keep");
    on_device(env, op, [&] { dropout_cuda<T>(n, p, seed, offset, x, out, keep); },
              [&] {
                const T scale = dropout_scale<T>(p);
                for (int64_t i = 0; i < n; ++i) {
                  const bool k = body::dropout_keep(seed, offset, uint64_t(i), p);
                  keep[i] = k;
                  out[i] = k ? x[i] * scale : T(0);
                }
              });
    return 0;
  });
  return env.Undefined();
}

Napi::Value DDropoutBackward(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "dropout";
  const double p = probability_arg(env, info[0], op);
  by_device_dtype(env, info[2], op, "g", [&](auto tag) {
    using T = decltype(tag);
    int64_t n = 0;
    const T* g = dev_arg<T>(env, info[2], -1, op, "g", &n);
    const uint8_t* keep = dev_arg<uint8_t>(env, info[1], n, op, "keep");
    T* dx = dev_arg<T>(env, info[3], n, op, "dx");
    const T scale = dropout_scale<T>(p);
    on_device(env, op, [&] { dropout_backward_cuda<T>(n, scale, keep, g, dx); },
              [&] { for (int64_t i = 0; i < n; ++i) dx[i] = keep[i] ? g[i] * scale : T(0); });
    return 0;
  });
  return env.Undefined();
}

Napi::Value DAdamStep(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "Adam";
  body::AdamStep s;
  s.lr = num_arg(env, info[5], op, "lr");
  s.beta1 = num_arg(env, info[6], op, "beta1");
  s.beta2 = num_arg(env, info[7], op, "beta2");
  s.eps = num_arg(env, info[8], op, "eps");
  s.weight_decay = num_arg(env, info[9], op, "weightDecay");
  s.decoupled = bool_arg(info[10]);
  s.amsgrad = bool_arg(info[11]);
  s.step = int_arg(env, info[12], op, "step");
  if (s.step < 1) throw_js(env, std::string(op) + ": step counts from 1");
  by_device_dtype(env, info[0], op, "p", [&](auto tag) {
    using T = decltype(tag);
    int64_t n = 0;
    T* p = dev_arg<T>(env, info[0], -1, op, "p", &n);
    const T* g = dev_arg<T>(env, info[1], n, op, "g");
    T* m = dev_arg<T>(env, info[2], n, op, "m");
    T* v = dev_arg<T>(env, info[3], n, op, "v");
    T* vmax = dev_arg_or_null<T>(env, info[4], n, op, "vmax");
    if (s.amsgrad != given(info[4])) throw_js(env, std::string(op) + ": vmax is needed exactly when amsgrad is on");
    on_device(env, op, [&] { adam_step_cuda<T>(s, n, p, g, m, v, vmax); },
              [&] {
                // The factors adam_step_cuda computes once per step.
                const double step_size = s.lr / (1 - std::pow(s.beta1, double(s.step)));
                const double bc2_sqrt = std::sqrt(1 - std::pow(s.beta2, double(s.step)));
                for (int64_t i = 0; i < n; ++i) body::adam_element(s, step_size, bc2_sqrt, p[i], g[i], m[i], v[i], vmax ? vmax + i : nullptr);
              });
    return 0;
  });
  return env.Undefined();
}

}  // namespace

void register_d_nn(Napi::Env env, Napi::Object exports) {
  exports.Set("dLogSoftmax", Napi::Function::New(env, DLogSoftmax));
  exports.Set("dLogSoftmaxBackward", Napi::Function::New(env, DLogSoftmaxBackward));
  exports.Set("dCrossEntropy", Napi::Function::New(env, DCrossEntropy));
  exports.Set("dCrossEntropyBackward", Napi::Function::New(env, DCrossEntropyBackward));
  exports.Set("dDropout", Napi::Function::New(env, DDropout));
  exports.Set("dDropoutBackward", Napi::Function::New(env, DDropoutBackward));
  exports.Set("dAdamStep", Napi::Function::New(env, DAdamStep));
}

}  // namespace sad::binding
