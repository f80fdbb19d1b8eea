/* modelgov-operator: reconciles modelgov's governance resources (see README.md).
 *
 * main owns the process: flags and config, signals, the client, the metrics and health HTTP
 * servers, leader election and the controller. Shutdown on SIGTERM/SIGINT: stop leading (the
 * Lease is released so a standby takes over at once), stop workers and informers, stop the
 * servers, exit 0. Losing the lease while running exits 1 so the Pod restarts clean, as
 * controller-runtime does. */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/flags.h"
#include "core/json.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/yaml.h"
#include "http/server.h"
#include "k8s/client.h"
#include "k8s/kubeconfig.h"
#include "k8s/leader.h"
#include "metrics/registry.h"
#include "operator/controller.h"

typedef struct options {
    const char *kubeconfig, *context, *namespace, *metrics_addr, *health_addr, *log_format, *log_level,
        *config;
    const char *leader_election_namespace, *leader_election_id, *alertmanager_url;
    bool leader_elect;
    long workers, resync_seconds;
} options;

typedef struct app {
    mg_operator *op;
    mg_metrics *metrics;
    mg_metric *m_leader;
    atomic_bool leading, stopping;
} app;

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

static void started_leading(void *ud) {
    app *a = ud;
    atomic_store(&a->leading, true);
    if (a->m_leader) mg_metric_set(a->m_leader, 1);
    mg_log(MG_LOG_INFO, "started leading: running workers", NULL);
    mg_operator_run_workers(a->op);
}

static void stopped_leading(void *ud) {
    app *a = ud;
    atomic_store(&a->leading, false);
    if (a->m_leader) mg_metric_set(a->m_leader, 0);
    if (atomic_load(&a->stopping)) return;
    mg_log(MG_LOG_ERROR, "lost the leader lease: exiting so a fresh process can compete again", NULL);
    _exit(1);
}

/* Operator config file: the same settings as the flags, camelCase; it is read before the
 * flags are parsed, so flags given on the command line win. Unknown keys and wrong types are errors naming
 * the key. */
static int load_config(const char *path, options *o, mg_error *err) {
    json_t *cfg = NULL;
    int rc = mg_yaml_load_file(path, &cfg, err);
    if (rc) return rc;
    if (!json_is_object(cfg)) {
        json_decref(cfg);
        return mg_error_set(err, MG_EINVAL, "config %s: top level must be a mapping", path);
    }
    static const struct {
        const char *key;
        int type; /* 0 string, 1 bool, 2 int */
        size_t off;
    } keys[] = {
        {"namespace", 0, offsetof(options, namespace)},
        {"metricsAddr", 0, offsetof(options, metrics_addr)},
        {"healthAddr", 0, offsetof(options, health_addr)},
        {"leaderElect", 1, offsetof(options, leader_elect)},
        {"leaderElectionNamespace", 0, offsetof(options, leader_election_namespace)},
        {"workers", 2, offsetof(options, workers)},
        {"resyncSeconds", 2, offsetof(options, resync_seconds)},
        {"logFormat", 0, offsetof(options, log_format)},
        {"logLevel", 0, offsetof(options, log_level)},
        {"alertmanagerURL", 0, offsetof(options, alertmanager_url)},
    };
    const char *k;
    json_t *v;
    json_object_foreach(cfg, k, v) {
        size_t i;
        for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
            if (!strcmp(keys[i].key, k)) break;
        if (i == sizeof(keys) / sizeof(keys[0])) {
            rc = mg_error_set(err, MG_EINVAL, "config %s: unknown key \"%s\"", path, k);
            break;
        }
        char *field = (char *)o + keys[i].off;
        if (keys[i].type == 0 && json_is_string(v)) {
            /* the options keep pointers: the config tree lives until exit */
            *(const char **)field = json_string_value(v);
        } else if (keys[i].type == 1 && json_is_boolean(v)) {
            *(bool *)field = json_is_true(v);
        } else if (keys[i].type == 2 && json_is_integer(v)) {
            *(long *)field = (long)json_integer_value(v);
        } else {
            rc = mg_error_set(err, MG_EINVAL, "config %s: key \"%s\" must be a %s", path, k,
                              keys[i].type == 0   ? "string"
                              : keys[i].type == 1 ? "boolean"
                                                  : "integer");
            break;
        }
    }
    if (rc) json_decref(cfg);
    /* on success the tree is intentionally kept for the life of the process */
    return rc;
}

static mg_http_server *start_server(const char *what, const char *addr, app *a, bool metrics, mg_error *err) {
    mg_http_server_config sc = {.listen = addr, .threads = 1, .max_body_bytes = 64 * 1024};
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

int main(int argc, char **argv) {
    mg_mem_init();
    options o = {.metrics_addr = ":8080",
                 .health_addr = ":8081",
                 .log_format = "text",
                 .log_level = "info",
                 .leader_election_id = "modelgov-operator",
                 .workers = 2,
                 .resync_seconds = 600};
    const mg_flag flags[] = {
        {"namespace", MG_FLAG_STRING, &o.namespace, "watch only this namespace (default: all namespaces)"},
        {"metrics-addr", MG_FLAG_STRING, &o.metrics_addr,
         "HOST:PORT for /metrics (port 0 picks a free port)"},
        {"health-addr", MG_FLAG_STRING, &o.health_addr, "HOST:PORT for /healthz and /readyz"},
        {"leader-elect", MG_FLAG_BOOL, &o.leader_elect, "elect a leader with a coordination.k8s.io Lease"},
        {"leader-election-namespace", MG_FLAG_STRING, &o.leader_election_namespace,
         "namespace of the Lease (default: the kubeconfig/in-cluster namespace, else modelgov-system)"},
        {"workers", MG_FLAG_INT, &o.workers, "worker threads per controller"},
        {"resync-seconds", MG_FLAG_INT, &o.resync_seconds, "re-check every object this often (0: never)"},
        {"log-format", MG_FLAG_STRING, &o.log_format, "text or json"},
        {"log-level", MG_FLAG_STRING, &o.log_level, "debug, info, warn or error"},
        {"alertmanager-url", MG_FLAG_STRING, &o.alertmanager_url,
         "post monitoring alerts to this Alertmanager (http://host:9093)"},
        {"config", MG_FLAG_STRING, &o.config, "YAML file with the same settings (camelCase keys)"},
        {"kubeconfig", MG_FLAG_STRING, &o.kubeconfig,
         "path to a kubeconfig (default: $KUBECONFIG, ~/.kube/config, in-cluster)"},
        {"context", MG_FLAG_STRING, &o.context, "kubeconfig context to use"},
    };
    const size_t nflags = sizeof(flags) / sizeof(flags[0]);
    mg_error err;
    mg_error_clear(&err);
    /* defaults < config file < flags: find --config first */
    for (int i = 1; i < argc; i++) {
        if (!strncmp(argv[i], "--config=", 9))
            o.config = argv[i] + 9;
        else if (!strcmp(argv[i], "--config") && i + 1 < argc)
            o.config = argv[i + 1];
    }
    if (o.config && load_config(o.config, &o, &err)) {
        fprintf(stderr, "modelgov-operator: %s\n", err.message);
        return 2;
    }
    int rc = mg_flags_parse(argc, argv, flags, nflags, &err);
    if (rc == MG_FLAGS_HELP) {
        mg_flags_usage(
            stdout,
            "Usage: modelgov-operator [flags]\n\nReconciles modelgov's DatasetVersions, TrainingRuns, "
            "ModelVersions, ModelReviews and ModelDeployments.",
            flags, nflags);
        return 0;
    }
    if (rc == MG_FLAGS_VERSION) {
        printf("modelgov-operator %s\n", MG_VERSION);
        return 0;
    }
    if (rc) {
        fprintf(stderr, "modelgov-operator: %s (see --help)\n", err.message);
        return 2;
    }
    mg_log_format fmt;
    mg_log_level lvl;
    if (mg_log_parse_format(o.log_format, &fmt) || mg_log_parse_level(o.log_level, &lvl)) {
        fprintf(stderr,
                "modelgov-operator: --log-format must be text or json, --log-level debug|info|warn|error\n");
        return 2;
    }
    mg_log_configure(fmt, lvl);

    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    mg_rest_config rc_cfg = {0};
    if (mg_rest_config_auto(o.kubeconfig, o.context, &rc_cfg, &err)) {
        mg_log(MG_LOG_ERROR, "cannot load cluster configuration", "error", err.message, NULL);
        return 1;
    }
    mg_client *client = NULL;
    if (mg_client_new(&rc_cfg, &client, &err)) {
        mg_log(MG_LOG_ERROR, "cannot create API client", "error", err.message, NULL);
        return 1;
    }

    app a = {0};
    a.metrics = mg_metrics_new();
    mg_metric_family *leader_f =
        mg_metrics_gauge(a.metrics, "modelgov_operator_leader", "1 when this replica leads, else 0.", NULL);
    a.m_leader = leader_f ? mg_metric_with(leader_f, NULL) : NULL;
    char hostname[128] = "operator";
    gethostname(hostname, sizeof(hostname) - 1);
    char *identity = mg_xasprintf("%s_%d", hostname, (int)getpid());
    mg_operator_config oc = {.namespace = o.namespace,
                             .workers = (int)o.workers,
                             .identity = identity,
                             .resync_ms = o.resync_seconds * 1000,
                             .metrics = a.metrics,
                             .alertmanager_url = o.alertmanager_url};
    if (mg_operator_new(client, &oc, &a.op, &err)) {
        mg_log(MG_LOG_ERROR, "cannot create controller", "error", err.message, NULL);
        return 1;
    }
    mg_http_server *metrics_srv = start_server("metrics", o.metrics_addr, &a, true, &err);
    mg_http_server *health_srv = metrics_srv ? start_server("health", o.health_addr, &a, false, &err) : NULL;
    if (!metrics_srv || !health_srv) {
        mg_log(MG_LOG_ERROR, "cannot start HTTP server", "error", err.message, NULL);
        return 1;
    }
    if (mg_operator_start_informers(a.op, &err)) {
        mg_log(MG_LOG_ERROR, "cannot start informers", "error", err.message, NULL);
        return 1;
    }
    mg_log(MG_LOG_INFO, "waiting for caches to sync", "namespace", o.namespace ? o.namespace : "(all)", NULL);
    while (!mg_operator_wait_synced(a.op, 1000)) {
        struct timespec zero = {0, 0};
        if (sigtimedwait(&sigs, NULL, &zero) > 0) goto shutdown_early;
    }
    mg_log(MG_LOG_INFO, "caches synced", NULL);

    mg_leader *leader = NULL;
    if (o.leader_elect) {
        const char *lease_ns = o.leader_election_namespace ? o.leader_election_namespace
                               : rc_cfg.namespace          ? rc_cfg.namespace
                                                           : "modelgov-system";
        mg_leader_opts lo = {.namespace = lease_ns,
                             .name = o.leader_election_id,
                             .identity = identity,
                             .on_started_leading = started_leading,
                             .on_stopped_leading = stopped_leading,
                             .ud = &a};
        if (mg_leader_start(client, &lo, &leader, &err)) {
            mg_log(MG_LOG_ERROR, "cannot start leader election", "error", err.message, NULL);
            return 1;
        }
        mg_log(MG_LOG_INFO, "leader election started", "lease", lease_ns, "identity", identity, NULL);
    } else {
        started_leading(&a);
    }

    int sig = 0;
    sigwait(&sigs, &sig);
    mg_log(MG_LOG_INFO, "signal received: shutting down", "signal", sig == SIGTERM ? "SIGTERM" : "SIGINT",
           NULL);
    atomic_store(&a.stopping, true);
    if (leader) mg_leader_stop(leader); /* releases the Lease */
    mg_operator_stop_workers(a.op);
shutdown_early:
    atomic_store(&a.stopping, true);
    mg_operator_free(a.op);
    mg_http_server_free(health_srv);
    mg_http_server_free(metrics_srv);
    mg_metrics_free(a.metrics);
    mg_client_free(client);
    mg_rest_config_free(&rc_cfg);
    free(identity);
    mg_log(MG_LOG_INFO, "stopped", NULL);
    return 0;
}
