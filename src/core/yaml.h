/* core/yaml — YAML (libyaml) loaded into jansson's json_t, so configs, kubeconfigs and
 * manifests share one in-memory representation with API objects.
 *
 * Owns: the conversion rules. Plain scalars follow the YAML 1.2 core schema (null, ~, true,
 * false, integers incl. 0o/0x, floats); .inf/.nan have no JSON form and stay strings; an
 * integer beyond int64 becomes a float. Quoted and block scalars stay strings; explicit core
 * tags (!!str, !!int, ...) are honoured. Anchors/aliases are expanded as deep copies (at most
 * 100,000 nodes from aliases per document, against alias bombs; nesting depth ≤ 512); merge
 * keys ("<<") work as in Kubernetes' YAML library. Mapping keys must be scalars (non-string
 * scalars become their text); duplicate keys are an error. Returned trees are new references
 * the caller must json_decref. Errors (MG_EPARSE, MG_ETOOBIG, MG_EIO) name the source, line
 * and column: "deploy.yaml:3:5: duplicate key \"name\"". Thread-safe (no shared state). */
#ifndef MG_CORE_YAML_H
#define MG_CORE_YAML_H
#include <jansson.h>
#include <stddef.h>

#include "core/error.h"

/* Loads the first document of a YAML string (JSON null when there is none). name is used in
 * error messages. Files are capped at 64 MiB. */
int mg_yaml_load(const char *text, size_t len, const char *name, json_t **out, mg_error *err);
int mg_yaml_load_file(const char *path, json_t **out, mg_error *err);
/* Loads every document into a JSON array (empty documents skipped). */
int mg_yaml_load_all(const char *text, size_t len, const char *name, json_t **out, mg_error *err);
/* Serialises a JSON tree as block YAML into a new heap string (caller frees). Strings that
 * would read back as another type ("true", "1", "", "yes") are double-quoted, so
 * mg_yaml_load(mg_yaml_dump(v)) equals v. NULL only if nesting exceeds 512. */
char *mg_yaml_dump(const json_t *value);

#endif
