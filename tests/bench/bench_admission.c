/* Benchmark of one big review through the webhook's decision path (driven by
 * hack/bench/bench-webhook-big.sh): an apps/v1 Deployment UPDATE whose pod template has N
 * containers, every image different from the N of the old template (the case an
 * old × new comparison makes quadratic), parsed by the webhook's own parser (webhook/review_load)
 * and decided by mg_admission_decide over the production index on empty stores.
 *
 *   bench_admission N REPEAT
 *
 * Prints "admission N BODY_BYTES CPU_SECONDS_PER_REVIEW ALLOWED". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "core/mem.h"
#include "policy/admission.h"
#include "policy/index.h"
#include "webhook/review_load.c"

static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A Deployment with n containers whose images carry the given letter. */
static void deployment(mg_buf *b, long n, char letter) {
    mg_buf_printf(b,
                  "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"big\","
                  "\"namespace\":\"ml\"},\"spec\":{\"replicas\":1,\"template\":{\"spec\":{\"containers\":[");
    for (long i = 0; i < n; i++)
        mg_buf_printf(b, "%s{\"name\":\"c%ld\",\"image\":\"registry.example.com/apps/svc-%c%ld:1.0\"}",
                      i ? "," : "", i, letter, i);
    mg_buf_printf(b, "]}}}}");
}

int main(int argc, char **argv) {
    mg_mem_init();
    long n = argc > 1 ? atol(argv[1]) : 5000, repeat = argc > 2 ? atol(argv[2]) : 3;
    mg_buf body;
    mg_buf_init(&body, 64u << 20);
    mg_buf_printf(&body,
                  "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{"
                  "\"uid\":\"u\",\"kind\":{\"group\":\"apps\",\"version\":\"v1\",\"kind\":\"Deployment\"},"
                  "\"resource\":{\"group\":\"apps\",\"version\":\"v1\",\"resource\":\"deployments\"},"
                  "\"name\":\"big\",\"namespace\":\"ml\",\"operation\":\"UPDATE\",\"userInfo\":{\"username\":"
                  "\"alice\"},\"object\":");
    deployment(&body, n, 'b');
    mg_buf_printf(&body, ",\"oldObject\":");
    deployment(&body, n, 'a');
    mg_buf_printf(&body, "}}");
    mg_policy_stores stores = {.modelversions = mg_store_new(), .modelreviews = mg_store_new()};
    if (mg_policy_stores_add_indexes(&stores, NULL) != 0) return 1;
    mg_admission_index ix;
    mg_policy_index_init(&ix, &stores);
    mg_policy_config cfg;
    mg_policy_config_defaults(&cfg);
    mg_strlist_push(&cfg.model_repositories, "registry.example.com/models/");
    double start = cpu_now();
    int allowed = 0;
    for (long r = 0; r < repeat; r++) {
        json_t *root = NULL;
        mg_admission_request req;
        memset(&req, 0, sizeof req);
        mg_error err;
        if (mg_review_load(body.data, body.len, &root, &err) != 0 ||
            mg_admission_review_from_json(root, &req, &err) != 0) {
            fprintf(stderr, "bench_admission: %s\n", err.message);
            return 1;
        }
        mg_admission_decision d;
        mg_admission_decision_init(&d);
        mg_admission_input in = {.req = &req, .cfg = &cfg, .index = &ix};
        mg_admission_decide(&in, &d);
        allowed = d.allowed;
        mg_admission_decision_free(&d);
        mg_admission_request_free(&req);
    }
    double per = (cpu_now() - start) / (double)repeat;
    printf("admission %ld %zu %.6f %d\n", n, body.len, per, allowed);
    mg_policy_config_free(&cfg);
    mg_store_free(stores.modelversions);
    mg_store_free(stores.modelreviews);
    mg_buf_free(&body);
    return 0;
}
