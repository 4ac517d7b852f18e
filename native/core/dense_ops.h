// The dense operations a training loop needs, beside GEMM (dense.h): element-wise
// maps and their VJPs, reductions, softmax / log-softmax and their VJPs,
// cross-entropy over selected rows, dropout with a counter-based RNG, and the
// Adam and SGD steps; on the CPU (*_cpu: host pointers, the engine's thread
// pool, dense_ops_cpu.cc) and on CUDA (*_cuda: device pointers, see device.h,
// dense_cuda.cu). Both run the per-element arithmetic of dense_bodies.h.
//
// Tensors are contiguous and row-major ("rows × cols" for the row-wise ops, over
// the last axis). The CPU results are bitwise the same for any thread count.
#pragma once

#include <cstdint>

#include "common.h"
#include "dense_bodies.h"
#include "device.h"
#include "thread_pool.h"

namespace sad {

// ---------------------------------------------------------------------------
// CPU. Same meaning as the CUDA function of the same name below, unless said.

template <class T>
void unary_cpu(ThreadPool& pool, UnaryOp op, int64_t n, const T* x, T* out);
template <class T>
void unary_backward_cpu(ThreadPool& pool, UnaryOp op, int64_t n, const T* x, const T* y, const T* g, T* dx);
template <class T>
void binary_broadcast_cpu(ThreadPool& pool, BinaryOp op, const Broadcast& s, Operand<T> a, Operand<T> b, T* out);
template <class T>
void binary_backward_cpu(ThreadPool& pool, BinaryOp op, const Broadcast& s, const T* g, Operand<T> a, Operand<T> b,
                         const T* y, T* da, T* db);
template <class T>
void sum_to_cpu(ThreadPool& pool, const Reduction& r, const T* x, double scale, T* out);
template <class T>
void clamp_cpu(ThreadPool& pool, int64_t n, double lo, double hi, const T* x, T* out);
template <class T>
void clamp_backward_cpu(ThreadPool& pool, int64_t n, double lo, double hi, const T* x, const T* g, T* dx);
template <class S, class D>
void cast_cpu(ThreadPool& pool, int64_t n, const S* x, D* out);
template <class T>
void fill_cpu(ThreadPool& pool, int64_t n, T value, T* out);
template <class T>
void axpby_cpu(ThreadPool& pool, int64_t n, T alpha, const T* x, T beta, T* y);
template <class T>
void dot_cpu(ThreadPool& pool, int64_t n, const T* x, const T* y, T* out);
template <class T>
void norm_cpu(ThreadPool& pool, int64_t n, const T* x, T* out);
// nrm and g are host values here.
template <class T>
void norm_backward_cpu(ThreadPool& pool, int64_t n, const T* x, T nrm, T g, T* dx);
template <class T>
void log_softmax_cpu(ThreadPool& pool, int64_t rows, int64_t cols, const T* x, T* y, bool exp_out);
template <class T>
void log_softmax_backward_cpu(ThreadPool& pool, int64_t rows, int64_t cols, const T* y, const T* g, T* dx);
template <class T>
void softmax_backward_cpu(ThreadPool& pool, int64_t rows, int64_t cols, const T* y, const T* g, T* dx);
template <class T>
void cross_entropy_cpu(ThreadPool& pool, int64_t C, int64_t R, const T* x, const int32_t* sel, const int32_t* tgt,
                       T* lse, T* loss);
template <class T>
void cross_entropy_backward_cpu(ThreadPool& pool, int64_t N, int64_t C, int64_t R, const T* x, const int32_t* sel,
                                const int32_t* tgt, const T* lse, T g, T* dx);
// The same mask as dropout_cuda for the same (seed, offset): the CPU and the GPU draw one stream.
template <class T>
void dropout_cpu(ThreadPool& pool, int64_t n, double p, uint64_t seed, uint64_t offset, const T* x, T* out,
                 uint8_t* keep);
template <class T>
void dropout_backward_cpu(ThreadPool& pool, int64_t n, T scale, const uint8_t* keep, const T* g, T* dx);
template <class T>
void adam_step_cpu(ThreadPool& pool, const body::AdamStep& step, int64_t n, T* p, const T* g, T* m, T* v, T* vmax);
// One SGD step over n parameters (buf: the momentum buffer, null without momentum), as body::sgd_element.
template <class T>
void sgd_step_cpu(ThreadPool& pool, const body::SgdStep& step, int64_t n, T* p, const T* g, T* buf);

// ---------------------------------------------------------------------------
// CUDA

// out[i] = f(x[i]); out may alias x.
template <class T>
void unary_cuda(UnaryOp op, int64_t n, const T* x, T* out);
// dx[i] = g[i] f'(x[i]) given x and y = f(x) (either may be null where f' does not read it).
template <class T>
void unary_backward_cuda(UnaryOp op, int64_t n, const T* x, const T* y, const T* g, T* dx);
// out[i] = a[i] ∘ b[i] (same shapes; out may alias either).
template <class T>
void binary_cuda(BinaryOp op, int64_t n, const T* a, const T* b, T* out);
// out = a ∘ b read along the broadcast s (make_broadcast, dense_bodies.h); an
// operand with null data is its constant value. out may alias an operand of
// the output's shape.
template <class T>
void binary_broadcast_cuda(BinaryOp op, const Broadcast& s, Operand<T> a, Operand<T> b, T* out);
// The VJP of binary_broadcast_cuda: da and db (either may be null; never for a
// constant) at the operands' own shapes, each summed over the axes it was
// broadcast along (deterministically, in double). y: the forward output, read
// by pow only (null otherwise).
template <class T>
void binary_backward_cuda(BinaryOp op, const Broadcast& s, const T* g, Operand<T> a, Operand<T> b, const T* y, T* da,
                          T* db);
// out[j] = scale · Σ x over the summed axes of r (make_reduction / reduction_of),
// in double, deterministic: a sum over everything, over leading or trailing
// axes, or any other pattern of axes.
template <class T>
void sum_to_cuda(const Reduction& r, const T* x, double scale, T* out);
// out = clamp(x, lo, hi) (±∞ for an absent bound); dx = g [lo ≤ x ≤ hi].
template <class T>
void clamp_cuda(int64_t n, double lo, double hi, const T* x, T* out);
template <class T>
void clamp_backward_cuda(int64_t n, double lo, double hi, const T* x, const T* g, T* dx);
// out = x converted (float ↔ double, rounding to nearest).
template <class S, class D>
void cast_cuda(int64_t n, const S* x, D* out);
// out [cols, rows] = xᵀ for a row-major x [rows, cols].
template <class T>
void transpose_cuda(int64_t rows, int64_t cols, const T* x, T* out);
// out (a device scalar) = ‖x‖₂ as amax · √(Σ (x / amax)²), in double, deterministic;
// dx = g x / ‖x‖ (0 where ‖x‖ = 0) for device scalars nrm and g.
template <class T>
void norm_cuda(int64_t n, const T* x, T* out);
template <class T>
void norm_backward_cuda(int64_t n, const T* x, const T* nrm, const T* g, T* dx);
// y = α x + β y.
template <class T>
void axpby_cuda(int64_t n, T alpha, const T* x, T beta, T* y);
template <class T>
void fill_cuda(int64_t n, T value, T* out);

// Σ x y, summed in double in a fixed order (deterministic), written to a device
// scalar (out: one T) so loops stay on the device. (Sums are sum_to_cuda's.)
template <class T>
void dot_cuda(int64_t n, const T* x, const T* y, T* out);

// y = log softmax(x) row by row (softmax when exp_out), a warp per row.
template <class T>
void log_softmax_cuda(int64_t rows, int64_t cols, const T* x, T* y, bool exp_out);
// log-softmax VJP dx = g − exp(y) Σ g; softmax VJP dx = y ⊙ (g − Σ g y)  (y: the forward output).
template <class T>
void log_softmax_backward_cuda(int64_t rows, int64_t cols, const T* y, const T* g, T* dx);
template <class T>
void softmax_backward_cuda(int64_t rows, int64_t cols, const T* y, const T* g, T* dx);

// Cross-entropy of logits x [N, C] over the R selected rows sel[k] with class
// ids tgt[k]: loss (device scalar) = mean_k (logsumexp(x[sel[k]]) − x[sel[k], tgt[k]]);
// lse (device, R entries) keeps each row's log-sum-exp for the VJP.
template <class T>
void cross_entropy_cuda(int64_t C, int64_t R, const T* x, const int32_t* sel, const int32_t* tgt, T* lse, T* loss);
// dx = 0 except, for each selected row, (g / R) (softmax(x[r]) − onehot(tgt)),
// summed over repeats; g is a device scalar (the loss's gradient).
template <class T>
void cross_entropy_backward_cuda(int64_t N, int64_t C, int64_t R, const T* x, const int32_t* sel, const int32_t* tgt,
                                 const T* lse, const T* g, T* dx);

// Inverted dropout: keep[i] = (philox_uniform(seed, offset, i) >= p),
// out[i] = keep[i] ? x[i] / (1 − p) : 0 (0 everywhere when p = 1). The mask is a
// function of (seed, offset, i): a different stream from the CPU's Generator.
template <class T>
void dropout_cuda(int64_t n, double p, uint64_t seed, uint64_t offset, const T* x, T* out, uint8_t* keep);
// dx[i] = keep[i] ? g[i] scale : 0.
template <class T>
void dropout_backward_cuda(int64_t n, T scale, const uint8_t* keep, const T* g, T* dx);

// One Adam / AdamW step over n parameters (p, m, v updated in place; vmax for
// amsgrad, else null), as body::adam_element.
template <class T>
void adam_step_cuda(const body::AdamStep& step, int64_t n, T* p, const T* g, T* m, T* v, T* vmax);
// One SGD step (body::sgd_element); buf null without momentum.
template <class T>
void sgd_step_cuda(const body::SgdStep& step, int64_t n, T* p, const T* g, T* buf);

}  // namespace sad
