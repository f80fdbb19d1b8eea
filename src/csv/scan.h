/* csv/scan — classification of CSV bytes 64 at a time, the step that lets the reader find
 * fields without looking at every byte.
 *
 * For each 64-byte block it computes two bit masks (bit i = byte i of the block): `special`,
 * every quote, comma, CR and LF; and `structural`, the commas, CRs and LFs that lie outside
 * quotes (field and record ends), found by a prefix XOR of the quote bits carried across blocks.
 * The reader walks the special bits in order and touches only those bytes.
 *
 * Three implementations give identical masks: AVX2 and SSE2 (x86-64), chosen at run time from
 * the CPU's features, and a portable one (any CPU, also used to check the others in tests and
 * fuzzing). Owns: nothing; pure functions over the caller's memory; the choice is made once,
 * thread-safely, on first use. */
#ifndef MG_CSV_SCAN_H
#define MG_CSV_SCAN_H
#include <stddef.h>
#include <stdint.h>

#define MG_CSV_BLOCK 64

typedef struct mg_csv_block {
    uint64_t special, structural;
} mg_csv_block;

typedef enum { MG_CSV_IMPL_AUTO = 0, MG_CSV_IMPL_PORTABLE, MG_CSV_IMPL_SSE2, MG_CSV_IMPL_AVX2 } mg_csv_impl;

/* Classifies nblocks * 64 bytes of p (the caller pads the last block; padding bytes must be
 * none of the four special bytes, e.g. zeros) into out[0..nblocks). The region starts outside
 * quotes. */
void mg_csv_classify(const unsigned char *p, size_t nblocks, mg_csv_block *out);

/* Forces one implementation (MG_CSV_IMPL_AUTO: the best the CPU has); an implementation the
 * CPU lacks falls back to the best it has. Returns the one in use. For tests, benchmarks and
 * the MG_CSV_IMPL environment variable ("portable", "sse2", "avx2"), read on first use. */
mg_csv_impl mg_csv_set_impl(mg_csv_impl impl);
const char *mg_csv_impl_name(void);

#endif
