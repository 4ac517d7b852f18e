// The dense CPU kernels (dense_ops_cpu.cc) against long-double references
// written here, at 1, 2 and 3 threads with bitwise-equal results across thread
// counts; against the device's host loops (on_host::, the same bodies) bit for
// bit where the arithmetic is the same; and the vectorizable exp / tanh
// (vmath.h) against the C library in long double.
#include <cmath>
#include <cstring>
#include <limits>

#include "dense_ops.h"
#include "reference.h"

using namespace sad_test;
using sad::BinaryOp;
using sad::ThreadPool;
using sad::UnaryOp;

namespace {

using ld = long double;
const int kThreads[] = {1, 2, 3};
// Above the kernels' grain (2^15), so 2 and 3 threads really split the work.
constexpr int64_t kBig = 100003;

template <class T>
bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}

// The distance in units in the last place of `want` (rounded to T).
template <class T>
double ulps(T got, ld want) {
  const T w = T(want);
  if (std::isnan(double(w))) return std::isnan(double(got)) ? 0 : 1e9;
  if (std::isinf(double(w)) || double(w) == 0) return got == w ? 0 : 1e9;
  const T u = std::nextafter(std::fabs(w), std::numeric_limits<T>::infinity()) - std::fabs(w);
  return double(std::fabs(ld(got) - want) / ld(u));
}

template <class T>
void vmath_case(ld lo, ld hi, double exp_ulps, double tanh_ulps) {
  Rng r(7);
  double worst_e = 0, worst_t = 0;
  for (int k = 0; k < 200000; ++k) {
    const T x = T(lo + (hi - lo) * ld(r.uniform()));
    worst_e = std::max(worst_e, ulps<T>(sad::vm::exp(x), std::exp(ld(x))));
    worst_t = std::max(worst_t, ulps<T>(sad::vm::tanh(x), std::tanh(ld(x))));
  }
  SAD_CHECK(worst_e <= exp_ulps) << "exp on [" << double(lo) << ", " << double(hi) << "]: " << worst_e << " ulp";
  SAD_CHECK(worst_t <= tanh_ulps) << "tanh on [" << double(lo) << ", " << double(hi) << "]: " << worst_t << " ulp";
}

}  // namespace

SAD_TEST(cpu, vmath_exp_tanh_against_long_double) {
  // The error of the result rounded to T plus the polynomial's: 1 ulp for exp, 4 for tanh (double).
  vmath_case<double>(-745, 709, 1.01, 1e9);
  vmath_case<double>(-20, 20, 1.01, 4.01);
  vmath_case<double>(-1, 1, 1.01, 4.01);
  vmath_case<float>(-103, 88, 1.01, 1e9);
  vmath_case<float>(-10, 10, 1.01, 2.5);
  vmath_case<float>(-1e-3L, 1e-3L, 1.01, 2.5);
  const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
  SAD_CHECK(sad::vm::exp(inf) == inf && sad::vm::exp(-inf) == 0 && std::isnan(sad::vm::exp(nan)));
  SAD_CHECK(sad::vm::exp(710.0) == inf && sad::vm::exp(-746.0) == 0 && sad::vm::exp(0.0) == 1);
  SAD_CHECK(sad::vm::exp(-745.1) == std::exp(-745.1)) << "the smallest subnormal";
  SAD_CHECK(sad::vm::tanh(inf) == 1 && sad::vm::tanh(-inf) == -1 && std::isnan(sad::vm::tanh(nan)));
  SAD_CHECK(std::signbit(sad::vm::tanh(-0.0)) && sad::vm::tanh(1e-300) == 1e-300);
  SAD_CHECK(sad::vm::exp(89.0f) == std::numeric_limits<float>::infinity() && sad::vm::exp(-104.0f) == 0.0f);
  const float finf = std::numeric_limits<float>::infinity(), fnan = std::numeric_limits<float>::quiet_NaN();
  SAD_CHECK(sad::vm::exp(finf) == finf && sad::vm::exp(-finf) == 0 && std::isnan(sad::vm::exp(fnan)));
  SAD_CHECK(sad::vm::exp(-0.0f) == 1 && sad::vm::exp(88.72f) == std::exp(88.72f) && sad::vm::exp(88.73f) == finf);
  SAD_CHECK(sad::vm::exp(-103.9f) == std::exp(-103.9f)) << "the smallest subnormal";
  SAD_CHECK(sad::vm::tanh(finf) == 1 && sad::vm::tanh(-finf) == -1 && std::isnan(sad::vm::tanh(fnan)));
  SAD_CHECK(std::signbit(sad::vm::tanh(-0.0f)) && sad::vm::tanh(1e-40f) == 1e-40f) << "tanh keeps −0 and subnormals";
}

namespace {

template <class T>
void unary_case(UnaryOp op, ld (*f)(ld), const char* name, ld lo, ld hi, double ulp_bound) {
  auto x = random_vector<T>(kBig, 11);
  for (auto& v : x) v = T(lo + (hi - lo) * (ld(v) + 1) / 2);
  x[0] = std::numeric_limits<T>::quiet_NaN();
  std::vector<T> first;
  for (int th : kThreads) {
    ThreadPool pool(th);
    auto out = nan_vector<T>(kBig);
    sad::unary_cpu<T>(pool, op, kBig, x.data(), out.data());
    if (first.empty()) first = out;
    else SAD_CHECK(same_bits(out, first)) << name << ": " << th << " threads differ from 1";
  }
  // The device's host loop runs the same body: the same bits.
  auto dev = nan_vector<T>(kBig);
  sad::on_host::unary<T>(op, kBig, x.data(), dev.data());
  SAD_CHECK(same_bits(dev, first)) << name << ": the CPU kernel differs from the device's body";
  SAD_CHECK(std::isnan(double(first[0]))) << name << "(NaN) is not NaN";
  double worst = 0;
  for (int64_t i = 1; i < kBig; ++i) worst = std::max(worst, ulps<T>(first[i], f(ld(x[i]))));
  SAD_CHECK(worst <= ulp_bound) << name << ": " << worst << " ulp from long double";
}

ld relu_ref(ld x) { return x > 0 ? x : 0; }
ld sigmoid_ref(ld x) { return 1 / (1 + std::exp(-x)); }
ld neg_ref(ld x) { return -x; }

}  // namespace

SAD_TEST(cpu, dense_unary_maps) {
  unary_case<double>(UnaryOp::exp, [](ld x) { return std::exp(x); }, "exp", -30, 30, 1.01);
  unary_case<float>(UnaryOp::exp, [](ld x) { return std::exp(x); }, "exp f32", -30, 30, 1.01);
  unary_case<double>(UnaryOp::tanh, [](ld x) { return std::tanh(x); }, "tanh", -8, 8, 4.01);
  unary_case<float>(UnaryOp::tanh, [](ld x) { return std::tanh(x); }, "tanh f32", -8, 8, 2.5);
  unary_case<double>(UnaryOp::relu, relu_ref, "relu", -3, 3, 0);
  unary_case<float>(UnaryOp::relu, relu_ref, "relu f32", -3, 3, 0);
  unary_case<double>(UnaryOp::sigmoid, sigmoid_ref, "sigmoid", -40, 40, 4.01);
  unary_case<double>(UnaryOp::neg, neg_ref, "neg", -3, 3, 0);
  unary_case<double>(UnaryOp::sqrt, [](ld x) { return std::sqrt(x); }, "sqrt", 0, 9, 0.51);
  unary_case<double>(UnaryOp::log, [](ld x) { return std::log(x); }, "log", 0.01, 9, 1.01);
}

namespace {

// The broadcast of a (shape as) and b (shape bs) to out, all right-aligned to 3 axes, in long double.
struct Shape3 {
  int64_t d[3];
  int64_t size() const { return d[0] * d[1] * d[2]; }
  int64_t at(int64_t i, int64_t j, int64_t k) const {
    return ((d[0] == 1 ? 0 : i) * d[1] + (d[1] == 1 ? 0 : j)) * d[2] + (d[2] == 1 ? 0 : k);
  }
};

template <class T>
void binary_case(BinaryOp op, Shape3 as, Shape3 bs, bool b_const) {
  const Shape3 os{{std::max(as.d[0], bs.d[0]), std::max(as.d[1], bs.d[1]), std::max(as.d[2], bs.d[2])}};
  const std::string at = "binary " + std::to_string(int(op)) + " [" + std::to_string(as.d[0]) + "," +
                         std::to_string(as.d[1]) + "," + std::to_string(as.d[2]) + "] with [" +
                         std::to_string(bs.d[0]) + "," + std::to_string(bs.d[1]) + "," + std::to_string(bs.d[2]) +
                         "]" + (b_const ? " (constant)" : "");
  auto a = random_vector<T>(as.size(), 21);
  auto b = random_vector<T>(bs.size(), 22);
  for (auto& v : b) v = T(v + (v >= 0 ? 0.5 : -0.5));  // away from 0 for div
  const T bc = T(1.75);
  const sad::Broadcast s = sad::make_broadcast("test", 3, os.d, as.d, b_const ? Shape3{{1, 1, 1}}.d : bs.d);
  sad::Operand<T> oa{a.data()}, ob{b_const ? nullptr : b.data(), bc};
  // References: out, and the VJPs with g summed to each operand's shape.
  auto g = random_vector<T>(os.size(), 23);
  std::vector<ld> out(os.size()), da(as.size(), 0), db(bs.size(), 0), mda(as.size(), 0), mdb(bs.size(), 0);
  for (int64_t i = 0; i < os.d[0]; ++i)
    for (int64_t j = 0; j < os.d[1]; ++j)
      for (int64_t k = 0; k < os.d[2]; ++k) {
        const int64_t o = (i * os.d[1] + j) * os.d[2] + k, ia = as.at(i, j, k), ib = bs.at(i, j, k);
        const ld x = a[ia], y = b_const ? ld(bc) : ld(b[ib]), gg = g[o];
        ld ga = gg, gb = gg;
        switch (op) {
          case BinaryOp::add: out[o] = x + y; break;
          case BinaryOp::sub: out[o] = x - y; gb = -gg; break;
          case BinaryOp::mul: out[o] = x * y; ga = gg * y; gb = gg * x; break;
          case BinaryOp::div: out[o] = x / y; ga = gg / y; gb = -gg * x / (y * y); break;
          default: break;
        }
        da[ia] += ga;
        mda[ia] += std::fabs(ga);
        if (!b_const) {
          db[ib] += gb;
          mdb[ib] += std::fabs(gb);
        }
      }
  auto to_d = [](const std::vector<ld>& v) { return std::vector<double>(v.begin(), v.end()); };
  std::vector<T> first_out, first_da;
  for (int th : kThreads) {
    ThreadPool pool(th);
    auto got = nan_vector<T>(os.size());
    sad::binary_broadcast_cpu<T>(pool, op, s, oa, ob, got.data());
    check_close(at + " forward", got, to_d(out));
    auto ga = nan_vector<T>(as.size());
    auto gb = nan_vector<T>(bs.size());
    sad::binary_backward_cpu<T>(pool, op, s, g.data(), oa, ob, nullptr, ga.data(), b_const ? nullptr : gb.data());
    check_close(at + " da", ga, to_d(da), to_d(mda));
    if (!b_const) check_close(at + " db", gb, to_d(db), to_d(mdb));
    if (first_out.empty()) {
      first_out = got;
      first_da = ga;
    } else {
      SAD_CHECK(same_bits(got, first_out) && same_bits(ga, first_da)) << at << ": " << th << " threads differ from 1";
    }
  }
  auto dev = nan_vector<T>(os.size());
  sad::on_host::binary_broadcast<T>(op, s, oa, ob, dev.data());
  SAD_CHECK(same_bits(dev, first_out)) << at << ": the CPU kernel differs from the device's body";
}

}  // namespace

SAD_TEST(cpu, dense_binary_broadcasting) {
  for (BinaryOp op : {BinaryOp::add, BinaryOp::sub, BinaryOp::mul, BinaryOp::div}) {
    binary_case<double>(op, {{1, 4099, 32}}, {{1, 1, 32}}, false);  // [n, 32] + [32], above the grain
    binary_case<double>(op, {{1, 37, 1}}, {{1, 1, 23}}, false);     // an outer product
    binary_case<double>(op, {{5, 1, 7}}, {{1, 6, 1}}, false);       // three axes
    binary_case<double>(op, {{1, 1, kBig}}, {{1, 1, kBig}}, false);  // same shapes
    binary_case<float>(op, {{1, 1, kBig}}, {{1, 1, 1}}, true);      // a constant
    binary_case<float>(op, {{3, 1, 9000}}, {{3, 5, 9000}}, false);
  }
  // NaN and ±∞ propagate; maximum / minimum return NaN when either side is.
  ThreadPool pool(2);
  const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> a{1, nan, inf, -inf, 2}, b{nan, 1, -inf, 3, 2}, out(5);
  const int64_t n5[1] = {5};
  const sad::Broadcast s = sad::make_broadcast("test", 1, n5, n5, n5);
  sad::binary_broadcast_cpu<double>(pool, BinaryOp::add, s, {a.data()}, {b.data()}, out.data());
  SAD_CHECK(std::isnan(out[0]) && std::isnan(out[1]) && std::isnan(out[2]) && out[3] == -inf && out[4] == 4);
  sad::binary_broadcast_cpu<double>(pool, BinaryOp::maximum, s, {a.data()}, {b.data()}, out.data());
  SAD_CHECK(std::isnan(out[0]) && std::isnan(out[1]) && out[2] == inf && out[3] == 3 && out[4] == 2);
  sad::binary_broadcast_cpu<double>(pool, BinaryOp::minimum, s, {a.data()}, {b.data()}, out.data());
  SAD_CHECK(std::isnan(out[0]) && std::isnan(out[1]) && out[2] == -inf && out[3] == -inf && out[4] == 2);
}

namespace {

// Σ x over the axes of `shape` (3 axes) where `to` has 1, in long double.
template <class T>
void sum_case(Shape3 shape, Shape3 to, double scale) {
  const std::string at = "sum [" + std::to_string(shape.d[0]) + "," + std::to_string(shape.d[1]) + "," +
                         std::to_string(shape.d[2]) + "] to [" + std::to_string(to.d[0]) + "," +
                         std::to_string(to.d[1]) + "," + std::to_string(to.d[2]) + "]";
  const auto x = random_vector<T>(shape.size(), 31);
  std::vector<ld> ref(to.size(), 0), mag(to.size(), 0);
  for (int64_t i = 0; i < shape.d[0]; ++i)
    for (int64_t j = 0; j < shape.d[1]; ++j)
      for (int64_t k = 0; k < shape.d[2]; ++k) {
        const ld v = x[(i * shape.d[1] + j) * shape.d[2] + k];
        ref[to.at(i, j, k)] += v * scale;
        mag[to.at(i, j, k)] += std::fabs(v * scale);
      }
  const sad::Reduction r = sad::make_reduction("test", 3, shape.d, to.d);
  std::vector<T> first;
  for (int th : kThreads) {
    ThreadPool pool(th);
    auto out = nan_vector<T>(to.size());
    sad::sum_to_cpu<T>(pool, r, x.data(), scale, out.data());
    check_close(at, out, std::vector<double>(ref.begin(), ref.end()), std::vector<double>(mag.begin(), mag.end()));
    if (first.empty()) first = out;
    else SAD_CHECK(same_bits(out, first)) << at << ": " << th << " threads differ from 1";
  }
}

}  // namespace

SAD_TEST(cpu, dense_sums_over_axes) {
  for (double scale : {1.0, -0.25}) {
    sum_case<double>({{1, 1, 1 << 20}}, {{1, 1, 1}}, scale);     // everything (fixed blocks)
    sum_case<float>({{1, 1, 1 << 20}}, {{1, 1, 1}}, scale);
    sum_case<double>({{1, 16384, 32}}, {{1, 16384, 1}}, scale);  // rows
    sum_case<double>({{1, 16384, 32}}, {{1, 1, 32}}, scale);     // columns
    sum_case<float>({{1, 3, 100000}}, {{1, 3, 1}}, scale);       // long rows
    sum_case<double>({{40, 300, 7}}, {{40, 1, 7}}, scale);       // a middle axis
    sum_case<double>({{40, 300, 7}}, {{1, 300, 1}}, scale);      // two outer axes
    sum_case<double>({{6, 5, 4}}, {{6, 5, 4}}, scale);           // nothing summed
  }
  ThreadPool pool(2);
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> x(70000, 1.0);
  double out = 0;
  const int64_t n[1] = {70000}, one[1] = {1};
  const sad::Reduction r = sad::make_reduction("test", 1, n, one);
  x[5] = inf;
  sad::sum_to_cpu<double>(pool, r, x.data(), 1.0, &out);
  SAD_CHECK(out == inf) << out;
  x[60000] = -inf;
  sad::sum_to_cpu<double>(pool, r, x.data(), 1.0, &out);
  SAD_CHECK(std::isnan(out)) << out;
}

// A float32 sum over more than one block (up to 2^21 entries) adds groups of 4
// entries in float before the double lanes (sum_lanes_f32): within 3 float
// roundings of Σ|x| of the exact sum, plus the final rounding; ragged lengths
// reach the rounds and entries after the last whole group, and the last length
// the plain lanes beyond 2^21; the same bits for any thread count.
SAD_TEST(cpu, dense_sum_float32_groups) {
  const double eps = std::ldexp(1.0, -24);
  for (int64_t n : {int64_t{4097}, int64_t{3 * 4096 + 200}, int64_t{(1 << 20) + 77}, int64_t{(1 << 21) + 5}}) {
    for (double shift : {0.0, 3.0}) {  // mixed signs; all positive (no cancellation)
      auto x = random_vector<float>(n, 7 + int(shift));
      for (auto& v : x) v = float(v + shift);
      ld exact = 0, mag = 0;
      for (float v : x) {
        exact += v;
        mag += std::fabs(ld(v));
      }
      const int64_t shape[1] = {n}, one[1] = {1};
      const sad::Reduction r = sad::make_reduction("test", 1, shape, one);
      float first = NAN;
      for (int th : kThreads) {
        ThreadPool pool(th);
        float out = NAN;
        sad::sum_to_cpu<float>(pool, r, x.data(), 1.0, &out);
        const double err = std::fabs(double(ld(out) - exact));
        SAD_CHECK(err <= eps * std::fabs(double(exact)) + 3 * eps * double(mag) + 1e-10 * double(mag))
            << "n=" << n << " shift=" << shift << ": " << out << " vs " << double(exact) << " (error " << err << ")";
        if (th == kThreads[0]) first = out;
        else SAD_CHECK(std::memcmp(&out, &first, sizeof out) == 0) << "n=" << n << ": " << th << " threads differ";
      }
    }
  }
}

SAD_TEST(cpu, dense_rows_softmax_cross_entropy) {
  const int64_t rows = 3000, cols = 37;
  auto x = random_vector<double>(rows * cols, 41);
  for (auto& v : x) v *= 20;
  x[5 * cols + 3] = -std::numeric_limits<double>::infinity();
  std::vector<double> ref(rows * cols), ref_sm(rows * cols), mag(rows * cols);
  for (int64_t r = 0; r < rows; ++r) {
    ld m = -INFINITY, s = 0;
    for (int64_t j = 0; j < cols; ++j) m = std::max<ld>(m, x[r * cols + j]);
    for (int64_t j = 0; j < cols; ++j) s += std::exp(ld(x[r * cols + j]) - m);
    for (int64_t j = 0; j < cols; ++j) {
      ref[r * cols + j] = double(ld(x[r * cols + j]) - m - std::log(s));
      mag[r * cols + j] = double(std::fabs(ld(x[r * cols + j])) + std::fabs(m + std::log(s)));  // y = x − lse
      ref_sm[r * cols + j] = double(std::exp(ld(x[r * cols + j]) - m) / s);
    }
  }
  std::vector<double> first;
  for (int th : kThreads) {
    ThreadPool pool(th);
    auto y = nan_vector<double>(rows * cols), p = nan_vector<double>(rows * cols);
    sad::log_softmax_cpu<double>(pool, rows, cols, x.data(), y.data(), false);
    sad::log_softmax_cpu<double>(pool, rows, cols, x.data(), p.data(), true);
    check_close("logSoftmax", y, ref, mag, 1e-13);
    check_close("softmax", p, ref_sm, {}, 1e-13);
    if (first.empty()) first = y;
    else SAD_CHECK(same_bits(y, first)) << "logSoftmax: " << th << " threads differ from 1";
  }
  // Cross-entropy over selected rows (one twice): mean of lse − x[target]; its VJP adds up the repeat.
  ThreadPool pool(2);
  const std::vector<int32_t> idx{4, 0, 4, /* targets */ 1, 2, 1};
  std::vector<double> lse(3), loss(1), dx(rows * cols);
  sad::cross_entropy_cpu<double>(pool, cols, 3, x.data(), idx.data(), idx.data() + 3, lse.data(), loss.data());
  const double want = (-2 * ref[4 * cols + 1] - ref[0 * cols + 2]) / 3;
  SAD_CHECK(close(loss[0], want, std::fabs(want), 1e-13)) << loss[0] << " vs " << want;
  sad::cross_entropy_backward_cpu<double>(pool, rows, cols, 3, x.data(), idx.data(), idx.data() + 3, lse.data(), 1.5,
                                          dx.data());
  const double want_d = 1.5 / 3 * 2 * (ref_sm[4 * cols + 1] - 1);
  SAD_CHECK(close(dx[4 * cols + 1], want_d, std::fabs(want_d), 1e-12)) << dx[4 * cols + 1] << " vs " << want_d;
  SAD_CHECK(dx[7 * cols] == 0);
}

SAD_TEST(cpu, dense_optimizer_steps_and_dropout) {
  // Adam / AdamW / SGD: the CPU kernel against the device's host loop over the same body (bit for
  // bit), and one Adam step against a hand-worked value: with m = v = 0, the first step moves each
  // parameter by lr·g/(|g| + eps·…) ≈ lr·sign(g).
  for (int th : kThreads) {
    ThreadPool pool(th);
    for (bool amsgrad : {false, true})
      for (bool decoupled : {false, true}) {
        auto p = random_vector<float>(kBig, 51), g = random_vector<float>(kBig, 52);
        std::vector<float> m(kBig, 0), v(kBig, 0), vmax(kBig, 0);
        auto p2 = p, m2 = m, v2 = v, vmax2 = vmax;
        sad::body::AdamStep s;
        s.lr = 0.01;
        s.weight_decay = 0.1;
        s.decoupled = decoupled;
        s.amsgrad = amsgrad;
        for (int t = 1; t <= 3; ++t) {
          s.step = t;
          sad::adam_step_cpu<float>(pool, s, kBig, p.data(), g.data(), m.data(), v.data(), amsgrad ? vmax.data() : nullptr);
          const double ss = s.lr / (1 - std::pow(s.beta1, double(t))), bc = std::sqrt(1 - std::pow(s.beta2, double(t)));
          for (int64_t i = 0; i < kBig; ++i)
            sad::body::adam_element(s, ss, bc, p2[i], g[i], m2[i], v2[i], amsgrad ? &vmax2[i] : nullptr);
        }
        SAD_CHECK(same_bits(p, p2) && same_bits(m, m2) && same_bits(v, v2)) << "Adam, " << th << " threads";
      }
    auto p = random_vector<double>(kBig, 53), g = random_vector<double>(kBig, 54);
    std::vector<double> buf(kBig), p2 = p, buf2(kBig);
    sad::body::SgdStep s;
    s.lr = 0.1;
    s.momentum = 0.9;
    s.weight_decay = 0.01;
    s.nesterov = true;
    for (int t = 0; t < 3; ++t) {
      s.first = t == 0;
      sad::sgd_step_cpu<double>(pool, s, kBig, p.data(), g.data(), buf.data());
      for (int64_t i = 0; i < kBig; ++i) sad::body::sgd_element(s, p2[i], g[i], &buf2[i]);
    }
    SAD_CHECK(same_bits(p, p2) && same_bits(buf, buf2)) << "SGD, " << th << " threads";
  }
  ThreadPool pool(2);
  std::vector<double> p{1.0, -2.0}, g{0.5, -3.0}, m(2, 0), v(2, 0);
  sad::body::AdamStep s;
  s.lr = 0.1;
  sad::adam_step_cpu<double>(pool, s, 2, p.data(), g.data(), m.data(), v.data(), nullptr);
  // m̂ = g, v̂ = g²: p − lr g / (|g| + eps)
  SAD_CHECK(close(p[0], 1.0 - 0.1 * 0.5 / (0.5 + 1e-8), 1, 1e-14) && close(p[1], -2.0 + 0.1 * 3 / (3 + 1e-8), 2, 1e-14))
      << p[0] << " " << p[1];
  // Dropout: the same mask as the device's body, about 1 − p kept, kept entries scaled by 1/(1 − p).
  const int64_t n = 1 << 18;
  std::vector<float> x(n, 2.0f), out(n);
  std::vector<uint8_t> keep(n);
  sad::dropout_cpu<float>(pool, n, 0.3, 12345, 678, x.data(), out.data(), keep.data());
  int64_t kept = 0;
  bool same = true;
  for (int64_t i = 0; i < n; ++i) {
    kept += keep[i];
    same &= keep[i] == uint8_t(sad::body::dropout_keep(12345, 678, uint64_t(i), 0.3));
    same &= out[i] == (keep[i] ? 2.0f * float(1 / 0.7) : 0.0f);
  }
  SAD_CHECK(same) << "dropout differs from body::dropout_keep";
  SAD_CHECK(std::fabs(double(kept) / n - 0.7) < 0.01) << kept;
}
