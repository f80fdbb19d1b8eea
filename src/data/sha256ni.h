/* data/sha256ni — the SHA-256 block function on the x86 SHA extensions, for one message or two
 * or four independent ones at a time (their rounds interleaved, so each fills the others' wait
 * on the round instruction: about 1.6x the blocks per second of one stream here with two, 2x
 * with four; tests/bench/bench_hmac.c measures the tokens).
 *
 * Owns: nothing; pure functions on the caller's state and blocks, thread-safe. Callers check
 * mg_sha256ni_available() once (CPUID: SHA, SSSE3, SSE4.1) and use OpenSSL otherwise; on other
 * CPUs only that check is compiled in. Checked against OpenSSL in tests/unit/test_data.c. */
#ifndef MG_DATA_SHA256NI_H
#define MG_DATA_SHA256NI_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

bool mg_sha256ni_available(void);
/* state: the eight working words a..h, updated by one 64-byte block. */
void mg_sha256ni_compress(uint32_t state[8], const unsigned char block[64]);
/* With the SSSE3 the check above includes: the state as the digest's 32 big-endian bytes, or as
 * their 64 lowercase hex digits. */
void mg_sha256ni_digest_bytes(const uint32_t state[8], unsigned char out[32]);
void mg_sha256ni_hex(const uint32_t state[8], unsigned char out[64]);
void mg_sha256ni_compress2(uint32_t s1[8], const unsigned char b1[64], uint32_t s2[8],
                           const unsigned char b2[64]);
/* states[m] updated by the 64-byte block blocks[m], for m = 0..3. */
void mg_sha256ni_compress4(uint32_t states[4][8], const unsigned char *const blocks[4]);

/* A SHA-256 of a byte stream on the SHA extensions; two streams can be fed together so their
 * blocks are compressed two at a time (pseudonymize's input and output digests). One thread at
 * a time per stream. */
typedef struct mg_sha256_stream {
    uint32_t h[8];
    unsigned char part[64]; /* bytes not yet making a whole block */
    size_t npart;
    uint64_t total;
} mg_sha256_stream;

void mg_sha256_stream_init(mg_sha256_stream *s);
/* Adds pa[0..na) to a and pb[0..nb) to b (either length may be 0). */
void mg_sha256_stream_update2(mg_sha256_stream *a, const void *pa, size_t na, mg_sha256_stream *b,
                              const void *pb, size_t nb);
void mg_sha256_stream_final(mg_sha256_stream *s, unsigned char out[32]);

#endif
