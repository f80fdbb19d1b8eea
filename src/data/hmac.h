/* data/hmac — HMAC-SHA256 (RFC 2104) with the keyed inner and outer midstates computed once, for
 * the millions of short messages of pseudonymization.
 *
 * Owns: one key's two SHA-256 midstates (mg_hmac_key; mg_hmac_cleanse wipes them). A token
 * costs the message's compressions plus two, and no allocation. Uses OpenSSL's low-level
 * SHA256_* calls, deprecated in OpenSSL 3 but the only allocation-free way to reuse a keyed
 * midstate (the EVP equivalent, EVP_MD_CTX_copy_ex per message, allocates). A key is read-only
 * after mg_hmac_init, so any number of threads may compute tokens with it at once. */
#ifndef MG_DATA_HMAC_H
#define MG_DATA_HMAC_H
#include <stddef.h>

#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <openssl/sha.h>

/* Lowercase hex of a SHA-256: the token's length. */
#define MG_HMAC_HEX_LEN 64

typedef struct mg_hmac_key {
    SHA256_CTX inner, outer; /* after one block of key^ipad / key^opad */
} mg_hmac_key;

/* Keys longer than the 64-byte block are hashed first, as RFC 2104 says. */
void mg_hmac_init(mg_hmac_key *k, const unsigned char *key, size_t klen);
/* The 64 lowercase hex digits of HMAC-SHA256(key, msg[0..n)) into out (no NUL). */
void mg_hmac_hex(const mg_hmac_key *k, const void *msg, size_t n, unsigned char out[MG_HMAC_HEX_LEN]);
void mg_hmac_cleanse(mg_hmac_key *k);

#endif
