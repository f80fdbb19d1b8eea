/* libFuzzer target for the CSV reader (src/csv/reader.c):
 * the input is a CSV file (in a memfd, read through /proc/self/fd/N exactly like a file),
 * parsed without the digest in small reads (32 to 255 bytes, from the input's size: records
 * carried across reads) and with the digest in the default reads. Every borrowed field is touched, and the
 * on-demand line lookup runs for some records, so ASan sees any bad pointer. Both parses must
 * agree on the result code and the record count. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "csv/reader.h"

static int on_row_fz(const mg_csv_row *row, void *ud, mg_error *err) {
    size_t *sum = ud;
    for (size_t i = 0; i < row->n; i++) {
        *sum += row->len[i];
        if (row->len[i]) *sum += (unsigned char)row->field[i][row->len[i] - 1];
        if (row->rawlen[i]) *sum += (unsigned char)row->raw[i][row->rawlen[i] - 1];
    }
    if (row->record == 3) {
        char w[64];
        mg_csv_row_where(row, w, sizeof w);
    }
    return 0;
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
    size_t s1 = 0, s2 = 0;
    mg_csv_result r1, r2;
    mg_error err;
    mg_csv_set_read_size(32 + size % 224);
    int rc1 = mg_csv_stream(path, false, on_row_fz, &s1, &r1, &err);
    mg_csv_set_read_size(0);
    int rc2 = mg_csv_stream(path, true, on_row_fz, &s2, &r2, &err);
    if (rc1 != rc2 || (!rc1 && (r1.records != r2.records || s1 != s2))) __builtin_trap();
    close(fd);
    return 0;
}
