#include "k8s/selector.h"

#include <string.h>

static bool in_values(const json_t *values, const char *v) {
    size_t i;
    json_t *x;
    json_array_foreach(values, i, x) {
        if (json_is_string(x) && v && !strcmp(json_string_value(x), v)) return true;
    }
    return false;
}

int mg_label_selector_validate(const json_t *selector, mg_error *err) {
    if (!json_is_object(selector)) return mg_error_set(err, MG_EINVAL, "selector must be an object");
    json_t *ml = json_object_get(selector, "matchLabels");
    if (ml && !json_is_object(ml)) return mg_error_set(err, MG_EINVAL, "matchLabels must be an object");
    const char *k;
    json_t *v;
    json_object_foreach(ml, k, v) {
        if (!json_is_string(v)) return mg_error_set(err, MG_EINVAL, "matchLabels.%s must be a string", k);
    }
    json_t *exprs = json_object_get(selector, "matchExpressions");
    if (exprs && !json_is_array(exprs))
        return mg_error_set(err, MG_EINVAL, "matchExpressions must be a list");
    size_t i;
    json_t *e;
    json_array_foreach(exprs, i, e) {
        const char *key = json_string_value(json_object_get(e, "key"));
        const char *op = json_string_value(json_object_get(e, "operator"));
        json_t *values = json_object_get(e, "values");
        size_t nvalues = json_is_array(values) ? json_array_size(values) : 0;
        if (!key || !*key)
            return mg_error_set(err, MG_EINVAL, "matchExpressions[%zu].key: Required value", i);
        if (!op) return mg_error_set(err, MG_EINVAL, "matchExpressions[%zu].operator: Required value", i);
        if (!strcmp(op, "In") || !strcmp(op, "NotIn")) {
            if (!nvalues)
                return mg_error_set(
                    err, MG_EINVAL,
                    "matchExpressions[%zu].values: Required value: must be specified when `operator` "
                    "is 'In' or 'NotIn'",
                    i);
        } else if (!strcmp(op, "Exists") || !strcmp(op, "DoesNotExist")) {
            if (nvalues)
                return mg_error_set(
                    err, MG_EINVAL,
                    "matchExpressions[%zu].values: Forbidden: may not be specified when `operator` is "
                    "'Exists' or 'DoesNotExist'",
                    i);
        } else {
            return mg_error_set(err, MG_EINVAL,
                                "matchExpressions[%zu].operator: Invalid value: \"%s\": not a valid "
                                "selector operator",
                                i, op);
        }
    }
    return 0;
}

bool mg_label_selector_matches(const json_t *selector, const json_t *labels) {
    if (!selector || mg_label_selector_validate(selector, NULL)) return false;
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(selector, "matchLabels"), k, v) {
        const char *have = json_string_value(json_object_get(labels, k));
        if (!have || strcmp(have, json_string_value(v))) return false;
    }
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(selector, "matchExpressions"), i, e) {
        const char *key = json_string_value(json_object_get(e, "key"));
        const char *op = json_string_value(json_object_get(e, "operator"));
        const char *have = json_string_value(json_object_get(labels, key));
        json_t *values = json_object_get(e, "values");
        if (!strcmp(op, "In") && !(have && in_values(values, have))) return false;
        if (!strcmp(op, "NotIn") && have && in_values(values, have)) return false;
        if (!strcmp(op, "Exists") && !have) return false;
        if (!strcmp(op, "DoesNotExist") && have) return false;
    }
    return true;
}
