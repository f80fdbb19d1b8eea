/* ModelDeployment reconcile: the owned Deployment and Service, status (phase, conditions,
 * history), events, and — while its ModelVersion is quarantined — automatic retraining on fresh
 * data and promotion of the approved result (spec.retraining). The pure decision is
 * operator/mdstate; this file does the reading and the writing. */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/log.h"
#include "core/mem.h"
#include "k8s/conditions.h"
#include "operator/approvals.h"
#include "operator/inflight.h"
#include "operator/lookups.h"
#include "operator/mdstate.h"
#include "operator/monitor.h"
#include "operator/opctx.h"
#include "operator/plan.h"
#include "operator/settle.h"
#include "operator/training.h"
#include "operator/trim.h"

static json_t *status_copy(const json_t *obj) {
    json_t *s = mg_json_get(obj, "status", NULL);
    return json_is_object(s) ? json_deep_copy(s) : json_object();
}

static json_t *conditions_of(json_t *status) {
    json_t *conds = json_object_get(status, "conditions");
    if (!json_is_array(conds)) json_object_set_new(status, "conditions", conds = json_array());
    return conds;
}

/* The newest approved, non-quarantined ModelVersion registered from `run` (borrowed from mvs). */
static const json_t *promotable(mg_operator *op, const json_t *mvs, const char *ns) {
    const json_t *best = NULL;
    size_t i;
    json_t *mv;
    json_array_foreach(mvs, i, mv) {
        mg_mv_verdict v;
        mg_op_mv_verdict(op, mv, &v);
        bool ok = v.approved && !v.quarantined;
        mg_mv_verdict_free(&v);
        if (!ok) continue;
        const char *t = mg_json_str(mv, "metadata", "creationTimestamp", NULL);
        const char *bt = best ? mg_json_str(best, "metadata", "creationTimestamp", NULL) : NULL;
        if (!best || strcmp(t ? t : "", bt ? bt : "") > 0) best = mv;
    }
    return best;
}

static unsigned fnv1a(const char *s) {
    unsigned h = 2166136261u;
    for (; s && *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* Starts retraining for a quarantined model: a TrainingRun from spec.retraining.template on the
 * freshest eligible dataset. The run's name is derived from the quarantined ModelVersion, so a
 * retry after a failed status write finds the run it already made (409 AlreadyExists = done).
 * On success *run_name receives a new heap string. Sets condition RetrainingBlocked. */
static int start_retraining(mg_operator *op, const json_t *md, const json_t *mv, json_t *status,
                            const char *now, char **run_name, mg_error *err) {
    const char *ns = mg_json_str(md, "metadata", "namespace", NULL);
    const char *md_name = mg_json_str(md, "metadata", "name", NULL);
    long long gen = mg_json_int(md, 0, "metadata", "generation", NULL);
    json_t *conds = conditions_of(status);
    json_t *dsvs = mg_op_list_ns(op, INF_DSV, ns);
    const char *why = NULL;
    const json_t *dsv = mg_pick_retraining_dataset(
        dsvs, mg_json_get(md, "spec", "retraining", "datasetSelector", NULL),
        mg_json_str(mv, "spec", "datasetVersion", NULL), op->approved_scan_tools, &why);
    if (!dsv) {
        if (mg_condition_set(conds, "RetrainingBlocked", "True", "NoFreshData", why, gen, now) &&
            !mg_condition_is_true(mg_json_get(md, "status", "conditions", NULL), "RetrainingBlocked"))
            mg_op_event(op, md, "Warning", "RetrainingBlocked", why);
        json_decref(dsvs);
        return 0;
    }
    json_t *tmpl = mg_json_get(md, "spec", "retraining", "template", NULL);
    json_t *spec = json_is_object(tmpl) ? json_deep_copy(tmpl) : json_object();
    const char *dsv_name = mg_json_str(dsv, "metadata", "name", NULL);
    json_object_set_new(spec, "datasetVersion", json_string(dsv_name));
    const char *model = mg_json_str(mv, "spec", "model", NULL);
    if (!json_object_get(spec, "experiment")) {
        char *exp = mg_xasprintf("%s-retraining", model ? model : md_name);
        json_object_set_new(spec, "experiment", json_string(exp));
        free(exp);
    }
    if (!json_is_object(json_object_get(spec, "model")))
        json_object_set_new(spec, "model", json_pack("{s:s}", "name", model ? model : md_name));
    char *name =
        mg_xasprintf("%.200s-retrain-%08x", md_name, fnv1a(mg_json_str(mv, "metadata", "name", NULL)));
    json_t *tr =
        json_pack("{s:s, s:s, s:{s:s, s:s, s:{s:s, s:s}, s:[{s:s, s:s, s:s, s:s}]}, s:o}", "apiVersion",
                  MG_API_GROUP_VERSION, "kind", MG_KIND_TRAININGRUN, "metadata", "name", name, "namespace",
                  ns, "labels", MG_LABEL_MODELDEPLOYMENT, md_name, MG_LABEL_RETRAINING_OF,
                  mg_json_str(mv, "metadata", "name", NULL), "ownerReferences", "apiVersion",
                  MG_API_GROUP_VERSION, "kind", MG_KIND_MODELDEPLOYMENT, "name", md_name, "uid",
                  mg_json_str(md, "metadata", "uid", NULL) ? mg_json_str(md, "metadata", "uid", NULL) : "",
                  "spec", spec);
    mg_error cerr;
    int rc = mg_k8s_create(op->client, &MG_GVR_TRAININGRUNS, ns, tr, NULL, &cerr);
    json_decref(tr);
    if (rc == 0) {
        mg_op_count_write(op);
        char *msg = mg_xasprintf("TrainingRun %s started on DatasetVersion %s", name, dsv_name);
        mg_op_event(op, md, "Normal", "RetrainingStarted", msg);
        free(msg);
    }
    json_decref(dsvs); /* dsv_name is borrowed from it */
    if (rc != 0 && rc != MG_ECONFLICT) {
        free(name);
        if (err) *err = cerr;
        return rc;
    }
    mg_condition_set(conds, "RetrainingBlocked", "False", "RetrainingStarted", "", gen, now);
    *run_name = name;
    return 0;
}

/* Monitoring's verdict into status: lastEvaluation, breaches and the Degraded / Drifted /
 * BiasDrift conditions (MonitoringConfig when spec.monitoring or the baseline is unusable). */
static void merge_monitoring(json_t *status, const mg_monitor_verdict *mon, long long gen, const char *now) {
    static const char *const types[3] = {"Degraded", "Drifted", "BiasDrift"};
    static const char *const reasons[3] = {"PerformanceDegraded", "DataDrift", "BiasDrift"};
    json_t *conds = conditions_of(status);
    if (mon->config_error) {
        mg_condition_set(conds, "MonitoringConfig", "False", "Invalid", mon->message[0], gen, now);
        return;
    }
    if (mg_condition_find(conds, "MonitoringConfig"))
        mg_condition_set(conds, "MonitoringConfig", "True", "Valid", "", gen, now);
    if (mon->last_evaluation) json_object_set(status, "lastEvaluation", mon->last_evaluation);
    if (mon->breaches) json_object_set(status, "breaches", mon->breaches);
    for (int c = 0; c < 3; c++)
        mg_condition_set(conds, types[c], mon->condition[c] ? "True" : "False",
                         mon->condition[c] ? reasons[c] : "WithinThresholds", mon->message[c], gen, now);
}

/* Another ModelVersion serves than the one monitoring judged: its evaluation and breaches leave
 * status (read as the new version's, a quarantine breach would quarantine it) and the monitoring
 * conditions wait for the first evaluation of the version now serving. */
static void forget_monitoring(json_t *status, long long gen, const char *now) {
    static const char *const types[3] = {"Degraded", "Drifted", "BiasDrift"};
    json_object_del(status, "lastEvaluation");
    json_object_del(status, "breaches");
    json_t *conds = conditions_of(status);
    for (int c = 0; c < 3; c++)
        if (mg_condition_find(conds, types[c]))
            mg_condition_set(conds, types[c], "Unknown", "AwaitingEvaluation",
                             "the ModelVersion now serving has not been evaluated yet", gen, now);
}

/* The Deployment or the Service of the ModelDeployment's name. Whose it is goes by its controller
 * ownerReference (the ModelDeployment's uid), never by the managed-by label: the label only
 * decides what the informers see. */
typedef struct owned_obj {
    const mg_gvr *gvr;
    const char *kind; /* "Deployment", "Service" */
    json_t *obj;      /* ours, as cached or as a GET found it (trimmed); new reference or NULL */
    bool foreign;     /* it exists and this ModelDeployment does not control it: never written */
    bool unlabelled;  /* ours without the managed-by label: re-applied whatever its hash says */
    bool pending;     /* its create was sent and no event for it had arrived before obj was read */
} owned_obj;

/* What one reconcile read from the caches. */
typedef struct md_ctx {
    mg_operator *op;
    const char *key;
    json_t *md, *mv, *fb; /* new references (NULL when absent) */
    owned_obj dep, svc;
    const char *ns, *name, *run; /* borrowed from md; run: status.retrainingRun */
    long long gen;
    bool promoted;        /* spec.modelVersion names the ModelVersion the retraining run made */
    bool refused;         /* a write was refused in this reconcile: Ready says so (the first refusal) */
    bool refusal_written; /* and the status saying it was written */
    mg_mv_verdict verdict, fb_verdict;
    char now[40];
} md_ctx;

static void ctx_load(md_ctx *c, mg_operator *op, const char *key, json_t *md) {
    *c = (md_ctx){.op = op, .key = key, .md = md};
    c->ns = mg_json_str(md, "metadata", "namespace", NULL);
    c->name = mg_json_str(md, "metadata", "name", NULL);
    c->gen = mg_json_int(md, 0, "metadata", "generation", NULL);
    mg_clock_rfc3339(mg_clock_wall_ms(), c->now, sizeof(c->now));
    c->mv = mg_op_get(op, INF_MV, c->ns, mg_json_str(md, "spec", "modelVersion", NULL));
    c->fb = mg_op_get(op, INF_MV, c->ns, mg_json_str(md, "spec", "fallbackModelVersion", NULL));
    /* The create's wait first, the cache second: an event updates the cache before it ends the
     * wait, so a miss read after "pending" means the event has not arrived yet. The other way
     * round, an event between the two reads would send the create again, for a 409. */
    c->dep = (owned_obj){.gvr = &MG_GVR_DEPLOYMENTS,
                         .kind = "Deployment",
                         .pending = mg_op_create_pending(op, &MG_GVR_DEPLOYMENTS, c->ns, c->name)};
    c->svc = (owned_obj){.gvr = &MG_GVR_SERVICES,
                         .kind = "Service",
                         .pending = mg_op_create_pending(op, &MG_GVR_SERVICES, c->ns, c->name)};
    c->dep.obj = mg_op_get(op, INF_DEPLOY, c->ns, c->name);
    c->svc.obj = mg_op_get(op, INF_SVC, c->ns, c->name);
    owned_obj *objs[] = {&c->dep, &c->svc};
    for (size_t i = 0; i < 2; i++)
        if (objs[i]->obj && !mg_op_owned_by(objs[i]->obj, md)) { /* labelled, but someone else's */
            objs[i]->foreign = true;
            json_decref(objs[i]->obj);
            objs[i]->obj = NULL;
        }
    if (c->mv) mg_op_mv_verdict(op, c->mv, &c->verdict);
    if (c->fb) mg_op_mv_verdict(op, c->fb, &c->fb_verdict);
    /* Retraining bookkeeping: a run is under way (status.retrainingRun); the model it produced
     * is serving once spec.modelVersion names a ModelVersion registered from that run. */
    c->run = mg_json_str(md, "status", "retrainingRun", NULL);
    const char *mv_run = c->mv ? mg_json_str(c->mv, "spec", "trainingRun", NULL) : NULL;
    c->promoted = c->run && mv_run && !strcmp(c->run, mv_run);
}

static void ctx_release(md_ctx *c) {
    mg_mv_verdict_free(&c->verdict);
    mg_mv_verdict_free(&c->fb_verdict);
    json_decref(c->mv);
    json_decref(c->fb);
    json_decref(c->dep.obj);
    json_decref(c->svc.obj);
    json_decref(c->md);
}

/* Before every write: this replica still handles the ModelDeployment (k8s/members). */
static int fence(const md_ctx *c, mg_error *err) {
    if (mg_op_owns(c->op, c->key)) return 0;
    return mg_error_set(err, MG_ECANCELED, "ModelDeployment %s is no longer this replica's", c->key);
}

static void lookup_key(const md_ctx *c, const owned_obj *o, char *out, size_t outlen) {
    mg_inflight_key(o->gvr->resource, c->ns, c->name, out, outlen);
}

/* GETs the object of the ModelDeployment's name the caches lack and says whose it is: ours
 * (o->obj, trimmed as the cache would hold it; o->unlabelled when it lost the managed-by label),
 * someone else's (o->foreign) or none. Only the last two answers are remembered
 * (operator/lookups): ours comes back into the cache once relabelled. */
static int look_up(md_ctx *c, owned_obj *o, mg_error *err) {
    char key[600];
    lookup_key(c, o, key, sizeof(key));
    const char *uid = mg_json_str(c->md, "metadata", "uid", NULL);
    json_t *got = NULL;
    int rc = mg_k8s_get(c->op->client, o->gvr, c->ns, c->name, NULL, &got, err);
    if (rc == MG_ENOTFOUND) {
        mg_lookups_put(c->op->lookups, key, MG_LOOKUP_ABSENT, uid, c->gen, mg_clock_mono_ms());
        return 0;
    }
    if (rc) return rc;
    if (!mg_op_owned_by(got, c->md)) {
        o->foreign = true;
        mg_lookups_put(c->op->lookups, key, MG_LOOKUP_FOREIGN, uid, c->gen, mg_clock_mono_ms());
        json_decref(got);
        return 0;
    }
    const char *by = mg_json_str(got, "metadata", "labels", MG_LABEL_MANAGED_BY, NULL);
    o->unlabelled = !by || strcmp(by, MG_MANAGER_NAME);
    if (o->unlabelled)
        mg_log(MG_LOG_WARN, "owned object lost its managed-by label, putting it back", "kind", o->kind, "key",
               c->key, NULL);
    json_decref(o->gvr == &MG_GVR_SERVICES ? mg_trim_service(got, NULL)
                                           : mg_trim_owned(got, NULL)); /* in place */
    o->obj = got;
    return 0;
}

/* A Deployment or Service the caches lack: someone else's of that name remembered, or, for a
 * ModelDeployment that has served or stands at zero replicas (its objects were made, so they
 * exist unless deleted), one GET
 * by name. A new ModelDeployment's objects are created without one; a 409 then asks
 * (apply_one). */
static int find_missing(md_ctx *c, owned_obj *o, mg_error *err) {
    if (o->obj || o->foreign) return 0;
    char key[600];
    lookup_key(c, o, key, sizeof(key));
    mg_lookup_answer a = mg_lookups_get(c->op->lookups, key, mg_json_str(c->md, "metadata", "uid", NULL),
                                        c->gen, mg_clock_mono_ms());
    if (a == MG_LOOKUP_FOREIGN) o->foreign = true;
    /* its objects were made: it has served, or it is done at spec.replicas 0 (no history) */
    const json_t *ready = mg_condition_find(mg_json_get(c->md, "status", "conditions", NULL), "Ready");
    const char *ready_reason = ready ? mg_json_str(ready, "reason", NULL) : NULL;
    bool served = json_array_size(mg_json_get(c->md, "status", "history", NULL)) > 0 ||
                  (ready_reason && !strcmp(ready_reason, "ZeroReplicas"));
    if (a != MG_LOOKUP_UNKNOWN || !served || o->pending) return 0;
    return look_up(c, o, err);
}

/* Sets Ready=False with reason and msg in status. The transition time of a Ready that was
 * already False is kept: mdstate set Ready afresh before this, and a time that moved at every
 * retry would be a status write at every retry. */
static void set_not_ready(md_ctx *c, json_t *status, const char *reason, const char *msg) {
    const json_t *old = mg_condition_find(mg_json_get(c->md, "status", "conditions", NULL), "Ready");
    const char *old_status = old ? mg_json_str(old, "status", NULL) : NULL;
    json_t *conds = conditions_of(status);
    mg_condition_set(conds, "Ready", "False", reason, msg, c->gen, c->now);
    json_t *ltt = old ? json_object_get(old, "lastTransitionTime") : NULL;
    if (old_status && !strcmp(old_status, "False") && ltt)
        json_object_set(mg_condition_find(conds, "Ready"), "lastTransitionTime", ltt);
}

/* Whether the stored Ready condition already says reason and msg. */
static bool ready_shows(const md_ctx *c, const char *reason, const char *msg) {
    const json_t *old = mg_condition_find(mg_json_get(c->md, "status", "conditions", NULL), "Ready");
    const char *r = old ? mg_json_str(old, "reason", NULL) : NULL,
               *m = old ? mg_json_str(old, "message", NULL) : NULL;
    return r && !strcmp(r, reason) && (!msg || (m && !strcmp(m, msg)));
}

/* The Ready condition says that someone else's object holds the name. Returns true when the
 * ModelDeployment did not show it yet (an Event says it then, once). */
static bool show_conflict(md_ctx *c, json_t *status, const owned_obj *o) {
    char reason[32], msg[160];
    snprintf(reason, sizeof(reason), "%sConflict", o->kind);
    snprintf(msg, sizeof(msg),
             "a %s of this name exists and is not controlled by this ModelDeployment: it is left as it is",
             o->kind);
    bool shown = ready_shows(c, reason, NULL);
    set_not_ready(c, status, reason, msg);
    return !shown;
}

/* Someone else's Deployment of the same name: never take it over, say so (status has only the
 * Ready condition: nothing of this ModelDeployment runs). */
static int report_conflict(md_ctx *c, mg_error *err) {
    json_t *status = status_copy(c->md);
    bool first = show_conflict(c, status, &c->dep);
    int rc = fence(c, err);
    if (!rc) rc = mg_op_write_status(c->op, &MG_GVR_MODELDEPLOYMENTS, c->md, status, err);
    if (!rc && first)
        mg_op_event(
            c->op, c->md, "Warning", "DeploymentConflict",
            mg_json_str(mg_condition_find(json_object_get(status, "conditions"), "Ready"), "message", NULL));
    json_decref(status);
    return rc;
}

/* Quarantined while a retraining run made an approved version: roll to it (autoPromote). *done
 * when spec.modelVersion was patched: the change brings the ModelDeployment back. */
static int promote_retrained(md_ctx *c, bool *done, mg_error *err) {
    *done = false;
    if (!c->run || c->promoted || !c->verdict.quarantined ||
        !mg_json_bool(c->md, false, "spec", "retraining", "autoPromote", NULL))
        return 0;
    json_t *candidates = mg_op_by_index(c->op, INF_MV, "trainingRun", c->run, c->ns);
    const json_t *next = promotable(c->op, candidates, c->ns);
    int rc = next ? fence(c, err) : 0;
    if (next && !rc) {
        const char *next_name = mg_json_str(next, "metadata", "name", NULL);
        json_t *patch = json_pack("{s:{s:s}}", "spec", "modelVersion", next_name);
        rc = mg_k8s_merge_patch(c->op->client, &MG_GVR_MODELDEPLOYMENTS, c->ns, c->name, NULL, patch, NULL,
                                err);
        json_decref(patch);
        if (rc == 0) {
            mg_op_count_write(c->op);
            char *msg = mg_xasprintf("promoting ModelVersion %s from retraining run %s", next_name, c->run);
            mg_op_event(c->op, c->md, "Normal", "Promoted", msg);
            free(msg);
        }
        *done = true;
    }
    json_decref(candidates);
    return rc;
}

/* A write the API server refused (quota, a full service IP range, an admission webhook, an
 * invalid object): the ModelDeployment says so in its Ready condition, and an Event says it once
 * (when the condition first shows it). The key is retried with backoff all the same. */
static void record_refusal(md_ctx *c, json_t *status, const char *what, const mg_error *err) {
    if (!err->http_status || err->code == MG_ECONFLICT) return; /* unreachable, or only a stale cache */
    if (c->refused) return;                                     /* the first refusal is the one shown */
    c->refused = true;
    char reason[32], *msg = mg_xasprintf("the API server refused the %s: %s", what, err->message);
    snprintf(reason, sizeof(reason), "%sRefused", what);
    bool shown = ready_shows(c, reason, msg);
    set_not_ready(c, status, reason, msg);
    /* written on every try, not only the first: the counts and observedGeneration stay current
     * while the refusal lasts (an unchanged status is not written) */
    mg_error werr;
    if (fence(c, &werr) == 0 &&
        mg_op_write_status(c->op, &MG_GVR_MODELDEPLOYMENTS, c->md, status, &werr) == 0) {
        c->refusal_written = true;
        if (!shown) mg_op_event(c->op, c->md, "Warning", reason, msg);
    }
    free(msg);
}

static void say_label_restored(md_ctx *c, owned_obj *o) {
    o->unlabelled = false;
    char *msg = mg_xasprintf("%s %s had lost its label %s=%s: the label is back and the %s managed again",
                             o->kind, c->name, MG_LABEL_MANAGED_BY, MG_MANAGER_NAME, o->kind);
    mg_op_event(c->op, c->md, "Warning", "LabelRestored", msg);
    free(msg);
}

/* Ours: applied as usual, or relabelled (reclaimed) when it lost its label. */
static int write_ours(md_ctx *c, owned_obj *o, const json_t *want, mg_error *err) {
    int rc = fence(c, err);
    if (rc) return rc;
    if (!o->unlabelled) return mg_op_apply_owned(c->op, o->gvr, c->ns, want, o->obj, NULL, err);
    rc = mg_op_reclaim_owned(c->op, o->gvr, c->ns, want, o->obj, err);
    if (rc == 0) say_label_restored(c, o);
    return rc;
}

/* Nothing may run: our Deployment is scaled to zero as it is. Its pod template stays, so an
 * admission webhook has no new image to judge (ours refuses an unapproved one even at zero
 * replicas, which left the old version running) and it still says which version it ran. The
 * applied hash stays too: when the version may run again, the next apply sees replicas that
 * differ and writes the whole Deployment. */
static int stop_in_place(md_ctx *c, owned_obj *o, json_t *status, mg_error *err) {
    if (mg_json_int(o->obj, -1, "spec", "replicas", NULL) == 0 && !o->unlabelled) return 0;
    int rc = fence(c, err);
    if (rc) return rc;
    json_t *patch = json_pack("{s:{s:i}}", "spec", "replicas", 0);
    if (o->unlabelled)
        json_object_set_new(patch, "metadata",
                            json_pack("{s:{s:s}}", "labels", MG_LABEL_MANAGED_BY, MG_MANAGER_NAME));
    rc = mg_k8s_merge_patch(c->op->client, o->gvr, c->ns, c->name, NULL, patch, NULL, err);
    json_decref(patch);
    if (rc == 0) {
        mg_op_count_write(c->op);
        if (o->unlabelled) say_label_restored(c, o);
    } else {
        record_refusal(c, status, o->kind, err);
    }
    return rc;
}

/* Applies want to o. A create answered 409 AlreadyExists means a same-named object the caches
 * lack: it is looked up, and written only when it is ours (o->foreign otherwise). */
static int apply_one(md_ctx *c, owned_obj *o, const json_t *want, json_t *status, mg_error *err) {
    bool creating = !o->obj;
    if (creating && o->pending) return 0; /* its informer event wakes the owner */
    int rc = write_ours(c, o, want, err);
    if (rc == MG_ECONFLICT && creating && !strcmp(err->reason, "AlreadyExists")) {
        rc = look_up(c, o, err);
        if (rc == 0 && o->obj) rc = write_ours(c, o, want, err);
        if (rc == 0 && !o->obj && !o->foreign) /* gone again meanwhile: the next try creates it */
            rc = mg_error_set(err, MG_ECONFLICT, "%s %s: created by someone else, then deleted", o->kind,
                              c->key);
    }
    if (rc && rc != MG_ECANCELED) record_refusal(c, status, o->kind, err);
    return rc;
}

/* The Deployment and Service the decision wants; someone else's are left alone. The Service is
 * applied even when the Deployment's write failed: a hand edit of who reaches the model is
 * undone whatever the Deployment's state. Returns the first error. */
static int apply_objects(md_ctx *c, const mg_md_decision *d, mg_error *err) {
    int rc = 0;
    if (d->stop_in_place) {
        if (c->dep.obj) rc = stop_in_place(c, &c->dep, d->status, err);
    } else if (d->run_mv && !c->dep.foreign && (c->dep.obj || d->create_deployment)) {
        json_t *want = mg_plan_deployment(c->md, d->run_mv, d->replicas);
        rc = apply_one(c, &c->dep, want, d->status, err);
        json_decref(want);
    }
    if (rc == MG_ECANCELED) return rc; /* fenced: nothing more is this replica's to write */
    if (!c->dep.foreign && !c->svc.foreign && (c->svc.obj || d->create_deployment || c->dep.obj)) {
        json_t *want = mg_plan_service(c->md);
        mg_error svc_err;
        int svc_rc = apply_one(c, &c->svc, want, d->status, rc ? &svc_err : err);
        json_decref(want);
        if (rc == 0) rc = svc_rc;
    }
    return rc;
}

/* Quarantined with spec.retraining.auto and no run yet: start one (status says which). */
static int retrain_if_needed(md_ctx *c, json_t *status, mg_error *err) {
    if (!c->verdict.quarantined || c->run || !c->mv ||
        !mg_json_bool(c->md, false, "spec", "retraining", "auto", NULL))
        return 0;
    int rc = fence(c, err);
    char *started = NULL;
    if (!rc) rc = start_retraining(c->op, c->md, c->mv, status, c->now, &started, err);
    if (started) {
        json_object_set_new(status, "retrainingRun", json_string(started));
        json_object_set_new(status, "phase", json_string("Retraining"));
        free(started);
    }
    return rc;
}

static void decide(md_ctx *c, const mg_monitor_verdict *mon, mg_md_decision *d) {
    mg_md_inputs in = {.md = c->md,
                       .mv = c->mv,
                       .mv_approved = c->verdict.approved,
                       .approval_message = c->verdict.message,
                       .mv_quarantined = c->verdict.quarantined,
                       .quarantine_reason = c->verdict.quarantine_reason,
                       .fallback_mv = c->fb,
                       .fallback_usable = c->fb && c->fb_verdict.approved && !c->fb_verdict.quarantined,
                       .deployment = c->dep.obj,
                       .monitor_phase = mon->awaiting_review ? "AwaitingReview" : NULL,
                       .monitor_judged = mon->model_version[0] ? mon->model_version : NULL,
                       .retraining = c->verdict.quarantined && c->run && !c->promoted,
                       .deploy_reason = c->promoted ? "Promoted" : NULL,
                       .now = c->now};
    mg_md_decide(&in, d);
    if (mon->known && (mon->config_error || d->monitoring_applies))
        merge_monitoring(d->status, mon, c->gen, c->now);
    else if (mon->known)
        forget_monitoring(d->status, c->gen, c->now);
    if (c->promoted) {
        json_object_del(d->status, "retrainingRun");
        mg_condition_set(conditions_of(d->status), "RetrainingBlocked", "False", "Promoted", "", c->gen,
                         c->now);
    }
}

/* Objects, retraining, then status and the Events of the transition. */
static int converge(md_ctx *c, mg_error *err) {
    mg_monitor_verdict mon;
    mg_monitor_verdict_get(c->op->monitor, c->key, &mon);
    mg_md_decision d;
    decide(c, &mon, &d);
    mg_monitor_verdict_clear(&mon);
    int rc = apply_objects(c, &d, err);
    if (rc == 0 && c->dep.foreign) { /* found by a create's 409 */
        mg_md_decision_free(&d);
        return report_conflict(c, err);
    }
    /* someone else's Service: what runs is still governed (a quarantine scales it to zero) */
    bool svc_conflict_new = rc == 0 && c->svc.foreign && show_conflict(c, d.status, &c->svc);
    if (rc == 0) rc = retrain_if_needed(c, d.status, err);
    if (rc == 0) rc = fence(c, err);
    /* a change of the pod count alone waits for the next other change, or the hold time */
    long hold = 0;
    if (rc == 0 && d.n_events == 0 && mg_md_count_only_change(mg_json_get(c->md, "status", NULL), d.status))
        hold = mg_settle_wait(c->op->settle, c->key, mg_clock_mono_ms());
    else
        mg_settle_forget(c->op->settle, c->key);
    if (hold > 0) mg_wq_add_after(c->op->queue[Q_MD], c->key, hold);
    if (rc == 0 && hold == 0) rc = mg_op_write_status(c->op, &MG_GVR_MODELDEPLOYMENTS, c->md, d.status, err);
    /* the transition's Events go with the status that shows it: written here, or by a refusal */
    if (rc == 0 || c->refusal_written)
        for (int i = 0; i < d.n_events; i++)
            mg_op_event(c->op, c->md, d.events[i].type, d.events[i].reason, d.events[i].message);
    if (rc == 0 && hold == 0 && svc_conflict_new)
        mg_op_event(c->op, c->md, "Warning", "ServiceConflict",
                    mg_json_str(mg_condition_find(json_object_get(d.status, "conditions"), "Ready"),
                                "message", NULL));
    mg_md_decision_free(&d);
    return rc;
}

int mg_op_reconcile_md(mg_operator *op, const char *key, mg_error *err) {
    if (!mg_op_owns(op, key)) return 0; /* another replica's: it reconciles it */
    json_t *md = mg_store_get(mg_informer_store(op->inf[INF_MD]), key);
    if (!md) { /* deleted: the garbage collector removes what it owned */
        mg_settle_forget(op->settle, key);
        return 0;
    }
    if (mg_json_get(md, "metadata", "deletionTimestamp", NULL)) {
        json_decref(md);
        return 0;
    }
    md_ctx c;
    ctx_load(&c, op, key, md);
    bool promoted_now = false;
    int rc = find_missing(&c, &c.dep, err);
    if (rc == 0) rc = find_missing(&c, &c.svc, err);
    if (rc == 0 && c.dep.foreign)
        rc = report_conflict(&c, err);
    else if (rc == 0 && (rc = promote_retrained(&c, &promoted_now, err)) == 0 && !promoted_now)
        rc = converge(&c, err);
    ctx_release(&c);
    return rc == MG_ECANCELED ? 0 : rc; /* fenced: the new owner takes it from here */
}
