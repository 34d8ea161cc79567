// Hand-written kernels: products against packed weights (exact F32, and BF16 dot products),
// attention, elementwise functions, a thread pool. Each has an AVX-512 path (chosen at run time)
// and a portable fallback.
#ifndef VLM_CKERNELS_H
#define VLM_CKERNELS_H

#include <stdint.h>

/// 1 when this CPU runs the AVX-512 paths.
int vlm_has_avx512(void);

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

/// Σ x[i], read as fast as the memory allows (four independent AVX-512 sums): the streaming-read
/// probe of `vlm bench`, so its limit is what an optimal kernel could reach.
float vlm_stream_sum(const float *x, int64_t count);

// ---- BF16 dot-product products (AVX512_BF16's vdpbf16ps) ---------------------------------------
// Weights are packed once into panels of 32 output rows: for each pair of input columns, the 32
// rows' two values side by side ([K/2][32][2] per panel, zero-padded), so one 64-byte load feeds
// 16 lanes × 2 products. Activations are rounded to BF16 pairs per call. Accumulation is in F32.

/// 1 when this CPU has AVX512_BF16.
int vlm_has_avx512_bf16(void);

/// Bytes of the packed form of a [rows, cols] matrix.
int64_t vlm_bf16_packed_size(int64_t rows, int64_t cols);

/// Packs row-major F32 `w` [rows, cols] (rounded to nearest even) into `packed`.
void vlm_bf16_pack_f32(const float *w, int64_t rows, int64_t cols, uint16_t *packed);

/// Packs row-major BF16 `w` [rows, cols] into `packed`.
void vlm_bf16_pack_bf16(const uint16_t *w, int64_t rows, int64_t cols, uint16_t *packed);

/// Rounds `m` rows of `a` (row stride `lda`) to BF16 pairs: `pairs` [m, ceil(cols/2)] of uint32.
void vlm_bf16_pair_rows(const float *a, int64_t lda, int64_t m, int64_t cols, uint32_t *pairs);

/// C[i, j] = bias[j] + Σ_k A[i, k] · W[j, k] for i < m and output rows j in panels [panelBegin, panelEnd)
/// (panel p holds rows 32p ..< 32p + 32, cut at `rows`); `bias` [rows] may be null (zero). `pairs`
/// from vlm_bf16_pair_rows.
void vlm_bf16_gemm_packed(const uint32_t *pairs, int64_t m, int64_t cols, const uint16_t *packed, int64_t rows,
                          const float *bias, int64_t panelBegin, int64_t panelEnd, float *c, int64_t ldc);

// ---- Attention for one head and a block of queries (attention.c), exact F32 ------------------------

/// s[i·lds + j] = scale · Σ_t q[i·ldq + t] · key_j[t] for i < m and j < keys (one head's keys
/// packed into panels of 32 by vlm_f32_pack(k, ldk, keys, d, packed)).
void vlm_attention_scores(const float *q, int64_t ldq, int64_t m, const float *packedKeys, int64_t keys,
                          int64_t d, float scale, float *s, int64_t lds);

/// o[i·ldo + t] = Σ_j p[i·ldp + j] · v[j·ldv + t] for i < m and t < d.
void vlm_attention_values(const float *p, int64_t ldp, int64_t m, const float *v, int64_t ldv, int64_t keys,
                          int64_t d, float *o, int64_t ldo);

// ---- Exact F32 products against packed weights -------------------------------------------------
// Weights are packed once into panels of 32 output rows, all input columns of a panel contiguous:
// panel p holds W[32p + r, k] at (p · cols + k) · 32 + r (rows past the end are zero), so one
// 128-byte load gives the 32 rows' weights for one input column. BF16-stored weights may stay in
// BF16 panels (2 bytes a weight), where rows r and r + 16 share a 32-bit lane: element
// (p · cols + k) · 32 + 2(r mod 16) + r / 16. They are widened to F32 in registers, which is exact,
// so both forms compute the same F32 products; activations are used as they are (not rounded).

/// Elements of the packed form of a [rows, cols] matrix (either storage).
int64_t vlm_f32_panel_elements(int64_t rows, int64_t cols);

/// Packs row-major F32 `w` [rows, cols] (row stride `ldw`) into F32 panels; attention packs a
/// head's keys this way too.
void vlm_f32_pack(const float *w, int64_t ldw, int64_t rows, int64_t cols, float *packed);

/// Packs row-major BF16 `w` [rows, cols] into BF16 panels.
void vlm_f32_pack_bf16(const uint16_t *w, int64_t rows, int64_t cols, uint16_t *packed);

/// C[i, j] = bias[j] + Σ_k A[i, k] · W[j, k] for i < m and output rows j in panels
/// [panelBegin, panelEnd) (panel p holds rows 32p ..< 32p + 32, cut at `rows`), in F32 with FMA;
/// `bias` may be null (no bias). A is row-major with row stride `lda`, C with row stride `ldc`;
/// `packed` from vlm_f32_pack.
void vlm_f32_gemm_packed(const float *a, int64_t lda, int64_t m, int64_t cols, const float *packed, int64_t rows,
                         const float *bias, int64_t panelBegin, int64_t panelEnd, float *c, int64_t ldc);

/// The same with BF16 panels from vlm_f32_pack_bf16.
void vlm_f32_gemm_packed_bf16(const float *a, int64_t lda, int64_t m, int64_t cols, const uint16_t *packed,
                              int64_t rows, const float *bias, int64_t panelBegin, int64_t panelEnd, float *c,
                              int64_t ldc);

/// The portable path of both (used without AVX-512; callable anywhere, for tests): `packed` holds
/// BF16 panels when `bf16` is 1, F32 panels when it is 0.
void vlm_f32_gemm_packed_portable(const float *a, int64_t lda, int64_t m, int64_t cols, const void *packed,
                                  int bf16, int64_t rows, const float *bias, int64_t panelBegin, int64_t panelEnd,
                                  float *c, int64_t ldc);

/// s[i·lds + j] = scale · Σ_t q[i·ldq + t] · k[j·ldk + t] for i < m and j < keys, keys row-major
/// as the KV cache holds them (decode steps: one or two queries, no packing worth its cost).
void vlm_attention_dots(const float *q, int64_t ldq, int64_t m, const float *k, int64_t ldk, int64_t keys,
                        int64_t d, float scale, float *s, int64_t lds);

// ---- A small spinning thread pool ---------------------------------------------------------------
// Decode runs a few hundred tiny parallel steps per token; waking sleeping threads for each costs
// more than the steps. Workers spin briefly for the next job before sleeping.

/// Runs fn(context, part) for part in [0, parts) on the calling thread and up to `threads - 1` of
/// the pool's workers, each claiming the next part as it finishes; returns when all are done.
/// The pool grows to `min(parts, threads) - 1` workers on first use.
void vlm_pool_run(int parts, int threads, void (*fn)(void *context, int part), void *context);
