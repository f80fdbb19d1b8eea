#!/bin/bash
# Bounded work per review: the CPU time of one Deployment UPDATE whose template has N containers
# (every image new, so an old × new comparison would be quadratic) through the webhook's parser
# and decision (tests/bench/bench_admission.c), for N = 500 and 5,000 and 20,000 (a 2.7 MB body);
# the baseline is ten times the 500-container figure: a ratio near 1 means linear. Then the
# serving side under a flood (tests/integration/webhook-server.sh: 80 clients each sending a
# 3 MiB review at once while a small review is sent every 50 ms): peak RSS and the small
# reviews' latency. Prints rows "figure|modelgov|baseline|ratio|goal".
set -u
cd "$(dirname "$0")/../.."
bin=build/release/bench/bench_admission
[ -x "$bin" ] || make --no-print-directory "$bin" >&2 || { echo "bench-webhook-big: cannot build $bin" >&2; exit 1; }
cpu() { "$bin" "$1" "$2" | awk '{print $4}'; }
t500=$(cpu 500 20)
t5k=$(cpu 5000 5)
t20k=$(cpu 20000 2)
awk -v a="$t500" -v b="$t5k" -v c="$t20k" 'BEGIN {
  printf "review of a Deployment UPDATE, 5,000 containers (ms CPU)|%.1f|%.1f (10 x 500 containers)|%.2f|<< 10 (old x new: 10)\n", b*1000, a*10000, b/(a*10)
  printf "review of a Deployment UPDATE, 20,000 containers, 2.7 MB (ms CPU)|%.1f|%.1f (40 x 500 containers)|%.2f|<< 40 (old x new: 40)\n", c*1000, a*40000, c/(a*40)
}'
line=$(tests/integration/webhook-server.sh 2>&1 | grep -m1 'flood:')
[ -n "$line" ] || { echo "bench-webhook-big: the flood run printed nothing" >&2; exit 1; }
echo "$line" >&2
awk '{
  for (i = 1; i <= NF; i++) {
    if ($i == "p99") p99 = $(i+1); if ($i == "max") mx = $(i+1); if ($i == "RSS") rss = $(i+1)
    if ($(i+1) == "answered" && $(i+2) == "200,") ok = $i; if ($(i+1) == "answered" && $(i+2) == "429,") busy = $i
  }
  gsub(/,/, "", p99); gsub(/;/, "", mx)
  printf "small review p99 / max during 80 x 3 MiB reviews (s)|%s / %s|5 (chart timeoutSeconds)|-|< 5\n", p99, mx
  printf "webhook peak RSS during 80 x 3 MiB reviews (MB)|%s|256 (chart memory limit)|-|< 256\n", rss
  printf "80 x 3 MiB reviews: decided / refused 429|%s / %s|-|-|no other answer\n", ok, busy
}' <<<"$line"
