/* core/yaml — YAML (libyaml) loaded into jansson's json_t, so configs, kubeconfigs and
 * manifests share one in-memory representation with API objects.
 *
 * Owns: the conversion rules. Plain scalars follow the YAML 1.2 core schema (null, ~, true,
 * false, integers, floats incl. .inf/.nan); quoted scalars stay strings; anchors/aliases are
 * expanded (with a cap against alias bombs); mapping keys must be scalars; duplicate keys are
 * an error. Returned trees are new references the caller must json_decref. Errors name the
 * source, line and column. Thread-safe (no shared state). */
#ifndef MG_CORE_YAML_H
#define MG_CORE_YAML_H
#include <jansson.h>
#include <stddef.h>

#include "core/error.h"

/* Loads the first document of a YAML string. name is used in error messages. */
int mg_yaml_load(const char *text, size_t len, const char *name, json_t **out, mg_error *err);
int mg_yaml_load_file(const char *path, json_t **out, mg_error *err);
/* Loads every document into a JSON array (empty documents skipped). */
int mg_yaml_load_all(const char *text, size_t len, const char *name, json_t **out, mg_error *err);
int mg_yaml_load_all_file(const char *path, json_t **out, mg_error *err);
/* Serialises a JSON tree as block YAML into a new heap string (caller frees). */
char *mg_yaml_dump(const json_t *value);

#endif
