/* k8s/members — see members.h. One thread: renew own Lease → list the group's Leases → update
 * the view (under mu) → tell the owner when what this replica owns may have changed → wait one
 * retry period. */
#include "k8s/members.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/json.h"
#include "core/log.h"
#include "core/mem.h"
#include "k8s/strmap.h"

#define DEFAULT_LEASE_MS 15000
#define DEFAULT_RENEW_MS 10000
#define DEFAULT_RETRY_MS 2000

static const mg_gvr LEASES = {"coordination.k8s.io", "v1", "leases", true};

typedef struct observed {
    char *record;      /* holderIdentity + renewTime last seen */
    int64_t seen_mono; /* when it last changed */
} observed;

struct mg_members {
    mg_client *c;
    char *ns, *group, *id, *lease_name, *selector;
    long lease_ms, renew_ms, retry_ms, expiry_ms;
    void (*on_change)(void *);
    void *ud;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    bool stopping;
    /* the view (under mu) */
    char **ids; /* live members, sorted */
    size_t n;
    int64_t renewed_mono, joined_mono, view_mono; /* 0: never */
    /* the thread's own */
    mg_strmap *observed; /* Lease name → observed */
    json_t *own;         /* own Lease as last read or written */
    bool was_active;
};

/* ---- ownership ---------------------------------------------------------------------------------- */

static uint64_t fnv1a(const char *s) {
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* splitmix64's finaliser: spreads a combined hash over all 64 bits. */
static uint64_t mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

int mg_members_owner(const char *const *ids, size_t n, const char *key) {
    uint64_t k = fnv1a(key), best = 0;
    int owner = -1;
    for (size_t i = 0; i < n; i++) {
        uint64_t w = mix(fnv1a(ids[i]) ^ mix(k));
        if (owner < 0 || w > best || (w == best && strcmp(ids[i], ids[owner]) < 0)) {
            best = w;
            owner = (int)i;
        }
    }
    return owner;
}

/* Under mu: this replica may act (see Fencing in members.h). */
static bool active_locked(const mg_members *m, int64_t now) {
    return m->renewed_mono && m->view_mono && now - m->renewed_mono < m->renew_ms &&
           now - m->view_mono < m->renew_ms && now - m->joined_mono >= m->renew_ms;
}

bool mg_members_owns(mg_members *m, const char *key) {
    pthread_mutex_lock(&m->mu);
    bool owns = false;
    if (active_locked(m, mg_clock_mono_ms())) {
        int i = mg_members_owner((const char *const *)m->ids, m->n, key);
        owns = i >= 0 && !strcmp(m->ids[i], m->id);
    }
    pthread_mutex_unlock(&m->mu);
    return owns;
}

bool mg_members_active(mg_members *m) {
    pthread_mutex_lock(&m->mu);
    bool a = active_locked(m, mg_clock_mono_ms());
    pthread_mutex_unlock(&m->mu);
    return a;
}

size_t mg_members_count(mg_members *m) {
    pthread_mutex_lock(&m->mu);
    size_t n = m->n;
    pthread_mutex_unlock(&m->mu);
    return n;
}

/* ---- own Lease ---------------------------------------------------------------------------------- */

static json_t *lease_spec(const mg_members *m, const char *acquire) {
    char now[40];
    mg_clock_micro_time_now(now, sizeof(now));
    json_t *spec = json_object();
    json_object_set_new(spec, "holderIdentity", json_string(m->id));
    json_object_set_new(spec, "leaseDurationSeconds",
                        json_integer((m->lease_ms + MG_MS_PER_S - 1) / MG_MS_PER_S));
    json_object_set_new(spec, "acquireTime", json_string(acquire ? acquire : now));
    json_object_set_new(spec, "renewTime", json_string(now));
    return spec;
}

static int create_own(mg_members *m, mg_error *err) {
    json_t *obj = json_object();
    json_object_set_new(obj, "apiVersion", json_string("coordination.k8s.io/v1"));
    json_object_set_new(obj, "kind", json_string("Lease"));
    json_t *md = mg_json_obj_ensure(obj, "metadata");
    json_object_set_new(md, "name", json_string(m->lease_name));
    json_object_set_new(md, "namespace", json_string(m->ns));
    json_object_set_new(mg_json_obj_ensure(md, "labels"), MG_MEMBERS_LABEL, json_string(m->group));
    json_object_set_new(obj, "spec", lease_spec(m, NULL));
    json_t *created = NULL;
    int rc = mg_k8s_create(m->c, &LEASES, m->ns, obj, &created, err);
    json_decref(obj);
    if (!rc) {
        json_decref(m->own);
        m->own = created;
    }
    return rc;
}

/* Creates or renews the Lease; 0 when it holds (renewed at `start`). */
static int renew(mg_members *m, mg_error *err) {
    if (!m->own) {
        int rc = mg_k8s_get(m->c, &LEASES, m->ns, m->lease_name, NULL, &m->own, err);
        if (rc == MG_ENOTFOUND) return create_own(m, err);
        if (rc) return rc;
    }
    json_t *upd = json_deep_copy(m->own); /* keeps metadata.resourceVersion: compare-and-swap */
    json_object_set_new(upd, "spec", lease_spec(m, mg_json_str(m->own, "spec", "acquireTime", NULL)));
    json_object_set_new(mg_json_obj_ensure(mg_json_obj_ensure(upd, "metadata"), "labels"), MG_MEMBERS_LABEL,
                        json_string(m->group));
    json_t *written = NULL;
    int rc = mg_k8s_update(m->c, &LEASES, m->ns, m->lease_name, NULL, upd, &written, err);
    json_decref(upd);
    json_decref(m->own);
    m->own = rc ? NULL : written; /* on any failure read it afresh next time */
    return rc;
}

/* ---- the view ----------------------------------------------------------------------------------- */

static void free_observed(void *p) {
    observed *o = p;
    if (o) free(o->record);
    free(o);
}

/* Whether the Lease's record changed within the expiry, as seen on this replica's clock. */
static bool still_live(mg_members *m, const json_t *lease, int64_t now) {
    const char *name = mg_json_str(lease, "metadata", "name", NULL);
    const char *holder = mg_json_str(lease, "spec", "holderIdentity", NULL);
    if (!name || !holder || !*holder) return false;
    char *record = mg_xasprintf(
        "%s@%s", holder,
        mg_json_str(lease, "spec", "renewTime", NULL) ? mg_json_str(lease, "spec", "renewTime", NULL) : "");
    observed *o = mg_strmap_get(m->observed, name);
    if (!o) {
        o = mg_xcalloc(1, sizeof(*o));
        mg_strmap_put(m->observed, name, o);
    }
    if (!o->record || strcmp(o->record, record)) {
        free(o->record);
        o->record = record;
        o->seen_mono = now;
    } else {
        free(record);
    }
    return now - o->seen_mono < m->expiry_ms;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The live holders of the group's Leases, sorted (a new array of heap strings). */
static int list_members(mg_members *m, int64_t now, char ***out, size_t *n, mg_error *err) {
    mg_list_opts lo = {.label_selector = m->selector};
    json_t *list = NULL;
    int rc = mg_k8s_list(m->c, &LEASES, m->ns, &lo, &list, err);
    if (rc) return rc;
    json_t *items = json_object_get(list, "items");
    char **ids = mg_xcalloc(json_array_size(items) + 1, sizeof(char *));
    size_t k = 0, i;
    json_t *lease;
    json_array_foreach(items, i, lease) {
        if (still_live(m, lease, now))
            ids[k++] = mg_xstrdup(mg_json_str(lease, "spec", "holderIdentity", NULL));
    }
    json_decref(list);
    qsort(ids, k, sizeof(char *), cmp_str);
    *out = ids;
    *n = k;
    return 0;
}

static bool same_ids(char **a, size_t na, char **b, size_t nb) {
    if (na != nb) return false;
    for (size_t i = 0; i < na; i++)
        if (strcmp(a[i], b[i])) return false;
    return true;
}

static void free_ids(char **ids, size_t n) {
    for (size_t i = 0; i < n; i++)
        free(ids[i]);
    free(ids);
}

/* One round; true when what this replica owns may have changed. */
static bool round_once(mg_members *m) {
    mg_error err;
    int64_t start = mg_clock_mono_ms();
    if (renew(m, &err) == 0) {
        pthread_mutex_lock(&m->mu);
        if (!m->joined_mono) m->joined_mono = start;
        m->renewed_mono = start;
        pthread_mutex_unlock(&m->mu);
    } else {
        mg_log(MG_LOG_WARN, "member lease not renewed", "lease", m->lease_name, "error", err.message, NULL);
    }
    char **ids = NULL;
    size_t n = 0;
    bool changed = false;
    start = mg_clock_mono_ms();
    if (list_members(m, start, &ids, &n, &err) == 0) {
        pthread_mutex_lock(&m->mu);
        changed = !same_ids(ids, n, m->ids, m->n);
        char **old = m->ids;
        size_t nold = m->n;
        m->ids = ids;
        m->n = n;
        m->view_mono = start;
        pthread_mutex_unlock(&m->mu);
        if (changed) {
            char count[16];
            snprintf(count, sizeof(count), "%zu", n);
            mg_log(MG_LOG_INFO, "members changed", "group", m->group, "members", count, NULL);
        }
        free_ids(old, nold);
    } else {
        mg_log(MG_LOG_WARN, "member leases not listed", "group", m->group, "error", err.message, NULL);
    }
    bool active = mg_members_active(m);
    if (active != m->was_active)
        mg_log(MG_LOG_INFO, active ? "member active: taking its share" : "member fenced: acting on nothing",
               "identity", m->id, NULL);
    changed = changed || active != m->was_active;
    m->was_active = active;
    return changed;
}

/* Waits ms or until stop; false when stopping. */
static bool pause_ms(mg_members *m, int64_t ms) {
    struct timespec ts = mg_clock_deadline(CLOCK_MONOTONIC, ms);
    pthread_mutex_lock(&m->mu);
    while (!m->stopping)
        if (pthread_cond_timedwait(&m->cond, &m->mu, &ts)) break;
    bool go_on = !m->stopping;
    pthread_mutex_unlock(&m->mu);
    return go_on;
}

static void *run(void *p) {
    mg_members *m = p;
    do {
        int64_t start = mg_clock_mono_ms();
        if (round_once(m) && m->on_change) m->on_change(m->ud);
        /* the join takes the renew deadline: look again as soon as it has passed */
        int64_t wait = m->retry_ms - (mg_clock_mono_ms() - start);
        if (!m->was_active && m->joined_mono && m->joined_mono + m->renew_ms - mg_clock_mono_ms() < wait)
            wait = m->joined_mono + m->renew_ms - mg_clock_mono_ms();
        if (!pause_ms(m, wait > 0 ? wait : 0)) break;
    } while (true);
    return NULL;
}

/* ---- lifecycle ---------------------------------------------------------------------------------- */

static void members_free(mg_members *m) {
    free_ids(m->ids, m->n);
    mg_strmap_free(m->observed, free_observed);
    json_decref(m->own);
    pthread_cond_destroy(&m->cond);
    pthread_mutex_destroy(&m->mu);
    free(m->ns);
    free(m->group);
    free(m->id);
    free(m->lease_name);
    free(m->selector);
    free(m);
}

/* "<group>-<identity>" as an object name (RFC 1123: lower case, digits, '-' and '.', an
 * alphanumeric at each end): other characters become '-'. */
static char *lease_name_of(const char *group, const char *identity) {
    char *name = mg_xasprintf("%s-%s", group, identity);
    for (char *p = name; *p; p++) {
        char ch = *p >= 'A' && *p <= 'Z' ? (char)(*p - 'A' + 'a') : *p;
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '.';
        *p = ok ? ch : '-';
    }
    size_t n = strlen(name);
    while (n && (name[n - 1] == '-' || name[n - 1] == '.'))
        name[--n] = '\0';
    return name;
}

int mg_members_start(mg_client *c, const mg_members_opts *o, mg_members **out, mg_error *err) {
    *out = NULL;
    if (!o || !o->namespace || !*o->namespace || !o->group || !*o->group || !o->identity || !*o->identity)
        return mg_error_set(err, MG_EINVAL, "members: a Lease namespace, group and identity are required");
    mg_members *m = mg_xcalloc(1, sizeof(*m));
    m->c = c;
    m->lease_ms = o->lease_duration_ms > 0 ? o->lease_duration_ms : DEFAULT_LEASE_MS;
    m->renew_ms = o->renew_deadline_ms > 0 ? o->renew_deadline_ms : DEFAULT_RENEW_MS;
    m->retry_ms = o->retry_period_ms > 0 ? o->retry_period_ms : DEFAULT_RETRY_MS;
    m->expiry_ms = m->lease_ms - 2 * m->retry_ms;
    m->ns = mg_xstrdup(o->namespace);
    m->group = mg_xstrdup(o->group);
    m->id = mg_xstrdup(o->identity);
    m->lease_name = lease_name_of(o->group, o->identity);
    m->selector = mg_xasprintf("%s=%s", MG_MEMBERS_LABEL, o->group);
    m->on_change = o->on_change;
    m->ud = o->ud;
    m->observed = mg_strmap_new();
    pthread_mutex_init(&m->mu, NULL);
    mg_clock_cond_init(&m->cond);
    int rc = 0;
    if (!(m->expiry_ms >= m->renew_ms && m->renew_ms > m->retry_ms))
        rc = mg_error_set(err, MG_EINVAL,
                          "members: need lease duration - 2 x retry period >= renew deadline > "
                          "retry period");
    else if (pthread_create(&m->thread, NULL, run, m))
        rc = mg_error_set(err, MG_EIO, "members: cannot start the thread");
    if (rc) {
        members_free(m);
        return rc;
    }
    *out = m;
    return 0;
}

void mg_members_stop(mg_members *m) {
    if (!m) return;
    pthread_mutex_lock(&m->mu);
    m->stopping = true;
    pthread_cond_broadcast(&m->cond);
    pthread_mutex_unlock(&m->mu);
    pthread_join(m->thread, NULL);
    mg_error err;
    if (mg_k8s_delete(m->c, &LEASES, m->ns, m->lease_name, NULL, &err) && err.code != MG_ENOTFOUND)
        mg_log(MG_LOG_WARN, "member lease not deleted", "lease", m->lease_name, "error", err.message, NULL);
    else
        mg_log(MG_LOG_INFO, "member lease deleted", "lease", m->lease_name, NULL);
    members_free(m);
}
