# lib.sh - what run.sh and sanitized.sh share: counting checks, running a
# program under a watchdog, reading a target's expectations, and summing
# folded stacks per function. A suite sources it, then calls suite_init.

pass=0
fail=0
skipped=0

# suite_init ARGNAME "$@": takes the one argument, a build directory, and
# sets BUILD (absolute), LEAKTOP, PROBE and TMP (a new scratch directory);
# then works from the repository root, where the targets' sources are.
suite_init()
{
	local argname=$1
	shift
	if [ $# -ne 1 ]; then
		echo "usage: $0 $argname" >&2
		exit 2
	fi
	BUILD=$(cd "$1" 2>/dev/null && pwd) || { echo "$0: no build directory $1" >&2; exit 2; }
	LEAKTOP=$BUILD/leaktop
	PROBE=$BUILD/libleaktop.so
	TMP=$(mktemp -d "${TMPDIR:-/tmp}/leaktop-$(basename "$0" .sh).XXXXXX")
	touch "$TMP/.start"
	cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 2
}

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

# skip WHAT: a check that could not run here (a tool is missing); counted
# apart, never as a pass.
skip()
{
	skipped=$((skipped + 1))
	echo "SKIP $*"
}

# started PID PROGRAM: waits (up to 10 s) until the background child PID
# runs PROGRAM rather than the copy of this shell it was forked as (or a
# wrapper script on the way): an attach that comes first finds bash, and on
# a busy machine the exec can take longer than the sleep that follows it.
started()
{
	local want i
	want=$(readlink -f "$2")
	for i in $(seq 1 200); do
		[ "$(readlink "/proc/$1/exe" 2>/dev/null)" = "$want" ] && return 0
		sleep 0.05
	done
	echo "started: process $1 is not $want after 10 s" >&2
	return 1
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

# run_target SOURCE: the checks for one target, built in $BUILD/targets:
# the bare run, then (when $have_leaktop is 1) the recorded run, its
# pass-through and its figures. Returns 0 when the recorded run finished,
# with its stderr in the file REC_ERR, so a caller can check more.
run_target()
{
	local src=$1 name bin args want_exit bare_rc bare_ms limit lkt
	name=$(basename "${src%.*}")
	bin=$BUILD/targets/$name
	if [ ! -x "$bin" ]; then
		bad "$name: $bin exists (make targets)"
		return 1
	fi
	read -r -a args <<<"$(header "$src" args)"
	want_exit=$(header "$src" exit)
	if [ -z "$want_exit" ]; then
		bad "$name: $src declares its exit status (\" * exit: N\")"
		return 1
	fi

	watch 30 "$TMP/$name.bare.out" "$TMP/$name.bare.err" "$bin" "${args[@]}"
	if [ $HUNG -eq 1 ]; then
		bad "$name: bare run hung (stopped after 30 s)"
		return 1
	fi
	if [ $RC -eq 77 ]; then
		skip "$name: $(tail -n 1 "$TMP/$name.bare.out")"
		return 1
	fi
	bare_rc=$RC
	bare_ms=$MS
	check "$name: bare run exits $want_exit (got $bare_rc, $bare_ms ms)" [ "$bare_rc" = "$want_exit" ]
	[ "$have_leaktop" -eq 1 ] || return 1

	limit=$(((bare_ms * 10 + 999) / 1000))
	[ $limit -ge 10 ] || limit=10
	lkt=$TMP/$name.lkt
	watch $limit "$TMP/$name.rec.out" "$TMP/$name.rec.err" \
		"$LEAKTOP" record -o "$lkt" -- "$bin" "${args[@]}"
	if [ $HUNG -eq 1 ]; then
		bad "$name: leaktop record hung: stopped by the watchdog after $limit s (bare run: $bare_ms ms)"
		return 1
	fi
	ok "$name: recorded run finished in $MS ms (limit $limit s)"
	check "$name: exit status passes through ($bare_rc, got $RC)" [ "$RC" = "$bare_rc" ]
	check "$name: stdout passes through" cmp -s "$TMP/$name.bare.out" "$TMP/$name.rec.out"
	# leaktop's own messages start "leaktop: "; the rest is the target's.
	grep -v '^leaktop: ' "$TMP/$name.rec.err" >"$TMP/$name.rec.err.target"
	check "$name: stderr passes through" cmp -s "$TMP/$name.bare.err" "$TMP/$name.rec.err.target"
	check_figures "$name" "$src" "$lkt"
	REC_ERR=$TMP/$name.rec.err
}

# The segments this suite's killed programs left in /dev/shm (a probe
# killed with SIGKILL cannot remove its own): each reserves its whole size
# in RAM, and a few hundred runs would fill the machine. Only segments made
# since the suite started, of processes that are gone, and that no process
# has mapped: a suite running beside this one may have a launcher about to
# read the last state of a program that has just ended.
remove_left_segments()
{
	local f pid
	for f in $(find /dev/shm -maxdepth 1 -name 'leaktop.*' -newer "$TMP/.start" 2>/dev/null); do
		pid=${f#/dev/shm/leaktop.}
		pid=${pid%%.*}
		kill -0 "$pid" 2>/dev/null && continue
		grep -qsF "$f" /proc/[0-9]*/maps && continue
		rm -f "$f"
	done
}

# finish SUITE: keeps TMP when something failed (or KEEP=1), prints the
# summary line CI reads, last: "SUITE: N passed, N failed, N skipped", and
# fails when a check did.
finish()
{
	remove_left_segments
	if [ "${KEEP:-0}" = 1 ] || [ $fail -ne 0 ]; then
		echo "recordings and outputs kept in $TMP"
	else
		rm -rf "$TMP"
	fi
	echo "$1: $pass passed, $fail failed, $skipped skipped"
	[ $fail -eq 0 ]
}
