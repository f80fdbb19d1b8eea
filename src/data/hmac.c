#include "data/hmac.h"

#include <openssl/crypto.h>
#include <string.h>

#define IPAD 0x36
#define OPAD 0x5c

void mg_hmac_init(mg_hmac_key *k, const unsigned char *key, size_t klen) {
    unsigned char block[SHA256_CBLOCK] = {0};
    if (klen > SHA256_CBLOCK)
        SHA256(key, klen, block);
    else
        memcpy(block, key, klen);
    unsigned char pad[SHA256_CBLOCK];
    for (int i = 0; i < SHA256_CBLOCK; i++)
        pad[i] = block[i] ^ IPAD;
    SHA256_Init(&k->inner);
    SHA256_Update(&k->inner, pad, sizeof pad);
    for (int i = 0; i < SHA256_CBLOCK; i++)
        pad[i] = block[i] ^ OPAD;
    SHA256_Init(&k->outer);
    SHA256_Update(&k->outer, pad, sizeof pad);
    OPENSSL_cleanse(block, sizeof block);
    OPENSSL_cleanse(pad, sizeof pad);
}

void mg_hmac_hex(const mg_hmac_key *k, const void *msg, size_t n, unsigned char out[MG_HMAC_HEX_LEN]) {
    unsigned char ih[SHA256_DIGEST_LENGTH], oh[SHA256_DIGEST_LENGTH];
    SHA256_CTX x = k->inner;
    SHA256_Update(&x, msg, n);
    SHA256_Final(ih, &x);
    x = k->outer;
    SHA256_Update(&x, ih, sizeof ih);
    SHA256_Final(oh, &x);
    static const char hx[] = "0123456789abcdef";
    for (int i = 0; i < SHA256_DIGEST_LENGTH; i++) {
        out[2 * i] = (unsigned char)hx[oh[i] >> 4];
        out[2 * i + 1] = (unsigned char)hx[oh[i] & 15];
    }
}

void mg_hmac_cleanse(mg_hmac_key *k) { OPENSSL_cleanse(k, sizeof *k); }
