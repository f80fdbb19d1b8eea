/* libFuzzer target for webhook/review_load (the webhook's AdmissionReview parser), differential
 * against jansson: whatever jansson (JSON_REJECT_DUPLICATES) accepts must be accepted and equal
 * jansson's tree pruned by the reference keep rules (tests/unit/review_prune_ref.h); whatever we
 * accept, jansson must accept too, except for a duplicate key or a number beyond int64/double
 * inside a dropped part (valid JSON that is never built). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/review_prune_ref.h"
#include "webhook/review_load.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *text = (const char *)data;
    json_t *mine = NULL;
    mg_error err;
    int rc = mg_review_load(text, size, &mine, &err);
    if (memchr(data, 0, size)) {
        /* jansson stops at a NUL byte as if the input ended there; we refuse it */
        if (rc == 0) abort();
        return 0;
    }
    json_error_t je;
    json_t *ref = json_loadb(text, size, JSON_REJECT_DUPLICATES, &je);
    if (!ref) {
        if (rc == 0 && !strstr(je.text, "duplicate") && !strstr(je.text, "too big") &&
            !strstr(je.text, "overflow"))
            abort();
        json_decref(mine);
        return 0;
    }
    if (rc != 0) abort();
    if (json_is_object(ref)) prune_review(ref);
    if (!json_equal(mine, ref)) abort();
    json_decref(mine);
    json_decref(ref);
    return 0;
}
