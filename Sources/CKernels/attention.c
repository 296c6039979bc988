// Causal attention of one head, AVX2/FMA, for small head dimensions (8, 16, 32: the debugmodel's is 16).
// Queries go ROWS at a time; a block's scores are taken only against keys 0...last row (rounded up to 16),
// so the masked half of the score work is skipped. k and v are first packed into dense per-head copies:
// their rows in qkv are qkvStride floats apart, which maps them onto a handful of L1 sets. A block's scores
// are stored, then turned into unnormalised probabilities in place by one stream of exps per row (shift 0
// where a bound allows it, see block_shifts), which the PV product reads.
#include "CKernels.h"
#include "attention_parts.h"
#include <math.h>

int ck_avx2_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

int ck_cpu_level(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq")
        && __builtin_cpu_supports("avx512vl"))
        return 3;
    if (ck_avx2_available()) return 2;
    return __builtin_cpu_supports("avx") ? 1 : 0;
}

int ck_attention_supports(int headDim) { return headDim == 8 || headDim == 16 || headDim == 32; }

long ck_attention_scratch_floats(int seqLen, int headDim) {
    long Tp = padded(seqLen);
    return 3 * headDim * Tp + 2 * (long)seqLen * headDim + 2 * ROWS * Tp + seqLen + 16;
}

/// The block rows' softmax shifts, in base 2 (q2: the squared norms of the queries scaled by scale * log2 e;
/// S: the block's stored scores). |score| <= |q| max|k|: where that bound is <= 64 log2 e for every row,
/// exp(score) can neither overflow nor make a row's sum underflow, so the shift is 0 and no pass over the
/// scores is needed; otherwise each row's maximum over its valid keys.
CK_AVX2 CK_INLINE void block_shifts(float shift[ROWS], const float q2[ROWS], float maxKey2, const float *S, int Tp,
                                    int i0, int rows) {
    const float limit = 64.0f * CK_LOG2E;
    int bounded = 1;
    for (int r = 0; r < ROWS; r++) {
        bounded &= q2[r] * maxKey2 <= limit * limit;
        shift[r] = 0;
    }
    if (bounded) return;
    for (int r = 0; r < rows; r++) {
        const float *s = S + (long)r * Tp;
        const int valid = i0 + r + 1;
        __m256 m = _mm256_set1_ps(-INFINITY);
        for (int j0 = 0; j0 < valid; j0 += 8)
            m = _mm256_max_ps(m, _mm256_blendv_ps(m, _mm256_loadu_ps(s + j0), ck_lanes_below(j0, valid)));
        shift[r] = ck_hmax(m);
    }
}

CK_AVX2 CK_INLINE void forward_head(float *out, int C, float *lse, const float *q, const float *k,
                                    const float *v, int W, int T, const int HD, float *scratch) {
    const int Tp = padded(T);
    float *KT = scratch, *Vp = KT + HD * Tp, *S = Vp + (long)Tp * HD;
    const float scale = 1.0f / sqrtf((float)HD);
    pack_transposed(KT, k, W, T, Tp, HD);
    pack_rows(Vp, v, W, T, HD);
    const float maxKey2 = max_key_norm2(KT, Tp, HD);
    for (int i0 = 0; i0 < T; i0 += ROWS) {
        const int rows = T - i0 < ROWS ? T - i0 : ROWS, nk = i0 + rows, width = (nk + 15) / 16 * 16;
        const int maskFrom = rows < ROWS ? 0 : i0 + 1;
        const float *rowsOfQ[ROWS], *a[ROWS];
        for (int r = 0; r < ROWS; r++) rowsOfQ[r] = q + (long)(r < rows ? i0 + r : T - 1) * W;
        for (int r = 0; r < ROWS; r++) {   // the next head's columns of these rows, for its packing and queries
            const long at = (long)(r < rows ? i0 + r : T - 1) * W + HD;
            _mm_prefetch((const char *)(q + at), _MM_HINT_T0);
            _mm_prefetch((const char *)(k + at), _MM_HINT_T0);
            _mm_prefetch((const char *)(v + at), _MM_HINT_T0);
        }
        float qs[ROWS][32], q2[ROWS], shift[ROWS];
        scale_rows(qs, q2, rowsOfQ, scale * CK_LOG2E, HD);
        for (int r = 0; r < ROWS; r++) a[r] = qs[r];
        // scores (base 2) stored raw, then E = 2^(s - shift) in one stream per row: the exps of a row are
        // independent, so they overlap each other instead of waiting on the products of each tile
        for (int j0 = 0; j0 < width; j0 += 16) {
            __m256 c[ROWS][2];
            tile_products(c, a, KT, Tp, j0, HD);
            for (int r = 0; r < ROWS; r++)
                for (int h = 0; h < 2; h++) _mm256_storeu_ps(S + (long)r * Tp + j0 + 8 * h, c[r][h]);
        }
        block_shifts(shift, q2, maxKey2, S, Tp, i0, rows);
        __m256 sum[ROWS];
        for (int r = 0; r < ROWS; r++) {
            float *s = S + (long)r * Tp;
            const __m256 sh = _mm256_set1_ps(shift[r]);
            __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
            const int full = maskFrom < width ? maskFrom / 16 * 16 : width;   // tiles with no masked key
            int j0 = 0;
            for (; j0 < full; j0 += 16) {
                const __m256 e0 = ck_exp2_softmax(_mm256_sub_ps(_mm256_loadu_ps(s + j0), sh));
                const __m256 e1 = ck_exp2_softmax(_mm256_sub_ps(_mm256_loadu_ps(s + j0 + 8), sh));
                _mm256_storeu_ps(s + j0, e0);
                _mm256_storeu_ps(s + j0 + 8, e1);
                s0 = _mm256_add_ps(s0, e0);
                s1 = _mm256_add_ps(s1, e1);
            }
            const int valid = r < rows ? i0 + r + 1 : 0;
            for (; j0 < width; j0 += 8) {
                const __m256 e = _mm256_and_ps(ck_exp2_softmax(_mm256_sub_ps(_mm256_loadu_ps(s + j0), sh)),
                                               ck_lanes_below(j0, valid));
                _mm256_storeu_ps(s + j0, e);
                s0 = _mm256_add_ps(s0, e);
            }
            sum[r] = _mm256_add_ps(s0, s1);
        }
        float inv[ROWS];
        for (int r = 0; r < ROWS; r++) {
            const float total = ck_hsum(sum[r]);
            if (r < rows) lse[i0 + r] = shift[r] * (float)M_LN2 + logf(total);
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
