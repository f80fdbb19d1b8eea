/* Unit tests for operator/monitor, driven through its real interface: stores filled the way the
 * informers fill them, the enqueue / owns / evaluated callbacks, and a fleet of model pods served
 * by tests/support/fleet_server.c (some slow, some hanging) on loopback addresses.
 *
 * Checks: every monitored ModelDeployment is evaluated on its interval, starting ahead of its due
 * time, and gets a verdict; a pod
 * that hangs delays only its own model (every other model's evaluation ends before any scrape
 * timeout could have fired) and its model's evaluations that come due meanwhile are skipped, not
 * queued; a baseline the traffic does not match is judged drifted (AwaitingReview after
 * `consecutive` windows); the shard filter keeps foreign models unevaluated; untrack forgets the
 * verdict. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/json.h"
#include "core/mem.h"
#include "operator/monitor.h"

extern char **environ;

#define MODELS 40
#define PODS_PER_MODEL 2
#define FEATURES 5
#define SLOW_EVERY 7  /* pod i % 7 == 6 answers after SLOW_MS */
#define HANG_EVERY 13 /* pod i % 13 == 11 never answers */
#define SLOW_MS 150
#define TIMEOUT_MS 1500
#define INTERVAL "1s"
#define DRIFTED 3 /* model 3 is judged against a baseline its traffic does not match */
#define FOREIGN 5 /* model 5 belongs to another replica */

typedef struct fixture {
    pid_t fleet;
    int port;
    mg_store *mds, *mvs, *pods;
    pthread_mutex_t mu;
    int evaluations[MODELS];
    int enqueued[MODELS];
    int64_t worst_healthy_ms;  /* longest evaluation of a model with no hanging pod */
    int hanging_evaluations;   /* evaluations that waited for a hanging pod */
    int started_ahead[MODELS]; /* evaluations that started before their due time */
} fixture;

static int model_of(const char *key) { /* "ns/md-007" */
    const char *dash = strrchr(key, '-');
    return dash ? atoi(dash + 1) : -1;
}

static bool has_hanging_pod(int model) {
    for (int p = 0; p < PODS_PER_MODEL; p++)
        if ((model * PODS_PER_MODEL + p) % HANG_EVERY == HANG_EVERY - 2) return true;
    return false;
}

static size_t pod_by_md(const json_t *obj, const char **out, size_t max) {
    const char *v = mg_json_str(obj, "metadata", "labels", "mlops.modelgov.io/modeldeployment", NULL);
    if (!v || !max) return 0;
    out[0] = v;
    return 1;
}

static void start_fleet(fixture *f) {
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    char pods[16], features[16], slow[16], hang[16], slow_ms[16];
    snprintf(pods, sizeof(pods), "%d", MODELS * PODS_PER_MODEL);
    snprintf(features, sizeof(features), "%d", FEATURES);
    snprintf(slow, sizeof(slow), "%d", SLOW_EVERY);
    snprintf(hang, sizeof(hang), "%d", HANG_EVERY);
    snprintf(slow_ms, sizeof(slow_ms), "%d", SLOW_MS);
    /* built beside this test: $(BUILD)/support/fleet-server for $(BUILD)/tests/test_monitor */
    char bin[4096];
    ssize_t n = readlink("/proc/self/exe", bin, sizeof(bin) - 64);
    assert_true(n > 0);
    bin[n] = '\0';
    char *slash = strrchr(bin, '/');
    assert_non_null(slash);
    *slash = '\0';
    slash = strrchr(bin, '/');
    assert_non_null(slash);
    snprintf(slash, sizeof(bin) - (size_t)(slash - bin), "/support/fleet-server");
    char *argv[] = {bin,  "--pods",       pods, "--features", features, "--slow-every",
                    slow, "--hang-every", hang, "--slow-ms",  slow_ms,  NULL};
    assert_int_equal(posix_spawn(&f->fleet, bin, &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    char line[64] = "";
    FILE *out = fdopen(fds[0], "r");
    assert_non_null(fgets(line, sizeof(line), out));
    fclose(out);
    assert_int_equal(sscanf(line, "port %d", &f->port), 1);
}

/* The baseline the fleet's traffic follows; `drifted` moves mass to the last bins. */
static json_t *baseline(bool drifted) {
    json_t *features = json_array();
    for (int k = 0; k < FEATURES; k++) {
        char name[16];
        snprintf(name, sizeof(name), "f%d", k);
        json_t *p = drifted ? json_pack("[f,f,f,f,f,f]", 0.02, 0.03, 0.05, 0.1, 0.3, 0.5)
                            : json_pack("[f,f,f,f,f,f]", 0.1, 0.2, 0.3, 0.2, 0.1, 0.1);
        json_array_append_new(features, json_pack("{s:s, s:[i,i,i,i,i], s:o}", "name", name, "edges", 10, 20,
                                                  30, 40, 50, "proportions", p));
    }
    return json_pack("{s:i, s:f, s:o}", "samples", 50000, "accuracy", 0.9, "features", features);
}

static void fill_stores(fixture *f) {
    f->mds = mg_store_new_compact();
    f->mvs = mg_store_new();
    f->pods = mg_store_new_compact();
    assert_int_equal(mg_store_add_index(f->pods, "md", pod_by_md), 0);
    for (int d = 0; d < 2; d++) {
        json_t *mv = json_pack("{s:s, s:s, s:{s:s, s:s}, s:{s:s, s:s, s:o}}", "apiVersion",
                               "mlops.modelgov.io/v1alpha1", "kind", "ModelVersion", "metadata", "name",
                               d ? "drifted" : "steady", "namespace", "ns", "spec", "model", "m", "version",
                               d ? "2" : "1", "baseline", baseline(d));
        mg_store_put(f->mvs, mv);
        json_decref(mv);
    }
    for (int i = 0; i < MODELS; i++) {
        char name[16];
        snprintf(name, sizeof(name), "md-%03d", i);
        json_t *md = json_pack("{s:s, s:s, s:{s:s, s:s}, s:{s:s, s:i, s:{s:s, s:s, s:i, s:i, s:{s:f}}}, "
                               "s:{s:s, s:s}}",
                               "apiVersion", "mlops.modelgov.io/v1alpha1", "kind", "ModelDeployment",
                               "metadata", "name", name, "namespace", "ns", "spec", "modelVersion", "x",
                               "port", f->port, "monitoring", "interval", INTERVAL, "window", "30s",
                               "minSamples", 10, "consecutive", 2, "warn", "maxPSI", 0.2, "status", "phase",
                               "Serving", "servingModelVersion", i == DRIFTED ? "drifted" : "steady");
        mg_store_put(f->mds, md);
        json_decref(md);
        for (int p = 0; p < PODS_PER_MODEL; p++) {
            int pod = i * PODS_PER_MODEL + p;
            char pname[32], ip[32];
            snprintf(pname, sizeof(pname), "%s-%d", name, p);
            snprintf(ip, sizeof(ip), "127.%d.%d.%d", 1 + pod / 65536, pod / 256 % 256, pod % 256);
            json_t *po = json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:{s:s}}, s:{s:s, s:[{s:s, s:s}]}}",
                                   "apiVersion", "v1", "kind", "Pod", "metadata", "name", pname, "namespace",
                                   "ns", "uid", pname, "labels", "mlops.modelgov.io/modeldeployment", name,
                                   "status", "podIP", ip, "conditions", "type", "Ready", "status", "True");
            mg_store_put(f->pods, po);
            json_decref(po);
        }
    }
}

static void on_enqueue(void *ud, const char *key) {
    fixture *f = ud;
    pthread_mutex_lock(&f->mu);
    f->enqueued[model_of(key)]++;
    pthread_mutex_unlock(&f->mu);
}

static bool owns(void *ud, const char *key) {
    (void)ud;
    return model_of(key) != FOREIGN;
}

static void on_evaluated(void *ud, const mg_monitor_timing *t) {
    fixture *f = ud;
    int i = model_of(t->key);
    pthread_mutex_lock(&f->mu);
    f->evaluations[i]++;
    if (t->started_ms < t->due_ms) f->started_ahead[i]++;
    if (has_hanging_pod(i))
        f->hanging_evaluations++;
    else if (t->done_ms - t->started_ms > f->worst_healthy_ms)
        f->worst_healthy_ms = t->done_ms - t->started_ms;
    pthread_mutex_unlock(&f->mu);
}

static bool all_evaluated(fixture *f, int times) {
    pthread_mutex_lock(&f->mu);
    bool ok = true;
    for (int i = 0; i < MODELS && ok; i++)
        ok = i == FOREIGN || f->evaluations[i] >= times;
    pthread_mutex_unlock(&f->mu);
    return ok;
}

static void test_monitor_fleet(void **state) {
    (void)state;
    fixture f;
    memset(&f, 0, sizeof(f));
    pthread_mutex_init(&f.mu, NULL);
    start_fleet(&f);
    fill_stores(&f);
    mg_metrics *metrics = mg_metrics_new();
    mg_monitor_deps deps = {.modeldeployments = f.mds,
                            .modelversions = f.mvs,
                            .pods = f.pods,
                            .enqueue = on_enqueue,
                            .owns = owns,
                            .evaluated = on_evaluated,
                            .ud = &f,
                            .metrics = metrics,
                            .max_in_flight = 16,
                            .scrape_timeout_ms = TIMEOUT_MS};
    mg_monitor *m = NULL;
    assert_int_equal(mg_monitor_new(&deps, &m, NULL), 0);
    json_t *mds = mg_store_list(f.mds);
    size_t i;
    json_t *md;
    json_array_foreach(mds, i, md) mg_monitor_track(m, md);
    json_decref(mds);
    assert_int_equal(mg_monitor_start(m, NULL), 0);
    int64_t deadline = mg_clock_mono_ms() + 30000;
    while (!all_evaluated(&f, 4) && mg_clock_mono_ms() < deadline)
        mg_sleep_ms(50);
    assert_true(all_evaluated(&f, 4));

    mg_monitor_stats st;
    mg_monitor_get_stats(m, &st);
    assert_int_equal(st.tracked, MODELS);
    assert_true(st.skipped > 0); /* the hanging models' evaluations overlapped their next due time */
    assert_true(st.window_bytes > 0);
    pthread_mutex_lock(&f.mu);
    assert_int_equal(f.evaluations[FOREIGN], 0);
    /* evaluations start ahead of their due time by the scrape timeout (at most the interval), so
     * a verdict is ready by its due time even when a pod answers only at its timeout */
    for (int k = 0; k < MODELS; k++)
        if (k != FOREIGN) assert_true(f.started_ahead[k] > 0);
    assert_true(f.hanging_evaluations > 0);
    assert_true(f.worst_healthy_ms < TIMEOUT_MS); /* nobody waited for a hanging pod but its own model */
    pthread_mutex_unlock(&f.mu);

    mg_monitor_verdict v;
    mg_monitor_verdict_get(m, "ns/md-000", &v);
    assert_true(v.known && !v.config_error && !v.awaiting_review);
    assert_true(mg_json_bool(v.last_evaluation, false, "judged", NULL));
    assert_true(json_real_value(json_object_get(v.last_evaluation, "maxPSI")) < 0.01);
    assert_string_equal(v.model_version, "steady"); /* the version judged: it counts for no other */
    mg_monitor_verdict_clear(&v);
    mg_monitor_verdict_get(m, "ns/md-003", &v);
    assert_true(v.known && v.awaiting_review && v.condition[MG_COND_DRIFTED]);
    assert_int_equal(json_array_size(v.breaches), FEATURES);
    mg_monitor_verdict_clear(&v);
    mg_monitor_verdict_get(m, "ns/md-005", &v);
    assert_false(v.known);

    mg_monitor_untrack(m, "ns/md-000");
    deadline = mg_clock_mono_ms() + 5000;
    bool known;
    do {
        mg_sleep_ms(20);
        mg_monitor_verdict_get(m, "ns/md-000", &v);
        known = v.known;
        mg_monitor_verdict_clear(&v);
    } while (known && mg_clock_mono_ms() < deadline);
    assert_false(known);

    mg_monitor_free(m);
    mg_metrics_free(metrics);
    mg_store_free(f.mds);
    mg_store_free(f.mvs);
    mg_store_free(f.pods);
    kill(f.fleet, SIGTERM);
    waitpid(f.fleet, NULL, 0);
}

int main(void) {
    mg_mem_init();
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_monitor_fleet)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
