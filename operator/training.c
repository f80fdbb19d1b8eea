#include "operator/training.h"

#include <string.h>

#include "core/json.h"
#include "core/mem.h"
#include "k8s/selector.h"
#include "operator/plan.h"

static void add_env(json_t *env, const char *name, const char *value) {
    if (value) json_array_append_new(env, json_pack("{s:s, s:s}", "name", name, "value", value));
}

json_t *mg_plan_job(const json_t *tr) {
    json_t *tmpl = mg_json_get(tr, "spec", "template", NULL);
    if (!json_is_object(tmpl)) return NULL;
    const char *name = mg_json_str(tr, "metadata", "name", NULL);
    json_t *pod = json_deep_copy(tmpl);
    json_t *pod_spec = mg_json_obj_ensure(pod, "spec");
    if (!json_object_get(pod_spec, "restartPolicy"))
        json_object_set_new(pod_spec, "restartPolicy", json_string("Never"));
    json_t *pod_meta = mg_json_obj_ensure(pod, "metadata");
    json_object_set_new(mg_json_obj_ensure(pod_meta, "labels"), MG_LABEL_TRAININGRUN, json_string(name));

    json_t *p = mg_json_get(tr, "spec", "params", NULL);
    char *params = json_is_object(p) ? json_dumps(p, JSON_COMPACT | JSON_SORT_KEYS) : mg_xstrdup("{}");
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(pod_spec, "containers"), i, c) {
        json_t *env = json_object_get(c, "env");
        if (!json_is_array(env)) json_object_set_new(c, "env", env = json_array());
        add_env(env, "MODELGOV_TRAININGRUN", name);
        add_env(env, "MODELGOV_EXPERIMENT", mg_json_str(tr, "spec", "experiment", NULL));
        add_env(env, "MODELGOV_DATASET_VERSION", mg_json_str(tr, "spec", "datasetVersion", NULL));
        add_env(env, "MODELGOV_MODEL", mg_json_str(tr, "spec", "model", "name", NULL));
        add_env(env, "MODELGOV_MODEL_VERSION", mg_json_str(tr, "spec", "model", "version", NULL));
        add_env(env, "MODELGOV_CODE_REVISION", mg_json_str(tr, "spec", "codeRevision", NULL));
        add_env(env, "MODELGOV_PARAMS", params);
    }
    free(params);
    json_t *owner =
        json_pack("{s:s, s:s, s:s, s:s, s:b, s:b}", "apiVersion", MG_API_GROUP_VERSION, "kind",
                  MG_KIND_TRAININGRUN, "name", name, "uid",
                  mg_json_str(tr, "metadata", "uid", NULL) ? mg_json_str(tr, "metadata", "uid", NULL) : "",
                  "controller", 1, "blockOwnerDeletion", 1);
    return json_pack("{s:s, s:s, s:{s:s, s:s, s:{s:s, s:s}, s:[o]}, s:{s:i, s:o}}", "apiVersion", "batch/v1",
                     "kind", "Job", "metadata", "name", name, "namespace",
                     mg_json_str(tr, "metadata", "namespace", NULL), "labels", MG_LABEL_MANAGED_BY,
                     MG_MANAGER_NAME, MG_LABEL_TRAININGRUN, name, "ownerReferences", owner, "spec",
                     "backoffLimit", 2, "template", pod);
}

static bool job_condition(const json_t *job, const char *type) {
    size_t i;
    json_t *c;
    json_array_foreach(mg_json_get(job, "status", "conditions", NULL), i, c) {
        const char *t = mg_json_str(c, "type", NULL), *s = mg_json_str(c, "status", NULL);
        if (t && s && !strcmp(t, type) && !strcmp(s, "True")) return true;
    }
    return false;
}

static void set_or_del(json_t *obj, const char *key, const char *value) {
    if (value)
        json_object_set_new(obj, key, json_string(value));
    else
        json_object_del(obj, key);
}

json_t *mg_tr_status(const json_t *tr, const json_t *job, const char *produced_mv) {
    json_t *old = mg_json_get(tr, "status", NULL);
    json_t *status = json_is_object(old) ? json_deep_copy(old) : json_object();
    if (produced_mv) json_object_set_new(status, "modelVersion", json_string(produced_mv));
    if (!json_is_object(mg_json_get(tr, "spec", "template", NULL)))
        return status; /* a record: people own it */
    json_object_set_new(status, "jobName", json_string(mg_json_str(tr, "metadata", "name", NULL)));
    const char *phase = "Pending";
    if (job) {
        if (job_condition(job, "Complete") || mg_json_int(job, 0, "status", "succeeded", NULL) > 0)
            phase = "Succeeded";
        else if (job_condition(job, "Failed"))
            phase = "Failed";
        else if (mg_json_int(job, 0, "status", "active", NULL) > 0 ||
                 mg_json_str(job, "status", "startTime", NULL))
            phase = "Running";
        set_or_del(status, "startedAt", mg_json_str(job, "status", "startTime", NULL));
        set_or_del(status, "completedAt", mg_json_str(job, "status", "completionTime", NULL));
    }
    json_object_set_new(status, "phase", json_string(phase));
    return status;
}

bool mg_dataset_eligible(const json_t *dsv, const json_t *approved_tools) {
    const char *method = mg_json_str(dsv, "spec", "privacy", "method", NULL);
    if (!method || (strcmp(method, "anonymized") && strcmp(method, "pseudonymized"))) return false;
    if (!mg_json_bool(dsv, false, "status", "biasScan", "passed", NULL)) return false;
    const char *tool = mg_json_str(dsv, "status", "biasScan", "tool", "name", NULL);
    if (!tool) return false;
    if (!approved_tools) return !strcmp(tool, "kubectl-modelgov");
    size_t i;
    json_t *t;
    json_array_foreach(approved_tools, i, t) {
        if (json_is_string(t) && !strcmp(json_string_value(t), tool)) return true;
    }
    return false;
}

/* a newer than b: creationTimestamp (RFC 3339 in UTC sorts as text), then name */
static bool newer(const json_t *a, const json_t *b) {
    const char *ta = mg_json_str(a, "metadata", "creationTimestamp", NULL);
    const char *tb = mg_json_str(b, "metadata", "creationTimestamp", NULL);
    int c = strcmp(ta ? ta : "", tb ? tb : "");
    if (c) return c > 0;
    const char *na = mg_json_str(a, "metadata", "name", NULL), *nb = mg_json_str(b, "metadata", "name", NULL);
    return strcmp(na ? na : "", nb ? nb : "") > 0;
}

const json_t *mg_pick_retraining_dataset(const json_t *dsvs, const json_t *selector, const char *own_dataset,
                                         const json_t *approved_tools, const char **why) {
    const json_t *best = NULL;
    bool own_eligible = false;
    size_t i;
    json_t *d;
    json_array_foreach(dsvs, i, d) {
        if (selector && !mg_label_selector_matches(selector, mg_json_get(d, "metadata", "labels", NULL)))
            continue;
        if (!mg_dataset_eligible(d, approved_tools)) continue;
        const char *name = mg_json_str(d, "metadata", "name", NULL);
        if (own_dataset && name && !strcmp(name, own_dataset)) {
            own_eligible = true;
            continue;
        }
        if (!best || newer(d, best)) best = d;
    }
    if (!best && why)
        *why = own_eligible
                   ? "no DatasetVersion fresher than the quarantined model's own dataset is eligible"
                   : "no eligible DatasetVersion matches retraining.datasetSelector (privacy attestation "
                     "and a passed bias scan by an approved tool are required)";
    return best;
}
