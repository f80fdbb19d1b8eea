/* operator/resources — the API resources the operator reads and writes (GVRs), shared by its
 * controllers. Plain constants; no state. */
#ifndef MG_OPERATOR_RESOURCES_H
#define MG_OPERATOR_RESOURCES_H
#include "k8s/client.h"

extern const mg_gvr MG_GVR_DATASETVERSIONS;
extern const mg_gvr MG_GVR_TRAININGRUNS;
extern const mg_gvr MG_GVR_MODELVERSIONS;
extern const mg_gvr MG_GVR_MODELREVIEWS;
extern const mg_gvr MG_GVR_MODELDEPLOYMENTS;
extern const mg_gvr MG_GVR_DEPLOYMENTS;
extern const mg_gvr MG_GVR_SERVICES;
extern const mg_gvr MG_GVR_JOBS;
extern const mg_gvr MG_GVR_EVENTS;
extern const mg_gvr MG_GVR_PODS;

#endif
