// Test fixtures and naive references for the core's tests: host CSR matrices
// built from COO triplets, seeded random matrices and vectors, the 1-D/2-D
// Poisson matrices, a small MatrixMarket reader for ../shared/data/matrices,
// and the closeness checks (tolerances scaled by the magnitude of the terms).
//
// The references are written independently of the kernels (dense or per-entry
// maps, long double accumulation) so a shared mistake cannot hide.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <type_traits>
#include <vector>

#include "common.h"
#include "harness.h"

namespace sad_test {

using sad::index_t;

// splitmix64: seeded, platform-independent.
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed * 0x9E3779B97F4A7C15ull + 0x1234567ull) {}
  uint64_t next() {
    uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double uniform() { return (next() >> 11) * (1.0 / 9007199254740992.0); }  // [0, 1)
  double symmetric() { return 2 * uniform() - 1; }                           // [-1, 1)
  int64_t below(int64_t n) { return n <= 0 ? 0 : int64_t(next() % uint64_t(n)); }

 private:
  uint64_t s_;
};

// A CSR matrix owned by the test (sorted, duplicate-free rows).
template <class T>
struct HostCsr {
  std::string name;
  index_t rows = 0, cols = 0;
  std::vector<index_t> ip{0}, ix;
  std::vector<T> val;
  int64_t nnz() const { return int64_t(ix.size()); }
  sad::Csr<const T> view() const { return {rows, cols, ip.data(), ix.data(), val.data()}; }
  template <class U>
  HostCsr<U> as() const {
    HostCsr<U> o;
    o.name = name;
    o.rows = rows;
    o.cols = cols;
    o.ip = ip;
    o.ix = ix;
    o.val.assign(val.begin(), val.end());
    return o;
  }
  // A(i, j) or 0.
  T at(index_t i, index_t j) const {
    auto b = ix.begin() + ip[i], e = ix.begin() + ip[i + 1];
    auto it = std::lower_bound(b, e, j);
    return (it != e && *it == j) ? val[it - ix.begin()] : T(0);
  }
  index_t row_of(int64_t p) const { return index_t(std::upper_bound(ip.begin(), ip.end(), index_t(p)) - ip.begin() - 1); }
};

struct Triplet {
  index_t i, j;
  double v;
};

// CSR from COO triplets in any order; duplicates are summed.
template <class T>
HostCsr<T> from_coo(std::string name, index_t rows, index_t cols, std::vector<Triplet> t) {
  std::stable_sort(t.begin(), t.end(), [](const Triplet& a, const Triplet& b) {
    return a.i != b.i ? a.i < b.i : a.j < b.j;
  });
  HostCsr<T> A;
  A.name = std::move(name);
  A.rows = rows;
  A.cols = cols;
  A.ip.assign(size_t(rows) + 1, 0);
  for (size_t k = 0; k < t.size(); ++k) {
    if (k > 0 && t[k].i == t[k - 1].i && t[k].j == t[k - 1].j) {
      A.val.back() += T(t[k].v);
      continue;
    }
    A.ix.push_back(t[k].j);
    A.val.push_back(T(t[k].v));
    A.ip[t[k].i + 1]++;
  }
  for (index_t i = 0; i < rows; ++i) A.ip[i + 1] += A.ip[i];
  return A;
}

// Random m × n with about `density` of the entries stored, some rows left empty.
template <class T>
HostCsr<T> random_csr(std::string name, index_t m, index_t n, double density, uint64_t seed,
                      double empty_row_fraction = 0.1) {
  Rng r(seed);
  std::vector<Triplet> t;
  const int64_t target = int64_t(double(m) * double(n) * density);
  std::vector<char> empty(m, 0);
  for (index_t i = 0; i < m; ++i) empty[i] = r.uniform() < empty_row_fraction;
  for (int64_t k = 0; k < target; ++k) {
    const index_t i = index_t(r.below(m)), j = index_t(r.below(n));
    if (!empty[i]) t.push_back({i, j, r.symmetric()});
  }
  return from_coo<T>(std::move(name), m, n, std::move(t));
}

// Random with rows of very different lengths (a few dense rows), for the
// row-length-dependent kernel variants.
template <class T>
HostCsr<T> skewed_csr(std::string name, index_t m, index_t n, uint64_t seed) {
  Rng r(seed);
  std::vector<Triplet> t;
  for (index_t i = 0; i < m; ++i) {
    const int64_t len = (i % 97 == 0) ? std::min<int64_t>(n, 300 + r.below(400)) : r.below(6);
    for (int64_t k = 0; k < len; ++k) t.push_back({i, index_t(r.below(n)), r.symmetric()});
  }
  return from_coo<T>(std::move(name), m, n, std::move(t));
}

// 500 × 450 with every row exactly 8 long (the GPU row merge's widest rows),
// columns wrapping around.
template <class T>
HostCsr<T> rows_of_eight() {
  std::vector<Triplet> t;
  for (index_t i = 0; i < 500; ++i)
    for (index_t d = 0; d < 8; ++d) t.push_back({i, (i * 7 + d * 61) % 450, 1.0 + 0.01 * i - 0.3 * d});
  return from_coo<T>("rows of 8, 500x450", 500, 450, std::move(t));
}

// tridiag(−1, 2, −1), n × n.
template <class T>
HostCsr<T> poisson1d(index_t n) {
  std::vector<Triplet> t;
  for (index_t i = 0; i < n; ++i) {
    if (i > 0) t.push_back({i, i - 1, -1});
    t.push_back({i, i, 2});
    if (i + 1 < n) t.push_back({i, i + 1, -1});
  }
  return from_coo<T>("poisson1d(" + std::to_string(n) + ")", n, n, std::move(t));
}

// The 5-point Laplacian on a g × g grid (4 on the diagonal, −1 to the neighbours).
template <class T>
HostCsr<T> poisson2d(index_t g) {
  std::vector<Triplet> t;
  for (index_t y = 0; y < g; ++y)
    for (index_t x = 0; x < g; ++x) {
      const index_t i = y * g + x;
      if (y > 0) t.push_back({i, i - g, -1});
      if (x > 0) t.push_back({i, i - 1, -1});
      t.push_back({i, i, 4});
      if (x + 1 < g) t.push_back({i, i + 1, -1});
      if (y + 1 < g) t.push_back({i, i + g, -1});
    }
  return from_coo<T>("poisson2d(" + std::to_string(g) + "x" + std::to_string(g) + ")", g * g, g * g, std::move(t));
}

template <class T>
HostCsr<T> transpose(const HostCsr<T>& A) {
  std::vector<Triplet> t;
  for (index_t i = 0; i < A.rows; ++i)
    for (index_t p = A.ip[i]; p < A.ip[i + 1]; ++p) t.push_back({A.ix[p], i, double(A.val[p])});
  return from_coo<T>(A.name + "ᵀ", A.cols, A.rows, std::move(t));
}

// The lower (or upper) triangle of a square A with a diagonal that keeps the
// solve well conditioned: |d_i| = 1 + Σ_j |L_ij| (sign kept from A, + when absent).
// For a unit-diagonal solve (the stored diagonal ignored) the off-diagonal part
// of each row is scaled to Σ_j |L_ij| <= 1/2 instead, and the stored diagonal is 7.
template <class T>
HostCsr<T> triangle_of(const HostCsr<T>& A, bool lower, bool unit = false) {
  std::vector<Triplet> t;
  for (index_t i = 0; i < A.rows; ++i) {
    double off = 0, dsign = 1;
    const size_t first = t.size();
    for (index_t p = A.ip[i]; p < A.ip[i + 1]; ++p) {
      const index_t j = A.ix[p];
      if (j == i) {
        dsign = A.val[p] < 0 ? -1 : 1;
        continue;
      }
      if ((lower && j < i) || (!lower && j > i)) {
        t.push_back({i, j, double(A.val[p])});
        off += std::fabs(double(A.val[p]));
      }
    }
    if (unit && off > 0.5)
      for (size_t k = first; k < t.size(); ++k) t[k].v *= 0.5 / off;
    t.push_back({i, i, unit ? 7.0 : dsign * (1 + off)});
  }
  return from_coo<T>(A.name + (lower ? ".tril" : ".triu") + (unit ? ".unit" : ""), A.rows, A.cols, std::move(t));
}

// A square A made strictly diagonally dominant (kept pattern plus the diagonal).
template <class T>
HostCsr<T> dominant(const HostCsr<T>& A) {
  std::vector<Triplet> t;
  for (index_t i = 0; i < A.rows; ++i) {
    double off = 0, dsign = 1;
    for (index_t p = A.ip[i]; p < A.ip[i + 1]; ++p) {
      if (A.ix[p] == i) {
        dsign = A.val[p] < 0 ? -1 : 1;
        continue;
      }
      t.push_back({i, A.ix[p], double(A.val[p])});
      off += std::fabs(double(A.val[p]));
    }
    t.push_back({i, i, dsign * (1 + off)});
  }
  return from_coo<T>(A.name + ".dominant", A.rows, A.cols, std::move(t));
}

template <class T>
std::vector<T> random_vector(int64_t n, uint64_t seed) {
  Rng r(seed);
  std::vector<T> v(size_t(std::max<int64_t>(n, 0)));
  for (auto& x : v) x = T(r.symmetric());
  return v;
}

// ---------------------------------------------------------------------------
// MatrixMarket (coordinate real / integer / pattern, general / symmetric /
// skew-symmetric; array real general). Complex files and anything else are
// reported as unsupported (the caller skips them). Pattern entries get value 1.

struct MtxResult {
  bool ok = false;
  std::string why;
  HostCsr<double> A;
};

MtxResult read_matrix_market(const std::string& path);

// The shared data folder: $SAD_DATA_DIR, else the build's SAD_DATA_DIR default.
std::string data_dir();

// The real matrices of data_dir()/matrices that read_matrix_market supports,
// each capped at max_nnz stored entries (larger ones are left out).
std::vector<HostCsr<double>> real_matrices(int64_t max_nnz = 1 << 22);

// ---------------------------------------------------------------------------
// Closeness. For a value computed as a sum of terms, `mag` is Σ|term| (from the
// reference): an error below tol * mag is rounding, whatever the cancellation.

template <class T>
constexpr double tol() {
  return std::is_same_v<T, float> ? 2e-5 : 1e-12;
}

inline bool close(double got, double want, double mag, double tolerance) {
  if (std::isnan(want)) return std::isnan(got);
  if (std::isinf(want)) return got == want;
  return std::fabs(got - want) <= tolerance * (mag + std::fabs(want)) + 1e-300;
}

// Checks every entry of got against want (with magnitudes mag, or |want| when
// empty); reports the first few mismatches under `what`.
template <class T>
void check_close(const std::string& what, const std::vector<T>& got, const std::vector<double>& want,
                 const std::vector<double>& mag = {}, double tolerance = tol<T>()) {
  SAD_CHECK(got.size() == want.size()) << what << ": size " << got.size() << " vs " << want.size();
  if (got.size() != want.size()) return;
  int bad = 0;
  for (size_t k = 0; k < got.size(); ++k) {
    const double m = mag.empty() ? std::fabs(want[k]) : mag[k];
    if (!close(double(got[k]), want[k], m, tolerance)) {
      if (++bad <= 3)
        SAD_CHECK(false) << what << ": entry " << k << " is " << double(got[k]) << ", want " << want[k]
                         << " (magnitude " << m << ")";
    }
  }
  if (bad > 3) SAD_CHECK(false) << what << ": " << bad << " mismatching entries in all";
}

template <class T>
void check_equal(const std::string& what, const std::vector<T>& got, const std::vector<T>& want) {
  SAD_CHECK(got == want) << what << ": differs (sizes " << got.size() << " vs " << want.size() << ")";
}

// Checks that a kernel output poisoned beforehand was written everywhere.
template <class T>
void check_no_nan(const std::string& what, const std::vector<T>& got) {
  for (size_t k = 0; k < got.size(); ++k)
    if (std::isnan(double(got[k]))) {
      SAD_CHECK(false) << what << ": entry " << k << " is NaN (not written?)";
      return;
    }
}

template <class T>
std::vector<T> nan_vector(int64_t n) {
  return std::vector<T>(size_t(std::max<int64_t>(n, 0)), std::numeric_limits<T>::quiet_NaN());
}

}  // namespace sad_test
