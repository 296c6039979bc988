// Backward of ck_attention_forward_head (see attention.c), probabilities recomputed from the saved lse:
// per block of ROWS queries and 16-key tile, P = exp(S - lse) and then dS = P (dP - D) scale straight from
// the products' registers (dP = dO V^T), over the unmasked keys;
// then dQ = dS K (written), dK += dS^T Q and dV += P^T dO into dense per-head sums written or added to dk, dv at
// the end.
#include "CKernels.h"
#include "attention_parts.h"
#include <math.h>

/// row[c] (+)= sum over the ROWS rows r of w[r * Tp] x[r][c] for the NC (8 or 16) columns in registers.
CK_AVX2 CK_INLINE void outer_row(float *row, int load, const float *w, int Tp, __m256 xr[ROWS][2], const int NC) {
    __m256 t[2];
    for (int c = 0; c < NC / 8; c++) t[c] = load ? _mm256_loadu_ps(row + 8 * c) : _mm256_setzero_ps();
    for (int r = 0; r < ROWS; r++) {
        const __m256 b = _mm256_broadcast_ss(w + (long)r * Tp);
        for (int c = 0; c < NC / 8; c++) t[c] = _mm256_fmadd_ps(b, xr[r][c], t[c]);
    }
    for (int c = 0; c < NC / 8; c++) _mm256_storeu_ps(row + 8 * c, t[c]);
}

/// acc[j * HD + c] += sum over the ROWS rows r of w[r * Tp + j] x[r][c] for j < nk and the NC (8 or 16)
/// columns c from c0 (acc[j] starting from 0 for j >= fresh, the keys no earlier block reached): the x
/// columns stay in registers and each weight is broadcast once for all of them.
CK_AVX2 CK_INLINE void outer_columns(float *acc, const float *w, int Tp, const float *const x[ROWS], int fresh,
                                     int nk, int HD, int c0, const int NC) {
    __m256 xr[ROWS][2];
    for (int r = 0; r < ROWS; r++)
        for (int c = 0; c < NC / 8; c++) xr[r][c] = _mm256_loadu_ps(x[r] + c0 + 8 * c);
    int j = 0;
    for (; j < fresh; j++) outer_row(acc + (long)j * HD + c0, 1, w + j, Tp, xr, NC);
    for (; j < nk; j++) outer_row(acc + (long)j * HD + c0, 0, w + j, Tp, xr, NC);
}

/// acc[j] += sum over the ROWS rows r of w[r * Tp + j] x[r] for j < nk (acc: dense rows of HD floats; rows
/// from `fresh` on start from 0), 16 columns at a time so that the x rows fit in registers.
CK_AVX2 CK_INLINE void accumulate_outer(float *acc, const float *w, int Tp, const float *const x[ROWS], int fresh,
                                        int nk, int HD) {
    if (HD == 8) { outer_columns(acc, w, Tp, x, fresh, nk, HD, 0, 8); return; }
    for (int c0 = 0; c0 < HD; c0 += 16) outer_columns(acc, w, Tp, x, fresh, nk, HD, c0, 16);
}

CK_AVX2 CK_INLINE void backward_head(float *dq, float *dk, float *dv, const float *dOut, const float *out, int C,
                                     const float *lse, const float *q, const float *k, const float *v, int W,
                                     int T, const int HD, int accumulate, float *scratch) {
    const int Tp = padded(T);
    float *KT = scratch, *VT = KT + HD * Tp, *Kp = VT + HD * Tp, *dKh = Kp + (long)Tp * HD;
    float *dVh = dKh + (long)T * HD, *P = dVh + (long)T * HD, *dS = P + ROWS * Tp, *D = dS + ROWS * Tp;
    const float scale = 1.0f / sqrtf((float)HD);
    pack_transposed(KT, k, W, T, Tp, HD);
    pack_transposed(VT, v, W, T, Tp, HD);
    pack_rows(Kp, k, W, T, HD);
    for (int i = 0; i < T; i++) {
        __m256 s = _mm256_setzero_ps();
        for (int c = 0; c < HD / 8; c++)
            s = _mm256_fmadd_ps(_mm256_loadu_ps(dOut + (long)i * C + 8 * c), _mm256_loadu_ps(out + (long)i * C + 8 * c), s);
        D[i] = ck_hsum(s);
    }
    const __m256 sc = _mm256_set1_ps(scale);
    for (int i0 = 0; i0 < T; i0 += ROWS) {
        const int rows = T - i0 < ROWS ? T - i0 : ROWS, nk = i0 + rows, width = (nk + 15) / 16 * 16;
        const int maskFrom = rows < ROWS ? 0 : i0 + 1;
        const float *a[ROWS], *g[ROWS], *as[ROWS];
        __m256 l[ROWS], dd[ROWS];
        for (int r = 0; r < ROWS; r++) {
            const long row = r < rows ? i0 + r : T - 1;   // rows past the end get P = dS = 0
            a[r] = q + row * W; g[r] = dOut + row * C;
            // the next head's columns of this row, for its packing and blocks
            _mm_prefetch((const char *)(q + row * W + HD), _MM_HINT_T0);
            _mm_prefetch((const char *)(k + row * W + HD), _MM_HINT_T0);
            _mm_prefetch((const char *)(v + row * W + HD), _MM_HINT_T0);
            _mm_prefetch((const char *)(dOut + row * C + HD), _MM_HINT_T0);
            _mm_prefetch((const char *)(out + row * C + HD), _MM_HINT_T0);
            l[r] = _mm256_set1_ps(r < rows ? lse[i0 + r] * CK_LOG2E : 0);
            dd[r] = _mm256_set1_ps(r < rows ? D[i0 + r] : 0);
        }
        float qs[ROWS][32], q2[ROWS];
        scale_rows(qs, q2, a, scale * CK_LOG2E, HD);
        for (int r = 0; r < ROWS; r++) as[r] = qs[r];
        // per 16-key tile, from the products' registers: P = 2^(s - lse log2 e) (s: scaled score in base 2),
        // then dS = P (dP - D) scale
        for (int j0 = 0; j0 < width; j0 += 16) {
            __m256 c[ROWS][2];
            tile_products(c, as, KT, Tp, j0, HD);
            for (int r = 0; r < ROWS; r++)
                for (int h = 0; h < 2; h++) {
                    __m256 pv = ck_exp2_softmax(_mm256_sub_ps(c[r][h], l[r]));
                    if (tile_masked(j0, maskFrom))
                        pv = _mm256_and_ps(pv, ck_lanes_below(j0 + 8 * h, r < rows ? i0 + r + 1 : 0));
                    _mm256_storeu_ps(P + (long)r * Tp + j0 + 8 * h, pv);
                }
            tile_products(c, g, VT, Tp, j0, HD);
            for (int r = 0; r < ROWS; r++)
                for (int h = 0; h < 2; h++) {
                    const long at = (long)r * Tp + j0 + 8 * h;
                    __m256 pv = _mm256_loadu_ps(P + at);
                    _mm256_storeu_ps(dS + at, _mm256_mul_ps(_mm256_mul_ps(pv, _mm256_sub_ps(c[r][h], dd[r])), sc));
                }
        }
        __m256 acc[ROWS][HD / 8];
        WEIGHTED_ROWS(HD, acc, dS, Tp, Kp, nk)
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < HD / 8; c++) _mm256_storeu_ps(dq + (long)(i0 + r) * W + 8 * c, acc[r][c]);
        // keys i0 ..< nk are new in this block (the first to reach them), so they start from 0
        accumulate_outer(dKh, dS, Tp, a, i0, nk, HD);   // dK[j] += sum_r dS[r][j] q_r
        accumulate_outer(dVh, P, Tp, g, i0, nk, HD);    // dV[j] += sum_r P[r][j] dO_r
    }
    for (int j = 0; j < T; j++)
        for (int c = 0; c < HD / 8; c++) {
            float *kr = dk + (long)j * W + 8 * c, *vr = dv + (long)j * W + 8 * c;
            __m256 hk = _mm256_loadu_ps(dKh + (long)j * HD + 8 * c), hv = _mm256_loadu_ps(dVh + (long)j * HD + 8 * c);
            if (accumulate) { hk = _mm256_add_ps(_mm256_loadu_ps(kr), hk); hv = _mm256_add_ps(_mm256_loadu_ps(vr), hv); }
            _mm256_storeu_ps(kr, hk);
            _mm256_storeu_ps(vr, hv);
        }
}

CK_AVX2 void ck_attention_backward_head(float *dq, float *dk, float *dv, const float *dOut, const float *out,
                                        int outStride, const float *lse, const float *q, const float *k,
                                        const float *v, int qkvStride, int seqLen, int headDim, int accumulate,
                                        float *scratch) {
    switch (headDim) {
    case 8: backward_head(dq, dk, dv, dOut, out, outStride, lse, q, k, v, qkvStride, seqLen, 8, accumulate, scratch); break;
    case 16: backward_head(dq, dk, dv, dOut, out, outStride, lse, q, k, v, qkvStride, seqLen, 16, accumulate, scratch); break;
    case 32: backward_head(dq, dk, dv, dOut, out, outStride, lse, q, k, v, qkvStride, seqLen, 32, accumulate, scratch); break;
    default: break;
    }
}
