/* policy/config — see config.h for the keys and their rules. */
#include "policy/config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/yaml.h"
#include "policy/imageref.h"

/* A tag's digest rarely moves within minutes (config.h: cacheTTLSeconds). */
#define DEFAULT_CACHE_TTL_S 300

void mg_strlist_free(mg_strlist *l) {
    for (size_t i = 0; i < l->len; i++)
        free(l->items[i]);
    free(l->items);
    l->items = NULL;
    l->len = 0;
}

void mg_strlist_push(mg_strlist *l, const char *s) {
    l->items = mg_xrealloc(l->items, (l->len + 1) * sizeof(char *));
    l->items[l->len++] = mg_xstrdup(s);
}

bool mg_strlist_contains(const mg_strlist *l, const char *s) {
    if (!s) return false;
    for (size_t i = 0; i < l->len; i++)
        if (strcmp(l->items[i], s) == 0) return true;
    return false;
}

void mg_policy_config_defaults(mg_policy_config *cfg) {
    memset(cfg, 0, sizeof(*cfg));
    cfg->mode = MG_POLICY_ENFORCE;
    cfg->cache_ttl_seconds = DEFAULT_CACHE_TTL_S;
    mg_strlist_push(&cfg->approved_scan_tools, "kubectl-modelgov");
}

void mg_policy_config_free(mg_policy_config *cfg) {
    if (!cfg) return;
    mg_strlist_free(&cfg->model_repositories);
    mg_strlist_free(&cfg->exempt_namespaces);
    mg_strlist_free(&cfg->exempt_service_accounts);
    mg_strlist_free(&cfg->approved_scan_tools);
    mg_strlist_free(&cfg->scanner_groups);
    mg_strlist_free(&cfg->records_admin_groups);
    free(cfg->operator_service_account);
    cfg->operator_service_account = NULL;
    for (int k = 0; k < MG_REVIEW_KIND_COUNT; k++)
        mg_strlist_free(&cfg->reviewer_groups[k]);
    for (size_t i = 0; i < cfg->n_registries; i++) {
        free(cfg->registries[i].host);
        free(cfg->registries[i].ca_file);
        free(cfg->registries[i].credentials_file);
        mg_strlist_free(&cfg->registries[i].names);
    }
    free(cfg->registries);
    cfg->registries = NULL;
    cfg->n_registries = 0;
}

static int want_bool(const json_t *v, const char *name, const char *key, bool *out, mg_error *err) {
    if (!json_is_boolean(v))
        return mg_error_set(err, MG_EINVAL, "%s: %s: expected a boolean (true or false)", name, key);
    *out = json_is_true(v);
    return 0;
}

static int want_string(const json_t *v, const char *name, const char *key, const char **out, mg_error *err) {
    if (!json_is_string(v) || json_string_length(v) == 0)
        return mg_error_set(err, MG_EINVAL, "%s: %s: expected a non-empty string", name, key);
    *out = json_string_value(v);
    return 0;
}

/* A list of non-empty strings (a single string is accepted when single_ok). */
static int want_strlist(const json_t *v, const char *name, const char *key, bool single_ok, mg_strlist *out,
                        mg_error *err) {
    mg_strlist_free(out);
    if (single_ok && json_is_string(v)) {
        const char *s = NULL;
        if (want_string(v, name, key, &s, err) != 0) return MG_EINVAL;
        mg_strlist_push(out, s);
        return 0;
    }
    if (json_is_null(v)) return 0;
    if (!json_is_array(v))
        return mg_error_set(err, MG_EINVAL, "%s: %s: expected a list of strings", name, key);
    size_t i;
    const json_t *e;
    json_array_foreach(v, i, e) {
        if (!json_is_string(e) || json_string_length(e) == 0)
            return mg_error_set(err, MG_EINVAL, "%s: %s[%zu]: expected a non-empty string", name, key, i);
        mg_strlist_push(out, json_string_value(e));
    }
    return 0;
}

/* Adds the canonical form of a registry domain to r->names; refuses an invalid domain and a name
 * that another registry already has (image identity would be ambiguous). */
static int add_registry_name(mg_policy_config *cfg, mg_registry_config *r, const char *domain,
                             const char *name, const char *key, mg_error *err) {
    char canon[MG_IMAGEREF_CANON_MAX + 1];
    if (mg_imageref_canonical_host(domain, canon, sizeof canon) != 0)
        return mg_error_set(err, MG_EINVAL, "%s: %s: '%s' is not a registry host (HOST or HOST:PORT)", name,
                            key, domain);
    for (size_t i = 0; i < cfg->n_registries; i++)
        if (&cfg->registries[i] != r && mg_strlist_contains(&cfg->registries[i].names, canon))
            return mg_error_set(err, MG_EINVAL, "%s: %s: '%s' is also a name of registry %s", name, key,
                                domain, cfg->registries[i].host);
    if (!mg_strlist_contains(&r->names, canon)) mg_strlist_push(&r->names, canon);
    return 0;
}

static int parse_registry_aliases(const json_t *f, const char *name, const char *fk, mg_policy_config *cfg,
                                  mg_registry_config *r, mg_error *err) {
    mg_strlist aliases = {0};
    int rc = want_strlist(f, name, fk, false, &aliases, err);
    if (rc == 0 && aliases.len >= MG_REGISTRY_NAMES_MAX)
        rc = mg_error_set(err, MG_EINVAL, "%s: %s: at most %d aliases", name, fk, MG_REGISTRY_NAMES_MAX - 1);
    for (size_t j = 0; rc == 0 && j < aliases.len; j++) {
        char ak[160];
        snprintf(ak, sizeof ak, "%s[%zu]", fk, j);
        rc = add_registry_name(cfg, r, aliases.items[j], name, ak, err);
    }
    mg_strlist_free(&aliases);
    return rc;
}

static int parse_registries(const json_t *v, const char *name, mg_policy_config *cfg, mg_error *err) {
    if (json_is_null(v)) return 0;
    if (!json_is_array(v))
        return mg_error_set(err, MG_EINVAL,
                            "%s: registries: expected a list of {host, caFile, plainHTTP, credentialsFile}",
                            name);
    cfg->registries = mg_xcalloc(json_array_size(v) + 1, sizeof(*cfg->registries));
    size_t i;
    const json_t *e;
    json_array_foreach(v, i, e) {
        char key[64];
        snprintf(key, sizeof(key), "registries[%zu]", i);
        if (!json_is_object(e)) return mg_error_set(err, MG_EINVAL, "%s: %s: expected a mapping", name, key);
        mg_registry_config *r = &cfg->registries[cfg->n_registries++];
        const char *k;
        const json_t *f;
        json_object_foreach((json_t *)e, k, f) {
            char fk[128];
            snprintf(fk, sizeof(fk), "%s.%s", key, k);
            const char *s = NULL;
            if (strcmp(k, "host") == 0) {
                if (want_string(f, name, fk, &s, err) != 0) return MG_EINVAL;
                r->host = mg_xstrdup(s);
            } else if (strcmp(k, "aliases") == 0) {
                continue; /* after host, whose name comes first */
            } else if (strcmp(k, "caFile") == 0) {
                if (want_string(f, name, fk, &s, err) != 0) return MG_EINVAL;
                r->ca_file = mg_xstrdup(s);
            } else if (strcmp(k, "credentialsFile") == 0) {
                if (want_string(f, name, fk, &s, err) != 0) return MG_EINVAL;
                r->credentials_file = mg_xstrdup(s);
            } else if (strcmp(k, "plainHTTP") == 0) {
                if (want_bool(f, name, fk, &r->plain_http, err) != 0) return MG_EINVAL;
            } else {
                return mg_error_set(
                    err, MG_EINVAL,
                    "%s: %s: unknown key (expected host, aliases, caFile, plainHTTP, credentialsFile)", name,
                    fk);
            }
        }
        if (!r->host) return mg_error_set(err, MG_EINVAL, "%s: %s.host: required", name, key);
        char hk[80];
        snprintf(hk, sizeof hk, "%s.host", key);
        if (add_registry_name(cfg, r, r->host, name, hk, err) != 0) return MG_EINVAL;
        const json_t *aliases = json_object_get(e, "aliases");
        snprintf(hk, sizeof hk, "%s.aliases", key);
        if (aliases && parse_registry_aliases(aliases, name, hk, cfg, r, err) != 0) return MG_EINVAL;
    }
    return 0;
}

static int parse_reviewer_groups(const json_t *v, const char *name, mg_policy_config *cfg, mg_error *err) {
    if (json_is_null(v)) return 0;
    if (!json_is_object(v))
        return mg_error_set(err, MG_EINVAL, "%s: reviewerGroups: expected a mapping of review kind to group",
                            name);
    const char *k;
    const json_t *f;
    json_object_foreach((json_t *)v, k, f) {
        char fk[128];
        snprintf(fk, sizeof(fk), "reviewerGroups.%s", k);
        mg_review_kind kind = mg_review_kind_parse(k);
        if (kind == MG_REVIEW_KIND_INVALID)
            return mg_error_set(
                err, MG_EINVAL,
                "%s: %s: unknown review kind (expected security, performance, bias, incident)", name, fk);
        if (want_strlist(f, name, fk, true, &cfg->reviewer_groups[kind], err) != 0) return MG_EINVAL;
    }
    return 0;
}

/* A week: a cached digest older than that is a registry answer nobody should trust. */
#define CACHE_TTL_MAX_S (7 * 24 * 3600)

static int parse_model_repositories(const json_t *v, const char *name, mg_policy_config *cfg, mg_error *err) {
    int rc = want_strlist(v, name, "modelRepositories", false, &cfg->model_repositories, err);
    for (size_t i = 0; rc == 0 && i < cfg->model_repositories.len; i++)
        if (!mg_imageref_prefix_valid(cfg->model_repositories.items[i]))
            rc =
                mg_error_set(err, MG_EINVAL, "%s: modelRepositories[%zu]: '%s' is not a registry/path prefix",
                             name, i, cfg->model_repositories.items[i]);
    return rc;
}

static int parse_mode(const json_t *v, const char *name, mg_policy_config *cfg, mg_error *err) {
    const char *s = json_string_value(v);
    if (s && strcmp(s, "enforce") == 0)
        cfg->mode = MG_POLICY_ENFORCE;
    else if (s && strcmp(s, "audit") == 0)
        cfg->mode = MG_POLICY_AUDIT;
    else
        return mg_error_set(err, MG_EINVAL, "%s: mode: expected enforce or audit", name);
    return 0;
}

static int parse_cache_ttl(const json_t *v, const char *name, mg_policy_config *cfg, mg_error *err) {
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > CACHE_TTL_MAX_S)
        return mg_error_set(err, MG_EINVAL, "%s: cacheTTLSeconds: expected an integer from 0 to %d", name,
                            CACHE_TTL_MAX_S);
    cfg->cache_ttl_seconds = (int)json_integer_value(v);
    return 0;
}

static int parse_operator_sa(const json_t *v, const char *name, mg_policy_config *cfg, mg_error *err) {
    const char *sa = NULL;
    int rc = json_is_null(v) ? 0 : want_string(v, name, "operatorServiceAccount", &sa, err);
    free(cfg->operator_service_account);
    cfg->operator_service_account = mg_xstrdup(sa);
    return rc;
}

/* The document's keys: a list of strings or a boolean stored at a field, or a parser of its own. */
typedef enum { KEY_STRLIST, KEY_BOOL, KEY_PARSER } key_type;
typedef struct doc_key {
    const char *key;
    key_type type;
    size_t at; /* KEY_STRLIST, KEY_BOOL: offsetof the field */
    int (*parse)(const json_t *v, const char *name, mg_policy_config *cfg, mg_error *err);
} doc_key;

#define STRLIST(k, field)                                                                                    \
    { k, KEY_STRLIST, offsetof(mg_policy_config, field), NULL }
#define BOOL(k, field)                                                                                       \
    { k, KEY_BOOL, offsetof(mg_policy_config, field), NULL }
#define PARSER(k, fn)                                                                                        \
    { k, KEY_PARSER, 0, fn }
static const doc_key doc_keys[] = {
    PARSER("modelRepositories", parse_model_repositories),
    BOOL("requireDigest", require_digest),
    PARSER("mode", parse_mode),
    PARSER("registries", parse_registries),
    PARSER("cacheTTLSeconds", parse_cache_ttl),
    STRLIST("exemptNamespaces", exempt_namespaces),
    STRLIST("exemptServiceAccounts", exempt_service_accounts),
    PARSER("reviewerGroups", parse_reviewer_groups),
    BOOL("requireModelDeployment", require_model_deployment),
    STRLIST("approvedScanTools", approved_scan_tools),
    PARSER("operatorServiceAccount", parse_operator_sa),
    STRLIST("scannerGroups", scanner_groups),
    STRLIST("recordsAdminGroups", records_admin_groups),
};
#undef STRLIST
#undef BOOL
#undef PARSER

static int parse_key(const char *k, const json_t *v, const char *name, mg_policy_config *cfg, mg_error *err) {
    for (size_t i = 0; i < sizeof doc_keys / sizeof *doc_keys; i++) {
        const doc_key *d = &doc_keys[i];
        if (strcmp(k, d->key) != 0) continue;
        char *field = (char *)cfg + d->at;
        if (d->type == KEY_STRLIST) return want_strlist(v, name, k, false, (mg_strlist *)field, err);
        if (d->type == KEY_BOOL) return want_bool(v, name, k, (bool *)field, err);
        return d->parse(v, name, cfg, err);
    }
    char known[512] = "";
    for (size_t i = 0, n = 0; i < sizeof doc_keys / sizeof *doc_keys && n < sizeof known; i++)
        n += (size_t)snprintf(known + n, sizeof known - n, "%s%s", i ? ", " : "", doc_keys[i].key);
    return mg_error_set(err, MG_EINVAL, "%s: %s: unknown key (known: %s)", name, k, known);
}

static int parse_doc(const json_t *doc, const char *name, mg_policy_config *cfg, mg_error *err) {
    if (json_is_null(doc) || !doc) return 0;
    if (!json_is_object(doc))
        return mg_error_set(err, MG_EINVAL, "%s: the configuration must be a mapping", name);
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)doc, k, v) {
        int rc = parse_key(k, v, name, cfg, err);
        if (rc != 0) return rc;
    }
    return 0;
}

int mg_policy_config_from_json(const json_t *doc, const char *name, mg_policy_config *cfg, mg_error *err) {
    mg_policy_config_defaults(cfg);
    int rc = parse_doc(doc, name ? name : "config", cfg, err);
    if (rc != 0) {
        mg_policy_config_free(cfg);
    }
    return rc;
}

int mg_policy_config_load_file(const char *path, mg_policy_config *cfg, mg_error *err) {
    json_t *doc = NULL;
    memset(cfg, 0, sizeof(*cfg));
    int rc = mg_yaml_load_file(path, &doc, err);
    if (rc != 0) return rc;
    rc = mg_policy_config_from_json(doc, path, cfg, err);
    json_decref(doc);
    return rc;
}

/* True when username is the identity e names: the full user name, or a service account spelled
 * "namespace:name" or "namespace/name". */
static bool names_user(const char *e, const char *username) {
    static const char pfx[] = "system:serviceaccount:";
    if (strcmp(e, username) == 0) return true;
    if (strncmp(username, pfx, sizeof(pfx) - 1) != 0) return false;
    const char *u = username + sizeof(pfx) - 1; /* "ns:name" */
    size_t n = strlen(e);
    if (strlen(u) != n) return false;
    for (size_t j = 0; j < n; j++)
        if ((e[j] == '/' ? ':' : e[j]) != u[j]) return false;
    return true;
}

bool mg_policy_config_sa_exempt(const mg_policy_config *cfg, const char *username) {
    if (!username) return false;
    for (size_t i = 0; i < cfg->exempt_service_accounts.len; i++)
        if (names_user(cfg->exempt_service_accounts.items[i], username)) return true;
    return false;
}

bool mg_policy_config_is_operator(const mg_policy_config *cfg, const char *username) {
    return username && *username && cfg->operator_service_account &&
           names_user(cfg->operator_service_account, username);
}

static const mg_registry_config *registry_named(const mg_policy_config *cfg, const char *canon_host) {
    for (size_t i = 0; i < cfg->n_registries; i++)
        if (mg_strlist_contains(&cfg->registries[i].names, canon_host)) return &cfg->registries[i];
    return NULL;
}

const mg_registry_config *mg_policy_config_registry(const mg_policy_config *cfg, const char *host) {
    char canon[MG_IMAGEREF_CANON_MAX + 1];
    if (!host || mg_imageref_canonical_host(host, canon, sizeof canon) != 0) return NULL;
    return registry_named(cfg, canon);
}

const char *mg_policy_config_registry_host(const mg_policy_config *cfg, const char *canon_host) {
    const mg_registry_config *r = registry_named(cfg, canon_host);
    return r ? r->names.items[0] : canon_host;
}
