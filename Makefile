# tminus — make demo opens the cockpit on a throwaway workspace; make test runs every test.
GO       ?= go
BIN      := bin/tminus
PKGS     := ./...
# staticcheck is pinned and installed from the module proxy on first use.
STATICCHECK_VERSION := v0.8.2
GOBIN    := $(shell $(GO) env GOPATH)/bin

.PHONY: build build-pure demo test bench lint fuzz clean soak devchain

# The release binary: one static file for a bare jump host, with cgo and
# libsecp256k1 linked in (Ecrecover 35 us against 134 us in pure Go; see
# BENCHMARKS.md). netgo and osusergo keep glibc's resolver and user lookup
# out, so nothing is loaded at run time (ldd: not a dynamic executable; it
# runs in an empty chroot). Without gcc or a static libc it falls back to
# the pure-Go build, which is also one static file.
STATIC_CGO := CGO_ENABLED=1 $(GO) build -trimpath -tags netgo,osusergo -ldflags '-extldflags -static'
build:
	@$(STATIC_CGO) -o $(BIN) ./cmd/tminus || { \
	  echo "make build: static cgo link failed (gcc, libc6-dev?); building pure Go instead" >&2; \
	  $(MAKE) --no-print-directory build-pure; }

# Pure Go (CGO_ENABLED=0): secp256k1 falls back to decred's implementation.
build-pure:
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN) ./cmd/tminus

demo: build
	./$(BIN) demo

test:
	$(GO) build ./...
	$(GO) test -count=1 -timeout 30m $(PKGS)

# Whole workloads once each (100k-event imports and folds, a catch-up, a
# ten-node mesh, commands on 100k- and 1M-event stores); the per-operation
# ones (appends, latency, webhooks, the cockpit's View) for two seconds
# each; then signatures with cgo (libsecp256k1) and without.
HEAVY_BENCH := Ingest100k|Verify100k|Fold|State100k|CatchUp|TenNode|Cmd|CockpitFirstFrame
bench:
	$(GO) test -run '^$$' -bench '$(HEAVY_BENCH)' -benchtime 1x -timeout 60m $(PKGS)
	$(GO) test -run '^$$' -bench . -skip '$(HEAVY_BENCH)' -benchtime 2s -timeout 30m $(PKGS)
	CGO_ENABLED=0 $(GO) test -run '^$$' -bench 'Ecrecover|Sign$$|DecodeVerify' -benchtime 2s ./domain/
	CGO_ENABLED=0 $(GO) test -run '^$$' -bench . -benchtime 2s ./domain/sigbatch/

# Real nodes under faults (docs/design.md, "Soak"): SOAK_NODES (10),
# SOAK_SECONDS (60), SOAK_SEED (random; printed). One JSON line on stdout.
soak:
	SOAK_NODES=$(SOAK_NODES) SOAK_SECONDS=$(SOAK_SECONDS) SOAK_SEED=$(SOAK_SEED) $(GO) run ./cmd/soak

lint:
	@test -z "$$(gofmt -l .)" || { gofmt -l .; echo "gofmt: the files above need formatting"; exit 1; }
	$(GO) vet $(PKGS)
	@test -x $(GOBIN)/staticcheck || $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	$(GOBIN)/staticcheck $(PKGS)

# Each decoder's fuzz target for a short run; FUZZTIME=5m for longer.
FUZZTIME ?= 20s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

clean:
	rm -rf bin

# A local chain for drills: geth --dev on 127.0.0.1 with Safe v1.4.1 (3 owners,
# threshold 2, keys in DEVCHAIN_DIR/keys) and a pausable target; left running.
devchain:
	@scripts/devchain --dir "$(or $(DEVCHAIN_DIR),/tmp/tminus-devchain)"
	@echo "make devchain: read $(or $(DEVCHAIN_DIR),/tmp/tminus-devchain)/devchain.json; stop with: scripts/devchain --dir $(or $(DEVCHAIN_DIR),/tmp/tminus-devchain) --stop"
