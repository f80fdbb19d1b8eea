#include "operator/events.h"

#include <stdint.h>

#include "api/api.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/mem.h"

int mg_event_post(mg_client *c, const json_t *obj, const char *type, const char *reason, const char *message,
                  const char *instance, mg_error *err) {
    const char *ns = mg_json_str(obj, "metadata", "namespace", NULL);
    const char *name = mg_json_str(obj, "metadata", "name", NULL);
    if (!ns || !name) return mg_error_set(err, MG_EINVAL, "event: object has no namespace/name");
    int64_t now_ms = mg_clock_wall_ms();
    char now[40];
    mg_clock_rfc3339(now_ms, now, sizeof(now));
    char *ev_name = mg_xasprintf(
        "%s.%llx", name, (unsigned long long)now_ms * 1000003ULL ^ (unsigned long long)(uintptr_t)obj);
    const char *api_version = mg_json_str(obj, "apiVersion", NULL);
    const char *kind = mg_json_str(obj, "kind", NULL);
    json_t *ev = json_pack(
        "{s:s, s:s, s:{s:s, s:s}, s:{s:s, s:s, s:s, s:s, s:s, s:s}, s:s, s:s, s:s, s:{s:s}, s:s, s:s, s:i, "
        "s:s, s:s}",
        "apiVersion", "v1", "kind", "Event", "metadata", "name", ev_name, "namespace", ns, "involvedObject",
        "apiVersion", api_version ? api_version : "", "kind", kind ? kind : "", "namespace", ns, "name", name,
        "uid", mg_json_str(obj, "metadata", "uid", NULL) ? mg_json_str(obj, "metadata", "uid", NULL) : "",
        "resourceVersion",
        mg_json_str(obj, "metadata", "resourceVersion", NULL)
            ? mg_json_str(obj, "metadata", "resourceVersion", NULL)
            : "",
        "reason", reason, "message", message ? message : "", "type", type, "source", "component",
        "modelgov-operator", "firstTimestamp", now, "lastTimestamp", now, "count", 1, "reportingComponent",
        "modelgov-operator", "reportingInstance", instance ? instance : "");
    free(ev_name);
    int rc = mg_k8s_create(c, &MG_GVR_EVENTS, ns, ev, NULL, err);
    json_decref(ev);
    return rc;
}
