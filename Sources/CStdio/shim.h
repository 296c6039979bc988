// The C standard streams, read through functions: Swift 6 refuses a reference to the C globals
// `stdout` and `stderr` (shared mutable state), but the streams themselves are thread-safe
// (stdio locks each call), and the pointers never change after start-up.
#ifndef MESHTOP_CSTDIO_SHIM_H
#define MESHTOP_CSTDIO_SHIM_H
#include <stdio.h>

static inline FILE *mt_stdout(void) { return stdout; }
static inline FILE *mt_stderr(void) { return stderr; }
#endif
