#!/bin/bash
# Informer ingest benchmark (issue 2 item 8): 10,000 objects of ~2 KB from one paginated LIST
# plus 10,000 watch events from a local server; prints rows figure|modelgov|baseline|ratio|goal.
# The RSS baseline is the raw JSON of the 10,000 objects as the server sent them.
set -eu
cd "$(dirname "$0")/../.."
bin=build/release/bench/bench_informer
[ -x "$bin" ] || make --no-print-directory -j2 "$bin" >&2
out=$("$bin" 10000)
echo "$out" >&2
get() { echo "$out" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
ops=$(get objects_per_s); cpu=$(get cpu_s); peak=$(get peak_rss_kb); raw=$(get raw_json_bytes)
raw_mb=$(awk -v b="$raw" 'BEGIN{printf "%.1f", b/1048576}')
peak_mb=$(awk -v k="$peak" 'BEGIN{printf "%.1f", k/1024}')
ratio=$(awk -v k="$peak" -v b="$raw" 'BEGIN{printf "%.2fx", k*1024/b}')
echo "informer ingest (objects/s, 10k LIST + 10k events)|$ops|-|-|>= 50000"
echo "informer CPU seconds (20k objects)|$cpu|-|-|-"
echo "informer peak RSS MB vs raw JSON MB|$peak_mb|$raw_mb|$ratio|<= 3x"
