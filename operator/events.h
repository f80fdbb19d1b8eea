/* operator/events — records core/v1 Events about the operator's objects.
 *
 * Owns: nothing persistent. mg_event_post() writes one Event (type Normal/Warning, reason,
 * message) whose involvedObject is obj (borrowed), named "<obj name>.<16 hex>" like client-go's
 * recorder, with source component "modelgov-operator". A failed write is returned to the caller
 * (who logs it): events are best-effort and must never block a reconcile. */
#ifndef MG_OPERATOR_EVENTS_H
#define MG_OPERATOR_EVENTS_H
#include <jansson.h>

#include "core/error.h"
#include "k8s/client.h"

int mg_event_post(mg_client *c, const json_t *obj, const char *type, const char *reason, const char *message,
                  const char *instance, mg_error *err);

#endif
