#!/usr/bin/env bash
# Viewer benchmark: what the live view costs on a program with many stacks.
# Usage: view.sh BUILD_DIR
#
# The target is stacks.c: 50,000 distinct allocation stacks, all live, a
# few of them churned every 100 ms and one leaking. It runs with the probe
# (LD_PRELOAD), and `leaktop attach` watches it inside tmux at 200x60 with
# the default 1 s refresh, once for each of these views:
#   top     the top table, grouped by function (the default)
#   growth  the growth ranking (g)
#   flame   the flame graph (f)
#   stack   the top table grouped by full stack (G): one row a stack
# For each it measures:
#   CPU     the leaktop process's utime + stime from /proc/PID/stat over
#           BENCH_VIEW_SECONDS of steady state, after BENCH_VIEW_WARMUP
#           seconds (the history of snapshots fills up meanwhile), as a
#           percentage of one core;
#   RSS     the leaktop process's VmRSS at the start and at the end of that
#           window (flat when the history it keeps is bounded);
#   first   time to the first frame: from just before leaktop is exec'd to
#           the moment the first frame showing a snapshot went to the
#           terminal (leaktop writes that moment where
#           LEAKTOP_BENCH_FIRST_FRAME says). Each view's run gives one, and
#           BENCH_VIEW_ATTACHES more attach-and-quit runs give the rest.
#
# Environment:
#   BENCH_VIEW_STACKS    distinct stacks (default 50000)
#   BENCH_VIEW_WARMUP    seconds before measuring (default 20)
#   BENCH_VIEW_SECONDS   seconds measured (default 20)
#   BENCH_VIEW_ATTACHES  extra first-frame runs (default 6)
#   BENCH_VIEW_VIEWS     which views (default "top growth flame stack")
#   BENCH_SUMMARY        a summary.json of run.sh to add the results to
#
# Where the time goes (perf, 50,000 stacks, 250 ms samples, 1 s refresh):
# each sample, the seqlock copy of 50,000 counters and the walk that keeps
# the non-empty ones (2 MB read, 2.4 MB written), plus a readdir of
# /dev/shm for an exec; each refresh, the rows' passes over the first and
# last snapshots of the window (what changed in between is kept as steps),
# and, grouped by stack, the 50,000 rows themselves; in the flame view the
# tree's sums (a pass over the stacks, one over its 130,000 boxes). The
# first frame is mostly learning 50,000 stacks (a stack copy each, 21
# symbol look-ups by address, the top frame's file:line; the other frames'
# lines are looked up after the frame is drawn) and the first rebuild.
#
# Prints a table and writes BUILD/bench/view.json. Not part of `make test`:
# its numbers are for people (README's Performance section), not assertions.
set -uo pipefail

build=${1:?usage: view.sh BUILD_DIR}
nstacks=${BENCH_VIEW_STACKS:-50000}
warmup=${BENCH_VIEW_WARMUP:-20}
seconds=${BENCH_VIEW_SECONDS:-20}
attaches=${BENCH_VIEW_ATTACHES:-6}
cc=${CC:-cc}
out=$build/bench
mkdir -p "$out"
build=$(cd "$build" && pwd)
out=$(cd "$out" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
export TERM=xterm-256color LANG=C.UTF-8 LC_ALL=C.UTF-8

for f in "$build/leaktop" "$build/libleaktop.so"; do
	[ -e "$f" ] || { echo "view.sh: $f is missing (make)" >&2; exit 1; }
done
command -v tmux >/dev/null || { echo "view.sh: tmux is not installed (make deps)" >&2; exit 1; }
# -O0, as the test targets: every level of the chain keeps its own frame.
$cc -std=gnu11 -O0 -g -Wall -Wextra -o "$out/stacks" "$here/stacks.c" || exit 1

tmp=$(mktemp -d /tmp/leaktop-view.XXXXXX)
T="tmux -S $tmp/tmux.sock"
target=
cleanup()
{
	$T kill-server 2>/dev/null
	[ -n "$target" ] && kill "$target" 2>/dev/null && wait "$target" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
hz=$(getconf CLK_TCK)

# start_target: the stacks program with the probe, every block allocated
# and published.
start_target()
{
	LD_PRELOAD=$build/libleaktop.so "$out/stacks" "$nstacks" 3600 >"$tmp/stacks.log" 2>&1 &
	target=$!
	for _ in $(seq 100); do
		if grep -q '^stacks: ready' "$tmp/stacks.log"; then
			# The probe publishes once a second: let a snapshot with
			# every block appear before anyone attaches.
			sleep 2
			return 0
		fi
		sleep 0.1
	done
	echo "view.sh: the target never got ready:" >&2
	cat "$tmp/stacks.log" >&2
	exit 1
}

stop_target()
{
	kill "$target" 2>/dev/null
	wait "$target" 2>/dev/null
	target=
}

# attach: leaktop attach on the target in a fresh 200x60 tmux session,
# waits for its first frame; sets pid (leaktop's) and first_ms.
attach()
{
	rm -f "$tmp/t0" "$tmp/first"
	$T new-session -d -s view -x 200 -y 60 "bash -c 'echo \$EPOCHREALTIME >$tmp/t0; \
		LEAKTOP_BENCH_FIRST_FRAME=$tmp/first exec $build/leaktop attach $target'"
	for _ in $(seq 200); do
		[ -s "$tmp/first" ] && break
		sleep 0.05
	done
	if [ ! -s "$tmp/first" ]; then
		echo "view.sh: no first frame in 10 s; the screen:" >&2
		$T capture-pane -p -t view >&2
		exit 1
	fi
	pid=$($T display-message -p -t view '#{pane_pid}')
	first_ms=$(awk -v t0="$(cat "$tmp/t0")" -v t1="$(cat "$tmp/first")" \
		'BEGIN { printf "%.1f", (t1 - t0 * 1e6) / 1000 }')
}

# quit: q (attach leaves the target running), then the session goes.
quit()
{
	$T send-keys -t view q
	for _ in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	$T kill-server 2>/dev/null
}

cpu_ticks()
{
	# utime and stime are fields 14 and 15; the name (field 2) has no
	# spaces here, but cut after its closing parenthesis all the same.
	sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

rss_kb()
{
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

read -ra views <<<"${BENCH_VIEW_VIEWS:-top growth flame stack}"
keys_top=()
keys_growth=(g)
keys_flame=(f)
keys_stack=(G)
check_top='SITE'
check_growth='VERDICT +LIVE'
check_flame='flame of live bytes'
check_stack='group stack'

echo "== viewer benchmark: leaktop attach at 200x60, refresh 1 s, $nstacks stacks"
echo "   warm-up ${warmup}s, measured ${seconds}s; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '  %-8s %8s %12s %12s %12s\n' view "cpu %" "first (ms)" "RSS start" "RSS end"
firsts=()
json_views=
for v in "${views[@]}"; do
	start_target
	attach
	firsts+=("$first_ms")
	declare -n keys=keys_$v check=check_$v
	for k in "${keys[@]}"; do
		$T send-keys -t view "$k"
	done
	sleep "$warmup"
	if ! $T capture-pane -p -t view | grep -Eq -- "$check"; then
		echo "view.sh: the $v view is not showing ('$check'); the screen:" >&2
		$T capture-pane -p -t view >&2
		exit 1
	fi
	unset -n keys check
	c0=$(cpu_ticks "$pid") r0=$(rss_kb "$pid")
	sleep "$seconds"
	c1=$(cpu_ticks "$pid") r1=$(rss_kb "$pid")
	cpu=$(awk -v d=$((c1 - c0)) -v hz="$hz" -v s="$seconds" 'BEGIN { printf "%.2f", 100 * d / hz / s }')
	printf '  %-8s %8s %12s %10d M %10d M\n' "$v" "$cpu" "$first_ms" $((r0 / 1024)) $((r1 / 1024))
	json_views+="${json_views:+, }\"$v\": {\"cpu_percent\": $cpu, \"first_frame_ms\": $first_ms, \"rss_kb_start\": $r0, \"rss_kb_end\": $r1}"
	quit
	stop_target
done

start_target
for ((i = 0; i < attaches; i++)); do
	attach
	firsts+=("$first_ms")
	quit
done
stop_target

read -r median max < <(printf '%s\n' "${firsts[@]}" | sort -n |
	awk '{ v[NR] = $1 } END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
	       printf "%.1f %.1f\n", m, v[NR] }')
echo "   first frame over ${#firsts[@]} attaches: median $median ms, max $max ms"
echo "   load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"

cat >"$out/view.json" <<EOF
{"command": "leaktop attach, 200x60, refresh 1 s", "stacks": $nstacks, "warmup_s": $warmup, "measured_s": $seconds,
 "views": {$json_views},
 "first_frame_ms": {"runs": ${#firsts[@]}, "median": $median, "max": $max}}
EOF
echo "   results: $out/view.json"
# make bench: the results join run.sh's summary as "viewer" (its last line
# is the closing brace of the whole object).
if [ -n "${BENCH_SUMMARY:-}" ] && [ -s "$BENCH_SUMMARY" ]; then
	{ sed '$d' "$BENCH_SUMMARY" | sed '$s/$/,/'; printf '  "viewer": '; cat "$out/view.json"; echo '}'; } \
		>"$tmp/summary.json" && mv "$tmp/summary.json" "$BENCH_SUMMARY"
fi
