#!/bin/bash
# The store's cost per object (tests/bench/bench_store.c): 30,000 ModelReview-like objects with
# random uids and sha256 digests, the webhook's two review indexes; heap bytes per object, a get
# by key and a lookup by index (three objects) in CPU microseconds, for the compact store (what
# the webhook and the operator cache in) against the tree store, in one run.
# BENCH_STORE_BASELINE_BIN: the same bench built against another commit's library (it uses only
# the public store API), e.g. to give a store change its ratios:
#   git worktree add /tmp/base <commit> && make -C /tmp/base build/release/libmodelgov.a
#   cc -O2 -std=c17 -D_GNU_SOURCE -I/tmp/base/src tests/bench/bench_store.c \
#     /tmp/base/build/release/libmodelgov.a $(pkg-config --libs jansson zlib) -pthread -o /tmp/bench_store_base
# Rows for hack/bench/run.sh: figure|modelgov|baseline|ratio|goal.
set -eu
cd "$(dirname "$0")/../.."
bin=build/release/bench/bench_store
[ -x "$bin" ] || make --no-print-directory -j2 "$bin" >&2
out=$("$bin")
echo "bench_store: $out" >&2
get() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2fx", a/b}'; }
row() { # FIGURE KEY UNIT: compact against tree
  local c t
  c=$(get "compact_$2" "$out"); t=$(get "tree_$2" "$out")
  echo "store, compact vs tree: $1 (30,000 reviews, random uids and digests)|$c|$t (tree)|$(ratio "$c" "$t")|-"
}
row "heap bytes per object" bytes
row "get by key, CPU us" get_us
row "lookup by index (3 objects), CPU us" lookup_us
if [ -n "${BENCH_STORE_BASELINE_BIN:-}" ]; then
  base=$("$BENCH_STORE_BASELINE_BIN")
  echo "bench_store baseline: $base" >&2
  for k in bytes get_us lookup_us; do
    c=$(get "compact_$k" "$out"); b=$(get "compact_$k" "$base")
    echo "compact store $k, this build vs $BENCH_STORE_BASELINE_BIN|$c|$b|$(ratio "$c" "$b")|-"
  done
fi
