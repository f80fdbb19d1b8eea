#!/bin/bash
# hack/testcluster's own suite (run by `make test`): raw HTTP checks (check.py), kubectl
# scenarios (kubectl.sh) and the recorded conformance scenario of kube-apiserver 1.28.
# Prints "N passed, N failed" last; exits non-zero when anything failed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
tc=$here/../testcluster
root=$(git -C "$here" rev-parse --show-toplevel 2>/dev/null || (cd "$here/../../.." && pwd))
shared="$root/tests/fixtures/k8s-1.28"   # recorded from kube-apiserver 1.28 (in the repository)
W=$(mktemp -d)
cleanup() {
  for d in "$W"/c1 "$W"/c2; do [ -f "$d/pid" ] && "$tc" down --dir "$d" >/dev/null 2>&1; done
  rm -rf "$W"
}
trap cleanup EXIT
pass=0; fail=0
count() {  # adds the "N passed, N failed" line of a sub-suite's output file
  local line; line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$1" | tail -1)
  if [ -z "$line" ]; then fail=$((fail+1)); echo "FAIL: $2 printed no summary"; return; fi
  pass=$((pass + $(echo "$line" | cut -d' ' -f1))); fail=$((fail + $(echo "$line" | cut -d' ' -f3)))
}
echo "=== semantic modules (unit tests)"
if (cd "$here/.." && python3 -m unittest -q tests.test_semantics); then pass=$((pass+1)); echo "ok: tests.test_semantics"
else fail=$((fail+1)); echo "FAIL: tests.test_semantics"; fi

"$tc" up --dir "$W/c1" >/dev/null || { echo "FAIL: testcluster up"; cat "$W/c1/server.log"; echo "0 passed, 1 failed"; exit 1; }
"$tc" up --dir "$W/c2" --kubelet --jobs=manual >/dev/null || { echo "FAIL: testcluster up --kubelet"; echo "0 passed, 1 failed"; exit 1; }

echo "=== answers recorded from kube-apiserver 1.28"
python3 "$here/recordings.py" "$W/c1" "$shared" 2>&1 | tee "$W/recordings.out"; count "$W/recordings.out" recordings.py

echo "=== raw HTTP checks"
python3 "$here/check.py" "$W/c1" "$W/c2" 2>&1 | tee "$W/check.out"; count "$W/check.out" check.py

echo "=== kubectl scenarios"
if command -v kubectl >/dev/null; then
  bash "$here/kubectl.sh" "$W/c1" "$W/c2" 2>&1 | tee "$W/kubectl.out"; count "$W/kubectl.out" kubectl.sh
else
  echo "SKIP: kubectl not installed"
fi

echo "=== conformance (recorded kube-apiserver 1.28 scenario)"
if command -v kubectl >/dev/null; then
  KUBECONFIG="$W/c1/kubeconfig" "$shared/conformance/run.sh" > "$W/actual.txt" 2> "$W/conformance.err"
  if python3 "$shared/conformance/compare.py" "$shared/conformance/expected.txt" "$W/actual.txt" > "$W/compare.txt"; then
    pass=$((pass+1)); echo "ok: conformance $(tail -1 "$W/compare.txt")"
  else
    fail=$((fail+1)); cat "$W/compare.txt"; echo "FAIL: conformance $(tail -1 "$W/compare.txt")"
  fi
else
  fail=$((fail+1)); echo "FAIL: kubectl missing (hack/deps.sh installs it)"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
