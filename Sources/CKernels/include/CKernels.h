// Hand-written kernels for what OpenBLAS does not offer: products with BF16 weights.
// Each has an AVX-512 path (chosen at run time) and a portable fallback.
#ifndef VLM_CKERNELS_H
#define VLM_CKERNELS_H

#include <stdint.h>

/// 1 when this CPU runs the AVX-512 paths.
int vlm_has_avx512(void);

/// y[r] = dot(w[r, 0..<cols], x) for r in [rowBegin, rowEnd); w is BF16, row stride `ldw` elements.
void vlm_bf16_gemv(const uint16_t *w, int64_t ldw, const float *x, float *y,
                   int64_t rowBegin, int64_t rowEnd, int64_t cols);

/// dst[i] = float(src[i]) for BF16 src (a shift: BF16 is the top half of an IEEE float).
void vlm_bf16_to_f32(const uint16_t *src, float *dst, int64_t count);

/// dst[i] = bf16(src[i]), rounding to nearest even (NaN stays NaN).
void vlm_f32_to_bf16(const float *src, uint16_t *dst, int64_t count);

#endif

// ---- Elementwise kernels on float32 (AVX-512 exp: relative error below 2e-7) -----------------

/// x[i] = exp(x[i]).
void vlm_exp(float *x, int64_t count);

/// Softmax of one row in place: exp(x − max) / Σ; entries of −∞ become 0. A row of all −∞ becomes 0.
void vlm_softmax(float *x, int64_t count);

/// x[i] = x[i] · σ(α · x[i]): SiLU for α = 1, QuickGELU for α = 1.702.
void vlm_sigmoid_gate(float *x, int64_t count, float alpha);

/// x[i] = 0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 x³))) (GELU, tanh approximation).
void vlm_gelu_tanh(float *x, int64_t count);

/// y[r] = dot(w[r, 0..<cols], x) for r in [rowBegin, rowEnd); w is F32, row stride `ldw` elements.
void vlm_f32_gemv(const float *w, int64_t ldw, const float *x, float *y,
                  int64_t rowBegin, int64_t rowEnd, int64_t cols);
