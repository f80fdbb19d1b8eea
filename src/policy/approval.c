/* policy/approval — see approval.h for the rule. */
#include "policy/approval.h"

#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/mem.h"

static const char *const kind_names[MG_REVIEW_KIND_COUNT] = {"security", "performance", "bias", "incident"};
static const char *const verdict_names[MG_VERDICT_COUNT] = {"approve", "reject", "release", "confirm"};

mg_review_kind mg_review_kind_parse(const char *s) {
    if (!s) return MG_REVIEW_KIND_INVALID;
    for (int i = 0; i < MG_REVIEW_KIND_COUNT; i++)
        if (strcmp(s, kind_names[i]) == 0) return (mg_review_kind)i;
    return MG_REVIEW_KIND_INVALID;
}

mg_review_verdict mg_review_verdict_parse(const char *s) {
    if (!s) return MG_VERDICT_INVALID;
    for (int i = 0; i < MG_VERDICT_COUNT; i++)
        if (strcmp(s, verdict_names[i]) == 0) return (mg_review_verdict)i;
    return MG_VERDICT_INVALID;
}

const char *mg_review_verdict_name(mg_review_verdict v) {
    return (v >= 0 && v < MG_VERDICT_COUNT) ? verdict_names[v] : "invalid";
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

bool mg_review_later(const mg_review *a, const mg_review *b) {
    if (a->time_ms != b->time_ms) return a->time_ms > b->time_ms;
    int ra = verdict_rank(a->verdict), rb = verdict_rank(b->verdict);
    if (ra != rb) return ra > rb;
    return strcmp(a->name ? a->name : "", b->name ? b->name : "") > 0;
}

static const char *who(const mg_review *r) { return r->reviewer ? r->reviewer : ""; }

/* Orders valid mandatory reviews by kind, reviewer, then time order: each (kind, reviewer) group
 * ends with that reviewer's latest verdict. */
static int by_kind_reviewer_time(const void *pa, const void *pb) {
    const mg_review *a = *(const mg_review *const *)pa, *b = *(const mg_review *const *)pb;
    if (a->kind != b->kind) return a->kind < b->kind ? -1 : 1;
    int c = strcmp(who(a), who(b));
    if (c) return c;
    if (mg_review_later(a, b)) return 1;
    return mg_review_later(b, a) ? -1 : 0;
}

/* The valid mandatory-kind reviews, sorted as above, in a new array of n_out pointers. */
static const mg_review **sorted_mandatory(const mg_review *reviews, size_t n, size_t *n_out) {
    const mg_review **v = mg_xcalloc(n ? n : 1, sizeof(*v));
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (reviews[i].kind != MG_REVIEW_INCIDENT &&
            mg_review_verdict_fits(reviews[i].kind, reviews[i].verdict))
            v[m++] = &reviews[i];
    qsort(v, m, sizeof(*v), by_kind_reviewer_time);
    *n_out = m;
    return v;
}

/* True when v[i] is the last of its (kind, reviewer) group: that reviewer's latest verdict. */
static bool group_last(const mg_review *const *v, size_t m, size_t i) {
    return i + 1 == m || v[i + 1]->kind != v[i]->kind || strcmp(who(v[i + 1]), who(v[i])) != 0;
}

static void count_latest(mg_kind_verdict *k, const mg_review *r) {
    bool reject = r->verdict == MG_VERDICT_REJECT;
    if (reject)
        k->rejects++;
    else
        k->approvals++;
    if (r->time_ms > k->last_ms) k->last_ms = r->time_ms;
    /* a standing reject decides over any approve; among equals the later one */
    const mg_review *d = k->decisive;
    bool d_reject = d && d->verdict == MG_VERDICT_REJECT;
    if (!d || (reject && !d_reject) || (reject == d_reject && mg_review_later(r, d))) k->decisive = r;
}

void mg_approval_compute(const mg_review *reviews, size_t n, mg_approval *out) {
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < n; i++) {
        const mg_review *r = &reviews[i];
        if (!mg_review_verdict_fits(r->kind, r->verdict)) {
            out->ignored++;
        } else if (r->kind == MG_REVIEW_INCIDENT) {
            const mg_review **slot = &out->latest[MG_REVIEW_INCIDENT];
            if (!*slot || mg_review_later(r, *slot)) *slot = r;
        }
    }
    size_t m;
    const mg_review **v = sorted_mandatory(reviews, n, &m);
    for (size_t i = 0; i < m; i++)
        if (group_last(v, m, i)) count_latest(&out->kinds[v[i]->kind], v[i]);
    free(v);
    out->approved = true;
    for (int k = 0; k < MG_REVIEW_MANDATORY_COUNT; k++) {
        const mg_kind_verdict *kv = &out->kinds[k];
        out->latest[k] = kv->decisive;
        if (kv->approvals == 0 || kv->rejects > 0) out->approved = false;
        if (kv->last_ms > out->approved_at_ms) out->approved_at_ms = kv->last_ms;
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

static void verdict_phrase(mg_buf *b, const mg_review *r, size_t others) {
    const char *name = r->reviewer && *r->reviewer ? r->reviewer : "(unknown reviewer)";
    mg_buf_printf(b, "%s %s by %s", kind_names[r->kind],
                  r->verdict == MG_VERDICT_APPROVE ? "approved" : "rejected", name);
    if (others) mg_buf_printf(b, " and %zu other reviewer%s", others, others == 1 ? "" : "s");
}

static bool kind_approved(const mg_kind_verdict *k) { return k->approvals > 0 && k->rejects == 0; }

char *mg_approval_message(const mg_approval *a, const char *model, const char *version) {
    mg_buf b;
    mg_buf_init(&b, MG_BUF_UNCAPPED);
    mg_buf_printf(&b, "model %s:%s is %s", model ? model : "?", version ? version : "?",
                  a->approved ? "approved" : "not approved");
    if (!a->approved) {
        mg_buf_append_str(&b, ": ");
        bool first = true;
        for (int k = 0; k < MG_REVIEW_MANDATORY_COUNT; k++) {
            const mg_kind_verdict *kv = &a->kinds[k];
            if (kind_approved(kv)) continue;
            if (!first) mg_buf_append_str(&b, ", ");
            first = false;
            if (!kv->decisive)
                mg_buf_printf(&b, "%s review missing", kind_names[k]);
            else
                verdict_phrase(&b, kv->decisive, kv->rejects ? kv->rejects - 1 : 0);
        }
    }
    bool any = false;
    for (int k = 0; k < MG_REVIEW_MANDATORY_COUNT; k++) {
        const mg_kind_verdict *kv = &a->kinds[k];
        if (!kind_approved(kv) || !kv->decisive) continue;
        mg_buf_append_str(&b, any ? ", " : " (");
        any = true;
        verdict_phrase(&b, kv->decisive, 0);
    }
    if (any) mg_buf_append_str(&b, ")");
    return mg_buf_steal(&b);
}

static json_t *review_entry(const mg_review *r) {
    char ts[40] = "";
    if (r->time_ms > 0) mg_clock_rfc3339(r->time_ms, ts, sizeof(ts));
    json_t *o = json_pack("{s:s, s:s, s:s}", "kind", kind_names[r->kind], "verdict",
                          mg_review_verdict_name(r->verdict), "reviewer", r->reviewer ? r->reviewer : "");
    if (ts[0]) json_object_set_new(o, "time", json_string(ts));
    if (r->name) json_object_set_new(o, "name", json_string(r->name));
    return o;
}

json_t *mg_approval_summary_json(const mg_approval *a) {
    json_t *arr = json_array();
    for (int k = 0; k < MG_REVIEW_KIND_COUNT; k++)
        if (a->latest[k]) json_array_append_new(arr, review_entry(a->latest[k]));
    return arr;
}

json_t *mg_approval_verdicts_json(const mg_review *reviews, size_t n) {
    size_t m;
    const mg_review **v = sorted_mandatory(reviews, n, &m);
    json_t *arr = json_array();
    for (size_t i = 0; i < m; i++)
        if (group_last(v, m, i)) json_array_append_new(arr, review_entry(v[i]));
    free(v);
    return arr;
}

int mg_review_from_verdict_json(const json_t *entry, mg_review *out) {
    memset(out, 0, sizeof(*out));
    out->kind = mg_review_kind_parse(jstr(entry, "kind"));
    out->verdict = mg_review_verdict_parse(jstr(entry, "verdict"));
    out->reviewer = jstr(entry, "reviewer");
    out->name = jstr(entry, "name");
    const char *ts = jstr(entry, "time");
    int64_t ms = 0;
    if (ts && mg_clock_parse_rfc3339(ts, &ms) == 0) out->time_ms = ms;
    if (out->kind == MG_REVIEW_INCIDENT || !mg_review_verdict_fits(out->kind, out->verdict)) {
        out->kind = MG_REVIEW_KIND_INVALID;
        return MG_EINVAL;
    }
    return 0;
}
