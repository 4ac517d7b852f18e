// Host matrix construction (coo.h) against references written here: a
// std::map of (row, col) keys for the CSR structure and slots, float64-then-
// rounded sums for the duplicates (what JavaScript's Float32Array loop does),
// a scan of the dense entries, and the first bad index whichever part of the
// pool finds it, at 1, 2 and 3 threads.
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "coo.h"
#include "harness.h"

using namespace sad_test;
using sad::ThreadPool;

namespace {

const int kThreads[] = {1, 2, 3};

}  // namespace

SAD_TEST(cpu, coo_index_check) {
  const int64_t n = 300000;  // past the kernel's grain: the pool splits it
  for (int t : kThreads) {
    ThreadPool pool(t);
    std::vector<double> idx(n, 2.0);
    std::vector<int32_t> out(n, -7);
    SAD_CHECK(sad::coo_index_check_cpu<double>(pool, n, idx.data(), 3, out.data()) == -1) << t << " threads";
    SAD_CHECK(out[n - 1] == 2 && out[0] == 2) << t << " threads: converted";
    // Bad entries late in the array, in several parts: the first one is reported.
    idx[280000] = -1;
    idx[250000] = 1.5;
    idx[290000] = std::numeric_limits<double>::quiet_NaN();
    SAD_CHECK(sad::coo_index_check_cpu<double>(pool, n, idx.data(), 3, out.data()) == 250000) << t << " threads";
    idx[10] = 3;  // == bound
    SAD_CHECK(sad::coo_index_check_cpu<double>(pool, n, idx.data(), 3, nullptr) == 10) << t << " threads";
    std::vector<uint32_t> u(n, 1);
    u[200001] = 4294967295u;
    SAD_CHECK(sad::coo_index_check_cpu<uint32_t>(pool, n, u.data(), 3, out.data()) == 200001) << t << " threads";
    std::vector<int32_t> s(n, 0);
    s[5] = -1;
    SAD_CHECK(sad::coo_index_check_cpu<int32_t>(pool, n, s.data(), 1, nullptr) == 5) << t << " threads";
  }
  // -0 is the index 0; infinity and 2^31 are out of range.
  ThreadPool pool(1);
  const float f[] = {-0.0f, 2.0f, std::numeric_limits<float>::infinity()};
  SAD_CHECK(sad::coo_index_check_cpu<float>(pool, 3, f, 5, nullptr) == 2);
  const double big[] = {0, 2147483648.0};
  SAD_CHECK(sad::coo_index_check_cpu<double>(pool, 2, big, 2147483647, nullptr) == 1);
}

SAD_TEST(cpu, coo_to_csr_and_duplicate_sums) {
  std::mt19937 gen(17);
  struct Shape { int64_t n; int32_t rows, cols; };
  for (const Shape s : {Shape{0, 0, 0}, Shape{0, 4, 3}, Shape{5, 1, 1}, Shape{3000, 40, 30}, Shape{20000, 900, 3}, Shape{20000, 3, 900}}) {
    std::vector<int32_t> r(s.n), c(s.n);
    std::vector<float> vf(s.n);
    std::vector<double> vd(s.n);
    for (int64_t k = 0; k < s.n; ++k) {
      r[k] = static_cast<int32_t>(gen() % s.rows);
      c[k] = static_cast<int32_t>(gen() % s.cols);
      vd[k] = std::ldexp(static_cast<double>(gen()) / 4294967296.0 - 0.5, static_cast<int>(gen() % 30) - 15);
      vf[k] = static_cast<float>(vd[k]);
    }
    std::map<int64_t, int32_t> keys;
    for (int64_t k = 0; k < s.n; ++k) keys[static_cast<int64_t>(r[k]) * s.cols + c[k]] = 0;
    int32_t p = 0;
    for (auto& kv : keys) kv.second = p++;
    std::vector<int32_t> indptr(s.rows + 1, -1), indices(s.n > 0 ? s.n : 1), slot(s.n);
    const int64_t nnz = sad::coo_to_csr_cpu(s.rows, s.cols, s.n, r.data(), c.data(), indptr.data(), indices.data(), slot.data());
    const std::string at = std::to_string(s.n) + " entries in " + std::to_string(s.rows) + "x" + std::to_string(s.cols);
    SAD_CHECK(nnz == static_cast<int64_t>(keys.size())) << at;
    std::vector<int32_t> want_ptr(s.rows + 1, 0);
    for (const auto& kv : keys) ++want_ptr[kv.first / s.cols + 1];
    for (int32_t i = 0; i < s.rows; ++i) want_ptr[i + 1] += want_ptr[i];
    SAD_CHECK(indptr == want_ptr) << at << ": indptr";
    for (const auto& kv : keys)
      if (indices[kv.second] != kv.first % s.cols) {
        SAD_CHECK(false) << at << ": indices[" << kv.second << "]";
        break;
      }
    for (int64_t k = 0; k < s.n; ++k)
      if (slot[k] != keys[static_cast<int64_t>(r[k]) * s.cols + c[k]]) {
        SAD_CHECK(false) << at << ": slot[" << k << "]";
        break;
      }
    // Sums in entry order; float32's as JavaScript does them (a float64 add rounded to float32).
    std::vector<double> want_d(nnz, 0.0), got_d(nnz, -1.0);
    std::vector<float> want_f(nnz, 0.0f), got_f(nnz, -1.0f);
    for (int64_t k = 0; k < s.n; ++k) {
      want_d[slot[k]] += vd[k];
      want_f[slot[k]] = static_cast<float>(static_cast<double>(want_f[slot[k]]) + static_cast<double>(vf[k]));
    }
    SAD_CHECK(sad::coo_sum_duplicates_cpu<double>(s.n, slot.data(), vd.data(), nnz, got_d.data())) << at;
    SAD_CHECK(sad::coo_sum_duplicates_cpu<float>(s.n, slot.data(), vf.data(), nnz, got_f.data())) << at;
    SAD_CHECK(std::memcmp(got_d.data(), want_d.data(), nnz * sizeof(double)) == 0) << at << ": float64 sums";
    SAD_CHECK(std::memcmp(got_f.data(), want_f.data(), nnz * sizeof(float)) == 0) << at << ": float32 sums";
  }
  // A slot outside the output is refused.
  const int32_t bad[] = {0, 2};
  const double v[] = {1, 2};
  double out[2];
  SAD_CHECK(!sad::coo_sum_duplicates_cpu<double>(2, bad, v, 2, out));
}

SAD_TEST(cpu, dense_nonzeros) {
  std::mt19937 gen(23);
  struct Shape { int32_t rows, cols; };
  for (int t : kThreads) {
    ThreadPool pool(t);
    for (const Shape s : {Shape{0, 0}, Shape{0, 5}, Shape{5, 0}, Shape{1, 40}, Shape{40, 1}, Shape{300, 500}, Shape{70000, 2}}) {
      const int64_t size = static_cast<int64_t>(s.rows) * s.cols;
      std::vector<double> D(size);
      for (auto& x : D) {
        const unsigned u = gen() % 10;
        x = u == 0 ? std::numeric_limits<double>::quiet_NaN() : u == 1 ? -0.0 : u < 4 ? static_cast<double>(gen() % 100) - 50 : 0.0;
      }
      for (bool keep : {false, true}) {
        const std::string at = std::to_string(s.rows) + "x" + std::to_string(s.cols) + (keep ? " keepZeros " : " ") + std::to_string(t) + " threads";
        std::vector<int32_t> want_ptr{0}, want_at, want_ix;
        for (int32_t i = 0; i < s.rows; ++i) {
          for (int32_t j = 0; j < s.cols; ++j) {
            const double x = D[static_cast<size_t>(i) * s.cols + j];
            if (keep || std::isnan(x) || x != 0) {
              want_at.push_back(i * s.cols + j);
              want_ix.push_back(j);
            }
          }
          want_ptr.push_back(static_cast<int32_t>(want_at.size()));
        }
        std::vector<int32_t> indptr(s.rows + 1, -1);
        const int64_t nnz = sad::dense_nonzeros_count_cpu<double>(pool, s.rows, s.cols, D.data(), keep, indptr.data());
        SAD_CHECK(nnz == static_cast<int64_t>(want_at.size())) << at;
        SAD_CHECK(indptr == want_ptr) << at << ": indptr";
        std::vector<int32_t> got_at(nnz), got_ix(nnz);
        sad::dense_nonzeros_fill_cpu<double>(pool, s.rows, s.cols, D.data(), keep, indptr.data(), got_at.data(), got_ix.data());
        SAD_CHECK(got_at == want_at) << at << ": at";
        SAD_CHECK(got_ix == want_ix) << at << ": indices";
      }
    }
  }
}
