/* report — the governance report of one ModelVersion: everything modelgov records about it, as
 * one document (JSON, schema "modelgov.io/report/v1", src/report/report.schema.json), and that
 * document rendered as a self-contained HTML page (inline SVG plots, no script, no external
 * asset; printable) or as Markdown.
 *
 * Owns: no state and no I/O. The caller (kubectl-modelgov report) reads the objects and the
 * Prometheus series; everything here is a pure function of its arguments (time included), so
 * the same inputs always give byte-identical output. JSON arguments are borrowed; every
 * returned json_t and char * is new and owned by the caller. Reentrant; one document is used
 * by one thread at a time.
 *
 * What the document holds (members of the top-level object, in this order):
 *   schema       "modelgov.io/report/v1" — a new member may appear in a later v1 report; a
 *                member is never renamed, retyped or removed without a new schema name
 *   generator, generatedAt, namespace, range {start, end} (the plots' time range)
 *   identity     the ModelVersion: name, uid, model, version, image, digest, author, created,
 *                approved, approvedAt, quarantined, quarantineReason, quarantineEvidence
 *   lineage      trainingRun (experiment, params, metrics, code revision, phase, times, and
 *                retrainingOf when the operator started it) and datasets: the DatasetVersion
 *                the model was trained on and its parents, each with digest, source, license,
 *                privacy attestation and bias scan (one row per group with the four-fifths
 *                verdict: disparate impact >= 0.8)
 *   reviews      every ModelReview bound to the version object (its uid and digest, incident
 *                reviews of a deployment included) and every incident review of its digest,
 *                oldest first; latest marks the review that decides its kind
 *   approval     src/policy/mvstate.h over those records (the operator's and the webhook's own
 *                computation): approved, approvedAt, message, the deciding reviews, quarantined
 *                and why, and how many reviews name the version but are bound to another object
 *   deployments  every ModelDeployment that ran it (or names it): served intervals from
 *                status.history, phase, replicas, whether it serves it now
 *   monitoring   the baseline, and per deployment its settings, the latest evaluation (only
 *                while the deployment serves this version) against every configured threshold
 *                (checks: value, baseline, warn, quarantine, status ok|warn|quarantine|not
 *                evaluated) and the active breaches
 *   plots        with Prometheus: the operator's per-model gauges over the range, only while a
 *                deployment served this version, with the warn and quarantine thresholds;
 *                plotsNote says why there are none
 *   incidents    Warning Events of the version and of its deployments while they served it,
 *                the quarantine with its evidence, incident reviews (confirm/release), oldest
 *                first
 *   retraining   origin (the run and quarantined version this one was retrained from) and
 *                followed (runs the operator started after this version's quarantine, and the
 *                versions they produced, approved or promoted) */
#ifndef MG_REPORT_REPORT_H
#define MG_REPORT_REPORT_H
#include <jansson.h>
#include <stdint.h>

#include "promapi/promapi.h"

#define MG_REPORT_SCHEMA "modelgov.io/report/v1"

typedef struct mg_report_input {
    const char *namespace_;
    const json_t *mv;              /* the ModelVersion (required) */
    const json_t *training_run;    /* its spec.trainingRun, or NULL when unset or not found */
    const json_t *datasets;        /* array: the namespace's DatasetVersions */
    const json_t *reviews;         /* array: the namespace's ModelReviews */
    const json_t *deployments;     /* array: the namespace's ModelDeployments */
    const json_t *events;          /* array: Events about the version and its deployments */
    const json_t *retraining_runs; /* array: TrainingRuns labelled retraining-of=<this version> */
    const json_t *model_versions;  /* array: the namespace's ModelVersions (retraining results, and
                                      the versions sharing the digest, whose quarantine is shared) */
    const char *generator;         /* "kubectl-modelgov 0.1.0" */
    int64_t now_ms;                /* generatedAt (and the end of the range when end_ms is 0) */
    int64_t start_ms;              /* start of the range (plots) */
    int64_t end_ms;                /* end of the range (plots); 0: now_ms */
} mg_report_input;

/* The document without plots (plotsNote says "no Prometheus URL given" until plots are added). */
json_t *mg_report_build(const mg_report_input *in);

/* ---- plots: the operator's per-model gauges (operator/monitor.c) ---------------------------- */

typedef enum {
    MG_REPORT_FIG_ACCURACY = 0, /* modelgov_model_accuracy, threshold minAccuracy */
    MG_REPORT_FIG_F1,           /* modelgov_model_f1, minF1 */
    MG_REPORT_FIG_PSI,          /* modelgov_model_psi per feature (the worst few), maxPSI */
    MG_REPORT_FIG_FAIRNESS,     /* modelgov_model_fairness: one plot per fairness metric */
    MG_REPORT_FIG_COUNT
} mg_report_figure;

/* Deployments of the document whose served intervals overlap the range (borrowed strings
 * inside doc), in document order; returns how many were written to names (at most max). */
size_t mg_report_plot_deployments(const json_t *doc, const char **names, size_t max);
/* The PromQL selecting figure f of one deployment running this version (the gauges' labels
 * namespace, modeldeployment, modelversion); a new heap string, NULL only past the output cap. */
char *mg_report_plot_query(const json_t *doc, const char *deployment, mg_report_figure f);
/* The step of every range query: whole seconds, at most MG_REPORT_PLOT_POINTS per series. */
int64_t mg_report_plot_step_ms(const json_t *doc);
#define MG_REPORT_PLOT_POINTS 240
/* Adds the plot(s) of figure f for one deployment from the query's answer: points outside
 * the intervals in which the deployment served this version are dropped, the thresholds come
 * from the deployment's spec.monitoring. */
void mg_report_add_plots(json_t *doc, const char *deployment, mg_report_figure f, const mg_prom_matrix *m);
/* Records why there are no plots (e.g. Prometheus unreachable): plotsNote. */
void mg_report_set_plots_note(json_t *doc, const char *note);

/* ---- rendering ---------------------------------------------------------------------------- */

/* The document as one HTML page (UTF-8, inline CSS and SVG, no script). New heap string. */
char *mg_report_html(const json_t *doc);
/* The same content as Markdown (plots as summary tables). New heap string. */
char *mg_report_markdown(const json_t *doc);

#endif
