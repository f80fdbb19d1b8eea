/* libFuzzer target for the compact store (k8s/store): an object from the API server (any bytes
 * that parse as one, as the informer parses them) comes back from the compact store equal to what
 * was put, whatever its metadata and strings hold — the name, namespace and resourceVersion left
 * out of the stored text and put back, uids and hex runs packed (k8s/hexpack) and unpacked, the
 * text deflated against the store's dictionary (the first object put). Also: its key and
 * resourceVersion are listed as put, a lookup by an index value it is filed under finds it, a
 * replace hands back the old object, and a delete leaves the store empty. Any difference
 * aborts. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "k8s/jsonparse.h"
#include "k8s/store.h"

/* Files an object under every string member of its spec (prefixed, as the policy indexes are). */
static _Thread_local char values[64][256];
static size_t by_spec_strings(const json_t *obj, const char **out, size_t max) {
    size_t n = 0;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)json_object_get(obj, "spec"), k, v) {
        if (n >= max || n >= 64 || !json_is_string(v)) continue;
        snprintf(values[n], sizeof(values[n]), "%s=%s", k, json_string_value(v));
        out[n] = values[n];
        n++;
    }
    return n;
}

static void check_equal(json_t *got, json_t *want) {
    if (!got || !json_equal(got, want)) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    json_t *obj = mg_k8s_json_parse((const char *)data, size, MG_JSON_STRIP_OBJECT, NULL);
    if (!json_is_object(obj)) {
        json_decref(obj);
        return 0;
    }
    /* the store's first object is its dictionary: put a fixed one first, then the input, so both
     * the dictionary and a later object are the fuzzer's (the second store) */
    json_t *first = json_pack("{s:s, s:{s:s, s:s, s:s, s:s}, s:{s:s}}", "kind", "ModelReview", "metadata",
                              "name", "m-1", "namespace", "idx", "resourceVersion", "7", "uid",
                              "365c32d3-85f1-4bdf-86ec-5899d250403e", "spec", "digest",
                              "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
    for (int round = 0; round < 2; round++) {
        mg_store *s = mg_store_new_compact();
        if (mg_store_add_index(s, "spec", by_spec_strings) != 0) abort();
        if (round == 0) mg_store_put(s, first);
        mg_store_put(s, obj);
        char key[512];
        mg_store_key_of(obj, key, sizeof(key));

        json_t *got = mg_store_get(s, key);
        check_equal(got, obj);
        json_decref(got);

        json_t *versions = mg_store_versions(s);
        /* the rv as a C string, "" when there is none (what mg_store_versions lists) */
        const char *rv =
            json_string_value(json_object_get(json_object_get(obj, "metadata"), "resourceVersion"));
        const char *listed = json_string_value(json_object_get(versions, key));
        if (!listed || strcmp(listed, rv ? rv : "")) abort();
        json_decref(versions);

        const char *vals[64];
        size_t nv = by_spec_strings(obj, vals, 64);
        for (size_t i = 0; i < nv; i++) {
            char value[256];
            snprintf(value, sizeof(value), "%s", vals[i]);
            json_t *found = mg_store_by_index(s, "spec", value);
            bool seen = false;
            size_t j;
            json_t *o;
            json_array_foreach(found, j, o) seen |= json_equal(o, obj);
            json_decref(found);
            if (!seen) abort();
        }

        json_t *old = mg_store_replace(s, obj);
        check_equal(old, obj);
        json_decref(old);
        if (!mg_store_delete(s, key)) abort();
        if (mg_store_len(s) != (round == 0 && strcmp(key, "idx/m-1") ? 1u : 0u)) abort();
        mg_store_free(s);
    }
    json_decref(first);
    json_decref(obj);
    return 0;
}
