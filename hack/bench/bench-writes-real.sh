#!/bin/bash
# Write accounting on a real kube-apiserver v1.28 (hack/realcluster with the node agent): N
# ModelDeployments (BENCH_WRITES_REAL_SIZES, default 200) created at once; the operator's writes
# counted from the API server's audit log by its user agent ("modelgov/") until every one is
# Serving, and during BENCH_WRITES_REAL_IDLE_S (default 30) seconds with nothing changing. The
# baseline, in the same run: the same scenario on the test API server, whose request log counts
# writes by user: there the operator runs as carol (the test server does not enforce RBAC) and
# the driver as admin, so the operator's writes stand apart; equal counts say both servers see
# the operator write alike. Without the real binaries it prints one row saying it was skipped,
# and why. Rows for hack/bench/run.sh: figure|modelgov|baseline|ratio|goal.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

one() { # SERVER N IDLE: one JSON line from the scenario on that server
  MG_TEST_SERVER=$1 bash -c '
    set -u
    source "$0/tests/integration/lib.sh" >/dev/null
    cd "$IT_ROOT"
    n=$1 idle=$2
    it_start_cluster --kubelet >&2
    kubectl apply -f crds/ >/dev/null && kubectl wait --for condition=established --timeout=60s crd --all >/dev/null
    # the real server: admin (system:masters; the chart'"'"'s RBAC is chart.sh'"'"'s concern), its
    # writes told apart by user agent; the test server: carol, its writes told apart by user
    user=admin; it_server_is_real || user=carol
    bin/modelgov-operator --context $user --metrics-addr 127.0.0.1:0 --health-addr 127.0.0.1:0 \
      --resync-seconds 10 --workers 4 >"$IT_DIR/operator.log" 2>&1 &
    op=$!
    IT_PIDS+=($op)
    if it_server_is_real; then
      /usr/bin/python3 hack/bench/operator_bench_real.py "$IT_DIR/cluster" "$n" "$idle" "$op"
    else
      /usr/bin/python3 hack/bench/operator_bench.py "$IT_DIR/cluster" "$n" "$idle" "$user"
    fi
  ' "$ROOT" "$2" "$3"
}

if ! why=$("$ROOT/hack/realcluster/realcluster" binaries 2>&1); then
  echo "bench-writes-real: skipped — $why" >&2
  echo "real kube-apiserver, audit log: API writes per MD to reach Serving|skipped (no real binaries)|-|-|<= 4"
  exit 0
fi
idle=${BENCH_WRITES_REAL_IDLE_S:-30}
for n in ${BENCH_WRITES_REAL_SIZES:-200}; do
  base=$(one testcluster "$n" "$idle") || { echo "bench-writes-real: the test-server run failed" >&2; exit 1; }
  real=$(one real "$n" "$idle") || { echo "bench-writes-real: the real-server run failed" >&2; exit 1; }
  echo "test server: $base" >&2
  echo "real: ${real%%\"rss_samples\"*}" >&2
  /usr/bin/python3 - "$n" "$real" "$base" <<'PY'
import json, sys
n = int(sys.argv[1]); r = json.loads(sys.argv[2]); b = json.loads(sys.argv[3])
for run, name in ((r, "real"), (b, "test server")):
    if run["serving"] != n:
        sys.exit(f"bench-writes-real: {name}: only {run['serving']} of {n} MDs reached Serving")
def ratio(x, y):
    return f"{x / y:.2f}x" if y else "-"
w, bw = r["writes"] / n, b["writes"] / n
print(f"real kube-apiserver, audit log by user agent: API writes per MD to reach Serving, objects+status ({n} MDs)"
      f"|{w:.2f}|{bw:.2f} (test server, request log)|{ratio(w, bw)}|<= 4")
e, be = r["events"] / n, b["events"] / n
print(f"real kube-apiserver, audit log by user agent: Events per MD ({n} MDs)|{e:.2f}|{be:.2f} (test server)|{ratio(e, be)}|-")
print(f"real kube-apiserver, audit log by user agent: operator writes in {r['idle_s']} s idle ({n} MDs)"
      f"|{r['idle_writes']}|{b['idle_writes']} (test server)|-|0")
print(f"real kube-apiserver: {n} MDs all Serving (s)|{r['serving_s']:.1f}"
      f"|{b['serving_s']:.1f} (test server); {r['accept_s']:.1f} (real API accepted creates)|{ratio(r['serving_s'], b['serving_s'])}|-")
PY
done
