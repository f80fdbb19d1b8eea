/* operator/trim — see trim.h. */
#include "operator/trim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/json.h"

static void keep_only(json_t *obj, const char *const *keys) {
    const char *k;
    json_t *v, *tmp;
    json_object_foreach_safe(obj, tmp, k, v) {
        bool keep = false;
        for (const char *const *p = keys; *p && !keep; p++)
            keep = !strcmp(*p, k);
        if (!keep) json_object_del(obj, k);
    }
}

/* Keeps one key of obj's object member `member`, or drops the member when the key is absent. */
static void keep_one(json_t *obj, const char *member, const char *key) {
    json_t *m = json_object_get(obj, member);
    json_t *v = json_incref(json_object_get(m, key));
    json_object_del(obj, member);
    if (v) {
        json_t *only = json_object();
        json_object_set_new(only, key, v);
        json_object_set_new(obj, member, only);
    }
}

static const char *const META[] = {"name",
                                   "namespace",
                                   "uid",
                                   "resourceVersion",
                                   "generation",
                                   "labels",
                                   "annotations",
                                   "ownerReferences",
                                   "deletionTimestamp",
                                   NULL};

/* metadata cut to META, labels and annotations to the one key the operator reads. */
static void trim_metadata(json_t *obj, const char *label, const char *annotation) {
    json_t *md = json_object_get(obj, "metadata");
    keep_only(md, META);
    if (label)
        keep_one(md, "labels", label);
    else
        json_object_del(md, "labels");
    if (annotation)
        keep_one(md, "annotations", annotation);
    else
        json_object_del(md, "annotations");
}

json_t *mg_trim_pod(json_t *obj, void *ud) {
    (void)ud;
    static const char *const top[] = {"apiVersion", "kind", "metadata", "status", NULL};
    keep_only(obj, top);
    trim_metadata(obj, MG_LABEL_MODELDEPLOYMENT, NULL);
    json_object_del(json_object_get(obj, "metadata"), "ownerReferences");
    json_object_del(json_object_get(obj, "metadata"), "generation");
    json_t *st = json_object_get(obj, "status");
    static const char *const keep_status[] = {"podIP", "conditions", NULL};
    keep_only(st, keep_status);
    json_t *ready = NULL;
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(st, "conditions"), i, c) {
        const char *type = mg_json_str(c, "type", NULL);
        if (type && !strcmp(type, "Ready")) ready = c;
    }
    json_t *conds = json_array();
    if (ready) {
        json_t *r = json_object();
        json_object_set_new(r, "type", json_string("Ready"));
        json_object_set(r, "status", json_object_get(ready, "status"));
        json_array_append_new(conds, r);
    }
    if (st)
        json_object_set_new(st, "conditions", conds);
    else
        json_decref(conds);
    return json_incref(obj);
}

/* The controller ownerReference alone, with what the operator reads of it. */
static void trim_owner(json_t *obj) {
    json_t *md = json_object_get(obj, "metadata");
    json_t *refs = json_object_get(md, "ownerReferences");
    json_t *kept = json_array();
    size_t i;
    json_t *r;
    json_array_foreach(refs, i, r) {
        if (!mg_json_bool(r, false, "controller", NULL)) continue;
        static const char *const keys[] = {"kind", "name", "uid", "controller", NULL};
        json_t *copy = json_deep_copy(r);
        keep_only(copy, keys);
        json_array_append_new(kept, copy);
    }
    json_object_set_new(md, "ownerReferences", kept);
}

/* The conditions of a Deployment that say it cannot get its pods (ReplicaFailure=True,
 * Progressing=False; their type, status, reason and message), or NULL when there is none: the
 * usual Deployment keeps no condition at all. New reference. */
static json_t *deployment_failures(const json_t *conds) {
    json_t *kept = NULL;
    size_t i;
    json_t *c;
    json_array_foreach(conds, i, c) {
        const char *type = mg_json_str(c, "type", NULL), *status = mg_json_str(c, "status", NULL);
        if (!type || !status) continue;
        bool failure = (!strcmp(type, "ReplicaFailure") && !strcmp(status, "True")) ||
                       (!strcmp(type, "Progressing") && !strcmp(status, "False"));
        if (!failure) continue;
        static const char *const keys[] = {"type", "status", "reason", "message", NULL};
        json_t *copy = json_deep_copy(c);
        keep_only(copy, keys);
        if (!kept) kept = json_array();
        json_array_append_new(kept, copy);
    }
    return kept;
}

/* [{image}] for each container of a pod spec's list, or NULL when it has none. New reference. */
static json_t *images_only(const json_t *containers) {
    if (!json_array_size(containers)) return NULL;
    json_t *out = json_array();
    size_t i;
    json_t *c;
    json_array_foreach(containers, i, c) {
        const char *image = mg_json_str(c, "image", NULL);
        json_array_append_new(out, json_pack("{s:s}", "image", image ? image : ""));
    }
    return out;
}

/* What every owned object keeps: metadata cut to the applied annotation and the controller
 * ownerReference. */
static json_t *trim_owned_common(json_t *obj) {
    static const char *const top[] = {"apiVersion", "kind", "metadata", "spec", "status", NULL};
    keep_only(obj, top);
    trim_metadata(obj, NULL, MG_ANNOTATION_APPLIED);
    trim_owner(obj);
    return json_object_get(obj, "spec");
}

json_t *mg_trim_owned(json_t *obj, void *ud) {
    (void)ud;
    json_t *spec = trim_owned_common(obj);
    /* of the pod template, each container's image (mdstate reads the first; the drift check
     * all, and that no init container was added); paused only when set */
    json_t *pod_spec = mg_json_get(spec, "template", "spec", NULL);
    json_t *containers = images_only(json_object_get(pod_spec, "containers"));
    json_t *inits = images_only(json_object_get(pod_spec, "initContainers"));
    bool paused = mg_json_bool(spec, false, "paused", NULL);
    static const char *const keep_spec[] = {"replicas", NULL};
    keep_only(spec, keep_spec);
    if (spec && containers) {
        json_t *tpl_spec = json_pack("{s:o}", "containers", containers);
        if (inits) json_object_set_new(tpl_spec, "initContainers", inits);
        json_object_set_new(spec, "template", json_pack("{s:o}", "spec", tpl_spec));
    } else {
        json_decref(containers);
        json_decref(inits);
    }
    if (spec && paused) json_object_set_new(spec, "paused", json_true());
    json_t *status = json_object_get(obj, "status");
    json_t *failures = deployment_failures(json_object_get(status, "conditions"));
    static const char *const keep_status[] = {"replicas", "updatedReplicas", "readyReplicas",
                                              "observedGeneration", NULL};
    keep_only(status, keep_status);
    if (failures && status)
        json_object_set_new(status, "conditions", failures);
    else
        json_decref(failures);
    return json_incref(obj);
}

json_t *mg_trim_service(json_t *obj, void *ud) {
    (void)ud;
    json_t *spec = trim_owned_common(obj);
    static const char *const keep_spec[] = {"selector", "ports", "type", NULL};
    keep_only(spec, keep_spec);
    static const char *const keep_port[] = {"name", "port", "targetPort", "protocol", NULL};
    size_t i;
    json_t *port;
    json_array_foreach(json_object_get(spec, "ports"), i, port) {
        if (json_is_object(port)) keep_only(port, keep_port);
    }
    json_object_del(obj, "status");
    return json_incref(obj);
}

json_t *mg_trim_job(json_t *obj, void *ud) {
    (void)ud;
    static const char *const top[] = {"apiVersion", "kind", "metadata", "status", NULL};
    keep_only(obj, top);
    trim_metadata(obj, NULL, NULL);
    trim_owner(obj);
    return json_incref(obj);
}

static json_t *or_null(json_t *v) { return v ? v : json_null(); }

void mg_applied_hash(const json_t *want, char out[17]) {
    json_t *what = json_object();
    json_object_set(what, "labels", or_null(mg_json_get(want, "metadata", "labels", NULL)));
    json_object_set(what, "ownerReferences", or_null(mg_json_get(want, "metadata", "ownerReferences", NULL)));
    json_object_set(what, "spec", or_null(json_object_get(want, "spec")));
    char *text = json_dumps(what, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(what);
    unsigned long long h = 1469598103934665603ull; /* FNV-1a 64 */
    for (const char *p = text ? text : ""; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    free(text);
    snprintf(out, 17, "%016llx", h);
}

/* The images of a pod template's container list, in order, as one comparable array (new
 * reference; an empty array when there is none). */
static json_t *template_images(const json_t *obj, const char *list) {
    json_t *out = json_array();
    size_t i;
    json_t *c;
    json_array_foreach(mg_json_get(obj, "spec", "template", "spec", list, NULL), i, c) {
        const char *image = mg_json_str(c, "image", NULL);
        json_array_append_new(out, json_string(image ? image : ""));
    }
    return out;
}

static bool same_images(const json_t *want, const json_t *have, const char *list) {
    json_t *w = template_images(want, list), *h = template_images(have, list);
    bool same = json_equal(w, h);
    json_decref(w);
    json_decref(h);
    return same;
}

static const char *service_type(const json_t *svc) {
    const char *type = mg_json_str(svc, "spec", "type", NULL);
    return type ? type : "ClusterIP";
}

bool mg_applied_matches(const json_t *want, const json_t *have) {
    char hash[17];
    mg_applied_hash(want, hash);
    const char *applied = mg_json_str(have, "metadata", "annotations", MG_ANNOTATION_APPLIED, NULL);
    if (!applied || strcmp(applied, hash)) return false;
    /* what runs: a Deployment's replicas, its containers and init containers (an added sidecar
     * runs too), and whether it is paused (a paused Deployment does not roll out what we write) */
    json_t *wr = mg_json_get(want, "spec", "replicas", NULL);
    if (wr && !json_equal(wr, mg_json_get(have, "spec", "replicas", NULL))) return false;
    if (mg_json_get(want, "spec", "template", NULL)) {
        if (!same_images(want, have, "containers") || !same_images(want, have, "initContainers"))
            return false;
        if (mg_json_bool(have, false, "spec", "paused", NULL)) return false;
    }
    /* who reaches it: a Service's selector, ports and type (a NodePort opens it outside) */
    const json_t *wports = mg_json_get(want, "spec", "ports", NULL);
    if (!json_is_array(wports)) return true;
    return json_equal(wports, mg_json_get(have, "spec", "ports", NULL)) &&
           json_equal(mg_json_get(want, "spec", "selector", NULL),
                      mg_json_get(have, "spec", "selector", NULL)) &&
           !strcmp(service_type(want), service_type(have));
}

json_t *mg_applied_stamp(const json_t *want) {
    char hash[17];
    mg_applied_hash(want, hash);
    json_t *copy = json_deep_copy(want);
    json_t *md = mg_json_obj_ensure(copy, "metadata");
    json_object_set_new(mg_json_obj_ensure(md, "annotations"), MG_ANNOTATION_APPLIED, json_string(hash));
    return copy;
}
