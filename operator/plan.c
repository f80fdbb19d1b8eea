#include "operator/plan.h"

#include <string.h>

#include "core/json.h"
#include "core/mem.h"

char *mg_plan_pinned_image(const json_t *mv) {
    const char *image = mg_json_str(mv, "spec", "image", NULL);
    const char *digest = mg_json_str(mv, "spec", "digest", NULL);
    if (!image || !digest || !*image || !*digest) return NULL;
    /* spec.image is a repository without tag; tolerate a tag someone left on it by cutting it
     * (a ':' after the last '/') so the reference stays repository@digest. */
    const char *slash = strrchr(image, '/');
    const char *colon = strrchr(slash ? slash : image, ':');
    size_t repo_len = colon ? (size_t)(colon - image) : strlen(image);
    return mg_xasprintf("%.*s@%s", (int)repo_len, image, digest);
}

long long mg_plan_port(const json_t *md) {
    long long port = mg_json_int(md, MG_DEFAULT_PORT, "spec", "port", NULL);
    return port > 0 && port < 65536 ? port : MG_DEFAULT_PORT;
}

static json_t *owner_reference(const json_t *md) {
    return json_pack("{s:s, s:s, s:s, s:s, s:b, s:b}", "apiVersion", MG_API_GROUP_VERSION, "kind",
                     MG_KIND_MODELDEPLOYMENT, "name", mg_json_str(md, "metadata", "name", NULL), "uid",
                     mg_json_str(md, "metadata", "uid", NULL) ? mg_json_str(md, "metadata", "uid", NULL) : "",
                     "controller", 1, "blockOwnerDeletion", 1);
}

static const char *model_name(const json_t *md, const json_t *mv) {
    const char *m = mv ? mg_json_str(mv, "spec", "model", NULL) : NULL;
    return m ? m : mg_json_str(md, "metadata", "name", NULL);
}

static json_t *labels(const json_t *md, const json_t *mv) {
    const char *name = mg_json_str(md, "metadata", "name", NULL);
    json_t *l =
        json_pack("{s:s, s:s, s:s, s:s}", MG_LABEL_MANAGED_BY, MG_MANAGER_NAME, "app.kubernetes.io/name",
                  model_name(md, mv), "app.kubernetes.io/instance", name, MG_LABEL_MODELDEPLOYMENT, name);
    json_object_set_new(l, MG_LABEL_MODEL, json_string(model_name(md, mv)));
    const char *mv_name = mv ? mg_json_str(mv, "metadata", "name", NULL) : NULL;
    if (mv_name) json_object_set_new(l, MG_LABEL_MODEL_VERSION, json_string(mv_name));
    return l;
}

static json_t *metadata(const json_t *md, const json_t *mv) {
    return json_pack("{s:s, s:s, s:o, s:[o]}", "name", mg_json_str(md, "metadata", "name", NULL), "namespace",
                     mg_json_str(md, "metadata", "namespace", NULL), "labels", labels(md, mv),
                     "ownerReferences", owner_reference(md));
}

json_t *mg_plan_deployment(const json_t *md, const json_t *mv, long long replicas) {
    const char *name = mg_json_str(md, "metadata", "name", NULL);
    char *image = mg_plan_pinned_image(mv);
    long long port = mg_plan_port(md);
    const char *health = mg_json_str(md, "spec", "healthPath", NULL);
    json_t *container =
        json_pack("{s:s, s:s, s:[{s:s, s:I, s:s}], s:{s:{s:s, s:s}, s:I, s:I}}", "name", "model", "image",
                  image ? image : "", "ports", "name", "http", "containerPort", (json_int_t)port, "protocol",
                  "TCP", "readinessProbe", "httpGet", "path", health ? health : MG_DEFAULT_HEALTH_PATH,
                  "port", "http", "periodSeconds", (json_int_t)5, "failureThreshold", (json_int_t)3);
    free(image);
    json_t *resources = mg_json_get(md, "spec", "resources", NULL);
    if (json_is_object(resources)) json_object_set(container, "resources", resources);
    json_t *env = mg_json_get(md, "spec", "env", NULL);
    if (json_is_array(env) && json_array_size(env)) json_object_set(container, "env", env);

    json_t *pod_labels = labels(md, mv);
    json_object_del(pod_labels, MG_LABEL_MANAGED_BY); /* pods are not watched by the operator */
    json_t *d = json_pack("{s:s, s:s, s:o, s:{s:I, s:{s:{s:s}}, s:{s:{s:o}, s:{s:[o]}}}}", "apiVersion",
                          "apps/v1", "kind", "Deployment", "metadata", metadata(md, mv), "spec", "replicas",
                          (json_int_t)replicas, "selector", "matchLabels", MG_LABEL_MODELDEPLOYMENT, name,
                          "template", "metadata", "labels", pod_labels, "spec", "containers", container);
    return d;
}

json_t *mg_plan_service(const json_t *md) {
    const char *name = mg_json_str(md, "metadata", "name", NULL);
    long long port = mg_plan_port(md);
    return json_pack("{s:s, s:s, s:o, s:{s:{s:s}, s:[{s:s, s:I, s:s, s:s}]}}", "apiVersion", "v1", "kind",
                     "Service", "metadata", metadata(md, NULL), "spec", "selector", MG_LABEL_MODELDEPLOYMENT,
                     name, "ports", "name", "http", "port", (json_int_t)port, "targetPort", "http",
                     "protocol", "TCP");
}
