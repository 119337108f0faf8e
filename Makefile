# Annals — the two commands a newcomer needs are `make demo` and `make test`.
SWIFT ?= swift
BENCH_ARGS ?=
DEMO_DIR ?= demo-store
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps build plugins shims test demo bench bench-quick lint clean

all: build

# Installs the C libraries (and pkg-config) with apt-get when their headers are missing.
deps:
	@missing=""; \
	[ -f /usr/include/lmdb.h ] || missing="$$missing liblmdb-dev"; \
	[ -f /usr/include/zstd.h ] && [ -f /usr/include/zdict.h ] || missing="$$missing libzstd-dev"; \
	[ -f /usr/include/sqlite3.h ] || missing="$$missing libsqlite3-dev"; \
	[ -n "$$(find /usr/include -maxdepth 3 -path '*/curl/curl.h' 2>/dev/null)" ] \
		|| missing="$$missing libcurl4-openssl-dev"; \
	command -v pkg-config >/dev/null 2>&1 || missing="$$missing pkg-config"; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi
	@command -v $(SWIFT) >/dev/null 2>&1 || { echo "error: the Swift toolchain (swift) is not on PATH"; exit 1; }

build: deps
	$(SWIFT) build

# The example WebAssembly plugins (tools/plugins/*.c), compiled with the toolchain's clang into .build/plugins.
PLUGIN_CC ?= $(dir $(realpath $(shell command -v $(SWIFT))))clang
PLUGIN_CFLAGS ?= --target=wasm32 -nostdlib -ffreestanding -O2 -Wall -Wl,--no-entry -Wl,--strip-debug
PLUGIN_SOURCES := $(wildcard tools/plugins/*.c)
PLUGIN_OUTPUTS := $(patsubst tools/plugins/%.c,.build/plugins/%.wasm,$(PLUGIN_SOURCES))

plugins: $(PLUGIN_OUTPUTS) .build/plugins/registry.json

# A registry manifest of the example plugins, with each module's SHA-256 filled in.
.build/plugins/registry.json: tools/plugins/registry.template.json $(PLUGIN_OUTPUTS)
	@cp tools/plugins/registry.template.json $@.tmp
	@for wasm in $(PLUGIN_OUTPUTS); do \
		name=$$(basename $$wasm .wasm); digest=$$(sha256sum $$wasm | cut -d' ' -f1); \
		sed -i "s/@SHA256:$$name@/$$digest/g" $@.tmp; \
	done
	@mv $@.tmp $@
	@echo "wrote $@"

.build/plugins/%.wasm: tools/plugins/%.c tools/plugins/annals_plugin.h
	@mkdir -p .build/plugins
	$(PLUGIN_CC) $(PLUGIN_CFLAGS) -o $@ $<

# The library tests preload to make system calls fail on demand (O_TMPFILE, hard links, fdatasync:
# tools/faults/syscall-faults.c), built for this machine with the same clang.
shims: .build/shims/libannals-faults.so

.build/shims/libannals-faults.so: tools/faults/syscall-faults.c
	@mkdir -p .build/shims
	$(PLUGIN_CC) -shared -fPIC -O2 -Wall -o $@ $< -ldl

test: deps plugins shims
	$(SWIFT) build --build-tests
	ANNALS_BIN=$(CURDIR)/.build/debug/annals $(SWIFT) test

demo: deps plugins
	$(SWIFT) build -c release --product annals
	ANNALS=$(CURDIR)/.build/release/annals DEMO_DIR=$(DEMO_DIR) bash tools/demo/demo.sh

bench: deps plugins
	$(SWIFT) build -c release --product annals
	$(SWIFT) build -c release --product annals-bench
	.build/release/annals-bench $(BENCH_ARGS)

bench-quick:
	$(MAKE) bench BENCH_ARGS=--quick

lint:
	$(SWIFT) format lint --strict -r Sources Tests tools

clean:
	rm -rf .build $(DEMO_DIR) bench-results.jsonl
