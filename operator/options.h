/* operator/options — modelgov-operator's settings: their defaults, the command-line flags
 * (core/flags) and the --config file, a YAML mapping of the same settings under camelCase keys
 * (the flag table names each key). Precedence: defaults < config file < flags.
 *
 * Owns: the parsed config file's tree, which the string settings point into (freed by
 * mg_operator_options_free); other strings point into argv. Unknown keys and wrong types in the
 * file are errors that name the key. Not thread-safe: main parses once, before any thread. */
#ifndef MG_OPERATOR_OPTIONS_H
#define MG_OPERATOR_OPTIONS_H
#include <jansson.h>
#include <stdbool.h>

#include "core/error.h"

typedef struct mg_operator_options {
    const char *kubeconfig, *context, *config, *namespace, *metrics_addr, *health_addr, *log_format,
        *log_level;
    const char *leader_election_namespace, *leader_election_id, *identity, *alertmanager_url;
    bool leader_elect, sharding;
    long workers, resync_seconds;
    long lease_duration_seconds, renew_deadline_seconds, retry_period_seconds;
    long max_scrapes_in_flight, scrape_timeout_ms;
    json_t *config_tree; /* owned; NULL without --config */
} mg_operator_options;

/* What main should do after parsing. */
enum { MG_OPTIONS_RUN = 0, MG_OPTIONS_EXIT = 1 };

/* Fills o with the defaults, the config file and the flags. Returns MG_OPTIONS_RUN,
 * MG_OPTIONS_EXIT after printing --help or --version to out, or MG_EINVAL with err saying which
 * flag, key or value is wrong. */
int mg_operator_options_parse(int argc, char **argv, mg_operator_options *o, FILE *out, mg_error *err);
void mg_operator_options_free(mg_operator_options *o);

#endif
