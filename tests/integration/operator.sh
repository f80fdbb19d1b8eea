#!/bin/bash
# Integration test of bin/modelgov-operator against the API server (with a node that runs Pods):
# approvals from reviews, ModelDeployment → Deployment/Service, replicas, quarantine and release,
# idle resync without writes, API faults and dropped/compacted watches, garbage collection,
# SIGTERM, and leader failover between two processes. Written against the real API's behaviour
# only (kubectl and the API): it runs unchanged on the test server and on a real kube-apiserver
# (MG_TEST_SERVER=real), where the fault-injection checks are skipped.
source "$(dirname "$0")/lib.sh"
cd "$IT_ROOT"
it_start_cluster --kubelet
kubectl apply -f crds/ >/dev/null
kubectl wait --for condition=established --timeout=30s crd --all >/dev/null
kubectl create ns ml >/dev/null

DIGEST=sha256:$(printf 'fraud-1.4.0' | sha256sum | cut -d' ' -f1)
FB_DIGEST=sha256:$(printf 'fraud-1.3.0' | sha256sum | cut -d' ' -f1)

start_operator() { # NAME [flags]
  local name=$1; shift
  it_bg "$name" bin/modelgov-operator --metrics-addr 127.0.0.1:0 --health-addr 127.0.0.1:0 "$@"
}
port_of() { # LOGNAME SERVER
  sed -n "s/.*listening server=$2 .*port=\([0-9]*\).*/\1/p" "$IT_DIR/$1.log" | head -1
}
ready() { curl -sf "http://127.0.0.1:$(port_of "$1" health)/readyz" >/dev/null; }

start_operator op1 --resync-seconds 2
it_wait "operator reports ready (caches synced)" 20 ready op1

# --- a model version authored by bob, not yet reviewed --------------------------------------
kubectl --context bob -n ml apply -f - >/dev/null <<YAML
apiVersion: mlops.modelgov.io/v1alpha1
kind: ModelVersion
metadata: {name: fraud-1-4-0, annotations: {mlops.modelgov.io/author: bob}}
spec: {model: fraud-detector, version: 1.4.0, image: registry.example.com/models/fraud, digest: "$DIGEST"}
---
apiVersion: mlops.modelgov.io/v1alpha1
kind: ModelVersion
metadata: {name: fraud-1-3-0, annotations: {mlops.modelgov.io/author: bob}}
spec: {model: fraud-detector, version: 1.3.0, image: registry.example.com/models/fraud, digest: "$FB_DIGEST"}
YAML
kubectl -n ml apply -f - >/dev/null <<YAML
apiVersion: mlops.modelgov.io/v1alpha1
kind: ModelDeployment
metadata: {name: fraud}
spec: {modelVersion: fraud-1-4-0, replicas: 2, port: 9000}
YAML
it_wait "unapproved model: Approved=False with the missing reviews named" 15 \
  bash -c "kubectl get md fraud -n ml -o jsonpath='{.status.conditions[?(@.type==\"Approved\")].message}' | grep -q 'security review missing'"
it_eq "unapproved model: phase Pending" Pending "$(it_jp md/fraud '{.status.phase}' -n ml)"
it_check "unapproved model: no Deployment exists" bash -c "! kubectl get deploy fraud -n ml >/dev/null 2>&1"

review() { it_review ml "$1" "$2" "$3" "$4" "$5" >/dev/null; } # NAME MV KIND VERDICT USER
review sec-140 fraud-1-4-0 security approve alice
review perf-140 fraud-1-4-0 performance approve carol
it_wait "two of three reviews: still not approved, bias named" 15 \
  bash -c "kubectl get mv fraud-1-4-0 -n ml -o jsonpath='{.status.conditions[?(@.type==\"Approved\")].message}' | grep -q 'bias review missing'"
review bias-140 fraud-1-4-0 bias approve alice
it_wait "three approving reviews: ModelVersion approved" 15 \
  bash -c "[ \"\$(kubectl get mv fraud-1-4-0 -n ml -o jsonpath='{.status.approved}')\" = true ]"
it_check "approvedAt and reviews summary recorded" \
  bash -c "[ -n \"\$(kubectl get mv fraud-1-4-0 -n ml -o jsonpath='{.status.approvedAt}')\" ] && [ \"\$(kubectl get mv fraud-1-4-0 -n ml -o jsonpath='{.status.reviews[*].reviewer}')\" = 'alice carol alice' ]"
it_wait "approved model: ModelDeployment Serving" 30 \
  bash -c "[ \"\$(kubectl get md fraud -n ml -o jsonpath='{.status.phase}')\" = Serving ]"
it_eq "Deployment image pinned to the digest" "registry.example.com/models/fraud@$DIGEST" \
  "$(it_jp deploy/fraud '{.spec.template.spec.containers[0].image}' -n ml)"
it_eq "Deployment controlled by the ModelDeployment" "ModelDeployment/fraud/true/$(it_jp md/fraud '{.metadata.uid}' -n ml)" \
  "$(it_jp deploy/fraud '{.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name}/{.metadata.ownerReferences[0].controller}/{.metadata.ownerReferences[0].uid}' -n ml)"
it_eq "Deployment replicas from spec" 2 "$(it_jp deploy/fraud '{.spec.replicas}' -n ml)"
it_eq "Service on the model port" 9000 "$(it_jp svc/fraud '{.spec.ports[0].port}' -n ml)"
it_eq "status.readyReplicas from the Deployment" 2 "$(it_jp md/fraud '{.status.readyReplicas}' -n ml)"
it_check "Events recorded for the transitions" bash -c "kubectl get events -n ml --field-selector involvedObject.name=fraud -o jsonpath='{.items[*].reason}' | grep -q Serving"

kubectl scale md fraud -n ml --replicas=3 >/dev/null
it_wait "scale subresource: Deployment follows to 3 replicas" 15 \
  bash -c "[ \"\$(kubectl get deploy fraud -n ml -o jsonpath='{.spec.replicas}')\" = 3 ]"
it_wait "3/3 ready and Serving" 20 \
  bash -c "[ \"\$(kubectl get md fraud -n ml -o jsonpath='{.status.readyReplicas}/{.status.phase}')\" = 3/Serving ]"

# --- idle: resyncs (every 2 s here) must not write -------------------------------------------
sleep 1
seq0=$(it_mark)
sleep 5
writes=$(it_writes_since "$seq0" --agent modelgov/ | wc -l)
it_eq "idle resync for 5 s made no API write" 0 "$writes"

# --- write accounting: what the operator writes to bring one approved ModelDeployment to Serving
# (from the request log on the test server, from the audit log on a real one; by user agent)
# new_md NAME PORT: a one-replica ModelDeployment of fraud-1-4-0.
new_md() {
  kubectl -n ml apply -f - >/dev/null <<YAML
apiVersion: mlops.modelgov.io/v1alpha1
kind: ModelDeployment
metadata: {name: $1}
spec: {modelVersion: fraud-1-4-0, replicas: 1, port: $2}
YAML
}
serving_1of1() { # DESC NAME: waits (the check DESC) for NAME to be 1/1 Serving
  it_wait "$1" 30 bash -c "[ \"\$(kubectl get md $2 -n ml -o jsonpath='{.status.readyReplicas}/{.status.phase}')\" = 1/Serving ]"
}
writes_eval() { # FILE PYTHON-EXPR over w (the writes in FILE): prints its value
  /usr/bin/python3 -c 'import json, sys
w = [json.loads(l) for l in open(sys.argv[1])]
print(eval(sys.argv[2]))' "$1" "$2"
}
seq0=$(it_mark)
new_md acct 9100
serving_1of1 "accounting: the new ModelDeployment is Serving with 1/1 ready" acct
sleep 2 # late writes would show here
it_writes_since "$seq0" --agent modelgov/ >"$IT_DIR/acct-writes.jsonl"
acct() { writes_eval "$IT_DIR/acct-writes.jsonl" "$1"; }
echo "     (writes for one ModelDeployment: $(acct '", ".join("%s %s%s x%d" % (k[0], k[1], "/" + k[2] if k[2] else "", n) for k, n in sorted(__import__("collections").Counter((e["verb"], e["resource"], e.get("subresource") or "") for e in w).items()))'))"
it_eq "accounting: one Deployment and one Service created, nothing deleted" "1/1/0" \
  "$(acct '"%d/%d/%d" % (sum(e["verb"] == "create" and e["resource"] == "deployments" for e in w), sum(e["verb"] == "create" and e["resource"] == "services" for e in w), sum(e["verb"] == "delete" for e in w))')"
it_check "accounting: every write is a create or a status update (no retried patches, no deletes)" \
  test "$(acct 'sum(not (e["verb"] == "create" or (e["verb"] == "update" and e.get("subresource") == "status")) for e in w)')" -eq 0
it_check "accounting: only the new ModelDeployment's objects were written" \
  test "$(acct 'sum(e.get("name") not in ("acct", "") and e["resource"] != "events" for e in w)')" -eq 0
kubectl delete md acct -n ml >/dev/null

# --- quarantine by an incident review, release ------------------------------------------------
review inc-1 fraud-1-4-0 incident confirm carol
it_wait "confirmed incident: Deployment scaled to 0" 15 \
  bash -c "[ \"\$(kubectl get deploy fraud -n ml -o jsonpath='{.spec.replicas}')\" = 0 ]"
it_wait "confirmed incident: phase Quarantined, ModelVersion quarantined" 15 \
  bash -c "[ \"\$(kubectl get md fraud -n ml -o jsonpath='{.status.phase}')/\$(kubectl get mv fraud-1-4-0 -n ml -o jsonpath='{.status.quarantined}')\" = Quarantined/true ]"
it_check "Warning event for the quarantine" bash -c "kubectl get events -n ml --field-selector involvedObject.name=fraud,type=Warning -o name | grep -q ."
sleep 1.1 # creationTimestamp has second precision: the release must be visibly later
review rel-1 fraud-1-4-0 incident release alice
it_wait "release: replicas restored and Serving" 25 \
  bash -c "[ \"\$(kubectl get deploy fraud -n ml -o jsonpath='{.spec.replicas}')/\$(kubectl get md fraud -n ml -o jsonpath='{.status.phase}')\" = 3/Serving ]"

# --- fallback: quarantine with an approved fallback runs the fallback ------------------------
review sec-130 fraud-1-3-0 security approve alice
review perf-130 fraud-1-3-0 performance approve carol
review bias-130 fraud-1-3-0 bias approve alice
kubectl patch md fraud -n ml --type=merge -p '{"spec":{"fallbackModelVersion":"fraud-1-3-0"}}' >/dev/null
sleep 1.1
review inc-2 fraud-1-4-0 incident confirm carol
it_wait "quarantine with fallback: Deployment runs the fallback's digest" 15 \
  bash -c "[ \"\$(kubectl get deploy fraud -n ml -o jsonpath='{.spec.template.spec.containers[0].image}/{.spec.replicas}')\" = 'registry.example.com/models/fraud@$FB_DIGEST/3' ]"
it_check "history records the switch to the fallback" \
  bash -c "kubectl get md fraud -n ml -o jsonpath='{.status.history[*].reason}' | grep -q FallbackAfterQuarantine"
sleep 1.1
review rel-2 fraud-1-4-0 incident release alice
it_wait "release: back to the main version" 15 \
  bash -c "[ \"\$(kubectl get deploy fraud -n ml -o jsonpath='{.spec.template.spec.containers[0].image}')\" = 'registry.example.com/models/fraud@$DIGEST' ]"

# --- what runs follows what may run ---------------------------------------------------------
# A version that may not run (missing, not approved) scales the Deployment to zero as it is: the
# pod template is not touched (an admission webhook would judge a new image even at zero
# replicas) and it still names the version that ran. spec.replicas 0 of an approved version is
# a Deployment at zero that is done rolling out, not Progressing forever.
dep_is() { [ "$(kubectl get deploy "$1" -n ml -o jsonpath='{.spec.replicas}/{.spec.template.spec.containers[0].image}')" = "$2" ]; }
md_is() { [ "$(kubectl get md "$1" -n ml -o jsonpath="$2")" = "$3" ]; }
READY_REASON='{.status.conditions[?(@.type=="Ready")].reason}'
kubectl patch md fraud -n ml --type=merge -p '{"spec":{"modelVersion":"fraud-9-9-9"}}' >/dev/null
it_wait "a missing ModelVersion: the Deployment scaled to 0, its image untouched" 15 \
  dep_is fraud "0/registry.example.com/models/fraud@$DIGEST"
it_wait "a missing ModelVersion: Pending, Ready=False ScaledToZero, nothing serving" 15 \
  md_is fraud "{.status.phase}/$READY_REASON/{.status.servingModelVersion}" Pending/ScaledToZero/
it_check "a missing ModelVersion: a Warning event names it" bash -c \
  "kubectl get events -n ml --field-selector involvedObject.name=fraud,type=Warning -o jsonpath='{.items[*].message}' | grep -q 'ModelVersion fraud-9-9-9 not found'"
kubectl --context bob -n ml apply -f - >/dev/null <<YAML
apiVersion: mlops.modelgov.io/v1alpha1
kind: ModelVersion
metadata: {name: fraud-1-5-0, annotations: {mlops.modelgov.io/author: bob}}
spec: {model: fraud-detector, version: 1.5.0, image: registry.example.com/models/fraud, digest: "sha256:$(printf 'fraud-1.5.0' | sha256sum | cut -d' ' -f1)"}
YAML
kubectl patch md fraud -n ml --type=merge -p '{"spec":{"modelVersion":"fraud-1-5-0"}}' >/dev/null
it_wait "an unapproved ModelVersion: Pending, Approved=False NotApproved" 15 \
  md_is fraud '{.status.phase}/{.status.conditions[?(@.type=="Approved")].reason}' Pending/NotApproved
it_check "an unapproved ModelVersion: the Deployment stays at 0 with the image it had" \
  dep_is fraud "0/registry.example.com/models/fraud@$DIGEST"
kubectl patch md fraud -n ml --type=merge -p '{"spec":{"modelVersion":"fraud-1-4-0"}}' >/dev/null
it_wait "back to the approved version: 3/3 Serving" 30 md_is fraud '{.status.readyReplicas}/{.status.phase}' 3/Serving
it_check "back to the approved version: the Deployment at 3" dep_is fraud "3/registry.example.com/models/fraud@$DIGEST"
kubectl scale md fraud -n ml --replicas=0 >/dev/null
it_wait "spec.replicas 0: the Deployment at 0, the ModelDeployment done (Serving, Ready=True ZeroReplicas)" 20 \
  md_is fraud "{.status.phase}/$READY_REASON/{.status.replicas}/{.status.observedGeneration}" \
  "Serving/ZeroReplicas/0/$(it_jp md/fraud '{.metadata.generation}' -n ml)"
it_check "spec.replicas 0: the history says ScaledToZero" \
  bash -c "kubectl get md fraud -n ml -o jsonpath='{.status.history[*].endReason}' | grep -q ScaledToZero"
kubectl -n ml apply -f - >/dev/null <<YAML
apiVersion: mlops.modelgov.io/v1alpha1
kind: ModelDeployment
metadata: {name: idle}
spec: {modelVersion: fraud-1-4-0, replicas: 0, port: 9400}
YAML
it_wait "a new ModelDeployment at 0 replicas: its Deployment (at 0) and Service are made" 20 \
  bash -c "[ \"\$(kubectl get deploy idle -n ml -o jsonpath='{.spec.replicas}')\" = 0 ] && kubectl get svc idle -n ml >/dev/null 2>&1"
it_wait "a new ModelDeployment at 0 replicas: Serving, Ready=True ZeroReplicas" 20 \
  md_is idle "{.status.phase}/$READY_REASON" Serving/ZeroReplicas
kubectl label deploy idle -n ml app.kubernetes.io/managed-by- >/dev/null
it_wait "at 0 replicas, the Deployment's label removed: put back" 15 \
  bash -c "[ \"\$(kubectl get deploy idle -n ml -o jsonpath='{.metadata.labels.app\.kubernetes\.io/managed-by}')\" = modelgov-operator ]"
sleep 2 # a flap would show here
it_eq "and the ModelDeployment stayed Serving (one Serving event, no Progressing in between)" Serving/1 \
  "$(it_jp md/idle '{.status.phase}' -n ml)/$(kubectl get events -n ml --field-selector involvedObject.name=idle,reason=Serving -o jsonpath='{range .items[*]}{.count}{"\n"}{end}' | awk '{n += ($1 ? $1 : 1)} END {print n + 0}')"
kubectl delete md idle -n ml >/dev/null
kubectl scale md fraud -n ml --replicas=3 >/dev/null
it_wait "scaled up again: 3/3 Serving" 30 md_is fraud '{.status.readyReplicas}/{.status.phase}' 3/Serving

# --- hand edits of the Service are undone: who gets the model's traffic, and on which port ----
kubectl patch svc fraud -n ml --type=merge \
  -p '{"spec":{"selector":{"tier":"canary"},"ports":[{"name":"http","port":80,"targetPort":"http","protocol":"TCP"}]}}' >/dev/null
it_wait "Service selector and port edited by hand: put back (the added selector key removed)" 15 \
  bash -c "[ \"\$(kubectl get svc fraud -n ml -o jsonpath='{.spec.selector}/{.spec.ports[0].port}')\" = '{\"mlops.modelgov.io/modeldeployment\":\"fraud\"}/9000' ]"

# what runs, edited by hand: a paused Deployment (it would not roll out what the operator
# writes), a sidecar, an init container; and a Service opened on every node (NodePort)
kubectl rollout pause deploy/fraud -n ml >/dev/null
it_wait "a paused Deployment: unpaused" 15 \
  bash -c "[ -z \"\$(kubectl get deploy fraud -n ml -o jsonpath='{.spec.paused}')\" ]"
kubectl patch deploy fraud -n ml --type=json -p '[{"op":"add","path":"/spec/template/spec/containers/-","value":{"name":"side","image":"busybox:1.36"}},{"op":"add","path":"/spec/template/spec/initContainers","value":[{"name":"init","image":"busybox:1.36"}]}]' >/dev/null
it_wait "a sidecar and an init container added by hand: removed" 15 \
  bash -c "[ \"\$(kubectl get deploy fraud -n ml -o jsonpath='{.spec.template.spec.containers[*].name}/{.spec.template.spec.initContainers}')\" = model/ ]"
kubectl patch svc fraud -n ml --type=merge -p '{"spec":{"type":"NodePort"}}' >/dev/null
it_wait "the Service made a NodePort by hand: ClusterIP again" 15 \
  bash -c "[ \"\$(kubectl get svc fraud -n ml -o jsonpath='{.spec.type}/{.spec.ports[0].nodePort}')\" = ClusterIP/ ]"
it_wait "after the hand edits: 3/3 Serving" 30 md_is fraud '{.status.readyReplicas}/{.status.phase}' 3/Serving

# --- a Deployment the API server refuses (an env name it finds invalid): the ModelDeployment says
# so, its status is not rewritten at every retry, and the Service is still kept as it should be
kubectl patch md fraud -n ml --type=merge -p '{"spec":{"env":[{"name":"A=B","value":"1"}]}}' >/dev/null
it_wait "refused Deployment: Ready=False DeploymentRefused, the API server's reason in the message" 20 \
  bash -c "kubectl get md fraud -n ml -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].reason}/{.status.conditions[?(@.type==\"Ready\")].message}' | grep -q '^DeploymentRefused/the API server refused the Deployment: .*env'"
sleep 1
seq0=$(it_mark)
sleep 5
it_writes_since "$seq0" --agent modelgov/ >"$IT_DIR/refused-writes.jsonl"
it_eq "refused Deployment: no status write while the refusal lasts (5 s of retries)" 0 \
  "$(writes_eval "$IT_DIR/refused-writes.jsonl" 'sum(e["resource"] == "modeldeployments" and e.get("subresource") == "status" for e in w)')"
kubectl patch svc fraud -n ml --type=merge -p '{"spec":{"selector":{"tier":"canary"}}}' >/dev/null
it_wait "refused Deployment: a hand edit of the Service selector is still undone" 15 \
  bash -c "[ \"\$(kubectl get svc fraud -n ml -o jsonpath='{.spec.selector}')\" = '{\"mlops.modelgov.io/modeldeployment\":\"fraud\"}' ]"
kubectl patch md fraud -n ml --type=json -p '[{"op":"remove","path":"/spec/env"}]' >/dev/null
it_wait "env fixed: 3/3 Serving, Ready=True" 30 \
  md_is fraud '{.status.readyReplicas}/{.status.phase}/{.status.conditions[?(@.type=="Ready")].status}' 3/Serving/True

# --- an object the API server refuses: the ModelDeployment says why, and its status stays current
# A name that can never be a Service's (DNS-1035 label) is refused by the CRD at once. A Service
# a ResourceQuota refuses (services: 0) is refused on every try: the ModelDeployment shows it,
# while its Deployment runs and the ready count still follows it.
it_check "a name that cannot be a Service's (9lives) is refused by the CRD, saying why" bash -c \
  "printf 'apiVersion: mlops.modelgov.io/v1alpha1\nkind: ModelDeployment\nmetadata: {name: 9lives}\nspec: {modelVersion: fraud-1-4-0}\n' | kubectl -n ml create -f - 2>&1 | grep -q 'must be a DNS-1035 label'"
kubectl create ns nosvc >/dev/null
kubectl create quota services -n nosvc --hard=services=0 >/dev/null
kubectl --context bob -n nosvc apply -f - >/dev/null <<YAML
apiVersion: mlops.modelgov.io/v1alpha1
kind: ModelVersion
metadata: {name: fraud-1-4-0, annotations: {mlops.modelgov.io/author: bob}}
spec: {model: fraud-detector, version: 1.4.0, image: registry.example.com/models/fraud, digest: "$DIGEST"}
YAML
it_review nosvc sec-s fraud-1-4-0 security approve alice >/dev/null
it_review nosvc perf-s fraud-1-4-0 performance approve carol >/dev/null
it_review nosvc bias-s fraud-1-4-0 bias approve alice >/dev/null
it_wait "services quota: in force (its status counted)" 20 \
  bash -c "[ \"\$(kubectl get quota services -n nosvc -o jsonpath='{.status.hard.services}')\" = 0 ]"
kubectl -n nosvc apply -f - >/dev/null <<YAML
apiVersion: mlops.modelgov.io/v1alpha1
kind: ModelDeployment
metadata: {name: fraud}
spec: {modelVersion: fraud-1-4-0, replicas: 1, port: 9500}
YAML
it_wait "refused Service: Ready=False ServiceRefused, the API server's reason in the message" 20 \
  bash -c "kubectl get md fraud -n nosvc -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].reason}/{.status.conditions[?(@.type==\"Ready\")].message}' | grep -q '^ServiceRefused/the API server refused the Service: .*exceeded quota'"
it_wait "refused Service: the ready count still follows the Deployment (1 ready)" 30 \
  bash -c "[ \"\$(kubectl get md fraud -n nosvc -o jsonpath='{.status.readyReplicas}/{.status.observedGeneration}')\" = 1/1 ]"
it_eq "refused Service: one Warning event says it" 1 \
  "$(kubectl get events -n nosvc --field-selector involvedObject.name=fraud,reason=ServiceRefused -o jsonpath='{range .items[*]}{.count}{"\n"}{end}' | awk '{n += ($1 ? $1 : 1)} END {print n + 0}')"
it_check "refused Service: the phase change to Serving still has its Event" bash -c \
  "kubectl get events -n nosvc --field-selector involvedObject.name=fraud,reason=Serving -o name | grep -q ."
kubectl delete quota services -n nosvc >/dev/null
it_wait "quota lifted: the Service is made, Ready=True" 60 \
  bash -c "kubectl get svc fraud -n nosvc >/dev/null 2>&1 && [ \"\$(kubectl get md fraud -n nosvc -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}')\" = True ]"
kubectl delete ns nosvc --wait=false >/dev/null

# --- pods the API server refuses (a ResourceQuota): the ModelDeployment says why -----------------
# The Deployment is accepted; its pods are not. The ReplicaSet's ReplicaFailure reaches the
# Deployment's conditions, and from there the ModelDeployment's Ready condition and one Event.
kubectl create ns tight >/dev/null
kubectl create quota pods -n tight --hard=pods=1 >/dev/null
kubectl --context bob -n tight apply -f - >/dev/null <<YAML
apiVersion: mlops.modelgov.io/v1alpha1
kind: ModelVersion
metadata: {name: fraud-1-4-0, annotations: {mlops.modelgov.io/author: bob}}
spec: {model: fraud-detector, version: 1.4.0, image: registry.example.com/models/fraud, digest: "$DIGEST"}
YAML
it_review tight sec-t fraud-1-4-0 security approve alice >/dev/null
it_review tight perf-t fraud-1-4-0 performance approve carol >/dev/null
it_review tight bias-t fraud-1-4-0 bias approve alice >/dev/null
it_wait "quota: in force (its status counted)" 20 \
  bash -c "[ \"\$(kubectl get quota pods -n tight -o jsonpath='{.status.hard.pods}')\" = 1 ]"
kubectl -n tight apply -f - >/dev/null <<YAML
apiVersion: mlops.modelgov.io/v1alpha1
kind: ModelDeployment
metadata: {name: fraud}
spec: {modelVersion: fraud-1-4-0, replicas: 2, port: 9000}
YAML
tight_ready() { kubectl get md fraud -n tight -o jsonpath='{.status.conditions[?(@.type=="Ready")].reason}/{.status.conditions[?(@.type=="Ready")].message}'; }
it_wait "quota: 1 of 2 pods, Ready=False ReplicaFailure with the quota's refusal" 60 \
  bash -c "$(declare -f tight_ready); tight_ready | grep -q '^ReplicaFailure/1/2 replicas ready; the Deployment reports ReplicaFailure: .*exceeded quota'"
it_check "quota: a Warning event ReplicaFailure says it" bash -c \
  "kubectl get events -n tight --field-selector involvedObject.name=fraud,reason=ReplicaFailure,type=Warning -o jsonpath='{.items[*].message}' | grep -q 'exceeded quota'"
kubectl scale md fraud -n tight --replicas=1 >/dev/null
it_wait "quota: scaled to what the quota allows, 1/1 Serving and Ready=True" 60 \
  bash -c "[ \"\$(kubectl get md fraud -n tight -o jsonpath='{.status.readyReplicas}/{.status.phase}/{.status.conditions[?(@.type==\"Ready\")].status}')\" = 1/Serving/True ]"
kubectl delete ns tight --wait=false >/dev/null

# --- faults: conflicts and server errors on the operator's writes ----------------------------
if it_has_faults; then
  it_faults '[{"match": "/modeldeployments/fraud/status$", "method": "PUT", "count": 2, "code": 409},
       {"match": "/deployments/fraud$", "method": "PATCH", "count": 3, "code": 500},
       {"match": "/deployments/fraud$", "method": "PATCH", "count": 1, "code": 429, "retryAfter": 1}]'
  kubectl scale md fraud -n ml --replicas=1 >/dev/null
  it_wait "after 409s, 500s and a 429: Deployment converges to 1 replica" 30 \
    bash -c "[ \"\$(kubectl get deploy fraud -n ml -o jsonpath='{.spec.replicas}')\" = 1 ]"
  it_wait "after faults: status converges (1/1 Serving)" 30 \
    bash -c "[ \"\$(kubectl get md fraud -n ml -o jsonpath='{.status.readyReplicas}/{.status.phase}')\" = 1/Serving ]"

  it_faults '[{"action": "dropWatches"}]'
  kubectl scale md fraud -n ml --replicas=2 >/dev/null
  it_wait "after dropped watches: converges to 2 replicas" 30 \
    bash -c "[ \"\$(kubectl get md fraud -n ml -o jsonpath='{.status.readyReplicas}/{.status.phase}')\" = 2/Serving ]"
  it_faults '[{"action": "dropWatches"}, {"action": "compact"}]'
  kubectl scale md fraud -n ml --replicas=1 >/dev/null
  it_wait "after compaction (410 on re-watch): converges to 1 replica" 30 \
    bash -c "[ \"\$(kubectl get md fraud -n ml -o jsonpath='{.status.readyReplicas}/{.status.phase}')\" = 1/Serving ]"

  # A create is answered before its watch event reaches the cache. With the Service watch held
  # back 4 s, the ModelDeployment's next reconcile (its own status write wakes it) finds no
  # Service in the cache; it must wait for the event, not create the Service again (a 409).
  it_faults '[{"match": "/services\\?watch=", "method": "GET", "count": 1, "delayMs": 4000},
       {"action": "dropWatches"}]'
  seq0=$(it_mark)
  new_md lagged 9200
  serving_1of1 "Service watch lagging: the new ModelDeployment still reaches Serving" lagged
  it_writes_since "$seq0" --agent modelgov/ >"$IT_DIR/lagged-writes.jsonl"
  it_eq "Service watch lagging: the Service was created once (no 409 retry)" 1 \
    "$(writes_eval "$IT_DIR/lagged-writes.jsonl" 'sum(e["verb"] == "create" and e["resource"] == "services" and e.get("name") in ("lagged", "") for e in w)')"
  kubectl delete md lagged -n ml >/dev/null
else
  it_skip_faults "409s, 500s and a 429 on the operator's writes; dropped and compacted watches"
  kubectl scale md fraud -n ml --replicas=1 >/dev/null
  it_wait "scaled to 1: converges (1/1 Serving)" 30 \
    bash -c "[ \"\$(kubectl get md fraud -n ml -o jsonpath='{.status.readyReplicas}/{.status.phase}')\" = 1/Serving ]"
fi

# --- garbage collection ---------------------------------------------------------------------
kubectl delete md fraud -n ml >/dev/null
it_wait "deleted ModelDeployment: Deployment and Service collected" 20 \
  bash -c "! kubectl get deploy fraud -n ml >/dev/null 2>&1 && ! kubectl get svc fraud -n ml >/dev/null 2>&1"

# --- ownership goes by the controller ownerReference, never by the managed-by label ----------
# The informers see only labelled objects. A Deployment of ours without the label is still
# governed (a quarantine scales it to zero, spec changes apply) and gets its label back; a
# same-named object of someone else's is never written, adopted or garbage-collected with the
# ModelDeployment, whether or not it carries the label.
MB=app.kubernetes.io/managed-by
kubectl -n ml apply -f - >/dev/null <<YAML
apiVersion: mlops.modelgov.io/v1alpha1
kind: ModelDeployment
metadata: {name: hole}
spec: {modelVersion: fraud-1-4-0, replicas: 2, port: 9300}
YAML
it_wait "unlabelled: ModelDeployment hole Serving 2/2" 30 \
  bash -c "[ \"\$(kubectl get md hole -n ml -o jsonpath='{.status.readyReplicas}/{.status.phase}')\" = 2/Serving ]"
sleep 1.1 # the incident must be visibly later than the last release
kubectl label deploy hole -n ml "$MB-" >/dev/null
review inc-3 fraud-1-4-0 incident confirm carol
it_wait "label removed, then quarantined: the Deployment is scaled to 0" 20 \
  bash -c "[ \"\$(kubectl get deploy hole -n ml -o jsonpath='{.spec.replicas}')\" = 0 ]"
it_wait "label removed: the operator puts it back" 15 \
  bash -c "[ \"\$(kubectl get deploy hole -n ml -o jsonpath='{.metadata.labels.app\.kubernetes\.io/managed-by}')\" = modelgov-operator ]"
it_wait "label removed, then quarantined: Quarantined, Ready ScaledToZero" 15 \
  bash -c "[ \"\$(kubectl get md hole -n ml -o jsonpath='{.status.phase}/{.status.conditions[?(@.type==\"Ready\")].reason}')\" = Quarantined/ScaledToZero ]"
it_check "label removed: a Warning event says it was put back" \
  bash -c "kubectl get events -n ml --field-selector involvedObject.name=hole,type=Warning,reason=LabelRestored -o name | grep -q ."
sleep 1.1
review rel-3 fraud-1-4-0 incident release alice
it_wait "released: hole Serving 2/2 again" 30 \
  bash -c "[ \"\$(kubectl get md hole -n ml -o jsonpath='{.status.readyReplicas}/{.status.phase}')\" = 2/Serving ]"
kubectl label deploy hole -n ml "$MB-" >/dev/null
kubectl label svc hole -n ml "$MB-" >/dev/null
kubectl scale md hole -n ml --replicas=1 >/dev/null
it_wait "labels removed, then scaled: the Deployment follows to 1 replica" 20 \
  bash -c "[ \"\$(kubectl get deploy hole -n ml -o jsonpath='{.spec.replicas}')\" = 1 ]"
it_wait "labels removed, then scaled: both labels back, status observes the new generation, 1/1 Serving" 20 \
  bash -c "[ \"\$(kubectl get deploy,svc hole -n ml -o jsonpath='{.items[*].metadata.labels.app\.kubernetes\.io/managed-by}')/\$(kubectl get md hole -n ml -o jsonpath='{.status.observedGeneration}/{.status.readyReplicas}/{.status.phase}')\" = \"modelgov-operator modelgov-operator/\$(kubectl get md hole -n ml -o jsonpath='{.metadata.generation}')/1/Serving\" ]"
kubectl delete md hole -n ml >/dev/null

# someone else's Deployment of the name, without the label; someone else's Service of the
# name, with the label (no ownerReference)
kubectl -n ml create deployment taken --image=registry.example.com/other/app:1 --replicas=1 >/dev/null
kubectl -n ml apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Service
metadata: {name: shared, labels: {$MB: modelgov-operator}}
spec: {selector: {app: shared}, ports: [{name: web, port: 8080, targetPort: 8080}]}
YAML
user_dep() { it_jp deploy/taken '{.spec.replicas}/{.spec.template.spec.containers[0].image}/{.metadata.labels}/{.metadata.ownerReferences}' -n ml; }
user_svc() { it_jp svc/shared '{.spec.ports[*].port}/{.spec.selector}/{.metadata.ownerReferences}' -n ml; }
dep_before=$(user_dep)
svc_before=$(user_svc)
new_md taken 9400
new_md shared 9500
it_wait "someone else's unlabelled Deployment: Ready=False, DeploymentConflict" 20 \
  bash -c "[ \"\$(kubectl get md taken -n ml -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}/{.status.conditions[?(@.type==\"Ready\")].reason}')\" = False/DeploymentConflict ]"
it_wait "someone else's labelled Service: Ready=False, ServiceConflict" 20 \
  bash -c "[ \"\$(kubectl get md shared -n ml -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}/{.status.conditions[?(@.type==\"Ready\")].reason}')\" = False/ServiceConflict ]"
it_check "conflicts: a Warning event for each" \
  bash -c "kubectl get events -n ml --field-selector involvedObject.name=taken,type=Warning,reason=DeploymentConflict -o name | grep -q . && kubectl get events -n ml --field-selector involvedObject.name=shared,type=Warning,reason=ServiceConflict -o name | grep -q ."
it_wait "someone else's Service: the ModelDeployment's own Deployment still runs (1 ready)" 30 \
  bash -c "[ \"\$(kubectl get md shared -n ml -o jsonpath='{.status.readyReplicas}')\" = 1 ]"
sleep 1
seq0=$(it_mark)
sleep 5
it_writes_since "$seq0" --agent modelgov/ >"$IT_DIR/conflict-writes.jsonl"
it_eq "conflicts: resyncs for 5 s made no API write" 0 "$(wc -l <"$IT_DIR/conflict-writes.jsonl")"
if it_has_faults; then # the test server logs reads too
  it_eq "conflicts: resyncs for 5 s looked nothing up again (the answer is remembered)" 0 \
    "$(it_requests_since "$seq0" --agent modelgov/ | grep -c '"name": *"\(taken\|shared\)"')"
else
  it_skip "conflicts: no repeated GETs (the real server's audit log has no reads of the operator's user)"
fi
it_eq "someone else's Deployment is unchanged" "$dep_before" "$(user_dep)"
it_eq "someone else's Service is unchanged (port, selector, no ownerReference)" "$svc_before" "$(user_svc)"
kubectl delete md taken shared -n ml >/dev/null
it_wait "conflicting ModelDeployments deleted: their own Deployment collected" 20 \
  bash -c "! kubectl get deploy shared -n ml >/dev/null 2>&1"
it_check "and someone else's Deployment and Service are still there" \
  bash -c "kubectl get deploy taken -n ml >/dev/null && kubectl get svc shared -n ml >/dev/null"
kubectl delete deploy taken -n ml >/dev/null
kubectl delete svc shared -n ml >/dev/null

# --- retraining: quarantine → TrainingRun on the freshest eligible data → Job → promotion ------
dataset() { it_dataset ml "$1" credit "${2:-true}"; }
dataset credit-2026-09 true
C1=sha256:$(printf 'credit-1' | sha256sum | cut -d' ' -f1)
C2=sha256:$(printf 'credit-2' | sha256sum | cut -d' ' -f1)
kubectl --context bob -n ml apply -f - >/dev/null <<YAML
apiVersion: mlops.modelgov.io/v1alpha1
kind: ModelVersion
metadata: {name: credit-1, annotations: {mlops.modelgov.io/author: bob}}
spec: {model: credit, version: "1", image: registry.example.com/models/credit, digest: "$C1", datasetVersion: credit-2026-09}
YAML
review c1-sec credit-1 security approve alice
review c1-perf credit-1 performance approve carol
review c1-bias credit-1 bias approve alice
kubectl -n ml apply -f - >/dev/null <<YAML
apiVersion: mlops.modelgov.io/v1alpha1
kind: ModelDeployment
metadata: {name: credit}
spec:
  modelVersion: credit-1
  replicas: 2
  retraining:
    auto: true
    autoPromote: true
    datasetSelector: {matchLabels: {dataset: credit}}
    template:
      experiment: credit-retrain
      model: {name: credit}
      params: {max_depth: "4"}
      template: {spec: {containers: [{name: train, image: "registry.example.com/train/credit:1"}]}}
YAML
it_wait "credit model Serving" 30 bash -c "[ \"\$(kubectl get md credit -n ml -o jsonpath='{.status.phase}')\" = Serving ]"
sleep 1.1
review c1-inc credit-1 incident confirm carol
it_wait "quarantine without fresher data: RetrainingBlocked says why" 15 \
  bash -c "kubectl get md credit -n ml -o jsonpath='{.status.conditions[?(@.type==\"RetrainingBlocked\")].message}' | grep -q 'fresher than the quarantined'"
it_eq "no TrainingRun made while blocked" "" "$(kubectl get tr -n ml -l mlops.modelgov.io/modeldeployment=credit -o name)"
dataset credit-2026-10-unscanned false
sleep 1.1
dataset credit-2026-11 true
it_wait "fresh scanned dataset: a TrainingRun starts on it" 15 \
  bash -c "[ \"\$(kubectl get tr -n ml -l mlops.modelgov.io/modeldeployment=credit -o jsonpath='{.items[0].spec.datasetVersion}')\" = credit-2026-11 ]"
TR=$(kubectl get tr -n ml -l mlops.modelgov.io/modeldeployment=credit -o jsonpath='{.items[0].metadata.name}')
it_eq "ModelDeployment records the run, phase Retraining" "$TR/Retraining" "$(it_jp md/credit '{.status.retrainingRun}/{.status.phase}' -n ml)"
it_eq "the run's Job belongs to it and carries its context" "TrainingRun/credit-2026-11" \
  "$(it_jp job/$TR '{.metadata.ownerReferences[0].kind}/{.spec.template.spec.containers[0].env[?(@.name=="MODELGOV_DATASET_VERSION")].value}' -n ml)"
it_wait "Job succeeds → TrainingRun Succeeded" 30 \
  bash -c "[ \"\$(kubectl get tr $TR -n ml -o jsonpath='{.status.phase}')\" = Succeeded ]"
kubectl --context bob -n ml apply -f - >/dev/null <<YAML
apiVersion: mlops.modelgov.io/v1alpha1
kind: ModelVersion
metadata: {name: credit-2, annotations: {mlops.modelgov.io/author: bob}}
spec: {model: credit, version: "2", image: registry.example.com/models/credit, digest: "$C2", trainingRun: $TR, datasetVersion: credit-2026-11}
YAML
it_wait "TrainingRun names the ModelVersion it produced" 15 \
  bash -c "[ \"\$(kubectl get tr $TR -n ml -o jsonpath='{.status.modelVersion}')\" = credit-2 ]"
review c2-sec credit-2 security approve alice
review c2-perf credit-2 performance approve carol
it_eq "not promoted before all three reviews" credit-1 "$(it_jp md/credit '{.spec.modelVersion}' -n ml)"
review c2-bias credit-2 bias approve alice
it_wait "approved retrained version is promoted and Serving" 30 \
  bash -c "[ \"\$(kubectl get md credit -n ml -o jsonpath='{.spec.modelVersion}/{.status.phase}')\" = credit-2/Serving ]"
it_eq "Deployment runs the new digest" "registry.example.com/models/credit@$C2/2" \
  "$(it_jp deploy/credit '{.spec.template.spec.containers[0].image}/{.spec.replicas}' -n ml)"
it_check "history: Quarantined, then Promoted" \
  bash -c "kubectl get md credit -n ml -o jsonpath='{.status.history[*].endReason} {.status.history[*].reason}' | grep -q 'Quarantined.*Promoted'"
it_eq "retrainingRun cleared after promotion" "" "$(it_jp md/credit '{.status.retrainingRun}' -n ml)"

# --- SIGTERM: exit 0, even while /metrics is being scraped --------------------------------------
# (the metrics handler reads the operator's stores: freed before the server stopped, a scrape
# during shutdown spun on a freed lock and the process never exited)
op1_metrics="http://127.0.0.1:$(port_of op1 metrics)/metrics"
(while kill -0 "$IT_PID_op1" 2>/dev/null; do curl -s -o /dev/null --max-time 2 "$op1_metrics"; done) &
scraper=$!
sleep 0.5
kill -TERM "$IT_PID_op1"
for _ in $(seq 300); do kill -0 "$IT_PID_op1" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$IT_PID_op1" 2>/dev/null; then
  it_fail "SIGTERM while scraped: operator still running 30 s later"
  kill -KILL "$IT_PID_op1"
fi
rc=0; wait "$IT_PID_op1" || rc=$?
wait "$scraper" 2>/dev/null
it_eq "SIGTERM while /metrics is scraped: operator exits 0" 0 "$rc"

# --- leader election: two replicas, failover --------------------------------------------------
kubectl create ns modelgov-system >/dev/null
start_operator lead1 --leader-elect --leader-election-namespace modelgov-system
it_wait "replica 1 acquires the lease" 20 \
  bash -c "kubectl get lease modelgov-operator -n modelgov-system -o jsonpath='{.spec.holderIdentity}' | grep -q _$IT_PID_lead1\$"
start_operator lead2 --leader-elect --leader-election-namespace modelgov-system
it_wait "replica 2 is ready as a standby" 20 ready lead2
leader_gauge() { curl -sf "http://127.0.0.1:$(port_of "$1" metrics)/metrics" | sed -n 's/^modelgov_operator_leader \(.*\)$/\1/p'; }
it_eq "replica 2 does not lead" 0 "$(leader_gauge lead2)"
kubectl -n ml apply -f - >/dev/null <<YAML
apiVersion: mlops.modelgov.io/v1alpha1
kind: ModelDeployment
metadata: {name: fraud2}
spec: {modelVersion: fraud-1-3-0, replicas: 1}
YAML
it_wait "leader reconciles a new ModelDeployment" 20 \
  bash -c "[ \"\$(kubectl get md fraud2 -n ml -o jsonpath='{.status.phase}')\" = Serving ]"
kill -KILL "$IT_PID_lead1"
t0=$SECONDS
it_wait "after the leader is killed, replica 2 takes over within the lease duration" 25 \
  bash -c "kubectl get lease modelgov-operator -n modelgov-system -o jsonpath='{.spec.holderIdentity}' | grep -q _$IT_PID_lead2\$"
echo "     (takeover after $((SECONDS - t0)) s; lease duration 15 s)"
kubectl scale md fraud2 -n ml --replicas=2 >/dev/null
it_wait "new leader reconciles" 20 \
  bash -c "[ \"\$(kubectl get deploy fraud2 -n ml -o jsonpath='{.spec.replicas}')\" = 2 ]"
kill -TERM "$IT_PID_lead2"
rc=0; wait "$IT_PID_lead2" || rc=$?
it_eq "leader exits 0 on SIGTERM" 0 "$rc"
it_eq "and releases the lease" "" "$(it_jp lease/modelgov-operator '{.spec.holderIdentity}' -n modelgov-system)"
it_finish
