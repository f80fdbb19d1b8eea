/* policy/review — AdmissionReview (admission.k8s.io/v1) in and out.
 *
 * Owns: the parsing and checking of a request body into mg_admission_request, and the response
 * JSON. Pure: no I/O, no global state; thread-safe.
 *
 * A body is malformed (MG_EPARSE for bad JSON, MG_EINVAL otherwise; err->message is the reason to
 * send back with HTTP 400) when: it is empty or larger than MG_ADMISSION_BODY_MAX; it is not JSON or
 * not an object; kind is not "AdmissionReview" or apiVersion is not "admission.k8s.io/v1"; request
 * is missing or not an object; request.uid is missing/empty; request.kind.kind or
 * request.resource.resource is missing; request.operation is not CREATE|UPDATE|DELETE|CONNECT;
 * object/oldObject is neither an object nor null; CREATE/UPDATE without object; userInfo not an
 * object. err->reason is "BadRequest". The uid, when it could be read, is still put in
 * out->uid so a caller can log it.
 *
 * Memory: mg_admission_request owns the parsed tree (root); every other pointer borrows from it
 * and lives until mg_admission_request_free(). */
#ifndef MG_POLICY_REVIEW_H
#define MG_POLICY_REVIEW_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"
#include "policy/config.h"

#define MG_ADMISSION_BODY_MAX (3u * 1024u * 1024u + 64u * 1024u) /* the API server sends <= 3 MiB */
#define MG_ADMISSION_API_VERSION "admission.k8s.io/v1"

typedef enum { MG_OP_CREATE = 0, MG_OP_UPDATE, MG_OP_DELETE, MG_OP_CONNECT } mg_admission_op;

typedef struct mg_admission_request {
    json_t *root;                                 /* owned: the parsed AdmissionReview */
    const char *uid;                              /* never NULL after success */
    const char *kind_group, *kind_version, *kind; /* request.kind ("" when absent) */
    const char *group, *version, *resource;       /* request.resource */
    const char *subresource;                      /* "" when none ("scale", "status", ...) */
    const char *name, *namespace_;                /* "" when absent */
    const char *operation;                        /* "CREATE" ... */
    mg_admission_op op;
    const char *username;              /* userInfo.username, "" when absent */
    const json_t *groups;              /* userInfo.groups (array) or NULL */
    const json_t *object, *old_object; /* NULL when absent or null */
    bool dry_run;
} mg_admission_request;

int mg_admission_review_parse(const char *body, size_t len, mg_admission_request *out, mg_error *err);
/* The same checks on an already parsed body (e.g. by a faster parser). Steals root: it is owned
 * by out afterwards, also on error (mg_admission_request_free releases it). */
int mg_admission_review_from_json(json_t *root, mg_admission_request *out, mg_error *err);
void mg_admission_request_free(mg_admission_request *req);
/* True when the user's groups contain group. */
bool mg_admission_user_in_group(const mg_admission_request *req, const char *group);

typedef struct mg_admission_decision {
    bool allowed;
    int code;            /* HTTP code in response.status when denied (403, 400); 0 when allowed */
    char reason[32];     /* "Forbidden", "BadRequest"; "" when allowed */
    char *message;       /* heap, may be NULL; the denial reason (or a note when allowed) */
    mg_strlist warnings; /* heap strings, sent as response.warnings */
    const char *rule;    /* static: the rule that decided, for audit lines and metrics */
    json_t *patch;       /* owned: JSONPatch operations (mutating webhook), NULL when none */
} mg_admission_decision;

void mg_admission_decision_init(mg_admission_decision *d);
void mg_admission_decision_free(mg_admission_decision *d);
/* Warnings a response carries at the most, and the bytes of each (a longer one is cut at a
 * character boundary): the API server hands them to the client, which prints each on a line. */
#define MG_ADMISSION_MAX_WARNINGS 16
#define MG_ADMISSION_WARNING_MAX 512
/* Adds a printf-formatted warning; past MG_ADMISSION_MAX_WARNINGS, it is dropped. */
void mg_admission_decision_warn(mg_admission_decision *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The AdmissionReview response body, a new heap string:
 *   {"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":...,"allowed":...,
 *    "status":{"code":403,"reason":"Forbidden","message":"..."},"warnings":[...]}}
 * status appears only when denied or when a message is set; warnings only when there are some
 * (see MG_ADMISSION_MAX_WARNINGS); "patchType":"JSONPatch" and "patch" (the base64 of d->patch)
 * only when allowed with a non-empty patch. uid NULL is sent as "". */
char *mg_admission_response_json(const char *uid, const mg_admission_decision *d);

#endif
