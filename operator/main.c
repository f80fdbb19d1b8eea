/* modelgov-operator: reconciles modelgov's governance resources (see README.md).
 *
 * main owns the process and runs it in named steps: settings (operator/options) → signals → the
 * API client → the operator (controller, caches, monitor) and its metrics → the /metrics and
 * health servers → caches synced → the work (leader election for the single-owner work, and the
 * ModelDeployments either with it or, with --sharding, by this replica's member Lease) → wait
 * for SIGTERM/SIGINT → shutdown: stop leading (the Lease is released so a standby takes over at
 * once), stop workers and informers, stop the servers, exit 0. Losing the leader lease while
 * running exits 1 so the Pod restarts clean, as controller-runtime does. Exit 2: bad flags. */
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/mem.h"
#include "http/server.h"
#include "k8s/client.h"
#include "k8s/kubeconfig.h"
#include "k8s/leader.h"
#include "k8s/members.h"
#include "metrics/registry.h"
#include "operator/controller.h"
#include "operator/options.h"

/* The operator's own HTTP endpoints take no request bodies worth the name. */
#define HTTP_MAX_BODY (64 * 1024)
#define SYNC_POLL_MS 1000
#define DEFAULT_LEASE_NAMESPACE "modelgov-system"
/* glibc gives each thread that allocates an arena of its own, and memory freed in one is only
 * reused there: with ~30 threads (informers, workers, the monitor, the servers) the LIST pages'
 * transient trees left ~5 MB behind in each. Two arenas keep the heap close to what is live. */
#define MALLOC_ARENAS 2
#define TRIM_PERIOD_S 60

typedef struct app {
    mg_operator_options o;
    sigset_t signals;
    mg_rest_config rest;
    mg_client *client;
    mg_metrics *metrics;
    mg_metric *m_leader;
    mg_operator *op;
    mg_http_server *metrics_srv, *health_srv;
    mg_leader *leader;
    mg_members *members;
    char *identity;
    atomic_bool stopping;
} app;

/* ---- HTTP endpoints ----------------------------------------------------------------------------- */

static void on_metrics(const mg_http_request *req, mg_http_response *resp, void *arg) {
    (void)req;
    app *a = arg;
    mg_operator_refresh_metrics(a->op);
    mg_buf_reset(&resp->body);
    mg_metrics_render(a->metrics, &resp->body);
    resp->status = 200;
    snprintf(resp->content_type, sizeof(resp->content_type), "%s", MG_METRICS_CONTENT_TYPE);
}

static void on_healthz(const mg_http_request *req, mg_http_response *resp, void *arg) {
    (void)req, (void)arg;
    mg_http_response_set(resp, 200, "text/plain; charset=utf-8", "ok\n", 3);
}

static void on_readyz(const mg_http_request *req, mg_http_response *resp, void *arg) {
    (void)req;
    app *a = arg;
    if (mg_operator_synced(a->op))
        mg_http_response_set(resp, 200, "text/plain; charset=utf-8", "ok\n", 3);
    else
        mg_http_response_set(resp, 503, "text/plain; charset=utf-8", "caches not synced\n", 18);
}

static mg_http_server *start_server(app *a, const char *what, const char *addr, bool metrics, mg_error *err) {
    mg_http_server_config sc = {.listen = addr, .threads = 1, .max_body_bytes = HTTP_MAX_BODY};
    mg_http_server *s = NULL;
    if (mg_http_server_new(&sc, &s, err)) return NULL;
    if (metrics) {
        mg_http_server_route(s, "GET", "/metrics", on_metrics, a);
    } else {
        mg_http_server_route(s, "GET", "/healthz", on_healthz, a);
        mg_http_server_route(s, "GET", "/readyz", on_readyz, a);
    }
    if (mg_http_server_start(s, err)) {
        mg_http_server_free(s);
        return NULL;
    }
    char port[16];
    snprintf(port, sizeof(port), "%d", mg_http_server_port(s));
    mg_log(MG_LOG_INFO, "listening", "server", what, "addr", addr, "port", port, NULL);
    return s;
}

/* ---- leadership --------------------------------------------------------------------------------- */

static void start_work(app *a, unsigned work, const char *what) {
    mg_error err;
    if (mg_operator_run_workers(a->op, work, &err)) {
        mg_log(MG_LOG_ERROR, "cannot start the workers: exiting", "work", what, "error", err.message, NULL);
        _exit(1);
    }
}

static void started_leading(void *ud) {
    app *a = ud;
    if (a->m_leader) mg_metric_set(a->m_leader, 1);
    mg_log(MG_LOG_INFO, "started leading: running workers", NULL);
    start_work(a, a->o.sharding ? MG_OPERATOR_WORK_LEADER : MG_OPERATOR_WORK_ALL, "leader");
}

static void stopped_leading(void *ud) {
    app *a = ud;
    if (a->m_leader) mg_metric_set(a->m_leader, 0);
    if (atomic_load(&a->stopping)) return;
    mg_log(MG_LOG_ERROR, "lost the leader lease: exiting so a fresh process can compete again", NULL);
    _exit(1);
}

/* ---- steps -------------------------------------------------------------------------------------- */

static int configure(app *a, int argc, char **argv) {
    mg_error err;
    int rc = mg_operator_options_parse(argc, argv, &a->o, stdout, &err);
    if (rc == MG_OPTIONS_EXIT) return -1;
    if (rc) {
        fprintf(stderr, "modelgov-operator: %s (see --help)\n", err.message);
        return 2;
    }
    mg_log_format fmt;
    mg_log_level lvl;
    if (mg_log_parse_format(a->o.log_format, &fmt) || mg_log_parse_level(a->o.log_level, &lvl)) {
        fprintf(stderr,
                "modelgov-operator: --log-format must be text or json, --log-level debug|info|warn|error\n");
        return 2;
    }
    mg_log_configure(fmt, lvl);
    return 0;
}

/* Signals are taken by sigwait: blocked before any thread starts. A scrape target per socket:
 * the file limit is raised to what the system allows (as Go programs do). */
static void prepare_process(app *a) {
    mallopt(M_ARENA_MAX, MALLOC_ARENAS);
    sigemptyset(&a->signals);
    sigaddset(&a->signals, SIGTERM);
    sigaddset(&a->signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &a->signals, NULL);
    signal(SIGPIPE, SIG_IGN);
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static int build(app *a, mg_error *err) {
    int rc = mg_rest_config_auto(a->o.kubeconfig, a->o.context, &a->rest, err);
    if (!rc) rc = mg_client_new(&a->rest, &a->client, err);
    if (rc) return rc;
    a->metrics = mg_metrics_new();
    mg_metric_family *leader_f =
        mg_metrics_gauge(a->metrics, "modelgov_operator_leader", "1 when this replica leads, else 0.", NULL);
    a->m_leader = leader_f ? mg_metric_with(leader_f, NULL) : NULL;
    char hostname[128] = "operator";
    gethostname(hostname, sizeof(hostname) - 1);
    a->identity = a->o.identity ? mg_xstrdup(a->o.identity) : mg_xasprintf("%s_%d", hostname, (int)getpid());
    mg_operator_config oc = {.namespace = a->o.namespace,
                             .workers = (int)a->o.workers,
                             .identity = a->identity,
                             .resync_ms = a->o.resync_seconds * MG_MS_PER_S,
                             .metrics = a->metrics,
                             .alertmanager_url = a->o.alertmanager_url,
                             .max_scrapes_in_flight = (int)a->o.max_scrapes_in_flight,
                             .scrape_timeout_ms = a->o.scrape_timeout_ms};
    rc = mg_operator_new(a->client, &oc, &a->op, err);
    if (rc) return rc;
    a->metrics_srv = start_server(a, "metrics", a->o.metrics_addr, true, err);
    a->health_srv = a->metrics_srv ? start_server(a, "health", a->o.health_addr, false, err) : NULL;
    return a->health_srv ? 0 : err->code;
}

/* Starts the caches and waits for them; false when a signal came first. */
static bool sync_caches(app *a, mg_error *err) {
    if (mg_operator_start_informers(a->op, err)) return false;
    mg_log(MG_LOG_INFO, "waiting for caches to sync", "namespace", a->o.namespace ? a->o.namespace : "(all)",
           NULL);
    while (!mg_operator_wait_synced(a->op, SYNC_POLL_MS)) {
        struct timespec zero = {0, 0};
        if (sigtimedwait(&a->signals, NULL, &zero) > 0) {
            mg_error_set(err, MG_ECANCELED, "signal received before the caches synced");
            return false;
        }
    }
    mg_log(MG_LOG_INFO, "caches synced", NULL);
    malloc_trim(0); /* the first LISTs' pages are gone: give their memory back */
    return true;
}

static const char *lease_namespace(const app *a) {
    return a->o.leader_election_namespace ? a->o.leader_election_namespace
           : a->rest.namespace            ? a->rest.namespace
                                          : DEFAULT_LEASE_NAMESPACE;
}

/* The flags' lease timings, shared by the member Leases and the leader election, in ms. */
static void lease_timing(const app *a, long *duration_ms, long *renew_deadline_ms, long *retry_period_ms) {
    *duration_ms = a->o.lease_duration_seconds * MG_MS_PER_S;
    *renew_deadline_ms = a->o.renew_deadline_seconds * MG_MS_PER_S;
    *retry_period_ms = a->o.retry_period_seconds * MG_MS_PER_S;
}

static void on_shard_change(void *ud) { mg_operator_shard_changed(((app *)ud)->op); }

/* With --sharding: this replica's member Lease, and its share of the ModelDeployments from now
 * on (it takes keys once the Lease has been held for the renew deadline). */
static int join_shard(app *a, mg_error *err) {
    mg_members_opts mo = {.namespace = lease_namespace(a),
                          .group = a->o.leader_election_id,
                          .identity = a->identity,
                          .on_change = on_shard_change,
                          .ud = a};
    lease_timing(a, &mo.lease_duration_ms, &mo.renew_deadline_ms, &mo.retry_period_ms);
    mg_operator_set_shard(a->op, NULL);
    int rc = mg_members_start(a->client, &mo, &a->members, err);
    if (rc) return rc;
    mg_operator_set_shard(a->op, a->members);
    mg_log(MG_LOG_INFO, "sharding: member lease started", "group", mo.group, "identity", a->identity, NULL);
    return mg_operator_run_workers(a->op, MG_OPERATOR_WORK_SHARD, err);
}

static int run(app *a, mg_error *err) {
    if (a->o.sharding) {
        int rc = join_shard(a, err);
        if (rc) return rc;
    }
    if (!a->o.leader_elect) {
        started_leading(a);
        return 0;
    }
    mg_leader_opts lo = {.namespace = lease_namespace(a),
                         .name = a->o.leader_election_id,
                         .identity = a->identity,
                         .on_started_leading = started_leading,
                         .on_stopped_leading = stopped_leading,
                         .ud = a};
    lease_timing(a, &lo.lease_duration_ms, &lo.renew_deadline_ms, &lo.retry_period_ms);
    int rc = mg_leader_start(a->client, &lo, &a->leader, err);
    if (!rc)
        mg_log(MG_LOG_INFO, "leader election started", "lease", lo.namespace, "identity", a->identity, NULL);
    return rc;
}

/* Waits for SIGTERM/SIGINT, giving freed memory back to the system every minute meanwhile
 * (glibc keeps freed pages inside its heap until asked). */
static void wait_for_signal(app *a) {
    int sig = 0;
    for (;;) {
        struct timespec every = {.tv_sec = TRIM_PERIOD_S, .tv_nsec = 0};
        sig = sigtimedwait(&a->signals, NULL, &every);
        if (sig > 0) break;
        malloc_trim(0);
    }
    mg_log(MG_LOG_INFO, "signal received: shutting down", "signal", sig == SIGTERM ? "SIGTERM" : "SIGINT",
           NULL);
}

static void shutdown_app(app *a) {
    atomic_store(&a->stopping, true);
    if (a->op) mg_operator_stop_workers(a->op); /* stop acting, then give up the Leases */
    mg_members_stop(a->members);                /* the others take the shard at their next look */
    mg_leader_stop(a->leader);                  /* a standby takes over at once */
    /* the servers' handlers read the operator's stores: they stop before it is freed (a scrape
     * during shutdown read a freed store's lock and spun) */
    mg_http_server_free(a->health_srv);
    mg_http_server_free(a->metrics_srv);
    mg_operator_free(a->op);
    mg_metrics_free(a->metrics);
    mg_client_free(a->client);
    mg_rest_config_free(&a->rest);
    mg_operator_options_free(&a->o);
    free(a->identity);
    mg_log(MG_LOG_INFO, "stopped", NULL);
}

int main(int argc, char **argv) {
    mg_mem_init();
    app a = {0};
    int rc = configure(&a, argc, argv);
    if (rc) return rc < 0 ? 0 : rc;
    prepare_process(&a);
    mg_error err;
    mg_error_clear(&err);
    if (build(&a, &err)) {
        mg_log(MG_LOG_ERROR, "cannot start", "error", err.message, NULL);
        return 1;
    }
    bool synced = sync_caches(&a, &err);
    if (!synced && err.code != MG_ECANCELED) {
        mg_log(MG_LOG_ERROR, "cannot start the caches", "error", err.message, NULL);
        return 1;
    }
    if (synced && run(&a, &err)) {
        mg_log(MG_LOG_ERROR, "cannot start the work", "error", err.message, NULL);
        return 1;
    }
    if (synced) wait_for_signal(&a);
    shutdown_app(&a);
    return 0;
}
