// SHA-256 block compression on the x86 SHA extensions (SHA-NI), for checkpoint checksums: the
// portable Swift compression in Checksum runs at ~0.2 GB/s, these instructions at ~2 GB/s.
#ifndef MESHTOP_CSHA256_H
#define MESHTOP_CSHA256_H
#include <stddef.h>
#include <stdint.h>

/// 1 when this CPU has the SHA extensions (and SSSE3/SSE4.1); 0 elsewhere, and on non-x86.
int csha256_hardware_available(void);

/// Compresses `blocks` 64-byte blocks of `data` into `state` (h0..h7, FIPS 180-4 order).
/// Call only when csha256_hardware_available() returned 1.
void csha256_compress_blocks(uint32_t state[8], const uint8_t *data, size_t blocks);

#endif
