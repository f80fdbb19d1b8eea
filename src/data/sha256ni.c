#include "data/sha256ni.h"

#include <string.h>
#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

#define SHANI __attribute__((target("sha,sse4.1,ssse3")))

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/* state[8] (a..h) <-> the two registers the instructions use: ABEF and CDGH */
SHANI static inline void load_state(const uint32_t s[8], __m128i *abef, __m128i *cdgh) {
    __m128i t = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)s), 0xB1);       /* CDAB */
    __m128i u = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)(s + 4)), 0x1B); /* EFGH */
    *abef = _mm_alignr_epi8(t, u, 8);
    *cdgh = _mm_blend_epi16(u, t, 0xF0);
}

SHANI static inline void store_state(uint32_t s[8], __m128i abef, __m128i cdgh) {
    __m128i t = _mm_shuffle_epi32(abef, 0x1B); /* FEBA */
    __m128i u = _mm_shuffle_epi32(cdgh, 0xB1); /* DCHG */
    _mm_storeu_si128((__m128i *)s, _mm_blend_epi16(t, u, 0xF0));
    _mm_storeu_si128((__m128i *)(s + 4), _mm_alignr_epi8(u, t, 8));
}

/* Four rounds i (0..15) of one message: w[] holds its schedule, 16 words in 4 registers. */
#define ROUNDS(i, s0, s1, w)                                                                                 \
    do {                                                                                                     \
        __m128i m_ = _mm_add_epi32(w[(i) % 4], _mm_loadu_si128((const __m128i *)(K + 4 * (i))));             \
        s1 = _mm_sha256rnds2_epu32(s1, s0, m_);                                                              \
        if ((i) >= 3 && (i) <= 14) {                                                                         \
            w[((i) + 1) % 4] =                                                                               \
                _mm_add_epi32(w[((i) + 1) % 4], _mm_alignr_epi8(w[(i) % 4], w[((i) + 3) % 4], 4));           \
            w[((i) + 1) % 4] = _mm_sha256msg2_epu32(w[((i) + 1) % 4], w[(i) % 4]);                           \
        }                                                                                                    \
        s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_shuffle_epi32(m_, 0x0E));                                     \
        if ((i) >= 1 && (i) <= 12) w[((i) + 3) % 4] = _mm_sha256msg1_epu32(w[((i) + 3) % 4], w[(i) % 4]);    \
    } while (0)

/* The sixteen four-round steps of a block, R(0) .. R(15). */
#define ALL_ROUNDS(R)                                                                                        \
    do {                                                                                                     \
        R(0);                                                                                                \
        R(1);                                                                                                \
        R(2);                                                                                                \
        R(3);                                                                                                \
        R(4);                                                                                                \
        R(5);                                                                                                \
        R(6);                                                                                                \
        R(7);                                                                                                \
        R(8);                                                                                                \
        R(9);                                                                                                \
        R(10);                                                                                               \
        R(11);                                                                                               \
        R(12);                                                                                               \
        R(13);                                                                                               \
        R(14);                                                                                               \
        R(15);                                                                                               \
    } while (0)

SHANI static inline void load_block(const unsigned char *b, __m128i w[4]) {
    const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bll, 0x0405060700010203ll);
    for (int k = 0; k < 4; k++)
        w[k] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(b + 16 * k)), bswap);
}

SHANI static void compress1(uint32_t s[8], const unsigned char *b) {
    __m128i s0, s1, w[4];
    load_state(s, &s0, &s1);
    __m128i a0 = s0, a1 = s1;
    load_block(b, w);
#define ROUNDS1(i) ROUNDS(i, s0, s1, w)
    ALL_ROUNDS(ROUNDS1);
#undef ROUNDS1
    store_state(s, _mm_add_epi32(s0, a0), _mm_add_epi32(s1, a1));
}

/* Two independent messages interleaved: the round instructions of one fill the other's wait. */
SHANI static void compress2(uint32_t s[8], const unsigned char *b, uint32_t t[8], const unsigned char *c) {
    __m128i s0, s1, w[4], t0, t1, v[4];
    load_state(s, &s0, &s1);
    load_state(t, &t0, &t1);
    __m128i a0 = s0, a1 = s1, c0 = t0, c1 = t1;
    load_block(b, w);
    load_block(c, v);
#define ROUNDS2(i)                                                                                           \
    ROUNDS(i, s0, s1, w);                                                                                    \
    ROUNDS(i, t0, t1, v)
    ALL_ROUNDS(ROUNDS2);
#undef ROUNDS2
    store_state(s, _mm_add_epi32(s0, a0), _mm_add_epi32(s1, a1));
    store_state(t, _mm_add_epi32(t0, c0), _mm_add_epi32(t1, c1));
}

/* Four independent messages interleaved: the round instruction's latency is still not hidden by
 * two (measured here: a token costs 15% less four at a time than two at a time). */
SHANI static void compress4(uint32_t s[4][8], const unsigned char *const b[4]) {
    /* named registers, not arrays: indexed __m128i arrays are kept in memory by the compiler */
    __m128i p0, p1, pw[4], q0, q1, qw[4], r0, r1, rw[4], t0, t1, tw[4];
    load_state(s[0], &p0, &p1);
    load_state(s[1], &q0, &q1);
    load_state(s[2], &r0, &r1);
    load_state(s[3], &t0, &t1);
    __m128i pa = p0, pb = p1, qa = q0, qb = q1, ra = r0, rb = r1, ta = t0, tb = t1;
    load_block(b[0], pw);
    load_block(b[1], qw);
    load_block(b[2], rw);
    load_block(b[3], tw);
#define ROUNDS4(i)                                                                                           \
    ROUNDS(i, p0, p1, pw);                                                                                   \
    ROUNDS(i, q0, q1, qw);                                                                                   \
    ROUNDS(i, r0, r1, rw);                                                                                   \
    ROUNDS(i, t0, t1, tw)
    ALL_ROUNDS(ROUNDS4);
#undef ROUNDS4
    store_state(s[0], _mm_add_epi32(p0, pa), _mm_add_epi32(p1, pb));
    store_state(s[1], _mm_add_epi32(q0, qa), _mm_add_epi32(q1, qb));
    store_state(s[2], _mm_add_epi32(r0, ra), _mm_add_epi32(r1, rb));
    store_state(s[3], _mm_add_epi32(t0, ta), _mm_add_epi32(t1, tb));
}

/* The eight words as big-endian bytes (a SHA-256 digest), then as 64 lowercase hex digits:
 * each nibble looked up in a 16-byte table with a byte shuffle. */
SHANI void mg_sha256ni_hex(const uint32_t state[8], unsigned char out[64]) {
    const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bll, 0x0405060700010203ll);
    const __m128i digits =
        _mm_setr_epi8('0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'c', 'd', 'e', 'f');
    const __m128i low = _mm_set1_epi8(0x0f);
    for (int k = 0; k < 2; k++) {
        __m128i v = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(state + 4 * k)), bswap);
        __m128i hi = _mm_shuffle_epi8(digits, _mm_and_si128(_mm_srli_epi16(v, 4), low));
        __m128i lo = _mm_shuffle_epi8(digits, _mm_and_si128(v, low));
        _mm_storeu_si128((__m128i *)(out + 32 * k), _mm_unpacklo_epi8(hi, lo));
        _mm_storeu_si128((__m128i *)(out + 32 * k + 16), _mm_unpackhi_epi8(hi, lo));
    }
}

SHANI void mg_sha256ni_digest_bytes(const uint32_t state[8], unsigned char out[32]) {
    const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bll, 0x0405060700010203ll);
    for (int k = 0; k < 2; k++)
        _mm_storeu_si128((__m128i *)(out + 16 * k),
                         _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(state + 4 * k)), bswap));
}

bool mg_sha256ni_available(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
    if (!(b & (1u << 29))) return false; /* SHA */
    if (!__get_cpuid(1, &a, &b, &c, &d)) return false;
    return (c & (1u << 19)) && (c & (1u << 9)); /* SSE4.1, SSSE3 */
}

void mg_sha256ni_compress(uint32_t state[8], const unsigned char block[64]) { compress1(state, block); }

void mg_sha256ni_compress2(uint32_t s1[8], const unsigned char b1[64], uint32_t s2[8],
                           const unsigned char b2[64]) {
    compress2(s1, b1, s2, b2);
}

void mg_sha256ni_compress4(uint32_t states[4][8], const unsigned char *const blocks[4]) {
    compress4(states, blocks);
}
#else
/* Without the extensions nothing here is called (mg_sha256ni_available() is false); the two
 * conversions stay correct in plain C all the same. */
void mg_sha256ni_digest_bytes(const uint32_t state[8], unsigned char out[32]) {
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 4; j++)
            out[4 * i + j] = (unsigned char)(state[i] >> (24 - 8 * j));
}

void mg_sha256ni_hex(const uint32_t state[8], unsigned char out[64]) {
    static const char digits[] = "0123456789abcdef";
    unsigned char bytes[32];
    mg_sha256ni_digest_bytes(state, bytes);
    for (int i = 0; i < 32; i++) {
        out[2 * i] = (unsigned char)digits[bytes[i] >> 4];
        out[2 * i + 1] = (unsigned char)digits[bytes[i] & 0x0f];
    }
}

bool mg_sha256ni_available(void) { return false; }
void mg_sha256ni_compress(uint32_t state[8], const unsigned char block[64]) {
    (void)state;
    (void)block;
}
void mg_sha256ni_compress2(uint32_t s1[8], const unsigned char b1[64], uint32_t s2[8],
                           const unsigned char b2[64]) {
    (void)s1, (void)b1, (void)s2, (void)b2;
}
void mg_sha256ni_compress4(uint32_t states[4][8], const unsigned char *const blocks[4]) {
    (void)states, (void)blocks;
}
#endif

/* ---- streams ---- */

#define BLOCK ((size_t)64)
#define LEN_AT ((size_t)56) /* the bit length fills the last 8 bytes of the last block */

static const uint32_t H0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                               0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

void mg_sha256_stream_init(mg_sha256_stream *s) {
    memcpy(s->h, H0, sizeof s->h);
    s->npart = 0;
    s->total = 0;
}

/* Completes s's partial block from *p; compresses it when full. */
static void top_up(mg_sha256_stream *s, const unsigned char **p, size_t *n) {
    if (!s->npart || !*n) return;
    size_t k = BLOCK - s->npart < *n ? BLOCK - s->npart : *n;
    memcpy(s->part + s->npart, *p, k);
    s->npart += k;
    *p += k;
    *n -= k;
    if (s->npart == BLOCK) {
        mg_sha256ni_compress(s->h, s->part);
        s->npart = 0;
    }
}

static void keep_tail(mg_sha256_stream *s, const unsigned char *p, size_t n) {
    memcpy(s->part, p, n);
    s->npart = n;
}

void mg_sha256_stream_update2(mg_sha256_stream *a, const void *pa, size_t na, mg_sha256_stream *b,
                              const void *pb, size_t nb) {
    const unsigned char *x = pa, *y = pb;
    a->total += na;
    b->total += nb;
    top_up(a, &x, &na);
    top_up(b, &y, &nb);
    while (na >= BLOCK && nb >= BLOCK) {
        mg_sha256ni_compress2(a->h, x, b->h, y);
        x += BLOCK, na -= BLOCK;
        y += BLOCK, nb -= BLOCK;
    }
    for (; na >= BLOCK; x += BLOCK, na -= BLOCK)
        mg_sha256ni_compress(a->h, x);
    for (; nb >= BLOCK; y += BLOCK, nb -= BLOCK)
        mg_sha256ni_compress(b->h, y);
    if (na) keep_tail(a, x, na);
    if (nb) keep_tail(b, y, nb);
}

void mg_sha256_stream_final(mg_sha256_stream *s, unsigned char out[32]) {
    uint64_t bits = s->total * 8;
    s->part[s->npart++] = 0x80;
    if (s->npart > LEN_AT) {
        memset(s->part + s->npart, 0, BLOCK - s->npart);
        mg_sha256ni_compress(s->h, s->part);
        s->npart = 0;
    }
    memset(s->part + s->npart, 0, LEN_AT - s->npart);
    for (int i = 0; i < 8; i++)
        s->part[BLOCK - 1 - i] = (unsigned char)(bits >> (8 * i));
    mg_sha256ni_compress(s->h, s->part);
    mg_sha256ni_digest_bytes(s->h, out);
}
