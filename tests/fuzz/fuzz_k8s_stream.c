/* libFuzzer target for what the API server sends back: the watch line framer (k8s/linesplit)
 * fed in chunks whose sizes come from the input, compared with a one-shot feed, and the
 * Status-to-error parser on the same bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "k8s/client.h"
#include "k8s/linesplit.h"

typedef struct acc {
    size_t lines, bytes;
} acc;

static int on_line(const char *line, size_t len, void *ud) {
    acc *a = ud;
    if (len == 0 || strlen(line) > len) abort();
    a->lines++;
    a->bytes += len;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *text = (const char *)data;
    mg_linesplit one, many;
    mg_linesplit_init(&one, 256);
    mg_linesplit_init(&many, 256);
    acc a1 = {0}, a2 = {0};
    int rc1 = mg_linesplit_feed(&one, text, size, on_line, &a1);
    int rc2 = 0;
    size_t off = 0, k = 0;
    while (off < size && !rc2) {
        size_t chunk = (size_t)(data[k++ % size] & 31) + 1;
        if (chunk > size - off) chunk = size - off;
        rc2 = mg_linesplit_feed(&many, text + off, chunk, on_line, &a2);
        off += chunk;
    }
    if (rc1 != rc2) abort();
    if (!rc1 && (a1.lines != a2.lines || a1.bytes != a2.bytes ||
                 mg_linesplit_pending(&one) != mg_linesplit_pending(&many)))
        abort();
    mg_linesplit_free(&one);
    mg_linesplit_free(&many);

    mg_error err;
    long status = size ? 400 + data[0] % 200 : 500;
    int code = mg_k8s_status_to_error(status, text, size, size > 1 ? data[1] % 10 : -1, &err);
    if (code >= 0 || err.http_status != status || !err.message[0]) abort();
    return 0;
}
