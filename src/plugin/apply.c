/* plugin/apply — writes command results to the cluster: `bias-scan --apply dsv/NAME`.
 *
 * Reads the DatasetVersion, refuses when the scanned file's digest is not its spec.digest, then
 * merge-patches status.biasScan through the status subresource (so spec and the other status
 * fields are untouched). Errors from the API keep the server's Status message. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "core/clock.h"
#include "core/json.h"
#include "k8s/client.h"
#include "k8s/kubeconfig.h"
#include "plugin/cli.h"
#include "plugin/commands.h"

int mg_plugin_apply_bias_scan(const mg_global *g, const char *target, json_t *scan, const char *cmd);

int mg_plugin_apply_bias_scan(const mg_global *g, const char *target, json_t *scan, const char *cmd) {
    const char *name = strchr(target, '/') + 1;
    mg_rest_config cfg;
    mg_client *c = NULL;
    const char *ns = NULL;
    mg_error err = {0};
    json_t *dsv = NULL, *patch = NULL, *out = NULL;
    int rc = MG_EXIT_CLUSTER;
    if (mg_plugin_connect(g, &cfg, &c, &ns, &err)) {
        mg_cli_fail(cmd, &err, MG_EXIT_CLUSTER);
        goto done;
    }
    if (mg_k8s_get(c, &MG_GVR_DATASETVERSIONS, ns, name, NULL, &dsv, &err)) {
        mg_error_wrap(&err, "getting datasetversion %s/%s", ns, name);
        mg_cli_fail(cmd, &err, MG_EXIT_CLUSTER);
        goto done;
    }
    const char *want = mg_json_str(dsv, "spec", "digest", NULL);
    const char *have = json_string_value(json_object_get(scan, "fileDigest"));
    if (!want || !have || strcmp(want, have) != 0) {
        fprintf(
            stderr,
            "kubectl-modelgov %s: error: refusing to record the scan on datasetversion %s/%s: the scanned "
            "file's digest %s differs from its spec.digest %s\n",
            cmd, ns, name, have ? have : "(none)", want ? want : "(none)");
        rc = MG_EXIT_DATA;
        goto done;
    }
    char now[40];
    mg_clock_rfc3339(mg_clock_wall_ms(), now, sizeof now);
    json_t *groups = json_array();
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(scan, "groups"), i, x) {
        json_array_append_new(
            groups,
            json_pack("{s:O,s:O,s:O*,s:O*,s:O*,s:O*}", "attribute", json_object_get(x, "attribute"), "group",
                      json_object_get(x, "group"), "count", json_object_get(x, "count"), "share",
                      json_object_get(x, "share"), "positiveRate", json_object_get(x, "positiveRate"),
                      "disparateImpact", json_object_get(x, "disparateImpact")));
    }
    patch = json_pack("{s:{s:{s:O,s:s,s:{s:s,s:s},s:s,s:o}}}", "status", "biasScan", "passed",
                      json_object_get(scan, "passed"), "scannedAt", now, "tool", "name", "kubectl-modelgov",
                      "version", MG_VERSION, "fileDigest", have, "groups", groups);
    if (mg_k8s_merge_patch(c, &MG_GVR_DATASETVERSIONS, ns, name, "status", patch, &out, &err)) {
        mg_error_wrap(&err, "writing status.biasScan of datasetversion %s/%s", ns, name);
        mg_cli_fail(cmd, &err, MG_EXIT_CLUSTER);
        goto done;
    }
    fprintf(stderr, "datasetversion %s/%s: status.biasScan recorded (passed=%s, scannedAt=%s)\n", ns, name,
            json_is_true(json_object_get(scan, "passed")) ? "true" : "false", now);
    rc = 0;
done:
    json_decref(dsv);
    json_decref(patch);
    json_decref(out);
    mg_client_free(c);
    mg_rest_config_free(&cfg);
    return rc;
}
