/* modelgov-webhook entry point: flags, logging, configuration, signals; the serving side lives in
 * webhook/webhook.c. Exit codes: 0 after a clean stop (SIGTERM/SIGINT), 1 when it cannot start,
 * 2 for bad flags. */
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/flags.h"
#include "core/log.h"
#include "core/mem.h"
#include "policy/config.h"
#include "webhook/caches.h"
#include "webhook/webhook.h"

typedef struct flags {
    const char *kubeconfig, *context, *listen, *tls_cert, *tls_key, *config, *log_format, *log_level;
    long threads;
    bool no_caches;
} flags;

#define MAX_THREADS 64

/* Parses argv into f (core/flags). Returns 0 to run, -1 after --help/--version, 2 for bad flags. */
static int parse_flags(int argc, char **argv, flags *f) {
    const mg_flag table[] = {
        {"kubeconfig", MG_FLAG_STRING, &f->kubeconfig,
         "kubeconfig for the watches (default: in-cluster or $KUBECONFIG)", NULL},
        {"context", MG_FLAG_STRING, &f->context, "kubeconfig context to use", NULL},
        {"listen", MG_FLAG_STRING, &f->listen, "HOST:PORT to serve on (port 0 picks a free port)", NULL},
        {"tls-cert", MG_FLAG_STRING, &f->tls_cert,
         "serving certificate (PEM, chain after the leaf); reloaded on change", NULL},
        {"tls-key", MG_FLAG_STRING, &f->tls_key,
         "its private key (PEM); without --tls-cert/--tls-key: plain HTTP", NULL},
        {"config", MG_FLAG_STRING, &f->config, "policy configuration (YAML)", NULL},
        {"log-format", MG_FLAG_STRING, &f->log_format, "json or text", NULL},
        {"log-level", MG_FLAG_STRING, &f->log_level, "debug, info, warn or error", NULL},
        {"threads", MG_FLAG_INT, &f->threads, "service threads (0: one per CPU)", NULL},
        {"no-caches", MG_FLAG_BOOL, &f->no_caches,
         "do not watch the API server: every lookup finds nothing, so model images are refused (serving "
         "tests and benchmarks only)",
         NULL},
    };
    size_t n = sizeof(table) / sizeof(table[0]);
    mg_error err;
    int rc = mg_flags_parse(argc, argv, table, n, &err);
    if (rc == MG_FLAGS_HELP) {
        mg_flags_usage(
            stdout,
            "Usage: modelgov-webhook [flags]\nValidating admission webhook for modelgov (POST /validate, "
            "/healthz, /readyz, /metrics).",
            table, n);
        return -1;
    }
    if (rc == MG_FLAGS_VERSION) {
        printf("modelgov-webhook %s\n", MG_VERSION);
        return -1;
    }
    if (rc) {
        fprintf(stderr, "modelgov-webhook: %s (see --help)\n", err.message);
        return 2;
    }
    if (f->threads < 0 || f->threads > MAX_THREADS) {
        fprintf(stderr, "modelgov-webhook: --threads %ld: want 1..%d (0: one per CPU)\n", f->threads,
                MAX_THREADS);
        return 2;
    }
    if ((f->tls_cert == NULL) != (f->tls_key == NULL)) {
        fprintf(stderr, "modelgov-webhook: --tls-cert and --tls-key go together\n");
        return 2;
    }
    return 0;
}

/* Logging as the flags say; 2 for a bad format or level. */
static int configure_logging(const flags *f, mg_log_format *fmt) {
    mg_log_level lvl;
    if (mg_log_parse_format(f->log_format, fmt) != 0) {
        fprintf(stderr, "modelgov-webhook: --log-format %s: want json or text\n", f->log_format);
        return 2;
    }
    if (mg_log_parse_level(f->log_level, &lvl) != 0) {
        fprintf(stderr, "modelgov-webhook: --log-level %s: want debug, info, warn or error\n", f->log_level);
        return 2;
    }
    mg_log_configure(*fmt, lvl);
    return 0;
}

/* One glibc arena per allocating thread (service threads, informers) would each keep freed LIST
 * pages around; two keep the heap close to what is live. */
#define MALLOC_ARENAS 2

/* How long a stopping webhook lets requests in flight finish: as long as the API server waits
 * for an answer by the chart's default (webhook.timeoutSeconds 5). */
#define SHUTDOWN_GRACE_MS 5000

/* The policy from --config, or the defaults; warns about what serves but is unsafe. 0, or 1 when
 * the file cannot be loaded. */
static int load_policy(const flags *f, mg_policy_config *policy) {
    mg_error err;
    if (!f->config) {
        mg_policy_config_defaults(policy);
    } else if (mg_policy_config_load_file(f->config, policy, &err) != 0) {
        mg_log(MG_LOG_ERROR, "cannot load configuration", "config", f->config, "error", err.message, NULL);
        return 1;
    }
    if (!f->tls_cert)
        mg_log(MG_LOG_WARN, "serving plain HTTP: the API server needs --tls-cert and --tls-key", NULL);
    /* Without prefixes, any repository a ModelVersion names becomes a model repository, so a
     * ModelVersion naming an ordinary image (busybox) makes that image's pods refused. */
    if (policy->model_repositories.len == 0)
        mg_log(MG_LOG_WARN,
               "modelRepositories is empty: every repository a ModelVersion names is treated as a model "
               "repository; set modelRepositories so that ordinary images cannot be claimed",
               NULL);
    return 0;
}

/* The webhook built, its watches started (unless --no-caches) and serving. 0, or 1 with
 * everything started stopped again. */
static int start(const flags *f, mg_log_format fmt, mg_policy_config *policy, mg_admission_index *index,
                 mg_webhook **wh, mg_webhook_watch **watch) {
    mg_webhook_options opt = {.listen = f->listen,
                              .tls_cert = f->tls_cert,
                              .tls_key = f->tls_key,
                              .threads = (int)f->threads,
                              .audit_json = fmt == MG_LOG_JSON,
                              .policy = policy,
                              .index = index};
    mg_error err;
    if (mg_webhook_new(&opt, wh, &err) != 0 ||
        (!f->no_caches &&
         mg_webhook_watch_start(f->kubeconfig, f->context, policy, *wh, index, watch, &err) != 0) ||
        mg_webhook_start(*wh, &err) != 0) {
        mg_log(MG_LOG_ERROR, "cannot start", "error", err.message, NULL);
        mg_webhook_stop(*wh, 0);
        mg_webhook_watch_stop(*watch);
        mg_webhook_free(*wh);
        return 1;
    }
    char port[16];
    snprintf(port, sizeof port, "%d", mg_webhook_port(*wh));
    mg_log(MG_LOG_INFO, "listening", "listen", f->listen, "port", port, "tls", f->tls_cert ? "true" : "false",
           "version", MG_VERSION, NULL);
    /* With caches, the watch's thread marks the webhook ready once they synced. */
    if (f->no_caches) mg_webhook_set_ready(*wh, true);
    return 0;
}

int main(int argc, char **argv) {
    mg_mem_init();
    mallopt(M_ARENA_MAX, MALLOC_ARENAS);
    flags f = {.listen = ":8443", .log_format = "json", .log_level = "info"};
    int rc = parse_flags(argc, argv, &f);
    if (rc) return rc < 0 ? 0 : rc;
    mg_log_format fmt;
    if (configure_logging(&f, &fmt)) return 2;
    mg_policy_config policy;
    if (load_policy(&f, &policy)) return 1;
    /* The admission index: filled over the informer-fed stores by mg_webhook_watch_start (with
     * --no-caches every lookup finds nothing: model images are then refused, fail closed). */
    mg_admission_index index;
    memset(&index, 0, sizeof index);

    /* Signals are taken by sigwait below: block them before any thread starts. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);

    mg_webhook *wh = NULL;
    mg_webhook_watch *watch = NULL;
    if (start(&f, fmt, &policy, &index, &wh, &watch)) {
        mg_policy_config_free(&policy);
        return 1;
    }
    int sig = 0;
    sigwait(&set, &sig);
    mg_log(MG_LOG_INFO, "shutting down", "signal", sig == SIGTERM ? "SIGTERM" : "SIGINT", NULL);
    mg_webhook_stop(wh, SHUTDOWN_GRACE_MS);
    mg_webhook_watch_stop(watch);
    mg_webhook_free(wh);
    mg_policy_config_free(&policy);
    mg_log(MG_LOG_INFO, "stopped", NULL);
    return 0;
}
