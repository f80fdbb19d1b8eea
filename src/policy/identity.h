/* policy/identity — the names an image reference goes by under the policy.
 *
 * Owns: image identity as admission compares it. A reference's canonical name
 * (policy/imageref.h: host case, default and zero-padded ports, IP spellings, loopback, Docker
 * Hub's names) is one name; a registry configured with aliases (policy/config.h) answers to each
 * of its names, so a reference through an alias is also known under the registry's other names.
 * An image lies under a modelRepositories prefix when the prefix's registry and the reference's
 * are the same registry (by canonical host and aliases) and the path is under the prefix's path.
 *
 * Pure: no I/O, no allocation, no global state; thread-safe. mg_identity is a plain value owned
 * by the caller (a few KB: fine on the stack). */
#ifndef MG_POLICY_IDENTITY_H
#define MG_POLICY_IDENTITY_H
#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"
#include "policy/config.h"
#include "policy/imageref.h"

typedef struct mg_identity {
    mg_imageref ref;
    size_t n; /* names[0] is the reference's own canonical name */
    char names[MG_REGISTRY_NAMES_MAX][MG_IMAGEREF_CANON_MAX + 1];
    bool configured_registry; /* the host is one of cfg's registries (or an alias of one) */
} mg_identity;

/* Parses image and fills its names. Returns 0, or MG_EINVAL with err->message (the reference does
 * not parse). */
int mg_identity_parse(const mg_policy_config *cfg, const char *image, mg_identity *out, mg_error *err);

/* True when ref lies under one of cfg's modelRepositories (aliases folded). */
bool mg_identity_is_model_repository(const mg_policy_config *cfg, const mg_imageref *ref);

#endif
