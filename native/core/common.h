// Shared definitions for the C++ core: errors, index type, the CSR view.
// The core has no Node dependency; it is built into the addon and, alone, into
// the C++ tests and benchmarks (also on GPU machines without Node).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace sad {

using index_t = int32_t;   // row/column indices and indptr entries (nnz < 2^31)

// Every error the core raises. The binding turns it into a JS Error with the
// same message; messages name the op, as "<op>: <what is wrong>".
struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] inline void fail(const std::string& msg) { throw Error(msg); }

// A CSR matrix as the kernels see it: borrowed pointers, validated by the caller
// (TypeScript checks structure before any kernel runs; kernels assume valid input).
template <class T>
struct Csr {
  index_t rows = 0;
  index_t cols = 0;
  const index_t* indptr = nullptr;   // rows + 1 entries, indptr[0] == 0
  const index_t* indices = nullptr;  // nnz entries, sorted and unique per row
  T* values = nullptr;               // nnz entries
  int64_t nnz() const { return rows == 0 ? 0 : indptr[rows]; }
};

// Thrown by the stubs that a CPU-only build links in place of the CUDA kernels.
[[noreturn]] inline void no_cuda(const char* op) {
  fail(std::string(op) + ": built without CUDA");
}

}  // namespace sad
