// Element-wise passes of the step in AVX2/FMA: SwiGLU forward and backward, and the softmax cross-entropy of
// one row of logits. Each touches its buffers once; the Swift versions (SSE2 only) are the fallback.
#include "CKernels.h"
#include "avx2.h"
#include <math.h>

/// sigmoid(a) = 1 / (1 + exp(-a)) for 8 lanes.
CK_AVX2 CK_INLINE __m256 sigmoid8(__m256 a) {
    const __m256 one = _mm256_set1_ps(1.0f);
    return _mm256_div_ps(one, _mm256_add_ps(one, ck_exp8(_mm256_sub_ps(_mm256_setzero_ps(), a))));
}

/// The last count % 8 floats of src, zero-padded to 8 lanes (so tails take the vector path: one formula for all).
CK_AVX2 CK_INLINE __m256 load_tail(const float *src, long rem) {
    float buf[8] = {0};
    for (long k = 0; k < rem; k++) buf[k] = src[k];
    return _mm256_loadu_ps(buf);
}

CK_AVX2 CK_INLINE void store_tail(float *dst, __m256 v, long rem) {
    float buf[8];
    _mm256_storeu_ps(buf, v);
    for (long k = 0; k < rem; k++) dst[k] = buf[k];
}

CK_AVX2 void ck_swiglu_forward(float *g, const float *h1, const float *h3, long count) {
    long i = 0;
    for (; i + 8 <= count; i += 8) {
        __m256 a = _mm256_loadu_ps(h1 + i);
        _mm256_storeu_ps(g + i, _mm256_mul_ps(_mm256_mul_ps(a, sigmoid8(a)), _mm256_loadu_ps(h3 + i)));
    }
    if (i < count) {
        __m256 a = load_tail(h1 + i, count - i);
        store_tail(g + i, _mm256_mul_ps(_mm256_mul_ps(a, sigmoid8(a)), load_tail(h3 + i, count - i)), count - i);
    }
}

/// One lane group of the in-place backward: g over dg, dh3 over h1, dh1 over h3.
CK_AVX2 CK_INLINE void swiglu_backward8(__m256 d, __m256 a, __m256 h3, __m256 *g, __m256 *dh3, __m256 *dh1) {
    const __m256 one = _mm256_set1_ps(1.0f);
    __m256 s = sigmoid8(a), silu = _mm256_mul_ps(a, s);
    __m256 dsilu = _mm256_fmadd_ps(silu, _mm256_sub_ps(one, s), s);   // s + silu (1 - s)
    *g = _mm256_mul_ps(silu, h3);
    *dh3 = _mm256_mul_ps(d, silu);
    *dh1 = _mm256_mul_ps(_mm256_mul_ps(d, h3), dsilu);
}

CK_AVX2 void ck_swiglu_backward(float *dgToG, float *h1ToDh3, float *h3ToDh1, long count) {
    long i = 0;
    __m256 g, dh3, dh1;
    for (; i + 8 <= count; i += 8) {
        swiglu_backward8(_mm256_loadu_ps(dgToG + i), _mm256_loadu_ps(h1ToDh3 + i), _mm256_loadu_ps(h3ToDh1 + i),
                         &g, &dh3, &dh1);
        _mm256_storeu_ps(dgToG + i, g);
        _mm256_storeu_ps(h1ToDh3 + i, dh3);
        _mm256_storeu_ps(h3ToDh1 + i, dh1);
    }
    if (i < count) {
        const long rem = count - i;
        swiglu_backward8(load_tail(dgToG + i, rem), load_tail(h1ToDh3 + i, rem), load_tail(h3ToDh1 + i, rem),
                         &g, &dh3, &dh1);
        store_tail(dgToG + i, g, rem);
        store_tail(h1ToDh3 + i, dh3, rem);
        store_tail(h3ToDh1 + i, dh1, rem);
    }
}

CK_AVX2 float ck_softmax_cross_entropy_row(float *row, int n, int target) {
    const float t = row[target];
    __m256 m = _mm256_set1_ps(-INFINITY), sum = _mm256_setzero_ps();
    int j = 0;
    for (; j + 8 <= n; j += 8) m = _mm256_max_ps(m, _mm256_loadu_ps(row + j));
    float mx = ck_hmax(m);
    for (int r = j; r < n; r++) mx = row[r] > mx ? row[r] : mx;
    const __m256 shift = _mm256_set1_ps(mx);
    for (j = 0; j + 8 <= n; j += 8) {
        __m256 e = ck_exp8(_mm256_sub_ps(_mm256_loadu_ps(row + j), shift));
        _mm256_storeu_ps(row + j, e);
        sum = _mm256_add_ps(sum, e);
    }
    float total = ck_hsum(sum);
    for (int r = j; r < n; r++) { row[r] = expf(row[r] - mx); total += row[r]; }
    const float inv = 1.0f / total;
    const __m256 scale = _mm256_set1_ps(inv);
    for (j = 0; j + 8 <= n; j += 8) _mm256_storeu_ps(row + j, _mm256_mul_ps(_mm256_loadu_ps(row + j), scale));
    for (int r = j; r < n; r++) row[r] *= inv;
    row[target] -= 1;
    return logf(total) + mx - t;
}
