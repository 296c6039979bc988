// The thread-local pointer Kernels.gemm adds each dense product's time and FLOPs to. Thread-local so
// that lanes running at once on their own threads each keep their own tally without sharing a line.
#include "CKernels.h"
#include <stddef.h>

static _Thread_local ck_gemm_tally *current_tally = NULL;

ck_gemm_tally *ck_gemm_tally_current(void) { return current_tally; }

ck_gemm_tally *ck_gemm_tally_swap(ck_gemm_tally *tally) {
    ck_gemm_tally *previous = current_tally;
    current_tally = tally;
    return previous;
}
