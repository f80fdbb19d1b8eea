/* operator/alerts — alerts for Prometheus Alertmanager (API v2, POST /api/v2/alerts).
 *
 * Owns: no state of its own; the set of alerts firing for a ModelDeployment is the caller's (a
 * JSON object alert key → posted alert, NULL when empty). mg_alert_json builds one
 * postableAlert: labels {alertname, namespace, modeldeployment, model, version, metric,
 * severity[, subject]}, annotations {summary, value, threshold}, startsAt, and endsAt when
 * resolved (a resolved alert is re-posted with endsAt = now, which is how Alertmanager learns it
 * ended). While an alert fires it is re-posted at every evaluation (Alertmanager expires an
 * alert not re-sent within its resolve_timeout). Sending is the caller's (operator/fetch). */
#ifndef MG_OPERATOR_ALERTS_H
#define MG_OPERATOR_ALERTS_H
#include <jansson.h>
#include <stdbool.h>

#include "operator/evaluate.h"

#define MG_ALERTS_PATH "/api/v2/alerts"

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

/* What the alerts are about (borrowed strings). */
typedef struct mg_alert_subject {
    const char *namespace, *modeldeployment, *model, *version;
} mg_alert_subject;

/* The alerts to post after an evaluation: every active breach of t (re-sent while firing), and
 * the alerts of *firing that are no longer active, resolved at now. *firing (an object or NULL)
 * is updated to the active set (NULL when empty). Returns a new array (empty when nothing to
 * post). */
json_t *mg_alerts_sync(json_t **firing, const mg_breach_tracker *t, const mg_alert_subject *about,
                       const char *now);

#endif
