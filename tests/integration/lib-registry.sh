# A Debian docker-registry on loopback and an OCI image pusher over its HTTP API (source it
# after lib.sh; uses IT_DIR and it_bg). Used by tests/integration/webhook.sh and hack/demo.sh.
#   reg_start                    # sets RPORT and REG (127.0.0.1:PORT), starts "registry"
#                                # (log $IT_DIR/registry.log); the caller waits for /v2/
#   push_image REPO TAG CONTENT  # pushes an OCI image with one layer, prints its manifest digest
#   push_blob REPO FILE          # one blob (monolithic upload)
RPORT="" REG=""

reg_sha() { sha256sum "$1" | cut -d' ' -f1; }

reg_start() {
  RPORT=$(it_listen_port)
  REG=127.0.0.1:$RPORT
  mkdir -p "$IT_DIR/registry"
  cat >"$IT_DIR/registry.yml" <<YAML
version: 0.1
log: {level: warn}
storage:
  filesystem: {rootdirectory: $IT_DIR/registry}
  delete: {enabled: true}
http:
  addr: 127.0.0.1:$RPORT
YAML
  it_bg registry docker-registry serve "$IT_DIR/registry.yml"
}

push_blob() { # REPO FILE
  local d loc
  d=sha256:$(reg_sha "$2")
  loc=$(curl -sf -D - -o /dev/null -X POST "http://$REG/v2/$1/blobs/uploads/" | tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
  case $loc in http*) ;; *) loc="http://$REG$loc" ;; esac
  case $loc in *\?*) loc="$loc&digest=$d" ;; *) loc="$loc?digest=$d" ;; esac
  curl -sf -X PUT -H 'Content-Type: application/octet-stream' --data-binary @"$2" "$loc" >/dev/null
}

push_image() { # REPO TAG CONTENT → prints the manifest digest (an OCI image with one layer)
  local dir=$IT_DIR/img-$2-$RANDOM
  mkdir -p "$dir"
  printf '{"architecture":"amd64","os":"linux","config":{"Labels":{"model":"%s"}},"rootfs":{"type":"layers","diff_ids":[]}}' "$3" >"$dir/config"
  printf 'model weights %s\n' "$3" | gzip -n >"$dir/layer"
  push_blob "$1" "$dir/config" && push_blob "$1" "$dir/layer" || return 1
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%d},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%d}]}' \
    "$(reg_sha "$dir/config")" "$(stat -c %s "$dir/config")" "$(reg_sha "$dir/layer")" "$(stat -c %s "$dir/layer")" >"$dir/manifest"
  curl -sf -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' --data-binary @"$dir/manifest" \
    "http://$REG/v2/$1/manifests/$2" >/dev/null || return 1
  echo "sha256:$(reg_sha "$dir/manifest")"
}
