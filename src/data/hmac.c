#include "data/hmac.h"

#include <openssl/crypto.h>
#include <stdbool.h>
#include <string.h>

#define IPAD 0x36
#define OPAD 0x5c
#define BLOCK 64
#define LEN_BYTES 8                       /* the message length at the end of the last block */
#define ONE_BLOCK (BLOCK - 1 - LEN_BYTES) /* longest message that pads into one block: 55 */
#define WORDS 8

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
    k->ni = mg_sha256ni_available();
    OPENSSL_cleanse(block, sizeof block);
    OPENSSL_cleanse(pad, sizeof pad);
}

static void compress(const mg_hmac_key *k, uint32_t st[WORDS], const unsigned char blk[BLOCK]) {
    if (k->ni) {
        mg_sha256ni_compress(st, blk);
        return;
    }
    SHA256_CTX c; /* OpenSSL's own block function uses only h */
    memcpy(c.h, st, sizeof c.h);
    SHA256_Transform(&c, blk);
    memcpy(st, c.h, sizeof c.h);
}

/* The last block of a message of total (key block included) bytes whose tail is p[0..n). */
static void pad_block(unsigned char blk[BLOCK], const void *p, size_t n, uint64_t total) {
    memcpy(blk, p, n);
    blk[n] = 0x80;
    memset(blk + n + 1, 0, BLOCK - LEN_BYTES - n - 1);
    uint64_t bits = total * 8;
    for (int i = 0; i < LEN_BYTES; i++)
        blk[BLOCK - 1 - i] = (unsigned char)(bits >> (8 * i));
}

static void words_be(const uint32_t w[WORDS], unsigned char out[MG_SHA256_LEN]) {
    for (int i = 0; i < WORDS; i++) {
        uint32_t be = __builtin_bswap32(w[i]);
        memcpy(out + 4 * i, &be, 4);
    }
}

/* Lowercase hex by a table of the 256 digit pairs. */
static const char hex_pairs[] = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
                                "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
                                "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"
                                "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
                                "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
                                "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
                                "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
                                "e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";

static void hex_words(const uint32_t w[WORDS], unsigned char out[MG_HMAC_HEX_LEN]) {
    for (int i = 0; i < WORDS; i++)
        for (int k = 0; k < 4; k++)
            memcpy(out + 8 * i + 2 * k, hex_pairs + 2 * ((w[i] >> (24 - 8 * k)) & 0xff), 2);
}

/* Messages that do not pad into one block: OpenSSL's incremental calls on copies of the
 * midstates. */
static void hmac_long(const mg_hmac_key *k, const void *msg, size_t n, uint32_t out[WORDS]) {
    unsigned char ih[MG_SHA256_LEN];
    SHA256_CTX x = k->inner;
    SHA256_Update(&x, msg, n);
    SHA256_Final(ih, &x);
    x = k->outer;
    SHA256_Update(&x, ih, sizeof ih);
    SHA256_Final(ih, &x);
    for (int i = 0; i < WORDS; i++)
        out[i] = (uint32_t)ih[4 * i] << 24 | (uint32_t)ih[4 * i + 1] << 16 | (uint32_t)ih[4 * i + 2] << 8 |
                 ih[4 * i + 3];
}

/* The outer block of the inner hash st (the outer input is the 64-byte key block + 32 bytes):
 * the digest, then a padding that is always the same. */
static void outer_block(const mg_hmac_key *k, unsigned char blk[BLOCK], const uint32_t st[WORDS]) {
    static const unsigned char tail[BLOCK - MG_SHA256_LEN] = {0x80, [BLOCK - MG_SHA256_LEN - 2] = 0x03};
    if (k->ni)
        mg_sha256ni_digest_bytes(st, blk);
    else
        words_be(st, blk);
    memcpy(blk + MG_SHA256_LEN, tail, sizeof tail);
}

static void hex_out(const mg_hmac_key *k, const uint32_t st[WORDS], unsigned char out[MG_HMAC_HEX_LEN]) {
    if (k->ni)
        mg_sha256ni_hex(st, out);
    else
        hex_words(st, out);
}

void mg_hmac_hex(const mg_hmac_key *k, const void *msg, size_t n, unsigned char out[MG_HMAC_HEX_LEN]) {
    uint32_t st[WORDS];
    if (n > ONE_BLOCK) {
        hmac_long(k, msg, n, st);
        hex_words(st, out);
        return;
    }
    unsigned char blk[BLOCK];
    memcpy(st, k->inner.h, sizeof st);
    pad_block(blk, msg, n, BLOCK + n);
    compress(k, st, blk);
    outer_block(k, blk, st);
    memcpy(st, k->outer.h, sizeof st);
    compress(k, st, blk);
    hex_out(k, st, out);
}

/* Two one-block messages together: inner blocks, then outer blocks, two at a time. */
static void hmac2(const mg_hmac_key *k, const void *const msgs[2], const size_t lens[2],
                  unsigned char *const outs[2]) {
    uint32_t s1[WORDS], s2[WORDS];
    unsigned char b1[BLOCK], b2[BLOCK];
    memcpy(s1, k->inner.h, sizeof s1);
    memcpy(s2, k->inner.h, sizeof s2);
    pad_block(b1, msgs[0], lens[0], BLOCK + lens[0]);
    pad_block(b2, msgs[1], lens[1], BLOCK + lens[1]);
    mg_sha256ni_compress2(s1, b1, s2, b2);
    outer_block(k, b1, s1);
    outer_block(k, b2, s2);
    memcpy(s1, k->outer.h, sizeof s1);
    memcpy(s2, k->outer.h, sizeof s2);
    mg_sha256ni_compress2(s1, b1, s2, b2);
    hex_out(k, s1, outs[0]);
    hex_out(k, s2, outs[1]);
}

/* Four one-block messages together. */
static void hmac4(const mg_hmac_key *k, const void *const msgs[4], const size_t lens[4],
                  unsigned char *const outs[4]) {
    uint32_t st[4][WORDS];
    unsigned char blk[4][BLOCK];
    const unsigned char *const blocks[4] = {blk[0], blk[1], blk[2], blk[3]};
    for (int m = 0; m < 4; m++) {
        memcpy(st[m], k->inner.h, sizeof st[m]);
        pad_block(blk[m], msgs[m], lens[m], BLOCK + lens[m]);
    }
    mg_sha256ni_compress4(st, blocks);
    for (int m = 0; m < 4; m++) {
        outer_block(k, blk[m], st[m]);
        memcpy(st[m], k->outer.h, sizeof st[m]);
    }
    mg_sha256ni_compress4(st, blocks);
    for (int m = 0; m < 4; m++)
        hex_out(k, st[m], outs[m]);
}

static bool one_block_each(const size_t *lens, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (lens[i] > ONE_BLOCK) return false;
    return true;
}

void mg_hmac_hex_batch(const mg_hmac_key *k, size_t count, const void *const msgs[], const size_t lens[],
                       unsigned char *const outs[]) {
    if (k->ni && count == 4 && one_block_each(lens, 4)) {
        hmac4(k, msgs, lens, outs);
        return;
    }
    size_t i = 0;
    for (; k->ni && count - i >= 2 && one_block_each(lens + i, 2); i += 2)
        hmac2(k, msgs + i, lens + i, outs + i);
    for (; i < count; i++)
        mg_hmac_hex(k, msgs[i], lens[i], outs[i]);
}

void mg_hmac_cleanse(mg_hmac_key *k) { OPENSSL_cleanse(k, sizeof *k); }
