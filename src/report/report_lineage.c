/* report — lineage: the TrainingRun and the DatasetVersions (with parents) behind a version. */
#include <string.h>

#include "api/api.h"
#include "core/json.h"
#include "report/internal.h"
#include "report/report.h"

/* Parent chains are walked breadth-first; a lineage deeper than this (or a cycle) is cut and
 * the cut is recorded, never followed forever. */
#define LINEAGE_MAX_DEPTH 32
/* The four-fifths rule: a group whose selection rate is below 80% of the highest passes not. */
#define FOUR_FIFTHS 0.8

static json_t *training_run(const json_t *mv, const json_t *tr) {
    const char *name = mg_json_str(mv, "spec", "trainingRun", NULL);
    if (!name) return json_null();
    json_t *o = json_object();
    json_object_set_new(o, "name", json_string(name));
    json_object_set_new(o, "found", json_boolean(tr != NULL));
    if (!tr) return o;
    static const mg_rp_field head[] = {
        {"uid", "metadata", "uid", NULL},
        {"experiment", "spec", "experiment", NULL},
        {"datasetVersion", "spec", "datasetVersion", NULL},
        {"codeRevision", "spec", "codeRevision", NULL},
    };
    static const mg_rp_field tail[] = {
        {"phase", "status", "phase", NULL},
        {"created", "metadata", "creationTimestamp", NULL},
        {"startedAt", "status", "startedAt", NULL},
        {"completedAt", "status", "completedAt", NULL},
        {"jobName", "status", "jobName", NULL},
        {"retrainingOf", "metadata", "labels", MG_LABEL_RETRAINING_OF},
        {"startedBy", "metadata", "labels", MG_LABEL_MODELDEPLOYMENT},
    };
    mg_rp_copy_fields(o, tr, head, sizeof head / sizeof *head);
    json_t *params = mg_json_get(tr, "spec", "params", NULL);
    json_object_set_new(o, "params", json_is_object(params) ? json_deep_copy(params) : json_object());
    json_t *metrics = mg_json_get(tr, "status", "metrics", NULL);
    json_object_set_new(o, "metrics", json_is_object(metrics) ? json_deep_copy(metrics) : json_object());
    mg_rp_copy_fields(o, tr, tail, sizeof tail / sizeof *tail);
    return o;
}

/* One group of a bias scan, with the four-fifths rule's verdict on its disparate impact. */
static json_t *bias_group(const json_t *g) {
    json_t *e = json_object();
    mg_json_set_str(e, "attribute", mg_json_str(g, "attribute", NULL));
    mg_json_set_str(e, "group", mg_json_str(g, "group", NULL));
    static const char *const nums[] = {"count", "share", "positiveRate", "disparateImpact"};
    mg_rp_copy_members(e, g, nums, sizeof nums / sizeof *nums);
    json_t *di = json_object_get(g, "disparateImpact");
    if (json_is_number(di))
        json_object_set_new(e, "fourFifths",
                            json_string(json_number_value(di) >= FOUR_FIFTHS ? "pass" : "fail"));
    return e;
}

static json_t *bias_scan(const json_t *dsv) {
    json_t *s = mg_json_get(dsv, "status", "biasScan", NULL);
    if (!json_is_object(s)) return json_null();
    json_t *o = json_object();
    json_object_set_new(o, "passed", json_boolean(json_is_true(json_object_get(s, "passed"))));
    mg_json_set_str(o, "scannedAt", mg_json_str(s, "scannedAt", NULL));
    mg_json_set_str(o, "tool", mg_json_str(s, "tool", "name", NULL));
    mg_json_set_str(o, "toolVersion", mg_json_str(s, "tool", "version", NULL));
    const char *fd = mg_json_str(s, "fileDigest", NULL), *digest = mg_json_str(dsv, "spec", "digest", NULL);
    mg_json_set_str(o, "fileDigest", fd);
    if (fd) json_object_set_new(o, "fileDigestMatches", json_boolean(digest && !strcmp(fd, digest)));
    json_object_set_new(o, "groups", mg_rp_map(json_object_get(s, "groups"), bias_group));
    return o;
}

static json_t *dataset_entry(const json_t *dsv, const char *name, int depth, const char *child) {
    json_t *o = json_object();
    json_object_set_new(o, "name", json_string(name));
    json_object_set_new(o, "depth", json_integer(depth));
    mg_json_set_str(o, "parentOf", child);
    json_object_set_new(o, "found", json_boolean(dsv != NULL));
    if (!dsv) return o;
    json_t *spec = json_object_get(dsv, "spec");
    mg_json_set_str(o, "uid", mg_json_str(dsv, "metadata", "uid", NULL));
    mg_json_set_str(o, "dataset", mg_json_str(spec, "dataset", NULL));
    mg_json_set_str(o, "version", mg_json_str(spec, "version", NULL));
    mg_json_set_str(o, "digest", mg_json_str(spec, "digest", NULL));
    mg_json_set_str(o, "uri", mg_json_str(spec, "uri", NULL));
    mg_json_set_opt(o, "sizeBytes", json_object_get(spec, "sizeBytes"));
    mg_json_set_str(o, "created", mg_json_str(dsv, "metadata", "creationTimestamp", NULL));
    json_t *src = json_object_get(spec, "source"), *priv = json_object_get(spec, "privacy");
    json_object_set_new(o, "source", json_is_object(src) ? json_deep_copy(src) : json_object());
    json_object_set_new(o, "privacy", json_is_object(priv) ? json_deep_copy(priv) : json_object());
    json_t *parents = json_object_get(spec, "parents");
    json_object_set_new(o, "parents", json_is_array(parents) ? json_deep_copy(parents) : json_array());
    json_object_set_new(o, "biasScan", bias_scan(dsv));
    return o;
}

/* The trained-on dataset and its parents, breadth-first, each once. */
static json_t *datasets(const json_t *all, const char *root) {
    json_t *out = json_array();
    if (!root) return out;
    json_t *seen = json_object();
    json_array_append_new(out, dataset_entry(mg_rp_find_object(all, root), root, 0, NULL));
    json_object_set_new(seen, root, json_true());
    for (size_t i = 0; i < json_array_size(out); i++) {
        json_t *e = json_array_get(out, i);
        int depth = (int)json_integer_value(json_object_get(e, "depth"));
        size_t k;
        json_t *p;
        json_array_foreach(json_object_get(e, "parents"), k, p) {
            const char *pn = json_string_value(p);
            if (!pn || json_object_get(seen, pn)) continue;
            if (depth + 1 > LINEAGE_MAX_DEPTH) {
                json_object_set_new(e, "parentsCut", json_true());
                break;
            }
            json_object_set_new(seen, pn, json_true());
            json_array_append_new(out, dataset_entry(mg_rp_find_object(all, pn), pn, depth + 1,
                                                     json_string_value(json_object_get(e, "name"))));
        }
    }
    json_decref(seen);
    return out;
}

json_t *mg_rp_lineage(const mg_report_input *in) {
    const char *root = mg_json_str(in->mv, "spec", "datasetVersion", NULL);
    if (!root && in->training_run) root = mg_json_str(in->training_run, "spec", "datasetVersion", NULL);
    return json_pack("{s:o, s:o}", "trainingRun", training_run(in->mv, in->training_run), "datasets",
                     datasets(in->datasets, root));
}
