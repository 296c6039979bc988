// Shared AVX2/FMA helpers (internal): every function that uses them carries CK_AVX2.
#ifndef MESHTOP_CKERNELS_AVX2_H
#define MESHTOP_CKERNELS_AVX2_H
#include <immintrin.h>

#define CK_AVX2 __attribute__((target("avx2,fma")))
#define CK_INLINE static inline __attribute__((always_inline))

/// exp(x) for 8 lanes: Cephes' expf (the constants of the Swift vexp16), inputs clamped to [-87.3, 88.7].
CK_AVX2 CK_INLINE __m256 ck_exp8(__m256 x) {
    x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.3f)), _mm256_set1_ps(88.7f));
    const __m256 magic = _mm256_set1_ps(12582912.0f);   // 1.5 * 2^23: rounds to an integer in the low bits
    __m256 t = _mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504088896341f), magic);
    __m256 n = _mm256_sub_ps(t, magic);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fmadd_ps(n, _mm256_set1_ps(2.12194440e-4f), r);
    __m256 r2 = _mm256_mul_ps(r, r), r4 = _mm256_mul_ps(r2, r2);
    __m256 p01 = _mm256_fmadd_ps(r, _mm256_set1_ps(1.6666665459e-1f), _mm256_set1_ps(5.0000001201e-1f));
    __m256 p23 = _mm256_fmadd_ps(r, _mm256_set1_ps(8.3334519073e-3f), _mm256_set1_ps(4.1665795894e-2f));
    __m256 p45 = _mm256_fmadd_ps(r, _mm256_set1_ps(1.9875691500e-4f), _mm256_set1_ps(1.3981999507e-3f));
    __m256 p = _mm256_fmadd_ps(r4, p45, _mm256_fmadd_ps(r2, p23, p01));
    __m256 y = _mm256_add_ps(_mm256_fmadd_ps(p, r2, r), _mm256_set1_ps(1.0f));
    __m256i bits = _mm256_sub_epi32(_mm256_castps_si256(t), _mm256_castps_si256(magic));
    __m256 scale = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(bits, _mm256_set1_epi32(127)), 23));
    return _mm256_mul_ps(y, scale);
}

/// 2^x for the softmax's arguments in base 2 (x <= 127; below -126 gives ~2^-126), within 2e-7 relative:
/// x = n + f with |f| <= 1/2 (exact), a degree-5 minimax polynomial for 2^f, the exponent bias carried in the
/// magic constant (t's low bits are n + 127). 6 of its 11 instructions need the FMA pipes (ck_exp8: 12 of 19).
CK_AVX2 CK_INLINE __m256 ck_exp2_softmax(__m256 x) {
    x = _mm256_max_ps(x, _mm256_set1_ps(-126.0f));
    const __m256 magic = _mm256_set1_ps(12583039.0f);   // 1.5 * 2^23 + 127
    __m256 t = _mm256_add_ps(x, magic);
    __m256 f = _mm256_sub_ps(x, _mm256_sub_ps(t, magic));
    __m256 p = _mm256_fmadd_ps(_mm256_set1_ps(1.330882427e-3f), f, _mm256_set1_ps(9.671516716e-3f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(5.550582334e-2f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(2.402224243e-1f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(6.931470633e-1f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(1.0f));
    return _mm256_mul_ps(p, _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_castps_si256(t), 23)));
}

/// Lanes j0 + 0..7 below `valid`: all ones, else zero.
CK_AVX2 CK_INLINE __m256 ck_lanes_below(int j0, int valid) {
    __m256i idx = _mm256_add_epi32(_mm256_set1_epi32(j0), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    return _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_set1_epi32(valid), idx));
}

CK_AVX2 CK_INLINE float ck_hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

CK_AVX2 CK_INLINE float ck_hmax(__m256 v) {
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

#endif
