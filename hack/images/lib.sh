# Shared by hack/images/*.sh and tests/integration/images.sh (source it): podman/buildah/skopeo
# configured to use a storage of the build's own (never the machine's default /var/lib/containers),
# and the cached Debian build base made by mmdebstrap.
#   images_config          # writes $IMAGES_DIR/{containers,storage,registries}.conf and env,
#                          # exports CONTAINERS_CONF, CONTAINERS_STORAGE_CONF, CONTAINERS_REGISTRIES_CONF
#   images_why_not         # prints why podman cannot run here (empty + status 0 when it can)
#   images_build_base      # prints the build base's image name, making/importing it when missing
#   images_debian_tar PKGS # prints the path of a cached mmdebstrap tarball: minbase + PKGS
#   images_import TAR NAME # imports a tarball as an image (unless NAME exists)
#   images_unmount         # unmounts everything podman left mounted under $IMAGES_DIR
#   images_reset           # podman system reset of the build's storage, then unmounts
#   images_isolated CMD... # runs an image-copying podman/skopeo command (see below)
#   images_sbom IMAGE      # prints the package list inside IMAGE
# Settings (environment): IMAGES_DIR (default build/images), IMAGES_CACHE (default
# ${XDG_CACHE_HOME:-$HOME/.cache}/modelgov/images), VERSION.
IMAGES_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
IMAGES_DIR=${IMAGES_DIR:-$IMAGES_ROOT/build/images}
IMAGES_CACHE=${IMAGES_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/modelgov/images}
VERSION=${VERSION:-$(cat "$IMAGES_ROOT/VERSION")}
IMAGES_SUITE=bookworm
IMAGES_NOFILE_DEFAULT=1048576 # podman's own default, used where the machine sets no hard limit
IMAGES_PODMAN_NPROC=32768     # podman 4.3 sets its own RLIMIT_NPROC to this when it starts
# The build stage's packages: the toolchain and the -dev packages `make` needs (hack/deps.sh's),
# plus ca-certificates, whose bundle the runtime image takes.
IMAGES_BUILD_PACKAGES="build-essential pkg-config ca-certificates libcurl4-openssl-dev libjansson-dev libssl-dev libyaml-dev libwebsockets-dev"
# mmdebstrap: minbase (Essential + required), merged /usr made by the hook as the Debian images
# have it (not by installing the usrmerge package, which would bring perl), and the -slim
# images' path-exclude rules: no manuals, translations or documentation (copyright files stay).
IMAGES_MMDEBSTRAP_OPTS=(--variant=minbase --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr
  --dpkgopt=path-exclude=/usr/share/man/* --dpkgopt=path-exclude=/usr/share/locale/*
  --dpkgopt=path-exclude=/usr/share/doc/* --dpkgopt=path-include=/usr/share/doc/*/copyright
  --dpkgopt=path-exclude=/usr/share/info/* --dpkgopt=path-exclude=/usr/share/lintian/*)

images_config() {
  mkdir -p "$IMAGES_DIR"/{storage,run,tmp,net}
  IMAGES_DIR=$(cd "$IMAGES_DIR" && pwd)
  # A container's limits may not be above its parent's hard limits (runc fails with "error
  # setting rlimit" without CAP_SYS_RESOURCE, which sandboxes often drop): podman's default of
  # 1048576 is above most machines' hard limits, and podman 4.3 itself lowers its own nproc
  # hard limit to 32768 when it starts, so that is the ceiling for nproc.
  local nofile nproc
  nofile=$(ulimit -Hn)
  nproc=$(ulimit -Hu)
  [ "$nofile" = unlimited ] && nofile=$IMAGES_NOFILE_DEFAULT
  { [ "$nproc" = unlimited ] || [ "$nproc" -gt "$IMAGES_PODMAN_NPROC" ]; } && nproc=$IMAGES_PODMAN_NPROC
  # runc (crun refuses hybrid cgroup v1/v2 hierarchies), cgroupfs (no systemd to ask), events
  # in a file (no journald), the host's network namespace (no bridge, no firewall rules).
  cat >"$IMAGES_DIR/containers.conf" <<EOF
[containers]
netns = "host"
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
log_driver = "k8s-file"

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$IMAGES_DIR/run/events.log"
tmp_dir = "$IMAGES_DIR/tmp"
volume_path = "$IMAGES_DIR/storage/volumes"

[network]
network_config_dir = "$IMAGES_DIR/net"
EOF
  cat >"$IMAGES_DIR/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$IMAGES_DIR/storage"
runroot = "$IMAGES_DIR/run"
EOF
  # No unqualified search: every name is fully qualified (localhost/... or REGISTRY/...).
  # Plain-HTTP registries are listed here by the callers that use one (images_insecure_registry).
  [ -f "$IMAGES_DIR/registries.conf" ] ||
    printf 'unqualified-search-registries = []\nshort-name-mode = "enforcing"\n' >"$IMAGES_DIR/registries.conf"
  cat >"$IMAGES_DIR/env" <<EOF
export CONTAINERS_CONF=$IMAGES_DIR/containers.conf
export CONTAINERS_STORAGE_CONF=$IMAGES_DIR/storage.conf
export CONTAINERS_REGISTRIES_CONF=$IMAGES_DIR/registries.conf
EOF
  # shellcheck disable=SC1091
  . "$IMAGES_DIR/env"
}

# images_insecure_registry HOST:PORT — lets podman pull from a plain-HTTP registry (loopback tests).
images_insecure_registry() {
  grep -qF "location = \"$1\"" "$IMAGES_DIR/registries.conf" 2>/dev/null && return 0
  printf '\n[[registry]]\nlocation = "%s"\ninsecure = true\n' "$1" >>"$IMAGES_DIR/registries.conf"
}

images_why_not() {
  local t
  for t in podman skopeo mmdebstrap runc; do
    command -v "$t" >/dev/null 2>&1 || { echo "$t is not installed (hack/deps.sh installs it)"; return 1; }
  done
  [ "$(id -u)" = 0 ] || { echo "podman here runs as root only (rootless needs /etc/subuid ranges)"; return 1; }
  grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null ||
    { echo "the kernel has no overlay filesystem"; return 1; }
  local out
  out=$(podman info --format '{{.Host.OCIRuntime.Name}} {{.Store.GraphDriverName}}' 2>&1) ||
    { echo "podman info failed: $out"; return 1; }
  return 0
}

# images_debian_tar PACKAGES — the path of a cached Debian tarball (minbase plus PACKAGES),
# made by mmdebstrap from the machine's own apt sources when it is not there yet.
images_debian_tar() {
  local key tar tmp mirrors
  key=$(printf '%s\n' "$IMAGES_SUITE" "$1" "${IMAGES_MMDEBSTRAP_OPTS[@]}" | sha256sum | cut -c1-12)
  tar=$IMAGES_CACHE/$IMAGES_SUITE-$key.tar
  if [ ! -s "$tar" ]; then
    tmp=${tar%.tar}.tmp$$.tar # ends in .tar: mmdebstrap picks its output format by the name
    mapfile -t mirrors < <(images_mirrors)
    mkdir -p "$IMAGES_CACHE"
    echo "images: making a $IMAGES_SUITE base with mmdebstrap (once; cached in $IMAGES_CACHE)" >&2
    if ! mmdebstrap --quiet "${IMAGES_MMDEBSTRAP_OPTS[@]}" --include="${1// /,}" "$IMAGES_SUITE" "$tmp" \
      "${mirrors[@]}" >&2; then
      rm -f "$tmp"
      return 1
    fi
    mv "$tmp" "$tar"
  fi
  echo "$tar"
}

# The host's own apt sources, so the base comes from wherever this machine's apt is pointed.
images_mirrors() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list; do
    [ -s "$f" ] && grep -q "$IMAGES_SUITE" "$f" && echo "$f"
  done
}

# images_import TAR NAME — the tarball as image NAME (kept when it exists).
images_import() {
  podman image exists "$2" && return 0
  images_isolated podman import --quiet --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --message "mmdebstrap $IMAGES_SUITE $(basename "$1")" "$1" "$2" >/dev/null
}

images_build_base() {
  local tar name
  tar=$(images_debian_tar "$IMAGES_BUILD_PACKAGES") || return 1
  name=localhost/modelgov-build-base:$(basename "$tar" .tar)
  images_import "$tar" "$name" || return 1
  echo "$name"
}

images_unmount() { # never fails: it runs from EXIT traps
  [ -d "$IMAGES_DIR/storage" ] || return 0
  podman unmount --all >/dev/null 2>&1
  podman image unmount --all >/dev/null 2>&1
  local m mounts
  # deepest first, so a container's overlay goes before the storage's own bind mount
  mounts=$(findmnt -rn -o TARGET | grep -F "$IMAGES_DIR/" | sort -r) || true
  for m in $mounts; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || echo "images: cannot unmount $m" >&2
  done
  return 0
}

images_reset() {
  [ -f "$IMAGES_DIR/containers.conf" ] || return 0
  podman system reset --force >/dev/null 2>&1
  images_unmount
}

# images_isolated CMD... — runs a podman/skopeo command that copies images in a mount namespace
# of its own where /var/lib/containers is $IMAGES_DIR/varlib: podman 4.3 and skopeo keep their
# blob-info cache in /var/lib/containers/cache whatever the storage configuration says, and the
# machine's default location is not ours to write. Commands that leave a container running
# (podman run -d) must not use it: their mounts would live in the private namespace.
images_isolated() {
  mkdir -p "$IMAGES_DIR/varlib"
  unshare --mount --propagation private -- /bin/sh -c \
    'mount -t tmpfs -o mode=0755 modelgov-varlib /var/lib && mkdir /var/lib/containers &&
     mount --bind "$0" /var/lib/containers && exec "$@"' "$IMAGES_DIR/varlib" "$@"
}

# images_sbom IMAGE — prints the image's package list (/usr/share/modelgov/packages.txt).
images_sbom() {
  local ctr rc=0
  ctr=$(podman create --quiet "$1") || return 1
  podman cp "$ctr:/usr/share/modelgov/packages.txt" - | tar -xO || rc=1
  podman rm --force "$ctr" >/dev/null || rc=1
  return $rc
}
