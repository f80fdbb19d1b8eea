/* policy/config — see config.h for the keys and their rules. */
#include "policy/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/yaml.h"
#include "policy/imageref.h"

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
    cfg->cache_ttl_seconds = 300;
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

static int parse_doc(const json_t *doc, const char *name, mg_policy_config *cfg, mg_error *err) {
    if (json_is_null(doc) || !doc) return 0;
    if (!json_is_object(doc))
        return mg_error_set(err, MG_EINVAL, "%s: the configuration must be a mapping", name);
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)doc, k, v) {
        int rc = 0;
        if (strcmp(k, "modelRepositories") == 0) {
            rc = want_strlist(v, name, k, false, &cfg->model_repositories, err);
            for (size_t i = 0; rc == 0 && i < cfg->model_repositories.len; i++)
                if (!mg_imageref_prefix_valid(cfg->model_repositories.items[i]))
                    rc = mg_error_set(err, MG_EINVAL,
                                      "%s: modelRepositories[%zu]: '%s' is not a registry/path prefix", name,
                                      i, cfg->model_repositories.items[i]);
        } else if (strcmp(k, "requireDigest") == 0) {
            rc = want_bool(v, name, k, &cfg->require_digest, err);
        } else if (strcmp(k, "mode") == 0) {
            const char *s = json_string_value(v);
            if (s && strcmp(s, "enforce") == 0)
                cfg->mode = MG_POLICY_ENFORCE;
            else if (s && strcmp(s, "audit") == 0)
                cfg->mode = MG_POLICY_AUDIT;
            else
                rc = mg_error_set(err, MG_EINVAL, "%s: mode: expected enforce or audit", name);
        } else if (strcmp(k, "registries") == 0) {
            rc = parse_registries(v, name, cfg, err);
        } else if (strcmp(k, "cacheTTLSeconds") == 0) {
            if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 86400 * 7)
                rc = mg_error_set(err, MG_EINVAL, "%s: cacheTTLSeconds: expected an integer from 0 to 604800",
                                  name);
            else
                cfg->cache_ttl_seconds = (int)json_integer_value(v);
        } else if (strcmp(k, "exemptNamespaces") == 0) {
            rc = want_strlist(v, name, k, false, &cfg->exempt_namespaces, err);
        } else if (strcmp(k, "exemptServiceAccounts") == 0) {
            rc = want_strlist(v, name, k, false, &cfg->exempt_service_accounts, err);
        } else if (strcmp(k, "reviewerGroups") == 0) {
            rc = parse_reviewer_groups(v, name, cfg, err);
        } else if (strcmp(k, "requireModelDeployment") == 0) {
            rc = want_bool(v, name, k, &cfg->require_model_deployment, err);
        } else if (strcmp(k, "approvedScanTools") == 0) {
            rc = want_strlist(v, name, k, false, &cfg->approved_scan_tools, err);
        } else if (strcmp(k, "operatorServiceAccount") == 0) {
            const char *sa = NULL;
            rc = json_is_null(v) ? 0 : want_string(v, name, k, &sa, err);
            free(cfg->operator_service_account);
            cfg->operator_service_account = mg_xstrdup(sa);
        } else if (strcmp(k, "scannerGroups") == 0) {
            rc = want_strlist(v, name, k, false, &cfg->scanner_groups, err);
        } else if (strcmp(k, "recordsAdminGroups") == 0) {
            rc = want_strlist(v, name, k, false, &cfg->records_admin_groups, err);
        } else {
            rc = mg_error_set(
                err, MG_EINVAL,
                "%s: %s: unknown key (known: modelRepositories, requireDigest, mode, registries, "
                "cacheTTLSeconds, exemptNamespaces, exemptServiceAccounts, reviewerGroups, "
                "requireModelDeployment, approvedScanTools, operatorServiceAccount, scannerGroups, "
                "recordsAdminGroups)",
                name, k);
        }
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
