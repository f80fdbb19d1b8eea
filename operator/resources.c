#include "operator/resources.h"

const mg_gvr MG_GVR_DATASETVERSIONS = {"mlops.modelgov.io", "v1alpha1", "datasetversions", true};
const mg_gvr MG_GVR_TRAININGRUNS = {"mlops.modelgov.io", "v1alpha1", "trainingruns", true};
const mg_gvr MG_GVR_MODELVERSIONS = {"mlops.modelgov.io", "v1alpha1", "modelversions", true};
const mg_gvr MG_GVR_MODELREVIEWS = {"mlops.modelgov.io", "v1alpha1", "modelreviews", true};
const mg_gvr MG_GVR_MODELDEPLOYMENTS = {"mlops.modelgov.io", "v1alpha1", "modeldeployments", true};
const mg_gvr MG_GVR_DEPLOYMENTS = {"apps", "v1", "deployments", true};
const mg_gvr MG_GVR_SERVICES = {"", "v1", "services", true};
const mg_gvr MG_GVR_JOBS = {"batch", "v1", "jobs", true};
const mg_gvr MG_GVR_EVENTS = {"", "v1", "events", true};
const mg_gvr MG_GVR_PODS = {"", "v1", "pods", true};
