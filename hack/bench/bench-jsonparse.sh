#!/bin/bash
# JSON parsing benchmark: the project's one parser (k8s/jsonparse) against jansson in the same
# run, on a List page of 500 ~2.4 KB objects as kube-apiserver sends them (the informers'
# reading, stripping managedFields) and on the recorded kube-apiserver 1.28 AdmissionReviews (the
# webhook's reading with its keep rules). tests/bench/bench_jsonparse.c. Prints rows
# figure|modelgov|baseline|ratio|goal (details on stderr).
set -eu
cd "$(dirname "$0")/../.."
bin=build/release/bench/bench_jsonparse
make --no-print-directory -j2 "$bin" >&2
out=$("$bin")
echo "$out" >&2
get() { echo "$out" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
row() { # FIGURE OURS JANSSON
  echo "$1|$2|$3 (jansson)|$(awk -v a="$2" -v b="$3" 'BEGIN{printf "%.1fx", a/b}')|>= 2x, same trees (tests, fuzz)"
}
row "JSON parse MB/CPU-s, List page (informer, strip)" "$(get list_ours)" "$(get list_jansson)"
row "JSON parse MB/CPU-s, AdmissionReviews (webhook keep rules)" "$(get review_ours)" "$(get review_jansson)"
