/* Unit tests for policy/index: admission decisions over real k8s/store caches (plain and compact),
 * checking the index keys: normalised repositories, namespaces, reviews, dataset referrers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/yaml.h"
#include "policy/index.h"

#define DA "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define DB "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static json_t *y(const char *text) {
    json_t *v = NULL;
    mg_error e;
    if (mg_yaml_load(text, strlen(text), "case", &v, &e) != 0) {
        printf("%s\n", e.message);
        abort();
    }
    return v;
}

static void put(mg_store *s, const char *text) {
    json_t *o = y(text);
    mg_store_put(s, o);
    json_decref(o);
}

static int resolve(void *ctx, const mg_imageref *ref, char *digest, size_t len, mg_error *err) {
    if (strcmp(ref->name, "docker.io/library/fraud-hub") == 0 && strcmp(ref->tag, "2.0") == 0) {
        snprintf(digest, len, "%s", DB);
        return 0;
    }
    return mg_error_set(err, MG_ENOTFOUND, "manifest unknown");
}

/* A review bound (uid, digest) to ModelVersion mv, as the webhook admits it. */
#define REV(n, mv, dg, kind, who)                                                                            \
    "{metadata: {name: " n                                                                                   \
    ", namespace: ml, creationTimestamp: '2026-11-26T10:00:00Z'}, spec: {modelVersion: " mv                  \
    ", modelVersionUID: uid-" mv ", digest: '" dg "', kind: " kind ", verdict: approve, reviewer: " who "}}"

static void fill(mg_policy_stores *s) {
    put(s->modelversions,
        "{metadata: {name: fraud-1, namespace: ml, uid: uid-fraud-1}, spec: {model: fraud, "
        "version: '1.0', image: "
        "'registry.example.com/models/fraud', digest: '" DA "', datasetVersion: ds-1, trainingRun: tr-1}}");
    put(s->modelversions, "{metadata: {name: hub-2, namespace: ml, uid: uid-hub-2}, spec: {model: hub, "
                          "version: '2.0', image: 'fraud-hub', "
                          "digest: '" DB "'}}");
    put(s->modelversions,
        "{metadata: {name: bad-image, namespace: ml}, spec: {model: x, version: '1', image: 'Bad/Image:1', "
        "digest: '" DB "'}}");
    const char *revs[] = {
        REV("a", "fraud-1", DA, "security", "alice"),  REV("b", "fraud-1", DA, "performance", "carol"),
        REV("c", "fraud-1", DA, "bias", "erin"),       REV("d", "hub-2", DB, "security", "alice"),
        REV("e", "hub-2", DB, "performance", "carol"), REV("f", "hub-2", DB, "bias", "erin")};
    for (size_t i = 0; i < 6; i++)
        put(s->modelreviews, revs[i]);
    put(s->datasetversions,
        "{metadata: {name: ds-1, namespace: ml}, spec: {digest: '" DA
        "', privacy: {method: anonymized}}, status: "
        "{biasScan: {passed: true, fileDigest: '" DA "', tool: {name: kubectl-modelgov}}}}");
    put(s->datasetversions, "{metadata: {name: ds-2, namespace: ml}, spec: {parents: [ds-0, ds-1]}}");
    put(s->namespaces, "{metadata: {name: ml}}");
    put(s->namespaces, "{metadata: {name: gone, deletionTimestamp: '2026-11-26T12:00:00Z'}}");
    put(s->trainingruns, "{metadata: {name: tr-1, namespace: ml}, spec: {datasetVersion: ds-1}}");
    put(s->modeldeployments, "{metadata: {name: md-1, namespace: ml}, spec: {modelVersion: fraud-1}}");
    put(s->deployments, "{metadata: {name: dep-1, namespace: ml}, spec: {replicas: 1, template: {spec: "
                        "{containers: [{name: m, "
                        "image: 'registry.example.com/models/fraud@" DA "'}]}}}}");
}

typedef struct {
    const char *ns, *op, *resource, *sub, *name, *object, *old;
    int allowed;
    const char *substr;
} icase;

#define POD(img) "{metadata: {name: p}, spec: {containers: [{name: m, image: '" img "'}]}}"
static const icase icases[] = {
    {"ml", "CREATE", "pods", "", "p", POD("registry.example.com/models/fraud@" DA), NULL, 1, NULL},
    {"ml", "CREATE", "pods", "", "p", POD("registry.example.com/models/fraud:1.0"), NULL, 0,
     "tag 1.0 does not exist"},
    {"other", "CREATE", "pods", "", "p", POD("registry.example.com/models/fraud@" DA), NULL, 0,
     "not registered"},
    {"ml", "CREATE", "pods", "", "p", POD("docker.io/fraud-hub:2.0"), NULL, 1, NULL},
    {"ml", "CREATE", "pods", "", "p", POD("index.docker.io/library/fraud-hub@" DB), NULL, 1, NULL},
    {"ml", "CREATE", "pods", "", "p", POD("fraud-hub:latest"), NULL, 0, "'latest'"},
    {"ml", "CREATE", "pods", "", "p", POD("fraud-hub:3.0"), NULL, 0, "unknown tag"},
    {"other", "CREATE", "pods", "", "p", POD("fraud-hub:latest"), NULL, 0,
     "'latest'"}, /* prefixes are global */
    {"ml", "DELETE", "datasetversions", "", "ds-1", NULL, "{metadata: {name: ds-1}}", 0,
     "referenced by TrainingRun tr-1, ModelVersion fraud-1, DatasetVersion ds-2"},
    {"ml", "DELETE", "datasetversions", "", "ds-0", NULL, "{metadata: {name: ds-0}}", 0,
     "referenced by DatasetVersion ds-2"},
    {"ml", "DELETE", "trainingruns", "", "tr-1", NULL, "{metadata: {name: tr-1}}", 0,
     "TrainingRun tr-1 is referenced by ModelVersion fraud-1"},
    {"ml", "DELETE", "modelreviews", "", "a", NULL, "{metadata: {name: a}}", 0, "append-only"},
    {"gone", "DELETE", "modelreviews", "", "a", NULL, "{metadata: {name: a}}", 1, NULL},
    {"ml", "UPDATE", "deployments", "scale", "dep-1", "{spec: {replicas: 3}}", "{spec: {replicas: 1}}", 1,
     NULL},
    {"ml", "CREATE", "modelreviews", "", "r",
     "{metadata: {name: r}, spec: {modelDeployment: md-1, modelVersionUID: uid-fraud-1, digest: '" DA
     "', kind: incident, verdict: confirm, reviewer: zed}}",
     NULL, 1, NULL},
    {"ml", "CREATE", "modelreviews", "", "r",
     "{metadata: {name: r}, spec: {modelDeployment: md-1, modelVersionUID: uid-hub-2, digest: '" DB
     "', kind: incident, verdict: confirm, reviewer: zed}}",
     NULL, 0, "spec.modelVersionUID: uid-fraud-1"},
    {"ml", "CREATE", "trainingruns", "", "t", "{metadata: {name: t}, spec: {datasetVersion: ds-1}}", NULL, 1,
     NULL},
    {"ml", "CREATE", "modelversions", "", "n",
     "{metadata: {name: n, annotations: {mlops.modelgov.io/author: zed}}, spec: {model: fraud, version: "
     "'1.0', image: 'registry.example.com/models/x', digest: '" DA "'}}",
     NULL, 0, "already registered in namespace ml as ModelVersion fraud-1"},
};

static void run_cases(bool compact) {
    mg_policy_stores s = {0};
    s.modelversions = compact ? mg_store_new_compact() : mg_store_new();
    s.modelreviews = compact ? mg_store_new_compact() : mg_store_new();
    s.datasetversions = mg_store_new();
    s.trainingruns = mg_store_new();
    s.modeldeployments = mg_store_new();
    s.deployments = mg_store_new();
    s.namespaces = mg_store_new();
    s.resolve_tag = resolve;
    assert_int_equal(mg_policy_stores_add_indexes(&s, NULL), 0);
    fill(&s);
    mg_admission_index ix;
    mg_policy_index_init(&ix, &s);
    mg_policy_config cfg;
    mg_policy_config_defaults(&cfg);
    mg_strlist_push(&cfg.model_repositories, "registry.example.com/models/");
    mg_strlist_push(&cfg.model_repositories, "docker.io/library/fraud-hub");
    int failures = 0;
    for (size_t i = 0; i < sizeof(icases) / sizeof(*icases); i++) {
        const icase *c = &icases[i];
        bool g = strcmp(c->resource, "pods") && strcmp(c->resource, "deployments");
        const char *grp = !strcmp(c->resource, "deployments") ? "apps" : g ? MG_API_GROUP : "";
        json_t *req = json_pack("{s:s, s:{s:s, s:s}, s:{s:s, s:s, s:s}, s:s, s:s, s:s, s:s, s:{s:s}}", "uid",
                                "u", "kind", "group", grp, "kind", "X", "resource", "group", grp, "version",
                                "v1", "resource", c->resource, "subResource", c->sub, "name", c->name,
                                "namespace", c->ns, "operation", c->op, "userInfo", "username", "zed");
        json_object_set_new(req, "object", c->object ? y(c->object) : json_null());
        json_object_set_new(req, "oldObject", c->old ? y(c->old) : json_null());
        json_t *root = json_pack("{s:s, s:s, s:o}", "apiVersion", "admission.k8s.io/v1", "kind",
                                 "AdmissionReview", "request", req);
        char *body = json_dumps(root, JSON_COMPACT);
        json_decref(root);
        mg_admission_request r;
        mg_error err;
        assert_int_equal(mg_admission_review_parse(body, strlen(body), &r, &err), 0);
        mg_admission_input in = {&r, &cfg, &ix, NULL};
        mg_admission_decision d;
        mg_admission_decision_init(&d);
        mg_admission_decide(&in, &d);
        if ((int)d.allowed != c->allowed || (c->substr && (!d.message || !strstr(d.message, c->substr)))) {
            printf("%s case %zu: allowed=%d rule=%s message=%s\n", compact ? "compact" : "plain", i,
                   d.allowed, d.rule, d.message ? d.message : "");
            failures++;
        }
        mg_admission_decision_free(&d);
        mg_admission_request_free(&r);
        free(body);
    }
    mg_policy_config_free(&cfg);
    mg_store_free(s.modelversions);
    mg_store_free(s.modelreviews);
    mg_store_free(s.datasetversions);
    mg_store_free(s.trainingruns);
    mg_store_free(s.modeldeployments);
    mg_store_free(s.deployments);
    mg_store_free(s.namespaces);
    assert_int_equal(failures, 0);
}

static void test_plain(void **state) {
    (void)state;
    run_cases(false);
}
static void test_compact(void **state) {
    (void)state;
    run_cases(true);
}

static void test_null_stores(void **state) {
    (void)state;
    mg_policy_stores s = {0};
    assert_int_equal(mg_policy_stores_add_indexes(&s, NULL), 0);
    mg_admission_index ix;
    mg_policy_index_init(&ix, &s);
    assert_null(ix.mv_by_name(ix.ctx, "ml", "x"));
    assert_false(ix.repo_known(ix.ctx, "ml", "r.io/x"));
    json_t *refs = ix.dataset_referrers(ix.ctx, "ml", "d");
    assert_int_equal(json_array_size(refs), 0);
    json_decref(refs);
    refs = ix.trainingrun_referrers(ix.ctx, "ml", "t");
    assert_int_equal(json_array_size(refs), 0);
    json_decref(refs);
    assert_null(ix.namespace_(ix.ctx, "ml"));
    assert_null(ix.reviews_of_uid(ix.ctx, "ml", "u"));
    mg_imageref ref;
    assert_int_equal(mg_imageref_parse("r.io/x:1", &ref, NULL), 0);
    char dg[200];
    mg_error e;
    assert_int_equal(ix.resolve_tag(ix.ctx, &ref, dg, sizeof(dg), &e), MG_ECONNECT);
    /* indexes cannot be added once a store has objects */
    mg_store *st = mg_store_new();
    json_t *o = json_pack("{s:{s:s, s:s}}", "metadata", "name", "a", "namespace", "ml");
    mg_store_put(st, o);
    json_decref(o);
    s.modelreviews = st;
    assert_int_equal(mg_policy_stores_add_indexes(&s, &e), MG_EINVAL);
    mg_store_free(st);
}

int main(void) {
    mg_mem_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain),
        cmocka_unit_test(test_compact),
        cmocka_unit_test(test_null_stores),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
