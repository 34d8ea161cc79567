#include "CKernels.h"
#include <string.h>

int vlm_has_avx512(void) {
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
    }
    return cached;
}

// ---- F32 → BF16 rounding ---------------------------------------------------------------------

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
