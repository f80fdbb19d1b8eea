/* k8s/leader — see leader.h. One thread runs client-go's tryAcquireOrRenew every retry period:
 *
 *   GET the Lease (create it when absent) → if its record differs from the one we last
 *   observed, remember it and the local monotonic time we saw it change → a lease held by
 *   someone else is taken over only when lease_duration has passed on OUR clock since that
 *   change (no comparison of clocks across machines) → PUT with the observed resourceVersion
 *   (409 means someone else wrote first: try again next period).
 *
 * A leader that cannot renew for renew_deadline stops leading (on_stopped_leading) and goes
 * back to candidate. Stop releases a held lease: holderIdentity "" and leaseDurationSeconds 1,
 * so a candidate takes over on its next try. */
#include "k8s/leader.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/mem.h"

/* client-go's leaderelection defaults (LeaseDuration, RenewDeadline, RetryPeriod). */
#define DEFAULT_LEASE_MS 15000
#define DEFAULT_RENEW_DEADLINE_MS 10000
#define DEFAULT_RETRY_MS 2000

static const mg_gvr lease_gvr = {"coordination.k8s.io", "v1", "leases", true};

struct mg_leader {
    mg_client *c;
    char *ns, *name, *id;
    long lease_ms, renew_deadline_ms, retry_ms;
    void (*on_started)(void *);
    void (*on_stopped)(void *);
    void *ud;

    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    int stopping;
    int leader;

    /* informer-thread state */
    char *observed_raw;    /* compact JSON of the last observed spec */
    char *observed_holder; /* its holderIdentity */
    long observed_transitions;
    int64_t observed_mono_ms; /* local time we saw it change */
    json_t *lease;            /* last Lease object read or written (for the release) */
};

static json_t *record(const char *holder, long duration_s, const char *acquire, const char *renew,
                      long transitions) {
    return json_pack("{s:s, s:I, s:s, s:s, s:I}", "holderIdentity", holder, "leaseDurationSeconds",
                     (json_int_t)duration_s, "acquireTime", acquire, "renewTime", renew, "leaseTransitions",
                     (json_int_t)transitions);
}

static bool is_leader_locked(mg_leader *l) {
    return l->observed_holder && !strcmp(l->observed_holder, l->id);
}

static void observe(mg_leader *l, const json_t *spec, bool changed_now) {
    char *raw = json_dumps(spec, JSON_COMPACT | JSON_SORT_KEYS);
    if (!raw) raw = mg_xstrdup("");
    if (changed_now || !l->observed_raw || strcmp(raw, l->observed_raw)) {
        free(l->observed_raw);
        l->observed_raw = raw;
        free(l->observed_holder);
        const char *h = json_string_value(json_object_get(spec, "holderIdentity"));
        l->observed_holder = mg_xstrdup(h ? h : "");
        l->observed_transitions = (long)json_integer_value(json_object_get(spec, "leaseTransitions"));
        l->observed_mono_ms = mg_clock_mono_ms();
    } else {
        free(raw);
    }
}

static void keep_lease(mg_leader *l, json_t *lease) {
    json_decref(l->lease);
    l->lease = lease;
}

/* No Lease yet: create it holding it ourselves. A 409 means another candidate created it first. */
static bool create_lease(mg_leader *l, long duration_s, const char *now) {
    json_t *spec = record(l->id, duration_s, now, now, 0);
    json_t *obj = json_pack("{s:s, s:s, s:{s:s, s:s}, s:O}", "apiVersion", "coordination.k8s.io/v1", "kind",
                            "Lease", "metadata", "name", l->name, "namespace", l->ns, "spec", spec);
    json_t *created = NULL;
    mg_error err;
    int rc = mg_k8s_create(l->c, &lease_gvr, l->ns, obj, &created, &err);
    json_decref(obj);
    if (rc) {
        json_decref(spec);
        if (rc != MG_ECONFLICT)
            mg_log(MG_LOG_WARN, "creating lease failed", "lease", l->name, "error", err.message, NULL);
        return false;
    }
    observe(l, spec, true);
    json_decref(spec);
    keep_lease(l, created);
    return true;
}

/* Writes our record over the Lease cur (ours to renew, or expired to take over), with cur's
 * resourceVersion so a concurrent writer makes it fail with 409. Consumes cur. */
static bool write_record(mg_leader *l, json_t *cur, const json_t *old_spec, bool leader, long duration_s,
                         const char *now) {
    const char *acquire = now;
    long transitions = (long)json_integer_value(json_object_get(old_spec, "leaseTransitions"));
    const char *old_acquire = json_string_value(json_object_get(old_spec, "acquireTime"));
    if (leader && old_acquire) acquire = old_acquire;
    if (!leader) transitions++;
    json_t *spec = record(l->id, duration_s, acquire, now, transitions);
    json_t *upd = json_deep_copy(cur);
    json_object_set(upd, "spec", spec);
    json_t *written = NULL;
    mg_error err;
    int rc = mg_k8s_update(l->c, &lease_gvr, l->ns, l->name, NULL, upd, &written, &err);
    json_decref(upd);
    if (rc) {
        if (rc != MG_ECONFLICT)
            mg_log(MG_LOG_WARN, "updating lease failed", "lease", l->name, "error", err.message, NULL);
        json_decref(spec);
        keep_lease(l, cur);
        return false;
    }
    json_decref(cur);
    observe(l, spec, true);
    json_decref(spec);
    keep_lease(l, written);
    return true;
}

/* client-go's tryAcquireOrRenew. Returns true when we hold the lease afterwards. */
static bool try_acquire_or_renew(mg_leader *l) {
    char now[40];
    mg_clock_micro_time_now(now, sizeof(now));
    long duration_s = (l->lease_ms + MG_MS_PER_S - 1) / MG_MS_PER_S;
    mg_error err;
    json_t *cur = NULL;
    int rc = mg_k8s_get(l->c, &lease_gvr, l->ns, l->name, NULL, &cur, &err);
    if (rc == MG_ENOTFOUND) return create_lease(l, duration_s, now);
    if (rc) {
        mg_log(MG_LOG_WARN, "reading lease failed", "lease", l->name, "error", err.message, NULL);
        return false;
    }
    json_t *old_spec = json_object_get(cur, "spec");
    if (!json_is_object(old_spec))
        old_spec = json_object();
    else
        json_incref(old_spec);
    observe(l, old_spec, false);
    const char *holder = json_string_value(json_object_get(old_spec, "holderIdentity"));
    long old_dur = (long)json_integer_value(json_object_get(old_spec, "leaseDurationSeconds"));
    bool leader = is_leader_locked(l);
    bool ours;
    if (holder && *holder && !leader && l->observed_mono_ms + old_dur * MG_MS_PER_S > mg_clock_mono_ms()) {
        /* held by someone else and not expired by our own clock */
        keep_lease(l, cur);
        ours = false;
    } else {
        ours = write_record(l, cur, old_spec, leader, duration_s, now);
    }
    json_decref(old_spec);
    return ours;
}

static void release(mg_leader *l) {
    if (!l->lease) return;
    char now[40];
    mg_clock_micro_time_now(now, sizeof(now));
    json_t *spec = record("", 1, now, now, l->observed_transitions);
    json_t *upd = json_deep_copy(l->lease);
    json_object_set_new(upd, "spec", spec);
    mg_error err;
    json_t *out = NULL;
    int rc = mg_k8s_update(l->c, &lease_gvr, l->ns, l->name, NULL, upd, &out, &err);
    json_decref(upd);
    json_decref(out);
    if (rc)
        mg_log(MG_LOG_WARN, "releasing lease failed", "lease", l->name, "error", err.message, NULL);
    else
        mg_log(MG_LOG_INFO, "lease released", "lease", l->name, "holder", l->id, NULL);
}

static bool pause_ms(mg_leader *l, int64_t ms) {
    struct timespec ts = mg_clock_deadline(CLOCK_MONOTONIC, ms);
    pthread_mutex_lock(&l->mu);
    while (!l->stopping)
        if (pthread_cond_timedwait(&l->cond, &l->mu, &ts)) break;
    bool go_on = !l->stopping;
    pthread_mutex_unlock(&l->mu);
    return go_on;
}

static void set_leader(mg_leader *l, int v) { __atomic_store_n(&l->leader, v, __ATOMIC_SEQ_CST); }

static void *run(void *p) {
    mg_leader *l = p;
    mg_backoff jitter; /* client-go JitterUntil(retryPeriod, 1.2) for candidates */
    int64_t last_renew = 0;
    for (;;) {
        bool ok = try_acquire_or_renew(l);
        bool leading = __atomic_load_n(&l->leader, __ATOMIC_SEQ_CST);
        int64_t now = mg_clock_mono_ms();
        if (ok) {
            last_renew = now;
            if (!leading) {
                set_leader(l, 1);
                mg_log(MG_LOG_INFO, "lease acquired", "lease", l->name, "holder", l->id, NULL);
                if (l->on_started) l->on_started(l->ud);
            }
        } else if (leading && now - last_renew >= l->renew_deadline_ms) {
            set_leader(l, 0);
            free(l->observed_holder);
            l->observed_holder = NULL;
            mg_log(MG_LOG_WARN, "lease lost: renewal failed past the deadline", "lease", l->name, "holder",
                   l->id, NULL);
            if (l->on_stopped) l->on_stopped(l->ud);
        }
        int64_t wait = l->retry_ms;
        if (!__atomic_load_n(&l->leader, __ATOMIC_SEQ_CST)) {
            mg_backoff_init(&jitter, l->retry_ms * 12 / 10, l->retry_ms * 12 / 10, 1.0, 1.0 / 6.0);
            wait = mg_backoff_next(&jitter); /* in [retry, 1.2 retry] */
        }
        if (!pause_ms(l, wait)) break;
    }
    if (__atomic_load_n(&l->leader, __ATOMIC_SEQ_CST)) {
        release(l);
        set_leader(l, 0);
        if (l->on_stopped) l->on_stopped(l->ud);
    }
    return NULL;
}

int mg_leader_start(mg_client *c, const mg_leader_opts *opts, mg_leader **out, mg_error *err) {
    *out = NULL;
    if (!opts || !opts->namespace || !*opts->namespace || !opts->name || !*opts->name || !opts->identity ||
        !*opts->identity)
        return mg_error_set(err, MG_EINVAL, "leader election needs a lease namespace, name and identity");
    mg_leader *l = mg_xcalloc(1, sizeof(*l));
    l->c = c;
    l->ns = mg_xstrdup(opts->namespace);
    l->name = mg_xstrdup(opts->name);
    l->id = mg_xstrdup(opts->identity);
    l->lease_ms = opts->lease_duration_ms > 0 ? opts->lease_duration_ms : DEFAULT_LEASE_MS;
    l->renew_deadline_ms = opts->renew_deadline_ms > 0 ? opts->renew_deadline_ms : DEFAULT_RENEW_DEADLINE_MS;
    l->retry_ms = opts->retry_period_ms > 0 ? opts->retry_period_ms : DEFAULT_RETRY_MS;
    if (l->lease_ms <= l->renew_deadline_ms || l->renew_deadline_ms <= l->retry_ms * 12 / 10) {
        free(l->ns);
        free(l->name);
        free(l->id);
        free(l);
        return mg_error_set(
            err, MG_EINVAL,
            "leader election timing: need lease duration > renew deadline > 1.2 × retry period");
    }
    l->on_started = opts->on_started_leading;
    l->on_stopped = opts->on_stopped_leading;
    l->ud = opts->ud;
    pthread_mutex_init(&l->mu, NULL);
    mg_clock_cond_init(&l->cond);
    if (pthread_create(&l->thread, NULL, run, l)) {
        pthread_cond_destroy(&l->cond);
        pthread_mutex_destroy(&l->mu);
        free(l->ns);
        free(l->name);
        free(l->id);
        free(l);
        return mg_error_set(err, MG_EIO, "cannot start the leader election thread");
    }
    *out = l;
    return 0;
}

bool mg_leader_is_leader(mg_leader *l) { return l && __atomic_load_n(&l->leader, __ATOMIC_SEQ_CST); }

void mg_leader_stop(mg_leader *l) {
    if (!l) return;
    pthread_mutex_lock(&l->mu);
    l->stopping = 1;
    pthread_cond_broadcast(&l->cond);
    pthread_mutex_unlock(&l->mu);
    pthread_join(l->thread, NULL);
    pthread_cond_destroy(&l->cond);
    pthread_mutex_destroy(&l->mu);
    json_decref(l->lease);
    free(l->observed_raw);
    free(l->observed_holder);
    free(l->ns);
    free(l->name);
    free(l->id);
    free(l);
}
