// Open MPI for Swift. Open MPI's predefined handles are macros over global objects, which Swift
// cannot import: each one used by meshtop is re-exported here as a static inline function.
#ifndef MESHTOP_CMPI_SHIM_H
#define MESHTOP_CMPI_SHIM_H
#include <mpi.h>

static inline MPI_Comm mt_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Comm mt_comm_self(void) { return MPI_COMM_SELF; }
static inline MPI_Comm mt_comm_null(void) { return MPI_COMM_NULL; }

static inline MPI_Datatype mt_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype mt_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype mt_int32(void) { return MPI_INT32_T; }
static inline MPI_Datatype mt_int64(void) { return MPI_INT64_T; }
static inline MPI_Datatype mt_uint8(void) { return MPI_UINT8_T; }

static inline MPI_Op mt_op_sum(void) { return MPI_SUM; }
static inline MPI_Op mt_op_max(void) { return MPI_MAX; }
static inline MPI_Op mt_op_min(void) { return MPI_MIN; }

static inline void *mt_in_place(void) { return MPI_IN_PLACE; }
static inline MPI_Status *mt_status_ignore(void) { return MPI_STATUS_IGNORE; }
static inline MPI_Request mt_request_null(void) { return MPI_REQUEST_NULL; }
static inline MPI_Errhandler mt_errors_return(void) { return MPI_ERRORS_RETURN; }

static inline int mt_success(void) { return MPI_SUCCESS; }
static inline int mt_max_error_string(void) { return MPI_MAX_ERROR_STRING; }
static inline int mt_undefined(void) { return MPI_UNDEFINED; }
static inline int mt_thread_funneled(void) { return MPI_THREAD_FUNNELED; }
#endif
