/* libFuzzer target for promtext: the Prometheus text parser (one-shot and streamed in chunks
 * whose sizes come from the input) and the metric-contract collection, delta and sum. Checks
 * that one-shot and streamed parsing agree on the result code and the sample count. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "promtext/promtext.h"

static int count_sample(const mg_prom_sample *s, void *ud) {
    size_t *n = ud;
    /* touch every borrowed string so ASan sees any bad pointer */
    size_t len = strlen(s->name);
    for (size_t i = 0; i < s->nlabels; i++)
        len += strlen(s->labels[i].name) + strlen(s->labels[i].value);
    *n += 1 + (len & 0);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *text = (const char *)data;
    mg_prom_limits lim = {.max_line = 4096, .max_labels = 16, .max_samples = 10000};
    mg_error err;

    size_t n1 = 0;
    int rc1 = mg_prom_parse(text, size, &lim, count_sample, NULL, &n1, &err);

    /* streamed: chunk sizes 1..16 taken from the input itself */
    size_t n2 = 0;
    mg_prom_parser *p = mg_prom_parser_new(&lim, count_sample, NULL, &n2);
    int rc2 = 0;
    size_t off = 0, k = 0;
    while (off < size && !rc2) {
        size_t chunk = (size_t)(data[k++ % size] & 15) + 1;
        if (chunk > size - off) chunk = size - off;
        rc2 = mg_prom_parser_feed(p, text + off, chunk, &err);
        off += chunk;
    }
    if (!rc2) rc2 = mg_prom_parser_finish(p, &err);
    mg_prom_parser_free(p);
    if (rc1 != rc2 || n1 != n2) abort();

    mg_model_metrics m = {0}, d = {0}, acc = {0};
    if (mg_model_metrics_parse(text, size, &lim, &m, &err) == 0) {
        mg_model_metrics_delta(&m, &m, &d);
        mg_model_metrics_add(&acc, &m);
        mg_model_metrics_add(&acc, &d);
        if (m.nfeatures) {
            const mg_feature_hist *h = &m.features[0];
            double counts[8];
            size_t k2 = h->nbuckets < 7 ? h->nbuckets : 7;
            mg_feature_hist_bins(h, h->le, k2, counts, &err);
        }
        mg_confusion c;
        mg_model_metrics_confusion(&m, NULL, NULL, "1", &c);
    }
    mg_model_metrics_free(&m);
    mg_model_metrics_free(&d);
    mg_model_metrics_free(&acc);
    return 0;
}
