#!/bin/bash
# make test's driver: unit tests (release and ASan+UBSan builds), fuzz smoke runs, then the
# integration suites. Prints one closing line "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
export PATH="$PWD/.tools:$PWD/bin:$PATH"
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
for suite in tests/integration/*.sh hack/testcluster/tests/run.sh; do
  [ -x "$suite" ] && step "$suite" "$suite"
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
