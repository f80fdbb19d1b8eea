# modelgov top-level Makefile.
# Library sources: every src/<module>/*.c except src/plugin (the kubectl plugin's own code, archived
# apart like the operator's and the webhook's).
# Unit tests: every tests/unit/test_*.c is one cmocka binary linked against the library.
# Fuzz targets: every tests/fuzz/fuzz_*.c is one libFuzzer binary (clang).
# Integration tests: tests/integration/run.sh (drives the real binaries).

# The version comes from the VERSION file (override: make VERSION=x.y.z). Every object depends
# on a stamp that changes only when the version does, so no object keeps a stale version.
VERSION   ?= $(shell cat VERSION 2>/dev/null || echo 0.0.0)
CC        ?= cc
PKGS      := libcurl jansson openssl yaml-0.1 libwebsockets zlib
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
WARN      := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-unused-parameter -Wno-format-truncation
CFLAGS    ?= -O2 -g
ALL_CFLAGS = -std=c17 -D_GNU_SOURCE -DMG_VERSION='"$(VERSION)"' $(WARN) $(CFLAGS) -Isrc -I. $(PKG_CFLAGS) -pthread
LDLIBS    := $(PKG_LIBS) -lm -pthread
# libcsv: only the reference the CSV reader is tested and benchmarked against
REF_LIBS  := -lcsv

BUILD     ?= build/release
LIB_SRCS  := $(filter-out src/plugin/%,$(wildcard src/*/*.c))
LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/%.o)
LIB       := $(BUILD)/libmodelgov.a
OPERATOR_SRCS := $(wildcard operator/*.c)
WEBHOOK_SRCS  := $(wildcard webhook/*.c)
PLUGIN_SRCS   := $(wildcard src/plugin/*.c)
# The programs' own code minus main.c, archived so unit tests can link it too.
OPERATOR_LIB := $(BUILD)/liboperator.a
WEBHOOK_LIB  := $(BUILD)/libwebhook.a
PLUGIN_LIB   := $(BUILD)/libplugin.a
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
BENCH_SRCS := $(wildcard tests/bench/bench_*.c)
BENCH_BINS := $(BENCH_SRCS:tests/bench/%.c=$(BUILD)/bench/%)

.PHONY: all dist deps bench-bins test unit unit-asan integration fuzz fuzz-long bench fmt lint clean demo images release-images
all: bin/modelgov-operator bin/modelgov-webhook bin/kubectl-modelgov bin/kubectl_complete-modelgov

deps:
	@hack/deps.sh

VERSION_STAMP := $(BUILD)/.version-$(VERSION)
$(VERSION_STAMP):
	@mkdir -p $(dir $@)
	@rm -f $(BUILD)/.version-* && touch $@

$(BUILD)/%.o: %.c $(wildcard src/*/*.h operator/*.h webhook/*.h) $(VERSION_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(ALL_CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	@rm -f $@ && ar rcs $@ $^

$(OPERATOR_LIB): $(filter-out $(BUILD)/operator/main.o,$(OPERATOR_SRCS:%.c=$(BUILD)/%.o))
	@mkdir -p $(dir $@)
	@rm -f $@ && ar rcs $@ $^
$(WEBHOOK_LIB): $(filter-out $(BUILD)/webhook/main.o,$(WEBHOOK_SRCS:%.c=$(BUILD)/%.o))
	@mkdir -p $(dir $@)
	@rm -f $@ && ar rcs $@ $^
$(PLUGIN_LIB): $(filter-out $(BUILD)/src/plugin/main.o,$(PLUGIN_SRCS:%.c=$(BUILD)/%.o))
	@mkdir -p $(dir $@)
	@rm -f $@ && ar rcs $@ $^

bin/modelgov-operator: $(OPERATOR_SRCS:%.c=$(BUILD)/%.o) $(LIB)
	@mkdir -p bin
	@echo "  LD      $@"
	@$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)
bin/modelgov-webhook: $(WEBHOOK_SRCS:%.c=$(BUILD)/%.o) $(LIB)
	@mkdir -p bin
	@echo "  LD      $@"
	@$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)
# kubectl's completion helper for `kubectl modelgov <TAB>` (a script calling the plugin).
bin/kubectl_complete-modelgov: src/plugin/kubectl_complete-modelgov
	@mkdir -p bin
	@install -m 0755 $< $@
bin/kubectl-modelgov: $(BUILD)/src/plugin/main.o $(PLUGIN_LIB) $(LIB)
	@mkdir -p bin
	@echo "  LD      $@"
	@$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

# Unit tests link the library and the programs' archives, and test through the modules' headers.
$(BUILD)/tests/%: tests/unit/%.c $(LIB) $(OPERATOR_LIB) $(WEBHOOK_LIB) $(PLUGIN_LIB) $(VERSION_STAMP)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< $(OPERATOR_LIB) $(WEBHOOK_LIB) $(PLUGIN_LIB) $(LIB) $(LDLIBS) $(REF_LIBS) -lcmocka

# Benchmark programs: every tests/bench/bench_*.c, linked with the library, the operator's archive
# and the webhook's (for its AdmissionReview keep rules).
$(BUILD)/bench/%: tests/bench/%.c $(LIB) $(OPERATOR_LIB) $(WEBHOOK_LIB)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(ALL_CFLAGS) -Itests/bench -o $@ $< $(OPERATOR_LIB) $(WEBHOOK_LIB) $(LIB) $(LDLIBS) $(REF_LIBS)

# A fleet of simulated model pods in one process (monitoring tests and benchmark).
FLEET_SERVER := $(BUILD)/support/fleet-server
$(FLEET_SERVER): tests/support/fleet_server.c $(VERSION_STAMP)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(ALL_CFLAGS) -o $@ $<

bench-bins: $(BENCH_BINS) $(FLEET_SERVER)

unit: $(UNIT_BINS) $(FLEET_SERVER)
	@tests/run-unit.sh $(UNIT_BINS)

# Same unit tests under AddressSanitizer + UndefinedBehaviorSanitizer (LeakSanitizer is on
# with ASan by default on Linux).
unit-asan:
	$(MAKE) --no-print-directory BUILD=build/asan CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
	  LDFLAGS="-fsanitize=address,undefined" unit

integration: all
	@tests/integration/run.sh

fuzz:
	@tests/fuzz/run.sh $(FUZZ_SRCS)

# Each target for FUZZ_RUNS inputs (default 10 million) or FUZZ_SECONDS (default one hour),
# whichever comes first; what a passing run finds is merged, minimised, into
# tests/fuzz/corpus/ (commit it). FUZZ_RECORD=FILE keeps one line per target.
FUZZ_LONG_SECONDS := 3600
FUZZ_LONG_RUNS := 10000000
fuzz-long:
	@FUZZ_SECONDS=$${FUZZ_SECONDS:-$(FUZZ_LONG_SECONDS)} FUZZ_RUNS=$${FUZZ_RUNS:-$(FUZZ_LONG_RUNS)} \
	  FUZZ_MERGE=1 FUZZ_ASAN_FAST=1 tests/fuzz/run.sh $(FUZZ_SRCS)

test: deps
	@$(MAKE) --no-print-directory all
	@tests/run-all.sh

# The krew archive: the plugin, its completion helper and the license in a reproducible tar.gz
# (sorted names, fixed owner and time, gzip without a time stamp), its sha256, and the krew
# manifest that names both (hack/krew/modelgov.yaml with the blanks filled in).
DIST      := build/dist
DIST_ARCH := linux-amd64
DIST_TGZ  := kubectl-modelgov-$(VERSION)-$(DIST_ARCH).tar.gz
DIST_URL  ?= https://downloads.example.com/modelgov/v$(VERSION)
HOMEPAGE  ?= https://modelgov.example.com
dist: bin/kubectl-modelgov bin/kubectl_complete-modelgov
	@rm -rf $(DIST)/root && mkdir -p $(DIST)/root
	@install -m 0755 bin/kubectl-modelgov bin/kubectl_complete-modelgov $(DIST)/root/
	@install -m 0644 LICENSE $(DIST)/root/
	@tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C $(DIST)/root -cf - . | gzip -9n >$(DIST)/$(DIST_TGZ)
	@cd $(DIST) && sha256sum $(DIST_TGZ) >$(DIST_TGZ).sha256
	@sed -e 's|@VERSION@|$(VERSION)|' -e 's|@HOMEPAGE@|$(HOMEPAGE)|' -e 's|@URI@|$(DIST_URL)/$(DIST_TGZ)|' \
	  -e "s|@SHA256@|$$(cut -d' ' -f1 $(DIST)/$(DIST_TGZ).sha256)|" hack/krew/modelgov.yaml >$(DIST)/modelgov.yaml
	@echo "  DIST    $(DIST)/$(DIST_TGZ) $$(cut -d' ' -f1 $(DIST)/$(DIST_TGZ).sha256)"

bench: deps all bench-bins
	@hack/bench/run.sh

# make demo DEMO_RUNTIME=images: the story on a real kube-apiserver with the chart's containers
demo: deps all
	@DEMO_RUNTIME="$(DEMO_RUNTIME)" hack/demo.sh

# Container images with podman in build/images (hack/images/build.sh; `. build/images/env` to use
# podman/skopeo on them); release-images pushes them: make release-images REGISTRY=host/path.
images: deps
	@VERSION=$(VERSION) hack/images/build.sh

release-images: images
	@VERSION=$(VERSION) REGISTRY="$(REGISTRY)" TLS_VERIFY="$(TLS_VERIFY)" hack/images/release.sh

fmt:
	clang-format -i $$(git ls-files '*.c' '*.h')

lint:
	@clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h')
	@! grep -nE '\b(strcpy|strcat|sprintf|vsprintf|gets)\s*\(' $$(git ls-files '*.c' '*.h') || { echo "banned function"; exit 1; }

clean:
	@hack/images/clean.sh
	rm -rf build bin
