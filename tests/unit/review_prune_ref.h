/* Reference implementation of webhook/review_load's keep rules on a jansson tree, independent of
 * the parser's state machine; shared by tests/unit/test_review_load.c and
 * tests/fuzz/fuzz_review_load.c (static functions: include once per program). */
#ifndef MG_TESTS_REVIEW_PRUNE_REF_H
#define MG_TESTS_REVIEW_PRUNE_REF_H
#include <jansson.h>
#include <stdbool.h>
#include <string.h>

static void keep_only(json_t *obj, const char *const *keys) {
    if (!json_is_object(obj)) return;
    const char *k;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(obj, tmp, k, v) {
        bool keep = false;
        for (size_t i = 0; keys[i]; i++)
            keep = keep || !strcmp(k, keys[i]);
        if (!keep) json_object_del(obj, k);
    }
}

static void prune_meta(json_t *meta) {
    if (!json_is_object(meta)) return;
    json_object_del(meta, "managedFields");
    json_t *ann = json_object_get(meta, "annotations");
    if (json_is_object(ann)) json_object_del(ann, "kubectl.kubernetes.io/last-applied-configuration");
}

static void prune_podspec(json_t *ps) {
    static const char *const keep[] = {"containers", "initContainers", "ephemeralContainers",
                                       "serviceAccountName", NULL};
    static const char *const ckeep[] = {"name", "image", NULL};
    keep_only(ps, keep);
    for (int l = 0; l < 3; l++) {
        json_t *list = json_object_get(ps, keep[l]);
        size_t i;
        json_t *c;
        json_array_foreach(list, i, c) keep_only(c, ckeep);
    }
}

static void prune_template(json_t *tpl) {
    if (!json_is_object(tpl)) return;
    prune_meta(json_object_get(tpl, "metadata"));
    prune_podspec(json_object_get(tpl, "spec"));
}

static void prune_object(json_t *o) {
    if (!json_is_object(o)) return;
    prune_meta(json_object_get(o, "metadata"));
    const char *api = json_string_value(json_object_get(o, "apiVersion"));
    const char *kind = json_string_value(json_object_get(o, "kind"));
    if (!api || !kind) return;
    json_t *spec = json_object_get(o, "spec");
    bool builtin = true;
    if (!strcmp(api, "v1") && !strcmp(kind, "Pod")) {
        prune_podspec(spec);
    } else if ((!strcmp(api, "apps/v1") && (!strcmp(kind, "Deployment") || !strcmp(kind, "ReplicaSet") ||
                                            !strcmp(kind, "StatefulSet") || !strcmp(kind, "DaemonSet"))) ||
               (!strcmp(api, "batch/v1") && !strcmp(kind, "Job"))) {
        prune_template(json_object_get(spec, "template"));
    } else if (!strcmp(api, "batch/v1") && !strcmp(kind, "CronJob")) {
        json_t *jt = json_object_get(spec, "jobTemplate");
        if (json_is_object(jt)) {
            prune_meta(json_object_get(jt, "metadata"));
            prune_template(json_object_get(json_object_get(jt, "spec"), "template"));
        }
    } else {
        builtin = false;
    }
    if (builtin) json_object_del(o, "status");
}

static void prune_review(json_t *root) {
    json_t *req = json_object_get(root, "request");
    if (!json_is_object(req)) return;
    json_object_del(req, "options");
    json_object_del(req, "requestKind");
    json_object_del(req, "requestResource");
    json_object_del(req, "requestSubResource");
    static const char *const ukeep[] = {"username", "groups", NULL};
    keep_only(json_object_get(req, "userInfo"), ukeep);
    prune_object(json_object_get(req, "object"));
    prune_object(json_object_get(req, "oldObject"));
}

#endif
