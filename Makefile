# NeuroKinematics: every target installs what is missing first (scripts/bootstrap.sh).
#   make demo    build everything and run the worked example
#   make test    native + wasm builds and every test (what CI runs)
SHELL := /bin/bash
JOBS ?= $(shell nproc)
NATIVE := build/native
WASM := build/wasm
CLI := $(NATIVE)/bin/neurokin
# emscripten 3.1.6 on debian needs node's global modules (acorn) for -O1 and above
export NODE_PATH := /usr/share/nodejs

.PHONY: all bootstrap build wasm test bench demo models format clean

all: build

bootstrap:
	@scripts/bootstrap.sh

build: bootstrap
	@cmake --preset native >/dev/null
	cmake --build $(NATIVE) -j$(JOBS)

wasm: bootstrap
	@emcmake cmake -S . -B $(WASM) -DCMAKE_BUILD_TYPE=Release \
	  -DEigen3_DIR=/usr/share/eigen3/cmake \
	  "-DCMAKE_CROSSCOMPILING_EMULATOR=/usr/bin/node;--no-experimental-fetch" \
	  -DNEUROKIN_NATIVE_CLI=$(CURDIR)/$(CLI) >/dev/null
	cmake --build $(WASM) -j$(JOBS)

test: build wasm
	ctest --test-dir $(NATIVE) --output-on-failure -j$(JOBS)
	ctest --test-dir $(WASM) --output-on-failure

bench: build
	$(NATIVE)/bin/neurokin_bench
	$(NATIVE)/bin/ik_vs_kdl --n 10000 --budget-ms 5 --seed 1 --markdown docs/benchmarks.md

# the shipped models, each from its committed config (models/configs/ARM-ik.json); datasets are
# cached under build/data. Then each is evaluated on 10,000 fresh targets (models/ARM/ik.eval.json)
# omx4 and kr6 have configs (models/configs) but no shipped model yet: see the trainer issue
ARMS := planar2 puma3
models: build
	@mkdir -p build/data
	@for arm in $(ARMS); do \
	  $(CLI) train --config models/configs/$$arm-ik.json --out models/$$arm/ik --cache build/data/$$arm-ik.bin --quiet && \
	  $(CLI) eval --model models/$$arm/ik.json --n 10000 --refine 20 --json > models/$$arm/ik.eval.json || exit 1; \
	done

demo: build wasm
	@scripts/demo.sh $(CLI)

format:
	clang-format -i $$(git ls-files '*.h' '*.cpp')

clean:
	rm -rf build
