/* bench_monitor — the monitoring engine (operator/monitor) against a fleet of simulated model
 * pods (tests/support/fleet_server.c, one process serving every pod on its own loopback
 * address): N ModelDeployments × P pods × F features, each evaluated every interval.
 *
 *   bench_monitor FLEET_SERVER_BINARY [models pods features interval_s measure_s slow_every hang_every]
 *
 * The stores are filled as the informers would fill them (compact ModelDeployments and Pods,
 * ModelVersions as trees); nothing talks to an API server. After one whole interval (every
 * model has started) the figures are taken over measure_s seconds:
 *   evaluations/s; lateness (verdict time minus due time, 0 for a verdict ready before its due
 *   time: evaluations start ahead by the scrape timeout) p50/p99/max over all evaluations and
 *   over those of models whose pods all answer at once; CPU seconds of this process per
 *   evaluation (the engine: scrapes, parsing, windows, judging; not the fleet's); the fleet
 *   server's CPU per scrape (to show it is not the bottleneck); RSS and window bytes per model;
 *   new connections per scrape (keep-alive reuse).
 * Prints one JSON line on stdout. */
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/json.h"
#include "core/log.h"
#include "core/mem.h"
#include "operator/monitor.h"

extern char **environ;

typedef struct bench {
    long models, pods, features, interval_s, measure_s, slow_every, hang_every;
    int port;
    pid_t fleet;
    mg_store *mds, *mvs, *podstore;
    pthread_mutex_t mu;
    int64_t t0, t1; /* the measured period (wall ms) */
    double *late, *late_healthy;
    size_t nlate, nhealthy, cap;
    unsigned long evals, judged;
} bench;

static int model_of(const char *key) {
    const char *dash = strrchr(key, '-');
    return dash ? atoi(dash + 1) : -1;
}

static bool pod_is(long pod, long every, long rem) { return every > 0 && pod % every == every - rem; }

static bool faulty_model(const bench *b, long model) {
    for (long p = 0; p < b->pods; p++) {
        long pod = model * b->pods + p;
        if (pod_is(pod, b->slow_every, 1) || (b->hang_every > 1 && pod_is(pod, b->hang_every, 2)))
            return true;
    }
    return false;
}

static size_t pod_by_md(const json_t *obj, const char **out, size_t max) {
    const char *v = mg_json_str(obj, "metadata", "labels", "mlops.modelgov.io/modeldeployment", NULL);
    if (!v || !max) return 0;
    out[0] = v;
    return 1;
}

static void start_fleet(bench *b, const char *bin) {
    int fds[2];
    if (pipe(fds)) abort();
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    char pods[24], features[24], slow[24], hang[24];
    snprintf(pods, sizeof(pods), "%ld", b->models * b->pods);
    snprintf(features, sizeof(features), "%ld", b->features);
    snprintf(slow, sizeof(slow), "%ld", b->slow_every);
    snprintf(hang, sizeof(hang), "%ld", b->hang_every);
    char *argv[] = {(char *)bin, "--pods",       pods, "--features", features, "--slow-every",
                    slow,        "--hang-every", hang, "--slow-ms",  "2000",   NULL};
    if (posix_spawn(&b->fleet, bin, &fa, NULL, argv, environ)) {
        perror("bench_monitor: fleet-server");
        exit(1);
    }
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    FILE *out = fdopen(fds[0], "r");
    char line[64] = "";
    if (!fgets(line, sizeof(line), out) || sscanf(line, "port %d", &b->port) != 1) {
        fprintf(stderr, "bench_monitor: the fleet server did not start\n");
        exit(1);
    }
    fclose(out);
}

static json_t *baseline(long features) {
    json_t *fs = json_array();
    for (long k = 0; k < features; k++) {
        char name[24];
        snprintf(name, sizeof(name), "f%ld", k);
        json_array_append_new(fs, json_pack("{s:s, s:[i,i,i,i,i], s:[f,f,f,f,f,f]}", "name", name, "edges",
                                            10, 20, 30, 40, 50, "proportions", 0.1, 0.2, 0.3, 0.2, 0.1, 0.1));
    }
    return json_pack("{s:i, s:f, s:f, s:o, s:[{s:s, s:s, s:f, s:f}, {s:s, s:s, s:f, s:f}]}", "samples", 50000,
                     "accuracy", 0.9, "f1", 0.85, "features", fs, "groups", "attribute", "sex", "group", "f",
                     "positiveRate", 0.4, "truePositiveRate", 0.9, "attribute", "sex", "group", "m",
                     "positiveRate", 0.44, "truePositiveRate", 0.9);
}

/* 100 ModelVersions shared by the models, as in the 10,000-model cluster. */
static void fill_stores(bench *b) {
    b->mds = mg_store_new_compact();
    b->mvs = mg_store_new();
    b->podstore = mg_store_new_compact();
    mg_store_add_index(b->podstore, "md", pod_by_md);
    for (int v = 0; v < 100; v++) {
        char name[24];
        snprintf(name, sizeof(name), "mv-%02d", v);
        json_t *mv = json_pack("{s:s, s:s, s:{s:s, s:s}, s:{s:s, s:s, s:o}}", "apiVersion",
                               "mlops.modelgov.io/v1alpha1", "kind", "ModelVersion", "metadata", "name", name,
                               "namespace", "bench", "spec", "model", "m", "version", name, "baseline",
                               baseline(b->features));
        mg_store_put(b->mvs, mv);
        json_decref(mv);
    }
    char interval[24];
    snprintf(interval, sizeof(interval), "%lds", b->interval_s);
    for (long i = 0; i < b->models; i++) {
        char name[24], mvname[24];
        snprintf(name, sizeof(name), "md-%06ld", i);
        snprintf(mvname, sizeof(mvname), "mv-%02ld", i % 100);
        json_t *md = json_pack(
            "{s:s, s:s, s:{s:s, s:s, s:s}, s:{s:s, s:i, s:I, s:{s:s, s:s, s:i, s:{s:f, s:f, s:f}, s:{s:f}}}, "
            "s:{s:s, s:s}}",
            "apiVersion", "mlops.modelgov.io/v1alpha1", "kind", "ModelDeployment", "metadata", "name", name,
            "namespace", "bench", "uid", name, "spec", "modelVersion", mvname, "port", b->port, "replicas",
            (json_int_t)b->pods, "monitoring", "interval", interval, "window", "10m", "minSamples", 500,
            "warn", "maxPSI", 0.1, "minAccuracy", 0.8, "minDisparateImpact", 0.8, "quarantine", "maxPSI",
            0.25, "status", "phase", "Serving", "servingModelVersion", mvname);
        mg_store_put(b->mds, md);
        json_decref(md);
        for (long p = 0; p < b->pods; p++) {
            long pod = i * b->pods + p;
            char pname[40], ip[32];
            snprintf(pname, sizeof(pname), "%s-%ld", name, p);
            snprintf(ip, sizeof(ip), "127.%ld.%ld.%ld", 1 + pod / 65536, pod / 256 % 256, pod % 256);
            json_t *po =
                json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:{s:s}}, s:{s:s, s:s, s:[{s:s, s:s}]}}",
                          "apiVersion", "v1", "kind", "Pod", "metadata", "name", pname, "namespace", "bench",
                          "uid", pname, "labels", "mlops.modelgov.io/modeldeployment", name, "status",
                          "phase", "Running", "podIP", ip, "conditions", "type", "Ready", "status", "True");
            mg_store_put(b->podstore, po);
            json_decref(po);
        }
    }
}

static void on_enqueue(void *ud, const char *key) { (void)ud, (void)key; }

static void on_evaluated(void *ud, const mg_monitor_timing *t) {
    bench *b = ud;
    if (t->due_ms < b->t0 || t->due_ms >= b->t1) return;
    double late = (double)mg_monitor_lateness_ms(t) / 1000.0;
    pthread_mutex_lock(&b->mu);
    if (b->nlate == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 65536;
        b->late = mg_xrealloc(b->late, b->cap * sizeof(double));
        b->late_healthy = mg_xrealloc(b->late_healthy, b->cap * sizeof(double));
    }
    b->late[b->nlate++] = late;
    if (!faulty_model(b, model_of(t->key))) b->late_healthy[b->nhealthy++] = late;
    b->evals++;
    if (t->judged) b->judged++;
    pthread_mutex_unlock(&b->mu);
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(double *v, size_t n, double p) {
    if (!n) return 0;
    size_t i = (size_t)(p * (double)(n - 1) + 0.5);
    return v[i < n ? i : n - 1];
}

static double cpu_of(pid_t pid) { /* utime + stime in seconds */
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    char buf[1024];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    unsigned long ut = 0, st = 0;
    if (p) sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st);
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static long rss_kb(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = 0;
    while (f && fgets(line, sizeof(line), f))
        if (!strncmp(line, "VmRSS:", 6)) kb = strtol(line + 6, NULL, 10);
    if (f) fclose(f);
    return kb;
}

static long arg(int argc, char **argv, int i, long def) { return argc > i ? strtol(argv[i], NULL, 10) : def; }

int main(int argc, char **argv) {
    mg_mem_init();
    mg_log_configure(MG_LOG_TEXT, MG_LOG_ERROR);
    if (argc < 2) {
        fprintf(stderr,
                "usage: bench_monitor FLEET_SERVER [models pods features interval_s measure_s slow_every "
                "hang_every]\n");
        return 2;
    }
    struct rlimit rl; /* one socket per keep-alive connection */
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    signal(SIGPIPE, SIG_IGN);
    bench b = {.models = arg(argc, argv, 2, 10000),
               .pods = arg(argc, argv, 3, 2),
               .features = arg(argc, argv, 4, 20),
               .interval_s = arg(argc, argv, 5, 30),
               .measure_s = arg(argc, argv, 6, 60),
               .slow_every = arg(argc, argv, 7, 100),
               .hang_every = arg(argc, argv, 8, 200)};
    pthread_mutex_init(&b.mu, NULL);
    start_fleet(&b, argv[1]);
    fill_stores(&b);
    long rss_stores = rss_kb();
    mg_monitor_deps deps = {.modeldeployments = b.mds,
                            .modelversions = b.mvs,
                            .pods = b.podstore,
                            .enqueue = on_enqueue,
                            .evaluated = on_evaluated,
                            .ud = &b,
                            .max_idle_connections = getenv("BENCH_IDLE") ? atol(getenv("BENCH_IDLE")) : 0};
    mg_monitor *m = NULL;
    mg_error err;
    if (mg_monitor_new(&deps, &m, &err)) {
        fprintf(stderr, "bench_monitor: %s\n", err.message);
        return 1;
    }
    int64_t start = mg_clock_wall_ms();
    b.t0 = start + b.interval_s * 1000;
    b.t1 = b.t0 + b.measure_s * 1000;
    json_t *mds = mg_store_list(b.mds);
    size_t i;
    json_t *md;
    json_array_foreach(mds, i, md) mg_monitor_track(m, md);
    json_decref(mds);
    mg_monitor_start(m, &err);
    mg_sleep_ms(b.t0 - mg_clock_wall_ms());
    double cpu0 = cpu_of(getpid()), fcpu0 = cpu_of(b.fleet);
    mg_monitor_stats s0;
    mg_monitor_get_stats(m, &s0);
    mg_sleep_ms(b.t1 - mg_clock_wall_ms());
    double cpu = cpu_of(getpid()) - cpu0, fcpu = cpu_of(b.fleet) - fcpu0;
    mg_monitor_stats s1;
    mg_monitor_get_stats(m, &s1);
    long rss = rss_kb();
    mg_sleep_ms(6000); /* evaluations due before t1 finish (a hanging pod's timeout is 5 s) */
    mg_monitor_free(m);
    pthread_mutex_lock(&b.mu);
    qsort(b.late, b.nlate, sizeof(double), cmp);
    qsort(b.late_healthy, b.nhealthy, sizeof(double), cmp);
    unsigned long evals = s1.evaluations - s0.evaluations, scrapes = s1.scrapes - s0.scrapes;
    printf("{\"models\":%ld,\"pods\":%ld,\"features\":%ld,\"interval_s\":%ld,\"measure_s\":%ld,"
           "\"evaluations\":%lu,\"evals_per_s\":%.1f,\"judged\":%lu,\"expected_per_s\":%.1f,"
           "\"late_p50\":%.4f,\"late_p99\":%.4f,\"late_max\":%.4f,\"healthy_p99\":%.4f,\"healthy_max\":%.4f,"
           "\"cpu_s\":%.2f,\"cpu_ms_per_eval\":%.3f,\"fleet_cpu_s\":%.2f,\"fleet_cpu_ms_per_scrape\":%.3f,"
           "\"scrapes\":%lu,\"scrape_failures\":%lu,\"skipped\":%lu,\"connections_per_scrape\":%.3f,"
           "\"rss_mb\":%.1f,\"rss_stores_mb\":%.1f,\"window_kb_per_model\":%.1f}\n",
           b.models, b.pods, b.features, b.interval_s, b.measure_s, evals,
           (double)evals / (double)b.measure_s, b.judged, (double)b.models / (double)b.interval_s,
           pct(b.late, b.nlate, 0.5), pct(b.late, b.nlate, 0.99), b.nlate ? b.late[b.nlate - 1] : 0,
           pct(b.late_healthy, b.nhealthy, 0.99), b.nhealthy ? b.late_healthy[b.nhealthy - 1] : 0, cpu,
           evals ? cpu * 1000 / (double)evals : 0, fcpu, scrapes ? fcpu * 1000 / (double)scrapes : 0, scrapes,
           s1.scrape_failures - s0.scrape_failures, s1.skipped - s0.skipped,
           scrapes ? (double)(s1.connections - s0.connections) / (double)scrapes : 0, (double)rss / 1024,
           (double)rss_stores / 1024, (double)s1.window_bytes / 1024 / (double)b.models);
    pthread_mutex_unlock(&b.mu);
    kill(b.fleet, SIGTERM);
    waitpid(b.fleet, NULL, 0);
    return 0;
}
