#include "CKernels.h"
#include <immintrin.h>
#include <math.h>

// exp(x) = 2^n · e^r with n = round(x / ln 2) and |r| ≤ ln2 / 2; e^r by a degree-6 polynomial
// (Cephes' expf coefficients), 2^n applied with scalef, which saturates to ∞. Results below the
// smallest normal float are flushed to 0, so a masked (−∞) logit gets exactly zero weight.
__attribute__((target("avx512f")))
static inline __m512 exp512(__m512 x) {
    const __mmask16 normal = _mm512_cmp_ps_mask(x, _mm512_set1_ps(-87.33654f), _CMP_GE_OQ);
    const __m512 log2e = _mm512_set1_ps(1.44269504088896341f);
    const __m512 ln2hi = _mm512_set1_ps(0.693359375f), ln2lo = _mm512_set1_ps(-2.12194440e-4f);
    x = _mm512_max_ps(_mm512_min_ps(x, _mm512_set1_ps(88.7228f)), _mm512_set1_ps(-88.0f));
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, log2e), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, ln2hi, x);
    r = _mm512_fnmadd_ps(n, ln2lo, r);
    __m512 p = _mm512_set1_ps(1.9875691500E-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507E-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073E-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894E-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459E-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201E-1f));
    __m512 r2 = _mm512_mul_ps(r, r);
    p = _mm512_fmadd_ps(p, r2, _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    return _mm512_maskz_mov_ps(normal, _mm512_scalef_ps(p, n));
}

__attribute__((target("avx512f")))
static void exp_avx512(float *x, int64_t count) {
    int64_t i = 0;
    for (; i + 16 <= count; i += 16) _mm512_storeu_ps(x + i, exp512(_mm512_loadu_ps(x + i)));
    if (i < count) {
        __mmask16 m = (__mmask16)((1u << (count - i)) - 1);
        _mm512_mask_storeu_ps(x + i, m, exp512(_mm512_maskz_loadu_ps(m, x + i)));
    }
}

void vlm_exp(float *x, int64_t count) {
    if (vlm_has_avx512()) { exp_avx512(x, count); return; }
    for (int64_t i = 0; i < count; i++) x[i] = expf(x[i]);
}

__attribute__((target("avx512f")))
static void softmax_avx512(float *x, int64_t count) {
    __m512 vmax = _mm512_set1_ps(-INFINITY);
    int64_t i = 0;
    for (; i + 16 <= count; i += 16) vmax = _mm512_max_ps(vmax, _mm512_loadu_ps(x + i));
    float maximum = _mm512_reduce_max_ps(vmax);
    for (; i < count; i++) maximum = fmaxf(maximum, x[i]);
    if (maximum == -INFINITY) {
        for (int64_t j = 0; j < count; j++) x[j] = 0;
        return;
    }
    __m512 shift = _mm512_set1_ps(maximum), vsum = _mm512_setzero_ps();
    for (i = 0; i + 16 <= count; i += 16) {
        __m512 e = exp512(_mm512_sub_ps(_mm512_loadu_ps(x + i), shift));
        _mm512_storeu_ps(x + i, e);
        vsum = _mm512_add_ps(vsum, e);
    }
    if (i < count) {
        __mmask16 m = (__mmask16)((1u << (count - i)) - 1);
        __m512 e = exp512(_mm512_sub_ps(_mm512_mask_loadu_ps(shift, m, x + i), shift));
        e = _mm512_maskz_mov_ps(m, e);
        _mm512_mask_storeu_ps(x + i, m, e);
        vsum = _mm512_add_ps(vsum, e);
    }
    __m512 inverse = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(vsum));
    for (i = 0; i + 16 <= count; i += 16) _mm512_storeu_ps(x + i, _mm512_mul_ps(_mm512_loadu_ps(x + i), inverse));
    for (; i < count; i++) x[i] *= _mm512_cvtss_f32(inverse);
}

void vlm_softmax(float *x, int64_t count) {
    if (vlm_has_avx512()) { softmax_avx512(x, count); return; }
    float maximum = -INFINITY;
    for (int64_t i = 0; i < count; i++) maximum = fmaxf(maximum, x[i]);
    if (maximum == -INFINITY) { for (int64_t i = 0; i < count; i++) x[i] = 0; return; }
    float total = 0;
    for (int64_t i = 0; i < count; i++) { x[i] = expf(x[i] - maximum); total += x[i]; }
    float inverse = 1.0f / total;
    for (int64_t i = 0; i < count; i++) x[i] *= inverse;
}

__attribute__((target("avx512f")))
static void sigmoid_gate_avx512(float *x, int64_t count, float alpha) {
    const __m512 one = _mm512_set1_ps(1.0f), negativeAlpha = _mm512_set1_ps(-alpha);
    int64_t i = 0;
    for (; i + 16 <= count; i += 16) {
        __m512 v = _mm512_loadu_ps(x + i);
        _mm512_storeu_ps(x + i, _mm512_div_ps(v, _mm512_add_ps(one, exp512(_mm512_mul_ps(v, negativeAlpha)))));
    }
    for (; i < count; i++) x[i] = x[i] / (1.0f + expf(-alpha * x[i]));
}

void vlm_sigmoid_gate(float *x, int64_t count, float alpha) {
    if (vlm_has_avx512()) { sigmoid_gate_avx512(x, count, alpha); return; }
    for (int64_t i = 0; i < count; i++) x[i] = x[i] / (1.0f + expf(-alpha * x[i]));
}

// tanh(z) = 1 − 2 / (e^{2z} + 1), so GELU_tanh(x) = x − x / (e^{2z} + 1).
__attribute__((target("avx512f")))
static void gelu_tanh_avx512(float *x, int64_t count) {
    const __m512 one = _mm512_set1_ps(1.0f), c = _mm512_set1_ps(2.0f * 0.7978845608028654f), k = _mm512_set1_ps(0.044715f);
    int64_t i = 0;
    for (; i + 16 <= count; i += 16) {
        __m512 v = _mm512_loadu_ps(x + i);
        __m512 inner = _mm512_mul_ps(c, _mm512_fmadd_ps(_mm512_mul_ps(k, v), _mm512_mul_ps(v, v), v));
        __m512 e = exp512(inner);
        _mm512_storeu_ps(x + i, _mm512_sub_ps(v, _mm512_div_ps(v, _mm512_add_ps(e, one))));
    }
    for (; i < count; i++) {
        float v = x[i];
        x[i] = 0.5f * v * (1.0f + tanhf(0.7978845608028654f * (v + 0.044715f * v * v * v)));
    }
}

void vlm_gelu_tanh(float *x, int64_t count) {
    if (vlm_has_avx512()) { gelu_tanh_avx512(x, count); return; }
    for (int64_t i = 0; i < count; i++) {
        float v = x[i];
        x[i] = 0.5f * v * (1.0f + tanhf(0.7978845608028654f * (v + 0.044715f * v * v * v)));
    }
}

__attribute__((target("avx512f")))
static float stream_sum_avx512(const float *x, int64_t count) {
    __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    int64_t i = 0;
    for (; i + 64 <= count; i += 64) {
        s0 = _mm512_add_ps(s0, _mm512_loadu_ps(x + i));
        s1 = _mm512_add_ps(s1, _mm512_loadu_ps(x + i + 16));
        s2 = _mm512_add_ps(s2, _mm512_loadu_ps(x + i + 32));
        s3 = _mm512_add_ps(s3, _mm512_loadu_ps(x + i + 48));
    }
    float total = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
    for (; i < count; i++) total += x[i];
    return total;
}

float vlm_stream_sum(const float *x, int64_t count) {
    if (vlm_has_avx512()) return stream_sum_avx512(x, count);
    float s[8] = {0};
    int64_t i = 0;
    for (; i + 8 <= count; i += 8)
        for (int j = 0; j < 8; j++) s[j] += x[i + j];
    float total = 0;
    for (int j = 0; j < 8; j++) total += s[j];
    for (; i < count; i++) total += x[i];
    return total;
}
