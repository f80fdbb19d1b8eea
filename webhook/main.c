/* modelgov-webhook entry point: flags, logging, configuration, signals; the serving side lives in
 * webhook/webhook.c. Exit codes: 0 after a clean stop (SIGTERM/SIGINT), 1 when it cannot start,
 * 2 for bad flags. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/mem.h"
#include "policy/config.h"
#include "webhook/caches.h"
#include "webhook/webhook.h"

static void usage(FILE *f) {
    fprintf(f, "Usage: modelgov-webhook [flags]\n"
               "Validating admission webhook for modelgov (POST /validate, /healthz, /readyz, /metrics).\n"
               "\n"
               "  --kubeconfig PATH     kubeconfig for the watches (default: in-cluster or $KUBECONFIG)\n"
               "  --context NAME        kubeconfig context to use\n"
               "  --listen HOST:PORT    address to serve on (default :8443; port 0 picks a free port)\n"
               "  --tls-cert PATH       serving certificate (PEM, chain after the leaf); reloaded on change\n"
               "  --tls-key PATH        its private key (PEM); without --tls-cert/--tls-key: plain HTTP\n"
               "  --config PATH         policy configuration (YAML)\n"
               "  --log-format FORMAT   json or text (default json)\n"
               "  --log-level LEVEL     debug, info, warn or error (default info)\n"
               "  --threads N           service threads (default: one per CPU)\n"
               "  --no-caches           do not watch the API server: every lookup finds nothing, so model\n"
               "                        images are refused (serving tests and benchmarks only)\n"
               "  --help                show this help\n"
               "  --version             print the version\n");
}

typedef struct flags {
    const char *kubeconfig, *context, *listen, *tls_cert, *tls_key, *config, *log_format, *log_level;
    int threads;
    bool no_caches;
} flags;

/* Accepts "--name value" and "--name=value". Returns 1 when argv[*i] is that flag (value set),
 * 0 when not, -1 when the value is missing. */
static int flag_value(int argc, char **argv, int *i, const char *name, const char **value) {
    size_t n = strlen(name);
    const char *a = argv[*i];
    if (strncmp(a, name, n) != 0) return 0;
    if (a[n] == '=') {
        *value = a + n + 1;
        return 1;
    }
    if (a[n] != '\0') return 0;
    if (*i + 1 >= argc) return -1;
    *value = argv[++*i];
    return 1;
}

static int parse_flags(int argc, char **argv, flags *f) {
    static const char *names[] = {"--kubeconfig", "--context",    "--listen",    "--tls-cert", "--tls-key",
                                  "--config",     "--log-format", "--log-level", "--threads"};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            exit(0);
        }
        if (!strcmp(argv[i], "--version")) {
            printf("modelgov-webhook %s\n", MG_VERSION);
            exit(0);
        }
        if (!strcmp(argv[i], "--no-caches")) {
            f->no_caches = true;
            continue;
        }
        const char *threads = NULL;
        const char **slots[] = {&f->kubeconfig, &f->context,    &f->listen,    &f->tls_cert, &f->tls_key,
                                &f->config,     &f->log_format, &f->log_level, &threads};
        int matched = 0;
        for (size_t k = 0; k < sizeof names / sizeof names[0] && !matched; k++) {
            matched = flag_value(argc, argv, &i, names[k], slots[k]);
            if (matched < 0) {
                fprintf(stderr, "modelgov-webhook: flag %s needs a value\n", names[k]);
                return 2;
            }
        }
        if (!matched) {
            fprintf(stderr, "modelgov-webhook: unknown flag %s\n", argv[i]);
            usage(stderr);
            return 2;
        }
        if (threads) {
            char *end;
            long v = strtol(threads, &end, 10);
            if (*end || v < 1 || v > 64) {
                fprintf(stderr, "modelgov-webhook: --threads %s: want 1..64\n", threads);
                return 2;
            }
            f->threads = (int)v;
        }
    }
    return 0;
}

int main(int argc, char **argv) {
    mg_mem_init();
    flags f = {.listen = ":8443", .log_format = "json", .log_level = "info"};
    int rc = parse_flags(argc, argv, &f);
    if (rc) return rc;
    mg_log_format fmt;
    mg_log_level lvl;
    if (mg_log_parse_format(f.log_format, &fmt) != 0) {
        fprintf(stderr, "modelgov-webhook: --log-format %s: want json or text\n", f.log_format);
        return 2;
    }
    if (mg_log_parse_level(f.log_level, &lvl) != 0) {
        fprintf(stderr, "modelgov-webhook: --log-level %s: want debug, info, warn or error\n", f.log_level);
        return 2;
    }
    mg_log_configure(fmt, lvl);
    if ((f.tls_cert == NULL) != (f.tls_key == NULL)) {
        fprintf(stderr, "modelgov-webhook: --tls-cert and --tls-key go together\n");
        return 2;
    }
    mg_error err;
    mg_policy_config policy;
    if (f.config) {
        if (mg_policy_config_load_file(f.config, &policy, &err) != 0) {
            mg_log(MG_LOG_ERROR, "cannot load configuration", "config", f.config, "error", err.message, NULL);
            return 1;
        }
    } else {
        mg_policy_config_defaults(&policy);
    }
    /* The admission index: filled over the informer-fed stores by mg_webhook_watch_start (with
     * --no-caches every lookup finds nothing: model images are then refused, fail closed). */
    mg_admission_index index;
    memset(&index, 0, sizeof index);
    if (!f.tls_cert)
        mg_log(MG_LOG_WARN, "serving plain HTTP: the API server needs --tls-cert and --tls-key", NULL);

    /* Signals are taken by sigwait below: block them before any thread starts. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);

    mg_webhook_options opt = {.listen = f.listen,
                              .tls_cert = f.tls_cert,
                              .tls_key = f.tls_key,
                              .threads = f.threads,
                              .audit_json = fmt == MG_LOG_JSON,
                              .policy = &policy,
                              .index = &index};
    mg_webhook *wh = NULL;
    mg_webhook_watch *watch = NULL;
    if (mg_webhook_new(&opt, &wh, &err) != 0 ||
        (!f.no_caches &&
         mg_webhook_watch_start(f.kubeconfig, f.context, &policy, wh, &index, &watch, &err) != 0) ||
        mg_webhook_start(wh, &err) != 0) {
        mg_log(MG_LOG_ERROR, "cannot start", "error", err.message, NULL);
        mg_webhook_stop(wh, 0);
        mg_webhook_watch_stop(watch);
        mg_webhook_free(wh);
        mg_policy_config_free(&policy);
        return 1;
    }
    char port[16];
    snprintf(port, sizeof port, "%d", mg_webhook_port(wh));
    mg_log(MG_LOG_INFO, "listening", "listen", f.listen, "port", port, "tls", f.tls_cert ? "true" : "false",
           "version", MG_VERSION, NULL);
    /* With caches, the watch's thread marks the webhook ready once they synced. */
    if (f.no_caches) mg_webhook_set_ready(wh, true);

    int sig = 0;
    sigwait(&set, &sig);
    mg_log(MG_LOG_INFO, "shutting down", "signal", sig == SIGTERM ? "SIGTERM" : "SIGINT", NULL);
    mg_webhook_stop(wh, 5000);
    mg_webhook_watch_stop(watch);
    mg_webhook_free(wh);
    mg_policy_config_free(&policy);
    mg_log(MG_LOG_INFO, "stopped", NULL);
    return 0;
}
