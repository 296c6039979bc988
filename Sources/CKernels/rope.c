// RoPE in AVX2: pairs (2k, 2k+1) rotated by the table's (cos, sin) for position t. Eight lanes hold four
// pairs: out = x * (c, c) + swap(x) * (-s, s), with (cos, sin) read straight from the interleaved table.
#include "CKernels.h"
#include "avx2.h"

CK_AVX2 void ck_rope(float *x, long rowStride, int batch, int seqLen, int heads, int headDim,
                     const float *table, int inverse) {
    const __m256 sign = inverse ? _mm256_setr_ps(1, -1, 1, -1, 1, -1, 1, -1)
                                : _mm256_setr_ps(-1, 1, -1, 1, -1, 1, -1, 1);
    for (int b = 0; b < batch; b++)
        for (int t = 0; t < seqLen; t++) {
            float *row = x + ((long)b * seqLen + t) * rowStride;
            const float *cs = table + (long)t * headDim;   // headDim/2 (cos, sin) pairs
            for (int d = 0; d < headDim; d += 8) {
                __m256 pairs = _mm256_loadu_ps(cs + d);
                __m256 c = _mm256_moveldup_ps(pairs), s = _mm256_mul_ps(_mm256_movehdup_ps(pairs), sign);
                for (int h = 0; h < heads; h++) {
                    float *p = row + (long)h * headDim + d;
                    __m256 v = _mm256_loadu_ps(p);
                    _mm256_storeu_ps(p, _mm256_fmadd_ps(_mm256_permute_ps(v, 0xB1), s, _mm256_mul_ps(v, c)));
                }
            }
        }
}
