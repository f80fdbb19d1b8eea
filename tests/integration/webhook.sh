#!/bin/bash
# Integration test of bin/modelgov-webhook behind the test API server: a real docker-registry
# (Debian) on loopback holding a pushed OCI image, the webhook serving TLS with its watch-fed
# caches, and the chart's own webhook configurations (helm template, pointed at the local process
# with webhook.development.url) through which kubectl requests from different users are judged:
# unapproved/approved models by digest and by tag (resolved in the registry), a re-pushed tag,
# latest/no tag, quarantine scale-ups (Deployment and ModelDeployment, spec and scale), forged
# and self reviews, TrainingRun on an unscanned dataset, immutable specs, deleting a referenced
# DatasetVersion, and audit mode (allowed with a warning).
source "$(dirname "$0")/lib.sh"
cd "$IT_ROOT"
[ -x "${MG_WEBHOOK_BIN:-bin/modelgov-webhook}" ] || { echo "${MG_WEBHOOK_BIN:-bin/modelgov-webhook} not built (make all)"; exit 1; }
command -v docker-registry >/dev/null || { echo "docker-registry not installed (apt-get install docker-registry)"; exit 1; }

# --- the registry ----------------------------------------------------------------------------
source "$(dirname "$0")/lib-registry.sh" # reg_start, push_image
source "$(dirname "$0")/lib-webhook.sh" # webhook_certs, webhook_start, webhook_register, expect_*
reg_start
it_wait "docker-registry answers /v2/" 20 curl -sf "http://$REG/v2/"
DM=$(push_image models/fraud 1.4.0 one)
it_check "OCI image pushed into docker-registry" bash -c "[ -n '$DM' ]"
it_eq "registry serves the tag with the manifest's digest (OCI Accept)" "$DM" \
  "$(curl -sI -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$REG/v2/models/fraud/manifests/1.4.0" | tr -d '\r' | sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p')"

# --- cluster, CRDs, namespace ----------------------------------------------------------------
it_start_cluster
kubectl apply -f crds/ >/dev/null
kubectl wait --for condition=established --timeout=30s crd --all >/dev/null
kubectl create ns ml >/dev/null
kubectl label ns ml modelgov.io/governed=true >/dev/null
kubectl create ns free >/dev/null

# --- the webhook -----------------------------------------------------------------------------
webhook_certs
write_config() { # FILE MODE
  cat >"$1" <<YAML
modelRepositories: ["$REG/models/"]
mode: $2
registries:
- {host: "$REG", plainHTTP: true}
cacheTTLSeconds: 1
scannerGroups: ["modelgov:auditors"]
YAML
}
write_config "$IT_DIR/enforce.yaml" enforce
write_config "$IT_DIR/audit.yaml" audit

apply_vwc() {
  webhook_register "$WPORT" "$IT_DIR/ca.crt" || { echo "FATAL: cannot register the chart's webhook configurations"; exit 1; }
}
webhook_start wh1 "$IT_DIR/enforce.yaml"
apply_vwc

as() { local u=$1; shift; kubectl --context "$u" -n ml "$@"; }

# --- governance records ----------------------------------------------------------------------
dsv() { # NAME
  cat <<YAML
apiVersion: mlops.modelgov.io/v1alpha1
kind: DatasetVersion
metadata: {name: $1}
spec:
  dataset: loans
  version: "$1"
  uri: s3://datasets/loans/$1.csv
  digest: sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef
  source: {type: synthetic}
  privacy: {method: pseudonymized}
YAML
}
expect_ok "DatasetVersion created" bash -c "$(declare -f dsv); dsv loans-scanned | kubectl -n ml apply -f -"
expect_ok "second DatasetVersion (never scanned) created" bash -c "$(declare -f dsv); dsv loans-raw | kubectl -n ml apply -f -"
kubectl --context carol -n ml patch dsv loans-scanned --subresource=status --type=merge \
  -p '{"status":{"biasScan":{"passed":true,"fileDigest":"sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef","tool":{"name":"kubectl-modelgov","version":"1"}}}}' >/dev/null

mv_yaml() { # NAME VERSION DIGEST AUTHOR
  cat <<YAML
apiVersion: mlops.modelgov.io/v1alpha1
kind: ModelVersion
metadata: {name: $1, annotations: {mlops.modelgov.io/author: $4}}
spec: {model: fraud-detector, version: "$2", image: $REG/models/fraud, digest: "$3", datasetVersion: loans-scanned}
YAML
}
expect_denied "ModelVersion whose author annotation is not the requester refused" "author" \
  bash -c "$(declare -f mv_yaml); REG=$REG mv_yaml fraud-1-4-0 1.4.0 $DM alice | kubectl --context bob -n ml apply -f -"
expect_ok "ModelVersion created by its author bob" \
  bash -c "$(declare -f mv_yaml); REG=$REG mv_yaml fraud-1-4-0 1.4.0 $DM bob | kubectl --context bob -n ml apply -f -"
sleep 0.5 # the webhook's watch delivers the new records

review() { it_review ml "$1" fraud-1-4-0 "$2" "$3" "$4" "${5:-$4}"; } # NAME KIND VERDICT REVIEWER [USER]
expect_denied "forged reviewer (bob files a review signed alice) refused" "alice" review forged security approve alice bob
expect_denied "self-review by the author refused" "separation of duties: bob registered ModelVersion fraud-1-4-0" \
  review self security approve bob
expect_ok "security review by alice" review sec security approve alice
expect_ok "performance review by carol" review perf performance approve carol
sleep 0.5

# --- model images ----------------------------------------------------------------------------
deploy() { # NAME IMAGE [REPLICAS]
  kubectl --context alice -n ml create deployment "$1" --image="$2" --replicas="${3:-1}"
}
expect_denied "unapproved model by digest refused, naming the missing review" \
  "model fraud-detector:1.4.0 is not approved: bias review missing (security approved by alice, performance approved by carol)" \
  deploy d-unapproved "$REG/models/fraud@$DM"
expect_ok "bias review by alice (now approved)" review bias bias approve alice
sleep 0.5
expect_ok "approved digest admitted" deploy d-digest "$REG/models/fraud@$DM"
expect_ok "approved tag resolving in the registry to the digest admitted" deploy d-tag "$REG/models/fraud:1.4.0"
expect_denied "latest refused" "uses the tag 'latest'" deploy d-latest "$REG/models/fraud:latest"
expect_denied "no tag refused" "has no tag or digest" deploy d-notag "$REG/models/fraud"
expect_denied "unknown digest refused" "is not registered" deploy d-unknown "$REG/models/fraud@sha256:$(printf x | sha256sum | cut -d' ' -f1)"
expect_ok "unrelated image admitted" deploy d-nginx "nginx:1.25"
expect_ok "model image in an ungoverned namespace admitted" kubectl -n free create deployment d-free --image="$REG/models/fraud:latest"
DM2=$(push_image models/fraud 1.4.0 two)
it_check "tag 1.4.0 re-pushed with other content" bash -c "[ -n '$DM2' ] && [ '$DM2' != '$DM' ]"
sleep 1.2 # past cacheTTLSeconds
expect_denied "re-pushed tag (now another digest) refused" "fraud:1.4.0 now resolves to $DM2, not to digest $DM" deploy d-tag2 "$REG/models/fraud:1.4.0"
it_eq "without the OCI type in Accept the registry hides the OCI manifest (why Accept matters)" 404 \
  "$(curl -s -o /dev/null -w '%{http_code}' -I "http://$REG/v2/models/fraud/manifests/1.4.0")"
kill "$IT_PID_registry" 2>/dev/null; wait "$IT_PID_registry" 2>/dev/null
sleep 1.2 # past the error cache too
expect_denied "registry unreachable: a tag is refused (fail closed)" "cannot resolve tag 1.4.0 in registry $REG" deploy d-tag3 "$REG/models/fraud:1.4.0"
expect_ok "registry unreachable: an approved digest is still admitted" deploy d-digest2 "$REG/models/fraud@$DM"
kubectl -n ml apply -f - >/dev/null <<YAML
apiVersion: mlops.modelgov.io/v1alpha1
kind: ModelDeployment
metadata: {name: fraud}
spec: {modelVersion: fraud-1-4-0, replicas: 1, port: 9000}
YAML
it_check "ModelDeployment of the approved model created" bash -c "kubectl -n ml get md fraud >/dev/null"

# --- quarantine ------------------------------------------------------------------------------
expect_ok "incident confirmed by carol (quarantine)" review incident incident confirm carol
sleep 0.5
expect_denied "quarantined: Deployment spec.replicas raise refused" "quarantined" \
  kubectl --context alice -n ml patch deploy d-digest --type=merge -p '{"spec":{"replicas":3}}'
expect_denied "quarantined: kubectl scale deploy refused" "quarantined" \
  kubectl --context alice -n ml scale deploy d-digest --replicas=3
expect_ok "quarantined: scaling down is allowed" kubectl --context alice -n ml scale deploy d-digest --replicas=0
expect_denied "quarantined: ModelDeployment spec.replicas raise refused" "quarantined" \
  kubectl --context alice -n ml patch md fraud --type=merge -p '{"spec":{"replicas":3}}'
expect_denied "quarantined: kubectl scale md refused" "quarantined" \
  kubectl --context alice -n ml scale md fraud --replicas=3
expect_denied "quarantined: new Deployment of the image refused" "quarantined" deploy d-new "$REG/models/fraud@$DM"

# --- datasets, training, immutability --------------------------------------------------------
tr_yaml() { # NAME DATASET
  printf 'apiVersion: mlops.modelgov.io/v1alpha1\nkind: TrainingRun\nmetadata: {name: %s}\nspec: {experiment: e, datasetVersion: %s, model: {name: fraud-detector}}\n' "$1" "$2"
}
expect_denied "TrainingRun on an unscanned dataset refused" "DatasetVersion loans-raw has no bias scan" \
  bash -c "$(declare -f tr_yaml); tr_yaml tr-raw loans-raw | kubectl --context alice -n ml apply -f -"
expect_ok "TrainingRun on a scanned, pseudonymized dataset admitted" \
  bash -c "$(declare -f tr_yaml); tr_yaml tr-ok loans-scanned | kubectl --context alice -n ml apply -f -"
expect_denied "ModelVersion spec edit refused (immutable)" "immutable" \
  kubectl --context bob -n ml patch mv fraud-1-4-0 --type=merge -p '{"spec":{"version":"1.4.1"}}'
expect_denied "ModelReview spec edit refused (immutable)" "immutable" \
  kubectl --context alice -n ml patch mrev sec --type=merge -p '{"spec":{"verdict":"reject"}}'
expect_denied "DatasetVersion spec edit refused (immutable)" "immutable" \
  kubectl -n ml patch dsv loans-scanned --type=merge -p '{"spec":{"uri":"s3://elsewhere"}}'
expect_ok "metadata edits stay allowed" kubectl --context bob -n ml label mv fraud-1-4-0 team=risk
sleep 0.5
expect_denied "deleting a DatasetVersion referenced by a ModelVersion/TrainingRun refused" \
  "DatasetVersion loans-scanned is referenced by" \
  kubectl -n ml delete dsv loans-scanned
expect_ok "deleting an unreferenced DatasetVersion allowed" kubectl -n ml delete dsv loans-raw

# --- audit trail and metrics -----------------------------------------------------------------
it_check "one JSON audit line per decision, with uid, user, decision and rule" /usr/bin/python3 -c '
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
a = [l for l in lines if l.get("msg") == "admission"]
d = [l for l in a if l["decision"] == "denied" and l.get("rule") == "review-identity" and l["user"] == "bob"]
assert a and d, (len(a), len(d))
assert all(l["uid"] and l["operation"] and l["resource"] for l in a)
' "$IT_DIR/wh1.log"
metrics=$(curl -sf --cacert "$IT_DIR/ca.crt" "https://127.0.0.1:$WPORT/metrics")
it_check "metrics: registry lookups counted" grep -q '^modelgov_webhook_registry_lookups_total{result="found"} [1-9]' <<<"$metrics"
it_check "metrics: tag cache requests counted" grep -q '^modelgov_webhook_tag_cache_requests_total{result="miss"} [1-9]' <<<"$metrics"
it_check "metrics: denied deployments counted" grep -q 'modelgov_webhook_admission_requests_total{decision="denied",resource="deployments"} [1-9]' <<<"$metrics"

# --- audit mode ------------------------------------------------------------------------------
kill "$IT_PID_wh1" 2>/dev/null
webhook_start wh2 "$IT_DIR/audit.yaml"
apply_vwc
out=$(deploy d-audit "$REG/models/fraud:latest" 2>&1)
it_check "audit mode: latest admitted" bash -c "kubectl -n ml get deploy d-audit >/dev/null"
it_check "audit mode: kubectl shows the warning" grep -q 'Warning: audit: would deny:.*latest' <<<"$out"

it_finish
