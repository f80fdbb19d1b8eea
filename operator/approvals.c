/* operator/approvals — see approvals.h. */
#include "operator/approvals.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/json.h"
#include "core/mem.h"
#include "k8s/conditions.h"

void mg_mv_verdict_compute(const mg_mv_records *records, mg_mv_verdict *out) {
    memset(out, 0, sizeof(*out));
    mg_mv_state s;
    mg_mv_state_compute(records, &s);
    out->approved = s.approval.approved;
    out->message = mg_approval_message(&s.approval, mg_json_str(records->mv, "spec", "model", NULL),
                                       mg_json_str(records->mv, "spec", "version", NULL));
    out->quarantined = s.quarantined;
    out->quarantine_reason = mg_xstrdup(s.quarantine_reason);
    mg_mv_state_free(&s);
}

void mg_mv_verdict_free(mg_mv_verdict *v) {
    free(v->message);
    free(v->quarantine_reason);
    memset(v, 0, sizeof(*v));
}

static void set_time(json_t *status, const char *key, int64_t ms) {
    char ts[40];
    mg_clock_rfc3339(ms, ts, sizeof(ts));
    json_object_set_new(status, key, json_string(ts));
}

/* quarantined, quarantinedAt (the deciding event's time; now when unknown) and the reason. */
static void set_quarantine(json_t *status, const mg_mv_state *s, const char *now) {
    json_object_set_new(status, "quarantined", json_boolean(s->quarantined));
    if (!s->quarantined) {
        json_object_del(status, "quarantinedAt");
        json_object_del(status, "quarantineReason");
        return;
    }
    if (s->quarantined_at_ms != INT64_MAX)
        set_time(status, "quarantinedAt", s->quarantined_at_ms);
    else if (!json_is_string(json_object_get(status, "quarantinedAt")))
        json_object_set_new(status, "quarantinedAt", json_string(now));
    json_object_set_new(status, "quarantineReason", json_string(s->quarantine_reason));
}

json_t *mg_mv_status(const mg_mv_records *records, const char *now) {
    const json_t *mv = records->mv;
    json_t *old = mg_json_get(mv, "status", NULL);
    json_t *status = json_is_object(old) ? json_deep_copy(old) : json_object();
    long long generation = mg_json_int(mv, 0, "metadata", "generation", NULL);
    mg_mv_state s;
    mg_mv_state_compute(records, &s);
    const mg_approval *a = &s.approval;

    json_object_set_new(status, "approved", json_boolean(a->approved));
    if (a->approved)
        set_time(status, "approvedAt", a->approved_at_ms);
    else
        json_object_del(status, "approvedAt");
    json_object_set_new(status, "reviews", mg_approval_summary_json(a));
    json_object_set_new(status, "verdicts", mg_mv_state_verdicts_json(&s));
    set_quarantine(status, &s, now);

    json_t *conds = json_object_get(status, "conditions");
    if (!json_is_array(conds)) json_object_set_new(status, "conditions", conds = json_array());
    char *msg = mg_approval_message(a, mg_json_str(mv, "spec", "model", NULL),
                                    mg_json_str(mv, "spec", "version", NULL));
    mg_condition_set(conds, "Approved", a->approved ? "True" : "False",
                     a->approved ? "ReviewsApproved" : "ReviewsPending", msg, generation, now);
    mg_condition_set(conds, "Quarantined", s.quarantined ? "True" : "False",
                     s.quarantined ? "Quarantined" : "NotQuarantined",
                     s.quarantined ? s.quarantine_reason : "", generation, now);
    free(msg);
    mg_mv_state_free(&s);
    return status;
}
