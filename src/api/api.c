#include "api/api.h"

const mg_gvr MG_GVR_DATASETVERSIONS = {MG_API_GROUP, MG_API_VERSION, MG_RES_DATASETVERSIONS, true};
const mg_gvr MG_GVR_TRAININGRUNS = {MG_API_GROUP, MG_API_VERSION, MG_RES_TRAININGRUNS, true};
const mg_gvr MG_GVR_MODELVERSIONS = {MG_API_GROUP, MG_API_VERSION, MG_RES_MODELVERSIONS, true};
const mg_gvr MG_GVR_MODELREVIEWS = {MG_API_GROUP, MG_API_VERSION, MG_RES_MODELREVIEWS, true};
const mg_gvr MG_GVR_MODELDEPLOYMENTS = {MG_API_GROUP, MG_API_VERSION, MG_RES_MODELDEPLOYMENTS, true};
const mg_gvr MG_GVR_DEPLOYMENTS = {"apps", "v1", "deployments", true};
const mg_gvr MG_GVR_REPLICASETS = {"apps", "v1", "replicasets", true};
const mg_gvr MG_GVR_STATEFULSETS = {"apps", "v1", "statefulsets", true};
const mg_gvr MG_GVR_REPLICATIONCONTROLLERS = {"", "v1", "replicationcontrollers", true};
const mg_gvr MG_GVR_SERVICES = {"", "v1", "services", true};
const mg_gvr MG_GVR_JOBS = {"batch", "v1", "jobs", true};
const mg_gvr MG_GVR_EVENTS = {"", "v1", "events", true};
const mg_gvr MG_GVR_PODS = {"", "v1", "pods", true};
const mg_gvr MG_GVR_NAMESPACES = {"", "v1", "namespaces", false};
