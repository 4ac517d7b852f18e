// sad_core_bench: times each op of the core, forward and VJP, on the CPU and
// (when a device is present) on the GPU with CUDA events, at the paper's sizes
// (Table 2) and over a sweep N = 2^10 … 2^24 (Figure 11), and prints a table.
//
//   sad_core_bench [--cpu-only] [--gpu-only] [--max-log2n 24] [--cpu-max-log2n 20] [--max-chain-log2n 20]
//                  [--min-log2n 10] [--threads T] [--reps R] [--quick] [--csv FILE]
//
// Each time is the median of many runs after warm-up: on the CPU, runs until
// 0.2 s or --reps (at least 5); on the GPU, CUDA events around each of --reps
// calls (default 50) after 3 untimed ones. Matrices are the 1-D Poisson matrix
// tridiag(−1, 2, −1) (the paper's test matrix) and the 2-D 5-point Laplacian.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cuda_device.h"
#include "dense.h"
#include "device.h"
#include "spadd.h"
#include "sparse_bodies.h"
#include "spdmm.h"
#include "spgemm.h"
#include "spmv.h"
#include "spsolve.h"
#include "spsolve_hybrid.h"
#include "sptrsv.h"
#include "structure.h"

namespace {

using sad::index_t;
using sad::ThreadPool;
using sad::cuda::Buffer;

struct Options {
  bool cpu = true, gpu = true, quick = false;
  int min_log2n = 10, max_log2n = 24, cpu_max_log2n = 20;
  // The 1-D Poisson triangle is one chain of N dependent rows: its sync-free
  // solve is sequential (about a microsecond per row on a GPU), so the sweep
  // stops timing it above 2^max_chain_log2n.
  int max_chain_log2n = 20;
  int threads = 1;  // the paper's CPU figures are single-threaded
  int reps = 0;     // 0: the defaults above
  std::string csv;
};

struct Csr {
  index_t rows = 0, cols = 0;
  std::vector<index_t> ip, ix;
  std::vector<double> val;
  int64_t nnz() const { return int64_t(ix.size()); }
  sad::Csr<const double> view() const { return {rows, cols, ip.data(), ix.data(), val.data()}; }
};

// tridiag(−1, 2, −1); `offset` moves the off-diagonals to ±offset (for a second
// operand of sp+sp whose pattern differs).
Csr poisson1d(index_t n, index_t offset = 1) {
  Csr A;
  A.rows = A.cols = n;
  A.ip.reserve(size_t(n) + 1);
  A.ix.reserve(size_t(n) * 3);
  A.val.reserve(size_t(n) * 3);
  A.ip.push_back(0);
  for (index_t i = 0; i < n; ++i) {
    if (i >= offset) A.ix.push_back(i - offset), A.val.push_back(-1);
    A.ix.push_back(i), A.val.push_back(2);
    if (i + offset < n) A.ix.push_back(i + offset), A.val.push_back(-1);
    A.ip.push_back(index_t(A.ix.size()));
  }
  return A;
}

Csr poisson2d(index_t g) {
  Csr A;
  A.rows = A.cols = g * g;
  A.ip.push_back(0);
  for (index_t y = 0; y < g; ++y)
    for (index_t x = 0; x < g; ++x) {
      const index_t i = y * g + x;
      if (y > 0) A.ix.push_back(i - g), A.val.push_back(-1);
      if (x > 0) A.ix.push_back(i - 1), A.val.push_back(-1);
      A.ix.push_back(i), A.val.push_back(4);
      if (x + 1 < g) A.ix.push_back(i + 1), A.val.push_back(-1);
      if (y + 1 < g) A.ix.push_back(i + g), A.val.push_back(-1);
      A.ip.push_back(index_t(A.ix.size()));
    }
  return A;
}

Csr lower_of(const Csr& A) {
  Csr L;
  L.rows = A.rows;
  L.cols = A.cols;
  L.ip.push_back(0);
  for (index_t i = 0; i < A.rows; ++i) {
    for (index_t p = A.ip[i]; p < A.ip[i + 1]; ++p)
      if (A.ix[p] <= i) L.ix.push_back(A.ix[p]), L.val.push_back(A.val[p]);
    L.ip.push_back(index_t(L.ix.size()));
  }
  return L;
}

std::vector<double> random_vector(int64_t n, uint64_t seed) {
  std::vector<double> v(size_t(std::max<int64_t>(n, 0)));
  uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
  for (auto& x : v) {
    s ^= s << 13, s ^= s >> 7, s ^= s << 17;
    x = double(s >> 11) / 9007199254740992.0 * 2 - 1;
  }
  return v;
}

double median(std::vector<double> v) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  const size_t h = v.size() / 2;
  return v.size() % 2 ? v[h] : 0.5 * (v[h - 1] + v[h]);
}

// Median milliseconds of fn on the CPU.
double time_cpu(const Options& o, const std::function<void()>& fn) {
  using clock = std::chrono::steady_clock;
  fn();
  fn();
  std::vector<double> ms;
  const auto start = clock::now();
  const int max_reps = o.reps > 0 ? o.reps : 1000;
  while (int(ms.size()) < max_reps) {
    const auto t0 = clock::now();
    fn();
    ms.push_back(std::chrono::duration<double, std::milli>(clock::now() - t0).count());
    if (ms.size() >= 5 && std::chrono::duration<double>(clock::now() - start).count() > (o.quick ? 0.05 : 0.2)) break;
  }
  return median(ms);
}

double time_gpu(const Options& o, const std::function<void()>& fn) {
  return median(sad::cuda::time_ms(fn, 3, o.reps > 0 ? o.reps : (o.quick ? 10 : 50)));
}

struct Row {
  std::string device, op, matrix;
  int64_t n, nnz;
  double fwd_ms, bwd_ms;
  std::string note;
};

std::vector<Row> g_rows;
FILE* g_csv = nullptr;

void report(Row r) {
  const double ratio = r.fwd_ms > 0 ? r.bwd_ms / r.fwd_ms : NAN;
  std::printf("%-4s %-18s %-22s %10lld %11lld %12.4f %12.4f %7.2f  %s\n", r.device.c_str(), r.op.c_str(),
              r.matrix.c_str(), (long long)r.n, (long long)r.nnz, r.fwd_ms, r.bwd_ms, ratio, r.note.c_str());
  std::fflush(stdout);
  if (g_csv)
    std::fprintf(g_csv, "%s,%s,%s,%lld,%lld,%.6g,%.6g,%s\n", r.device.c_str(), r.op.c_str(), r.matrix.c_str(),
                 (long long)r.n, (long long)r.nnz, r.fwd_ms, r.bwd_ms, r.note.c_str());
  g_rows.push_back(std::move(r));
}

std::string gbs(double bytes, double ms) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "fwd %.1f GB/s", bytes / (ms * 1e-3) / 1e9);
  return buf;
}

// ---------------------------------------------------------------------------
// CPU

void cpu_ops(const Options& o, ThreadPool& pool, const Csr& A, const std::string& name, bool all) {
  const int64_t n = A.rows;
  const auto x = random_vector(n, 1), v = random_vector(n, 2);
  std::vector<double> y(n), dA(A.nnz()), dx(n);
  {
    const double f = time_cpu(o, [&] { sad::spmv_cpu(pool, A.view(), x.data(), y.data()); });
    const double b = time_cpu(o, [&] { sad::spmv_backward_cpu(pool, A.view(), v.data(), x.data(), dA.data(), dx.data()); });
    report({"cpu", "spmv", name, n, A.nnz(), f, b, gbs(A.nnz() * 12.0 + n * 20.0, f)});
  }
  if (!all) return;
  {
    std::vector<index_t> c_ip(size_t(n) + 1), c_ix;
    std::vector<double> c_val;
    auto alloc = [&](int64_t nnz) {
      c_ix.resize(nnz);
      c_val.resize(nnz);
      return sad::CsrOut<double>{c_ix.data(), c_val.data()};
    };
    const double f = time_cpu(o, [&] { sad::spgemm_cpu<double>(pool, A.view(), A.view(), c_ip.data(), alloc); });
    const auto V = random_vector(int64_t(c_ix.size()), 3);
    std::vector<double> gA(A.nnz()), gB(A.nnz());
    const double b = time_cpu(o, [&] {
      sad::spgemm_backward_cpu(pool, A.view(), A.view(), c_ip.data(), c_ix.data(), V.data(), gA.data(), gB.data());
    });
    report({"cpu", "spgemm A*A", name, n, A.nnz(), f, b, "nnz(C) " + std::to_string(c_ix.size())});
  }
  {
    const Csr B = poisson1d(index_t(n), 2);
    std::vector<index_t> c_ip(size_t(n) + 1);
    const int64_t nnz = sad::spadd_symbolic_cpu(pool, index_t(n), A.ip.data(), A.ix.data(), B.ip.data(), B.ix.data(), c_ip.data());
    std::vector<index_t> c_ix(nnz), ma(A.nnz()), mb(B.nnz());
    std::vector<double> c(nnz);
    sad::spadd_structure_cpu(pool, index_t(n), A.ip.data(), A.ix.data(), B.ip.data(), B.ix.data(), c_ip.data(),
                             c_ix.data(), ma.data(), mb.data());
    const double f = time_cpu(o, [&] {
      sad::spadd_values_cpu<double>(pool, index_t(n), c_ip.data(), A.ip.data(), A.val.data(), ma.data(), B.ip.data(),
                                    B.val.data(), mb.data(), 0.5, 2.0, c.data());
    });
    const auto V = random_vector(nnz, 4);
    std::vector<double> oa(A.nnz()), ob(B.nnz());
    const double b = time_cpu(o, [&] {
      sad::SpaddGrad<double> ga, gb;
      ga.n = A.nnz(), ga.map = ma.data(), ga.scale = 0.5, ga.out = oa.data();
      gb.n = B.nnz(), gb.map = mb.data(), gb.scale = 2.0, gb.out = ob.data();
      sad::spadd_backward_cpu(pool, V.data(), ga, gb);
    });
    report({"cpu", "spadd A+B", name, n, A.nnz() + B.nnz(), f, b, "values pass (structure cached)"});
  }
  {
    const Csr L = lower_of(A);
    std::vector<double> xs(n), w(n), g(L.nnz());
    const double f = time_cpu(o, [&] { sad::sptrsv_cpu(pool, L.view(), {true, false}, x.data(), xs.data(), 1); });
    const double b = time_cpu(o, [&] {
      sad::sptrsv_backward_cpu(pool, L.view(), {true, false}, xs.data(), v.data(), w.data(), g.data(), 1);
    });
    report({"cpu", "sptrsv tril", name, n, L.nnz(), f, b, ""});
  }
  for (int64_t m : {16}) {
    const auto D = random_vector(n * m, 5), V = random_vector(n * m, 6);
    std::vector<double> C(n * m), gA(A.nnz()), gD(n * m);
    std::vector<index_t> tip(size_t(n) + 1), tix(A.nnz()), perm(A.nnz()), inv(A.nnz());
    sad::transpose_structure_cpu(index_t(n), index_t(n), A.ip.data(), A.ix.data(), tip.data(), tix.data(), perm.data(), inv.data());
    const double f = time_cpu(o, [&] { sad::spdmm_cpu(pool, A.view(), D.data(), m, C.data()); });
    const double b = time_cpu(o, [&] {
      sad::spdmm_backward_cpu(pool, index_t(n), tip.data(), tix.data(), perm.data(), A.val.data(), V.data(), D.data(),
                              m, gA.data(), gD.data());
    });
    report({"cpu", "spdmm m=" + std::to_string(m), name, n, A.nnz(), f, b, ""});
  }
}

// ---------------------------------------------------------------------------
// GPU

struct DeviceMatrix {
  index_t rows, cols;
  int64_t nnz;
  Buffer<index_t> ip, ix;
  Buffer<double> val;
  explicit DeviceMatrix(const Csr& A) : rows(A.rows), cols(A.cols), nnz(A.nnz()), ip(A.ip), ix(A.ix), val(A.val) {}
  sad::DeviceCsr<const double> view() const { return {rows, cols, nnz, ip.get(), ix.get(), val.get()}; }
};

void gpu_ops(const Options& o, const Csr& A, const std::string& name, bool all) {
  const int64_t n = A.rows;
  const DeviceMatrix dA(A);
  const Buffer<double> x(random_vector(n, 1)), v(random_vector(n, 2));
  Buffer<double> y(n), gA(A.nnz()), gx(n);
  // The transpose structure the device autograd caches per pattern (timed below, once per sweep size).
  Buffer<index_t> tip(n + 1), tix(A.nnz()), perm(A.nnz()), inv(A.nnz());
  sad::transpose_structure_cuda(index_t(n), index_t(n), A.nnz(), dA.ip.get(), dA.ix.get(), tip.get(), tix.get(),
                                perm.get(), inv.get());
  {
    // The VJP the autograd runs, through the transpose (no atomics); and the
    // paper's, one pass over A's rows with atomic adds into dx.
    const double f = time_gpu(o, [&] { sad::spmv_cuda(dA.view(), x.get(), y.get()); });
    const double b = time_gpu(o, [&] {
      sad::spmv_backward_transposed_cuda(dA.view(), tip.get(), tix.get(), perm.get(), v.get(), x.get(), gA.get(),
                                         gx.get());
    });
    report({"gpu", "spmv", name, n, A.nnz(), f, b,
            gbs(A.nnz() * 12.0 + n * 20.0, f) + ", lanes " + std::to_string(sad::body::spmv_lanes(n, A.nnz())) +
                (sad::body::spmv_vjp_one_pass(n, A.nnz()) ? ", VJP one pass" : ", VJP dA then dx")});
    const double b1 = time_gpu(o, [&] { sad::spmv_backward_cuda(dA.view(), v.get(), x.get(), gA.get(), gx.get()); });
    report({"gpu", "spmv, atomic VJP", name, n, A.nnz(), f, b1, "the paper's: dx by atomic adds"});
  }
  for (int64_t m : {16}) {
    const Buffer<double> D(random_vector(n * m, 5)), V(random_vector(n * m, 6));
    Buffer<double> C(n * m), gD(n * m);
    const double f = time_gpu(o, [&] { sad::spdmm_cuda(dA.view(), D.get(), m, C.get()); });
    const double b = time_gpu(o, [&] {
      sad::spdmm_backward_cuda(dA.view(), tip.get(), tix.get(), perm.get(), V.get(), D.get(), m, gA.get(), gD.get());
    });
    // For comparison, the VJP as two passes: the masked dots, then Aᵀ V by the
    // forward kernel (the Poisson matrices are symmetric, so A's own arrays serve as Aᵀ).
    const double b2 = time_gpu(o, [&] {
      sad::masked_outer_sum_cuda(index_t(n), A.nnz(), dA.ip.get(), dA.ix.get(), V.get(), D.get(), index_t(m), 1.0,
                                 false, gA.get());
      sad::spdmm_cuda(dA.view(), V.get(), m, gD.get());
    });
    char note[64];
    std::snprintf(note, sizeof note, "fused; as two passes %.4f ms", b2);
    report({"gpu", "spdmm m=" + std::to_string(m), name, n, A.nnz(), f, b, note});
  }
  if (!all) return;
  {
    Buffer<index_t> c_ip(n + 1), c_ix;
    Buffer<double> c_val;
    auto alloc = [&](int64_t nnz) {
      if (c_ix.size() < nnz) c_ix = Buffer<index_t>(nnz), c_val = Buffer<double>(nnz);
      return sad::CsrOut<double>{c_ix.get(), c_val.get()};
    };
    const double f = time_gpu(o, [&] { sad::spgemm_cuda<double>(dA.view(), dA.view(), c_ip.get(), alloc); });
    const int64_t nnz = c_ix.size();
    const Buffer<double> V(random_vector(nnz, 3));
    Buffer<double> gB(A.nnz());
    const double fn = time_gpu(o, [&] {
      sad::spgemm_numeric_cuda(dA.view(), dA.view(), c_ip.get(), c_ix.get(), c_val.get());
    });
    const double b = time_gpu(o, [&] {
      sad::spgemm_backward_cuda(dA.view(), dA.view(), c_ip.get(), c_ix.get(), V.get(), gA.get(), gB.get());
    });
    index_t longest = 0;  // spgemm_cuda merges rows when A's are at most 8 long (and B's at most 256)
    for (index_t i = 0; i < A.rows; ++i) longest = std::max(longest, A.ip[i + 1] - A.ip[i]);
    char note[128];
    std::snprintf(note, sizeof note, "nnz(C) %lld; %s; numeric pass alone %.4f ms", (long long)nnz,
                  longest <= 8 ? "row merge" : "expand-sort-compress", fn);
    report({"gpu", "spgemm A*A", name, n, A.nnz(), f, b, note});
  }
  {
    const Csr B = poisson1d(index_t(n), 2);
    const DeviceMatrix dB(B);
    Buffer<index_t> c_ip(n + 1);
    const int64_t nnz = sad::spadd_symbolic_cuda(index_t(n), dA.ip.get(), dA.ix.get(), dB.ip.get(), dB.ix.get(), c_ip.get());
    Buffer<index_t> c_ix(nnz), ma(A.nnz()), mb(B.nnz());
    Buffer<double> c(nnz);
    sad::spadd_structure_cuda(index_t(n), dA.ip.get(), dA.ix.get(), dB.ip.get(), dB.ix.get(), c_ip.get(), c_ix.get(),
                              ma.get(), mb.get());
    const double f = time_gpu(o, [&] {
      sad::spadd_values_cuda<double>(nnz, A.nnz(), dA.val.get(), ma.get(), B.nnz(), dB.val.get(), mb.get(), 0.5, 2.0,
                                     c.get());
    });
    const Buffer<double> V(random_vector(nnz, 4));
    Buffer<double> oa(A.nnz()), ob(B.nnz());
    const double b = time_gpu(o, [&] {
      sad::SpaddGrad<double> ga, gb;
      ga.n = A.nnz(), ga.map = ma.get(), ga.scale = 0.5, ga.out = oa.get();
      gb.n = B.nnz(), gb.map = mb.get(), gb.scale = 2.0, gb.out = ob.get();
      sad::spadd_backward_cuda(V.get(), ga, gb);
    });
    const double s = time_gpu(o, [&] {
      sad::spadd_symbolic_cuda(index_t(n), dA.ip.get(), dA.ix.get(), dB.ip.get(), dB.ix.get(), c_ip.get());
      sad::spadd_structure_cuda(index_t(n), dA.ip.get(), dA.ix.get(), dB.ip.get(), dB.ix.get(), c_ip.get(), c_ix.get(),
                                ma.get(), mb.get());
    });
    char note[96];
    std::snprintf(note, sizeof note, "values pass; structure (2 passes) %.4f ms", s);
    report({"gpu", "spadd A+B", name, n, A.nnz() + B.nnz(), f, b, note});
  }
  if (all && n > (int64_t(1) << o.max_chain_log2n)) {
    std::printf("gpu  %-18s %-22s %10lld  (skipped: a chain of N dependent rows is sequential; --max-chain-log2n %d)\n",
                "sptrsv tril", name.c_str(), static_cast<long long>(n), o.max_chain_log2n);
  } else {
    const Csr L = lower_of(A);
    const DeviceMatrix dL(L);
    Buffer<double> xs(n), w(n), g(L.nnz());
    const double f = time_gpu(o, [&] { sad::sptrsv_cuda(dL.view(), {true, false}, x.get(), xs.get(), 1); });
    const double b = time_gpu(o, [&] {
      sad::sptrsv_backward_cuda(dL.view(), {true, false}, xs.get(), v.get(), w.get(), g.get(), 1);
    });
    report({"gpu", "sptrsv tril", name, n, L.nnz(), f, b, "sync-free"});
  }
  {
    const double t = time_gpu(o, [&] {
      sad::transpose_structure_cuda(index_t(n), index_t(n), A.nnz(), dA.ip.get(), dA.ix.get(), tip.get(), tix.get(),
                                    perm.get(), inv.get());
    });
    const double c = time_gpu(o, [&] {
      sad::spmv_transpose_cached_cuda(index_t(n), A.nnz(), tip.get(), tix.get(), perm.get(), dA.val.get(), v.get(),
                                      gx.get());
    });
    char note[96];
    std::snprintf(note, sizeof note, "Aᵀv gather through it: %.4f ms", c);
    report({"gpu", "transpose struct", name, n, A.nnz(), t, NAN, note});
  }
}

// The paper's Table 2 sizes (1-D Poisson): SpMV, Sp+Sp, SpTRSV at N = 32768,
// SpSpMM and SpDMM (a dense N × N right-hand side) at N = 16384; spsolve.
void paper_sizes(const Options& o, ThreadPool& pool, bool gpu) {
  std::printf("\n# The paper's sizes (Table 2), 1-D Poisson\n");
  const Csr A = poisson1d(32768), S = poisson1d(16384);
  if (o.cpu) {
    cpu_ops(o, pool, A, "poisson1d", true);
    // SpGEMM at 16384 as the paper.
    {
      std::vector<index_t> c_ip(16385), c_ix;
      std::vector<double> c_val;
      const double f = time_cpu(o, [&] {
        sad::spgemm_cpu<double>(pool, S.view(), S.view(), c_ip.data(), [&](int64_t nnz) {
          c_ix.resize(nnz);
          c_val.resize(nnz);
          return sad::CsrOut<double>{c_ix.data(), c_val.data()};
        });
      });
      report({"cpu", "spgemm A*A", "poisson1d", 16384, S.nnz(), f, NAN, "paper's SpSpMM size"});
    }
    {
      const int64_t m = o.quick ? 256 : 2048;
      const auto D = random_vector(16384 * m, 5);
      std::vector<double> C(16384 * m);
      const double f = time_cpu(o, [&] { sad::spdmm_cpu(pool, S.view(), D.data(), m, C.data()); });
      report({"cpu", "spdmm m=" + std::to_string(m), "poisson1d", 16384, S.nnz(), f, NAN,
              "paper: m = 16384 (dense N×N); CPU uses fewer columns"});
    }
    if (sad::have_klu()) {
      const double fac = time_cpu(o, [&] { sad::SparseLU::factor<double>(pool, A.view(), nullptr); });
      auto lu = sad::SparseLU::factor<double>(pool, A.view(), nullptr);
      const auto b = random_vector(32768, 7);
      std::vector<double> x(32768);
      const double f = time_cpu(o, [&] { lu->solve(pool, false, b.data(), x.data(), 1); });
      const double t = time_cpu(o, [&] { lu->solve(pool, true, b.data(), x.data(), 1); });
      char note[96];
      std::snprintf(note, sizeof note, "KLU; factor %.4f ms; bwd = transposed solve", fac);
      report({"cpu", "spsolve", "poisson1d", 32768, A.nnz(), f, t, note});
    }
  }
  if (gpu) {
    gpu_ops(o, A, "poisson1d", true);
    const DeviceMatrix dS(S);
    {
      Buffer<index_t> c_ip(16385), c_ix;
      Buffer<double> c_val;
      const double f = time_gpu(o, [&] {
        sad::spgemm_cuda<double>(dS.view(), dS.view(), c_ip.get(), [&](int64_t nnz) {
          if (c_ix.size() < nnz) c_ix = Buffer<index_t>(nnz), c_val = Buffer<double>(nnz);
          return sad::CsrOut<double>{c_ix.get(), c_val.get()};
        });
      });
      report({"gpu", "spgemm A*A", "poisson1d", 16384, S.nnz(), f, NAN, "paper's SpSpMM size"});
    }
    {
      const int64_t m = o.quick ? 1024 : 16384;
      const Buffer<double> D(random_vector(16384 * m, 5)), V(random_vector(16384 * m, 6));
      Buffer<double> C(16384 * m), gA(S.nnz()), gD(16384 * m);
      Buffer<index_t> tip(16385), tix(S.nnz()), perm(S.nnz());
      sad::transpose_structure_cuda(16384, 16384, S.nnz(), dS.ip.get(), dS.ix.get(), tip.get(), tix.get(), perm.get(),
                                    nullptr);
      const double f = time_gpu(o, [&] { sad::spdmm_cuda(dS.view(), D.get(), m, C.get()); });
      const double b = time_gpu(o, [&] {
        sad::spdmm_backward_cuda(dS.view(), tip.get(), tix.get(), perm.get(), V.get(), D.get(), m, gA.get(), gD.get());
      });
      report({"gpu", "spdmm m=" + std::to_string(m), "poisson1d", 16384, S.nnz(), f, b, "paper's SpDMM size"});
    }
    if (sad::have_klu()) {
      const auto t0 = std::chrono::steady_clock::now();
      const sad::SplitLU f = sad::split_lu_factor<double>(pool, A.view());
      const sad::CudaSplitLU<double> lu(f);
      const double fac = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      const Buffer<double> b(random_vector(32768, 7));
      Buffer<double> x(32768);
      const double s = time_gpu(o, [&] { lu.solve(false, b.get(), x.get(), 1); });
      const double t = time_gpu(o, [&] { lu.solve(true, b.get(), x.get(), 1); });
      char note[128];
      std::snprintf(note, sizeof note, "hybrid: CPU KLU factor + upload %.3f ms; GPU sync-free solves", fac);
      report({"gpu", "spsolve", "poisson1d", 32768, A.nnz(), s, t, note});
    }
    // Dense GEMM for scale.
    const int64_t g = 4096;
    const Buffer<double> Ad(random_vector(g * g, 8)), Bd(random_vector(g * g, 9));
    Buffer<double> Cd(g * g);
    const double f = time_gpu(o, [&] { sad::gemm_cuda(false, false, g, g, g, Ad.get(), Bd.get(), Cd.get()); });
    char note[64];
    std::snprintf(note, sizeof note, "%.0f GFLOP/s (tiled, not cuBLAS)", 2.0 * g * g * g / (f * 1e-3) / 1e9);
    report({"gpu", "gemm", "dense 4096^2", g, g * g, f, NAN, note});
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int a = 1; a < argc; ++a) {
    const std::string s = argv[a];
    auto next = [&]() -> const char* {
      if (a + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", s.c_str());
        std::exit(2);
      }
      return argv[++a];
    };
    if (s == "--cpu-only") o.gpu = false;
    else if (s == "--gpu-only") o.cpu = false;
    else if (s == "--quick") o.quick = true;
    else if (s == "--min-log2n") o.min_log2n = std::atoi(next());
    else if (s == "--max-log2n") o.max_log2n = std::atoi(next());
    else if (s == "--cpu-max-log2n") o.cpu_max_log2n = std::atoi(next());
    else if (s == "--max-chain-log2n") o.max_chain_log2n = std::atoi(next());
    else if (s == "--threads") o.threads = std::atoi(next());
    else if (s == "--reps") o.reps = std::atoi(next());
    else if (s == "--csv") o.csv = next();
    else {
      std::printf("usage: %s [--cpu-only] [--gpu-only] [--quick] [--min-log2n 10] [--max-log2n 24]\n"
                  "          [--cpu-max-log2n 20] [--max-chain-log2n 20] [--threads 1] [--reps R] [--csv FILE]\n", argv[0]);
      return s == "--help" || s == "-h" ? 0 : 2;
    }
  }
  if (!o.csv.empty()) {
    g_csv = std::fopen(o.csv.c_str(), "w");
    if (g_csv) std::fprintf(g_csv, "device,op,matrix,n,nnz,fwd_ms,bwd_ms,note\n");
  }
  ThreadPool pool(o.threads);
  sad::gemm_init();
  const auto devices = sad::cuda_devices();
  const bool gpu = o.gpu && !devices.empty();
  std::printf("# sad_core_bench: CPU %d thread(s) of %d; median ms per call\n", o.threads, ThreadPool::hardware_threads());
  if (const char* ct = std::getenv("OPENBLAS_CORETYPE")) std::printf("# OPENBLAS_CORETYPE=%s\n", ct);
  if (!sad::built_with_cuda()) std::printf("# GPU: none (built without CUDA)\n");
  else if (devices.empty()) std::printf("# GPU: none (no CUDA device found)\n");
  for (const auto& d : devices)
    std::printf("# GPU %d: %s, %.1f GiB, compute capability %d.%d\n", d.index, d.name.c_str(),
                double(d.total_memory) / (1 << 30), d.major, d.minor);
  if (gpu) {
    // The card's device-to-device copy bandwidth (read + write), the yardstick for SpMV.
    const int64_t bytes = int64_t(1) << 30;
    Buffer<char> a(bytes), b(bytes);
    const double ms = median(sad::cuda::time_ms([&] { sad::cuda::copy(b.get(), a.get(), size_t(bytes)); }, 2, 10));
    std::printf("# GPU copy bandwidth (cudaMemcpy D2D of 1 GiB, read + write): %.1f GB/s\n", 2.0 * bytes / (ms * 1e-3) / 1e9);
  }
  std::printf("%-4s %-18s %-22s %10s %11s %12s %12s %7s  %s\n", "dev", "op", "matrix", "N", "nnz", "fwd ms", "bwd ms",
              "bwd/fwd", "note");
  paper_sizes(o, pool, gpu);
  std::printf("\n# Sweep (Figure 11): 1-D and 2-D Poisson, N = 2^%d ... 2^%d\n", o.min_log2n, o.max_log2n);
  for (int k = o.min_log2n; k <= o.max_log2n; k += k < 20 ? 2 : 1) {
    const index_t n = index_t(1) << k;
    // The 2-D grid has 2^k points only for even k (an odd k would repeat the size below).
    const Csr A1 = poisson1d(n);
    const Csr A2 = k % 2 == 0 ? poisson2d(index_t(1) << (k / 2)) : Csr{};
    if (o.cpu && k <= o.cpu_max_log2n) {
      cpu_ops(o, pool, A1, "poisson1d", true);
      if (k % 2 == 0) cpu_ops(o, pool, A2, "poisson2d", false);
    }
    if (gpu) {
      gpu_ops(o, A1, "poisson1d", true);
      if (k % 2 == 0) gpu_ops(o, A2, "poisson2d", false);
    }
  }
  if (g_csv) std::fclose(g_csv);
  return 0;
}
