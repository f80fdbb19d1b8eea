/* policy/config — the webhook's policy configuration (`--config`, YAML).
 *
 * Owns: the keys, their types and defaults, and the checks. Exactly these top-level keys are
 * accepted; an unknown key or a wrong type is an error whose message names the key
 * ("config.yaml: registries[1].plainHTTP: expected a boolean"):
 *   modelRepositories:      [string]  prefixes of model images (default: none), e.g.
 *                                     "registry.example.com/models/"; each must be a valid prefix
 *   requireDigest:          bool      refuse tags, accept only @sha256 pins (default false)
 *   mode:                   enforce|audit   (default enforce; audit allows with warnings)
 *   registries:             [{host, aliases, caFile, plainHTTP, credentialsFile}]  per-registry
 *                                     access (host required, a registry domain such as
 *                                     "localhost:5000"; credentialsFile is a dockerconfigjson file;
 *                                     aliases: other names of the same registry, e.g. its IP
 *                                     address or an internal DNS name, which image identity folds
 *                                     into host — two registries may not share a name; at most
 *                                     MG_REGISTRY_NAMES_MAX - 1 aliases)
 *   cacheTTLSeconds:        int >= 0  tag→digest cache TTL (default 300; negative entries use it too)
 *   exemptNamespaces:       [string]  requests in these namespaces are allowed unchecked
 *   exemptServiceAccounts:  [string]  "namespace:name", "namespace/name" or the full user name
 *                                     "system:serviceaccount:namespace:name"
 *   reviewerGroups:         {security|performance|bias|incident: string or [string]}  a reviewer of
 *                                     that kind must belong to one of the groups (default: any
 *                                     authenticated user)
 *   requireModelDeployment: bool      (default false)
 *   approvedScanTools:      [string]  bias-scan tools accepted (default ["kubectl-modelgov"])
 *   operatorServiceAccount: string    the operator's identity, spelled like exemptServiceAccounts
 *                                     (or any full user name): the only writer of ModelVersion,
 *                                     ModelDeployment and ModelReview status (default: none, so
 *                                     nobody; the chart fills in its operator's service account)
 *   scannerGroups:          [string]  groups whose members may write DatasetVersion
 *                                     status.biasScan (default: none)
 *   recordsAdminGroups:     [string]  groups whose members may delete ModelReviews (default: none;
 *                                     a namespace's own deletion always may)
 *
 * Memory: mg_policy_config owns all its strings and arrays; free with mg_policy_config_free().
 * Once loaded it is read-only and may be shared by threads (a reload builds a new one). */
#ifndef MG_POLICY_CONFIG_H
#define MG_POLICY_CONFIG_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"
#include "policy/approval.h"

typedef enum { MG_POLICY_ENFORCE = 0, MG_POLICY_AUDIT } mg_policy_mode;

typedef struct mg_strlist {
    char **items;
    size_t len;
} mg_strlist;

/* A registry's host and its aliases together (image identity looks a reference up under each). */
#define MG_REGISTRY_NAMES_MAX 8

typedef struct mg_registry_config {
    char *host;             /* "registry.example.com", "localhost:5000" */
    mg_strlist names;       /* canonical hosts (policy/imageref.h) of host, then of each alias */
    char *ca_file;          /* NULL: system CAs */
    bool plain_http;        /* talk http:// instead of https:// */
    char *credentials_file; /* NULL: anonymous */
} mg_registry_config;

typedef struct mg_policy_config {
    mg_strlist model_repositories;
    bool require_digest;
    mg_policy_mode mode;
    mg_registry_config *registries;
    size_t n_registries;
    int cache_ttl_seconds;
    mg_strlist exempt_namespaces;
    mg_strlist exempt_service_accounts;
    mg_strlist reviewer_groups[MG_REVIEW_KIND_COUNT]; /* empty list: any authenticated user */
    bool require_model_deployment;
    mg_strlist approved_scan_tools;
    char *operator_service_account; /* NULL: no identity may write the operator's status fields */
    mg_strlist scanner_groups;
    mg_strlist records_admin_groups;
} mg_policy_config;

/* Fills *cfg with the defaults (allocates the default approvedScanTools). */
void mg_policy_config_defaults(mg_policy_config *cfg);
/* Builds *cfg from a parsed document (an object; JSON null or an empty document means all
 * defaults). name prefixes error messages. On error *cfg is left freed/empty. */
int mg_policy_config_from_json(const json_t *doc, const char *name, mg_policy_config *cfg, mg_error *err);
/* Loads a YAML file through core/yaml. */
int mg_policy_config_load_file(const char *path, mg_policy_config *cfg, mg_error *err);
void mg_policy_config_free(mg_policy_config *cfg);

/* A list of heap strings: push copies s; free frees every item and empties the list. */
void mg_strlist_push(mg_strlist *l, const char *s);
void mg_strlist_free(mg_strlist *l);
bool mg_strlist_contains(const mg_strlist *l, const char *s);
/* True when username is one of exemptServiceAccounts (all three spellings accepted). */
bool mg_policy_config_sa_exempt(const mg_policy_config *cfg, const char *username);
/* True when username is operatorServiceAccount (the same spellings). */
bool mg_policy_config_is_operator(const mg_policy_config *cfg, const char *username);
/* The registry entry that a registry domain names ("localhost:5000", "127.0.0.1:05000", an
 * alias), by canonical host; NULL when none does. */
const mg_registry_config *mg_policy_config_registry(const mg_policy_config *cfg, const char *host);
/* The canonical host that stands for canon_host (already canonical): the configured registry's
 * own when canon_host is one of its names, else canon_host. Borrowed from cfg or the argument. */
const char *mg_policy_config_registry_host(const mg_policy_config *cfg, const char *canon_host);

#endif
