#!/bin/bash
# The governance record under attack: the ways a namespace user (kubectl as alice, bob and carol —
# rights on the modelgov resources and their status, no cluster-admin) would try to get an
# unreviewed or quarantined model approved, through the API server, with the real webhook
# registered exactly as the chart renders it and the real operator. Each section is one class of
# bypass and fails on a product that leaves it open:
#   odd objects        objects the API server stores but a strict parser refuses (a NUL in a
#                      string or a key, an integer beyond int64) must not stop the webhook's or the
#                      operator's caches: both become ready and keep deciding (class 9).
#   a rejection stands alice's reject is not lifted by carol's later approve; only by alice (6).
#   one object         reviews of a deleted ModelVersion do not approve its namesake; a review
#                      must record the uid and digest of what it judges (4).
#   quarantine follows the digest  a second ModelVersion of a quarantined digest cannot be
#                      registered, approved or run; a quarantined version cannot be deleted (3).
#   the record stays   reviews cannot be deleted (except by a records admin, and then nothing
#                      is approved or released), re-owned, or their author rewritten; TrainingRun
#                      specs are immutable; lineage links cannot be deleted (5).
#   status             approval, verdicts and quarantine only from the operator; bias scans only
#                      from a scanner and only for the dataset's own file (7).
#   plugin             every kubectl modelgov command that writes goes through the webhook and
#                      the operator; release MD lifts the quarantine of the version it runs (13).
# Users: bob registers models and datasets; alice and carol review; carol is the scanner and the
# records admin (webhook config). The operator runs as admin, the identity the
# webhook's operatorServiceAccount names here.
# Needs: bin/modelgov-webhook, bin/modelgov-operator, bin/kubectl-modelgov, helm (.tools), kubectl.
source "$(dirname "$0")/lib.sh"
cd "$IT_ROOT"
for b in bin/modelgov-webhook bin/modelgov-operator bin/kubectl-modelgov; do
  [ -x "$b" ] || { echo "$b not built (make all)"; exit 1; }
done
source "$(dirname "$0")/lib-webhook.sh" # webhook_certs, webhook_start, webhook_register, expect_*

REPO=registry.example.com/models/fraud
dg() { echo "sha256:$(printf '%s' "$1" | sha256sum | cut -d' ' -f1)"; }

it_start_cluster --kubelet
kubectl apply -f crds/ >/dev/null
kubectl wait --for condition=established --timeout=30s crd --all >/dev/null
kubectl create ns ml >/dev/null
kubectl label ns ml modelgov.io/governed=true >/dev/null
kubectl create ns free >/dev/null

# --- class 9: odd objects are stored before the webhook and the operator start ------------------
odd_mv() { # NAME JSON-SPEC-EXTRA JSON-ANNOTATIONS: a ModelVersion in the ungoverned namespace
  printf '{"apiVersion":"mlops.modelgov.io/v1alpha1","kind":"ModelVersion","metadata":{"name":"%s","annotations":%s},"spec":{"model":"odd","version":"%s","image":"%s","digest":"%s"%s}}' \
    "$1" "$3" "$1" "$REPO" "$(dg "$1")" "$2" | kubectl -n free create -f - >/dev/null
}
expect_ok "stored: a ModelVersion whose annotation holds a NUL character" odd_mv odd-nul '' '{"note":"a\u0000b"}'
expect_ok "stored: a ModelVersion with an integer beyond int64 in spec.metrics" \
  odd_mv odd-big ',"metrics":{"samples":123456789012345678901234567890}' '{}'
expect_ok "stored: a ModelVersion with a NUL character in a key of spec.metrics" \
  odd_mv odd-key ',"metrics":{"k\u0000":1}' '{}'

webhook_certs
cat >"$IT_DIR/policy.yaml" <<YAML
modelRepositories: ["registry.example.com/models/"]
operatorServiceAccount: admin
scannerGroups: ["modelgov:auditors"]
recordsAdminGroups: ["modelgov:auditors"]
YAML
webhook_start wh "$IT_DIR/policy.yaml" # waits for /readyz: the caches synced around the odd objects
webhook_register "$WPORT" "$IT_DIR/ca.crt" || { echo "FATAL: cannot register the chart's webhook configurations"; exit 1; }
it_bg operator bin/modelgov-operator --context admin --metrics-addr 127.0.0.1:0 --health-addr 127.0.0.1:0 \
  --resync-seconds 5
op_port() { sed -n "s/.*listening server=$1 .*port=\([0-9]*\).*/\1/p" "$IT_DIR/operator.log" | head -1; }
it_wait "operator ready: its caches synced around the odd objects" 20 \
  bash -c "curl -sf http://127.0.0.1:\$(sed -n 's/.*listening server=health .*port=\([0-9]*\).*/\1/p' '$IT_DIR/operator.log' | head -1)/readyz"
it_check "webhook: the object it cannot hold (a NUL in a key) is skipped with an ERROR line and counted" \
  bash -c "grep -q '\"msg\":\"object skipped: it cannot be interpreted\"' '$IT_DIR/wh.log' &&
    curl -sf --cacert '$IT_DIR/ca.crt' https://127.0.0.1:$WPORT/metrics | grep -q '^modelgov_webhook_objects_skipped_total [1-9]'"
it_wait "operator: the same object counted on /metrics" 15 \
  bash -c "curl -sf http://127.0.0.1:$(op_port metrics)/metrics | grep -q '^modelgov_operator_objects_skipped_total [1-9]'"

as() { local u=$1; shift; kubectl --context "$u" -n ml "$@"; }
mv() { # NAME DIGEST [AUTHOR] [EXTRA-SPEC]: registered by its author (bob)
  printf 'apiVersion: mlops.modelgov.io/v1alpha1\nkind: ModelVersion\nmetadata: {name: %s, annotations: {mlops.modelgov.io/author: %s}}\nspec: {model: fraud, version: "%s", image: %s, digest: "%s"%s}\n' \
    "$1" "${3:-bob}" "$1" "$REPO" "$2" "${4:-}" | as "${3:-bob}" create -f -
}
review() { it_review ml "$@"; } # NAME MV KIND VERDICT REVIEWER [USER] [COMMENT]
approve_all() { # MV: security (alice), performance (carol), bias (alice)
  review "$1-sec" "$1" security approve alice >/dev/null && review "$1-perf" "$1" performance approve carol >/dev/null &&
    review "$1-bias" "$1" bias approve alice >/dev/null
}
# "the webhook admits DIGEST now": a server-side dry run of a Deployment, as alice
admitted() { as alice create deployment probe --image="$REPO@$1" --dry-run=server -o name >/dev/null 2>&1; }
refused_for() { # DIGEST FRAGMENT: refused, the message naming why
  local out
  out=$(as alice create deployment probe --image="$REPO@$1" --dry-run=server -o name 2>&1) && return 1
  grep -qF -- "$2" <<<"$out"
}
mv_status() { kubectl -n ml get mv "$1" -o jsonpath="$2"; }
# Creates NAME until the webhook's cache knows what it refers to (a refusal with another reason
# is retried; an admission ends it): expect_eventually_denied WHAT FRAGMENT CMD...
expect_eventually_denied() {
  local what=$1 frag=$2 out deadline=$((SECONDS + 15))
  shift 2
  while :; do
    if out=$("$@" 2>&1); then it_fail "$what (was admitted: $out)"; return; fi
    if grep -qF -- "$frag" <<<"$out"; then it_pass "$what"; return; fi
    [ $SECONDS -ge $deadline ] && { it_fail "$what (message: $out)"; return; }
    sleep 0.3
  done
}
expect_eventually_ok() { # WHAT CMD...: admitted once the webhook's cache caught up
  local what=$1 out deadline=$((SECONDS + 15))
  shift
  until out=$("$@" 2>&1); do
    [ $SECONDS -ge $deadline ] && { it_fail "$what ($out)"; return; }
    sleep 0.3
  done
  it_pass "$what"
}

# --- class 9 (cont.): an odd object arriving by watch, then a confirm review still counts --------
D9=$(dg m9)
expect_ok "bob registers m9" mv m9 "$D9"
approve_all m9
it_wait "m9 approved: the webhook admits it" 20 admitted "$D9"
expect_ok "stored while everything runs: another odd ModelVersion (watch path)" \
  odd_mv odd-key-2 ',"metrics":{"\u0000":2}' '{}'
expect_eventually_ok "carol confirms an incident on m9" review m9-inc m9 incident confirm carol
it_wait "the webhook still decides from fresh caches: m9 refused as quarantined" 20 refused_for "$D9" "quarantined"
it_wait "the operator still reconciles: m9 status.quarantined" 20 \
  bash -c "[ \"\$(kubectl -n ml get mv m9 -o jsonpath='{.status.quarantined}')\" = true ]"

# --- class 6: a rejection stands -----------------------------------------------------------------
D6=$(dg m6)
expect_ok "bob registers m6" mv m6 "$D6"
expect_eventually_ok "alice rejects m6's security" review m6-sec-alice m6 security reject alice
sleep 1.1 # creationTimestamps have second precision: carol's approve is visibly later
expect_ok "carol approves m6's security afterwards" review m6-sec-carol m6 security approve carol
expect_ok "performance approved (carol)" review m6-perf m6 performance approve carol
expect_ok "bias approved (carol)" review m6-bias m6 bias approve carol
it_wait "webhook: m6 refused, alice's reject stands" 20 refused_for "$D6" "security rejected by alice"
it_wait "operator: m6 not approved, the condition names alice's reject" 20 \
  bash -c "kubectl -n ml get mv m6 -o jsonpath='{.status.approved}/{.status.conditions[?(@.type==\"Approved\")].message}' | grep -q '^false/.*security rejected by alice'"
sleep 1.1
expect_ok "alice lifts her own reject" review m6-sec-alice-2 m6 security approve alice
it_wait "now approved: the webhook admits m6" 20 admitted "$D6"
it_wait "and the operator records it" 20 bash -c "[ \"\$(kubectl -n ml get mv m6 -o jsonpath='{.status.approved}')\" = true ]"

# --- class 4: approvals belong to one object -----------------------------------------------------
D4a=$(dg m4-a) D4b=$(dg m4-b)
expect_ok "bob registers m4 (digest a)" mv m4 "$D4a"
approve_all m4
it_wait "m4 (digest a) approved and admitted" 20 admitted "$D4a"
OLD_UID=$(kubectl -n ml get mv m4 -o jsonpath='{.metadata.uid}')
expect_ok "bob deletes m4" as bob delete mv m4
it_wait "m4 is gone" 10 bash -c "! kubectl -n ml get mv m4 >/dev/null 2>&1"
expect_eventually_ok "bob registers m4 again, now with digest b" mv m4 "$D4b"
it_wait "webhook: the recreated m4 is not approved by its namesake's reviews" 20 refused_for "$D4b" "security review missing"
it_wait "operator: the recreated m4 is not approved" 20 \
  bash -c "kubectl -n ml get mv m4 -o jsonpath='{.status.approved}/{.status.conditions[?(@.type==\"Approved\")].message}' | grep -q '^false/.*security review missing'"
stale_review() { # a review carrying the deleted object's uid
  printf 'apiVersion: mlops.modelgov.io/v1alpha1\nkind: ModelReview\nmetadata: {name: m4-stale}\nspec: {modelVersion: m4, modelVersionUID: "%s", digest: "%s", kind: security, verdict: approve, reviewer: alice}\n' \
    "$OLD_UID" "$D4a" | as alice create -f -
}
expect_denied "a review recording the deleted m4's uid is refused" "records another object" stale_review
wrong_digest_review() { # the recreated m4's uid with the digest it had before
  printf 'apiVersion: mlops.modelgov.io/v1alpha1\nkind: ModelReview\nmetadata: {name: m4-digest}\nspec: {modelVersion: m4, modelVersionUID: "%s", digest: "%s", kind: security, verdict: approve, reviewer: alice}\n' \
    "$(kubectl -n ml get mv m4 -o jsonpath='{.metadata.uid}')" "$D4a" | as alice create -f -
}
expect_denied "a review with m4's uid but another digest is refused, naming the digest" "spec.digest: $D4b" wrong_digest_review
unbound_review() {
  printf 'apiVersion: mlops.modelgov.io/v1alpha1\nkind: ModelReview\nmetadata: {name: m4-unbound}\nspec: {modelVersion: m4, kind: security, verdict: approve, reviewer: alice}\n' |
    as alice create -f -
}
expect_denied "a review without uid and digest is refused, naming them" "spec.modelVersionUID: $(kubectl -n ml get mv m4 -o jsonpath='{.metadata.uid}')" unbound_review

# --- class 3: quarantine follows the artifact -----------------------------------------------------
D3=$(dg m3)
expect_ok "bob registers m3a" mv m3a "$D3"
expect_ok "bob registers m3b with the same digest (before any quarantine)" mv m3b "$D3"
approve_all m3a
approve_all m3b
it_wait "m3 digest approved and admitted" 20 admitted "$D3"
# a Pod that runs the model in an init container, before the quarantine
expect_ok "alice runs m3 in a Pod's init container" as alice create -f - <<YAML
apiVersion: v1
kind: Pod
metadata: {name: p3}
spec: {initContainers: [{name: init, image: "$REPO@$D3"}], containers: [{name: main, image: nginx:1.25}]}
YAML
expect_ok "carol confirms an incident on m3a" review m3a-inc m3a incident confirm carol
it_wait "webhook: the digest is refused, also under m3b" 20 refused_for "$D3" "quarantined"
it_wait "operator: m3b quarantined too (the digest's quarantine)" 20 \
  bash -c "[ \"\$(kubectl -n ml get mv m3b -o jsonpath='{.status.quarantined}')\" = true ]"
expect_eventually_denied "bob registers the quarantined digest again as m3c: refused" "is quarantined in namespace ml" \
  mv m3c "$D3"
expect_denied "carol approves m3b again: refused (a quarantined digest cannot be approved)" "cannot be approved" \
  review m3b-sec2 m3b security approve carol
expect_denied "bob deletes the quarantined m3a: refused" "cannot be deleted while quarantined" as bob delete mv m3a
expect_denied "alice moves the quarantined model from the init container into the main one: refused" \
  "quarantined" as alice set image pod/p3 main="$REPO@$D3"
# monitoring's quarantine (the operator's status write) follows the digest too
D3m=$(dg m3m)
expect_ok "bob registers m3m" mv m3m "$D3m"
it_wait "the operator has written m3m's status" 20 bash -c "[ -n \"\$(kubectl -n ml get mv m3m -o jsonpath='{.status.approved}')\" ]"
expect_ok "the operator's identity quarantines m3m as monitoring does (status)" \
  kubectl --context admin -n ml patch mv m3m --subresource=status --type=merge \
  -p '{"status":{"quarantined":true,"quarantineReason":"monitoring: PSI 0.4 of age breaches 0.25"}}'
expect_eventually_denied "the digest quarantined by monitoring cannot be registered again" "PSI 0.4" mv m3n "$D3m"

# --- class 5: the record cannot be erased or rewritten --------------------------------------------
D5=$(dg m5)
expect_ok "bob registers m5" mv m5 "$D5"
expect_eventually_ok "alice rejects m5's security" review m5-sec-alice m5 security reject alice
expect_ok "performance approved (carol)" review m5-perf m5 performance approve carol
expect_ok "bias approved (carol)" review m5-bias m5 bias approve carol
sleep 1.1
expect_ok "security approved (carol) later" review m5-sec-carol m5 security approve carol
it_wait "m5 refused (alice's reject)" 20 refused_for "$D5" "rejected by alice"
# a rejection follows the artifact: the same digest registered again under another name, approved
# by someone else, is still rejected by alice (until alice herself reviews it again)
expect_ok "bob registers m5b with m5's digest" mv m5b "$D5"
expect_eventually_ok "carol approves m5b's security" review m5b-sec m5b security approve carol
expect_ok "carol approves m5b's performance" review m5b-perf m5b performance approve carol
expect_ok "carol approves m5b's bias" review m5b-bias m5b bias approve carol
sleep 1
it_check "webhook: m5's digest still refused under m5b (alice's reject stands)" refused_for "$D5" "rejected by alice"
it_wait "operator: m5b carries alice's reject in status.verdicts, not approved" 20 \
  bash -c "kubectl -n ml get mv m5b -o jsonpath='{.status.approved}/{.status.verdicts[?(@.reviewer==\"alice\")].verdict}' | grep -qx 'false/reject'"
expect_denied "bob deletes alice's reject: refused (append-only)" "append-only" as bob delete mrev m5-sec-alice
expect_denied "alice deletes her own reject: refused" "append-only" as alice delete mrev m5-sec-alice
N_REVIEWS=$(kubectl -n ml get mrev -o name | wc -l)
CM_UID=$(kubectl -n ml create configmap throwaway -o jsonpath='{.metadata.uid}')
expect_denied "bob makes alice's reject owned by a throw-away ConfigMap: refused" "ownerReferences" \
  as bob patch mrev m5-sec-alice --type=merge \
  -p "{\"metadata\":{\"ownerReferences\":[{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"name\":\"throwaway\",\"uid\":\"$CM_UID\"}]}}"
expect_denied "bob adds a finalizer to alice's reject: refused" "finalizers" \
  as bob patch mrev m5-sec-alice --type=merge -p '{"metadata":{"finalizers":["example.com/keep"]}}'
owned_review() { # a new reject owned by the throw-away ConfigMap: deleting it would erase the review
  printf 'apiVersion: mlops.modelgov.io/v1alpha1\nkind: ModelReview\nmetadata: {name: m5-owned, ownerReferences: [{apiVersion: v1, kind: ConfigMap, name: throwaway, uid: "%s"}]}\nspec: {modelVersion: m5, modelVersionUID: "%s", digest: "%s", kind: bias, verdict: reject, reviewer: alice}\n' \
    "$CM_UID" "$(kubectl -n ml get mv m5 -o jsonpath='{.metadata.uid}')" "$D5" | as alice create -f -
}
expect_denied "alice files a review owned by a throw-away ConfigMap: refused (garbage collection would erase it)" \
  "carry no ownerReferences" owned_review
expect_denied "alice rewrites her reject into an approve: refused (the spec is immutable)" "immutable" \
  as alice patch mrev m5-sec-alice --type=merge -p '{"spec":{"verdict":"approve"}}'
expect_denied "bob deletes every review of the namespace at once (delete --all): refused" "append-only" \
  as bob delete mrev --all
expect_denied "bob deletes the reviews as one collection (deletecollection): refused" "append-only" \
  kubectl --context bob delete --raw /apis/mlops.modelgov.io/v1alpha1/namespaces/ml/modelreviews
it_eq "and every review is still there" "$N_REVIEWS" "$(as admin get mrev -o name | wc -l)"
expect_denied "bob rewrites m5's author annotation (then could review it himself): refused" "is immutable" \
  as bob annotate mv m5 --overwrite mlops.modelgov.io/author=mallory
expect_denied "bob removes m5's author annotation: refused" "is immutable" as bob annotate mv m5 mlops.modelgov.io/author-
expect_ok "labels stay editable" as bob label mrev m5-sec-alice team=risk
it_wait "the operator has persisted alice's reject in m5's status.verdicts" 20 \
  bash -c "kubectl -n ml get mv m5 -o jsonpath='{.status.verdicts[?(@.reviewer==\"alice\")].verdict}' | grep -q reject"
expect_ok "carol, a records admin, deletes alice's reject" as carol delete mrev m5-sec-alice
sleep 2 # what follows checks that nothing changes: give the webhook and the operator the event
it_check "deleting the reject did not approve m5 (webhook)" refused_for "$D5" "rejected by alice"
it_eq "deleting the reject did not approve m5 (operator)" false "$(mv_status m5 '{.status.approved}')"
expect_ok "carol deletes the confirm that quarantined m9" as carol delete mrev m9-inc
sleep 2
it_check "deleting the confirm did not release m9 (webhook)" refused_for "$D9" "quarantined"
it_eq "deleting the confirm did not release m9 (operator)" true "$(mv_status m9 '{.status.quarantined}')"
# lineage: datasets, runs, versions
dsv() { # NAME [PARENT]
  printf 'apiVersion: mlops.modelgov.io/v1alpha1\nkind: DatasetVersion\nmetadata: {name: %s}\nspec: {dataset: loans, version: "%s", digest: "%s", source: {type: synthetic}, privacy: {method: pseudonymized}%s}\n' \
    "$1" "$1" "$(dg "$1")" "${2:+, parents: [$2]}" | as bob create -f -
}
scan() { # DSV FILE-DIGEST USER
  as "$3" patch dsv "$1" --subresource=status --type=merge \
    -p "{\"status\":{\"biasScan\":{\"passed\":true,\"fileDigest\":\"$2\",\"tool\":{\"name\":\"kubectl-modelgov\",\"version\":\"1\"}}}}"
}
expect_ok "bob registers dataset d5" dsv d5
expect_ok "bob registers d5b derived from d5" dsv d5b d5
expect_eventually_ok "carol (scanner) attests d5's bias scan" scan d5 "$(dg d5)" carol
tr5() { printf 'apiVersion: mlops.modelgov.io/v1alpha1\nkind: TrainingRun\nmetadata: {name: tr5}\nspec: {experiment: e, datasetVersion: d5, model: {name: fraud}}\n' | as bob create -f -; }
expect_eventually_ok "bob records training run tr5 on d5" tr5
expect_eventually_ok "bob registers m5t from tr5" mv m5t "$(dg m5t)" bob ", trainingRun: tr5, datasetVersion: d5"
expect_denied "bob edits tr5's spec: refused (TrainingRun specs are immutable)" "immutable" \
  as bob patch tr tr5 --type=merge -p '{"spec":{"datasetVersion":"d5b"}}'
expect_eventually_denied "bob deletes tr5 while m5t came from it: refused" "TrainingRun tr5 is referenced by ModelVersion m5t" \
  as bob delete tr tr5
expect_denied "bob deletes d5 while tr5 and d5b derive from it: refused" "is referenced by" as bob delete dsv d5

# --- class 7: status is not a back door ----------------------------------------------------------
expect_denied "alice clears m9's status.quarantined: refused" "written only by the modelgov operator" \
  as alice patch mv m9 --subresource=status --type=merge -p '{"status":{"quarantined":false}}'
expect_denied "bob writes m5's status.approved: refused" "written only by the modelgov operator" \
  as bob patch mv m5 --subresource=status --type=merge -p '{"status":{"approved":true}}'
expect_denied "bob forges approving verdicts in m5's status: refused" "written only by the modelgov operator" \
  as bob patch mv m5 --subresource=status --type=merge \
  -p '{"status":{"verdicts":[{"kind":"security","verdict":"approve","reviewer":"alice"}]}}'
expect_denied "alice edits a ModelReview's status: refused" "written only by the modelgov operator" \
  as alice patch mrev m5-perf --subresource=status --type=merge -p '{"status":{"conditions":[]}}'
expect_ok "bob registers dataset d7 (never scanned)" dsv d7
expect_eventually_denied "bob (not a scanner) attests d7's bias scan: refused" "attested only by members of scannerGroups" \
  scan d7 "$(dg d7)" bob
expect_denied "carol (scanner) attests a scan of another file: refused" "must equal spec.digest" scan d7 "$(dg other-file)" carol
tr7() { printf 'apiVersion: mlops.modelgov.io/v1alpha1\nkind: TrainingRun\nmetadata: {name: tr7}\nspec: {experiment: e, datasetVersion: d7, model: {name: fraud}}\n' | as bob create -f -; }
expect_denied "so a TrainingRun on d7 is refused" "has no bias scan" tr7

# --- class 13: every plugin command that writes, through the webhook and the operator --------------
mg() { local u=$1; shift; kubectl modelgov "$@" --context "$u" -n ml; }
printf 'age,sex,approved\n30,f,1\n40,m,1\n50,f,0\n35,m,0\n' >"$IT_DIR/loans.csv"
FILE_DIGEST="sha256:$(sha256sum "$IT_DIR/loans.csv" | cut -d' ' -f1)"
expect_ok "plugin: bob registers the dataset (dataset register)" mg bob dataset register --name loans13 --version v1 \
  --source-type synthetic --privacy pseudonymized --report-digest "$(dg report)" --object-name d13 "$IT_DIR/loans.csv"
expect_denied "plugin: bob's bias-scan --apply is refused (not a scanner)" "scannerGroups" \
  mg bob bias-scan --protected sex --label approved --apply dsv/d13 "$IT_DIR/loans.csv"
expect_eventually_ok "plugin: carol's bias-scan --apply is recorded" \
  mg carol bias-scan --protected sex --label approved --apply dsv/d13 "$IT_DIR/loans.csv"
it_eq "the scan attests the dataset's own file" "$FILE_DIGEST" "$(kubectl -n ml get dsv d13 -o jsonpath='{.status.biasScan.fileDigest}')"
D13=$(dg m13)
expect_ok "bob registers m13" mv m13 "$D13"
expect_denied "plugin: bob reviewing his own m13 is refused" "separation of duties" \
  mg bob review m13 --kind security --approve -m "mine"
expect_eventually_ok "plugin: alice approves m13's security" mg alice review m13 --kind security --approve -m "scanned"
expect_ok "plugin: carol approves m13's performance" mg carol review m13 --kind performance --approve -m "F1 ok"
expect_ok "plugin: alice approves m13's bias" mg alice review m13 --kind bias --approve -m "four-fifths ok"
kubectl -n ml apply -f - >/dev/null <<YAML
apiVersion: mlops.modelgov.io/v1alpha1
kind: ModelDeployment
metadata: {name: md13}
spec: {modelVersion: m13, replicas: 2, port: 9000}
YAML
md_is() { [ "$(kubectl -n ml get md md13 -o jsonpath="$1")" = "$2" ]; }
it_wait "md13 Serving with 2 replicas" 30 md_is '{.status.phase}/{.spec.replicas}' Serving/2
expect_denied "bob writes md13's status (Serving the unapproved m5): refused" "written only by the modelgov operator" \
  as bob patch md md13 --subresource=status --type=merge -p '{"status":{"phase":"Serving","servingModelVersion":"m5"}}'
expect_ok "plugin: carol quarantines m13" mg carol quarantine m13 --reason "PSI 0.4 on age"
it_wait "operator: md13 Quarantined, its Deployment at 0" 30 \
  bash -c "[ \"\$(kubectl -n ml get md md13 -o jsonpath='{.status.phase}')/\$(kubectl -n ml get deploy md13 -o jsonpath='{.spec.replicas}')\" = Quarantined/0 ]"
it_wait "webhook: m13 refused as quarantined" 20 refused_for "$D13" "quarantined"
sleep 1.1 # the release must be visibly later than the confirm
expect_ok "plugin: alice releases md/md13" mg alice release md/md13 -m "retrained features checked"
it_eq "the release names only the deployment, bound to the version it runs" \
  "md13//$(kubectl -n ml get mv m13 -o jsonpath='{.metadata.uid}')" \
  "$(kubectl -n ml get mrev -o jsonpath='{range .items[?(@.spec.verdict=="release")]}{.spec.modelDeployment}/{.spec.modelVersion}/{.spec.modelVersionUID}{end}')"
it_wait "operator: m13 released, md13 Serving with 2 replicas again" 30 \
  bash -c "[ \"\$(kubectl -n ml get mv m13 -o jsonpath='{.status.quarantined}')/\$(kubectl -n ml get md md13 -o jsonpath='{.status.phase}')/\$(kubectl -n ml get deploy md13 -o jsonpath='{.spec.replicas}')\" = false/Serving/2 ]"
it_wait "webhook: m13 admitted again" 20 admitted "$D13"
expect_ok "kubectl scale md13 up (alice) is admitted" as alice scale md md13 --replicas=3

# --- the operator under the webhook it ships with ----------------------------------------------
# A Serving ModelDeployment switched to a version not yet reviewed: nothing of it may run, and the
# old version must stop too (the spec no longer names it). The operator scales the Deployment to
# zero as it is; it must not try to put the unreviewed image in the pod template, which the
# webhook refuses even at zero replicas (that left the old version running). Once reviewed, the
# new version rolls out through the same webhook.
D13N=$(dg m13n)
expect_ok "bob registers m13n (not reviewed)" mv m13n "$D13N"
expect_ok "alice switches md13 to m13n" as alice patch md md13 --type=merge -p '{"spec":{"modelVersion":"m13n"}}'
it_wait "operator: md13 Pending, its Deployment at 0 with the image it ran" 30 \
  bash -c "[ \"\$(kubectl -n ml get md md13 -o jsonpath='{.status.phase}')/\$(kubectl -n ml get deploy md13 -o jsonpath='{.spec.replicas}/{.spec.template.spec.containers[0].image}')\" = 'Pending/0/$REPO@$D13' ]"
it_wait "and no pod of md13 runs" 30 bash -c "[ -z \"\$(kubectl -n ml get pods -l mlops.modelgov.io/modeldeployment=md13 -o name)\" ]"
it_eq "the operator was never refused (no DeploymentRefused)" "" \
  "$(kubectl -n ml get events --field-selector involvedObject.name=md13,reason=DeploymentRefused -o name)"
approve_all m13n
it_wait "m13n reviewed: md13 Serving 3/3 on m13n's digest" 40 \
  bash -c "[ \"\$(kubectl -n ml get md md13 -o jsonpath='{.status.phase}/{.status.readyReplicas}')/\$(kubectl -n ml get deploy md13 -o jsonpath='{.spec.template.spec.containers[0].image}')\" = 'Serving/3/$REPO@$D13N' ]"
# Quarantined with an approved fallback, the ModelDeployment runs the fallback: scaling it up
# scales the fallback, and the webhook admits it (the quarantined model's own pods stay refused).
expect_ok "alice names m13 as md13's fallback" as alice patch md md13 --type=merge -p '{"spec":{"fallbackModelVersion":"m13"}}'
expect_ok "plugin: carol quarantines m13n" mg carol quarantine m13n --reason "drift on income"
it_wait "operator: md13 Quarantined, running the fallback m13 (3 replicas)" 30 \
  bash -c "[ \"\$(kubectl -n ml get md md13 -o jsonpath='{.status.phase}')/\$(kubectl -n ml get deploy md13 -o jsonpath='{.spec.replicas}/{.spec.template.spec.containers[0].image}')\" = 'Quarantined/3/$REPO@$D13' ]"
expect_ok "kubectl scale md13 up on its fallback (alice) is admitted" as alice scale md md13 --replicas=4
it_wait "the fallback scaled: 4 replicas of m13" 30 \
  bash -c "[ \"\$(kubectl -n ml get deploy md13 -o jsonpath='{.spec.replicas}/{.spec.template.spec.containers[0].image}')\" = '4/$REPO@$D13' ]"
it_check "and m13n itself is still refused" refused_for "$D13N" "quarantined"

# --- the namespace's own deletion takes its records ----------------------------------------------
expect_ok "deleting the namespace" kubectl delete ns ml --wait=false
it_wait "the namespace is gone, records and all" 60 bash -c "! kubectl get ns ml >/dev/null 2>&1"

it_finish
