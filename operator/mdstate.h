/* operator/mdstate — what a ModelDeployment should look like now: the pure half of its
 * reconcile.
 *
 * Owns: no state. mg_md_decide() takes everything the reconcile read from the caches (borrowed)
 * and returns the desired Deployment replicas and ModelVersion to run, the new status (phase,
 * conditions, replicas, history) and the events to emit. The controller then writes only what
 * differs. Deterministic: the same inputs give the same outputs, so a resync with nothing
 * changed computes a status equal to the stored one and writes nothing. */
#ifndef MG_OPERATOR_MDSTATE_H
#define MG_OPERATOR_MDSTATE_H
#include <jansson.h>
#include <stdbool.h>

#define MG_HISTORY_MAX 20

typedef struct mg_md_inputs {
    const json_t *md;             /* the ModelDeployment (required) */
    const json_t *mv;             /* its ModelVersion, or NULL when not found */
    bool mv_approved;             /* approval computed from the MV's reviews */
    const char *approval_message; /* why not approved ("" when approved) */
    bool mv_quarantined;          /* status.quarantined or a confirmed incident review */
    const char *quarantine_reason;
    const json_t *fallback_mv;  /* spec.fallbackModelVersion's MV, or NULL */
    bool fallback_usable;       /* fallback approved and not quarantined */
    const json_t *deployment;   /* the owned Deployment as cached, or NULL */
    const char *monitor_phase;  /* "AwaitingReview" from monitoring, or NULL */
    const char *monitor_judged; /* the ModelVersion monitoring's verdict judged, or NULL */
    bool retraining;            /* a retraining run is under way for this quarantine */
    const char *deploy_reason;  /* history reason when a new version starts serving (default
                                   "Deployed"; "Promoted" after automatic retraining) */
    const char *now;            /* RFC 3339 */
} mg_md_inputs;

typedef struct mg_md_event {
    const char *type;   /* "Normal" or "Warning" (static) */
    const char *reason; /* static */
    char *message;      /* heap, owned by the decision */
} mg_md_event;

typedef struct mg_md_decision {
    const json_t *run_mv;   /* the MV the Deployment should run (borrowed from inputs), or NULL */
    long long replicas;     /* desired replicas for the Deployment */
    bool create_deployment; /* true when a missing Deployment should be created */
    /* Nothing may run (the ModelVersion is missing, not approved, or quarantined without a usable
     * fallback): an existing Deployment is scaled to zero as it is, its pod template untouched,
     * and none is created. run_mv is then only what status names. */
    bool stop_in_place;
    json_t *status; /* new status object (owned) */
    mg_md_event events[4];
    int n_events;
    /* Monitoring's verdict belongs in status: it judged the ModelVersion now serving, or none
     * serves (the last verdict stays as the evidence of a quarantine). After a promotion, a
     * rollback or a switch to the fallback it is the previous version's: its breaches must not
     * be read as the new one's. */
    bool monitoring_applies;
} mg_md_decision;

void mg_md_decide(const mg_md_inputs *in, mg_md_decision *out);
void mg_md_decision_free(mg_md_decision *d);

/* True when new_status differs from old_status in status.replicas alone (the pod count mirrored
 * from the Deployment; operator/settle holds such a change back). */
bool mg_md_count_only_change(const json_t *old_status, const json_t *new_status);

#endif
