# registrar — build, run and test. Needs only Node.js, npm and make: Bun and Deno come from npm.
BIN := node_modules/.bin
BUN := $(BIN)/bun
DENO := $(BIN)/deno
DATA ?= data
ARGS ?=
# Deno gets only what the tests use: files, loopback UDP, the environment, and child processes.
DENO_TEST_PERMS := --allow-read --allow-write --allow-env --allow-net=127.0.0.1,127.0.0.2,[::1],0.0.0.0,localhost --allow-run --allow-sys

.PHONY: all setup serve test test-bun test-deno check lint fmt build interop bench clean

all: test

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

setup: node_modules/.installed

serve: setup
	$(BUN) mod.ts serve --data $(DATA) $(ARGS)

test: setup check test-bun test-deno

test-bun: setup
	$(BUN) test ./tests

test-deno: setup
	$(DENO) test $(DENO_TEST_PERMS) tests/

check: setup
	$(BUN) tools/check_imports.ts
	$(DENO) check mod.ts src/ tests/ tools/
	$(DENO) lint
	$(DENO) fmt --check

fmt: setup
	$(DENO) fmt

# Single executables: no runtime, node_modules or source needed on the target (Pi: arm64).
# A Worker's module is an entry point of its own (src/store/history_thread.ts finds it there).
WORKERS := src/store/history_worker.ts
build: setup
	mkdir -p dist
	$(BUN) build --compile --minify --sourcemap mod.ts $(WORKERS) --outfile dist/registrar-linux-x64 --target=bun-linux-x64
	$(BUN) build --compile --minify --sourcemap mod.ts $(WORKERS) --outfile dist/registrar-linux-arm64 --target=bun-linux-arm64

# Real SIP clients against the compiled binary (needs the Debian tools .ci/run installs).
interop: build
	bash tests/interop/run.sh

# sipp load against ours and the Kamailio reference; writes bench/results/ (see bench/RESULTS.md).
bench: build
	bash bench/run.sh $(ARGS)

clean:
	rm -rf dist
