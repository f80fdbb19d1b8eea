/* operator/alerts — alerts for Prometheus Alertmanager (API v2, POST /api/v2/alerts).
 *
 * Owns: no state. mg_alert_json builds one postableAlert: labels {alertname, namespace,
 * modeldeployment, model, version, metric, severity[, subject]}, annotations {summary, value,
 * threshold}, startsAt, and endsAt when resolved (a resolved alert is re-posted with endsAt =
 * now, which is how Alertmanager learns it ended). While an alert fires the operator re-posts
 * it every evaluation (Alertmanager expires an alert not re-sent within its resolve_timeout).
 * mg_alerts_post sends an array in one request; errors carry the HTTP status and body text. */
#ifndef MG_OPERATOR_ALERTS_H
#define MG_OPERATOR_ALERTS_H
#include <jansson.h>
#include <stdbool.h>

#include "core/error.h"

typedef struct mg_alert_fields {
    const char *alertname; /* e.g. "ModelDataDrift" */
    const char *namespace;
    const char *modeldeployment;
    const char *model;
    const char *version;
    const char *metric;   /* threshold name, e.g. "maxPSI" */
    const char *subject;  /* feature or attribute, or NULL */
    const char *severity; /* "warning" or "critical" */
    double value, threshold;
    const char *summary;
    const char *starts_at;     /* RFC 3339 */
    const char *ends_at;       /* RFC 3339 when resolved, else NULL */
    const char *generator_url; /* may be NULL */
} mg_alert_fields;

json_t *mg_alert_json(const mg_alert_fields *f);
/* POSTs alerts (a JSON array) to base_url + "/api/v2/alerts". */
int mg_alerts_post(const char *base_url, const json_t *alerts, long timeout_ms, mg_error *err);

#endif
