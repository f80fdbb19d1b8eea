/* plugin/apply — writes command results to the cluster (bias-scan --apply). */
#include <jansson.h>
#include <stdio.h>

#include "plugin/cli.h"

int mg_plugin_apply_bias_scan(const mg_global *g, const char *target, json_t *scan, const char *cmd);

int mg_plugin_apply_bias_scan(const mg_global *g, const char *target, json_t *scan, const char *cmd) {
    (void)g;
    (void)scan;
    fprintf(stderr, "kubectl-modelgov %s: --apply %s: the Kubernetes client is not available in this build\n",
            cmd, target);
    return MG_EXIT_CLUSTER;
}
