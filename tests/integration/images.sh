#!/bin/bash
# The container images, built and run as images: `make images` (podman/buildah on a cached
# mmdebstrap base, in build/images), then each image runs --version on a read-only root; the
# webhook container, with its certificate and configuration mounted, serves /readyz over TLS
# against the test API server; the operator container leads (its Lease names the container) and
# hands the Lease back on `podman stop`. Checked as an attacker or auditor would look: the user
# the process really runs as, the root mount really read-only, no shell or package manager, every
# file owned by a package of the SBOM, the SBOM exactly the packages `ldd` asks for, the size
# goal, the OCI labels. Then `make release-images` pushes both to a local docker-registry, the
# digests are read back over the registry API, podman pulls by digest, and the chart renders the
# release values as REPOSITORY@DIGEST. On a real kube-apiserver (MG_TEST_SERVER=real) the demo's
# whole story is then played on the chart installed with those values (hack/demo.sh --images): a
# node agent runs the operator and the webhook from the pushed images, pinned by digest, under the
# chart's own identities. Skipped, with the reason, where podman cannot run.
source "$(dirname "$0")/lib.sh"
cd "$IT_ROOT"
source hack/images/lib.sh
source tests/integration/lib-registry.sh # reg_start
source tests/integration/lib-webhook.sh  # webhook_wait_port
images_config
# Once per make test: run-all.sh runs cluster suites on both servers, and the real pass covers
# more (the chart run from the images); two runs would share build/images.
if [ "${MG_TEST_SERVER:-}" = testcluster ] && hack/realcluster/realcluster binaries >/dev/null 2>&1; then
  echo "SKIP: the image suite runs in the real kube-apiserver pass (it builds the images once per make test)"
  exit 0
fi
if ! why=$(images_why_not); then
  echo "SKIP: the image suite needs podman: $why"
  exit 0
fi
SIZE_GOAL=40000000 # bytes, uncompressed, per image
UID_NONROOT=65532
EXTRA_PACKAGES="base-files ca-certificates" # rootfs.sh's, beside what ldd asks for
IMG_CTRS=()
IMG_MOUNTED=()
PULL_STORE=$IT_DIR/pull-store # a second, empty storage: pulls there fetch every layer
img_cleanup() {
  local c
  [ -d "$PULL_STORE" ] && (IMAGES_DIR=$PULL_STORE && images_config && images_reset)
  for c in "${IMG_CTRS[@]:-}"; do [ -n "$c" ] && podman rm --force --time 5 "$c" >/dev/null 2>&1; done
  for c in "${IMG_MOUNTED[@]:-}"; do [ -n "$c" ] && podman image unmount "$c" >/dev/null 2>&1; done
  images_unmount
}
trap 'img_cleanup; it_cleanup' EXIT

# --- make images --------------------------------------------------------------------------------
t0=$SECONDS
it_check "make images builds both images" bash -c "make --no-print-directory images >'$IT_DIR/images.log' 2>&1 || { tail -30 '$IT_DIR/images.log'; exit 1; }"
grep '^images:' "$IT_DIR/images.log" | sed 's/^/     /'
echo "     (make images took $((SECONDS - t0)) s)"
it_check "build/images/env points podman at the build's storage" \
  bash -c ". build/images/env && podman info --format '{{.Store.GraphRoot}}' | grep -qx '$IMAGES_DIR/storage'"
OP=localhost/modelgov-operator:$VERSION
WH=localhost/modelgov-webhook:$VERSION

# --- each image: version, user, labels, size, contents ------------------------------------------
# The Debian packages owning the libraries ldd lists for BINARY (each path asked as printed and
# resolved: on merged /usr dpkg knows one of the two; one dpkg-query for all of them).
ldd_packages() {
  local libs
  libs=$(ldd "$1" | awk '$2 == "=>" {print $3} $1 ~ /^\// {print $1}')
  # shellcheck disable=SC2046
  dpkg-query -S $libs $(realpath $libs) 2>/dev/null | cut -d: -f1 | sort -u
}
label() { podman image inspect -f "{{index .Labels \"$2\"}}" "$1"; }
check_image() { # TARGET IMAGE
  local t=$1 img=$2 size root
  it_eq "$t: --version on a read-only root" "modelgov-$t $VERSION" "$(podman run --rm --read-only "$img" --version 2>&1)"
  it_eq "$t: image user is $UID_NONROOT:$UID_NONROOT" "$UID_NONROOT:$UID_NONROOT" "$(podman image inspect -f '{{.Config.User}}' "$img")"
  it_eq "$t: label version" "$VERSION" "$(label "$img" org.opencontainers.image.version)"
  it_eq "$t: label revision is this checkout's commit" "$(git rev-parse HEAD)" "$(label "$img" org.opencontainers.image.revision | sed 's/-dirty$//')"
  it_eq "$t: label licenses" "Apache-2.0" "$(label "$img" org.opencontainers.image.licenses)"
  it_check "$t: label source" test -n "$(label "$img" org.opencontainers.image.source)"
  size=$(podman image inspect -f '{{.Size}}' "$img")
  it_check "$t: $size bytes <= $SIZE_GOAL" test "$size" -le "$SIZE_GOAL"
  it_check "$t: no shell (running /bin/sh fails)" bash -c "! podman run --rm --entrypoint /bin/sh '$img' -c true >/dev/null 2>&1"
  root=$(podman image mount "$img") || { it_fail "$t: image mount"; return; }
  IMG_MOUNTED+=("$img")
  it_check "$t: no shell, package manager or coreutils in the image" \
    bash -c "! ls '$root'/usr/bin/{sh,bash,dash,apt,apt-get,dpkg,ls,cat} '$root'/bin/sh 2>/dev/null | grep -q ."
  it_check "$t: SBOM beside the image equals the one inside" \
    cmp -s "$root/usr/share/modelgov/packages.txt" "$IMAGES_DIR/modelgov-$t.packages.txt"
  # The SBOM is exactly what ldd asks for: the host's ldd on the image's binary, whose libraries
  # the host's dpkg maps to packages (the host is the same Debian release).
  local want got
  want=$( (ldd_packages "$root/usr/local/bin/modelgov-$t"; printf '%s\n' $EXTRA_PACKAGES) | sort -u | tr '\n' ' ')
  got=$(grep -v '^#' "$root/usr/share/modelgov/packages.txt" | cut -d' ' -f1 | sort -u | tr '\n' ' ')
  it_eq "$t: SBOM packages = ldd's libraries' packages + $EXTRA_PACKAGES" "$want" "$got"
  it_check "$t: a dpkg status entry per SBOM package (scanners' layout)" \
    bash -c "[ \$(ls '$root/var/lib/dpkg/status.d' | grep -vc '\.md5sums\$') = \$(grep -vc '^#' '$root/usr/share/modelgov/packages.txt') ]"
  it_check "$t: every file is an unmodified file of an SBOM package (or the binary, users, CA bundle, SBOM)" \
    /usr/bin/python3 tests/integration/image-files.py "$root" "/usr/local/bin/modelgov-$t"
  podman image unmount "$img" >/dev/null
}
check_image operator "$OP"
check_image webhook "$WH"

# --- run against the test API server ------------------------------------------------------------
it_start_cluster
kubectl apply -f crds/ >/dev/null
kubectl wait --for condition=established --timeout=30s crd --all >/dev/null
kubectl create namespace modelgov-system >/dev/null
mkdir -p "$IT_DIR/kube" "$IT_DIR/config"
# self-contained (certificates inlined), as the container sees no file of the host but this one
kubectl config view --raw --flatten --minify >"$IT_DIR/kube/kubeconfig"
chmod 0644 "$IT_DIR/kube/kubeconfig"
hack/gen-certs.sh "$IT_DIR/tls" >/dev/null
# as the chart mounts its Secret: 0440, group = the pod's fsGroup
chgrp "$UID_NONROOT" "$IT_DIR/tls/tls.key" "$IT_DIR/tls/tls.crt" && chmod 0440 "$IT_DIR/tls/tls.key" "$IT_DIR/tls/tls.crt"
printf 'modelRepositories: ["registry.example.com/models/"]\nmode: enforce\n' >"$IT_DIR/config/config.yaml"

run_ctr() { # NAME podman-run-args... (detached, host network, read-only root, tracked for cleanup)
  local name=$1
  shift
  podman run -d --name "$name" --read-only --tmpfs /tmp "$@" >/dev/null || return 1
  IMG_CTRS+=("$name")
}
ctr_pid() { podman inspect -f '{{.State.Pid}}' "$1"; }
check_process() { # WHAT CONTAINER: the process's real uids and the root mount as the kernel sees them
  local pid
  pid=$(ctr_pid "$2")
  it_eq "$1: process runs as uid $UID_NONROOT (real, effective, saved, fs)" \
    "$UID_NONROOT $UID_NONROOT $UID_NONROOT $UID_NONROOT" "$(awk '/^Uid:/ {print $2, $3, $4, $5}' "/proc/$pid/status")"
  it_check "$1: root filesystem mounted read-only" bash -c "awk '\$5 == \"/\" {print \$6}' /proc/$pid/mountinfo | grep -qE '(^|,)ro(,|$)'"
}

WCTR=mg-images-webhook-$$
run_ctr "$WCTR" -v "$IT_DIR/tls:/etc/modelgov/tls:ro" -v "$IT_DIR/config:/etc/modelgov/config:ro" \
  -v "$IT_DIR/kube:/etc/modelgov/kube:ro" "$WH" --listen 127.0.0.1:0 --tls-cert /etc/modelgov/tls/tls.crt \
  --tls-key /etc/modelgov/tls/tls.key --config /etc/modelgov/config/config.yaml \
  --kubeconfig /etc/modelgov/kube/kubeconfig --log-format json --threads 2
it_check "webhook container started" podman container exists "$WCTR"
logs_to() { podman logs "$1" >"$IT_DIR/$1.log" 2>&1; }
WPORT=
for _ in $(seq 1 100); do
  logs_to "$WCTR"
  WPORT=$(webhook_wait_port "$IT_DIR/$WCTR.log") && break
done
it_check "webhook container listens" test -n "$WPORT"
it_wait "webhook container: /readyz over TLS (caches synced from the API server)" 30 \
  curl -sf --cacert "$IT_DIR/tls/ca.crt" "https://127.0.0.1:$WPORT/readyz"
check_process "webhook container" "$WCTR"
it_check "webhook container: TLS certificate is the mounted one" bash -c \
  "openssl s_client -connect 127.0.0.1:$WPORT -CAfile '$IT_DIR/tls/ca.crt' </dev/null 2>/dev/null | grep -q 'Verify return code: 0'"

OCTR=mg-images-operator-$$
run_ctr "$OCTR" --hostname "$OCTR" -v "$IT_DIR/kube:/etc/modelgov/kube:ro" "$OP" --kubeconfig /etc/modelgov/kube/kubeconfig \
  --metrics-addr 127.0.0.1:0 --health-addr 127.0.0.1:0 --leader-elect --leader-election-namespace modelgov-system
holder() { kubectl -n modelgov-system get lease modelgov-operator -o jsonpath='{.spec.holderIdentity}' 2>/dev/null; }
# The identity is HOSTNAME_PID: the container's hostname and pid 1 of its pid namespace.
it_wait "operator container leads (Lease held by ${OCTR}_1)" 30 bash -c "[ \"\$(kubectl -n modelgov-system get lease modelgov-operator -o jsonpath='{.spec.holderIdentity}')\" = '${OCTR}_1' ]"
check_process "operator container" "$OCTR"
it_check "operator container: podman stop (SIGTERM to pid 1) exits 0" \
  bash -c "podman stop --time 20 '$OCTR' >/dev/null && [ \"\$(podman inspect -f '{{.State.ExitCode}}' '$OCTR')\" = 0 ]"
it_eq "operator container: the Lease is handed back on stop" "" "$(holder)"
logs_to "$OCTR"

# --- push, read back, pull by digest, chart values ---------------------------------------------
reg_start
it_wait "docker-registry answers /v2/" 20 curl -sf "http://$REG/v2/"
it_check "make release-images REGISTRY=$REG pushes both" bash -c \
  "make --no-print-directory release-images REGISTRY=$REG TLS_VERIFY=false >'$IT_DIR/release.log' 2>&1 || { tail -20 '$IT_DIR/release.log'; exit 1; }"
grep '^release-images:' "$IT_DIR/release.log" | sed 's/^/     /'
ACCEPT='application/vnd.oci.image.manifest.v1+json,application/vnd.docker.distribution.manifest.v2+json'
for t in operator webhook; do
  d=$(sed -n "s|^release-images: $REG/modelgov-$t:$VERSION ||p" "$IT_DIR/release.log")
  it_check "$t: digest printed" test -n "$d"
  it_eq "$t: the registry serves the tag with that digest (Docker-Content-Digest)" "$d" \
    "$(curl -sfI -H "Accept: $ACCEPT" "http://$REG/v2/modelgov-$t/manifests/$VERSION" | tr -d '\r' | sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p')"
  it_eq "$t: the manifest's bytes hash to that digest" "$d" \
    "sha256:$(curl -sf -H "Accept: $ACCEPT" "http://$REG/v2/modelgov-$t/manifests/$d" | sha256sum | cut -d' ' -f1)"
  pulled=$(IMAGES_DIR=$PULL_STORE && images_config && images_insecure_registry "$REG" &&
    images_isolated podman pull --quiet "$REG/modelgov-$t@$d" 2>"$IT_DIR/pull-$t.log")
  it_eq "$t: podman pull by digest into an empty storage gives the built image (same image id)" \
    "$(podman image inspect -f '{{.Id}}' "localhost/modelgov-$t:$VERSION")" "$pulled"
  it_check "$t: release values pin $REG/modelgov-$t@$d" \
    bash -c "helm template mg charts/modelgov -f '$IMAGES_DIR/release-values.yaml' | grep -qF 'image: \"$REG/modelgov-$t@$d\"'"
done
# --- the whole story on the chart run from the pushed images, on a real API server -------------
# hack/demo.sh --images installs the chart with these release values on a real kube-apiserver
# whose node agent runs the chart's Pods with podman (pulled by digest from this suite's registry)
# and plays every step of the governance story against the operator and webhook containers,
# under the chart's ServiceAccounts and RBAC; its operator step checks each Pod's imageID (the
# pushed digest), podman container, user, fsGroup and read-only root (lib-chart-images.sh).
if it_server_is_real; then
  t0=$SECONDS
  if DEMO_OUT=$IT_DIR/demo DEMO_RELEASE_VALUES=$IMAGES_DIR/release-values.yaml hack/demo.sh --images; then
    it_pass "hack/demo.sh --images: every step of the story with the chart's containers ($((SECONDS - t0)) s)"
    # the governance reports carol wrote hold the state the operator container made
    for g in tests/integration/report-golden/*.json; do
      it_check "golden $(basename "$g"): the report's JSON holds the cluster's state" \
        /usr/bin/python3 tests/integration/report-check.py golden "$g" "$IT_DIR/demo"
    done
  else
    it_fail "hack/demo.sh --images (see its table above)"
  fi
else
  it_skip "the story on the chart run from the images (needs the real kube-apiserver: MG_TEST_SERVER=real)"
fi
it_finish
