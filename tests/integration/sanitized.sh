#!/bin/bash
# sanitized.sh UBSAN_BUILD_DIR - the probe under UBSan and under valgrind.
#
# ASan brings its own malloc interposer, so the probe is checked with the
# two tools that leave malloc interposition to it:
#
# UBSan: leaktop and libleaktop.so built with -fsanitize=undefined (make
# SANITIZE=undefined) record a few targets, with halt_on_error=1 so that any
# undefined behaviour in the probe (or in the reader) aborts the run. Each
# gets the full integration checks (run_target in lib.sh: pass-through and
# exact figures), plus one: no "runtime error:" on stderr.
#
# valgrind: memcheck replaces malloc itself, in libc, under the probe: the
# target binds to the probe's malloc, whose dlsym(RTLD_NEXT) finds libc's,
# which valgrind has redirected. So the probe's figures cannot be compared
# with anything here; what valgrind checks is the probe's own memory use
# (uninitialised reads, bad accesses) on every hooked call, unwinding
# included. The probe runs without the launcher (LD_PRELOAD alone), and
# with LEAKTOP_FOLLOW_EXEC=1: /usr/bin/valgrind is a shell script that
# execs valgrind.bin, which execs the tool, and without it the probe would
# strip itself from LD_PRELOAD in the script and never reach the target. We
# check that the program runs, prints and exits as bare, that valgrind
# reports no error (--error-exitcode=99), that the probe was loaded into
# the target, and that nothing hangs.
#
# Ends with exactly "sanitized: N passed, N failed"; exit 1 on any failure.
set -u
. "$(dirname "$0")/lib.sh"
suite_init UBSAN_BUILD_DIR "$@"

# --- UBSan -------------------------------------------------------------------

export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
have_leaktop=1
if [ ! -x "$LEAKTOP" ] || [ ! -r "$PROBE" ]; then
	bad "$LEAKTOP and $PROBE exist (make BUILD=$1 SANITIZE=undefined all targets)"
	have_leaktop=0
elif ! nm -D "$PROBE" | grep -q __ubsan_handle; then
	bad "$PROBE is built with -fsanitize=undefined"
fi

for name in malloc realloc reallocarray posix_memalign threads fork new aligned_new containers; do
	run_target "tests/targets/$name".c* || continue
	if grep -q "runtime error:" "$REC_ERR"; then
		bad "$name: UBSan: $(grep -m 1 "runtime error:" "$REC_ERR")"
	else
		ok "$name: UBSan: no runtime error"
	fi
done

# --- valgrind ----------------------------------------------------------------

if ! command -v valgrind >/dev/null; then
	bad "valgrind is installed (make deps)"
elif [ -r "$PROBE" ]; then
	for name in malloc threads new; do
		bin=$BUILD/targets/$name
		want=$(header "tests/targets/$name".c* exit)
		log=$TMP/$name.valgrind.log
		watch 30 "$TMP/$name.bare.out" /dev/null "$bin"
		bare_rc=$RC
		# -v so the log names every object valgrind read, the probe included.
		# The shell writes the pid, which the execs that follow keep.
		watch 120 "$TMP/$name.vg.out" "$TMP/$name.vg.err" \
			sh -c 'echo $$ >"$1"; shift; exec "$@"' sh "$TMP/$name.pid" \
			env LEAKTOP_FOLLOW_EXEC=1 LD_PRELOAD="$PROBE" \
			valgrind -v --log-file="$log" --error-exitcode=99 "$bin"
		# The probe in the images that exec'd (the script, valgrind.bin)
		# leaves its segment behind: a known probe bug, which run.sh
		# reports; here we only clean up after ourselves.
		find /dev/shm -maxdepth 1 -name "leaktop.$(cat "$TMP/$name.pid").*" -delete 2>/dev/null
		if [ $HUNG -eq 1 ]; then
			bad "$name: valgrind: hung, stopped by the watchdog after 120 s"
			continue
		fi
		check "$name: valgrind: exits $want like the bare run (bare $bare_rc, got $RC; 99 is a valgrind error, see $log)" \
			[ "$RC" = "$want" -a "$bare_rc" = "$want" ]
		check "$name: valgrind: stdout as bare" cmp -s "$TMP/$name.bare.out" "$TMP/$name.vg.out"
		check "$name: valgrind: the probe is loaded into the target" \
			grep -q "Reading syms from $PROBE" "$log"
		check "$name: valgrind: $(grep -m 1 -o 'ERROR SUMMARY: [0-9]* errors' "$log" || echo 'no error summary')" \
			grep -q 'ERROR SUMMARY: 0 errors' "$log"
	done
fi

finish sanitized
