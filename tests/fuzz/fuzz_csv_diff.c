/* Differential libFuzzer target: src/csv (the SIMD scanner with its reference byte-at-a-time
 * path) against the same rules on libcsv (tests/fuzz/csv_ref_libcsv.h). For every input both
 * must deliver the same records with the same fields, byte for byte, and fail with the same
 * code and message (line numbers included). The input is parsed by csv/reader from a file (a
 * memfd read through /proc/self/fd/N) twice: in small reads (32 to 255 bytes, from the input's
 * size: records carried from one read to the next meet the same rules), and in the default reads
 * with the digest; any difference traps. The classification implementations (portable, SSE2,
 * AVX2 where the CPU has them) are compared directly, mask by mask, over the whole input: the
 * reader's walk is the same code for all of them. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "csv/reader.h"
#include "csv/scan.h"
#include "tests/fuzz/csv_ref_libcsv.h"

#define MAX_RECORDS 4096

/* FNV-1a over every record: record number, field count, each field's length and bytes */
static uint64_t mix(uint64_t h, const void *p, size_t n) {
    for (size_t i = 0; i < n; i++) {
        h ^= ((const unsigned char *)p)[i];
        h *= 1099511628211ull;
    }
    return h;
}

static uint64_t fold(uint64_t h, uint64_t record, size_t n, const char *const *f, const size_t *len) {
    h = mix(h, &record, sizeof record);
    h = mix(h, &n, sizeof n);
    for (size_t i = 0; i < n; i++) {
        h = mix(h, &len[i], sizeof len[i]);
        h = mix(h, f[i], len[i]);
    }
    return h;
}

static int ref_row(uint64_t record, size_t n, char **f, const size_t *len, void *ud) {
    uint64_t *h = ud;
    *h = fold(*h, record, n, (const char *const *)f, len);
    return 0;
}

static int new_row(const mg_csv_row *row, void *ud, mg_error *err) {
    uint64_t *h = ud;
    (void)err;
    for (size_t i = 0; i < row->n; i++) /* raw must be the field as written */
        if (row->rawlen[i] < row->len[i] ||
            (row->canon[i] && row->rawlen[i] != row->len[i] && row->raw[i][0] != '"'))
            __builtin_trap();
    *h = fold(*h, row->record, row->n, row->field, row->len);
    return 0;
}

/* The classification is the only step that differs between implementations: every one the CPU
 * has must give the portable one's masks for the whole input (zero-padded to a block). */
static void same_masks(const uint8_t *data, size_t size) {
    static unsigned char buf[65536 + MG_CSV_BLOCK];
    static mg_csv_block want[sizeof buf / MG_CSV_BLOCK], got[sizeof buf / MG_CSV_BLOCK];
    if (size > 65536) return;
    size_t nblocks = (size + MG_CSV_BLOCK - 1) / MG_CSV_BLOCK;
    memcpy(buf, data, size);
    memset(buf + size, 0, nblocks * MG_CSV_BLOCK - size);
    mg_csv_set_impl(MG_CSV_IMPL_PORTABLE);
    mg_csv_classify(buf, nblocks, want);
    static const mg_csv_impl simd[] = {MG_CSV_IMPL_SSE2, MG_CSV_IMPL_AVX2};
    for (int k = 0; k < 2; k++) {
        if (mg_csv_set_impl(simd[k]) != simd[k]) continue; /* the CPU lacks it */
        mg_csv_classify(buf, nblocks, got);
        if (nblocks && memcmp(want, got, nblocks * sizeof *got)) __builtin_trap();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    int fd = memfd_create("csv", 0);
    if (fd < 0) return 0;
    if (size && write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    mg_error want_err = {0}, got_err = {0};
    uint64_t want_h = 0, want_n = 0;
    int want = ref_csv_parse(path, (const char *)data, size, ref_row, &want_h, &want_n, &want_err);
    /* the reader, twice: small reads, then the default reads with the digest */
    for (int k = 0; k < 2; k++) {
        mg_csv_set_read_size(k == 0 ? 32 + size % 224 : 0);
        uint64_t got_h = 0;
        mg_csv_result res;
        memset(&got_err, 0, sizeof got_err);
        int got = mg_csv_stream(path, k == 1, new_row, &got_h, &res, &got_err);
        if (got != want || got_h != want_h) __builtin_trap();
        if (got && strcmp(got_err.message, want_err.message)) __builtin_trap();
        if (!got && res.records != want_n) __builtin_trap();
    }
    mg_csv_set_read_size(0);
    same_masks(data, size);
    mg_csv_set_impl(MG_CSV_IMPL_AUTO);
    close(fd);
    return 0;
}
