/* report/view — the block builders, the title and the identity, lineage and review sections.
 * See view.h. */
#include "report/view.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/mem.h"
#include "core/utf8.h"
#include "report/internal.h"

#define DASH "\u2014"
#define NUM_BUF 32

/* ---- builders ---- */

void mg_view_p(json_t *blocks, const char *tone, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *text = NULL;
    if (vasprintf(&text, fmt, ap) < 0) text = NULL;
    va_end(ap);
    json_t *b = json_pack("{s:s, s:s}", "type", "p", "text", text ? text : "");
    mg_json_set_str(b, "tone", tone);
    json_array_append_new(blocks, b);
    free(text);
}

void mg_view_h3(json_t *blocks, const char *text) {
    json_array_append_new(blocks, json_pack("{s:s, s:s}", "type", "h3", "text", text));
}

json_t *mg_view_kv(json_t *blocks) {
    json_t *rows = json_array();
    json_array_append_new(blocks, json_pack("{s:s, s:o}", "type", "kv", "rows", rows));
    return rows;
}

void mg_view_kv_add(json_t *rows, const char *key, json_t *cell) {
    json_array_append_new(rows, json_pack("[s, o]", key, cell));
}

json_t *mg_view_table(json_t *blocks, const char *caption, const char *const *columns, size_t ncols) {
    json_t *cols = json_array(), *rows = json_array();
    for (size_t i = 0; i < ncols; i++)
        json_array_append_new(cols, json_string(columns[i]));
    json_t *b = json_pack("{s:s, s:o, s:o}", "type", "table", "columns", cols, "rows", rows);
    mg_json_set_str(b, "caption", caption);
    json_array_append_new(blocks, b);
    return rows;
}

void mg_view_row(json_t *rows, size_t n, ...) {
    va_list ap;
    va_start(ap, n);
    json_t *row = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(row, va_arg(ap, json_t *));
    va_end(ap);
    json_array_append_new(rows, row);
}

void mg_view_table_of(json_t *blocks, const char *caption, const mg_view_column *cols, size_t ncols,
                      const json_t *items) {
    json_t *titles = json_array(), *rows = json_array();
    for (size_t c = 0; c < ncols; c++)
        json_array_append_new(titles, json_string(cols[c].title));
    json_t *b = json_pack("{s:s, s:o, s:o}", "type", "table", "columns", titles, "rows", rows);
    mg_json_set_str(b, "caption", caption);
    json_array_append_new(blocks, b);
    size_t i;
    json_t *item;
    json_array_foreach(items, i, item) {
        json_t *row = json_array();
        for (size_t c = 0; c < ncols; c++) {
            const json_t *v = json_object_get(item, cols[c].member);
            const char *s = json_string_value(v);
            json_array_append_new(row, cols[c].kind == MG_VIEW_NUM     ? mg_view_num(v)
                                       : cols[c].kind == MG_VIEW_TONED ? mg_view_cell(s, cols[c].tone(s))
                                                                       : mg_view_str(s));
        }
        json_array_append_new(rows, row);
    }
}

json_t *mg_view_cell(const char *text, const char *tone) {
    if (!tone) return mg_view_str(text);
    return json_pack("{s:s, s:s}", "text", text ? text : DASH, "tone", tone);
}

json_t *mg_view_str(const char *s) { return json_string(s && *s ? s : DASH); }

json_t *mg_view_digest(const char *d) {
    /* "sha256:" and the first 12 hex digits identify a digest for a reader; the JSON has it all */
    static const size_t keep = sizeof "sha256:" - 1 + 12;
    if (!d || strlen(d) <= keep + 1) return mg_view_str(d);
    char *head = mg_xstrndup(d, keep);
    mg_utf8_trim(head); /* the text may come from a saved report: cut at a character boundary */
    char *s = mg_xasprintf("%s\u2026", head);
    json_t *j = mg_json_bytes(s, strlen(s));
    free(head);
    free(s);
    return j;
}

json_t *mg_view_num(const json_t *v) {
    char buf[NUM_BUF];
    return json_is_number(v) ? json_string(mg_rp_num(json_number_value(v), buf, sizeof buf))
                             : json_string(DASH);
}

const char *mg_rp_num(double x, char *buf, size_t n) {
    if (!isfinite(x))
        snprintf(buf, n, "%s", isnan(x) ? "NaN" : x > 0 ? "+Inf" : "-Inf");
    else if (x == floor(x) && fabs(x) < 1e15)
        snprintf(buf, n, "%.0f", x);
    else
        snprintf(buf, n, "%.4g", x);
    return buf;
}

json_t *mg_view_section(json_t *sections, const char *id, const char *title) {
    json_t *blocks = json_array();
    json_array_append_new(sections, json_pack("{s:s, s:s, s:o}", "id", id, "title", title, "blocks", blocks));
    return blocks;
}

/* ---- identity ---- */

static void identity(json_t *sections, const json_t *doc) {
    json_t *id = json_object_get(doc, "identity");
    json_t *b = mg_view_section(sections, "identity", "Identity");
    json_t *kv = mg_view_kv(b);
    mg_view_kv_add(kv, "Model", mg_view_str(mg_json_str(id, "model", NULL)));
    mg_view_kv_add(kv, "Version", mg_view_str(mg_json_str(id, "version", NULL)));
    char *obj = mg_xasprintf("%s/%s", mg_json_str(doc, "namespace", NULL), mg_json_str(id, "name", NULL));
    mg_view_kv_add(kv, "ModelVersion", json_string(obj));
    free(obj);
    mg_view_kv_add(kv, "Image", mg_view_str(mg_json_str(id, "image", NULL)));
    mg_view_kv_add(kv, "Digest", mg_view_str(mg_json_str(id, "digest", NULL)));
    mg_view_kv_add(kv, "Author", mg_view_str(mg_json_str(id, "author", NULL)));
    mg_view_kv_add(kv, "Created", mg_view_str(mg_json_str(id, "created", NULL)));
    mg_view_kv_add(kv, "UID", mg_view_str(mg_json_str(id, "uid", NULL)));
    bool ok = json_is_true(json_object_get(id, "approved"));
    char *ap = ok ? mg_xasprintf("yes, at %s", mg_json_str(id, "approvedAt", NULL) ?: "?") : mg_xstrdup("no");
    mg_view_kv_add(kv, "Approved", mg_view_cell(ap, ok ? "ok" : "warn"));
    free(ap);
    bool q = json_is_true(json_object_get(id, "quarantined"));
    mg_view_kv_add(
        kv, "Quarantined",
        mg_view_cell(q ? mg_json_str(id, "quarantineReason", NULL) ?: "yes" : "no", q ? "bad" : "ok"));
}

/* ---- lineage ---- */

char *mg_rp_join(const json_t *o) {
    mg_rp_out b;
    mg_rp_out_init(&b);
    const char *k;
    json_t *v;
    char num[NUM_BUF];
    json_object_foreach((json_t *)o, k, v) {
        char *dump = NULL;
        const char *s = json_is_string(v)   ? json_string_value(v)
                        : json_is_number(v) ? mg_rp_num(json_number_value(v), num, sizeof num)
                                            : (dump = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY));
        mg_rp_putf(&b, "%s%s=%s", b.b.len ? ", " : "", k, s ? s : "?");
        free(dump);
    }
    return mg_rp_out_steal(&b);
}

static void training_run(json_t *b, const json_t *tr) {
    mg_view_h3(b, "Training run");
    if (!json_is_object(tr)) {
        mg_view_p(b, "warn", "No TrainingRun is recorded for this version (spec.trainingRun is not set).");
        return;
    }
    if (!json_is_true(json_object_get(tr, "found"))) {
        mg_view_p(b, "bad", "TrainingRun %s is named but does not exist.", mg_json_str(tr, "name", NULL));
        return;
    }
    json_t *kv = mg_view_kv(b);
    static const char *const keys[][2] = {
        {"Name", "name"},
        {"Experiment", "experiment"},
        {"Dataset", "datasetVersion"},
        {"Code revision", "codeRevision"},
        {"Phase", "phase"},
        {"Started", "startedAt"},
        {"Completed", "completedAt"},
        {"Job", "jobName"},
        {"Retraining of", "retrainingOf"},
        {"Started by", "startedBy"},
    };
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        const char *v = mg_json_str(tr, keys[i][1], NULL);
        if (v || i < 5) mg_view_kv_add(kv, keys[i][0], mg_view_str(v));
    }
    char *params = mg_rp_join(json_object_get(tr, "params"));
    char *metrics = mg_rp_join(json_object_get(tr, "metrics"));
    mg_view_kv_add(kv, "Parameters", mg_view_str(params));
    mg_view_kv_add(kv, "Metrics", mg_view_str(metrics));
    free(params);
    free(metrics);
}

/* The four-fifths rule's verdict of a group: pass is fine, anything else is not. */
static const char *four_fifths_tone(const char *v) { return v ? (!strcmp(v, "pass") ? "ok" : "bad") : NULL; }

static void bias_scan(json_t *b, const json_t *d) {
    json_t *s = json_object_get(d, "biasScan");
    if (!json_is_object(s)) {
        mg_view_p(b, "warn", "DatasetVersion %s has no bias scan.", mg_json_str(d, "name", NULL));
        return;
    }
    bool passed = json_is_true(json_object_get(s, "passed"));
    json_t *m = json_object_get(s, "fileDigestMatches");
    char *cap =
        mg_xasprintf("Bias scan of %s: %s (%s %s, %s)%s", mg_json_str(d, "name", NULL),
                     passed ? "passed" : "FAILED", mg_json_str(s, "tool", NULL) ?: "?",
                     mg_json_str(s, "toolVersion", NULL) ?: "", mg_json_str(s, "scannedAt", NULL) ?: "?",
                     json_is_false(m) ? " — scanned file digest differs from spec.digest" : "");
    static const mg_view_column cols[] = {
        {"attribute", "attribute", MG_VIEW_STR, NULL},
        {"group", "group", MG_VIEW_STR, NULL},
        {"count", "count", MG_VIEW_NUM, NULL},
        {"share", "share", MG_VIEW_NUM, NULL},
        {"positive rate", "positiveRate", MG_VIEW_NUM, NULL},
        {"disparate impact", "disparateImpact", MG_VIEW_NUM, NULL},
        {"four-fifths", "fourFifths", MG_VIEW_TONED, four_fifths_tone},
    };
    mg_view_table_of(b, cap, cols, sizeof cols / sizeof *cols, json_object_get(s, "groups"));
    free(cap);
}

static void datasets(json_t *b, const json_t *list) {
    mg_view_h3(b, "Datasets");
    if (!json_array_size(list)) {
        mg_view_p(b, "warn", "No DatasetVersion is recorded for this version.");
        return;
    }
    static const char *const cols[] = {"DatasetVersion", "dataset / version", "digest",   "source",
                                       "license",        "privacy",           "parent of"};
    json_t *rows = mg_view_table(b, NULL, cols, 7);
    size_t i;
    json_t *d;
    json_array_foreach(list, i, d) {
        if (!json_is_true(json_object_get(d, "found"))) {
            mg_view_row(rows, 7, mg_view_str(mg_json_str(d, "name", NULL)), mg_view_cell("not found", "bad"),
                        mg_view_str(NULL), mg_view_str(NULL), mg_view_str(NULL), mg_view_str(NULL),
                        mg_view_str(mg_json_str(d, "parentOf", NULL)));
            continue;
        }
        char *dv = mg_xasprintf("%s %s", mg_json_str(d, "dataset", NULL) ?: "?",
                                mg_json_str(d, "version", NULL) ?: "");
        char *src = mg_xasprintf("%s%s%s", mg_json_str(d, "source", "type", NULL) ?: "?",
                                 mg_json_str(d, "source", "origin", NULL) ? ": " : "",
                                 mg_json_str(d, "source", "origin", NULL) ?: "");
        const char *pm = mg_json_str(d, "privacy", "method", NULL);
        mg_view_row(rows, 7, mg_view_str(mg_json_str(d, "name", NULL)), json_string(dv),
                    mg_view_digest(mg_json_str(d, "digest", NULL)), json_string(src),
                    mg_view_str(mg_json_str(d, "source", "license", NULL)),
                    mg_view_cell(pm, !pm || !strcmp(pm, "none") ? "warn" : "ok"),
                    mg_view_str(mg_json_str(d, "parentOf", NULL)));
        free(dv);
        free(src);
    }
    json_array_foreach(list, i, d) {
        if (json_is_true(json_object_get(d, "found"))) bias_scan(b, d);
    }
}

/* ---- reviews ---- */

static const char *verdict_tone(const char *v) {
    if (!v) return NULL;
    if (!strcmp(v, "approve") || !strcmp(v, "release")) return "ok";
    return "bad";
}

static void reviews(json_t *sections, const json_t *doc) {
    json_t *b = mg_view_section(sections, "reviews", "Reviews and approval");
    json_t *ap = json_object_get(doc, "approval");
    bool ok = json_is_true(json_object_get(ap, "approved"));
    mg_view_p(b, ok ? "ok" : "warn", "%s%s%s.", mg_json_str(ap, "message", NULL) ?: "",
              ok ? "; approval completed at " : "", ok ? mg_json_str(ap, "approvedAt", NULL) ?: "?" : "");
    mg_view_p(
        b, NULL,
        "Rule: security, performance and bias each need an approval and no reviewer's standing reject; "
        "only reviews bound to this ModelVersion object (uid and digest) count, and nobody reviews their "
        "own model (the operator and the webhook apply the same rule).");
    long long unbound = mg_json_int(ap, 0, "unboundReviews", NULL);
    if (unbound)
        mg_view_p(
            b, "warn",
            "%lld review(s) name this version but are bound to another object of the same name (deleted "
            "and registered again): they count for nothing.",
            unbound);
    static const char *const cols[] = {"time", "kind", "verdict", "reviewer", "comment", "counts"};
    json_t *rows = mg_view_table(b, NULL, cols, 6);
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(doc, "reviews"), i, r) {
        const char *v = mg_json_str(r, "verdict", NULL);
        bool latest = json_is_true(json_object_get(r, "latest"));
        mg_view_row(rows, 6, mg_view_str(mg_json_str(r, "time", NULL)),
                    mg_view_str(mg_json_str(r, "kind", NULL)), mg_view_cell(v, verdict_tone(v)),
                    mg_view_str(mg_json_str(r, "reviewer", NULL)),
                    mg_view_str(mg_json_str(r, "comment", NULL)),
                    mg_view_cell(latest ? "decides" : "superseded", latest ? NULL : "muted"));
    }
    if (!json_array_size(json_object_get(doc, "reviews"))) mg_view_p(b, "warn", "No review yet.");
}

json_t *mg_rp_view(const json_t *doc) {
    json_t *id = json_object_get(doc, "identity");
    char *title =
        mg_xasprintf("%s %s", mg_json_str(id, "model", NULL) ?: "?", mg_json_str(id, "version", NULL) ?: "?");
    char *sub = mg_xasprintf("Governance report of ModelVersion %s/%s, generated %s by %s",
                             mg_json_str(doc, "namespace", NULL), mg_json_str(id, "name", NULL),
                             mg_json_str(doc, "generatedAt", NULL), mg_json_str(doc, "generator", NULL));
    bool ok = json_is_true(json_object_get(id, "approved")),
         q = json_is_true(json_object_get(id, "quarantined"));
    json_t *badges = json_array();
    json_array_append_new(badges, mg_view_cell(ok ? "approved" : "not approved", ok ? "ok" : "warn"));
    if (q) json_array_append_new(badges, mg_view_cell("quarantined", "bad"));
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(doc, "deployments"), i, d) {
        if (!json_is_true(json_object_get(d, "servingNow"))) continue;
        char *t = mg_xasprintf("serving on %s", mg_json_str(d, "name", NULL));
        json_array_append_new(badges, mg_view_cell(t, "ok"));
        free(t);
    }
    json_t *sections = json_array();
    identity(sections, doc);
    json_t *lin = mg_view_section(sections, "lineage", "Lineage");
    training_run(lin, mg_json_get(doc, "lineage", "trainingRun", NULL));
    datasets(lin, mg_json_get(doc, "lineage", "datasets", NULL));
    reviews(sections, doc);
    mg_view_operations(sections, doc);
    json_t *v = json_pack("{s:s, s:s, s:o, s:o}", "title", title, "subtitle", sub, "badges", badges,
                          "sections", sections);
    free(title);
    free(sub);
    return v;
}
