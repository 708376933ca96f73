# Lambdock — build, test and run. Every target works on a fresh Debian/Ubuntu host with Docker.
SHELL      := /bin/bash
GO         ?= go
BIN        := bin
STATICCHECK_VERSION := v0.8.2
export CGO_ENABLED := 0

.PHONY: all build images deps up test test-unit lint bench clean

all: build

## build: the server (lambdockd), the CLI (lambdock) and the in-container agent, all static.
build:
	$(GO) build -trimpath -o $(BIN)/lambdockd ./cmd/lambdockd
	$(GO) build -trimpath -o $(BIN)/lambdock ./cmd/lambdock
	$(GO) build -trimpath -ldflags='-s -w' -o $(BIN)/lambdock-agent ./cmd/lambdock-agent

## images: the runtime base images (provided, python3.13/3.11, nodejs20.x/18.x), built locally
## from Debian's packages (no registry needed); those already up to date are skipped.
images:
	bash images/build.sh

## deps: install what the platform and the tests need (PostgreSQL server, CA certificates, tzdata,
## and Debian's archive keyring, with which images/build.sh checks the packages it unpacks).
# apt-get runs only when something is missing; it needs root (or sudo).
deps:
	@missing=""; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null || missing="$$missing postgresql"; \
	[ -s /etc/ssl/certs/ca-certificates.crt ] || missing="$$missing ca-certificates"; \
	[ -d /usr/share/zoneinfo ] || missing="$$missing tzdata"; \
	[ -s /usr/share/keyrings/debian-archive-keyring.gpg ] || missing="$$missing debian-archive-keyring"; \
	if [ -n "$$missing" ]; then \
	  sudo=""; [ "$$(id -u)" = 0 ] || sudo="sudo"; \
	  echo "installing:$$missing"; \
	  $$sudo apt-get update -q && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	fi; \
	command -v go >/dev/null || { echo "Go 1.26 or newer is required on PATH (https://go.dev/dl)"; exit 1; }; \
	docker version >/dev/null 2>&1 || { echo "a running Docker Engine is required (apt-get install docker.io)"; exit 1; }; \
	echo "dependencies present"

## up: set up everything and run the platform in the foreground (Ctrl-C stops it cleanly).
up: deps build images
	$(BIN)/lambdockd --agent $(BIN)/lambdock-agent

## test: the whole suite — unit and integration tests against the real Docker Engine, NATS, Postgres —
## then 20,000 executions (10-20 s) of fuzzing the SigV4 verifier beyond its seed corpus. The
## budget is a count, not a duration: Go 1.26's fuzz coordinator can fail a duration-bounded
## run with a spurious "context deadline exceeded" at the deadline (go.dev/issue/75804).
test: images
	$(GO) test -count=1 -timeout 25m ./...
	$(GO) test -run '^$$' -fuzz '^FuzzVerify$$' -fuzztime 20000x ./gateway/sigv4/

## test-unit: only the tests that need no Docker (fast feedback).
test-unit:
	$(GO) test -count=1 -short ./...

## lint: gofmt, go vet and staticcheck.
lint:
	@unformatted=$$(gofmt -l .); if [ -n "$$unformatted" ]; then echo "not gofmt-ed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

## bench: the benchmark suite (cmd/lambdock-bench: scenarios through whole in-process lambdockd
## servers, results written to docs/benchmarks.md and docs/benchmarks.svg; fails when warm p50 or
## throughput is >30 % worse than docs/bench-baseline.json for this machine class), then the Go
## benchmarks (warm/cold invoke through the invoker, end to end over HTTP; usage ingest from the
## JetStream stream into PostgreSQL with the aggregates, in records/s; usage reports over 10 M rows).
## BENCH_FLAGS passes flags to the suite, e.g. BENCH_FLAGS=-update-baseline.
BENCH_FLAGS ?=
bench: images
	$(GO) run ./cmd/lambdock-bench -out docs/benchmarks.md -chart docs/benchmarks.svg -baseline docs/bench-baseline.json $(BENCH_FLAGS)
	$(GO) test -count=1 -run '^$$' -bench 'InvokeWarm|InvokeQualified' -benchtime 1000x -timeout 20m ./invoker/ ./e2e/
	$(GO) test -count=1 -run '^$$' -bench ColdStart -benchtime 30x -timeout 20m ./invoker/
	$(GO) test -count=1 -run '^$$' -bench 'Ingest|InsertUsage' -benchtime 200000x -timeout 20m ./metering/ ./internal/store/
	$(GO) test -count=1 -run '^$$' -bench UsageReport10M -benchtime 50x -timeout 20m ./internal/testsupport/usagegen/

clean:
	rm -rf $(BIN)
