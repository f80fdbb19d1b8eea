/* kubectl modelgov report: reads what the cluster records about one ModelVersion (and, with
 * --prometheus-url, the operator's per-model gauges over time) and writes the governance report
 * (src/report: the pure document and its HTML/Markdown renderings) to stdout. */
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/mem.h"
#include "k8s/client.h"
#include "k8s/kubeconfig.h"
#include "plugin/cli.h"
#include "plugin/commands.h"
#include "promapi/promapi.h"
#include "report/report.h"

#define DEFAULT_SINCE "30d"
#define PROMETHEUS_TIMEOUT_MS 30000
#define MAX_PLOT_DEPLOYMENTS 32
#define MS_PER_DAY 86400000LL

static const char report_help[] =
    "Usage: kubectl modelgov report (MODELVERSION | mv/NAME | md/NAME) [-o html|md|json|yaml]\n"
    "       [--prometheus-url URL] [--since 30d] [--until TIME]\n"
    "\n"
    "Writes the governance record of one model version to stdout: identity (image, digest, author),\n"
    "lineage (training run with parameters, metrics and code revision; datasets with digest, source,\n"
    "license, privacy attestation and bias scan per group with the four-fifths verdict), every review\n"
    "and how approval was reached, where and when it ran, the baseline and the latest evaluation\n"
    "against every threshold, incidents (alerts, quarantine with its evidence, releases) and the\n"
    "retraining that followed. md/NAME reports the version a ModelDeployment runs.\n"
    "\n"
    "  -o html (default)        one self-contained page: inline CSS and SVG, no script, printable\n"
    "  -o md                    the same content as Markdown (plots as summary tables; also -o table)\n"
    "  -o json | yaml           the document (schema modelgov.io/report/v1, see the README)\n"
    "  --prometheus-url URL     plot the operator's gauges (accuracy, F1, PSI of the worst features,\n"
    "                           fairness) with their warn and quarantine thresholds, from Prometheus'\n"
    "                           query_range; without it the report has no plots\n"
    "  --since DURATION         how far back the plots go (default 30d; 12h, 90m, 2w; never before\n"
    "                           the version was created)\n"
    "  --until TIME             the plots end at TIME (RFC 3339, default now): reports made at\n"
    "                           different moments with the same --until plot the same points\n"
    "  --from-file FILE         render a report saved with -o json again (no cluster needed)\n"
    "\n"
    "Examples:\n"
    "  kubectl modelgov report credit-scorer-1-1-0 > credit-scorer-1.1.0.html\n"
    "  kubectl modelgov report md/credit-scorer --prometheus-url http://prometheus:9090 --since 7d > r.html\n"
    "  kubectl modelgov report mv/credit-scorer-1-0-0 -o md > credit-scorer-1.0.0.md\n"
    "  kubectl modelgov report mv/credit-scorer-1-0-0 -o json | jq '.incidents'\n"
    "  kubectl modelgov report --from-file archive/credit-scorer-1.0.0.json -o html > r.html\n";

/* "30d", "2w", or a Go duration ("12h", "90m", "1h30m") → ms; -1 when invalid. */
static int64_t parse_since(const char *s) {
    char *end = NULL;
    long long n = strtoll(s, &end, 10);
    if (end != s && n > 0 && (!strcmp(end, "d") || !strcmp(end, "w")))
        return n * MS_PER_DAY * (*end == 'w' ? 7 : 1);
    int64_t ms;
    return mg_clock_parse_duration(s, &ms) == 0 && ms > 0 ? ms : -1;
}

typedef struct inputs {
    json_t *mv, *tr, *dsvs, *revs, *mds, *events, *retrain, *mvs;
} inputs;

static void inputs_free(inputs *x) {
    json_t *all[] = {x->mv, x->tr, x->dsvs, x->revs, x->mds, x->events, x->retrain, x->mvs};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        json_decref(all[i]);
}

/* The items of a LIST, every page (new reference in *out). */
static int list_items(mg_client *c, const mg_gvr *gvr, const char *ns, const char *label, const char *field,
                      json_t **out, mg_error *err) {
    mg_list_opts o = {.label_selector = label, .field_selector = field};
    int rc = mg_k8s_list_items(c, gvr, ns, &o, out, err);
    if (rc) mg_error_wrap(err, "listing %s", gvr->resource);
    return rc;
}

static bool one_of(const char *s, size_t n, const char *const *names) {
    for (size_t i = 0; names[i]; i++)
        if (strlen(names[i]) == n && !strncmp(s, names[i], n)) return true;
    return false;
}

/* TARGET → the ModelVersion's name (heap): NAME, mv/NAME, or md/NAME (what the
 * ModelDeployment runs: status.servingModelVersion, else spec.modelVersion). */
static int resolve(mg_client *c, const char *ns, const char *target, char **mv_name, mg_error *err) {
    static const char *const mv_kinds[] = {"mv", "modelversion", "modelversions", NULL};
    static const char *const md_kinds[] = {"md", "modeldeployment", "modeldeployments", NULL};
    const char *slash = strchr(target, '/');
    const char *name = slash ? slash + 1 : target;
    size_t kl = slash ? (size_t)(slash - target) : 0;
    if (slash && !one_of(target, kl, mv_kinds) && !one_of(target, kl, md_kinds))
        return mg_error_set(err, MG_EINVAL, "%s: the kind must be mv/ or md/", target);
    if (!*name) return mg_error_set(err, MG_EINVAL, "empty name in %s", target);
    if (!slash || one_of(target, kl, mv_kinds)) {
        *mv_name = mg_xstrdup(name);
        return 0;
    }
    json_t *d = NULL;
    int rc = mg_k8s_get(c, &MG_GVR_MODELDEPLOYMENTS, ns, name, NULL, &d, err);
    if (rc) return mg_error_wrap(err, "getting modeldeployment %s", name);
    const char *mv = mg_json_str(d, "status", "servingModelVersion", NULL);
    if (!mv) mv = mg_json_str(d, "spec", "modelVersion", NULL);
    if (mv) *mv_name = mg_xstrdup(mv);
    json_decref(d);
    return mv ? 0 : mg_error_set(err, MG_EINVAL, "modeldeployment %s names no ModelVersion", name);
}

static int fetch(mg_client *c, const char *ns, const char *mv_name, inputs *x, mg_error *err) {
    int rc = mg_k8s_get(c, &MG_GVR_MODELVERSIONS, ns, mv_name, NULL, &x->mv, err);
    if (rc) return mg_error_wrap(err, "getting modelversion %s", mv_name);
    const char *trn = mg_json_str(x->mv, "spec", "trainingRun", NULL);
    if (trn && (rc = mg_k8s_get(c, &MG_GVR_TRAININGRUNS, ns, trn, NULL, &x->tr, err)) && rc != MG_ENOTFOUND)
        return mg_error_wrap(err, "getting trainingrun %s", trn);
    char *sel = mg_xasprintf("%s=%s", MG_LABEL_RETRAINING_OF, mv_name);
    rc = list_items(c, &MG_GVR_DATASETVERSIONS, ns, NULL, NULL, &x->dsvs, err);
    if (!rc) rc = list_items(c, &MG_GVR_MODELREVIEWS, ns, NULL, NULL, &x->revs, err);
    if (!rc) rc = list_items(c, &MG_GVR_MODELDEPLOYMENTS, ns, NULL, NULL, &x->mds, err);
    if (!rc) rc = list_items(c, &MG_GVR_TRAININGRUNS, ns, sel, NULL, &x->retrain, err);
    free(sel);
    /* the namespace's versions: those retraining produced, and those sharing the digest */
    if (!rc) rc = list_items(c, &MG_GVR_MODELVERSIONS, ns, NULL, NULL, &x->mvs, err);
    return rc;
}

/* Events about the version and about each deployment that ran it (field selector per object). */
static int fetch_events(mg_client *c, const char *ns, const json_t *doc, inputs *x, mg_error *err) {
    x->events = json_array();
    json_t *names = json_array();
    const char *name = mg_json_str(doc, "identity", "name", NULL);
    if (name) json_array_append_new(names, json_string(name));
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(doc, "deployments"), i, d) {
        if ((name = mg_json_str(d, "name", NULL))) json_array_append_new(names, json_string(name));
    }
    int rc = 0;
    json_array_foreach(names, i, d) {
        char *field = mg_xasprintf("involvedObject.name=%s", json_string_value(d));
        json_t *items = NULL;
        rc = list_items(c, &MG_GVR_EVENTS, ns, NULL, field, &items, err);
        free(field);
        if (rc) break;
        json_array_extend(x->events, items);
        json_decref(items);
    }
    json_decref(names);
    return rc;
}

/* Adds every plot; a Prometheus failure becomes plotsNote and a warning, never a lost report. */
static void add_plots(json_t *doc, const char *url, const char *cmd) {
    const char *deps[MAX_PLOT_DEPLOYMENTS];
    size_t n = mg_report_plot_deployments(doc, deps, MAX_PLOT_DEPLOYMENTS);
    if (!n) {
        mg_report_set_plots_note(doc, "no deployment served this version in the range");
        return;
    }
    int64_t start = 0, end = 0, step = mg_report_plot_step_ms(doc);
    mg_clock_parse_rfc3339(mg_json_str(doc, "range", "start", NULL), &start);
    mg_clock_parse_rfc3339(mg_json_str(doc, "range", "end", NULL), &end);
    for (size_t i = 0; i < n; i++)
        for (int f = 0; f < MG_REPORT_FIG_COUNT; f++) {
            char *q = mg_report_plot_query(doc, deps[i], (mg_report_figure)f);
            mg_prom_matrix m = {0};
            mg_error err;
            int rc = q ? mg_prom_query_range(url, q, start, end, step, PROMETHEUS_TIMEOUT_MS, &m, &err)
                       : mg_error_set(&err, MG_ETOOBIG, "query too long");
            free(q);
            if (rc) {
                fprintf(stderr, "kubectl-modelgov %s: warning: no plots: %s\n", cmd, err.message);
                json_array_clear(json_object_get(doc, "plots"));
                mg_report_set_plots_note(doc, err.message);
                return;
            }
            mg_report_add_plots(doc, deps[i], (mg_report_figure)f, &m);
            mg_prom_matrix_free(&m);
        }
}

static int write_out(const json_t *doc, const mg_global *g, const char *cmd) {
    if (g->out == MG_OUT_JSON || g->out == MG_OUT_YAML) {
        mg_cli_print(doc, g->out);
    } else {
        /* table (kubectl's default name) is the terminal's view: Markdown reads well as text */
        bool md = g->output && strcmp(g->output, "html");
        char *text = md ? mg_report_markdown(doc) : mg_report_html(doc);
        if (!text) {
            fprintf(stderr, "kubectl-modelgov %s: error: the report is larger than the output cap\n", cmd);
            return MG_EXIT_DATA;
        }
        fputs(text, stdout);
        free(text);
    }
    return 0; /* main fails the command when stdout could not be written */
}

/* A report saved with -o json: its schema must be this one (a later schema may mean things this
 * renderer does not know). */
static int load_saved(const char *path, json_t **doc, mg_error *err) {
    json_error_t jerr;
    *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (!*doc) return mg_error_set(err, MG_EPARSE, "%s: %s (line %d)", path, jerr.text, jerr.line);
    const char *schema = mg_json_str(*doc, "schema", NULL);
    if (!json_is_object(*doc) || !schema || strcmp(schema, MG_REPORT_SCHEMA)) {
        json_decref(*doc);
        *doc = NULL;
        return mg_error_set(err, MG_EPARSE, "%s: not a report of schema %s", path, MG_REPORT_SCHEMA);
    }
    return 0;
}

static json_t *build(const inputs *x, const char *ns, int64_t now, int64_t end, int64_t since_ms) {
    int64_t created = 0, start = end - since_ms;
    if (mg_clock_parse_rfc3339(mg_json_str(x->mv, "metadata", "creationTimestamp", NULL), &created) == 0 &&
        created > start)
        start = created;
    char *gen = mg_xasprintf("kubectl-modelgov %s", MG_VERSION);
    mg_report_input in = {.namespace_ = ns,
                          .mv = x->mv,
                          .training_run = x->tr,
                          .datasets = x->dsvs,
                          .reviews = x->revs,
                          .deployments = x->mds,
                          .events = x->events,
                          .retraining_runs = x->retrain,
                          .model_versions = x->mvs,
                          .generator = gen,
                          .now_ms = now,
                          .end_ms = end,
                          .start_ms = start < end ? start : end};
    json_t *doc = mg_report_build(&in);
    free(gen);
    return doc;
}

/* A report saved with -o json, rendered again. */
static int render_saved(const char *path, const mg_global *g, const char *cmd) {
    json_t *doc = NULL;
    mg_error err;
    int rc = load_saved(path, &doc, &err) ? mg_cli_fail(cmd, &err, MG_EXIT_DATA) : write_out(doc, g, cmd);
    json_decref(doc);
    return rc;
}

/* The report of target from what the cluster records (and Prometheus' gauges with prom), written
 * to stdout. */
static int report_from_cluster(const mg_global *g, const char *target, const char *prom, int64_t since,
                               int64_t until, const char *cmd) {
    mg_rest_config cfg = {0};
    mg_client *c = NULL;
    inputs x = {0};
    json_t *doc = NULL;
    char *mv_name = NULL;
    const char *ns = NULL;
    mg_error err;
    int rc;
    if (mg_plugin_connect(g, &cfg, &c, &ns, &err) || resolve(c, ns, target, &mv_name, &err) ||
        fetch(c, ns, mv_name, &x, &err)) {
        rc = mg_cli_fail(cmd, &err, MG_EXIT_CLUSTER);
        goto done;
    }
    int64_t now = mg_clock_wall_ms(), end = until ? until : now;
    doc = build(&x, ns, now, end, since); /* a first pass names the deployments whose Events matter */
    if (fetch_events(c, ns, doc, &x, &err)) {
        rc = mg_cli_fail(cmd, &err, MG_EXIT_CLUSTER);
        goto done;
    }
    json_decref(doc);
    doc = build(&x, ns, now, end, since);
    if (prom && *prom) add_plots(doc, prom, cmd);
    rc = write_out(doc, g, cmd);
done:
    json_decref(doc);
    inputs_free(&x);
    free(mv_name);
    mg_rest_config_free(&cfg);
    mg_client_free(c);
    return rc;
}

int mg_cmd_report(int argc, char **argv) {
    const char *prom = NULL, *since_s = DEFAULT_SINCE, *until_s = NULL, *from = NULL;
    const mg_opt opts[] = {{"prometheus-url", 0, MG_OPT_VALUE, &prom},
                           {"since", 0, MG_OPT_VALUE, &since_s},
                           {"until", 0, MG_OPT_VALUE, &until_s},
                           {"from-file", 0, MG_OPT_VALUE, &from},
                           {NULL, 0, 0, NULL}};
    static const char *const formats[] = {"html", "md", "markdown", NULL};
    const char *cmd = argv[0];
    mg_global g = {.formats = formats};
    mg_strvec ops = {0};
    int rc = mg_cli_parse(argc, argv, opts, &g, &ops, cmd);
    if (rc || g.help) {
        if (g.help) mg_cli_help(stdout, report_help);
        mg_strvec_free(&ops);
        return rc;
    }
    int64_t since = parse_since(since_s), until = 0;
    bool until_bad = until_s && (mg_clock_parse_rfc3339(until_s, &until) || until <= 0);
    if (from && ops.n == 0)
        rc = render_saved(from, &g, cmd);
    else if (ops.n != 1 || from)
        rc = mg_cli_usage_error(
            cmd, "expected one MODELVERSION, mv/NAME or md/NAME (or --from-file alone), got %zu operand(s)",
            ops.n);
    else if (since < 0)
        rc = mg_cli_usage_error(cmd, "--since %s is not a duration (30d, 2w, 12h, 90m)", since_s);
    else if (until_bad)
        rc = mg_cli_usage_error(cmd, "--until %s is not an RFC 3339 time (2026-12-05T10:00:00Z)", until_s);
    else
        rc = report_from_cluster(&g, ops.v[0], prom, since, until, cmd);
    mg_strvec_free(&ops);
    return rc;
}
