/* k8s/jsonparse — fast JSON text → jansson tree, dropping what caches never read while parsing,
 * and a fast compact serializer.
 *
 * Why: jansson's own decoder runs at ~80 MB/s here (30 µs for a 2.4 KB object) and the
 * informer's ingest goal is 50,000 objects/s. This parser builds the same jansson values
 * (objects keep member order; duplicate keys: the last wins) about 3× faster, and can skip
 * metadata.managedFields and the kubectl last-applied annotation without building them.
 * It accepts exactly RFC 8259 JSON: UTF-8 validated, \u escapes with surrogate pairs, no NUL
 * in strings (\u0000 is refused, as jansson does by default), integers that do not fit in
 * json_int_t are refused, nesting deeper than 2048 is refused. Stateless and thread-safe.
 *
 * Owns: nothing; returned trees are new references owned by the caller. */
#ifndef MG_K8S_JSONPARSE_H
#define MG_K8S_JSONPARSE_H
#include <jansson.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/error.h"

typedef enum {
    MG_JSON_STRIP_NONE = 0, /* plain parse */
    MG_JSON_STRIP_OBJECT,   /* the root is a Kubernetes object */
    MG_JSON_STRIP_EVENT,    /* the root is a watch event: strip root.object */
    MG_JSON_STRIP_LIST,     /* the root is a List: strip every root.items[i] */
} mg_json_strip;

/* Parses len bytes of text. On error returns NULL and fills err (MG_EPARSE, with the byte
 * offset). With a strip mode, the Kubernetes object(s) come out as mg_k8s_strip would leave
 * them: no metadata.managedFields, no last-applied annotation, no empty annotations. */
json_t *mg_k8s_json_parse(const char *text, size_t len, mg_json_strip strip, mg_error *err);

/* Appends the compact JSON text of v to out (members in their order, UTF-8 as is, reals in
 * the shortest form that reads back exactly). Returns 0 or MG_ETOOBIG when out's cap is hit. */
int mg_k8s_json_dump(const json_t *v, mg_buf *out);

#endif
