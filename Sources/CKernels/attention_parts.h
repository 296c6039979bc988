// Pieces shared by the attention forward and backward (internal): packing, score tiles, weighted row sums.
#ifndef MESHTOP_CKERNELS_ATTENTION_PARTS_H
#define MESHTOP_CKERNELS_ATTENTION_PARTS_H
#include "avx2.h"
#include <string.h>

/// Query rows per block.
#define ROWS 4

CK_INLINE int padded(int T) { return (T + 15) / 16 * 16; }

/// Transposes the 8x8 block of r[0..7] in registers: r[i] lane j <- old r[j] lane i.
CK_AVX2 CK_INLINE void transpose8(__m256 r[8]) {
    __m256 t[8], u[8];
    for (int i = 0; i < 8; i += 2) {
        t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 8; i += 4) {
        u[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
        u[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xEE);
        u[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
        u[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
    }
    for (int i = 0; i < 4; i++) {
        r[i] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x20);
        r[i + 4] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x31);
    }
}

/// dst[d * Tp + j] = src[j * stride + d]; zero for T <= j < Tp. hd a multiple of 8: 8x8 blocks in registers.
CK_AVX2 CK_INLINE void pack_transposed(float *dst, const float *src, int stride, int T, int Tp, int hd) {
    int j0 = 0;
    for (; j0 + 8 <= T; j0 += 8)
        for (int d0 = 0; d0 < hd; d0 += 8) {
            __m256 r[8];
            for (int i = 0; i < 8; i++) r[i] = _mm256_loadu_ps(src + (long)(j0 + i) * stride + d0);
            transpose8(r);
            for (int i = 0; i < 8; i++) _mm256_storeu_ps(dst + (long)(d0 + i) * Tp + j0, r[i]);
        }
    for (int j = j0; j < T; j++)
        for (int d = 0; d < hd; d++) dst[(long)d * Tp + j] = src[(long)j * stride + d];
    for (int d = 0; d < hd; d++)
        for (int j = T; j < Tp; j++) dst[(long)d * Tp + j] = 0;
}

/// dst[j * hd + d] = src[j * stride + d] for j < T; hd a multiple of 8.
CK_AVX2 CK_INLINE void pack_rows(float *dst, const float *src, int stride, int T, int hd) {
    for (int j = 0; j < T; j++)
        for (int d = 0; d < hd; d += 8) _mm256_storeu_ps(dst + (long)j * hd + d, _mm256_loadu_ps(src + (long)j * stride + d));
}

/// Scores are taken in base 2 (exp via ck_exp2_softmax): the queries are scaled by scale * log2(e) first.
#define CK_LOG2E 1.44269504088896341f

/// dst[r] = m * a[r] for the block's ROWS rows of HD (a multiple of 8, at most 32) floats; returns in
/// norm2[r] the squared norm of dst[r].
CK_AVX2 CK_INLINE void scale_rows(float dst[ROWS][32], float norm2[ROWS], const float *const a[ROWS], float m,
                                  int HD) {
    const __m256 mv = _mm256_set1_ps(m);
    for (int r = 0; r < ROWS; r++) {
        __m256 n = _mm256_setzero_ps();
        for (int c = 0; c < HD / 8; c++) {
            const __m256 x = _mm256_mul_ps(_mm256_loadu_ps(a[r] + 8 * c), mv);
            _mm256_storeu_ps(dst[r] + 8 * c, x);
            n = _mm256_fmadd_ps(x, x, n);
        }
        norm2[r] = ck_hsum(n);
    }
}

/// Largest squared norm of the keys packed in KT (its zero padding adds nothing).
CK_AVX2 CK_INLINE float max_key_norm2(const float *KT, int Tp, int HD) {
    __m256 best = _mm256_setzero_ps();
    for (int j0 = 0; j0 < Tp; j0 += 8) {
        __m256 s = _mm256_setzero_ps();
        for (int d = 0; d < HD; d++) {
            const __m256 x = _mm256_loadu_ps(KT + (long)d * Tp + j0);
            s = _mm256_fmadd_ps(x, x, s);
        }
        best = _mm256_max_ps(best, s);
    }
    return ck_hmax(best);
}

/// c[r][h] = a[r] . bT[:, j0 + 8h ..< j0 + 8h + 8]: one ROWS x 16 tile of products, left in registers
/// for the caller's epilogue (exp, mask, store) so the scores make no extra trip through memory.
CK_AVX2 CK_INLINE void tile_products(__m256 c[ROWS][2], const float *const a[ROWS], const float *bT, int Tp,
                                     int j0, int hd) {
    for (int r = 0; r < ROWS; r++) c[r][0] = c[r][1] = _mm256_setzero_ps();
    for (int d = 0; d < hd; d++) {
        const float *b = bT + (long)d * Tp + j0;
        __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
        for (int r = 0; r < ROWS; r++) {
            __m256 x = _mm256_broadcast_ss(a[r] + d);
            c[r][0] = _mm256_fmadd_ps(x, b0, c[r][0]);
            c[r][1] = _mm256_fmadd_ps(x, b1, c[r][1]);
        }
    }
}

/// The 16-key tile from j0 holds a masked key of some block row: from `maskFrom` = the first row's
/// count of valid keys (0 when the block runs past the sequence and has rows with none).
CK_INLINE int tile_masked(int j0, int maskFrom) { return j0 + 16 > maskFrom; }

/// acc[r] = sum over j < nk of w[r * Tp + j] * rows[j * HD ...]: ROWS weighted sums of dense rows.
#define WEIGHTED_ROWS(HD, acc, w, Tp, rows, nk)                                                  \
    for (int r = 0; r < ROWS; r++)                                                               \
        for (int c = 0; c < (HD) / 8; c++) acc[r][c] = _mm256_setzero_ps();                      \
    for (int j = 0; j < (nk); j++) {                                                             \
        for (int c = 0; c < (HD) / 8; c++) {                                                     \
            __m256 v = _mm256_loadu_ps((rows) + (long)j * (HD) + 8 * c);                         \
            for (int r = 0; r < ROWS; r++)                                                       \
                acc[r][c] = _mm256_fmadd_ps(_mm256_broadcast_ss((w) + (long)r * (Tp) + j), v, acc[r][c]); \
        }                                                                                        \
    }

#endif
