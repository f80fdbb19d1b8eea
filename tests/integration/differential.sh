#!/bin/bash
# The test API server against a real kube-apiserver v1.28, request by request: both servers
# started side by side, the same raw requests sent to each (tests/integration/differential.py:
# CRD scale-subresource validation, error bodies, list encodings, field selectors, defaults,
# patches, dry-run...), the answers compared byte for byte after masking uids, versions, times
# and managedFields. Skipped, with a line saying why, when the real binaries are not there.
set -u
cd "$(dirname "$0")/../.."
if ! why=$(hack/realcluster/realcluster binaries 2>&1); then
  echo "skip - differential test: no real kube-apiserver ($why)"
  echo "0 passed, 0 failed"
  exit 0
fi
T=$(mktemp -d)
cleanup() {
  hack/testcluster/testcluster down --dir "$T/test" >/dev/null 2>&1
  hack/realcluster/realcluster down --dir "$T/real" >/dev/null 2>&1
  rm -rf "$T"
}
trap cleanup EXIT
hack/testcluster/testcluster up --dir "$T/test" >"$T/test.log" 2>&1 || { cat "$T/test.log"; echo "FATAL: test server"; exit 1; }
hack/realcluster/realcluster up --dir "$T/real" --owner-pid $$ >"$T/real.log" 2>&1 ||
  { cat "$T/real.log"; echo "FATAL: real kube-apiserver"; exit 1; }
/usr/bin/python3 tests/integration/differential.py "$T/test/kubeconfig" "$T/real/kubeconfig"
