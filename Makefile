# leaktop - live memory-leak monitor for Linux.
#
#   make            build build/leaktop and build/libleaktop.so
#   make demo       install what is missing, build, run the demo
#   make test       install what is missing, build with -Werror, run every test
#   make stress     the probe under stress: forks, signals, threads, real programs
#   make bench      benchmarks against bare runs and heaptrack (tests/bench)
#   make bench-view the live view's CPU, first frame and RSS on 50,000 stacks
#   make bench-record  the size of a ten-minute recording of the demo
#   make install PREFIX=/usr/local
#
# Options: V=1 (show commands), SANITIZE=address|undefined|thread, WERROR=1.

PREFIX ?= /usr/local
BUILD ?= build
CC ?= cc
CXX ?= c++
OPT ?= -O2 -g
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)

WARN = -std=gnu11 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
       -Wundef -Wwrite-strings -Wpointer-arith
ifeq ($(WERROR),1)
WARN += -Werror
endif
ifneq ($(SANITIZE),)
SANFLAGS = -fsanitize=$(SANITIZE) -fno-omit-frame-pointer
endif

# Debian's libunwind-dev conflicts with LLVM's libunwind-14-dev. Where the
# latter is installed, `make deps` unpacks libunwind-dev's headers into
# $(BUILD)/deps instead of fighting the package manager; the probe needs only
# the headers, since it dlopens libunwind.so.8 at run time.
UNWIND_INC := $(if $(wildcard $(BUILD)/deps/usr/include/$(MULTIARCH)/libunwind.h),\
                -I$(BUILD)/deps/usr/include/$(MULTIARCH))

CPPFLAGS += -I.
CFLAGS_ALL = $(WARN) $(OPT) $(SANFLAGS) -MMD -MP
PROBE_CFLAGS = $(CFLAGS_ALL) -fPIC -fvisibility=hidden -ftls-model=initial-exec \
               -fno-builtin-malloc -fno-builtin-calloc -fno-builtin-realloc -fno-builtin-free \
               $(UNWIND_INC)
# libunwind's ptrace accessors, for `attach`'s look at a stopped program's
# stacks: the runtime files of libunwind8, by name, so that a
# libunwind-dev displaced by LLVM's still links.
TUI_LIBS = -ldw -lelf -lz -lncursesw -ltinfo -lstdc++ -lm \
           -l:libunwind-ptrace.so.0 -l:libunwind-x86_64.so.8

ifeq ($(V),1)
Q =
else
Q = @
endif

SHARED_SRC := $(wildcard shared/*.c)
PROBE_SRC := $(wildcard probe/*.c)
TUI_SRC := $(wildcard tui/*.c)

SHARED_OBJ := $(SHARED_SRC:%.c=$(BUILD)/%.o)
# The probe needs only the segment and sampling code of shared/ (libc and
# libm, no zlib).
SHARED_PIC := $(BUILD)/pic/shared/shm.o $(BUILD)/pic/shared/procstat.o $(BUILD)/pic/shared/sample.o
PROBE_OBJ := $(PROBE_SRC:%.c=$(BUILD)/pic/%.o)
TUI_OBJ := $(TUI_SRC:%.c=$(BUILD)/%.o)
# The recorder without its hooks and start-up, for unit tests in-process.
RECORDER_OBJ := $(filter-out $(BUILD)/pic/probe/hooks.o $(BUILD)/pic/probe/probe.o,$(PROBE_OBJ))

LEAKTOP = $(BUILD)/leaktop
PROBE_SO = $(BUILD)/libleaktop.so

all: $(LEAKTOP) $(PROBE_SO)

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS_ALL) $(UNWIND_INC) -DLEAKTOP_PREFIX='"$(PREFIX)"' -c -o $@ $<

$(BUILD)/pic/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC [so] $<")
	$(Q)$(CC) $(CPPFLAGS) $(PROBE_CFLAGS) -c -o $@ $<

$(PROBE_SO): $(PROBE_OBJ) $(SHARED_PIC)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -shared -Wl,-soname,libleaktop.so -o $@ $^ $(SANFLAGS) -Wl,-z,now -Wl,--no-undefined -ldl -lpthread -lm

$(LEAKTOP): $(TUI_OBJ) $(SHARED_OBJ)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -o $@ $^ $(SANFLAGS) $(TUI_LIBS)

# --- tests ----------------------------------------------------------------

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TARGET_C := $(wildcard tests/targets/*.c)
TARGET_CXX := $(wildcard tests/targets/*.cc)
TARGET_BIN := $(TARGET_C:tests/targets/%.c=$(BUILD)/targets/%) \
              $(TARGET_CXX:tests/targets/%.cc=$(BUILD)/targets/%)

# Unit tests link archives of shared/, the recorder (the probe without its
# hooks and start-up, so it runs in-process) and tui/ (without main): each
# test pulls in only the modules it uses.
TUI_LIB_OBJ := $(filter-out $(BUILD)/tui/main.o,$(TUI_OBJ))
$(BUILD)/libshared.a: $(SHARED_OBJ)
$(BUILD)/librecorder.a: $(RECORDER_OBJ)
$(BUILD)/libtui.a: $(TUI_LIB_OBJ)
$(BUILD)/%.a:
	$(Q)rm -f $@ && ar rcs $@ $^

TEST_LIBS = $(BUILD)/libtui.a $(BUILD)/librecorder.a $(BUILD)/libshared.a
$(BUILD)/tests/%: tests/unit/%.c $(TEST_LIBS) tests/unit/check.h
	@mkdir -p $(@D)
	@$(if $(Q),echo "  TEST    $@")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS_ALL) $(UNWIND_INC) -o $@ $< -Wl,--start-group $(TEST_LIBS) \
	    -Wl,--end-group $(SANFLAGS) $(TUI_LIBS) -ldl -lpthread

# Targets are built -O0 so every leaking call stays where the source has it;
# nopie_* without PIE, as some distributions build their programs.
$(BUILD)/targets/nopie_%: TARGET_FLAGS = -fno-pie -no-pie
$(BUILD)/targets/%: tests/targets/%.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  TARGET  $@")
	$(Q)$(CC) -std=gnu11 -O0 -g -Wall $(TARGET_FLAGS) -o $@ $< -lpthread

$(BUILD)/targets/%: tests/targets/%.cc
	@mkdir -p $(@D)
	@$(if $(Q),echo "  TARGET  $@")
	$(Q)$(CXX) -std=gnu++17 -O0 -g -Wall -o $@ $< -lpthread

targets: $(TARGET_BIN)

# Test tools: pprof_dump decodes and checks what report --format pprof wrote.
TOOL_BIN := $(patsubst tests/tools/%.c,$(BUILD)/tools/%,$(wildcard tests/tools/*.c))
$(BUILD)/tools/%: tests/tools/%.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  TOOL    $@")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS_ALL) -o $@ $< $(SANFLAGS) -lz

tools: $(TOOL_BIN)

# The stress programs (tests/stress): self-checking, built -O0 like the
# targets; lib*.c are libraries some of them load or link. libnocfi.so has
# no unwind tables, no frame pointer and no debug info: that is its point.
STRESS = $(BUILD)/stress
STRESS_WARN = -Wall -Wextra $(if $(filter 1,$(WERROR)),-Werror)
STRESS_LIB_SRC := $(wildcard tests/stress/lib*.c)
STRESS_LIBS := $(STRESS_LIB_SRC:tests/stress/%.c=$(STRESS)/%.so)
STRESS_BIN := $(patsubst tests/stress/%.c,$(STRESS)/%,$(filter-out $(STRESS_LIB_SRC),\
                $(wildcard tests/stress/*.c))) \
              $(patsubst tests/stress/%.cc,$(STRESS)/%,$(wildcard tests/stress/*.cc))

$(STRESS)/lib%.so: tests/stress/lib%.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  STRESS  $@")
	$(Q)$(CC) -std=gnu11 -O0 -g $(STRESS_WARN) -fPIC -shared -o $@ $<

$(STRESS)/libnocfi.so: tests/stress/libnocfi.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  STRESS  $@")
	$(Q)$(CC) -std=gnu11 -O2 $(STRESS_WARN) -fPIC -shared -fomit-frame-pointer \
	    -fno-asynchronous-unwind-tables -fno-unwind-tables -o $@ $<

$(STRESS)/nocfi: $(STRESS)/libnocfi.so
$(STRESS)/nocfi: STRESS_LDLIBS = -L$(STRESS) -lnocfi -Wl,-rpath,'$$ORIGIN'
$(STRESS)/exit_late: $(STRESS)/liblate.so
$(STRESS)/exit_late: STRESS_LDLIBS = -L$(STRESS) -llate -Wl,-rpath,'$$ORIGIN'
$(STRESS)/dlopen_loop $(STRESS)/dl_iterate: $(STRESS)/libplug_a.so $(STRESS)/libplug_b.so

$(STRESS)/%: tests/stress/%.c tests/stress/stress.h
	@mkdir -p $(@D)
	@$(if $(Q),echo "  STRESS  $@")
	$(Q)$(CC) -std=gnu11 -O0 -g $(STRESS_WARN) -o $@ $< $(STRESS_LDLIBS) -lpthread -ldl

$(STRESS)/%: tests/stress/%.cc
	@mkdir -p $(@D)
	@$(if $(Q),echo "  STRESS  $@")
	$(Q)$(CXX) -std=gnu++17 -O0 -g $(STRESS_WARN) -o $@ $< $(STRESS_LDLIBS) -lpthread

stress-targets: $(STRESS_BIN) $(STRESS_LIBS)

# Builds inside `make test` use every core; each target's output stays whole.
PAR := -j$(shell nproc 2>/dev/null || echo 2) --output-sync=target

# The viewer, the recorder and the readers built with ASan and UBSan, run
# through the integration, attach and tmux suites (every hostile file, every
# key) and the hostile-segment suite, side by side. The probe stays the plain
# one (it cannot carry ASan into other programs); the targets and themes are
# shared.
ASAN_BUILD = $(BUILD)/asan
asan-suites: SHELL := /bin/bash
asan-suites: .SHELLFLAGS := -o pipefail -c
asan-suites: all targets
	$(Q)$(MAKE) --no-print-directory $(PAR) BUILD=$(ASAN_BUILD) SANITIZE=address,undefined \
	    $(ASAN_BUILD)/leaktop tools
	$(Q)cp $(PROBE_SO) $(ASAN_BUILD)/libleaktop.so
	$(Q)ln -sfn $(abspath $(BUILD)/targets) $(ASAN_BUILD)/targets
	$(Q)ln -sfn $(abspath themes) $(ASAN_BUILD)/themes
	$(Q)UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 bash tests/together.sh \
	    "INTEGRATION_TARGETS='malloc realloc calloc threads fork new containers demo' \
	     bash tests/integration/run.sh $(ASAN_BUILD) | sed 's/^integration:/asan_integration:/'" \
	    "bash tests/integration/tui.sh $(ASAN_BUILD) | sed 's/^tui:/asan_tui:/'" \
	    "bash tests/integration/hostile.sh $(ASAN_BUILD)" \
	    "ATTACH_CYCLES=2 ATTACH_QUICK=1 bash tests/integration/attach.sh $(ASAN_BUILD) | \
	     sed 's/^attach:/asan_attach:/'"

unit: $(UNIT_BIN)
	@sh tests/run-unit.sh $(UNIT_BIN)

integration: all targets tools
	@bash tests/integration/run.sh $(BUILD)
	@bash tests/integration/attach.sh $(BUILD)

tui: all targets
	@bash tests/integration/tui.sh $(BUILD)

# The stress suite (tests/stress/run.sh): `make stress` runs all of it,
# `make test` the fast subset (stress-fast).
stress: deps
	$(Q)$(MAKE) --no-print-directory all stress-targets
	@bash tests/stress/run.sh $(BUILD)

stress-fast: all stress-targets
	@bash tests/stress/run.sh $(BUILD) --fast

# `make test`: dependencies, a -Werror build, unit tests, then the viewer and
# shared/ under ASan+UBSan and the probe under UBSan and valgrind, the
# integration suite and a short fuzz run. Every stage's output also goes to
# $(BUILD)/test.log; the last line sums their "N passed, N failed[, N skipped]"
# lines.
TEST_LOG = $(BUILD)/test.log
test: SHELL := /bin/bash
test: .SHELLFLAGS := -o pipefail -c
test: deps
	@mkdir -p $(BUILD) && : >$(TEST_LOG)
	@echo "== format (clang-format)"
	$(Q)$(MAKE) --no-print-directory check-format
	@echo "== build (-Werror) and unit tests ($$(date +%T))"
	$(Q)$(MAKE) --no-print-directory $(PAR) WERROR=1 all targets unit | tee -a $(TEST_LOG)
	@echo "== unit tests under ASan/UBSan ($$(date +%T))"
	$(Q)$(MAKE) --no-print-directory $(PAR) WERROR=1 BUILD=$(BUILD)/asan SANITIZE=address,undefined unit | tee -a $(TEST_LOG)
	@echo "== integration, attach and the live view in tmux, side by side ($$(date +%T))"
	$(Q)$(MAKE) --no-print-directory $(PAR) WERROR=1 all targets tools
	$(Q)bash tests/together.sh "bash tests/integration/run.sh $(BUILD)" \
	    "bash tests/integration/attach.sh $(BUILD)" "bash tests/integration/tui.sh $(BUILD)" | \
	    tee -a $(TEST_LOG)
	@echo "== leaktop itself under ASan/UBSan: the same, side by side, and hostile segments ($$(date +%T))"
	$(Q)$(MAKE) --no-print-directory WERROR=1 asan-suites | tee -a $(TEST_LOG)
	@echo "== stress, the fast subset: forks, signals, threads, real programs ($$(date +%T))"
	$(Q)$(MAKE) --no-print-directory $(PAR) WERROR=1 stress-fast | tee -a $(TEST_LOG)
	@echo "== probe under UBSan and valgrind ($$(date +%T))"
	$(Q)$(MAKE) --no-print-directory $(PAR) WERROR=1 BUILD=$(BUILD)/ubsan SANITIZE=undefined all targets
	$(Q)bash tests/integration/sanitized.sh $(BUILD)/ubsan | tee -a $(TEST_LOG)
	@echo "== fuzz the recording reader and diff (10 s) ($$(date +%T))"
	$(Q)bash tests/fuzz/run.sh 10 2>&1 | tail -n 3
	@echo "fuzz: 1 passed, 0 failed" | tee -a $(TEST_LOG)
	@awk '/^[a-z_]+: [0-9]+ passed, [0-9]+ failed/ { p += $$2; f += $$4; s += $$6 } \
	     END { printf "test: %d passed, %d failed, %d skipped\n", p, f, s; exit f != 0 }' \
	    $(TEST_LOG)

# libFuzzer on the recording reader: FUZZ_SECONDS long (make test runs 10 s).
FUZZ_SECONDS ?= 300
fuzz: deps
	@bash tests/fuzz/run.sh $(FUZZ_SECONDS)

bench: DEPS_EXTRA = heaptrack hyperfine
bench: deps
	$(Q)$(MAKE) --no-print-directory all targets
	@bash tests/bench/run.sh $(BUILD)
	@bash tests/bench/attach.sh $(BUILD)
	@BENCH_SUMMARY=$(BUILD)/bench/summary.json bash tests/bench/view.sh $(BUILD)

# How big a recording grows: the demo for RECORD_SECONDS (10 minutes) at 1 s.
RECORD_SECONDS ?= 600
bench-record: deps
	$(Q)$(MAKE) --no-print-directory all targets
	@bash tests/bench/record_size.sh $(BUILD) $(RECORD_SECONDS)

# The live view on 50,000 stacks: CPU per view, time to first frame, RSS.
bench-view: deps
	$(Q)$(MAKE) --no-print-directory all
	@bash tests/bench/view.sh $(BUILD)

demo: deps
	$(Q)$(MAKE) --no-print-directory all targets
	@bash tests/demo.sh $(BUILD)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/leaktop \
	    $(DESTDIR)$(PREFIX)/share/leaktop/themes
	install -m 755 $(LEAKTOP) $(DESTDIR)$(PREFIX)/bin/leaktop
	install -m 644 $(PROBE_SO) $(DESTDIR)$(PREFIX)/lib/leaktop/libleaktop.so
	install -m 644 themes/*.theme $(DESTDIR)$(PREFIX)/share/leaktop/themes/

check-format:
	@clang-format --dry-run --Werror probe/*.[ch] shared/*.[ch] tui/*.[ch] tests/unit/*.[ch] \
	    tests/tools/*.[ch]

clean:
	rm -rf $(BUILD)

# --- dependencies ----------------------------------------------------------

# golang-go: only for the tests, which have `go tool pprof` read the pprof export.
DEBIAN_PKGS = gcc g++ make libdw-dev libelf-dev zlib1g-dev libncurses-dev libunwind8 \
              tmux valgrind clang golang-go git python3 sqlite3

deps:
	@bash .ci/deps.sh $(BUILD) $(DEBIAN_PKGS) $(DEPS_EXTRA)

.PHONY: all targets tools stress-targets unit integration tui stress stress-fast asan-suites test \
        fuzz bench bench-view bench-record demo install check-format clean deps

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
