# Shared helpers for the bash integration suites (source it). Every suite gets a scratch dir,
# an API server of its own on a free port, check/expect helpers that count results, and a
# cleanup trap that stops everything the suite started.
# The server is the test API server (hack/testcluster, the default) or a real kube-apiserver
# v1.28 with etcd and kube-controller-manager (hack/realcluster): MG_TEST_SERVER=testcluster|real.
# Both have the same users and contexts (admin; alice, bob: modelgov:reviewers; carol:
# modelgov:auditors; dave: no group); on the real server they are authorised by real RBAC.
#   source tests/integration/lib.sh
#   it_start_cluster [--kubelet] [--jobs=manual] ...   # exports KUBECONFIG, IT_DIR, IT_SERVER
#   it_server_is_real / it_has_faults                  # what the server is / can do
#   it_faults JSON                                     # fault injection (test server only)
#   it_skip "what"                                     # a check this server cannot make
#   it_mark; it_requests_since MARK [--writes] [--agent UA-PREFIX] [--user NAME] [--json]
#   it_writes_since MARK [--agent UA-PREFIX] [--user NAME]  # API writes after a mark
#   it_sa_kubeconfig NS SERVICEACCOUNT FILE            # a kubeconfig with a TokenRequest token
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
IT_SKIP=0
IT_PIDS=()
IT_CLUSTER=0
source "$IT_ROOT/tests/integration/lib-cluster.sh" # IT_SERVER_KIND, IT_CLUSTER_CMD

it_cleanup() {
  local pid
  for pid in "${IT_PIDS[@]:-}"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null; done
  for pid in "${IT_PIDS[@]:-}"; do [ -n "$pid" ] && wait "$pid" 2>/dev/null; done
  [ "$IT_CLUSTER" = 1 ] && "$IT_CLUSTER_CMD" down --dir "$IT_DIR/cluster" >/dev/null 2>&1
  if [ "$IT_FAIL" -gt 0 ] || [ -n "${IT_KEEP:-}" ]; then
    echo "logs kept in $IT_DIR"
  else
    rm -rf "$IT_DIR"
  fi
}
trap it_cleanup EXIT

it_start_cluster() {
  local owner=()
  # the real control plane stops by itself when this suite's shell is gone, even if killed
  it_server_is_real && owner=(--owner-pid $$)
  "$IT_CLUSTER_CMD" up --dir "$IT_DIR/cluster" "$@" "${owner[@]}" >"$IT_DIR/cluster.log" 2>&1 ||
    { cat "$IT_DIR/cluster.log"; echo "FATAL: $IT_SERVER_KIND API server did not start"; exit 1; }
  IT_CLUSTER=1
  export KUBECONFIG="$IT_DIR/cluster/kubeconfig"
  IT_SERVER=$(kubectl config view --minify -o jsonpath='{.clusters[0].cluster.server}')
  echo "     (API server: $IT_SERVER_KIND at $IT_SERVER)"
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

# --- what differs between the servers ------------------------------------------------------
it_server_is_real() { [ "$IT_SERVER_KIND" = real ]; }
it_has_faults() { [ "$IT_SERVER_KIND" = testcluster ]; }
it_skip() { IT_SKIP=$((IT_SKIP + 1)); echo "skip - $1"; }
# it_faults JSON: rules for the test server's fault injection (see hack/testcluster/README.md);
# callers check it_has_faults first and it_skip otherwise.
it_faults() { kubectl create --raw /_testcluster/faults -f - >/dev/null <<<"$1"; }
it_skip_faults() { it_skip "$1 (skipped on real server: fault injection is a test-server feature)"; }

# Request accounting. The test server logs every request it serves (/_testcluster/requests,
# not the built-in controllers' own); the real server's audit log has every write (the
# controllers' and the node agent's too: filter by --agent or --user) and every request of a
# service account outside kube-system. A mark is a position in that log: it_mark prints one,
# it_requests_since MARK prints the requests after it, one JSON object per line (or one
# {"items": [...]} with --json): seq, user, groups, userAgent, verb, apiGroup, apiVersion,
# resource, subresource, namespace, name, code, path.
IT_REQS=("/usr/bin/python3" "$IT_ROOT/tests/integration/it-requests.py")
it_audit_marker() { # sends a request the audit log records, waits for it there, prints its name
  local c="$IT_DIR/cluster/pki" m="it-mark-$$-$RANDOM$RANDOM" deadline=$((SECONDS + 20))
  curl -s -o /dev/null --cacert "$c/ca.crt" --cert "$c/users/admin.crt" --key "$c/users/admin.key" \
    -A modelgov-it-mark -X DELETE "$IT_SERVER/api/v1/namespaces/default/configmaps/$m"
  until grep -q "\"name\":\"$m\"" "$IT_DIR/cluster/audit.log"; do
    [ $SECONDS -lt $deadline ] || { echo "FATAL: audit log has no marker $m" >&2; return 1; }
    sleep 0.05
  done
  echo "$m"
}
it_mark() {
  if it_server_is_real; then
    local m; m=$(it_audit_marker) || return 1
    "${IT_REQS[@]}" audit-line "$IT_DIR/cluster/audit.log" --marker "$m"
  else
    kubectl get --raw /_testcluster/requests | /usr/bin/python3 -c '
import json, sys
items = json.load(sys.stdin)["items"]
print(items[-1]["seq"] if items else 0)'
  fi
}
it_requests_since() { # MARK [--writes] [--agent PREFIX] [--user NAME] [--json]
  local since=$1; shift
  if it_server_is_real; then
    local m; m=$(it_audit_marker) || return 1
    "${IT_REQS[@]}" audit "$IT_DIR/cluster/audit.log" --since "$since" --until-marker "$m" "$@"
  else
    kubectl get --raw "/_testcluster/requests?since=$since" | "${IT_REQS[@]}" testcluster --since "$since" "$@"
  fi
}
it_writes_since() { it_requests_since "$1" --writes "${@:2}"; }
it_request_seq() { it_mark; }

# it_listen_port: a free port on 127.0.0.1 for a server whose address must be known before it
# starts (a URL written into a chart's values). It is taken below the kernel's ephemeral range
# (ip_local_port_range), where no outgoing connection of the other suites can take it meanwhile;
# a port chosen by binding port 0 is an ephemeral one, and in the minutes before the server
# binds it a client connection may get it ("Address already in use").
it_listen_port() {
  /usr/bin/python3 - <<'PY'
import random, socket
low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
for _ in range(200):
    port = random.randrange(min(20000, low // 2), low)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        s.close()
    print(port)
    break
else:
    raise SystemExit("it_listen_port: no free port below the ephemeral range")
PY
}

# it_sa_kubeconfig NS SERVICEACCOUNT FILE: a kubeconfig acting as the ServiceAccount, with a
# token from the TokenRequest API (what a Pod of that ServiceAccount would be given).
it_sa_kubeconfig() {
  local tok ca
  tok=$(kubectl create token "$2" -n "$1" --duration=2h) || return 1
  ca=$(kubectl config view --raw --minify -o jsonpath='{.clusters[0].cluster.certificate-authority-data}')
  cat >"$3" <<YAML
apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "$IT_SERVER", certificate-authority-data: "$ca"}}]
users: [{name: $2, user: {token: "$tok"}}]
contexts: [{name: $2, context: {cluster: c, user: $2, namespace: $1}}]
current-context: $2
YAML
  chmod 600 "$3"
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
  [ "$IT_SKIP" -gt 0 ] && echo "($IT_SKIP checks skipped on the $IT_SERVER_KIND server)"
  echo "$IT_PASS passed, $IT_FAIL failed"
  [ "$IT_FAIL" -eq 0 ]
}
