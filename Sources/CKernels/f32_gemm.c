#include "CKernels.h"
#include <immintrin.h>
#include <string.h>

// Exact F32 products against weights packed into panels of 32 output rows (see CKernels.h).
//
// C[i, 32p + r] = Σ_k A[i, k] · W[32p + r, k]: for one panel and one block of KC input columns,
// tiles of up to MR rows of A run against the panel's slice (KC × 32 weights, in L1). Each row
// of a tile has two zmm accumulators (32 outputs); one broadcast A[i, k] feeds two FMAs. MR rows
// give 2·MR independent FMA chains, enough to cover the FMA latency (4 cycles, 2 pipes) with room
// to spare; MR = 12 leaves 8 of the 32 zmm registers for the weights (14 measured slower).

#define PANEL 32
#define MR 12
// Input columns per block, at most (blocks are of equal size: 576 columns are two of 288): a panel
// slice of KC × 32 weights is up to 48 KB in F32 and 32 KB in BF16, for the 48 KB L1. C is
// accumulated across blocks; 384 F32 columns measured a little faster than 256 (fewer passes over C)
// although the slice and A's rows then share L1 with L2 behind them.
#define KC_F32 384
#define KC_BF16 512
// Bytes of A's rows × KC block kept in L2 (1 MB per core on Zen 5) while the panels go past.
#define L2_BLOCK (512 * 1024)

int64_t vlm_f32_panel_elements(int64_t rows, int64_t cols) {
    return (rows + PANEL - 1) / PANEL * PANEL * cols;
}

// packed[(p · cols + k) · 32 + r] = w[(32p + r) · ldw + k]
void vlm_f32_pack(const float *w, int64_t ldw, int64_t rows, int64_t cols, float *packed) {
    int64_t panels = (rows + PANEL - 1) / PANEL;
    for (int64_t p = 0; p < panels; p++)
        for (int64_t r = 0; r < PANEL; r++) {
            int64_t row = p * PANEL + r;
            float *out = packed + p * cols * PANEL + r;
            if (row < rows)
                for (int64_t k = 0; k < cols; k++) out[k * PANEL] = w[row * ldw + k];
            else
                for (int64_t k = 0; k < cols; k++) out[k * PANEL] = 0;
        }
}

// packed[(p · cols + k) · 32 + 2j + h] = w[32p + 16h + j, k]: rows j and j + 16 share a 32-bit
// lane, so a shift and a mask widen a 64-byte load into rows 0–15 and 16–31, in order.
void vlm_f32_pack_bf16(const uint16_t *w, int64_t rows, int64_t cols, uint16_t *packed) {
    int64_t panels = (rows + PANEL - 1) / PANEL;
    for (int64_t p = 0; p < panels; p++)
        for (int64_t r = 0; r < PANEL; r++) {
            int64_t row = p * PANEL + r;
            uint16_t *out = packed + p * cols * PANEL + 2 * (r % 16) + r / 16;
            if (row < rows)
                for (int64_t k = 0; k < cols; k++) out[k * PANEL] = w[row * cols + k];
            else
                for (int64_t k = 0; k < cols; k++) out[k * PANEL] = 0;
        }
}

static inline float widen(uint16_t v) {
    uint32_t bits = (uint32_t)v << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

// ---- AVX-512 micro-kernels ----------------------------------------------------------------------

#define LOAD_F32(b, k)                                                                         \
    __m512 b0 = _mm512_loadu_ps((b) + (k) * PANEL), b1 = _mm512_loadu_ps((b) + (k) * PANEL + 16);
#define LOAD_BF16(b, k)                                                                        \
    __m512i raw = _mm512_loadu_si512((const void *)((b) + (k) * PANEL));                          \
    __m512 b0 = _mm512_castsi512_ps(_mm512_slli_epi32(raw, 16));                               \
    __m512 b1 = _mm512_castsi512_ps(_mm512_and_si512(raw, _mm512_set1_epi32((int)0xFFFF0000u)));

// R rows of A (row stride lda) against kc columns of one panel slice `b`, added to C (row stride
// ldc) when `accumulate` is 1, else to the panel's 32 biases (or to zero when `bias` is null) and
// stored. mask0/mask1 cut a partial panel.
#define TILE(NAME, WTYPE, LOAD, R)                                                             \
    __attribute__((target("avx512f")))                                                         \
    static void NAME##R(const float *a, int64_t lda, const WTYPE *b, int64_t kc, float *c,       \
                        int64_t ldc, __mmask16 mask0, __mmask16 mask1, const float *bias,       \
                        int accumulate) {                                                      \
        __m512 acc0[R], acc1[R];                                                               \
        __m512 init0 = bias ? _mm512_maskz_loadu_ps(mask0, bias) : _mm512_setzero_ps();        \
        __m512 init1 = bias ? _mm512_maskz_loadu_ps(mask1, bias + 16) : _mm512_setzero_ps();   \
        for (int i = 0; i < R; i++) {                                                          \
            acc0[i] = accumulate ? _mm512_maskz_loadu_ps(mask0, c + i * ldc) : init0;          \
            acc1[i] = accumulate ? _mm512_maskz_loadu_ps(mask1, c + i * ldc + 16) : init1;     \
        }                                                                                      \
        for (int64_t k = 0; k < kc; k++) {                                                     \
            LOAD(b, k)                                                                         \
            _Pragma("unroll") for (int i = 0; i < R; i++) {                                    \
                __m512 ai = _mm512_set1_ps(a[i * lda + k]);                                    \
                acc0[i] = _mm512_fmadd_ps(ai, b0, acc0[i]);                                    \
                acc1[i] = _mm512_fmadd_ps(ai, b1, acc1[i]);                                    \
            }                                                                                  \
        }                                                                                      \
        for (int i = 0; i < R; i++) {                                                          \
            _mm512_mask_storeu_ps(c + i * ldc, mask0, acc0[i]);                                \
            _mm512_mask_storeu_ps(c + i * ldc + 16, mask1, acc1[i]);                           \
        }                                                                                      \
    }

#define TILES(NAME, WTYPE, LOAD)                                                               \
    TILE(NAME, WTYPE, LOAD, 1) TILE(NAME, WTYPE, LOAD, 2) TILE(NAME, WTYPE, LOAD, 3)             \
    TILE(NAME, WTYPE, LOAD, 4) TILE(NAME, WTYPE, LOAD, 5) TILE(NAME, WTYPE, LOAD, 6)             \
    TILE(NAME, WTYPE, LOAD, 7) TILE(NAME, WTYPE, LOAD, 8) TILE(NAME, WTYPE, LOAD, 9)             \
    TILE(NAME, WTYPE, LOAD, 10) TILE(NAME, WTYPE, LOAD, 11) TILE(NAME, WTYPE, LOAD, 12)          \
    typedef void (*NAME##_fn)(const float *, int64_t, const WTYPE *, int64_t, float *, int64_t,  \
                              __mmask16, __mmask16, const float *, int);                       \
    static const NAME##_fn NAME##_by_rows[MR + 1] = {0, NAME##1, NAME##2, NAME##3, NAME##4,      \
        NAME##5, NAME##6, NAME##7, NAME##8, NAME##9, NAME##10, NAME##11, NAME##12};

TILES(tile_f32_, float, LOAD_F32)
TILES(tile_bf16_, uint16_t, LOAD_BF16)

// m == 1 (a decode step): bound by reading the weights, so four input columns at a time give
// eight independent FMA chains and the loads stay ahead of the arithmetic.
#define GEMV(NAME, WTYPE, LOAD)                                                                \
    __attribute__((target("avx512f")))                                                         \
    static void NAME(const float *x, const WTYPE *b, int64_t cols, float *c,                   \
                     __mmask16 mask0, __mmask16 mask1, const float *bias) {                    \
        __m512 s0 = bias ? _mm512_maskz_loadu_ps(mask0, bias) : _mm512_setzero_ps();          \
        __m512 s1 = bias ? _mm512_maskz_loadu_ps(mask1, bias + 16) : _mm512_setzero_ps();     \
        __m512 t0 = _mm512_setzero_ps();                                                       \
        __m512 t1 = _mm512_setzero_ps(), u0 = _mm512_setzero_ps(), u1 = _mm512_setzero_ps();  \
        __m512 v0 = _mm512_setzero_ps(), v1 = _mm512_setzero_ps();                             \
        int64_t k = 0;                                                                         \
        for (; k + 4 <= cols; k += 4) {                                                        \
            { LOAD(b, k) __m512 xi = _mm512_set1_ps(x[k]);                                      \
              s0 = _mm512_fmadd_ps(xi, b0, s0); s1 = _mm512_fmadd_ps(xi, b1, s1); }             \
            { LOAD(b, k + 1) __m512 xi = _mm512_set1_ps(x[k + 1]);                              \
              t0 = _mm512_fmadd_ps(xi, b0, t0); t1 = _mm512_fmadd_ps(xi, b1, t1); }             \
            { LOAD(b, k + 2) __m512 xi = _mm512_set1_ps(x[k + 2]);                              \
              u0 = _mm512_fmadd_ps(xi, b0, u0); u1 = _mm512_fmadd_ps(xi, b1, u1); }             \
            { LOAD(b, k + 3) __m512 xi = _mm512_set1_ps(x[k + 3]);                              \
              v0 = _mm512_fmadd_ps(xi, b0, v0); v1 = _mm512_fmadd_ps(xi, b1, v1); }             \
        }                                                                                      \
        for (; k < cols; k++) {                                                                \
            LOAD(b, k) __m512 xi = _mm512_set1_ps(x[k]);                                        \
            s0 = _mm512_fmadd_ps(xi, b0, s0); s1 = _mm512_fmadd_ps(xi, b1, s1);                 \
        }                                                                                      \
        s0 = _mm512_add_ps(_mm512_add_ps(s0, t0), _mm512_add_ps(u0, v0));                      \
        s1 = _mm512_add_ps(_mm512_add_ps(s1, t1), _mm512_add_ps(u1, v1));                      \
        _mm512_mask_storeu_ps(c, mask0, s0);                                                   \
        _mm512_mask_storeu_ps(c + 16, mask1, s1);                                              \
    }

GEMV(gemv_f32, float, LOAD_F32)
GEMV(gemv_bf16, uint16_t, LOAD_BF16)

static inline __mmask16 lane_mask(int64_t valid) {
    return (__mmask16)(valid <= 0 ? 0 : valid >= 16 ? 0xFFFF : (1u << valid) - 1);
}

// Asks for the C rows [first, end) of a panel (two lines each) ahead of the tile that loads or
// stores them: rows ldc apart are no pattern the hardware follows, and from the second block of
// input columns on, a tile's first act is to load its C (the tower's fc1, 4096 outputs wide, keeps
// C in L3 and ran at 85% of the other shapes' rate without this).
static inline void prefetch_tile(const float *c, int64_t ldc, int64_t first, int64_t end) {
    for (int64_t i = first; i < end; i++) {
        _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + i * ldc + 16), _MM_HINT_T0);
    }
}

// Panels [panelBegin, panelEnd) of C. m == 1 runs panel by panel. Otherwise, for each block of KC
// input columns and each block of rows whose slice of A (rows × KC) fits in half of L2, every
// panel's slice (KC × 32, from memory into L1) meets the block's row tiles one after another, so
// A's block is read from L2 by every panel and from L3 or memory once. Row tiles are of nearly
// equal size (577 rows are 38 tiles of 12 and 11 of 11, not 48 of 12 and one of 1).
#define DRIVER(NAME, WTYPE, KC, TILE_TABLE, GEMV_FN)                                           \
    __attribute__((target("avx512f")))                                                         \
    static void NAME(const float *a, int64_t lda, int64_t m, int64_t cols, const WTYPE *packed,  \
                     int64_t rows, const float *bias, int64_t panelBegin, int64_t panelEnd,    \
                     float *c, int64_t ldc) {                                                  \
        if (m == 1) {                                                                          \
            for (int64_t p = panelBegin; p < panelEnd; p++) {                                  \
                int64_t valid = rows - p * PANEL;                                              \
                GEMV_FN(a, packed + p * cols * PANEL, cols, c + p * PANEL,                     \
                        lane_mask(valid), lane_mask(valid - 16), bias ? bias + p * PANEL : 0); \
            }                                                                                  \
            return;                                                                            \
        }                                                                                      \
        int64_t tiles = (m + MR - 1) / MR;                                                     \
        int64_t tilesPerBlock = L2_BLOCK / (MR * KC * (int64_t)sizeof(float));                 \
        int64_t blocks = (tiles + tilesPerBlock - 1) / tilesPerBlock;                          \
        int64_t kblocks = (cols + KC - 1) / KC;                                                \
        for (int64_t kb = 0; kb < kblocks; kb++) {                                             \
            int64_t k0 = cols * kb / kblocks, kc = cols * (kb + 1) / kblocks - k0;             \
            for (int64_t block = 0; block < blocks; block++) {                                 \
                int64_t t0 = tiles * block / blocks, t1 = tiles * (block + 1) / blocks;        \
                for (int64_t p = panelBegin; p < panelEnd; p++) {                              \
                    const WTYPE *slice = packed + (p * cols + k0) * PANEL;                     \
                    int64_t valid = rows - p * PANEL;                                          \
                    __mmask16 mask0 = lane_mask(valid), mask1 = lane_mask(valid - 16);         \
                    const float *start = bias ? bias + p * PANEL : 0;                          \
                    for (int64_t t = t0; t < t1; t++) {                                        \
                        int64_t first = m * t / tiles, count = m * (t + 1) / tiles - first;    \
                        if (t + 1 < t1) prefetch_tile(c + p * PANEL, ldc, m * (t + 1) / tiles, \
                                                      m * (t + 2) / tiles);                    \
                        else if (p + 1 < panelEnd) prefetch_tile(c + (p + 1) * PANEL, ldc,     \
                                                                 m * t0 / tiles, m * (t0 + 1) / tiles); \
                        TILE_TABLE[count](a + first * lda + k0, lda, slice, kc,                \
                                          c + first * ldc + p * PANEL, ldc, mask0, mask1,      \
                                          start, k0 > 0);                                      \
                    }                                                                          \
                }                                                                              \
            }                                                                                  \
        }                                                                                      \
    }

DRIVER(gemm_f32_avx512, float, KC_F32, tile_f32__by_rows, gemv_f32)
DRIVER(gemm_bf16_avx512, uint16_t, KC_BF16, tile_bf16__by_rows, gemv_bf16)

// ---- Portable fallback: the same products, one output at a time ----------------------------------

void vlm_f32_gemm_packed_portable(const float *a, int64_t lda, int64_t m, int64_t cols, const void *packed,
                                  int bf16, int64_t rows, const float *bias, int64_t panelBegin, int64_t panelEnd,
                                  float *c, int64_t ldc) {
    for (int64_t p = panelBegin; p < panelEnd; p++)
        for (int64_t r = 0; r < PANEL && p * PANEL + r < rows; r++) {
            const float *wf = (const float *)packed + p * cols * PANEL + r;
            const uint16_t *wb = (const uint16_t *)packed + p * cols * PANEL + 2 * (r % 16) + r / 16;
            for (int64_t i = 0; i < m; i++) {
                float sum = bias ? bias[p * PANEL + r] : 0;
                for (int64_t k = 0; k < cols; k++)
                    sum += a[i * lda + k] * (bf16 ? widen(wb[k * PANEL]) : wf[k * PANEL]);
                c[i * ldc + p * PANEL + r] = sum;
            }
        }
}

void vlm_f32_gemm_packed(const float *a, int64_t lda, int64_t m, int64_t cols, const float *packed, int64_t rows,
                         const float *bias, int64_t panelBegin, int64_t panelEnd, float *c, int64_t ldc) {
    if (vlm_has_avx512()) gemm_f32_avx512(a, lda, m, cols, packed, rows, bias, panelBegin, panelEnd, c, ldc);
    else vlm_f32_gemm_packed_portable(a, lda, m, cols, packed, 0, rows, bias, panelBegin, panelEnd, c, ldc);
}

void vlm_f32_gemm_packed_bf16(const float *a, int64_t lda, int64_t m, int64_t cols, const uint16_t *packed,
                              int64_t rows, const float *bias, int64_t panelBegin, int64_t panelEnd, float *c,
                              int64_t ldc) {
    if (vlm_has_avx512()) gemm_bf16_avx512(a, lda, m, cols, packed, rows, bias, panelBegin, panelEnd, c, ldc);
    else vlm_f32_gemm_packed_portable(a, lda, m, cols, packed, 1, rows, bias, panelBegin, panelEnd, c, ldc);
}
