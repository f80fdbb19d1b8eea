/* operator/quarantine — see quarantine.h. */
#include "operator/quarantine.h"

#include <string.h>

#include "core/json.h"
#include "core/mem.h"

/* The first active quarantine breach of md's status, or NULL (borrowed). */
static const json_t *quarantine_breach(const json_t *md) {
    size_t i;
    json_t *b;
    json_array_foreach(mg_json_get(md, "status", "breaches", NULL), i, b) {
        const char *level = mg_json_str(b, "level", NULL);
        if (level && !strcmp(level, "quarantine") && mg_json_str(b, "since", NULL)) return b;
    }
    return NULL;
}

static char *reason_of(const json_t *md, const json_t *b) {
    const char *subject = mg_json_str(b, "feature", NULL);
    if (!subject) subject = mg_json_str(b, "attribute", NULL);
    return mg_xasprintf(
        "monitoring of ModelDeployment %s: %s%s%s %.4g breaches the quarantine threshold %.4g",
        mg_json_str(md, "metadata", "name", NULL), mg_json_str(b, "metric", NULL), subject ? " of " : "",
        subject ? subject : "", json_number_value(json_object_get(b, "value")),
        json_number_value(json_object_get(b, "threshold")));
}

json_t *mg_monitoring_quarantine(const json_t *mv, const json_t *mds) {
    const char *name = mg_json_str(mv, "metadata", "name", NULL);
    const json_t *best_md = NULL, *best = NULL;
    size_t i;
    json_t *md;
    json_array_foreach(mds, i, md) {
        const char *serving = mg_json_str(md, "status", "servingModelVersion", NULL);
        if (!name || !serving || strcmp(serving, name)) continue;
        const json_t *b = quarantine_breach(md);
        if (!b) continue;
        /* RFC 3339 times of one format compare as strings; ties go to the first name */
        int c = best ? strcmp(mg_json_str(b, "since", NULL), mg_json_str(best, "since", NULL)) : -1;
        if (c < 0 || (c == 0 && strcmp(mg_json_str(md, "metadata", "name", NULL),
                                       mg_json_str(best_md, "metadata", "name", NULL)) < 0)) {
            best = b;
            best_md = md;
        }
    }
    if (!best) return NULL;
    char *reason = reason_of(best_md, best);
    json_t *evidence = json_object();
    json_object_set_new(evidence, "modelDeployment",
                        json_string(mg_json_str(best_md, "metadata", "name", NULL)));
    json_t *evaluation = mg_json_get(best_md, "status", "lastEvaluation", NULL);
    if (evaluation) json_object_set(evidence, "evaluation", evaluation);
    json_object_set(evidence, "breaches", mg_json_get(best_md, "status", "breaches", NULL));
    json_t *q = json_object();
    json_object_set_new(q, "quarantinedAt", json_string(mg_json_str(best, "since", NULL)));
    json_object_set_new(q, "quarantineReason", json_string(reason));
    json_object_set_new(q, "quarantineEvidence", evidence);
    free(reason);
    return q;
}

json_t *mg_monitoring_quarantine_apply(const json_t *mv, const json_t *q) {
    json_t *copy = json_deep_copy(mv);
    json_t *status = mg_json_obj_ensure(copy, "status");
    json_object_update(status, (json_t *)q);
    json_object_set_new(status, "quarantined", json_true());
    return copy;
}
