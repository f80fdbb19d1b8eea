#!/bin/bash
# make images: builds localhost/modelgov-operator:VERSION and localhost/modelgov-webhook:VERSION
# from hack/docker/Dockerfile with podman (buildah) in the build's own storage (build/images/),
# on a Debian base made by mmdebstrap once and cached outside the tree. Prints each image's id,
# size and build time, writes the SBOM beside it (build/images/modelgov-TARGET.packages.txt)
# and build/images/env, so that `. build/images/env` points podman and skopeo at that storage.
# Settings (environment): VERSION, IMAGES_DIR, IMAGES_CACHE (see lib.sh), IMAGE_SOURCE (the
# org.opencontainers.image.source label; default: the git remote, else this checkout).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$IMAGES_ROOT"
images_config
if ! why=$(images_why_not); then
  echo "make images: podman cannot run here: $why" >&2
  exit 1
fi
trap images_unmount EXIT

revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
[ -z "$(git status --porcelain -- Makefile VERSION src operator webhook hack/docker 2>/dev/null)" ] || revision="$revision-dirty"
source=${IMAGE_SOURCE:-$(git remote get-url origin 2>/dev/null || echo "file://$IMAGES_ROOT")}
# The commit time as every timestamp in the image: the same commit builds the same image id.
epoch=$(git log -1 --format=%ct 2>/dev/null || date +%s)

t0=$SECONDS
base=$(images_build_base)
echo "images: build base $base ready in $((SECONDS - t0)) s"
# bases of other package lists (an older checkout's) are not this build's cache
for old in $(podman images --format '{{.Repository}}:{{.Tag}}' --filter reference=localhost/modelgov-build-base); do
  [ "$old" = "$base" ] || podman rmi --force "$old" >/dev/null
done

# The build stage gets a name of its own, so that pruning what older builds left keeps the
# cache of this one (the final images start from scratch: they are not its children).
for target in build operator webhook; do
  name=localhost/modelgov-$target:$VERSION
  [ "$target" = build ] && name=localhost/modelgov-build-stage:$VERSION
  log=$IMAGES_DIR/build-$target.log
  t0=$SECONDS
  if ! images_isolated podman build --pull=never --layers --identity-label=false --timestamp "$epoch" \
    --ignorefile hack/docker/Dockerfile.dockerignore -f hack/docker/Dockerfile --target "$target" \
    --build-arg BASE="$base" --build-arg VERSION="$VERSION" --build-arg REVISION="$revision" \
    --build-arg SOURCE="$source" -t "$name" . >"$log" 2>&1; then
    tail -40 "$log" >&2
    echo "make images: building $name failed (log: $log)" >&2
    exit 1
  fi
  secs=$((SECONDS - t0))
  if [ "$target" = build ]; then
    echo "images: build stage (compile, root filesystem) ready in $secs s"
    continue
  fi
  id=$(podman image inspect -f '{{.Id}}' "$name")
  size=$(podman image inspect -f '{{.Size}}' "$name")
  images_sbom "$name" >"$IMAGES_DIR/modelgov-$target.packages.txt"
  printf 'images: %-32s id sha256:%s  %s bytes (%s MB)  %d packages  built in %d s\n' "$name" "$id" "$size" \
    "$(awk -v b="$size" 'BEGIN{printf "%.1f", b/1e6}')" "$(grep -vc '^#' "$IMAGES_DIR/modelgov-$target.packages.txt")" "$secs"
done
podman image prune --force >/dev/null # images of earlier builds, no longer named or parents
echo "images: storage $IMAGES_DIR/storage; use it with: . $IMAGES_DIR/env"
