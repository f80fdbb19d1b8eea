#!/bin/bash
# k8s/client against the test API server: builds tests/integration/k8s-client-driver.c with the
# library, starts `hack/testcluster/testcluster up --dir DIR` (127.0.0.1, free port), and runs
# the driver (CRUD on configmaps, selectors, pagination, conflicts, patches, scale, watch,
# Status errors, token users) with DIR/kubeconfig, under ASan+UBSan+LSan. Skips (exit 0, with
# a message) while the test server does not exist yet. Exits non-zero on any failure; stops the
# server it started.
set -u
cd "$(dirname "$0")/../.."
TC=hack/testcluster/testcluster
if [ ! -x "$TC" ]; then
  echo "SKIP k8s-client integration: $TC is not there yet (helper tc-core)"
  exit 0
fi
T=$(mktemp -d)
cleanup() { "$TC" down --dir "$T/tc" >/dev/null 2>&1; rm -rf "$T"; }
trap cleanup EXIT
# The driver runs under ASan+UBSan+LSan, linked with the sanitizer build of the library (the
# one `make unit-asan` builds, so usually already up to date).
SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
make --no-print-directory -s BUILD=build/asan CFLAGS="-O1 -g $SAN" build/asan/libmodelgov.a >/dev/null ||
  { echo "FAIL building the library"; exit 1; }
PKGS="libcurl jansson openssl yaml-0.1 libwebsockets"
# shellcheck disable=SC2046,SC2086
cc -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -O1 -g $SAN -Isrc $(pkg-config --cflags $PKGS) -pthread \
  -o "$T/driver" tests/integration/k8s-client-driver.c build/asan/libmodelgov.a \
  $(pkg-config --libs $PKGS) -lcsv -lm -pthread || { echo "FAIL building the driver"; exit 1; }
if ! "$TC" up --dir "$T/tc" >"$T/up.log" 2>&1; then
  echo "FAIL testcluster up:"; cat "$T/up.log"; exit 1
fi
"$T/driver" "$T/tc/kubeconfig"
