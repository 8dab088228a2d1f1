# nerfinv: `make demo` and `make test` work on a fresh Debian machine.
SWIFT ?= swift
DEPS := libopenblas-dev libdnnl-dev libpng-dev libgif-dev libeigen3-dev
# Only for MP4 turntables (`turntable --mp4`, the viewer's MP4 download): the ffmpeg program.
MP4_DEPS := ffmpeg
# Only for the tests: the independent mesh readers (trimesh, pygltflib) and the DevTools client that
# drives headless Chromium through `nerfinv view` run in a virtual environment.
# openmpi-bin: the test that trains with `mpirun -np 2` (nerfinv opens Open MPI only under mpirun).
TEST_DEPS := python3 python3-venv chromium openmpi-bin
MESHCHECK := .build/meshcheck/bin/python
# Blender as a library (the bpy wheel from PyPI, Python 3.11) renders exported GLBs in a test; pip's
# cache makes a later clone's install take seconds. Where it cannot be installed the test says so.
BLENDER_PY := .build/blender/bin/python
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
NERFINV := .build/release/nerfinv

.PHONY: all deps testdeps build test lint fuzz fuzz-build fuzz-smoke demo bench benchmarks docs clean

all: build

# Installs the Debian packages nerfinv links against, only when dpkg says one is missing.
deps:
	@$(MAKE) --no-print-directory install-packages PACKAGES="$(DEPS) $(MP4_DEPS)"

install-packages:
	@missing=""; \
	for p in $(PACKAGES); do \
	  dpkg -s $$p 2>/dev/null | grep -q '^Status: install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing; \
	fi

build: deps
	$(SWIFT) build -c release

# The tests also read exported meshes back with trimesh and pygltflib (PyPI), in a venv under .build,
# and drive `nerfinv view` in Debian's headless Chromium.
testdeps:
	@$(MAKE) --no-print-directory install-packages PACKAGES="$(TEST_DEPS)"
	@$(MESHCHECK) -c "import trimesh, pygltflib, websocket" 2>/dev/null || { rm -rf .build/meshcheck && \
	  python3 -m venv .build/meshcheck && \
	  .build/meshcheck/bin/pip install -q trimesh==5.2.0 pygltflib==1.16.5 numpy websocket-client==1.9.2; }
	@$(BLENDER_PY) -c "import bpy, numpy" 2>/dev/null || { rm -rf .build/blender && python3 -m venv .build/blender && \
	  .build/blender/bin/pip install -q bpy==4.5.4 numpy || echo "warning: bpy could not be installed; the Blender test will be skipped"; }

test: deps testdeps lint
	$(SWIFT) test --disable-swift-testing
	@$(MAKE) --no-print-directory fuzz-smoke

# libFuzzer harnesses of the readers (one -sanitize=fuzzer,address: swiftc keeps only the last of
# two -sanitize flags, and SwiftPM's --sanitize fuzzer --sanitize address passes two, leaving the
# library modules without coverage; --sanitize fuzzer stays for the link, which then takes
# libFuzzer's main) (Tests/Fuzz: png, model, latent, delta, preset, scene and the
# viewer's request parser), built with the fuzzer and AddressSanitizer in their own build folder,
# each started from its seed corpus in Tests/Fuzz/corpus/. `make fuzz` runs each FUZZ_SECONDS
# (default 600) and keeps what it learns in .build/fuzz-corpus/; `make test` runs each a few
# seconds on a copy of the seeds. A crash stops it, with the input in .build/fuzz-artifacts/.
FUZZ_TARGETS = png model latent delta preset scene request
FUZZ_SECONDS ?= 600
FUZZ_BIN := .build/fuzz/debug/nerfinv-fuzz
FUZZ_FLAGS = -rss_limit_mb=2048 -timeout=20 -malloc_limit_mb=1024 -print_final_stats=1
FUZZ_ENV = LSAN_OPTIONS=suppressions=Tests/Fuzz/lsan.supp

fuzz-build:
	$(SWIFT) build --build-path .build/fuzz --product nerfinv-fuzz --sanitize fuzzer -Xswiftc -sanitize=fuzzer,address \
	  -Xcc -fsanitize=fuzzer-no-link,address -Xswiftc -DNERFINV_FUZZ 2>&1 | grep -v "Cannot export local symbol" || true
	@test -x $(FUZZ_BIN)

fuzz: deps fuzz-build
	@mkdir -p .build/fuzz-artifacts
	for t in $(FUZZ_TARGETS); do \
	  mkdir -p .build/fuzz-corpus/$$t && cp -n Tests/Fuzz/corpus/$$t/* .build/fuzz-corpus/$$t/ ; \
	  echo "== fuzz $$t, $(FUZZ_SECONDS) s"; \
	  $(FUZZ_ENV) NERFINV_FUZZ_TARGET=$$t $(FUZZ_BIN) $(FUZZ_FLAGS) -max_total_time=$(FUZZ_SECONDS) \
	    -artifact_prefix=.build/fuzz-artifacts/$$t- .build/fuzz-corpus/$$t || exit 1; \
	done

fuzz-smoke: fuzz-build
	@rm -rf .build/fuzz-smoke && mkdir -p .build/fuzz-smoke .build/fuzz-artifacts
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p .build/fuzz-smoke/$$t && cp Tests/Fuzz/corpus/$$t/* .build/fuzz-smoke/$$t/ ; \
	  $(FUZZ_ENV) NERFINV_FUZZ_TARGET=$$t $(FUZZ_BIN) $(FUZZ_FLAGS) -max_total_time=3 \
	    -artifact_prefix=.build/fuzz-artifacts/$$t- .build/fuzz-smoke/$$t > .build/fuzz-smoke/$$t.log 2>&1 \
	    || { tail -40 .build/fuzz-smoke/$$t.log; echo "fuzz $$t: FAILED"; exit 1; }; \
	  echo "fuzz $$t: $$(grep -o 'Done [0-9]* runs' .build/fuzz-smoke/$$t.log), no crash"; \
	done

# The committed .swift-format (line length 120, one statement a line), as a check.
lint:
	$(SWIFT) format lint --strict --recursive Sources Tests

# The main job: invert the sample photos in scenes/photos/ (held-out cars rendered by `nerfinv
# generate` at seeds no model saw, at several sizes; see scenes/photos/README.md) with the shipped
# model, and spin each result around.
# Four of the sample photos: a plain 256, a wide 300x200, a transparent 128 and one in a street (its
# background removed by models/matting.nvm); car_160.png is kept for the tests.
DEMO_PHOTOS = scenes/photos/car_256.png scenes/photos/car_300x200.png scenes/photos/car_rgba_128.png scenes/photos/car_street_256.png

demo: build
	@mkdir -p out
	$(NERFINV) invert $(DEMO_PHOTOS) --model models/cars.nvm --out-dir out --turntable out/turntables --overview out/overview.png
	@echo
	@echo "look at: out/overview.png (each photo | reconstruction | 8 views around the car)"
	@echo "         out/<photo>_input_reconstruction.png, out/turntables/<photo>/contact_sheet.png (36 frames), out/<photo>.latent"

bench: build
	$(NERFINV) bench core

# The figures of BENCHMARKS.md: every benchmark run 5 times (each run reports its own median),
# logs in out/bench/. Run on a quiet machine.
benchmarks: build
	@mkdir -p out/bench
	for i in 1 2 3 4 5; do \
	  for b in core render train invert; do \
	    echo "== bench $$b, run $$i"; $(NERFINV) bench $$b | tee out/bench/$$b.$$i.txt; \
	  done; \
	done

# The DocC catalogs of the library modules (swift-docc-plugin), as archives in .build/docs/; the
# Pipeline catalog holds the architecture article.
DOC_TARGETS = FileIO NeuralCore Imaging Geometry Scenes Datasets Model Pipeline
docs:
	@mkdir -p .build/docs
	for t in $(DOC_TARGETS); do \
	  $(SWIFT) package --allow-writing-to-directory .build/docs generate-documentation --target $$t \
	    --output-path .build/docs/$$t.doccarchive || exit 1; \
	done
	@echo "documentation: .build/docs/<module>.doccarchive (architecture: Pipeline.doccarchive)"

clean:
	rm -rf .build out
