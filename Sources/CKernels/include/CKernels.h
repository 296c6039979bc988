// AVX2/FMA kernels for the parts of a step that are not dense matrix products. Each entry point checks
// nothing itself: call ck_avx2_available() once and fall back to the portable Swift kernels when it is 0.
#ifndef MESHTOP_CKERNELS_H
#define MESHTOP_CKERNELS_H

/// 1 when this CPU runs AVX2 and FMA (the only instruction sets these kernels are compiled for).
int ck_avx2_available(void);
// 3: AVX-512 (F, BW, DQ, VL), 2: AVX2 and FMA, 1: AVX, 0: none of them (as the CPU and the OS allow).
int ck_cpu_level(void);

/// Whether the attention kernels handle this head dimension (8, 16 or 32).
int ck_attention_supports(int headDim);

/// Floats of scratch one call of ck_attention_forward_head / ck_attention_backward_head needs.
long ck_attention_scratch_floats(int seqLen, int headDim);

/// Causal softmax attention of one head. q, k, v: rows of `qkvStride` floats (q, k already rotated);
/// out: rows of `outStride` floats, written; lse: [seqLen] log-sum-exp of each query's scaled scores.
void ck_attention_forward_head(float *out, int outStride, float *lse, const float *q, const float *k,
                               const float *v, int qkvStride, int seqLen, int headDim, float *scratch);

/// Backward of ck_attention_forward_head from its out and lse (probabilities recomputed): dq written,
/// dk and dv written when accumulate is 0, else added to (for the later heads sharing k and v).
/// dOut has the stride of out.
void ck_attention_backward_head(float *dq, float *dk, float *dv, const float *dOut, const float *out,
                                int outStride, const float *lse, const float *q, const float *k,
                                const float *v, int qkvStride, int seqLen, int headDim, int accumulate,
                                float *scratch);

/// g = silu(h1) * h3 over count floats.
void ck_swiglu_forward(float *g, const float *h1, const float *h3, long count);

/// The SwiGLU backward in place, in one pass: g = silu(h1) * h3 (for w2's gradient) over dg,
/// dh3 = dg * silu(h1) over h1, dh1 = dg * h3 * silu'(h1) over h3.
void ck_swiglu_backward(float *dgToG, float *h1ToDh3, float *h3ToDh1, long count);

/// In place: row = softmax(row) minus the one-hot of target; returns -log softmax(row)[target].
float ck_softmax_cross_entropy_row(float *row, int n, int target);

/// RoPE in place over rows of x (see Kernels.rope); headDim a multiple of 8.
void ck_rope(float *x, long rowStride, int batch, int seqLen, int heads, int headDim, const float *table,
             int inverse);

/// What the dense GEMMs of one lane cost: wall seconds inside cblas_sgemm and the FLOPs (2mnk) they
/// executed. Kernels.gemm adds each call to the calling thread's tally, if it has one (MFU's split).
typedef struct {
    double seconds;
    double flops;
} ck_gemm_tally;

/// The calling thread's tally, NULL when it has none (a thread-local pointer: each lane's thread its own).
ck_gemm_tally *ck_gemm_tally_current(void);

/// Points the calling thread's tally at `tally` (NULL: none) and returns the one it had.
ck_gemm_tally *ck_gemm_tally_swap(ck_gemm_tally *tally);

#endif
