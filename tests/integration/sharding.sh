#!/bin/bash
# Three operator replicas share the ModelDeployments (--sharding): each holds a member Lease of
# its own, a consistent hash over the live members gives every ModelDeployment to exactly one of
# them, for its reconcile and its monitoring. Checked through what users and Prometheus see: the
# member Leases, each replica's /metrics (its shard gauge, and the per-model monitoring gauges,
# which only the replica that monitors a model exports), and the ModelDeployments' status.
# Kill one replica: its models move to the other two once its Lease expires and keep being
# evaluated; add one: it takes a share; stop one cleanly: its Lease goes and so does its share.
# Runs on the test API server and on kube-apiserver (MG_TEST_SERVER=real).
source "$(dirname "$0")/lib.sh"
cd "$IT_ROOT"
NS=shard
MODELS=12
LEASE_S=6 RENEW_S=3 RETRY_S=1

it_start_cluster --kubelet
kubectl apply -f crds/ >/dev/null
kubectl wait --for condition=established --timeout=30s crd --all >/dev/null
kubectl create ns "$NS" >/dev/null

PORT=$(it_listen_port)
it_bg model /usr/bin/python3 hack/modelserver/modelserver.py --port "$PORT" --rate 400
it_wait "model server up" 10 curl -sf "http://127.0.0.1:$PORT/healthz"

kubectl --context bob -n "$NS" apply -f - >/dev/null <<YAML
apiVersion: mlops.modelgov.io/v1alpha1
kind: ModelVersion
metadata: {name: loans-1, annotations: {mlops.modelgov.io/author: bob}}
spec:
  model: loans
  version: "1"
  image: registry.example.com/models/loans
  digest: sha256:$(printf loans-1 | sha256sum | cut -d' ' -f1)
  baseline:
    samples: 50000
    accuracy: 0.91
    features:
    - {name: age, edges: [20, 30, 40, 50, 60], proportions: [0.05, 0.2, 0.3, 0.25, 0.15, 0.05]}
YAML
for k in security:alice performance:carol bias:alice; do
  it_review "$NS" "loans-1-${k%:*}" loans-1 "${k%:*}" approve "${k#*:}" >/dev/null
done
deploy() { # NAME
  kubectl -n "$NS" apply -f - >/dev/null <<YAML
apiVersion: mlops.modelgov.io/v1alpha1
kind: ModelDeployment
metadata: {name: $1}
spec: {modelVersion: loans-1, replicas: 1, port: $PORT, monitoring: {interval: 2s, window: 20s, minSamples: 1}}
YAML
}
for i in $(seq -w 0 $((MODELS - 1))); do deploy "md-$i"; done

start_replica() { # NAME
  it_bg "$1" bin/modelgov-operator --sharding --identity "$1" --leader-election-namespace "$NS" \
    --lease-duration-seconds $LEASE_S --renew-deadline-seconds $RENEW_S --retry-period-seconds $RETRY_S \
    --metrics-addr 127.0.0.1:0 --health-addr 127.0.0.1:0 --resync-seconds 30
}
metrics_port() { sed -n 's/.*listening server=metrics .*port=\([0-9]*\).*/\1/p' "$IT_DIR/$1.log" | head -1; }
scrape() { curl -sf "http://127.0.0.1:$(metrics_port "$1")/metrics"; }
gauge() { scrape "$1" | awk -v m="$2" '$1 == m {print $2}'; }
# The models a replica monitors: those it exports per-model gauges for.
monitored() { scrape "$1" | sed -n 's/^modelgov_model_window_samples{.*modeldeployment="\([^"]*\)".*/\1/p' | sort; }
# Every model monitored by exactly one of the replicas given.
partitioned() {
  local all
  all=$(for r in "$@"; do monitored "$r"; done | sort)
  [ "$(echo "$all" | grep -c .)" = "$MODELS" ] && [ -z "$(echo "$all" | uniq -d)" ]
}
members_are() { # N REPLICA...: every replica named sees N members
  local n=$1 r; shift
  for r in "$@"; do [ "$(gauge "$r" modelgov_operator_shard_members)" = "$n" ] || return 1; done
}
owned_sum() { local s=0 r; for r in "$@"; do s=$((s + $(gauge "$r" modelgov_operator_shard_modeldeployments))); done; echo $s; }
eval_times() { kubectl -n "$NS" get md -o jsonpath='{range .items[*]}{.metadata.name}={.status.lastEvaluation.time}{"\n"}{end}'; }
# Every model has an evaluation newer than the given RFC 3339 time.
all_evaluated_after() {
  local t=$1 n
  n=$(eval_times | awk -F= -v t="$t" '$2 > t' | grep -c .)
  [ "$n" = "$MODELS" ]
}
now_rfc3339() { date -u +%Y-%m-%dT%H:%M:%SZ; }

start_replica op-1; start_replica op-2; start_replica op-3
it_wait "every ModelDeployment Serving and judged" 90 bash -c \
  "[ \"\$(kubectl -n $NS get md -o jsonpath='{range .items[*]}{.status.phase}/{.status.lastEvaluation.judged} {end}' | tr ' ' '\n' | grep -c '^Serving/true$')\" = $MODELS ]"
it_eq "three member Leases" 3 "$(kubectl -n "$NS" get lease -l mlops.modelgov.io/member-of=modelgov-operator -o name | grep -c .)"
it_wait "each replica sees three members" 20 members_are 3 op-1 op-2 op-3
it_eq "the shards cover every ModelDeployment once" "$MODELS" "$(owned_sum op-1 op-2 op-3)"
it_wait "every model monitored by exactly one replica" 20 partitioned op-1 op-2 op-3
for r in op-1 op-2 op-3; do
  it_check "$r monitors a share" bash -c "[ $(monitored $r | grep -c .) -gt 0 ]"
done
evals() { local s=0 r; for r in "$@"; do s=$((s + $(scrape "$r" | awk '/^modelgov_operator_evaluations_total/ {n += $2} END {print n + 0}'))); done; echo $s; }
e0=$(evals op-1 op-2 op-3); t0=$SECONDS; sleep 10; e1=$(evals op-1 op-2 op-3); t1=$SECONDS
want=$(( MODELS * (t1 - t0) / 2 ))
it_check "evaluations across the replicas: once per model per 2 s interval ($((e1 - e0)) in $((t1 - t0)) s, want ~$want; twice would mean a model evaluated by two)" \
  bash -c "[ $((e1 - e0)) -gt 0 ] && [ $((e1 - e0)) -le $((want * 3 / 2)) ]"
it_eq "one leader among the replicas" 1 "$(( $(gauge op-1 modelgov_operator_leader) + $(gauge op-2 modelgov_operator_leader) + $(gauge op-3 modelgov_operator_leader) ))"

# --- a replica dies ---------------------------------------------------------------------------
victim=op-2 # not the leader: the shard is what moves here (leader failover: operator.sh)
[ "$(gauge op-2 modelgov_operator_leader)" = 1 ] && victim=op-3
kill -9 "$(eval echo "\$IT_PID_${victim//-/_}")"
killed=$SECONDS
left=$(printf '%s\n' op-1 op-2 op-3 | grep -v "^$victim$" | tr '\n' ' ')
it_wait "$victim's Lease expires: the others see two members" $((3 * LEASE_S)) members_are 2 $left
# How fast is a measurement, not an assertion (a loaded machine stretches it): printed for the
# reader; the wait above bounds it at three lease durations.
echo "# the share moved $((SECONDS - killed)) s after the kill (lease ${LEASE_S} s)"
it_eq "the two shards cover every ModelDeployment once" "$MODELS" "$(owned_sum $left)"
mark=$(now_rfc3339)
it_wait "every model evaluated again after the move" 30 all_evaluated_after "$mark"
# shellcheck disable=SC2086
it_wait "every model monitored by exactly one of the two" 20 partitioned $left

# --- a replica joins --------------------------------------------------------------------------
start_replica op-4
# shellcheck disable=SC2086
it_wait "the newcomer joins: three members everywhere" 30 members_are 3 $left op-4
# shellcheck disable=SC2086
it_wait "the newcomer takes a share" 30 bash -c "[ \"\$(curl -sf http://127.0.0.1:\$(sed -n 's/.*listening server=metrics .*port=\([0-9]*\).*/\1/p' $IT_DIR/op-4.log | head -1)/metrics | awk '\$1 == \"modelgov_operator_shard_modeldeployments\" {print \$2}')\" -gt 0 ]"
# shellcheck disable=SC2086
it_eq "three shards cover every ModelDeployment once" "$MODELS" "$(owned_sum $left op-4)"
# shellcheck disable=SC2086
it_wait "every model monitored by exactly one of the three" 30 partitioned $left op-4
deploy md-new
it_wait "a ModelDeployment created now is reconciled by its owner" 60 bash -c \
  "[ \"\$(kubectl -n $NS get md md-new -o jsonpath='{.status.phase}')\" = Serving ]"
MODELS=$((MODELS + 1))
mark=$(now_rfc3339)
it_wait "every model evaluated after the join" 30 all_evaluated_after "$mark"

# --- a replica stops cleanly ------------------------------------------------------------------
quitter=${left%% *}
kill -TERM "$(eval echo "\$IT_PID_${quitter//-/_}")"
it_wait "$quitter deletes its member Lease on SIGTERM" 15 bash -c \
  "! kubectl -n $NS get lease modelgov-operator-$quitter >/dev/null 2>&1"
rest=$(printf '%s\n' $left op-4 | grep -v "^$quitter$" | tr '\n' ' ')
# shellcheck disable=SC2086
it_wait "the others see two members at their next look" 10 members_are 2 $rest
# shellcheck disable=SC2086
it_eq "the two shards cover every ModelDeployment once" "$MODELS" "$(owned_sum $rest)"
it_finish
