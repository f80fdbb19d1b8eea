#!/bin/bash
# The recorded Kubernetes API conformance scenario (tests/fixtures/k8s-1.28/conformance: kubectl
# and raw HTTP through CRD schemas, apply, selectors, subresources, webhooks, watches, errors,
# namespace deletion) against the API server MG_TEST_SERVER names: every block must print what
# kube-apiserver v1.28.0 printed when it was recorded (19/19). On a real kube-apiserver it proves
# the recording and the scenario still agree with the real thing; on the test server it is
# skipped here because hack/testcluster/tests/run.sh makes the same check.
source "$(dirname "$0")/lib.sh"
cd "$IT_ROOT"
C=tests/fixtures/k8s-1.28/conformance
if ! it_server_is_real; then # the test server's own suite runs it (same scenario, same comparison)
  it_skip "conformance scenario on the test server: hack/testcluster/tests/run.sh runs it"
  it_finish
  exit
fi
it_start_cluster
t0=$SECONDS
"$C/run.sh" >"$IT_DIR/actual.txt" 2>"$IT_DIR/run.err"
echo "     (scenario ran in $((SECONDS - t0)) s)"
if /usr/bin/python3 "$C/compare.py" "$C/expected.txt" "$IT_DIR/actual.txt" >"$IT_DIR/compare.txt"; then
  it_pass "conformance scenario: $(tail -1 "$IT_DIR/compare.txt")"
else
  cat "$IT_DIR/compare.txt"
  it_fail "conformance scenario: $(tail -1 "$IT_DIR/compare.txt")"
fi
it_finish
