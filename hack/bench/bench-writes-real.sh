#!/bin/bash
# Write accounting on a real kube-apiserver v1.28 (hack/realcluster with the node agent): N
# ModelDeployments (BENCH_WRITES_REAL_SIZES, default 200) created at once; the operator's writes
# counted from the API server's audit log by its user agent ("modelgov/") until every one is
# Serving, and during BENCH_WRITES_REAL_IDLE_S (default 30) seconds with nothing changing. No
# baseline server: the test API server's request log counts writes by user, not by user agent,
# and the driver and the operator would both be admin there; the goal (Deployment and Service
# created, status Progressing then Serving) is the reference. Without the real binaries it prints
# one row saying it was skipped, and why. Rows for hack/bench/run.sh:
# figure|modelgov|baseline|ratio|goal.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

one() { # SERVER N IDLE: one JSON line from the scenario on that server (real)
  MG_TEST_SERVER=$1 bash -c '
    set -u
    source "$0/tests/integration/lib.sh" >/dev/null
    cd "$IT_ROOT"
    n=$1 idle=$2
    it_start_cluster --kubelet >&2
    kubectl apply -f crds/ >/dev/null && kubectl wait --for condition=established --timeout=60s crd --all >/dev/null
    # admin (system:masters) on both servers, so both runs have the same authority (the chart'"'"'s
    # RBAC is chart.sh'"'"'s concern; carol, an auditor, cannot write on either server)
    user=admin
    bin/modelgov-operator --context $user --metrics-addr 127.0.0.1:0 --health-addr 127.0.0.1:0 \
      --resync-seconds 10 --workers 4 >"$IT_DIR/operator.log" 2>&1 &
    op=$!
    IT_PIDS+=($op)
    /usr/bin/python3 hack/bench/operator_bench_real.py "$IT_DIR/cluster" "$n" "$idle" "$op"
  ' "$ROOT" "$2" "$3"
}

if ! why=$("$ROOT/hack/realcluster/realcluster" binaries 2>&1); then
  echo "bench-writes-real: skipped — $why" >&2
  echo "real kube-apiserver, audit log: API writes per MD to reach Serving|skipped (no real binaries)|-|-|<= 4"
  exit 0
fi
idle=${BENCH_WRITES_REAL_IDLE_S:-30}
for n in ${BENCH_WRITES_REAL_SIZES:-200}; do
  real=$(one real "$n" "$idle") || { echo "bench-writes-real: the real-server run failed" >&2; exit 1; }
  echo "real: ${real%%\"rss_samples\"*}" >&2
  /usr/bin/python3 - "$n" "$real" <<'PY'
import json, sys
n = int(sys.argv[1]); r = json.loads(sys.argv[2])
if r["serving"] != n:
    sys.exit(f"bench-writes-real: only {r['serving']} of {n} MDs reached Serving")
print(f"real kube-apiserver, audit log by user agent: API writes per MD to reach Serving, objects+status ({n} MDs)"
      f"|{r['writes'] / n:.2f}|-|-|<= 4")
print(f"real kube-apiserver, audit log by user agent: Events per MD ({n} MDs)|{r['events'] / n:.2f}|-|-|-")
print(f"real kube-apiserver, audit log by user agent: operator writes in {r['idle_s']} s idle ({n} MDs)"
      f"|{r['idle_writes']}|-|-|0")
print(f"real kube-apiserver: {n} MDs all Serving (s)|{r['serving_s']:.1f}"
      f"|{r['accept_s']:.1f} (API accepted creates)|{r['serving_s'] / r['accept_s']:.2f}x|-")
PY
done
