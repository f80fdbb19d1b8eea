#!/bin/bash
# make bench: runs every hack/bench/bench-*.sh; each prints rows "figure|modelgov|baseline|ratio|goal"
# on stdout (anything else goes to stderr). This script prints them as one table.
set -u
cd "$(dirname "$0")/../.."
export PATH="$PWD/.tools:$PWD/bin:$PATH"
rows=$(mktemp); trap 'rm -f "$rows"' EXIT
for b in hack/bench/bench-*.sh; do
  [ -x "$b" ] || continue
  echo "running $b ..." >&2
  "$b" >> "$rows" || echo "$(basename "$b")|FAILED|||" >> "$rows"
done
printf '%s\n' "figure|modelgov|baseline|ratio|goal" | cat - "$rows" | column -t -s '|'
