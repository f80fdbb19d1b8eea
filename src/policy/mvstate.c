/* policy/mvstate — see mvstate.h for the rules. */
#include "policy/mvstate.h"

#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/json.h"
#include "core/mem.h"

static bool streq(const char *a, const char *b) { return a && b && strcmp(a, b) == 0; }

bool mg_review_bound_to(const json_t *review, const json_t *mv) {
    return streq(mg_json_str(review, "spec", MG_REVIEW_FIELD_UID, NULL),
                 mg_json_str(mv, "metadata", "uid", NULL)) &&
           streq(mg_json_str(review, "spec", MG_REVIEW_FIELD_DIGEST, NULL),
                 mg_json_str(mv, "spec", "digest", NULL));
}

static size_t count(const json_t *a) { return json_is_array(a) ? json_array_size(a) : 0; }

/* True when some review of the digest (any uid) or persisted verdict among cands[0, n) is a later
 * verdict of the same kind by the same reviewer than r. */
static bool superseded(const mg_review *r, const mg_review *cands, size_t n) {
    for (size_t i = 0; i < n; i++) /* a missing reviewer is "", as policy/approval groups it */
        if (cands[i].kind == r->kind &&
            !strcmp(cands[i].reviewer ? cands[i].reviewer : "", r->reviewer ? r->reviewer : "") &&
            mg_review_later(&cands[i], r))
            return true;
    return false;
}

/* A rejection follows the artifact: a reviewer whose latest security/performance/bias verdict on
 * the digest — under any ModelVersion uid, existing or deleted — is a reject stands against every
 * ModelVersion carrying it, so registering the digest again (a new name, or the same after a
 * delete) does not shed it. Approvals stay bound to one object. Appends those rejects (reviews
 * not bound to mv; the bound ones are there already) to out->verdicts. */
static void add_digest_rejects(const mg_mv_records *in, mg_mv_state *out) {
    size_t n = count(in->incidents), nc = 0;
    if (!n) return;
    mg_review *cands = mg_xcalloc(n + out->n_verdicts + 1, sizeof(mg_review));
    const json_t **src = mg_xcalloc(n + 1, sizeof(json_t *));
    const char *digest = mg_json_str(in->mv, "spec", "digest", NULL);
    size_t i;
    const json_t *r;
    json_array_foreach(in->incidents, i, r) {
        if (streq(mg_json_str(r, "spec", MG_REVIEW_FIELD_DIGEST, NULL), digest) &&
            mg_review_from_json(r, &cands[nc], NULL) == 0 && cands[nc].kind != MG_REVIEW_INCIDENT)
            src[nc++] = r;
    }
    size_t nreviews = nc;
    for (i = 0; i < out->n_verdicts; i++) /* the persisted and bound verdicts supersede too */
        cands[nc++] = out->verdicts[i];
    for (i = 0; i < nreviews; i++)
        if (cands[i].verdict == MG_VERDICT_REJECT && !mg_review_bound_to(src[i], in->mv) &&
            !superseded(&cands[i], cands, nc))
            out->verdicts[out->n_verdicts++] = cands[i];
    free(cands);
    free(src);
}

/* The bound security/performance/bias reviews, the persisted status.verdicts and the digest's
 * standing rejects, one array. */
static void collect_verdicts(const mg_mv_records *in, mg_mv_state *out) {
    const json_t *persisted = mg_json_get(in->mv, "status", "verdicts", NULL);
    out->verdicts =
        mg_xcalloc(count(in->reviews) + count(persisted) + count(in->incidents) + 1, sizeof(mg_review));
    size_t i;
    const json_t *r;
    json_array_foreach(in->reviews, i, r) {
        mg_review *v = &out->verdicts[out->n_verdicts];
        if (mg_review_bound_to(r, in->mv) && mg_review_from_json(r, v, NULL) == 0 &&
            v->kind != MG_REVIEW_INCIDENT)
            out->n_verdicts++;
    }
    json_array_foreach(persisted, i, r) {
        if (mg_review_from_verdict_json(r, &out->verdicts[out->n_verdicts]) == 0) out->n_verdicts++;
    }
    add_digest_rejects(in, out);
}

/* When a ModelVersion's status quarantine took effect: status.quarantinedAt, else the
 * Quarantined=True condition's lastTransitionTime, else INT64_MAX (unknown: the status wins). */
static int64_t status_quarantine_time(const json_t *mv) {
    int64_t ms;
    const char *at = mg_json_str(mv, "status", "quarantinedAt", NULL);
    if (at && mg_clock_parse_rfc3339(at, &ms) == 0) return ms;
    size_t i;
    const json_t *c;
    json_array_foreach(mg_json_get(mv, "status", "conditions", NULL), i, c) {
        const char *ltt = mg_json_str(c, "lastTransitionTime", NULL);
        if (streq(mg_json_str(c, "type", NULL), "Quarantined") &&
            streq(mg_json_str(c, "status", NULL), "True") && ltt && mg_clock_parse_rfc3339(ltt, &ms) == 0)
            return ms;
    }
    return INT64_MAX;
}

static bool status_quarantined(const json_t *mv) {
    return mg_json_bool(mv, false, "status", "quarantined", NULL);
}

/* The digest's quarantine events: incident reviews first (events[0, n_reviews)), then one
 * confirm per quarantined ModelVersion status (mv itself last), whose name is the ModelVersion's. */
static void collect_events(const mg_mv_records *in, mg_mv_state *out, size_t *n_reviews) {
    size_t cap = count(in->incidents) + count(in->peers) + 2;
    out->events = mg_xcalloc(cap, sizeof(mg_review));
    out->event_src = mg_xcalloc(cap, sizeof(json_t *));
    const char *digest = mg_json_str(in->mv, "spec", "digest", NULL);
    const char *uid = mg_json_str(in->mv, "metadata", "uid", NULL);
    size_t i;
    const json_t *r;
    json_array_foreach(in->incidents, i, r) {
        mg_review *e = &out->events[out->n_events];
        if (streq(mg_json_str(r, "spec", MG_REVIEW_FIELD_DIGEST, NULL), digest) &&
            mg_review_from_json(r, e, NULL) == 0 && e->kind == MG_REVIEW_INCIDENT)
            out->event_src[out->n_events++] = r;
    }
    *n_reviews = out->n_events;
    json_array_foreach(in->peers, i, r) {
        const char *puid = mg_json_str(r, "metadata", "uid", NULL);
        if ((uid && streq(puid, uid)) || !status_quarantined(r) ||
            !streq(mg_json_str(r, "spec", "digest", NULL), digest))
            continue;
        out->event_src[out->n_events] = r;
        out->events[out->n_events++] =
            (mg_review){mg_json_str(r, "metadata", "name", NULL), MG_REVIEW_INCIDENT, MG_VERDICT_CONFIRM,
                        NULL, status_quarantine_time(r)};
    }
    if (status_quarantined(in->mv)) {
        out->event_src[out->n_events] = in->mv;
        out->events[out->n_events++] =
            (mg_review){mg_json_str(in->mv, "metadata", "name", NULL), MG_REVIEW_INCIDENT, MG_VERDICT_CONFIRM,
                        NULL, status_quarantine_time(in->mv)};
    }
}

/* Why the deciding confirm e quarantines mv, a new heap string. */
static char *reason_of(const mg_mv_records *in, const mg_mv_state *s, const mg_review *e, size_t n_reviews) {
    size_t idx = (size_t)(e - s->events);
    const json_t *src = s->event_src[idx];
    const char *name = e->name ? e->name : "?";
    if (idx < n_reviews)
        return mg_xasprintf("incident review %s confirmed by %s%s", name, e->reviewer ? e->reviewer : "?",
                            mg_review_bound_to(src, in->mv) ? ""
                                                            : " for another ModelVersion of the same digest");
    const char *why = mg_json_str(src, "status", "quarantineReason", NULL);
    if (src == in->mv) return mg_xstrdup(why ? why : "quarantined");
    return mg_xasprintf("its digest is quarantined under ModelVersion %s%s%s", name, why ? ": " : "",
                        why ? why : "");
}

void mg_mv_state_compute(const mg_mv_records *in, mg_mv_state *out) {
    memset(out, 0, sizeof(*out));
    collect_verdicts(in, out);
    mg_approval_compute(out->verdicts, out->n_verdicts, &out->approval);
    size_t n_reviews = 0;
    collect_events(in, out, &n_reviews);
    const mg_review *latest = NULL;
    for (size_t i = 0; i < out->n_events; i++)
        if (!latest || mg_review_later(&out->events[i], latest)) latest = &out->events[i];
    /* The statuses the operator wrote are the incident's consequences, timed when written: when
     * the latest incident review is a confirm, it is the cause to name and to show in
     * status.reviews (with its reviewer), not whichever status of the digest was written last
     * (that named another ModelVersion, in circles, or this one without a reviewer). */
    const mg_review *cause = latest;
    if (latest && (size_t)(latest - out->events) >= n_reviews) {
        const mg_review *last_review = NULL;
        for (size_t i = 0; i < n_reviews; i++)
            if (!last_review || mg_review_later(&out->events[i], last_review)) last_review = &out->events[i];
        if (last_review && last_review->verdict == MG_VERDICT_CONFIRM) cause = last_review;
    }
    /* the approval's incident view is the digest's */
    out->approval.latest[MG_REVIEW_INCIDENT] = cause;
    out->approval.quarantine = !latest                                 ? MG_QUARANTINE_NONE
                               : latest->verdict == MG_VERDICT_CONFIRM ? MG_QUARANTINE_CONFIRMED
                                                                       : MG_QUARANTINE_RELEASED;
    out->approval.quarantine_time_ms = latest ? latest->time_ms : 0;
    if (latest && latest->verdict == MG_VERDICT_CONFIRM) {
        out->quarantined = true;
        out->quarantined_at_ms = latest->time_ms;
        out->quarantine_reason = reason_of(in, out, cause, n_reviews);
    }
}

void mg_mv_state_free(mg_mv_state *s) {
    free(s->verdicts);
    free(s->events);
    free(s->event_src);
    free(s->quarantine_reason);
    memset(s, 0, sizeof(*s));
}

json_t *mg_mv_state_verdicts_json(const mg_mv_state *s) {
    return mg_approval_verdicts_json(s->verdicts, s->n_verdicts);
}

char *mg_mv_state_refusal(const mg_mv_state *s, const json_t *mv) {
    const char *model = mg_json_str(mv, "spec", "model", NULL),
               *version = mg_json_str(mv, "spec", "version", NULL);
    const char *name = mg_json_str(mv, "metadata", "name", NULL);
    if (s->quarantined)
        return mg_xasprintf("model %s:%s (ModelVersion %s) is quarantined: %s", model ? model : "?",
                            version ? version : "?", name ? name : "?",
                            s->quarantine_reason ? s->quarantine_reason : "quarantined");
    if (!s->approval.approved) return mg_approval_message(&s->approval, model, version);
    return NULL;
}
