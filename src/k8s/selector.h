/* k8s/selector — matching metav1.LabelSelector objects ({matchLabels, matchExpressions}) against
 * an object's labels, with the API's semantics: all requirements must hold; an empty selector
 * ({}) matches everything; a NULL selector matches nothing (as for a nil *LabelSelector in
 * selectors of workloads). Operators: In, NotIn, Exists, DoesNotExist. Pure; thread-safe. */
#ifndef MG_K8S_SELECTOR_H
#define MG_K8S_SELECTOR_H
#include <jansson.h>
#include <stdbool.h>

#include "core/error.h"

/* Checks the selector's shape (operators known; values present for In/NotIn and absent for
 * Exists/DoesNotExist). Returns 0 or MG_EINVAL with a message naming the offending part. */
int mg_label_selector_validate(const json_t *selector, mg_error *err);
/* labels may be NULL (no labels). An invalid selector matches nothing. */
bool mg_label_selector_matches(const json_t *selector, const json_t *labels);

#endif
