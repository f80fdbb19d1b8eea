/* data/hmac — HMAC-SHA256 (RFC 2104) with the keyed inner and outer midstates computed once, for
 * the millions of short messages of pseudonymization.
 *
 * Owns: one key's two SHA-256 midstates (mg_hmac_key; mg_hmac_cleanse wipes them). A message of
 * up to 55 bytes costs exactly two block compressions, padded by hand, no allocation, no
 * context copy or cleanse; four or two such messages can be done together (data/sha256ni
 * interleaves them when the CPU has the SHA extensions, else OpenSSL's block function runs each). Longer
 * messages take OpenSSL's incremental SHA256_* calls on copies of the midstates. The low-level
 * SHA256_* calls are deprecated in OpenSSL 3 but are the only allocation-free way to reuse a
 * keyed midstate (EVP needs EVP_MD_CTX_copy_ex per message, which allocates; see
 * tests/bench/bench_hmac.c). A key is read-only after mg_hmac_init, so any number of threads may
 * compute tokens with it at once. */
#ifndef MG_DATA_HMAC_H
#define MG_DATA_HMAC_H
#include <stdbool.h>
#include <stddef.h>

#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <openssl/sha.h>

#include "data/digest.h"
#include "data/sha256ni.h"

/* Lowercase hex of a SHA-256: the token's length. */
#define MG_HMAC_HEX_LEN 64

typedef struct mg_hmac_key {
    SHA256_CTX inner, outer; /* after one block of key^ipad / key^opad */
    bool ni;                 /* data/sha256ni is usable */
} mg_hmac_key;

/* Keys longer than the 64-byte block are hashed first, as RFC 2104 says. */
void mg_hmac_init(mg_hmac_key *k, const unsigned char *key, size_t klen);
/* The 64 lowercase hex digits of HMAC-SHA256(key, msg[0..n)) into out (no NUL). */
void mg_hmac_hex(const mg_hmac_key *k, const void *msg, size_t n, unsigned char out[MG_HMAC_HEX_LEN]);
/* Up to MG_HMAC_BATCH tokens at once, the same as one mg_hmac_hex call each: the token of
 * msgs[i][0..lens[i]) into outs[i] (MG_HMAC_HEX_LEN bytes). With the SHA extensions, four (or
 * two) one-block messages are compressed together. */
#define MG_HMAC_BATCH 4
void mg_hmac_hex_batch(const mg_hmac_key *k, size_t count, const void *const msgs[], const size_t lens[],
                       unsigned char *const outs[]);
void mg_hmac_cleanse(mg_hmac_key *k);

#endif
