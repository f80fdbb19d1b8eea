/* policy/index — see index.h. */
#include "policy/index.h"

#include <stdio.h>
#include <string.h>

#include "core/json.h"
#include "core/mem.h"
#include "policy/mvstate.h"

#define KEY_MAX (MG_IMAGEREF_CANON_MAX + MG_IMAGEREF_DIGEST_MAX + 320)

static _Thread_local char kbuf[KEY_MAX];

static const char *ns_of(const json_t *obj) {
    const char *ns = mg_json_str(obj, "metadata", "namespace", NULL);
    return ns ? ns : "";
}

/* "ns|" + normalised spec.image into kbuf; false when the image does not parse. */
static bool repo_key(const json_t *mv) {
    char repo[MG_IMAGEREF_CANON_MAX + 1];
    const char *image = mg_json_str(mv, "spec", "image", NULL);
    if (!image || mg_imageref_normalize_repo(image, repo, sizeof(repo), NULL) != 0) return false;
    snprintf(kbuf, sizeof(kbuf), "%s|%s", ns_of(mv), repo);
    return true;
}

static size_t ix_repo(const json_t *obj, const char **out, size_t max) {
    if (max < 1 || !repo_key(obj)) return 0;
    out[0] = kbuf;
    return 1;
}

static size_t ix_repo_version(const json_t *obj, const char **out, size_t max) {
    const char *v = mg_json_str(obj, "spec", "version", NULL);
    if (max < 1 || !v || !repo_key(obj)) return 0;
    size_t n = strlen(kbuf);
    snprintf(kbuf + n, sizeof(kbuf) - n, ":%s", v);
    out[0] = kbuf;
    return 1;
}

static size_t ns_field(const json_t *obj, const char **out, size_t max, const char *field) {
    const char *v = mg_json_str(obj, "spec", field, NULL);
    if (max < 1 || !v) return 0;
    snprintf(kbuf, sizeof(kbuf), "%s|%s", ns_of(obj), v);
    out[0] = kbuf;
    return 1;
}
static size_t ix_model(const json_t *o, const char **out, size_t max) {
    return ns_field(o, out, max, "model");
}
static size_t ix_dataset(const json_t *o, const char **out, size_t max) {
    return ns_field(o, out, max, "datasetVersion");
}
static size_t ix_trainingrun(const json_t *o, const char **out, size_t max) {
    return ns_field(o, out, max, "trainingRun");
}

/* DatasetVersions by each of their spec.parents: the lineage a parent must outlive. */
#define PARENTS_MAX 64     /* k8s/store files an object under at most 64 values per index */
#define PARENT_KEY_MAX 330 /* "ns|" + a DNS-1123 name (253) with room to spare */
static _Thread_local char pbuf[PARENTS_MAX][PARENT_KEY_MAX];
static size_t ix_parent(const json_t *o, const char **out, size_t max) {
    size_t n = 0, i;
    const json_t *p;
    json_array_foreach(mg_json_get(o, "spec", "parents", NULL), i, p) {
        if (n >= max || n >= PARENTS_MAX) break;
        if (!json_is_string(p)) continue;
        snprintf(pbuf[n], sizeof(pbuf[n]), "%s|%s", ns_of(o), json_string_value(p));
        out[n] = pbuf[n];
        n++;
    }
    return n;
}

static size_t ix_review_uid(const json_t *o, const char **out, size_t max) {
    return ns_field(o, out, max, MG_REVIEW_FIELD_UID);
}
static size_t ix_digest(const json_t *o, const char **out, size_t max) {
    return ns_field(o, out, max, "digest");
}

int mg_policy_stores_add_indexes(mg_policy_stores *s, mg_error *err) {
    int rc = 0;
    if (s->modelversions) {
        rc |= mg_store_add_index(s->modelversions, "mg-repo", ix_repo);
        rc |= mg_store_add_index(s->modelversions, "mg-repo-version", ix_repo_version);
        rc |= mg_store_add_index(s->modelversions, "mg-model", ix_model);
        rc |= mg_store_add_index(s->modelversions, "mg-dataset", ix_dataset);
        rc |= mg_store_add_index(s->modelversions, "mg-digest", ix_digest);
        rc |= mg_store_add_index(s->modelversions, "mg-trainingrun", ix_trainingrun);
    }
    if (s->datasetversions) rc |= mg_store_add_index(s->datasetversions, "mg-parent", ix_parent);
    if (s->modelreviews) {
        rc |= mg_store_add_index(s->modelreviews, "mg-review-uid", ix_review_uid);
        rc |= mg_store_add_index(s->modelreviews, "mg-digest", ix_digest);
    }
    if (s->trainingruns) rc |= mg_store_add_index(s->trainingruns, "mg-dataset", ix_dataset);
    if (rc != 0)
        return mg_error_set(err, MG_EINVAL, "cannot add the policy indexes (stores already filled?)");
    return 0;
}

static json_t *by(mg_store *st, const char *index, const char *ns, const char *a, const char *sep,
                  const char *b) {
    if (!st) return NULL;
    char key[KEY_MAX];
    snprintf(key, sizeof(key), "%s|%s%s%s", ns, a, sep ? sep : "", b ? b : "");
    return mg_store_by_index(st, index, key);
}

static json_t *get(mg_store *st, const char *ns, const char *name) {
    if (!st || !name) return NULL;
    char key[600];
    snprintf(key, sizeof(key), "%s/%s", ns, name);
    return mg_store_get(st, key);
}

static json_t *l_mv_by_version(void *ctx, const char *ns, const char *repo, const char *version) {
    return by(((mg_policy_stores *)ctx)->modelversions, "mg-repo-version", ns, repo, ":", version);
}
static bool l_repo_known(void *ctx, const char *ns, const char *repo) {
    json_t *a = by(((mg_policy_stores *)ctx)->modelversions, "mg-repo", ns, repo, NULL, NULL);
    bool known = json_array_size(a) > 0;
    json_decref(a);
    return known;
}
static json_t *l_mv_by_model(void *ctx, const char *ns, const char *model) {
    return by(((mg_policy_stores *)ctx)->modelversions, "mg-model", ns, model, NULL, NULL);
}
static json_t *l_mv_by_name(void *ctx, const char *ns, const char *name) {
    return get(((mg_policy_stores *)ctx)->modelversions, ns, name);
}
static json_t *l_reviews_of_uid(void *ctx, const char *ns, const char *uid) {
    return by(((mg_policy_stores *)ctx)->modelreviews, "mg-review-uid", ns, uid, NULL, NULL);
}
static json_t *l_reviews_of_digest(void *ctx, const char *ns, const char *digest) {
    return by(((mg_policy_stores *)ctx)->modelreviews, "mg-digest", ns, digest, NULL, NULL);
}
static json_t *l_mvs_of_digest(void *ctx, const char *ns, const char *digest) {
    return by(((mg_policy_stores *)ctx)->modelversions, "mg-digest", ns, digest, NULL, NULL);
}
static json_t *l_dataset(void *ctx, const char *ns, const char *name) {
    return get(((mg_policy_stores *)ctx)->datasetversions, ns, name);
}
static json_t *l_md(void *ctx, const char *ns, const char *name) {
    return get(((mg_policy_stores *)ctx)->modeldeployments, ns, name);
}
static json_t *l_workload(void *ctx, const char *ns, const char *resource, const char *name) {
    mg_policy_stores *s = ctx;
    mg_store *st = !strcmp(resource, "deployments")              ? s->deployments
                   : !strcmp(resource, "replicasets")            ? s->replicasets
                   : !strcmp(resource, "statefulsets")           ? s->statefulsets
                   : !strcmp(resource, "replicationcontrollers") ? s->replicationcontrollers
                                                                 : NULL;
    return get(st, ns, name);
}

/* Referrers as small {kind, metadata.name} stubs: informer objects often carry no "kind". */
static void add_stubs(json_t *out, json_t *objs, const char *kind) {
    size_t i;
    json_t *o;
    json_array_foreach(objs, i, o) {
        const char *name = mg_json_str(o, "metadata", "name", NULL);
        json_array_append_new(
            out, json_pack("{s:s, s:{s:s}}", "kind", kind, "metadata", "name", name ? name : "?"));
    }
    json_decref(objs);
}
static json_t *l_dataset_referrers(void *ctx, const char *ns, const char *name) {
    mg_policy_stores *s = ctx;
    json_t *out = json_array();
    if (s->trainingruns)
        add_stubs(out, by(s->trainingruns, "mg-dataset", ns, name, NULL, NULL), MG_KIND_TRAININGRUN);
    if (s->modelversions)
        add_stubs(out, by(s->modelversions, "mg-dataset", ns, name, NULL, NULL), MG_KIND_MODELVERSION);
    if (s->datasetversions)
        add_stubs(out, by(s->datasetversions, "mg-parent", ns, name, NULL, NULL), MG_KIND_DATASETVERSION);
    return out;
}
static json_t *l_trainingrun_referrers(void *ctx, const char *ns, const char *name) {
    mg_policy_stores *s = ctx;
    json_t *out = json_array();
    if (s->modelversions)
        add_stubs(out, by(s->modelversions, "mg-trainingrun", ns, name, NULL, NULL), MG_KIND_MODELVERSION);
    return out;
}
static json_t *l_namespace(void *ctx, const char *name) {
    mg_policy_stores *s = ctx;
    return s->namespaces && name ? mg_store_get(s->namespaces, name) : NULL;
}
static int l_resolve(void *ctx, const mg_imageref *ref, char *digest, size_t len, mg_error *err) {
    mg_policy_stores *s = ctx;
    if (!s->resolve_tag) return mg_error_set(err, MG_ECONNECT, "no registry client configured");
    return s->resolve_tag(s->resolve_ctx, ref, digest, len, err);
}

void mg_policy_index_init(mg_admission_index *ix, mg_policy_stores *s) {
    memset(ix, 0, sizeof(*ix));
    ix->ctx = s;
    ix->mv_by_version = l_mv_by_version;
    ix->repo_known = l_repo_known;
    ix->mv_by_model = l_mv_by_model;
    ix->mv_by_name = l_mv_by_name;
    ix->reviews_of_uid = l_reviews_of_uid;
    ix->reviews_of_digest = l_reviews_of_digest;
    ix->mvs_of_digest = l_mvs_of_digest;
    ix->dataset = l_dataset;
    ix->dataset_referrers = l_dataset_referrers;
    ix->trainingrun_referrers = l_trainingrun_referrers;
    ix->namespace_ = l_namespace;
    ix->modeldeployment = l_md;
    ix->workload = l_workload;
    ix->resolve_tag = l_resolve;
}
