/* Benchmark of operator/evaluate (driven by hack/bench/bench-evaluate.sh): one evaluation round
 * over MODELS live ModelDeployments, as the operator runs it every interval.
 *
 *   bench_evaluate FILE
 *
 * FILE (little endian) = uint64 M, F, B; then M*F*B doubles of baseline proportions; M*F*B
 * doubles of scraped cumulative bucket increases (the B-1 edges 0..B-2 plus +Inf); M*8
 * prediction increases [model][attribute race|sex][group a|b][prediction 0|1]; M*8 feedback
 * increases (attribute sex) [model][group a|b][actual 0|1][predicted 0|1]. Baseline accuracy
 * is 0.9 for every model.
 *
 * The inputs are built as the operator holds them (mg_baseline parsed once per ModelVersion,
 * mg_model_metrics after the scrape) before the clock starts. Timed, per model:
 * mg_eval_window (bins, PSI, KS, JS for every feature, accuracy, F1, fairness, breaches),
 * mg_breach_tracker_update, mg_eval_result_json + json_dumps and mg_breach_tracker_status_json
 * (what the controller compares with the stored status). Prints
 *   "evaluate CHECKSUM CPU_SECONDS EVAL_ONLY_CPU_SECONDS BREACHES"
 * where CHECKSUM = sum over models of (sum over features of PSI+KS+JS) + accuracy + F1 + DP
 * difference and disparate impact of both attributes + equal opportunity difference of sex. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The bench binaries link only libmodelgov.a, not the operator's objects. */
#include "operator/evaluate.c"

static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double *read_doubles(FILE *f, size_t n) {
    double *v = mg_xmalloc(n * sizeof(double));
    if (fread(v, sizeof(double), n, f) != n) {
        fprintf(stderr, "bench_evaluate: short file\n");
        exit(1);
    }
    return v;
}

static void add_pred(mg_model_metrics *m, const char *attr, const char *group, const char *pred, double v) {
    mg_pred_series *s = &m->predictions[m->npredictions++];
    s->attribute = mg_xstrdup(attr);
    s->group = mg_xstrdup(group);
    s->prediction = mg_xstrdup(pred);
    s->value = v;
}

static void add_feedback(mg_model_metrics *m, const char *group, const char *actual, const char *pred,
                         double v) {
    mg_feedback_series *s = &m->feedback[m->nfeedback++];
    s->attribute = mg_xstrdup("sex");
    s->group = mg_xstrdup(group);
    s->actual = mg_xstrdup(actual);
    s->predicted = mg_xstrdup(pred);
    s->value = v;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: bench_evaluate FILE\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    uint64_t hdr[3];
    if (fread(hdr, sizeof(uint64_t), 3, f) != 3 || !hdr[0] || !hdr[1] || hdr[2] < 2) {
        fprintf(stderr, "bench_evaluate: bad header\n");
        return 1;
    }
    size_t M = hdr[0], F = hdr[1], B = hdr[2], k = B - 1;
    double *props = read_doubles(f, M * F * B), *cum = read_doubles(f, M * F * B);
    double *pred = read_doubles(f, M * 8), *fb = read_doubles(f, M * 8);
    fclose(f);

    static const char *const attrs[2] = {"race", "sex"}, *const groups[2] = {"a", "b"},
                             *const cls[2] = {"0", "1"};
    mg_baseline *bases = mg_xcalloc(M, sizeof(*bases));
    mg_model_metrics *wins = mg_xcalloc(M, sizeof(*wins));
    for (size_t m = 0; m < M; m++) {
        mg_baseline *b = &bases[m];
        b->present = b->has_accuracy = true;
        b->accuracy = 0.9;
        b->features = mg_xcalloc(F, sizeof(*b->features));
        b->nfeatures = F;
        mg_model_metrics *w = &wins[m];
        w->features = mg_xcalloc(F, sizeof(*w->features));
        w->nfeatures = F;
        for (size_t j = 0; j < F; j++) {
            char name[32];
            snprintf(name, sizeof(name), "feature_%02zu", j);
            mg_baseline_feature *bf = &b->features[j];
            bf->name = mg_xstrdup(name);
            bf->nedges = k;
            bf->edges = mg_xmalloc(k * sizeof(double));
            bf->proportions = mg_xmalloc(B * sizeof(double));
            mg_feature_hist *h = &w->features[j];
            h->feature = mg_xstrdup(name);
            h->nbuckets = B;
            h->le = mg_xmalloc(B * sizeof(double));
            h->cum = mg_xmalloc(B * sizeof(double));
            for (size_t i = 0; i < B; i++) {
                if (i < k) bf->edges[i] = h->le[i] = (double)i;
                bf->proportions[i] = props[(m * F + j) * B + i];
                h->cum[i] = cum[(m * F + j) * B + i];
            }
            h->le[k] = INFINITY;
            h->count = h->cum[k];
            h->has_count = true;
        }
        w->predictions = mg_xcalloc(8, sizeof(*w->predictions));
        w->feedback = mg_xcalloc(4 * 2, sizeof(*w->feedback));
        for (int a = 0; a < 2; a++)
            for (int g = 0; g < 2; g++)
                for (int p = 0; p < 2; p++)
                    add_pred(w, attrs[a], groups[g], cls[p], pred[m * 8 + a * 4 + g * 2 + p]);
        for (int g = 0; g < 2; g++)
            for (int act = 0; act < 2; act++)
                for (int p = 0; p < 2; p++)
                    add_feedback(w, groups[g], cls[act], cls[p], fb[m * 8 + g * 4 + act * 2 + p]);
    }
    free(props);
    free(cum);
    free(pred);
    free(fb);

    mg_monitor_spec spec;
    json_t *sj =
        json_loads("{\"minSamples\": 500, \"warn\": {\"maxPSI\": 0.1, \"maxKS\": 0.1, \"maxJSDistance\": 0.1,"
                   " \"minAccuracy\": 0.85, \"minF1\": 0.8, \"maxAccuracyDrop\": 0.05,"
                   " \"maxDemographicParityDiff\": 0.1, \"minDisparateImpact\": 0.8,"
                   " \"maxEqualOpportunityDiff\": 0.1}, \"quarantine\": {\"maxPSI\": 0.25,"
                   " \"minAccuracy\": 0.75}}",
                   0, NULL);
    if (mg_monitor_spec_parse(sj, &spec, NULL) != 0) return 1;
    json_decref(sj);
    mg_breach_tracker *trackers = mg_xcalloc(M, sizeof(*trackers));

    /* eval only */
    double check = 0, c0 = cpu_now();
    size_t breaches = 0;
    for (size_t m = 0; m < M; m++) {
        mg_eval_result r;
        mg_eval_window(&bases[m], &wins[m], &spec, &r);
        for (size_t j = 0; j < r.nfeatures; j++)
            check += r.features[j].psi + r.features[j].ks + r.features[j].js;
        check += r.accuracy + r.f1;
        for (size_t a = 0; a < r.nfairness; a++)
            check += r.fairness[a].dp_diff + r.fairness[a].disparate_impact + r.fairness[a].eo_diff;
        breaches += r.nbreaches;
        mg_eval_result_free(&r);
    }
    double eval_only = cpu_now() - c0;

    /* the full round */
    c0 = cpu_now();
    size_t bytes = 0;
    for (size_t m = 0; m < M; m++) {
        mg_eval_result r;
        mg_eval_window(&bases[m], &wins[m], &spec, &r);
        mg_breach_tracker_update(&trackers[m], &r, spec.consecutive, 1000);
        json_t *j = mg_eval_result_json(&r, "2026-11-26T12:00:00Z");
        json_t *st = mg_breach_tracker_status_json(&trackers[m]);
        char *d = json_dumps(j, JSON_COMPACT);
        bytes += strlen(d);
        free(d);
        json_decref(j);
        json_decref(st);
        mg_eval_result_free(&r);
    }
    double full = cpu_now() - c0;
    printf("evaluate %.17g %.6f %.6f %zu\n", check, full, eval_only, breaches);
    fprintf(
        stderr,
        "bench_evaluate: %zu models x %zu features x %zu bins, %zu breaches, %zu bytes of lastEvaluation\n",
        M, F, B, breaches, bytes);

    for (size_t m = 0; m < M; m++) {
        mg_baseline_free(&bases[m]);
        mg_model_metrics_free(&wins[m]);
        mg_breach_tracker_free(&trackers[m]);
    }
    free(bases);
    free(wins);
    free(trackers);
    mg_monitor_spec_free(&spec);
    return 0;
}
