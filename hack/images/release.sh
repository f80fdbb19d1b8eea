#!/bin/bash
# make release-images REGISTRY=HOST[:PORT][/PATH] [TLS_VERIFY=false]: pushes the images that
# `make images` built to REGISTRY/modelgov-operator:VERSION and REGISTRY/modelgov-webhook:VERSION
# with skopeo, reads each manifest digest back from the registry (it must be the digest skopeo
# wrote), prints them and writes build/images/release-values.yaml: chart values that pin both
# images by digest (helm install ... -f build/images/release-values.yaml).
# TLS_VERIFY=false is for a plain-HTTP or self-signed registry (a local docker-registry).
# Registry credentials: skopeo's usual auth file (skopeo login / REGISTRY_AUTH_FILE).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$IMAGES_ROOT"
REGISTRY=${REGISTRY:?usage: make release-images REGISTRY=host[:port][/path] [TLS_VERIFY=false]}
REGISTRY=${REGISTRY%/}
TLS_VERIFY=${TLS_VERIFY:-true}
case $TLS_VERIFY in true | false) ;; *) echo "release-images: TLS_VERIFY must be true or false" >&2; exit 2 ;; esac
images_config
trap images_unmount EXIT

values=$IMAGES_DIR/release-values.yaml
tmp=$values.tmp
echo "# Chart values pinning the images pushed by make release-images (VERSION $VERSION)." >"$tmp"
for target in operator webhook; do
  src=localhost/modelgov-$target:$VERSION
  dest=$REGISTRY/modelgov-$target
  podman image exists "$src" || { echo "release-images: $src not built (make images)" >&2; exit 1; }
  images_isolated skopeo copy --quiet --dest-tls-verify="$TLS_VERIFY" --digestfile "$IMAGES_DIR/$target.digest" \
    "containers-storage:$src" "docker://$dest:$VERSION" >&2
  pushed=$(cat "$IMAGES_DIR/$target.digest")
  served=$(images_isolated skopeo inspect --tls-verify="$TLS_VERIFY" --format '{{.Digest}}' "docker://$dest:$VERSION")
  if [ "$pushed" != "$served" ]; then
    echo "release-images: $dest:$VERSION: pushed $pushed but the registry serves $served" >&2
    exit 1
  fi
  echo "release-images: $dest:$VERSION $served"
  printf '%s:\n  image:\n    repository: %s\n    digest: "%s"\n' "$target" "$dest" "$served" >>"$tmp"
done
mv "$tmp" "$values"
echo "release-images: chart values in $values (helm install ... -f $values)"
