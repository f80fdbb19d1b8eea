#include "csv/scan.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

/* Bit i of the result is the XOR of bits 0..i of x: 1 inside a quoted region (the opening
 * quote included, the closing one excluded). */
static inline uint64_t prefix_xor(uint64_t x) {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    return x;
}

/* Turns the raw per-byte masks of one block into the block's two masks; carry is all ones
 * when the previous block ended inside quotes. */
static inline mg_csv_block finish(uint64_t quote, uint64_t sep, uint64_t *carry) {
    uint64_t inside = prefix_xor(quote) ^ *carry;
    *carry = (uint64_t)((int64_t)inside >> 63);
    return (mg_csv_block){.special = quote | sep, .structural = sep & ~inside};
}

static void classify_portable(const unsigned char *p, size_t nblocks, mg_csv_block *out) {
    uint64_t carry = 0;
    for (size_t b = 0; b < nblocks; b++, p += MG_CSV_BLOCK) {
        uint64_t quote = 0, sep = 0;
        for (unsigned i = 0; i < MG_CSV_BLOCK; i++) {
            unsigned char c = p[i];
            quote |= (uint64_t)(c == '"') << i;
            sep |= (uint64_t)(c == ',' || c == '\r' || c == '\n') << i;
        }
        out[b] = finish(quote, sep, &carry);
    }
}

#if defined(__x86_64__)
static inline uint64_t mask16(__m128i v, __m128i c) {
    return (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, c));
}

static void classify_sse2(const unsigned char *p, size_t nblocks, mg_csv_block *out) {
    const __m128i q = _mm_set1_epi8('"'), d = _mm_set1_epi8(','), cr = _mm_set1_epi8('\r'),
                  lf = _mm_set1_epi8('\n');
    uint64_t carry = 0;
    for (size_t b = 0; b < nblocks; b++, p += MG_CSV_BLOCK) {
        uint64_t quote = 0, sep = 0;
        for (unsigned k = 0; k < 4; k++) {
            __m128i v = _mm_loadu_si128((const __m128i *)(p + 16 * k));
            __m128i s = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, d), _mm_cmpeq_epi8(v, cr)),
                                     _mm_cmpeq_epi8(v, lf));
            quote |= mask16(v, q) << (16 * k);
            sep |= (uint64_t)(uint16_t)_mm_movemask_epi8(s) << (16 * k);
        }
        out[b] = finish(quote, sep, &carry);
    }
}

__attribute__((target("avx2"))) static void classify_avx2(const unsigned char *p, size_t nblocks,
                                                          mg_csv_block *out) {
    const __m256i q = _mm256_set1_epi8('"'), d = _mm256_set1_epi8(','), cr = _mm256_set1_epi8('\r'),
                  lf = _mm256_set1_epi8('\n');
    uint64_t carry = 0;
    for (size_t b = 0; b < nblocks; b++, p += MG_CSV_BLOCK) {
        __m256i v0 = _mm256_loadu_si256((const __m256i *)p),
                v1 = _mm256_loadu_si256((const __m256i *)(p + 32));
        __m256i s0 = _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(v0, d), _mm256_cmpeq_epi8(v0, cr)),
                                     _mm256_cmpeq_epi8(v0, lf));
        __m256i s1 = _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(v1, d), _mm256_cmpeq_epi8(v1, cr)),
                                     _mm256_cmpeq_epi8(v1, lf));
        uint64_t quote = (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v0, q)) |
                         (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v1, q)) << 32;
        uint64_t sep =
            (uint64_t)(uint32_t)_mm256_movemask_epi8(s0) | (uint64_t)(uint32_t)_mm256_movemask_epi8(s1) << 32;
        out[b] = finish(quote, sep, &carry);
    }
}
#endif

typedef void (*classify_fn)(const unsigned char *, size_t, mg_csv_block *);

static classify_fn impl_fn = classify_portable;
static mg_csv_impl impl_id = MG_CSV_IMPL_PORTABLE;
static pthread_once_t impl_once = PTHREAD_ONCE_INIT;

static mg_csv_impl best_available(mg_csv_impl want) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    bool avx2 = __builtin_cpu_supports("avx2");
    if (want == MG_CSV_IMPL_PORTABLE) return MG_CSV_IMPL_PORTABLE;
    if (want == MG_CSV_IMPL_SSE2 || !avx2) return MG_CSV_IMPL_SSE2;
    return MG_CSV_IMPL_AVX2;
#else
    (void)want;
    return MG_CSV_IMPL_PORTABLE;
#endif
}

static void install(mg_csv_impl id) {
    impl_id = id;
    impl_fn = classify_portable;
#if defined(__x86_64__)
    if (id == MG_CSV_IMPL_SSE2) impl_fn = classify_sse2;
    if (id == MG_CSV_IMPL_AVX2) impl_fn = classify_avx2;
#endif
}

static void choose_from_env(void) {
    const char *e = getenv("MG_CSV_IMPL");
    mg_csv_impl want = MG_CSV_IMPL_AUTO;
    if (e && !strcmp(e, "portable")) want = MG_CSV_IMPL_PORTABLE;
    if (e && !strcmp(e, "sse2")) want = MG_CSV_IMPL_SSE2;
    if (e && !strcmp(e, "avx2")) want = MG_CSV_IMPL_AVX2;
    install(best_available(want));
}

void mg_csv_classify(const unsigned char *p, size_t nblocks, mg_csv_block *out) {
    pthread_once(&impl_once, choose_from_env);
    impl_fn(p, nblocks, out);
}

mg_csv_impl mg_csv_set_impl(mg_csv_impl impl) {
    pthread_once(&impl_once, choose_from_env);
    install(best_available(impl));
    return impl_id;
}

const char *mg_csv_impl_name(void) {
    pthread_once(&impl_once, choose_from_env);
    static const char *const names[] = {"auto", "portable", "sse2", "avx2"};
    return names[impl_id];
}
