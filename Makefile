# rolehop's everyday targets. `make test` is what CI runs (through .ci/run).

GO      ?= go
BIN     ?= bin/rolehop
PKGS    := ./...
# What `rolehop version` prints: the checkout's git describe, run only when building (empty
# outside a checkout, where the version the go command records is printed instead).
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null)

.PHONY: build test lint demo bench fuzz clean

# A static binary (no cgo) starts about a millisecond faster than a dynamically linked one.
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/rolehop

# Unit tests, fuzz seed corpora and the command-line scripts, against a local moto_server,
# with the race detector on. The scripts start rolehop hundreds of times: atexit_sleep_ms=0
# stops the race detector from pausing a second at each exit.
# The auth provider's JSON reader runs again on encoding/json v2 (GOEXPERIMENT=jsonv2), which
# words its errors differently: the reader's messages must not depend on the library's.
test:
	GORACE=atexit_sleep_ms=0 $(GO) test -race -count=1 $(PKGS)
	GOEXPERIMENT=jsonv2 $(GO) test -count=1 ./internal/authprovider

lint:
	@unformatted="$$(gofmt -l cmd internal)"; \
	if [ -n "$$unformatted" ]; then echo "not gofmt-formatted:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) tool staticcheck $(PKGS)

# The main job end to end against a local moto: whoami before and after, terraform apply as a
# role with its state in S3, and eval "$(rolehop env ...)".
demo: build
	bash scripts/demo.sh $(BIN)

# One table, side by side: a Go hello world, the floor (a Go program that runs true), rolehop
# version, warm and cold exec and warm credential-process with the file and kernel keyrings,
# with ratios to the floor and peak RSS; then 20 processes starting together with a cold cache,
# and the credential endpoint under load.
bench:
	@command -v wrk >/dev/null || echo "bench: wrk is not installed (apt-get install wrk); the endpoint load test falls back to a Go load generator"
	$(GO) test -run '^$$' -bench 'Startup|ColdStart' -benchtime 50x -count 1 ./cmd/rolehop
	$(GO) test -run '^$$' -bench 'ServerLoad' -benchtime 2x -count 1 ./cmd/rolehop

# Fuzz each target for a while (the seed corpora also run in `make test`).
FUZZTIME ?= 20s
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime $(FUZZTIME) ./internal/configfile
	$(GO) test -run '^$$' -fuzz '^FuzzParseDuration$$' -fuzztime $(FUZZTIME) ./internal/plan
	$(GO) test -run '^$$' -fuzz '^FuzzCharChecks$$' -fuzztime $(FUZZTIME) ./internal/plan
	$(GO) test -run '^$$' -fuzz '^FuzzSH$$' -fuzztime $(FUZZTIME) ./internal/shellenv
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./internal/authprovider

clean:
	rm -rf bin
