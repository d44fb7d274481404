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
# valgrind: memcheck normally replaces malloc in every object but libc's
# callers; --soname-synonyms=somalloc=nouserintercepts leaves the probe's
# malloc in front, so memcheck checks every hooked call, unwinding
# included, while the target still gets memcheck's allocator underneath.
# /usr/bin/valgrind is a shell script that execs valgrind.bin, which execs
# the tool, which runs the target in the same process: `leaktop record
# --follow-exec` follows that chain to the target's image, so the exact
# figures of the C targets are checked under valgrind too (memcheck also
# replaces libstdc++'s operator new, which then never reaches the probe).
# tests/valgrind.supp holds the one
# known libunwind report.
#
# Ends with exactly "sanitized: N passed, N failed, N skipped"; exit 1 on any
# failure.
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

# no_ubsan_error NAME ERRFILE: one check that ERRFILE holds no UBSan report.
no_ubsan_error()
{
	if grep -q "runtime error:" "$2"; then
		bad "$1: UBSan: $(grep -m 1 "runtime error:" "$2")"
	else
		ok "$1: UBSan: no runtime error"
	fi
}

for name in malloc realloc reallocarray posix_memalign threads fork new aligned_new containers \
	threads_park threads_many; do
	run_target "tests/targets/$name".c* || continue
	no_ubsan_error "$name" "$REC_ERR"
done

# The thread registry and stack capture at work: threads_park held for 1.5 s,
# so the publisher scans and signals its threads at least once.
if [ "$have_leaktop" -eq 1 ]; then
	watch 30 "$TMP/tpark.out" "$TMP/tpark.err" \
		"$LEAKTOP" record -q -o "$TMP/tpark.lkt" -- "$BUILD/targets/threads_park" 5 2 3 1500
	check "threads_park held 1.5 s: exits 0, its sleep not cut short (got $RC)" [ "$RC" -eq 0 ]
	no_ubsan_error "threads_park held 1.5 s" "$TMP/tpark.err"
fi

# The probe under UBSan loaded by an attach: into the server started
# without it, through ptrace; its GOT redirection, its start in a running
# program, and the detach that puts the entries back.
if [ "$have_leaktop" -eq 1 ]; then
	"$BUILD/targets/server" 1.5 >/dev/null 2>"$TMP/uattach.err" &
	upid=$!
	started $upid "$BUILD/targets/server"
	sleep 0.3
	LEAKTOP_INTERVAL=100 timeout -s INT 0.6 "$LEAKTOP" record -q -p $upid -o "$TMP/uattach.lkt" \
		>/dev/null 2>"$TMP/uattach.rec.err"
	if grep -q "not permitted\|ptrace_scope" "$TMP/uattach.rec.err"; then
		skip "attach under UBSan: $(head -n 1 "$TMP/uattach.rec.err")"
		wait $upid
	else
		"$LEAKTOP" detach $upid 2>>"$TMP/uattach.rec.err"
		d=$?
		wait $upid
		rc=$?
		"$LEAKTOP" report "$TMP/uattach.lkt" --format folded --metric live_blocks \
			>"$TMP/uattach.folded" 2>&1
		got=$(sum_frames "$TMP/uattach.folded" leak_session)
		check "attach under UBSan: the leak is seen ($got blocks), detach exits 0 ($d), the server 3 ($rc)" \
			sh -c '[ "$1" -gt 0 ] && [ "$2" -eq 0 ] && [ "$3" -eq 3 ]' sh "$got" "$d" "$rc"
		no_ubsan_error "attach under UBSan (the server)" "$TMP/uattach.err"
		no_ubsan_error "attach under UBSan (leaktop)" "$TMP/uattach.rec.err"
	fi
fi

# --- valgrind ----------------------------------------------------------------

if ! command -v valgrind >/dev/null; then
	bad "valgrind is installed (make deps)"
elif [ -r "$PROBE" ]; then
	# threads_park is held 1.5 s, so its threads are scanned and signalled.
	for spec in malloc threads new "threads_park 5 2 3 1500"; do
		read -r name args <<<"$spec"
		bin=$BUILD/targets/$name
		want=$(header "tests/targets/$name".c* exit)
		log=$TMP/$name.valgrind.log
		# shellcheck disable=SC2086 # args holds several words
		watch 30 "$TMP/$name.bare.out" /dev/null "$bin" $args
		bare_rc=$RC
		lkt=$TMP/$name.vg.lkt
		watch 120 "$TMP/$name.vg.out" "$TMP/$name.vg.err" \
			"$LEAKTOP" record -q --follow-exec -o "$lkt" -- \
			valgrind --log-file="$log" --error-exitcode=99 \
			--soname-synonyms=somalloc=nouserintercepts \
			--suppressions="$(dirname "$0")/../valgrind.supp" "$bin" $args
		if [ $HUNG -eq 1 ]; then
			bad "$name: valgrind: hung, stopped by the watchdog after 120 s"
			continue
		fi
		check "$name: valgrind: exits $want like the bare run (bare $bare_rc, got $RC; 99 is a valgrind error, see $log)" \
			[ "$RC" = "$want" -a "$bare_rc" = "$want" ]
		check "$name: valgrind: stdout as bare" cmp -s "$TMP/$name.bare.out" "$TMP/$name.vg.out"
		check "$name: valgrind: $(grep -m 1 -o 'ERROR SUMMARY: [0-9]* errors' "$log" || echo 'no error summary')" \
			grep -q 'ERROR SUMMARY: 0 errors' "$log"
		# memcheck replaces libstdc++'s operator new by soname, so C++
		# allocations never reach malloc, nor the probe: figures only for C.
		if [ -f "tests/targets/$name.c" ]; then
			check_figures "$name (valgrind)" "tests/targets/$name.c" "$lkt"
		else
			echo "NOTE $name (valgrind): C++ figures not compared: memcheck replaces operator new"
		fi
	done
fi

finish sanitized
