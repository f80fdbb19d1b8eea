/* k8s/conditions — metav1.Condition lists in status, with Kubernetes' transition rules.
 *
 * Owns: no state; operates on a caller-owned JSON array of conditions (type, status, reason,
 * message, lastTransitionTime, observedGeneration). lastTransitionTime changes only when status
 * flips (or the condition is new), so an idempotent reconcile never churns status. Not
 * thread-safe on the same array. */
#ifndef MG_K8S_CONDITIONS_H
#define MG_K8S_CONDITIONS_H
#include <jansson.h>
#include <stdbool.h>

/* Sets condition `type` in conds (a JSON array, modified in place). status is "True", "False"
 * or "Unknown"; now is an RFC 3339 time used only when the status flips. Returns true when
 * anything changed. */
bool mg_condition_set(json_t *conds, const char *type, const char *status, const char *reason,
                      const char *message, long long observed_generation, const char *now);
/* Borrowed pointer to the condition object, or NULL. */
json_t *mg_condition_find(const json_t *conds, const char *type);
/* True when the condition exists with status "True". */
bool mg_condition_is_true(const json_t *conds, const char *type);

#endif
