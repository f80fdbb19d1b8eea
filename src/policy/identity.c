/* policy/identity — see identity.h. */
#include "policy/identity.h"

#include <stdio.h>
#include <string.h>

/* Splits ref's canonical name into its host (into host) and path (returned, borrowed from ref). */
static const char *split_canonical(const mg_imageref *ref, char *host, size_t cap) {
    const char *slash = strchr(ref->canonical, '/');
    size_t hl = slash ? (size_t)(slash - ref->canonical) : strlen(ref->canonical);
    snprintf(host, cap, "%.*s", (int)hl, ref->canonical);
    return slash ? slash + 1 : "";
}

int mg_identity_parse(const mg_policy_config *cfg, const char *image, mg_identity *out, mg_error *err) {
    out->n = 0;
    int rc = mg_imageref_parse(image, &out->ref, err);
    if (rc != 0) return rc;
    snprintf(out->names[out->n++], sizeof out->names[0], "%s", out->ref.canonical);
    char host[MG_IMAGEREF_CANON_MAX + 1];
    const char *path = split_canonical(&out->ref, host, sizeof host);
    const mg_registry_config *r = NULL;
    for (size_t i = 0; i < cfg->n_registries && !r; i++)
        if (mg_strlist_contains(&cfg->registries[i].names, host)) r = &cfg->registries[i];
    out->configured_registry = r != NULL;
    for (size_t i = 0; r && i < r->names.len && out->n < MG_REGISTRY_NAMES_MAX; i++) {
        if (strcmp(r->names.items[i], host) == 0) continue;
        int w = snprintf(out->names[out->n], sizeof out->names[0], "%s/%s", r->names.items[i], path);
        if (w > 0 && (size_t)w < sizeof out->names[0]) out->n++;
    }
    return 0;
}

bool mg_identity_is_model_repository(const mg_policy_config *cfg, const mg_imageref *ref) {
    char host[MG_IMAGEREF_CANON_MAX + 1], phost[MG_IMAGEREF_CANON_MAX + 1], ppath[MG_IMAGEREF_NAME_MAX + 1];
    const char *path = split_canonical(ref, host, sizeof host);
    const char *rep = mg_policy_config_registry_host(cfg, host);
    for (size_t i = 0; i < cfg->model_repositories.len; i++) {
        if (!mg_imageref_split_prefix(cfg->model_repositories.items[i], phost, sizeof phost, ppath,
                                      sizeof ppath))
            continue;
        if (strcmp(mg_policy_config_registry_host(cfg, phost), rep) == 0 &&
            mg_imageref_path_under(rep, path, ppath))
            return true;
    }
    return false;
}
