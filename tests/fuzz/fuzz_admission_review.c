/* libFuzzer target for the webhook's request path: policy/review parses any body; a parsed
 * request goes through mg_admission_decide (over a small fixed index with an approved and a
 * quarantined ModelVersion) and mg_admission_response_json, whose output must be JSON echoing
 * the uid, allowed exactly when the decision says so. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "policy/admission.h"

static json_t *mvs, *reviews;

static json_t *all_mvs(void *ctx, const char *ns, const char *a, const char *b) { return json_incref(mvs); }
static json_t *mvs_digest(void *ctx, const char *ns, const char *d) { return json_incref(mvs); }
static bool known(void *ctx, const char *ns, const char *repo) { return strstr(repo, "models") != NULL; }
static json_t *by_model(void *ctx, const char *ns, const char *m) { return json_incref(mvs); }
static json_t *by_name(void *ctx, const char *ns, const char *n) {
    return json_incref(json_array_get(mvs, n[0] == 'q'));
}
static json_t *revs(void *ctx, const char *ns, const char *key) { return json_incref(reviews); }
static json_t *none(void *ctx, const char *ns, const char *n) { return NULL; }
static json_t *no_namespace(void *ctx, const char *name) { return NULL; }
static json_t *dep(void *ctx, const char *ns, const char *resource, const char *n) {
    return json_pack("{s:{s:i, s:{s:{s:[{s:s, s:s}]}}}}", "spec", "replicas", 1, "template", "spec",
                     "containers", "name", "m", "image",
                     "registry.example.com/models/q@sha256:"
                     "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc");
}
static int resolve(void *ctx, const mg_imageref *ref, char *digest, size_t len, mg_error *err) {
    if (ref->tag[0] == '1') return mg_error_set(err, MG_ECONNECT, "down");
    snprintf(digest, len, "sha256:%064d", 0);
    return 0;
}

static void init(void) {
    mg_mem_init();
    const char *text =
        "[{\"metadata\":{\"name\":\"ok\",\"uid\":\"u-ok\",\"annotations\":{\"mlops.modelgov.io/"
        "author\":\"bob\"}},\"spec\":{\"model\":\"m\","
        "\"version\":\"1.0\",\"image\":\"registry.example.com/models/m\",\"digest\":\"sha256:"
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}},"
        "{\"metadata\":{\"name\":\"q\"},\"spec\":{\"model\":\"m\",\"version\":\"0.9\",\"image\":\"registry."
        "example.com/models/m\","
        "\"digest\":\"sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc\"},\"status\":{"
        "\"quarantined\":true}}]";
    mvs = json_loads(text, 0, NULL);
    /* bound to ModelVersion "ok" (uid and digest), as the webhook admits reviews */
#define BOUND                                                                                                \
    "\"modelVersionUID\":\"u-ok\",\"digest\":\"sha256:"                                                      \
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\","
    reviews =
        json_loads("[{\"metadata\":{\"name\":\"a\",\"creationTimestamp\":\"2026-11-26T10:00:00Z\"},\"spec\":"
                   "{" BOUND "\"kind\":\"security\",\"verdict\":\"approve\",\"reviewer\":\"alice\"}},"
                   "{\"metadata\":{\"name\":\"b\"},\"spec\":{" BOUND
                   "\"kind\":\"performance\",\"verdict\":\"approve\",\"reviewer\":\"carol\"}},"
                   "{\"metadata\":{\"name\":\"c\"},\"spec\":{" BOUND
                   "\"kind\":\"bias\",\"verdict\":\"approve\",\"reviewer\":\"erin\"}}]",
                   0, NULL);
    if (!mvs || !reviews) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static int ready;
    if (!ready) {
        init();
        ready = 1;
    }
    mg_admission_request req;
    mg_error err;
    if (mg_admission_review_parse((const char *)data, size, &req, &err) != 0) {
        if (err.message[0] == '\0' || err.http_status != 400) abort();
        mg_admission_request_free(&req);
        return 0;
    }
    mg_policy_config cfg;
    mg_policy_config_defaults(&cfg);
    mg_strlist_push(&cfg.model_repositories, "registry.example.com/models/");
    cfg.require_model_deployment = size & 1;
    mg_strlist_push(&cfg.reviewer_groups[MG_REVIEW_BIAS], "ethics");
    mg_admission_index ix = {.mv_by_version = all_mvs,
                             .repo_known = known,
                             .mv_by_model = by_model,
                             .mv_by_name = by_name,
                             .reviews_of_uid = revs,
                             .reviews_of_digest = revs,
                             .mvs_of_digest = mvs_digest,
                             .dataset = none,
                             .dataset_referrers = none,
                             .trainingrun_referrers = none,
                             .namespace_ = no_namespace,
                             .modeldeployment = none,
                             .workload = dep,
                             .resolve_tag = resolve};
    cfg.operator_service_account = mg_xstrdup("modelgov-system:modelgov-operator");
    mg_admission_input in = {&req, &cfg, &ix, (size & 2) ? "mlops.example.io" : NULL};
    mg_admission_decision d;
    mg_admission_decision_init(&d);
    mg_admission_decide(&in, &d);
    char *resp = mg_admission_response_json(req.uid, &d);
    json_t *j = json_loads(resp, 0, NULL);
    if (!j) abort();
    json_t *r = json_object_get(j, "response");
    if (strcmp(json_string_value(json_object_get(r, "uid")), req.uid) != 0) abort();
    if (json_is_true(json_object_get(r, "allowed")) != d.allowed) abort();
    if (!d.allowed && !d.message) abort();
    json_decref(j);
    free(resp);
    mg_admission_decision_free(&d);
    mg_policy_config_free(&cfg);
    mg_admission_request_free(&req);
    return 0;
}
