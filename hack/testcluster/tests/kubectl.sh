#!/bin/bash
# kubectl-driven scenarios against the test cluster.
# Usage: kubectl.sh CLUSTER_DIR KUBELET_CLUSTER_DIR; prints "N passed, N failed" last.
set -u
D1=$1; D2=$2
export KUBECONFIG=$D1/kubeconfig
K="kubectl --request-timeout=20s"
pass=0; fail=0
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
# expect NAME EXPECTED ACTUAL
expect() {
  if [ "$2" == "$3" ]; then pass=$((pass+1)); echo "ok $1"
  else fail=$((fail+1)); echo "FAIL $1"; echo "  expected: $2"; echo "  actual:   $3"; fi
}
# expect_match NAME REGEX ACTUAL
expect_match() {
  if [[ "$3" =~ $2 ]]; then pass=$((pass+1)); echo "ok $1"
  else fail=$((fail+1)); echo "FAIL $1"; echo "  expected to match: $2"; echo "  actual: $3"; fi
}

$K create ns ks >/dev/null
cat > "$W/crd.yaml" <<'Y'
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: modeldeployments.mlops.example.io}
spec:
  group: mlops.example.io
  scope: Namespaced
  names: {plural: modeldeployments, singular: modeldeployment, kind: ModelDeployment, shortNames: [md]}
  versions:
  - name: v1alpha1
    served: true
    storage: true
    subresources:
      status: {}
      scale: {specReplicasPath: .spec.replicas, statusReplicasPath: .status.replicas}
    additionalPrinterColumns:
    - {name: Version, type: string, jsonPath: .spec.modelVersion}
    - {name: Phase, type: string, jsonPath: .status.phase}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [modelVersion]
            properties:
              modelVersion: {type: string}
              replicas: {type: integer, minimum: 0, default: 1}
          status:
            type: object
            x-kubernetes-preserve-unknown-fields: true
Y
expect "apply crd" "customresourcedefinition.apiextensions.k8s.io/modeldeployments.mlops.example.io created" "$($K apply -f "$W/crd.yaml" 2>&1)"
expect "wait established" "customresourcedefinition.apiextensions.k8s.io/modeldeployments.mlops.example.io condition met" \
  "$($K wait --for condition=established --timeout=10s crd/modeldeployments.mlops.example.io 2>&1)"
md() { printf 'apiVersion: mlops.example.io/v1alpha1\nkind: ModelDeployment\nmetadata: {name: %s}\nspec: {modelVersion: %s}\n' "$1" "$2"; }
expect "apply md" "modeldeployment.mlops.example.io/scorer created" "$(md scorer v1 | $K apply -n ks -f - 2>&1)"
expect "apply md again (unchanged)" "modeldeployment.mlops.example.io/scorer unchanged" "$(md scorer v1 | $K apply -n ks -f - 2>&1)"
expect "apply md change" "modeldeployment.mlops.example.io/scorer configured" "$(md scorer v2 | $K apply -n ks -f - 2>&1)"
expect "get table" "NAME     VERSION   PHASE
scorer   v2" "$($K get md -n ks 2>&1 | sed -E 's/ +$//')"
expect "scale" "modeldeployment.mlops.example.io/scorer scaled" "$($K scale md scorer -n ks --replicas=3 2>&1)"
expect "jsonpath (scale bumps generation)" "3 3" "$($K get md scorer -n ks -o jsonpath='{.spec.replicas} {.metadata.generation}')"
expect "status patch" "modeldeployment.mlops.example.io/scorer patched" \
  "$($K patch md scorer -n ks --subresource=status --type=merge -p '{"status":{"phase":"Serving"}}' 2>&1)"
expect "wait jsonpath" "modeldeployment.mlops.example.io/scorer condition met" \
  "$($K wait --for=jsonpath='{.status.phase}'=Serving md/scorer -n ks --timeout=5s 2>&1)"
expect "label" "modeldeployment.mlops.example.io/scorer labeled" "$($K label md scorer -n ks team=risk 2>&1)"
expect "annotate" "modeldeployment.mlops.example.io/scorer annotated" "$($K annotate md scorer -n ks note=x 2>&1)"
expect "dry-run server" "modeldeployment.mlops.example.io/dry created (server dry run)" "$(md dry v1 | $K create -n ks --dry-run=server -f - 2>&1)"
expect "dry-run not stored" "1" "$($K get md -n ks -o name | wc -l)"
expect_match "explain crd" "modelVersion" "$($K explain md.spec 2>&1)"
expect_match "explain built-in field" "FIELD: *replicas <integer>" "$($K explain deployment.spec.replicas 2>&1)"
# watch: -w prints the initial row then the change
kubectl --request-timeout=15s get md scorer -n ks -w > "$W/watch.out" 2>&1 & WPID=$!
for i in $(seq 1 100); do grep -q '^scorer' "$W/watch.out" && break; sleep 0.1; done
$K label md scorer -n ks step=1 >/dev/null
for i in $(seq 1 100); do [ "$(grep -c '^scorer' "$W/watch.out")" -ge 2 ] && break; sleep 0.1; done
kill $WPID 2>/dev/null; wait $WPID 2>/dev/null
expect "get -w" "2" "$(grep -c '^scorer' "$W/watch.out")"
expect "delete" 'modeldeployment.mlops.example.io "scorer" deleted' "$($K delete md scorer -n ks 2>&1)"
expect "create deployment" "deployment.apps/web created" "$($K create deployment web -n ks --image=nginx:1.25 2>&1)"
expect "get deployment table" "NAME   READY   UP-TO-DATE   AVAILABLE" "$($K get deploy -n ks 2>&1 | head -1 | sed -E 's/ +AGE$//')"
expect "api-resources" "md" "$($K api-resources --api-group=mlops.example.io --no-headers | awk '{print $2}')"
expect_match "auth as alice" "No resources found in ks namespace." "$($K --context alice get md -n ks 2>&1)"
expect "alice's request logged" "alice" "$(curl -sS --cacert "$D1/ca.crt" "$(kubectl config view -o jsonpath='{.clusters[0].cluster.server}')/_testcluster/requests" | python3 -c 'import json,sys; print(sorted({e["user"] for e in json.load(sys.stdin)["items"] if e.get("resource")=="modeldeployments" and e["user"]=="alice"})[0])')"
expect "auth can-i (authz not enforced)" "yes" "$($K --context carol auth can-i delete deployments -n ks 2>&1)"
expect_match "auth whoami" "carol" "$($K --context carol auth whoami 2>&1)"
expect "delete crd" 'customresourcedefinition.apiextensions.k8s.io "modeldeployments.mlops.example.io" deleted' "$($K delete crd modeldeployments.mlops.example.io 2>&1)"

# with the kubelet: rollout status works
export KUBECONFIG=$D2/kubeconfig
$K create ns kk >/dev/null
$K create deployment api -n kk --image=nginx:1.25 --replicas=2 >/dev/null
expect_match "rollout status" "successfully rolled out" "$($K rollout status deployment/api -n kk --timeout=20s 2>&1)"
expect "pods ready" "Running Running" "$($K get pods -n kk -l app=api -o jsonpath='{.items[*].status.phase}')"
$K scale deployment api -n kk --replicas=1 >/dev/null
for i in $(seq 1 40); do [ "$($K get pods -n kk -l app=api -o name | wc -l)" = 1 ] && break; sleep 0.2; done
expect "scale down deletes pods" "1" "$($K get pods -n kk -l app=api -o name | wc -l)"

# with the kubelet: a ResourceQuota on the pod count refuses the Pod beyond it (403, named by
# its generateName as kube-apiserver's admission names it), the Deployment reports the
# ReplicaSet's ReplicaFailure, and the quota's status counts the pods
$K create ns kq >/dev/null
$K create quota pq -n kq --hard=pods=1 >/dev/null
for i in $(seq 1 40); do [ "$($K get quota pq -n kq -o jsonpath='{.status.hard.pods}')" = 1 ] && break; sleep 0.2; done
expect "quota status: hard" 1 "$($K get quota pq -n kq -o jsonpath='{.status.hard.pods}')"
$K create deployment big -n kq --image=nginx:1.25 --replicas=2 >/dev/null
rf() { $K get deploy big -n kq -o jsonpath='{.status.conditions[?(@.type=="ReplicaFailure")].message}'; }
for i in $(seq 1 50); do [ -n "$(rf)" ] && break; sleep 0.2; done
expect_match "quota: ReplicaFailure on the Deployment" '^pods "big-[a-z0-9]+-" is forbidden: exceeded quota: pq, requested: pods=1, used: pods=1, limited: pods=1$' "$(rf)"
expect "quota: one pod made" 1 "$($K get pods -n kq -o name | wc -l)"
for i in $(seq 1 40); do [ "$($K get quota pq -n kq -o jsonpath='{.status.used.pods}')" = 1 ] && break; sleep 0.2; done
expect "quota status: used" 1 "$($K get quota pq -n kq -o jsonpath='{.status.used.pods}')"
expect_match "quota: a direct Pod create is refused 403" 'is forbidden: exceeded quota: pq' "$($K run extra -n kq --image=nginx:1.25 2>&1)"
$K create quota sq -n kq --hard=services=0 >/dev/null
expect "quota: a Service beyond a services quota is refused 403" \
  'error: failed to create ClusterIP service: services "web" is forbidden: exceeded quota: sq, requested: services=1, used: services=0, limited: services=0' \
  "$($K create service clusterip web -n kq --tcp=80:80 2>&1)"
$K scale deployment big -n kq --replicas=1 >/dev/null
for i in $(seq 1 50); do [ -z "$(rf)" ] && break; sleep 0.2; done
expect "quota: ReplicaFailure gone once none is missing" "" "$(rf)"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
