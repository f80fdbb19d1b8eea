/* libFuzzer target for k8s/jsonparse, differential against jansson (JSON_ALLOW_NUL, as the
 * informers read NUL characters in strings): both must accept or refuse the same bytes and build
 * equal trees, except that we also read integers beyond int64 (as reals, like the API server's
 * Go decoders); each strip mode must equal a plain parse followed by mg_k8s_strip on the objects
 * it names; the dumper must read back equal. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "k8s/informer.h"
#include "k8s/jsonparse.h"

static void strip_items(json_t *list) {
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(list, "items"), i, it) {
        if (json_is_object(it)) mg_k8s_strip(it);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *text = (const char *)data;
    json_t *mine = mg_k8s_json_parse(text, size, MG_JSON_STRIP_NONE, NULL);
    if (memchr(data, 0, size)) {
        /* jansson stops at a NUL byte as if the input ended there; we refuse it */
        if (mine) abort();
        return 0;
    }
    json_error_t je;
    json_t *ref = json_loadb(text, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    if (ref && !mine) abort();
    if (!ref && mine) {
        if (!strstr(je.text, "too big")) abort();
        json_decref(mine);
        return 0;
    }
    if (!mine) return 0;
    if (!json_equal(mine, ref)) abort();

    /* strip modes */
    json_t *obj = mg_k8s_json_parse(text, size, MG_JSON_STRIP_OBJECT, NULL);
    json_t *ev = mg_k8s_json_parse(text, size, MG_JSON_STRIP_EVENT, NULL);
    json_t *list = mg_k8s_json_parse(text, size, MG_JSON_STRIP_LIST, NULL);
    if (!obj || !ev || !list) abort();
    if (json_is_object(ref)) {
        json_t *want = json_deep_copy(ref);
        mg_k8s_strip(want);
        if (!json_equal(obj, want)) abort();
        json_decref(want);
        want = json_deep_copy(ref);
        json_t *o = json_object_get(want, "object");
        if (json_is_object(o)) mg_k8s_strip(o);
        if (!json_equal(ev, want)) abort();
        json_decref(want);
        want = json_deep_copy(ref);
        strip_items(want);
        if (!json_equal(list, want)) abort();
        json_decref(want);
    } else if (!json_equal(obj, ref) || !json_equal(ev, ref) || !json_equal(list, ref)) {
        abort();
    }

    /* dump round trip */
    mg_buf out;
    mg_buf_init(&out, (size_t)64 << 20);
    if (mg_k8s_json_dump(mine, &out)) abort();
    json_t *back = mg_k8s_json_parse(out.data, out.len, MG_JSON_STRIP_NONE, NULL);
    if (!back || !json_equal(back, mine)) abort();
    json_decref(back);
    mg_buf_free(&out);
    json_decref(obj);
    json_decref(ev);
    json_decref(list);
    json_decref(mine);
    json_decref(ref);
    return 0;
}
