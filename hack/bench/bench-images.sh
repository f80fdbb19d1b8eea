#!/bin/bash
# Container image figures: the size of each image from `make images` against the same daemon on
# the recipe it replaces (Debian minbase + `apt-get install` of the runtime libraries, as a
# debian:bookworm-slim image would be; made here with mmdebstrap, cached like the build base),
# and the build time from an empty storage (the base tarball cached, as in CI on a fresh clone)
# against a warm rebuild in the same storage. Rows: figure|modelgov|baseline|ratio|goal.
# Skipped (no rows, a message) where podman cannot run.
set -euo pipefail
cd "$(dirname "$0")/../.."
source hack/images/lib.sh
BENCH_DIR=$(mktemp -d "${TMPDIR:-/tmp}/modelgov-bench-images.XXXXXX")
export IMAGES_DIR=$BENCH_DIR/images # a storage of the benchmark's own, emptied at the end
cleanup() {
  images_reset
  rm -rf "$BENCH_DIR"
}
trap cleanup EXIT
images_config
if ! why=$(images_why_not); then
  echo "bench-images: skipped: $why" >&2
  exit 0
fi
RUNTIME_PACKAGES="libcurl4 libjansson4 libssl3 libyaml-0-2 libwebsockets17 ca-certificates"
SIZE_GOAL_MB=40

mb() { awk -v b="$1" 'BEGIN{printf "%.1f", b/1e6}'; }

# The baseline root filesystem: minbase plus the runtime packages, made once and cached.
baseline_image() {
  local tar name=localhost/modelgov-bench-slim:latest
  tar=$(images_debian_tar "$RUNTIME_PACKAGES") || return 1
  images_import "$tar" "$name" || return 1
  echo "$name"
}

images_debian_tar "$IMAGES_BUILD_PACKAGES" >/dev/null # made once, outside the timing
t0=$SECONDS
hack/images/build.sh >"$BENCH_DIR/cold.log" 2>&1 || { cat "$BENCH_DIR/cold.log" >&2; exit 1; }
cold=$((SECONDS - t0))
t0=$SECONDS
hack/images/build.sh >"$BENCH_DIR/warm.log" 2>&1 || { cat "$BENCH_DIR/warm.log" >&2; exit 1; }
warm=$((SECONDS - t0))
echo "make images from an empty storage (base cached) (s)|$cold|$warm (warm rebuild, no change)|$(awk -v a="$cold" -v b="$warm" 'BEGIN{printf "%.1fx", a/(b>0?b:1)}')|-"

slim=$(baseline_image)
slim_size=$(podman image inspect -f '{{.Size}}' "$slim")
for t in operator webhook; do
  size=$(podman image inspect -f '{{.Size}}' "localhost/modelgov-$t:$VERSION")
  strip -o "$BENCH_DIR/$t" "bin/modelgov-$t" # the image holds the stripped daemon
  bin_size=$(stat -c %s "$BENCH_DIR/$t")
  base=$((slim_size + bin_size))
  echo "image size modelgov-$t (MB, uncompressed)|$(mb "$size")|$(mb "$base") (minbase + apt-get install runtime libs)|$(awk -v a="$size" -v b="$base" 'BEGIN{printf "%.2f", a/b}')|<= $SIZE_GOAL_MB MB"
done
