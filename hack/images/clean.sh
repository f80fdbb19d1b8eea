#!/bin/bash
# make clean's part for images: empties the build's own container storage (podman system reset,
# which also stops its containers) and unmounts what is left, so build/ can be removed safely.
set -u
source "$(dirname "$0")/lib.sh"
[ -f "$IMAGES_DIR/containers.conf" ] || exit 0
images_config
images_reset
