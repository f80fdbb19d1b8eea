/* policy/approval — see approval.h for the rule. */
#include "policy/approval.h"

#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/mem.h"

static const char *const kind_names[MG_REVIEW_KIND_COUNT] = {"security", "performance", "bias", "incident"};
static const char *const verdict_names[] = {"approve", "reject", "release", "confirm"};

mg_review_kind mg_review_kind_parse(const char *s) {
    if (!s) return MG_REVIEW_KIND_INVALID;
    for (int i = 0; i < MG_REVIEW_KIND_COUNT; i++)
        if (strcmp(s, kind_names[i]) == 0) return (mg_review_kind)i;
    return MG_REVIEW_KIND_INVALID;
}

const char *mg_review_kind_name(mg_review_kind k) {
    return (k >= 0 && k < MG_REVIEW_KIND_COUNT) ? kind_names[k] : "invalid";
}

mg_review_verdict mg_review_verdict_parse(const char *s) {
    if (!s) return MG_VERDICT_INVALID;
    for (int i = 0; i < 4; i++)
        if (strcmp(s, verdict_names[i]) == 0) return (mg_review_verdict)i;
    return MG_VERDICT_INVALID;
}

const char *mg_review_verdict_name(mg_review_verdict v) {
    return (v >= 0 && v <= 3) ? verdict_names[v] : "invalid";
}

bool mg_review_verdict_fits(mg_review_kind k, mg_review_verdict v) {
    if (k == MG_REVIEW_INCIDENT) return v == MG_VERDICT_CONFIRM || v == MG_VERDICT_RELEASE;
    if (k >= 0 && k < MG_REVIEW_INCIDENT) return v == MG_VERDICT_APPROVE || v == MG_VERDICT_REJECT;
    return false;
}

/* Stricter verdicts rank higher so they win a same-second tie. */
static int verdict_rank(mg_review_verdict v) {
    return (v == MG_VERDICT_REJECT || v == MG_VERDICT_CONFIRM) ? 1 : 0;
}

/* True when a is later than b in the total order (time, rank, name). */
static bool later(const mg_review *a, const mg_review *b) {
    if (a->time_ms != b->time_ms) return a->time_ms > b->time_ms;
    int ra = verdict_rank(a->verdict), rb = verdict_rank(b->verdict);
    if (ra != rb) return ra > rb;
    return strcmp(a->name ? a->name : "", b->name ? b->name : "") > 0;
}

void mg_approval_compute(const mg_review *reviews, size_t n, mg_approval *out) {
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < n; i++) {
        const mg_review *r = &reviews[i];
        if (!mg_review_verdict_fits(r->kind, r->verdict)) {
            out->ignored++;
            continue;
        }
        const mg_review **slot = &out->latest[r->kind];
        if (!*slot || later(r, *slot)) *slot = r;
    }
    out->approved = true;
    for (int k = 0; k < MG_REVIEW_MANDATORY_COUNT; k++) {
        const mg_review *r = out->latest[k];
        if (!r || r->verdict != MG_VERDICT_APPROVE) {
            out->approved = false;
            continue;
        }
        if (r->time_ms > out->approved_at_ms) out->approved_at_ms = r->time_ms;
    }
    if (!out->approved) out->approved_at_ms = 0;
    const mg_review *inc = out->latest[MG_REVIEW_INCIDENT];
    if (inc) {
        out->quarantine =
            inc->verdict == MG_VERDICT_CONFIRM ? MG_QUARANTINE_CONFIRMED : MG_QUARANTINE_RELEASED;
        out->quarantine_time_ms = inc->time_ms;
    }
}

static const char *jstr(const json_t *obj, const char *key) {
    const char *s = json_string_value(json_object_get(obj, key));
    return s;
}

int mg_review_from_json(const json_t *mrev, mg_review *out, mg_error *err) {
    memset(out, 0, sizeof(*out));
    out->kind = MG_REVIEW_KIND_INVALID;
    out->verdict = MG_VERDICT_INVALID;
    if (!json_is_object(mrev)) return mg_error_set(err, MG_EINVAL, "ModelReview is not an object");
    const json_t *meta = json_object_get(mrev, "metadata"), *spec = json_object_get(mrev, "spec");
    out->name = jstr(meta, "name");
    const char *ts = jstr(meta, "creationTimestamp");
    int64_t ms = 0;
    if (ts && mg_clock_parse_rfc3339(ts, &ms) == 0) out->time_ms = ms;
    out->reviewer = jstr(spec, "reviewer");
    const char *kind = jstr(spec, "kind"), *verdict = jstr(spec, "verdict");
    out->kind = mg_review_kind_parse(kind);
    out->verdict = mg_review_verdict_parse(verdict);
    if (out->kind == MG_REVIEW_KIND_INVALID)
        return mg_error_set(err, MG_EINVAL,
                            "ModelReview %s: spec.kind '%s' is not security|performance|bias|incident",
                            out->name ? out->name : "?", kind ? kind : "");
    if (!mg_review_verdict_fits(out->kind, out->verdict))
        return mg_error_set(err, MG_EINVAL, "ModelReview %s: spec.verdict '%s' does not fit kind %s",
                            out->name ? out->name : "?", verdict ? verdict : "", kind);
    return 0;
}

void mg_approval_compute_json(const json_t *reviews, mg_approval *out, mg_review **reviews_out) {
    size_t n = json_is_array(reviews) ? json_array_size(reviews) : 0;
    mg_review *arr = mg_xcalloc(n ? n : 1, sizeof(*arr));
    for (size_t i = 0; i < n; i++)
        mg_review_from_json(json_array_get(reviews, i), &arr[i], NULL);
    mg_approval_compute(arr, n, out);
    if (reviews_out) {
        *reviews_out = arr;
    } else {
        memset(out->latest, 0, sizeof(out->latest));
        free(arr);
    }
}

static void verdict_phrase(mg_buf *b, const mg_review *r) {
    const char *who = r->reviewer && *r->reviewer ? r->reviewer : "(unknown reviewer)";
    mg_buf_printf(b, "%s %s by %s", kind_names[r->kind],
                  r->verdict == MG_VERDICT_APPROVE ? "approved" : "rejected", who);
}

char *mg_approval_message(const mg_approval *a, const char *model, const char *version) {
    mg_buf b;
    mg_buf_init(&b, 4096);
    mg_buf_printf(&b, "model %s:%s is %s", model ? model : "?", version ? version : "?",
                  a->approved ? "approved" : "not approved");
    if (!a->approved) {
        mg_buf_append_str(&b, ": ");
        bool first = true;
        for (int k = 0; k < MG_REVIEW_MANDATORY_COUNT; k++) {
            const mg_review *r = a->latest[k];
            if (r && r->verdict == MG_VERDICT_APPROVE) continue;
            if (!first) mg_buf_append_str(&b, ", ");
            first = false;
            if (!r)
                mg_buf_printf(&b, "%s review missing", kind_names[k]);
            else
                verdict_phrase(&b, r);
        }
    }
    bool any = false;
    for (int k = 0; k < MG_REVIEW_MANDATORY_COUNT; k++) {
        const mg_review *r = a->latest[k];
        if (!r || r->verdict != MG_VERDICT_APPROVE) continue;
        mg_buf_append_str(&b, any ? ", " : " (");
        any = true;
        verdict_phrase(&b, r);
    }
    if (any) mg_buf_append_str(&b, ")");
    return mg_buf_steal(&b);
}

json_t *mg_approval_summary_json(const mg_approval *a) {
    json_t *arr = json_array();
    for (int k = 0; k < MG_REVIEW_KIND_COUNT; k++) {
        const mg_review *r = a->latest[k];
        if (!r) continue;
        char ts[40] = "";
        if (r->time_ms > 0) mg_clock_rfc3339(r->time_ms, ts, sizeof(ts));
        json_t *o = json_pack("{s:s, s:s, s:s}", "kind", kind_names[k], "verdict",
                              mg_review_verdict_name(r->verdict), "reviewer", r->reviewer ? r->reviewer : "");
        if (ts[0]) json_object_set_new(o, "time", json_string(ts));
        if (r->name) json_object_set_new(o, "name", json_string(r->name));
        json_array_append_new(arr, o);
    }
    return arr;
}

bool mg_modelversion_quarantined(const json_t *mv, const mg_approval *a, const char **reason) {
    if (reason) *reason = NULL;
    if (a && a->quarantine == MG_QUARANTINE_CONFIRMED) return true;
    const json_t *status = json_object_get(mv, "status");
    if (!json_is_true(json_object_get(status, "quarantined"))) return false;
    int64_t since = -1;
    const json_t *conds = json_object_get(status, "conditions");
    size_t i;
    const json_t *c;
    json_array_foreach(conds, i, c) {
        const char *type = jstr(c, "type"), *st = jstr(c, "status"), *ltt = jstr(c, "lastTransitionTime");
        int64_t ms;
        if (type && strcmp(type, "Quarantined") == 0 && st && strcmp(st, "True") == 0 && ltt &&
            mg_clock_parse_rfc3339(ltt, &ms) == 0)
            since = ms;
    }
    if (a && a->quarantine == MG_QUARANTINE_RELEASED && since >= 0 && a->quarantine_time_ms > since)
        return false;
    if (reason) *reason = jstr(status, "quarantineReason");
    return true;
}
