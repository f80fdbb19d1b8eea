#!/bin/bash
# make test's driver: lint, unit tests (release and ASan+UBSan builds), fuzz smoke runs, then the
# integration suites twice: on the project's test API server (hack/testcluster) and on a real
# kube-apiserver v1.28 (hack/realcluster) when its binaries are found (KUBEBUILDER_ASSETS or
# ../shared/k8s-1.28/bin); without them the real pass is skipped with a line saying why.
# Integration suites run MG_TEST_JOBS at a time (default 3: they mostly wait on servers); each
# suite's output is printed whole when it ends. Prints one closing line "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
export PATH="$PWD/.tools:$PWD/bin:$PATH"
JOBS=${MG_TEST_JOBS:-3}
pass=0; fail=0
step() {
  local name=$1; shift
  echo "=== $name"
  if "$@"; then pass=$((pass+1)); echo "--- ok: $name"; else fail=$((fail+1)); echo "--- FAILED: $name"; fi
}
step "lint (clang-format, banned functions)" make --no-print-directory lint
step "unit tests" make --no-print-directory unit
step "unit tests (ASan+UBSan+LSan)" make --no-print-directory unit-asan
[ -x tests/fuzz/run.sh ] && step "fuzz smoke (${FUZZ_SECONDS:=5} s per target)" env FUZZ_SECONDS="$FUZZ_SECONDS" make --no-print-directory fuzz

# --- integration: a pool of JOBS suites at a time --------------------------------------------
INTEGRATION_START=$SECONDS
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
declare -A NAME_OF=() START_OF=() LOG_OF=()
N=0
finish_one() { # waits for one suite to end, prints its output and result
  local pid rc
  wait -n -p pid; rc=$?
  echo "=== ${NAME_OF[$pid]} ($((SECONDS - START_OF[$pid])) s)"
  cat "${LOG_OF[$pid]}"
  if [ $rc -eq 0 ]; then pass=$((pass+1)); echo "--- ok: ${NAME_OF[$pid]}"
  else fail=$((fail+1)); echo "--- FAILED: ${NAME_OF[$pid]}"; fi
  unset "NAME_OF[$pid]"
}
run_suite() { # NAME SERVER SCRIPT
  while [ "${#NAME_OF[@]}" -ge "$JOBS" ]; do finish_one; done
  N=$((N + 1))
  MG_TEST_SERVER=$2 "$3" >"$OUT/$N.log" 2>&1 </dev/null &
  NAME_OF[$!]=$1
  START_OF[$!]=$SECONDS
  LOG_OF[$!]=$OUT/$N.log
}
# Suites that start an API server through tests/integration/lib.sh or lib-cluster.sh (the real
# pass runs only those; the others do not touch a cluster).
uses_cluster() { grep -qE 'it_start_cluster|IT_CLUSTER_CMD|hack/demo\.sh' "$1"; }
REAL_BINS=$(hack/realcluster/realcluster binaries 2>&1) && REAL=1 || REAL=0
suites=()
for suite in tests/integration/*.sh hack/testcluster/tests/run.sh; do [ -x "$suite" ] && suites+=("$suite"); done
# the real pass first within the pool: its suites are the longest
if [ "$REAL" = 1 ]; then
  for suite in "${suites[@]}"; do
    uses_cluster "$suite" && run_suite "$suite (real kube-apiserver v1.28)" real "$suite"
  done
fi
for suite in "${suites[@]}"; do run_suite "$suite" testcluster "$suite"; done
while [ "${#NAME_OF[@]}" -gt 0 ]; do finish_one; done
echo "integration suites: $((SECONDS - INTEGRATION_START)) s wall ($JOBS at a time); make test so far: $SECONDS s"
if [ "$REAL" = 1 ]; then
  echo "real kube-apiserver pass: ran (binaries: $(tr '\n' ' ' <<<"$REAL_BINS"))"
else
  echo "real kube-apiserver pass: SKIPPED — $REAL_BINS"
fi
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
