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

# The main job: render a held-out car with the generator (a seed no model saw), invert its input
# view (view 0) with the shipped model, and spin the result around.
demo: build
	@mkdir -p out
	$(NERFINV) generate --scene scenes/cars.json --out out/demo_data --objects 1 --protocol test --seed 777 --contact-sheet out/demo_truth.png --quiet
	$(NERFINV) invert out/demo_data/cars-s777-00000/rgb/000000.png --model models/cars.nvm --out out/demo.latent --turntable out/demo_turntable
	@echo "look at: out/demo_input_reconstruction.png (photo | reconstruction), out/demo_turntable/contact_sheet.png (36 frames),"
	@echo "         out/demo_truth.png (the car's 25 true views, for comparison), out/demo.latent"

bench: build
	$(NERFINV) bench core

clean:
	rm -rf .build out
