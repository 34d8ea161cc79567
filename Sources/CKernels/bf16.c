#include "CKernels.h"
#include <immintrin.h>
#include <string.h>

int vlm_has_avx512(void) {
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
    }
    return cached;
}

// ---- BF16 → F32 widening ------------------------------------------------------------------

static void bf16_to_f32_scalar(const uint16_t *src, float *dst, int64_t count) {
    for (int64_t i = 0; i < count; i++) {
        uint32_t bits = (uint32_t)src[i] << 16;
        memcpy(&dst[i], &bits, 4);
    }
}

__attribute__((target("avx512f,avx512bw")))
static void bf16_to_f32_avx512(const uint16_t *src, float *dst, int64_t count) {
    int64_t i = 0;
    for (; i + 16 <= count; i += 16) {
        __m256i half = _mm256_loadu_si256((const __m256i *)(src + i));
        __m512i wide = _mm512_slli_epi32(_mm512_cvtepu16_epi32(half), 16);
        _mm512_storeu_ps(dst + i, _mm512_castsi512_ps(wide));
    }
    bf16_to_f32_scalar(src + i, dst + i, count - i);
}

void vlm_bf16_to_f32(const uint16_t *src, float *dst, int64_t count) {
    if (vlm_has_avx512()) bf16_to_f32_avx512(src, dst, count);
    else bf16_to_f32_scalar(src, dst, count);
}

void vlm_f32_to_bf16(const float *src, uint16_t *dst, int64_t count) {
    for (int64_t i = 0; i < count; i++) {
        uint32_t bits;
        memcpy(&bits, &src[i], 4);
        if ((bits & 0x7fffffffu) > 0x7f800000u) {  // NaN: keep it a quiet NaN
            dst[i] = (uint16_t)((bits >> 16) | 0x0040u);
            continue;
        }
        uint32_t rounding = 0x7fffu + ((bits >> 16) & 1u);
        dst[i] = (uint16_t)((bits + rounding) >> 16);
    }
}

// ---- BF16 GEMV ------------------------------------------------------------------------------
// Decode reads every weight once per token, so this is bound by memory bandwidth: the BF16 rows
// halve the bytes, and four rows at a time keep several loads in flight while x stays in cache.

static void bf16_gemv_scalar(const uint16_t *w, int64_t ldw, const float *x, float *y,
                             int64_t rowBegin, int64_t rowEnd, int64_t cols) {
    for (int64_t r = rowBegin; r < rowEnd; r++) {
        const uint16_t *row = w + r * ldw;
        float sum = 0;
        for (int64_t c = 0; c < cols; c++) {
            uint32_t bits = (uint32_t)row[c] << 16;
            float value;
            memcpy(&value, &bits, 4);
            sum += value * x[c];
        }
        y[r] = sum;
    }
}

__attribute__((target("avx512f,avx512bw")))
static inline __m512 load_bf16x16(const uint16_t *p) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)p)), 16));
}

__attribute__((target("avx512f,avx512bw")))
static void bf16_gemv_avx512(const uint16_t *w, int64_t ldw, const float *x, float *y,
                             int64_t rowBegin, int64_t rowEnd, int64_t cols) {
    int64_t r = rowBegin;
    int64_t body = cols & ~(int64_t)15;
    for (; r + 4 <= rowEnd; r += 4) {
        const uint16_t *w0 = w + r * ldw, *w1 = w0 + ldw, *w2 = w1 + ldw, *w3 = w2 + ldw;
        __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps(), a2 = _mm512_setzero_ps(), a3 = _mm512_setzero_ps();
        for (int64_t c = 0; c < body; c += 16) {
            __m512 xv = _mm512_loadu_ps(x + c);
            a0 = _mm512_fmadd_ps(load_bf16x16(w0 + c), xv, a0);
            a1 = _mm512_fmadd_ps(load_bf16x16(w1 + c), xv, a1);
            a2 = _mm512_fmadd_ps(load_bf16x16(w2 + c), xv, a2);
            a3 = _mm512_fmadd_ps(load_bf16x16(w3 + c), xv, a3);
        }
        float s0 = _mm512_reduce_add_ps(a0), s1 = _mm512_reduce_add_ps(a1);
        float s2 = _mm512_reduce_add_ps(a2), s3 = _mm512_reduce_add_ps(a3);
        for (int64_t c = body; c < cols; c++) {
            uint32_t b0 = (uint32_t)w0[c] << 16, b1 = (uint32_t)w1[c] << 16, b2 = (uint32_t)w2[c] << 16, b3 = (uint32_t)w3[c] << 16;
            float v0, v1, v2, v3;
            memcpy(&v0, &b0, 4); memcpy(&v1, &b1, 4); memcpy(&v2, &b2, 4); memcpy(&v3, &b3, 4);
            s0 += v0 * x[c]; s1 += v1 * x[c]; s2 += v2 * x[c]; s3 += v3 * x[c];
        }
        y[r] = s0; y[r + 1] = s1; y[r + 2] = s2; y[r + 3] = s3;
    }
    bf16_gemv_scalar(w, ldw, x, y, r, rowEnd, cols);
}

void vlm_bf16_gemv(const uint16_t *w, int64_t ldw, const float *x, float *y,
                   int64_t rowBegin, int64_t rowEnd, int64_t cols) {
    if (vlm_has_avx512()) bf16_gemv_avx512(w, ldw, x, y, rowBegin, rowEnd, cols);
    else bf16_gemv_scalar(w, ldw, x, y, rowBegin, rowEnd, cols);
}

// ---- F32 GEMV ---------------------------------------------------------------------------------
// The same shape as the BF16 one: decode's products are bound by memory, four rows at a time keep
// several streams in flight, and the caller splits rows across threads without OpenBLAS's
// per-call thread start-up.

static void f32_gemv_scalar(const float *w, int64_t ldw, const float *x, float *y,
                            int64_t rowBegin, int64_t rowEnd, int64_t cols) {
    for (int64_t r = rowBegin; r < rowEnd; r++) {
        const float *row = w + r * ldw;
        float sum = 0;
        for (int64_t c = 0; c < cols; c++) sum += row[c] * x[c];
        y[r] = sum;
    }
}

__attribute__((target("avx512f")))
static void f32_gemv_avx512(const float *w, int64_t ldw, const float *x, float *y,
                            int64_t rowBegin, int64_t rowEnd, int64_t cols) {
    int64_t r = rowBegin;
    int64_t body = cols & ~(int64_t)15;
    for (; r + 4 <= rowEnd; r += 4) {
        const float *w0 = w + r * ldw, *w1 = w0 + ldw, *w2 = w1 + ldw, *w3 = w2 + ldw;
        __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps(), a2 = _mm512_setzero_ps(), a3 = _mm512_setzero_ps();
        for (int64_t c = 0; c < body; c += 16) {
            __m512 xv = _mm512_loadu_ps(x + c);
            a0 = _mm512_fmadd_ps(_mm512_loadu_ps(w0 + c), xv, a0);
            a1 = _mm512_fmadd_ps(_mm512_loadu_ps(w1 + c), xv, a1);
            a2 = _mm512_fmadd_ps(_mm512_loadu_ps(w2 + c), xv, a2);
            a3 = _mm512_fmadd_ps(_mm512_loadu_ps(w3 + c), xv, a3);
        }
        float s0 = _mm512_reduce_add_ps(a0), s1 = _mm512_reduce_add_ps(a1);
        float s2 = _mm512_reduce_add_ps(a2), s3 = _mm512_reduce_add_ps(a3);
        for (int64_t c = body; c < cols; c++) {
            s0 += w0[c] * x[c]; s1 += w1[c] * x[c]; s2 += w2[c] * x[c]; s3 += w3[c] * x[c];
        }
        y[r] = s0; y[r + 1] = s1; y[r + 2] = s2; y[r + 3] = s3;
    }
    f32_gemv_scalar(w, ldw, x, y, r, rowEnd, cols);
}

void vlm_f32_gemv(const float *w, int64_t ldw, const float *x, float *y,
                  int64_t rowBegin, int64_t rowEnd, int64_t cols) {
    if (vlm_has_avx512()) f32_gemv_avx512(w, ldw, x, y, rowBegin, rowEnd, cols);
    else f32_gemv_scalar(w, ldw, x, y, rowBegin, rowEnd, cols);
}
