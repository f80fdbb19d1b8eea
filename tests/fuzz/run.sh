#!/bin/bash
# Fuzz smoke run (make fuzz passes the list of tests/fuzz/fuzz_*.c; with no arguments every
# target is taken). Builds the library with clang and -fsanitize=fuzzer-no-link,address,undefined
# into build/fuzz, links each target with -fsanitize=fuzzer,address,undefined, then runs each one
# for FUZZ_SECONDS (default 10) over a scratch copy of its checked-in corpus
# tests/fuzz/corpus/<target>/ (plus tests/fuzz/<target>.dict when present). Any crash, leak,
# sanitizer report or timeout fails the run; the input that triggered it is kept in
# build/fuzz/crashes/. Prints one line per target and a closing "fuzz: N passed, N failed".
#
# Environment: FUZZ_SECONDS (per target), FUZZ_RUNS (stop a target after that many inputs, when
# it comes before FUZZ_SECONDS), FUZZ_KEEP=1 keeps the scratch corpora (new inputs found) under
# build/fuzz/work/, FUZZ_MERGE=1 (make fuzz-long) merges what a passing run found into the
# checked-in corpus, minimised: libFuzzer's -merge=1 adds only the inputs that reach new edges,
# FUZZ_RECORD=FILE appends one line per target ("target runs seconds coverage new-corpus-inputs
# result") for the record of a long run. FUZZ_ASAN_FAST=1 (make fuzz-long) runs with ASan's
# allocation stacks and malloc fill off and a 16 MB quarantine (malloc_context_size=0,
# max_malloc_fill_size=0, quarantine_size_mb=16): the same detection (a use after free is still
# caught while the freed block waits in the quarantine), about 1.5x the executions and a sixth
# of the memory for allocation-heavy targets; a failing input is then
# run once more with full reports so its log shows where the memory came from. FUZZ_TIMEOUT
# (default 10): seconds one input may take before it counts as a hang; raise it on a machine
# whose other work can starve the fuzzer (a niced long run), where a wall-clock timeout fires
# on a fast input.
set -u
cd "$(dirname "$0")/../.."
secs=${FUZZ_SECONDS:-10}
timeout=${FUZZ_TIMEOUT:-10}
if ! command -v clang >/dev/null 2>&1; then
  echo "fuzz: clang is not installed; libFuzzer targets need it (apt-get install clang, or hack/deps.sh)" >&2
  exit 1
fi
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  shopt -s nullglob
  targets=(tests/fuzz/fuzz_*.c)
fi
if [ ${#targets[@]} -eq 0 ]; then
  echo "fuzz: no targets (tests/fuzz/fuzz_*.c)"
  echo "fuzz: 0 passed, 0 failed"
  exit 0
fi

san="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
# -Wno-error: the warnings gate is the regular gcc build; clang's extra warnings are shown
# (below) but do not stop the fuzz run. -Wno-unknown-warning-option: gcc-only -Wno-format-truncation.
cflags="-O1 -g $san -fsanitize=fuzzer-no-link -Wno-error -Wno-unknown-warning-option"
build=build/fuzz
mkdir -p "$build"
echo "fuzz: building the library with clang into $build" >&2
if ! make --no-print-directory -j2 BUILD=$build CC=clang CFLAGS="$cflags" $build/libmodelgov.a >$build.log 2>&1; then
  cat $build.log >&2
  echo "fuzz: building the library with clang failed" >&2
  echo "fuzz: 0 passed, ${#targets[@]} failed"
  exit 1
fi
if grep -q 'warning:' $build.log; then
  echo "fuzz: clang warnings in the library build (not fatal here):" >&2
  grep 'warning:' $build.log | sort -u >&2
fi
pkgs="libcurl jansson openssl yaml-0.1 libwebsockets zlib"
pkg_cflags=$(pkg-config --cflags $pkgs 2>/dev/null)
pkg_libs=$(pkg-config --libs $pkgs 2>/dev/null)
mkdir -p $build/bin $build/crashes $build/work
# merge_corpus BIN NAME FOUND: adds to tests/fuzz/corpus/NAME the inputs of FOUND that reach code
# edges the checked-in corpus does not (libFuzzer names them by content hash); prints how many.
# -use_counters=0: an edge counts once, not per hit-count bucket, which keeps the corpus small.
merge_corpus() {
  local dir=tests/fuzz/corpus/$2 before
  mkdir -p "$dir"
  before=$(find "$dir" -type f | wc -l)
  ASAN_OPTIONS=detect_leaks=0 "$1" -merge=1 -use_counters=0 -timeout="$timeout" -rss_limit_mb=2048 -max_len=65536 "$dir" "$3" \
    >"$build/$2.merge.log" 2>&1 || { echo "fuzz: $2: merging the corpus failed (log $build/$2.merge.log)" >&2; }
  echo $(($(find "$dir" -type f | wc -l) - before))
}
pass=0; fail=0; failed=()
for src in "${targets[@]}"; do
  name=$(basename "$src" .c)
  bin=$build/bin/$name
  if ! clang -std=c17 -D_GNU_SOURCE -O1 -g $san -fsanitize=fuzzer -Wall -Wextra -Werror -Wno-unused-parameter \
      -Isrc -I. $pkg_cflags -pthread -o "$bin" "$src" $build/libmodelgov.a $pkg_libs -lcsv -lm -pthread \
      >$build/$name.build.log 2>&1; then
    cat $build/$name.build.log >&2
    echo "fuzz: $name: BUILD FAILED"
    fail=$((fail+1)); failed+=("$name"); continue
  fi
  work=$build/work/$name
  rm -rf "$work"; mkdir -p "$work/corpus" "$work/artifacts"
  [ -d tests/fuzz/corpus/$name ] && cp -r tests/fuzz/corpus/$name/. "$work/corpus/"
  dict=(); [ -f tests/fuzz/$name.dict ] && dict=(-dict=tests/fuzz/$name.dict)
  # tests/fuzz/<target>.options: the target's own libFuzzer flags, after the defaults (the last wins)
  opts=(); [ -f tests/fuzz/$name.options ] && read -r -a opts < tests/fuzz/$name.options
  log=$build/$name.log
  # -timeout: one input running longer than FUZZ_TIMEOUT s is a hang; -rss_limit_mb keeps it friendly
  runs=(); [ -n "${FUZZ_RUNS:-}" ] && runs=(-runs="$FUZZ_RUNS")
  start=$(date +%s)
  asan=detect_leaks=1:abort_on_error=1
  [ "${FUZZ_ASAN_FAST:-0}" = 1 ] && asan=$asan:malloc_context_size=0:max_malloc_fill_size=0:quarantine_size_mb=16
  ASAN_OPTIONS=$asan UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$bin" -max_total_time="$secs" "${runs[@]}" -timeout="$timeout" -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
      -artifact_prefix="$work/artifacts/" "${dict[@]}" "${opts[@]}" "$work/corpus" >"$log" 2>&1
  rc=$?
  took=$(($(date +%s) - start))
  execs=$(grep -m1 'stat::number_of_executed_units' "$log" | awk '{print $2}')
  cov=$(grep -E '^#[0-9]+.*cov:' "$log" | tail -1 | sed -E 's/.*cov: ([0-9]+).*/\1/')
  added=0
  if [ $rc -eq 0 ] && [ "${FUZZ_MERGE:-0}" = 1 ]; then
    added=$(merge_corpus "$bin" "$name" "$work/corpus")
  fi
  if [ -n "${FUZZ_RECORD:-}" ]; then
    printf '%s %s %s %s %s %s\n' "$name" "${execs:-?}" "$took" "${cov:-?}" "$added" \
      "$([ $rc -eq 0 ] && echo ok || echo FAILED)" >>"$FUZZ_RECORD"
  fi
  if [ $rc -eq 0 ]; then
    pass=$((pass+1))
    echo "fuzz: $name: ok (${execs:-?} runs in ${took}s, coverage ${cov:-?}, $added new corpus inputs)"
  else
    fail=$((fail+1)); failed+=("$name")
    for a in "$work"/artifacts/*; do
      [ -e "$a" ] || continue
      cp "$a" "$build/crashes/$name-$(basename "$a")"
      if [ "${FUZZ_ASAN_FAST:-0}" = 1 ]; then # the full report: allocation stacks included
        ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
          "$bin" -timeout="$timeout" -rss_limit_mb=2048 "$a" >>"$log" 2>&1
      fi
      echo "fuzz: $name: reproducer kept as $build/crashes/$name-$(basename "$a") (run: $bin FILE)"
    done
    grep -E 'ERROR:|SUMMARY:|runtime error|deadly signal|Test unit written' "$log" | head -20
    echo "fuzz: $name: FAILED (exit $rc, full log $log)"
  fi
  [ "${FUZZ_KEEP:-0}" = 1 ] || rm -rf "$work"
done
echo "fuzz: $pass passed, $fail failed"
[ $fail -eq 0 ] || { echo "failed targets: ${failed[*]}"; exit 1; }
