#!/bin/bash
# run.sh BUILD_DIR - the integration suite: every target, bare and recorded.
#
# For each tests/targets/NAME.{c,cc}, built as BUILD_DIR/targets/NAME, the
# target's header comment says what to expect, in lines of the form
#    * args: ARGS                    (optional; split on blanks)
#    * exit: STATUS                  (the bare run's exit status)
#    * expect: FUNC METRIC=N ...     (or METRIC>=N; one line per function)
# The suite runs the target bare, then under `leaktop record`, each under a
# watchdog (the bare run 30 s, the recorded run 10 times the bare time, at
# least 10 s), and checks: the bare status is the declared one; the recorded
# run's stdout and status are the bare run's; and for each expected
# function, the sum of `leaktop report --format folded --metric METRIC` over
# every stack that has FUNC as a frame (C++ frames match up to their "(").
# A target whose bare run exits 77 is skipped. Then the launcher's and the
# reader's handling of bad input.
#
# Last, the probe on its own, without the launcher.
#
# One line per check, then exactly "integration: N passed, N failed, N
# skipped" (CI reads that form; a skip is a check that could not run here,
# never a pass); exit 1 on any failure. Outputs and recordings are kept
# when a check fails, or always with KEEP=1. The helpers are in lib.sh.
set -u
. "$(dirname "$0")/lib.sh"
suite_init BUILD_DIR "$@"

have_leaktop=1
if [ ! -x "$LEAKTOP" ]; then
	bad "$LEAKTOP exists (make all): only the bare runs are checked"
	have_leaktop=0
fi

# --- the targets -------------------------------------------------------------

# INTEGRATION_TARGETS (names) runs a subset: the ASan run of leaktop, which
# tests the reader and the recorder rather than the probe, takes the ones
# that give its recordings their variety (threads, fork, C++, the view's
# demo; malloc, whose bare output a later check reuses).
for src in tests/targets/*.c tests/targets/*.cc; do
	name=$(basename "${src%.*}")
	if [ -n "${INTEGRATION_TARGETS:-}" ] && ! grep -qw "$name" <<<"$INTEGRATION_TARGETS"; then
		continue
	fi
	run_target "$src"
done

# --- options and bad input ---------------------------------------------------

if [ $have_leaktop -eq 1 ]; then
	# `leaktop help` names every command main.c dispatches and every long
	# option a command's parser takes, so the two cannot drift apart.
	"$LEAKTOP" help >"$TMP/help.out"
	for c in $(grep -o '{ "[a-z]*", cmd_' tui/main.c | cut -d'"' -f2); do
		check "help: names the command $c" grep -q "^  $c " "$TMP/help.out"
	done
	for o in $(grep -ho '{ "[a-z-]*", [a-z_]*_argument' tui/cmd_*.c | cut -d'"' -f2 | sort -u); do
		[ "$o" = help ] && continue
		check "help: names the option --$o" grep -q -- "--$o" "$TMP/help.out"
	done

	# --depth 1 keeps only the leaf: the function that called malloc.
	watch 10 "$TMP/depth.out" "$TMP/depth.err" \
		"$LEAKTOP" record -o "$TMP/depth.lkt" --depth 1 -- "$BUILD/targets/malloc"
	"$LEAKTOP" report "$TMP/depth.lkt" --format folded --metric live_bytes >"$TMP/depth.folded" 2>&1
	check "--depth 1: every stack has one frame" \
		awk '{ v = $NF; s = substr($0, 1, length($0) - length(v) - 1); if (index(s, ";")) exit 1 }' \
		"$TMP/depth.folded"
	got=$(sum_frames "$TMP/depth.folded" leak_malloc_64x100)
	check "--depth 1: leak_malloc_64x100 live_bytes = 6400 (got $got)" [ "$got" -eq 6400 ]

	# Files and lines are looked up when a recording is read, in the files
	# that ran, and only in those: a copy of a target is recorded, then
	# replaced by another program. Its frames keep their functions, and get
	# no lines rather than wrong ones. With --lines they were looked up while
	# recording, and stay.
	cp "$BUILD/targets/malloc" "$TMP/relined"
	watch 10 /dev/null /dev/null "$LEAKTOP" record -q -o "$TMP/relined.lkt" -- "$TMP/relined"
	watch 10 /dev/null /dev/null "$LEAKTOP" record -q --lines -o "$TMP/relined-l.lkt" -- "$TMP/relined"
	"$LEAKTOP" report "$TMP/relined.lkt" >"$TMP/relined.txt" 2>&1
	check "lines: looked up when read, from the file that ran" \
		grep -q '^    leak_malloc_64x100  tests/targets/malloc.c:[0-9]*$' "$TMP/relined.txt"
	cp "$BUILD/targets/calloc" "$TMP/relined"
	"$LEAKTOP" report "$TMP/relined.lkt" >"$TMP/relined2.txt" 2>&1
	check "lines: none from a file that is no longer the one that ran" \
		grep -q '^    leak_malloc_64x100  (relined)$' "$TMP/relined2.txt"
	"$LEAKTOP" report "$TMP/relined-l.lkt" >"$TMP/relined3.txt" 2>&1
	check "lines: --lines keeps them in the recording" \
		grep -q '^    leak_malloc_64x100  tests/targets/malloc.c:[0-9]*$' "$TMP/relined3.txt"

	# --sample: a leak of 1 MiB/s inside 65 MiB/s of churn, sampled with a
	# mean gap of 512 KiB, heads the growth ranking as a leak within 2 s,
	# and the estimates come near the truth (3 MiB after 3 s). A fixed seed
	# makes the samples the same every run: this cannot flake.
	LEAKTOP_SAMPLE_SEED=7 watch 30 "$TMP/sample.out" "$TMP/sample.err" \
		"$LEAKTOP" record -q --sample 512K -o "$TMP/sample.lkt" -- "$BUILD/targets/growth" 3
	check "--sample 512K: the program runs as bare (exit $RC)" \
		[ $RC -eq 0 -a "$(cat "$TMP/sample.out")" = "growth: 24 ticks, 3072 KiB leaked, checksum 12264425" ]
	"$LEAKTOP" report "$TMP/sample.lkt" --sort growth --top 1 >"$TMP/sample.txt" 2>&1
	check "--sample: the report says its figures are estimates" \
		grep -qx 'sampled, mean 512.0 KiB: every figure is an estimate' "$TMP/sample.txt"
	"$LEAKTOP" report "$TMP/sample.lkt" --at 3 --sort growth --top 1 --format json >"$TMP/sample2s.json" 2>&1
	check "--sample: after 2 s the leak heads the growth ranking, called a leak" \
		grep -q '"verdict": "leak", "frames": \[{"func": "leak_session_state"' "$TMP/sample2s.json"
	"$LEAKTOP" report "$TMP/sample.lkt" --sort growth --top 1 --format json >"$TMP/sample.json" 2>&1
	rate=$(grep -o '"growth_bytes_per_s": [0-9]*' "$TMP/sample.json" | head -n 1 | grep -o '[0-9]*$')
	live=$(sed -n 's/^  {"id": [0-9]*, "live_bytes": \([0-9]*\),.*leak_session_state.*/\1/p' "$TMP/sample.json")
	check "--sample: the leak's rate is within 20 % of 1 MiB/s (estimated ${rate:-none} B/s)" \
		[ "${rate:-0}" -ge 838861 -a "${rate:-0}" -le 1258291 ]
	check "--sample: its live bytes are within half of 3 MiB (estimated ${live:-none})" \
		[ "${live:-0}" -ge 1572864 -a "${live:-0}" -le 4718592 ]
	check "--sample: the JSON gives the mean" grep -q '"sample_bytes": 524288,' "$TMP/sample.json"
	"$LEAKTOP" report "$TMP/depth.lkt" --format json >"$TMP/nosample.json" 2>&1
	check "without --sample, the JSON says 0" grep -q '"sample_bytes": 0,' "$TMP/nosample.json"

	# stdin reaches the program.
	echo "through stdin" >"$TMP/stdin.txt"
	timeout -k 2 10 "$LEAKTOP" record -o "$TMP/stdin.lkt" -- cat <"$TMP/stdin.txt" >"$TMP/stdin.out" 2>/dev/null
	check "stdin passes through to the program" cmp -s "$TMP/stdin.txt" "$TMP/stdin.out"

	# A signal's death passes through as 128+N, as a shell reports it.
	# (timeout re-raises the signal; the braces keep bash's "Terminated" quiet.)
	{ watch 10 /dev/null /dev/null sh -c 'kill -TERM $$'; } 2>/dev/null
	sig_bare=$RC
	{ watch 10 /dev/null /dev/null "$LEAKTOP" record -o "$TMP/signal.lkt" -- sh -c 'kill -TERM $$'; } 2>/dev/null
	check "signal: killed by SIGTERM passes through as 143 (bare $sig_bare, got $RC)" \
		[ "$sig_bare" -eq 143 -a "$RC" -eq 143 ]

	# expect_usage_error DESCRIPTION CMD...: exit 2 and one line on stderr.
	expect_usage_error()
	{
		local what=$1
		shift
		watch 10 "$TMP/bad.out" "$TMP/bad.err" "$@"
		local lines
		lines=$(stderr_lines "$TMP/bad.err")
		check "$what: exits 2 (got $RC) with one line on stderr (got $lines)" \
			[ "$RC" -eq 2 -a "$lines" -eq 1 ]
	}
	expect_usage_error "record without a program" "$LEAKTOP" record -o "$TMP/x.lkt" --
	expect_usage_error "record of a program that does not exist" \
		"$LEAKTOP" record -o "$TMP/x.lkt" -- "$TMP/no-such-program"
	expect_usage_error "record with an unknown flag" \
		"$LEAKTOP" record --no-such-flag -o "$TMP/x.lkt" -- "$BUILD/targets/malloc"
	expect_usage_error "report with an unknown flag" \
		"$LEAKTOP" report "$TMP/depth.lkt" --no-such-flag
	expect_usage_error "report with an unknown metric" \
		"$LEAKTOP" report "$TMP/depth.lkt" --format folded --metric no_such_metric
	expect_usage_error "report of a missing file" "$LEAKTOP" report "$TMP/no-such-file.lkt"
	head -c 4096 /dev/urandom >"$TMP/random.bin"
	expect_usage_error "report of random bytes" "$LEAKTOP" report "$TMP/random.bin"
	expect_usage_error "report of a text file" "$LEAKTOP" report "$0"
	head -c 10 "$TMP/depth.lkt" >"$TMP/header-only.lkt"
	expect_usage_error "report of a file cut inside its header" "$LEAKTOP" report "$TMP/header-only.lkt"
	expect_usage_error "--sample above 1 GiB" \
		"$LEAKTOP" record --sample 2G -o "$TMP/x.lkt" -- "$BUILD/targets/malloc"
	expect_usage_error "--sample that is not a size" \
		"$LEAKTOP" run --sample lots -- "$BUILD/targets/malloc"

	# A torn recording: many snapshots (demo, 1 s, every 100 ms), then copies
	# cut in the middle and one byte short. The reader must stop cleanly at
	# the torn record and print the last complete snapshot, which cannot be
	# later than the whole file's.
	full=$TMP/torn.lkt
	watch 20 /dev/null "$TMP/torn.err" "$LEAKTOP" record --interval 100 -o "$full" -- "$BUILD/targets/demo" 1
	check "truncation: recording demo with --interval 100 exits 0 (got $RC)" [ $RC -eq 0 ]
	"$LEAKTOP" report "$full" --format json >"$TMP/torn.json" 2>&1
	full_snap=$(grep -o '"snapshot": *[0-9]*' "$TMP/torn.json" | head -n 1 | grep -o '[0-9]*$')
	check "truncation: the whole recording reports a snapshot (got ${full_snap:-none})" \
		[ -n "$full_snap" ]
	size=$(stat -c %s "$full")
	for cut in $((size / 2)) $((size - 1)); do
		head -c $cut "$full" >"$TMP/cut.lkt"
		"$LEAKTOP" report "$TMP/cut.lkt" --format json >"$TMP/cut.json" 2>"$TMP/cut.err"
		rc=$?
		snap=$(grep -o '"snapshot": *[0-9]*' "$TMP/cut.json" | head -n 1 | grep -o '[0-9]*$')
		check "truncation: report of the first $cut of $size bytes exits 0 (got $rc)" [ $rc -eq 0 ]
		complete=0
		if [ -n "$snap" ] && [ -n "$full_snap" ] && [ "$snap" -le "$full_snap" ] &&
			grep -q '"stacks"' "$TMP/cut.json"; then
			complete=1
		fi
		check "truncation: ... and prints a complete snapshot (${snap:-none}, whole file ${full_snap:-none})" \
			[ $complete -eq 1 ]
		"$LEAKTOP" report "$TMP/cut.lkt" --format folded --metric live_bytes >"$TMP/cut.folded" 2>/dev/null
		got=$(sum_frames "$TMP/cut.folded" leak_request_buffer)
		check "truncation: ... with leak_request_buffer live_bytes > 0 (got $got)" [ "$got" -gt 0 ]
	done

	# Growth: demo for 4 s, a snapshot every 100 ms. The request buffer
	# climbs steadily: a leak. The cache fills for 3 s, is flushed and
	# refills: a sawtooth whose troughs stay level, not a leak, though it
	# grows faster. The 2 MiB config block never moves: stable, though it
	# is the biggest. --sort growth puts the leak first.
	watch 20 /dev/null "$TMP/growth.err" \
		"$LEAKTOP" record --interval 100 -o "$TMP/growth.lkt" -- "$BUILD/targets/demo" 4
	check "growth: recording demo 4 with --interval 100 exits 0 (got $RC)" [ $RC -eq 0 ]
	"$LEAKTOP" report "$TMP/growth.lkt" --sort growth --format json >"$TMP/growth.json" 2>&1
	# verdict_of FUNC: the verdict of the first stack that has FUNC as a frame.
	verdict_of()
	{
		grep '^  {"id"' "$TMP/growth.json" | grep -m 1 "\"func\": \"$1\"" |
			sed -n 's/.*"verdict": "\([a-z]*\)".*/\1/p'
	}
	v=$(verdict_of leak_request_buffer)
	check "growth: leak_request_buffer's stack is a leak (got ${v:-none})" [ "$v" = leak ]
	v=$(verdict_of cache_store)
	check "growth: cache_store's stack is not a leak (got ${v:-none})" [ -n "$v" -a "$v" != leak ]
	v=$(verdict_of load_config_table)
	check "growth: load_config_table's 2 MiB block is stable (got ${v:-none})" [ "$v" = stable ]
	first=$(grep -m 1 '^  {"id"' "$TMP/growth.json")
	check "growth: leak_request_buffer's stack comes first in json" \
		grep -q '"func": "leak_request_buffer"' <<<"$first"
	"$LEAKTOP" report "$TMP/growth.lkt" --sort growth --top 1 >"$TMP/growth.txt" 2>&1
	check "growth: text shows the verdict and rate (#1 ...; leak, +40.0 KiB/s)" \
		grep -Eq '^#1 .*; leak, \+[0-9.]+ KiB/s$' "$TMP/growth.txt"
fi

# --- the probe without the launcher ------------------------------------------

# LD_PRELOAD alone works too (valgrind runs use it): the probe makes its own
# segment and unlinks it at exit. A process that execs never exits, so the
# segment of the image it replaces must not be left in /dev/shm either.
# Each case leaves at most one segment, named after the pid, removed here.
if [ -r "$PROBE" ] && [ -d /dev/shm ]; then
	for how in exits execs; do
		if [ $how = exits ]; then
			pid=$(LD_PRELOAD=$PROBE sh -c 'echo $$')
		else
			pid=$(LD_PRELOAD=$PROBE sh -c 'echo $$; exec true')
		fi
		left=$(find /dev/shm -maxdepth 1 -name "leaktop.$pid.*" | wc -l)
		check "probe without launcher: a process that $how leaves no segment in /dev/shm (left $left)" \
			[ "$left" -eq 0 ]
		find /dev/shm -maxdepth 1 -name "leaktop.$pid.*" -delete
	done
fi

# Separate debug info, found by build-id: a stripped copy of the malloc
# target, its debug info in DIR/.build-id/xx/yyyy.debug. Without the
# directory the leaking function has no name; with it, name and file:line.
if [ "$have_leaktop" -eq 1 ] && command -v objcopy >/dev/null; then
	cp "$BUILD/targets/malloc" "$TMP/stripped"
	id=$(readelf -n "$TMP/stripped" | sed -n 's/.*Build ID: //p')
	mkdir -p "$TMP/debug/.build-id/${id:0:2}"
	objcopy --only-keep-debug "$TMP/stripped" "$TMP/debug/.build-id/${id:0:2}/${id:2}.debug"
	strip --strip-all "$TMP/stripped"
	"$LEAKTOP" record -q -o "$TMP/stripped.lkt" -- "$TMP/stripped" >/dev/null
	"$LEAKTOP" report "$TMP/stripped.lkt" --format folded >"$TMP/stripped.nodebug.folded"
	check "separate debug info: without it the stripped binary has no function names" \
		[ "$(sum_frames "$TMP/stripped.nodebug.folded" leak_malloc_64x100)" -eq 0 ]
	LEAKTOP_DEBUGINFO_PATH=$TMP/debug "$LEAKTOP" record -q -o "$TMP/stripped2.lkt" -- "$TMP/stripped" >/dev/null
	"$LEAKTOP" report "$TMP/stripped2.lkt" --format folded >"$TMP/stripped.folded"
	got=$(sum_frames "$TMP/stripped.folded" leak_malloc_64x100)
	check "separate debug info: found by build-id, leak_malloc_64x100 live_bytes = 6400 (got $got)" [ "$got" -eq 6400 ]
	# Lines are looked up when the recording is read: there too.
	LEAKTOP_DEBUGINFO_PATH=$TMP/debug "$LEAKTOP" report "$TMP/stripped2.lkt" --top 1 >"$TMP/stripped.txt"
	check "separate debug info: file:line of the leak" grep -q 'leak_malloc_64x100  tests/targets/malloc.c:[0-9]' "$TMP/stripped.txt"
fi

# report -p: a live process started with the probe alone; the snapshot it
# prints is taken now, not at the next interval, and shows the leak so far.
if [ "$have_leaktop" -eq 1 ] && [ -r "$PROBE" ]; then
	LD_PRELOAD=$PROBE LEAKTOP_INTERVAL=3600000 "$BUILD/targets/demo" 30 >/dev/null &
	dpid=$!
	sleep 1.5
	"$LEAKTOP" report -p "$dpid" --format folded >"$TMP/live.folded" 2>"$TMP/live.err"
	rc=$?
	check "report -p PID: exits 0 on a live probed process (got $rc: $(head -c 100 "$TMP/live.err"))" [ $rc -eq 0 ]
	got=$(sum_frames "$TMP/live.folded" leak_request_buffer)
	check "report -p PID: a fresh snapshot shows leak_request_buffer growing (live_bytes $got > 0)" [ "$got" -gt 0 ]
	kill "$dpid" 2>/dev/null
	wait "$dpid" 2>/dev/null
	# Killed, it ran no exit path: its segment stays, with its last
	# snapshot, which report -p still shows, saying the process is gone.
	"$LEAKTOP" report -p "$dpid" --format folded >"$TMP/gone.folded" 2>"$TMP/gone.err"
	rc=$?
	check "report -p PID of a killed process: exit 0 and one line saying it is gone (got $rc: $(head -c 100 "$TMP/gone.err"))" \
		sh -c '[ "$1" -eq 0 ] && [ "$(wc -l <"$2")" -eq 1 ] && grep -q "is gone" "$2"' sh "$rc" "$TMP/gone.err"
	find /dev/shm -maxdepth 1 -name "leaktop.$dpid.*" -delete
	"$LEAKTOP" report -p "$dpid" >/dev/null 2>"$TMP/none.err"
	rc=$?
	check "report -p PID with no probe: exit 2, one line (got $rc)" \
		[ $rc -eq 2 -a "$(stderr_lines "$TMP/none.err")" -eq 1 ]
fi

# --- threads --------------------------------------------------------------------

# start_ready NAME BIN ARGS...: BIN under the probe alone, in the background
# (job RJOB), until it prints "ready PID" on stderr; sets RPID (empty when it never
# did, in 10 s).
start_ready()
{
	local name=$1
	shift
	LD_PRELOAD=$PROBE "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
	RJOB=$!
	RPID=
	for _ in $(seq 100); do
		RPID=$(awk '$1 == "ready" { print $2 }' "$TMP/$name.err")
		[ -n "$RPID" ] && return 0
		sleep 0.1
	done
	return 1
}

# group NAME FIELD_RE: the json line of the thread group whose fields
# match FIELD_RE (one group a line), from $TMP/NAME.json.
group()
{
	grep -E '^  \{"count"' "$TMP/$1.json" | grep -E -- "$2" | head -n 1
}

if [ "$have_leaktop" -eq 1 ] && [ -r "$PROBE" ]; then
	# 5 parked, 2 parked with every signal blocked, 3 joined; main then
	# sleeps 4 s in nanosleep, which must not be cut short (exit 3 if so).
	if start_ready tpark "$BUILD/targets/threads_park" 5 2 3 4000; then
		# Two snapshots apart, so the current stacks are taken.
		sleep 1.2
		watch 10 "$TMP/tpark.json" "$TMP/tpark.rerr" \
			"$LEAKTOP" report -p "$RPID" --threads --format json
		check "threads: report -p --threads answers in time (${MS} ms, exit $RC)" \
			[ "$RC" -eq 0 -a "$HUNG" -eq 0 ]
		g=$(group tpark '"created_at": "spawn_parked"')
		check "threads: exactly 5 live threads created at spawn_parked, in one group" \
			grep -q '^  {"count": 5, "thread_leak": false, "live_bytes": 320, "state": "sleeping"' <<<"$g"
		check "threads: ... each holding its 64-byte session, counted to the thread that made it" \
			[ "$(grep -o '"live_bytes": 64,' <<<"$g" | wc -l)" -eq 5 ]
		check "threads: ... waiting in pthread_cond_wait <- park_forever" \
			grep -q '"where": "in pthread_cond_wait <- park_forever"' <<<"$g"
		check "threads: ... with their current stacks through pthread_cond_wait" \
			grep -q '"wait_frames": \[.*"func": "pthread_cond_wait".*"func": "park_forever"' <<<"$g"
		for i in 0 1 2 3 4; do
			check "threads: the name parked-$i appears in the group" \
				grep -q "\"name\": \"parked-$i\"" <<<"$g"
		done
		g=$(group tpark '"created_at": "spawn_blocked"')
		check "threads: the blocked group holds 128 bytes, 64 a thread" \
			grep -q '"count": 2, "thread_leak": false, "live_bytes": 128,' <<<"$g"
		check "threads: 2 threads that block every signal: stacks unknown, said why" \
			grep -q '^  {"count": 2, .*"stack": "unknown: blocks signals".*"wait_frames": \[\]' <<<"$g"
		check "threads: 3 joined threads ended, counted at spawn_finishing" \
			grep -q '{"created": 3, "ended": 3, "created_at": "spawn_finishing"' "$TMP/tpark.json"
		check "threads: 10 live, 3 ended, 13 created" \
			grep -q '"live": 10, "ended": 3, "created": 13, "untracked": 0' "$TMP/tpark.json"
		g=$(group tpark '"name": "reader"')
		check "threads: a thread in read (restarts after a handler): signalled, its full stack" \
			grep -q '"where": "in read <- wait_on_pipe", "stack": "ok"' <<<"$g"
		g=$(group tpark '"name": "poller"')
		check "threads: a thread in poll (EINTR after a handler): not signalled, its pc only" \
			grep -q '"where": "in __poll", "stack": "in a system call a signal would cut short: not asked", "syscall": 7,' <<<"$g"
		check "threads: ended threads still hold the 100 bytes main kept, not the 200 it freed" \
			grep -q '"ended_live_bytes": 100,' "$TMP/tpark.json"
		g=$(group tpark '"created_at": "\[not seen created\]"')
		check "threads: main, in nanosleep, named by its pc, not interrupted" \
			grep -q '"count": 1, .*"where": "in clock_nanosleep", "stack": "in a system call' <<<"$g"
		"$LEAKTOP" report -p "$RPID" --threads >"$TMP/tpark.txt" 2>&1
		check "threads: text: one line for the parked group" \
			grep -q '^#1  5 threads, 320 bytes live, sleeping, in pthread_cond_wait <- park_forever$' "$TMP/tpark.txt"
		wait "$RJOB"
		rc=$?
		check "threads: the probe's signals cut no call short: nanosleep, read, poll (exit $rc; 3, 4, 5 if one was)" \
			[ "$rc" -eq 0 ]
	else
		bad "threads: threads_park printed ready ($(head -c 200 "$TMP/tpark.err"))"
	fi

	# Recorded, the threads come back from the file: the last snapshot
	# (at exit) has the same groups, and folded has one line a group.
	watch 20 "$TMP/trec.out" "$TMP/trec.err" \
		"$LEAKTOP" record -q -o "$TMP/trec.lkt" -- "$BUILD/targets/threads_park" 5 2 3 1500
	"$LEAKTOP" report "$TMP/trec.lkt" --threads --format json >"$TMP/trec.json" 2>&1
	check "threads recorded: the file's last thread snapshot (at exit) has 8 live, 5 ended, 13 created" \
		grep -q '"live": 8, "ended": 5, "created": 13' "$TMP/trec.json"
	g=$(group trec '"created_at": "spawn_parked"')
	check "threads recorded: 5 at spawn_parked, in pthread_cond_wait <- park_forever" \
		grep -q '^  {"count": 5, .*"where": "in pthread_cond_wait <- park_forever"' <<<"$g"
	"$LEAKTOP" report "$TMP/trec.lkt" --format folded --metric threads >"$TMP/trec.folded" 2>&1
	check "threads folded: one line a group, creation stack, [thread], current stack, count" \
		grep -Eq '(^|;)main;spawn_parked;\[thread\];.*;park_forever;pthread_cond_wait;[^ ]* 5$' \
		"$TMP/trec.folded"
	check "threads folded: the blocked group says why its stack is unknown" \
		grep -q ';spawn_blocked;\[thread\];\[unknown: blocks signals\] 2$' "$TMP/trec.folded"
	check "threads folded: 3 lines, one a group" [ "$(wc -l <"$TMP/trec.folded")" -eq 3 ]

	check "threads recorded: 5 parked at once and held are no thread leak" \
		grep -q '"count": 5, "thread_leak": false, "live_bytes": 320,' <<<"$g"

	# The demo parks one more worker every 5 s, never to wake: over 12 s,
	# 3 of them, a group whose count keeps rising, a thread leak; main,
	# always one, is not.
	watch 30 /dev/null "$TMP/tdemo.err" "$LEAKTOP" record -q -o "$TMP/tdemo.lkt" -- \
		"$BUILD/targets/demo" 12
	"$LEAKTOP" report "$TMP/tdemo.lkt" --threads --format json >"$TMP/tdemo.json" 2>&1
	g=$(group tdemo '"created_at": "start_parked_worker"')
	check "thread leak: demo's 3 parked workers, rising one every 5 s, are a thread leak" \
		grep -q '^  {"count": 3, "thread_leak": true, "live_bytes": 768, .*"where": "in pthread_cond_wait <- parked_worker"' <<<"$g"
	g=$(group tdemo '"created_at": "\[not seen created\]"')
	check "thread leak: main is not" grep -q '^  {"count": 1, "thread_leak": false' <<<"$g"
	"$LEAKTOP" report "$TMP/tdemo.lkt" --threads >"$TMP/tdemo.txt" 2>&1
	check "thread leak: text says it on the group's line" \
		grep -q '^#1  3 threads, 768 bytes live, sleeping, in pthread_cond_wait <- parked_worker; thread leak$' \
		"$TMP/tdemo.txt"

	# diff: demo 4 (growth.lkt) against demo 12, two processes, matched by
	# names. At exit: the leak holds 40 and 120 blocks of 4 KiB; 1 and 3
	# workers are parked; the cache, 160 entries of 2 KiB after 4 s, is
	# empty after 12 (flushed at tick 120).
	"$LEAKTOP" diff "$TMP/growth.lkt" "$TMP/tdemo.lkt" --format json >"$TMP/diff.json" 2>&1
	diff_line()
	{
		grep '^  {"live_bytes"' "$TMP/diff.json" | grep -m 1 "\"func\": \"$1\""
	}
	check "diff: leak_request_buffer +327680 bytes, +80 blocks, +80 allocations, across two runs" \
		grep -q '"live_bytes": 327680, "live_blocks": 80, "alloc_calls": 80,' <<<"$(diff_line leak_request_buffer)"
	check "diff: ... and it comes first" \
		grep -q '"func": "leak_request_buffer"' <<<"$(grep -m 1 '^  {"live_bytes"' "$TMP/diff.json")"
	check "diff: the emptied cache, -327680 bytes, -160 blocks" \
		grep -q '"live_bytes": -327680, "live_blocks": -160,' <<<"$(diff_line cache_store)"
	check "diff: the 2 MiB config table did not change: not listed" \
		sh -c '[ -z "$1" ]' sh "$(diff_line load_config_table)"
	check "diff: the parked workers' group grew by 2 threads (1 -> 3), 512 bytes more" \
		grep -q '{"count": 2, "base_count": 1, "new_count": 3, "live_bytes": 512, "where": "in pthread_cond_wait <- parked_worker", "created_at": "start_parked_worker"}' \
		"$TMP/diff.json"
	"$LEAKTOP" diff "$TMP/growth.lkt" "$TMP/tdemo.lkt" >"$TMP/diff.txt" 2>&1
	check "diff: text, the leak first with its change" \
		grep -q '^#1  +320.0 KiB live (+80 blocks), now 480.0 KiB; +80 allocations, +0 frees$' "$TMP/diff.txt"
	check "diff: text, the thread group that grew" \
		grep -q '^  +2 threads (1 -> 3), in pthread_cond_wait <- parked_worker < start_parked_worker$' \
		"$TMP/diff.txt"
	"$LEAKTOP" diff "$TMP/growth.lkt" "$TMP/tdemo.lkt" --format folded >"$TMP/diff.folded" 2>&1
	check "diff: folded, the growth of live bytes per stack, what shrank left out" \
		sh -c 'grep -q "^_start;__libc_start_main;__libc_start_call_main;main;handle_request;leak_request_buffer 327680$" "$1" &&
			! grep -q cache_store "$1"' sh "$TMP/diff.folded"
	# One file, two snapshots: FILE@N. Against itself: nothing changed.
	"$LEAKTOP" diff "$TMP/tdemo.lkt@last" "$TMP/tdemo.lkt" >"$TMP/diff.same" 2>&1
	check "diff: a snapshot against itself: no stack changed, no thread group grew" \
		sh -c 'grep -q "^no stack changed$" "$1" && grep -q "^no thread group grew$" "$1"' sh "$TMP/diff.same"
	"$LEAKTOP" diff "$TMP/tdemo.lkt@1" "$TMP/tdemo.lkt@3" >/dev/null 2>&1
	check "diff: FILE@1 against FILE@3 reads (exit $?)" [ $? -eq 0 ]
	expect_usage_error "diff with one file" "$LEAKTOP" diff "$TMP/tdemo.lkt"
	expect_usage_error "diff at a snapshot the file does not hold" \
		"$LEAKTOP" diff "$TMP/tdemo.lkt@99" "$TMP/tdemo.lkt"
	expect_usage_error "diff of a missing file" "$LEAKTOP" diff "$TMP/none.lkt" "$TMP/tdemo.lkt"
	expect_usage_error "diff with an unknown format" \
		"$LEAKTOP" diff --format pdf "$TMP/tdemo.lkt" "$TMP/tdemo.lkt"

	# 2,000 short-lived threads: all counted, the registry stays bounded.
	# 2,000 and then 4,000 such threads: the registry holds 1,024 entries
	# either way; ended threads are counted, not kept.
	for n in 2000 4000; do
		if ! start_ready "tmany$n" "$BUILD/targets/threads_many" $n 3000; then
			bad "threads: threads_many $n printed ready ($(head -c 200 "$TMP/tmany$n.err"))"
			continue
		fi
		sleep 1.2
		"$LEAKTOP" report -p "$RPID" --threads --format json >"$TMP/tmany$n.json" 2>&1
		kill "$RJOB" 2>/dev/null
		wait "$RJOB" 2>/dev/null
	done
	check "threads: 2,000 short-lived threads, all counted as ended at spawn_wave" \
		grep -q '{"created": 2000, "ended": 2000, "created_at": "spawn_wave"' "$TMP/tmany2000.json"
	check "threads: ... the registry bounded at 1,024 entries: main and the 1,023 latest ended" \
		grep -q '"live": 1, "ended": 2000, "created": 2001, "untracked": 0, "slots": 1024, "ended_live_bytes": 0,' \
		"$TMP/tmany2000.json"
	check "threads: ... and after 4,000, still 1,024 entries, 4,000 counted" \
		grep -q '"live": 1, "ended": 4000, "created": 4001, "untracked": 0, "slots": 1024,' \
		"$TMP/tmany4000.json"
fi

# --- golden recordings: every later leaktop must read them --------------------
# demo-2s.lkt is format version 1; demo-2s-v2.lkt version 2, 18 of its 20
# snapshots stored as DELTAs (tests/golden/README.md).
if [ "$have_leaktop" -eq 1 ]; then
	for gs in demo-2s.lkt:4 demo-2s-v2.lkt:20; do
		g=tests/golden/${gs%%:*}
		nsnap=${gs#*:}
		"$LEAKTOP" report "$g" --format folded >"$TMP/golden.folded" 2>&1
		for want in load_config_table:2097152 cache_store:655360 leak_request_buffer:81920 \
			leak_parked_session:256; do
			got=$(sum_frames "$TMP/golden.folded" "${want%%:*}")
			check "golden $g: ${want%%:*} live_bytes = ${want#*:} (got $got)" [ "$got" = "${want#*:}" ]
		done
		check "golden $g: $nsnap snapshots, exited with status 0" \
			grep -q "snapshot $nsnap of $nsnap at 2.0 s, exited with status 0" <("$LEAKTOP" report "$g" --top 1)
		check "golden $g: its thread snapshot, the parked worker's group" \
			grep -q '"count": 1, .*"where": "in pthread_cond_wait <- parked_worker", .*"created_at": "start_parked_worker"' \
			<("$LEAKTOP" report "$g" --threads --format json)
	done
	# Snapshot 5 is a DELTA on the file's first full snapshot and 20 the
	# last of a chain of 16: the leak grew by 15 requests of 4 KiB between.
	g=tests/golden/demo-2s-v2.lkt
	"$LEAKTOP" diff "$g@5" "$g@last" --format json >"$TMP/golden-diff.json" 2>&1
	check "golden $g: diff @5 @last gives leak_request_buffer +61440 bytes in +15 blocks" \
		grep -q '{"live_bytes": 61440, "live_blocks": 15, "alloc_calls": 15, "alloc_bytes": 61440, "free_calls": 0, .*leak_request_buffer' "$TMP/golden-diff.json"
	check "golden $g: ... and cache_store +491520 in +240" \
		grep -q '{"live_bytes": 491520, "live_blocks": 240, .*cache_store' "$TMP/golden-diff.json"

	g=tests/golden/demo-2s.lkt
	# FILE@-DURATION counts back from the last snapshot (2.010 s after the
	# start; the others at 0.001, 1.002 and 2.002 s): the last snapshot at
	# or before that time less the duration.
	"$LEAKTOP" diff "$g@-1s" "$g" --format json >"$TMP/ago.json" 2>&1
	check "diff FILE@-1s: the base is snapshot 2 (1.002 s)" \
		grep -q '^{"base": {"file": "tests/golden/demo-2s.lkt", "snapshot": 2, "time_ms": 1002}' "$TMP/ago.json"
	check "diff FILE@-1s: leak_request_buffer +40960 bytes, +10 blocks since (40960 -> 81920)" \
		grep -q '"live_bytes": 40960, "live_blocks": 10, "alloc_calls": 10, "alloc_bytes": 40960, "free_calls": 0, "base_live_bytes": 40960, "new_live_bytes": 81920, "frames": \[{"func": "leak_request_buffer"' \
		"$TMP/ago.json"
	check "diff FILE@-5ms: snapshot 3 (2.002 s)" \
		grep -q '^base tests/golden/demo-2s.lkt, snapshot 3 of 4 at 2.0 s;' <("$LEAKTOP" diff "$g@-5ms" "$g")
	check "diff FILE@-2s: snapshot 1 (0.001 s), the new side FILE@-0s the last" \
		grep -q '^base tests/golden/demo-2s.lkt, snapshot 1 of 4 at 0.0 s; new tests/golden/demo-2s.lkt, snapshot 4 of 4 at 2.0 s$' \
		<("$LEAKTOP" diff "$g@-2s" "$g@-0s")
	expect_usage_error "diff FILE@-3s, before the first snapshot" "$LEAKTOP" diff "$g@-3s" "$g"
	check "diff FILE@-3s: says the snapshots span 2.009 s" \
		grep -q '^leaktop: tests/golden/demo-2s.lkt@-3s: 3.000 s before the last snapshot is before the first (the snapshots span 2.009 s)$' \
		"$TMP/bad.err"
	expect_usage_error "diff FILE@-5x, not a duration" "$LEAKTOP" diff "$g@-5x" "$g"

	# replay reads the whole file before it takes the terminal: a bad one
	# is one line and status 2, terminal or not. (The view itself is
	# tested in tmux, tests/integration/tui.sh.)
	cp "$g" "$TMP/corrupt.lkt"
	printf '\377\377\377\377' | dd of="$TMP/corrupt.lkt" bs=1 seek=200 conv=notrunc 2>/dev/null
	expect_usage_error "replay of a corrupt recording" "$LEAKTOP" replay "$TMP/corrupt.lkt"
	check "replay of a corrupt recording: the reader's line, with the offset" \
		grep -q "^leaktop: $TMP/corrupt.lkt: offset 136: " "$TMP/bad.err"
	expect_usage_error "replay of a text file" "$LEAKTOP" replay "$0"
	expect_usage_error "replay --base at a snapshot the file does not hold" \
		"$LEAKTOP" replay "$g" --base "$g@9"
	expect_usage_error "replay --speed 0" "$LEAKTOP" replay "$g" --speed 0
	expect_usage_error "replay without a terminal" "$LEAKTOP" replay "$g"
	check "replay without a terminal: says it needs one" grep -q 'the view needs a terminal' "$TMP/bad.err"
fi

# --- record --max-size: a long run thinned, never the newest -----------------
# 3,000 live stacks at a 100 ms interval write ~110 KB in 5 s: a 64 KiB limit
# thins the file while it records. stacks.c leaks 1 KiB from leak_kib every
# 100 ms.
if [ "$have_leaktop" -eq 1 ] && [ -r "$PROBE" ]; then
	cc -std=gnu11 -O0 -g -o "$TMP/stacks" tests/bench/stacks.c
	"$LEAKTOP" record --interval 100 --max-size 64K -o "$TMP/ms.lkt" -- "$TMP/stacks" 3000 5 \
		>/dev/null 2>"$TMP/ms.err"
	rc=$?
	check "max-size: the recording run exits 0 (got $rc)" [ "$rc" -eq 0 ]
	check "max-size: the closing line says how many snapshots were thinned" \
		grep -Eq '^leaktop: wrote [0-9]+ snapshots to .*ms.lkt, [1-9][0-9]* of them thinned away to stay under --max-size$' "$TMP/ms.err"
	size=$(stat -c %s "$TMP/ms.lkt")
	check "max-size: the file is at most the limit and one snapshot's records (got $size)" \
		[ "$size" -le $((64 * 1024 + 8192)) ]
	check "max-size: no temporary file left beside it" [ ! -e "$TMP/ms.lkt.thin" ]
	check "max-size: mode 0600" [ "$(stat -c %a "$TMP/ms.lkt")" = 600 ]
	written=$(sed -n 's/^leaktop: wrote \([0-9]*\) snapshots.*/\1/p' "$TMP/ms.err")
	thinned=$(sed -n 's/.*, \([0-9]*\) of them thinned.*/\1/p' "$TMP/ms.err")
	kept=$((written - thinned))
	check "max-size: the newest snapshot is kept, with the exit ($kept of $written)" \
		grep -q "snapshot $kept of $kept at 5\.[0-9] s, exited with status 0" \
		<("$LEAKTOP" report "$TMP/ms.lkt" --top 1)
	check "max-size: and the first, at the start" \
		grep -q "snapshot 1 of $kept at 0\.[0-9] s" <("$LEAKTOP" report "$TMP/ms.lkt" --at 1 --top 1)
	"$LEAKTOP" report "$TMP/ms.lkt" --format folded --metric live_blocks >"$TMP/ms.blocks"
	"$LEAKTOP" report "$TMP/ms.lkt" --format folded >"$TMP/ms.bytes"
	lb=$(sum_frames "$TMP/ms.blocks" leak_kib)
	lk=$(sum_frames "$TMP/ms.bytes" leak_kib)
	check "max-size: leak_kib holds 1 KiB a block in the last snapshot ($lk bytes, $lb blocks)" \
		[ "${lb:-0}" -ge 40 -a "${lk:-0}" -eq $((${lb:-0} * 1024)) ]
	"$LEAKTOP" record --max-size 1x -- true 2>"$TMP/ms-bad.err"
	rc=$?
	check "max-size: a bad size is one line and status 2 (got $rc)" \
		[ "$rc" -eq 2 -a "$(wc -l <"$TMP/ms-bad.err")" -eq 1 ]
fi

# --- crash safety: SIGKILL at random moments --------------------------------
# The recorder killed mid-run (now and then mid-thinning, with a 64 KiB
# limit on 3,000 stacks): the file reads, every complete snapshot in it,
# and a snapshot in flight is at worst a torn tail. The target killed: the
# recording ends with the signal. Moments from $RANDOM, seeded and printed.
if [ "$have_leaktop" -eq 1 ] && [ -r "$PROBE" ]; then
	seed=${CRASH_SEED:-$$}
	RANDOM=$seed
	echo "crash safety: CRASH_SEED=$seed"
	for i in 1 2 3 4; do
		ms=$((RANDOM % 1000 + (1 - i % 2) * 2000)) # stacks runs: 2-3 s, past the first thinning
		f=$TMP/kill$i.lkt
		if [ $((i % 2)) -eq 0 ]; then
			"$LEAKTOP" record -q --interval 100 --max-size 64K -o "$f" -- "$TMP/stacks" 3000 30 \
				>/dev/null 2>&1 &
		else
			"$LEAKTOP" record -q --interval 100 -o "$f" -- "$BUILD/targets/demo" 30 >/dev/null 2>&1 &
		fi
		lpid=$!
		# From its first complete snapshot on (a slow start, under ASan
		# say, must not make the moment fall before it), then a while.
		for _ in $(seq 100); do
			"$LEAKTOP" report "$f" --top 1 >/dev/null 2>&1 && break
			sleep 0.1
		done
		sleep "$((ms / 1000)).$(printf %03d $((ms % 1000)))"
		child=$(pgrep -P "$lpid")
		kill -KILL "$lpid"
		wait "$lpid" 2>/dev/null
		[ -n "$child" ] && kill -KILL "$child" 2>/dev/null
		"$LEAKTOP" report "$f" --top 1 >"$TMP/kill$i.out" 2>"$TMP/kill$i.err"
		rc=$?
		n=$(sed -n 's/.*, snapshot \([0-9]*\) of \1 at .*/\1/p' "$TMP/kill$i.out")
		check "crash: recorder SIGKILLed $ms ms after its first snapshot (run $i): the file reads, $n snapshots (rc $rc)" \
			[ "$rc" -eq 0 -a "${n:-0}" -ge 1 ]
		check "crash: ... and says where it stopped, if it stopped in a record" \
			sh -c '[ ! -s "$1" ] || grep -q "offset [0-9]*: truncated record .*showing the [0-9]* complete snapshots" "$1"' \
			sh "$TMP/kill$i.err"
	done
	for i in 1 2; do
		ms=$((300 + RANDOM % 1500))
		"$LEAKTOP" record -q --interval 100 -o "$TMP/tkill$i.lkt" -- "$BUILD/targets/demo" 30 \
			>/dev/null 2>&1 &
		lpid=$!
		sleep "$((ms / 1000)).$(printf %03d $((ms % 1000)))"
		kill -KILL "$(pgrep -P "$lpid")"
		wait "$lpid"
		rc=$?
		check "crash: target SIGKILLed after $ms ms (run $i): leaktop exits 137 (got $rc)" [ "$rc" -eq 137 ]
		check "crash: ... and the recording ends with the signal" \
			grep -q ", snapshot \([0-9]*\) of \1 at .*, killed by signal 9" \
			<("$LEAKTOP" report "$TMP/tkill$i.lkt" --top 1)
	done
fi

# --- report --format pprof ------------------------------------------------------
# The export is read back by tests/tools/pprof_dump (a decoder of the tests'
# own: gzip, wire format, string 0 "", every id non-zero, unique and
# defined), compared stack by stack with the folded report of each metric,
# checked for exact figures, and read by go tool pprof when go is installed.

# pprof_vs_folded NAME LKT PB: each sample type of PB, as folded stacks,
# against `report LKT --format folded --metric` of its metric: the same
# stacks with the same values. Leaves $TMP/NAME.pf.K for sum_frames.
pprof_vs_folded()
{
	local name=$1 lkt=$2 pb=$3 k=0 m
	for m in alloc_calls alloc_bytes live_blocks live_bytes; do
		"$DUMP" --folded $k "$pb" 2>&1 | sort >"$TMP/$name.pf.$k"
		"$LEAKTOP" report "$lkt" --format folded --metric $m 2>&1 | sort >"$TMP/$name.rf.$k"
		check "pprof $name: sample type $k has the stacks and values of report --metric $m" \
			sh -c '[ -s "$1" ] && cmp -s "$1" "$2"' sh "$TMP/$name.pf.$k" "$TMP/$name.rf.$k"
		k=$((k + 1))
	done
}

if [ "$have_leaktop" -eq 1 ]; then
	DUMP=$BUILD/tools/pprof_dump
	[ -x "$DUMP" ] || bad "pprof: $DUMP exists (make tools)"
	g=tests/golden/demo-2s.lkt
	pb=$TMP/golden.pb.gz
	"$LEAKTOP" report "$g" --format pprof -o "$pb" 2>"$TMP/pprof.err"
	rc=$?
	check "pprof: report --format pprof -o FILE exits 0 (got $rc; $(head -c 160 "$TMP/pprof.err"))" \
		[ $rc -eq 0 ]
	mode=$(stat -c %a "$pb" 2>/dev/null)
	check "pprof: FILE is created mode 600 (got $mode)" [ "$mode" = 600 ]
	"$DUMP" "$pb" >"$TMP/golden.pprof" 2>"$TMP/golden.pprof.err"
	rc=$?
	check "pprof: the decoder reads it whole and every id holds (exit $rc; $(head -c 200 "$TMP/golden.pprof.err"))" \
		[ $rc -eq 0 ]
	while read -r want; do
		check "pprof golden: \"$want\"" grep -qxF -- "$want" "$TMP/golden.pprof"
	done <<'LINES'
sample_types alloc_objects/count alloc_space/bytes inuse_objects/count inuse_space/bytes
period_type space/bytes
time_nanos 1796176529029213405
duration_nanos 2010481594
comment program: /work/main/build/targets/demo
comment pid: 14107
mapping demo [0x557df129f151, 0x557df129f57b) functions filenames line_numbers
mapping libc.so.6 [0x7fb2c770224a, 0x7fb2c77e48ed) functions filenames line_numbers
sample 20 81920 20 81920: leak_request_buffer <- handle_request <- main <- __libc_start_call_main <- __libc_start_main <- _start
sample 1 2097152 1 2097152: load_config_table <- main <- __libc_start_call_main <- __libc_start_main <- _start
sample 320 655360 320 655360: cache_store <- main <- __libc_start_call_main <- __libc_start_main <- _start
sample 1 256 1 256: leak_parked_session <- parked_worker <- start_thread <- __clone3
LINES
	# The tables, counted again from the json report: a sample per stack,
	# a location per address, a function per name and file, a mapping per
	# module (5, 21, 18 and 2 in the golden file).
	j=$TMP/golden.all.json
	"$LEAKTOP" report "$g" --format json --metric alloc_calls >"$j" 2>&1
	ns=$(grep -c '^  {"id"' "$j")
	nl=$(grep -o '"addr": "0x[0-9a-f]*"' "$j" | sort -u | wc -l)
	nf=$(grep -o '"func": "[^"]*", "module": "[^"]*", "file": "[^"]*"' "$j" |
		sed 's/"module": "[^"]*", //' | sort -u | wc -l)
	nm=$(grep -o '"module": "[^"]*"' "$j" | sort -u | wc -l)
	check "pprof golden: 5 samples, 21 locations, 18 functions, 2 mappings, as the json has ($ns, $nl, $nf, $nm)" \
		sh -c '[ "$1 $2 $3 $4" = "5 21 18 2" ] &&
			grep -qE "^tables [0-9]+ strings, $1 samples, $2 locations, $3 functions, $4 mappings\$" "$5"' \
		sh "$ns" "$nl" "$nf" "$nm" "$TMP/golden.pprof"
	pprof_vs_folded golden "$g" "$pb"

	# Recorded targets whose counts differ between what was allocated and
	# what is live (run above): exact figures per sample type.
	for name in malloc realloc; do
		"$LEAKTOP" report "$TMP/$name.lkt" --format pprof -o "$TMP/$name.pb.gz" 2>/dev/null
		check "pprof $name: the decoder reads it whole and every id holds" \
			sh -c '"$1" "$2" >/dev/null' sh "$DUMP" "$TMP/$name.pb.gz"
		pprof_vs_folded "$name" "$TMP/$name.lkt" "$TMP/$name.pb.gz"
	done
	for spec in malloc:leak_malloc_64x100:100:6400:100:6400 malloc:free_malloc_64x100:100:6400:0:0 \
		realloc:leak_realloc_grow:60:82560:20:81920 realloc:free_realloc_zero:30:3000:0:0; do
		IFS=: read -r name fn a b c d <<<"$spec"
		got=$(for k in 0 1 2 3; do sum_frames "$TMP/$name.pf.$k" "$fn"; done | xargs)
		check "pprof $name: $fn alloc_objects, alloc_space, inuse_objects, inuse_space = $a $b $c $d (got $got)" \
			[ "$got" = "$a $b $c $d" ]
	done

	# The decoder's checks can fail: a cut file is refused.
	head -c 400 "$pb" >"$TMP/cut.pb.gz"
	"$DUMP" "$TMP/cut.pb.gz" >/dev/null 2>"$TMP/cut.err"
	check "pprof: the decoder refuses a cut file (exit $?: $(head -c 100 "$TMP/cut.err"))" \
		grep -q 'not a whole gzip stream' "$TMP/cut.err"

	# Where it goes: stdout when it is not a terminal, byte for byte the
	# file; never a terminal; -o never through a symlink, an old file of
	# ours replaced, nothing left on bad input.
	"$LEAKTOP" report "$g" --format pprof >"$TMP/stdout.pb.gz" 2>/dev/null
	check "pprof: to a stdout that is no terminal, the same bytes as -o" cmp -s "$pb" "$TMP/stdout.pb.gz"
	if command -v script >/dev/null; then
		script -qec "$LEAKTOP report $g --format pprof" /dev/null >"$TMP/tty.out" 2>&1
		rc=$?
		check "pprof to a terminal: refused, exit 2 (got $rc), saying to give -o FILE" \
			sh -c '[ "$1" -eq 2 ] && [ "$(grep -c . "$2")" -eq 1 ] &&
				grep -q "binary; give -o FILE or redirect stdout" "$2"' sh "$rc" "$TMP/tty.out"
	else
		skip "pprof to a terminal: skipped: script(1) is not installed"
	fi
	echo "not yours" >"$TMP/victim"
	ln -s "$TMP/victim" "$TMP/link.pb.gz"
	expect_usage_error "pprof -o onto a symlink" "$LEAKTOP" report "$g" --format pprof -o "$TMP/link.pb.gz"
	check "pprof -o onto a symlink: the file it points to is untouched" \
		sh -c '[ -L "$1" ] && [ "$(cat "$2")" = "not yours" ]' sh "$TMP/link.pb.gz" "$TMP/victim"
	echo old >"$TMP/old.pb.gz"
	chmod 644 "$TMP/old.pb.gz"
	"$LEAKTOP" report "$g" --format pprof -o "$TMP/old.pb.gz" 2>/dev/null
	check "pprof -o onto an old file of ours: replaced, mode 600 ($(stat -c %a "$TMP/old.pb.gz"))" \
		sh -c '[ "$(stat -c %a "$1")" = 600 ] && cmp -s "$1" "$2"' sh "$TMP/old.pb.gz" "$pb"
	expect_usage_error "pprof of a missing file" \
		"$LEAKTOP" report "$TMP/none.lkt" --format pprof -o "$TMP/none.pb.gz"
	check "pprof of a missing file: no file left" [ ! -e "$TMP/none.pb.gz" ]
	expect_usage_error "pprof with --top" "$LEAKTOP" report "$g" --format pprof --top 3 -o "$TMP/top.pb.gz"
	expect_usage_error "pprof with --metric" \
		"$LEAKTOP" report "$g" --format pprof --metric alloc_bytes -o "$TMP/top.pb.gz"
	check "pprof with --top or --metric: no file left" [ ! -e "$TMP/top.pb.gz" ]
	"$LEAKTOP" report "$g" --format json -o "$TMP/golden.o.json" 2>/dev/null
	check "report -o FILE with json: what stdout would get" \
		cmp -s "$TMP/golden.o.json" <("$LEAKTOP" report "$g" --format json)

	# go tool pprof itself, offline, with its caches in TMP.
	if command -v go >/dev/null; then
		gohome=$TMP/gohome
		mkdir -p "$gohome"
		gopprof()
		{
			HOME=$gohome GOCACHE=$gohome/cache GOPATH=$gohome/go GOTOOLCHAIN=local \
				GOPROXY=off timeout 60 go tool pprof "$@" 2>&1
		}
		gopprof -top -unit=B -sample_index=inuse_space "$pb" >"$TMP/gotop.out"
		rc=$?
		check "go tool pprof -top reads it (exit $rc; $(grep -m1 -i 'error\|fail' "$TMP/gotop.out"))" [ $rc -eq 0 ]
		check "go tool pprof -top: leak_request_buffer 81920 B in use, flat and cum" \
			grep -qE '^ *81920B +[0-9.]+% +[0-9.]+% +81920B +[0-9.]+% +leak_request_buffer$' "$TMP/gotop.out"
		check "go tool pprof -top: the total in use is the report's, 2838784 B" \
			grep -q 'Total samples = 2838784B' "$TMP/gotop.out"
		gopprof -top "$pb" >"$TMP/gotop-default.out"
		check "go tool pprof: inuse_space is the default sample type" \
			grep -qx 'Type: inuse_space' "$TMP/gotop-default.out"
		gopprof -top -sample_index=alloc_objects "$TMP/realloc.pb.gz" >"$TMP/gotop-alloc.out"
		check "go tool pprof -top -sample_index=alloc_objects: leak_realloc_grow made 60" \
			grep -qE '^ *60 +[0-9.]+% +[0-9.]+% +60 +[0-9.]+% +leak_realloc_grow$' "$TMP/gotop-alloc.out"
	else
		skip "go tool pprof: skipped: go is not installed"
	fi
fi

# --- record -p PID: a process that already has the probe -----------------------
if [ "$have_leaktop" -eq 1 ] && [ -r "$PROBE" ]; then
	LD_PRELOAD=$PROBE "$BUILD/targets/demo" 30 >/dev/null &
	dpid=$!
	sleep 0.5
	"$LEAKTOP" record -p "$dpid" -o "$TMP/rp.lkt" 2>"$TMP/rp.err" &
	rpid=$!
	sleep 2.5
	kill -INT "$rpid"
	wait "$rpid"
	rc=$?
	check "record -p: Ctrl-C ends the recording, exit 0 (got $rc)" [ "$rc" -eq 0 ]
	check "record -p: one line, and the process runs on ($(head -c 120 "$TMP/rp.err"))" \
		sh -c '[ "$(wc -l <"$1")" -eq 1 ] && grep -q "^leaktop: wrote [0-9]* snapshots to .*rp.lkt; the process runs on$" "$1"' \
		sh "$TMP/rp.err"
	check "record -p: the process is still running" kill -0 "$dpid"
	"$LEAKTOP" report "$TMP/rp.lkt" --format json >"$TMP/rp.json" 2>&1
	snaps=$(grep -o '"snapshots": [0-9]*' "$TMP/rp.json" | grep -o '[0-9]*$')
	check "record -p: a snapshot a second, 2 at least ($snaps), state running" \
		sh -c '[ "${1:-0}" -ge 2 ] && grep -q "\"state\": \"running\"" "$2"' sh "$snaps" "$TMP/rp.json"
	got=$(sum_frames <("$LEAKTOP" report "$TMP/rp.lkt" --format folded) leak_request_buffer)
	check "record -p: the leak is in it ($got bytes)" [ "${got:-0}" -gt 0 ]
	# report -p PID --format pprof: a fresh snapshot of the running demo;
	# its leak is a whole number of 4 KiB buffers, one per allocation.
	"$LEAKTOP" report -p "$dpid" --format pprof -o "$TMP/live.pb.gz" 2>"$TMP/live.pb.err"
	rc=$?
	"$BUILD/tools/pprof_dump" --folded 3 "$TMP/live.pb.gz" >"$TMP/live.pf.3" 2>&1 &&
		"$BUILD/tools/pprof_dump" --folded 0 "$TMP/live.pb.gz" >"$TMP/live.pf.0" 2>&1
	dumped=$?
	bytes=$(sum_frames "$TMP/live.pf.3" leak_request_buffer)
	allocs=$(sum_frames "$TMP/live.pf.0" leak_request_buffer)
	check "report -p --format pprof: written (exit $rc), read back (exit $dumped), leak_request_buffer $bytes B in use = $allocs x 4096" \
		[ "$rc" -eq 0 -a "$dumped" -eq 0 -a "${bytes:-0}" -gt 0 -a "${bytes:-0}" -eq $((${allocs:-0} * 4096)) ]
	kill "$dpid"
	wait "$dpid" 2>/dev/null

	# The process ends while recorded: the recording ends with it, exact.
	LD_PRELOAD=$PROBE "$BUILD/targets/demo" 2 >/dev/null &
	dpid=$!
	sleep 0.3
	watch 10 /dev/null "$TMP/rp2.err" "$LEAKTOP" record -p "$dpid" -o "$TMP/rp2.lkt"
	check "record -p: ends when the process exits (exit $RC, $MS ms)" [ "$RC" -eq 0 -a "$HUNG" -eq 0 ]
	check "record -p: ... and says so" grep -q '; the process exited$' "$TMP/rp2.err"
	wait "$dpid" 2>/dev/null
	"$LEAKTOP" report "$TMP/rp2.lkt" --format folded >"$TMP/rp2.folded" 2>&1
	got=$(sum_frames "$TMP/rp2.folded" leak_request_buffer)
	check "record -p: the state at exit, exact: leak_request_buffer 20 x 4 KiB = 81920 (got $got)" \
		[ "${got:-0}" -eq 81920 ]
	check "record -p: ... exited with status 0" \
		grep -q 'exited with status 0' <("$LEAKTOP" report "$TMP/rp2.lkt" --top 1)
	expect_usage_error "record -p with a program too" "$LEAKTOP" record -p 1 -- true
	expect_usage_error "record -p with --interval" "$LEAKTOP" record -p 1 --interval 100
	expect_usage_error "record -p of a pid with no probe" "$LEAKTOP" record -p 999999 -o "$TMP/none.lkt"
	check "record -p of a pid with no probe: no file left" [ ! -e "$TMP/none.lkt" ]
fi

# A full /dev/shm: the probe reserves its whole segment at start, so it
# fails there, says so in one line and lets the program run untracked and
# unchanged. A private mount namespace gets a 1 MB tmpfs (root only).
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null && [ -r "$PROBE" ]; then
	unshare -m sh -c 'mount -t tmpfs -o size=1m tmpfs /dev/shm &&
		LD_PRELOAD="$1" "$2" >"$3.out" 2>"$3.err"; echo $? >"$3.rc"; ls /dev/shm | wc -l >"$3.left"' \
		sh "$PROBE" "$BUILD/targets/malloc" "$TMP/fullshm"
	check "full /dev/shm: the program exits as bare (3, got $(cat "$TMP/fullshm.rc" 2>/dev/null))" \
		[ "$(cat "$TMP/fullshm.rc" 2>/dev/null)" = 3 ]
	check "full /dev/shm: stdout as bare" cmp -s "$TMP/fullshm.out" "$TMP/malloc.bare.out"
	check "full /dev/shm: exactly one line on stderr ($(head -c 120 "$TMP/fullshm.err"))" \
		sh -c '[ "$(wc -l <"$1")" -eq 1 ] && grep -q "runs untracked" "$1"' sh "$TMP/fullshm.err"
	check "full /dev/shm: nothing left in it" [ "$(cat "$TMP/fullshm.left" 2>/dev/null)" = 0 ]
else
	skip "full /dev/shm: needs root and unshare"
fi

# --- what leaktop cannot see, it says --------------------------------------
# A static program, one with its own malloc linked in, and a set-user-ID
# one (as root: a copy owned by nobody): each runs exactly as bare under
# `leaktop record`, whose one closing line says why nothing was seen, and
# `leaktop run` refuses the two it cannot load in. Then the probe itself in
# a set-user-ID program (AT_SECURE): loaded from a system directory, as
# the dynamic linker allows only there, it must stay inert.
if [ "$have_leaktop" -eq 1 ] && [ -r "$PROBE" ]; then
	cc -O1 -o "$TMP/own_malloc" tests/integration/blind/own_malloc.c
	blind=("$TMP/own_malloc:defines its own malloc (an allocator linked in), which comes before the probe's")
	if cc -static -O1 -o "$TMP/static" tests/integration/blind/static.c 2>/dev/null; then
		blind+=("$TMP/static:is statically linked, so no LD_PRELOAD library can load in it")
	else
		skip "static program: no static libc (libc6-dev's libc.a)"
	fi
	if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
		mkdir -p "$BUILD/suid" && chmod 755 "$BUILD/suid"
		cp "$BUILD/targets/malloc" "$BUILD/suid/malloc"
		chown nobody "$BUILD/suid/malloc" && chmod 4755 "$BUILD/suid/malloc"
		blind+=("$BUILD/suid/malloc:is set-user-ID, and the dynamic linker ignores LD_PRELOAD for it")
	else
		skip "set-user-ID program: needs root to make one owned by nobody"
	fi
	for b in "${blind[@]}"; do
		prog=${b%%:*}
		why=${b#*:}
		name=$(basename "$prog")
		"$prog" >"$TMP/$name.bare" 2>&1
		bare_rc=$?
		"$LEAKTOP" record -o "$TMP/$name.lkt" -- "$prog" >"$TMP/$name.out" 2>"$TMP/$name.err"
		rc=$?
		check "blind $name: recorded, it exits as bare ($bare_rc, got $rc) with the same output" \
			sh -c '[ "$1" -eq "$2" ] && cmp -s "$3" "$4"' sh "$rc" "$bare_rc" "$TMP/$name.out" "$TMP/$name.bare"
		check "blind $name: one closing line says why nothing was seen ($(head -c 150 "$TMP/$name.err"))" \
			sh -c '[ "$(wc -l <"$1")" -eq 1 ] && grep -qxF "leaktop: no allocations seen: $2 $3; wrote $4" "$1"' \
			sh "$TMP/$name.err" "$prog" "$why" "$TMP/$name.lkt"
		if [ "$name" = own_malloc ]; then
			check "blind $name: report says the same under the empty snapshot" \
				grep -qxF "no allocations seen: $prog $why" <("$LEAKTOP" report "$TMP/$name.lkt")
		else
			script -qec "\"$LEAKTOP\" run -- \"$prog\"" /dev/null >"$TMP/$name.run" 2>&1
			rc=$?
			check "blind $name: run refuses, status 2, saying why" \
				sh -c '[ "$1" -eq 2 ] && grep -qF "leaktop: no allocations can be seen: $2 $3" "$4"' \
				sh "$rc" "$prog" "$why" "$TMP/$name.run"
		fi
	done

	libdir=/usr/lib/$(cc -print-multiarch)
	if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1 && [ -d "$libdir" ]; then
		lib=libleaktop-secure-test-$$.so
		cp "$PROBE" "$libdir/$lib" && chmod 4755 "$libdir/$lib"
		cp "$BUILD/targets/demo" "$BUILD/suid/demo"
		chown nobody "$BUILD/suid/demo" && chmod 4755 "$BUILD/suid/demo"
		LD_PRELOAD=$lib "$BUILD/suid/demo" 2 >"$TMP/secure.out" 2>"$TMP/secure.err" &
		spid=$!
		sleep 1
		loaded=$(grep -c "$lib" "/proc/$spid/maps" 2>/dev/null)
		segs=$(find /dev/shm -maxdepth 1 -name "leaktop.$spid.*" | wc -l)
		wait "$spid"
		rc=$?
		check "AT_SECURE: the dynamic linker loaded the probe into the set-user-ID demo (maps: ${loaded:-0})" \
			[ "${loaded:-0}" -gt 0 ]
		check "AT_SECURE: ... which stayed inert: no segment ($segs), status 0 ($rc), nothing on stderr" \
			sh -c '[ "$1" -eq 0 ] && [ "$2" -eq 0 ] && [ ! -s "$3" ]' sh "$segs" "$rc" "$TMP/secure.err"
		rm -f "$libdir/$lib"
	else
		skip "AT_SECURE: needs root to install a set-user-ID probe in $libdir"
	fi
	rm -rf "$BUILD/suid"
fi

# --- Go: the C side of a cgo program -----------------------------------------
# The classic cgo leak (C.malloc'ed buffers the Go side never frees) is seen
# exactly, while the Go runtime's goroutines, timer and signal handling keep
# working (cgoleak.go checks them and exits non-zero if not), and output
# and status are those of a bare run. GOCACHE is kept in the build
# directory: the first build compiles runtime/cgo.
if [ "$have_leaktop" -eq 1 ] && [ -r "$PROBE" ] && command -v go >/dev/null; then
	mkdir -p "$BUILD/gocache"
	if HOME=$TMP GOPATH=$TMP/gopath GOCACHE=$BUILD/gocache GOFLAGS= GO111MODULE=off \
		go build -o "$TMP/cgoleak" tests/integration/go/cgoleak.go >"$TMP/go.build" 2>&1; then
		"$TMP/cgoleak" >"$TMP/cgoleak.bare" 2>&1
		bare_rc=$?
		"$LEAKTOP" record -q --interval 100 -o "$TMP/cgoleak.lkt" -- "$TMP/cgoleak" >"$TMP/cgoleak.out" 2>&1
		rc=$?
		check "go cgo: the program's own checks pass bare and recorded (goroutines, timer, SIGUSR1): $bare_rc, $rc" \
			[ "$bare_rc" -eq 0 -a "$rc" -eq 0 ]
		check "go cgo: output as bare" cmp -s "$TMP/cgoleak.out" "$TMP/cgoleak.bare"
		"$LEAKTOP" report "$TMP/cgoleak.lkt" --format folded >"$TMP/cgoleak.bytes"
		"$LEAKTOP" report "$TMP/cgoleak.lkt" --format folded --metric live_blocks >"$TMP/cgoleak.blocks"
		# cgo names the C wrapper _cgo_<hash>_Cfunc_leak_request.
		cfunc() { awk -v f="_Cfunc_$2" 'index($0, f) { s += $NF } END { print s + 0 }' "$1"; }
		got=$(cfunc "$TMP/cgoleak.bytes" leak_request)
		check "go cgo: the leak is seen exactly: 409600 bytes (got $got)" [ "$got" = 409600 ]
		got=$(cfunc "$TMP/cgoleak.blocks" leak_request)
		check "go cgo: ... in 100 blocks (got $got)" [ "$got" = 100 ]
		"$LEAKTOP" report "$TMP/cgoleak.lkt" --format folded --metric alloc_calls >"$TMP/cgoleak.calls"
		got=$(cfunc "$TMP/cgoleak.calls" _Cmalloc)
		check "go cgo: C.malloc (_Cfunc__Cmalloc) allocated 100 times (got $got)" [ "$got" = 100 ]
		got=$(cfunc "$TMP/cgoleak.bytes" _Cmalloc)
		check "go cgo: ... and, each freed with C.free, none is live (got $got bytes)" [ "$got" = 0 ]
	else
		bad "go cgo: cgoleak.go builds ($(tail -n 3 "$TMP/go.build" | tr '\n' ' '))"
	fi
else
	skip "go cgo: go is not installed (make deps installs golang-go)"
fi

# list --gc, in a private /dev/shm (root only) so that no other run's
# segments are touched: two probed demos, one killed with SIGKILL (its
# segment stays behind), and spoiled segments (as from an older leaktop)
# named for the dead pid and for the running one. --gc removes the killed
# demo's and the dead pid's spoiled one, one line each, and leaves the
# running demo's two.
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null && [ -r "$PROBE" ]; then
	cat >"$TMP/gc.sh" <<'GC'
mount -t tmpfs -o size=64m tmpfs /dev/shm || exit 1
cd "$1" || exit 1
LD_PRELOAD=$2 "$3" 30 >/dev/null 2>&1 &
keep=$!
LD_PRELOAD=$2 "$3" 30 >/dev/null 2>&1 &
killed=$!
sleep 1
kill -KILL "$killed"
wait "$killed" 2>/dev/null
echo "$keep $killed" >pids
for p in $killed $keep; do
	printf 'spoiled' >/dev/shm/leaktop.$p.0123456789abcdef
	chmod 600 /dev/shm/leaktop.$p.0123456789abcdef
done
"$4" list >list.before 2>&1
"$4" list --gc >list.gc 2>gc.err
echo $? >gc.rc
ls /dev/shm >shm.after
"$4" list >list.after 2>&1
kill "$keep"
GC
	mkdir -p "$TMP/gc"
	unshare -m sh "$TMP/gc.sh" "$TMP/gc" "$PROBE" "$BUILD/targets/demo" "$LEAKTOP"
	read -r keep killed <"$TMP/gc/pids"
	check "list: the killed demo is listed as gone" grep -Eq "^ *$killed  gone " "$TMP/gc/list.before"
	check "list --gc: exits 0 (got $(cat "$TMP/gc/gc.rc"))" [ "$(cat "$TMP/gc/gc.rc")" = 0 ]
	check "list --gc: one line on stderr for the killed demo's segment" \
		grep -Eqx "leaktop: removed leaktop\.$killed\.[0-9a-f]{16} \(pid $killed is gone\)" "$TMP/gc/gc.err"
	check "list --gc: one for the spoiled one of the dead pid, saying why it did not validate" \
		grep -qx "leaktop: removed leaktop\.$killed\.0123456789abcdef (pid $killed is gone; it did not validate: segment is too small)" "$TMP/gc/gc.err"
	check "list --gc: nothing else removed, nothing else said" [ "$(wc -l <"$TMP/gc/gc.err")" -eq 2 ]
	check "list --gc: the running demo's segments stay, both; the dead pid's are gone" \
		sh -c '[ "$(grep -c "^leaktop\.$2\." "$1")" = 2 ] &&
			grep -q "^leaktop\.$2\.0123456789abcdef$" "$1" &&
			! grep -q "^leaktop\.$3\." "$1"' sh "$TMP/gc/shm.after" "$keep" "$killed"
	check "list --gc: the running demo is still listed, the killed one no more" \
		sh -c 'grep -Eq "^ *$2  running " "$1" && ! grep -Eq "^ *$3 " "$1"' \
		sh "$TMP/gc/list.after" "$keep" "$killed"
	expect_usage_error "list with an unknown option" "$LEAKTOP" list --collect
else
	skip "list --gc: needs root and unshare for a private /dev/shm"
fi

finish integration
