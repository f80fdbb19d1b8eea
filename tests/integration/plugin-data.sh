#!/bin/bash
# kubectl-modelgov data commands against the golden files of tests/plugin/ (inputs in in/,
# expected outputs in expected/, generated independently by hack/gen-plugin-golden.py with
# Python's csv/hmac/hashlib, numpy and scipy). Exits non-zero on any mismatch and prints
# "N passed, N failed" last.
set -u
cd "$(dirname "$0")/../plugin"
K=${KUBECTL_MODELGOV:-../../bin/kubectl-modelgov}
PY=/usr/bin/python3
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
pass=0; fail=0
ok() { pass=$((pass+1)); echo "ok   $1"; }
no() { fail=$((fail+1)); echo "FAIL $1${2:+: $2}"; }

# check NAME EXPECTED_RC CMD... : runs CMD with stdout in $T/out and stderr in $T/err
check_rc() {
  local name=$1 want=$2; shift 2
  "$@" >"$T/out" 2>"$T/err"; local rc=$?
  if [ "$rc" -eq "$want" ]; then ok "$name (exit $rc)"; return 0; fi
  no "$name" "exit $rc, want $want; stderr: $(head -c 300 "$T/err")"; return 1
}
json_eq() { # NAME EXPECTED_FILE ACTUAL_FILE [--yaml]
  local d; if d=$($PY jsoncmp.py "$2" "$3" ${4:-} 2>&1); then ok "$1"; else no "$1" "$d"; fi
}
file_eq() { if cmp -s "$2" "$3"; then ok "$1"; else no "$1" "$(cmp "$2" "$3" 2>&1 | head -1)"; fi; }
has() { if grep -q -- "$3" "$2"; then ok "$1"; else no "$1" "'$3' not in $(head -c 300 "$2")"; fi; }

# ---- help, version, usage errors ----
for c in "dataset hash" pseudonymize anonymity bias-scan baseline drift; do
  check_rc "help: $c" 0 $K $c --help && has "help: $c lists exit codes" "$T/out" "Exit codes"
done
check_rc "top-level --help" 0 $K --help
check_rc "--version" 0 $K --version && has "--version names the tool" "$T/out" "kubectl-modelgov"
check_rc "no command is a usage error" 2 $K
check_rc "unknown command" 2 $K frobnicate
check_rc "unknown flag" 2 $K anonymity --quasi age --bogus in/people.csv
check_rc "missing flag value" 2 $K anonymity in/people.csv --quasi
check_rc "bad -o" 2 $K dataset hash -o xml in/people.csv
check_rc "missing operand" 2 $K anonymity --quasi age
check_rc "missing input file" 3 $K anonymity --quasi age in/nope.csv

# ---- dataset hash ----
check_rc "hash -o json" 0 $K dataset hash in/people.csv in/people_lf.csv in/single.csv -o json &&
  json_eq "hash digests" expected/hash.json "$T/out"
check_rc "hash table" 0 $K -n default dataset hash in/people.csv &&
  has "hash table shows the digest" "$T/out" "$($PY -c 'import json;print(json.load(open("expected/hash.json"))[0]["digest"])')"
# output that cannot be written fails the command instead of exiting 0 with nothing written
if [ -w /dev/full ]; then
  $K dataset hash in/people.csv >/dev/full 2>"$T/err"; rc=$?
  [ "$rc" -eq 3 ] && ok "hash to a full stdout exits 3" || no "hash to a full stdout" "exit $rc, want 3"
  has "a full stdout is named" "$T/err" "writing to stdout failed"
fi

# ---- pseudonymize ----
for c in pseudo1 pseudo1lf pseudo2 pseudolong pseudosingle pseudobig; do
  eval "$($PY -c "
import json,shlex; m=json.load(open('expected/pseudo-cases.json'))['$c']
print('IN='+shlex.quote(m['input']), 'KEY='+shlex.quote(m['key']), 'COLS='+shlex.quote(m['columns']), 'DROP='+shlex.quote(m['drop']))
json.dump(m['report'], open('$T/$c.report.expected','w'))")"
  args=(--key-file "in/$KEY" --columns "$COLS"); [ -n "$DROP" ] && args+=(--drop "$DROP")
  # options after the operands, --flag=value form, to exercise permutation
  check_rc "pseudonymize $c" 0 $K pseudonymize "in/$IN" "$T/$c.csv" "${args[@]}" --report="$T/$c.report.json" || continue
  file_eq "pseudonymize $c output bytes" "expected/$c.csv" "$T/$c.csv"
  json_eq "pseudonymize $c report" "$T/$c.report.expected" "$T/$c.report.json"
  printed=$(cat "$T/out"); actual="sha256:$(sha256sum "$T/$c.report.json" | cut -d' ' -f1)"
  [ "$printed" = "$actual" ] && ok "pseudonymize $c prints the report digest" || no "pseudonymize $c digest" "$printed vs $actual"
  keyhex=$(od -An -tx1 "in/$KEY" | tr -d ' \n')
  if grep -q "$keyhex" "$T/$c.report.json" "$T/out" "$T/err"; then no "pseudonymize $c leaks the key"; else ok "pseudonymize $c does not print the key"; fi
done
# same key: same tokens whatever the input's line ends; different key: different tokens
file_eq "same key, same tokens (CRLF vs LF input)" "$T/pseudo1.csv" "$T/pseudo1lf.csv"
if [ -s "$T/pseudo1.csv" ] && [ -s "$T/pseudo2.csv" ]; then
  common=$(comm -12 <(tail -n +2 "$T/pseudo1.csv" | cut -d, -f2 | sort -u) <(tail -n +2 "$T/pseudo2.csv" | cut -d, -f2 | sort -u) | grep -c '^[0-9a-f]\{64\}')
  [ "$common" -eq 0 ] && ok "different key, different tokens" || no "different key, different tokens" "$common tokens shared"
fi
check_rc "pseudonymize default report path, -o json" 0 $K pseudonymize --key-file in/key1.bin --columns name in/people.csv "$T/d.csv" -o json &&
  [ -f "$T/d.csv.report.json" ] && ok "report written to OUT.report.json" || no "report written to OUT.report.json"
check_rc "key under 32 bytes refused" 3 $K pseudonymize --key-file in/short.bin --columns name in/people.csv "$T/s.csv" &&
  has "short key message" "$T/err" "at least 32 bytes"
[ ! -e "$T/s.csv" ] && ok "no output with a short key" || no "no output with a short key"
check_rc "unknown column" 3 $K pseudonymize --key-file in/key1.bin --columns nope in/people.csv "$T/u.csv"
check_rc "column both pseudonymized and dropped" 2 $K pseudonymize --key-file in/key1.bin --columns name --drop name in/people.csv "$T/u.csv"
check_rc "IN == OUT refused" 2 $K pseudonymize --key-file in/key1.bin --columns name in/people.csv in/people.csv
check_rc "malformed input" 3 $K pseudonymize --key-file in/key1.bin --columns a in/bad_quote.csv "$T/m.csv"
[ ! -e "$T/m.csv" ] && ok "no partial output on malformed input" || no "no partial output on malformed input"

# ---- anonymity ----
check_rc "anonymity age,zip" 0 $K anonymity --quasi age,zip -o json in/people.csv && json_eq "anonymity age,zip" expected/anon_age_zip.json "$T/out"
check_rc "anonymity sex --show 3 (yaml)" 0 $K anonymity in/people.csv -o yaml --quasi sex --show 3 && json_eq "anonymity sex (yaml)" expected/anon_sex.json "$T/out" --yaml
k=$($PY -c 'import json;print(json.load(open("expected/anon_age_zip.json"))["k"])')
check_rc "anonymity --k k passes" 0 $K anonymity --quasi age --quasi zip --k "$k" in/people.csv
check_rc "anonymity --k k+1 fails with exit 1" 1 $K anonymity --quasi age,zip --k $((k+1)) in/people.csv
check_rc "anonymity -- ends options" 0 $K anonymity --quasi age -- in/people.csv

# ---- bias-scan ----
want=$($PY -c 'import json;print(0 if json.load(open("expected/bias_sex_race.json"))["passed"] else 1)'); want_sex_race=$want
check_rc "bias-scan sex,race" "$want" $K bias-scan --protected sex,race --label approved in/people.csv -o json &&
  json_eq "bias-scan sex,race" expected/bias_sex_race.json "$T/out"
want=$($PY -c 'import json;print(0 if json.load(open("expected/bias_pred0.json"))["passed"] else 1)')
check_rc "bias-scan --positive 0" "$want" $K bias-scan in/people.csv --protected race --label pred --positive 0 -o json &&
  json_eq "bias-scan --positive 0" expected/bias_pred0.json "$T/out"
check_rc "bias-scan table" "$want" $K bias-scan in/people.csv --protected race --label pred --positive 0 && has "bias-scan table header" "$T/out" "DISPARATE-IMPACT"

# ---- baseline ----
check_rc "baseline full" 0 $K baseline --features age,income --bins 5 --label approved --prediction pred --protected sex,race in/people.csv -o json &&
  json_eq "baseline full" expected/baseline_full.json "$T/out"
check_rc "baseline plain (yaml)" 0 $K baseline --features age --bins 4 in/people.csv && json_eq "baseline plain (yaml)" expected/baseline_plain.json "$T/out" --yaml
check_rc "baseline on text column" 3 $K baseline --features name in/people.csv && has "baseline names line and column" "$T/err" "line 2: column name"

# ---- drift ----
check_rc "drift x,y,z" 0 $K drift --reference in/ref.csv --current in/cur.csv --features x,y,z -o json && json_eq "drift x,y,z" expected/drift_xyz.json "$T/out"
check_rc "drift y, 4 bins" 0 $K drift -o json --bins 4 --features y --current in/cur.csv --reference in/ref.csv && json_eq "drift y 4 bins" expected/drift_y4.json "$T/out"
check_rc "drift all numeric columns" 0 $K drift --reference in/ref.csv --current in/cur.csv -o json &&
  [ "$($PY -c 'import json,sys;print(",".join(f["name"] for f in json.load(open(sys.argv[1]))["features"]))' "$T/out")" = "x,y,z" ] &&
  ok "drift picks numeric columns x,y,z" || no "drift picks numeric columns"
check_rc "drift over --max-psi exits 1" 1 $K drift --reference in/ref.csv --current in/cur.csv --max-psi 0.1 && has "drift names the breach" "$T/out" "BREACH"
check_rc "drift under thresholds exits 0" 0 $K drift --reference in/ref.csv --current in/cur.csv --max-psi 5 --max-ks 1 --max-js 1
check_rc "drift identical files" 0 $K drift --reference in/ref.csv --current in/ref.csv --max-psi 0 --max-ks 0 --max-wasserstein 0

# ---- malformed CSV: the error names the line ----
while read -r f line; do
  check_rc "malformed $f" 3 $K anonymity --quasi a "in/$f" && has "malformed $f names line $line" "$T/err" "line $line[:,]"
done < expected/errors.txt
check_rc "malformed via bias-scan" 3 $K bias-scan --protected a --label b in/bad_fields.csv

# ---- a spreadsheet's UTF-8 export: a byte order mark first, a space after each comma ----
# The mark is not part of the first column's name: every command reads the file as it reads the
# same file without it (the digests differ, they cover the file's bytes), and pseudonymize keeps
# the mark at the start of its output. A column misnamed gets the header's columns listed.
{ printf '\xef\xbb\xbf'; cat in/people.csv; } > "$T/bom.csv"
$K bias-scan --protected sex,race --label approved in/people.csv -o json > "$T/nobom.json"
check_rc "bias-scan, byte order mark first" "$want_sex_race" $K bias-scan --protected sex,race --label approved "$T/bom.csv" -o json &&
  $PY - "$T/nobom.json" "$T/out" <<'PY' && ok "bias-scan reads past the byte order mark" || no "bias-scan reads past the byte order mark" "$(head -c 300 "$T/out")"
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
assert a["fileDigest"] != b["fileDigest"]
a.pop("fileDigest"); b.pop("fileDigest")
assert a == b and a["rows"] > 0, (a, b)
PY
check_rc "anonymity, byte order mark first" 0 $K anonymity --quasi id,age -o json "$T/bom.csv" &&
  $K anonymity --quasi id,age -o json in/people.csv | cmp -s - "$T/out" && ok "anonymity: the first column found past the mark" || no "anonymity: the first column found past the mark"
check_rc "pseudonymize, byte order mark first" 0 $K pseudonymize --key-file in/key1.bin --columns id,name "$T/bom.csv" "$T/bom.out.csv" &&
  $K pseudonymize --key-file in/key1.bin --columns id,name in/people.csv "$T/nobom.out.csv" >/dev/null 2>&1 &&
  { printf '\xef\xbb\xbf'; cat "$T/nobom.out.csv"; } | cmp -s - "$T/bom.out.csv" && ok "pseudonymize keeps the mark, and only it" || no "pseudonymize keeps the mark, and only it"
printf 'sex, age, approved\nf, 30, 1\n' > "$T/spaced.csv"
check_rc "a column named with spaces around it" 3 $K bias-scan --protected age --label approved "$T/spaced.csv" &&
  has "the error shows the spaced column" "$T/err" 'its column " age" has spaces around the name'
check_rc "an unknown column" 3 $K bias-scan --protected agex --label approved "$T/bom.csv" &&
  has "the error lists the header's columns" "$T/err" 'agex is not in the header (its columns: id, name, sex, race, age, zip, income, approved, pred, note)'

# ---- not CSV text: a compressed file is refused by what it is, and the way the error shows works ----
gzip -c in/people.csv > "$T/people.csv.gz"
check_rc "bias-scan on a gzip file" 3 $K bias-scan --protected sex,race --label approved "$T/people.csv.gz" &&
  has "the error says gzip and how to read it" "$T/err" "not CSV text: gzip-compressed data; the commands read CSV from standard input as -, e.g. gzip -dc $T/people.csv.gz |"
gzip -dc "$T/people.csv.gz" | $K bias-scan --protected sex,race --label approved - -o json > "$T/gz.json"
$PY - "$T/nobom.json" "$T/gz.json" <<'PY' && ok "gzip -dc FILE | bias-scan ... - reads it" || no "gzip -dc FILE | bias-scan ... - reads it"
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
assert a == b, (a, b)
PY
printf 'PK\003\004\024\000\006\000' > "$T/book.xlsx"
check_rc "anonymity on an .xlsx workbook" 3 $K anonymity --quasi a "$T/book.xlsx" && has "the error says zip/xlsx" "$T/err" "a zip archive (an .xlsx workbook is one"

# ---- a column name twice: pseudonymize and drop take every such column (a second "email" must
# not leak); a command that reads a column refuses to pick one ----
printf 'id,email,sex,email\r\n1,a@x.org,f,b@y.org\r\n2,c@x.org,m,\r\n' > "$T/dup.csv"
check_rc "pseudonymize a column named twice" 0 $K pseudonymize --key-file in/key1.bin --columns email "$T/dup.csv" "$T/dup.out.csv" &&
  $PY - in/key1.bin "$T/dup.out.csv" <<'PY' && ok "both columns named email are tokens" || no "both columns named email are tokens" "$(head -c 400 "$T/dup.out.csv")"
import hashlib, hmac, sys
key = open(sys.argv[1], "rb").read()
t = lambda v: hmac.new(key, v.encode(), hashlib.sha256).hexdigest() if v else ""
want = "id,email,sex,email\r\n" + "".join(f"{i},{t(a)},{s},{t(b)}\r\n" for i, a, s, b in ((1, "a@x.org", "f", "b@y.org"), (2, "c@x.org", "m", "")))
got = open(sys.argv[2], newline="").read()
assert got == want, got
PY
check_rc "drop a column named twice" 0 $K pseudonymize --key-file in/key1.bin --columns id --drop email "$T/dup.csv" "$T/dup2.csv" &&
  [ "$(head -1 "$T/dup2.csv")" = $'id,sex\r' ] && ok "both columns named email dropped" || no "both columns named email dropped" "$(head -1 "$T/dup2.csv")"
check_rc "bias-scan on a column named twice" 3 $K bias-scan --protected email --label sex "$T/dup.csv" &&
  has "the error names both places" "$T/err" "column email is in the header 2 times (columns 2 and 4"

# ---- large files: the two-thread parse (>= 32 MiB) must agree with the one-thread parse (stdin) ----
if cc -O2 -o "$T/gen" ../../hack/bench/gen-plugin-csv.c 2>/dev/null; then
  "$T/gen" 40 > "$T/big.csv"
  $K bias-scan --protected sex,race --label approved "$T/big.csv" -o json > "$T/par.json"; rc1=$?
  $K bias-scan --protected sex,race --label approved - -o json < "$T/big.csv" > "$T/seq.json"; rc2=$?
  [ $rc1 = $rc2 ] && cmp -s "$T/par.json" "$T/seq.json" && ok "bias-scan: two threads == one thread (40 MB)" || no "bias-scan: two threads == one thread"
  $K anonymity --quasi age,zip "$T/big.csv" -o json > "$T/par.json"
  $K anonymity --quasi age,zip - -o json < "$T/big.csv" > "$T/seq.json"
  cmp -s "$T/par.json" "$T/seq.json" && ok "anonymity: two threads == one thread (40 MB)" || no "anonymity: two threads == one thread"
  lines=$(wc -l < "$T/big.csv"); printf '1,2,3\r\n' >> "$T/big.csv"
  check_rc "error in the second half" 3 $K bias-scan --protected sex --label approved "$T/big.csv" && has "second-half error names line $((lines+1))" "$T/err" "line $((lines+1)):"
  # a quoted multi-line field straddling the middle: the speculative second half is wrong
  $PY - "$T/span.csv" <<'PY'
import sys
big = '"' + "\n".join("y" * 100 for _ in range(5000)) + '"'
rows = [f"{i},{'f' if i % 3 else 'm'},{i % 2},plain" for i in range(2000000)]
mid, acc = (sum(len(r) + 1 for r in rows) + len(big)) // 2, 0
for k, r in enumerate(rows):
    acc += len(r) + 1
    if acc > mid - len(big) // 2:
        break
rows[k] = rows[k].rsplit(",", 1)[0] + "," + big
open(sys.argv[1], "w").write("\n".join(["id,sex,approved,note"] + rows) + "\n")
PY
  $K bias-scan --protected sex --label approved "$T/span.csv" -o json > "$T/par.json"
  $K bias-scan --protected sex --label approved - -o json < "$T/span.csv" > "$T/seq.json"
  cmp -s "$T/par.json" "$T/seq.json" && ok "bias-scan: quoted field across the split" || no "bias-scan: quoted field across the split"
  rm -f "$T/big.csv" "$T/span.csv"
else
  no "compiling hack/bench/gen-plugin-csv.c"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
