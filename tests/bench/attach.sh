#!/usr/bin/env bash
# How long `leaktop attach` holds a program stopped. The server target (4
# workers and a leak, started without the probe) is attached to and
# detached from ATTACHES times (default 20); each attach and each detach
# says how long its threads were stopped, from the first PTRACE_INTERRUPT
# to the last PTRACE_DETACH, retries for a busy thread included. Prints the
# median and the longest, and writes BUILD/bench/attach.json.
# Usage: attach.sh BUILD_DIR
set -uo pipefail
build=$(cd "${1:?usage: attach.sh BUILD_DIR}" && pwd)
n=${ATTACHES:-20}
out=$build/bench
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mkfifo "$tmp/ctl"
"$build/targets/server" 0 <"$tmp/ctl" >/dev/null 2>&1 &
pid=$!
exec 3>"$tmp/ctl"
# Until the forked shell has become the server (exec takes a while on a busy machine).
for _ in $(seq 200); do
	[ "$(readlink "/proc/$pid/exe")" = "$build/targets/server" ] && break
	sleep 0.05
done
sleep 0.3
: >"$tmp/stops"
for _ in $(seq "$n"); do
	LEAKTOP_INTERVAL=100 timeout -s INT 0.3 "$build/leaktop" record -p "$pid" -o "$tmp/a.lkt" \
		>/dev/null 2>"$tmp/a.err"
	sed -n 's/.*threads stopped \([0-9.]*\) ms$/attach \1/p' "$tmp/a.err" >>"$tmp/stops"
	rm -f "$tmp/a.lkt"
	"$build/leaktop" detach "$pid" 2>&1 | sed -n 's/.*(threads stopped \([0-9.]*\) ms)$/detach \1/p' \
		>>"$tmp/stops"
done
exec 3>&-
wait "$pid"
echo
echo "attach: how long the target is held stopped (server, 4 workers, $n attaches and detaches)"
awk -v json="$out/attach.json" '
	{ v[$1] = v[$1] " " $2; c[$1]++ }
	END {
		printf "{\n" > json
		sep = ""
		for (k in c) {
			m = split(substr(v[k], 2), a, " ")
			for (i = 1; i <= m; i++)
				for (j = i + 1; j <= m; j++)
					if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
			med = a[int((m + 1) / 2)]; max = a[m]
			printf "  %-7s %3d stops, median %6.1f ms, longest %6.1f ms\n", k, m, med, max
			printf "%s  \"%s\": {\"stops\": %d, \"median_ms\": %s, \"longest_ms\": %s}", sep, k, m, med, max > json
			sep = ",\n"
		}
		printf "\n}\n" > json
	}' "$tmp/stops"
