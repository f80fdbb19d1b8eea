/* Governance (cluster) commands: dataset register, review, quarantine, release, status, lineage,
 * history. Each connects with the global flags (--kubeconfig, --context, -n), reads or creates
 * modelgov resources (api/api.h) through k8s/client, and keeps the API
 * server's Status message in its errors (exit code 4). */
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/json.h"
#include "core/mem.h"
#include "core/utf8.h"
#include "k8s/client.h"
#include "k8s/kubeconfig.h"
#include "data/digest.h"
#include "plugin/cli.h"
#include "plugin/commands.h"

static const mg_gvr gvr_ssr = {"authentication.k8s.io", "v1", "selfsubjectreviews", false};

int mg_plugin_connect(const mg_global *g, mg_rest_config *cfg, mg_client **c, const char **ns,
                      mg_error *err) {
    memset(cfg, 0, sizeof *cfg);
    *c = NULL;
    int rc = mg_rest_config_auto(g->kubeconfig, g->context, cfg, err);
    if (rc) return rc;
    rc = mg_client_new(cfg, c, err);
    if (rc) return rc;
    *ns = g->namespace_ ? g->namespace_ : cfg->namespace ? cfg->namespace : "default";
    return 0;
}

/* The user the API server sees (SelfSubjectReview, GA in 1.28); falls back to the kubeconfig
 * user entry's name when the server does not offer it. Returns a heap string or NULL. */
static char *whoami(mg_client *c, const mg_rest_config *cfg) {
    json_t *req =
        json_pack("{s:s,s:s}", "apiVersion", "authentication.k8s.io/v1", "kind", "SelfSubjectReview");
    json_t *out = NULL;
    char *who = NULL;
    if (mg_k8s_create(c, &gvr_ssr, NULL, req, &out, NULL) == 0) {
        const char *u = mg_json_str(out, "status", "userInfo", "username", NULL);
        if (u && *u) who = mg_xstrdup(u);
    }
    json_decref(req);
    json_decref(out);
    if (!who && cfg->user) who = mg_xstrdup(cfg->user);
    return who;
}

typedef struct session {
    const char *cmd;
    mg_global g;
    mg_strvec ops;
    mg_rest_config cfg;
    mg_client *c;
    const char *ns;
    mg_error err;
    bool read_failed; /* a read that was not a 404 failed: s->err says why */
} session;

static bool is_text(const char *v) { return !v || mg_utf8_valid_prefix(v, strlen(v)) == strlen(v); }

/* A usage error naming the first flag value (or, when operands_are_names, operand) that is not
 * UTF-8 text, or -1 when all are: each of them lands in an API object, and JSON holds only UTF-8. */
static int check_text(const session *s, const mg_opt *opts, bool operands_are_names) {
    for (const mg_opt *o = opts; o->name; o++) {
        const mg_strvec *list = o->kind == MG_OPT_LIST ? o->dest : NULL;
        bool ok = o->kind != MG_OPT_VALUE || is_text(*(const char **)o->dest);
        for (size_t i = 0; list && i < list->n; i++)
            ok = ok && is_text(list->v[i]);
        if (!ok) return mg_cli_usage_error(s->cmd, "--%s: not UTF-8 text", o->name);
    }
    for (size_t i = 0; operands_are_names && i < s->ops.n; i++)
        if (!is_text(s->ops.v[i])) return mg_cli_usage_error(s->cmd, "operand %zu: not UTF-8 text", i + 1);
    return -1;
}

/* Parses and checks the operands: their count, and that they are UTF-8 text unless ops_text names
 * a FILE. Returns -1 to go on, else the exit code (help, usage). */
static int start(session *s, int argc, char **argv, const mg_opt *opts, const char *help, size_t min_ops,
                 size_t max_ops, const char *ops_text) {
    memset(s, 0, sizeof *s);
    s->cmd = argv[0];
    int rc = mg_cli_parse(argc, argv, opts, &s->g, &s->ops, s->cmd);
    if (rc) return rc;
    if (s->g.help) {
        mg_cli_help(stdout, help);
        return 0;
    }
    if (s->ops.n < min_ops || s->ops.n > max_ops)
        return mg_cli_usage_error(s->cmd, "expected %s, got %zu operand(s)", ops_text, s->ops.n);
    return check_text(s, opts, !strstr(ops_text, "FILE"));
}

/* Connects after the command has validated its flags. Returns -1 to go on, else the exit code. */
static int sconnect(session *s) {
    if (mg_plugin_connect(&s->g, &s->cfg, &s->c, &s->ns, &s->err))
        return mg_cli_fail(s->cmd, &s->err, MG_EXIT_CLUSTER);
    return -1;
}

static void finish(session *s) {
    mg_client_free(s->c);
    mg_rest_config_free(&s->cfg);
    mg_strvec_free(&s->ops);
}

static int api_fail(session *s, const char *what) {
    mg_error_wrap(&s->err, "%s", what);
    return mg_cli_fail(s->cmd, &s->err, MG_EXIT_CLUSTER);
}

/* GET of an object that may be missing: true with *out when found; false with *out NULL when the
 * API server says 404, or when the read failed otherwise (then s->read_failed and s->err, wrapped
 * with what was read: a command shows that error rather than an answer built without the object —
 * a status must not say "not quarantined" because the model version could not be read). */
static bool get_if_found(session *s, const mg_gvr *gvr, const char *name, json_t **out) {
    *out = NULL;
    if (s->read_failed) return false;
    mg_error e = {0};
    int rc = mg_k8s_get(s->c, gvr, s->ns, name, NULL, out, &e);
    if (!rc) return true;
    if (rc != MG_ENOTFOUND) {
        s->err = e;
        mg_error_wrap(&s->err, "getting %s %s", gvr->resource, name);
        s->read_failed = true;
    }
    return false;
}

/* ---- dataset register ---- */

/* The command's document: its table under -o table (the default), else JSON or YAML. */
static void emit(const session *s, const json_t *doc, void (*print_table)(const json_t *)) {
    if (s->g.out == MG_OUT_TABLE)
        print_table(doc);
    else
        mg_cli_print(doc, s->g.out);
}

static const char register_help[] =
    "Usage: kubectl modelgov dataset register --name DATASET --version V --source-type TYPE\n"
    "       [--license L] [--origin TEXT] [--uri URI] [--parent DSV]... [--privacy METHOD]\n"
    "       [--report-digest sha256:...] [--quasi a,b] [--k N] [--label COL] [--object-name NAME] FILE\n"
    "\n"
    "Hashes FILE (sha256, streamed) and creates a DatasetVersion with that spec.digest and\n"
    "sizeBytes in the namespace. The object is named DATASET-VERSION (lowercased, other characters\n"
    "replaced by '-') unless --object-name is given, and labelled " MG_LABEL_DATASET "=DATASET.\n"
    "--source-type: anonymized-client|licensed-public|synthetic|internal. --privacy:\n"
    "anonymized|pseudonymized|none (default none; a TrainingRun needs a privacy attestation, so use\n"
    "the digest printed by `pseudonymize` with --report-digest). -o json|yaml prints the object.\n"
    "\n"
    "Examples:\n"
    "  kubectl modelgov dataset register --name loans --version 2026-10 --source-type anonymized-client \\\n"
    "      --license internal --privacy pseudonymized --report-digest sha256:7fbc... loans-2026-10.csv\n"
    "  kubectl modelgov dataset register --name loans --version 2026-11 --source-type internal --parent "
    "dsv/loans-2026-10 loans.csv\n";

static char *dns_name(const char *a, const char *b) {
    char *s = mg_xasprintf("%s-%s", a, b);
    for (char *p = s; *p; p++)
        *p = isalnum((unsigned char)*p) ? (char)tolower((unsigned char)*p) : '-';
    return s;
}

/* The flags of dataset register (borrowed from argv, except the split --quasi columns). */
typedef struct register_args {
    const char *name, *version, *stype, *license, *origin, *uri, *privacy, *rdigest, *kstr, *label, *objname;
    mg_strvec parents, quasi;
} register_args;

/* The DatasetVersion to create (new reference) for a file of that digest and size. */
static json_t *dataset_object(const register_args *a, const char *oname, const char *digest, uint64_t size) {
    json_t *source = json_pack("{s:s}", "type", a->stype);
    mg_json_set_str(source, "license", a->license);
    mg_json_set_str(source, "origin", a->origin);
    json_t *priv = json_pack("{s:s}", "method", a->privacy);
    mg_json_set_str(priv, "reportDigest", a->rdigest);
    if (a->quasi.n) {
        json_t *q = json_array();
        for (size_t i = 0; i < a->quasi.n; i++)
            json_array_append_new(q, json_string(a->quasi.v[i]));
        json_object_set_new(priv, "quasiIdentifiers", q);
    }
    if (a->kstr) json_object_set_new(priv, "k", json_integer(atoll(a->kstr)));
    json_t *par = json_array();
    for (size_t i = 0; i < a->parents.n; i++) {
        const char *p = strchr(a->parents.v[i], '/');
        json_array_append_new(par, json_string(p ? p + 1 : a->parents.v[i]));
    }
    json_t *obj =
        json_pack("{s:s,s:s,s:{s:s,s:{s:s}},s:{s:s,s:s,s:s,s:I,s:o,s:o,s:o}}", "apiVersion",
                  MG_API_GROUP_VERSION, "kind", MG_KIND_DATASETVERSION, "metadata", "name", oname, "labels",
                  MG_LABEL_DATASET, a->name, "spec", "dataset", a->name, "version", a->version, "digest",
                  digest, "sizeBytes", (json_int_t)size, "source", source, "parents", par, "privacy", priv);
    mg_json_set_str(json_object_get(obj, "spec"), "uri", a->uri);
    mg_json_set_str(json_object_get(obj, "spec"), "label", a->label);
    return obj;
}

/* Required flags and the --quasi columns. Returns -1 to go on, else the exit code. */
static int check_register_args(const session *s, register_args *a, const mg_strvec *quasi_raw) {
    if (!a->name || !a->version || !a->stype)
        return mg_cli_usage_error(s->cmd, "--name, --version and --source-type are required");
    for (size_t i = 0; i < quasi_raw->n; i++)
        if (mg_strvec_split(&a->quasi, quasi_raw->v[i]))
            return mg_cli_usage_error(s->cmd, "--quasi: empty column name");
    return -1;
}

int mg_cmd_dataset_register(int argc, char **argv) {
    register_args a = {.privacy = "none"};
    mg_strvec quasi_raw = {0};
    const mg_opt opts[] = {
        {"name", 0, MG_OPT_VALUE, &a.name},
        {"version", 0, MG_OPT_VALUE, &a.version},
        {"source-type", 0, MG_OPT_VALUE, &a.stype},
        {"license", 0, MG_OPT_VALUE, &a.license},
        {"origin", 0, MG_OPT_VALUE, &a.origin},
        {"uri", 0, MG_OPT_VALUE, &a.uri},
        {"parent", 0, MG_OPT_LIST, &a.parents},
        {"privacy", 0, MG_OPT_VALUE, &a.privacy},
        {"report-digest", 0, MG_OPT_VALUE, &a.rdigest},
        {"quasi", 0, MG_OPT_LIST, &quasi_raw},
        {"k", 0, MG_OPT_VALUE, &a.kstr},
        {"label", 0, MG_OPT_VALUE, &a.label},
        {"object-name", 0, MG_OPT_VALUE, &a.objname},
        {NULL, 0, 0, NULL},
    };
    session s;
    json_t *obj = NULL, *out = NULL;
    char *oname = NULL;
    char digest[MG_DIGEST_STR];
    uint64_t size = 0;
    int rc = start(&s, argc, argv, opts, register_help, 1, 1, "one FILE");
    if (rc >= 0 || (rc = check_register_args(&s, &a, &quasi_raw)) >= 0) goto done;
    if (mg_file_sha256(s.ops.v[0], digest, &size, &s.err)) {
        rc = mg_cli_fail(s.cmd, &s.err, MG_EXIT_DATA);
        goto done;
    }
    if ((rc = sconnect(&s)) >= 0) goto done;
    oname = a.objname ? mg_xstrdup(a.objname) : dns_name(a.name, a.version);
    obj = dataset_object(&a, oname, digest, size);
    if (mg_k8s_create(s.c, &MG_GVR_DATASETVERSIONS, s.ns, obj, &out, &s.err)) {
        rc = api_fail(&s, "creating datasetversion");
        goto done;
    }
    if (s.g.out == MG_OUT_TABLE)
        printf("datasetversion/%s created (%s, %llu bytes)\n", oname, digest, (unsigned long long)size);
    else
        mg_cli_print(out, s.g.out);
    rc = 0;
done:
    json_decref(obj);
    json_decref(out);
    free(oname);
    mg_strvec_free(&a.parents);
    mg_strvec_free(&quasi_raw);
    mg_strvec_free(&a.quasi);
    finish(&s);
    return rc;
}

/* ---- review / quarantine / release: ModelReviews ---- */

/* The ModelVersion a review is about: mv itself, or the one ModelDeployment md runs now. Sets
 * spec.modelVersionUID and spec.digest (the webhook admits a review only with the uid and digest
 * of the object reviewed; the operator counts it only for that object). *mv_name receives a
 * borrowed name valid while *mv_obj lives. Returns 0 or the exit code. */
static int bind_review(session *s, json_t *spec, const char *mv, const char *md, json_t **mv_obj,
                       const char **mv_name) {
    json_t *mdo = NULL;
    if (!mv) {
        if (mg_k8s_get(s->c, &MG_GVR_MODELDEPLOYMENTS, s->ns, md, NULL, &mdo, &s->err))
            return api_fail(s, "reading the modeldeployment");
        mv = mg_json_str(mdo, "spec", "modelVersion", NULL);
        if (!mv) {
            json_decref(mdo);
            mg_error_set(&s->err, MG_EINVAL, "modeldeployment %s names no spec.modelVersion", md);
            return mg_cli_fail(s->cmd, &s->err, MG_EXIT_CLUSTER);
        }
    }
    int rc = mg_k8s_get(s->c, &MG_GVR_MODELVERSIONS, s->ns, mv, NULL, mv_obj, &s->err);
    json_decref(mdo);
    if (rc) return api_fail(s, "reading the modelversion");
    const char *uid = mg_json_str(*mv_obj, "metadata", "uid", NULL),
               *digest = mg_json_str(*mv_obj, "spec", "digest", NULL);
    if (uid) json_object_set_new(spec, "modelVersionUID", json_string(uid));
    if (digest) json_object_set_new(spec, "digest", json_string(digest));
    *mv_name = mg_json_str(*mv_obj, "metadata", "name", NULL);
    return 0;
}

static int create_review(session *s, const char *mv, const char *md, const char *kind, const char *verdict,
                         const char *comment, const char *reviewer_flag) {
    char *who = reviewer_flag ? mg_xstrdup(reviewer_flag) : whoami(s->c, &s->cfg);
    if (!who) {
        fprintf(
            stderr,
            "kubectl-modelgov %s: error: cannot tell who you are (no SelfSubjectReview, no kubeconfig user); "
            "pass --reviewer\n",
            s->cmd);
        return MG_EXIT_CLUSTER;
    }
    char *gen = dns_name(mv ? mv : md, kind);
    char *gen2 = mg_xasprintf("%.200s-", gen);
    json_t *spec = json_pack("{s:s,s:s,s:s}", "kind", kind, "verdict", verdict, "reviewer", who);
    if (mv) json_object_set_new(spec, "modelVersion", json_string(mv));
    if (md) json_object_set_new(spec, "modelDeployment", json_string(md));
    if (comment) json_object_set_new(spec, "comment", json_string(comment));
    json_t *obj = json_pack("{s:s,s:s,s:{s:s},s:o}", "apiVersion", MG_API_GROUP_VERSION, "kind",
                            MG_KIND_MODELREVIEW, "metadata", "generateName", gen2, "spec", spec);
    json_t *out = NULL, *target = NULL;
    const char *target_name = NULL;
    int rc = bind_review(s, spec, mv, md, &target, &target_name);
    if (rc) {
        /* exit code already reported */
    } else if (mg_k8s_create(s->c, &MG_GVR_MODELREVIEWS, s->ns, obj, &out, &s->err)) {
        rc = api_fail(s, "creating modelreview");
    } else if (s->g.out == MG_OUT_TABLE) {
        if (mv)
            printf("modelreview/%s created: %s %s of modelversion/%s by %s\n",
                   mg_json_str(out, "metadata", "name", NULL), kind, verdict, mv, who);
        else
            printf("modelreview/%s created: %s %s of modeldeployment/%s (modelversion/%s) by %s\n",
                   mg_json_str(out, "metadata", "name", NULL), kind, verdict, md,
                   target_name ? target_name : "?", who);
    } else {
        mg_cli_print(out, s->g.out);
    }
    json_decref(target);
    json_decref(obj);
    json_decref(out);
    free(gen);
    free(gen2);
    free(who);
    return rc;
}

/* The object name in an operand: "mv/NAME", "md/NAME" or just "NAME". */
static const char *operand_name(const char *op) {
    const char *slash = strchr(op, '/');
    return slash ? slash + 1 : op;
}

/* The common end of review, quarantine and release: the text is required (missing says which
 * flag gives it), then a review of the operand's ModelVersion (or, for_md, ModelDeployment). */
static int file_review(session *s, bool for_md, const char *kind, const char *verdict, const char *text,
                       const char *missing, const char *reviewer) {
    if (!text) return mg_cli_usage_error(s->cmd, "%s", missing);
    int rc = sconnect(s);
    if (rc >= 0) return rc;
    const char *name = operand_name(s->ops.v[0]);
    return create_review(s, for_md ? NULL : name, for_md ? name : NULL, kind, verdict, text, reviewer);
}

static const char review_help[] =
    "Usage: kubectl modelgov review MODELVERSION --kind security|performance|bias (--approve|--reject)\n"
    "       -m TEXT [--reviewer NAME]\n"
    "\n"
    "Creates a ModelReview of the ModelVersion as the current user: the reviewer is the user the API\n"
    "server authenticates (SelfSubjectReview), else the kubeconfig user name, or --reviewer. The\n"
    "webhook refuses a review whose reviewer is not the requesting user, and one by the model's\n"
    "author. The review records the ModelVersion's uid and digest: it counts for that object only.\n"
    "A kind is approved when some reviewer's latest verdict approves it and no reviewer's latest\n"
    "verdict rejects it (a reviewer lifts their own reject with a later review).\n"
    "\n"
    "Examples:\n"
    "  kubectl modelgov review credit-scorer-1-0-0 --kind security --approve -m \"image scanned, no critical "
    "CVEs\"\n"
    "  kubectl modelgov review mv/credit-scorer-1-0-0 --kind bias --reject -m \"four-fifths rule fails for "
    "sex=f\"\n";

int mg_cmd_review(int argc, char **argv) {
    const char *kind = NULL, *msg = NULL, *reviewer = NULL;
    bool approve = false, reject = false;
    const mg_opt opts[] = {{"kind", 0, MG_OPT_VALUE, &kind},         {"approve", 0, MG_OPT_FLAG, &approve},
                           {"reject", 0, MG_OPT_FLAG, &reject},      {"message", 'm', MG_OPT_VALUE, &msg},
                           {"reviewer", 0, MG_OPT_VALUE, &reviewer}, {NULL, 0, 0, NULL}};
    session s;
    int rc = start(&s, argc, argv, opts, review_help, 1, 1, "one MODELVERSION");
    if (rc >= 0) goto done;
    if (!kind || (strcmp(kind, "security") && strcmp(kind, "performance") && strcmp(kind, "bias"))) {
        rc = mg_cli_usage_error(s.cmd, "--kind must be security, performance or bias");
        goto done;
    }
    if (approve == reject) {
        rc = mg_cli_usage_error(s.cmd, "give exactly one of --approve and --reject");
        goto done;
    }
    rc = file_review(&s, false, kind, approve ? "approve" : "reject", msg,
                     "-m TEXT is required (the review's comment)", reviewer);
done:
    finish(&s);
    return rc;
}

static const char quarantine_help[] =
    "Usage: kubectl modelgov quarantine MODELVERSION --reason TEXT [--reviewer NAME]\n"
    "\n"
    "Creates an incident ModelReview with verdict confirm: the operator quarantines the ModelVersion\n"
    "(its deployments scale to zero and the webhook blocks scale-up) until a release.\n"
    "\n"
    "Examples:\n"
    "  kubectl modelgov quarantine credit-scorer-1-0-0 --reason \"leaks customer ids in its output\"\n";

int mg_cmd_quarantine(int argc, char **argv) {
    const char *reason = NULL, *reviewer = NULL;
    const mg_opt opts[] = {{"reason", 0, MG_OPT_VALUE, &reason},
                           {"message", 'm', MG_OPT_VALUE, &reason},
                           {"reviewer", 0, MG_OPT_VALUE, &reviewer},
                           {NULL, 0, 0, NULL}};
    session s;
    int rc = start(&s, argc, argv, opts, quarantine_help, 1, 1, "one MODELVERSION");
    if (rc < 0)
        rc = file_review(&s, false, "incident", "confirm", reason, "--reason TEXT is required", reviewer);
    finish(&s);
    return rc;
}

static const char release_help[] =
    "Usage: kubectl modelgov release MODELDEPLOYMENT -m TEXT [--reviewer NAME]\n"
    "\n"
    "Creates an incident ModelReview with verdict release for the ModelDeployment, bound to the\n"
    "ModelVersion it runs now: lifts that version's quarantine (its digest's, under every\n"
    "ModelVersion that carries it) or the deployment's AwaitingReview phase (human-in-the-loop).\n"
    "\n"
    "Examples:\n"
    "  kubectl modelgov release credit-scorer -m \"seasonal shift, accepted until the next retraining\"\n";

int mg_cmd_release(int argc, char **argv) {
    const char *msg = NULL, *reviewer = NULL;
    const mg_opt opts[] = {
        {"message", 'm', MG_OPT_VALUE, &msg}, {"reviewer", 0, MG_OPT_VALUE, &reviewer}, {NULL, 0, 0, NULL}};
    session s;
    int rc = start(&s, argc, argv, opts, release_help, 1, 1, "one MODELDEPLOYMENT");
    if (rc < 0) rc = file_review(&s, true, "incident", "release", msg, "-m TEXT is required", reviewer);
    finish(&s);
    return rc;
}

/* ---- status ---- */

static const char status_help[] =
    "Usage: kubectl modelgov status [MODELDEPLOYMENT] [-A]\n"
    "\n"
    "One line per ModelDeployment of the namespace (or the one named; -A: of every namespace):\n"
    "model, version, phase, accuracy and worst PSI of the last evaluation, fairness figures,\n"
    "quarantined. A deployment whose ModelVersion does not exist shows - for the model, version and\n"
    "quarantined (null in JSON); a read that fails otherwise is an error (exit 4), never a guess.\n"
    "-o json|yaml: [{namespace, name, model, version, modelVersion, phase, accuracy, maxPSI,\n"
    "worstFeature, fairness, quarantined}].\n"
    "\n"
    "Flags:\n"
    "  -A, --all-namespaces   every namespace the kubeconfig's user may list (a namespace column)\n"
    "\n"
    "Examples:\n"
    "  kubectl modelgov status\n"
    "  kubectl modelgov status -A\n"
    "  kubectl modelgov status credit-scorer -n credit -o json\n";

static void num_cell(json_t *v, char *buf, size_t n) {
    if (json_is_number(v))
        snprintf(buf, n, "%.4g", json_number_value(v));
    else
        snprintf(buf, n, "-");
}

/* "namespace/name" of an object (heap). */
static char *ns_key(const char *ns, const char *name) {
    return mg_xasprintf("%s/%s", ns ? ns : "", name ? name : "");
}

/* What status shows: *mds the ModelDeployments (the one named by the operand, those of the
 * namespace, or of every namespace when ns is NULL) and *mvs "namespace/name" -> the
 * ModelVersions they run (new references). Listing reads the ModelVersions of the same scope in
 * pages, not one GET per deployment. Returns -1 to go on, else the exit code. */
static int status_inputs(session *s, const char *ns, json_t **mds, json_t **mvs) {
    *mvs = json_object();
    if (!s->ops.n) {
        json_t *items = NULL;
        if (mg_k8s_list_items(s->c, &MG_GVR_MODELDEPLOYMENTS, ns, NULL, mds, &s->err))
            return api_fail(s, "listing modeldeployments");
        if (!json_array_size(*mds)) return -1;
        if (mg_k8s_list_items(s->c, &MG_GVR_MODELVERSIONS, ns, NULL, &items, &s->err))
            return api_fail(s, "listing modelversions");
        size_t i;
        json_t *mv;
        json_array_foreach(items, i, mv) {
            char *k = ns_key(mg_json_str(mv, "metadata", "namespace", NULL),
                             mg_json_str(mv, "metadata", "name", NULL));
            json_object_set(*mvs, k, mv);
            free(k);
        }
        json_decref(items);
        return -1;
    }
    json_t *one = NULL, *mv = NULL;
    const char *md = operand_name(s->ops.v[0]);
    if (mg_k8s_get(s->c, &MG_GVR_MODELDEPLOYMENTS, s->ns, md, NULL, &one, &s->err))
        return api_fail(s, "getting modeldeployment");
    *mds = json_pack("[o]", one);
    const char *mvname = mg_json_str(one, "spec", "modelVersion", NULL);
    if (mvname && get_if_found(s, &MG_GVR_MODELVERSIONS, mvname, &mv)) {
        char *k = ns_key(s->ns, mvname);
        json_object_set_new(*mvs, k, mv);
        free(k);
    }
    return s->read_failed ? mg_cli_fail(s->cmd, &s->err, MG_EXIT_CLUSTER) : -1;
}

/* One row of status for md whose ModelVersion is mv (NULL: it does not exist): the -o json|yaml
 * document's element (new reference). */
static json_t *status_row(const json_t *md, const json_t *mv) {
    json_t *ev = mg_json_get(md, "status", "lastEvaluation", NULL);
    json_t *fair = json_object();
    json_t *f = ev ? json_object_get(ev, "fairness") : NULL;
    if (json_is_object(f)) json_object_update(fair, f);
    static const char *const known[] = {"demographicParityDiff", "disparateImpact", "equalOpportunityDiff"};
    for (size_t k = 0; ev && k < sizeof known / sizeof *known; k++)
        if (json_is_number(json_object_get(ev, known[k])))
            json_object_set(fair, known[k], json_object_get(ev, known[k]));
    return json_pack(
        "{s:s?,s:s?,s:s?,s:s?,s:s?,s:s?,s:O?,s:O?,s:s?,s:o,s:o}", "namespace",
        mg_json_str(md, "metadata", "namespace", NULL), "name", mg_json_str(md, "metadata", "name", NULL),
        "model", mv ? mg_json_str(mv, "spec", "model", NULL) : NULL, "version",
        mv ? mg_json_str(mv, "spec", "version", NULL) : NULL, "modelVersion",
        mg_json_str(md, "spec", "modelVersion", NULL), "phase", mg_json_str(md, "status", "phase", NULL),
        "accuracy", ev ? json_object_get(ev, "accuracy") : NULL, "maxPSI",
        ev ? json_object_get(ev, "maxPSI") : NULL, "worstFeature",
        ev ? mg_json_str(ev, "worstFeature", NULL) : NULL, "fairness", fair, "quarantined",
        mv ? json_boolean(mg_json_bool(mv, false, "status", "quarantined", NULL)) : json_null());
}

static void print_status_rows(const json_t *rows, bool with_namespace) {
    static const char *const hdr[] = {"namespace", "name",      "model",    "version",    "phase",
                                      "accuracy",  "worst-psi", "fairness", "quarantined"};
    enum { NCOLS = sizeof hdr / sizeof *hdr };
    const int first = with_namespace ? 0 : 1;
    mg_table t;
    mg_table_init(&t, NCOLS - first, hdr + first);
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r) {
        char acc[32], psi[96], fair[256] = "";
        num_cell(json_object_get(r, "accuracy"), acc, sizeof acc);
        num_cell(json_object_get(r, "maxPSI"), psi, sizeof psi);
        if (json_is_number(json_object_get(r, "maxPSI")) && json_object_get(r, "worstFeature")) {
            size_t l = strlen(psi);
            snprintf(psi + l, sizeof psi - l, " (%s)", json_string_value(json_object_get(r, "worstFeature")));
        }
        const char *k;
        json_t *v;
        json_object_foreach(json_object_get(r, "fairness"), k, v) {
            if (!json_is_number(v)) continue;
            size_t l = strlen(fair);
            snprintf(fair + l, sizeof fair - l, "%s%s=%.3g", l ? " " : "", k, json_number_value(v));
        }
        json_t *q = json_object_get(r, "quarantined");
        const char *cells[NCOLS] = {json_string_value(json_object_get(r, "namespace")),
                                    json_string_value(json_object_get(r, "name")),
                                    json_string_value(json_object_get(r, "model")),
                                    json_string_value(json_object_get(r, "version")),
                                    json_string_value(json_object_get(r, "phase")),
                                    acc,
                                    psi,
                                    fair[0] ? fair : "-",
                                    json_is_boolean(q) ? (json_is_true(q) ? "yes" : "no") : "-"};
        for (int c = 0; c < NCOLS; c++)
            if (!cells[c]) cells[c] = "-";
        mg_table_add(&t, cells + first);
    }
    mg_table_print(&t, stdout);
    mg_table_free(&t);
}

static void print_status_table(const json_t *rows) { print_status_rows(rows, false); }
static void print_status_table_all(const json_t *rows) { print_status_rows(rows, true); }

int mg_cmd_status(int argc, char **argv) {
    bool all = false;
    const mg_opt opts[] = {{"all-namespaces", 'A', MG_OPT_FLAG, &all}, {NULL, 0, 0, NULL}};
    session s;
    json_t *mds = NULL, *mvs = NULL, *rows = json_array();
    int rc = start(&s, argc, argv, opts, status_help, 0, 1, "at most one MODELDEPLOYMENT");
    if (rc < 0 && all && s.ops.n)
        rc = mg_cli_usage_error(
            s.cmd, "a ModelDeployment cannot be named across all namespaces: name it with -n NS, "
                   "or list them all with -A");
    if (rc >= 0 || (rc = sconnect(&s)) >= 0 || (rc = status_inputs(&s, all ? NULL : s.ns, &mds, &mvs)) >= 0)
        goto done;
    size_t i;
    json_t *md;
    json_array_foreach(mds, i, md) {
        const char *mvname = mg_json_str(md, "spec", "modelVersion", NULL);
        char *k = ns_key(mg_json_str(md, "metadata", "namespace", NULL), mvname);
        json_array_append_new(rows, status_row(md, mvname ? json_object_get(mvs, k) : NULL));
        free(k);
    }
    emit(&s, rows, all ? print_status_table_all : print_status_table);
    rc = 0;
done:
    json_decref(mds);
    json_decref(mvs);
    json_decref(rows);
    finish(&s);
    return rc;
}

/* ---- lineage ---- */

static const char lineage_help[] =
    "Usage: kubectl modelgov lineage MODELVERSION\n"
    "\n"
    "Prints the lineage tree: model version (image@digest) -> training run (experiment, code\n"
    "revision) -> dataset version (digest, source, license) -> its parents, recursively.\n"
    "-o json|yaml: nested {kind, name, ..., children: [...]}.\n"
    "\n"
    "Examples:\n"
    "  kubectl modelgov lineage credit-scorer-1-1-0\n"
    "  kubectl modelgov lineage mv/credit-scorer-1-1-0 -o yaml\n";

/* Dataset parents followed at most this deep: a lineage is a handful of steps, a longer chain
 * is a cycle the names do not show or a mistake, and is cut with a mark. */
#define LINEAGE_MAX_DEPTH 32

static json_t *dsv_node(session *s, const char *name, int depth, json_t *seen) {
    json_t *n = json_pack("{s:s,s:s}", "kind", MG_KIND_DATASETVERSION, "name", name);
    if (depth > LINEAGE_MAX_DEPTH || json_object_get(seen, name)) {
        json_object_set_new(n, "cycleOrTooDeep", json_true());
        return n;
    }
    json_object_set_new(seen, name, json_true());
    json_t *d = NULL;
    if (!get_if_found(s, &MG_GVR_DATASETVERSIONS, name, &d)) {
        json_object_set_new(n, "missing", json_true());
        return n;
    }
    json_t *spec = json_object_get(d, "spec");
    json_object_set_new(n, "dataset", json_string(mg_json_str(spec, "dataset", NULL) ?: ""));
    json_object_set_new(n, "version", json_string(mg_json_str(spec, "version", NULL) ?: ""));
    json_object_set_new(n, "digest", json_string(mg_json_str(spec, "digest", NULL) ?: ""));
    if (json_object_get(spec, "source")) json_object_set(n, "source", json_object_get(spec, "source"));
    if (json_object_get(spec, "privacy")) json_object_set(n, "privacy", json_object_get(spec, "privacy"));
    json_t *kids = json_array();
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(spec, "parents"), i, p) {
        if (json_is_string(p))
            json_array_append_new(kids, dsv_node(s, json_string_value(p), depth + 1, seen));
    }
    json_object_set_new(n, "children", kids);
    json_decref(d);
    return n;
}

static void print_tree(const json_t *n, const char *prefix, bool last, bool root) {
    const char *kind = json_string_value(json_object_get(n, "kind"));
    printf("%s%s%s %s", prefix,
           root   ? ""
           : last ? "└─ "
                  : "├─ ",
           kind, json_string_value(json_object_get(n, "name")));
    if (json_is_true(json_object_get(n, "missing"))) printf("  (not found)");
    if (json_is_true(json_object_get(n, "cycleOrTooDeep"))) printf("  (cycle or too deep)");
    if (!strcmp(kind, MG_KIND_MODELVERSION))
        printf("  %s %s  %s@%s", mg_json_str(n, "model", NULL) ?: "", mg_json_str(n, "version", NULL) ?: "",
               mg_json_str(n, "image", NULL) ?: "", mg_json_str(n, "digest", NULL) ?: "");
    else if (!strcmp(kind, "TrainingRun") && !json_object_get(n, "missing"))
        printf("  experiment %s  code %s", mg_json_str(n, "experiment", NULL) ?: "-",
               mg_json_str(n, "codeRevision", NULL) ?: "-");
    else if (!strcmp(kind, MG_KIND_DATASETVERSION) && json_object_get(n, "digest"))
        printf("  %s %s  %s  source %s%s%s  license %s  privacy %s", mg_json_str(n, "dataset", NULL),
               mg_json_str(n, "version", NULL), mg_json_str(n, "digest", NULL),
               mg_json_str(n, "source", "type", NULL) ?: "-",
               mg_json_str(n, "source", "origin", NULL) ? " / " : "",
               mg_json_str(n, "source", "origin", NULL) ?: "",
               mg_json_str(n, "source", "license", NULL) ?: "-",
               mg_json_str(n, "privacy", "method", NULL) ?: "-");
    printf("\n");
    char *np = mg_xasprintf("%s%s", prefix, root ? "" : last ? "   " : "│  ");
    json_t *kids = json_object_get(n, "children");
    size_t i;
    json_t *k;
    json_array_foreach(kids, i, k) print_tree(k, np, i + 1 == json_array_size(kids), false);
    free(np);
}

static void print_lineage_tree(const json_t *root) { print_tree(root, "", true, true); }

/* The training run's node: experiment, code revision and parameters when it can be read, else
 * marked missing. *dsvn becomes the run's dataset version when the model version names none. */
static json_t *training_node(session *s, const char *trn, const char **dsvn, json_t **tr) {
    json_t *tnode = json_pack("{s:s,s:s,s:[]}", "kind", "TrainingRun", "name", trn, "children");
    if (!get_if_found(s, &MG_GVR_TRAININGRUNS, trn, tr)) {
        json_object_set_new(tnode, "missing", json_true());
        return tnode;
    }
    json_t *ts = json_object_get(*tr, "spec");
    static const char *const strings[] = {"experiment", "codeRevision"};
    for (size_t i = 0; i < sizeof strings / sizeof *strings; i++)
        if (json_is_string(json_object_get(ts, strings[i])))
            json_object_set(tnode, strings[i], json_object_get(ts, strings[i]));
    if (json_object_get(ts, "params")) json_object_set(tnode, "params", json_object_get(ts, "params"));
    if (!*dsvn) *dsvn = mg_json_str(ts, "datasetVersion", NULL);
    return tnode;
}

/* The tree under model version mv: its training run, then the dataset version and its parents. */
static json_t *lineage_of(session *s, const char *name, const json_t *mv, json_t **tr) {
    const json_t *spec = json_object_get(mv, "spec");
    json_t *root =
        json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:[]}", "kind", MG_KIND_MODELVERSION, "name", name, "model",
                  mg_json_str(spec, "model", NULL) ?: "", "version", mg_json_str(spec, "version", NULL) ?: "",
                  "image", mg_json_str(spec, "image", NULL) ?: "", "digest",
                  mg_json_str(spec, "digest", NULL) ?: "", "children");
    const char *trn = mg_json_str(spec, "trainingRun", NULL),
               *dsvn = mg_json_str(spec, "datasetVersion", NULL);
    json_t *attach = json_object_get(root, "children");
    if (trn) {
        json_t *tnode = training_node(s, trn, &dsvn, tr);
        json_array_append_new(attach, tnode);
        attach = json_object_get(tnode, "children");
    }
    if (dsvn) {
        json_t *seen = json_object();
        json_array_append_new(attach, dsv_node(s, dsvn, 0, seen));
        json_decref(seen);
    }
    return root;
}

int mg_cmd_lineage(int argc, char **argv) {
    const mg_opt opts[] = {{NULL, 0, 0, NULL}};
    session s;
    json_t *mv = NULL, *tr = NULL;
    int rc = start(&s, argc, argv, opts, lineage_help, 1, 1, "one MODELVERSION");
    if (rc >= 0 || (rc = sconnect(&s)) >= 0) goto done;
    const char *name = operand_name(s.ops.v[0]);
    if (mg_k8s_get(s.c, &MG_GVR_MODELVERSIONS, s.ns, name, NULL, &mv, &s.err)) {
        rc = api_fail(&s, "getting modelversion");
        goto done;
    }
    json_t *root = lineage_of(&s, name, mv, &tr);
    if (s.read_failed)
        rc = mg_cli_fail(s.cmd, &s.err, MG_EXIT_CLUSTER);
    else
        emit(&s, root, print_lineage_tree), rc = 0;
    json_decref(root);
done:
    json_decref(tr);
    json_decref(mv);
    finish(&s);
    return rc;
}

/* ---- history ---- */

static const char history_help[] =
    "Usage: kubectl modelgov history MODELDEPLOYMENT\n"
    "\n"
    "Which ModelVersion served from when to when and why (status.history), breaches, and the\n"
    "incident reviews of the ModelDeployment, oldest first.\n"
    "-o json|yaml: {history: [...], breaches: [...], incidents: [{name, verdict, reviewer, comment, "
    "time}]}.\n"
    "\n"
    "Examples:\n"
    "  kubectl modelgov history credit-scorer\n"
    "  kubectl modelgov history md/credit-scorer -o json\n";

/* The incident reviews of ModelDeployment name, as [{name, verdict, reviewer, comment, time}]
 * (new reference), or NULL with s->err when the reviews cannot be listed (an empty list would
 * say there were none). */
static json_t *incidents_of(session *s, const char *name) {
    json_t *revs = NULL;
    if (mg_k8s_list_items(s->c, &MG_GVR_MODELREVIEWS, s->ns, NULL, &revs, &s->err) != 0) return NULL;
    json_t *inc = json_array();
    size_t i;
    json_t *r;
    json_array_foreach(revs, i, r) {
        const char *target = mg_json_str(r, "spec", "modelDeployment", NULL);
        if (!target || strcmp(target, name)) continue;
        json_array_append_new(inc, json_pack("{s:s?,s:s?,s:s?,s:s?,s:s?}", "name",
                                             mg_json_str(r, "metadata", "name", NULL), "verdict",
                                             mg_json_str(r, "spec", "verdict", NULL), "reviewer",
                                             mg_json_str(r, "spec", "reviewer", NULL), "comment",
                                             mg_json_str(r, "spec", "comment", NULL), "time",
                                             mg_json_str(r, "metadata", "creationTimestamp", NULL)));
    }
    json_decref(revs);
    return inc;
}

static void print_history_tables(const json_t *o) {
    static const char *const hdr[] = {"from", "to", "model-version", "reason"};
    mg_table t;
    mg_table_init(&t, sizeof hdr / sizeof *hdr, hdr);
    size_t i;
    json_t *h;
    json_array_foreach(json_object_get(o, "history"), i, h) {
        const char *c[] = {mg_json_str(h, "from", NULL) ?: "-", mg_json_str(h, "to", NULL) ?: "(now)",
                           mg_json_str(h, "modelVersion", NULL) ?: "-", mg_json_str(h, "reason", NULL) ?: ""};
        mg_table_add(&t, c);
    }
    mg_table_print(&t, stdout);
    mg_table_free(&t);
    const json_t *inc = json_object_get(o, "incidents");
    if (!json_array_size(inc)) return;
    static const char *const h2[] = {"time", "incident-review", "verdict", "reviewer", "comment"};
    mg_table_init(&t, sizeof h2 / sizeof *h2, h2);
    json_array_foreach(inc, i, h) {
        const char *c[] = {mg_json_str(h, "time", NULL), mg_json_str(h, "name", NULL),
                           mg_json_str(h, "verdict", NULL), mg_json_str(h, "reviewer", NULL),
                           mg_json_str(h, "comment", NULL)};
        mg_table_add(&t, c);
    }
    printf("\n");
    mg_table_print(&t, stdout);
    mg_table_free(&t);
}

int mg_cmd_history(int argc, char **argv) {
    const mg_opt opts[] = {{NULL, 0, 0, NULL}};
    session s;
    json_t *md = NULL;
    int rc = start(&s, argc, argv, opts, history_help, 1, 1, "one MODELDEPLOYMENT");
    if (rc >= 0 || (rc = sconnect(&s)) >= 0) goto out;
    const char *name = operand_name(s.ops.v[0]);
    if (mg_k8s_get(s.c, &MG_GVR_MODELDEPLOYMENTS, s.ns, name, NULL, &md, &s.err)) {
        rc = api_fail(&s, "getting modeldeployment");
        goto out;
    }
    json_t *hist = mg_json_get(md, "status", "history", NULL),
           *br = mg_json_get(md, "status", "breaches", NULL), *inc = incidents_of(&s, name);
    if (!inc) {
        rc = api_fail(&s, "listing modelreviews");
        goto out;
    }
    json_t *o = json_pack("{s:o,s:o,s:o}", "history", hist ? json_incref(hist) : json_array(), "breaches",
                          br ? json_incref(br) : json_array(), "incidents", inc);
    emit(&s, o, print_history_tables);
    json_decref(o);
    rc = 0;
out:
    json_decref(md);
    finish(&s);
    return rc;
}
