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
# One line per check, then exactly "integration: N passed, N failed" (CI
# reads that form); exit 1 on any failure. Set KEEP=1 to keep recordings.
set -u

if [ $# -ne 1 ]; then
	echo "usage: $0 BUILD_DIR" >&2
	exit 2
fi
BUILD=$(cd "$1" 2>/dev/null && pwd) || { echo "run.sh: no build directory $1" >&2; exit 2; }
cd "$(dirname "$0")/../.." || exit 2
LEAKTOP=$BUILD/leaktop
TMP=$(mktemp -d "${TMPDIR:-/tmp}/leaktop-it.XXXXXX")
pass=0
fail=0

cleanup()
{
	if [ "${KEEP:-0}" = 1 ] || [ $fail -ne 0 ]; then
		echo "recordings and outputs kept in $TMP"
	else
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT

ok()
{
	pass=$((pass + 1))
	echo "PASS $*"
}

bad()
{
	fail=$((fail + 1))
	echo "FAIL $*"
}

# check DESCRIPTION COMMAND...: one check, passing when COMMAND succeeds.
check()
{
	local what=$1
	shift
	if "$@"; then ok "$what"; else bad "$what"; fi
}

# watch LIMIT_S OUT ERR CMD...: runs CMD with stdin from /dev/null under a
# watchdog of LIMIT_S seconds; sets RC (its status), MS (wall time) and
# HUNG (1 when the watchdog had to stop it). timeout(1) signals the whole
# process group, so a hung target under the launcher goes too.
watch()
{
	local limit=$1 out=$2 err=$3 t0
	shift 3
	t0=$(date +%s%N)
	timeout -k 2 "$limit" "$@" </dev/null >"$out" 2>"$err"
	RC=$?
	MS=$((($(date +%s%N) - t0) / 1000000))
	HUNG=0
	if { [ $RC -eq 124 ] || [ $RC -eq 137 ]; } && [ $MS -ge $((limit * 1000)) ]; then
		HUNG=1
	fi
}

# header FILE KEY: the values of the " * KEY: " lines of FILE's header.
header()
{
	sed -n "s/^ \* $2: //p" "$1"
}

# sum_frames FOLDED FUNC: sums the values of the folded lines that have
# FUNC as a frame. A folded line is "f1;f2;...;fn VALUE"; frames may hold
# blanks (C++), so the value is what follows the last blank.
sum_frames()
{
	awk -v fn="$2" '
	{
		v = $NF
		stack = substr($0, 1, length($0) - length(v) - 1)
		n = split(stack, fr, ";")
		for (i = 1; i <= n; i++)
			if (fr[i] == fn || index(fr[i], fn "(") == 1) {
				sum += v
				break
			}
	}
	END { printf "%d\n", sum }' "$1"
}

# stderr_lines FILE: how many lines FILE has (a last line without a
# newline counts too).
stderr_lines()
{
	awk 'END { print NR }' "$1"
}

have_leaktop=1
if [ ! -x "$LEAKTOP" ]; then
	bad "$LEAKTOP exists (make all): only the bare runs are checked"
	have_leaktop=0
fi

# --- the targets -------------------------------------------------------------

# check_figures NAME SOURCE RECORDING: the "expect:" lines of SOURCE against
# the final snapshot of RECORDING.
check_figures()
{
	local name=$1 src=$2 lkt=$3 line fn spec metric op want got folded
	local -A reported=()
	while read -r line; do
		fn=${line%% *}
		for spec in ${line#* }; do
			if [[ $spec =~ ^([a-z_]+)(=|\>=)([0-9]+)$ ]]; then
				metric=${BASH_REMATCH[1]} op=${BASH_REMATCH[2]} want=${BASH_REMATCH[3]}
			else
				bad "$name: cannot read the expectation \"$spec\" in $src"
				continue
			fi
			folded=$TMP/$name.$metric.folded
			if [ -z "${reported[$metric]:-}" ]; then
				"$LEAKTOP" report "$lkt" --format folded --metric "$metric" >"$folded" 2>"$folded.err"
				reported[$metric]=$?
				if [ "${reported[$metric]}" -ne 0 ]; then
					bad "$name: report --metric $metric exits ${reported[$metric]}: $(head -n 1 "$folded.err")"
				fi
			fi
			[ "${reported[$metric]}" -eq 0 ] || continue
			got=$(sum_frames "$folded" "$fn")
			if [ "$op" = "=" ]; then
				check "$name: $fn $metric = $want (got $got)" [ "$got" -eq "$want" ]
			else
				check "$name: $fn $metric >= $want (got $got)" [ "$got" -ge "$want" ]
			fi
		done
	done < <(header "$src" expect)
}

for src in tests/targets/*.c tests/targets/*.cc; do
	name=$(basename "${src%.*}")
	bin=$BUILD/targets/$name
	if [ ! -x "$bin" ]; then
		bad "$name: $bin exists (make targets)"
		continue
	fi
	read -r -a args <<<"$(header "$src" args)"
	want_exit=$(header "$src" exit)
	if [ -z "$want_exit" ]; then
		bad "$name: $src declares its exit status (\" * exit: N\")"
		continue
	fi

	watch 30 "$TMP/$name.bare.out" "$TMP/$name.bare.err" "$bin" "${args[@]}"
	if [ $HUNG -eq 1 ]; then
		bad "$name: bare run hung (stopped after 30 s)"
		continue
	fi
	if [ $RC -eq 77 ]; then
		echo "SKIP $name: $(tail -n 1 "$TMP/$name.bare.out")"
		continue
	fi
	bare_rc=$RC
	bare_ms=$MS
	check "$name: bare run exits $want_exit (got $bare_rc, $bare_ms ms)" [ "$bare_rc" = "$want_exit" ]
	[ $have_leaktop -eq 1 ] || continue

	limit=$(((bare_ms * 10 + 999) / 1000))
	[ $limit -ge 10 ] || limit=10
	lkt=$TMP/$name.lkt
	watch $limit "$TMP/$name.rec.out" "$TMP/$name.rec.err" \
		"$LEAKTOP" record -o "$lkt" -- "$bin" "${args[@]}"
	if [ $HUNG -eq 1 ]; then
		bad "$name: leaktop record hung: stopped by the watchdog after $limit s (bare run: $bare_ms ms)"
		continue
	fi
	ok "$name: recorded run finished in $MS ms (limit $limit s)"
	check "$name: exit status passes through ($bare_rc, got $RC)" [ "$RC" = "$bare_rc" ]
	check "$name: stdout passes through" cmp -s "$TMP/$name.bare.out" "$TMP/$name.rec.out"
	if ! cmp -s "$TMP/$name.bare.err" "$TMP/$name.rec.err"; then
		echo "note $name: stderr differs under leaktop: $(head -n 1 "$TMP/$name.rec.err")"
	fi
	check_figures "$name" "$src" "$lkt"
done

# --- options and bad input ---------------------------------------------------

if [ $have_leaktop -eq 1 ]; then
	# --depth 1 keeps only the leaf: the function that called malloc.
	watch 10 "$TMP/depth.out" "$TMP/depth.err" \
		"$LEAKTOP" record -o "$TMP/depth.lkt" --depth 1 -- "$BUILD/targets/malloc"
	"$LEAKTOP" report "$TMP/depth.lkt" --format folded --metric live_bytes >"$TMP/depth.folded" 2>&1
	check "--depth 1: every stack has one frame" \
		awk '{ v = $NF; s = substr($0, 1, length($0) - length(v) - 1); if (index(s, ";")) exit 1 }' \
		"$TMP/depth.folded"
	got=$(sum_frames "$TMP/depth.folded" leak_malloc_64x100)
	check "--depth 1: leak_malloc_64x100 live_bytes = 6400 (got $got)" [ "$got" -eq 6400 ]

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
fi

echo "integration: $pass passed, $fail failed"
[ $fail -eq 0 ]
