# The two commands of the README, and a few more. Each target installs what it is missing.
#   make demo    build and run the tutorial's two programs, with their timing and timelines (build/demo/*.svg)
#   make test    build and run every test: g++ optimised, ASan+UBSan, TSan, clang++
#   make bench   our benchmarks and the peers' in one run (BENCH=spawn,timers,pingpong,W6 to choose)
SHELL := /bin/bash
JOBS  ?= 2
BENCH ?= seed,spawn,timers,pingpong,W6

.PHONY: all deps demo test test-release test-asan test-tsan test-clang bench clean

all: demo

deps:
	@scripts/install-deps.sh

build/release/build.ninja: deps CMakeLists.txt CMakePresets.json
	cmake --preset release >/dev/null

demo: deps
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j $(JOBS) --target tutorial_threads tutorial_asyncio concurrence-trace-svg
	@scripts/demo.sh build/release

test: deps test-release test-asan test-tsan test-clang
	@echo "make test: all suites passed (release, asan+ubsan, tsan, clang)"

test-release test-asan test-tsan test-clang: test-%: deps
	cmake --preset $* >/dev/null
	cmake --build --preset $* -j $(JOBS)
	ctest --preset $*

# make bench [BENCH=spawn,timers] [PEERS=concurrence,go] [REPEAT=1]: see scripts/bench.sh
bench: deps
	@scripts/install-deps.sh bench
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j $(JOBS) --target bench_all
	@$(if $(REPEAT),REPEAT=$(REPEAT) )scripts/bench.sh "$(BENCH)" "$(or $(PEERS),all)"

clean:
	rm -rf build
