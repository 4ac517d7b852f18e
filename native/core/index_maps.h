// Index maps and index-valued fills made on the host, for either device (a
// device op uploads the map once, as ops/select.ts and ops/gather.ts do):
// where's picks, kron's entry pairs, arange's values.
#pragma once

#include <cstdint>
#include <vector>

#include "common.h"

namespace sad {

// out[i] = i for i < n.
template <class T>
void iota_cpu(int64_t n, T* out);

// The strides with which an input of shape `in` is read at the positions of a
// broadcast output of shape `out` (in right-aligned to out's axes): its own
// contiguous strides, 0 on an axis where it has size 1 or no axis.
std::vector<int64_t> broadcast_strides(const std::vector<int64_t>& in, const std::vector<int64_t>& out);

// where(cond, a, b)'s picks over an output of shape `shape` (cs, as, bs: the
// broadcast strides of cond, a and b): pick_a[i] = a's entry at position i
// where cond holds (−1 elsewhere), pick_b[i] = b's entry where it does not
// (−1 elsewhere). cond is nonzero for true.
template <class C>
void where_maps_cpu(const std::vector<int64_t>& shape, const C* cond, const std::vector<int64_t>& cs,
                    const std::vector<int64_t>& as, const std::vector<int64_t>& bs, int32_t* pick_a,
                    int32_t* pick_b);

// kron(A, B)'s entry pairs in kron_structure_cpu's order (block row (ia, ib),
// then p in row ia of A, then q in row ib of B): entry t is a[pa[t]] b[pb[t]].
void kron_maps_cpu(index_t a_rows, const index_t* a_indptr, index_t b_rows, const index_t* b_indptr, int32_t* pa,
                   int32_t* pb);

// A partial selection matrix's structure (ops/select.ts): one row per entry of
// idx, with one entry in column idx[k] where idx[k] >= 0 and none where it is
// −1. Fills indptr (n + 1 entries) and returns the nonzero count; indices (that
// many entries) is filled when not null.
int64_t selection_structure_cpu(int64_t n, const int32_t* idx, int32_t* indptr, int32_t* indices);

}  // namespace sad
