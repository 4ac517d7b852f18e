// Machine measurements used by the benchmarks to put kernel figures in context.
#pragma once

#include <cstdint>

namespace sad {

// Single-threaded streaming read: sums `n` doubles `reps` times (a STREAM-like
// read kernel, vectorisable, 4 independent accumulators). Returns the sum so
// the compiler cannot drop the loop.
double stream_read_sum(const double* a, int64_t n, int reps);

}  // namespace sad
