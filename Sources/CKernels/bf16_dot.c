#include "CKernels.h"
#include <immintrin.h>
#include <string.h>

#define PANEL 32

int vlm_has_avx512_bf16(void) {
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = vlm_has_avx512() && __builtin_cpu_supports("avx512bf16");
    }
    return cached;
}

static inline uint16_t round_bf16(float value) {
    uint32_t bits;
    memcpy(&bits, &value, 4);
    if ((bits & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((bits >> 16) | 0x0040u);
    return (uint16_t)((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16);
}

int64_t vlm_bf16_packed_size(int64_t rows, int64_t cols) {
    int64_t panels = (rows + PANEL - 1) / PANEL, pairs = (cols + 1) / 2;
    return panels * pairs * PANEL * 2 * (int64_t)sizeof(uint16_t);
}

// packed[((p · pairs + q) · 32 + r) · 2 + h] = w[32p + r, 2q + h]
#define PACK_BODY(load)                                                                     \
    int64_t panels = (rows + PANEL - 1) / PANEL, pairs = (cols + 1) / 2;                    \
    for (int64_t p = 0; p < panels; p++)                                                    \
        for (int64_t q = 0; q < pairs; q++)                                                 \
            for (int64_t r = 0; r < PANEL; r++)                                             \
                for (int64_t h = 0; h < 2; h++) {                                           \
                    int64_t row = p * PANEL + r, col = 2 * q + h;                           \
                    packed[((p * pairs + q) * PANEL + r) * 2 + h] =                         \
                        row < rows && col < cols ? (load) : 0;                              \
                }

void vlm_bf16_pack_f32(const float *w, int64_t rows, int64_t cols, uint16_t *packed) {
    PACK_BODY(round_bf16(w[row * cols + col]))
}

void vlm_bf16_pack_bf16(const uint16_t *w, int64_t rows, int64_t cols, uint16_t *packed) {
    PACK_BODY(w[row * cols + col])
}

// A pair is two consecutive BF16 values, so a row of pairs is just the row in BF16 (padded to an
// even length): 32 floats at a time with the RNE conversion instruction.
__attribute__((target("avx512f,avx512bf16")))
static void pair_row_avx512(const float *row, int64_t cols, uint16_t *out) {
    int64_t c = 0;
    for (; c + 32 <= cols; c += 32) {
        __m512bh v = _mm512_cvtne2ps_pbh(_mm512_loadu_ps(row + c + 16), _mm512_loadu_ps(row + c));
        _mm512_storeu_si512(out + c, (__m512i)v);
    }
    for (; c < cols; c++) out[c] = round_bf16(row[c]);
    if (cols % 2) out[cols] = 0;
}

void vlm_bf16_pair_rows(const float *a, int64_t lda, int64_t m, int64_t cols, uint32_t *pairs) {
    int64_t count = (cols + 1) / 2;
    if (vlm_has_avx512_bf16()) {
        for (int64_t i = 0; i < m; i++) pair_row_avx512(a + i * lda, cols, (uint16_t *)(pairs + i * count));
        return;
    }
    for (int64_t i = 0; i < m; i++) {
        const float *row = a + i * lda;
        uint32_t *out = pairs + i * count;
        for (int64_t q = 0; q < count; q++) {
            uint16_t low = round_bf16(row[2 * q]);
            uint16_t high = 2 * q + 1 < cols ? round_bf16(row[2 * q + 1]) : 0;
            out[q] = (uint32_t)low | ((uint32_t)high << 16);
        }
    }
}

// One micro-tile: MR rows of A against one panel (32 outputs, two zmm accumulators per row), the
// accumulators starting from the panel's 32 biases (or zero).
// `next` (when not null) is the C tile that comes after this one, `nextRows` rows of it: its lines
// are requested for writing while this tile computes. Without that, the stores of a tile whose C
// rows lie 8 KB or more apart (outputs a multiple of 2048) wait for their lines at every tile.
#define MICRO(MR)                                                                                    \
    __attribute__((target("avx512f,avx512bf16")))                                                  \
    static void tile##MR(const uint32_t *a, int64_t pairs, const uint16_t *b, float *c, int64_t ldc, \
                         __mmask16 mask0, __mmask16 mask1, const float *bias, const float *next,     \
                         int64_t nextRows) {                                                         \
        __m512 acc0[MR], acc1[MR];                                                                   \
        __m512 init0 = bias ? _mm512_maskz_loadu_ps(mask0, bias) : _mm512_setzero_ps();              \
        __m512 init1 = bias ? _mm512_maskz_loadu_ps(mask1, bias + 16) : _mm512_setzero_ps();         \
        for (int i = 0; i < MR; i++) { acc0[i] = init0; acc1[i] = init1; }                           \
        if (next)                                                                                    \
            for (int64_t i = 0; i < nextRows; i++) {                                                 \
                _mm_prefetch((const char *)(next + i * ldc), _MM_HINT_ET0);                          \
                _mm_prefetch((const char *)(next + i * ldc + 16), _MM_HINT_ET0);                     \
            }                                                                                        \
        for (int64_t q = 0; q < pairs; q++) {                                                        \
            __m512bh b0 = (__m512bh)_mm512_loadu_si512(b + q * 64);                                  \
            __m512bh b1 = (__m512bh)_mm512_loadu_si512(b + q * 64 + 32);                             \
            for (int i = 0; i < MR; i++) {                                                           \
                __m512bh ai = (__m512bh)_mm512_set1_epi32((int)a[i * pairs + q]);                    \
                acc0[i] = _mm512_dpbf16_ps(acc0[i], ai, b0);                                         \
                acc1[i] = _mm512_dpbf16_ps(acc1[i], ai, b1);                                         \
            }                                                                                        \
        }                                                                                            \
        for (int i = 0; i < MR; i++) {                                                               \
            _mm512_mask_storeu_ps(c + i * ldc, mask0, acc0[i]);                                      \
            _mm512_mask_storeu_ps(c + i * ldc + 16, mask1, acc1[i]);                                 \
        }                                                                                            \
    }
MICRO(8)
MICRO(4)
MICRO(2)
MICRO(1)

// Rows of the micro-tile that starts with `left` rows to go: 8 while they last, then 4, 2, 1.
static inline int64_t tile_rows(int64_t left) { return left >= 8 ? 8 : left >= 4 ? 4 : left >= 2 ? 2 : 1; }

static inline float bf16_value(uint16_t v) {
    uint32_t bits = (uint32_t)v << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

// Without AVX512_BF16: the same products, one at a time (same rounding of the inputs, F32 sums).
static void gemm_packed_scalar(const uint32_t *pairs, int64_t m, int64_t count, const uint16_t *packed, int64_t rows,
                               const float *bias, int64_t panelBegin, int64_t panelEnd, float *c, int64_t ldc) {
    for (int64_t p = panelBegin; p < panelEnd; p++)
        for (int64_t r = 0; r < PANEL && p * PANEL + r < rows; r++)
            for (int64_t i = 0; i < m; i++) {
                float sum = bias ? bias[p * PANEL + r] : 0;
                for (int64_t q = 0; q < count; q++) {
                    const uint16_t *w = packed + ((p * count + q) * PANEL + r) * 2;
                    uint32_t a = pairs[i * count + q];
                    sum += bf16_value((uint16_t)a) * bf16_value(w[0]) + bf16_value((uint16_t)(a >> 16)) * bf16_value(w[1]);
                }
                c[i * ldc + p * PANEL + r] = sum;
            }
}

// Panel by panel, 8-row tiles over the whole K: one tile's 16 accumulators take 8 broadcasts and
// two 64-byte loads per pair, and on Zen 5 (two vdpbf16ps per cycle, 6 cycles latency) a tile of 8
// to 14 rows runs at the instruction's peak from L1. The whole product runs at ~95% of one core's
// peak with the panel streaming from L2 and A from L3, so K is not blocked: measured, blocking K
// (C reloaded per block, A blocks in L2, with row-major or tile-interleaved A) and 12- or 14-row
// tiles were no faster or slower.
void vlm_bf16_gemm_packed(const uint32_t *pairs, int64_t m, int64_t cols, const uint16_t *packed, int64_t rows,
                          const float *bias, int64_t panelBegin, int64_t panelEnd, float *c, int64_t ldc) {
    int64_t count = (cols + 1) / 2;
    if (!vlm_has_avx512_bf16()) {
        gemm_packed_scalar(pairs, m, count, packed, rows, bias, panelBegin, panelEnd, c, ldc);
        return;
    }
    for (int64_t p = panelBegin; p < panelEnd; p++) {
        const uint16_t *b = packed + p * count * PANEL * 2;
        int64_t valid = rows - p * PANEL;
        if (valid > PANEL) valid = PANEL;
        __mmask16 mask0 = (__mmask16)(valid >= 16 ? 0xFFFF : (1u << valid) - 1);
        __mmask16 mask1 = (__mmask16)(valid <= 16 ? 0 : valid >= 32 ? 0xFFFF : (1u << (valid - 16)) - 1);
        float *out = c + p * PANEL;
        const float *pb = bias ? bias + p * PANEL : 0;
        for (int64_t i = 0; i < m;) {
            int64_t mr = tile_rows(m - i);
            // The tile after this one: the next rows of this panel, or the first of the next panel.
            const float *next = i + mr < m ? out + (i + mr) * ldc : p + 1 < panelEnd ? c + (p + 1) * PANEL : 0;
            int64_t nextRows = i + mr < m ? tile_rows(m - i - mr) : tile_rows(m);
            const uint32_t *a = pairs + i * count;
            float *o = out + i * ldc;
            switch (mr) {
            case 8: tile8(a, count, b, o, ldc, mask0, mask1, pb, next, nextRows); break;
            case 4: tile4(a, count, b, o, ldc, mask0, mask1, pb, next, nextRows); break;
            case 2: tile2(a, count, b, o, ldc, mask0, mask1, pb, next, nextRows); break;
            default: tile1(a, count, b, o, ldc, mask0, mask1, pb, next, nextRows); break;
            }
            i += mr;
        }
    }
}
