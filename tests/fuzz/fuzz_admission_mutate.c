/* libFuzzer target for the mutating webhook (/mutate): policy/review parses any body; a parsed
 * request goes through mg_admission_mutate over a small index where ModelVersion "ok" (version
 * 1.0, its tag resolving to its digest) is approved and "q" (0.9) quarantined. For any input:
 *  - the answer allows, and carries "patchType": "JSONPatch" and a base64 patch exactly when
 *    the decision has one;
 *  - every operation replaces, at "<pod spec>/<list>/<i>/image" of the request's object, an image
 *    string S that has no digest with S + "@" + the approved digest;
 *  - the patched object, reviewed again (the API server's reinvocation), gets no patch: a fixed
 *    point, so IfNeeded reinvocation ends;
 *  - the validating side admits the patched object (nothing is pinned that it would refuse). */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "core/mem.h"
#include "policy/admission.h"

#define APPROVED "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define QUARANTINED "sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
#define REPO "registry.example.com/models/m"

static json_t *mvs, *reviews;

static json_t *with(json_t *arr, const char *k1, const char *k2, const char *v) {
    json_t *out = json_array();
    size_t i;
    json_t *o;
    json_array_foreach(arr, i, o) {
        const char *have = json_string_value(json_object_get(json_object_get(o, k1), k2));
        if (have && !strcmp(have, v)) json_array_append(out, o);
    }
    return out;
}
static json_t *mv_version(void *ctx, const char *ns, const char *repo, const char *v) {
    return with(mvs, "spec", "version", v);
}
static json_t *mv_digest(void *ctx, const char *ns, const char *d) { return with(mvs, "spec", "digest", d); }
static json_t *mv_model(void *ctx, const char *ns, const char *m) { return with(mvs, "spec", "model", m); }
static json_t *mv_name(void *ctx, const char *ns, const char *n) {
    json_t *all = with(mvs, "metadata", "name", n), *one = json_incref(json_array_get(all, 0));
    json_decref(all);
    return one;
}
static bool known(void *ctx, const char *ns, const char *repo) { return strstr(repo, "models") != NULL; }
static json_t *revs_uid(void *ctx, const char *ns, const char *uid) {
    return with(reviews, "spec", "modelVersionUID", uid);
}
static json_t *revs_digest(void *ctx, const char *ns, const char *d) {
    return with(reviews, "spec", "digest", d);
}
static json_t *none(void *ctx, const char *ns, const char *n) { return NULL; }
static json_t *no_workload(void *ctx, const char *ns, const char *resource, const char *n) { return NULL; }
/* tag 1.0 resolves to the approved digest, 0.9 to the quarantined one, a tag starting with 9 fails */
static int resolve(void *ctx, const mg_imageref *ref, char *digest, size_t len, mg_error *err) {
    if (ref->tag[0] == '9') return mg_error_set(err, MG_ECONNECT, "down");
    snprintf(digest, len, "%s", !strcmp(ref->tag, "1.0") ? APPROVED : QUARANTINED);
    return 0;
}

static const mg_admission_index ix = {.mv_by_version = mv_version,
                                      .repo_known = known,
                                      .mv_by_model = mv_model,
                                      .mv_by_name = mv_name,
                                      .reviews_of_uid = revs_uid,
                                      .reviews_of_digest = revs_digest,
                                      .mvs_of_digest = mv_digest,
                                      .dataset = none,
                                      .dataset_referrers = none,
                                      .modeldeployment = none,
                                      .workload = no_workload,
                                      .resolve_tag = resolve};

static json_t *review(const char *uid, const char *kind, const char *reviewer, const char *digest) {
    return json_pack("{s:{s:s, s:s}, s:{s:s, s:s, s:s, s:s, s:s, s:s}}", "metadata", "name", kind,
                     "creationTimestamp", "2026-11-26T10:00:00Z", "spec", "modelVersion", uid + 4,
                     "modelVersionUID", uid, "digest", digest, "kind", kind, "verdict", "approve", "reviewer",
                     reviewer);
}

static void init(void) {
    mg_mem_init();
    mvs = json_pack("[{s:{s:s, s:s, s:{s:s}}, s:{s:s, s:s, s:s, s:s}},"
                    " {s:{s:s, s:s, s:{s:s}}, s:{s:s, s:s, s:s, s:s}, s:{s:b}}]",
                    "metadata", "name", "ok", "uid", "uid-ok", "annotations", "mlops.modelgov.io/author",
                    "bob", "spec", "model", "m", "version", "1.0", "image", REPO, "digest", APPROVED,
                    "metadata", "name", "q", "uid", "uid-q", "annotations", "mlops.modelgov.io/author", "bob",
                    "spec", "model", "m", "version", "0.9", "image", REPO, "digest", QUARANTINED, "status",
                    "quarantined", 1);
    reviews = json_array();
    const char *kinds[] = {"security", "performance", "bias"}, *who[] = {"alice", "carol", "erin"};
    for (int k = 0; k < 3; k++) {
        json_array_append_new(reviews, review("uid-ok", kinds[k], who[k], APPROVED));
        json_array_append_new(reviews, review("uid-q", kinds[k], who[k], QUARANTINED));
    }
}

static void policy(mg_policy_config *cfg);

/* The world is one where pinning happens: a Pod by the approved tag gets a patch. */
static void self_check(void) {
    const char *body = "{\"apiVersion\":\"admission.k8s.io/"
                       "v1\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"u\",\"kind\":{\"group\":"
                       "\"\",\"version\":\"v1\",\"kind\":"
                       "\"Pod\"},\"resource\":{\"group\":\"\",\"version\":\"v1\",\"resource\":\"pods\"},"
                       "\"namespace\":\"ml\",\"operation\":\"CREATE\",\"userInfo\":{\"username\":\"alice\"},"
                       "\"object\":{\"metadata\":{\"name\":\"p\"},\"spec\":{\"containers\":[{\"name\":"
                       "\"m\",\"image\":\"" REPO ":1.0\"}]}}}}";
    mg_admission_request req;
    if (mg_admission_review_parse(body, strlen(body), &req, NULL) != 0) abort();
    mg_policy_config cfg;
    policy(&cfg);
    mg_admission_input in = {&req, &cfg, &ix, NULL};
    mg_admission_decision d;
    mg_admission_decision_init(&d);
    mg_admission_mutate(&in, &d);
    if (!d.patch) abort();
    mg_admission_decision_free(&d);
    mg_policy_config_free(&cfg);
    mg_admission_request_free(&req);
}

static void policy(mg_policy_config *cfg) {
    mg_policy_config_defaults(cfg);
    mg_strlist_push(&cfg->model_repositories, "registry.example.com/models/");
}

/* The operations of response.patch as the API server decodes them; NULL when there is none. */
static json_t *decoded_patch(const char *resp, const mg_admission_decision *d) {
    json_t *j = json_loads(resp, 0, NULL);
    if (!j) abort();
    json_t *r = json_object_get(j, "response");
    if (!json_is_true(json_object_get(r, "allowed"))) abort();
    const char *b64 = json_string_value(json_object_get(r, "patch"));
    const char *type = json_string_value(json_object_get(r, "patchType"));
    if (!b64 != !d->patch || !b64 != !type || (type && strcmp(type, "JSONPatch"))) abort();
    json_t *ops = NULL;
    if (b64) {
        size_t n = strlen(b64);
        unsigned char *text = mg_xmalloc(n / 4 * 3 + 1);
        int len = EVP_DecodeBlock(text, (const unsigned char *)b64, (int)n);
        while (len > 0 && text[len - 1] == '\0') /* the padding decodes to NULs */
            len--;
        ops = len > 0 ? json_loadb((const char *)text, (size_t)len, 0, NULL) : NULL;
        if (!ops || !json_equal(ops, d->patch)) abort();
        free(text);
    }
    json_decref(j);
    return ops;
}

/* The member of obj at JSON pointer path (no escapes: the paths are made of plain names). */
static json_t *at(json_t *obj, const char *path) {
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    json_t *cur = obj;
    for (char *save = NULL, *tok = strtok_r(buf, "/", &save); tok && cur; tok = strtok_r(NULL, "/", &save))
        cur = json_is_array(cur) ? json_array_get(cur, strtoul(tok, NULL, 10)) : json_object_get(cur, tok);
    return cur;
}

/* Applies each replace to a copy of the request's object and checks what it replaced. */
static json_t *apply(const json_t *object, const json_t *ops) {
    json_t *patched = json_deep_copy(object);
    size_t i;
    json_t *op;
    json_array_foreach(ops, i, op) {
        const char *path = json_string_value(json_object_get(op, "path"));
        const char *value = json_string_value(json_object_get(op, "value"));
        if (strcmp(json_string_value(json_object_get(op, "op")), "replace") || !path || !value) abort();
        if (strcmp(path + strlen(path) - strlen("/image"), "/image")) abort();
        json_t *old = at(patched, path);
        if (!json_is_string(old) || strchr(json_string_value(old), '@')) abort();
        size_t n = strlen(json_string_value(old));
        if (strncmp(value, json_string_value(old), n) || strcmp(value + n, "@" APPROVED)) abort();
        json_string_set(old, value);
    }
    return patched;
}

/* The body of the same review with object replaced. */
static char *with_object(const uint8_t *data, size_t size, json_t *object) {
    /* duplicate keys: the two parsers may keep different ones, so such a body is not re-read */
    json_t *root = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(json_object_get(root, "request"))) {
        json_decref(root);
        return NULL;
    }
    json_object_set(json_object_get(root, "request"), "object", object);
    char *s = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    return s;
}

/* The patched review, decided again by both sides: no new patch, and admitted. */
static void check_patched(const char *body, const mg_policy_config *cfg) {
    mg_admission_request req;
    if (mg_admission_review_parse(body, strlen(body), &req, NULL) != 0) abort();
    mg_admission_input in = {&req, cfg, &ix, NULL};
    mg_admission_decision d;
    mg_admission_decision_init(&d);
    mg_admission_mutate(&in, &d);
    if (d.patch) abort();
    mg_admission_decision_free(&d);
    mg_admission_decision_init(&d);
    mg_admission_decide(&in, &d);
    if (!d.allowed) abort();
    mg_admission_decision_free(&d);
    mg_admission_request_free(&req);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static int ready;
    if (!ready) {
        init();
        self_check();
        ready = 1;
    }
    mg_admission_request req;
    mg_error err;
    if (mg_admission_review_parse((const char *)data, size, &req, &err) != 0) {
        mg_admission_request_free(&req);
        return 0;
    }
    mg_policy_config cfg;
    policy(&cfg);
    mg_admission_input in = {&req, &cfg, &ix, NULL};
    mg_admission_decision d;
    mg_admission_decision_init(&d);
    mg_admission_mutate(&in, &d);
    char *resp = mg_admission_response_json(req.uid, &d);
    json_t *ops = decoded_patch(resp, &d);
    if (ops) {
        json_t *patched = apply(req.object, ops);
        char *body = with_object(data, size, patched);
        if (body) check_patched(body, &cfg);
        free(body);
        json_decref(patched);
        json_decref(ops);
    }
    free(resp);
    mg_admission_decision_free(&d);
    mg_policy_config_free(&cfg);
    mg_admission_request_free(&req);
    return 0;
}
