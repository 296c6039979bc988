// OpenBLAS's CBLAS interface (cblas_sgemm, cblas_sgemv, ...) and its thread control.
#ifndef MESHTOP_CBLAS_SHIM_H
#define MESHTOP_CBLAS_SHIM_H
#include <cblas.h>
#endif
