// SHA-256 block compression (FIPS 180-4) for Checksum: a portable version and one on the x86 SHA
// extensions (SHA-NI), ten times faster, which checkpoint checksums feel.
#ifndef MESHTOP_CSHA256_H
#define MESHTOP_CSHA256_H
#include <stddef.h>
#include <stdint.h>

/// 1 when this CPU has the SHA extensions (and SSSE3/SSE4.1); 0 elsewhere, and on non-x86.
int csha256_hardware_available(void);

/// Compresses `blocks` 64-byte blocks of `data` into `state` (h0..h7, FIPS 180-4 order), with the
/// SHA instructions when `hardware` is non-zero (only after csha256_hardware_available() said 1).
void csha256_compress_blocks(uint32_t state[8], const uint8_t *data, size_t blocks, int hardware);

#endif
