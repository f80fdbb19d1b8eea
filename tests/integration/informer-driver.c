/* informer + leader election against the test API server (driven by tests/integration/informer.sh).
 *
 * Informer on configmaps of one namespace (pages of 7): the first list, then creates/updates/
 * deletes converge; dropped watches resume from the last resourceVersion; a watch outage (503
 * faults) while objects change, followed by compaction, makes the informer relist (410) and
 * deliver exactly the missed add/update/delete. Leader election: two electors on one Lease;
 * only one leads; the other takes over when the leader stops (release), and the Lease records
 * holder, transitions and MicroTimes. Prints "ok ..." / "FAIL ..." lines and a closing
 * "N passed, N failed" line; exits non-zero on any failure. */
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/mem.h"
#include "k8s/client.h"
#include "k8s/informer.h"
#include "k8s/kubeconfig.h"
#include "k8s/leader.h"

static const mg_gvr CM = {"", "v1", "configmaps", true};
static const mg_gvr NS = {"", "v1", "namespaces", false};
static const mg_gvr LEASE = {"coordination.k8s.io", "v1", "leases", true};
static int passed, failed;

static void check(bool ok, const char *what, const char *fmt, ...) {
    if (ok) {
        passed++;
        printf("ok   %s\n", what);
        return;
    }
    failed++;
    printf("FAIL %s: ", what);
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}

static mg_client *C;
static char NSNAME[64], OTHER[64];

/* ------------------------------------------------------------------ informer side */

typedef struct seen {
    pthread_mutex_t mu;
    json_t *last; /* name → "add RV" | "update RV" | "delete RV" */
    long adds, updates, deletes;
} seen;
static seen S = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void remember(const json_t *obj, const char *what) {
    const json_t *md = json_object_get(obj, "metadata");
    const char *name = json_string_value(json_object_get(md, "name"));
    const char *rv = json_string_value(json_object_get(md, "resourceVersion"));
    pthread_mutex_lock(&S.mu);
    char *s = mg_xasprintf("%s %s", what, rv ? rv : "?");
    json_object_set_new(S.last, name ? name : "?", json_string(s));
    free(s);
    pthread_mutex_unlock(&S.mu);
}
static void on_add(const json_t *o, void *ud) {
    (void)ud;
    __atomic_fetch_add(&S.adds, 1, __ATOMIC_SEQ_CST);
    remember(o, "add");
}
static void on_update(const json_t *old, const json_t *o, void *ud) {
    (void)ud;
    (void)old;
    __atomic_fetch_add(&S.updates, 1, __ATOMIC_SEQ_CST);
    remember(o, "update");
}
static void on_delete(const json_t *o, void *ud) {
    (void)ud;
    __atomic_fetch_add(&S.deletes, 1, __ATOMIC_SEQ_CST);
    remember(o, "delete");
}

static const char *last_event(const char *name) {
    static char buf[128];
    pthread_mutex_lock(&S.mu);
    const char *v = json_string_value(json_object_get(S.last, name));
    snprintf(buf, sizeof(buf), "%s", v ? v : "");
    pthread_mutex_unlock(&S.mu);
    return buf;
}

static json_t *configmap(const char *ns, const char *name, const char *v) {
    return json_pack("{s:s, s:s, s:{s:s, s:s}, s:{s:s}}", "apiVersion", "v1", "kind", "ConfigMap", "metadata",
                     "name", name, "namespace", ns, "data", "v", v);
}

static void create_cm(const char *ns, const char *name, const char *v) {
    json_t *o = configmap(ns, name, v), *out = NULL;
    mg_error e;
    if (mg_k8s_create(C, &CM, ns, o, &out, &e)) check(false, "create configmap", "%s: %s", name, e.message);
    json_decref(o);
    json_decref(out);
}

static void patch_cm(const char *name, const char *v) {
    json_t *p = json_pack("{s:{s:s}}", "data", "v", v), *out = NULL;
    mg_error e;
    if (mg_k8s_merge_patch(C, &CM, NSNAME, name, NULL, p, &out, &e))
        check(false, "patch configmap", "%s: %s", name, e.message);
    json_decref(p);
    json_decref(out);
}

static void delete_cm(const char *name) {
    mg_error e;
    if (mg_k8s_delete(C, &CM, NSNAME, name, NULL, &e))
        check(false, "delete configmap", "%s: %s", name, e.message);
}

/* Fault injection is a feature of the test server (hack/testcluster): with MG_TEST_SERVER=real
 * the checks that need it are skipped, each with a line saying so. */
static bool faults_available(void) {
    const char *server = getenv("MG_TEST_SERVER");
    return !server || !*server || !strcmp(server, "testcluster");
}

static void skip_faults(const char *what) {
    printf("skip - %s (skipped on real server: fault injection is a test-server feature)\n", what);
}

static void testcluster(const char *method, const char *body) {
    json_t *out = NULL;
    mg_error e;
    if (mg_k8s_request(C, method, "/_testcluster/faults", "application/json", body, body ? strlen(body) : 0,
                       &out, &e))
        check(false, "testcluster faults", "%s %s: %s", method, body ? body : "", e.message);
    json_decref(out);
}

/* The server's view: name → resourceVersion (one unpaginated LIST). */
static json_t *server_versions(void) {
    json_t *list = NULL;
    mg_error e;
    json_t *v = json_object();
    if (mg_k8s_list(C, &CM, NSNAME, NULL, &list, &e)) {
        check(false, "list", "%s", e.message);
        return v;
    }
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(list, "items"), i, it) {
        const json_t *md = json_object_get(it, "metadata");
        char key[256];
        snprintf(key, sizeof(key), "%s/%s", NSNAME, json_string_value(json_object_get(md, "name")));
        json_object_set(v, key, json_object_get(md, "resourceVersion"));
    }
    json_decref(list);
    return v;
}

/* Waits (bounded) until the informer's cache equals the server's state. */
static bool converged(mg_informer *inf) {
    for (int i = 0; i < 600; i++) {
        json_t *want = server_versions();
        json_t *have = mg_store_versions(mg_informer_store(inf));
        bool eq = json_equal(want, have);
        json_decref(want);
        json_decref(have);
        if (eq) return true;
        mg_sleep_ms(50);
    }
    return false;
}

static void informer_fault_tests(mg_informer *inf);

static void informer_tests(void) {
    char name[32];
    for (int i = 0; i < 20; i++) {
        snprintf(name, sizeof(name), "cm-%02d", i);
        create_cm(NSNAME, name, "0");
    }
    json_t *initial = server_versions(); /* ours + what the server adds (kube-root-ca.crt) */
    long n0 = (long)json_object_size(initial);
    json_decref(initial);
    mg_informer_handlers h = {.on_add = on_add, .on_update = on_update, .on_delete = on_delete};
    mg_informer_opts o = {.namespace = NSNAME, .page_size = 7, .backoff_base_ms = 50};
    mg_informer *inf = mg_informer_new(C, &CM, &o, &h);
    mg_error e;
    check(mg_informer_start(inf, &e) == 0, "informer start", "%s", e.message);
    check(mg_informer_wait_synced(inf, 30000), "informer synced", "not synced after 30 s");
    check(S.adds == n0 && n0 >= 20 && mg_store_len(mg_informer_store(inf)) == (size_t)n0,
          "first list: one add per object, over pages of 7", "adds %ld, cached %zu", S.adds,
          mg_store_len(mg_informer_store(inf)));

    for (int i = 20; i < 25; i++) {
        snprintf(name, sizeof(name), "cm-%02d", i);
        create_cm(NSNAME, name, "0");
    }
    for (int i = 0; i < 5; i++) {
        snprintf(name, sizeof(name), "cm-%02d", i);
        patch_cm(name, "1");
    }
    for (int i = 5; i < 10; i++) {
        snprintf(name, sizeof(name), "cm-%02d", i);
        delete_cm(name);
    }
    check(converged(inf), "creates, updates and deletes converge", "cache differs from the server");
    check(S.adds == n0 + 5 && S.updates == 5 && S.deletes == 5,
          "watch delivered 5 adds, 5 updates, 5 deletes", "adds %ld updates %ld deletes %ld", S.adds,
          S.updates, S.deletes);

    if (faults_available())
        informer_fault_tests(inf);
    else
        skip_faults("dropped watch, watch outage and compaction");
    mg_informer_free(inf);
}

static void informer_fault_tests(mg_informer *inf) {
    unsigned long restarts = mg_informer_watch_restarts(inf);
    testcluster("POST", "{\"action\":\"dropWatches\"}");
    create_cm(NSNAME, "cm-25", "0");
    delete_cm("cm-10");
    check(converged(inf), "dropped watch: converges", "cache differs from the server");
    check(mg_informer_watch_restarts(inf) > restarts && mg_informer_relists(inf) == 0,
          "dropped watch: resumed from the last resourceVersion without a relist",
          "restarts %lu→%lu relists %lu", restarts, mg_informer_watch_restarts(inf),
          mg_informer_relists(inf));

    /* outage: watches fail with 503 while objects change, then history is compacted */
    char fault[256];
    snprintf(fault, sizeof(fault),
             "{\"match\":\"^/api/v1/namespaces/%s/configmaps\\\\?watch=1\",\"code\":503,\"count\":-1}",
             NSNAME);
    testcluster("POST", fault);
    testcluster("POST", "{\"action\":\"dropWatches\"}");
    create_cm(NSNAME, "cm-26", "0");
    patch_cm("cm-11", "2");
    delete_cm("cm-12");
    create_cm(OTHER, "elsewhere", "0"); /* moves the global resourceVersion past ours */
    testcluster("POST", "{\"action\":\"compact\"}");
    testcluster("DELETE", NULL);
    check(converged(inf), "outage + compaction: converges", "cache differs from the server");
    check(mg_informer_relists(inf) >= 1, "outage + compaction: 410 made the informer relist", "relists %lu",
          mg_informer_relists(inf));
    check(!strncmp(last_event("cm-26"), "add ", 4) && !strncmp(last_event("cm-11"), "update ", 7) &&
              !strncmp(last_event("cm-12"), "delete ", 7),
          "relist delivered the missed add, update and delete", "cm-26 '%s', cm-11 '%s', cm-12 '%s'",
          last_event("cm-26"), last_event("cm-11"), last_event("cm-12"));
    char key[128];
    snprintf(key, sizeof(key), "%s/cm-11", NSNAME);
    json_t *obj = mg_store_get(mg_informer_store(inf), key);
    check(obj && !strcmp(json_string_value(json_object_get(json_object_get(obj, "data"), "v")), "2") &&
              !json_object_get(json_object_get(obj, "metadata"), "managedFields"),
          "cached object is the latest, stripped", "got %s",
          obj ? "an older or unstripped object" : "nothing");
    json_decref(obj);
}

/* ------------------------------------------------------------------ leader election */

typedef struct elector {
    const char *id;
    int started, stopped;
    mg_leader *l;
} elector;

static void started(void *ud) { __atomic_fetch_add(&((elector *)ud)->started, 1, __ATOMIC_SEQ_CST); }
static void stopped(void *ud) { __atomic_fetch_add(&((elector *)ud)->stopped, 1, __ATOMIC_SEQ_CST); }

static void start_elector(elector *x) {
    mg_leader_opts o = {.namespace = NSNAME,
                        .name = "modelgov-operator",
                        .identity = x->id,
                        .lease_duration_ms = 5000,
                        .renew_deadline_ms = 3500,
                        .retry_period_ms = 250,
                        .on_started_leading = started,
                        .on_stopped_leading = stopped,
                        .ud = x};
    mg_error e;
    check(mg_leader_start(C, &o, &x->l, &e) == 0, "leader start", "%s", e.message);
}

static bool wait_leader(elector *x, int ms) {
    for (int i = 0; i < ms / 20; i++) {
        if (mg_leader_is_leader(x->l)) return true;
        mg_sleep_ms(20);
    }
    return mg_leader_is_leader(x->l);
}

static json_t *get_lease(void) {
    json_t *out = NULL;
    mg_error e;
    if (mg_k8s_get(C, &LEASE, NSNAME, "modelgov-operator", NULL, &out, &e))
        check(false, "get lease", "%s", e.message);
    return out;
}

/* Compact text of a JSON value for messages (static buffer). */
static const char *text_of(const json_t *v) {
    static char buf[1024];
    char *s = json_dumps(v, JSON_COMPACT);
    snprintf(buf, sizeof(buf), "%s", s ? s : "(null)");
    free(s);
    return buf;
}

static bool micro_time(const char *s) {
    /* 2026-11-26T11:40:09.123456Z */
    return s && strlen(s) == 27 && s[10] == 'T' && s[19] == '.' && s[26] == 'Z';
}

/* Lease writes fail (test-server faults): the leader gives up after its renew deadline, then
 * exactly one elector takes the expired lease. Returns the lease's transitions afterwards. */
static json_int_t lease_outage(elector *a, elector *b, json_int_t transitions, elector **lead_out,
                               elector **other_out) {
    json_t *lease;
    const json_t *spec;
    char fault[256];
    snprintf(fault, sizeof(fault),
             "{\"match\":\"^/apis/coordination.k8s.io/v1/namespaces/%s/leases/"
             "modelgov-operator\",\"method\":\"PUT\","
             "\"code\":500,\"count\":-1}",
             NSNAME);
    testcluster("POST", fault);
    for (int i = 0; i < 500 && mg_leader_is_leader(a->l); i++)
        mg_sleep_ms(20);
    check(!mg_leader_is_leader(a->l) && !mg_leader_is_leader(b->l) && a->stopped == 1,
          "renewals failing past the deadline stop the leader", "a leader %d, b leader %d, a stopped %d",
          mg_leader_is_leader(a->l), mg_leader_is_leader(b->l), a->stopped);
    testcluster("DELETE", NULL);
    /* writes work again: the unrenewed lease expires by each elector's own clock and exactly one
     * of them takes it (the other's write conflicts) */
    for (int i = 0; i < 750 && !mg_leader_is_leader(a->l) && !mg_leader_is_leader(b->l); i++)
        mg_sleep_ms(20);
    mg_sleep_ms(500);
    bool al = mg_leader_is_leader(a->l), bl = mg_leader_is_leader(b->l);
    check(al != bl, "after the outage exactly one elector leads", "a %d b %d", al, bl);
    elector *lead = al ? a : b, *other = al ? b : a;
    lease = get_lease();
    spec = json_object_get(lease, "spec");
    check(!strcmp(json_string_value(json_object_get(spec, "holderIdentity")) ?: "", lead->id) &&
              json_integer_value(json_object_get(spec, "leaseTransitions")) == transitions + 1,
          "expired lease taken over: holder and transitions", "spec %s", text_of(spec));
    transitions = json_integer_value(json_object_get(spec, "leaseTransitions"));
    json_decref(lease);
    *lead_out = lead;
    *other_out = other;
    return transitions;
}

static void leader_tests(void) {
    mg_error e;
    mg_leader *bad = NULL;
    mg_leader_opts inval = {.namespace = NSNAME,
                            .name = "x",
                            .identity = "i",
                            .lease_duration_ms = 1000,
                            .renew_deadline_ms = 2000};
    check(mg_leader_start(C, &inval, &bad, &e) == MG_EINVAL && !bad, "leader timing validated", "%s",
          e.message);

    elector a = {.id = "replica-a"}, b = {.id = "replica-b"};
    start_elector(&a);
    check(wait_leader(&a, 10000), "first elector acquires the lease", "not leader");
    start_elector(&b);
    /* b keeps trying for longer than a lease duration while a renews: it must never lead */
    bool b_led = false;
    for (int i = 0; i < 300; i++) {
        if (mg_leader_is_leader(b.l)) b_led = true;
        mg_sleep_ms(20);
    }
    check(!b_led && mg_leader_is_leader(a.l), "second elector waits while the leader renews", "b led");
    json_t *lease = get_lease();
    const json_t *spec = json_object_get(lease, "spec");
    check(!strcmp(json_string_value(json_object_get(spec, "holderIdentity")) ?: "", "replica-a") &&
              json_integer_value(json_object_get(spec, "leaseDurationSeconds")) == 5 &&
              micro_time(json_string_value(json_object_get(spec, "renewTime"))) &&
              micro_time(json_string_value(json_object_get(spec, "acquireTime"))),
          "lease records holder, duration and MicroTimes", "spec %s", text_of(spec));
    json_int_t transitions = json_integer_value(json_object_get(spec, "leaseTransitions"));
    json_decref(lease);

    elector *lead = &a, *other = &b;
    if (faults_available())
        transitions = lease_outage(&a, &b, transitions, &lead, &other);
    else
        skip_faults("renewals failing past the deadline; takeover of the expired lease");
    int64_t t0 = mg_clock_mono_ms();
    mg_leader_stop(lead->l);
    check(lead->started == lead->stopped && lead->started >= 1, "leader callbacks on the stopped elector",
          "started %d stopped %d", lead->started, lead->stopped);
    check(wait_leader(other, 10000), "failover: the other elector takes over after release", "not leader");
    /* released leases are taken on the next retry, well before a lease duration */
    int64_t took = mg_clock_mono_ms() - t0;
    printf("info failover after release took %lld ms\n", (long long)took);
    lease = get_lease();
    spec = json_object_get(lease, "spec");
    check(!strcmp(json_string_value(json_object_get(spec, "holderIdentity")) ?: "", other->id) &&
              json_integer_value(json_object_get(spec, "leaseTransitions")) == transitions + 1,
          "lease now held by the other, one more transition", "spec %s", text_of(spec));
    json_decref(lease);
    mg_leader_stop(other->l);
    check(other->started == other->stopped && other->started >= 1, "callbacks on the second elector",
          "started %d stopped %d", other->started, other->stopped);
    lease = get_lease();
    spec = json_object_get(lease, "spec");
    check(!strcmp(json_string_value(json_object_get(spec, "holderIdentity")) ?: "x", "") &&
              json_integer_value(json_object_get(spec, "leaseDurationSeconds")) == 1,
          "stop releases the lease (empty holder, 1 s)", "spec %s", text_of(spec));
    json_decref(lease);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s KUBECONFIG\n", argv[0]);
        return 2;
    }
    mg_mem_init();
    mg_log_configure(MG_LOG_TEXT, MG_LOG_WARN);
    mg_rest_config cfg;
    mg_error e;
    if (mg_kubeconfig_load(argv[1], NULL, &cfg, &e)) {
        printf("FAIL load kubeconfig: %s\n", e.message);
        return 1;
    }
    if (mg_client_new(&cfg, &C, &e)) {
        printf("FAIL client: %s\n", e.message);
        return 1;
    }
    S.last = json_object();
    snprintf(NSNAME, sizeof(NSNAME), "mgi-%d", (int)getpid());
    snprintf(OTHER, sizeof(OTHER), "mgi-other-%d", (int)getpid());
    const char *nss[] = {NSNAME, OTHER};
    for (int i = 0; i < 2; i++) {
        json_t *o = json_pack("{s:s, s:s, s:{s:s}}", "apiVersion", "v1", "kind", "Namespace", "metadata",
                              "name", nss[i]);
        json_t *out = NULL;
        check(mg_k8s_create(C, &NS, NULL, o, &out, &e) == 0, "create namespace", "%s", e.message);
        json_decref(o);
        json_decref(out);
    }
    informer_tests();
    leader_tests();
    json_decref(S.last);
    mg_client_free(C);
    mg_rest_config_free(&cfg);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
