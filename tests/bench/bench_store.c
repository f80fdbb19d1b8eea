/* bench_store — what the store (k8s/store) costs per object in each mode, in one run: N
 * ModelReview-like objects (default 30,000; three reviews per model version, each with its own
 * uid, the version's uid and a random sha256 digest, as a registry gives them) put into a tree
 * store and a compact store, each with the webhook's two review indexes (by version uid, by
 * digest). For each mode: heap bytes per object (mallinfo2 before and after the puts), a get by
 * key (every key, five rounds) and a lookup by index (every version uid, five rounds, three
 * objects each) in microseconds of CPU, the objects parsed and released as admission does.
 * Prints one line of key=value figures.
 * Usage: bench_store [N] */
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/mem.h"
#include "k8s/store.h"

#define ROUNDS 5

static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* xorshift64: a fixed sequence, so that every run and every build stores the same objects */
static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next_random(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void random_hex(char *out, size_t digits) {
    for (size_t i = 0; i < digits; i++)
        out[i] = "0123456789abcdef"[next_random() & 15];
    out[digits] = '\0';
}

static void random_uid(char out[37]) {
    random_hex(out, 36);
    out[8] = out[13] = out[18] = out[23] = '-';
}

static const char *spec_field(const json_t *obj, const char *field) {
    return json_string_value(json_object_get(json_object_get(obj, "spec"), field));
}
static _Thread_local char key_buf[2][400];
static size_t ns_value(const json_t *obj, const char *field, int buf, const char **out, size_t max) {
    const char *v = spec_field(obj, field);
    const char *ns = json_string_value(json_object_get(json_object_get(obj, "metadata"), "namespace"));
    if (!v || !ns || !max) return 0;
    snprintf(key_buf[buf], sizeof(key_buf[buf]), "%s|%s", ns, v);
    out[0] = key_buf[buf];
    return 1;
}
static size_t by_uid(const json_t *o, const char **out, size_t max) {
    return ns_value(o, "modelVersionUID", 0, out, max);
}
static size_t by_digest(const json_t *o, const char **out, size_t max) {
    return ns_value(o, "digest", 1, out, max);
}

typedef struct figures {
    double bytes_per_object, get_us, lookup_us;
} figures;

static figures run(bool compact, json_t *objects, json_t *version_uids) {
    figures f = {0};
    size_t n = json_array_size(objects);
    struct mallinfo2 before = mallinfo2();
    mg_store *s = compact ? mg_store_new_compact() : mg_store_new();
    mg_store_add_index(s, "uid", by_uid);
    mg_store_add_index(s, "digest", by_digest);
    size_t i;
    json_t *o;
    json_array_foreach(objects, i, o) {
        json_t *copy = json_deep_copy(o); /* the store's own, as an informer hands it over */
        mg_store_put(s, copy);
        json_decref(copy);
    }
    struct mallinfo2 after = mallinfo2();
    f.bytes_per_object = (double)(after.uordblks - before.uordblks) / (double)n;

    json_t *keys = mg_store_keys(s);
    size_t found = 0;
    double t0 = cpu_now();
    for (int r = 0; r < ROUNDS; r++) {
        json_t *k;
        json_array_foreach(keys, i, k) {
            json_t *got = mg_store_get(s, json_string_value(k));
            found += got != NULL;
            json_decref(got);
        }
    }
    f.get_us = (cpu_now() - t0) * 1e6 / (double)(ROUNDS * json_array_size(keys));
    if (found != ROUNDS * json_array_size(keys)) {
        fprintf(stderr, "bench_store: a get found nothing\n");
        exit(1);
    }
    json_decref(keys);

    size_t matched = 0;
    t0 = cpu_now();
    for (int r = 0; r < ROUNDS; r++) {
        json_t *uid;
        json_array_foreach(version_uids, i, uid) {
            char value[400];
            snprintf(value, sizeof(value), "reviews|%s", json_string_value(uid));
            json_t *arr = mg_store_by_index(s, "uid", value);
            matched += json_array_size(arr);
            json_decref(arr);
        }
    }
    f.lookup_us = (cpu_now() - t0) * 1e6 / (double)(ROUNDS * json_array_size(version_uids));
    if (matched != ROUNDS * n) {
        fprintf(stderr, "bench_store: lookups found %zu objects, not %zu\n", matched, ROUNDS * n);
        exit(1);
    }
    mg_store_free(s);
    return f;
}

int main(int argc, char **argv) {
    mg_mem_init();
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 30000;
    if (n < 3) n = 3;
    static const char *const kinds[] = {"security", "performance", "bias"};
    json_t *objects = json_array(), *version_uids = json_array();
    char version_uid[37], uid[37], digest[65];
    for (size_t i = 0; i < n; i++) {
        if (i % 3 == 0) {
            random_uid(version_uid);
            random_hex(digest, 64);
            json_array_append_new(version_uids, json_string(version_uid));
        }
        random_uid(uid);
        char name[64], version[32], rv[32], created[32];
        snprintf(version, sizeof(version), "m-%05zu", i / 3);
        snprintf(name, sizeof(name), "%s-%s", version, kinds[i % 3]);
        snprintf(rv, sizeof(rv), "%zu", 1000 + i);
        snprintf(created, sizeof(created), "2026-12-05T23:%02zu:%02zuZ", i / 60 % 60, i % 60);
        json_t *o = json_pack(
            "{s:s, s:s, s:{s:s, s:i, s:s, s:s, s:s, s:s}, s:{s:s+, s:s, s:s, s:s, s:s, s:s}}", "apiVersion",
            "mlops.modelgov.io/v1alpha1", "kind", "ModelReview", "metadata", "creationTimestamp", created,
            "generation", 1, "name", name, "namespace", "reviews", "resourceVersion", rv, "uid", uid, "spec",
            "digest", "sha256:", digest, "kind", kinds[i % 3], "modelVersion", version, "modelVersionUID",
            version_uid, "reviewer", i % 2 ? "alice" : "carol", "verdict", "approve");
        if (!o) return 1;
        json_array_append_new(objects, o);
    }
    figures tree = run(false, objects, version_uids), compact = run(true, objects, version_uids);
    printf("objects=%zu tree_bytes=%.0f compact_bytes=%.0f tree_get_us=%.3f compact_get_us=%.3f "
           "tree_lookup_us=%.3f compact_lookup_us=%.3f\n",
           n, tree.bytes_per_object, compact.bytes_per_object, tree.get_us, compact.get_us, tree.lookup_us,
           compact.lookup_us);
    json_decref(objects);
    json_decref(version_uids);
    return 0;
}
