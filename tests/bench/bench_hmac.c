/* HMAC-SHA256 token benchmark for hack/bench/bench-plugin.sh: bench_hmac [N]
 * N (default 2,000,000) pseudonymization-sized messages (12 to 40 bytes) tokenized by:
 *   four      data/hmac mg_hmac_hex_batch of four messages (SHA extensions, four interleaved)
 *   pair      data/hmac mg_hmac_hex_batch of two messages (two interleaved)
 *   single    data/hmac mg_hmac_hex
 *   lowlevel  OpenSSL SHA256_Update/Final on copies of the keyed midstates
 *   evp       OpenSSL EVP: EVP_MD_CTX_copy_ex of the keyed contexts per message
 *   hmac      OpenSSL's one-shot HMAC() per message (the key schedule every time)
 * Prints "hmac <method> <ns per token, CPU> <checksum>"; every method must give the same tokens
 * (checksum), else it exits 1. */
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "data/digest.h"
#include "data/hmac.h"

#define MSG_MIN 12
#define MSG_SPREAD 29
#define KEY_LEN 32

static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* a cheap checksum of a token: the eight 8-byte words, each rotated by its place */
static uint64_t sum_token(const unsigned char *t) {
    uint64_t s = 0, w;
    for (int i = 0; i < MG_HMAC_HEX_LEN / 8; i++) {
        memcpy(&w, t + 8 * i, 8);
        s ^= (w << i) | (w >> (64 - i) % 64);
    }
    return s;
}

typedef struct msgs {
    char (*m)[64];
    size_t *n, count;
} msgs;

static unsigned char key[KEY_LEN];

static uint64_t run(const char *method, const msgs *ms) {
    mg_hmac_key k;
    mg_hmac_init(&k, key, sizeof key);
    EVP_MD_CTX *ei = EVP_MD_CTX_new(), *eo = EVP_MD_CTX_new(), *x = EVP_MD_CTX_new();
    unsigned char pad[SHA256_CBLOCK], tok[4][MG_HMAC_HEX_LEN], d[MG_SHA256_LEN];
    char hex[MG_HMAC_HEX_LEN + 1];
    for (int i = 0; i < SHA256_CBLOCK; i++)
        pad[i] = (i < KEY_LEN ? key[i] : 0) ^ 0x36;
    EVP_DigestInit_ex(ei, EVP_sha256(), NULL);
    EVP_DigestUpdate(ei, pad, sizeof pad);
    for (int i = 0; i < SHA256_CBLOCK; i++)
        pad[i] = (i < KEY_LEN ? key[i] : 0) ^ 0x5c;
    EVP_DigestInit_ex(eo, EVP_sha256(), NULL);
    EVP_DigestUpdate(eo, pad, sizeof pad);
    uint64_t sum = 0;
    for (size_t i = 0; i < ms->count; i++) {
        const char *m = ms->m[i];
        size_t n = ms->n[i];
        size_t batch = !strcmp(method, "four") ? 4 : !strcmp(method, "pair") ? 2 : 1;
        if (batch > 1 && i + batch <= ms->count) {
            const void *bm[4];
            unsigned char *bo[4];
            for (size_t b = 0; b < batch; b++)
                bm[b] = ms->m[i + b], bo[b] = tok[b];
            mg_hmac_hex_batch(&k, batch, bm, ms->n + i, bo);
            for (size_t b = 0; b < batch; b++)
                sum += sum_token(tok[b]);
            i += batch - 1;
            continue;
        }
        if (batch > 1 || !strcmp(method, "single")) {
            mg_hmac_hex(&k, m, n, tok[0]);
        } else if (!strcmp(method, "lowlevel")) {
            SHA256_CTX c = k.inner;
            SHA256_Update(&c, m, n);
            SHA256_Final(d, &c);
            c = k.outer;
            SHA256_Update(&c, d, sizeof d);
            SHA256_Final(d, &c);
            mg_hex(d, sizeof d, hex);
            memcpy(tok[0], hex, MG_HMAC_HEX_LEN);
        } else if (!strcmp(method, "evp")) {
            EVP_MD_CTX_copy_ex(x, ei);
            EVP_DigestUpdate(x, m, n);
            EVP_DigestFinal_ex(x, d, NULL);
            EVP_MD_CTX_copy_ex(x, eo);
            EVP_DigestUpdate(x, d, sizeof d);
            EVP_DigestFinal_ex(x, d, NULL);
            mg_hex(d, sizeof d, hex);
            memcpy(tok[0], hex, MG_HMAC_HEX_LEN);
        } else {
            HMAC(EVP_sha256(), key, sizeof key, (const unsigned char *)m, n, d, NULL);
            mg_hex(d, sizeof d, hex);
            memcpy(tok[0], hex, MG_HMAC_HEX_LEN);
        }
        sum += sum_token(tok[0]);
    }
    EVP_MD_CTX_free(ei);
    EVP_MD_CTX_free(eo);
    EVP_MD_CTX_free(x);
    return sum;
}

int main(int argc, char **argv) {
    msgs ms = {.count = argc > 1 ? strtoul(argv[1], NULL, 10) : 2000000};
    ms.m = malloc(ms.count * sizeof *ms.m);
    ms.n = malloc(ms.count * sizeof *ms.n);
    uint64_t s = 88172645463325252ull;
    for (size_t i = 0; i < sizeof key; i++)
        key[i] = (unsigned char)(i * 11 + 3);
    for (size_t i = 0; i < ms.count; i++) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        ms.n[i] = MSG_MIN + s % MSG_SPREAD;
        for (size_t k = 0; k < ms.n[i]; k++)
            ms.m[i][k] = (char)('a' + (s >> (k % 50)) % 26);
    }
    static const char *const methods[] = {"four", "pair", "single", "lowlevel", "evp", "hmac"};
    uint64_t want = 0;
    for (size_t k = 0; k < sizeof methods / sizeof *methods; k++) {
        double t0 = cpu_now();
        uint64_t sum = run(methods[k], &ms);
        double t = cpu_now() - t0;
        if (k == 0) want = sum;
        printf("hmac %s %.1f %llu\n", methods[k], t / (double)ms.count * 1e9, (unsigned long long)sum);
        if (sum != want) {
            fprintf(stderr, "bench_hmac: %s gives other tokens\n", methods[k]);
            return 1;
        }
    }
    return 0;
}
