/* operator/options — see options.h. One table describes every setting: its flag, its config key
 * and its target; the config file and the command line are both read through it. */
#include "operator/options.h"

#include <stdio.h>
#include <string.h>

#include "core/flags.h"
#include "core/yaml.h"

#define DEFAULT_WORKERS 2
#define DEFAULT_RESYNC_S 600
/* client-go's leader election defaults */
#define DEFAULT_LEASE_S 15
#define DEFAULT_RENEW_S 10
#define DEFAULT_RETRY_S 2
#define DEFAULT_SCRAPES_IN_FLIGHT 256
#define DEFAULT_SCRAPE_TIMEOUT_MS 5000
#define MAX_SETTINGS 32

static const char USAGE[] = "Usage: modelgov-operator [flags]\n\nReconciles modelgov's DatasetVersions, "
                            "TrainingRuns, ModelVersions, ModelReviews and ModelDeployments.";

/* The table of settings for o (targets point into o) into f[MAX_SETTINGS]. Returns how many. */
static size_t settings(mg_operator_options *o, mg_flag *f) {
    const mg_flag all[] = {
        {"namespace", MG_FLAG_STRING, &o->namespace, "watch only this namespace (default: all namespaces)",
         "namespace"},
        {"metrics-addr", MG_FLAG_STRING, &o->metrics_addr,
         "HOST:PORT for /metrics (port 0 picks a free port)", "metricsAddr"},
        {"health-addr", MG_FLAG_STRING, &o->health_addr, "HOST:PORT for /healthz and /readyz", "healthAddr"},
        {"leader-elect", MG_FLAG_BOOL, &o->leader_elect, "elect a leader with a coordination.k8s.io Lease",
         "leaderElect"},
        {"leader-election-namespace", MG_FLAG_STRING, &o->leader_election_namespace,
         "namespace of the Leases (default: the kubeconfig/in-cluster namespace, else modelgov-system)",
         "leaderElectionNamespace"},
        {"leader-election-id", MG_FLAG_STRING, &o->leader_election_id,
         "name of the leader Lease; member Leases are named after it", "leaderElectionID"},
        {"identity", MG_FLAG_STRING, &o->identity,
         "this replica's name in the Leases (default: hostname_pid)", "identity"},
        {"sharding", MG_FLAG_BOOL, &o->sharding,
         "share the ModelDeployments among the replicas by member Leases (implies --leader-elect)",
         "sharding"},
        {"lease-duration-seconds", MG_FLAG_INT, &o->lease_duration_seconds,
         "how long a Lease holds without renewal (a dead replica's shard moves after this)",
         "leaseDurationSeconds"},
        {"renew-deadline-seconds", MG_FLAG_INT, &o->renew_deadline_seconds,
         "stop leading and writing when the Lease could not be renewed for this long",
         "renewDeadlineSeconds"},
        {"retry-period-seconds", MG_FLAG_INT, &o->retry_period_seconds, "how often the Leases are renewed",
         "retryPeriodSeconds"},
        {"workers", MG_FLAG_INT, &o->workers, "worker threads per controller", "workers"},
        {"resync-seconds", MG_FLAG_INT, &o->resync_seconds, "re-check every object this often (0: never)",
         "resyncSeconds"},
        {"alertmanager-url", MG_FLAG_STRING, &o->alertmanager_url,
         "post monitoring alerts to this Alertmanager (http://host:9093)", "alertmanagerURL"},
        {"max-scrapes-in-flight", MG_FLAG_INT, &o->max_scrapes_in_flight,
         "monitoring: pod scrapes and Prometheus queries running at once", "maxScrapesInFlight"},
        {"scrape-timeout-ms", MG_FLAG_INT, &o->scrape_timeout_ms,
         "monitoring: give up on a pod (or a Prometheus query) after this long", "scrapeTimeoutMs"},
        {"log-format", MG_FLAG_STRING, &o->log_format, "text or json", "logFormat"},
        {"log-level", MG_FLAG_STRING, &o->log_level, "debug, info, warn or error", "logLevel"},
        {"config", MG_FLAG_STRING, &o->config, "YAML file with the same settings (camelCase keys)", NULL},
        {"kubeconfig", MG_FLAG_STRING, &o->kubeconfig,
         "path to a kubeconfig (default: $KUBECONFIG, ~/.kube/config, in-cluster)", NULL},
        {"context", MG_FLAG_STRING, &o->context, "kubeconfig context to use", NULL},
    };
    _Static_assert(sizeof(all) / sizeof(all[0]) <= MAX_SETTINGS, "raise MAX_SETTINGS");
    memcpy(f, all, sizeof(all));
    return sizeof(all) / sizeof(all[0]);
}

static const char *type_name(mg_flag_type t) {
    return t == MG_FLAG_STRING ? "string" : t == MG_FLAG_BOOL ? "boolean" : "integer";
}

/* Sets one config value through the flag table. */
static int set_from_config(const mg_flag *f, size_t n, const char *path, const char *key, json_t *v,
                           mg_error *err) {
    size_t i = 0;
    while (i < n && !(f[i].config_key && !strcmp(f[i].config_key, key)))
        i++;
    if (i == n) return mg_error_set(err, MG_EINVAL, "config %s: unknown key \"%s\"", path, key);
    if (f[i].type == MG_FLAG_STRING && json_is_string(v))
        *(const char **)f[i].target = json_string_value(v); /* the tree lives in the options */
    else if (f[i].type == MG_FLAG_BOOL && json_is_boolean(v))
        *(bool *)f[i].target = json_is_true(v);
    else if (f[i].type == MG_FLAG_INT && json_is_integer(v))
        *(long *)f[i].target = (long)json_integer_value(v);
    else
        return mg_error_set(err, MG_EINVAL, "config %s: key \"%s\" must be a %s", path, key,
                            type_name(f[i].type));
    return 0;
}

static int load_config(mg_operator_options *o, const mg_flag *f, size_t n, mg_error *err) {
    int rc = mg_yaml_load_file(o->config, &o->config_tree, err);
    if (rc) return rc;
    if (!json_is_object(o->config_tree))
        return mg_error_set(err, MG_EINVAL, "config %s: top level must be a mapping", o->config);
    const char *k;
    json_t *v;
    json_object_foreach(o->config_tree, k, v) {
        rc = set_from_config(f, n, o->config, k, v, err);
        if (rc) return rc;
    }
    return 0;
}

/* --config is read before the other flags, so that the flags win. */
static const char *config_flag(int argc, char **argv) {
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strncmp(argv[i], "--config=", 9))
            path = argv[i] + 9;
        else if (!strcmp(argv[i], "--config") && i + 1 < argc)
            path = argv[i + 1];
    }
    return path;
}

static int check(const mg_operator_options *o, mg_error *err) {
    if (!(o->lease_duration_seconds - 2 * o->retry_period_seconds >= o->renew_deadline_seconds))
        return mg_error_set(err, MG_EINVAL,
                            "lease timing: need lease duration - 2 x retry period >= renew deadline");
    if (o->workers < 1) return mg_error_set(err, MG_EINVAL, "--workers must be at least 1");
    if (o->resync_seconds < 0) return mg_error_set(err, MG_EINVAL, "--resync-seconds must not be negative");
    if (o->max_scrapes_in_flight < 1)
        return mg_error_set(err, MG_EINVAL, "--max-scrapes-in-flight must be at least 1");
    if (o->scrape_timeout_ms < 1)
        return mg_error_set(err, MG_EINVAL, "--scrape-timeout-ms must be at least 1");
    if (!(o->lease_duration_seconds > o->renew_deadline_seconds &&
          o->renew_deadline_seconds * 10 > o->retry_period_seconds * 12 && o->retry_period_seconds > 0))
        return mg_error_set(err, MG_EINVAL,
                            "lease timing: need lease duration > renew deadline > 1.2 x retry period > 0");
    return 0;
}

int mg_operator_options_parse(int argc, char **argv, mg_operator_options *o, FILE *out, mg_error *err) {
    *o = (mg_operator_options){.metrics_addr = ":8080",
                               .health_addr = ":8081",
                               .log_format = "text",
                               .log_level = "info",
                               .leader_election_id = "modelgov-operator",
                               .workers = DEFAULT_WORKERS,
                               .resync_seconds = DEFAULT_RESYNC_S,
                               .lease_duration_seconds = DEFAULT_LEASE_S,
                               .renew_deadline_seconds = DEFAULT_RENEW_S,
                               .retry_period_seconds = DEFAULT_RETRY_S,
                               .max_scrapes_in_flight = DEFAULT_SCRAPES_IN_FLIGHT,
                               .scrape_timeout_ms = DEFAULT_SCRAPE_TIMEOUT_MS};
    mg_flag f[MAX_SETTINGS];
    size_t n = settings(o, f);
    o->config = config_flag(argc, argv);
    if (o->config) {
        int rc = load_config(o, f, n, err);
        if (rc) return rc;
    }
    int rc = mg_flags_parse(argc, argv, f, n, err);
    if (rc == MG_FLAGS_HELP) {
        mg_flags_usage(out, USAGE, f, n);
        return MG_OPTIONS_EXIT;
    }
    if (rc == MG_FLAGS_VERSION) {
        fprintf(out, "modelgov-operator %s\n", MG_VERSION);
        return MG_OPTIONS_EXIT;
    }
    if (o->sharding) o->leader_elect = true; /* the single-owner work still needs one leader */
    return rc ? rc : check(o, err);
}

void mg_operator_options_free(mg_operator_options *o) {
    json_decref(o->config_tree);
    o->config_tree = NULL;
}
