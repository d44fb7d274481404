#!/bin/bash
# run.sh BUILD_DIR [--fast] - the stress suite: the probe must never hang,
# crash, or change what a program does.
#
# Each case runs its program bare, then under the probe in one or more
# ways, and each probed run must finish within 10 times the bare run's
# wall time (at least MIN_LIMIT s; a hang fails), exit with the bare
# run's status, and write the bare run's stdout and stderr, byte for
# byte. The ways:
#   preload        LD_PRELOAD=BUILD/libleaktop.so alone, no launcher
#   follow         the same, with LEAKTOP_FOLLOW_EXEC=1: the probe goes on
#                  into every program the case execs (each gets its own
#                  segment), as it does into gcc's cc1, as and ld
#   record         leaktop record; then the recording must read, end with
#                  the bare run's exit status and show allocations, and the
#                  figures the program's source declares in " * expect:"
#                  lines (as in tests/integration) must hold exactly
#   record_follow  the same with --follow-exec
# Each run starts in a fresh directory of its own, so programs that make
# files (sqlite3, gcc, git) start from nothing every time. A case that
# starts many processes (STARTS=N) gets 100 ms more per process in the
# ways that follow exec: each probed process reserves its segment and
# gives it back, about 10 ms that no 10-times rule can absorb when the
# process itself takes 1 ms.
#
# The programs: tests/stress/*.c and *.cc, built in BUILD_DIR/stress,
# self-checking (each prints what it checked; exit status as declared in
# its " * exit:" line), and real ones: python3, sqlite3, gcc and git.
# --fast runs a subset with smaller counts, for `make test`; without it,
# everything at full size (`make stress`).
#
# One line per check, then exactly "stress: N passed, N failed"; exit 1
# on any failure. Outputs are kept when a check fails (or with KEEP=1).
set -u
fast=0
args=()
for a in "$@"; do
	if [ "$a" = --fast ]; then fast=1; else args+=("$a"); fi
done
. "$(dirname "$0")/../integration/lib.sh"
suite_init "BUILD_DIR [--fast]" "${args[@]}"
REPO=$PWD
S=$BUILD/stress
MIN_LIMIT=10
BARE_LIMIT=120
START_MS=100

if [ ! -x "$LEAKTOP" ] || [ ! -r "$PROBE" ]; then
	bad "$LEAKTOP and $PROBE exist (make all)"
	finish stress
	exit 1
fi

# size FAST FULL: the count for this mode.
size()
{
	if [ $fast = 1 ]; then echo "$1"; else echo "$2"; fi
}

# source_of NAME: the target's source, if NAME (up to a dot) is one.
source_of()
{
	local base=${1%%.*} f
	for f in "tests/stress/$base.c" "tests/stress/$base.cc"; do
		[ -f "$f" ] && echo "$f" && return
	done
}

# check_recording NAME MODE LKT BARE_RC SRC: the recording reads, ends as
# the bare run did, counted allocations, and holds SRC's figures.
check_recording()
{
	local name=$1 mode=$2 lkt=$3 rc=$4 src=$5 json=$TMP/$1.$2.json allocs
	if ! "$LEAKTOP" report "$lkt" --format json >"$json" 2>"$json.err"; then
		bad "$name ($mode): the recording reads ($(head -c 200 "$json.err"))"
		return
	fi
	check "$name ($mode): the recording ends with exit status $rc" \
		grep -q "\"state\": \"exited with status $rc\"" "$json"
	allocs=$(sed -n 's/.*"totals": {.*"alloc_calls": \([0-9]*\),.*/\1/p' "$json")
	check "$name ($mode): the probe counted allocations (${allocs:-none})" [ "${allocs:-0}" -gt 0 ]
	[ -n "$src" ] && check_figures "$name ($mode)" "$src" "$lkt"
}

# stress_case NAME WAYS CMD...: CMD bare, then under the probe in each of
# WAYS (comma-separated, see the top); the checks above. The bare run's
# expected status is the source's " * exit:" line, else 0. After each
# probed run, a function after_NAME (dots as underscores), if defined, is
# called with the way, the run's directory and the bare run's.
stress_case()
{
	local name=$1 ways=$2 src want bare_dir dir limit mode lkt hook starts=${STARTS:-0}
	shift 2
	src=$(source_of "$name")
	want=0
	[ -n "$src" ] && want=$(header "$src" exit)
	hook=after_${name//./_}

	bare_dir=$TMP/$name.bare
	mkdir -p "$bare_dir"
	pushd "$bare_dir" >/dev/null || return
	STRESS_NOTE=$TMP/$name.bare.note watch $BARE_LIMIT "$TMP/$name.bare.out" "$TMP/$name.bare.err" "$@"
	popd >/dev/null || return
	if [ $HUNG -eq 1 ]; then
		bad "$name: bare run hung (stopped after $BARE_LIMIT s)"
		return
	fi
	local bare_rc=$RC bare_ms=$MS
	check "$name: bare run exits $want (got $bare_rc, $bare_ms ms)" [ "$bare_rc" = "$want" ]
	for mode in ${ways//,/ }; do
		limit=$(((bare_ms * 10 + 999) / 1000))
		[ $limit -ge $MIN_LIMIT ] || limit=$MIN_LIMIT
		case $mode in
		*follow) limit=$((limit + (starts * START_MS + 999) / 1000)) ;;
		esac
		dir=$TMP/$name.$mode
		lkt=$TMP/$name.$mode.lkt
		mkdir -p "$dir"
		pushd "$dir" >/dev/null || return
		local out=$TMP/$name.$mode.out err=$TMP/$name.$mode.err note=$TMP/$name.$mode.note
		case $mode in
		preload) watch "$limit" "$out" "$err" env LD_PRELOAD="$PROBE" STRESS_NOTE="$note" "$@" ;;
		follow)
			watch "$limit" "$out" "$err" \
				env LD_PRELOAD="$PROBE" LEAKTOP_FOLLOW_EXEC=1 STRESS_NOTE="$note" "$@"
			;;
		record) watch "$limit" "$out" "$err" "$LEAKTOP" record -q -o "$lkt" -- "$@" ;;
		record_follow)
			watch "$limit" "$out" "$err" "$LEAKTOP" record -q --follow-exec -o "$lkt" -- "$@"
			;;
		*) bad "$name: no way \"$mode\"" && popd >/dev/null && continue ;;
		esac
		popd >/dev/null || return
		if [ $HUNG -eq 1 ]; then
			bad "$name ($mode): hung: stopped by the watchdog after $limit s (bare run: $bare_ms ms)"
			continue
		fi
		check "$name ($mode): exits $RC as bare ($bare_rc), in $MS ms (limit $limit s)" \
			[ "$RC" = "$bare_rc" ]
		check "$name ($mode): stdout as bare" cmp -s "$TMP/$name.bare.out" "$out"
		check "$name ($mode): stderr as bare" cmp -s "$TMP/$name.bare.err" "$err"
		case $mode in
		record*) check_recording "$name" "$mode" "$lkt" "$bare_rc" "$src" ;;
		esac
		if declare -F "$hook" >/dev/null; then
			"$hook" "$mode" "$dir" "$bare_dir"
		fi
	done
}

# --- the malloc API, part by part ---------------------------------------------

for part in thread_exit errno_free realloc memalign reallocarray usable_size calloc too_large; do
	stress_case "malloc_api.$part" preload,record "$S/malloc_api" "$part"
done
stress_case malloc_api.fork_deadlock preload,record "$S/malloc_api" fork_deadlock "$(size 6 50)"
stress_case malloc_api.fork_signal preload,record "$S/malloc_api" fork_signal "$(size 500 2000)"
# The hang fork_signal showed now and then: its sender, a child, signalled
# the parent while the parent's fork was still inside glibc's, and the
# handler's fork waited for the lock that fork held. This provokes it
# every time.
stress_case malloc_api.fork_in_fork preload,record "$S/malloc_api" fork_in_fork "$(size 300 2000)"

# --- fork, exec, spawn --------------------------------------------------------

stress_case fork_storm preload,record "$S/fork_storm" "$(size 40 200)"

# Each image's own segment: under `follow`, the note lists exactly one
# segment per generation, a different one each time (the old one's name
# is gone before the exec); without it, the probe leaves at the first exec.
after_exec_self()
{
	local note=$TMP/exec_self.$1.note names
	case $1 in
	follow)
		names=$(awk '{ print NF - 2 }' "$note" 2>/dev/null | tr '\n' ' ')
		check "exec_self (follow): each of 4 images saw one segment of its own (counts: $names)" \
			[ "$names" = "1 1 1 1 " ]
		check "exec_self (follow): ... a different one each time" \
			[ "$(awk '{ print $3 }' "$note" | sort -u | wc -l)" -eq 4 ]
		;;
	preload)
		names=$(awk '{ print NF - 2 }' "$note" 2>/dev/null | tr '\n' ' ')
		check "exec_self (preload): without follow, only the first image has the probe (counts: $names)" \
			[ "$names" = "1 0 0 0 " ]
		;;
	esac
}
stress_case exec_self preload,follow,record_follow "$S/exec_self"
n=$(size 30 200)
STARTS=$((3 * n)) stress_case spawn preload,follow,record "$S/spawn" "$n"

# --- signals ------------------------------------------------------------------

stress_case sigprof preload,record "$S/sigprof" "$(size 1000000 2000000)"
stress_case sigchld preload,record "$S/sigchld" "$(size 300 2000)"

# --- threads and the end of a process -----------------------------------------

stress_case threads_churn preload,record "$S/threads_churn" "$(size 2000 5000)"
stress_case exit_worker preload,record "$S/exit_worker" "$(size 50000 200000)"
stress_case small_stacks preload,record "$S/small_stacks" "$(size 2000 20000)"

# The late handler runs after the probe's finalizer: by then the probe has
# given its segment's name back (without a launcher).
after_exit_late()
{
	[ "$1" = preload ] || return
	check "exit_late (preload): the late handler ran after the probe's finalizer (segments seen: $(tr '\n' ' ' <"$TMP/exit_late.preload.note"))" \
		[ "$(tr '\n' ' ' <"$TMP/exit_late.preload.note")" = "main: 1 atexit handler: 1 late handler: 0 " ]
}
stress_case exit_late preload,record "$S/exit_late"

# --- code the unwinder finds hard ----------------------------------------------

stress_case dlopen_loop preload,record "$S/dlopen_loop" "$(size 300 3000)"
stress_case dl_iterate preload,record "$S/dl_iterate" "$(size 150 1000)"
stress_case nocfi preload,record "$S/nocfi" "$(size 5000 50000)"
stress_case longjmp preload,record "$S/longjmp" "$(size 1000 3000)"
stress_case exceptions preload,record "$S/exceptions" "$(size 1000 10000)"

# --- real programs ---------------------------------------------------------------

python=/usr/bin/python3
[ -x $python ] || python=$(command -v python3)
if [ -n "$python" ]; then
	stress_case python3 preload,record "$python" "$REPO/tests/stress/workload.py" "$(size 20000 200000)"
else
	bad "python3 is installed (make deps)"
fi

# A few thousand inserts, one statement each, then queries: aggregates, a
# join, an index, updates and deletes, and a thousand lookups by key.
sql=$TMP/work.sql
awk -v n="$(size 3000 20000)" 'BEGIN {
	print "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, grp INTEGER, val REAL);"
	print "CREATE TABLE g(grp INTEGER PRIMARY KEY, label TEXT);"
	print "BEGIN;"
	for (i = 1; i <= n; i++)
		printf "INSERT INTO t VALUES(%d, \047name-%d\047, %d, %d.25);\n", i, i * 7919 % 10007, i % 17, i % 1000
	for (k = 0; k < 17; k++)
		printf "INSERT INTO g VALUES(%d, \047group %d\047);\n", k, k
	print "COMMIT;"
	print "CREATE INDEX t_name ON t(name);"
	print "SELECT grp, count(*), sum(val) FROM t GROUP BY grp ORDER BY grp;"
	print "SELECT name FROM t WHERE name LIKE \047%77%\047 ORDER BY name LIMIT 10;"
	print "UPDATE t SET val = val * 2 WHERE grp = 3;"
	print "DELETE FROM t WHERE id % 10 = 0;"
	print "SELECT g.label, count(*), round(total(t.val), 2) FROM t JOIN g USING(grp) GROUP BY g.label ORDER BY 1;"
	for (i = 1; i <= 1000; i++)
		printf "SELECT id, name, val FROM t WHERE id = %d;\n", (i * 104729) % n + 1
	print "SELECT count(*), round(total(val), 2) FROM t;"
	print "VACUUM;"
	print "PRAGMA integrity_check;"
}' >"$sql"
if command -v sqlite3 >/dev/null; then
	stress_case sqlite3 preload,record "$(command -v sqlite3)" -bail test.db ".read $sql"
else
	bad "sqlite3 is installed (make deps)"
fi

# gcc and git run through a script: bash, then every program it starts,
# each with the probe (follow), or bash's own pid followed (record_follow).
# gcc's outputs must be the bare run's, byte for byte.
after_gcc()
{
	local f same=1
	for f in "$3"/*.o "$3"/demo; do
		cmp -s "$f" "$2/$(basename "$f")" || same=0
	done
	check "gcc ($1): every object and the program are the bare run's, byte for byte" [ $same = 1 ]
}
# The fast subset runs them under record only (LD_PRELOAD alone is the
# same probe, and make stress runs both).
if [ $fast = 1 ]; then follow_modes=record_follow; else follow_modes=follow,record_follow; fi
STARTS=40 stress_case gcc "$follow_modes" bash "$REPO/tests/stress/gcc_work.sh" "$REPO"
STARTS=150 stress_case git "$follow_modes" bash "$REPO/tests/stress/git_work.sh"

finish stress
