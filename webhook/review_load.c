#include "webhook/review_load.h"

#include <string.h>

#include "k8s/jsonparse.h"

/* Where a value sits, which decides what of it is kept (MG_JSON_PLAIN: all of it). */
typedef enum {
    C_ROOT = 1,   /* the AdmissionReview */
    C_REQUEST,    /* .request */
    C_USER,       /* .request.userInfo */
    C_OBJECT,     /* .request.object / .oldObject */
    C_META,       /* an object's metadata */
    C_ANNOT,      /* metadata.annotations */
    C_WL_SPEC,    /* spec of Deployment, ReplicaSet, StatefulSet, DaemonSet, Job */
    C_CRON_SPEC,  /* spec of CronJob */
    C_JOB_TMPL,   /* CronJob spec.jobTemplate */
    C_POD_TMPL,   /* a workload's spec.template */
    C_POD_SPEC,   /* a pod spec */
    C_CONTAINERS, /* containers / initContainers / ephemeralContainers */
    C_CONTAINER,  /* one container */
} ctx;

#define FULL MG_JSON_PLAIN
#define SKIP MG_JSON_SKIP
#define KEY_IS(lit) (klen == sizeof(lit) - 1 && !memcmp(k, lit, sizeof(lit) - 1))

/* The built-in kinds whose pod specs and status are pruned. */
typedef enum { K_OTHER = 0, K_POD, K_WORKLOAD, K_CRONJOB } kind_class;

/* From the apiVersion and kind read so far (the API server writes them before spec). */
static kind_class classify(const json_t *obj) {
    const char *api = json_string_value(json_object_get(obj, "apiVersion"));
    const char *kind = json_string_value(json_object_get(obj, "kind"));
    if (!api || !kind) return K_OTHER;
    if (!strcmp(api, "v1") && !strcmp(kind, "Pod")) return K_POD;
    if (!strcmp(api, "apps/v1") && (!strcmp(kind, "Deployment") || !strcmp(kind, "ReplicaSet") ||
                                    !strcmp(kind, "StatefulSet") || !strcmp(kind, "DaemonSet")))
        return K_WORKLOAD;
    if (!strcmp(api, "batch/v1") && !strcmp(kind, "Job")) return K_WORKLOAD;
    if (!strcmp(api, "batch/v1") && !strcmp(kind, "CronJob")) return K_CRONJOB;
    return K_OTHER;
}

static int object_member(const char *k, size_t klen, const json_t *obj) {
    if (KEY_IS("metadata")) return C_META;
    kind_class kc = KEY_IS("spec") || KEY_IS("status") ? classify(obj) : K_OTHER;
    if (KEY_IS("spec"))
        return kc == K_POD ? C_POD_SPEC : kc == K_WORKLOAD ? C_WL_SPEC : kc == K_CRONJOB ? C_CRON_SPEC : FULL;
    if (KEY_IS("status") && kc != K_OTHER) return SKIP;
    return FULL;
}

/* What to do with member k of an object in context c: the keep rules of review_load.h. */
static int member(void *ud, int c, const char *k, size_t klen, const json_t *obj) {
    (void)ud;
    switch (c) {
    case C_ROOT: return KEY_IS("request") ? C_REQUEST : FULL;
    case C_REQUEST:
        if (KEY_IS("object") || KEY_IS("oldObject")) return C_OBJECT;
        if (KEY_IS("userInfo")) return C_USER;
        if (KEY_IS("options") || KEY_IS("requestKind") || KEY_IS("requestResource") ||
            KEY_IS("requestSubResource"))
            return SKIP;
        return FULL;
    case C_USER: return (KEY_IS("username") || KEY_IS("groups")) ? FULL : SKIP;
    case C_OBJECT: return object_member(k, klen, obj);
    case C_META:
        if (KEY_IS("managedFields")) return SKIP;
        return KEY_IS("annotations") ? C_ANNOT : FULL;
    case C_ANNOT: return KEY_IS("kubectl.kubernetes.io/last-applied-configuration") ? SKIP : FULL;
    case C_WL_SPEC: return KEY_IS("template") ? C_POD_TMPL : FULL;
    case C_CRON_SPEC: return KEY_IS("jobTemplate") ? C_JOB_TMPL : FULL;
    case C_JOB_TMPL:
        if (KEY_IS("metadata")) return C_META;
        return KEY_IS("spec") ? C_WL_SPEC : FULL;
    case C_POD_TMPL:
        if (KEY_IS("metadata")) return C_META;
        return KEY_IS("spec") ? C_POD_SPEC : FULL;
    case C_POD_SPEC:
        if (KEY_IS("containers") || KEY_IS("initContainers") || KEY_IS("ephemeralContainers"))
            return C_CONTAINERS;
        return KEY_IS("serviceAccountName") ? FULL : SKIP;
    case C_CONTAINER: return (KEY_IS("name") || KEY_IS("image")) ? FULL : SKIP;
    default: return FULL;
    }
}

static int item(void *ud, int c) {
    (void)ud;
    return c == C_CONTAINERS ? C_CONTAINER : FULL;
}

int mg_review_load(const char *text, size_t len, json_t **out, mg_error *err) {
    static const mg_json_opts opts = {.reject_duplicates = true,
                                      .container_root = true,
                                      .root_ctx = C_ROOT,
                                      .member = member,
                                      .item = item};
    *out = mg_json_parse(text, len, &opts, err);
    return *out ? 0 : MG_EPARSE;
}
