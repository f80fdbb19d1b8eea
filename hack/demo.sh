#!/bin/bash
# shellcheck disable=SC2034,SC2154 # IT_KEEP, IT_FAIL, IT_PID_* belong to tests/integration/lib.sh
# make demo: modelgov's whole governance story on a throw-away local cluster, one line per step.
#
# Everything runs on 127.0.0.1 with free ports, in a temp dir with its own kubeconfig (the user's
# KUBECONFIG and cluster are never touched): the test API server with its kubelet
# (hack/testcluster; MG_TEST_SERVER=real: a real kube-apiserver with the node agent,
# hack/realcluster), Debian's docker-registry holding two pushed model images, the webhook
# (TLS from hack/gen-certs.sh) behind the chart's own webhook configurations, the operator, a real
# Alertmanager and the test model server (hack/modelserver). The story is then played with
# kubectl and `kubectl modelgov` as the users alice, bob (the model's author) and carol. See
# hack/DEMO.md for what each step shows.
#
# hack/demo.sh --images (make demo DEMO_RUNTIME=images) plays the same story with modelgov as a
# platform team runs it: a real kube-apiserver whose node agent runs the chart's Pods with podman
# (realcluster --node-runtime=podman), the images built by `make images` and pushed to the demo's
# registry by `make release-images`, and the chart installed with helm from those values, so the
# operator and the webhook run as containers under the chart's own ServiceAccounts and RBAC (the
# webhook configurations call the webhook container by URL: webhook.development). The model and
# training images stay emulated by the node agent, served by the test model server as above.
# DEMO_RELEASE_VALUES=FILE uses images already pushed (release-values.yaml) instead of building.
#
# Ends with a summary table; exits non-zero if a step fails (later steps are then skipped);
# stops everything it started on exit, failure and Ctrl-C. DEMO_KEEP=1 keeps the temp dir.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEMO_RUNTIME=${DEMO_RUNTIME:-process}
case ${1:-} in
--images) DEMO_RUNTIME=images ;;
"") ;;
*) echo "usage: hack/demo.sh [--images]   (or DEMO_RUNTIME=process|images)" >&2; exit 2 ;;
esac
case $DEMO_RUNTIME in
process) ;;
images) export MG_TEST_SERVER=real ;; # the chart's Pods need a node that runs images
*) echo "DEMO_RUNTIME=$DEMO_RUNTIME: use process or images" >&2; exit 2 ;;
esac
# shellcheck source=../tests/integration/lib.sh
source "$ROOT/tests/integration/lib.sh" # IT_DIR, it_bg, the cleanup trap
# shellcheck source=../tests/integration/lib-registry.sh
source "$ROOT/tests/integration/lib-registry.sh" # reg_start, push_image
# shellcheck source=../tests/integration/lib-webhook.sh
source "$ROOT/tests/integration/lib-webhook.sh" # webhook_wait_port, webhook_register
# shellcheck source=../hack/images/lib.sh
source "$ROOT/hack/images/lib.sh" # images_why_not, images_config
# shellcheck source=../tests/integration/lib-chart-images.sh
source "$ROOT/tests/integration/lib-chart-images.sh" # chart_images_install, chart_images_pods
cd "$ROOT" || exit 1
D=$IT_DIR
IT_KEEP=${DEMO_KEEP:-}
exec 3>&1 # the terminal: steps' own output goes to steps.log
on_signal() { echo >&3; echo "interrupted: stopping everything" >&3; exit 130; }
trap on_signal INT TERM
LOG=$D/steps.log
export KUBECONFIG=$D/cluster/kubeconfig # never the user's, not even before the cluster is up
NS=credit
MODEL=credit-scorer

for b in bin/modelgov-operator bin/modelgov-webhook bin/kubectl-modelgov; do
  [ -x "$b" ] || { echo "$b not built: run make all (or make demo)"; exit 1; }
done
for c in kubectl helm docker-registry prometheus prometheus-alertmanager openssl curl; do
  command -v "$c" >/dev/null || { echo "$c is not installed: run hack/deps.sh (or make demo)"; exit 1; }
done
images_mode() { [ "$DEMO_RUNTIME" = images ]; }
if images_mode; then
  why=$(hack/realcluster/realcluster binaries 2>&1) || { echo "--images needs the real kube-apiserver: $why"; exit 1; }
  why=$(images_why_not) || { echo "--images needs podman: $why"; exit 1; }
fi

# ---- step runner -------------------------------------------------------------------------------
TOTAL=$(grep -c '^step "' "$0")
images_mode && TOTAL=$((TOTAL + 1)) # s_rbac
N=0 PASSED=0 FAILED=0 SKIPPED=0
ROWS=()
R="" # a step function's one-line result
now_us() { local t=${EPOCHREALTIME/./}; echo "${t#0}"; }
T_START=$(now_us)
step() { # TITLE FUNCTION
  local title=$1 fn=$2 t0 t1 rc secs
  N=$((N + 1))
  if [ "$FAILED" -gt 0 ]; then
    SKIPPED=$((SKIPPED + 1)); ROWS+=("$N|$title|skipped|-"); return
  fi
  R=""
  t0=$(now_us)
  echo "=== [$N] $title" >>"$LOG"
  "$fn" >>"$LOG" 2>&1
  rc=$?
  t1=$(now_us)
  secs=$(printf '%d.%d' $(((t1 - t0) / 1000000)) $((((t1 - t0) % 1000000) / 100000)))
  R=$(tr '\n' ' ' <<<"$R" | sed 's/ *$//')
  if [ $rc -eq 0 ]; then
    PASSED=$((PASSED + 1)); ROWS+=("$N|$title|ok|$secs")
    printf '[%2d/%d] %s → %s\n' "$N" "$TOTAL" "$title" "$R"
  else
    FAILED=$((FAILED + 1)); IT_FAIL=1; ROWS+=("$N|$title|FAILED|$secs")
    printf '[%2d/%d] %s → FAILED: %s\n' "$N" "$TOTAL" "$title" "${R:-see $LOG}"
  fi
}
# until_true TIMEOUT CMD...: polls CMD (quietly) until it succeeds; 1 after TIMEOUT seconds.
until_true() {
  local deadline=$((SECONDS + $1)); shift
  while :; do
    "$@" >/dev/null 2>&1 && return 0
    [ $SECONDS -ge $deadline ] && return 1
    sleep 0.3
  done
}
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
as() { local u=$1; shift; kubectl --context "$u" -n "$NS" "$@"; }
mg() { local u=$1; shift; kubectl modelgov "$@" --context "$u" -n "$NS"; }
jp() { kubectl -n "$NS" get "$1" -o jsonpath="$2" 2>/dev/null; }
is() { [ "$(jp "$1" "$2")" = "$3" ]; } # is OBJ JSONPATH VALUE
denial() { sed -n 's/.*\(admission webhook .*\)/\1/p' <<<"$1" | head -1; }
short() { echo "${1:0:19}…"; } # sha256:0123456789ab…

# ---- infrastructure ----------------------------------------------------------------------------
s_cluster() {
  local owner=() node=""
  it_server_is_real && owner=(--owner-pid $$)
  # the chart's images run as containers; the model and training images stay emulated
  images_mode && owner+=(--node-runtime=podman --podman-images='*/modelgov-*') && node=" (podman for the modelgov images)"
  "$IT_CLUSTER_CMD" up --dir "$D/cluster" --kubelet "${owner[@]}" >"$D/cluster.log" 2>&1 ||
    { R="$IT_SERVER_KIND up failed: $(tail -n 3 "$D/cluster.log" | tr '\n' ' ')"; return 1; }
  IT_CLUSTER=1 # lib.sh's cleanup stops it
  export KUBECONFIG=$D/cluster/kubeconfig
  IT_SERVER=$(kubectl config view --minify -o jsonpath='{.clusters[0].cluster.server}')
  kubectl apply -f crds/ >/dev/null &&
    kubectl wait --for condition=established --timeout=30s crd --all >/dev/null &&
    kubectl create ns "$NS" && kubectl label ns "$NS" modelgov.io/governed=true || return 1
  R="$IT_SERVER_KIND API server $IT_SERVER with a node$node, 5 CRDs, namespace $NS (governed), users alice bob carol; kubeconfig $KUBECONFIG"
}

DIG1="" DIG2=""
sha() { sha256sum "$1" | cut -d' ' -f1; }
s_registry() {
  reg_start
  until_true 20 curl -sf "http://$REG/v2/" || { R="docker-registry did not answer"; return 1; }
  DIG1=$(push_image "models/$MODEL" 1.0.0 "$MODEL 1.0.0") && DIG2=$(push_image "models/$MODEL" 1.1.0 "$MODEL 1.1.0 retrained") ||
    { R="push failed"; return 1; }
  R="docker-registry on $REG holds $MODEL:1.0.0 ($(short "$DIG1")) and :1.1.0 ($(short "$DIG2"))"
  images_mode || return 0
  release_images || return 1
  R="$R; modelgov images: $(chart_pinned "$RELEASE_VALUES" operator | sed 's/@\(.\{19\}\).*/@\1…/'), $(chart_pinned "$RELEASE_VALUES" webhook | sed 's/@\(.\{19\}\).*/@\1…/')"
}
RELEASE_VALUES=$D/release-values.yaml
release_images() { # the chart values pinning the modelgov images in a registry the node reaches
  if [ -n "${DEMO_RELEASE_VALUES:-}" ]; then
    cp "$DEMO_RELEASE_VALUES" "$RELEASE_VALUES" && return 0
    R="cannot read DEMO_RELEASE_VALUES=$DEMO_RELEASE_VALUES"; return 1
  fi
  make --no-print-directory images || { R="make images failed"; return 1; }
  make --no-print-directory release-images REGISTRY="$REG" TLS_VERIFY=false &&
    cp "$IMAGES_DIR/release-values.yaml" "$RELEASE_VALUES" || { R="make release-images failed"; return 1; }
}

WPORT="" WEBHOOK_CA=$D/tls/ca.crt
AM_PORT=""
s_webhook_chart() { # the chart, its operator pointed at the Alertmanager the next step starts
  AM_PORT=$(free_port)
  chart_images_install "$RELEASE_VALUES" \
    --set-json "webhook.config.modelRepositories=[\"$REG/models/\"]" \
    --set-json "webhook.config.registries=[{\"host\":\"$REG\",\"plainHTTP\":true}]" \
    --set webhook.config.cacheTTLSeconds=5 --set-json 'webhook.config.scannerGroups=["modelgov:reviewers"]' \
    --set operator.resyncSeconds=30 --set-json "operator.extraArgs=[\"--alertmanager-url=http://127.0.0.1:$AM_PORT\"]" ||
    { R="chart install failed (see $LOG)"; return 1; }
  WPORT=$CHART_WPORT WEBHOOK_CA=$CHART_CA OP_HEALTH=$CHART_HPORT OP_METRICS=$CHART_MPORT
  until_true 20 curl -sf --cacert "$WEBHOOK_CA" "https://127.0.0.1:$WPORT/readyz" || { R="webhook container not ready"; return 1; }
  R="helm install of charts/modelgov from $(basename "$RELEASE_VALUES"): webhook container on https://127.0.0.1:$WPORT as ServiceAccount $CHART_NS:$(chart_k get deploy -l app.kubernetes.io/component=webhook -o jsonpath='{.items[0].spec.template.spec.serviceAccountName}'), the chart's webhook configurations calling it by URL, failurePolicy Fail"
}
s_webhook() {
  images_mode && { s_webhook_chart; return; }
  hack/gen-certs.sh "$D/tls" || { R="hack/gen-certs.sh failed"; return 1; }
  cat >"$D/webhook.yaml" <<YAML
modelRepositories: ["$REG/models/"]
mode: enforce
registries:
- {host: "$REG", plainHTTP: true}
cacheTTLSeconds: 5
operatorServiceAccount: admin          # the demo's operator runs with the kubeconfig's admin context
scannerGroups: ["modelgov:reviewers"]  # bob, the data steward, attests bias scans
YAML
  it_bg webhook bin/modelgov-webhook --listen 127.0.0.1:0 --tls-cert "$D/tls/tls.crt" --tls-key "$D/tls/tls.key" \
    --config "$D/webhook.yaml" --kubeconfig "$KUBECONFIG" --log-format json --threads 2
  WPORT=$(webhook_wait_port "$D/webhook.log") || { R="webhook did not start ($D/webhook.log)"; return 1; }
  until_true 20 curl -sf --cacert "$D/tls/ca.crt" "https://127.0.0.1:$WPORT/readyz" || { R="webhook not ready"; return 1; }
  webhook_register "$WPORT" "$D/tls/ca.crt" || return 1
  R="webhook on https://127.0.0.1:$WPORT (CA from hack/gen-certs.sh), registered with the chart's own webhook configurations (helm template), failurePolicy Fail"
}

MS_PORT="" OP_HEALTH="" OP_METRICS="" PROM_PORT=""
am_alerts() { # FILTER → "alertname/severity/state" lines of active alerts
  curl -sf -G "http://127.0.0.1:$AM_PORT/api/v2/alerts" --data-urlencode "filter=$1" --data-urlencode active=true |
    /usr/bin/python3 -c 'import json,sys; [print(a["labels"]["alertname"]+"/"+a["labels"]["severity"]+"/"+a["labels"].get("metric","")+"/"+a["status"]["state"]) for a in json.load(sys.stdin)]'
}
s_operator() {
  [ -n "$AM_PORT" ] || AM_PORT=$(free_port)
  cat >"$D/am.yml" <<YAML
route: {receiver: ops, group_wait: 1s, group_interval: 1s, repeat_interval: 1h}
receivers: [{name: ops}]
YAML
  it_bg alertmanager prometheus-alertmanager --config.file="$D/am.yml" --storage.path="$D/am-data" \
    --web.listen-address="127.0.0.1:$AM_PORT" --cluster.listen-address=
  local who="operator"
  if images_mode; then
    R=$(chart_images_available operator) || { R="operator container: $R"; return 1; }
    who="operator container (ServiceAccount $CHART_NS:$(chart_k get deploy -l app.kubernetes.io/component=operator -o jsonpath='{.items[0].spec.template.spec.serviceAccountName}'))"
  else
    it_bg operator bin/modelgov-operator --metrics-addr 127.0.0.1:0 --health-addr 127.0.0.1:0 \
      --resync-seconds 30 --alertmanager-url "http://127.0.0.1:$AM_PORT"
    until_true 20 grep -q 'listening server=health' "$D/operator.log" || { R="operator did not start"; return 1; }
    OP_HEALTH=$(sed -n 's/.*listening server=health .*port=\([0-9]*\).*/\1/p' "$D/operator.log" | head -1)
    OP_METRICS=$(sed -n 's/.*listening server=metrics .*port=\([0-9]*\).*/\1/p' "$D/operator.log" | head -1)
  fi
  until_true 30 curl -sf "http://127.0.0.1:$AM_PORT/-/ready" || { R="Alertmanager did not start"; return 1; }
  until_true 20 curl -sf "http://127.0.0.1:$OP_HEALTH/readyz" || { R="operator not ready"; return 1; }
  # Prometheus keeps the operator's per-model gauges over time: the report's plots come from it
  PROM_PORT=$(free_port)
  cat >"$D/prometheus.yml" <<YAML
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
- job_name: modelgov-operator
  static_configs: [{targets: ["127.0.0.1:$OP_METRICS"]}]
YAML
  it_bg prometheus prometheus --config.file="$D/prometheus.yml" --storage.tsdb.path="$D/prom-data" \
    --web.listen-address="127.0.0.1:$PROM_PORT"
  until_true 30 curl -sf "http://127.0.0.1:$PROM_PORT/-/ready" || { R="Prometheus did not start"; return 1; }
  local pods=""
  if images_mode; then
    pods=$(chart_images_pods "$RELEASE_VALUES") || { R="$pods"; return 1; }
    echo "$pods"
    pods="; both Pods run the pinned digests as podman containers, uid $CHART_UID, read-only root"
  fi
  R="$who ready (health :$OP_HEALTH, metrics :$OP_METRICS), Alertmanager on 127.0.0.1:$AM_PORT, Prometheus on 127.0.0.1:$PROM_PORT scraping the operator$pods"
}

# ---- data --------------------------------------------------------------------------------------
gen_csv() { # FILE SEED AGE-SHIFT ROWS: a loan book with personal data, a label and model predictions
  /usr/bin/python3 - "$@" <<'PY'
import csv, random, sys
path, seed, shift, rows = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
rng = random.Random(seed)
first = ["Anna", "Ben", "Chloe", "David", "Eva", "Farid", "Grace", "Hugo", "Ines", "Jonas"]
last = ["Meyer", "Novak", "Okafor", "Rossi", "Schmidt", "Tanaka", "Weber", "Young"]
with open(path, "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["customer_id", "name", "email", "age", "income", "sex", "approved", "predicted"])
    for i in range(rows):
        sex = rng.choice("fm")
        age = max(18, min(90, round(rng.gauss(42 + shift, 12))))
        income = max(300, round(rng.lognormvariate(8.0, 0.6)))
        score = 0.35 + 0.004 * (age - 40) + 0.00003 * (income - 3000) + rng.gauss(0, 0.1)
        approved = 1 if score + rng.gauss(0, 0.15) > 0.4 else 0
        predicted = approved if rng.random() < 0.9 else 1 - approved
        name = f"{rng.choice(first)} {rng.choice(last)}"
        email = name.lower().replace(" ", ".") + f"{i}@example.com"
        w.writerow([f"C{100000 + i}", name, email, age, income, sex, approved, predicted])
PY
}
mkdir -p "$D/data"
head -c 32 /dev/urandom >"$D/data/pseudonym.key"
DSV1="" DSV2="" PSEUDO_DIGEST=""
s_csv() {
  gen_csv "$D/data/loans-2026-10-raw.csv" 1 0 3000 || return 1
  R="loans-2026-10-raw.csv: $(($(wc -l <"$D/data/loans-2026-10-raw.csv") - 1)) rows, columns $(head -1 "$D/data/loans-2026-10-raw.csv" | tr -d '\r')"
}
pseudo() { # RAW OUT → sets PSEUDO_DIGEST
  PSEUDO_DIGEST=$(kubectl modelgov pseudonymize --key-file "$D/data/pseudonym.key" --columns customer_id \
    --drop name,email "$1" "$2") || return 1
}
s_pseudo() {
  pseudo "$D/data/loans-2026-10-raw.csv" "$D/data/loans-2026-10.csv" || return 1
  local first
  first=$(sed -n 2p "$D/data/loans-2026-10.csv" | cut -c1-24)
  R="customer_id → HMAC-SHA256 token (${first}…), name and email dropped; report $(short "$PSEUDO_DIGEST")"
}
FILE_DIGEST=""
s_hash() {
  local out
  out=$(kubectl modelgov dataset hash "$D/data/loans-2026-10.csv") || return 1
  FILE_DIGEST=$(awk 'NR>1 || $1 ~ /^sha256:/ {for (i=1;i<=NF;i++) if ($i ~ /^sha256:/) {print $i; exit}}' <<<"$out")
  [ "$FILE_DIGEST" = "sha256:$(sha "$D/data/loans-2026-10.csv")" ] || { R="digest mismatch: $out"; return 1; }
  R="$(short "$FILE_DIGEST") $(stat -c %s "$D/data/loans-2026-10.csv") bytes (matches sha256sum)"
}
register() { # VERSION FILE (as bob) → dsv loans-VERSION
  mg bob dataset register --name loans --version "$1" --source-type anonymized-client --license internal \
    --origin "core banking export" --privacy pseudonymized --report-digest "$PSEUDO_DIGEST" "$2"
}
s_register() {
  register 2026-10 "$D/data/loans-2026-10.csv" || return 1
  DSV1=loans-2026-10
  is "dsv/$DSV1" '{.spec.digest}' "$FILE_DIGEST" || { R="spec.digest differs"; return 1; }
  R="DatasetVersion $DSV1 created by bob: digest $(short "$FILE_DIGEST"), privacy pseudonymized (report digest attested)"
}
scan() { # DSV FILE
  mg bob bias-scan --protected sex --label approved --apply "dsv/$1" "$2" -o json >"$D/scan-$1.json" || return 1
  is "dsv/$1" '{.status.biasScan.passed}' true || return 1
  R="DatasetVersion $1 status.biasScan: passed, $(/usr/bin/python3 -c '
import json,sys; s=json.load(open(sys.argv[1]))
print(", ".join("%s=%s positive rate %.2f (DI %.2f)" % (g["attribute"], g["group"], g["positiveRate"], g["disparateImpact"]) for g in s["groups"]))' "$D/scan-$1.json")"
}
s_scan() { scan "$DSV1" "$D/data/loans-2026-10.csv"; }

# ---- training and registration -----------------------------------------------------------------
s_train() {
  as bob apply -f - <<YAML || return 1
apiVersion: mlops.modelgov.io/v1alpha1
kind: TrainingRun
metadata: {name: $MODEL-train-1}
spec:
  experiment: $MODEL-gbm
  datasetVersion: $DSV1
  params: {learning_rate: "0.05", max_depth: "4"}
  codeRevision: 9f2c1e7
  model: {name: $MODEL, version: 1.0.0}
YAML
  R="TrainingRun $MODEL-train-1 recorded (experiment $MODEL-gbm, dataset $DSV1, code 9f2c1e7): the webhook checked the dataset's bias scan and privacy attestation"
}
baseline() { # CSV → JSON baseline on stdout
  kubectl modelgov baseline --features age,income --bins 5 --label approved --prediction predicted \
    --protected sex "$1" -o json
}
mv_yaml() { # NAME VERSION DIGEST DATASET TRAININGRUN BASELINE-JSON-FILE
  cat <<YAML
apiVersion: mlops.modelgov.io/v1alpha1
kind: ModelVersion
metadata: {name: $1, annotations: {mlops.modelgov.io/author: bob}}
spec:
  model: $MODEL
  version: "$2"
  image: $REG/models/$MODEL
  digest: "$3"
  datasetVersion: $4
  trainingRun: $5
  baseline: $(cat "$6")
YAML
}
MV1=$MODEL-1-0-0 MV2=$MODEL-1-1-0
s_mv1() {
  baseline "$D/data/loans-2026-10.csv" >"$D/baseline-1.json" || return 1
  mv_yaml "$MV1" 1.0.0 "$DIG1" "$DSV1" "$MODEL-train-1" "$D/baseline-1.json" | as bob apply -f - || return 1
  R="ModelVersion $MV1 registered by bob: $REG/models/$MODEL@$(short "$DIG1"), baseline accuracy $(/usr/bin/python3 -c 'import json,sys; print(round(json.load(open(sys.argv[1]))["accuracy"],3))' "$D/baseline-1.json")"
}
md_yaml() {
  cat <<YAML
apiVersion: mlops.modelgov.io/v1alpha1
kind: ModelDeployment
metadata: {name: $MODEL}
spec:
  modelVersion: $MV1
  replicas: 1
  port: $MS_PORT
  monitoring: {interval: 1s, window: 8s, minSamples: 200, consecutive: 2, warn: {maxPSI: 0.2}, quarantine: {maxPSI: 1.5}}
  retraining:
    auto: true
    autoPromote: true
    datasetSelector: {matchLabels: {mlops.modelgov.io/dataset: loans}}
    template:
      experiment: $MODEL-retrain
      model: {name: $MODEL}
      params: {learning_rate: "0.05", max_depth: "4"}
      template: {spec: {restartPolicy: Never, containers: [{name: train, image: "$REG/train/$MODEL:1"}]}}
YAML
}
s_md_pending() {
  MS_PORT=$(free_port)
  md_yaml | as alice apply -f - || return 1
  until_true 15 bash -c "kubectl -n $NS get md $MODEL -o jsonpath='{.status.conditions[?(@.type==\"Approved\")].message}' | grep -q 'review missing'" ||
    { R="no Approved condition"; return 1; }
  kubectl -n "$NS" get deploy "$MODEL" >/dev/null 2>&1 && { R="a Deployment exists before approval"; return 1; }
  R="ModelDeployment $MODEL: phase $(jp "md/$MODEL" '{.status.phase}'), no Deployment; Approved=False: $(jp "md/$MODEL" '{.status.conditions[?(@.type=="Approved")].message}')"
}
s_deploy_refused() {
  local out
  if out=$(as alice create deployment "$MODEL-direct" --image="$REG/models/$MODEL@$DIG1" 2>&1); then
    R="admitted: $out"; return 1
  fi
  R="refused: $(denial "$out")"
  grep -q "is not approved" <<<"$out"
}
s_self_review() {
  local out
  if out=$(mg bob review "$MV1" --kind security --approve -m "looks fine to me" 2>&1); then
    R="admitted: $out"; return 1
  fi
  R="refused: $(denial "$out")"
  grep -q "separation of duties" <<<"$out"
}
reviews() { # MV → security (alice), performance (carol), bias (alice)
  mg alice review "$1" --kind security --approve -m "image scanned, no critical CVEs" &&
    mg carol review "$1" --kind performance --approve -m "accuracy and F1 above the champion" &&
    mg alice review "$1" --kind bias --approve -m "four-fifths rule holds on the holdout" || return 1
  until_true 15 is "mv/$1" '{.status.approved}' true || { R="not approved"; return 1; }
  R="security ✓ alice, performance ✓ carol, bias ✓ alice → ModelVersion $1 approved at $(jp "mv/$1" '{.status.approvedAt}')"
}
s_reviews1() { reviews "$MV1"; }

# ---- serving and monitoring --------------------------------------------------------------------
control() { curl -sf -X POST -d "$1" "http://127.0.0.1:$MS_PORT/control" >/dev/null; }
start_modelserver() { # BASELINE-JSON
  it_bg "modelserver-$(basename "$1" .json)" /usr/bin/python3 hack/modelserver/modelserver.py --port "$MS_PORT" \
    --baseline "$1" --rate 400 --seed 7
  until_true 10 curl -sf "http://127.0.0.1:$MS_PORT/healthz"
}
s_serving() {
  start_modelserver "$D/baseline-1.json" || { R="model server did not start"; return 1; }
  until_true 40 bash -c "[ \"\$(kubectl -n $NS get md $MODEL -o jsonpath='{.status.phase}/{.status.lastEvaluation.judged}')\" = Serving/true ]" ||
    { R="not Serving/judged: $(jp "md/$MODEL" '{.status.phase}')"; return 1; }
  R="Serving: Deployment $MODEL $(jp "deploy/$MODEL" '{.status.readyReplicas}')/$(jp "deploy/$MODEL" '{.spec.replicas}') ready, image …@$(short "$(jp "deploy/$MODEL" '{.spec.template.spec.containers[0].image}' | sed 's/.*@//')"); live accuracy $(jp "md/$MODEL" '{.status.lastEvaluation.accuracy}' | cut -c1-5), max PSI $(jp "md/$MODEL" '{.status.lastEvaluation.maxPSI}' | cut -c1-5) over $(jp "md/$MODEL" '{.status.lastEvaluation.samples}') samples"
}
s_drift() {
  control '{"mode": "drift", "strength": 0.5}' || return 1
  until_true 40 is "md/$MODEL" '{.status.phase}' AwaitingReview || { R="phase $(jp "md/$MODEL" '{.status.phase}')"; return 1; }
  R="AwaitingReview: Drifted=True, max PSI $(jp "md/$MODEL" '{.status.lastEvaluation.maxPSI}' | cut -c1-5) on $(jp "md/$MODEL" '{.status.lastEvaluation.worstFeature}') (warn > 0.2); Warning Event: $(kubectl -n "$NS" get events --field-selector "involvedObject.name=$MODEL,type=Warning" -o jsonpath='{.items[-1:].reason}')"
}
s_alert() {
  until_true 20 bash -c "$(declare -f am_alerts); AM_PORT=$AM_PORT; am_alerts 'modeldeployment=\"$MODEL\"' | grep -q '/warning/.*/active'" ||
    { R="no warning alert in Alertmanager"; return 1; }
  R="Alertmanager /api/v2/alerts: $(am_alerts "modeldeployment=\"$MODEL\"" | tr '\n' ' ')"
}
s_quarantine() {
  control '{"mode": "drift", "strength": 1.0}' || return 1
  until_true 40 is "mv/$MV1" '{.status.quarantined}' true || { R="ModelVersion not quarantined"; return 1; }
  until_true 20 bash -c "[ \"\$(kubectl -n $NS get deploy $MODEL -o jsonpath='{.spec.replicas}')\" = 0 ]" || { R="Deployment not scaled to 0"; return 1; }
  until_true 20 is "md/$MODEL" '{.status.phase}' Quarantined || { R="phase $(jp "md/$MODEL" '{.status.phase}')"; return 1; }
  R="Quarantined, Deployment at $(jp "deploy/$MODEL" '{.spec.replicas}') replicas; ModelVersion $MV1: $(jp "mv/$MV1" '{.status.quarantineReason}')"
}
s_critical() {
  until_true 20 bash -c "$(declare -f am_alerts); AM_PORT=$AM_PORT; am_alerts 'modeldeployment=\"$MODEL\"' | grep -q '/critical/.*/active'" ||
    { R="no critical alert"; return 1; }
  R="Alertmanager /api/v2/alerts: $(am_alerts "modeldeployment=\"$MODEL\"" | grep /critical/ | tr '\n' ' ')"
}
s_scale_refused() {
  local out
  if out=$(as alice scale md "$MODEL" --replicas=2 2>&1); then R="admitted: $out"; return 1; fi
  R="refused: $(denial "$out")"
  grep -q quarantined <<<"$out"
}

# ---- retraining --------------------------------------------------------------------------------
s_fresh() {
  gen_csv "$D/data/loans-2026-11-raw.csv" 2 3 3000 &&
    pseudo "$D/data/loans-2026-11-raw.csv" "$D/data/loans-2026-11.csv" &&
    register 2026-11 "$D/data/loans-2026-11.csv" || return 1
  DSV2=loans-2026-11
  scan "$DSV2" "$D/data/loans-2026-11.csv" || return 1
  R="$R"
}
TR2=""
s_retrain() {
  until_true 30 bash -c "[ -n \"\$(kubectl -n $NS get tr -l mlops.modelgov.io/modeldeployment=$MODEL -o name)\" ]" ||
    { R="no TrainingRun: $(jp "md/$MODEL" '{.status.conditions[?(@.type=="RetrainingBlocked")].message}')"; return 1; }
  TR2=$(kubectl -n "$NS" get tr -l "mlops.modelgov.io/modeldeployment=$MODEL" -o jsonpath='{.items[0].metadata.name}')
  is "tr/$TR2" '{.spec.datasetVersion}' "$DSV2" || { R="TrainingRun $TR2 on $(jp "tr/$TR2" '{.spec.datasetVersion}'), not $DSV2"; return 1; }
  until_true 30 is "tr/$TR2" '{.status.phase}' Succeeded || { R="TrainingRun $TR2 phase $(jp "tr/$TR2" '{.status.phase}')"; return 1; }
  R="operator started TrainingRun $TR2 on $DSV2 → Job $(jp "tr/$TR2" '{.status.jobName}') succeeded (phase $(jp "tr/$TR2" '{.status.phase}')); ModelDeployment phase $(jp "md/$MODEL" '{.status.phase}')"
}
s_mv2() {
  baseline "$D/data/loans-2026-11.csv" >"$D/baseline-2.json" || return 1
  mv_yaml "$MV2" 1.1.0 "$DIG2" "$DSV2" "$TR2" "$D/baseline-2.json" | as bob apply -f - || return 1
  until_true 15 is "tr/$TR2" '{.status.modelVersion}' "$MV2" || { R="TrainingRun does not name $MV2"; return 1; }
  R="ModelVersion $MV2 registered by bob from run $TR2: $REG/models/$MODEL@$(short "$DIG2") (unreviewed, so not deployable; 1.0.0 stays quarantined at 0 replicas)"
}
s_reviews2() {
  # the retrained model's server replaces the old one (same port), healthy on the new baseline
  kill "$IT_PID_modelserver_baseline_1" 2>/dev/null; wait "$IT_PID_modelserver_baseline_1" 2>/dev/null
  until_true 10 bash -c "! curl -sf http://127.0.0.1:$MS_PORT/healthz"
  start_modelserver "$D/baseline-2.json" || { R="model server v2 did not start"; return 1; }
  reviews "$MV2"
}
s_promoted() {
  until_true 40 bash -c "[ \"\$(kubectl -n $NS get md $MODEL -o jsonpath='{.spec.modelVersion}/{.status.phase}')\" = $MV2/Serving ]" ||
    { R="md: $(jp "md/$MODEL" '{.spec.modelVersion}/{.status.phase}')"; return 1; }
  local img
  img=$(jp "deploy/$MODEL" '{.spec.template.spec.containers[0].image}')
  [ "$img" = "$REG/models/$MODEL@$DIG2" ] || { R="Deployment image $img"; return 1; }
  R="promoted to $MV2, Serving $(jp "deploy/$MODEL" '{.status.readyReplicas}')/$(jp "deploy/$MODEL" '{.spec.replicas}'): image $REG/models/$MODEL@$DIG2"
}
s_healthy2() {
  # an evaluation made after the promotion, judged, without breaches
  until_true 40 bash -c "kubectl -n $NS get md $MODEL -o json | /usr/bin/python3 -c '
import json, sys
st = json.load(sys.stdin)[\"status\"]; e = st.get(\"lastEvaluation\") or {}; h = st[\"history\"][-1]
assert st[\"phase\"] == \"Serving\" and h[\"modelVersion\"] == \"$MV2\" and e.get(\"judged\") and not st.get(\"breaches\")
assert e[\"time\"][:19] > h[\"from\"][:19], (e[\"time\"], h[\"from\"])'" ||
    { R="md: $(jp "md/$MODEL" '{.status.phase}/{.status.lastEvaluation.judged}/{.status.breaches}')"; return 1; }
  R="judged against 1.1.0's baseline: live accuracy $(jp "md/$MODEL" '{.status.lastEvaluation.accuracy}' | cut -c1-5), max PSI $(jp "md/$MODEL" '{.status.lastEvaluation.maxPSI}' | cut -c1-5) over $(jp "md/$MODEL" '{.status.lastEvaluation.samples}') samples, no breach"
}
s_history() {
  local h l st
  h=$(mg bob history "$MODEL") || return 1
  l=$(mg bob lineage "$MV2") || return 1
  st=$(mg bob status "$MODEL") || return 1
  echo "$h"; echo "$l"; echo "$st"
  grep -q "$DSV2" <<<"$l" && grep -q "$TR2" <<<"$l" || { R="lineage misses the run or the dataset"; return 1; }
  R="status: $(awk 'NR==2 {print $2, $3, $4 ", quarantined " $NF}' <<<"$st"); history: $(awk 'NR>1 {printf "%s%s %s (%s..%s)", sep, $3, $4, substr($1,12,8), ($2 ~ /now/ ? "now" : substr($2,12,8)); sep="; "}' <<<"$h"); lineage: $MV2 ← TrainingRun $TR2 ← DatasetVersion $DSV2"
}

# ---- the governance report ---------------------------------------------------------------------
REPORT_DIR=$D/report
stop_operator() {
  if images_mode; then
    chart_k scale deployment -l app.kubernetes.io/component=operator --replicas=0 >/dev/null &&
      until_true 60 bash -c "[ -z \"\$(kubectl -n $CHART_NS get pods -l app.kubernetes.io/component=operator -o name)\" ]"
  else
    kill "$IT_PID_operator" && wait "$IT_PID_operator" 2>/dev/null
    return 0
  fi
}
plotted() { # MV MINPOINTS: the report's accuracy plot has at least MINPOINTS points
  kubectl modelgov report "$1" -n "$NS" --prometheus-url "http://127.0.0.1:$PROM_PORT" -o json |
    /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
acc = [s for p in d["plots"] if p["figure"] == "accuracy" for s in p["series"]]
sys.exit(0 if acc and len(acc[0]["points"]) >= int(sys.argv[1]) else 1)' "$2"
}
s_report() {
  mkdir -p "$REPORT_DIR"
  until_true 60 plotted "$MV2" 10 || { R="Prometheus has no accuracy series of $MV2 yet"; return 1; }
  if [ -n "${DEMO_OUT:-}" ]; then
    mkdir -p "$DEMO_OUT"
    # the test compares the reports with the cluster state dumped next to them: the operator
    # stops first so nothing changes in between
    # what the operator and the webhook export, for the check of the chart's dashboard and rules
    curl -sf "http://127.0.0.1:$OP_METRICS/metrics" >"$DEMO_OUT/metrics-operator.txt" &&
      curl -sf --cacert "$WEBHOOK_CA" "https://127.0.0.1:$WPORT/metrics" >"$DEMO_OUT/metrics-webhook.txt" || return 1
    stop_operator || { R="the operator did not stop"; return 1; }
  fi
  # every report ends its plots at one moment, so the HTML, Markdown and JSON show the same points;
  # Prometheus scrapes each second: two seconds on, it holds every sample up to that moment
  local f mv until
  until=$(date -u +%Y-%m-%dT%H:%M:%SZ) && sleep 2
  for mv in "$MV2" "$MV1"; do
    for f in html md json; do
      mg carol report "$mv" --prometheus-url "http://127.0.0.1:$PROM_PORT" --until "$until" -o "$f" \
        >"$REPORT_DIR/$mv.$f" || return 1
    done
  done
  if [ -n "${DEMO_OUT:-}" ]; then # the test's copy: the reports and the cluster state they came from
    mkdir -p "$DEMO_OUT" && cp "$REPORT_DIR"/* "$DEMO_OUT/" || return 1
    local k
    for k in mv md tr dsv mrev events; do kubectl -n "$NS" get "$k" -o json >"$DEMO_OUT/state-$k.json" || return 1; done
    printf '%s\n' "DIG1=$DIG1" "DIG2=$DIG2" "MV1=$MV1" "MV2=$MV2" "DSV1=$DSV1" "DSV2=$DSV2" "TR2=$TR2" "NS=$NS" \
      "MODEL=$MODEL" "REG=$REG" "UNTIL=$until" >"$DEMO_OUT/demo.env"
  fi
  R="kubectl modelgov report $MV2 --prometheus-url … --until $until > $REPORT_DIR/$MV2.html ($(wc -c <"$REPORT_DIR/$MV2.html") bytes, $(grep -o '<svg class="plot"' "$REPORT_DIR/$MV2.html" | wc -l) plots; also .md and .json, and the report of $MV1)"
}

# ---- the chart's RBAC (--images) ---------------------------------------------------------------
s_rbac() { # every request of the chart's ServiceAccounts during the story, as the audit log has it
  local out
  out=$(/usr/bin/python3 - "$D/cluster/audit.log" "system:serviceaccount:$CHART_NS:" <<'PY'
import collections, json, sys
n, denied = collections.Counter(), collections.Counter()
for line in open(sys.argv[1]):
    e = json.loads(line)
    user = e["user"]["username"]
    if not user.startswith(sys.argv[2]) or e.get("stage") != "ResponseComplete":
        continue
    n[user] += 1
    if e.get("responseStatus", {}).get("code") in (401, 403):
        o = e.get("objectRef", {})
        denied["%s %s %s%s" % (user, e["verb"], o.get("resource"), "/" + o["subresource"] if o.get("subresource") else "")] += 1
for k, v in sorted(denied.items()):
    print("DENIED %dx %s" % (v, k))
print(", ".join("%s %d requests" % (u.rsplit(":", 1)[1], c) for u, c in sorted(n.items())))
sys.exit(1 if denied or len(n) < 2 else 0)
PY
  )
  local rc=$?
  echo "$out"
  R=$(tail -1 <<<"$out")
  [ $rc -eq 0 ] || { R="$(grep DENIED <<<"$out" | head -3 | tr '\n' ' ')$R"; return 1; }
  R="$R, none denied (401/403) by the chart's RBAC"
}

echo "modelgov demo ($DEMO_RUNTIME): everything in $D (own kubeconfig, 127.0.0.1, free ports)"
step "test cluster up (--kubelet)" s_cluster
step "docker-registry + push model images" s_registry
step "admission webhook" s_webhook
step "operator + Alertmanager + Prometheus" s_operator
step "generate a loan dataset (CSV)" s_csv
step "kubectl modelgov pseudonymize" s_pseudo
step "kubectl modelgov dataset hash" s_hash
step "kubectl modelgov dataset register (bob)" s_register
step "kubectl modelgov bias-scan --apply" s_scan
step "TrainingRun (recorded)" s_train
step "ModelVersion 1.0.0 (bob)" s_mv1
step "ModelDeployment before approval" s_md_pending
step "deploy the image before approval" s_deploy_refused
step "author reviews his own model" s_self_review
step "three reviews (alice, carol, alice)" s_reviews1
step "deploy the approved model" s_serving
step "data drift (model server: drift 0.5)" s_drift
step "alert in Alertmanager" s_alert
step "worse drift (model server: drift 1.0)" s_quarantine
step "critical alert in Alertmanager" s_critical
step "kubectl scale md --replicas=2 (alice)" s_scale_refused
step "fresh dataset registered and scanned" s_fresh
step "retraining on the fresh dataset" s_retrain
step "ModelVersion 1.1.0 from the run (bob)" s_mv2
step "three reviews of 1.1.0" s_reviews2
step "1.1.0 promoted and Serving" s_promoted
step "1.1.0 monitored: healthy" s_healthy2
step "status, history and lineage" s_history
step "governance report of 1.1.0 (carol, auditor)" s_report

images_mode && step "the chart's identities: nothing denied (audit log)" s_rbac

T_END=$(now_us)
echo
printf '%-4s %-42s %-8s %s\n' STEP "" RESULT SECONDS
for row in "${ROWS[@]}"; do
  IFS='|' read -r n t res s <<<"$row"
  printf '%-4s %-42s %-8s %s\n' "$n" "$t" "$res" "$s"
done
printf 'total %d.%ds\n' $(((T_END - T_START) / 1000000)) $((((T_END - T_START) % 1000000) / 100000))
[ "$FAILED" -gt 0 ] && echo "step log: $LOG (kept)"
if [ "$SKIPPED" -gt 0 ]; then
  echo "$PASSED passed, $FAILED failed ($SKIPPED skipped)"
else
  echo "$PASSED passed, $FAILED failed"
fi
[ "$FAILED" -eq 0 ]
