#include "operator/mdstate.h"

#include <string.h>

#include "api/api.h"
#include "core/json.h"
#include "core/mem.h"
#include "k8s/conditions.h"

static void add_event(mg_md_decision *d, const char *type, const char *reason, char *message) {
    if (d->n_events >= (int)(sizeof(d->events) / sizeof(d->events[0]))) {
        free(message);
        return;
    }
    d->events[d->n_events++] = (mg_md_event){type, reason, message};
}

static const char *name_of(const json_t *obj) {
    return obj ? mg_json_str(obj, "metadata", "name", NULL) : NULL;
}

/* Closes the open history entry (if any) and opens one for mv_name when it differs. The
 * history is bounded: the oldest entries are dropped beyond MG_HISTORY_MAX. */
static void update_history(json_t *history, const char *serving_mv, const char *reason, const char *now) {
    size_t n = json_array_size(history);
    json_t *last = n ? json_array_get(history, n - 1) : NULL;
    bool last_open = last && !json_object_get(last, "to");
    const char *last_mv = last_open ? mg_json_str(last, "modelVersion", NULL) : NULL;
    if (last_open && serving_mv && last_mv && !strcmp(last_mv, serving_mv)) return;
    if (!last_open && !serving_mv) return;
    if (last_open) {
        json_object_set_new(last, "to", json_string(now));
        json_object_set_new(last, "endReason", json_string(reason));
    }
    if (serving_mv)
        json_array_append_new(
            history, json_pack("{s:s, s:s, s:s}", "modelVersion", serving_mv, "from", now, "reason", reason));
    while (json_array_size(history) > MG_HISTORY_MAX)
        json_array_remove(history, 0);
}

/* A copy of md's status (new reference) with its conditions and history arrays in place. */
static json_t *status_copy(const json_t *old_status, json_t **conds, json_t **history) {
    json_t *status = json_is_object(old_status) ? json_deep_copy(old_status) : json_object();
    *conds = json_object_get(status, "conditions");
    if (!json_is_array(*conds)) {
        *conds = json_array();
        json_object_set_new(status, "conditions", *conds);
    }
    *history = json_object_get(status, "history");
    if (!json_is_array(*history)) {
        *history = json_array();
        json_object_set_new(status, "history", *history);
    }
    return status;
}

/* The Approved and Quarantined conditions, what runs (out->run_mv, out->replicas,
 * out->stop_in_place) and the phase and history reason that follow from the ModelVersion's
 * approval and quarantine. Returns the Approved condition's message when not approved (heap),
 * else NULL. */
static char *decide_approval(const mg_md_inputs *in, json_t *conds, long long generation, mg_md_decision *out,
                             const char **phase, const char **history_reason) {
    const char *mv_ref = mg_json_str(in->md, "spec", "modelVersion", NULL);
    long long spec_replicas = mg_json_int(in->md, 1, "spec", "replicas", NULL);
    char *approved_msg = NULL;
    out->stop_in_place = true;
    if (!in->mv) {
        approved_msg = mg_xasprintf("ModelVersion %s not found", mv_ref ? mv_ref : "(unset)");
        mg_condition_set(conds, "Approved", "False", "ModelVersionNotFound", approved_msg, generation,
                         in->now);
        mg_condition_set(conds, "Quarantined", "False", "NotQuarantined", "", generation, in->now);
        *phase = "Pending";
        *history_reason = "ModelVersionNotFound";
    } else if (!in->mv_approved) {
        approved_msg = mg_xstrdup(in->approval_message ? in->approval_message : "not approved");
        mg_condition_set(conds, "Approved", "False", "NotApproved", approved_msg, generation, in->now);
        mg_condition_set(conds, "Quarantined", in->mv_quarantined ? "True" : "False",
                         in->mv_quarantined ? "Quarantined" : "NotQuarantined",
                         in->mv_quarantined && in->quarantine_reason ? in->quarantine_reason : "", generation,
                         in->now);
        *phase = in->mv_quarantined ? "Quarantined" : "Pending";
        *history_reason = "NotApproved";
    } else {
        mg_condition_set(conds, "Approved", "True", "Approved", "", generation, in->now);
        if (in->mv_quarantined) {
            mg_condition_set(conds, "Quarantined", "True", "Quarantined",
                             in->quarantine_reason ? in->quarantine_reason : "", generation, in->now);
            *phase = in->retraining ? "Retraining" : "Quarantined";
            *history_reason = "Quarantined";
            if (in->fallback_mv && in->fallback_usable) {
                out->run_mv = in->fallback_mv;
                out->replicas = spec_replicas;
                out->stop_in_place = false;
                *history_reason = spec_replicas == 0 ? "ScaledToZero" : "FallbackAfterQuarantine";
            }
        } else {
            mg_condition_set(conds, "Quarantined", "False", "NotQuarantined", "", generation, in->now);
            out->run_mv = in->mv;
            out->replicas = spec_replicas;
            out->stop_in_place = false;
            *phase = "Progressing";
            *history_reason = spec_replicas == 0  ? "ScaledToZero"
                              : in->deploy_reason ? in->deploy_reason
                                                  : "Deployed";
        }
    }
    return approved_msg;
}

/* True when the Deployment the API server and kubelet report runs what out decided: its
 * generation observed, the pinned image, the replica count, not paused, and every pod it has of
 * the current template (updated), none of an older one left. */
static bool rolled_out(const json_t *deployment, const mg_md_decision *out) {
    long long dep_gen = mg_json_int(deployment, 0, "metadata", "generation", NULL);
    long long dep_observed = mg_json_int(deployment, -1, "status", "observedGeneration", NULL);
    long long current = mg_json_int(deployment, 0, "status", "replicas", NULL);
    long long updated = mg_json_int(deployment, 0, "status", "updatedReplicas", NULL);
    const char *dep_image = json_string_value(json_object_get(
        json_array_get(mg_json_get(deployment, "spec", "template", "spec", "containers", NULL), 0), "image"));
    char *want_image = out->run_mv ? mg_xasprintf("%s@%s", mg_json_str(out->run_mv, "spec", "image", NULL),
                                                  mg_json_str(out->run_mv, "spec", "digest", NULL))
                                   : NULL;
    bool done = deployment && dep_observed >= dep_gen && dep_image && want_image &&
                !strcmp(dep_image, want_image) &&
                mg_json_int(deployment, -1, "spec", "replicas", NULL) == out->replicas &&
                !mg_json_bool(deployment, false, "spec", "paused", NULL) && current == out->replicas &&
                updated >= out->replicas;
    free(want_image);
    return done;
}

/* Why the Deployment's pods do not come, in its own words: ReplicaFailure=True (a quota, a
 * webhook refusing the pods) or Progressing=False (its progress deadline passed); NULL when it
 * says nothing of the kind. Borrowed from deployment. */
static const json_t *pods_failing(const json_t *deployment) {
    json_t *conds = mg_json_get(deployment, "status", "conditions", NULL);
    if (mg_condition_is_true(conds, "ReplicaFailure")) return mg_condition_find(conds, "ReplicaFailure");
    const json_t *progressing = mg_condition_find(conds, "Progressing");
    const char *status = progressing ? mg_json_str(progressing, "status", NULL) : NULL;
    return status && !strcmp(status, "False") ? progressing : NULL;
}

/* status's phase, generation, replica counts, selector, model and servingModelVersion. */
static void set_status_fields(json_t *status, const mg_md_inputs *in, const mg_md_decision *out,
                              const char *phase, long long generation, long long current, long long ready) {
    json_object_set_new(status, "phase", json_string(phase));
    json_object_set_new(status, "observedGeneration", json_integer(generation));
    json_object_set_new(status, "replicas", json_integer(current));
    json_object_set_new(status, "readyReplicas", json_integer(ready));
    char *selector = mg_xasprintf(MG_LABEL_MODELDEPLOYMENT "=%s", name_of(in->md));
    json_object_set_new(status, "selector", json_string(selector));
    free(selector);
    const char *model = in->mv ? mg_json_str(in->mv, "spec", "model", NULL) : NULL;
    if (model)
        json_object_set_new(status, "model", json_string(model));
    else
        json_object_del(status, "model");
    if (out->run_mv && out->replicas > 0)
        json_object_set_new(status, "servingModelVersion", json_string(name_of(out->run_mv)));
    else
        json_object_del(status, "servingModelVersion");
}

/* An Event on every transition that tells a human something; entering Progressing is the
 * normal first step of every rollout and only adds API load. */
static void phase_event(const mg_md_inputs *in, mg_md_decision *out, const char *old_phase, const char *phase,
                        const char *approved_msg) {
    if ((old_phase && !strcmp(old_phase, phase)) || !strcmp(phase, "Progressing")) return;
    const char *mv_ref = mg_json_str(in->md, "spec", "modelVersion", NULL);
    bool warn = !strcmp(phase, "Quarantined") || !strcmp(phase, "AwaitingReview") || !in->mv;
    char *msg = !strcmp(phase, "Quarantined")
                    ? mg_xasprintf("ModelVersion %s quarantined: %s%s", mv_ref ? mv_ref : "",
                                   in->quarantine_reason ? in->quarantine_reason : "",
                                   out->replicas ? "; serving the fallback" : "; scaled to zero")
                : approved_msg && !strcmp(phase, "Pending")
                    ? mg_xstrdup(approved_msg)
                    : mg_xasprintf("phase %s -> %s", old_phase ? old_phase : "(new)", phase);
    add_event(out, warn ? "Warning" : "Normal", phase, msg);
}

void mg_md_decide(const mg_md_inputs *in, mg_md_decision *out) {
    memset(out, 0, sizeof(*out));
    long long generation = mg_json_int(in->md, 0, "metadata", "generation", NULL);
    json_t *old_status = mg_json_get(in->md, "status", NULL);
    /* borrowed from the input, which outlives this call (status itself is rewritten below) */
    const char *old_phase = mg_json_str(old_status, "phase", NULL);
    json_t *conds, *history;
    json_t *status = status_copy(old_status, &conds, &history);

    const char *phase, *history_reason;
    char *approved_msg = decide_approval(in, conds, generation, out, &phase, &history_reason);
    if (!out->run_mv) out->run_mv = in->mv; /* what status names; nothing of it runs */
    /* spec.replicas 0 of an approved version: its Deployment exists at zero, rolled out like any */
    bool zero_by_spec = !out->stop_in_place && out->replicas == 0;
    out->create_deployment = !out->stop_in_place && !in->deployment;

    /* Readiness comes from the Deployment the API server and kubelet report. */
    long long ready = mg_json_int(in->deployment, 0, "status", "readyReplicas", NULL);
    long long current = mg_json_int(in->deployment, 0, "status", "replicas", NULL);
    bool rolled = !out->stop_in_place && rolled_out(in->deployment, out);
    bool ready_all = rolled && ready >= out->replicas;
    if (!strcmp(phase, "Progressing") && ready_all) phase = "Serving";
    const char *serving = out->replicas > 0 && out->run_mv ? name_of(out->run_mv) : NULL;
    out->monitoring_applies = !serving || (in->monitor_judged && !strcmp(in->monitor_judged, serving));
    if (!strcmp(phase, "Serving") && in->monitor_phase && out->monitoring_applies) phase = in->monitor_phase;

    const json_t *failing = !ready_all && !out->stop_in_place ? pods_failing(in->deployment) : NULL;
    const char *failing_type = failing ? mg_json_str(failing, "type", NULL) : NULL;
    const char *failing_message = failing ? mg_json_str(failing, "message", NULL) : NULL;
    /* ReplicaFailure, or Progressing=False's own reason (ProgressDeadlineExceeded) */
    const char *failing_reason = !failing ? NULL
                                 : !strcmp(failing_type, "ReplicaFailure")
                                     ? "ReplicaFailure"
                                     : mg_json_str(failing, "reason", NULL);
    if (failing && !failing_reason) failing_reason = "ProgressDeadlineExceeded";
    char *ready_msg = failing
                          ? mg_xasprintf("%lld/%lld replicas ready; the Deployment reports %s: %s", ready,
                                         out->replicas, failing_type, failing_message ? failing_message : "")
                      : zero_by_spec ? mg_xasprintf("%lld/0 replicas: spec.replicas is 0", current)
                                     : mg_xasprintf("%lld/%lld replicas ready", ready, out->replicas);
    const char *ready_reason = failing_reason  ? failing_reason
                               : zero_by_spec  ? "ZeroReplicas"
                               : ready_all     ? "Available"
                               : out->replicas ? "Progressing"
                                               : "ScaledToZero";
    mg_condition_set(conds, "Ready", ready_all ? "True" : "False", ready_reason, ready_msg, generation,
                     in->now);
    /* the pods' failure is news once: an Event when the Ready condition first shows it */
    const json_t *old_ready = mg_condition_find(mg_json_get(old_status, "conditions", NULL), "Ready");
    const char *old_reason = old_ready ? mg_json_str(old_ready, "reason", NULL) : NULL;
    if (failing_reason && (!old_reason || strcmp(old_reason, failing_reason)))
        add_event(out, "Warning",
                  !strcmp(failing_reason, "ReplicaFailure") ? "ReplicaFailure" : "ProgressDeadlineExceeded",
                  mg_xstrdup(ready_msg));
    free(ready_msg);

    update_history(history, serving, history_reason, in->now);
    set_status_fields(status, in, out, phase, generation, current, ready);
    phase_event(in, out, old_phase, phase, approved_msg);
    free(approved_msg);
    out->status = status;
}

void mg_md_decision_free(mg_md_decision *d) {
    for (int i = 0; i < d->n_events; i++)
        free(d->events[i].message);
    json_decref(d->status);
    memset(d, 0, sizeof(*d));
}

bool mg_md_count_only_change(const json_t *old_status, const json_t *new_status) {
    if (!json_is_object(old_status) || !json_is_object(new_status)) return false;
    if (json_equal(json_object_get(old_status, "replicas"), json_object_get(new_status, "replicas")))
        return false;
    json_t *a = json_copy((json_t *)old_status), *b = json_copy((json_t *)new_status);
    json_object_del(a, "replicas");
    json_object_del(b, "replicas");
    bool only = json_equal(a, b);
    json_decref(a);
    json_decref(b);
    return only;
}
