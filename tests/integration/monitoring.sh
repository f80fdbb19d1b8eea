#!/bin/bash
# End-to-end monitoring loop on the test API server (with its kubelet) and the test model server
# (hack/modelserver): healthy → Serving with lastEvaluation; data drift → AwaitingReview, a
# Warning Event and an alert in a real Alertmanager; a human `release` review → Serving while the
# drift stays below the quarantine level; stronger drift → quarantined, 0 replicas, a critical
# alert, retraining started on the fresh dataset. Accuracy decay and bias drift each drive the
# same loop (Degraded, BiasDrift); a counter reset mid-window is handled; the Prometheus source
# gives the same figures as scraping, with Debian's real prometheus scraping the model server.
source "$(dirname "$0")/lib.sh"
cd "$IT_ROOT"
jp() { kubectl get "$1" -n mon -o jsonpath="$2" 2>/dev/null; }

it_start_cluster --kubelet
kubectl apply -f crds/ >/dev/null
kubectl wait --for condition=established --timeout=30s crd --all >/dev/null
kubectl create ns mon >/dev/null

# --- Alertmanager (real), with a receiver that drops everything -------------------------------
AM_PORT=$(it_listen_port)
cat > "$IT_DIR/am.yml" <<YAML
route: {receiver: devnull, group_wait: 1s, group_interval: 1s, repeat_interval: 1h}
receivers: [{name: devnull}]
YAML
it_bg alertmanager prometheus-alertmanager --config.file="$IT_DIR/am.yml" --storage.path="$IT_DIR/am-data" \
  --web.listen-address=127.0.0.1:$AM_PORT --cluster.listen-address=
it_wait "Alertmanager is up" 20 curl -sf "http://127.0.0.1:$AM_PORT/-/ready"
alerts() { # FILTER → "alertname/severity/metric" lines of active alerts
  curl -sf -G "http://127.0.0.1:$AM_PORT/api/v2/alerts" --data-urlencode "filter=$1" --data-urlencode active=true |
    /usr/bin/python3 -c 'import json,sys; [print(a["labels"]["alertname"]+"/"+a["labels"]["severity"]+"/"+a["labels"]["metric"]+"/"+a["status"]["state"]) for a in json.load(sys.stdin)]'
}

# --- model servers: one per ModelDeployment (pods of the test kubelet all have IP 127.0.0.1) --
start_model() { # NAME PORT
  it_bg "model-$1" /usr/bin/python3 hack/modelserver/modelserver.py --port "$2" --rate 400 --seed "$2"
}
control() { curl -sf -X POST -d "$2" "http://127.0.0.1:$1/control" >/dev/null; }
P_DRIFT=$(it_listen_port); P_DECAY=$(it_listen_port); P_BIAS=$(it_listen_port)
start_model drift "$P_DRIFT"; start_model decay "$P_DECAY"; start_model bias "$P_BIAS"
for p in $P_DRIFT $P_DECAY $P_BIAS; do it_wait "model server on $p" 10 curl -sf "http://127.0.0.1:$p/healthz"; done

it_bg operator bin/modelgov-operator --metrics-addr 127.0.0.1:0 --health-addr 127.0.0.1:0 \
  --alertmanager-url "http://127.0.0.1:$AM_PORT"

# --- governance records: datasets, an approved model version with a baseline -----------------
dataset() { it_dataset mon "$1" loans "${2:-true}"; }
dataset loans-2026-10
model_version() { # NAME VERSION [TRAININGRUN]: an approved ModelVersion with the model server's baseline
  kubectl --context bob -n mon apply -f - >/dev/null <<YAML
apiVersion: mlops.modelgov.io/v1alpha1
kind: ModelVersion
metadata: {name: $1, annotations: {mlops.modelgov.io/author: bob}}
spec:
  model: loans
  version: "$2"
  image: registry.example.com/models/loans
  digest: sha256:$(printf '%s' "$1" | sha256sum | cut -d' ' -f1)
  datasetVersion: loans-2026-10${3:+
  trainingRun: $3}
  baseline:
    samples: 50000
    accuracy: 0.91
    f1: 0.88
    features:
    - {name: age, edges: [20, 30, 40, 50, 60], proportions: [0.05, 0.2, 0.3, 0.25, 0.15, 0.05]}
    - {name: income, edges: [1000, 2000, 4000, 8000], proportions: [0.1, 0.3, 0.35, 0.2, 0.05]}
    groups:
    - {attribute: sex, group: f, positiveRate: 0.41, truePositiveRate: 0.80}
    - {attribute: sex, group: m, positiveRate: 0.44, truePositiveRate: 0.82}
YAML
  for k in security:alice performance:carol bias:alice; do
    it_review mon "$1-${k%:*}" "$1" "${k%:*}" approve "${k#*:}" >/dev/null
  done
}
model_version loans-drift 1.0.0
model_version loans-decay 1.0.1
model_version loans-bias 1.0.2
model_version loans-prom 1.0.3

deploy() { # NAME PORT WARN QUARANTINE [SOURCE-EXTRA]: runs ModelVersion loans-NAME
  kubectl -n mon apply -f - >/dev/null <<YAML
apiVersion: mlops.modelgov.io/v1alpha1
kind: ModelDeployment
metadata: {name: $1}
spec:
  modelVersion: loans-$1
  replicas: 1
  port: $2
  monitoring: {interval: 1s, window: 8s, minSamples: 200, consecutive: 2, warn: $3, quarantine: $4 ${5:-}}
  retraining: {auto: true, autoPromote: true, datasetSelector: {matchLabels: {dataset: loans}},
               template: {experiment: loans-retrain, model: {name: loans}}}
YAML
}
deploy drift "$P_DRIFT" '{maxPSI: 0.2}' '{maxPSI: 1.5}'
deploy decay "$P_DECAY" '{minAccuracy: 0.8}' '{}'
deploy bias "$P_BIAS" '{minDisparateImpact: 0.8}' '{}'

phase() { jp "md/$1" '{.status.phase}'; }
for md in drift decay bias; do
  it_wait "$md: Serving and judged healthy" 40 \
    bash -c "[ \"\$(kubectl get md $md -n mon -o jsonpath='{.status.phase}/{.status.lastEvaluation.judged}')\" = Serving/true ]"
done
it_eq "healthy: no breach, Drifted=False" "False" "$(jp md/drift '{.status.conditions[?(@.type=="Drifted")].status}')"
it_check "healthy: lastEvaluation carries accuracy, PSI per feature and fairness" \
  bash -c "kubectl get md drift -n mon -o json | /usr/bin/python3 -c 'import json,sys; e=json.load(sys.stdin)[\"status\"][\"lastEvaluation\"]; assert e[\"accuracy\"]>0.8 and e[\"maxPSI\"]<0.1 and [f[\"name\"] for f in e[\"features\"]]==[\"age\",\"income\"] and \"sex\" in e[\"fairness\"], e'"

# --- counter reset mid-window: no spurious breach, still judged --------------------------------
control "$P_DRIFT" '{"reset": true}'
sleep 3
it_eq "counter reset: still Serving, no breach" "Serving/[]" "$(jp md/drift '{.status.phase}/{.status.breaches}')"

# --- data drift → AwaitingReview + Event + alert -----------------------------------------------
control "$P_DRIFT" '{"mode": "drift", "strength": 0.3}'
it_wait "drift: AwaitingReview" 30 bash -c "[ \"\$(kubectl get md drift -n mon -o jsonpath='{.status.phase}')\" = AwaitingReview ]"
it_eq "drift: Drifted=True, worst feature age" "True/age" \
  "$(jp md/drift '{.status.conditions[?(@.type=="Drifted")].status}/{.status.lastEvaluation.worstFeature}')"
it_check "drift: Warning Event AwaitingReview" \
  bash -c "kubectl get events -n mon --field-selector involvedObject.name=drift,type=Warning -o jsonpath='{.items[*].reason}' | grep -q AwaitingReview"
it_wait "drift: warning alert in Alertmanager" 15 bash -c "$(declare -f alerts); AM_PORT=$AM_PORT; alerts 'modeldeployment=\"drift\"' | grep -q 'ModelDataDrift/warning/maxPSI/active'"

# --- human in the loop: release acknowledges the warn breach ------------------------------------
it_review mon drift-release-1 md/drift incident release alice alice "seasonal shift" >/dev/null
it_wait "release review: back to Serving while the drift is below quarantine" 20 \
  bash -c "[ \"\$(kubectl get md drift -n mon -o jsonpath='{.status.phase}')\" = Serving ]"
it_eq "acknowledged breach still reported" "true" "$(jp md/drift '{.status.breaches[0].acknowledged}')"

# --- stronger drift → quarantine ---------------------------------------------------------------
dataset loans-2026-11
control "$P_DRIFT" '{"mode": "drift", "strength": 1.0}'
it_wait "strong drift: ModelVersion quarantined by monitoring" 30 \
  bash -c "[ \"\$(kubectl get mv loans-drift -n mon -o jsonpath='{.status.quarantined}')\" = true ]"
it_check "quarantine evidence recorded on the ModelVersion" \
  bash -c "kubectl get mv loans-drift -n mon -o jsonpath='{.status.quarantineReason}' | grep -q 'maxPSI of age'"
it_wait "Warning Event QuarantineThreshold on the ModelDeployment, with the reason" 10 \
  bash -c "kubectl get events -n mon --field-selector involvedObject.name=drift,reason=QuarantineThreshold -o jsonpath='{.items[*].message}' | grep -q 'maxPSI of age'"
it_wait "Deployment scaled to 0" 20 bash -c "[ \"\$(kubectl get deploy drift -n mon -o jsonpath='{.spec.replicas}')\" = 0 ]"
it_wait "critical alert in Alertmanager" 15 bash -c "$(declare -f alerts); AM_PORT=$AM_PORT; alerts 'modeldeployment=\"drift\"' | grep -q 'ModelDataDrift/critical/maxPSI/active'"
it_wait "retraining started on the fresh dataset" 20 \
  bash -c "[ \"\$(kubectl get tr -n mon -l mlops.modelgov.io/modeldeployment=drift -o jsonpath='{.items[0].spec.datasetVersion}')\" = loans-2026-11 ]"

# --- the retrained version is promoted and judged on its own -----------------------------------
# The breaches that quarantined loans-drift were judged on it: they must not quarantine the
# version promoted in its place (they would, were they read as the new version's).
TR=$(kubectl get tr -n mon -l mlops.modelgov.io/modeldeployment=drift -o jsonpath='{.items[0].metadata.name}')
control "$P_DRIFT" '{"mode": "healthy"}'
model_version loans-drift-2 1.1.0 "$TR"
it_wait "retrained version promoted and Serving" 40 \
  bash -c "[ \"\$(kubectl get md drift -n mon -o jsonpath='{.spec.modelVersion}/{.status.phase}')\" = loans-drift-2/Serving ]"
it_wait "promoted version judged on its own: healthy, no breach" 30 \
  bash -c "[ \"\$(kubectl get md drift -n mon -o jsonpath='{.status.lastEvaluation.judged}/{.status.breaches}/{.status.conditions[?(@.type==\"Drifted\")].status}')\" = true/[]/False ]"
it_eq "promoted version not quarantined by the breaches of the one before" "not quarantined/Serving" \
  "$([ "$(jp mv/loans-drift-2 '{.status.quarantined}')" = true ] && echo quarantined || echo not quarantined)/$(phase drift)"

# --- accuracy decay and bias drift drive the same loop ------------------------------------------
control "$P_DECAY" '{"mode": "decay", "strength": 0.8}'
control "$P_BIAS" '{"mode": "bias", "strength": 1.0}'
it_wait "decay: AwaitingReview with Degraded=True" 40 \
  bash -c "[ \"\$(kubectl get md decay -n mon -o jsonpath='{.status.phase}/{.status.conditions[?(@.type==\"Degraded\")].status}')\" = AwaitingReview/True ]"
it_wait "bias: AwaitingReview with BiasDrift=True" 40 \
  bash -c "[ \"\$(kubectl get md bias -n mon -o jsonpath='{.status.phase}/{.status.conditions[?(@.type==\"BiasDrift\")].status}')\" = AwaitingReview/True ]"
it_wait "decay and bias alerts in Alertmanager" 15 bash -c "$(declare -f alerts); AM_PORT=$AM_PORT; alerts 'severity=\"warning\"' | grep -q ModelPerformanceDegraded && alerts 'severity=\"warning\"' | grep -q ModelBiasDrift"
control "$P_DECAY" '{"mode": "healthy"}'
it_wait "decay recovers: Serving, alert resolved" 40 \
  bash -c "[ \"\$(kubectl get md decay -n mon -o jsonpath='{.status.phase}')\" = Serving ] && ! ($(declare -f alerts); AM_PORT=$AM_PORT; alerts 'alertname=\"ModelPerformanceDegraded\"' | grep -q active)"

# --- source: prometheus (Debian's real Prometheus scraping the model server) -------------------
PROM_PORT=$(it_listen_port)
cat > "$IT_DIR/prom.yml" <<YAML
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
- job_name: modelserver
  static_configs: [{targets: ["127.0.0.1:$P_BIAS"], labels: {namespace: mon, pod: prom-0}}]
YAML
it_bg prometheus prometheus --config.file="$IT_DIR/prom.yml" --storage.tsdb.path="$IT_DIR/prom-data" \
  --web.listen-address=127.0.0.1:$PROM_PORT
it_wait "Prometheus is up" 30 curl -sf "http://127.0.0.1:$PROM_PORT/-/ready"
control "$P_BIAS" '{"mode": "healthy"}'
deploy prom "$P_BIAS" '{maxPSI: 0.2}' '{}' ", source: prometheus, prometheusURL: \"http://127.0.0.1:$PROM_PORT\""
it_wait "prometheus source: judged evaluation with traffic" 60 \
  bash -c "[ \"\$(kubectl get md prom -n mon -o jsonpath='{.status.lastEvaluation.judged}')\" = true ]"
it_check "prometheus source: accuracy and PSI like the scrape source" \
  bash -c "kubectl get md prom -n mon -o json | /usr/bin/python3 -c 'import json,sys; e=json.load(sys.stdin)[\"status\"][\"lastEvaluation\"]; assert e[\"samples\"]>=200 and e[\"accuracy\"]>0.8 and e[\"maxPSI\"]<0.1, e'"

METRICS=$(curl -sf "http://127.0.0.1:$(sed -n 's/.*listening server=metrics .*port=\([0-9]*\).*/\1/p' "$IT_DIR/operator.log" | head -1)/metrics")
it_check "operator /metrics exports per-model gauges (of the version serving)" \
  grep -q 'modelgov_model_psi{namespace="mon",modeldeployment="drift",modelversion="loans-drift-2",feature="age"}' <<<"$METRICS"
it_check "no gauge left of the version served before the promotion" \
  bash -c "! grep -q '^modelgov_model_[a-z_]*{[^}]*modelversion=\"loans-drift\"' <<<\"\$1\"" _ "$METRICS"
it_finish
