// Device ('cuda') bindings: dense ops. See device_array.h for the conventions.
// On a GPU each runs the CUDA kernel of dense_ops.h / dense.h; on the emulated
// device the same per-element bodies in host loops (on_host::, dense_bodies.h),
// and the CPU GEMM. Shapes are JS arrays of dimensions; an element-wise
// operand is a device array or a JS number (a constant of the output's dtype).
//
//   dBinary(op, shape, a, aShape, b, bShape, out)          out = a ∘ b, broadcast to shape
//   dBinaryBackward(op, shape, a, aShape, b, bShape, y|null, g, da|null, db|null)
//                                                          the VJP, da and db summed to a's and b's shapes
//   dSumTo(x, xShape, toShape, scale, out)                 out = scale Σ x over the axes where toShape has 1
//   dUnary(op, x, out), dUnaryBackward(op, x|null, y|null, g, dx)
//   dClamp(lo, hi, x, out), dClampBackward(lo, hi, x, g, dx)
//   dDot(a, b, out), dNorm(x, out), dNormBackward(x, nrm, g, dx)   out, nrm, g: one entry
//   dCast(x, out)                                          float32 ↔ float64
//   dTranspose(rows, cols, x, out)                         out [cols, rows] = xᵀ
//   dGemm(transA, transB, m, n, k, A, B, C)                C = op(A) op(B) (dense.h)
#include <string>
#include <vector>

#include "bindings.h"
#include "dense.h"
#include "dense_ops.h"
#include "device_array.h"

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
  throw_js(env, name + ": not available on cuda yet");
}

UnaryOp unary_op(const Napi::Env& env, const std::string& name) {
  static const std::pair<const char*, UnaryOp> ops[] = {
      {"neg", UnaryOp::neg},   {"exp", UnaryOp::exp},   {"log", UnaryOp::log},   {"tanh", UnaryOp::tanh},
      {"sigmoid", UnaryOp::sigmoid}, {"relu", UnaryOp::relu}, {"square", UnaryOp::square}, {"sqrt", UnaryOp::sqrt},
      {"abs", UnaryOp::abs},   {"sin", UnaryOp::sin},   {"cos", UnaryOp::cos}};
  for (const auto& [n, op] : ops)
    if (name == n) return op;
  throw_js(env, name + ": not available on cuda yet");
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
BinaryArgs<T> binary_args(const Napi::Env& env, const Napi::CallbackInfo& info, size_t at, const char* op) {
  BinaryArgs<T> r;
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
      operand[o]->data = dev_arg<T>(env, v, *size[o], op, names[o]);
    }
  }
  r.s = guarded(env, [&] { return make_broadcast(op, int(out.size()), out.data(), in[0].data(), in[1].data()); });
  return r;
}

Napi::Value DBinary(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const std::string name = string_arg(env, info[0], "dBinary");
  const char* op = name.c_str();
  const BinaryOp bop = binary_op(env, name);
  by_device_dtype(env, info[6], op, "out", [&](auto tag) {
    using T = decltype(tag);
    const auto p = binary_args<T>(env, info, 1, op);
    T* out = dev_arg<T>(env, info[6], p.s.size, op, "out");
    on_device(env, op, [&] { binary_broadcast_cuda<T>(bop, p.s, p.a, p.b, out); },
              [&] { on_host::binary_broadcast<T>(bop, p.s, p.a, p.b, out); });
    return 0;
  });
  return env.Undefined();
}

Napi::Value DBinaryBackward(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const std::string name = string_arg(env, info[0], "dBinaryBackward");
  const char* op = name.c_str();
  const BinaryOp bop = binary_op(env, name);
  by_device_dtype(env, info[7], op, "g", [&](auto tag) {
    using T = decltype(tag);
    const auto p = binary_args<T>(env, info, 1, op);
    const T* y = dev_arg_or_null<T>(env, info[6], p.s.size, op, "y");
    const T* g = dev_arg<T>(env, info[7], p.s.size, op, "g");
    T* da = dev_arg_or_null<T>(env, info[8], p.a_size, op, "da");
    T* db = dev_arg_or_null<T>(env, info[9], p.b_size, op, "db");
    // (Checked on the JS values: an empty array's pointer is null too.)
    if ((given(info[8]) && info[2].IsNumber()) || (given(info[9]) && info[4].IsNumber()))
      throw_js(env, name + ": a constant operand has no gradient");
    if (bop == BinaryOp::pow && given(info[9]) && !given(info[6]))
      throw_js(env, name + ": the VJP for the exponent needs the forward output y");
    on_device(env, op, [&] { binary_backward_cuda<T>(bop, p.s, g, p.a, p.b, y, da, db); },
              [&] { on_host::binary_backward<T>(bop, p.s, g, p.a, p.b, y, da, db); });
    return 0;
  });
  return env.Undefined();
}

Napi::Value DSumTo(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "sum";
  const auto shape = shape_arg(env, info[1], op, "xShape");
  const auto to = shape_arg(env, info[2], op, "toShape");
  if (to.size() != shape.size()) throw_js(env, "sum: xShape and toShape differ in their number of axes");
  const double scale = num_arg(env, info[3], op, "scale");
  by_device_dtype(env, info[0], op, "x", [&](auto tag) {
    using T = decltype(tag);
    const Reduction r = guarded(env, [&] { return make_reduction(op, int(shape.size()), shape.data(), to.data()); });
    const T* x = dev_arg<T>(env, info[0], size_of(shape), op, "x");
    T* out = dev_arg<T>(env, info[4], r.out_size, op, "out");
    on_device(env, op, [&] { sum_to_cuda<T>(r, x, scale, out); }, [&] { on_host::sum_to<T>(r, x, scale, out); });
    return 0;
  });
  return env.Undefined();
}

Napi::Value DUnary(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const std::string name = string_arg(env, info[0], "dUnary");
  const char* op = name.c_str();
  const UnaryOp uop = unary_op(env, name);
  by_device_dtype(env, info[2], op, "out", [&](auto tag) {
    using T = decltype(tag);
    const int64_t n = device_array_arg(env, info[2], op, "out")->length();
    const T* x = dev_arg<T>(env, info[1], n, op, "x");
    T* out = dev_arg<T>(env, info[2], n, op, "out");
    on_device(env, op, [&] { unary_cuda<T>(uop, n, x, out); }, [&] { on_host::unary<T>(uop, n, x, out); });
    return 0;
  });
  return env.Undefined();
}

Napi::Value DUnaryBackward(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const std::string name = string_arg(env, info[0], "dUnaryBackward");
  const char* op = name.c_str();
  const UnaryOp uop = unary_op(env, name);
  by_device_dtype(env, info[4], op, "dx", [&](auto tag) {
    using T = decltype(tag);
    const int64_t n = device_array_arg(env, info[4], op, "dx")->length();
    const T* x = dev_arg_or_null<T>(env, info[1], n, op, "x");
    const T* y = dev_arg_or_null<T>(env, info[2], n, op, "y");
    const T* g = dev_arg<T>(env, info[3], n, op, "g");
    T* dx = dev_arg<T>(env, info[4], n, op, "dx");
    const int reads = body::unary_grad_reads(uop);
    if (((reads & 1) && !given(info[1])) || ((reads & 2) && !given(info[2])))
      throw_js(env, name + ": the VJP needs " + ((reads & 1) ? "the input x" : "the output y"));
    on_device(env, op, [&] { unary_backward_cuda<T>(uop, n, x, y, g, dx); },
              [&] { on_host::unary_backward<T>(uop, n, x, y, g, dx); });
    return 0;
  });
  return env.Undefined();
}

Napi::Value DClamp(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "clamp";
  const double lo = num_arg(env, info[0], op, "min"), hi = num_arg(env, info[1], op, "max");
  by_device_dtype(env, info[3], op, "out", [&](auto tag) {
    using T = decltype(tag);
    const int64_t n = device_array_arg(env, info[3], op, "out")->length();
    const T* x = dev_arg<T>(env, info[2], n, op, "x");
    T* out = dev_arg<T>(env, info[3], n, op, "out");
    on_device(env, op, [&] { clamp_cuda<T>(n, lo, hi, x, out); }, [&] { on_host::clamp<T>(n, lo, hi, x, out); });
    return 0;
  });
  return env.Undefined();
}

Napi::Value DClampBackward(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "clamp";
  const double lo = num_arg(env, info[0], op, "min"), hi = num_arg(env, info[1], op, "max");
  by_device_dtype(env, info[4], op, "dx", [&](auto tag) {
    using T = decltype(tag);
    const int64_t n = device_array_arg(env, info[4], op, "dx")->length();
    const T* x = dev_arg<T>(env, info[2], n, op, "x");
    const T* g = dev_arg<T>(env, info[3], n, op, "g");
    T* dx = dev_arg<T>(env, info[4], n, op, "dx");
    on_device(env, op, [&] { clamp_backward_cuda<T>(n, lo, hi, x, g, dx); },
              [&] { on_host::clamp_backward<T>(n, lo, hi, x, g, dx); });
    return 0;
  });
  return env.Undefined();
}

Napi::Value DDot(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "dot";
  by_device_dtype(env, info[0], op, "a", [&](auto tag) {
    using T = decltype(tag);
    int64_t n = 0;
    const T* a = dev_arg<T>(env, info[0], -1, op, "a", &n);
    const T* b = dev_arg<T>(env, info[1], n, op, "b");
    T* out = dev_arg<T>(env, info[2], 1, op, "out");
    on_device(env, op, [&] { dot_cuda<T>(n, a, b, out); }, [&] { on_host::dot<T>(n, a, b, out); });
    return 0;
  });
  return env.Undefined();
}

Napi::Value DNorm(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "norm";
  by_device_dtype(env, info[0], op, "x", [&](auto tag) {
    using T = decltype(tag);
    int64_t n = 0;
    const T* x = dev_arg<T>(env, info[0], -1, op, "x", &n);
    T* out = dev_arg<T>(env, info[1], 1, op, "out");
    on_device(env, op, [&] { norm_cuda<T>(n, x, out); }, [&] { on_host::norm<T>(n, x, out); });
    return 0;
  });
  return env.Undefined();
}

Napi::Value DNormBackward(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "norm";
  by_device_dtype(env, info[0], op, "x", [&](auto tag) {
    using T = decltype(tag);
    int64_t n = 0;
    const T* x = dev_arg<T>(env, info[0], -1, op, "x", &n);
    const T* nrm = dev_arg<T>(env, info[1], 1, op, "nrm");
    const T* g = dev_arg<T>(env, info[2], 1, op, "g");
    T* dx = dev_arg<T>(env, info[3], n, op, "dx");
    on_device(env, op, [&] { norm_backward_cuda<T>(n, x, nrm, g, dx); },
              [&] { on_host::norm_backward<T>(n, x, nrm, g, dx); });
    return 0;
  });
  return env.Undefined();
}

Napi::Value DCast(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "to";
  DeviceArray* src = device_array_arg(env, info[0], op, "x");
  const int64_t n = src->length();
  if (src->type() == ElemType::f64) {
    const double* x = dev_arg<double>(env, info[0], n, op, "x");
    float* out = dev_arg<float>(env, info[1], n, op, "out");
    on_device(env, op, [&] { cast_cuda<double, float>(n, x, out); }, [&] { on_host::cast(n, x, out); });
  } else {
    const float* x = dev_arg<float>(env, info[0], n, op, "x");
    double* out = dev_arg<double>(env, info[1], n, op, "out");
    on_device(env, op, [&] { cast_cuda<float, double>(n, x, out); }, [&] { on_host::cast(n, x, out); });
  }
  return env.Undefined();
}

Napi::Value DTranspose(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "transpose";
  const int64_t rows = int_arg(env, info[0], op, "rows"), cols = int_arg(env, info[1], op, "cols");
  by_device_dtype(env, info[2], op, "x", [&](auto tag) {
    using T = decltype(tag);
    const T* x = dev_arg<T>(env, info[2], rows * cols, op, "x");
    T* out = dev_arg<T>(env, info[3], rows * cols, op, "out");
    on_device(env, op, [&] { transpose_cuda<T>(rows, cols, x, out); },
              [&] { on_host::transpose<T>(rows, cols, x, out); });
    return 0;
  });
  return env.Undefined();
}

Napi::Value DGemm(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const char* op = "matmul";
  const bool ta = bool_arg(info[0]), tb = bool_arg(info[1]);
  const int64_t m = int_arg(env, info[2], op, "m"), n = int_arg(env, info[3], op, "n"), k = int_arg(env, info[4], op, "k");
  by_device_dtype(env, info[5], op, "A", [&](auto tag) {
    using T = decltype(tag);
    const T* A = dev_arg<T>(env, info[5], m * k, op, "A");
    const T* B = dev_arg<T>(env, info[6], k * n, op, "B");
    T* C = dev_arg<T>(env, info[7], m * n, op, "C");
    on_device(env, op, [&] { gemm_cuda<T>(ta, tb, m, n, k, A, B, C); },
              [&] { gemm_cpu<T>(pool_of(env), ta, tb, m, n, k, A, B, C); });
    return 0;
  });
  return env.Undefined();
}

}  // namespace

void register_d_dense(Napi::Env env, Napi::Object exports) {
  exports.Set("dBinary", Napi::Function::New(env, DBinary));
  exports.Set("dBinaryBackward", Napi::Function::New(env, DBinaryBackward));
  exports.Set("dSumTo", Napi::Function::New(env, DSumTo));
  exports.Set("dUnary", Napi::Function::New(env, DUnary));
  exports.Set("dUnaryBackward", Napi::Function::New(env, DUnaryBackward));
  exports.Set("dClamp", Napi::Function::New(env, DClamp));
  exports.Set("dClampBackward", Napi::Function::New(env, DClampBackward));
  exports.Set("dDot", Napi::Function::New(env, DDot));
  exports.Set("dNorm", Napi::Function::New(env, DNorm));
  exports.Set("dNormBackward", Napi::Function::New(env, DNormBackward));
  exports.Set("dCast", Napi::Function::New(env, DCast));
  exports.Set("dTranspose", Napi::Function::New(env, DTranspose));
  exports.Set("dGemm", Napi::Function::New(env, DGemm));
}

}  // namespace sad::binding
