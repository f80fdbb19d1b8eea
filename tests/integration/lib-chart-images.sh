# shellcheck shell=bash
# The chart installed on a real kube-apiserver whose node runs Pods with podman (realcluster up
# --kubelet --node-runtime=podman): the operator and the webhook run as containers from the
# images `make release-images` pushed, pinned by digest, under the chart's own ServiceAccounts
# and RBAC; the webhook configurations call the webhook container by URL (webhook.development)
# with a certificate for 127.0.0.1 that the chart adopts as its TLS Secret. Containers share the
# host's network, so the chart gets free ports and one webhook replica.
# Source after lib.sh; uses IT_DIR, kubectl's context admin and helm. Used by hack/demo.sh
# --images (which tests/integration/images.sh plays on the real server).
#   chart_images_install VALUES [HELM-ARGS...]  # release mg in modelgov-system; VALUES pins the
#       images (release-values.yaml); sets CHART_WPORT (webhook), CHART_MPORT/CHART_HPORT
#       (operator metrics/health), CHART_CA (the webhook's CA file); waits for the webhook
#       Deployment to be Available (the operator's too when it has replicas)
#   chart_images_pods VALUES  # each running Pod: imageID is the pinned digest, a podman
#       container, uid 65532 with fsGroup 65532, read-only root; prints one line per Pod,
#       returns 1 naming the first difference
CHART_NS=modelgov-system
CHART_RELEASE=mg
CHART_UID=65532 # the images' user and the chart's runAsUser/fsGroup
CHART_WPORT="" CHART_MPORT="" CHART_HPORT="" CHART_CA=""
CHART_TLS_SECRET=$CHART_RELEASE-modelgov-webhook-tls
CHART_AVAILABLE_S=180 # pulls and first starts on a loaded machine

chart_k() { kubectl --context admin -n "$CHART_NS" "$@"; }

# The Secret the chart would generate, made first for 127.0.0.1 (the URL the API server calls)
# and labelled as Helm's so that the release adopts it.
chart_tls_secret() {
  hack/gen-certs.sh "$IT_DIR/chart-tls" >/dev/null || return 1
  CHART_CA=$IT_DIR/chart-tls/ca.crt
  chart_k get namespace "$CHART_NS" >/dev/null 2>&1 || kubectl --context admin create namespace "$CHART_NS" >/dev/null || return 1
  chart_k create secret generic "$CHART_TLS_SECRET" --type kubernetes.io/tls \
    --from-file=tls.crt="$IT_DIR/chart-tls/tls.crt" --from-file=tls.key="$IT_DIR/chart-tls/tls.key" \
    --from-file=ca.crt="$CHART_CA" >/dev/null &&
    chart_k label secret "$CHART_TLS_SECRET" app.kubernetes.io/managed-by=Helm >/dev/null &&
    chart_k annotate secret "$CHART_TLS_SECRET" meta.helm.sh/release-name="$CHART_RELEASE" \
      meta.helm.sh/release-namespace="$CHART_NS" >/dev/null
}

chart_images_install() { # VALUES [HELM-ARGS...]
  local values=$1
  shift
  CHART_WPORT=$(it_listen_port) CHART_MPORT=$(it_listen_port) CHART_HPORT=$(it_listen_port)
  chart_tls_secret || { echo "chart: the webhook's TLS Secret could not be made"; return 1; }
  if ! helm --kube-context admin install "$CHART_RELEASE" charts/modelgov -n "$CHART_NS" -f "$values" \
    --set webhook.replicas=1 --set webhook.port="$CHART_WPORT" \
    --set operator.metricsPort="$CHART_MPORT" --set operator.healthPort="$CHART_HPORT" \
    --set webhook.development.url="https://127.0.0.1:$CHART_WPORT" \
    --set webhook.development.caBundle="$(base64 -w0 "$CHART_CA")" "$@" >"$IT_DIR/helm.log" 2>&1; then
    echo "helm install failed: $(tail -3 "$IT_DIR/helm.log")"
    return 1
  fi
  chart_images_available webhook
}

chart_images_available() { # COMPONENT: its Deployment Available within CHART_AVAILABLE_S
  if ! chart_k wait --for condition=Available --timeout="${CHART_AVAILABLE_S}s" deployment \
    -l "app.kubernetes.io/component=$1" >/dev/null 2>&1; then
    chart_k get pods -o yaml >"$IT_DIR/chart-pods.yaml" 2>&1
    echo "the $1 Deployment is not Available (Pods: $IT_DIR/chart-pods.yaml)"
    return 1
  fi
}

chart_pinned() { # VALUES COMPONENT → REPOSITORY@DIGEST as the release values pin it
  awk -v c="$2:" '$1 == c {in_c = 1; next} /^[^ ]/ {in_c = 0}
    in_c && $1 == "repository:" {r = $2} in_c && $1 == "digest:" {gsub(/"/, "", $2); d = $2}
    END {print r "@" d}' "$1"
}

chart_images_pods() { # VALUES
  local t pod cid pid want got
  for t in operator webhook; do
    pod=$(chart_k get pods -l "app.kubernetes.io/component=$t" --field-selector status.phase=Running \
      -o jsonpath='{.items[0].metadata.name}' 2>/dev/null)
    [ -n "$pod" ] || { echo "no running $t Pod"; return 1; }
    want=$(chart_pinned "$1" "$t")
    got=$(chart_k get pod "$pod" -o jsonpath='{.status.containerStatuses[0].imageID}')
    [ "$got" = "$want" ] || { echo "$t Pod $pod: imageID $got, want $want"; return 1; }
    cid=$(chart_k get pod "$pod" -o jsonpath='{.status.containerStatuses[0].containerID}')
    case $cid in podman://*) ;; *) echo "$t Pod $pod: container $cid is not a podman container"; return 1 ;; esac
    # shellcheck disable=SC2034 # images_config reads IMAGES_DIR
    pid=$(IMAGES_DIR=$IT_DIR/cluster/node/podman && images_config && podman inspect -f '{{.State.Pid}}' "${cid#podman://}")
    got=$(awk '/^Uid:/ {u = $2 " " $3} /^Groups:/ {g = $2} END {print u "|" g}' "/proc/$pid/status")
    [ "$got" = "$CHART_UID $CHART_UID|$CHART_UID" ] || { echo "$t Pod $pod: uid|groups $got, want $CHART_UID"; return 1; }
    awk '$5 == "/" {print $6}' "/proc/$pid/mountinfo" | grep -qE '(^|,)ro(,|$)' ||
      { echo "$t Pod $pod: root filesystem is writable"; return 1; }
    echo "$t Pod $pod: $want, podman, uid $CHART_UID, read-only root"
  done
}
