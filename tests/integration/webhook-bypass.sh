#!/bin/bash
# The ways around the policy an attacker would try, through the API server as a namespace user
# (kubectl as alice, bob and carol), with the webhook registered exactly as the chart renders it
# (tests/integration/lib-webhook.sh): each section is one class of bypass and fails on a product
# that leaves it open.
#   admission coverage   kubectl set image on a Pod, kubectl debug (ephemeral containers),
#                        PodTemplate, ReplicationController and every workload template; the
#                        scale subresources of ReplicaSets, StatefulSets, ReplicationControllers
#                        and Deployments for a quarantined model (refused at the API).
#   image identity       the model registry spelled as localhost, [::1], with a zero-padded port,
#                        in capitals, through a configured alias, Docker Hub under its other
#                        names; a model's digest pulled under another repository name.
#   tags pinned          a model image admitted by tag (Pod, Deployment, CronJob, kubectl set
#                        image, kubectl debug) is stored as tag@digest of the approved version by
#                        the chart's MutatingWebhookConfiguration; a tag re-pushed later changes
#                        nothing that was admitted.
#   bounded work         a Deployment of 8,000 containers created and updated to 8,000 other
#                        images gets the policy's answer, not a webhook timeout.
#   no hijacking         a ModelVersion whose image is busybox is refused, so busybox still runs.
#   owner chain          under requireModelDeployment, a Pod (or ReplicaSet) with a made-up
#                        controller ownerReference, or one naming a real object with another uid,
#                        or a chain that does not end at the ModelDeployment running the model, is
#                        refused; the real chain ModelDeployment → Deployment → ReplicaSet → Pod
#                        is admitted.
# Needs: bin/modelgov-webhook, docker-registry, helm (.tools), kubectl.
source "$(dirname "$0")/lib.sh"
cd "$IT_ROOT"
[ -x "${MG_WEBHOOK_BIN:-bin/modelgov-webhook}" ] || { echo "${MG_WEBHOOK_BIN:-bin/modelgov-webhook} not built (make all)"; exit 1; }
command -v docker-registry >/dev/null || { echo "docker-registry not installed (apt-get install docker-registry)"; exit 1; }
source "$(dirname "$0")/lib-registry.sh" # reg_start, push_image
source "$(dirname "$0")/lib-webhook.sh"  # webhook_certs, webhook_start, webhook_register, expect_*

# --- registry, cluster, webhook --------------------------------------------------------------
reg_start
it_wait "docker-registry answers /v2/" 20 curl -sf "http://$REG/v2/"
DM=$(push_image models/fraud 1.0.0 approved)
DU=$(push_image models/fraud 2.0.0 unreviewed)
it_check "two model images pushed" bash -c "[ -n '$DM' ] && [ -n '$DU' ] && [ '$DM' != '$DU' ]"
APPROVED=$REG/models/fraud@$DM
UNAPPROVED=$REG/models/fraud@$DU

it_start_cluster
kubectl apply -f crds/ >/dev/null
kubectl wait --for condition=established --timeout=30s crd --all >/dev/null
kubectl create ns ml >/dev/null
kubectl label ns ml modelgov.io/governed=true >/dev/null

webhook_certs
cat >"$IT_DIR/policy.yaml" <<YAML
modelRepositories: ["$REG/models/", "docker.io/mlcorp/"]
registries:
- {host: "$REG", plainHTTP: true, aliases: ["registry.internal:$RPORT"]}
YAML
webhook_start wh "$IT_DIR/policy.yaml"
webhook_register "$WPORT" "$IT_DIR/ca.crt" || { echo "FATAL: cannot register the chart's webhook configurations"; exit 1; }

as() { local u=$1; shift; kubectl --context "$u" -n ml "$@"; }
pod() { # NAME IMAGE: a Pod created from a manifest (kubectl run checks image names itself)
  printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: %s}\nspec: {containers: [{name: m, image: "%s"}]}\n' "$1" "$2" |
    as alice create -f -
}
admitted() { as alice create deployment probe --image="$1" --dry-run=server -o name >/dev/null 2>&1; }
refused() { ! admitted "$1"; }

# --- governance records: fraud 1.0.0 approved, 2.0.0 unreviewed --------------------------------
mv_yaml() { # NAME VERSION DIGEST
  printf 'apiVersion: mlops.modelgov.io/v1alpha1\nkind: ModelVersion\nmetadata: {name: %s, annotations: {mlops.modelgov.io/author: bob}}\nspec: {model: fraud, version: "%s", image: %s/models/fraud, digest: "%s"}\n' \
    "$1" "$2" "$REG" "$3"
}
review() { it_review ml "$@" >/dev/null; } # NAME MV KIND VERDICT REVIEWER
mv_yaml fraud-1-0-0 1.0.0 "$DM" | as bob apply -f - >/dev/null
mv_yaml fraud-2-0-0 2.0.0 "$DU" | as bob apply -f - >/dev/null
review r-sec fraud-1-0-0 security approve alice
review r-perf fraud-1-0-0 performance approve carol
review r-bias fraud-1-0-0 bias approve alice
it_wait "the webhook sees fraud 1.0.0 approved" 20 admitted "$APPROVED"

# --- class 1: admission coverage -------------------------------------------------------------
expect_ok "a plain pod (alice)" as alice run p --image=nginx:1.25
expect_denied "kubectl set image pod/p to an unreviewed model (Pod UPDATE) refused" "is not approved" \
  as alice set image pod/p p="$UNAPPROVED"
# The built-in edit role grants a namespace user neither pods/ephemeralcontainers (kubectl debug)
# nor podtemplates: those who are granted them (here admin; on a real server RBAC refuses alice)
# meet the same webhook.
expect_denied "kubectl debug with an unreviewed model (pods/ephemeralcontainers) refused" "is not approved" \
  as admin debug pod/p --image="$UNAPPROVED" -c dbg
expect_ok "kubectl debug with an approved model admitted" as admin debug pod/p --image="$APPROVED" -c dbg-ok
template() { # KIND NAME IMAGE REPLICAS: the object as YAML
  local spec="{containers: [{name: m, image: \"$3\"}]}" labels="{app: $2}"
  case $1 in
  PodTemplate) printf 'apiVersion: v1\nkind: PodTemplate\nmetadata: {name: %s}\ntemplate: {metadata: {labels: %s}, spec: %s}\n' "$2" "$labels" "$spec" ;;
  ReplicationController) printf 'apiVersion: v1\nkind: ReplicationController\nmetadata: {name: %s}\nspec: {replicas: %s, selector: %s, template: {metadata: {labels: %s}, spec: %s}}\n' "$2" "$4" "$labels" "$labels" "$spec" ;;
  ReplicaSet | Deployment) printf 'apiVersion: apps/v1\nkind: %s\nmetadata: {name: %s}\nspec: {replicas: %s, selector: {matchLabels: %s}, template: {metadata: {labels: %s}, spec: %s}}\n' "$1" "$2" "$4" "$labels" "$labels" "$spec" ;;
  StatefulSet) printf 'apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: %s}\nspec: {replicas: %s, serviceName: %s, selector: {matchLabels: %s}, template: {metadata: {labels: %s}, spec: %s}}\n' "$2" "$4" "$2" "$labels" "$labels" "$spec" ;;
  DaemonSet) printf 'apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: %s}\nspec: {selector: {matchLabels: %s}, template: {metadata: {labels: %s}, spec: %s}}\n' "$2" "$labels" "$labels" "$spec" ;;
  Job) printf 'apiVersion: batch/v1\nkind: Job\nmetadata: {name: %s}\nspec: {template: {spec: {restartPolicy: Never, containers: [{name: m, image: "%s"}]}}}\n' "$2" "$3" ;;
  CronJob) printf 'apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: %s}\nspec: {schedule: "0 0 * * *", jobTemplate: {spec: {template: {spec: {restartPolicy: Never, containers: [{name: m, image: "%s"}]}}}}}\n' "$2" "$3" ;;
  esac
}
user_for() { if [ "$1" = PodTemplate ]; then echo admin; else echo alice; fi; } # see kubectl debug
create() { template "$@" | as "$(user_for "$1")" create -f -; }
for kind in PodTemplate ReplicationController ReplicaSet StatefulSet DaemonSet Job CronJob Deployment; do
  lower=$(tr '[:upper:]' '[:lower:]' <<<"$kind")
  expect_denied "$kind with an unreviewed model refused" "is not approved" create "$kind" "bad-$lower" "$UNAPPROVED" 1
done
expect_ok "PodTemplate with the approved model admitted" create PodTemplate pt "$APPROVED" 1
expect_denied "PodTemplate updated to an unreviewed model refused" "is not approved" \
  as admin patch podtemplate pt --type=json -p "[{\"op\":\"replace\",\"path\":\"/template/spec/containers/0/image\",\"value\":\"$UNAPPROVED\"}]"

# --- class 2: image identity -----------------------------------------------------------------
for spelled in "localhost:$RPORT" "LocalHost:$RPORT" "[::1]:$RPORT" "127.0.0.1:0$RPORT" "127.1:$RPORT" \
  "registry.internal:$RPORT"; do
  expect_denied "the model registry spelled $spelled: unreviewed digest refused" "is not approved" \
    pod "id-$RANDOM" "$spelled/models/fraud@$DU"
done
expect_denied "the model registry in capitals: unreviewed tag refused" "is not approved" \
  as alice run id-caps --image="LOCALHOST:$RPORT/models/fraud:2.0.0"
expect_ok "the model registry spelled localhost: the approved tag resolves (registry settings by canonical host)" \
  as alice run id-tag --image="localhost:$RPORT/models/fraud:1.0.0"
expect_denied "a model's digest under another repository of the registry refused" "is not approved" \
  as alice run id-moved --image="$REG/other/thing@$DU"
expect_denied "a model's digest under another registry's name refused" "is not approved" \
  as alice run id-elsewhere --image="evil.example.com/x:latest@$DU"
expect_ok "the approved digest under another name admitted (the same content)" \
  as alice run id-same --image="evil.example.com/x@$DM"
# the same bytes pushed under another repository of the model registry and pulled by tag: the
# registry says what the tag holds, and the content decides (and the image is pinned to it)
copied=$(push_image other/thing v1 unreviewed)
it_check "the unreviewed model copied to other/thing:v1 (same digest)" test "$copied" = "$DU"
expect_denied "an unreviewed model copied under another repository, by tag, refused" "is not approved" \
  as alice run id-copy --image="$REG/other/thing:v1"
push_image other/ok v1 approved >/dev/null
expect_ok "the approved model copied under another repository, by tag, admitted" \
  as alice run id-copy-ok --image="$REG/other/ok:v1"
it_eq "... and pinned to the digest judged" "$REG/other/ok:v1@$DM" \
  "$(as alice get pod/id-copy-ok -o jsonpath='{.spec.containers[0].image}')"
plain=$(push_image base/tool 1 "an ordinary tool")
expect_ok "an ordinary image of the model registry, by tag, admitted" as alice run id-plain --image="$REG/base/tool:1"
it_eq "... and pinned to what the tag held" "$REG/base/tool:1@$plain" \
  "$(as alice get pod/id-plain -o jsonpath='{.spec.containers[0].image}')"
for spelled in registry-1.docker.io/mlcorp index.docker.io/mlcorp Registry.Hub.Docker.com/mlcorp docker.io:443/mlcorp mlcorp; do
  expect_denied "a Docker Hub model repository spelled $spelled refused (no ModelVersion)" "has an unknown tag" \
    as alice run "hub-$RANDOM" --image="$spelled/fraud:1.0.0"
done

# --- class 8: tags are pinned to the approved digest (the chart's MutatingWebhookConfiguration) ---
TAG=$REG/models/fraud:1.0.0
image_of() { as alice get "$1" -o jsonpath="$2"; } # OBJECT JSONPATH
pinned() { # WHAT OBJECT JSONPATH: one check, the image there is the tag pinned to the approved digest
  local got
  got=$(image_of "$2" "$3")
  if [ "$got" = "$TAG@$DM" ]; then it_pass "$1"; else it_fail "$1 (image is '$got', want $TAG@$DM)"; fi
}
expect_ok "a pod by the approved tag admitted" as alice run pin-pod --image="$TAG"
pinned "the pod's image pinned to the approved digest" pod/pin-pod '{.spec.containers[0].image}'
expect_ok "a Deployment by the approved tag admitted" as alice create deployment pin-dep --image="$TAG"
pinned "the Deployment's template pinned (its pods inherit the digest)" deploy/pin-dep \
  '{.spec.template.spec.containers[0].image}'
expect_ok "a CronJob by the approved tag admitted" as alice create cronjob pin-cj --image="$TAG" --schedule="0 0 * * *"
pinned "the CronJob's job template pinned" cronjob/pin-cj '{.spec.jobTemplate.spec.template.spec.containers[0].image}'
expect_ok "kubectl set image pod/p to the approved tag (Pod UPDATE) admitted" as alice set image pod/p p="$TAG"
pinned "the updated pod's image pinned" pod/p '{.spec.containers[0].image}'
expect_ok "kubectl debug with the approved tag admitted" as admin debug pod/p --image="$TAG" -c dbg-tag
pinned "the ephemeral container pinned" pod/p '{.spec.ephemeralContainers[?(@.name=="dbg-tag")].image}'
expect_ok "an image already pinned (tag@digest) admitted" as alice run pin-again --image="$TAG@$DM"
pinned "an image already pinned is left as it is" pod/pin-again '{.spec.containers[0].image}'
expect_ok "an ordinary image admitted" as alice run pin-plain --image=nginx:1.25
it_eq "an ordinary image is left as it is" "nginx:1.25" "$(image_of pod/pin-plain '{.spec.containers[0].image}')"
repushed=$(push_image models/fraud 1.0.0 "not what was reviewed")
it_check "tag 1.0.0 re-pushed with other bytes" bash -c "[ -n '$repushed' ] && [ '$repushed' != '$DM' ]"
pinned "after the re-push, the admitted pod still names the approved digest" pod/pin-pod '{.spec.containers[0].image}'
pinned "after the re-push, the Deployment's template still names the approved digest" deploy/pin-dep \
  '{.spec.template.spec.containers[0].image}'
after_repush() { # a new pod by the tag is refused, or (tag cache) pinned to the approved digest
  local out
  if out=$(as alice run pin-late --image="$TAG" 2>&1); then
    [ "$(image_of pod/pin-late '{.spec.containers[0].image}')" = "$TAG@$DM" ] && return 0
    echo "    admitted as $(image_of pod/pin-late '{.spec.containers[0].image}')"
    return 1
  fi
  grep -q "the tag was re-pushed" <<<"$out" || { echo "    $out"; return 1; }
}
it_check "after the re-push, a new pod by the tag never runs the new bytes" after_repush

# --- class 10: bounded work per request ----------------------------------------------------------
# A Deployment with thousands of containers (8,000: with the API server's defaults about 1.4 MB,
# near the 1.5 MiB it stores; an UPDATE's review carries it twice), created and then updated to as
# many other images: the webhooks get the policy's answer to the API server within the chart's
# timeout, never "failed calling webhook" (which failurePolicy Fail turns into a refusal without
# the policy's reason). That the work grows linearly is measured by bench_admission.
WIDE=8000
wide() { # NAME IMAGE-STEM [LAST-IMAGE]: a Deployment of $WIDE containers as JSON
  /usr/bin/python3 - "$1" "$2" "${3:-}" "$WIDE" <<'PY'
import json, sys
name, stem, last, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
cs = [{'name': 'c%d' % i, 'image': '%s:%d' % (stem, i)} for i in range(n)]
if last:
    cs[-1]['image'] = last
print(json.dumps({'apiVersion': 'apps/v1', 'kind': 'Deployment', 'metadata': {'name': name},
                  'spec': {'replicas': 0, 'selector': {'matchLabels': {'app': name}},
                           'template': {'metadata': {'labels': {'app': name}}, 'spec': {'containers': cs}}}}))
PY
}
wide wide-bad nginx "$UNAPPROVED" >"$IT_DIR/wide-bad.json"
expect_denied "$WIDE containers, the last an unreviewed model: refused with the policy's reason" "is not approved" \
  as alice create -f "$IT_DIR/wide-bad.json"
wide wide reg.example/a >"$IT_DIR/wide.json"
expect_ok "$WIDE containers of ordinary images admitted" as alice create -f "$IT_DIR/wide.json"
wide wide reg.example/b "$UNAPPROVED" >"$IT_DIR/wide-b-bad.json"
expect_denied "updated to $WIDE other images, one an unreviewed model: refused with the policy's reason" \
  "is not approved" on_conflict_retry as alice replace -f "$IT_DIR/wide-b-bad.json"
wide wide reg.example/b >"$IT_DIR/wide-b.json"
expect_ok "updated to $WIDE other ordinary images: admitted" on_conflict_retry as alice replace -f "$IT_DIR/wide-b.json"

# --- class 11: no hijacking of ordinary images -------------------------------------------------
BUSYBOX_DIGEST=sha256:$(printf busybox | sha256sum | cut -d' ' -f1)
expect_denied "a ModelVersion whose image is busybox refused" "is not under a model repository" \
  bash -c "$(declare -f mv_yaml); REG=$REG mv_yaml hijack 1.36 $BUSYBOX_DIGEST | sed 's#image: [^,]*#image: busybox#' | kubectl --context bob -n ml apply -f -"
expect_ok "busybox still runs in the namespace" as alice run bb --image=busybox:1.36
expect_ok "a busybox digest that no ModelVersion carries runs" as alice run bb-digest --image="busybox@$BUSYBOX_DIGEST"

# --- class 12: requireModelDeployment checks the whole owner chain ----------------------------
sed 's/^modelRepositories/requireModelDeployment: true\nmodelRepositories/' "$IT_DIR/policy.yaml" >"$IT_DIR/policy-md.yaml"
kill "$IT_PID_wh" 2>/dev/null
wait "$IT_PID_wh" 2>/dev/null
webhook_start wh-md "$IT_DIR/policy-md.yaml"
webhook_register "$WPORT" "$IT_DIR/ca.crt" || { echo "FATAL: cannot register the chart's webhook configurations"; exit 1; }
owned() { # KIND NAME OWNER-API OWNER-KIND OWNER-NAME OWNER-UID: the object as YAML, running the approved model
  local meta="{name: $2, labels: {app: chain}, ownerReferences: [{apiVersion: $3, kind: $4, name: $5, uid: \"$6\", controller: true}]}"
  local spec="{containers: [{name: m, image: \"$APPROVED\"}]}"
  case $1 in
  Pod) printf 'apiVersion: v1\nkind: Pod\nmetadata: %s\nspec: %s\n' "$meta" "$spec" ;;
  *) printf 'apiVersion: apps/v1\nkind: %s\nmetadata: %s\nspec: {replicas: 1, selector: {matchLabels: {app: chain}}, template: {metadata: {labels: {app: chain}}, spec: %s}}\n' "$1" "$meta" "$spec" ;;
  esac
}
uid_of() { kubectl -n ml get "$1" -o jsonpath='{.metadata.uid}'; }
FAKE_UID=$(cat /proc/sys/kernel/random/uuid)
expect_denied "requireModelDeployment: a pod with a made-up controller ownerReference refused" \
  "its controller ReplicaSet fake-rs does not exist" \
  bash -c "$(declare -f owned); APPROVED=$APPROVED owned Pod fake-owner apps/v1 ReplicaSet fake-rs $FAKE_UID | kubectl --context alice -n ml create -f -"
printf 'apiVersion: mlops.modelgov.io/v1alpha1\nkind: ModelDeployment\nmetadata: {name: chain}\nspec: {modelVersion: fraud-1-0-0, replicas: 0}\n' |
  kubectl -n ml apply -f - >/dev/null
MD_UID=$(uid_of md/chain)
dep_admitted() { owned Deployment chain mlops.modelgov.io/v1alpha1 ModelDeployment chain "$MD_UID" | as alice create --dry-run=server -f - >/dev/null 2>&1; }
it_wait "the webhook sees ModelDeployment chain" 20 dep_admitted
expect_ok "the ModelDeployment's Deployment admitted" \
  bash -c "$(declare -f owned); APPROVED=$APPROVED owned Deployment chain mlops.modelgov.io/v1alpha1 ModelDeployment chain $MD_UID | kubectl -n ml create -f -"
DEP_UID=$(uid_of deploy/chain)
rs_admitted() { owned ReplicaSet chain-rs apps/v1 Deployment chain "$DEP_UID" | as alice create --dry-run=server -f - >/dev/null 2>&1; }
it_wait "the webhook sees the Deployment" 20 rs_admitted
expect_ok "its ReplicaSet admitted" \
  bash -c "$(declare -f owned); APPROVED=$APPROVED owned ReplicaSet chain-rs apps/v1 Deployment chain $DEP_UID | kubectl -n ml create -f -"
RS_UID=$(uid_of rs/chain-rs)
pod_admitted() { owned Pod chain-pod apps/v1 ReplicaSet chain-rs "$RS_UID" | as alice create --dry-run=server -f - >/dev/null 2>&1; }
it_wait "a Pod of that ReplicaSet admitted (the whole chain verified in the caches)" 20 pod_admitted
expect_denied "requireModelDeployment: a pod naming the real ReplicaSet with another uid refused" "with uid $FAKE_UID" \
  bash -c "$(declare -f owned); APPROVED=$APPROVED owned Pod stolen-name apps/v1 ReplicaSet chain-rs $FAKE_UID | kubectl --context alice -n ml create -f -"
expect_ok "a plain Deployment of alice's (nginx)" as alice create deployment mine --image=nginx:1.25
MINE_UID=$(uid_of deploy/mine)
expect_denied "requireModelDeployment: a ReplicaSet under a Deployment no ModelDeployment controls refused" \
  "Deployment mine has no controller" \
  bash -c "$(declare -f owned); APPROVED=$APPROVED owned ReplicaSet mine-rs apps/v1 Deployment mine $MINE_UID | kubectl --context alice -n ml create -f -"
expect_denied "requireModelDeployment: a StatefulSet claiming the ModelDeployment refused" "is not part of a ModelDeployment" \
  bash -c "$(declare -f owned); APPROVED=$APPROVED owned StatefulSet sts-claim mlops.modelgov.io/v1alpha1 ModelDeployment chain $MD_UID | sed 's/replicas: 1,/replicas: 1, serviceName: x,/' | kubectl --context alice -n ml create -f -"
kill "$IT_PID_wh_md" 2>/dev/null
wait "$IT_PID_wh_md" 2>/dev/null
webhook_start wh2 "$IT_DIR/policy.yaml"
webhook_register "$WPORT" "$IT_DIR/ca.crt" || { echo "FATAL: cannot register the chart's webhook configurations"; exit 1; }

# quarantine: every scalable kind, spec.replicas and the scale subresource
for kind in ReplicaSet StatefulSet ReplicationController Deployment; do
  lower=$(tr '[:upper:]' '[:lower:]' <<<"$kind")
  expect_ok "$kind of the approved model admitted" create "$kind" "q-$lower" "$APPROVED" 1
done
review r-incident fraud-1-0-0 incident confirm carol
it_wait "the webhook sees fraud 1.0.0 quarantined" 20 refused "$APPROVED"
for res in replicaset statefulset replicationcontroller deployment; do
  expect_denied "quarantined: kubectl scale $res --replicas=3 (the scale subresource) refused" "is quarantined" \
    as alice scale "$res" "q-$res" --replicas=3
  expect_denied "quarantined: $res spec.replicas raised refused" "is quarantined" \
    as alice patch "$res" "q-$res" --type=merge -p '{"spec":{"replicas":2}}'
  expect_ok "quarantined: $res scaled to 0 admitted" as alice scale "$res" "q-$res" --replicas=0
done

it_finish
