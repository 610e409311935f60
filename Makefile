# NeuroKinematics: every target installs what is missing first (scripts/bootstrap.sh).
#   make demo    build the browser simulator and serve it at http://127.0.0.1:8080
#   make test    native + wasm + web builds and every test, browser tests included (what CI runs)
#   make example the command-line worked example (FK -> IK for every arm)
#   make fuzz    every libFuzzer target for FUZZ_SECONDS each (docs/reliability.md)
SHELL := /bin/bash
JOBS ?= $(shell nproc)
NATIVE := build/native
WASM := build/wasm
CLI := $(NATIVE)/bin/neurokin
SANITIZE := build/sanitize
FUZZ := build/fuzz
FUZZ_SECONDS ?= 300
FUZZ_SMOKE_SECONDS ?= 20
# emscripten 3.1.6 on debian needs node's global modules (acorn) for -O1 and above
export NODE_PATH := /usr/share/nodejs

.PHONY: all bootstrap build wasm web test bench demo example models models-ik models-feasibility models-clustered models-trajectory \
        format clean sanitize test-sanitize fuzz-build fuzz fuzz-smoke

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

# the page, self-contained in web/dist (any static server or CDN serves it as it is): the wasm
# module, the arms and shipped models staged into web/public, then the Vite bundle
web: wasm
	node web/scripts/stage.mjs $(WASM)/bin
	cd web && ./node_modules/.bin/vite build --logLevel warn

test: build wasm web
	ctest --test-dir $(NATIVE) --output-on-failure -j$(JOBS)
	ctest --test-dir $(WASM) --output-on-failure
	node --test-reporter=spec web/test/share.test.mjs
	node --test-reporter=spec web/test/browser.test.mjs
	node --test-reporter=spec web/test/hostile.test.mjs
	$(MAKE) --no-print-directory fuzz-smoke

# reliability (docs/reliability.md): the whole native suite under AddressSanitizer +
# UndefinedBehaviorSanitizer, and each libFuzzer target for a while; any finding fails
sanitize: bootstrap
	@cmake --preset sanitize >/dev/null
	cmake --build $(SANITIZE) -j$(JOBS)

# the same tests as the plain build: a test binary that dies at start-up under a sanitizer
# lists no tests to ctest, which would drop them without a word
test-sanitize: build sanitize
	@n=$$(ctest --test-dir $(NATIVE) -N | tail -1); s=$$(ctest --test-dir $(SANITIZE) -N | tail -1); \
	  [ "$$n" = "$$s" ] || { echo "test-sanitize: $(SANITIZE) has $$s, $(NATIVE) $$n" >&2; exit 1; }
	ctest --test-dir $(SANITIZE) --output-on-failure -j$(JOBS)

fuzz-build: bootstrap
	@cmake --preset fuzz >/dev/null
	cmake --build $(FUZZ) -j$(JOBS)

fuzz: fuzz-build
	scripts/fuzz.sh $(FUZZ) $(FUZZ_SECONDS)

fuzz-smoke: fuzz-build
	scripts/fuzz.sh $(FUZZ) $(FUZZ_SMOKE_SECONDS)

bench: build web
	$(NATIVE)/bin/neurokin_bench
	$(NATIVE)/bin/ik_vs_kdl --n 10000 --budget-ms 5 --seed 1 --markdown docs/benchmarks.md
	node bench/wasm_vs_ort.mjs --markdown docs/benchmarks.md
	node bench/page_frames.mjs --markdown docs/benchmarks.md
	node bench/slice_classes.mjs --markdown docs/benchmarks.md
	node bench/predict_soak.mjs --markdown docs/reliability.md

# the shipped models, each from its committed config (models/configs/ARM-ik.json); datasets are
# cached under build/data. An arm with more configs, ARM-ik-finetune*.json, is trained in stages
# (scripts/train_stages.sh): the first config into build/models/ARM-ik-stage0, then each
# fine-tuned (--init) from the one before, the last into models/ARM/ik (kr6: 20 more epochs with
# a larger orientation weight). Then each is evaluated on
# 10,000 fresh targets (models/ARM/ik.eval.json). About 2 h 20 min on 2 cores (planar2 4 min,
# puma3 14 min, kr6 34 + 20 min; omx4, two branch heads, 61 min on a loaded machine)
ARMS := planar2 puma3 omx4 kr6
models: models-ik models-feasibility models-clustered models-trajectory

models-ik: build
	@mkdir -p build/data
	@for arm in $(ARMS); do \
	  scripts/train_stages.sh $(CLI) $$arm ik --cache build/data/$$arm-ik.bin && \
	  $(CLI) eval --model models/$$arm/ik.json --n 10000 --refine 20 --json > models/$$arm/ik.eval.json || exit 1; \
	done

# the feasibility classifiers, each from models/configs/ARM-feasibility.json (datasets are made
# afresh: the margin DLS is most of it), then evaluated on 80,000 fresh poses in the training
# ratio, with the training margin (models/ARM/feasibility.eval.json) and without it
# (feasibility.eval-nomargin.json: unreachable poses arbitrarily close to reachable ones)
# about 1 h 40 min with one thread each on a busy 2-core machine (planar2 12 min, puma3 12 min,
# omx4 13 min, kr6 39 min for training, whose data take 6 of them, then its fine-tune stage 20
# min; each eval about 1 min). In stages like the ik models (scripts/train_stages.sh)
models-feasibility: build
	@for arm in $(ARMS); do \
	  scripts/train_stages.sh $(CLI) $$arm feasibility && \
	  $(CLI) eval --model models/$$arm/feasibility.json --n 80000 --json > models/$$arm/feasibility.eval.json && \
	  $(CLI) eval --model models/$$arm/feasibility.json --n 80000 --kd-radius 0 --json \
	    > models/$$arm/feasibility.eval-nomargin.json || exit 1; \
	done

# clustered regression (seed 002): k-means in joint space, one network per cluster, the answer
# chosen by FK consistency, from models/configs/ARM-ik-clustered.json (datasets cached under
# build/data); each evaluated on the same 10,000 fresh targets as the single model, which is
# evaluated beside it (models/ARM/ik-clustered.eval.json)
CLUSTERED_ARMS := omx4 kr6
models-clustered: build
	@mkdir -p build/data
	@for arm in $(CLUSTERED_ARMS); do \
	  $(CLI) train --config models/configs/$$arm-ik-clustered.json --out models/$$arm/ik-clustered \
	    --cache build/data/$$arm-ik-clustered.bin --quiet && \
	  $(CLI) eval --model models/$$arm/ik-clustered.json --n 10000 --compare models/$$arm/ik.json --json \
	    > models/$$arm/ik-clustered.eval.json || exit 1; \
	done

# the trajectory models (seed 004: target and current joints -> next joints), each from
# models/configs/ARM-ik-trajectory.json; then one step on 100,000 fresh samples
# (models/ARM/ik-trajectory.eval.json) and a circle and a line followed from every IK branch of
# their first point, against the stateless models/ARM/ik.json (ik-trajectory.track.json)
# (the puma3 circle is its ik model's focus circle). One thread each (the configs say so, the
# models are reproducible bit for bit): planar2 75 s, puma3 3 min
models-trajectory: build
	@for arm in planar2 puma3; do \
	  case $$arm in \
	    planar2) paths="--circle 1,0,0,0.5 --line 1.5,-0.5,0,0.5,1.2,0";; \
	    puma3) paths="--circle 0.45,-0.15,0.9,0.2,1,0,0 --line 0.5,-0.3,0.6,0.3,0.4,1.0";; \
	  esac; \
	  $(CLI) train --config models/configs/$$arm-ik-trajectory.json --out models/$$arm/ik-trajectory --quiet && \
	  $(CLI) eval --model models/$$arm/ik-trajectory.json --n 100000 --json > models/$$arm/ik-trajectory.eval.json && \
	  $(CLI) track --model models/$$arm/ik-trajectory.json $$paths --points 200 --json \
	    > models/$$arm/ik-trajectory.track.json || exit 1; \
	done

demo: web
	@echo "NeuroKinematics: open http://127.0.0.1:8080/ (Ctrl-C stops the server)"
	cd web && ./node_modules/.bin/vite preview --host 127.0.0.1 --port 8080 --strictPort

example: build
	@scripts/demo.sh $(CLI)

format:
	clang-format -i $$(git ls-files '*.h' '*.cpp')

clean:
	rm -rf build
