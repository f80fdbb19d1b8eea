/* data/sha256ni — the SHA-256 block function on the x86 SHA extensions, for one message or two
 * independent ones at a time (their rounds interleaved, so each fills the other's wait on the
 * round instruction: about 1.5x the blocks per second of one stream here, measured by
 * tests/bench/bench_hmac.c against OpenSSL's block function).
 *
 * Owns: nothing; pure functions on the caller's state and blocks, thread-safe. Callers check
 * mg_sha256ni_available() once (CPUID: SHA, SSSE3, SSE4.1) and use OpenSSL otherwise; on other
 * CPUs only that check is compiled in. Checked against OpenSSL in tests/unit/test_data.c. */
#ifndef MG_DATA_SHA256NI_H
#define MG_DATA_SHA256NI_H
#include <stdbool.h>
#include <stdint.h>

bool mg_sha256ni_available(void);
/* state: the eight working words a..h, updated by one 64-byte block. */
void mg_sha256ni_compress(uint32_t state[8], const unsigned char block[64]);
void mg_sha256ni_compress2(uint32_t s1[8], const unsigned char b1[64], uint32_t s2[8],
                           const unsigned char b2[64]);

#endif
