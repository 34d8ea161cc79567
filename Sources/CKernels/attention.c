// The two products of attention for one head and a block of queries, in exact F32 arithmetic:
// scores = scale · Q Kᵀ and output = P V, with a head dimension d of a few dozen. Through a
// general GEMM (OpenBLAS) these products have k = d = 64 or n = d = 64, too thin for its blocking
// and threading; here one thread runs a whole (head, query block) with register tiles instead.
#include "CKernels.h"
#include <immintrin.h>
#include <string.h>

#define KEYS_PER_PANEL 32  // the panel width of vlm_f32_pack, which packs the keys

// ---- scores: MR queries × 32 keys per tile, two accumulators per query -------------------------

#define SCORE_TILE(MR)                                                                                  \
    __attribute__((target("avx512f")))                                                                 \
    static void score_tile##MR(const float *q, int64_t ldq, const float *panel, int64_t d, float scale, \
                               float *s, int64_t lds, __mmask16 mask0, __mmask16 mask1) {               \
        __m512 acc0[MR], acc1[MR];                                                                      \
        for (int i = 0; i < MR; i++) { acc0[i] = _mm512_setzero_ps(); acc1[i] = _mm512_setzero_ps(); }  \
        for (int64_t t = 0; t < d; t++) {                                                               \
            __m512 k0 = _mm512_loadu_ps(panel + t * KEYS_PER_PANEL);                                    \
            __m512 k1 = _mm512_loadu_ps(panel + t * KEYS_PER_PANEL + 16);                               \
            _Pragma("clang loop unroll(full)")                                                          \
            for (int i = 0; i < MR; i++) {                                                              \
                __m512 qi = _mm512_set1_ps(q[i * ldq + t]);                                             \
                acc0[i] = _mm512_fmadd_ps(qi, k0, acc0[i]);                                             \
                acc1[i] = _mm512_fmadd_ps(qi, k1, acc1[i]);                                             \
            }                                                                                           \
        }                                                                                               \
        __m512 vs = _mm512_set1_ps(scale);                                                              \
        for (int i = 0; i < MR; i++) {                                                                  \
            _mm512_mask_storeu_ps(s + i * lds, mask0, _mm512_mul_ps(acc0[i], vs));                      \
            _mm512_mask_storeu_ps(s + i * lds + 16, mask1, _mm512_mul_ps(acc1[i], vs));                 \
        }                                                                                               \
    }
SCORE_TILE(12)
SCORE_TILE(4)
SCORE_TILE(1)

void vlm_attention_scores(const float *q, int64_t ldq, int64_t m, const float *packedKeys, int64_t keys,
                          int64_t d, float scale, float *s, int64_t lds) {
    if (!vlm_has_avx512()) {
        for (int64_t i = 0; i < m; i++)
            for (int64_t j = 0; j < keys; j++) {
                const float *panel = packedKeys + j / KEYS_PER_PANEL * d * KEYS_PER_PANEL + j % KEYS_PER_PANEL;
                float sum = 0;
                for (int64_t t = 0; t < d; t++) sum += q[i * ldq + t] * panel[t * KEYS_PER_PANEL];
                s[i * lds + j] = sum * scale;
            }
        return;
    }
    int64_t panels = (keys + KEYS_PER_PANEL - 1) / KEYS_PER_PANEL;
    for (int64_t p = 0; p < panels; p++) {
        const float *panel = packedKeys + p * d * KEYS_PER_PANEL;
        int64_t valid = keys - p * KEYS_PER_PANEL;
        __mmask16 mask0 = (__mmask16)(valid >= 16 ? 0xFFFF : (1u << valid) - 1);
        __mmask16 mask1 = (__mmask16)(valid <= 16 ? 0 : valid >= 32 ? 0xFFFF : (1u << (valid - 16)) - 1);
        float *out = s + p * KEYS_PER_PANEL;
        int64_t i = 0;
        for (; i + 12 <= m; i += 12) score_tile12(q + i * ldq, ldq, panel, d, scale, out + i * lds, lds, mask0, mask1);
        for (; i + 4 <= m; i += 4) score_tile4(q + i * ldq, ldq, panel, d, scale, out + i * lds, lds, mask0, mask1);
        for (; i < m; i++) score_tile1(q + i * ldq, ldq, panel, d, scale, out + i * lds, lds, mask0, mask1);
    }
}

// ---- values: MR queries × up to 64 output dimensions per tile ------------------------------------

// V vectors (16 dimensions each, the last one masked) for MR queries: MR · V accumulators.
#define VALUE_TILE(MR, V)                                                                                \
    __attribute__((target("avx512f")))                                                                  \
    static void value_tile##MR##x##V(const float *p, int64_t ldp, const float *v, int64_t ldv,           \
                                     int64_t keys, float *o, int64_t ldo, __mmask16 last) {              \
        __m512 acc[MR][V];                                                                               \
        for (int i = 0; i < MR; i++)                                                                     \
            for (int c = 0; c < V; c++) acc[i][c] = _mm512_setzero_ps();                                 \
        for (int64_t j = 0; j < keys; j++) {                                                             \
            __m512 vj[V];                                                                                \
            _Pragma("clang loop unroll(full)")                                                           \
            for (int c = 0; c < V; c++)                                                                  \
                vj[c] = _mm512_maskz_loadu_ps(c == V - 1 ? last : 0xFFFF, v + j * ldv + 16 * c);         \
            _Pragma("clang loop unroll(full)")                                                           \
            for (int i = 0; i < MR; i++) {                                                               \
                __m512 pij = _mm512_set1_ps(p[i * ldp + j]);                                             \
                _Pragma("clang loop unroll(full)")                                                       \
                for (int c = 0; c < V; c++) acc[i][c] = _mm512_fmadd_ps(pij, vj[c], acc[i][c]);          \
            }                                                                                            \
        }                                                                                                \
        for (int i = 0; i < MR; i++)                                                                     \
            for (int c = 0; c < V; c++)                                                                  \
                _mm512_mask_storeu_ps(o + i * ldo + 16 * c, c == V - 1 ? last : 0xFFFF, acc[i][c]);      \
    }
#define VALUE_ROWS(V)                                                                                    \
    static void value_rows##V(const float *p, int64_t ldp, int64_t m, const float *v, int64_t ldv,       \
                              int64_t keys, float *o, int64_t ldo, __mmask16 last) {                     \
        int64_t i = 0;                                                                                   \
        for (; i + 6 <= m; i += 6) value_tile6x##V(p + i * ldp, ldp, v, ldv, keys, o + i * ldo, ldo, last); \
        for (; i + 2 <= m; i += 2) value_tile2x##V(p + i * ldp, ldp, v, ldv, keys, o + i * ldo, ldo, last); \
        for (; i < m; i++) value_tile1x##V(p + i * ldp, ldp, v, ldv, keys, o + i * ldo, ldo, last);        \
    }
#define VALUE_TILES(V) VALUE_TILE(6, V) VALUE_TILE(2, V) VALUE_TILE(1, V) VALUE_ROWS(V)
VALUE_TILES(1)
VALUE_TILES(2)
VALUE_TILES(3)
VALUE_TILES(4)

void vlm_attention_values(const float *p, int64_t ldp, int64_t m, const float *v, int64_t ldv, int64_t keys,
                          int64_t d, float *o, int64_t ldo) {
    if (!vlm_has_avx512()) {
        for (int64_t i = 0; i < m; i++)
            for (int64_t t = 0; t < d; t++) {
                float sum = 0;
                for (int64_t j = 0; j < keys; j++) sum += p[i * ldp + j] * v[j * ldv + t];
                o[i * ldo + t] = sum;
            }
        return;
    }
    // Output columns in chunks of up to four vectors (64 dimensions); the last vector masked.
    for (int64_t c0 = 0; c0 < d; c0 += 64) {
        int64_t width = d - c0 < 64 ? d - c0 : 64;
        int vectors = (int)((width + 15) / 16);
        int64_t rest = width - 16 * (vectors - 1);
        __mmask16 last = (__mmask16)(rest >= 16 ? 0xFFFF : (1u << rest) - 1);
        switch (vectors) {
        case 1: value_rows1(p, ldp, m, v + c0, ldv, keys, o + c0, ldo, last); break;
        case 2: value_rows2(p, ldp, m, v + c0, ldv, keys, o + c0, ldo, last); break;
        case 3: value_rows3(p, ldp, m, v + c0, ldv, keys, o + c0, ldo, last); break;
        default: value_rows4(p, ldp, m, v + c0, ldv, keys, o + c0, ldo, last); break;
        }
    }
}

// ---- decode: one query per head against row-major cached keys -------------------------------------

__attribute__((target("avx512f")))
static void dots_avx512(const float *q, int64_t ldq, int64_t m, const float *k, int64_t ldk, int64_t keys,
                        int64_t d, float scale, float *s, int64_t lds) {
    int64_t full = d / 16;
    __mmask16 tail = (__mmask16)((1u << (d % 16)) - 1);
    for (int64_t j = 0; j < keys; j++) {
        const float *key = k + j * ldk;
        for (int64_t i = 0; i < m; i++) {
            const float *query = q + i * ldq;
            __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
            int64_t c = 0;
            for (; c + 2 <= full; c += 2) {
                acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(query + 16 * c), _mm512_loadu_ps(key + 16 * c), acc0);
                acc1 = _mm512_fmadd_ps(_mm512_loadu_ps(query + 16 * c + 16), _mm512_loadu_ps(key + 16 * c + 16), acc1);
            }
            if (c < full) acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(query + 16 * c), _mm512_loadu_ps(key + 16 * c), acc0);
            if (tail)
                acc1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, query + 16 * full),
                                       _mm512_maskz_loadu_ps(tail, key + 16 * full), acc1);
            s[i * lds + j] = _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1)) * scale;
        }
    }
}

void vlm_attention_dots(const float *q, int64_t ldq, int64_t m, const float *k, int64_t ldk, int64_t keys,
                        int64_t d, float scale, float *s, int64_t lds) {
    if (vlm_has_avx512()) { dots_avx512(q, ldq, m, k, ldk, keys, d, scale, s, lds); return; }
    for (int64_t j = 0; j < keys; j++)
        for (int64_t i = 0; i < m; i++) {
            float sum = 0;
            for (int64_t t = 0; t < d; t++) sum += q[i * ldq + t] * k[j * ldk + t];
            s[i * lds + j] = sum * scale;
        }
}
