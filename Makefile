# nerfinv: `make demo` and `make test` work on a fresh Debian machine.
SWIFT ?= swift
DEPS := libopenblas-dev libpng-dev libeigen3-dev
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
NERFINV := .build/release/nerfinv

.PHONY: all deps build test demo bench clean

all: build

# Installs the Debian packages nerfinv links against, only when dpkg says one is missing.
deps:
	@missing=""; \
	for p in $(DEPS); do \
	  dpkg -s $$p 2>/dev/null | grep -q '^Status: install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing; \
	fi

build: deps
	$(SWIFT) build -c release

test: deps
	$(SWIFT) test --disable-swift-testing

# The main job; until a trained model ships, the core benchmark.
demo: build
	$(NERFINV) bench core

bench: build
	$(NERFINV) bench core

clean:
	rm -rf .build out
