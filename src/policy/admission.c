/* policy/admission — see admission.h for the rules. */
#include "policy/admission.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/json.h"
#include "core/mem.h"
#include "k8s/strmap.h"
#include "policy/approval.h"
#include "policy/identity.h"
#include "policy/mvstate.h"

typedef struct actx {
    const mg_admission_input *in;
    const mg_admission_request *req;
    const mg_policy_config *cfg;
    const mg_admission_index *ix;
    const char *group;
    const char *ns;
    json_t *keep; /* every reference the index handed us, released at the end */
    mg_admission_decision *d;
    bool denied;
    bool zero_replicas; /* the workload asks for 0 replicas: a quarantined (approved) model may stay */
    json_t *pins;       /* mg_admission_mutate: the JSONPatch pinning admitted tags, else NULL */
} actx;

/* ---- small helpers --------------------------------------------------------------------------- */

static bool streq(const char *a, const char *b) { return a && b && strcmp(a, b) == 0; }

static const json_t *kept(actx *c, json_t *v) {
    if (v) json_array_append_new(c->keep, v);
    return v;
}

__attribute__((format(printf, 3, 4))) static void deny(actx *c, const char *rule, const char *fmt, ...) {
    if (c->denied) return;
    va_list ap;
    va_start(ap, fmt);
    char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) < 0) abort();
    va_end(ap);
    c->denied = true;
    c->d->allowed = false;
    c->d->code = 403;
    snprintf(c->d->reason, sizeof(c->d->reason), "Forbidden");
    free(c->d->message);
    c->d->message = msg;
    c->d->rule = rule;
}

static void allow(actx *c, const char *rule) {
    if (!c->denied) c->d->rule = rule;
}

static const json_t *arr_or_empty(const json_t *a) { return json_is_array(a) ? a : NULL; }

static bool in_any_group(const mg_admission_request *r, const mg_strlist *groups) {
    for (size_t i = 0; i < groups->len; i++)
        if (mg_admission_user_in_group(r, groups->items[i])) return true;
    return false;
}

#define IXCALL(c, fn, ...) ((c)->ix && (c)->ix->fn ? kept((c), (c)->ix->fn((c)->ix->ctx, __VA_ARGS__)) : NULL)

static const char *ann(const json_t *obj, const char *key) {
    return mg_json_str(obj, "metadata", "annotations", key, NULL);
}
static const char *label(const json_t *meta, const char *key) {
    return mg_json_str(meta, "labels", key, NULL);
}
static const char *mvname(const json_t *mv) { return mg_json_str(mv, "metadata", "name", NULL); }

/* replicas with the Kubernetes default when absent */
static long long replicas_of(const json_t *obj, long long dflt) {
    const json_t *r = mg_json_get(obj, "spec", "replicas", NULL);
    return json_is_integer(r) ? json_integer_value(r) : dflt;
}

/* ---- ModelVersion usability ------------------------------------------------------------------ */

/* The records of mv from the index (policy/mvstate); the lookups stay in c->keep. */
static void mv_state(actx *c, const json_t *mv, mg_mv_state *out) {
    const char *uid = mg_json_str(mv, "metadata", "uid", NULL),
               *digest = mg_json_str(mv, "spec", "digest", NULL);
    mg_mv_records rec = {.mv = mv};
    if (uid) rec.reviews = IXCALL(c, reviews_of_uid, c->ns, uid);
    if (digest) {
        rec.incidents = IXCALL(c, reviews_of_digest, c->ns, digest);
        rec.peers = IXCALL(c, mvs_of_digest, c->ns, digest);
    }
    mg_mv_state_compute(&rec, out);
}

/* A string that lives until the decision is made (kept with the index's references). */
static const char *kept_str(actx *c, char *heap) {
    json_t *s = json_string(heap ? heap : "");
    free(heap);
    return json_string_value(kept(c, s));
}

static bool mv_usable_keep(actx *c, const json_t *mv, char **message) {
    mg_mv_state s;
    mv_state(c, mv, &s);
    *message = NULL;
    bool ok = true;
    if (s.quarantined && s.approval.approved && c->zero_replicas) {
        /* e.g. the operator (re)creating a quarantined model's Deployment scaled to zero */
        const char *model = mg_json_str(mv, "spec", "model", NULL),
                   *version = mg_json_str(mv, "spec", "version", NULL);
        if (c->d)
            mg_admission_decision_warn(
                c->d, "modelgov: model %s:%s is quarantined; admitted only because replicas is 0",
                model ? model : "?", version ? version : "?");
    } else {
        *message = mg_mv_state_refusal(&s, mv);
        ok = *message == NULL;
    }
    mg_mv_state_free(&s);
    return ok;
}

/* Whether mv (its digest) is quarantined; *reason_out lives until the decision is made. */
static bool mv_quarantined(actx *c, const json_t *mv, const char **reason_out) {
    mg_mv_state s;
    mv_state(c, mv, &s);
    bool q = s.quarantined;
    if (reason_out) *reason_out = q ? kept_str(c, mg_xstrdup(s.quarantine_reason)) : "";
    mg_mv_state_free(&s);
    return q;
}

/* ---- model images ---------------------------------------------------------------------------- */

typedef struct image_result {
    bool model;       /* it is a model image */
    const json_t *mv; /* the ModelVersion it maps to (borrowed from keep) */
    const char *pin;  /* admitted by tag: the digest judged, to pin it to (borrowed from mv or keep) */
} image_result;

/* The ModelVersions of ns registered under any name of the image (policy/identity.h) with
 * spec.version == tag (borrowed from keep; NULL when none). */
static const json_t *mvs_of_version(actx *c, const mg_identity *id, const char *tag) {
    if (id->n == 1) return arr_or_empty(IXCALL(c, mv_by_version, c->ns, id->names[0], tag));
    json_t *all = json_array();
    for (size_t i = 0; i < id->n; i++) {
        const json_t *some = arr_or_empty(IXCALL(c, mv_by_version, c->ns, id->names[i], tag));
        if (some) json_array_extend(all, (json_t *)some);
    }
    return kept(c, all);
}

/* The ModelVersions of ns that the image maps to without a registry call: by digest whatever the
 * repository name (the content is what was reviewed), else by version tag. */
static const json_t *mvs_of_image(actx *c, const mg_identity *id) {
    if (id->ref.digest[0]) return arr_or_empty(IXCALL(c, mvs_of_digest, c->ns, id->ref.digest));
    if (id->ref.tag[0]) return mvs_of_version(c, id, id->ref.tag);
    return NULL;
}

/* A model image: under a modelRepositories prefix, or pinned to the digest of a ModelVersion of
 * the namespace under whatever name. Without modelRepositories, a repository that some
 * ModelVersion of the namespace names is one too (there is nothing else to go by). */
static bool is_model_image(actx *c, const mg_identity *id, const json_t *by_digest) {
    if (mg_identity_is_model_repository(c->cfg, &id->ref)) return true;
    if (json_array_size(by_digest) > 0) return true;
    if (c->cfg->model_repositories.len > 0 || !c->ix || !c->ix->repo_known) return false;
    for (size_t i = 0; i < id->n; i++)
        if (c->ix->repo_known(c->ix->ctx, c->ns, id->names[i])) return true;
    return false;
}

/* Among candidate ModelVersions, picks a usable one (preferring model `want`); on failure denies
 * with the first candidate's explanation. */
static const json_t *pick_usable(actx *c, const json_t *mvs, const char *want, const char *what) {
    const json_t *best_fail = NULL;
    char *fail_msg = NULL;
    for (int pass = 0; pass < 2; pass++) {
        size_t i;
        const json_t *mv;
        json_array_foreach(mvs, i, mv) {
            bool wanted = !want || streq(mg_json_str(mv, "spec", "model", NULL), want);
            if ((pass == 0) != wanted) continue;
            char *msg = NULL;
            if (mv_usable_keep(c, mv, &msg)) {
                free(fail_msg);
                return mv;
            }
            if (!best_fail) {
                best_fail = mv;
                fail_msg = msg;
            } else {
                free(msg);
            }
        }
    }
    if (fail_msg) {
        deny(c, "model-image", "%s: %s", what, fail_msg);
        free(fail_msg);
    }
    return NULL;
}

/* The registry's digest for ref's tag (the index's resolver, cached there); MG_ECONNECT when the
 * webhook has no resolver. */
static int resolve_tag(actx *c, const mg_imageref *ref, char *got, size_t len, mg_error *err) {
    mg_error_clear(err);
    if (!c->ix || !c->ix->resolve_tag) return mg_error_set(err, MG_ECONNECT, "no registry resolver");
    return c->ix->resolve_tag(c->ix->ctx, ref, got, len, err);
}

/* Whether the registry resolves the tag of ref to the digest of ModelVersion mv; denies when
 * not (a tag that does not exist, an unreachable registry, a re-pushed tag). */
static bool tag_resolves_to(actx *c, const mg_imageref *ref, const char *shown, const char *what,
                            const json_t *mv) {
    mg_error err;
    const char *want_digest = mg_json_str(mv, "spec", "digest", NULL);
    char got[MG_IMAGEREF_DIGEST_MAX + 1] = "";
    int rc = resolve_tag(c, ref, got, sizeof(got), &err);
    if (rc == MG_ENOTFOUND) {
        deny(c, "model-image",
             "%s: model image %s: tag %s does not exist in registry %s (ModelVersion %s expects digest %s)",
             what, shown, ref->tag, ref->domain, mvname(mv), want_digest ? want_digest : "?");
        return false;
    }
    if (rc != 0) {
        deny(c, "model-image",
             "%s: model image %s: cannot resolve tag %s in registry %s (%s); pin the image by digest (%s@%s)",
             what, shown, ref->tag, ref->domain, err.message, ref->familiar,
             want_digest ? want_digest : "sha256:...");
        return false;
    }
    if (!streq(got, want_digest)) {
        deny(c, "model-image",
             "%s: model image %s now resolves to %s, not to digest %s of ModelVersion %s: the tag was "
             "re-pushed; pin the image by digest",
             what, shown, got, want_digest ? want_digest : "?", mvname(mv));
        return false;
    }
    return true;
}

/* The ModelVersion that the model image ref (no digest) names by its version tag, usable and
 * resolving in the registry to that version's digest; NULL after a denial. */
static const json_t *check_tag(actx *c, const mg_identity *id, const char *shown, const char *what,
                               const char *want_model) {
    const mg_imageref *ref = &id->ref;
    if (!ref->tag[0]) {
        deny(c, "model-image",
             "%s: model image %s has no tag or digest: pin it by digest (%s@sha256:...) or by the version "
             "tag of an approved ModelVersion",
             what, shown, ref->familiar);
        return NULL;
    }
    if (strcmp(ref->tag, "latest") == 0) {
        deny(c, "model-image",
             "%s: model image %s uses the tag 'latest': pin it by digest or by the version tag of an "
             "approved ModelVersion",
             what, shown);
        return NULL;
    }
    const json_t *mvs = mvs_of_version(c, id, ref->tag);
    if (json_array_size(mvs) == 0) {
        deny(c, "model-image",
             "%s: model image %s has an unknown tag: no ModelVersion in namespace %s has image %s and "
             "version %s",
             what, shown, c->ns, ref->familiar, ref->tag);
        return NULL;
    }
    if (c->cfg->require_digest) {
        const char *dg = mg_json_str(json_array_get(mvs, 0), "spec", "digest", NULL);
        deny(c, "model-image", "%s: model image %s must be pinned by digest (requireDigest): use %s@%s", what,
             shown, ref->familiar, dg ? dg : "sha256:...");
        return NULL;
    }
    const json_t *mv = pick_usable(c, mvs, want_model, what);
    if (!mv || !tag_resolves_to(c, ref, shown, what, mv)) return NULL;
    return mv;
}

/* An image by tag on a configured registry, outside the model repositories: the registry says
 * what the tag holds, and content decides — a tag holding the digest of a ModelVersion of the
 * namespace is that model, under whatever repository it was pushed (whoever may push to the model
 * registry could otherwise copy an unreviewed or quarantined model under an ordinary name). The
 * image is pinned to the digest judged, so a tag re-pushed after admission changes nothing. A tag
 * the registry does not have is left alone (nothing can be pulled); a registry that cannot answer
 * refuses the tag, as for model images. */
static image_result check_tag_content(actx *c, const mg_identity *id, const char *what,
                                      const char *want_model) {
    image_result res = {0};
    mg_imageref ref = id->ref;
    if (!ref.tag[0]) snprintf(ref.tag, sizeof ref.tag, "latest");
    char shown[MG_IMAGEREF_NAME_MAX * 2];
    mg_imageref_format(&id->ref, true, shown, sizeof(shown));
    char got[MG_IMAGEREF_DIGEST_MAX + 1] = "";
    mg_error err;
    int rc = resolve_tag(c, &ref, got, sizeof(got), &err);
    if (rc == MG_ENOTFOUND) return res;
    if (rc != 0) {
        deny(c, "model-image",
             "%s: image %s is on the model registry %s, whose tags are checked by content, and its tag %s "
             "cannot be resolved (%s); pin the image by digest",
             what, shown, ref.domain, ref.tag, err.message);
        return res;
    }
    const json_t *by_digest = arr_or_empty(IXCALL(c, mvs_of_digest, c->ns, got));
    res.pin = kept_str(c, mg_xstrdup(got));
    if (json_array_size(by_digest) == 0) return res;
    res.model = true;
    res.mv = pick_usable(c, by_digest, want_model, what);
    return res;
}

static image_result check_image(actx *c, const char *image, const char *what, const char *want_model) {
    image_result res = {0};
    mg_identity id;
    mg_error err;
    if (!image || mg_identity_parse(c->cfg, image, &id, &err) != 0) {
        deny(c, "model-image", "%s: image '%s' is not a valid image reference: %s", what, image ? image : "",
             image ? err.message : "missing");
        return res;
    }
    const mg_imageref ref = id.ref;
    const json_t *by_digest = ref.digest[0] ? mvs_of_image(c, &id) : NULL;
    if (!is_model_image(c, &id, by_digest)) {
        if (!ref.digest[0] && id.configured_registry) return check_tag_content(c, &id, what, want_model);
        return res;
    }
    res.model = true;
    char shown[MG_IMAGEREF_NAME_MAX * 2];
    mg_imageref_format(&ref, true, shown, sizeof(shown));
    if (ref.digest[0]) {
        if (json_array_size(by_digest) == 0) {
            deny(c, "model-image",
                 "%s: model image %s is not registered: no ModelVersion in namespace %s has digest %s", what,
                 shown, c->ns, ref.digest);
            return res;
        }
        res.mv = pick_usable(c, by_digest, want_model, what);
        return res;
    }
    res.mv = check_tag(c, &id, shown, what, want_model);
    if (res.mv) res.pin = mg_json_str(res.mv, "spec", "digest", NULL);
    return res;
}

/* ---- pod specs ------------------------------------------------------------------------------- */

static const char *const container_lists[] = {"initContainers", "containers", "ephemeralContainers"};
static const char *const container_words[] = {"init container", "container", "ephemeral container"};

/* Key of a container's image in images_of(spec, true): its list, its name and the image, so that
 * only the same container keeping its image is "unchanged" (an image moved from an init
 * container or a sidecar into another container starts a new process and is judged). */
static char *container_image_key(int list, const char *name, const char *image) {
    return mg_xasprintf("%d\x1f%s\x1f%s", list, name ? name : "", image);
}

/* The set of images of a pod spec (keys; NULL for a NULL spec), or with per_container the set
 * of their container_image_keys: one pass, so a check or an UPDATE costs linear time in its
 * containers, not old × new. */
static mg_strmap *images_of(const json_t *spec, bool per_container) {
    if (!spec) return NULL;
    mg_strmap *set = mg_strmap_new();
    for (int l = 0; l < 3; l++) {
        size_t i;
        const json_t *ct;
        json_array_foreach(json_object_get(spec, container_lists[l]), i, ct) {
            const char *image = json_string_value(json_object_get(ct, "image"));
            if (!image) continue;
            char *key = per_container
                            ? container_image_key(l, json_string_value(json_object_get(ct, "name")), image)
                            : NULL;
            mg_strmap_put(set, key ? key : image, NULL);
            free(key);
        }
    }
    return set;
}

/* True when container ct of list l had the same image in the old spec. */
static bool image_unchanged(const mg_strmap *old, int l, const json_t *ct, const char *image) {
    if (!old || !image) return false;
    char *key = container_image_key(l, json_string_value(json_object_get(ct, "name")), image);
    bool had = mg_strmap_has(old, key);
    free(key);
    return had;
}

typedef struct podcheck {
    size_t n_model;
    json_t *mvs;        /* distinct ModelVersions the model images map to (owned array) */
    mg_strmap *checked; /* image → image_result: each distinct image is judged once */
    mg_strmap *old;     /* images_of(old spec, true) (UPDATE): a container keeping its
                         * image is not judged again */
} podcheck;

static void podcheck_free(podcheck *pc) {
    json_decref(pc->mvs);
    mg_strmap_free(pc->checked, free);
    mg_strmap_free(pc->old, NULL);
    memset(pc, 0, sizeof(*pc));
}

/* The verdict on one image, computed on its first occurrence in the spec. */
static image_result podcheck_image(actx *c, podcheck *pc, const char *image, const char *what,
                                   const char *want) {
    image_result *memo = image ? mg_strmap_get(pc->checked, image) : NULL;
    if (memo) return *memo;
    image_result r = check_image(c, image, what, want);
    if (image && !c->denied) {
        memo = mg_xmalloc(sizeof *memo);
        *memo = r;
        mg_strmap_put(pc->checked, image, memo);
    }
    return r;
}

static void podcheck_add_mv(podcheck *pc, const json_t *mv) {
    size_t i;
    const json_t *have;
    json_array_foreach(pc->mvs, i, have) if (have == mv) return;
    json_array_append(pc->mvs, (json_t *)mv);
}

/* Room for the JSON pointer of a container's image: the longest pod spec pointer (a CronJob's,
 * 36 bytes), a container list, an index and "/image". */
#define PIN_PATH_MAX 128

/* mg_admission_mutate: pins container i of list l (an image admitted by tag) to digest. ptr is
 * the JSON pointer of the pod spec in the object. */
static void add_pin(actx *c, const char *ptr, int l, size_t i, const char *image, const char *digest) {
    char path[PIN_PATH_MAX];
    snprintf(path, sizeof path, "%s/%s/%zu/image", ptr, container_lists[l], i);
    json_t *value = json_pack("s++", image, "@", digest);
    json_array_append_new(c->pins,
                          json_pack("{s:s, s:s, s:o}", "op", "replace", "path", path, "value", value));
}

/* Checks every (new) image of a pod spec at JSON pointer ptr. kindname/objname describe the object
 * for messages. *pc is filled and must be freed with podcheck_free. */
static void check_podspec(actx *c, const char *kindname, const char *objname, const json_t *meta,
                          const json_t *spec, const char *ptr, const json_t *old_spec, bool creating,
                          podcheck *pc) {
    memset(pc, 0, sizeof(*pc));
    pc->mvs = json_array();
    pc->checked = mg_strmap_new();
    pc->old = images_of(old_spec, true);
    const char *want = label(meta, MG_LABEL_MODEL);
    for (int l = 0; l < 3 && !c->denied; l++) {
        size_t i;
        const json_t *ct;
        json_array_foreach(json_object_get(spec, container_lists[l]), i, ct) {
            const char *image = json_string_value(json_object_get(ct, "image"));
            if (image_unchanged(pc->old, l, ct, image)) continue;
            char what[256];
            const char *cname = json_string_value(json_object_get(ct, "name"));
            snprintf(what, sizeof(what), "%s %s, %s '%s'", kindname, objname, container_words[l],
                     cname ? cname : "?");
            image_result r = podcheck_image(c, pc, image, what, want);
            if (c->denied) return;
            if (c->pins && r.pin) add_pin(c, ptr, l, i, image, r.pin);
            if (!r.model) continue;
            pc->n_model++;
            if (!r.mv) continue;
            const char *model = mg_json_str(r.mv, "spec", "model", NULL);
            if (want && !streq(model, want))
                return deny(c, "model-label",
                            "%s: image %s belongs to model %s, but the pod is labelled %s=%s", what, image,
                            model ? model : "?", MG_LABEL_MODEL, want);
            podcheck_add_mv(pc, r.mv);
        }
    }
    if (want && creating && pc->n_model == 0)
        deny(c, "model-label",
             "%s %s is labelled %s=%s but runs no model image (none under modelRepositories or of a "
             "registered ModelVersion)",
             kindname, objname, MG_LABEL_MODEL, want);
}

/* The first quarantined ModelVersion among the model images of spec (no registry calls). */
static const json_t *quarantined_in(actx *c, const json_t *spec, const char **reason) {
    mg_strmap *images = images_of(spec, false); /* each distinct image once; NULL without a spec */
    if (!images) return NULL;
    mg_strmap_iter it = {0};
    const char *image;
    void *unused;
    const json_t *found = NULL;
    while (!found && mg_strmap_next(images, &it, &image, &unused)) {
        mg_identity id;
        if (mg_identity_parse(c->cfg, image, &id, NULL) != 0) continue;
        size_t k;
        const json_t *mv;
        json_array_foreach(mvs_of_image(c, &id), k, mv) if (mv_quarantined(c, mv, reason)) {
            found = mv;
            break;
        }
    }
    mg_strmap_free(images, NULL);
    return found;
}

static const json_t *controller_owner(const json_t *obj) {
    size_t i;
    const json_t *o;
    json_array_foreach(mg_json_get(obj, "metadata", "ownerReferences", NULL), i,
                       o) if (json_is_true(json_object_get(o, "controller"))) return o;
    return NULL;
}

/* The only chain through which a model runs under requireModelDeployment: the operator's
 * Deployment, its ReplicaSets, their Pods. */
static const char *const md_chain[] = {"Pod", "ReplicaSet", "Deployment", MG_KIND_MODELDEPLOYMENT};
enum { MD_CHAIN_LEN = sizeof(md_chain) / sizeof(md_chain[0]) };

/* True when an ownerReference's apiVersion ("apps/v1", "mlops.modelgov.io/v1alpha1") is in group. */
static bool api_in_group(const char *api, const char *group) {
    size_t gl = strlen(group);
    return api && strncmp(api, group, gl) == 0 && api[gl] == '/';
}

/* The cached object that obj's controller ownerReference names, when it is a `want` of the right
 * API group and its uid is the one referenced (an ownerReference anyone may write names an object;
 * only the uid ties it to that object). NULL with *why set otherwise. */
static const json_t *controller_of(actx *c, const json_t *obj, const char *desc, const char *want, char *why,
                                   size_t cap) {
    const json_t *owner = controller_owner(obj);
    const char *okind = json_string_value(json_object_get(owner, "kind")),
               *oname = json_string_value(json_object_get(owner, "name")),
               *ouid = json_string_value(json_object_get(owner, "uid"));
    bool md = !strcmp(want, MG_KIND_MODELDEPLOYMENT);
    if (!owner) {
        snprintf(why, cap, "%s has no controller", desc);
        return NULL;
    }
    if (!streq(okind, want) || !oname ||
        !api_in_group(json_string_value(json_object_get(owner, "apiVersion")), md ? c->group : "apps")) {
        snprintf(why, cap, "the controller of %s is %s %s, not a %s", desc, okind ? okind : "?",
                 oname ? oname : "?", want);
        return NULL;
    }
    const json_t *found =
        md ? IXCALL(c, modeldeployment, c->ns, oname)
           : IXCALL(c, workload, c->ns, !strcmp(want, "ReplicaSet") ? "replicasets" : "deployments", oname);
    if (!found) {
        snprintf(why, cap,
                 "its controller %s %s does not exist in namespace %s (or is not in the webhook's cache yet)",
                 want, oname, c->ns);
        return NULL;
    }
    const char *uid = mg_json_str(found, "metadata", "uid", NULL);
    if (!streq(uid, ouid)) {
        snprintf(why, cap, "the controller reference of %s names %s %s with uid %s, not that object's uid %s",
                 desc, want, oname, ouid ? ouid : "(none)", uid ? uid : "(none)");
        return NULL;
    }
    return found;
}

/* requireModelDeployment: an object running a model image must be on the chain above, every link
 * verified in the caches, ending at a ModelDeployment that runs those ModelVersions. */
static void require_md(actx *c, const char *kind, const json_t *obj, const podcheck *pc) {
    if (!c->cfg->require_model_deployment || pc->n_model == 0 || c->denied) return;
    const char *name = c->req->name[0] ? c->req->name : mg_json_str(obj, "metadata", "name", NULL);
    if (!name) name = "(generated)";
    int step = -1;
    for (int i = 0; i < MD_CHAIN_LEN - 1; i++)
        if (!strcmp(kind, md_chain[i])) step = i;
    char why[600], desc[300];
    const json_t *cur = obj;
    snprintf(desc, sizeof desc, "%s %s", kind, name);
    for (int i = step + 1; step >= 0 && cur && i < MD_CHAIN_LEN; i++) {
        cur = controller_of(c, cur, desc, md_chain[i], why, sizeof why);
        snprintf(desc, sizeof desc, "%s %s", md_chain[i], mvname(cur) ? mvname(cur) : "?");
    }
    if (step < 0) snprintf(why, sizeof why, "a %s is not part of a ModelDeployment", kind);
    if (step < 0 || !cur)
        return deny(c, "require-model-deployment",
                    "%s %s runs a model image, but %s: with requireModelDeployment a model runs only in the "
                    "Pods of a ModelDeployment's Deployment",
                    kind, name, why);
    const char *runs = mg_json_str(cur, "spec", "modelVersion", NULL),
               *fb = mg_json_str(cur, "spec", "fallbackModelVersion", NULL);
    size_t i;
    const json_t *mv;
    json_array_foreach(pc->mvs, i, mv) {
        const char *n = mvname(mv);
        if (!streq(n, runs) && !streq(n, fb))
            return deny(c, "require-model-deployment", "%s %s runs ModelVersion %s, but its %s runs %s", kind,
                        name, n ? n : "?", desc, runs ? runs : "?");
    }
}

/* The workload resources whose objects carry a pod template: resource, kind, API group, and
 * whether spec.replicas (and a `scale` subresource) sets how many pods run. */
typedef struct workload_kind {
    const char *resource, *kind, *group;
    bool scalable;
} workload_kind;

static const workload_kind workload_kinds[] = {
    {"deployments", "Deployment", "apps", true},
    {"replicasets", "ReplicaSet", "apps", true},
    {"statefulsets", "StatefulSet", "apps", true},
    {"daemonsets", "DaemonSet", "apps", false},
    {"jobs", "Job", "batch", false},
    {"cronjobs", "CronJob", "batch", false},
    {"replicationcontrollers", "ReplicationController", "", true},
    {"podtemplates", "PodTemplate", "", false},
};

static const workload_kind *workload_of(const char *group, const char *resource) {
    for (size_t i = 0; i < sizeof(workload_kinds) / sizeof(workload_kinds[0]); i++)
        if (streq(resource, workload_kinds[i].resource) && streq(group, workload_kinds[i].group))
            return &workload_kinds[i];
    return NULL;
}

/* Where the pod template lives for each workload resource. */
static const json_t *template_of(const char *resource, const json_t *obj) {
    if (!obj) return NULL;
    if (streq(resource, "cronjobs")) return mg_json_get(obj, "spec", "jobTemplate", "spec", "template", NULL);
    if (streq(resource, "podtemplates")) return json_object_get(obj, "template");
    return mg_json_get(obj, "spec", "template", NULL);
}

/* The JSON pointer of the pod spec in each workload resource's objects (see template_of). */
static const char *template_spec_ptr(const char *resource) {
    if (streq(resource, "cronjobs")) return "/spec/jobTemplate/spec/template/spec";
    if (streq(resource, "podtemplates")) return "/template/spec";
    return "/spec/template/spec";
}

static const char *objname(actx *c, const json_t *obj) {
    if (c->req->name[0]) return c->req->name;
    const char *n = mg_json_str(obj, "metadata", "name", NULL);
    if (n) return n;
    n = mg_json_str(obj, "metadata", "generateName", NULL);
    return n ? n : "(unnamed)";
}

/* Judges a pod spec's new images and, for a new object or new model images, its ownership;
 * returns whether it runs a model image. */
static bool judge_podspec(actx *c, const char *kind, const json_t *obj, const json_t *tpl, const char *ptr,
                          const json_t *old_tpl, bool creating) {
    podcheck pc;
    check_podspec(c, kind, objname(c, obj), mg_json_get(tpl, "metadata", NULL),
                  mg_json_get(tpl, "spec", NULL), ptr, old_tpl ? mg_json_get(old_tpl, "spec", NULL) : NULL,
                  creating, &pc);
    /* ownership matters when the object is new or gains model images (pc counts only new ones) */
    require_md(c, kind, obj, &pc);
    bool model = pc.n_model > 0;
    podcheck_free(&pc);
    return model;
}

static void judge_pod(actx *c) {
    const mg_admission_request *r = c->req;
    bool update =
        r->op == MG_OP_UPDATE && (r->subresource[0] == '\0' || streq(r->subresource, "ephemeralcontainers"));
    if ((r->op == MG_OP_CREATE && r->subresource[0] == '\0') || update) {
        bool model =
            judge_podspec(c, "Pod", r->object, r->object, "/spec", update ? r->old_object : NULL, !update);
        allow(c, model ? "model-image" : "no-model-image");
    } else {
        allow(c, r->subresource[0] ? "subresource" : "no-model-image");
    }
}

/* Denies raising the replicas of workload `name` from had to want when its pod template runs a
 * quarantined model (no registry calls: tags map through their ModelVersions). */
static void quarantine_scale_check(actx *c, const workload_kind *wk, const char *name, const json_t *tpl,
                                   long long had, long long want) {
    const char *reason = NULL;
    const json_t *mv = quarantined_in(c, mg_json_get(tpl, "spec", NULL), &reason);
    if (mv)
        return deny(c, "quarantine-scale",
                    "scale-up of %s %s from %lld to %lld refused: model %s:%s (ModelVersion %s) is "
                    "quarantined: %s",
                    wk->kind, name, had, want, mg_json_str(mv, "spec", "model", NULL),
                    mg_json_str(mv, "spec", "version", NULL), mvname(mv), reason);
    allow(c, "quarantine-scale");
}

/* The `scale` subresource (an autoscaling/v1 Scale, no template): the pod template comes from the
 * webhook's cache of the workload. */
static void judge_workload_scale(actx *c, const workload_kind *wk) {
    const mg_admission_request *r = c->req;
    long long want = replicas_of(r->object, 0), had = replicas_of(r->old_object, 0);
    const json_t *cached = IXCALL(c, workload, c->ns, wk->resource, r->name);
    if (!r->old_object) had = cached ? replicas_of(cached, 1) : 0;
    if (want <= had) return allow(c, "scale-down");
    if (!cached) /* fail closed: the cache lags the API server by moments only */
        return deny(c, "quarantine-scale",
                    "scale-up of %s %s/%s refused: it is not in the webhook's cache yet, so its pod "
                    "template cannot be checked; retry in a moment",
                    wk->kind, c->ns, r->name);
    quarantine_scale_check(c, wk, r->name, template_of(wk->resource, cached), had, want);
}

static void judge_workload(actx *c, const workload_kind *wk) {
    const mg_admission_request *r = c->req;
    if (streq(r->subresource, "scale")) {
        if (wk->scalable && r->op == MG_OP_UPDATE) return judge_workload_scale(c, wk);
        return allow(c, "subresource");
    }
    if (r->subresource[0]) return allow(c, "subresource");
    if (r->op != MG_OP_CREATE && r->op != MG_OP_UPDATE) return allow(c, "no-model-image");
    const json_t *tpl = template_of(r->resource, r->object),
                 *old_tpl = template_of(r->resource, r->old_object);
    bool creating = r->op == MG_OP_CREATE;
    if (wk->scalable) c->zero_replicas = replicas_of(r->object, 1) == 0;
    bool model = judge_podspec(c, wk->kind, r->object, tpl, template_spec_ptr(r->resource),
                               creating ? NULL : old_tpl, creating);
    if (c->denied) return;
    if (!creating && wk->scalable) {
        long long want = replicas_of(r->object, 1), had = replicas_of(r->old_object, 1);
        if (want > had) quarantine_scale_check(c, wk, r->name, tpl, had, want);
        if (c->denied) return;
    }
    allow(c, model ? "model-image" : "no-model-image");
}

/* ---- ModelDeployment ------------------------------------------------------------------------- */

/* A ModelDeployment md asks for more replicas (had → want). Refused when its ModelVersion is
 * quarantined, unless its fallbackModelVersion is approved and not quarantined: then the
 * operator runs the fallback, and the scale-up is the fallback's (its pods are judged as any). */
static void md_quarantine_check(actx *c, const char *mdname, const json_t *md, long long had,
                                long long want) {
    const char *mv_name = mg_json_str(md, "spec", "modelVersion", NULL);
    if (!mv_name) return allow(c, "quarantine-scale");
    const json_t *mv = IXCALL(c, mv_by_name, c->ns, mv_name);
    if (!mv) return allow(c, "quarantine-scale");
    const char *reason = NULL;
    if (!mv_quarantined(c, mv, &reason)) return allow(c, "quarantine-scale");
    const char *fb_name = mg_json_str(md, "spec", "fallbackModelVersion", NULL);
    const json_t *fb = fb_name ? IXCALL(c, mv_by_name, c->ns, fb_name) : NULL;
    mg_mv_state fs;
    bool fb_usable = false;
    if (fb) {
        mv_state(c, fb, &fs);
        fb_usable = fs.approval.approved && !fs.quarantined;
        mg_mv_state_free(&fs);
    }
    if (fb_usable) {
        if (c->d)
            mg_admission_decision_warn(
                c->d,
                "modelgov: ModelVersion %s is quarantined; the scale-up runs the fallback "
                "ModelVersion %s",
                mv_name, fb_name);
        return allow(c, "quarantine-scale");
    }
    deny(c, "quarantine-scale",
         "scale-up of ModelDeployment %s from %lld to %lld refused: model %s:%s (ModelVersion %s) is "
         "quarantined: "
         "%s%s",
         mdname, had, want, mg_json_str(mv, "spec", "model", NULL), mg_json_str(mv, "spec", "version", NULL),
         mv_name, reason, fb_name ? " (its fallback is not approved or is quarantined too)" : "");
}

static void judge_modeldeployment(actx *c) {
    const mg_admission_request *r = c->req;
    if (streq(r->subresource, "scale")) {
        if (r->op != MG_OP_UPDATE) return allow(c, "subresource");
        long long want = replicas_of(r->object, 0), had = replicas_of(r->old_object, 0);
        if (want <= had) return allow(c, "scale-down");
        const json_t *md = IXCALL(c, modeldeployment, c->ns, r->name);
        if (!md) {
            mg_admission_decision_warn(
                c->d,
                "modelgov: ModelDeployment %s/%s is not in the webhook's cache yet; scale-up not checked",
                c->ns, r->name);
            return allow(c, "quarantine-scale");
        }
        return md_quarantine_check(c, r->name, md, had, want);
    }
    if (r->subresource[0]) return allow(c, "subresource");
    if (r->op == MG_OP_CREATE) {
        long long want = replicas_of(r->object, 1);
        if (want <= 0) return allow(c, "quarantine-scale");
        return md_quarantine_check(c, objname(c, r->object), r->object, 0, want);
    }
    if (r->op == MG_OP_UPDATE) {
        long long want = replicas_of(r->object, 1), had = replicas_of(r->old_object, 1);
        const char *mvn = mg_json_str(r->object, "spec", "modelVersion", NULL);
        if (!streq(mvn, mg_json_str(r->old_object, "spec", "modelVersion", NULL)))
            had = 0; /* a new model starts from zero */
        if (want <= had) return allow(c, "scale-down");
        return md_quarantine_check(c, r->name, r->object, had, want);
    }
    allow(c, "default-allow");
}

/* ---- governance records ---------------------------------------------------------------------- */

static void judge_immutable(actx *c, const char *kind) {
    const mg_admission_request *r = c->req;
    const json_t *a = json_object_get(r->old_object, "spec"), *b = json_object_get(r->object, "spec");
    if (!r->old_object || json_equal((json_t *)a, (json_t *)b) || (!a && !b))
        return allow(c, "immutable-spec");
    mg_buf keys;
    mg_buf_init(&keys, MG_BUF_UNCAPPED); /* the CRD's structural schema bounds spec's keys */
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)b, k, v) {
        if (!json_equal((json_t *)v, json_object_get(a, k)))
            mg_buf_printf(&keys, "%sspec.%s", keys.len ? ", " : "", k);
    }
    json_object_foreach((json_t *)a, k, v) {
        if (!json_object_get(b, k)) mg_buf_printf(&keys, "%sspec.%s", keys.len ? ", " : "", k);
    }
    deny(c, "immutable-spec", "the spec of %s %s is immutable (changed: %s); create a new %s instead", kind,
         r->name, keys.len ? keys.data : "spec", kind);
    mg_buf_free(&keys);
}

/* With modelRepositories configured, a ModelVersion's image must lie under one: registering an
 * ordinary image (busybox) would otherwise make it a model image and refuse it everywhere in the
 * namespace. Denies and returns false when it does not. */
static bool modelversion_image_governed(actx *c, const char *name, const char *image) {
    const mg_strlist *prefixes = &c->cfg->model_repositories;
    mg_imageref ref;
    if (prefixes->len == 0 || mg_imageref_parse(image, &ref, NULL) != 0 ||
        mg_identity_is_model_repository(c->cfg, &ref))
        return true;
    mg_buf list;
    mg_buf_init(&list, MG_BUF_UNCAPPED); /* the configuration's own list */
    for (size_t i = 0; i < prefixes->len; i++)
        mg_buf_printf(&list, "%s%s", i ? ", " : "", prefixes->items[i]);
    deny(c, "modelversion-image",
         "ModelVersion %s: spec.image %s is not under a model repository (modelRepositories: %s): only "
         "images there can be registered as models",
         name, image, list.data);
    mg_buf_free(&list);
    return false;
}

static void judge_modelversion_create(actx *c) {
    const mg_admission_request *r = c->req;
    const char *author = ann(r->object, MG_ANNOTATION_AUTHOR);
    const char *name = objname(c, r->object);
    if (!author || !streq(author, r->username))
        return deny(c, "modelversion-author",
                    "ModelVersion %s must carry the annotation %s=%s (the requesting user)%s%s%s", name,
                    MG_ANNOTATION_AUTHOR, r->username[0] ? r->username : "(anonymous)",
                    author ? ", not '" : "", author ? author : "", author ? "'" : "");
    const char *model = mg_json_str(r->object, "spec", "model", NULL),
               *version = mg_json_str(r->object, "spec", "version", NULL);
    if (!model || !version)
        return deny(c, "modelversion-unique", "ModelVersion %s needs spec.model and spec.version", name);
    const char *image = mg_json_str(r->object, "spec", "image", NULL),
               *digest = mg_json_str(r->object, "spec", "digest", NULL);
    char repo[MG_IMAGEREF_CANON_MAX + 1];
    mg_error err;
    if (!image || mg_imageref_normalize_repo(image, repo, sizeof(repo), &err) != 0)
        return deny(c, "modelversion-unique",
                    "ModelVersion %s: spec.image '%s' must be an image repository without tag or digest: %s",
                    name, image ? image : "", image ? err.message : "missing");
    if (!modelversion_image_governed(c, name, image)) return;
    if (!mg_imageref_is_sha256_digest(digest))
        return deny(c, "modelversion-unique",
                    "ModelVersion %s: spec.digest '%s' must be sha256:<64 lowercase hex>", name,
                    digest ? digest : "");
    char tagref[MG_IMAGEREF_NAME_MAX + MG_IMAGEREF_TAG_MAX + 2];
    mg_imageref tmp;
    snprintf(tagref, sizeof(tagref), "%s:%s", image, version);
    if (mg_imageref_parse(tagref, &tmp, NULL) != 0 || strcmp(tmp.tag, version) != 0)
        return deny(c, "modelversion-unique", "ModelVersion %s: spec.version '%s' is not a valid image tag",
                    name, version);
    const json_t *same = arr_or_empty(IXCALL(c, mv_by_model, c->ns, model));
    size_t i;
    const json_t *mv;
    json_array_foreach(same, i, mv) {
        if (streq(mg_json_str(mv, "spec", "version", NULL), version) && !streq(mvname(mv), name))
            return deny(c, "modelversion-unique",
                        "model %s version %s is already registered in namespace %s as ModelVersion %s: "
                        "versions are immutable, pick a new version",
                        model, version, c->ns, mvname(mv));
    }
    const char *why = NULL;
    if (mv_quarantined(c, r->object, &why))
        return deny(
            c, "quarantined-digest",
            "ModelVersion %s: digest %s is quarantined in namespace %s (%s): a quarantined artifact cannot "
            "be registered again under another ModelVersion",
            name, digest, c->ns, why);
    allow(c, "modelversion-create");
}

/* The reviewer is the requesting user, the verdict fits the kind, the user is in the kind's
 * reviewer groups. False after denying. */
static bool review_identity(actx *c, const char *name, mg_review_kind *kind_out,
                            mg_review_verdict *verdict_out) {
    const mg_admission_request *r = c->req;
    const json_t *o = r->object;
    const char *reviewer = mg_json_str(o, "spec", "reviewer", NULL);
    const char *kind_s = mg_json_str(o, "spec", "kind", NULL),
               *verdict_s = mg_json_str(o, "spec", "verdict", NULL);
    if (!streq(reviewer, r->username))
        return deny(c, "review-identity",
                    "ModelReview %s: spec.reviewer '%s' must be the requesting user '%s'", name,
                    reviewer ? reviewer : "", r->username),
               false;
    mg_review_kind kind = *kind_out = mg_review_kind_parse(kind_s);
    mg_review_verdict verdict = *verdict_out = mg_review_verdict_parse(verdict_s);
    if (kind == MG_REVIEW_KIND_INVALID)
        return deny(c, "review-identity",
                    "ModelReview %s: spec.kind '%s' is not security, performance, bias or incident", name,
                    kind_s ? kind_s : ""),
               false;
    if (!mg_review_verdict_fits(kind, verdict))
        return deny(c, "review-identity", "ModelReview %s: verdict '%s' does not fit a %s review (use %s)",
                    name, verdict_s ? verdict_s : "", kind_s,
                    kind == MG_REVIEW_INCIDENT ? "confirm or release" : "approve or reject"),
               false;
    const mg_strlist *groups = &c->cfg->reviewer_groups[kind];
    if (groups->len == 0 || in_any_group(r, groups)) return true;
    mg_buf b;
    mg_buf_init(&b, MG_BUF_UNCAPPED); /* the configuration's own list */
    for (size_t i = 0; i < groups->len; i++)
        mg_buf_printf(&b, "%s%s", i ? ", " : "", groups->items[i]);
    deny(c, "review-identity", "user %s may not make %s reviews: not in the reviewer group(s) %s",
         r->username, kind_s, b.data);
    mg_buf_free(&b);
    return false;
}

/* The ModelVersion a review judges: spec.modelVersion, or the one spec.modelDeployment runs (when
 * both are given, the deployment must run that version). NULL after denying. */
static const json_t *review_target(actx *c, const char *name) {
    const json_t *o = c->req->object;
    const char *mvn = mg_json_str(o, "spec", "modelVersion", NULL),
               *mdn = mg_json_str(o, "spec", "modelDeployment", NULL);
    if (mdn) {
        const json_t *md = IXCALL(c, modeldeployment, c->ns, mdn);
        if (!md)
            return deny(c, "review-identity", "ModelReview %s: ModelDeployment %s not found in namespace %s",
                        name, mdn, c->ns),
                   NULL;
        const char *runs = mg_json_str(md, "spec", "modelVersion", NULL);
        if (mvn && !streq(mvn, runs))
            return deny(c, "review-identity",
                        "ModelReview %s: ModelDeployment %s runs ModelVersion %s, not %s", name, mdn,
                        runs ? runs : "(none)", mvn),
                   NULL;
        mvn = runs;
    }
    if (!mvn)
        return deny(c, "review-identity",
                    "ModelReview %s names neither spec.modelVersion nor spec.modelDeployment", name),
               NULL;
    const json_t *mv = IXCALL(c, mv_by_name, c->ns, mvn);
    if (!mv)
        deny(c, "review-identity", "ModelReview %s: ModelVersion %s not found in namespace %s", name, mvn,
             c->ns);
    return mv;
}

/* A review counts only for the object it records (policy/mvstate): spec.modelVersionUID and
 * spec.digest must be those of the ModelVersion it judges now. */
static bool review_binding(actx *c, const char *name, const json_t *mv) {
    const json_t *o = c->req->object;
    const char *uid = mg_json_str(mv, "metadata", "uid", NULL),
               *digest = mg_json_str(mv, "spec", "digest", NULL);
    const char *ruid = mg_json_str(o, "spec", MG_REVIEW_FIELD_UID, NULL),
               *rdigest = mg_json_str(o, "spec", MG_REVIEW_FIELD_DIGEST, NULL);
    if (uid && digest && streq(ruid, uid) && streq(rdigest, digest)) return true;
    deny(c, "review-binding",
         "ModelReview %s must record the ModelVersion it judges: spec.%s: %s and spec.%s: %s (ModelVersion "
         "%s)%s "
         "(kubectl modelgov review fills them)",
         name, MG_REVIEW_FIELD_UID, uid ? uid : "?", MG_REVIEW_FIELD_DIGEST, digest ? digest : "?",
         mvname(mv),
         ruid && !streq(ruid, uid) ? "; it records another object (deleted and registered again?)" : "");
    return false;
}

static void judge_review_create(actx *c) {
    const mg_admission_request *r = c->req;
    const char *name = objname(c, r->object);
    mg_review_kind kind;
    mg_review_verdict verdict;
    if (!review_identity(c, name, &kind, &verdict)) return;
    if (json_array_size(mg_json_get(r->object, "metadata", "ownerReferences", NULL)) > 0)
        return deny(
            c, "review-record",
            "ModelReview %s: reviews are records and carry no ownerReferences (garbage collection would "
            "erase them)",
            name);
    const json_t *mv = review_target(c, name);
    if (!mv || !review_binding(c, name, mv)) return;
    const char *author = ann(mv, MG_ANNOTATION_AUTHOR), *reviewer = r->username;
    if (!author)
        mg_admission_decision_warn(
            c->d, "modelgov: ModelVersion %s has no %s annotation; separation of duties not checked",
            mvname(mv), MG_ANNOTATION_AUTHOR);
    else if (streq(author, reviewer))
        return deny(c, "review-identity",
                    "separation of duties: %s registered ModelVersion %s and cannot review it", reviewer,
                    mvname(mv));
    const char *why = NULL;
    if (verdict == MG_VERDICT_APPROVE && mv_quarantined(c, mv, &why))
        return deny(
            c, "review-quarantined",
            "ModelReview %s: ModelVersion %s is quarantined (%s): a quarantined digest cannot be approved; "
            "release it with an incident review first",
            name, mvname(mv), why);
    allow(c, "review-identity");
}

static void judge_trainingrun(actx *c) {
    const mg_admission_request *r = c->req;
    const char *dsn = mg_json_str(r->object, "spec", "datasetVersion", NULL);
    const char *name = objname(c, r->object);
    if (!dsn) return deny(c, "training-dataset", "TrainingRun %s has no spec.datasetVersion", name);
    const json_t *ds = IXCALL(c, dataset, c->ns, dsn);
    if (!ds)
        return deny(c, "training-dataset", "TrainingRun %s: DatasetVersion %s not found in namespace %s",
                    name, dsn, c->ns);
    const char *method = mg_json_str(ds, "spec", "privacy", "method", NULL);
    if (!streq(method, "anonymized") && !streq(method, "pseudonymized"))
        return deny(c, "training-dataset",
                    "TrainingRun %s: DatasetVersion %s has no privacy attestation (spec.privacy.method is "
                    "'%s'): anonymize or pseudonymize it first",
                    name, dsn, method ? method : "");
    const json_t *scan = mg_json_get(ds, "status", "biasScan", NULL);
    if (!json_is_object(scan))
        return deny(c, "training-dataset",
                    "TrainingRun %s: DatasetVersion %s has no bias scan (run kubectl modelgov bias-scan)",
                    name, dsn);
    if (!json_is_true(json_object_get(scan, "passed")))
        return deny(c, "training-dataset", "TrainingRun %s: the bias scan of DatasetVersion %s did not pass",
                    name, dsn);
    const char *file = mg_json_str(scan, "fileDigest", NULL),
               *digest = mg_json_str(ds, "spec", "digest", NULL);
    if (!streq(file, digest))
        return deny(
            c, "training-dataset",
            "TrainingRun %s: the bias scan of DatasetVersion %s attests file digest '%s', not the dataset's "
            "spec.digest %s: scan the dataset's own file",
            name, dsn, file ? file : "", digest ? digest : "(none)");
    const char *tool = mg_json_str(scan, "tool", "name", NULL);
    if (!mg_strlist_contains(&c->cfg->approved_scan_tools, tool))
        return deny(c, "training-dataset",
                    "TrainingRun %s: the bias scan of DatasetVersion %s was made by '%s', which is not an "
                    "approved scan tool",
                    name, dsn, tool ? tool : "");
    allow(c, "training-dataset");
}

/* Denies deleting kind r->name while refs (stubs with "kind" and metadata.name) exist; the message
 * names the first IN_USE_SHOWN of them and counts the rest. */
#define IN_USE_SHOWN 5
static void deny_in_use(actx *c, const char *rule, const char *kind, const json_t *refs) {
    if (!refs || json_array_size(refs) == 0) return allow(c, rule);
    mg_buf b;
    mg_buf_init(&b, MG_BUF_UNCAPPED); /* at most IN_USE_SHOWN names */
    size_t i;
    const json_t *o;
    json_array_foreach(refs, i, o) {
        if (i == IN_USE_SHOWN) {
            mg_buf_printf(&b, " and %zu more", json_array_size(refs) - IN_USE_SHOWN);
            break;
        }
        const char *k = mg_json_str(o, "kind", NULL);
        mg_buf_printf(&b, "%s%s %s", i ? ", " : "", k ? k : "object", mvname(o) ? mvname(o) : "?");
    }
    deny(c, rule, "%s %s is referenced by %s and cannot be deleted (its lineage must stay traceable)", kind,
         c->req->name, b.data);
    mg_buf_free(&b);
}

/* The namespace is being deleted: its records go with it (the only way they may go). */
static bool ns_terminating(actx *c) {
    const json_t *ns = IXCALL(c, namespace_, c->ns);
    return mg_json_get(ns, "metadata", "deletionTimestamp", NULL) ||
           streq(mg_json_str(ns, "status", "phase", NULL), "Terminating");
}

/* Records are append-only: reviews go only with their namespace or by a records admin (and their
 * verdicts stay in ModelVersion status: deleting never approves); a lineage link stays while a
 * later one exists; a quarantined ModelVersion stays so that its digest's quarantine does. */
static void judge_record_delete(actx *c) {
    const mg_admission_request *r = c->req;
    const char *res = r->resource;
    if (ns_terminating(c)) return allow(c, "namespace-deletion");
    if (streq(res, MG_RES_MODELREVIEWS)) {
        if (in_any_group(r, &c->cfg->records_admin_groups)) return allow(c, "records-admin");
        return deny(
            c, "append-only",
            "ModelReview %s is a governance record: reviews are append-only (only the namespace's deletion "
            "or a member of recordsAdminGroups removes one); file a new review instead",
            r->name);
    }
    if (streq(res, MG_RES_DATASETVERSIONS))
        return deny_in_use(c, "dataset-in-use", MG_KIND_DATASETVERSION,
                           arr_or_empty(IXCALL(c, dataset_referrers, c->ns, r->name)));
    if (streq(res, MG_RES_TRAININGRUNS))
        return deny_in_use(c, "trainingrun-in-use", MG_KIND_TRAININGRUN,
                           arr_or_empty(IXCALL(c, trainingrun_referrers, c->ns, r->name)));
    const char *why = NULL;
    if (streq(res, MG_RES_MODELVERSIONS) && r->old_object && mv_quarantined(c, r->old_object, &why))
        return deny(
            c, "quarantine-record",
            "ModelVersion %s is quarantined (%s): it cannot be deleted while quarantined (its digest's "
            "quarantine would go with it); release it first",
            r->name, why);
    allow(c, "delete");
}

/* The governance metadata of a record cannot change: the author annotation, ownerReferences (an
 * owner that goes away would take the record with it) and finalizers (except that finalizers may
 * be removed from a record whose deletion was already admitted). */
/* Finalizers unchanged, or (once deletion was admitted) only removed. */
static bool finalizers_ok(const json_t *old, const json_t *now, bool deleting) {
    if (json_equal((json_t *)old, (json_t *)now) || (json_array_size(old) == 0 && json_array_size(now) == 0))
        return true;
    if (!deleting) return false;
    size_t i, j;
    const json_t *f, *g;
    json_array_foreach(now, i, f) {
        bool had = false;
        json_array_foreach(old, j, g) had = had || json_equal((json_t *)f, (json_t *)g);
        if (!had) return false;
    }
    return true;
}

static void judge_record_metadata(actx *c, const char *kind) {
    const mg_admission_request *r = c->req;
    const json_t *o = r->object, *old = r->old_object;
    const char *changed = NULL;
    if (!streq(ann(o, MG_ANNOTATION_AUTHOR), ann(old, MG_ANNOTATION_AUTHOR)) &&
        (ann(o, MG_ANNOTATION_AUTHOR) || ann(old, MG_ANNOTATION_AUTHOR)))
        changed = "the " MG_ANNOTATION_AUTHOR " annotation";
    else if (!json_equal(mg_json_get(o, "metadata", "ownerReferences", NULL),
                         mg_json_get(old, "metadata", "ownerReferences", NULL)) &&
             (json_array_size(mg_json_get(o, "metadata", "ownerReferences", NULL)) ||
              json_array_size(mg_json_get(old, "metadata", "ownerReferences", NULL))))
        changed = "metadata.ownerReferences";
    else if (!finalizers_ok(mg_json_get(old, "metadata", "finalizers", NULL),
                            mg_json_get(o, "metadata", "finalizers", NULL),
                            mg_json_get(old, "metadata", "deletionTimestamp", NULL) != NULL))
        changed = "metadata.finalizers";
    if (changed)
        return deny(c, "immutable-metadata",
                    "%s of %s %s is immutable: governance records keep who made them and "
                    "what may remove them",
                    changed, kind, r->name);
    judge_immutable(c, kind);
}

/* Status is written only by whom it belongs to: the operator's identity for ModelVersions (approval,
 * verdicts, quarantine), ModelDeployments and ModelReviews; a scanner for a DatasetVersion's bias
 * scan, attesting the dataset's own file (status.biasScan.fileDigest == spec.digest). TrainingRun
 * status (experiment tracking) is not trusted by any rule and stays open. */
static void judge_status(actx *c) {
    const mg_admission_request *r = c->req;
    const char *res = r->resource;
    const json_t *now = json_object_get(r->object, "status"), *old = json_object_get(r->old_object, "status");
    if (r->op != MG_OP_UPDATE || streq(res, MG_RES_TRAININGRUNS) ||
        json_equal((json_t *)now, (json_t *)old) || (!now && !old))
        return allow(c, "status-subresource");
    bool op = mg_policy_config_is_operator(c->cfg, r->username);
    if (!streq(res, MG_RES_DATASETVERSIONS)) {
        if (op) return allow(c, "status-operator");
        return deny(
            c, "status-guard",
            "the status of %s %s is written only by the modelgov operator (operatorServiceAccount%s%s), "
            "not by %s",
            r->kind, r->name, c->cfg->operator_service_account ? " " : ": none configured",
            c->cfg->operator_service_account ? c->cfg->operator_service_account : "", r->username);
    }
    if (!op && !in_any_group(r, &c->cfg->scanner_groups))
        return deny(
            c, "status-guard",
            "the bias scan of DatasetVersion %s is attested only by members of scannerGroups%s, not by %s",
            r->name, c->cfg->scanner_groups.len ? "" : " (none configured)", r->username);
    const json_t *scan = json_object_get(now, "biasScan");
    const char *file = mg_json_str(scan, "fileDigest", NULL),
               *digest = mg_json_str(r->object, "spec", "digest", NULL);
    if (scan && !streq(file, digest))
        return deny(c, "status-guard",
                    "DatasetVersion %s: status.biasScan.fileDigest '%s' must equal spec.digest %s (a scan "
                    "attests the "
                    "dataset's own file)",
                    r->name, file ? file : "", digest ? digest : "(none)");
    allow(c, "status-scanner");
}

static void judge_governance(actx *c) {
    const mg_admission_request *r = c->req;
    const char *res = r->resource;
    if (r->op == MG_OP_DELETE) return judge_record_delete(c);
    if (streq(res, MG_RES_MODELDEPLOYMENTS)) return judge_modeldeployment(c);
    if (r->subresource[0]) return allow(c, "subresource");
    if (r->op == MG_OP_UPDATE) {
        if (streq(res, MG_RES_DATASETVERSIONS)) return judge_record_metadata(c, MG_KIND_DATASETVERSION);
        if (streq(res, MG_RES_MODELVERSIONS)) return judge_record_metadata(c, MG_KIND_MODELVERSION);
        if (streq(res, MG_RES_MODELREVIEWS)) return judge_record_metadata(c, MG_KIND_MODELREVIEW);
        if (streq(res, MG_RES_TRAININGRUNS)) return judge_record_metadata(c, MG_KIND_TRAININGRUN);
    } else if (r->op == MG_OP_CREATE) {
        if (streq(res, MG_RES_MODELVERSIONS)) return judge_modelversion_create(c);
        if (streq(res, MG_RES_MODELREVIEWS)) return judge_review_create(c);
        if (streq(res, MG_RES_TRAININGRUNS)) return judge_trainingrun(c);
    }
    allow(c, "default-allow");
}

/* ---- entry ----------------------------------------------------------------------------------- */

static void actx_init(actx *c, const mg_admission_input *in, mg_admission_decision *out) {
    memset(c, 0, sizeof *c);
    c->in = in;
    c->req = in->req;
    c->cfg = in->cfg;
    c->ix = in->index;
    c->group = in->group && *in->group ? in->group : MG_API_GROUP;
    c->ns = in->req->namespace_;
    c->d = out;
    c->keep = json_array();
}

void mg_admission_mutate(const mg_admission_input *in, mg_admission_decision *out) {
    actx c;
    actx_init(&c, in, out);
    c.pins = json_array();
    const mg_admission_request *r = in->req;
    const workload_kind *wk;
    bool exempt = mg_strlist_contains(&c.cfg->exempt_namespaces, r->namespace_) ||
                  mg_policy_config_sa_exempt(c.cfg, r->username);
    bool pod_spec_change = r->op == MG_OP_CREATE || r->op == MG_OP_UPDATE;
    if (exempt || !pod_spec_change) {
        allow(&c, "pin-none");
    } else if (streq(r->group, "") && streq(r->resource, "pods") &&
               (!r->subresource[0] || streq(r->subresource, "ephemeralcontainers"))) {
        judge_pod(&c);
    } else if (!r->subresource[0] && (wk = workload_of(r->group, r->resource)) != NULL) {
        judge_workload(&c, wk);
    } else {
        allow(&c, "pin-none");
    }
    /* The validating webhook gives the verdict; this side only pins what it would admit. */
    bool pinned = !c.denied && json_array_size(c.pins) > 0;
    free(out->message);
    out->message = NULL;
    mg_strlist_free(&out->warnings);
    out->allowed = true;
    out->code = 0;
    out->reason[0] = '\0';
    out->rule = pinned ? "pin-tags" : "pin-none";
    json_decref(out->patch);
    out->patch = pinned ? json_incref(c.pins) : NULL;
    json_decref(c.pins);
    json_decref(c.keep);
}

void mg_admission_decide(const mg_admission_input *in, mg_admission_decision *out) {
    actx c;
    actx_init(&c, in, out);
    const mg_admission_request *r = in->req;
    const workload_kind *wk;

    if (mg_strlist_contains(&c.cfg->exempt_namespaces, r->namespace_)) {
        allow(&c, "exempt-namespace");
    } else if (mg_policy_config_sa_exempt(c.cfg, r->username)) {
        allow(&c, "exempt-service-account");
    } else if (r->op == MG_OP_CONNECT) {
        allow(&c, "connect");
    } else if (streq(r->group, c.group)) {
        if (streq(r->subresource, "status"))
            judge_status(&c);
        else
            judge_governance(&c);
    } else if (r->op == MG_OP_DELETE) {
        allow(&c, "delete");
    } else if (streq(r->subresource, "status")) {
        allow(&c, "status-subresource");
    } else if (streq(r->group, "") && streq(r->resource, "pods")) {
        judge_pod(&c);
    } else if ((wk = workload_of(r->group, r->resource)) != NULL) {
        judge_workload(&c, wk);
    } else {
        allow(&c, "default-allow");
    }

    if (c.denied && c.cfg->mode == MG_POLICY_AUDIT) {
        mg_admission_decision_warn(out, "audit: would deny: %s", out->message ? out->message : "");
        out->allowed = true;
        out->code = 0;
        out->reason[0] = '\0';
    }
    json_decref(c.keep);
}
