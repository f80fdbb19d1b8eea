#include "operator/approvals.h"

#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/json.h"
#include "core/mem.h"
#include "k8s/conditions.h"
#include "policy/approval.h"

static char *incident_reason(const mg_approval *a) {
    const mg_review *r = a->latest[MG_REVIEW_INCIDENT];
    if (!r) return mg_xstrdup("quarantined by an incident review");
    return mg_xasprintf("incident review %s confirmed by %s", r->name ? r->name : "",
                        r->reviewer ? r->reviewer : "unknown");
}

void mg_mv_verdict_compute(const json_t *mv, const json_t *reviews, mg_mv_verdict *out) {
    memset(out, 0, sizeof(*out));
    mg_approval a;
    mg_review *arr = NULL;
    mg_approval_compute_json(reviews, &a, &arr);
    out->approved = a.approved;
    out->message = mg_approval_message(&a, mg_json_str(mv, "spec", "model", NULL),
                                       mg_json_str(mv, "spec", "version", NULL));
    const char *reason = NULL;
    out->quarantined = mg_modelversion_quarantined(mv, &a, &reason);
    if (out->quarantined) out->quarantine_reason = reason ? mg_xstrdup(reason) : incident_reason(&a);
    free(arr);
}

void mg_mv_verdict_free(mg_mv_verdict *v) {
    free(v->message);
    free(v->quarantine_reason);
    memset(v, 0, sizeof(*v));
}

json_t *mg_mv_status(const json_t *mv, const json_t *reviews, const char *now) {
    json_t *old = mg_json_get(mv, "status", NULL);
    json_t *status = json_is_object(old) ? json_deep_copy(old) : json_object();
    long long generation = mg_json_int(mv, 0, "metadata", "generation", NULL);
    mg_approval a;
    mg_review *arr = NULL;
    mg_approval_compute_json(reviews, &a, &arr);

    json_object_set_new(status, "approved", json_boolean(a.approved));
    if (a.approved) {
        char at[40];
        mg_clock_rfc3339(a.approved_at_ms, at, sizeof(at));
        json_object_set_new(status, "approvedAt", json_string(at));
    } else {
        json_object_del(status, "approvedAt");
    }
    json_object_set_new(status, "reviews", mg_approval_summary_json(&a));

    const char *reason = NULL;
    bool quarantined = mg_modelversion_quarantined(mv, &a, &reason);
    char *reason_owned = quarantined ? (reason ? mg_xstrdup(reason) : incident_reason(&a)) : NULL;
    json_object_set_new(status, "quarantined", json_boolean(quarantined));
    if (quarantined)
        json_object_set_new(status, "quarantineReason", json_string(reason_owned));
    else
        json_object_del(status, "quarantineReason");

    json_t *conds = json_object_get(status, "conditions");
    if (!json_is_array(conds)) json_object_set_new(status, "conditions", conds = json_array());
    char *msg = mg_approval_message(&a, mg_json_str(mv, "spec", "model", NULL),
                                    mg_json_str(mv, "spec", "version", NULL));
    mg_condition_set(conds, "Approved", a.approved ? "True" : "False",
                     a.approved ? "ReviewsApproved" : "ReviewsPending", msg, generation, now);
    mg_condition_set(conds, "Quarantined", quarantined ? "True" : "False",
                     quarantined ? "Quarantined" : "NotQuarantined", reason_owned ? reason_owned : "",
                     generation, now);
    free(msg);
    free(reason_owned);
    free(arr);
    return status;
}
