#include "core/json.h"

#include <stdarg.h>

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
