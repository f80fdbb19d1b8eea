/* bench_jsonparse — the project's JSON parser (k8s/jsonparse) against jansson, in one run, on
 * what it reads in production:
 *  - a List page of 500 ModelDeployment-like objects of ~2.4 KB as kube-apiserver sends them
 *    (managedFields, the last-applied annotation): mg_k8s_json_parse(MG_JSON_STRIP_LIST) vs
 *    json_loadb;
 *  - the recorded kube-apiserver 1.28 AdmissionReviews (tests/fixtures/k8s-1.28/admission):
 *    mg_review_load (the webhook's keep rules) vs json_loadb(JSON_REJECT_DUPLICATES).
 * Each is parsed repeatedly for at least MIN_SECONDS of CPU; prints one line of key=value
 * figures in MB/s: list_ours, list_jansson, review_ours, review_jansson.
 * Usage: bench_jsonparse [FIXTURES_DIR] (run from the repository root). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "core/mem.h"
#include "k8s/jsonparse.h"
#include "webhook/review_load.h"

#define MIN_SECONDS 1.0
#define LIST_ITEMS 500
#define TEXT_MAX ((size_t)64 << 20)

static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void list_page(mg_buf *b) {
    mg_buf_append_str(b, "{\"kind\":\"ModelDeploymentList\",\"apiVersion\":\"mlops.modelgov.io/v1alpha1\","
                         "\"metadata\":{\"resourceVersion\":\"9000\"},\"items\":[");
    for (int i = 0; i < LIST_ITEMS; i++)
        mg_buf_printf(
            b,
            "%s{\"apiVersion\":\"mlops.modelgov.io/"
            "v1alpha1\",\"kind\":\"ModelDeployment\",\"metadata\":{\"name\":"
            "\"model-%05d\",\"namespace\":\"team-%02d\",\"uid\":\"6f1c2a3b-%04x-4c2d-9e8f-0123456789ab\","
            "\"resourceVersion\":\"%d\",\"generation\":3,\"creationTimestamp\":\"2026-11-26T11:17:25Z\","
            "\"labels\":"
            "{\"app.kubernetes.io/name\":\"model-%05d\",\"mlops.modelgov.io/"
            "model\":\"fraud\",\"tier\":\"serving\"},"
            "\"annotations\":{\"kubectl.kubernetes.io/"
            "last-applied-configuration\":\"{\\\"apiVersion\\\":\\\"mlops."
            "modelgov.io/"
            "v1alpha1\\\",\\\"kind\\\":\\\"ModelDeployment\\\",\\\"spec\\\":{\\\"replicas\\\":2}}\\n\","
            "\"owner\":\"risk-team@example.com\"},\"managedFields\":[{\"apiVersion\":\"mlops.modelgov.io/"
            "v1alpha1\","
            "\"fieldsType\":\"FieldsV1\",\"fieldsV1\":{\"f:metadata\":{\"f:annotations\":{\".\":{}},\"f:"
            "labels\":"
            "{\".\":{},\"f:team\":{}}},\"f:spec\":{\".\":{},\"f:modelVersion\":{},\"f:replicas\":{}}},"
            "\"manager\":"
            "\"kubectl-client-side-apply\",\"operation\":\"Update\",\"time\":\"2026-11-26T11:17:25Z\"}]},"
            "\"spec\":"
            "{\"modelVersion\":\"fraud-%d-0-0\",\"replicas\":2,\"port\":8080,\"monitoring\":{\"interval\":"
            "\"30s\","
            "\"window\":\"10m\",\"minSamples\":500,\"warn\":{\"maxPSI\":0.1,\"minAccuracy\":0.85},"
            "\"quarantine\":"
            "{\"maxPSI\":0.25}}},\"status\":{\"phase\":\"Serving\",\"replicas\":2,\"readyReplicas\":2,"
            "\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\",\"lastTransitionTime\":\"2026-11-26T11:"
            "20:01Z\","
            "\"reason\":\"Serving\",\"message\":\"2/2 replicas ready \\u2014 \\u00e9t\\u00e9\"}]}}",
            i ? "," : "", i, i % 20, i, 1000 + i, i, i);
    mg_buf_append_str(b, "]}");
}

typedef json_t *(*parse_fn)(const char *text, size_t len);

static json_t *ours_list(const char *t, size_t n) {
    return mg_k8s_json_parse(t, n, MG_JSON_STRIP_LIST, NULL);
}
static json_t *jansson_any(const char *t, size_t n) { return json_loadb(t, n, 0, NULL); }
static json_t *ours_review(const char *t, size_t n) {
    json_t *v = NULL;
    mg_review_load(t, n, &v, NULL);
    return v;
}
static json_t *jansson_strict(const char *t, size_t n) {
    return json_loadb(t, n, JSON_REJECT_DUPLICATES, NULL);
}

/* MB/s of fn over the texts, repeated for at least MIN_SECONDS of CPU. */
static double rate(parse_fn fn, char **texts, size_t *lens, size_t n) {
    double start = cpu_now(), bytes = 0;
    do {
        for (size_t i = 0; i < n; i++) {
            json_t *v = fn(texts[i], lens[i]);
            if (!v) {
                fprintf(stderr, "bench_jsonparse: text %zu refused\n", i);
                exit(1);
            }
            json_decref(v);
            bytes += (double)lens[i];
        }
    } while (cpu_now() - start < MIN_SECONDS);
    return bytes / (cpu_now() - start) / 1048576.0;
}

/* The "body" of every recording, as compact JSON texts. */
static size_t load_reviews(const char *dir, char ***texts, size_t **lens) {
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "bench_jsonparse: no %s\n", dir);
        exit(1);
    }
    size_t n = 0;
    *texts = NULL;
    *lens = NULL;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strstr(e->d_name, ".json")) continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        json_t *rec = json_load_file(path, 0, NULL);
        char *body = rec ? json_dumps(json_object_get(rec, "body"), JSON_COMPACT) : NULL;
        json_decref(rec);
        if (!body) continue;
        *texts = mg_xrealloc(*texts, (n + 1) * sizeof **texts);
        *lens = mg_xrealloc(*lens, (n + 1) * sizeof **lens);
        (*texts)[n] = body;
        (*lens)[n] = strlen(body);
        n++;
    }
    closedir(d);
    return n;
}

int main(int argc, char **argv) {
    mg_mem_init();
    mg_buf page;
    mg_buf_init(&page, TEXT_MAX);
    list_page(&page);
    char *lt[1] = {page.data};
    size_t ll[1] = {page.len};
    char **rt;
    size_t *rl;
    size_t nr = load_reviews(argc > 1 ? argv[1] : "tests/fixtures/k8s-1.28/admission", &rt, &rl);
    printf(
        "list_ours=%.1f list_jansson=%.1f review_ours=%.1f review_jansson=%.1f reviews=%zu list_bytes=%zu\n",
        rate(ours_list, lt, ll, 1), rate(jansson_any, lt, ll, 1), rate(ours_review, rt, rl, nr),
        rate(jansson_strict, rt, rl, nr), nr, page.len);
    for (size_t i = 0; i < nr; i++)
        free(rt[i]);
    free(rt);
    free(rl);
    mg_buf_free(&page);
    return 0;
}
