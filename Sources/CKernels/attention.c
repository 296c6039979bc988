// Causal attention of one head, AVX2/FMA, for small head dimensions (8, 16, 32: the debugmodel's is 16).
// Queries go ROWS at a time; a block's scores are taken only against keys 0...last row (rounded up to 16),
// so the masked half of the score work is skipped. k and v are first packed into dense per-head copies:
// their rows in qkv are qkvStride floats apart, which maps them onto a handful of L1 sets.
#include "CKernels.h"
#include "attention_parts.h"
#include <math.h>

int ck_avx2_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

int ck_attention_supports(int headDim) { return headDim == 8 || headDim == 16 || headDim == 32; }

long ck_attention_scratch_floats(int seqLen, int headDim) {
    long Tp = padded(seqLen);
    return 3 * headDim * Tp + 2 * (long)seqLen * headDim + 2 * ROWS * Tp + seqLen + 16;
}

CK_AVX2 CK_INLINE void forward_head(float *out, int C, float *lse, const float *q, const float *k,
                                    const float *v, int W, int T, const int HD, float *scratch) {
    const int Tp = padded(T);
    float *KT = scratch, *Vp = KT + HD * Tp, *S = Vp + (long)Tp * HD;
    const float scale = 1.0f / sqrtf((float)HD);
    pack_transposed(KT, k, W, T, Tp, HD);
    pack_rows(Vp, v, W, T, HD);
    for (int i0 = 0; i0 < T; i0 += ROWS) {
        const int rows = T - i0 < ROWS ? T - i0 : ROWS, nk = i0 + rows, width = (nk + 15) / 16 * 16;
        const float *a[ROWS];
        for (int r = 0; r < ROWS; r++) a[r] = q + (long)(r < rows ? i0 + r : T - 1) * W;
        products(S, Tp, a, KT, width, HD, scale);
        float inv[ROWS];
        for (int r = 0; r < ROWS; r++) {
            float *s = S + (long)r * Tp;
            const int valid = r < rows ? i0 + r + 1 : 0;
            __m256 m = _mm256_set1_ps(-INFINITY), sum = _mm256_setzero_ps();
            for (int j0 = 0; j0 < valid; j0 += 8)
                m = _mm256_max_ps(m, _mm256_blendv_ps(m, _mm256_loadu_ps(s + j0), ck_lanes_below(j0, valid)));
            const __m256 mx = _mm256_set1_ps(valid ? ck_hmax(m) : 0);
            int j0 = 0;
            for (; j0 < valid; j0 += 8) {
                __m256 e = _mm256_and_ps(ck_exp8(_mm256_sub_ps(_mm256_loadu_ps(s + j0), mx)),
                                         ck_lanes_below(j0, valid));
                _mm256_storeu_ps(s + j0, e);
                sum = _mm256_add_ps(sum, e);
            }
            for (; j0 < width; j0 += 8) _mm256_storeu_ps(s + j0, _mm256_setzero_ps());   // masked: no exp
            const float total = ck_hsum(sum);
            if (r < rows) lse[i0 + r] = _mm256_cvtss_f32(mx) + logf(total);
            inv[r] = r < rows ? 1.0f / total : 0;
        }
        __m256 acc[ROWS][HD / 8];
        WEIGHTED_ROWS(HD, acc, S, Tp, Vp, nk)
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < HD / 8; c++)
                _mm256_storeu_ps(out + (long)(i0 + r) * C + 8 * c, _mm256_mul_ps(acc[r][c], _mm256_set1_ps(inv[r])));
    }
}

CK_AVX2 void ck_attention_forward_head(float *out, int outStride, float *lse, const float *q, const float *k,
                                       const float *v, int qkvStride, int seqLen, int headDim, float *scratch) {
    switch (headDim) {
    case 8: forward_head(out, outStride, lse, q, k, v, qkvStride, seqLen, 8, scratch); break;
    case 16: forward_head(out, outStride, lse, q, k, v, qkvStride, seqLen, 16, scratch); break;
    case 32: forward_head(out, outStride, lse, q, k, v, qkvStride, seqLen, 32, scratch); break;
    default: break;
    }
}
