/* CSV parsing benchmark for hack/bench/bench-plugin.sh: bench_csv FILE
 * Parses FILE with src/csv (csv/reader: the 64-byte classification, AVX2/SSE2/portable) and
 * with the same rules on libcsv (tests/fuzz/csv_ref_libcsv.h, the library it replaces), each
 * consumer touching every field's length and last byte, best of 3 runs, and prints the CPU
 * seconds of each (this process, one thread: no digest) and the records, which must agree:
 *   csv <impl> <cpu s> <records>   (impl: avx2, sse2, portable, libcsv) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>

#include "csv/reader.h"
#include "csv/scan.h"
#include "tests/fuzz/csv_ref_libcsv.h"

#define RUNS 3

static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int new_row(const mg_csv_row *row, void *ud, mg_error *err) {
    uint64_t *sum = ud;
    (void)err;
    for (size_t i = 0; i < row->n; i++)
        *sum += row->len[i] + (row->len[i] ? (unsigned char)row->field[i][row->len[i] - 1] : 0);
    return 0;
}

static int ref_row(uint64_t record, size_t n, char **f, const size_t *len, void *ud) {
    uint64_t *sum = ud;
    (void)record;
    for (size_t i = 0; i < n; i++)
        *sum += len[i] + (len[i] ? (unsigned char)f[i][len[i] - 1] : 0);
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: bench_csv FILE\n");
        return 2;
    }
    static const mg_csv_impl impls[] = {MG_CSV_IMPL_AVX2, MG_CSV_IMPL_SSE2, MG_CSV_IMPL_PORTABLE};
    uint64_t want = 0;
    for (size_t k = 0; k < sizeof impls / sizeof *impls; k++) {
        if (mg_csv_set_impl(impls[k]) != impls[k]) continue; /* the CPU lacks it */
        double best = 1e99;
        uint64_t records = 0, sum = 0;
        for (int r = 0; r < RUNS; r++) {
            mg_csv_result res;
            mg_error err;
            sum = 0;
            double t0 = cpu_now();
            if (mg_csv_stream(argv[1], false, new_row, &sum, &res, &err)) {
                fprintf(stderr, "bench_csv: %s\n", err.message);
                return 1;
            }
            double t = cpu_now() - t0;
            best = t < best ? t : best;
            records = res.records;
        }
        want = sum;
        printf("csv %s %.3f %llu\n", mg_csv_impl_name(), best, (unsigned long long)records);
    }
    /* libcsv works on memory here (the file mapped), which spares it the reads */
    FILE *f = fopen(argv[1], "rb");
    struct stat st;
    if (!f || fstat(fileno(f), &st) != 0) return 1;
    const char *data = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fileno(f), 0);
    if (data == MAP_FAILED) return 1;
    double best = 1e99;
    uint64_t records = 0, sum = 0;
    for (int r = 0; r < RUNS; r++) {
        mg_error err;
        sum = 0;
        double t0 = cpu_now();
        if (ref_csv_parse(argv[1], data, (size_t)st.st_size, ref_row, &sum, &records, &err)) return 1;
        double t = cpu_now() - t0;
        best = t < best ? t : best;
    }
    printf("csv libcsv %.3f %llu\n", best, (unsigned long long)records);
    if (sum != want) {
        fprintf(stderr, "bench_csv: libcsv and src/csv disagree on the fields\n");
        return 1;
    }
    return 0;
}
