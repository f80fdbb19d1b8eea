/* libFuzzer target for how the informers read what the API server sends: the input is put as
 * one item between two ordinary objects of a List page, and as the object of a watch event.
 * Whatever the input, the page and the event must not fail because of it when it is valid JSON
 * on its own: it is either read (equal to its own stripped parse) or left out and reported (a
 * limit: nesting, a NUL in a key, a number beyond double), and the ordinary items around it are
 * always read. Invalid input may fail the page, never crash. Its own parse is also compared
 * with jansson (JSON_ALLOW_NUL): the same, except integers beyond int64 that we read as reals. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "k8s/informer.h"
#include "k8s/jsonparse.h"

#define PAGE_MAX ((size_t)64 << 20)

static void count(void *ud, size_t offset, const char *why) {
    (void)offset;
    (void)why;
    (*(int *)ud)++;
}

static const char *name_of(const json_t *o) {
    return json_string_value(json_object_get(json_object_get(o, "metadata"), "name"));
}

static void check_jansson(const char *text, size_t size, const json_t *mine) {
    if (memchr(text, 0, size)) return; /* jansson stops at a NUL byte as if the input ended */
    json_error_t je;
    json_t *ref = json_loadb(text, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    if (ref && (!mine || !json_equal(mine, ref))) abort();
    if (!ref && mine && !strstr(je.text, "too big")) abort();
    json_decref(ref);
}

/* The List page: a, the input, b. */
static void check_list(const char *text, size_t size, const json_t *alone) {
    mg_buf page;
    mg_buf_init(&page, PAGE_MAX);
    mg_buf_append_str(&page, "{\"kind\":\"PodList\",\"items\":[{\"metadata\":{\"name\":\"a\"}},");
    mg_buf_append(&page, text, size);
    mg_buf_append_str(&page, ",{\"metadata\":{\"name\":\"b\"}}]}");
    int skipped = 0;
    json_t *list = mg_k8s_json_parse_ex(page.data, page.len, MG_JSON_STRIP_LIST, count, &skipped, NULL);
    mg_buf_free(&page);
    if (alone && !list) abort(); /* valid on its own: the page must be read */
    json_t *items = json_object_get(list, "items");
    size_t n = json_array_size(items);
    /* Only an input that is one JSON value keeps the page's shape: an invalid one may close the
     * items array and go on with the page (`{}],"x":[1` makes a valid page whose items end
     * early), which is no defect. */
    if (alone && list &&
        (n < 2 || strcmp(name_of(json_array_get(items, 0)) ? name_of(json_array_get(items, 0)) : "", "a") ||
         strcmp(name_of(json_array_get(items, n - 1)) ? name_of(json_array_get(items, n - 1)) : "", "b")))
        abort();
    if (alone) {
        if (skipped == 0) { /* read: the middle item is the input, stripped like an object */
            json_t *want = json_deep_copy(alone);
            if (json_is_object(want)) mg_k8s_strip(want);
            if (n != 3 || !json_equal(json_array_get(items, 1), want)) abort();
            json_decref(want);
        } else if (skipped != 1 || n != 2) { /* left out: nesting two levels deeper than alone */
            abort();
        }
    }
    json_decref(list);
}

/* The watch event: {"type":"MODIFIED","object":<input>}. */
static void check_event(const char *text, size_t size, const json_t *alone) {
    mg_buf line;
    mg_buf_init(&line, PAGE_MAX);
    mg_buf_append_str(&line, "{\"type\":\"MODIFIED\",\"object\":");
    mg_buf_append(&line, text, size);
    mg_buf_append_str(&line, "}");
    mg_watch_event ev;
    int rc = mg_watch_event_parse(line.data, line.len, &ev, NULL);
    mg_buf_free(&line);
    if (alone && json_is_object(alone)) {
        if (rc != 0) abort();
        if (ev.object) {
            json_t *want = json_deep_copy(alone);
            mg_k8s_strip(want);
            if (!json_equal(ev.object, want)) abort();
            json_decref(want);
        } else if (!ev.skipped[0]) {
            abort();
        }
    } else if (alone && rc == 0) { /* a scalar or an array is no object */
        abort();
    }
    json_decref(ev.object);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *text = (const char *)data;
    json_t *alone = mg_k8s_json_parse(text, size, MG_JSON_STRIP_NONE, NULL);
    check_jansson(text, size, alone);
    check_list(text, size, alone);
    check_event(text, size, alone);
    json_decref(alone);
    return 0;
}
