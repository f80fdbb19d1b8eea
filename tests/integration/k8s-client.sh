#!/bin/bash
# k8s/client against the API server (MG_TEST_SERVER: hack/testcluster or a real kube-apiserver,
# hack/realcluster): builds tests/integration/k8s-client-driver.c with the library, starts the
# server's `up --dir DIR` (127.0.0.1, free port), and runs
# the driver (CRUD on configmaps, selectors, pagination, conflicts, patches, scale, watch,
# Status errors, token users) with DIR/kubeconfig, under ASan+UBSan+LSan. Skips (exit 0, with
# a message) while the test server does not exist yet. Exits non-zero on any failure; stops the
# server it started.
set -u
cd "$(dirname "$0")/../.."
IT_ROOT=$PWD
source tests/integration/lib-cluster.sh # MG_TEST_SERVER picks the server: IT_CLUSTER_CMD
TC=$IT_CLUSTER_CMD
T=$(mktemp -d)
cleanup() { "$TC" down --dir "$T/tc" >/dev/null 2>&1; rm -rf "$T"; }
trap cleanup EXIT
# The driver runs under ASan+UBSan+LSan, linked with the sanitizer build of the library (the
# one `make unit-asan` builds, so usually already up to date).
SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
make --no-print-directory -s BUILD=build/asan CFLAGS="-O1 -g $SAN" build/asan/libmodelgov.a >/dev/null ||
  { echo "FAIL building the library"; exit 1; }
PKGS="libcurl jansson openssl yaml-0.1 libwebsockets zlib"
# shellcheck disable=SC2046,SC2086
cc -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -O1 -g $SAN -Isrc $(pkg-config --cflags $PKGS) -pthread \
  -o "$T/driver" tests/integration/k8s-client-driver.c build/asan/libmodelgov.a \
  $(pkg-config --libs $PKGS) -lcsv -lm -pthread || { echo "FAIL building the driver"; exit 1; }
if ! "$TC" up --dir "$T/tc" >"$T/up.log" 2>&1; then
  echo "FAIL $IT_SERVER_KIND up:"; cat "$T/up.log"; exit 1
fi
# an HTTP CONNECT proxy for the kubeconfig's proxy-url check
/usr/bin/python3 tests/support/connect_proxy.py "$T/proxy.port" "$T/proxy.log" &
proxy_pid=$!
trap 'kill $proxy_pid 2>/dev/null; cleanup' EXIT
for _ in $(seq 1 50); do [ -s "$T/proxy.port" ] && break; sleep 0.1; done
MG_TEST_PROXY="http://127.0.0.1:$(cat "$T/proxy.port" 2>/dev/null)" MG_TEST_PROXY_LOG="$T/proxy.log" \
  MG_TEST_SERVER=$IT_SERVER_KIND "$T/driver" "$T/tc/kubeconfig"
