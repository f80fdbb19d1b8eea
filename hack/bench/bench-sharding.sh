#!/bin/bash
# Sharding figure: three operator replicas with --sharding (member Leases of
# BENCH_SHARDING_LEASE_S seconds, default 6) share MODELS ModelDeployments; one replica other than
# the leader is killed with SIGKILL, and the time until both survivors count two members and
# their shards cover every ModelDeployment again is measured from their /metrics (polled every
# POLL_S). BENCH_SHARDING_ROUNDS kills (default 3), the victim restarted between rounds. Runs on
# the real kube-apiserver when hack/realcluster finds the binaries, else on the test API server
# (the row says which). Baseline: the lease duration; goal: within one. Rows on stdout for
# hack/bench/run.sh: figure|modelgov|baseline|ratio|goal.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
if "$ROOT/hack/realcluster/realcluster" binaries >/dev/null 2>&1; then
  export MG_TEST_SERVER=real
else
  export MG_TEST_SERVER=testcluster
fi
source "$ROOT/tests/integration/lib.sh" >/dev/null
cd "$IT_ROOT" || exit 1
NS=shard MODELS=12 POLL_S=0.2
LEASE_S=${BENCH_SHARDING_LEASE_S:-6} ROUNDS=${BENCH_SHARDING_ROUNDS:-3}
RENEW_S=$((LEASE_S / 2)) RETRY_S=1
{
  it_start_cluster --kubelet
  kubectl apply -f crds/ >/dev/null
  kubectl wait --for condition=established --timeout=60s crd --all >/dev/null
  kubectl create ns "$NS" >/dev/null
  for i in $(seq -w 0 $((MODELS - 1))); do
    kubectl -n "$NS" apply -f - >/dev/null <<YAML
apiVersion: mlops.modelgov.io/v1alpha1
kind: ModelDeployment
metadata: {name: md-$i}
spec: {modelVersion: loans-1, replicas: 1}
YAML
  done
} >&2

start_replica() { # NAME
  it_bg "$1" bin/modelgov-operator --sharding --identity "$1" --leader-election-namespace "$NS" \
    --lease-duration-seconds "$LEASE_S" --renew-deadline-seconds "$RENEW_S" --retry-period-seconds $RETRY_S \
    --metrics-addr 127.0.0.1:0 --health-addr 127.0.0.1:0 --resync-seconds 30
}
metrics_port() { sed -n 's/.*listening server=metrics .*port=\([0-9]*\).*/\1/p' "$IT_DIR/$1.log" | head -1; }
gauge() { curl -sf "http://127.0.0.1:$(metrics_port "$1")/metrics" | awk -v m="$2" '$1 == m {print $2}'; }
settled() { # N REPLICA...: each sees N members and their shards cover every ModelDeployment
  local n=$1 r s=0 o; shift
  for r in "$@"; do
    [ "$(gauge "$r" modelgov_operator_shard_members)" = "$n" ] || return 1
    o=$(gauge "$r" modelgov_operator_shard_modeldeployments) && [ -n "$o" ] || return 1
    s=$((s + o))
  done
  [ "$s" = "$MODELS" ]
}
wait_settled() { # DEADLINE_S N REPLICA...
  local end=$((SECONDS + $1)); shift
  until settled "$@"; do
    [ $SECONDS -lt $end ] || return 1
    sleep $POLL_S
  done
}

start_replica op-1; start_replica op-2; start_replica op-3
wait_settled 120 3 op-1 op-2 op-3 || { echo "bench-sharding: the replicas never shared the models" >&2; exit 1; }
times=()
for round in $(seq "$ROUNDS"); do
  victim=op-2
  [ "$(gauge op-2 modelgov_operator_leader)" = 1 ] && victim=op-3
  left=$(printf '%s\n' op-1 op-2 op-3 | grep -v "^$victim$" | tr '\n' ' ')
  kill -9 "$(eval echo "\$IT_PID_${victim//-/_}")"
  t0=$(date +%s.%N)
  # shellcheck disable=SC2086 # two replica names
  wait_settled $((10 * LEASE_S)) 2 $left || { echo "bench-sharding: round $round: the shards did not move" >&2; exit 1; }
  t1=$(date +%s.%N)
  times+=("$(echo "$t1 - $t0" | bc)")
  echo "bench-sharding: round $round: $victim killed, shards moved after ${times[-1]} s (lease $LEASE_S s)" >&2
  start_replica "$victim"
  wait_settled 120 3 op-1 op-2 op-3 || { echo "bench-sharding: $victim did not rejoin" >&2; exit 1; }
done
/usr/bin/python3 - "$MG_TEST_SERVER" "$LEASE_S" "$MODELS" "${times[@]}" <<'PY'
import statistics, sys
server, lease, models = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
t = sorted(float(x) for x in sys.argv[4:])
where = "kube-apiserver" if server == "real" else "test API server"
print(f"sharding: shards moved after a replica dies, s (median of {len(t)}, max {t[-1]:.1f}; 3 replicas, "
      f"{models} MDs, {where})|{statistics.median(t):.1f}|{lease:.0f} (lease duration)|"
      f"{statistics.median(t) / lease:.2f}x|<= 1 lease duration")
PY
