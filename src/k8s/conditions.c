#include "k8s/conditions.h"

#include <string.h>

#include "core/json.h"

static const char *str_or_empty(const json_t *obj, const char *key) {
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "";
}

json_t *mg_condition_find(const json_t *conds, const char *type) {
    size_t i;
    json_t *c;
    json_array_foreach(conds, i, c) {
        if (!strcmp(str_or_empty(c, "type"), type)) return c;
    }
    return NULL;
}

bool mg_condition_is_true(const json_t *conds, const char *type) {
    json_t *c = mg_condition_find(conds, type);
    return c && !strcmp(str_or_empty(c, "status"), "True");
}

/* Compared as stored: text that is not UTF-8 is stored with U+FFFD (core/json), and must not
 * count as a change at every call. */
static bool set_str(json_t *obj, const char *key, const char *value) {
    json_t *v = mg_json_bytes(value, strlen(value));
    if (json_equal(v, json_object_get(obj, key))) {
        json_decref(v);
        return false;
    }
    json_object_set_new(obj, key, v);
    return true;
}

bool mg_condition_set(json_t *conds, const char *type, const char *status, const char *reason,
                      const char *message, long long observed_generation, const char *now) {
    json_t *c = mg_condition_find(conds, type);
    bool changed = false;
    if (!c) {
        c = json_object();
        json_object_set_new(c, "type", json_string(type));
        json_array_append_new(conds, c);
        changed = true;
    }
    if (set_str(c, "status", status)) {
        json_object_set_new(c, "lastTransitionTime", json_string(now));
        changed = true;
    } else if (!json_object_get(c, "lastTransitionTime")) {
        json_object_set_new(c, "lastTransitionTime", json_string(now));
        changed = true;
    }
    changed |= set_str(c, "reason", reason);
    changed |= set_str(c, "message", message ? message : "");
    json_t *gen = json_object_get(c, "observedGeneration");
    if (!json_is_integer(gen) || json_integer_value(gen) != observed_generation) {
        json_object_set_new(c, "observedGeneration", json_integer(observed_generation));
        changed = true;
    }
    return changed;
}
