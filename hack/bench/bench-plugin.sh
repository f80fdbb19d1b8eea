#!/bin/bash
# Figures for kubectl-modelgov's data commands on a generated CSV of BENCH_PLUGIN_MB megabytes
# (default 1024, ~11.6 M rows of ~88 bytes; hack/bench/gen-plugin-csv.c), each against
# baselines run in the same job on the same file:
#   ceiling      cat FILE > /dev/null (what reading the page-cached file costs)
#   dataset hash openssl dgst -sha256
#   bias-scan    DuckDB (npm @duckdb/node-api, installed here into .tools/duckdb): the same
#                GROUP BY (GROUPING SETS over sex and race, the label compared as text) with 1
#                and 2 threads, only the query timed; the counts and rates must be equal;
#                Python's csv module (hack/bench/bias_scan_ref.py)
#   pseudonymize DuckDB with two SHA-256 per field (the cost of an HMAC), written as CSV;
#                Python's csv + hmac (hack/bench/pseudonymize_ref.py, output compared)
#   CSV parsing  src/csv (AVX2/SSE2/portable) against libcsv, the library it replaced
#                (tests/bench/bench_csv.c)
#   HMAC tokens  data/hmac against OpenSSL's ways (tests/bench/bench_hmac.c)
# and peak RSS (GNU time) on a file of BENCH_PLUGIN_MB/100 MB and the full one (plus
# BENCH_PLUGIN_HUGE_MB when set, e.g. 10240) to show memory stays flat.
# The machine is shared: the main figure is MB per CPU-second (user+sys of all threads, the
# steadier one); wall MB/s is beside it. Each command runs BENCH_PLUGIN_REPEAT times (default 3)
# and the lowest CPU and wall times are kept. Python runs on the first BENCH_PLUGIN_PY_MB MB
# (default 100; its rate does not depend on the size). Prints rows
# "figure|modelgov|baseline|ratio|goal"; progress goes to stderr.
set -u
cd "$(dirname "$0")/../.."
K=${KUBECTL_MODELGOV:-bin/kubectl-modelgov}
BUILD=${BUILD:-build/release}
MB=${BENCH_PLUGIN_MB:-1024}
PYMB=${BENCH_PLUGIN_PY_MB:-$((MB < 100 ? MB : 100))}
SMALLMB=$((MB / 100 > 0 ? MB / 100 : 1))
REPEAT=${BENCH_PLUGIN_REPEAT:-3}
PY=/usr/bin/python3
DUCK=.tools/duckdb
[ -x "$K" ] || { echo "bench-plugin: $K not built" >&2; exit 1; }
T=$(mktemp -d /tmp/bench-plugin.XXXXXX); trap 'rm -rf "$T"' EXIT
cc -O2 -o "$T/gen" hack/bench/gen-plugin-csv.c || exit 1
echo "bench-plugin: generating ${MB} MB, ${PYMB} MB and ${SMALLMB} MB CSV files in $T" >&2
"$T/gen" "$MB" > "$T/big.csv"; "$T/gen" "$PYMB" > "$T/py.csv"; "$T/gen" "$SMALLMB" > "$T/small.csv"
head -c 32 /dev/urandom > "$T/key"
BYTES=$(stat -c %s "$T/big.csv")
if [ ! -d "$DUCK/node_modules/@duckdb/node-api" ]; then
  echo "bench-plugin: installing @duckdb/node-api into $DUCK" >&2
  mkdir -p "$DUCK" && (cd "$DUCK" && npm install --silent --no-audit --no-fund @duckdb/node-api@1.5.6-r.1 >&2)
fi
cp hack/bench/duckdb_ref.mjs "$DUCK/" # node resolves the package from the script's folder

# timed CMD...: runs CMD REPEAT times; WALL and CPU (user+sys, s) are the lowest, RSS (MB) the
# highest peak. TIMED_FRESH: files removed before each run, outside the timing (an output that
# already exists would make the next run pay for dropping the old file's pages: about 2 s of
# system time for pseudonymize's 1.9 GB output, more than the command's own sys time)
timed() {
  local rc=0 i u s w m
  WALL=""; CPU=""; RSSKB=0
  for ((i = 0; i < REPEAT; i++)); do
    [ -n "${TIMED_FRESH:-}" ] && rm -f $TIMED_FRESH
    /usr/bin/time -f "%e %M %U %S" -o "$T/time" "$@" > "$T/stdout" 2> "$T/stderr"
    rc=$?
    read -r w m u s < <(tail -1 "$T/time")
    WALL=$(awk -v a="${WALL:-1e99}" -v b="$w" 'BEGIN{print (b < a) ? b : a}')
    CPU=$(awk -v a="${CPU:-1e99}" -v b="$(awk -v u="$u" -v s="$s" 'BEGIN{print u+s}')" 'BEGIN{print (b < a) ? b : a}')
    [ "$m" -gt "$RSSKB" ] && RSSKB=$m
    [ "$rc" -le 1 ] || break
  done
  RSS=$(awk -v k="$RSSKB" 'BEGIN{printf "%.1f", k/1024}')
  return $rc
}
# duck MODE THREADS IN [OUT]: best of REPEAT; DWALL, DCPU (the query only), DOUT (last JSON)
duck() {
  local i out w c
  DWALL=""; DCPU=""
  for ((i = 0; i < REPEAT; i++)); do
    out=$(cd "$DUCK" && node duckdb_ref.mjs "$@") || return 1
    w=$(echo "$out" | $PY -c 'import json,sys; print(json.load(sys.stdin)["wall"])')
    c=$(echo "$out" | $PY -c 'import json,sys; print(json.load(sys.stdin)["cpu"])')
    DWALL=$(awk -v a="${DWALL:-1e99}" -v b="$w" 'BEGIN{print (b < a) ? b : a}')
    DCPU=$(awk -v a="${DCPU:-1e99}" -v b="$c" 'BEGIN{print (b < a) ? b : a}')
    DOUT=$out
  done
}
rate() { awk -v b="$1" -v s="$2" 'BEGIN{ if (s < 0.001) s = 0.001; printf "%.0f", b/1e6/s }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b == 0) print "-"; else printf "%.2fx", a/b }'; }
size() { stat -c %s "$1"; }
rows() { echo "$1 MB/CPU-s, $2 MB/s wall"; }

echo "machine load average (1 min) at the start, $(nproc) cores|$(cut -d' ' -f1 /proc/loadavg)|-|-|-"

# ---- ceiling and dataset hash ----
echo "bench-plugin: cat, openssl dgst, dataset hash (${MB} MB)" >&2
timed sh -c "cat '$T/big.csv' > /dev/null"; cat_cpu=$(rate "$BYTES" "$CPU"); cat_wall=$(rate "$BYTES" "$WALL")
echo "read ceiling: cat ${MB} MB > /dev/null|-|$(rows "$cat_cpu" "$cat_wall") (cat)|-|(ceiling)"
timed openssl dgst -sha256 "$T/big.csv"; o_cpu=$(rate "$BYTES" "$CPU"); o_wall=$(rate "$BYTES" "$WALL")
want=$(cut -d' ' -f2 < "$T/stdout")
timed "$K" dataset hash "$T/big.csv" -o json; h_cpu=$(rate "$BYTES" "$CPU"); h_wall=$(rate "$BYTES" "$WALL")
got=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["digest"][7:])' "$T/stdout")
[ "$got" = "$want" ] || echo "bench-plugin: WARNING: dataset hash and openssl dgst differ" >&2
echo "dataset hash (${MB} MB) MB per CPU-second|$h_cpu ($h_wall MB/s wall)|$o_cpu (openssl dgst -sha256; $o_wall MB/s wall)|$(ratio "$h_cpu" "$o_cpu")|>= 0.9x openssl dgst"

# ---- bias-scan ----
echo "bench-plugin: bias-scan (${MB} MB) and DuckDB" >&2
timed "$K" bias-scan --protected sex,race --label approved "$T/big.csv" -o json
[ $? -le 1 ] || { cat "$T/stderr" >&2; exit 1; }
b_cpu=$CPU; b_wall=$WALL; b_rss=$RSS; cp "$T/stdout" "$T/bias.json"
duck bias 1 "$T/big.csv" || { echo "bias-scan DuckDB|FAILED|||"; exit 1; }
d1_cpu=$DCPU; d1_wall=$DWALL
duck bias 2 "$T/big.csv" || exit 1
d2_cpu=$DCPU; d2_wall=$DWALL
same=$($PY - "$T/bias.json" "$DOUT" <<'PY'
import json, sys
ours = json.load(open(sys.argv[1]))
duck = {(a, g): (n, p) for a, g, n, p in json.loads(sys.argv[2])["groups"]}
mine = {(x["attribute"], x["group"]): (x["count"], x["positiveRate"]) for x in ours["groups"]}
# rates: JSON output carries 15 significant digits
ok = set(mine) == set(duck) and all(mine[k][0] == duck[k][0] and abs(mine[k][1] - duck[k][1] / duck[k][0]) <= 1e-14
                                    for k in mine)
print("yes" if ok else "NO")
PY
)
echo "bias-scan CPU s (${MB} MB, 2 attributes, with file digest)|$b_cpu ($(rate "$BYTES" "$b_cpu") MB/CPU-s)|$d1_cpu (DuckDB 1 thread), $d2_cpu (2 threads)|$(ratio "$d1_cpu" "$b_cpu") less CPU than DuckDB 1 thread|<= DuckDB's CPU seconds"
echo "bias-scan wall s (${MB} MB)|$b_wall ($(rate "$BYTES" "$b_wall") MB/s)|$d2_wall (DuckDB 2 threads), $d1_wall (1 thread)|$(ratio "$d2_wall" "$b_wall") faster than DuckDB 2 threads|faster than DuckDB with 2 threads"
echo "bias-scan counts and positive rates equal to DuckDB's|$same|-|-|yes"
timed "$PY" hack/bench/bias_scan_ref.py sex,race approved 1 "$T/py.csv" || { cat "$T/stderr" >&2; exit 1; }
p_cpu=$(rate "$(size "$T/py.csv")" "$CPU")
echo "bias-scan MB per CPU-second|$(rate "$BYTES" "$b_cpu")|$p_cpu (python csv, ${PYMB} MB)|$(ratio "$(rate "$BYTES" "$b_cpu")" "$p_cpu")|-"
timed "$K" bias-scan --protected sex,race --label approved "$T/small.csv"; b_rss_small=$RSS

# ---- pseudonymize ----
echo "bench-plugin: pseudonymize (${MB} MB) and DuckDB" >&2
COLS=name,email DROP=note
TIMED_FRESH="$T/out.csv" timed "$K" pseudonymize --key-file "$T/key" --columns $COLS --drop $DROP "$T/big.csv" "$T/out.csv" || { cat "$T/stderr" >&2; exit 1; }
s_cpu=$(rate "$BYTES" "$CPU"); s_wall=$(rate "$BYTES" "$WALL"); s_rss=$RSS; rm -f "$T/out.csv"*
REPEAT=1 duck pseudo 2 "$T/big.csv" "$T/duck.csv" || exit 1 # minutes per run; the margin is wide
echo "pseudonymize MB per CPU-second (${MB} MB, 2 columns HMAC, 1 dropped)|$s_cpu ($s_wall MB/s wall)|$(rate "$BYTES" "$DCPU") (DuckDB 2 threads, 2 SHA-256 per field; $(rate "$BYTES" "$DWALL") MB/s wall)|$(ratio "$s_cpu" "$(rate "$BYTES" "$DCPU")")|>= 200 MB per CPU-second"
rm -f "$T/duck.csv"
"$K" pseudonymize --key-file "$T/key" --columns $COLS --drop $DROP "$T/py.csv" "$T/cpy.csv" > /dev/null 2>&1
TIMED_FRESH="$T/pyout.csv" timed "$PY" hack/bench/pseudonymize_ref.py "$T/key" $COLS $DROP "$T/py.csv" "$T/pyout.csv" || { cat "$T/stderr" >&2; exit 1; }
cmp -s "$T/cpy.csv" "$T/pyout.csv" || echo "bench-plugin: WARNING: C and Python pseudonymized outputs differ" >&2
echo "pseudonymize MB per CPU-second vs Python|$s_cpu|$(rate "$(size "$T/py.csv")" "$CPU") (python csv+hmac, ${PYMB} MB)|$(ratio "$s_cpu" "$(rate "$(size "$T/py.csv")" "$CPU")")|-"
rm -f "$T/cpy.csv"* "$T/pyout.csv"
TIMED_FRESH="$T/out.csv" timed "$K" pseudonymize --key-file "$T/key" --columns $COLS --drop $DROP "$T/small.csv" "$T/out.csv"; s_rss_small=$RSS; rm -f "$T/out.csv"*

# ---- memory ----
huge=""
if [ -n "${BENCH_PLUGIN_HUGE_MB:-}" ]; then
  rm -f "$T/py.csv"; "$T/gen" "$BENCH_PLUGIN_HUGE_MB" > "$T/huge.csv"
  REPEAT=1 timed "$K" bias-scan --protected sex,race --label approved "$T/huge.csv"; hb=$RSS
  REPEAT=1 timed "$K" pseudonymize --key-file "$T/key" --columns $COLS --drop $DROP "$T/huge.csv" "$T/out.csv"; hp=$RSS
  rm -f "$T/huge.csv" "$T/out.csv"*
  huge=" -> $BENCH_PLUGIN_HUGE_MB MB"
fi
echo "bias-scan peak RSS MB (${SMALLMB} MB -> ${MB} MB${huge})|$b_rss_small -> $b_rss${huge:+ -> $hb}|-|-|<= 20 MB, flat"
echo "pseudonymize peak RSS MB (${SMALLMB} MB -> ${MB} MB${huge})|$s_rss_small -> $s_rss${huge:+ -> $hp}|-|-|<= 20 MB, flat"

# ---- the pieces: CSV parsing and HMAC ----
for b in bench_csv bench_hmac; do [ -x "$BUILD/bench/$b" ] || make --no-print-directory -j2 "$BUILD/bench/$b" >&2; done
"$BUILD/bench/bench_csv" "$T/big.csv" > "$T/csv.txt" || { echo "CSV parsing|FAILED|||"; exit 1; }
lib=$(awk '$2 == "libcsv" {print $3}' "$T/csv.txt")
while read -r _ impl cpu _; do
  [ "$impl" = libcsv ] && continue
  echo "CSV parsing MB per CPU-second (src/csv $impl, ${MB} MB)|$(rate "$BYTES" "$cpu")|$(rate "$BYTES" "$lib") (libcsv)|$(ratio "$lib" "$cpu")|faster than libcsv"
done < "$T/csv.txt"
"$BUILD/bench/bench_hmac" > "$T/hmac.txt" || { echo "HMAC tokens|FAILED|||"; exit 1; }
ns() { awk -v m="$1" '$2 == m {print $3}' "$T/hmac.txt"; }
echo "HMAC-SHA256 token ns per CPU (12-40 bytes, four at a time as pseudonymize does)|$(ns four)|$(ns pair) (two at a time)|$(ratio "$(ns pair)" "$(ns four)")|-"
echo "HMAC-SHA256 token ns per CPU (12-40 bytes, two at a time)|$(ns pair)|$(ns lowlevel) (OpenSSL SHA256_* on keyed copies), $(ns evp) (EVP copies), $(ns hmac) (HMAC())|$(ratio "$(ns lowlevel)" "$(ns pair)")|faster than OpenSSL"
echo "HMAC-SHA256 token ns per CPU (one at a time)|$(ns single)|$(ns lowlevel) (OpenSSL SHA256_*)|$(ratio "$(ns lowlevel)" "$(ns single)")|-"
