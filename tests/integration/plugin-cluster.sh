#!/bin/bash
# kubectl-modelgov governance commands against the API server (MG_TEST_SERVER: the test server or
# a real kube-apiserver under real RBAC), as different users (bob
# authors, alice and carol review): dataset register, bias-scan --apply (status subresource,
# digest check), review, quarantine, release, status, lineage, history. Skips (exit 0, with a
# message) when the server's command or kubectl is missing. Exits non-zero on any
# failure; prints "N passed, N failed" last; stops the server it started.
set -u
cd "$(dirname "$0")/../.."
IT_ROOT=$PWD
source tests/integration/lib-cluster.sh # MG_TEST_SERVER picks the server: IT_CLUSTER_CMD
TC=$IT_CLUSTER_CMD
K=$PWD/bin/kubectl-modelgov
if [ ! -x "$TC" ] || ! command -v kubectl >/dev/null 2>&1; then
  echo "SKIP plugin-cluster: needs $TC and kubectl"; exit 0
fi
T=$(mktemp -d)
cleanup() { "$TC" down --dir "$T/tc" >/dev/null 2>&1; rm -rf "$T"; }
trap cleanup EXIT
"$TC" up --dir "$T/tc" >"$T/up.log" 2>&1 || { echo "FAIL $IT_SERVER_KIND up"; cat "$T/up.log"; exit 1; }
export KUBECONFIG=$T/tc/kubeconfig
pass=0; fail=0
ok() { pass=$((pass+1)); echo "ok   $1"; }
no() { fail=$((fail+1)); echo "FAIL $1${2:+: $2}"; }
check_rc() {
  local name=$1 want=$2; shift 2
  "$@" >"$T/out" 2>"$T/err"; local rc=$?
  if [ "$rc" -eq "$want" ]; then ok "$name (exit $rc)"; return 0; fi
  no "$name" "exit $rc, want $want; $(head -c 400 "$T/err")"; return 1
}
eq() { if [ "$2" = "$3" ]; then ok "$1"; else no "$1" "got '$2', want '$3'"; fi; }
has() { if grep -q -- "$3" "$2"; then ok "$1"; else no "$1" "'$3' not in $(head -c 400 "$2")"; fi; }
kc() { kubectl --context admin -n ml "$@"; }

kubectl --context admin apply -f crds/ >/dev/null && kubectl --context admin create namespace ml >/dev/null ||
  { echo "FAIL installing CRDs"; exit 1; }
P=tests/plugin/in
digest="sha256:$(sha256sum $P/people.csv | cut -d' ' -f1)"

# ---- dataset register (bob) ----
check_rc "dataset register as bob" 0 $K dataset register --context bob -n ml --name people --version 2026-11 \
  --source-type synthetic --license cc0 --privacy pseudonymized --report-digest "sha256:$(printf '%064d' 0)" \
  --quasi age,zip --k 2 --parent dsv/raw-people $P/people.csv
eq "registered digest" "$(kc get dsv people-2026-11 -o jsonpath='{.spec.digest}')" "$digest"
eq "registered size" "$(kc get dsv people-2026-11 -o jsonpath='{.spec.sizeBytes}')" "$(stat -c %s $P/people.csv)"
eq "registered parents" "$(kc get dsv people-2026-11 -o jsonpath='{.spec.parents[0]}')" "raw-people"
check_rc "dataset register twice: API error" 4 $K dataset register --context bob -n ml --name people --version 2026-11 --source-type synthetic $P/people.csv
has "API Status message kept" "$T/err" "already exists"

# ---- bias-scan --apply ----
check_rc "bias-scan --apply (scan fails: exit 1, still recorded)" 1 $K bias-scan --context bob -n ml --protected sex --label approved --apply dsv/people-2026-11 $P/people.csv
eq "status.biasScan.passed" "$(kc get dsv people-2026-11 -o jsonpath='{.status.biasScan.passed}')" "false"
eq "status.biasScan.fileDigest" "$(kc get dsv people-2026-11 -o jsonpath='{.status.biasScan.fileDigest}')" "$digest"
eq "status.biasScan.tool.name" "$(kc get dsv people-2026-11 -o jsonpath='{.status.biasScan.tool.name}')" "kubectl-modelgov"
eq "status.biasScan groups" "$(kc get dsv people-2026-11 -o jsonpath='{.status.biasScan.groups[*].group}')" "f m x"
at=$(kc get dsv people-2026-11 -o jsonpath='{.status.biasScan.scannedAt}'); [ -n "$at" ] && ok "scannedAt set ($at)" || no "scannedAt set"
eq "spec untouched by the status write" "$(kc get dsv people-2026-11 -o jsonpath='{.spec.digest}')" "$digest"
check_rc "bias-scan --apply of another file refused" 3 $K bias-scan --context bob -n ml --protected sex --label approved --apply dsv/people-2026-11 $P/people_lf.csv
has "refusal names both digests" "$T/err" "differs from its spec.digest"
check_rc "bias-scan --apply to a missing dsv" 4 $K bias-scan --context bob -n ml --protected sex --label approved --apply dsv/nope $P/people.csv
has "not found message" "$T/err" "not found"

# ---- reviews (alice, carol), quarantine, release ----
sed 's/loans-2026-10/people-2026-11/' crds/samples/02-trainingrun.yaml | kubectl --context bob -n ml create -f - >/dev/null
sed 's/loans-2026-10/people-2026-11/' crds/samples/03-modelversion.yaml | kubectl --context bob -n ml create -f - >/dev/null
kubectl --context bob -n ml create -f crds/samples/05-modeldeployment.yaml >/dev/null
check_rc "review as alice" 0 $K review fraud-detector-1-4-0 --kind security --approve -m "image scanned" --context alice -n ml
check_rc "review as carol (-o json)" 0 $K review mv/fraud-detector-1-4-0 --context carol -n ml --kind performance --reject -m "F1 below champion" -o json
eq "reviewer is the authenticated user" "$(python3 -c 'import json,sys;print(json.load(open(sys.argv[1]))["spec"]["reviewer"])' "$T/out")" "carol"
eq "reviews recorded" "$(kc get mrev -o jsonpath='{range .items[*]}{.spec.kind}/{.spec.verdict}/{.spec.reviewer}{"\n"}{end}' | sort | tr '\n' ' ')" "performance/reject/carol security/approve/alice "
check_rc "review needs --approve or --reject" 2 $K review fraud-detector-1-4-0 --kind bias -m x --context alice -n ml
# text that lands in an object must be UTF-8 (JSON holds nothing else): refused, not dropped
check_rc "review with a comment that is not UTF-8" 2 $K review fraud-detector-1-4-0 --kind bias --approve -m $'ok\xff' --context alice -n ml
grep -q -- "--message: not UTF-8 text" "$T/err" && ok "the refusal names the flag" || no "the refusal names the flag" "$(cat "$T/err")"
check_rc "quarantine as alice" 0 $K quarantine fraud-detector-1-4-0 --reason "PSI 0.4 on income" --context alice -n ml
check_rc "release as carol" 0 $K release md/fraud-detector -m "retrained, checked" --context carol -n ml
eq "incident reviews" "$(kc get mrev -o jsonpath='{range .items[?(@.spec.kind=="incident")]}{.spec.verdict}/{.spec.reviewer}{"\n"}{end}' | sort | tr '\n' ' ')" "confirm/alice release/carol "

# ---- status, lineage, history ----
check_rc "status" 0 $K status --context bob -n ml
has "status shows the deployment" "$T/out" "fraud-detector"
check_rc "status -o json" 0 $K status fraud-detector --context bob -n ml -o json
eq "status json" "$(python3 -c 'import json,sys;r=json.load(open(sys.argv[1]))[0];print(r["model"],r["version"],r["quarantined"])' "$T/out")" "fraud-detector 1.4.0 False"
# -A: every namespace, a namespace column; a deployment whose ModelVersion does not exist shows
# "-" for quarantined (null in JSON), never "no"
kubectl --context admin create namespace ml2 >/dev/null
sed 's/name: fraud-detector$/name: ghost/; s/modelVersion: fraud-detector-1-4-0/modelVersion: ghost-1-0-0/' \
  crds/samples/05-modeldeployment.yaml | kubectl --context bob -n ml2 create -f - >/dev/null
check_rc "status -A" 0 $K status -A --context bob
eq "status -A rows" "$(awk 'NR > 1 {print $1 "/" $2 "/" $NF}' "$T/out" | sort | tr '\n' ' ')" "ml/fraud-detector/no ml2/ghost/- "
has "status -A has a namespace column" "$T/out" "^NAMESPACE"
check_rc "status --all-namespaces -o json" 0 $K status --all-namespaces --context bob -o json
eq "status -A json" "$(python3 -c 'import json,sys;print(sorted((r["namespace"],r["name"],r["model"],r["quarantined"]) for r in json.load(open(sys.argv[1]))))' "$T/out")" \
  "[('ml', 'fraud-detector', 'fraud-detector', False), ('ml2', 'ghost', None, None)]"
check_rc "status of a deployment whose ModelVersion is missing" 0 $K status ghost --context bob -n ml2 -o json
eq "its quarantined is unknown" "$(python3 -c 'import json,sys;r=json.load(open(sys.argv[1]))[0];print(r["modelVersion"],r["quarantined"])' "$T/out")" "ghost-1-0-0 None"
check_rc "status -A with a name" 2 $K status ghost -A --context bob
has "names the conflict" "$T/err" "cannot be named across all namespaces"
check_rc "lineage" 0 $K lineage fraud-detector-1-4-0 --context bob -n ml
has "lineage shows the training run" "$T/out" "TrainingRun fraud-detector-train-0142"
has "lineage shows the dataset digest" "$T/out" "$digest"
has "lineage shows the missing parent" "$T/out" "DatasetVersion raw-people  (not found)"
check_rc "lineage -o json" 0 $K lineage fraud-detector-1-4-0 --context bob -n ml -o json
eq "lineage json path" "$(python3 -c 'import json,sys;r=json.load(open(sys.argv[1]));d=r["children"][0]["children"][0];print(d["kind"],d["digest"],d["children"][0]["name"])' "$T/out")" "DatasetVersion $digest raw-people"
check_rc "history" 0 $K history fraud-detector --context bob -n ml
has "history lists the release" "$T/out" "release"
check_rc "lineage of a missing model version" 4 $K lineage nope --context bob -n ml
# ---- an exec credential plugin (users[].user.exec, as on EKS, GKE, AKS): bob's own credential ----
/usr/bin/python3 - "$T" <<'PY'
import base64, json, os, subprocess, sys
t = sys.argv[1]
cfg = json.loads(subprocess.check_output(["kubectl", "config", "view", "--raw", "-o", "json"]))
ctx = next(c["context"] for c in cfg["contexts"] if c["name"] == "bob")
user = next(u["user"] for u in cfg["users"] if u["name"] == ctx["user"])
cluster = next(c["cluster"] for c in cfg["clusters"] if c["name"] == ctx["cluster"])
def data(key):
    if key + "-data" in user: return base64.b64decode(user[key + "-data"]).decode()
    return open(user[key]).read() if key in user else None
status = {"token": user["token"]} if "token" in user else {"clientCertificateData": data("client-certificate"), "clientKeyData": data("client-key")}
json.dump({"apiVersion": "client.authentication.k8s.io/v1beta1", "kind": "ExecCredential", "status": status}, open(t + "/bob-cred.json", "w"))
open(t + "/bob-cred", "w").write("#!/bin/sh\necho run >> %s/bob-cred.runs\ncat %s/bob-cred.json\n" % (t, t))
os.chmod(t + "/bob-cred", 0o755)
open(t + "/exec-kubeconfig", "w").write(json.dumps({"apiVersion": "v1", "kind": "Config", "current-context": "bob-exec",
    "contexts": [{"name": "bob-exec", "context": {"cluster": "c", "user": "bob-exec", "namespace": "ml"}}],
    "clusters": [{"name": "c", "cluster": cluster}],
    "users": [{"name": "bob-exec", "user": {"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1", "command": "./bob-cred"}}}]}))
PY
check_rc "status with an exec credential plugin" 0 $K status --kubeconfig "$T/exec-kubeconfig" && has "status as bob through the plugin" "$T/out" "fraud-detector"
eq "the plugin ran once for the command" "$(wc -l < "$T/bob-cred.runs" 2>/dev/null)" "1"
sed -i 's/command": ".\/bob-cred"/command": ".\/none-such", "installHint": "install bob-cred"/' "$T/exec-kubeconfig"
check_rc "a missing exec plugin" 4 $K status --kubeconfig "$T/exec-kubeconfig" && has "its install hint is shown" "$T/err" "install bob-cred"
# credentials the API server does not accept: say so, not just "Unauthorized"
cp "$KUBECONFIG" "$T/kc-bogus"
admin_cluster=$(kubectl --kubeconfig "$T/kc-bogus" config view -o jsonpath='{.contexts[?(@.name=="admin")].context.cluster}')
kubectl --kubeconfig "$T/kc-bogus" config set-credentials bogus --token=not-a-valid-token >/dev/null
kubectl --kubeconfig "$T/kc-bogus" config set-context bogus --cluster="$admin_cluster" --user=bogus --namespace=ml >/dev/null
check_rc "a token the API server refuses" 4 $K status --kubeconfig "$T/kc-bogus" --context bogus &&
  has "the 401 is explained" "$T/err" "Unauthorized (the API server did not accept this kubeconfig's credentials: expired or revoked? log in again)"
# ---- a read that fails mid-command is an error, not an empty answer ----
# A scripted API server (tests/support/responder.py) whose user may get the objects named but not
# read what they lead to (403, as RBAC answers): history must not say "no incidents", lineage not
# "training run not found", status not "quarantined: no".
/usr/bin/python3 - "$T/script.json" <<'PY'
import json, sys
a = "/apis/mlops.modelgov.io/v1alpha1/namespaces/ml"
forbidden = {"status": 403, "body": {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "Forbidden",
                                     "code": 403, "message": "forbidden: User \"dave\" cannot do that"}}
md = {"metadata": {"name": "fd", "namespace": "ml"}, "spec": {"modelVersion": "mv1"}, "status": {"history": []}}
json.dump([{"path": a + "/modeldeployments/fd", "body": dict(md, kind="ModelDeployment")},
           {"path": a + "/modeldeployments?", "body": {"kind": "ModelDeploymentList", "metadata": {}, "items": [md]}},
           {"path": a + "/modelversions/mv1", "body": {"kind": "ModelVersion", "metadata": {"name": "mv1", "namespace": "ml"},
                                                        "spec": {"model": "m", "version": "1", "trainingRun": "tr1"}}},
           dict(forbidden, path=a + "/modelreviews"), dict(forbidden, path=a + "/trainingruns/tr1"),
           dict(forbidden, path=a + "/modelversions?")], open(sys.argv[1], "w"))
PY
/usr/bin/python3 tests/support/responder.py --dir "$T/resp" --script "$T/script.json" >"$T/resp.log" 2>&1 &
resp_pid=$!
for _ in $(seq 1 100); do [ -s "$T/resp/port" ] && break; sleep 0.1; done
cat >"$T/kc-resp" <<YAML
apiVersion: v1
kind: Config
clusters: [{name: r, cluster: {server: "https://127.0.0.1:$(cat "$T/resp/port")", certificate-authority: "$T/resp/ca.crt"}}]
users: [{name: dave, user: {token: t}}]
contexts: [{name: r, context: {cluster: r, user: dave, namespace: ml}}]
current-context: r
YAML
check_rc "history when the reviews cannot be listed" 4 $K history fd --kubeconfig "$T/kc-resp" &&
  has "says what failed" "$T/err" "listing modelreviews.*forbidden"
check_rc "lineage when the training run cannot be read" 4 $K lineage mv1 --kubeconfig "$T/kc-resp" &&
  has "says what failed" "$T/err" "getting trainingruns tr1.*forbidden"
check_rc "status when the model versions cannot be listed" 4 $K status --kubeconfig "$T/kc-resp" &&
  has "says what failed" "$T/err" "listing modelversions.*forbidden"
kill $resp_pid 2>/dev/null
check_rc "bad kubeconfig" 4 $K status --kubeconfig "$T/none"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
