/* report/internal — helpers shared by the report's builder and renderers (not a public API).
 *
 * Owns: nothing. Every function is pure; JSON arguments are borrowed, returned json_t are new
 * references, returned strings are borrowed from their argument unless said otherwise. */
#ifndef MG_REPORT_INTERNAL_H
#define MG_REPORT_INTERNAL_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/json.h"

/* Every rendered page and document is bounded; a report is a few hundred kilobytes. */
#define MG_REPORT_MAX_BYTES (64u << 20)

/* RFC 3339 → Unix ms; -1 when s is NULL or not a time. */
int64_t mg_rp_time(const char *s);
/* Unix ms → "2026-11-26T11:40:09Z" as a new JSON string. */
json_t *mg_rp_time_json(int64_t ms);

/* The entries of md.status.history for mv_name: [{from, to?, reason, endReason?}] (new). */
json_t *mg_rp_served(const json_t *md, const char *mv_name);
/* True when t lies in one of the served intervals [from, to] (an open one ends at end_ms). */
bool mg_rp_in_served(const json_t *served, int64_t t_ms, int64_t end_ms);
/* The deployment entry of doc.deployments named name, or NULL. */
json_t *mg_rp_doc_deployment(const json_t *doc, const char *name);
/* Its monitoring entry (doc.monitoring.deployments[] by name), or NULL. */
json_t *mg_rp_doc_monitoring(const json_t *doc, const char *name);

/* A threshold of spec.monitoring: its name, the lastEvaluation member it reads, what it is
 * judged per (NULL: the whole model; "feature"; "attribute") and its direction. */
typedef struct mg_rp_threshold {
    const char *name;    /* "minAccuracy" */
    const char *eval;    /* "accuracy" (top level), "psi" (features[]), "disparateImpact" (fairness{}) */
    const char *subject; /* NULL, "feature", "attribute" */
    bool is_min;         /* breach when value < threshold (else value > threshold) */
} mg_rp_threshold;
extern const mg_rp_threshold mg_rp_thresholds[];
extern const size_t mg_rp_nthresholds;
const mg_rp_threshold *mg_rp_threshold_find(const char *name);

/* The document's parts (report_lineage.c, report_monitor.c): new objects. */
struct mg_report_input;
json_t *mg_rp_lineage(const struct mg_report_input *in);
json_t *mg_rp_monitoring(const struct mg_report_input *in, const json_t *doc);
json_t *mg_rp_incidents(const struct mg_report_input *in, const json_t *doc);
json_t *mg_rp_retraining(const struct mg_report_input *in);
/* Steals arr; returns its elements sorted by (time, name) members in a new array. */
json_t *mg_rp_sorted(json_t *arr);

/* "key=value, ..." of an object's members (numbers for people, nested values as compact JSON);
 * a new heap string, NULL past the output cap. */
char *mg_rp_join(const json_t *o);
/* The element of arr whose metadata.name is name (borrowed), or NULL. */
const json_t *mg_rp_find_object(const json_t *arr, const char *name);
/* Copies string fields: for each {key, path...} whose path (up to 3 keys) is a string in src. */
typedef struct mg_rp_field {
    const char *key, *p1, *p2, *p3;
} mg_rp_field;
void mg_rp_copy_fields(json_t *o, const json_t *src, const mg_rp_field *fields, size_t n);
/* Copies the members of src named in members[0..n) to o (new references), leaving out absent and
 * null ones. */
void mg_rp_copy_members(json_t *o, const json_t *src, const char *const *members, size_t n);
/* A new array of fn(item) for each item of arr (fn returns a new reference). */
json_t *mg_rp_map(const json_t *arr, json_t *(*fn)(const json_t *item));

/* A number formatted for people: up to 4 significant digits ("0.9134", "1.2e-05", "12"). */
const char *mg_rp_num(double x, char *buf, size_t n);
/* The view: the document as titled sections of paragraphs, key/value lists, tables and plots
 * (new object, see view.c), shared by the HTML and Markdown renderers. */
json_t *mg_rp_view(const json_t *doc);
/* An output being written: the first failed append (the MG_REPORT_MAX_BYTES cap) sticks in rc
 * and every later write is skipped, so a renderer checks once at the end. */
typedef struct mg_rp_out {
    mg_buf b;
    int rc;
} mg_rp_out;
void mg_rp_out_init(mg_rp_out *o);
void mg_rp_put(mg_rp_out *o, const char *s);
void mg_rp_putn(mg_rp_out *o, const char *s, size_t n);
void mg_rp_putf(mg_rp_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* s with &, <, >, " and ' escaped for HTML/SVG text and attribute values. */
void mg_rp_put_html(mg_rp_out *o, const char *s);
/* The text written (a new heap string), or NULL when a write failed (o is reset either way). */
char *mg_rp_out_steal(mg_rp_out *o);
/* One plot of doc.plots as an SVG element. */
void mg_rp_svg(mg_rp_out *out, const json_t *plot);

#endif
