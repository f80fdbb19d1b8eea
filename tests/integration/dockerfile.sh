#!/bin/bash
# Lint of hack/docker/Dockerfile. No Docker engine runs on the development machines, so the
# images are never built here: this checks the file's stages, bases, non-root users, entrypoints,
# packages (build: hack/deps.sh's; runtime: every shared library the daemons load), that the
# build stage's COPY set is enough for make, and that the lint itself catches a root image.
source "$(dirname "$0")/lib.sh"
cd "$IT_ROOT"
DF=hack/docker/Dockerfile
LINT=(/usr/bin/python3 "$IT_ROOT/tests/integration/dockerfile-lint.py")
for b in bin/modelgov-operator bin/modelgov-webhook; do
  [ -x "$b" ] || { echo "FATAL: $b missing: run make all"; exit 1; }
done

lint() { # DOCKERFILE: one pass/fail per line of the lint
  local status what
  while IFS=$'\t' read -r status what; do
    if [ "$status" = PASS ]; then it_pass "$what"; else it_fail "$what"; fi
  done < <("${LINT[@]}" "$1" "$IT_ROOT" bin/modelgov-operator bin/modelgov-webhook)
}
lint "$DF"

# The lint can fail: a copy whose webhook stage runs as root, installs a -dev package at
# runtime and loses a runtime library must be flagged on each.
sed -e '/^FROM runtime AS webhook/,$ s/^USER 65532:65532$/USER root/' \
    -e 's/libcurl4 libjansson4/libcurl4-openssl-dev/' "$DF" >"$IT_DIR/Dockerfile.bad"
bad=$("${LINT[@]}" "$IT_DIR/Dockerfile.bad" "$IT_ROOT" bin/modelgov-operator bin/modelgov-webhook | grep '^FAIL' || true)
it_check "lint flags a root webhook image" grep -q 'webhook image runs as uid 65532' <<<"$bad"
it_check "lint flags a -dev package in the runtime" grep -q 'no build tools or -dev' <<<"$bad"
it_check "lint flags a missing runtime library (libjansson4)" grep -q 'libjansson.so.4 (libjansson4)' <<<"$bad"

# The build stage copies only Makefile, VERSION, src/, operator/ and webhook/: that must be
# enough to build both daemons (the same make command, in a scratch copy).
mkdir -p "$IT_DIR/ctx"
cp -r Makefile VERSION src operator webhook "$IT_DIR/ctx/"
it_check "the build stage's COPY set builds both daemons (make in a scratch copy)" \
  bash -c "cd '$IT_DIR/ctx' && make -j2 bin/modelgov-operator bin/modelgov-webhook >'$IT_DIR/make.log' 2>&1 || { tail -20 '$IT_DIR/make.log'; exit 1; }"
it_finish
