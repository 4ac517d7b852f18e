// The CUDA kernels against the CPU kernels (and the naive references) on fresh
// random inputs larger than a block, the Poisson matrices and the real
// matrices, in float32 and float64, with every output poisoned (NaN-filled)
// before each run. Without a device they skip and print why; then only the
// error paths are checked (a CPU-only build's stubs, or a CUDA build's checked
// calls failing for want of a device).
#include <algorithm>
#include <array>
#include <memory>
#include <numeric>

#include "cholesky_hybrid.h"
#include "cuda_device.h"
#include "dense.h"
#include "dense_ops.h"
#include "device.h"
#include "refs.h"
#include "spadd.h"
#include "spdmm.h"
#include "spgemm.h"
#include "spmv.h"
#include "spsolve.h"
#include "spsolve_hybrid.h"
#include "sptrsv.h"
#include "structure.h"

using namespace sad_test;
using sad::ThreadPool;
using sad::cuda::Buffer;

namespace {

void require_device() {
  if (!sad::built_with_cuda()) skip("built without CUDA (no nvcc when configured, or SAD_WITH_CUDA=OFF)");
  if (sad::cuda_devices().empty()) skip("no CUDA device (cudaGetDeviceCount reports none)");
}

// A matrix's arrays on the device.
template <class T>
struct DeviceMatrix {
  index_t rows, cols;
  int64_t nnz;
  Buffer<index_t> ip, ix;
  Buffer<T> val;
  explicit DeviceMatrix(const HostCsr<T>& A)
      : rows(A.rows), cols(A.cols), nnz(A.nnz()), ip(A.ip), ix(A.ix), val(A.val) {}
  sad::DeviceCsr<const T> view() const { return {rows, cols, nnz, ip.get(), ix.get(), val.get()}; }
};

// A poisoned device output of n entries.
template <class T>
Buffer<T> poisoned(int64_t n) {
  Buffer<T> b(n);
  b.poison();
  return b;
}

template <class T>
std::vector<double> as_double(const std::vector<T>& v) {
  return std::vector<double>(v.begin(), v.end());
}

// Device results against the CPU kernel's, with the reference's magnitudes.
template <class T>
void check_against(const std::string& what, const Buffer<T>& got, const std::vector<T>& cpu, const Ref& ref) {
  const auto h = got.host();
  check_no_nan(what, h);
  check_close(what + " (vs reference)", h, ref.value, ref.mag);
  check_close(what + " (vs CPU)", h, as_double(cpu), ref.mag);
}

template <class T>
void spmv_case(ThreadPool& pool, const HostCsr<T>& A) {
  const DeviceMatrix<T> dA(A);
  const auto x = random_vector<T>(A.cols, 31), v = random_vector<T>(A.rows, 32);
  const Buffer<T> dx(x), dv(v);
  const Ref y = ref_spmv(A, x), yt = ref_spmv_t(A, v), outer = ref_masked_outer(A, v, x);
  std::vector<T> cy(A.rows), cyt(A.cols), couter(A.nnz());
  sad::spmv_cpu(pool, A.view(), x.data(), cy.data());
  sad::spmv_transpose_cpu(pool, A.view(), v.data(), cyt.data());
  sad::masked_outer_cpu(pool, A.rows, A.ip.data(), A.ix.data(), v.data(), x.data(), couter.data());
  for (int lanes : {0, 1, 2, 4, 8, 16, 32}) {
    const std::string at = A.name + " lanes=" + std::to_string(lanes);
    auto out = poisoned<T>(A.rows);
    sad::spmv_cuda(dA.view(), dx.get(), out.get(), lanes);
    check_against("spmv_cuda " + at, out, cy, y);
  }
  // Aᵀ v through the transpose structure (made on the device).
  Buffer<index_t> tip(int64_t(A.cols) + 1), tix(A.nnz()), perm(A.nnz()), inv(A.nnz());
  sad::transpose_structure_cuda(A.rows, A.cols, A.nnz(), dA.ip.get(), dA.ix.get(), tip.get(), tix.get(), perm.get(),
                                inv.get());
  const TransposeStructure t = transpose_of(A);
  check_equal("transpose_structure_cuda indptr " + A.name, tip.host(), t.ip);
  check_equal("transpose_structure_cuda indices " + A.name, tix.host(), t.ix);
  check_equal("transpose_structure_cuda perm " + A.name, perm.host(), t.perm);
  check_equal("transpose_structure_cuda inv " + A.name, inv.host(), t.inv);
  auto out_c = poisoned<T>(A.cols);
  sad::spmv_transpose_cached_cuda(A.cols, A.nnz(), tip.get(), tix.get(), perm.get(), dA.val.get(), dv.get(),
                                  out_c.get());
  check_against("spmv_transpose_cached_cuda " + A.name, out_c, cyt, yt);
  for (int mode = 1; mode < 4; ++mode) {
    auto gA = poisoned<T>(A.nnz()), gx = poisoned<T>(A.cols);
    sad::spmv_backward_cuda(dA.view(), dv.get(), dx.get(), (mode & 1) ? gA.get() : nullptr,
                            (mode & 2) ? gx.get() : nullptr);
    if (mode & 1) check_against("spmv_backward_cuda dA " + A.name, gA, couter, outer);
    if (mode & 2) check_against("spmv_backward_cuda dx " + A.name, gx, cyt, yt);
  }
  for (int mode = 1; mode < 4; ++mode) {
    auto gA = poisoned<T>(A.nnz()), gx = poisoned<T>(A.cols);
    sad::spmv_backward_transposed_cuda(dA.view(), tip.get(), tix.get(), perm.get(), dv.get(), dx.get(),
                                       (mode & 1) ? gA.get() : nullptr, (mode & 2) ? gx.get() : nullptr);
    if (mode & 1) check_against("spmv_backward_transposed_cuda dA " + A.name, gA, couter, outer);
    if (mode & 2) check_against("spmv_backward_transposed_cuda dx " + A.name, gx, cyt, yt);
  }
  // Gather and scatter through the transpose permutation.
  auto g = poisoned<T>(A.nnz());
  sad::gather_cuda(A.nnz(), perm.get(), dA.val.get(), g.get());
  const HostCsr<T> At = transpose(A);
  check_equal("gather_cuda " + A.name, g.host(), At.val);
  auto s = poisoned<T>(A.nnz());
  sad::scatter_cuda(A.nnz(), perm.get(), g.get(), s.get());
  check_equal("scatter_cuda " + A.name, s.host(), A.val);
}

template <class T>
void masked_sum_case(ThreadPool& pool, const HostCsr<T>& A, index_t k, bool skip_diagonal) {
  const DeviceMatrix<T> dA(A);
  const auto u = random_vector<T>(int64_t(A.rows) * k, 33), x = random_vector<T>(int64_t(A.cols) * k, 34);
  const Buffer<T> du(u), dx(x);
  std::vector<T> cpu(A.nnz());
  sad::masked_outer_sum_cpu(pool, A.rows, A.ip.data(), A.ix.data(), u.data(), x.data(), k, T(-0.5), skip_diagonal,
                            cpu.data());
  auto out = poisoned<T>(A.nnz());
  sad::masked_outer_sum_cuda(A.rows, A.nnz(), dA.ip.get(), dA.ix.get(), du.get(), dx.get(), k, T(-0.5), skip_diagonal,
                             out.get());
  check_against("masked_outer_sum_cuda k=" + std::to_string(k) + " " + A.name, out, cpu,
                ref_masked_outer(A, u, x, k, -0.5, skip_diagonal));
}

template <class T>
void spdmm_case(ThreadPool& pool, const HostCsr<T>& A, int64_t m) {
  const std::string at = A.name + " m=" + std::to_string(m);
  const DeviceMatrix<T> dA(A);
  const auto D = random_vector<T>(A.cols * m, 35), V = random_vector<T>(A.rows * m, 36);
  const Buffer<T> dD(D), dV(V);
  std::vector<T> C(A.rows * m), gA(A.nnz()), gD(A.cols * m);
  sad::spdmm_cpu(pool, A.view(), D.data(), m, C.data());
  const TransposeStructure t = transpose_of(A);
  sad::spdmm_backward_cpu(pool, A.cols, t.ip.data(), t.ix.data(), t.perm.data(), A.val.data(), V.data(), D.data(), m,
                          gA.data(), gD.data());
  auto out = poisoned<T>(A.rows * m);
  sad::spdmm_cuda(dA.view(), dD.get(), m, out.get());
  check_against("spdmm_cuda " + at, out, C, ref_spdmm(A, D, m));
  const Buffer<index_t> tip(t.ip), tix(t.ix), perm(t.perm);
  const Ref rA = ref_masked_outer(A, V, D, index_t(m)), rD = ref_spdmm_t(A, V, m);
  for (int mode = 1; mode < 4; ++mode) {  // dA, dD, both
    auto oA = poisoned<T>(A.nnz()), oD = poisoned<T>(A.cols * m);
    sad::spdmm_backward_cuda(dA.view(), tip.get(), tix.get(), perm.get(), dV.get(), dD.get(), m,
                             (mode & 1) ? oA.get() : nullptr, (mode & 2) ? oD.get() : nullptr);
    if (mode & 1) check_against("spdmm_backward_cuda dA " + at, oA, gA, rA);
    if (mode & 2) check_against("spdmm_backward_cuda dD " + at, oD, gD, rD);
  }
}

template <class T>
void spgemm_case(ThreadPool& pool, const HostCsr<T>& A, const HostCsr<T>& B) {
  const std::string at = A.name + " * " + B.name;
  const DeviceMatrix<T> dA(A), dB(B);
  std::vector<index_t> w_ip(size_t(A.rows) + 1), w_ix;
  std::vector<T> w_val;
  sad::spgemm_cpu<T>(pool, A.view(), B.view(), w_ip.data(), [&](int64_t n) {
    w_ix.resize(n);
    w_val.resize(n);
    return sad::CsrOut<T>{w_ix.data(), w_val.data()};
  });
  const SparseRef R = ref_spgemm(A, B);
  const Ref rv = R.values();
  auto c_ip = poisoned<index_t>(int64_t(A.rows) + 1);
  Buffer<index_t> c_ix;
  Buffer<T> c_val;
  int64_t got_nnz = -1;
  sad::spgemm_cuda<T>(dA.view(), dB.view(), c_ip.get(), [&](int64_t n) {
    got_nnz = n;
    c_ix = poisoned<index_t>(n);
    c_val = poisoned<T>(n);
    return sad::CsrOut<T>{c_ix.get(), c_val.get()};
  });
  SAD_CHECK(got_nnz == int64_t(w_ix.size())) << at << ": nnz " << got_nnz << " vs " << w_ix.size();
  check_equal("spgemm_cuda indptr " + at, c_ip.host(), w_ip);
  if (got_nnz != int64_t(w_ix.size())) return;
  check_equal("spgemm_cuda indices " + at, c_ix.host(), w_ix);
  check_against("spgemm_cuda values " + at, c_val, w_val, rv);
  const Buffer<index_t> k_ip(w_ip), k_ix(w_ix);
  auto n_val = poisoned<T>(got_nnz);
  sad::spgemm_numeric_cuda(dA.view(), dB.view(), k_ip.get(), k_ix.get(), n_val.get());
  check_against("spgemm_numeric_cuda " + at, n_val, w_val, rv);
  const auto V = random_vector<T>(got_nnz, 37);
  const Buffer<T> dV(V);
  std::vector<T> gA(A.nnz()), gB(B.nnz());
  sad::spgemm_backward_cpu(pool, A.view(), B.view(), w_ip.data(), w_ix.data(), V.data(), gA.data(), gB.data());
  Ref rA, rB;
  ref_spgemm_backward(A, B, w_ip, w_ix, V, rA, rB);
  auto oA = poisoned<T>(A.nnz()), oB = poisoned<T>(B.nnz());
  sad::spgemm_backward_cuda(dA.view(), dB.view(), k_ip.get(), k_ix.get(), dV.get(), oA.get(), oB.get());
  check_against("spgemm_backward_cuda dA " + at, oA, gA, rA);
  check_against("spgemm_backward_cuda dB " + at, oB, gB, rB);
}

template <class T>
void spadd_case(ThreadPool& pool, const HostCsr<T>& A, const HostCsr<T>& B) {
  const std::string at = A.name + " + " + B.name;
  const DeviceMatrix<T> dA(A), dB(B);
  std::vector<index_t> w_ip(size_t(A.rows) + 1);
  const int64_t nnz = sad::spadd_symbolic_cpu(pool, A.rows, A.ip.data(), A.ix.data(), B.ip.data(), B.ix.data(),
                                              w_ip.data());
  std::vector<index_t> w_ix(nnz), w_ma(A.nnz()), w_mb(B.nnz());
  sad::spadd_structure_cpu(pool, A.rows, A.ip.data(), A.ix.data(), B.ip.data(), B.ix.data(), w_ip.data(),
                           w_ix.data(), w_ma.data(), w_mb.data());
  auto c_ip = poisoned<index_t>(int64_t(A.rows) + 1);
  const int64_t got = sad::spadd_symbolic_cuda(A.rows, dA.ip.get(), dA.ix.get(), dB.ip.get(), dB.ix.get(), c_ip.get());
  SAD_CHECK(got == nnz) << at;
  check_equal("spadd_symbolic_cuda " + at, c_ip.host(), w_ip);
  auto c_ix = poisoned<index_t>(nnz), ma = poisoned<index_t>(A.nnz()), mb = poisoned<index_t>(B.nnz());
  sad::spadd_structure_cuda(A.rows, dA.ip.get(), dA.ix.get(), dB.ip.get(), dB.ix.get(), c_ip.get(), c_ix.get(),
                            ma.get(), mb.get());
  check_equal("spadd_structure_cuda indices " + at, c_ix.host(), w_ix);
  check_equal("spadd_structure_cuda map_a " + at, ma.host(), w_ma);
  check_equal("spadd_structure_cuda map_b " + at, mb.host(), w_mb);
  // Values, with the identity maps left null where a pattern is C's own.
  static const index_t no_entries = -1;
  const bool a_is_c = A.nnz() == nnz, b_is_c = B.nnz() == nnz;
  const T alpha = T(0.75), beta = T(-1.25);
  std::vector<T> cpu(nnz);
  sad::spadd_values_cpu<T>(pool, A.rows, w_ip.data(), A.ip.data(), A.val.data(),
                           a_is_c ? nullptr : w_ma.empty() ? &no_entries : w_ma.data(), B.ip.data(), B.val.data(),
                           b_is_c ? nullptr : w_mb.empty() ? &no_entries : w_mb.data(), alpha, beta, cpu.data());
  Ref ref(nnz);
  for (int64_t p = 0; p < A.nnz(); ++p) {
    ref.value[w_ma[p]] += double(alpha) * A.val[p];
    ref.mag[w_ma[p]] += std::fabs(double(alpha) * A.val[p]);
  }
  for (int64_t q = 0; q < B.nnz(); ++q) {
    ref.value[w_mb[q]] += double(beta) * B.val[q];
    ref.mag[w_mb[q]] += std::fabs(double(beta) * B.val[q]);
  }
  auto c = poisoned<T>(nnz);
  sad::spadd_values_cuda<T>(nnz, A.nnz(), dA.val.get(), a_is_c ? nullptr : ma.get(), B.nnz(), dB.val.get(),
                            b_is_c ? nullptr : mb.get(), alpha, beta, c.get());
  check_against("spadd_values_cuda " + at, c, cpu, ref);
  // VJP.
  const auto v = random_vector<T>(nnz, 38);
  const Buffer<T> dv(v);
  sad::SpaddGrad<T> ga, gb, da, db;
  std::vector<T> oa(A.nnz()), ob(B.nnz());
  ga.n = A.nnz(), ga.map = w_ma.empty() ? &no_entries : w_ma.data(), ga.x = A.val.data(), ga.scale = alpha,
  ga.out = oa.data();
  gb.n = B.nnz(), gb.map = w_mb.empty() ? &no_entries : w_mb.data(), gb.x = B.val.data(), gb.scale = beta,
  gb.out = ob.data();
  sad::spadd_backward_cpu(pool, v.data(), ga, gb);
  auto goa = poisoned<T>(A.nnz()), gob = poisoned<T>(B.nnz());
  da.n = A.nnz(), da.map = ma.get(), da.x = dA.val.get(), da.scale = alpha, da.out = goa.get();
  db.n = B.nnz(), db.map = mb.get(), db.x = dB.val.get(), db.scale = beta, db.out = gob.get();
  sad::spadd_backward_cuda(dv.get(), da, db);
  check_equal("spadd_backward_cuda dA " + at, goa.host(), oa);
  check_equal("spadd_backward_cuda dB " + at, gob.host(), ob);
  double mag_a = 0, mag_b = 0;
  for (int64_t p = 0; p < A.nnz(); ++p) mag_a += std::fabs(double(v[w_ma[p]]) * A.val[p]);
  for (int64_t q = 0; q < B.nnz(); ++q) mag_b += std::fabs(double(v[w_mb[q]]) * B.val[q]);
  SAD_CHECK(close(da.dot, ga.dot, mag_a, 1e-13)) << at << " dα " << da.dot << " vs " << ga.dot;
  SAD_CHECK(close(db.dot, gb.dot, mag_b, 1e-13)) << at << " dβ " << db.dot << " vs " << gb.dot;
}

template <class T>
void sptrsv_case(ThreadPool& pool, const HostCsr<T>& A, bool lower, bool unit, index_t k) {
  const HostCsr<T> L = triangle_of(A, lower, unit);
  const std::string at = L.name + " k=" + std::to_string(k);
  const sad::TriangularOptions opts{lower, unit};
  const DeviceMatrix<T> dL(L);
  const auto b = random_vector<T>(int64_t(L.rows) * k, 39), v = random_vector<T>(int64_t(L.rows) * k, 40);
  const Buffer<T> db(b), dv(v);
  std::vector<T> x(b.size()), w(b.size()), grad(L.nnz());
  sad::sptrsv_cpu(pool, L.view(), opts, b.data(), x.data(), k);
  sad::sptrsv_backward_cpu(pool, L.view(), opts, x.data(), v.data(), w.data(), grad.data(), k);
  double scale = 1;
  for (T e : x) scale = std::max(scale, std::fabs(double(e)));
  for (T e : w) scale = std::max(scale, std::fabs(double(e)));
  const double tol = std::is_same_v<T, float> ? 1e-4 : 1e-11;
  const std::vector<double> mag(b.size(), scale);
  auto ox = poisoned<T>(int64_t(b.size()));
  SAD_CHECK(sad::sptrsv_cuda(dL.view(), opts, db.get(), ox.get(), k) == -1) << at;
  const auto hx = ox.host();
  check_no_nan("sptrsv_cuda " + at, hx);
  check_close("sptrsv_cuda " + at, hx, as_double(x), mag, tol);
  auto ow = poisoned<T>(int64_t(b.size()));
  SAD_CHECK(sad::sptrsv_transpose_cuda(dL.view(), opts, dv.get(), ow.get(), k) == -1) << at;
  check_close("sptrsv_transpose_cuda " + at, ow.host(), as_double(w), mag, tol);
  const Buffer<T> dx(x);
  auto ow2 = poisoned<T>(int64_t(b.size())), og = poisoned<T>(L.nnz());
  SAD_CHECK(sad::sptrsv_backward_cuda(dL.view(), opts, dx.get(), dv.get(), ow2.get(), og.get(), k) == -1) << at;
  check_close("sptrsv_backward_cuda w " + at, ow2.host(), as_double(w), mag, tol);
  // grad = −(w xᵀ) ⊙ mask(L): w is only as accurate as its largest entries allow
  // (checked above against `scale`), and a tiny w_i carries that absolute error
  // into its products, so each product is checked against scale · Σ_c |x_jc|
  // rather than its own size (in float32 the ill-conditioned triangles need it).
  const Ref g = ref_masked_outer(L, w, x, k, -1.0, unit);
  std::vector<double> gmag(g.mag.size());
  for (index_t i = 0; i < L.rows; ++i)
    for (index_t p = L.ip[i]; p < L.ip[i + 1]; ++p) {
      double xs = 0;
      for (index_t c = 0; c < k; ++c) xs += std::fabs(double(x[int64_t(L.ix[p]) * k + c]));
      gmag[p] = std::max(g.mag[p], scale * xs);
    }
  const auto hg = og.host();
  check_no_nan("sptrsv_backward_cuda grad " + at, hg);
  check_close("sptrsv_backward_cuda grad " + at + " (vs reference)", hg, g.value, gmag, tol);
  check_close("sptrsv_backward_cuda grad " + at + " (vs CPU)", hg, as_double(grad), gmag, tol);
}

// Device results against the bodies in host loops (on_host::, what the
// emulated device runs), with magnitudes for sums taken in another order.
template <class T>
void check_host(const std::string& what, const Buffer<T>& got, const std::vector<T>& want,
                const std::vector<double>& mag = {}, double tolerance = tol<T>()) {
  const auto h = got.host();
  for (size_t k = 0; k < want.size(); ++k)
    if (!std::isnan(double(want[k])) && std::isnan(double(h[k]))) {
      SAD_CHECK(false) << what << ": entry " << k << " is NaN (not written?)";
      return;
    }
  check_close(what, h, as_double(want), mag, tolerance);
}

// a ∘ b for every op, broadcast, and its VJP (both operands, or a alone
// against a constant b), against on_host.
template <class T>
void broadcast_case(const Shape& sa, const Shape& sb, bool b_constant, uint64_t seed) {
  const auto [a_al, b_al, out] = broadcasting(sa, sb);
  const int64_t n = size_of(out);
  const sad::Broadcast s = sad::make_broadcast("test", int(out.size()), out.data(), a_al.data(), b_al.data());
  auto a = random_vector<T>(size_of(sa), seed), b = random_vector<T>(size_of(sb), seed + 1);
  for (auto& v : a) v = T(0.5) + std::fabs(v);  // a positive base for pow
  const auto g = random_vector<T>(n, seed + 2);
  const Buffer<T> da_in(a), db_in(b), dg(g);
  const sad::Operand<T> ha{a.data()}, hb{b_constant ? nullptr : b.data(), b.empty() ? T(0) : b[0]};
  const sad::Operand<T> ga{da_in.get()}, gb{b_constant ? nullptr : db_in.get(), hb.value};
  const std::string at = sad::detail::shape_str(int(sa.size()), sa.data()) + (b_constant ? " with constant " : " with ") +
                         sad::detail::shape_str(int(sb.size()), sb.data()) + (std::is_same_v<T, float> ? " float" : "");
  for (sad::BinaryOp op : {sad::BinaryOp::add, sad::BinaryOp::sub, sad::BinaryOp::mul, sad::BinaryOp::div,
                           sad::BinaryOp::maximum, sad::BinaryOp::minimum, sad::BinaryOp::pow}) {
    const std::string name = " op " + std::to_string(int(op)) + " " + at;
    std::vector<T> y(n);
    sad::on_host::binary_broadcast(op, s, ha, hb, y.data());
    auto dy = poisoned<T>(n);
    sad::binary_broadcast_cuda(op, s, ga, gb, dy.get());
    check_host("binary_broadcast_cuda" + name, dy, y, {}, std::is_same_v<T, float> ? 1e-6 : 1e-15);
    // The VJP: the host's local gradients and their magnitudes, summed as the device sums them.
    std::vector<T> wa(a.size()), wb(b.size());
    sad::on_host::binary_backward(op, s, g.data(), ha, hb, y.data(), wa.data(), b_constant ? nullptr : wb.data());
    std::vector<double> ma(a.size()), mb(b.size()), local(n);
    for (int which = 0; which < (b_constant ? 1 : 2); ++which) {
      for (int64_t i = 0; i < n; ++i)
        local[i] = std::fabs(double(sad::body::binary_grad_at(op, which, s, g.data(), ha, hb, y.data(), i)));
      sad::on_host::sum_to(sad::reduction_of("test", s, which), local.data(), 1.0, which == 0 ? ma.data() : mb.data());
    }
    const Buffer<T> ddy(y);
    auto ga_out = poisoned<T>(int64_t(a.size())), gb_out = poisoned<T>(int64_t(b.size()));
    sad::binary_backward_cuda(op, s, dg.get(), ga, gb, op == sad::BinaryOp::pow ? ddy.get() : nullptr, ga_out.get(),
                              b_constant ? nullptr : gb_out.get());
    check_host("binary_backward_cuda da" + name, ga_out, wa, ma);
    if (!b_constant) check_host("binary_backward_cuda db" + name, gb_out, wb, mb);
  }
}

// sum_to_cuda against on_host::sum_to for summing x of `shape` to `to`.
template <class T>
void sum_to_case(const Shape& shape, const Shape& to, double scale, uint64_t seed) {
  const sad::Reduction r = sad::make_reduction("test", int(shape.size()), shape.data(), to.data());
  const auto x = random_vector<T>(size_of(shape), seed);
  std::vector<double> ax(x.size());
  for (size_t i = 0; i < x.size(); ++i) ax[i] = std::fabs(double(x[i])) * std::fabs(scale);
  std::vector<T> want(r.out_size);
  std::vector<double> mag(r.out_size);
  sad::on_host::sum_to(r, x.data(), scale, want.data());
  sad::on_host::sum_to(r, ax.data(), 1.0, mag.data());
  const Buffer<T> dx(x);
  auto out = poisoned<T>(r.out_size);
  sad::sum_to_cuda(r, dx.get(), scale, out.get());
  check_host("sum_to_cuda " + sad::detail::shape_str(int(shape.size()), shape.data()) + " to " +
                 sad::detail::shape_str(int(to.size()), to.data()) + " scale " + std::to_string(scale),
             out, want, mag);
}

}  // namespace

SAD_TEST(cuda, errors_without_device) {
  if (sad::built_with_cuda() && !sad::cuda_devices().empty()) skip("a device is present (the other cuda tests run)");
  const sad::DeviceCsr<const double> A{2, 2, 2, nullptr, nullptr, nullptr};
  if (!sad::built_with_cuda()) {
    // A CPU-only build: the stubs name the op.
    SAD_CHECK_THROWS(sad::spmv_cuda<double>(A, nullptr, nullptr), "spmv: built without CUDA");
    SAD_CHECK_THROWS(sad::sptrsv_cuda<float>({}, {}, nullptr, nullptr, 1), "sptrsv: built without CUDA");
    SAD_CHECK_THROWS(sad::gemm_cuda<double>(false, false, 1, 1, 1, nullptr, nullptr, nullptr), "gemm: built without CUDA");
    SAD_CHECK_THROWS(sad::sum_to_cuda<float>(sad::Reduction{}, nullptr, 1.0, nullptr), "sum: built without CUDA");
    SAD_CHECK_THROWS((sad::cast_cuda<double, float>(1, nullptr, nullptr)), "to: built without CUDA");
    SAD_CHECK_THROWS(sad::cuda::malloc(16), "built without CUDA");
    SAD_CHECK_THROWS(sad::cuda::malloc_async(16), "cuda.malloc_async: built without CUDA");
    SAD_CHECK_THROWS(sad::CudaSplitLU<double>(sad::SplitLU{}), "spsolve: built without CUDA");
    return;
  }
  // A CUDA build on a machine without a GPU: checked calls fail with the CUDA
  // message, the call, the file and the line; nothing crashes.
  SAD_CHECK_THROWS(sad::cuda::malloc(16), "CUDA error in ");
  SAD_CHECK_THROWS(sad::cuda::malloc(16), "runtime_cuda.cu:");
  SAD_CHECK_THROWS(sad::cuda::malloc_async(16), "from cudaMallocAsync(&p, bytes, 0) at ");
  SAD_CHECK_THROWS(sad::spmv_cuda<double>(A, nullptr, nullptr), "spmv_cuda.cu:");
  SAD_CHECK_THROWS(sad::gemm_cuda<float>(false, false, 8, 8, 8, nullptr, nullptr, nullptr), "dense_cuda.cu:");
  SAD_CHECK_THROWS(sad::cuda::synchronize(), "CUDA error in ");
}

SAD_TEST(cuda, spmv_transpose_gather) {
  require_device();
  ThreadPool pool(2);
  for (const auto& A : test_matrices<double>()) spmv_case(pool, A);
  for (const auto& A : test_matrices<float>(false)) spmv_case(pool, A);
  spmv_case(pool, poisson1d<double>(1 << 20));
  spmv_case(pool, poisson2d<double>(700));  // 490000 rows of 5: the VJP's two passes, dx by the stream kernel
  // Short columns on average (the VJP's warp-per-32-columns kernel) but one
  // column of 1500 entries, many chunks long, and one full row.
  std::vector<Triplet> arrow;
  for (index_t i = 0; i < 1500; ++i) {
    arrow.push_back({i, 0, 1.0 + i % 7});
    if (i > 0) arrow.push_back({i, i % 1200, -0.5});
  }
  for (index_t j = 1; j < 1200; ++j) arrow.push_back({0, j, 0.25});
  spmv_case(pool, from_coo<double>("arrow 1500x1200", 1500, 1200, std::move(arrow)));
  // Columns of 8 on average (the VJP's two passes), one of them 3000 long.
  std::vector<Triplet> wide;
  for (index_t i = 0; i < 3000; ++i) {
    wide.push_back({i, 0, 2.0 + i % 5});
    for (index_t k = 1; k < 8; ++k) wide.push_back({i, 1 + (i * 7 + k * 131) % 2499, 0.125 * k});
  }
  spmv_case(pool, from_coo<double>("long column 3000x2500", 3000, 2500, std::move(wide)));
}

SAD_TEST(cuda, masked_products) {
  require_device();
  ThreadPool pool(2);
  for (const auto& A : test_matrices<double>())
    for (index_t k : {1, 3, 5, 16, 40, 300})  // 300: the group-per-entry kernel (k > 256)
      for (bool skip : {false, true})
        if ((!skip || A.rows == A.cols) && A.nnz() * k <= 4000000) masked_sum_case(pool, A, k, skip);
  for (const auto& A : test_matrices<float>(false)) masked_sum_case(pool, A, 7, false);
}

SAD_TEST(cuda, spdmm) {
  require_device();
  ThreadPool pool(2);
  for (const auto& A : test_matrices<double>())
    for (int64_t m : {1, 2, 7, 16, 33, 100, 129})  // each shape of the fused kernel, and the two-pass path
      if (A.nnz() * m <= 4000000) spdmm_case(pool, A, m);
  for (const auto& A : test_matrices<float>(false))
    if (A.nnz() * 16 <= 4000000) spdmm_case(pool, A, 16);
}

SAD_TEST(cuda, spgemm) {
  require_device();
  ThreadPool pool(2);
  for (const auto& A : test_matrices<double>()) {
    const auto At = transpose(A);
    if (spgemm_flops(A, At) <= 3000000) spgemm_case(pool, A, At);
    if (A.rows == A.cols && spgemm_flops(A, A) <= 3000000) spgemm_case(pool, A, A);
  }
  for (const auto& A : test_matrices<float>(false))
    if (A.rows == A.cols && spgemm_flops(A, A) <= 3000000) spgemm_case(pool, A, A);
  spgemm_case(pool, random_csr<double>("r37x23", 37, 23, 0.2, 1), random_csr<double>("r23x41", 23, 41, 0.2, 2));
  // The row merge's edges: rows of A exactly 8 long (its widest), and short rows
  // of A against a row of B too long for it (expand-sort-compress instead).
  const auto W = rows_of_eight<double>();
  spgemm_case(pool, W, transpose(W));
  std::vector<Triplet> wide;
  for (index_t j = 0; j < 1000; ++j) wide.push_back({0, j, 0.5 + j % 3});
  for (index_t i = 1; i < 1000; ++i) wide.push_back({i, i, 2.0});
  spgemm_case(pool, poisson1d<double>(1000), from_coo<double>("row 0 full, 1000x1000", 1000, 1000, std::move(wide)));
}

SAD_TEST(cuda, spadd) {
  require_device();
  ThreadPool pool(2);
  for (const auto& A : test_matrices<double>()) {
    spadd_case(pool, A, random_csr<double>("random", A.rows, A.cols, std::min(0.01, 3.0 / std::max<index_t>(A.cols, 1)), 9));
    spadd_case(pool, A, A);
  }
  for (const auto& A : test_matrices<float>(false)) spadd_case(pool, A, A);
}

SAD_TEST(cuda, sptrsv) {
  require_device();
  ThreadPool pool(2);
  for (const auto& A : test_matrices<double>(true, true))
    for (bool lower : {true, false})
      for (bool unit : {false, true}) sptrsv_case(pool, A, lower, unit, 1);
  for (const auto& A : test_matrices<double>(false, true)) sptrsv_case(pool, A, true, false, 3);
  for (const auto& A : test_matrices<float>(false, true)) sptrsv_case(pool, A, false, false, 1);
  sptrsv_case(pool, poisson1d<double>(1 << 20), true, false, 1);  // a chain of 2^20 rows
  // Zero pivots: the first in row order is reported.
  const auto L = from_coo<double>("L", 4, 4, {{0, 0, 1}, {1, 0, 1}, {1, 1, 0}, {2, 2, 2}, {3, 1, 1}, {3, 3, 0}});
  const DeviceMatrix<double> dL(L);
  const Buffer<double> b(std::vector<double>{1, 1, 1, 1});
  Buffer<double> x(4);
  SAD_CHECK(sad::sptrsv_cuda(dL.view(), {true, false}, b.get(), x.get(), 1) == 1);
  SAD_CHECK(sad::sptrsv_transpose_cuda(dL.view(), {true, false}, b.get(), x.get(), 1) == 1);
  SAD_CHECK(sad::sptrsv_cuda(dL.view(), {true, true}, b.get(), x.get(), 1) == -1);
}

SAD_TEST(cuda, spsolve_hybrid) {
  require_device();
  if (!sad::have_klu()) skip("built without SuiteSparse KLU");
  ThreadPool pool(2);
  for (const auto& A0 : test_matrices<double>(true, true)) {
    if (A0.nnz() == 0 || (A0.name.rfind("random", 0) == 0 && A0.rows > 500) || A0.name.rfind("skewed", 0) == 0 ||
        A0.name.rfind("bayer10", 0) == 0)
      continue;
    const HostCsr<double> A = dominant(A0);
    const sad::SplitLU f = sad::split_lu_factor<double>(pool, A.view());
    const sad::CudaSplitLU<double> lu(f);
    for (index_t k : {1, 2}) {
      const auto b = random_vector<double>(int64_t(A.rows) * k, 41);
      const Buffer<double> db(b);
      for (bool tr : {false, true}) {
        auto x = poisoned<double>(int64_t(b.size()));
        lu.solve(tr, db.get(), x.get(), k);
        const auto hx = x.host();
        check_no_nan("spsolve hybrid " + A.name, hx);
        check_residual(std::string("spsolve hybrid ") + (tr ? "transposed " : "") + A.name, A, tr, hx, b, k, 1e-9);
      }
    }
  }
}

// The GPU Cholesky (cholesky_hybrid.h): CHOLMOD's factor split as an LU and
// uploaded; the device solves agree with CHOLMOD's host solve, at sizes up to a
// supernodal factor with rows far longer than a warp.
SAD_TEST(cuda, cholesky_hybrid) {
  require_device();
  if (!sad::have_cholmod()) skip("built without SuiteSparse CHOLMOD");
  ThreadPool pool(2);
  for (index_t g : {1, 3, 30, 120}) {
    const auto A = poisson2d<double>(g);
    auto analysis = sad::SparseCholesky::analyze(A.rows, A.ip.data(), A.ix.data(), sad::CholStorage::full,
                                                 sad::CholOrdering::best_default);
    auto chol = sad::SparseCholesky::factor<double>(A.val.data(), analysis);
    const sad::CudaSplitLU<double> lu(sad::split_cholesky(*chol));
    for (index_t k : {1, 3}) {
      const auto b = random_vector<double>(int64_t(A.rows) * k, 43);
      std::vector<double> want(b.size());
      chol->solve<double>(pool, b.data(), want.data(), k);
      const Buffer<double> db(b);
      for (bool tr : {false, true}) {
        auto x = poisoned<double>(int64_t(b.size()));
        lu.solve(tr, db.get(), x.get(), k);
        const auto hx = x.host();
        check_no_nan("cholesky hybrid " + A.name, hx);
        check_residual(std::string("cholesky hybrid ") + A.name, A, false, hx, b, k, 1e-13);
        double diff = 0, scale = 0;
        for (size_t i = 0; i < hx.size(); ++i) {
          diff = std::max(diff, std::fabs(hx[i] - want[i]));
          scale = std::max(scale, std::fabs(want[i]));
        }
        SAD_CHECK(diff <= 1e-12 * scale) << A.name << ": device solve differs from CHOLMOD's by " << diff;
      }
    }
  }
}

// Tensors' stream-ordered pool allocations: usable at once, by copies and kernels
// on the default stream, and reused after stream-ordered frees.
SAD_TEST(cuda, pool_allocation) {
  require_device();
  SAD_CHECK(sad::cuda::malloc_async(0) == nullptr);
  const size_t bytes = size_t(1) << 20;
  std::vector<unsigned char> host(bytes);
  for (int round = 0; round < 50; ++round) {
    void* p = sad::cuda::malloc_async(bytes);
    SAD_CHECK(p != nullptr);
    sad::cuda::fill_bytes(p, round, bytes);
    sad::cuda::to_host(host.data(), p, bytes);
    SAD_CHECK(host[0] == round && host[bytes - 1] == round) << "round " << round;
    sad::cuda::free_async(p);
  }
  const std::vector<double> x{1.5, -2, 3};
  auto* d = static_cast<double*>(sad::cuda::malloc_async(x.size() * sizeof(double)));
  sad::cuda::to_device(d, x.data(), x.size() * sizeof(double));
  sad::axpby_cuda<double>(int64_t(x.size()), 2.0, d, 0.0, d);  // d = 2 d
  std::vector<double> y(x.size());
  sad::cuda::to_host(y.data(), d, y.size() * sizeof(double));
  sad::cuda::free_async(d);
  sad::cuda::synchronize();
  SAD_CHECK(y[0] == 3 && y[1] == -4 && y[2] == 6);
}

SAD_TEST(cuda, dense) {
  require_device();
  using sad::BinaryOp;
  using sad::UnaryOp;
  const int64_t n = 100003;
  const auto a = random_vector<double>(n, 51), b = random_vector<double>(n, 52);
  std::vector<double> pos(a.size());
  for (size_t i = 0; i < a.size(); ++i) pos[i] = std::fabs(a[i]) + 0.1;
  const Buffer<double> da(a), db(b), dpos(pos);
  // Element-wise maps and their VJPs against the bodies on the host.
  for (UnaryOp op : {UnaryOp::neg, UnaryOp::exp, UnaryOp::log, UnaryOp::tanh, UnaryOp::sigmoid, UnaryOp::relu,
                     UnaryOp::square, UnaryOp::sqrt, UnaryOp::abs, UnaryOp::sin, UnaryOp::cos}) {
    const bool needs_pos = op == UnaryOp::log || op == UnaryOp::sqrt;
    const auto& x = needs_pos ? pos : a;
    const Buffer<double>& dx = needs_pos ? dpos : da;
    auto y = poisoned<double>(n), g = poisoned<double>(n);
    sad::unary_cuda(op, n, dx.get(), y.get());
    const auto hy = y.host();
    std::vector<double> want(n), want_g(n);
    for (int64_t i = 0; i < n; ++i) {
      want[i] = sad::body::apply_unary(op, x[i]);
      want_g[i] = sad::body::unary_grad(op, x[i], want[i], b[i]);
    }
    check_close("unary_cuda op " + std::to_string(int(op)), hy, want, {}, 1e-14);
    const Buffer<double> dy(hy);
    sad::unary_backward_cuda(op, n, dx.get(), dy.get(), db.get(), g.get());
    check_close("unary_backward_cuda op " + std::to_string(int(op)), g.host(), want_g, {}, 1e-13);
  }
  for (BinaryOp op : {BinaryOp::add, BinaryOp::sub, BinaryOp::mul, BinaryOp::div, BinaryOp::maximum, BinaryOp::minimum}) {
    auto out = poisoned<double>(n);
    sad::binary_cuda(op, n, da.get(), db.get(), out.get());
    std::vector<double> want(n);
    for (int64_t i = 0; i < n; ++i) want[i] = sad::body::apply_binary(op, a[i], b[i]);
    check_close("binary_cuda op " + std::to_string(int(op)), out.host(), want, {}, 1e-15);
  }
  {
    Buffer<double> y(b);
    sad::axpby_cuda(n, 2.0, da.get(), -0.5, y.get());
    std::vector<double> want(n);
    for (int64_t i = 0; i < n; ++i) want[i] = 2 * a[i] - 0.5 * b[i];
    check_close("axpby_cuda", y.host(), want, {}, 1e-15);
    sad::fill_cuda(n, 3.25, y.get());
    check_equal("fill_cuda", y.host(), std::vector<double>(n, 3.25));
  }
  // Reductions (the sums are sum_to_cuda's, checked in dense_broadcast_reduce).
  {
    auto d = poisoned<double>(1);
    sad::dot_cuda(n, da.get(), db.get(), d.get());
    ld wd = 0, md = 0;
    for (int64_t i = 0; i < n; ++i) wd += ld(a[i]) * b[i], md += std::fabs(ld(a[i]) * b[i]);
    SAD_CHECK(close(d.host()[0], double(wd), double(md), 1e-14)) << d.host()[0] << " vs " << double(wd);
  }
  // GEMM, every transpose, sizes off the 64 × 64 tile.
  for (auto dims : {std::array<int64_t, 3>{1, 1, 1}, {37, 23, 41}, {130, 70, 90}, {300, 200, 150}})
    for (int t = 0; t < 4; ++t) {
      const bool ta = t & 1, tb = t & 2;
      const int64_t m = dims[0], nn = dims[1], k = dims[2];
      const auto A = random_vector<double>(m * k, 53), B = random_vector<double>(k * nn, 54);
      const Buffer<double> dA(A), dB(B);
      auto C = poisoned<double>(m * nn);
      sad::gemm_cuda(ta, tb, m, nn, k, dA.get(), dB.get(), C.get());
      const Ref R = ref_gemm(ta, tb, m, nn, k, A, B);
      check_close("gemm_cuda", C.host(), R.value, R.mag);
      const auto Af = random_vector<float>(m * k, 55), Bf = random_vector<float>(k * nn, 56);
      const Buffer<float> dAf(Af), dBf(Bf);
      auto Cf = poisoned<float>(m * nn);
      sad::gemm_cuda(ta, tb, m, nn, k, dAf.get(), dBf.get(), Cf.get());
      const Ref Rf = ref_gemm(ta, tb, m, nn, k, Af, Bf);
      check_close("gemm_cuda float", Cf.host(), Rf.value, Rf.mag);
    }
}

SAD_TEST(cuda, dense_broadcast_reduce) {
  require_device();
  // Broadcasts whose VJPs take every path of sum_to_cuda: [summed, kept] (column
  // sums), [kept, summed] with long rows (a warp per row) and short ones, all
  // (two-stage), other patterns (a thread per output), none (same shapes).
  const std::pair<Shape, Shape> cases[] = {
      {{1000, 37}, {37}},   {{513, 1}, {1, 300}},       {{}, {100003}},     {{100003}, {100003}},
      {{50, 2000}, {50, 1}}, {{3000, 5}, {3000, 1}},    {{64, 1, 50}, {1, 33, 1}}, {{0, 300}, {300}},
      {{2, 70000}, {2, 1}}, {{1}, {1}}};
  uint64_t seed = 100;
  for (const auto& [sa, sb] : cases) {
    broadcast_case<double>(sa, sb, false, seed += 3);
    broadcast_case<float>(sa, sb, false, seed += 3);
  }
  broadcast_case<double>({1000, 37}, {}, true, seed += 3);  // a number operand
  broadcast_case<float>({100003}, {}, true, seed += 3);
  // Sums over axes, and the mean's scale (NaN over nothing).
  for (double scale : {1.0, 1.0 / 7}) {
    sum_to_case<double>({100003}, {1}, scale, 120);
    sum_to_case<double>({2000, 300}, {1, 300}, scale, 121);
    sum_to_case<double>({300, 2000}, {300, 1}, scale, 122);
    sum_to_case<double>({20000, 3}, {20000, 1}, scale, 123);
    sum_to_case<double>({30, 40, 50}, {30, 1, 50}, scale, 124);
    sum_to_case<double>({30, 40, 50}, {1, 40, 1}, scale, 125);
    sum_to_case<double>({5, 6, 7, 8}, {5, 6, 7, 8}, scale, 126);
    sum_to_case<float>({2000, 300}, {1, 300}, scale, 127);
    sum_to_case<float>({300, 2000}, {300, 1}, scale, 128);
    sum_to_case<float>({100003}, {1}, scale, 129);
  }
  sum_to_case<double>({17000000, 1}, {1, 1}, 1.0, 130);  // more rows than 65535 chunks of 256
  sum_to_case<double>({300, 0}, {300, 1}, 1.0 / 0.0, 131);
  sum_to_case<double>({0, 300}, {1, 300}, 1.0, 132);
  // Clamp, casts, transpose, the 2-norm.
  const int64_t n = 100003;
  auto x = random_vector<double>(n, 133);
  x[5] = std::nan("");
  x[6] = INFINITY;
  const Buffer<double> dx(x);
  const auto g = random_vector<double>(n, 134);
  const Buffer<double> dg(g);
  for (auto [lo, hi] : {std::pair{-0.5, 0.25}, std::pair{-double(INFINITY), 0.0}}) {
    std::vector<double> y(n), d(n);
    sad::on_host::clamp(n, lo, hi, x.data(), y.data());
    sad::on_host::clamp_backward(n, lo, hi, x.data(), g.data(), d.data());
    auto oy = poisoned<double>(n), od = poisoned<double>(n);
    sad::clamp_cuda(n, lo, hi, dx.get(), oy.get());
    sad::clamp_backward_cuda(n, lo, hi, dx.get(), dg.get(), od.get());
    SAD_CHECK(std::equal(y.begin(), y.end(), oy.host().begin(), [](double p, double q) { return p == q || (p != p && q != q); }))
        << "clamp_cuda";
    check_equal("clamp_backward_cuda", od.host(), d);
  }
  {
    std::vector<float> down(n);
    std::vector<double> up(n);
    sad::on_host::cast(n, x.data(), down.data());
    sad::on_host::cast(n, down.data(), up.data());
    auto od = poisoned<float>(n);
    auto ou = poisoned<double>(n);
    sad::cast_cuda(n, dx.get(), od.get());
    sad::cast_cuda(n, od.get(), ou.get());
    const auto hd = od.host();
    const auto hu = ou.host();
    for (int64_t i = 0; i < n; ++i)
      if (!(hd[i] == down[i] || (i == 5 && std::isnan(hd[i]))) || !(hu[i] == up[i] || (i == 5 && std::isnan(hu[i])))) {
        SAD_CHECK(false) << "cast_cuda entry " << i;
        break;
      }
  }
  for (auto [rows, cols] : {std::pair<int64_t, int64_t>{1, 1}, {37, 1000}, {1000, 37}, {2100000, 3}, {3, 0}}) {
    const auto a = random_vector<double>(rows * cols, 135);
    const auto af = random_vector<float>(rows * cols, 136);
    std::vector<double> t(a.size());
    std::vector<float> tf(af.size());
    sad::on_host::transpose(rows, cols, a.data(), t.data());
    sad::on_host::transpose(rows, cols, af.data(), tf.data());
    const Buffer<double> da(a);
    const Buffer<float> daf(af);
    auto ot = poisoned<double>(rows * cols);
    auto otf = poisoned<float>(rows * cols);
    sad::transpose_cuda(rows, cols, da.get(), ot.get());
    sad::transpose_cuda(rows, cols, daf.get(), otf.get());
    check_equal("transpose_cuda " + std::to_string(rows) + "x" + std::to_string(cols), ot.host(), t);
    check_equal("transpose_cuda float " + std::to_string(rows) + "x" + std::to_string(cols), otf.host(), tf);
  }
  for (double scale : {1.0, 1e200, 1e-200}) {
    std::vector<double> xs = random_vector<double>(n, 137);
    for (auto& v : xs) v *= scale;
    double want = 0, dot = 0;
    sad::on_host::norm(n, xs.data(), &want);
    sad::on_host::dot(n, xs.data(), g.data(), &dot);
    const Buffer<double> dxs(xs);
    auto nrm = poisoned<double>(1), gd = poisoned<double>(1);
    sad::norm_cuda(n, dxs.get(), nrm.get());
    SAD_CHECK(close(nrm.host()[0], want, 0, 1e-13)) << "norm_cuda scale " << scale << ": " << nrm.host()[0] << " vs " << want;
    const Buffer<double> gs(std::vector<double>{2.5});
    std::vector<double> dn(n);
    sad::on_host::norm_backward(n, xs.data(), &want, gs.host().data(), dn.data());
    auto odn = poisoned<double>(n);
    sad::norm_backward_cuda(n, dxs.get(), nrm.get(), gs.get(), odn.get());
    check_host("norm_backward_cuda scale " + std::to_string(scale), odn, dn, {}, 1e-13);
    sad::dot_cuda(n, dxs.get(), dg.get(), gd.get());
    std::vector<double> mags(1, 0);
    for (int64_t i = 0; i < n; ++i) mags[0] += std::fabs(xs[i] * g[i]);
    check_host("dot_cuda scale " + std::to_string(scale), gd, std::vector<double>{dot}, mags);
  }
  {
    const auto xf = random_vector<float>(n, 138);
    float want = 0;
    sad::on_host::norm(n, xf.data(), &want);
    const Buffer<float> dxf(xf);
    auto nrm = poisoned<float>(1);
    sad::norm_cuda(n, dxf.get(), nrm.get());
    check_host("norm_cuda float", nrm, std::vector<float>{want}, {}, 1e-6);
    auto z = poisoned<double>(1);
    sad::norm_cuda<double>(0, nullptr, z.get());
    SAD_CHECK(z.host()[0] == 0.0);
    sad::norm_cuda(n, dx.get(), z.get());  // holds a NaN
    SAD_CHECK(std::isnan(z.host()[0]));
  }
}

SAD_TEST(cuda, softmax_cross_entropy_dropout_adam) {
  require_device();
  const int64_t rows = 2000, cols = 7;
  auto x = random_vector<double>(rows * cols, 61);
  for (auto& v : x) v *= 10;
  const auto g = random_vector<double>(rows * cols, 62);
  const Buffer<double> dx(x), dg(g);
  // log-softmax / softmax and their VJPs against long-double references.
  std::vector<double> lsm(rows * cols), sm(rows * cols), dl(rows * cols), ds(rows * cols);
  for (int64_t r = 0; r < rows; ++r) {
    ld mx = x[r * cols], se = 0, sg = 0, sgy = 0;
    for (int64_t j = 0; j < cols; ++j) mx = std::max<ld>(mx, x[r * cols + j]);
    for (int64_t j = 0; j < cols; ++j) se += std::exp(ld(x[r * cols + j]) - mx);
    for (int64_t j = 0; j < cols; ++j) {
      lsm[r * cols + j] = double(ld(x[r * cols + j]) - mx - std::log(se));
      sm[r * cols + j] = double(std::exp(ld(lsm[r * cols + j])));
      sg += g[r * cols + j];
      sgy += ld(g[r * cols + j]) * sm[r * cols + j];
    }
    for (int64_t j = 0; j < cols; ++j) {
      dl[r * cols + j] = double(g[r * cols + j] - std::exp(ld(lsm[r * cols + j])) * sg);
      ds[r * cols + j] = double(sm[r * cols + j] * (g[r * cols + j] - sgy));
    }
  }
  auto y = poisoned<double>(rows * cols), ye = poisoned<double>(rows * cols);
  sad::log_softmax_cuda(rows, cols, dx.get(), y.get(), false);
  sad::log_softmax_cuda(rows, cols, dx.get(), ye.get(), true);
  check_close("log_softmax_cuda", y.host(), lsm, std::vector<double>(lsm.size(), 30.0), 1e-14);
  check_close("softmax (log_softmax_cuda exp)", ye.host(), sm, std::vector<double>(sm.size(), 1.0), 1e-14);
  auto d1 = poisoned<double>(rows * cols), d2 = poisoned<double>(rows * cols);
  sad::log_softmax_backward_cuda(rows, cols, y.get(), dg.get(), d1.get());
  sad::softmax_backward_cuda(rows, cols, ye.get(), dg.get(), d2.get());
  check_close("log_softmax_backward_cuda", d1.host(), dl, std::vector<double>(dl.size(), 10.0), 1e-13);
  check_close("softmax_backward_cuda", d2.host(), ds, std::vector<double>(ds.size(), 10.0), 1e-13);
  // Cross-entropy over selected rows (one repeated), forward and VJP.
  std::vector<int32_t> sel{5, 17, 5, 1999, 0}, tgt{3, 0, 3, 6, 2};
  const Buffer<int32_t> dsel(sel), dtgt(tgt);
  auto lse = poisoned<double>(int64_t(sel.size())), loss = poisoned<double>(1);
  sad::cross_entropy_cuda(cols, int64_t(sel.size()), dx.get(), dsel.get(), dtgt.get(), lse.get(), loss.get());
  ld want_loss = 0;
  for (size_t k = 0; k < sel.size(); ++k) want_loss -= lsm[sel[k] * cols + tgt[k]];
  want_loss /= ld(sel.size());
  SAD_CHECK(close(loss.host()[0], double(want_loss), 30.0, 1e-14)) << loss.host()[0] << " vs " << double(want_loss);
  const Buffer<double> gscale(std::vector<double>{2.0});
  auto dce = poisoned<double>(rows * cols);
  sad::cross_entropy_backward_cuda(rows, cols, int64_t(sel.size()), dx.get(), dsel.get(), dtgt.get(), lse.get(),
                                   gscale.get(), dce.get());
  std::vector<double> want_d(rows * cols, 0);
  for (size_t k = 0; k < sel.size(); ++k) {
    const double c = 2.0 / double(sel.size());
    for (int64_t j = 0; j < cols; ++j) want_d[sel[k] * cols + j] += c * sm[sel[k] * cols + j];
    want_d[sel[k] * cols + tgt[k]] -= c;
  }
  check_close("cross_entropy_backward_cuda", dce.host(), want_d, std::vector<double>(want_d.size(), 1.0), 1e-14);
  // Dropout: the device mask is the bodies' mask.
  const int64_t n = rows * cols;
  auto out = poisoned<double>(n);
  Buffer<uint8_t> keep(n);
  sad::dropout_cuda(n, 0.3, 1234, 5, dx.get(), out.get(), keep.get());
  const auto hk = keep.host();
  const auto ho = out.host();
  const double scale = 1.0 / (1.0 - 0.3);  // as dropout_cuda computes it (not 1 / 0.7: 1 − 0.3 rounds differently)
  for (int64_t i = 0; i < n; ++i) {
    const bool k = sad::body::dropout_keep(1234, 5, uint64_t(i), 0.3);
    if (hk[i] != k || ho[i] != (k ? x[i] * scale : 0.0)) {
      SAD_CHECK(false) << "dropout_cuda element " << i;
      break;
    }
  }
  auto dd = poisoned<double>(n);
  sad::dropout_backward_cuda(n, 1 / 0.7, keep.get(), dg.get(), dd.get());
  const auto hdd = dd.host();
  for (int64_t i = 0; i < n; ++i)
    if (hdd[i] != (hk[i] ? g[i] * (1 / 0.7) : 0.0)) {
      SAD_CHECK(false) << "dropout_backward_cuda element " << i;
      break;
    }
  // Adam: ten steps on the device against the bodies on the host.
  for (bool ams : {false, true}) {
    sad::body::AdamStep s;
    s.lr = 0.01;
    s.weight_decay = 0.05;
    s.amsgrad = ams;
    std::vector<float> p(1000), m(1000, 0), v(1000, 0), vm(1000, 0);
    for (size_t i = 0; i < p.size(); ++i) p[i] = float(x[i]);
    Buffer<float> dp(p), dm(m), dv(v), dvm(vm);
    for (int t = 1; t <= 10; ++t) {
      s.step = t;
      std::vector<float> gr(1000);
      for (size_t i = 0; i < gr.size(); ++i) gr[i] = float(g[(i * 7 + t) % g.size()]);
      const Buffer<float> dgr(gr);
      sad::adam_step_cuda(s, 1000, dp.get(), dgr.get(), dm.get(), dv.get(), ams ? dvm.get() : nullptr);
      const double ss = s.lr / (1 - std::pow(s.beta1, t)), b2 = std::sqrt(1 - std::pow(s.beta2, t));
      for (size_t i = 0; i < p.size(); ++i)
        sad::body::adam_element(s, ss, b2, p[i], gr[i], m[i], v[i], ams ? &vm[i] : nullptr);
    }
    check_close("adam_step_cuda", dp.host(), std::vector<double>(p.begin(), p.end()), {}, 1e-6);
  }
}
