/* core/yaml — libyaml event stream → jansson tree, and a block-YAML dumper.
 *
 * Loading is driven by parser events with an explicit stack (no recursion on input depth).
 * Anchored values are remembered per document; an alias inserts a deep copy of the value, and
 * the total number of nodes produced by aliases is capped (alias bombs). Merge keys ("<<")
 * are honoured as Kubernetes' YAML library does: explicit keys win over merged ones. */
#include "core/yaml.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "core/buf.h"
#include "core/mem.h"

#define YAML_MAX_DEPTH 512
#define YAML_MAX_ALIAS_NODES 100000
#define YAML_MAX_FILE_BYTES (64u << 20)

typedef struct anchor {
    char *name;
    json_t *value; /* own reference */
    size_t nodes;
} anchor;

typedef struct frame {
    json_t *container; /* own reference until attached to its parent */
    bool is_map;
    char *key; /* map: pending key, or NULL when the next scalar is a key */
    size_t key_len;
    bool key_is_merge; /* pending key is a plain "<<" */
    yaml_mark_t key_mark;
    char *anchor;   /* anchor of this container, registered at its end */
    json_t *merges; /* array of objects from "<<" keys, or NULL */
} frame;

typedef struct loader {
    const char *name;
    mg_error *err;
    frame stack[YAML_MAX_DEPTH];
    int depth;
    anchor *anchors;
    size_t nanchors, anchors_cap;
    size_t alias_nodes;
    json_t *root; /* finished root of the current document */
    bool have_root;
} loader;

static int fail_at(loader *L, yaml_mark_t m, int code, const char *msg, const char *detail) {
    return mg_error_set(L->err, code, "%s:%zu:%zu: %s%s%s", L->name, m.line + 1, m.column + 1, msg,
                        detail ? " " : "", detail ? detail : "");
}

/* ---- scalar resolution (YAML 1.2 core schema) ---- */

static bool all_in(const char *s, size_t n, const char *set) {
    if (n == 0) return false;
    for (size_t i = 0; i < n; i++)
        if (!strchr(set, s[i]) || s[i] == '\0') return false;
    return true;
}

static bool is_null_text(const char *s, size_t n) {
    return n == 0 || (n == 1 && s[0] == '~') ||
           (n == 4 && (!memcmp(s, "null", 4) || !memcmp(s, "Null", 4) || !memcmp(s, "NULL", 4)));
}

static int bool_text(const char *s, size_t n) {
    if (n == 4 && (!memcmp(s, "true", 4) || !memcmp(s, "True", 4) || !memcmp(s, "TRUE", 4))) return 1;
    if (n == 5 && (!memcmp(s, "false", 5) || !memcmp(s, "False", 5) || !memcmp(s, "FALSE", 5))) return 0;
    return -1;
}

/* Integer per the core schema: [-+]?[0-9]+ | 0o[0-7]+ | 0x[0-9a-fA-F]+. Returns 1 and sets
 * *out for an integer in range, 2 for a decimal integer out of int64 range, 0 otherwise. */
static int int_text(const char *s, size_t n, json_int_t *out) {
    char tmp[72];
    if (n == 0 || n >= sizeof(tmp)) {
        if (n >= sizeof(tmp)) {
            size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
            if (i < n && all_in(s + i, n - i, "0123456789")) return 2;
        }
        return 0;
    }
    int base = 10;
    size_t i = 0;
    bool neg = false;
    if (n > 2 && s[0] == '0' && s[1] == 'o' && all_in(s + 2, n - 2, "01234567")) {
        base = 8;
        i = 2;
    } else if (n > 2 && s[0] == '0' && s[1] == 'x' && all_in(s + 2, n - 2, "0123456789abcdefABCDEF")) {
        base = 16;
        i = 2;
    } else {
        if (s[0] == '-' || s[0] == '+') {
            neg = s[0] == '-';
            i = 1;
        }
        if (!all_in(s + i, n - i, "0123456789")) return 0;
    }
    memcpy(tmp, s + i, n - i);
    tmp[n - i] = '\0';
    errno = 0;
    unsigned long long v = strtoull(tmp, NULL, base);
    if (errno == ERANGE) return base == 10 ? 2 : 0;
    if (neg) {
        if (v > (unsigned long long)LLONG_MAX + 1ull) return 2;
        *out = v == (unsigned long long)LLONG_MAX + 1ull ? LLONG_MIN : -(json_int_t)v;
    } else {
        if (v > (unsigned long long)LLONG_MAX) return base == 10 ? 2 : 0;
        *out = (json_int_t)v;
    }
    return 1;
}

/* Float per the core schema: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
static bool float_text(const char *s, size_t n, double *out) {
    size_t i = 0;
    if (i < n && (s[i] == '-' || s[i] == '+')) i++;
    size_t digits = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++, digits++;
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++, digits++;
    }
    if (digits == 0) return false;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '-' || s[i] == '+')) i++;
        size_t ed = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++, ed++;
        if (ed == 0) return false;
    }
    if (i != n || n > 400) return false;
    char tmp[408];
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    *out = strtod(tmp, NULL);
    return isfinite(*out);
}

/* .inf/.nan have no JSON form: they are kept as their text (documented in yaml.h). */
static json_t *resolve_plain(const char *s, size_t n) {
    if (is_null_text(s, n)) return json_null();
    int b = bool_text(s, n);
    if (b >= 0) return json_boolean(b);
    json_int_t iv;
    int ir = int_text(s, n, &iv);
    if (ir == 1) return json_integer(iv);
    double d;
    if (float_text(s, n, &d)) return json_real(d);
    return json_stringn(s, n);
}

#define TAG_PREFIX "tag:yaml.org,2002:"

static int scalar_value(loader *L, const yaml_event_t *ev, json_t **out) {
    const char *s = (const char *)ev->data.scalar.value;
    size_t n = ev->data.scalar.length;
    const char *tag = (const char *)ev->data.scalar.tag;
    bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    if (tag && !strncmp(tag, TAG_PREFIX, strlen(TAG_PREFIX))) {
        const char *t = tag + strlen(TAG_PREFIX);
        json_t *v = NULL;
        if (!strcmp(t, "str") || !strcmp(t, "binary") || !strcmp(t, "timestamp")) {
            *out = json_stringn(s, n);
            return *out ? 0 : fail_at(L, ev->start_mark, MG_EPARSE, "invalid string", NULL);
        }
        v = resolve_plain(s, n);
        bool ok = (!strcmp(t, "null") && json_is_null(v)) || (!strcmp(t, "bool") && json_is_boolean(v)) ||
                  (!strcmp(t, "int") && json_is_integer(v)) ||
                  (!strcmp(t, "float") && (json_is_real(v) || json_is_integer(v)));
        if (!strcmp(t, "float") && json_is_integer(v)) {
            json_t *r = json_real((double)json_integer_value(v));
            json_decref(v);
            v = r;
        }
        if (!ok) {
            json_decref(v);
            return fail_at(L, ev->start_mark, MG_EPARSE, "value does not match its tag", tag);
        }
        *out = v;
        return 0;
    }
    /* Quoted, block, and "!"-tagged scalars are strings; other local tags are ignored. */
    if (!plain || (tag && !strcmp(tag, "!")))
        *out = json_stringn(s, n);
    else
        *out = resolve_plain(s, n);
    if (!*out) return fail_at(L, ev->start_mark, MG_EPARSE, "invalid scalar", NULL);
    return 0;
}

/* ---- anchors ---- */

static size_t count_nodes(const json_t *v) {
    size_t n = 1;
    if (json_is_object(v)) {
        const char *k;
        json_t *c;
        json_object_foreach((json_t *)v, k, c) n += count_nodes(c);
    } else if (json_is_array(v)) {
        size_t i;
        json_t *c;
        json_array_foreach(v, i, c) n += count_nodes(c);
    }
    return n;
}

static void anchors_clear(loader *L) {
    for (size_t i = 0; i < L->nanchors; i++) {
        free(L->anchors[i].name);
        json_decref(L->anchors[i].value);
    }
    L->nanchors = 0;
    L->alias_nodes = 0;
}

static void anchor_add(loader *L, const char *name, json_t *v) {
    if (L->nanchors == L->anchors_cap) {
        L->anchors_cap = L->anchors_cap ? L->anchors_cap * 2 : 8;
        L->anchors = mg_xrealloc(L->anchors, L->anchors_cap * sizeof(*L->anchors));
    }
    L->anchors[L->nanchors++] = (anchor){mg_xstrdup(name), json_incref(v), count_nodes(v)};
}

static int alias_value(loader *L, const yaml_event_t *ev, json_t **out) {
    const char *name = (const char *)ev->data.alias.anchor;
    for (size_t i = L->nanchors; i-- > 0;) {
        if (strcmp(L->anchors[i].name, name)) continue;
        L->alias_nodes += L->anchors[i].nodes;
        if (L->alias_nodes > YAML_MAX_ALIAS_NODES)
            return fail_at(L, ev->start_mark, MG_ETOOBIG, "aliases expand to too many nodes", NULL);
        *out = json_deep_copy(L->anchors[i].value);
        return 0;
    }
    char detail[300];
    snprintf(detail, sizeof(detail), "\"%s\"", name);
    return fail_at(L, ev->start_mark, MG_EPARSE, "unknown alias", detail);
}

/* ---- building ---- */

/* Attaches v (reference stolen) to the current container or makes it the document root. */
static int attach(loader *L, json_t *v, yaml_mark_t mark) {
    if (L->depth == 0) {
        L->root = v;
        L->have_root = true;
        return 0;
    }
    frame *f = &L->stack[L->depth - 1];
    if (!f->is_map) {
        json_array_append_new(f->container, v);
        return 0;
    }
    if (f->key_is_merge) {
        f->key_is_merge = false;
        if (!f->merges) f->merges = json_array();
        if (json_is_object(v)) {
            json_array_append_new(f->merges, v);
        } else if (json_is_array(v)) {
            size_t i;
            json_t *m;
            json_array_foreach(v, i, m) {
                if (!json_is_object(m)) {
                    json_decref(v);
                    return fail_at(L, mark, MG_EPARSE, "merge key \"<<\" needs mappings", NULL);
                }
                json_array_append(f->merges, m);
            }
            json_decref(v);
        } else {
            json_decref(v);
            return fail_at(L, mark, MG_EPARSE, "merge key \"<<\" needs a mapping", NULL);
        }
        return 0;
    }
    json_object_setn_new(f->container, f->key, f->key_len, v);
    free(f->key);
    f->key = NULL;
    return 0;
}

/* Takes the next map key from a scalar (or alias to a scalar). */
static int set_key(loader *L, frame *f, const char *s, size_t n, bool plain, yaml_mark_t mark) {
    if (memchr(s, '\0', n)) return fail_at(L, mark, MG_EPARSE, "mapping key contains a NUL byte", NULL);
    if (plain && n == 2 && !memcmp(s, "<<", 2)) {
        f->key_is_merge = true;
        f->key = NULL;
        return 0;
    }
    if (json_object_getn(f->container, s, n)) {
        char detail[200];
        snprintf(detail, sizeof(detail), "\"%.*s\"", (int)(n > 150 ? 150 : n), s);
        return fail_at(L, mark, MG_EPARSE, "duplicate key", detail);
    }
    f->key = mg_xstrndup(s, n);
    f->key_len = n;
    f->key_mark = mark;
    return 0;
}

static bool expecting_key(loader *L) {
    if (L->depth == 0) return false;
    frame *f = &L->stack[L->depth - 1];
    return f->is_map && !f->key && !f->key_is_merge;
}

static char *scalar_text(const json_t *v) {
    if (json_is_string(v)) return mg_xstrndup(json_string_value(v), json_string_length(v));
    if (json_is_null(v)) return mg_xstrdup("null");
    if (json_is_boolean(v)) return mg_xstrdup(json_is_true(v) ? "true" : "false");
    if (json_is_integer(v)) return mg_xasprintf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
    if (json_is_real(v)) return mg_xasprintf("%.17g", json_real_value(v));
    return NULL;
}

static void frame_free(frame *f) {
    json_decref(f->container);
    free(f->key);
    free(f->anchor);
    json_decref(f->merges);
    memset(f, 0, sizeof(*f));
}

static void apply_merges(frame *f) {
    if (!f->merges) return;
    size_t i;
    json_t *m;
    json_array_foreach(f->merges, i, m) {
        const char *k;
        size_t klen;
        json_t *v;
        void *tmp;
        json_object_keylen_foreach_safe(m, tmp, k, klen, v) {
            if (!json_object_getn(f->container, k, klen))
                json_object_setn_new(f->container, k, klen, json_deep_copy(v));
        }
    }
}

static int on_event(loader *L, yaml_event_t *ev) {
    switch (ev->type) {
    case YAML_SCALAR_EVENT: {
        if (expecting_key(L)) {
            frame *f = &L->stack[L->depth - 1];
            int rc = set_key(L, f, (const char *)ev->data.scalar.value, ev->data.scalar.length,
                             ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !ev->data.scalar.tag,
                             ev->start_mark);
            if (rc) return rc;
            if (ev->data.scalar.anchor) {
                json_t *kv = json_stringn((const char *)ev->data.scalar.value, ev->data.scalar.length);
                anchor_add(L, (const char *)ev->data.scalar.anchor, kv);
                json_decref(kv);
            }
            return 0;
        }
        json_t *v = NULL;
        int rc = scalar_value(L, ev, &v);
        if (rc) return rc;
        if (ev->data.scalar.anchor) anchor_add(L, (const char *)ev->data.scalar.anchor, v);
        return attach(L, v, ev->start_mark);
    }
    case YAML_ALIAS_EVENT: {
        json_t *v = NULL;
        int rc = alias_value(L, ev, &v);
        if (rc) return rc;
        if (expecting_key(L)) {
            char *k = scalar_text(v);
            json_decref(v);
            if (!k) return fail_at(L, ev->start_mark, MG_EPARSE, "mapping keys must be scalars", NULL);
            rc = set_key(L, &L->stack[L->depth - 1], k, strlen(k), false, ev->start_mark);
            free(k);
            return rc;
        }
        return attach(L, v, ev->start_mark);
    }
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: {
        if (expecting_key(L))
            return fail_at(L, ev->start_mark, MG_EPARSE, "mapping keys must be scalars", NULL);
        if (L->depth >= YAML_MAX_DEPTH)
            return fail_at(L, ev->start_mark, MG_ETOOBIG, "nesting too deep", NULL);
        frame *f = &L->stack[L->depth++];
        memset(f, 0, sizeof(*f));
        f->is_map = ev->type == YAML_MAPPING_START_EVENT;
        f->container = f->is_map ? json_object() : json_array();
        const yaml_char_t *a = f->is_map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
        if (a) f->anchor = mg_xstrdup((const char *)a);
        return 0;
    }
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT: {
        frame *f = &L->stack[L->depth - 1];
        apply_merges(f);
        json_t *v = json_incref(f->container);
        if (f->anchor) anchor_add(L, f->anchor, v);
        frame_free(f);
        L->depth--;
        return attach(L, v, ev->start_mark);
    }
    case YAML_DOCUMENT_START_EVENT:
        anchors_clear(L);
        L->have_root = false;
        L->root = NULL;
        return 0;
    default: return 0;
    }
}

static void loader_free(loader *L) {
    while (L->depth > 0)
        frame_free(&L->stack[--L->depth]);
    anchors_clear(L);
    free(L->anchors);
    json_decref(L->root);
    L->root = NULL;
}

static int parser_fail(loader *L, yaml_parser_t *p) {
    const char *what = p->problem ? p->problem : "invalid YAML";
    yaml_mark_t m = p->problem_mark;
    if (p->context)
        return mg_error_set(L->err, MG_EPARSE, "%s:%zu:%zu: %s %s", L->name, m.line + 1, m.column + 1, what,
                            p->context);
    return mg_error_set(L->err, MG_EPARSE, "%s:%zu:%zu: %s", L->name, m.line + 1, m.column + 1, what);
}

/* Parses text; all=false stops after the first document. Results go to *out. */
static int load(const char *text, size_t len, const char *name, bool all, json_t **out, mg_error *err) {
    *out = NULL;
    loader *L = mg_xcalloc(1, sizeof(*L));
    L->name = name ? name : "<yaml>";
    L->err = err;
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) {
        free(L);
        return mg_error_set(err, MG_EINVAL, "%s: cannot initialise the YAML parser", name ? name : "<yaml>");
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    json_t *docs = json_array();
    json_t *first = NULL;
    int rc = 0;
    bool done = false;
    while (!done) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev)) {
            rc = parser_fail(L, &p);
            break;
        }
        if (ev.type == YAML_STREAM_END_EVENT) done = true;
        if (ev.type == YAML_DOCUMENT_END_EVENT) {
            json_t *root = L->root;
            L->root = NULL;
            if (!all) {
                first = root ? root : json_null();
                done = true;
            } else if (root && !json_is_null(root)) {
                json_array_append_new(docs, root);
            } else {
                json_decref(root);
            }
        } else {
            rc = on_event(L, &ev);
            if (rc) done = true;
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&p);
    loader_free(L);
    free(L);
    if (rc) {
        json_decref(docs);
        json_decref(first);
        return rc;
    }
    if (all) {
        *out = docs;
    } else {
        json_decref(docs);
        *out = first ? first : json_null();
    }
    return 0;
}

int mg_yaml_load(const char *text, size_t len, const char *name, json_t **out, mg_error *err) {
    return load(text, len, name, false, out, err);
}

int mg_yaml_load_all(const char *text, size_t len, const char *name, json_t **out, mg_error *err) {
    return load(text, len, name, true, out, err);
}

static int read_file(const char *path, mg_buf *b, mg_error *err) {
    FILE *f = fopen(path, "rb");
    if (!f) return mg_error_set(err, MG_EIO, "%s: %s", path, strerror(errno));
    mg_buf_init(b, YAML_MAX_FILE_BYTES);
    char chunk[16384];
    size_t n;
    int rc = 0;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (mg_buf_append(b, chunk, n)) {
            rc = mg_error_set(err, MG_ETOOBIG, "%s: file larger than %u bytes", path, YAML_MAX_FILE_BYTES);
            break;
        }
    }
    if (!rc && ferror(f)) rc = mg_error_set(err, MG_EIO, "%s: read error", path);
    fclose(f);
    if (rc) mg_buf_free(b);
    return rc;
}

int mg_yaml_load_file(const char *path, json_t **out, mg_error *err) {
    mg_buf b;
    *out = NULL;
    int rc = read_file(path, &b, err);
    if (rc) return rc;
    rc = mg_yaml_load(b.data ? b.data : "", b.len, path, out, err);
    mg_buf_free(&b);
    return rc;
}

/* ---- dumper ---- */

/* 0 tells libyaml the write failed: the emit fails and mg_yaml_dump returns NULL. */
static int write_cb(void *data, unsigned char *buffer, size_t size) {
    return mg_buf_append((mg_buf *)data, buffer, size) == 0;
}

/* A string must be quoted when a plain scalar with the same text would not read back as that
 * string (core schema), or when YAML 1.1 readers would take it for a bool. */
static bool needs_quotes(const char *s, size_t n) {
    json_t *v = resolve_plain(s, n);
    bool q = !json_is_string(v);
    json_decref(v);
    if (q) return true;
    static const char *const yaml11[] = {"y",  "Y",  "yes", "Yes", "YES", "n",   "N",   "no",
                                         "No", "NO", "on",  "On",  "ON",  "off", "Off", "OFF"};
    for (size_t i = 0; i < sizeof(yaml11) / sizeof(yaml11[0]); i++)
        if (strlen(yaml11[i]) == n && !memcmp(yaml11[i], s, n)) return true;
    if (n >= 2 && s[0] == '.' && (s[1] == 'i' || s[1] == 'I' || s[1] == 'n' || s[1] == 'N')) return true;
    if (n == 2 && !memcmp(s, "<<", 2)) return true;
    /* Anything that looks numeric-ish (e.g. "1e", "0x", "1_000", "0b1", "12:30") is quoted too. */
    if (n > 0 && ((s[0] >= '0' && s[0] <= '9') || s[0] == '-' || s[0] == '+' || s[0] == '.')) return true;
    return false;
}

static int emit_scalar(yaml_emitter_t *e, const char *s, size_t n, bool quote_if_needed, bool is_string) {
    yaml_event_t ev;
    yaml_scalar_style_t style = YAML_ANY_SCALAR_STYLE;
    if (is_string) {
        if (quote_if_needed && needs_quotes(s, n))
            style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
        else if (memchr(s, '\n', n) && !memchr(s, '\r', n))
            style = YAML_LITERAL_SCALAR_STYLE;
    }
    /* Plain output is only allowed when the text reads back the same; for non-strings it
     * always does. For strings libyaml may still pick quotes when plain is impossible. */
    yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)n, 1, 1, style);
    return yaml_emitter_emit(e, &ev);
}

static int emit_value(yaml_emitter_t *e, const json_t *v, int depth) {
    yaml_event_t ev;
    char num[64];
    if (depth > YAML_MAX_DEPTH) return 0;
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        yaml_mapping_start_event_initialize(
            &ev, NULL, NULL, 1, json_object_size(v) ? YAML_BLOCK_MAPPING_STYLE : YAML_FLOW_MAPPING_STYLE);
        if (!yaml_emitter_emit(e, &ev)) return 0;
        const char *k;
        size_t klen;
        json_t *c;
        void *tmp;
        json_object_keylen_foreach_safe((json_t *)v, tmp, k, klen, c) {
            if (!emit_scalar(e, k, klen, true, true)) return 0;
            if (!emit_value(e, c, depth + 1)) return 0;
        }
        yaml_mapping_end_event_initialize(&ev);
        return yaml_emitter_emit(e, &ev);
    }
    case JSON_ARRAY: {
        yaml_sequence_start_event_initialize(
            &ev, NULL, NULL, 1, json_array_size(v) ? YAML_BLOCK_SEQUENCE_STYLE : YAML_FLOW_SEQUENCE_STYLE);
        if (!yaml_emitter_emit(e, &ev)) return 0;
        size_t i;
        json_t *c;
        json_array_foreach(v, i, c) if (!emit_value(e, c, depth + 1)) return 0;
        yaml_sequence_end_event_initialize(&ev);
        return yaml_emitter_emit(e, &ev);
    }
    case JSON_STRING: return emit_scalar(e, json_string_value(v), json_string_length(v), true, true);
    case JSON_INTEGER:
        snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return emit_scalar(e, num, strlen(num), false, false);
    case JSON_REAL: {
        snprintf(num, sizeof(num), "%.17g", json_real_value(v));
        /* Shortest text that reads back to the same double. */
        for (int prec = 1; prec <= 17; prec++) {
            char t[64];
            snprintf(t, sizeof(t), "%.*g", prec, json_real_value(v));
            if (strtod(t, NULL) == json_real_value(v)) {
                memcpy(num, t, sizeof(t));
                break;
            }
        }
        if (!strpbrk(num, ".eEn")) {
            size_t l = strlen(num);
            memcpy(num + l, ".0", 3);
        }
        return emit_scalar(e, num, strlen(num), false, false);
    }
    case JSON_TRUE: return emit_scalar(e, "true", 4, false, false);
    case JSON_FALSE: return emit_scalar(e, "false", 5, false, false);
    case JSON_NULL: return emit_scalar(e, "null", 4, false, false);
    }
    return 0;
}

char *mg_yaml_dump(const json_t *value) {
    mg_buf out;
    mg_buf_init(&out, MG_BUF_UNCAPPED); /* as large as the tree it writes */
    yaml_emitter_t e;
    if (!yaml_emitter_initialize(&e)) return NULL;
    yaml_emitter_set_output(&e, write_cb, &out);
    yaml_emitter_set_unicode(&e, 1);
    yaml_emitter_set_width(&e, -1);
    yaml_emitter_set_indent(&e, 2);
    yaml_event_t ev;
    bool ok = true;
    yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
    ok = ok && yaml_emitter_emit(&e, &ev);
    yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
    ok = ok && yaml_emitter_emit(&e, &ev);
    ok = ok && emit_value(&e, value, 0);
    yaml_document_end_event_initialize(&ev, 1);
    ok = ok && yaml_emitter_emit(&e, &ev);
    yaml_stream_end_event_initialize(&ev);
    ok = ok && yaml_emitter_emit(&e, &ev);
    yaml_emitter_delete(&e);
    if (!ok) {
        mg_buf_free(&out);
        return NULL;
    }
    return mg_buf_steal(&out);
}
