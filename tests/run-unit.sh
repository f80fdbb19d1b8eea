#!/bin/bash
# Runs each cmocka unit-test binary given on the command line; prints a summary line and
# exits non-zero when any failed.
set -u
pass=0; fail=0; failed=()
for t in "$@"; do
  if out=$("$t" 2>&1); then pass=$((pass+1)); else fail=$((fail+1)); failed+=("$t"); echo "$out"; fi
  echo "$out" | grep -E '^\[  (PASSED|FAILED)  \]' | sed "s#^#$(basename "$t"): #"
done
echo "unit: $pass binaries passed, $fail failed"
[ $fail -eq 0 ] || { echo "failed: ${failed[*]}"; exit 1; }
