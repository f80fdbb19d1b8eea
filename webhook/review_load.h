/* webhook/review_load — what of an AdmissionReview body the webhook keeps: the keep rules for
 * the project's JSON parser (k8s/jsonparse), which builds a jansson tree of only those parts.
 *
 * Why: jansson builds a node for every value of the ~6 KB Pod the API server sends (env, probes,
 * volumes, managedFields, status...), which costs more than everything else on the /validate
 * path together. The body is checked with the same strictness as
 * json_loadb(JSON_REJECT_DUPLICATES) (RFC 8259 grammar, UTF-8, escapes and surrogate pairs, no
 * \u0000 — a NUL the C code reading strings would cut at is refused, and the API server then
 * refuses the request: fail closed —, integer and real overflow in the kept parts, nothing after
 * the value, nesting depth) and only the kept parts are built; skipped parts are validated.
 *
 * What is kept (everything else is validated and dropped):
 *  - every value outside request.object and request.oldObject, except request.options,
 *    requestKind, requestResource, requestSubResource, and userInfo other than username and groups;
 *  - in each object: all of it, except
 *      metadata.managedFields, the kubectl last-applied-configuration annotation,
 *      and, for the built-in workload kinds (v1 Pod; apps/v1 Deployment, ReplicaSet, StatefulSet,
 *      DaemonSet; batch/v1 Job, CronJob, recognised by apiVersion and kind appearing before
 *      spec, as the API server writes them): status, and in the pod spec (spec, spec.template.spec
 *      or spec.jobTemplate.spec.template.spec) everything except serviceAccountName and the lists
 *      containers, initContainers and ephemeralContainers, whose items keep only name and image.
 * So decisions may read: object identity, metadata (labels, annotations, ownerReferences...),
 * workload replicas/selector/template metadata, container names and images, and whole custom
 * resources. Anything else they need must be added to the keep rules in review_load.c.
 *
 * Differences from jansson: duplicate keys and numbers beyond int64/double inside dropped parts
 * are not errors (they cannot influence a decision); error texts differ but carry line, column
 * and byte offset.
 *
 * Memory: *out is a new reference (caller json_decref's). Thread-safe (no shared state). */
#ifndef MG_WEBHOOK_REVIEW_LOAD_H
#define MG_WEBHOOK_REVIEW_LOAD_H
#include <jansson.h>
#include <stddef.h>

#include "core/error.h"

/* Parses text[0..len) (need not be NUL-terminated). Returns 0 and *out, or MG_EPARSE with
 * err->message "line L column C (byte N): what" and *out NULL. The top-level value must be an object or
 * an array (like json_loadb without JSON_DECODE_ANY). */
int mg_review_load(const char *text, size_t len, json_t **out, mg_error *err);

#endif
