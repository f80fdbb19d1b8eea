#!/bin/bash
# The Helm chart (charts/modelgov): helm lint --strict and helm template for the main value sets,
# the schema refusing bad values, the rendered objects' hardening and webhook scope, the CRDs
# byte-identical to crds/, the generated TLS; then the chart installed with helm into the API
# server (MG_TEST_SERVER: the test server, or a real kube-apiserver with real RBAC), the operator
# and the webhook run with the arguments of the chart's Deployments as the chart's own
# ServiceAccounts (TokenRequest tokens), the webhook behind the chart's own Validating- and
# MutatingWebhookConfiguration (governed namespaces judged, kube-system and the release namespace
# never, fail closed when the webhook is down), and the least-privilege check: every request the
# operator and the webhook made in a governance scenario must be granted by the chart's RBAC, and
# every grant used.
source "$(dirname "$0")/lib.sh"
cd "$IT_ROOT"
HELM="$IT_ROOT/.tools/helm"
[ -x "$HELM" ] || { echo "FATAL: $HELM missing: run 'make deps' (hack/deps.sh installs helm)"; exit 1; }
CHART=charts/modelgov
NS=modelgov-system
REL=mg
FULL=mg-modelgov
CHECK=(/usr/bin/python3 "$IT_ROOT/tests/integration/chart-check.py")

render() { # NAME [helm flags]: renders into $IT_DIR/NAME.yaml
  local name=$1; shift
  "$HELM" template "$REL" "$CHART" -n "$NS" "$@" >"$IT_DIR/$name.yaml" 2>"$IT_DIR/$name.err" ||
    { cat "$IT_DIR/$name.err"; return 1; }
}
check() { "${CHECK[@]}" "$@"; }

# --- static: lint, template, schema -----------------------------------------------------------
it_check "helm lint --strict (default values)" bash -c "'$HELM' lint --strict $CHART >'$IT_DIR/lint.log' 2>&1 || { cat '$IT_DIR/lint.log'; exit 1; }"
it_check "helm lint --strict (cert-manager and NetworkPolicy on)" bash -c \
  "'$HELM' lint --strict $CHART --set certManager.enabled=true --set networkPolicy.enabled=true >'$IT_DIR/lint2.log' 2>&1 || { cat '$IT_DIR/lint2.log'; exit 1; }"
it_check "helm template: default values" render default
it_check "helm template: certManager.enabled" render cm --set certManager.enabled=true
it_check "helm template: cert-manager with an existing ClusterIssuer" render cmci --set certManager.enabled=true \
  --set certManager.issuerRef.name=corp-ca --set certManager.issuerRef.kind=ClusterIssuer
it_check "helm template: networkPolicy.enabled" render np --set networkPolicy.enabled=true
it_check "helm template: a full policy configuration" render policy \
  --set-json 'webhook.config={"modelRepositories":["registry.example.com/models/"],"requireDigest":true,"mode":"audit","registries":[{"host":"registry.example.com","caFile":"/etc/ca.pem","plainHTTP":false}],"cacheTTLSeconds":60,"exemptNamespaces":["ops"],"exemptServiceAccounts":["ops:ci"],"reviewerGroups":{"security":"sec","bias":["fair","ethics"]},"requireModelDeployment":true,"approvedScanTools":["kubectl-modelgov"]}'

schema_rejects() { # WHAT PATTERN FLAGS...: helm refuses the values, naming PATTERN
  local what=$1 pat=$2; shift 2
  if "$HELM" template "$REL" "$CHART" -n "$NS" "$@" >/dev/null 2>"$IT_DIR/schema.err"; then
    it_fail "schema rejects $what (helm template accepted it)"
  elif grep -q -- "$pat" "$IT_DIR/schema.err"; then
    it_pass "schema rejects $what"
  else
    it_fail "schema rejects $what (error does not name $pat: $(head -c 300 "$IT_DIR/schema.err"))"
  fi
}
schema_rejects 'webhook.replicas: "two"' /webhook/replicas --set-string webhook.replicas=two
schema_rejects "an unknown key" "additional properties 'replica' not allowed" --set operator.replica=2
schema_rejects "an unknown policy key" "additional properties 'modelRepository' not allowed" \
  --set-json 'webhook.config.modelRepository=["x/"]'
schema_rejects "webhook.config.mode: strict" /webhook/config/mode --set webhook.config.mode=strict
schema_rejects "webhook.timeoutSeconds: 60" /webhook/timeoutSeconds --set webhook.timeoutSeconds=60
schema_rejects "webhook.failurePolicy: Maybe" /webhook/failurePolicy --set webhook.failurePolicy=Maybe

# --- the rendered objects ---------------------------------------------------------------------
it_check "every container: non-root 65532, read-only root, no privilege escalation, drop ALL, seccomp RuntimeDefault, resources, probes" \
  check hardening "$IT_DIR/default.yaml"
it_check "pod templates: only real Kubernetes field names (default values)" check fields "$IT_DIR/default.yaml"
render required --set webhook.podAntiAffinity=required --set 'imagePullSecrets[0].name=pull'
it_check "pod templates: only real Kubernetes field names (required anti-affinity, pull secrets)" check fields "$IT_DIR/required.yaml"
sed 's/runAsNonRoot: true/runAsNonRot: true/' "$IT_DIR/default.yaml" >"$IT_DIR/typo.yaml"
it_check "the field check catches a misspelt field" bash -c "! ${CHECK[*]} fields '$IT_DIR/typo.yaml' >/dev/null"
it_check "webhook configuration: Fail, sideEffects None, v1, timeout 5, governed label, kube-system and $NS excluded, the rules" \
  check webhookconfig "$IT_DIR/default.yaml" "$NS" 5
render t7 --set webhook.timeoutSeconds=7
it_check "webhook.timeoutSeconds=7 reaches the configuration" check webhookconfig "$IT_DIR/t7.yaml" "$NS" 7
it_check "webhook: 2 replicas, PodDisruptionBudget minAvailable 1, anti-affinity by hostname" check webhookha "$IT_DIR/default.yaml"
render one --set webhook.replicas=1
it_check "webhook.replicas=1: no PodDisruptionBudget (it would block node drains)" bash -c "! grep -q '^kind: PodDisruptionBudget' '$IT_DIR/one.yaml'"
it_check "operator: leader election on by default" check leader "$IT_DIR/default.yaml" yes
render ha --set operator.replicas=3 --set operator.leaderElect=false
it_check "operator: leader election forced on with 3 replicas" check leader "$IT_DIR/ha.yaml" yes
render single --set operator.leaderElect=false
it_check "operator: leaderElect=false with 1 replica turns it off" check leader "$IT_DIR/single.yaml" no
render sharded --set operator.replicas=3 --set operator.sharding=true
it_check "operator.sharding: --sharding, and each replica named by its Pod" \
  bash -c "grep -q -- '- --sharding' '$IT_DIR/sharded.yaml' && grep -q -- '--identity=\$(POD_NAME)' '$IT_DIR/sharded.yaml' && grep -q 'fieldPath: metadata.name' '$IT_DIR/sharded.yaml'"
it_check "default: no --sharding" bash -c "! grep -q -- '--sharding' '$IT_DIR/default.yaml'"
it_check "cert-manager: Issuer, Certificate, inject-ca-from, no generated Secret or caBundle" check certmanager "$IT_DIR/cm.yaml" "$NS"
it_check "cert-manager with issuerRef: no chart Issuer" bash -c "! grep -q '^kind: Issuer' '$IT_DIR/cmci.yaml' && grep -q 'kind: ClusterIssuer' '$IT_DIR/cmci.yaml'"
it_check "networkPolicy.enabled: two NetworkPolicies" check netpol "$IT_DIR/np.yaml" 2
it_check "default: NetworkPolicies on (webhook and operator)" check netpol "$IT_DIR/default.yaml" 2
render nocidr --set networkPolicy.enabled=false
it_check "networkPolicy.enabled=false: no NetworkPolicy" check netpol "$IT_DIR/nocidr.yaml" 0
render cidr --set-json 'networkPolicy.apiServerCIDRs=["10.0.0.0/28","192.168.7.3/32"]'
it_check "networkPolicy.apiServerCIDRs: the webhook port admits only those addresses" \
  check netpolfrom "$IT_DIR/cidr.yaml" 10.0.0.0/28,192.168.7.3/32
it_check "without apiServerCIDRs the webhook port stays open (the API server's address is not expressible)" \
  check netpolfrom "$IT_DIR/default.yaml" ""
schema_rejects "networkPolicy.apiServerCIDRs: not a CIDR" /networkPolicy/apiServerCIDRs/0 --set-json 'networkPolicy.apiServerCIDRs=["kube-apiserver"]' 

# --- monitoring: ServiceMonitors, PrometheusRule, Grafana dashboard ----------------------------
PROM_APIS=(--api-versions monitoring.coreos.com/v1/ServiceMonitor --api-versions monitoring.coreos.com/v1/PrometheusRule)
it_check "monitoring objects: none without the monitoring.coreos.com kinds (enabled: auto)" check monitoring "$IT_DIR/default.yaml" "$CHART" 0
render mon "${PROM_APIS[@]}"
it_check "monitoring objects: with the Prometheus Operator kinds, 2 ServiceMonitors (operator metrics, webhook over verified TLS), the PrometheusRule (the rule file as it is), the dashboard ConfigMap (grafana_dashboard: \"1\")" \
  check monitoring "$IT_DIR/mon.yaml" "$CHART" 3
render monoff "${PROM_APIS[@]}" --set monitoring.serviceMonitor.enabled=false --set monitoring.prometheusRule.enabled=false \
  --set monitoring.grafanaDashboard.enabled=false
it_check "monitoring objects: enabled=false renders none even where the kinds exist" check monitoring "$IT_DIR/monoff.yaml" "$CHART" 0
render monon --set monitoring.prometheusRule.enabled=true --set monitoring.grafanaDashboard.enabled=true
it_check "monitoring objects: enabled=true renders them on any cluster" check monitoring "$IT_DIR/monon.yaml" "$CHART" 2
schema_rejects "monitoring.serviceMonitor.enabled: maybe" /monitoring/serviceMonitor/enabled --set monitoring.serviceMonitor.enabled=maybe
it_check "promtool check rules: charts/modelgov/files/prometheus-rules.yaml" \
  bash -c "promtool check rules $CHART/files/prometheus-rules.yaml >'$IT_DIR/promtool.log' 2>&1 || { cat '$IT_DIR/promtool.log'; exit 1; }"
check rulespec "$IT_DIR/mon.yaml" "$IT_DIR/rendered-rules.yaml"
it_check "promtool check rules: the rendered PrometheusRule's spec" \
  bash -c "promtool check rules '$IT_DIR/rendered-rules.yaml' >'$IT_DIR/promtool2.log' 2>&1 || { cat '$IT_DIR/promtool2.log'; exit 1; }"
it_check "promtool test rules: each alert fires on its condition and not before (tests/prometheus/rules-test.yaml)" \
  bash -c "promtool test rules tests/prometheus/rules-test.yaml >'$IT_DIR/promtool3.log' 2>&1 || { cat '$IT_DIR/promtool3.log'; exit 1; }"
sed 's/modelgov_webhook_ready == 1/modelgov_webhook_ready == 2/' $CHART/files/prometheus-rules.yaml >"$IT_DIR/bad-rules.yaml"
sed "s#../../charts/modelgov/files/prometheus-rules.yaml#$IT_DIR/bad-rules.yaml#" tests/prometheus/rules-test.yaml >"$IT_DIR/bad-test.yaml"
it_check "promtool test rules can fail: a changed alert expression breaks its test" \
  bash -c "! promtool test rules '$IT_DIR/bad-test.yaml' >/dev/null 2>&1"

# --- CRDs: byte-identical copies of crds/ -------------------------------------------------------
crds_identical() { # CHART_CRDS_DIR
  local f ok=0
  for f in crds/*.yaml; do
    cmp -s "$f" "$1/$(basename "$f")" || { echo "    $1/$(basename "$f") differs from $f"; ok=1; }
  done
  [ "$(cd crds && ls -- *.yaml)" = "$(ls -- "$1")" ] || { echo "    file names differ: $(ls -- "$1" | tr '\n' ' ')"; ok=1; }
  return $ok
}
it_check "charts/modelgov/crds: byte-identical to crds/*.yaml, same file names" crds_identical $CHART/crds
mkdir -p "$IT_DIR/drift" && cp $CHART/crds/* "$IT_DIR/drift/" && printf ' ' >>"$IT_DIR/drift/$(ls $CHART/crds | head -1)"
drift_detected() { ! crds_identical "$IT_DIR/drift" >/dev/null; }
it_check "the CRD check fails on a drifted copy" drift_detected

# --- generated TLS ----------------------------------------------------------------------------
tls_files() { # RENDERED DIR: writes tls.crt tls.key ca.crt and config.yaml from the rendered chart
  mkdir -p "$2"
  local k
  for k in tls.crt tls.key ca.crt; do check data "$1" Secret "$FULL-webhook-tls" "$k" >"$2/$k" || return 1; done
  check data "$1" ConfigMap "$FULL-webhook-config" config.yaml >"$2/config.yaml"
}
it_check "generated TLS: Secret rendered" tls_files "$IT_DIR/default.yaml" "$IT_DIR/tls"
it_check "generated TLS: serving certificate signed by the generated CA" \
  bash -c "openssl verify -CAfile '$IT_DIR/tls/ca.crt' '$IT_DIR/tls/tls.crt' >/dev/null"
it_check "generated TLS: certificate names $FULL-webhook.$NS.svc" \
  bash -c "openssl x509 -in '$IT_DIR/tls/tls.crt' -noout -ext subjectAltName | grep -q 'DNS:$FULL-webhook.$NS.svc\\b'"
it_check "generated TLS: caBundle is the CA of the Secret" check cabundle "$IT_DIR/default.yaml" "$FULL-webhook-tls"

# --- the chart installed: helm install into the API server (MG_TEST_SERVER: the test server or a
# real kube-apiserver); the operator and the webhook run here, outside the cluster, with the
# arguments of the chart's Deployments (scaled to 0, so no node runs them) and as the chart's
# own ServiceAccounts (tokens from the TokenRequest API); the chart's webhook configurations call
# the local webhook through webhook.development.{url,caBundle} with their rules unchanged ------
source "$(dirname "$0")/lib-webhook.sh" # webhook_certs, webhook_wait_port
PORT=$(it_listen_port)
it_start_cluster --kubelet
webhook_certs # $IT_DIR/ca.crt, tls.crt, tls.key for 127.0.0.1
kubectl create ns gov >/dev/null && kubectl label ns gov modelgov.io/governed=true >/dev/null
kubectl create ns free >/dev/null
kubectl label ns kube-system modelgov.io/governed=true >/dev/null
MARK=$(it_mark) # every request of the chart's identities comes after this
it_check "helm install: the chart installed into the API server (Deployments scaled to 0, webhook by development URL)" \
  bash -c "'$HELM' install $REL $CHART -n $NS --create-namespace --wait=false \
    --set operator.replicas=0 --set webhook.replicas=0 --set operator.sharding=true \
    --set webhook.development.url=https://127.0.0.1:$PORT --set webhook.development.caBundle=$(base64 -w0 "$IT_DIR/ca.crt") \
    --set-json 'webhook.config.modelRepositories=[\"registry.example.com/models/\"]' >'$IT_DIR/install.log' 2>&1 ||
    { cat '$IT_DIR/install.log'; exit 1; }"
kubectl label ns "$NS" modelgov.io/governed=true >/dev/null
"$HELM" get manifest $REL -n $NS >"$IT_DIR/live.yaml"
it_eq "helm status: deployed" deployed "$("$HELM" status $REL -n $NS -o json | /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["info"]["status"])')"
check split "$IT_DIR/live.yaml" "$IT_DIR/main.yaml" "$IT_DIR/vwc.yaml"
want=$(grep -c '^kind:' "$IT_DIR/live.yaml")
it_eq "all $want installed objects exist" "$want" "$(kubectl get -n $NS -f "$IT_DIR/live.yaml" -o name 2>/dev/null | wc -l)"
crds_established() { kubectl wait --for condition=established --timeout=30s crd --all >/dev/null; }
it_check "CRDs installed from the chart and Established" crds_established
rules_stored() { # KIND NAME [-n NS]: the stored rules equal the rendered ones
  kubectl get "$1" "$2" "${@:3}" -o json >"$IT_DIR/stored.json" &&
    /usr/bin/python3 - "$IT_DIR/main.yaml" "$IT_DIR/stored.json" "$1" "$2" <<'PY'
import json, sys, yaml
kinds = {'clusterrole': 'ClusterRole', 'role': 'Role'}
want = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d and d['kind'] == kinds[sys.argv[3]]
        and d['metadata']['name'] == sys.argv[4]][0]['rules']
got = json.load(open(sys.argv[2]))['rules']
sys.exit(0 if want == got else print('    rendered %s\n    stored   %s' % (want, got)) or 1)
PY
}
it_check "operator ClusterRole stored with exactly its rendered rules" rules_stored clusterrole "$FULL-operator"
it_check "webhook ClusterRole stored with exactly its rendered rules" rules_stored clusterrole "$FULL-webhook"
it_check "leader-election Role stored in $NS with its rules" rules_stored role "$FULL-operator-leader-election" -n "$NS"
it_eq "the chart's Deployments run no Pod (scaled to 0)" "0/0/" \
  "$(it_jp deploy/$FULL-operator '{.spec.replicas}' -n $NS)/$(it_jp deploy/$FULL-webhook '{.spec.replicas}' -n $NS)/$(kubectl get pods -n $NS -o name)"

chart_args() { # DEPLOYMENT: its container's args as the chart rendered them, one per line, with
  # listen addresses, file paths and the log format rewritten for a process on this machine
  kubectl get deploy "$1" -n $NS -o json | /usr/bin/python3 -c '
import json, sys
local = {"--metrics-addr": "127.0.0.1:0", "--health-addr": "127.0.0.1:0", "--log-format": "text",
         "--listen": "127.0.0.1:" + sys.argv[1], "--tls-cert": sys.argv[2] + "/tls.crt",
         "--tls-key": sys.argv[2] + "/tls.key", "--config": sys.argv[2] + "/policy.yaml"}
c = json.load(sys.stdin)["spec"]["template"]["spec"]["containers"][0]
env = {}  # $(VAR) in args as the kubelet expands it; fieldRefs as this Pod would have them
for e in c.get("env") or []:
    ref = ((e.get("valueFrom") or {}).get("fieldRef") or {}).get("fieldPath")
    env[e["name"]] = e.get("value", {"metadata.name": sys.argv[3] + "-local", "metadata.namespace": sys.argv[4]}.get(ref, ""))
for a in c["args"]:
    k, eq, v = a.partition("=")
    a = k + "=" + local[k] if eq and k in local else a
    for name, val in env.items():
        a = a.replace("$(" + name + ")", val)
    print(a)' "$PORT" "$IT_DIR" "$1" "$NS"
}
kubectl get cm "$FULL-webhook-config" -n $NS -o jsonpath='{.data.config\.yaml}' >"$IT_DIR/policy.yaml"
it_check "the installed policy configuration: modelRepositories set" grep -q 'registry.example.com/models/' "$IT_DIR/policy.yaml"
OP_USER=system:serviceaccount:$NS:$FULL-operator
WH_USER=system:serviceaccount:$NS:$FULL-webhook
sa_kubeconfigs() {
  it_sa_kubeconfig $NS $FULL-webhook "$IT_DIR/webhook.kubeconfig" &&
    it_sa_kubeconfig $NS $FULL-operator "$IT_DIR/operator.kubeconfig"
}
it_check "TokenRequest: a token for each of the chart's ServiceAccounts" sa_kubeconfigs
it_eq "the webhook's token authenticates as its ServiceAccount" "$WH_USER" \
  "$(kubectl --kubeconfig "$IT_DIR/webhook.kubeconfig" auth whoami -o jsonpath='{.status.userInfo.username}')"
mapfile -t WH_ARGS < <(chart_args "$FULL-webhook")
it_bg webhook bin/modelgov-webhook "${WH_ARGS[@]}" --kubeconfig "$IT_DIR/webhook.kubeconfig"
it_wait "webhook (as its ServiceAccount, the chart's arguments) serves /readyz on the development URL" 20 \
  curl -sf --cacert "$IT_DIR/ca.crt" "https://127.0.0.1:$PORT/readyz"

# pinned by digest: judging it needs no registry (the resolver would look up a tag)
MODEL=registry.example.com/models/fraud@sha256:$(printf 'unapproved' | sha256sum | cut -d' ' -f1)
run_pod() { kubectl -n "$1" run "$2" --image="$3" --restart=Never >"$IT_DIR/run-$1-$2.log" 2>&1; }
refused() { # NS NAME IMAGE PATTERN: creating the pod fails with PATTERN in the error
  if run_pod "$1" "$2" "$3"; then echo "    pod $1/$2 was admitted"; return 1; fi
  grep -q "$4" "$IT_DIR/run-$1-$2.log" || { echo "    $(cat "$IT_DIR/run-$1-$2.log")"; return 1; }
}
it_check "governed namespace: an unapproved model image is refused by modelgov" \
  refused gov m1 "$MODEL" 'admission webhook "admission.mlops.modelgov.io" denied'

it_check "governed namespace: a non-model image is admitted" run_pod gov plain nginx:1.25
it_check "ungoverned namespace: not sent to the webhook" run_pod free m1 "$MODEL"
it_check "kube-system, even labelled governed: not sent to the webhook" run_pod kube-system m1 "$MODEL"
it_check "the release namespace, even labelled governed: not sent to the webhook" run_pod "$NS" m1 "$MODEL"

# --- least privilege: the chart's identities in a governance scenario vs the chart's RBAC ------
# The scenario runs as admin in namespace ml (not governed, so it does not depend on the
# webhook's caches); the operator and the webhook act as their ServiceAccounts. The chart is
# installed with operator.sharding=true, so the operator also uses its member Lease (created,
# listed, renewed, deleted at SIGTERM); shorter lease timings keep the run short.
mapfile -t OP_ARGS < <(chart_args "$FULL-operator")
it_bg operator bin/modelgov-operator "${OP_ARGS[@]}" --kubeconfig "$IT_DIR/operator.kubeconfig" \
  --lease-duration-seconds 6 --renew-deadline-seconds 3 --retry-period-seconds 1
op_ready() { # the health server's port is in the operator's log
  local port
  port=$(sed -n 's/.*listening server=health .*port=\([0-9]*\).*/\1/p' "$IT_DIR/operator.log" | head -1)
  [ -n "$port" ] && curl -sf "http://127.0.0.1:$port/readyz" >/dev/null
}
it_wait "operator (as its ServiceAccount, the chart's arguments) ready" 20 op_ready
it_wait "operator holds the Lease in $NS" 20 bash -c "kubectl get lease modelgov-operator -n $NS -o jsonpath='{.spec.holderIdentity}' | grep -q ."
it_wait "operator holds its member Lease in $NS" 20 bash -c "kubectl get lease -n $NS -l mlops.modelgov.io/member-of=modelgov-operator -o name | grep -q ."
kubectl create ns ml >/dev/null
digest() { echo "sha256:$(printf '%s' "$1" | sha256sum | cut -d' ' -f1)"; }
dataset() { it_dataset ml "$1" credit; }
model_version() { # NAME VERSION DATASET [TRAININGRUN]
  kubectl -n ml apply -f - >/dev/null <<YAML
apiVersion: mlops.modelgov.io/v1alpha1
kind: ModelVersion
metadata: {name: $1, annotations: {mlops.modelgov.io/author: bob}}
spec: {model: credit, version: "$2", image: registry.example.com/models/credit, digest: "$(digest "$1")", datasetVersion: $3${4:+, trainingRun: $4}}
YAML
}
review() { it_review ml "$1" "$2" "$3" "$4" "$5" admin "chart RBAC scenario" >/dev/null; } # NAME MV KIND VERDICT REVIEWER
reviews() { review "$1-sec" "$1" security approve alice; review "$1-perf" "$1" performance approve dave; review "$1-bias" "$1" bias approve alice; }
md_is() { [ "$(kubectl get md credit -n ml -o jsonpath="$1")" = "$2" ]; }
dataset credit-2026-09
model_version credit-1 1 credit-2026-09
reviews credit-1
kubectl -n ml apply -f - >/dev/null <<YAML
apiVersion: mlops.modelgov.io/v1alpha1
kind: ModelDeployment
metadata: {name: credit}
spec:
  modelVersion: credit-1
  replicas: 1
  retraining:
    auto: true
    autoPromote: true
    datasetSelector: {matchLabels: {dataset: credit}}
    template:
      experiment: credit-retrain
      model: {name: credit}
      template: {spec: {containers: [{name: train, image: "registry.example.com/train/credit:1"}]}}
YAML
it_wait "scenario: approved model Serving" 30 md_is '{.status.phase}' Serving
kubectl patch md credit -n ml --type=merge -p '{"spec":{"port":9001}}' >/dev/null
it_wait "scenario: a new port reaches the Service" 15 bash -c "[ \"\$(kubectl get svc credit -n ml -o jsonpath='{.spec.ports[0].port}')\" = 9001 ]"
# labels removed by hand: the operator reads its objects by name (get) and puts the labels back
kubectl label deploy,svc credit -n ml app.kubernetes.io/managed-by- >/dev/null
it_wait "scenario: managed-by labels removed → put back" 15 bash -c \
  "[ \"\$(kubectl get deploy,svc credit -n ml -o jsonpath='{.items[*].metadata.labels.app\.kubernetes\.io/managed-by}')\" = 'modelgov-operator modelgov-operator' ]"
sleep 1.1 # creationTimestamps have second precision: the fresh data must be visibly newer
dataset credit-2026-10
sleep 1.1
review credit-1-inc credit-1 incident confirm carol
it_wait "scenario: incident confirmed → Quarantined, retraining started" 30 \
  bash -c "[ -n \"\$(kubectl get md credit -n ml -o jsonpath='{.status.retrainingRun}')\" ]"
TR=$(kubectl get md credit -n ml -o jsonpath='{.status.retrainingRun}')
it_wait "scenario: the retraining Job succeeds" 30 bash -c "[ \"\$(kubectl get tr $TR -n ml -o jsonpath='{.status.phase}')\" = Succeeded ]"
model_version credit-2 2 credit-2026-10 "$TR"
reviews credit-2
it_wait "scenario: retrained version promoted and Serving" 30 md_is '{.spec.modelVersion}/{.status.phase}' credit-2/Serving
kill -TERM "$IT_PID_operator"
wait "$IT_PID_operator" 2>/dev/null
# The test server logs a watch when it ends (end them all); the real server's audit log has it
# from its start. Then wait until every resource each identity listed also shows its watch.
it_has_faults && it_faults '[{"action": "dropWatches"}]'
watches_logged() {
  it_requests_since "$MARK" --json >"$IT_DIR/requests.json" &&
    /usr/bin/python3 - "$IT_DIR/requests.json" "$OP_USER" "$WH_USER" <<'PY'
import json, sys
seen = {}
for e in json.load(open(sys.argv[1]))['items']:
    # member Leases are listed each retry period, not watched
    if e.get('user') in sys.argv[2:] and e.get('verb') in ('list', 'watch') and e.get('resource') != 'leases':
        seen.setdefault((e['user'], e.get('apiGroup'), e.get('resource')), set()).add(e['verb'])
sys.exit(0 if seen and all('watch' in v for v in seen.values()) else 1)
PY
}
it_wait "request log: every informer's watch recorded" 20 watches_logged
it_check "RBAC: every request of the operator ($OP_USER) is granted by the chart, and it uses every grant" \
  check rbac "$IT_DIR/live.yaml" "$IT_DIR/requests.json" "$OP_USER" "$NS" "$FULL-operator"
it_check "RBAC check can fail: the scenario's admin requests are not all granted to the operator" \
  bash -c "! ${CHECK[*]} rbac '$IT_DIR/live.yaml' '$IT_DIR/requests.json' admin $NS $FULL-operator >/dev/null"
it_check "RBAC: every request of the webhook ($WH_USER) is granted by the chart, and it uses every grant" \
  check rbac "$IT_DIR/live.yaml" "$IT_DIR/requests.json" "$WH_USER" "$NS" "$FULL-webhook"
if it_server_is_real; then
  it_eq "real RBAC refused none of the chart's identities' requests (no 403 in the audit log)" "" \
    "$(/usr/bin/python3 -c 'import json, sys
print(" ".join("%s %s/%s" % (e["verb"], e.get("resource"), e.get("subresource")) for e in json.load(open(sys.argv[1]))["items"]
               if e["user"] in sys.argv[2:] and e["code"] == 403))' "$IT_DIR/requests.json" "$OP_USER" "$WH_USER")"
fi

# --- fail closed in governed namespaces only ---------------------------------------------------
kill -TERM "$IT_PID_webhook"
wait "$IT_PID_webhook" 2>/dev/null
it_check "webhook down: governed namespace refuses (failurePolicy Fail)" \
  refused gov plain2 nginx:1.25 'failed calling webhook'
it_check "webhook down: ungoverned namespace unaffected" run_pod free plain2 nginx:1.25
it_check "webhook down: the release namespace unaffected (the webhook can be redeployed)" run_pod "$NS" plain2 nginx:1.25
kubectl delete -f "$IT_DIR/vwc.yaml" >/dev/null
it_check "webhook configurations deleted: governed namespace admits again" run_pod gov plain3 nginx:1.25
it_check "helm uninstall removes the release" bash -c "'$HELM' uninstall $REL -n $NS >/dev/null 2>&1 && ! kubectl get clusterrole $FULL-operator >/dev/null 2>&1"

# --- upgrades keep the generated TLS (lookup of the Secret); deleting the Secret rotates it ------
# helm template --dry-run=server runs the chart's lookup against the cluster, like an upgrade.
# (A separate release "lk": helm refuses to render over objects it does not own.)
kubectl create ns lk >/dev/null
"$HELM" template lk "$CHART" -n lk -s templates/webhook-admission.yaml >"$IT_DIR/lk0.yaml"
check split "$IT_DIR/lk0.yaml" "$IT_DIR/lk-secret.yaml" /dev/null
kubectl apply -n lk -f "$IT_DIR/lk-secret.yaml" >/dev/null
kubectl annotate -n lk secret lk-modelgov-webhook-tls meta.helm.sh/release-name=lk meta.helm.sh/release-namespace=lk >/dev/null
tls_of() { # RENDERED: the Secret's tls.crt, tls.key and ca.crt, one hash
  local k
  for k in tls.crt tls.key ca.crt; do check data "$1" Secret lk-modelgov-webhook-tls "$k"; done | sha256sum
}
upgrade_render() { "$HELM" template lk "$CHART" -n lk --dry-run=server >"$IT_DIR/$1.yaml" 2>"$IT_DIR/$1.err" || { cat "$IT_DIR/$1.err"; return 1; }; }
it_check "upgrade render (--dry-run=server) with the Secret in place" upgrade_render lk1
it_eq "upgrade keeps the CA, certificate and key" "$(tls_of "$IT_DIR/lk0.yaml")" "$(tls_of "$IT_DIR/lk1.yaml")"
it_check "upgrade: caBundle is still the kept CA" check cabundle "$IT_DIR/lk1.yaml" lk-modelgov-webhook-tls
kubectl delete secret -n lk lk-modelgov-webhook-tls >/dev/null
it_check "rotation: upgrade render after deleting the Secret" upgrade_render lk2
h0=$(tls_of "$IT_DIR/lk0.yaml"); h2=$(tls_of "$IT_DIR/lk2.yaml")
it_check "rotation: a new CA and certificate" test "$h0" != "$h2"
it_check "rotation: caBundle follows the new CA" check cabundle "$IT_DIR/lk2.yaml" lk-modelgov-webhook-tls

# The monitoring objects against the cluster's own discovery: without the monitoring.coreos.com
# CRDs a server-side render has none; once the CRDs exist it has them, and the API server
# accepts them (kubectl apply --dry-run=server against those CRDs).
it_check "server-side render without the monitoring.coreos.com CRDs: no monitoring objects" \
  check monitoring "$IT_DIR/lk2.yaml" "$CHART" 0
for kind in ServiceMonitor:servicemonitors PrometheusRule:prometheusrules; do
  kubectl apply -f - >/dev/null <<YAML
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: ${kind#*:}.monitoring.coreos.com}
spec:
  group: monitoring.coreos.com
  scope: Namespaced
  names: {kind: ${kind%%:*}, plural: ${kind#*:}, singular: $(tr 'A-Z' 'a-z' <<<"${kind%%:*}"), listKind: ${kind%%:*}List}
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
YAML
done
kubectl wait --for condition=established --timeout=30s crd servicemonitors.monitoring.coreos.com prometheusrules.monitoring.coreos.com >/dev/null
it_wait "server-side render once the CRDs exist: ServiceMonitors, PrometheusRule and dashboard" 20 \
  bash -c "'$HELM' template lk '$CHART' -n lk --dry-run=server >'$IT_DIR/lk3.yaml' 2>/dev/null && ${CHECK[*]} monitoring '$IT_DIR/lk3.yaml' '$CHART' 3"
mon_objects() { /usr/bin/python3 -c '
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d and (d["kind"] in ("ServiceMonitor", "PrometheusRule")
        or "grafana_dashboard" in d["metadata"].get("labels", {}))]
print(yaml.safe_dump_all(docs))' "$IT_DIR/lk3.yaml"; }
mon_objects >"$IT_DIR/lk3-mon.yaml"
it_check "the API server accepts the rendered ServiceMonitors, PrometheusRule and dashboard ConfigMap" \
  bash -c "kubectl apply -n lk --dry-run=server -f '$IT_DIR/lk3-mon.yaml' >'$IT_DIR/lk3-apply.log' 2>&1 || { cat '$IT_DIR/lk3-apply.log'; exit 1; }"
it_finish
