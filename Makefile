# Vigil — see README.md. Every target works on a fresh machine with Go installed;
# `make test` needs redis-server/redis-cli 7.0 for the interop tests (.ci/run installs them).
GO        ?= go
BIN       := bin/vigil
PORT      ?= 6379
FUZZTIME  ?= 30s
VERSION   ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X main.version=$(VERSION)

.PHONY: build test test-redis test-sentinel-suite test-safety run run-sentinel bench lint fuzz clean

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/vigil
	ln -sf vigil bin/redis-server
	ln -sf vigil bin/redis-sentinel

# -p 1: packages one at a time; the process-level failover tests are timing-sensitive and the
# race-enabled failover simulation would otherwise share the machine's 2 cores with them
test: build
	$(GO) test -race -count=1 -p 1 -timeout 30m ./...
	$(MAKE) --no-print-directory test-redis test-sentinel-suite

# Redis 7.0.15's own unit tests (the units in testdata/redis-tests.units) and Sentinel suite (only
# the ACL tests in testdata/redis-sentinel-tests.allowed may fail), from ../shared/redis-tests
test-redis: build
	scripts/redis-unit-suite.sh

test-sentinel-suite: build
	scripts/redis-sentinel-suite.sh

# The safety harness (issue 10, integration/safety_test.go): three hosts in network namespaces,
# fault schedules (kill9 partition8 partition15 sigstop replica-cut, or all), Vigil and real
# Redis side by side; needs root, `ip netns` and nft. `make test` runs its short version
# (kill9 and partition8 once). Example: make test-safety SAFETY_SCHEDULES=kill9 SAFETY_RUNS=20
SAFETY_SCHEDULES ?= all
SAFETY_RUNS      ?= 1
SAFETY_MODE      ?= default
SAFETY_IMPLS     ?= vigil,redis
SAFETY_REPORT    ?= /tmp/vigil-safety-report.txt
SAFETY_DOWN_MS   ?= 1000
test-safety: build
	VIGIL_SAFETY_SCHEDULES=$(SAFETY_SCHEDULES) VIGIL_SAFETY_RUNS=$(SAFETY_RUNS) VIGIL_SAFETY_MODE=$(SAFETY_MODE) \
	VIGIL_SAFETY_IMPLS=$(SAFETY_IMPLS) VIGIL_SAFETY_REPORT=$(SAFETY_REPORT) VIGIL_SAFETY_DOWN_MS=$(SAFETY_DOWN_MS) \
		$(GO) test -count=1 -v -timeout 300m -run '^TestSafety$$' ./integration/
	@cat $(SAFETY_REPORT)

# a local HA demo: 3 nodes (`vigil node`: data servers PORT..PORT+2, PORT's the master;
# sentinel endpoints SENTINEL_PORT..+2) on loopback; Ctrl-C stops everything
SENTINEL_PORT ?= 26379
run: build
	@PORT=$(PORT) SENTINEL_PORT=$(SENTINEL_PORT) BIN=$(BIN) scripts/demo.sh

# the drop-in demo: 3 `vigil server` (PORT master, PORT+1, PORT+2 replicas) and 3
# `vigil sentinel` (SENTINEL_PORT..+2)
run-sentinel: build
	@PORT=$(PORT) SENTINEL_PORT=$(SENTINEL_PORT) BIN=$(BIN) scripts/demo-sentinel.sh

bench: build
	scripts/bench.sh
	scripts/bench-persist.sh
	scripts/bench-repl.sh
	scripts/bench-failover.sh
	$(GO) test -run '^$$' -bench 'BenchmarkRoute' -benchtime 4000x ./httpapi/
	VIGIL_NODE_HTTP_BENCH=1 $(GO) test -count=1 -run '^TestNodeHTTPLatency$$' -v ./integration/

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@if command -v staticcheck >/dev/null 2>&1 || $(GO) install honnef.co/go/tools/cmd/staticcheck@v0.6.1 >/dev/null 2>&1; then \
		PATH="$$PATH:$$($(GO) env GOPATH)/bin" staticcheck ./... ; \
	else echo "staticcheck could not be installed here; skipped"; fi

fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
		for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz' || true); do \
			echo "== $$pkg $$f ($(FUZZTIME))"; \
			$(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
		done; \
	done

clean:
	rm -rf bin
