/* report — the document's top level, identity, reviews and approval, deployments; shared
 * helpers. See report.h. */
#include "report/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/mem.h"
#include "policy/approval.h"
#include "policy/mvstate.h"
#include "report/internal.h"

int64_t mg_rp_time(const char *s) {
    int64_t ms;
    return s && mg_clock_parse_rfc3339(s, &ms) == 0 ? ms : -1;
}

json_t *mg_rp_time_json(int64_t ms) {
    char ts[40];
    mg_clock_rfc3339(ms, ts, sizeof ts);
    return json_string(ts);
}

json_t *mg_rp_served(const json_t *md, const char *mv_name) {
    json_t *out = json_array();
    size_t i;
    json_t *h;
    json_array_foreach(mg_json_get(md, "status", "history", NULL), i, h) {
        const char *mv = mg_json_str(h, "modelVersion", NULL);
        if (!mv || strcmp(mv, mv_name)) continue;
        json_t *e = json_object();
        mg_json_set_str(e, "from", mg_json_str(h, "from", NULL));
        mg_json_set_str(e, "to", mg_json_str(h, "to", NULL));
        mg_json_set_str(e, "reason", mg_json_str(h, "reason", NULL));
        mg_json_set_str(e, "endReason", mg_json_str(h, "endReason", NULL));
        json_array_append_new(out, e);
    }
    return out;
}

bool mg_rp_in_served(const json_t *served, int64_t t_ms, int64_t end_ms) {
    size_t i;
    json_t *e;
    json_array_foreach(served, i, e) {
        int64_t from = mg_rp_time(mg_json_str(e, "from", NULL));
        int64_t to = json_object_get(e, "to") ? mg_rp_time(mg_json_str(e, "to", NULL)) : end_ms;
        if (from >= 0 && t_ms >= from && t_ms <= to) return true;
    }
    return false;
}

static json_t *find_named(const json_t *arr, const char *name) {
    size_t i;
    json_t *e;
    json_array_foreach(arr, i, e) {
        const char *n = mg_json_str(e, "name", NULL);
        if (n && name && !strcmp(n, name)) return e;
    }
    return NULL;
}

const json_t *mg_rp_find_object(const json_t *arr, const char *name) {
    size_t i;
    json_t *e;
    json_array_foreach(arr, i, e) {
        const char *n = mg_json_str(e, "metadata", "name", NULL);
        if (n && name && !strcmp(n, name)) return e;
    }
    return NULL;
}

void mg_rp_copy_fields(json_t *o, const json_t *src, const mg_rp_field *fields, size_t n) {
    for (size_t i = 0; i < n; i++)
        mg_json_set_str(o, fields[i].key, mg_json_str(src, fields[i].p1, fields[i].p2, fields[i].p3, NULL));
}

void mg_rp_copy_members(json_t *o, const json_t *src, const char *const *members, size_t n) {
    for (size_t i = 0; i < n; i++)
        mg_json_set_opt(o, members[i], json_object_get(src, members[i]));
}

json_t *mg_rp_map(const json_t *arr, json_t *(*fn)(const json_t *item)) {
    json_t *out = json_array();
    size_t i;
    json_t *item;
    json_array_foreach(arr, i, item) json_array_append_new(out, fn(item));
    return out;
}

json_t *mg_rp_doc_deployment(const json_t *doc, const char *name) {
    return find_named(json_object_get(doc, "deployments"), name);
}

json_t *mg_rp_doc_monitoring(const json_t *doc, const char *name) {
    return find_named(mg_json_get(doc, "monitoring", "deployments", NULL), name);
}

/* ---- identity ---- */

static json_t *identity(const json_t *mv) {
    static const mg_rp_field fields[] = {
        {"name", "metadata", "name", NULL},
        {"uid", "metadata", "uid", NULL},
        {"model", "spec", "model", NULL},
        {"version", "spec", "version", NULL},
        {"image", "spec", "image", NULL},
        {"digest", "spec", "digest", NULL},
        {"author", "metadata", "annotations", MG_ANNOTATION_AUTHOR},
        {"created", "metadata", "creationTimestamp", NULL},
    };
    json_t *o = json_object();
    mg_rp_copy_fields(o, mv, fields, sizeof fields / sizeof *fields);
    json_object_set_new(o, "approved", json_boolean(mg_json_bool(mv, false, "status", "approved", NULL)));
    mg_json_set_str(o, "approvedAt", mg_json_str(mv, "status", "approvedAt", NULL));
    json_object_set_new(o, "quarantined",
                        json_boolean(mg_json_bool(mv, false, "status", "quarantined", NULL)));
    mg_json_set_str(o, "quarantineReason", mg_json_str(mv, "status", "quarantineReason", NULL));
    mg_json_set_opt(o, "quarantineEvidence", mg_json_get(mv, "status", "quarantineEvidence", NULL));
    return o;
}

/* ---- reviews and approval ---- */

/* A review belongs to this version when it is bound to the object (policy/mvstate: its
 * modelVersionUID and digest), or is an incident review of its digest. */
static bool review_of(const json_t *r, const json_t *mv) {
    if (mg_review_bound_to(r, mv)) return true;
    const char *kind = mg_json_str(r, "spec", "kind", NULL),
               *d = mg_json_str(r, "spec", MG_REVIEW_FIELD_DIGEST, NULL);
    const char *digest = mg_json_str(mv, "spec", "digest", NULL);
    return kind && !strcmp(kind, "incident") && d && digest && !strcmp(d, digest);
}

/* Reviews that name this version but are bound to another object of the same name (deleted
 * and registered again): they count for nothing, and the report says how many there are. */
static int unbound(const json_t *r, const json_t *mv) {
    const char *name = mg_json_str(r, "spec", "modelVersion", NULL),
               *mine = mg_json_str(mv, "metadata", "name", NULL);
    return name && mine && !strcmp(name, mine) && !review_of(r, mv);
}

/* Order of reviews, incidents and runs: by time, then by name, type, reason, source and
 * message, so entries of the same second come out the same way whatever order the API server
 * listed them in. */
static int by_time_then_name(const void *a, const void *b) {
    static const char *const keys[] = {"time", "name", "type", "reason", "source", "message"};
    const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        const char *sx = mg_json_str(x, keys[i], NULL), *sy = mg_json_str(y, keys[i], NULL);
        int c = strcmp(sx ? sx : "", sy ? sy : "");
        if (c) return c;
    }
    return 0;
}

json_t *mg_rp_sorted(json_t *arr) {
    size_t n = json_array_size(arr);
    json_t **v = mg_xcalloc(n ? n : 1, sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = json_incref(json_array_get(arr, i));
    qsort(v, n, sizeof *v, by_time_then_name);
    json_t *out = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(out, v[i]);
    free(v);
    json_decref(arr);
    return out;
}

static json_t *review_entry(const json_t *r, const mg_approval *a) {
    json_t *o = json_object();
    const char *name = mg_json_str(r, "metadata", "name", NULL);
    mg_json_set_str(o, "name", name);
    mg_json_set_str(o, "kind", mg_json_str(r, "spec", "kind", NULL));
    mg_json_set_str(o, "verdict", mg_json_str(r, "spec", "verdict", NULL));
    mg_json_set_str(o, "reviewer", mg_json_str(r, "spec", "reviewer", NULL));
    mg_json_set_str(o, "time", mg_json_str(r, "metadata", "creationTimestamp", NULL));
    mg_json_set_str(o, "comment", mg_json_str(r, "spec", "comment", NULL));
    const char *md = mg_json_str(r, "spec", "modelDeployment", NULL);
    if (md && !mg_json_str(r, "spec", "modelVersion", NULL)) mg_json_set_str(o, "deployment", md);
    bool latest = false;
    for (int k = 0; k < MG_REVIEW_KIND_COUNT && name; k++)
        if (a->latest[k] && a->latest[k]->name && !strcmp(a->latest[k]->name, name)) latest = true;
    json_object_set_new(o, "latest", json_boolean(latest));
    return o;
}

/* ModelVersions of the namespace with this version's digest (quarantine follows the digest). */
static json_t *peers(const mg_report_input *in) {
    json_t *out = json_array();
    const char *digest = mg_json_str(in->mv, "spec", "digest", NULL);
    size_t i;
    json_t *mv;
    json_array_foreach(in->model_versions, i, mv) {
        const char *d = mg_json_str(mv, "spec", "digest", NULL);
        if (d && digest && !strcmp(d, digest)) json_array_append(out, mv);
    }
    return out;
}

static json_t *approval(const mg_mv_state *st, const json_t *mv, int nunbound) {
    const mg_approval *a = &st->approval;
    char *msg = mg_approval_message(a, mg_json_str(mv, "spec", "model", NULL),
                                    mg_json_str(mv, "spec", "version", NULL));
    json_t *ap = json_pack("{s:b, s:s, s:o, s:i, s:i, s:b}", "approved", a->approved, "message", msg,
                           "deciding", mg_approval_summary_json(a), "ignoredReviews", (int)a->ignored,
                           "unboundReviews", nunbound, "quarantined", st->quarantined);
    if (a->approved) json_object_set_new(ap, "approvedAt", mg_rp_time_json(a->approved_at_ms));
    mg_json_set_str(ap, "quarantineReason", st->quarantine_reason);
    free(msg);
    return ap;
}

/* reviews[] and approval{} of the document: policy/mvstate's view of the records, the same
 * computation the operator and the webhook make. */
static void reviews_and_approval(json_t *doc, const mg_report_input *in) {
    json_t *mine = json_array(), *of_digest = json_array(), *same_digest = peers(in);
    const char *digest = mg_json_str(in->mv, "spec", "digest", NULL);
    int nunbound = 0;
    size_t i;
    json_t *r;
    json_array_foreach(in->reviews, i, r) {
        if (review_of(r, in->mv)) json_array_append(mine, r);
        nunbound += unbound(r, in->mv);
        const char *d = mg_json_str(r, "spec", MG_REVIEW_FIELD_DIGEST, NULL);
        if (d && digest && !strcmp(d, digest)) json_array_append(of_digest, r);
    }
    /* the digest's reviews, as the operator and the webhook pass them: its incidents and the
     * rejects that follow the artifact */
    mg_mv_records rec = {.mv = in->mv, .reviews = mine, .incidents = of_digest, .peers = same_digest};
    mg_mv_state st;
    mg_mv_state_compute(&rec, &st);
    json_t *entries = json_array();
    json_array_foreach(mine, i, r) json_array_append_new(entries, review_entry(r, &st.approval));
    json_object_set_new(doc, "reviews", mg_rp_sorted(entries));
    json_object_set_new(doc, "approval", approval(&st, in->mv, nunbound));
    mg_mv_state_free(&st);
    json_decref(mine);
    json_decref(of_digest);
    json_decref(same_digest);
}

/* ---- deployments ---- */

static json_t *deployment_entry(const json_t *md, const char *mv_name) {
    json_t *served = mg_rp_served(md, mv_name);
    const char *spec_mv = mg_json_str(md, "spec", "modelVersion", NULL);
    const char *fallback = mg_json_str(md, "spec", "fallbackModelVersion", NULL);
    bool named = (spec_mv && !strcmp(spec_mv, mv_name)) || (fallback && !strcmp(fallback, mv_name));
    if (!json_array_size(served) && !named) {
        json_decref(served);
        return NULL;
    }
    json_t *last = json_array_get(served, json_array_size(served) - 1);
    json_t *hist = mg_json_get(md, "status", "history", NULL);
    json_t *open = json_array_get(hist, json_array_size(hist) - 1);
    const char *open_mv = mg_json_str(open, "modelVersion", NULL);
    bool now = last && !json_object_get(last, "to") && open_mv && !json_object_get(open, "to") &&
               !strcmp(open_mv, mv_name);
    json_t *o = json_object();
    mg_json_set_str(o, "name", mg_json_str(md, "metadata", "name", NULL));
    mg_json_set_str(o, "uid", mg_json_str(md, "metadata", "uid", NULL));
    mg_json_set_str(o, "modelVersion", spec_mv);
    mg_json_set_str(o, "fallbackModelVersion", fallback);
    mg_json_set_str(o, "phase", mg_json_str(md, "status", "phase", NULL));
    json_object_set_new(o, "replicas", json_integer(mg_json_int(md, 1, "spec", "replicas", NULL)));
    json_object_set_new(o, "readyReplicas",
                        json_integer(mg_json_int(md, 0, "status", "readyReplicas", NULL)));
    json_object_set_new(o, "servingNow", json_boolean(now));
    json_object_set_new(o, "served", served);
    return o;
}

static json_t *deployments(const mg_report_input *in, const char *mv_name) {
    json_t *out = json_array();
    size_t i;
    json_t *md;
    json_array_foreach(in->deployments, i, md) {
        json_t *e = deployment_entry(md, mv_name);
        if (e) json_array_append_new(out, e);
    }
    return out;
}

json_t *mg_report_build(const mg_report_input *in) {
    const char *mv_name = mg_json_str(in->mv, "metadata", "name", NULL);
    if (!mv_name) mv_name = "";
    json_t *doc = json_object();
    json_object_set_new(doc, "schema", json_string(MG_REPORT_SCHEMA));
    json_object_set_new(doc, "generator", json_string(in->generator ? in->generator : "kubectl-modelgov"));
    json_object_set_new(doc, "generatedAt", mg_rp_time_json(in->now_ms));
    json_object_set_new(doc, "namespace", json_string(in->namespace_ ? in->namespace_ : ""));
    json_object_set_new(doc, "range",
                        json_pack("{s:o, s:o}", "start", mg_rp_time_json(in->start_ms), "end",
                                  mg_rp_time_json(in->end_ms ? in->end_ms : in->now_ms)));
    json_object_set_new(doc, "identity", identity(in->mv));
    json_object_set_new(doc, "lineage", mg_rp_lineage(in));
    /* deployments first (internally): reviews of a deployment need its served intervals */
    json_t *deps = deployments(in, mv_name);
    json_object_set_new(doc, "deployments", deps);
    reviews_and_approval(doc, in);
    json_incref(deps);
    json_object_del(doc, "deployments");
    json_object_set_new(doc, "deployments", deps); /* keep the documented member order */
    json_object_set_new(doc, "monitoring", mg_rp_monitoring(in, doc));
    json_object_set_new(doc, "plots", json_array());
    json_object_set_new(doc, "plotsNote", json_string("no Prometheus URL given (--prometheus-url)"));
    json_object_set_new(doc, "incidents", mg_rp_incidents(in, doc));
    json_object_set_new(doc, "retraining", mg_rp_retraining(in));
    return doc;
}
