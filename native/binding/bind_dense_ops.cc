// The dense ops, one binding each for host or device storage (storage.h):
// a typed array runs the CPU kernel of dense_ops.h on the thread pool; a
// DeviceArray the CUDA kernel on a GPU, or on the emulated device the same
// per-element bodies in host loops (on_host::, dense_bodies.h). Shapes are JS
// arrays of dimensions; an element-wise operand is an array or a JS number (a
// constant of the output's dtype). Scalars (a dot, a norm, a loss and their
// gradients) are one-entry arrays, so device loops never read back to the host.
//
//   binary(op, shape, a, aShape, b, bShape, out)            out = a ∘ b, broadcast to shape
//   binaryBackward(op, shape, a, aShape, b, bShape, y|null, g, da|null, db|null)
//                                                            the VJP, da and db summed to a's and b's shapes
//   sumTo(x, xShape, toShape, scale, out)                   out = scale Σ x over the axes where toShape has 1
//   sumAll(x, n, scale, out)                                out = scale Σ x (n entries), as sumTo to one entry
//   unary(op, x, out), unaryBackward(op, x|null, y|null, g, dx)
//   clamp(lo, hi, x, out), clampBackward(lo, hi, x, g, dx)
//   dot(a, b, out), norm(x, out), normBackward(x, nrm, g, dx)
//   cast(x, out)                                            float32 ↔ float64
//   transpose(rows, cols, x, out)                           out [cols, rows] = xᵀ
//   fill(out, value), axpby(alpha, x, beta, y)              y = α x + β y
//   logSoftmax(rows, cols, x, y, expOut), logSoftmaxBackward(rows, cols, y, g, dx, softmax)
//   crossEntropy(N, C, R, x, idx, lse, loss)                idx = [sel (R) | tgt (R)]
//   crossEntropyBackward(N, C, R, x, idx, lse, g, dx)
//   dropout(p, seedLo, seedHi, offsetLo, offsetHi, x, out, keep), dropoutBackward(p, keep, g, dx)
//   adamStep(p, g, m, v, vmax|null, lr, beta1, beta2, eps, weightDecay, decoupled, amsgrad, step[, stepSize, bc2Sqrt])
//   sgdStep(p, g, buf|null, lr, momentum, dampening, weightDecay, nesterov, first)
// (where, gatherRows and concat are products with selection matrices: select.ts.)
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "bindings.h"
#include "dense_bodies.h"
#include "dense_ops.h"
#include "storage.h"

namespace sad::binding {
namespace {

std::string string_arg(const Napi::Env& env, const Napi::Value& v, const char* what) {
  if (!v.IsString()) throw_js(env, std::string(what) + ": expected an op name");
  return v.As<Napi::String>();
}

BinaryOp binary_op(const Napi::Env& env, const std::string& name) {
  static const std::pair<const char*, BinaryOp> ops[] = {
      {"add", BinaryOp::add},         {"sub", BinaryOp::sub},         {"mul", BinaryOp::mul}, {"div", BinaryOp::div},
      {"maximum", BinaryOp::maximum}, {"minimum", BinaryOp::minimum}, {"pow", BinaryOp::pow}};
  for (const auto& [n, op] : ops)
    if (name == n) return op;
  throw_js(env, name + ": not a binary op");
}

UnaryOp unary_op(const Napi::Env& env, const std::string& name) {
  static const std::pair<const char*, UnaryOp> ops[] = {
      {"neg", UnaryOp::neg},   {"exp", UnaryOp::exp},   {"log", UnaryOp::log},   {"tanh", UnaryOp::tanh},
      {"sigmoid", UnaryOp::sigmoid}, {"relu", UnaryOp::relu}, {"square", UnaryOp::square}, {"sqrt", UnaryOp::sqrt},
      {"abs", UnaryOp::abs},   {"sin", UnaryOp::sin},   {"cos", UnaryOp::cos}};
  for (const auto& [n, op] : ops)
    if (name == n) return op;
  throw_js(env, name + ": not a unary op");
}

std::vector<int64_t> shape_arg(const Napi::Env& env, const Napi::Value& v, const char* op, const char* name) {
  if (!v.IsArray()) throw_js(env, std::string(op) + ": expected an array of dimensions for " + name);
  auto a = v.As<Napi::Array>();
  std::vector<int64_t> s(a.Length());
  for (uint32_t d = 0; d < a.Length(); ++d) s[d] = int_arg(env, a.Get(d), op, name);
  return s;
}

int64_t size_of(const std::vector<int64_t>& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

// s right-aligned to ndim axes (1 where absent).
std::vector<int64_t> aligned(const Napi::Env& env, const std::vector<int64_t>& s, size_t ndim, const char* op) {
  if (s.size() > ndim) throw_js(env, std::string(op) + ": an operand has more axes than the output");
  std::vector<int64_t> r(ndim - s.size(), 1);
  r.insert(r.end(), s.begin(), s.end());
  return r;
}


template <class T>
struct BinaryArgs {
  Broadcast s;
  Operand<T> a, b;
  int64_t a_size = 1, b_size = 1;
};

// (shape, a, aShape, b, bShape) from info[at]: the broadcast, checked to fit the arrays.
template <class T>
BinaryArgs<T> binary_args(const Napi::Env& env, CallPlace& pl, const Napi::CallbackInfo& info, size_t at) {
  BinaryArgs<T> r;
  const char* op = pl.op;
  const auto out = shape_arg(env, info[at], op, "shape");
  std::vector<int64_t> in[2];
  Operand<T>* operand[2] = {&r.a, &r.b};
  int64_t* size[2] = {&r.a_size, &r.b_size};
  const char* names[2] = {"a", "b"};
  for (int o = 0; o < 2; ++o) {
    const Napi::Value v = info[at + 1 + 2 * o];
    if (v.IsNumber()) {
      operand[o]->value = T(v.As<Napi::Number>().DoubleValue());
      in[o] = aligned(env, {}, out.size(), op);
    } else {
      in[o] = aligned(env, shape_arg(env, info[at + 2 + 2 * o], op, names[o]), out.size(), op);
      *size[o] = size_of(in[o]);
      operand[o]->data = data_arg<T>(env, pl, v, *size[o], names[o]);
    }
  }
  r.s = guarded(env, [&] { return make_broadcast(op, int(out.size()), out.data(), in[0].data(), in[1].data()); });
  return r;
}

Napi::Value Binary(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const std::string name = string_arg(env, info[0], "binary");
  CallPlace pl{name.c_str()};
  const BinaryOp bop = binary_op(env, name);
  by_float_type(env, info[6], pl.op, "out", [&](auto tag) {
    using T = decltype(tag);
    const auto p = binary_args<T>(env, pl, info, 1);
    T* out = data_arg<T>(env, pl, info[6], p.s.size, "out");
    run_on(env, pl, [&] { binary_broadcast_cpu<T>(pool_of(env), bop, p.s, p.a, p.b, out); },
           [&] { binary_broadcast_cuda<T>(bop, p.s, p.a, p.b, out); },
           [&] { on_host::binary_broadcast<T>(bop, p.s, p.a, p.b, out); });
    return 0;
  });
  return env.Undefined();
}

Napi::Value BinaryBackward(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const std::string name = string_arg(env, info[0], "binaryBackward");
  CallPlace pl{name.c_str()};
  const BinaryOp bop = binary_op(env, name);
  by_float_type(env, info[7], pl.op, "g", [&](auto tag) {
    using T = decltype(tag);
    const auto p = binary_args<T>(env, pl, info, 1);
    const T* y = data_arg_or_null<T>(env, pl, info[6], p.s.size, "y");
    const T* g = data_arg<T>(env, pl, info[7], p.s.size, "g");
    T* da = data_arg_or_null<T>(env, pl, info[8], p.a_size, "da");
    T* db = data_arg_or_null<T>(env, pl, info[9], p.b_size, "db");
    // (Checked on the JS values: an empty array's pointer is null too.)
    if ((given(info[8]) && info[2].IsNumber()) || (given(info[9]) && info[4].IsNumber()))
      throw_js(env, name + ": a constant operand has no gradient");
    if (bop == BinaryOp::pow && given(info[9]) && !given(info[6]))
      throw_js(env, name + ": the VJP for the exponent needs the forward output y");
    run_on(env, pl, [&] { binary_backward_cpu<T>(pool_of(env), bop, p.s, g, p.a, p.b, y, da, db); },
           [&] { binary_backward_cuda<T>(bop, p.s, g, p.a, p.b, y, da, db); },
           [&] { on_host::binary_backward<T>(bop, p.s, g, p.a, p.b, y, da, db); });
    return 0;
  });
  return env.Undefined();
}

// out = scale Σ x over the axes of `shape` where `to` has 1: sumTo's and sumAll's body.
Napi::Value sum_into(const Napi::Env& env, const Napi::Value& xv, const Napi::Value& outv, int ndim, const int64_t* shape,
                     const int64_t* to, double scale) {
  CallPlace pl{"sum"};
  by_float_type(env, xv, pl.op, "x", [&](auto tag) {
    using T = decltype(tag);
    const Reduction r = guarded(env, [&] { return make_reduction(pl.op, ndim, shape, to); });
    int64_t size = 1;
    for (int d = 0; d < ndim; ++d) size *= shape[d];
    const T* x = data_arg<T>(env, pl, xv, size, "x");
    T* out = data_arg<T>(env, pl, outv, r.out_size, "out");
    run_on(env, pl, [&] { sum_to_cpu<T>(pool_of(env), r, x, scale, out); }, [&] { sum_to_cuda<T>(r, x, scale, out); },
           [&] { on_host::sum_to<T>(r, x, scale, out); });
    return 0;
  });
  return env.Undefined();
}

Napi::Value SumTo(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const auto shape = shape_arg(env, info[1], "sum", "xShape");
  const auto to = shape_arg(env, info[2], "sum", "toShape");
  if (to.size() != shape.size()) throw_js(env, "sum: xShape and toShape differ in their number of axes");
  const double scale = num_arg(env, info[3], "sum", "scale");
  return sum_into(env, info[0], info[4], int(shape.size()), shape.data(), to.data(), scale);
}

// sumTo over every axis without the two shape arrays to read: a loss's sum()
// per training step (the reduction is the one sumTo builds for any shape of n
// entries: its summed axes merge into one contiguous run).
Napi::Value SumAll(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const int64_t n = int_arg(env, info[1], "sum", "n");
  const double scale = num_arg(env, info[2], "sum", "scale");
  const int64_t one = 1;
  return sum_into(env, info[0], info[3], 1, &n, &one, scale);
}

Napi::Value Unary(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const std::string name = string_arg(env, info[0], "unary");
  CallPlace pl{name.c_str()};
  const UnaryOp uop = unary_op(env, name);
  by_float_type(env, info[2], pl.op, "out", [&](auto tag) {
    using T = decltype(tag);
    int64_t n = 0;
    T* out = data_arg<T>(env, pl, info[2], -1, "out", &n);
    const T* x = data_arg<T>(env, pl, info[1], n, "x");
    run_on(env, pl, [&] { unary_cpu<T>(pool_of(env), uop, n, x, out); }, [&] { unary_cuda<T>(uop, n, x, out); },
           [&] { on_host::unary<T>(uop, n, x, out); });
    return 0;
  });
  return env.Undefined();
}

Napi::Value UnaryBackward(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const std::string name = string_arg(env, info[0], "unaryBackward");
  CallPlace pl{name.c_str()};
  const UnaryOp uop = unary_op(env, name);
  by_float_type(env, info[4], pl.op, "dx", [&](auto tag) {
    using T = decltype(tag);
    int64_t n = 0;
    T* dx = data_arg<T>(env, pl, info[4], -1, "dx", &n);
    const T* x = data_arg_or_null<T>(env, pl, info[1], n, "x");
    const T* y = data_arg_or_null<T>(env, pl, info[2], n, "y");
    const T* g = data_arg<T>(env, pl, info[3], n, "g");
    const int reads = body::unary_grad_reads(uop);
    if (((reads & 1) && !given(info[1])) || ((reads & 2) && !given(info[2])))
      throw_js(env, name + ": the VJP needs " + ((reads & 1) ? "the input x" : "the output y"));
    run_on(env, pl, [&] { unary_backward_cpu<T>(pool_of(env), uop, n, x, y, g, dx); },
           [&] { unary_backward_cuda<T>(uop, n, x, y, g, dx); },
           [&] { on_host::unary_backward<T>(uop, n, x, y, g, dx); });
    return 0;
  });
  return env.Undefined();
}

Napi::Value Clamp(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  CallPlace pl{"clamp"};
  const double lo = num_arg(env, info[0], pl.op, "min"), hi = num_arg(env, info[1], pl.op, "max");
  by_float_type(env, info[3], pl.op, "out", [&](auto tag) {
    using T = decltype(tag);
    int64_t n = 0;
    T* out = data_arg<T>(env, pl, info[3], -1, "out", &n);
    const T* x = data_arg<T>(env, pl, info[2], n, "x");
    run_on(env, pl, [&] { clamp_cpu<T>(pool_of(env), n, lo, hi, x, out); }, [&] { clamp_cuda<T>(n, lo, hi, x, out); },
           [&] { on_host::clamp<T>(n, lo, hi, x, out); });
    return 0;
  });
  return env.Undefined();
}

Napi::Value ClampBackward(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  CallPlace pl{"clamp"};
  const double lo = num_arg(env, info[0], pl.op, "min"), hi = num_arg(env, info[1], pl.op, "max");
  by_float_type(env, info[4], pl.op, "dx", [&](auto tag) {
    using T = decltype(tag);
    int64_t n = 0;
    T* dx = data_arg<T>(env, pl, info[4], -1, "dx", &n);
    const T* x = data_arg<T>(env, pl, info[2], n, "x");
    const T* g = data_arg<T>(env, pl, info[3], n, "g");
    run_on(env, pl, [&] { clamp_backward_cpu<T>(pool_of(env), n, lo, hi, x, g, dx); },
           [&] { clamp_backward_cuda<T>(n, lo, hi, x, g, dx); },
           [&] { on_host::clamp_backward<T>(n, lo, hi, x, g, dx); });
    return 0;
  });
  return env.Undefined();
}

Napi::Value Dot(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  CallPlace pl{"dot"};
  by_float_type(env, info[0], pl.op, "a", [&](auto tag) {
    using T = decltype(tag);
    int64_t n = 0;
    const T* a = data_arg<T>(env, pl, info[0], -1, "a", &n);
    const T* b = data_arg<T>(env, pl, info[1], n, "b");
    T* out = data_arg<T>(env, pl, info[2], 1, "out");
    run_on(env, pl, [&] { dot_cpu<T>(pool_of(env), n, a, b, out); }, [&] { dot_cuda<T>(n, a, b, out); },
           [&] { on_host::dot<T>(n, a, b, out); });
    return 0;
  });
  return env.Undefined();
}

Napi::Value Norm(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  CallPlace pl{"norm"};
  by_float_type(env, info[0], pl.op, "x", [&](auto tag) {
    using T = decltype(tag);
    int64_t n = 0;
    const T* x = data_arg<T>(env, pl, info[0], -1, "x", &n);
    T* out = data_arg<T>(env, pl, info[1], 1, "out");
    run_on(env, pl, [&] { norm_cpu<T>(pool_of(env), n, x, out); }, [&] { norm_cuda<T>(n, x, out); },
           [&] { on_host::norm<T>(n, x, out); });
    return 0;
  });
  return env.Undefined();
}

Napi::Value NormBackward(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  CallPlace pl{"norm"};
  by_float_type(env, info[0], pl.op, "x", [&](auto tag) {
    using T = decltype(tag);
    int64_t n = 0;
    const T* x = data_arg<T>(env, pl, info[0], -1, "x", &n);
    const T* nrm = data_arg<T>(env, pl, info[1], 1, "nrm");
    const T* g = data_arg<T>(env, pl, info[2], 1, "g");
    T* dx = data_arg<T>(env, pl, info[3], n, "dx");
    run_on(env, pl, [&] { norm_backward_cpu<T>(pool_of(env), n, x, *nrm, *g, dx); },
           [&] { norm_backward_cuda<T>(n, x, nrm, g, dx); }, [&] { on_host::norm_backward<T>(n, x, nrm, g, dx); });
    return 0;
  });
  return env.Undefined();
}

Napi::Value Cast(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  CallPlace pl{"to"};
  by_float_type(env, info[0], pl.op, "x", [&](auto tag) {
    using S = decltype(tag);
    using D = std::conditional_t<std::is_same_v<S, double>, float, double>;
    int64_t n = 0;
    const S* x = data_arg<S>(env, pl, info[0], -1, "x", &n);
    D* out = data_arg<D>(env, pl, info[1], n, "out");
    run_on(env, pl, [&] { cast_cpu<S, D>(pool_of(env), n, x, out); }, [&] { cast_cuda<S, D>(n, x, out); },
           [&] { on_host::cast(n, x, out); });
    return 0;
  });
  return env.Undefined();
}

Napi::Value Transpose(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  CallPlace pl{"transpose"};
  const int64_t rows = int_arg(env, info[0], pl.op, "rows"), cols = int_arg(env, info[1], pl.op, "cols");
  by_float_type(env, info[2], pl.op, "x", [&](auto tag) {
    using T = decltype(tag);
    const T* x = data_arg<T>(env, pl, info[2], rows * cols, "x");
    T* out = data_arg<T>(env, pl, info[3], rows * cols, "out");
    // The host loop is the CPU kernel too: a blocked copy would serve large transposes better.
    run_on(env, pl, [&] { on_host::transpose<T>(rows, cols, x, out); }, [&] { transpose_cuda<T>(rows, cols, x, out); },
           [&] { on_host::transpose<T>(rows, cols, x, out); });
    return 0;
  });
  return env.Undefined();
}

Napi::Value Fill(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  CallPlace pl{"fill"};
  const double value = num_arg(env, info[1], pl.op, "value");
  by_float_type(env, info[0], pl.op, "out", [&](auto tag) {
    using T = decltype(tag);
    int64_t n = 0;
    T* out = data_arg<T>(env, pl, info[0], -1, "out", &n);
    run_on(env, pl, [&] { fill_cpu<T>(pool_of(env), n, T(value), out); }, [&] { fill_cuda<T>(n, T(value), out); },
           [&] { std::fill(out, out + n, T(value)); });
    return 0;
  });
  return env.Undefined();
}

Napi::Value Axpby(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  CallPlace pl{"axpby"};
  const double alpha = num_arg(env, info[0], pl.op, "alpha"), beta = num_arg(env, info[2], pl.op, "beta");
  by_float_type(env, info[3], pl.op, "y", [&](auto tag) {
    using T = decltype(tag);
    int64_t n = 0;
    T* y = data_arg<T>(env, pl, info[3], -1, "y", &n);
    const T* x = data_arg<T>(env, pl, info[1], n, "x");
    run_on(env, pl, [&] { axpby_cpu<T>(pool_of(env), n, T(alpha), x, T(beta), y); },
           [&] { axpby_cuda<T>(n, T(alpha), x, T(beta), y); },
           [&] { for (int64_t i = 0; i < n; ++i) y[i] = T(alpha) * x[i] + T(beta) * y[i]; });
    return 0;
  });
  return env.Undefined();
}

// ---------------------------------------------------------------------------
// nn

// log Σ exp of one row, as the GPU's row_lse with a single lane.
template <class T>
double host_row_lse(const T* xr, int64_t cols) {
  const T mx = body::row_max_partial(xr, cols, 0, 1);
  return body::log_sum_exp(mx, body::row_sumexp_partial(xr, cols, mx, 0, 1));
}

Napi::Value LogSoftmax(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const bool exp_out = bool_arg(info[4]);
  CallPlace pl{exp_out ? "softmax" : "logSoftmax"};
  const int64_t rows = int_arg(env, info[0], pl.op, "rows");
  const int64_t cols = int_arg(env, info[1], pl.op, "cols");
  const int64_t n = rows * cols;  // each below 2^31
  by_float_type(env, info[2], pl.op, "x", [&](auto tag) {
    using T = decltype(tag);
    const T* x = data_arg<T>(env, pl, info[2], n, "x");
    T* y = data_arg<T>(env, pl, info[3], n, "y");
    run_on(env, pl, [&] { log_softmax_cpu<T>(pool_of(env), rows, cols, x, y, exp_out); },
           [&] { log_softmax_cuda<T>(rows, cols, x, y, exp_out); },
           [&] {
             if (cols == 0) return;
             for (int64_t r = 0; r < rows; ++r) {
               const T* xr = x + r * cols;
               const double lse = host_row_lse(xr, cols);
               for (int64_t j = 0; j < cols; ++j) {
                 const double v = double(xr[j]) - lse;
                 y[r * cols + j] = T(exp_out ? vm::exp(v) : v);
               }
             }
           });
    return 0;
  });
  return env.Undefined();
}

Napi::Value LogSoftmaxBackward(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const bool softmax = bool_arg(info[5]);
  CallPlace pl{softmax ? "softmax" : "logSoftmax"};
  const int64_t rows = int_arg(env, info[0], pl.op, "rows");
  const int64_t cols = int_arg(env, info[1], pl.op, "cols");
  const int64_t n = rows * cols;
  by_float_type(env, info[2], pl.op, "y", [&](auto tag) {
    using T = decltype(tag);
    const T* y = data_arg<T>(env, pl, info[2], n, "y");
    const T* g = data_arg<T>(env, pl, info[3], n, "g");
    T* dx = data_arg<T>(env, pl, info[4], n, "dx");
    run_on(env, pl,
           [&] {
             if (softmax) softmax_backward_cpu<T>(pool_of(env), rows, cols, y, g, dx);
             else log_softmax_backward_cpu<T>(pool_of(env), rows, cols, y, g, dx);
           },
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
                 dx[r * cols + j] = softmax ? T(double(yr[j]) * (double(gr[j]) - s)) : T(double(gr[j]) - vm::exp(double(yr[j])) * s);
             }
           });
    return 0;
  });
  return env.Undefined();
}

// N, C, R and the index array [sel | tgt] shared by both cross-entropy
// bindings. The entries of sel (< N) and tgt (< C) were validated in
// TypeScript; here only the lengths are re-checked.
struct CrossEntropyArgs {
  int64_t N, C, R;
  const int32_t* sel;
  const int32_t* tgt;
};

CrossEntropyArgs cross_entropy_args(const Napi::Env& env, CallPlace& pl, const Napi::CallbackInfo& info) {
  CrossEntropyArgs a{};
  a.N = int_arg(env, info[0], pl.op, "N");
  a.C = int_arg(env, info[1], pl.op, "C");
  a.R = int_arg(env, info[2], pl.op, "R");
  if (a.R == 0 || a.C == 0) throw_js(env, std::string(pl.op) + ": needs at least one selected row and one class");
  const int32_t* idx = data_arg<int32_t>(env, pl, info[4], 2 * a.R, "idx");
  a.sel = idx;
  a.tgt = idx + a.R;
  return a;
}

Napi::Value CrossEntropy(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  CallPlace pl{"crossEntropy"};
  by_float_type(env, info[3], pl.op, "x", [&](auto tag) {
    using T = decltype(tag);
    const T* x = data_arg<T>(env, pl, info[3], -1, "x");
    const CrossEntropyArgs a = cross_entropy_args(env, pl, info);
    data_arg<T>(env, pl, info[3], a.N * a.C, "x");
    T* lse = data_arg<T>(env, pl, info[5], a.R, "lse");
    T* loss = data_arg<T>(env, pl, info[6], 1, "loss");
    run_on(env, pl, [&] { cross_entropy_cpu<T>(pool_of(env), a.C, a.R, x, a.sel, a.tgt, lse, loss); },
           [&] { cross_entropy_cuda<T>(a.C, a.R, x, a.sel, a.tgt, lse, loss); },
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

Napi::Value CrossEntropyBackward(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  CallPlace pl{"crossEntropy"};
  by_float_type(env, info[3], pl.op, "x", [&](auto tag) {
    using T = decltype(tag);
    const T* x = data_arg<T>(env, pl, info[3], -1, "x");
    const CrossEntropyArgs a = cross_entropy_args(env, pl, info);
    const int64_t n = a.N * a.C;
    data_arg<T>(env, pl, info[3], n, "x");
    const T* lse = data_arg<T>(env, pl, info[5], a.R, "lse");
    const T* g = data_arg<T>(env, pl, info[6], 1, "g");
    T* dx = data_arg<T>(env, pl, info[7], n, "dx");
    run_on(env, pl, [&] { cross_entropy_backward_cpu<T>(pool_of(env), a.N, a.C, a.R, x, a.sel, a.tgt, lse, *g, dx); },
           [&] { cross_entropy_backward_cuda<T>(a.N, a.C, a.R, x, a.sel, a.tgt, lse, g, dx); },
           [&] {
             // As cross_entropy_backward_kernel (whose atomic adds these are): rows may repeat.
             std::fill(dx, dx + n, T(0));
             const double c = double(*g) / double(a.R);
             for (int64_t k = 0; k < a.R; ++k) {
               const int64_t base = int64_t(a.sel[k]) * a.C;
               const double l = double(lse[k]);
               for (int64_t j = 0; j < a.C; ++j) dx[base + j] += T(c * vm::exp(double(x[base + j]) - l));
               dx[base + a.tgt[k]] += T(-c);
             }
           });
    return 0;
  });
  return env.Undefined();
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

// dropout's scale, in T: 1 / (1 − p), 0 when p = 1.
template <class T>
T dropout_scale(double p) {
  return p >= 1 ? T(0) : T(1.0 / (1.0 - p));
}

Napi::Value Dropout(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  CallPlace pl{"dropout"};
  const double p = probability_arg(env, info[0], pl.op);
  const uint64_t seed = uint64_t(u32_arg(env, info[2], pl.op, "seedHi")) << 32 | u32_arg(env, info[1], pl.op, "seedLo");
  const uint64_t offset = uint64_t(u32_arg(env, info[4], pl.op, "offsetHi")) << 32 | u32_arg(env, info[3], pl.op, "offsetLo");
  by_float_type(env, info[5], pl.op, "x", [&](auto tag) {
    using T = decltype(tag);
    int64_t n = 0;
    const T* x = data_arg<T>(env, pl, info[5], -1, "x", &n);
    T* out = data_arg<T>(env, pl, info[6], n, "out");
    uint8_t* keep = data_arg<uint8_t>(env, pl, info[7], n, "keep");
    run_on(env, pl, [&] { dropout_cpu<T>(pool_of(env), n, p, seed, offset, x, out, keep); },
           [&] { dropout_cuda<T>(n, p, seed, offset, x, out, keep); },
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

Napi::Value DropoutBackward(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  CallPlace pl{"dropout"};
  const double p = probability_arg(env, info[0], pl.op);
  by_float_type(env, info[2], pl.op, "g", [&](auto tag) {
    using T = decltype(tag);
    int64_t n = 0;
    const T* g = data_arg<T>(env, pl, info[2], -1, "g", &n);
    const uint8_t* keep = data_arg<uint8_t>(env, pl, info[1], n, "keep");
    T* dx = data_arg<T>(env, pl, info[3], n, "dx");
    const T scale = dropout_scale<T>(p);
    run_on(env, pl, [&] { dropout_backward_cpu<T>(pool_of(env), n, scale, keep, g, dx); },
           [&] { dropout_backward_cuda<T>(n, scale, keep, g, dx); },
           [&] { for (int64_t i = 0; i < n; ++i) dx[i] = keep[i] ? g[i] * scale : T(0); });
    return 0;
  });
  return env.Undefined();
}

Napi::Value AdamStep(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  CallPlace pl{"Adam"};
  body::AdamStep s;
  s.lr = num_arg(env, info[5], pl.op, "lr");
  s.beta1 = num_arg(env, info[6], pl.op, "beta1");
  s.beta2 = num_arg(env, info[7], pl.op, "beta2");
  s.eps = num_arg(env, info[8], pl.op, "eps");
  s.weight_decay = num_arg(env, info[9], pl.op, "weightDecay");
  s.decoupled = bool_arg(info[10]);
  s.amsgrad = bool_arg(info[11]);
  s.step = int_arg(env, info[12], pl.op, "step");
  if (s.step < 1) throw_js(env, std::string(pl.op) + ": step counts from 1");
  if (given(info[13])) s.step_size = num_arg(env, info[13], pl.op, "stepSize");
  if (given(info[14])) s.bc2_sqrt = num_arg(env, info[14], pl.op, "bc2Sqrt");
  by_float_type(env, info[0], pl.op, "p", [&](auto tag) {
    using T = decltype(tag);
    int64_t n = 0;
    T* p = data_arg<T>(env, pl, info[0], -1, "p", &n);
    const T* g = data_arg<T>(env, pl, info[1], n, "g");
    T* m = data_arg<T>(env, pl, info[2], n, "m");
    T* v = data_arg<T>(env, pl, info[3], n, "v");
    T* vmax = data_arg_or_null<T>(env, pl, info[4], n, "vmax");
    if (s.amsgrad != given(info[4])) throw_js(env, std::string(pl.op) + ": vmax is needed exactly when amsgrad is on");
    run_on(env, pl, [&] { adam_step_cpu<T>(pool_of(env), s, n, p, g, m, v, vmax); },
           [&] { adam_step_cuda<T>(s, n, p, g, m, v, vmax); },
           [&] {
             // The factors adam_step_cuda computes once per step.
             const double step_size = s.step_size != 0 ? s.step_size : s.lr / (1 - std::pow(s.beta1, double(s.step)));
             const double bc2_sqrt = s.bc2_sqrt != 0 ? s.bc2_sqrt : std::sqrt(1 - std::pow(s.beta2, double(s.step)));
             for (int64_t i = 0; i < n; ++i)
               body::adam_element(s, step_size, bc2_sqrt, p[i], g[i], m[i], v[i], vmax ? vmax + i : nullptr);
           });
    return 0;
  });
  return env.Undefined();
}

Napi::Value SgdStep(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  CallPlace pl{"SGD"};
  body::SgdStep s;
  s.lr = num_arg(env, info[3], pl.op, "lr");
  s.momentum = num_arg(env, info[4], pl.op, "momentum");
  s.dampening = num_arg(env, info[5], pl.op, "dampening");
  s.weight_decay = num_arg(env, info[6], pl.op, "weightDecay");
  s.nesterov = bool_arg(info[7]);
  s.first = bool_arg(info[8]);
  by_float_type(env, info[0], pl.op, "p", [&](auto tag) {
    using T = decltype(tag);
    int64_t n = 0;
    T* p = data_arg<T>(env, pl, info[0], -1, "p", &n);
    const T* g = data_arg<T>(env, pl, info[1], n, "g");
    T* buf = data_arg_or_null<T>(env, pl, info[2], n, "buf");
    run_on(env, pl, [&] { sgd_step_cpu<T>(pool_of(env), s, n, p, g, buf); },
           [&] { sgd_step_cuda<T>(s, n, p, g, buf); },
           [&] { for (int64_t i = 0; i < n; ++i) body::sgd_element(s, p[i], g[i], buf ? buf + i : nullptr); });
    return 0;
  });
  return env.Undefined();
}

}  // namespace

void register_dense_ops(Napi::Env env, Napi::Object exports) {
  exports.Set("binary", Napi::Function::New(env, Binary));
  exports.Set("binaryBackward", Napi::Function::New(env, BinaryBackward));
  exports.Set("sumTo", Napi::Function::New(env, SumTo));
  exports.Set("sumAll", Napi::Function::New(env, SumAll));
  exports.Set("unary", Napi::Function::New(env, Unary));
  exports.Set("unaryBackward", Napi::Function::New(env, UnaryBackward));
  exports.Set("clamp", Napi::Function::New(env, Clamp));
  exports.Set("clampBackward", Napi::Function::New(env, ClampBackward));
  exports.Set("dot", Napi::Function::New(env, Dot));
  exports.Set("norm", Napi::Function::New(env, Norm));
  exports.Set("normBackward", Napi::Function::New(env, NormBackward));
  exports.Set("cast", Napi::Function::New(env, Cast));
  exports.Set("transpose", Napi::Function::New(env, Transpose));
  exports.Set("fill", Napi::Function::New(env, Fill));
  exports.Set("axpby", Napi::Function::New(env, Axpby));
  exports.Set("logSoftmax", Napi::Function::New(env, LogSoftmax));
  exports.Set("logSoftmaxBackward", Napi::Function::New(env, LogSoftmaxBackward));
  exports.Set("crossEntropy", Napi::Function::New(env, CrossEntropy));
  exports.Set("crossEntropyBackward", Napi::Function::New(env, CrossEntropyBackward));
  exports.Set("dropout", Napi::Function::New(env, Dropout));
  exports.Set("dropoutBackward", Napi::Function::New(env, DropoutBackward));
  exports.Set("adamStep", Napi::Function::New(env, AdamStep));
  exports.Set("sgdStep", Napi::Function::New(env, SgdStep));
}

}  // namespace sad::binding
