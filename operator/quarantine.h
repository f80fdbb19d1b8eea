/* operator/quarantine — monitoring's quarantine of a ModelVersion, as the ModelVersion reconcile
 * reads it from the ModelDeployments that serve it.
 *
 * Owns: no state; a pure function over borrowed objects. The monitor publishes its verdict, the
 * ModelDeployment reconcile writes it into status.breaches (a breach at level "quarantine" is
 * active while it lasts, with the time it became active in `since`), and the ModelVersion
 * reconcile — the one writer of ModelVersion status — turns the first such breach among the
 * ModelDeployments serving the ModelVersion into the quarantine: quarantined at `since`, with the
 * reason and the evidence (the ModelDeployment, its lastEvaluation and breaches). Whether it holds
 * is policy/mvstate's rule: a release review newer than `since` lifts it, so a breach reported
 * before a human released the model does not quarantine it again, while a new breach after the
 * release (a new `since`) does. */
#ifndef MG_OPERATOR_QUARANTINE_H
#define MG_OPERATOR_QUARANTINE_H
#include <jansson.h>

/* mds: the ModelDeployments naming mv (any order). Returns a new object {quarantinedAt,
 * quarantineReason, quarantineEvidence} for the earliest active quarantine breach of a
 * ModelDeployment serving mv, or NULL when there is none. */
json_t *mg_monitoring_quarantine(const json_t *mv, const json_t *mds);

/* The ModelVersion as monitoring would leave it: a new copy of mv whose status carries q's
 * fields and quarantined true (q from mg_monitoring_quarantine; borrowed). */
json_t *mg_monitoring_quarantine_apply(const json_t *mv, const json_t *q);

#endif
