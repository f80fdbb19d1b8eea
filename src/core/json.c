#include "core/json.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "core/buf.h"
#include "core/utf8.h"

static json_t *vget(const json_t *obj, va_list ap) {
    const json_t *cur = obj;
    for (const char *k; (k = va_arg(ap, const char *));) {
        if (!json_is_object(cur)) return NULL;
        cur = json_object_get(cur, k);
        if (!cur) return NULL;
    }
    return (json_t *)cur;
}

json_t *mg_json_get(const json_t *obj, ...) {
    va_list ap;
    va_start(ap, obj);
    json_t *v = vget(obj, ap);
    va_end(ap);
    return v;
}

const char *mg_json_str(const json_t *obj, ...) {
    va_list ap;
    va_start(ap, obj);
    json_t *v = vget(obj, ap);
    va_end(ap);
    return json_string_value(v);
}

long long mg_json_int(const json_t *obj, long long dflt, ...) {
    va_list ap;
    va_start(ap, dflt);
    json_t *v = vget(obj, ap);
    va_end(ap);
    return json_is_integer(v) ? (long long)json_integer_value(v) : dflt;
}

double mg_json_num(const json_t *obj, double dflt, ...) {
    va_list ap;
    va_start(ap, dflt);
    json_t *v = vget(obj, ap);
    va_end(ap);
    return json_is_number(v) ? json_number_value(v) : dflt;
}

bool mg_json_bool(const json_t *obj, int dflt, ...) {
    va_list ap;
    va_start(ap, dflt);
    json_t *v = vget(obj, ap);
    va_end(ap);
    return json_is_boolean(v) ? json_is_true(v) : dflt != 0;
}

json_t *mg_json_obj_ensure(json_t *obj, const char *key) {
    json_t *v = json_object_get(obj, key);
    if (!json_is_object(v)) {
        v = json_object();
        json_object_set_new(obj, key, v);
    }
    return v;
}

json_t *mg_json_bytes(const char *p, size_t n) {
    size_t ok = mg_utf8_valid_prefix(p, n);
    if (ok == n) return json_stringn(p, n);
    mg_buf b;
    mg_buf_init(&b, MG_BUF_UNCAPPED);
    for (size_t i = 0;;) {
        mg_buf_append(&b, p + i, ok);
        i += ok;
        if (i == n) break;
        mg_buf_append(&b, "\xef\xbf\xbd", 3);
        i++;
        ok = mg_utf8_valid_prefix(p + i, n - i);
    }
    json_t *s = json_stringn(b.data, b.len);
    mg_buf_free(&b);
    return s;
}

void mg_json_set_str(json_t *obj, const char *key, const char *s) {
    if (s) json_object_set_new(obj, key, mg_json_bytes(s, strlen(s)));
}

void mg_json_set_opt(json_t *obj, const char *key, const json_t *v) {
    if (v && !json_is_null(v)) json_object_set_new(obj, key, json_incref((json_t *)v));
}

void mg_json_set_real(json_t *obj, const char *key, double x) {
    if (isfinite(x)) json_object_set_new(obj, key, json_real(x));
}

bool mg_json_subset(const json_t *want, const json_t *have) {
    if (!want) return true;
    if (!have) return false;
    if (json_is_number(want) && json_is_number(have))
        return json_number_value(want) == json_number_value(have);
    if (json_typeof(want) != json_typeof(have)) return false;
    if (json_is_object(want)) {
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)want, k, v) {
            if (!mg_json_subset(v, json_object_get(have, k))) return false;
        }
        return true;
    }
    if (json_is_array(want)) {
        if (json_array_size(want) != json_array_size(have)) return false;
        for (size_t i = 0; i < json_array_size(want); i++)
            if (!mg_json_subset(json_array_get(want, i), json_array_get(have, i))) return false;
        return true;
    }
    return json_equal(want, have);
}
