# SPDX-License-Identifier: MIT
# weft: a thin wrapper over the CMake presets (CMakePresets.json). Every
# target first makes sure the Debian packages it needs are installed
# (scripts/deps.sh: installs them as root, prints the apt-get line otherwise).
#
#   make test          gcc debug build, every test          (preset dev)
#   make bench         peers + benchmarks, prints the table (preset bench)
#   make bench-quick   the same, shorter runs
#   make tsan | asan   clang ThreadSanitizer / ASan+UBSan builds and tests
#   make stress        -O2, no sanitizer, stress label      (preset stress)
#   make mutation      tests/mutation.sh: every mutant must be caught
#   make format-check  clang-format 14 --dry-run --Werror
#   make docs          API reference from the headers (Doxygen) in
#                      build/doc/html; fails on any Doxygen warning
#   make check-loop    rerun the dev tests until one fails (LOOPS=n bounds it)
#   make fuzz          tests/fuzz.sh: libFuzzer harnesses for FUZZ_SECONDS
#                      (default 60, split between them); FUZZ_MERGE=1 merges
#                      what they found into tests/fuzz/corpus/ (by hand)
#   make clean         remove build/
#
# Variables: JOBS (build parallelism, default nproc), ARGS (passed to
# bench/run.sh), CTEST_ARGS (passed to ctest, e.g. CTEST_ARGS="-L unit").

SHELL := /bin/bash
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
ARGS ?=
CTEST_ARGS ?=
LOOPS ?= 0
CLANG_FORMAT ?= $(shell command -v clang-format-14 || command -v clang-format)
FORMAT_DIRS := runtime include tests bench examples

.PHONY: all help deps deps-san deps-bench deps-tools test bench bench-quick \
	tsan asan stress mutation format-check check-loop clean fuzz docs

all: test

help:
	@sed -n '2,/^$$/p' Makefile | sed 's/^# \{0,1\}//'

# --- dependencies ----------------------------------------------------------
deps:
	@scripts/deps.sh core
deps-san:
	@scripts/deps.sh san
deps-bench:
	@scripts/deps.sh bench
deps-tools:
	@scripts/deps.sh tools
deps-docs:
	@scripts/deps.sh docs

# --- configure + build one preset: build-dev, build-tsan, ... --------------
build-dev build-stress: deps
build-tsan build-asan: deps-san
build-bench: deps-bench
build-%:
	cmake --preset $*
	cmake --build --preset $* -j$(JOBS) $(TARGET_$*)
# The bench preset builds only the benchmarks, not the tests.
TARGET_bench := --target bench_all

# --- tests ---------------------------------------------------------------
test: build-dev
	ctest --preset dev $(CTEST_ARGS)

tsan: build-tsan
	ctest --preset tsan $(CTEST_ARGS)

asan: build-asan
	ctest --preset asan $(CTEST_ARGS)

# WEFT_TEST_SEED in the environment replays one seed (tests/README.md).
stress: build-stress
	ctest --preset stress -L stress $(CTEST_ARGS)

mutation: deps-san
	tests/mutation.sh

check-loop: build-dev
	@n=0; while ctest --preset dev $(CTEST_ARGS); do \
		n=$$((n + 1)); echo "check-loop: $$n clean runs"; \
		if [ "$(LOOPS)" != 0 ] && [ $$n -ge "$(LOOPS)" ]; then exit 0; fi; \
	done; echo "check-loop: failed after $$n clean runs"; exit 1

# --- benchmarks (bench/run.sh belongs to the benchmark owners) -------------
bench: build-bench
	bench/run.sh $(ARGS)

bench-quick: build-bench
	bench/run.sh --quick $(ARGS)

# --- formatting -------------------------------------------------------------
format-check: deps-tools
	@v=$$($(CLANG_FORMAT) --version 2>/dev/null); \
	case "$$v" in *" 14."*) ;; \
	*) echo "format-check: need clang-format 14, found: $${v:-none}"; exit 1;; \
	esac; \
	files=$$(find $(FORMAT_DIRS) -name '*.[ch]' 2>/dev/null | sort); \
	$(CLANG_FORMAT) --dry-run --Werror $$files && \
	echo "format-check: $$(echo $$files | wc -w) files clean"

# docs/api-reference.md: the headers' comments as they are, 0 warnings.
docs: deps-docs
	@mkdir -p build/doc
	doxygen docs/Doxyfile 2>build/doc/warnings.txt
	@if [ -s build/doc/warnings.txt ]; then cat build/doc/warnings.txt; \
		echo "docs: $$(wc -l <build/doc/warnings.txt) Doxygen warnings"; exit 1; fi
	@echo "docs: build/doc/html/index.html (0 warnings)"

clean:
	rm -rf build

# --- chaos build and soak (tests/README.md "Chaos build", "Soak") ----------
#   make chaos                 -O2 + WEFT_CHAOS=ON, the stress label (1 s each)
#   make soak DURATION=600     every workload at once in one process (-O2);
#                              prints tasks, items, errors, RSS; fails on growth
DURATION ?= 600
TARGET_chaos := --target stress_all
build-chaos: deps
.PHONY: chaos soak

chaos: build-chaos
	ctest --preset chaos $(CTEST_ARGS)

soak: deps
	cmake --preset stress
	cmake --build --preset stress -j$(JOBS) --target soak
	build/stress/tests/soak $(DURATION)

# --- fuzzing (tests/fuzz.sh; clang, preset fuzz) ----------------------------
FUZZ_SECONDS ?= 60
fuzz: deps-san
	JOBS=$(JOBS) tests/fuzz.sh $(FUZZ_SECONDS)
