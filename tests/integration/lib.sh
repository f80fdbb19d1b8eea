# Shared helpers for the bash integration suites (source it). Every suite gets a scratch dir,
# a test API server of its own on a free port, check/expect helpers that count results, and a
# cleanup trap that stops everything the suite started.
#   source tests/integration/lib.sh
#   it_start_cluster [--kubelet] [--jobs=manual] ...   # exports KUBECONFIG, IT_DIR, IT_SERVER
#   it_bg NAME CMD...                                  # starts a process, logs to $IT_DIR/NAME.log
#   it_wait "what" TIMEOUT_S CMD...                    # polls CMD until it succeeds
#   it_check "what" CMD...                             # one check: pass or fail
#   it_finish                                          # prints "N passed, N failed", exit status
set -u
IT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export PATH="$IT_ROOT/.tools:$IT_ROOT/bin:$PATH"
IT_DIR=$(mktemp -d "${TMPDIR:-/tmp}/modelgov-it.XXXXXX")
IT_PASS=0
IT_FAIL=0
IT_PIDS=()
IT_CLUSTER=0

it_cleanup() {
  local pid
  for pid in "${IT_PIDS[@]:-}"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null; done
  for pid in "${IT_PIDS[@]:-}"; do [ -n "$pid" ] && wait "$pid" 2>/dev/null; done
  [ "$IT_CLUSTER" = 1 ] && "$IT_ROOT/hack/testcluster/testcluster" down --dir "$IT_DIR/cluster" >/dev/null 2>&1
  if [ "$IT_FAIL" -gt 0 ] || [ -n "${IT_KEEP:-}" ]; then
    echo "logs kept in $IT_DIR"
  else
    rm -rf "$IT_DIR"
  fi
}
trap it_cleanup EXIT

it_start_cluster() {
  "$IT_ROOT/hack/testcluster/testcluster" up --dir "$IT_DIR/cluster" "$@" >"$IT_DIR/cluster.log" 2>&1 ||
    { cat "$IT_DIR/cluster.log"; echo "FATAL: test API server did not start"; exit 1; }
  IT_CLUSTER=1
  export KUBECONFIG="$IT_DIR/cluster/kubeconfig"
  IT_SERVER=$(kubectl config view --minify -o jsonpath='{.clusters[0].cluster.server}')
}

it_bg() {
  local name=$1; shift
  "$@" >"$IT_DIR/$name.log" 2>&1 &
  IT_PIDS+=($!)
  eval "IT_PID_${name//[^A-Za-z0-9_]/_}=$!"
}

it_pass() { IT_PASS=$((IT_PASS + 1)); echo "ok   - $1"; }
it_fail() { IT_FAIL=$((IT_FAIL + 1)); echo "FAIL - $1"; }

it_wait() {
  local what=$1 timeout=$2; shift 2
  local deadline=$((SECONDS + timeout))
  while [ $SECONDS -lt $deadline ]; do
    if "$@" >/dev/null 2>&1; then it_pass "$what"; return 0; fi
    sleep 0.3
  done
  it_fail "$what (not true after ${timeout}s: $*)"
  return 1
}

it_check() {
  local what=$1; shift
  if "$@"; then it_pass "$what"; else it_fail "$what"; fi
}

# it_eq "what" EXPECTED ACTUAL
it_eq() {
  if [ "$2" = "$3" ]; then it_pass "$1"; else it_fail "$1 (want '$2', got '$3')"; fi
}

# kubectl jsonpath shortcut: it_jp KIND/NAME '{.path}' [kubectl args]
it_jp() { local obj=$1 path=$2; shift 2; kubectl get "$obj" -o jsonpath="$path" "$@" 2>/dev/null; }

# Requests logged by the test API server since sequence number $1 (JSON lines: verb, resource...).
it_requests_since() {
  kubectl get --raw "/_testcluster/requests?since=$1" | /usr/bin/python3 -c '
import json, sys
for r in json.load(sys.stdin)["items"]:
    print(json.dumps(r))'
}
it_request_seq() {
  kubectl get --raw /_testcluster/requests | /usr/bin/python3 -c '
import json, sys
items = json.load(sys.stdin)["items"]
print(items[-1]["seq"] if items else 0)'
}

# A DatasetVersion with a pseudonymization attestation and a bias scan by kubectl-modelgov
# (passed or not), labelled dataset=DATASET: it_dataset NS NAME DATASET [SCAN-PASSED=true]
it_dataset() {
  local ns=$1 name=$2 dataset=$3 passed=${4:-true}
  kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: mlops.modelgov.io/v1alpha1
kind: DatasetVersion
metadata: {name: $name, labels: {dataset: $dataset}}
spec:
  dataset: $dataset
  version: "$name"
  digest: sha256:$(printf '%s' "$name" | sha256sum | cut -d' ' -f1)
  source: {type: anonymized-client, license: internal}
  privacy: {method: pseudonymized}
YAML
  kubectl -n "$ns" patch dsv "$name" --subresource=status --type=merge \
    -p "{\"status\":{\"biasScan\":{\"passed\":$passed,\"scannedAt\":\"2026-11-01T00:00:00Z\",\"tool\":{\"name\":\"kubectl-modelgov\",\"version\":\"0.1.0\"}}}}" >/dev/null
}

# A ModelReview bound to one ModelVersion object — its uid and digest, as the webhook requires
# and as kubectl modelgov review records them — created as USER (default: the reviewer):
#   it_review NS NAME MV KIND VERDICT REVIEWER [USER] [COMMENT]
# With MV given as md/NAME the review names only that ModelDeployment and is bound to the
# ModelVersion it runs (what kubectl modelgov release does).
it_review() {
  local ns=$1 name=$2 mv=$3 kind=$4 verdict=$5 reviewer=$6 user=${7:-$6} comment=${8:-integration test}
  local target="modelVersion: $mv"
  if [ "${mv#md/}" != "$mv" ]; then
    target="modelDeployment: ${mv#md/}"
    mv=$(kubectl -n "$ns" get md "${mv#md/}" -o jsonpath='{.spec.modelVersion}') || return 1
  fi
  local bind
  bind=$(kubectl -n "$ns" get mv "$mv" -o jsonpath='modelVersionUID: {.metadata.uid}, digest: "{.spec.digest}"') || return 1
  kubectl --context "$user" -n "$ns" apply -f - <<YAML
apiVersion: mlops.modelgov.io/v1alpha1
kind: ModelReview
metadata: {name: $name}
spec: {$target, $bind, kind: $kind, verdict: $verdict, reviewer: $reviewer, comment: "$comment"}
YAML
}

it_finish() {
  echo "$IT_PASS passed, $IT_FAIL failed"
  [ "$IT_FAIL" -eq 0 ]
}
