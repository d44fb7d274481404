#!/usr/bin/env bash
# Overhead benchmark: workloads bare, under leaktop (every allocation, and
# sampled), under heaptrack, and once under valgrind's massif. The churn
# workload for one thread and for several, a C++ one (containers and
# strings), and three real programs: python3, sqlite3 and gcc's compiler.
# Usage: run.sh BUILD_DIR
#
# Runs are interleaved (bare, leaktop, heaptrack, bare, leaktop, ...) so that
# a slow drift of the machine (thermal, another job) hits every tool alike.
# Every run goes through BUILD/bench/measure, a subreaper that reaps the whole
# process tree of the tool, so CPU time is user+sys of every process the tool
# started (heaptrack's zstd, leaktop's recorder), not only the target's.
# Peak RSS is the target's own (churn reports its ru_maxrss), so it shows what
# the tracker costs inside the traced process.
#
# Environment:
#   BENCH_ROUNDS   rounds per tool and workload (default 5)
#   BENCH_OPS      millions of malloc/free pairs, single-threaded (default 6,
#                  about 1 s bare)
#   BENCH_THREADS  threads of the multi-threaded workload (default 8)
#   BENCH_SAMPLE   the mean gap of the sampled leaktop runs (default 512K)
#   BENCH_OPS_MT   millions of pairs per thread there (default 1)
#   BENCH_WORKLOADS  a subset, e.g. "single sqlite" (default: all)
#   MASSIF_LIMIT   seconds massif may take on one workload (default 120)
#   CC             compiler for the workload (default cc)
#
# Prints a table and writes BUILD/bench/summary.json. Not part of `make test`:
# it takes a few minutes and its numbers are for people, not assertions.
set -uo pipefail

build=${1:?usage: run.sh BUILD_DIR}
rounds=${BENCH_ROUNDS:-5}
ops=${BENCH_OPS:-6}
threads=${BENCH_THREADS:-8}
ops_mt=${BENCH_OPS_MT:-1}
sample=${BENCH_SAMPLE:-512K}
cc=${CC:-cc}
out=$build/bench
mkdir -p "$out"
build=$(cd "$build" && pwd)
out=$(cd "$out" && pwd)

# --- build ---------------------------------------------------------------

here=$(cd "$(dirname "$0")" && pwd)
$cc -std=gnu11 -O2 -fomit-frame-pointer -g -Wall -Wextra -o "$out/churn" "$here/churn.c" -lpthread ||
	exit 1
$cc -std=gnu11 -O2 -Wall -Wextra -o "$out/measure" "$here/measure.c" || exit 1
${CXX:-c++} -std=gnu++17 -O2 -g -Wall -Wextra -o "$out/cxx" "$here/cxx.cc" || exit 1

# The real programs' inputs, each about 3.5 s of work bare, so that the
# tools' fixed costs (start-up, symbols) weigh as they would in a longer
# run: a generated C file of 400 functions for gcc's compiler proper (cc1,
# one process, so every tool sees the whole compile), and an SQL script of
# inserts, an index, queries and updates for sqlite3.
repo=$(cd "$here/../.." && pwd)
cc1=$(gcc -print-prog-name=cc1 2>/dev/null)
[ -x "$cc1" ] || cc1=
awk -v n=400 'BEGIN {
	f = "struct s%d { int a, b; char name[%d]; };\n"
	f = f "int f%d(int *a, int n, struct s%d *p)\n{\n\tint s = %d;\n"
	f = f "\tfor (int i = 0; i < n; i++)\n"
	f = f "\t\tif (a[i] %% %d == 0) s += a[i] * %d; else s ^= a[i] >> %d;\n"
	f = f "\tswitch (s & 7) {\n\tcase 0: s += p->a; break;\n\tcase 1: s -= p->b; break;\n"
	f = f "\tcase 2: s *= 3; break;\n\tdefault: s = s / 2 + p->name[%d];\n\t}\n"
	f = f "\treturn s + (n > 1 ? f%d(a, n - 1, (void *)p) : 0);\n}\n"
	for (i = 0; i < n; i++)
		printf f, i, i % 30 + 2, i, i, i, i % 7 + 2, i, i % 5, i % 2, (i > 0 ? i - 1 : 0)
}' >"$out/big.c"
cat >"$out/work.sql" <<'SQL'
CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, v REAL);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 800000)
INSERT INTO t SELECT x, printf('name%d', x * 7919 % 100003), x * 0.5 FROM c;
CREATE INDEX i ON t(name);
SELECT count(*), sum(v) FROM t WHERE name LIKE 'name1%';
SELECT substr(name, 1, 6), count(*) FROM t GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 5;
UPDATE t SET name = name || '-x' WHERE id % 3 = 0;
SELECT count(DISTINCT name) FROM t;
SQL

# --- tools ---------------------------------------------------------------

tools=(bare)
notes=()
heaptrack_flags=()
heaptrack_mode=
if [ -x "$build/leaktop" ]; then
	tools+=(leaktop sampled)
	leaktop_mode="leaktop record -o FILE.lkt --; sampled: the same with --sample $sample"
elif [ -f "$build/libleaktop.so" ]; then
	tools+=(leaktop)
	leaktop_mode="LD_PRELOAD=libleaktop.so (no $build/leaktop yet: probe alone, no recording)"
else
	leaktop_mode=
	notes+=("leaktop: neither $build/leaktop nor $build/libleaktop.so exists; skipped")
fi
if command -v heaptrack >/dev/null; then
	tools+=(heaptrack)
	if heaptrack --help 2>&1 | grep -q -- '--raw'; then
		heaptrack_flags=(-r)
		heaptrack_mode="heaptrack -r (raw record, compressed, not interpreted)"
	else
		heaptrack_flags=()
		heaptrack_mode="heaptrack (no -r in this version: records and interprets)"
	fi
else
	notes+=("heaptrack: not installed; skipped (make bench installs it)")
fi
# valgrind's massif, once per workload (it is 20 to 50 times slower), and
# only where it finishes within MASSIF_LIMIT seconds.
massif_limit=${MASSIF_LIMIT:-120}
if command -v valgrind >/dev/null; then
	tools+=(massif)
else
	notes+=("valgrind: not installed; massif skipped")
fi

tmp=$(mktemp -d /tmp/leaktop-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
runs=$out/runs.tsv
printf 'workload\ttool\tround\twall\tuser\tsys\ttree_maxrss_kb\ttarget_maxrss_kb\trecording_bytes\tstatus\tchecksum\n' >"$runs"

# run WORKLOAD TOOL ROUND: one measured run of the command in the array
# cmd_WORKLOAD, one line of $runs.
run() {
	local workload=$1 tool=$2 round=$3
	local -n wl=cmd_$workload
	local cmd=() rec=
	rm -rf "$tmp/rec" && mkdir "$tmp/rec"
	case $tool in
	bare) cmd=("${wl[@]}") ;;
	leaktop)
		if [ -x "$build/leaktop" ]; then
			rec=$tmp/rec/x.lkt
			cmd=("$build/leaktop" record -q -o "$rec" -- "${wl[@]}")
		else
			cmd=(env LD_PRELOAD="$build/libleaktop.so" "${wl[@]}")
		fi
		;;
	sampled)
		rec=$tmp/rec/x.lkt
		cmd=("$build/leaktop" record -q --sample "$sample" -o "$rec" -- "${wl[@]}")
		;;
	heaptrack) cmd=(heaptrack "${heaptrack_flags[@]}" -o "$tmp/rec/x" "${wl[@]}") ;;
	massif)
		[ "$round" -le 1 ] || return 0
		cmd=(timeout "$massif_limit" valgrind -q --tool=massif
			--massif-out-file="$tmp/rec/x.massif" "${wl[@]}")
		;;
	esac
	"$out/measure" "$tmp/m" "${cmd[@]}" <"${stdin[$workload]:-/dev/null}" >"$tmp/log" 2>"$tmp/err"
	local m line size=- sum maxrss
	m=$(cat "$tmp/m" 2>/dev/null || echo "0 0 0 0 255")
	read -r wall user sys tree status <<<"$m"
	if [[ $workload == single || $workload == multi ]]; then
		# churn prints its checksum and its own peak RSS.
		line=$(grep '^churn:' "$tmp/log" | tail -n 1)
		sum=$(sed -n 's/.*checksum \([0-9a-f]*\).*/\1/p' <<<"$line")
		maxrss=$(sed -n 's/.*maxrss_kb \([0-9]*\).*/\1/p' <<<"$line")
	else
		# The program's output without heaptrack's own lines; the peak
		# RSS of the largest process of the tree.
		sum=$(grep -v -e '^heaptrack output will be written' -e 'libheaptrack_preload.so$' \
			-e '^starting application' -e '^Heaptrack finished' -e 'heaptrack_interpret' \
			-e '^$' "$tmp/log" | md5sum | cut -c1-16)
		maxrss=$tree
	fi
	[ -n "$rec" ] || rec=$(ls "$tmp"/rec/x.* 2>/dev/null | head -n 1)
	[ -n "$rec" ] && [ -f "$rec" ] && size=$(stat -c %s "$rec")
	if [ "$tool" = massif ] && [ "$status" = 124 ]; then
		: # did not finish in time: the table says so
	elif [ "$status" != 0 ] || [ -z "$sum" ]; then
		echo "  $tool ($workload, round $round) failed with status $status:" >&2
		tail -n 5 "$tmp/log" "$tmp/err" | sed 's/^/    /' >&2
	fi
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$workload" "$tool" "$round" "$wall" \
		"$user" "$sys" "$tree" "${maxrss:--}" "$size" "$status" "${sum:--}" >>"$runs"
}

declare -A stdin=([sqlite]=$out/work.sql)
cmd_single=("$out/churn" "$ops")
cmd_multi=("$out/churn" -t "$threads" "$ops_mt")
# Debian's python3 itself: a python3 first in PATH may be a wrapper script
# (pyenv's shim runs bash twice before python), which the tools would time too.
python=/usr/bin/python3
[ -x $python ] || python=$(command -v python3 || echo python3)
cmd_python=("$python" "$repo/tests/stress/workload.py" 100000)
cmd_sqlite=(sqlite3 :memory:)
cmd_gcc=("$cc1" -quiet -O2 "$out/big.c" -o -)
cmd_cxx=("$out/cxx" 100)
cmd_warmup=("$out/churn" 0.05)
workloads=(single multi cxx)
command -v "$python" >/dev/null && workloads+=(python) || notes+=("python3: not installed; skipped")
command -v sqlite3 >/dev/null && workloads+=(sqlite) || notes+=("sqlite3: not installed; skipped")
[ -n "$cc1" ] && workloads+=(gcc) || notes+=("gcc's cc1: not found; skipped")
[ -n "${BENCH_WORKLOADS:-}" ] && read -r -a workloads <<<"$BENCH_WORKLOADS"

echo "== leaktop overhead benchmark: ${tools[*]}, $rounds rounds, interleaved"
[ -n "$leaktop_mode" ] && echo "   leaktop:   $leaktop_mode"
[ -n "$heaptrack_mode" ] && echo "   heaptrack: $heaptrack_mode"
for n in "${notes[@]}"; do echo "   $n"; done
# Other jobs on the machine skew every tool alike (runs are interleaved) but
# widen the spread: the load average says whether to trust a close call.
echo "   load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "   single: churn $ops (M pairs);  multi: churn -t $threads $ops_mt (M pairs per thread)"
echo "   cxx: C++ containers and strings, 100 rounds (tests/bench/cxx.cc)"
echo "   massif: valgrind --tool=massif, once per workload, up to $massif_limit s"
echo "   python: workload.py 100000;  sqlite: 800,000 rows in :memory:;  gcc: cc1 -O2 on 400 generated functions"

# Warm-up: page cache, heaptrack's script and libraries; not recorded.
for tool in "${tools[@]}"; do
	run warmup "$tool" 0
done
sed -i '/^warmup\t/d' "$runs"

for ((r = 1; r <= rounds; r++)); do
	printf '   round %d/%d\n' "$r" "$rounds"
	for w in "${workloads[@]}"; do
		for tool in "${tools[@]}"; do
			run "$w" "$tool" "$r"
		done
	done
done

# --- summary -------------------------------------------------------------

# Medians per (workload, tool); ratios against bare's medians. A run whose
# checksum differs from bare's means the tool changed what the program did.
awk -F'\t' -v json="$out/summary.json" -v mlimit="$massif_limit" -v rounds="$rounds" -v ops="$ops" -v threads="$threads" \
	-v ops_mt="$ops_mt" -v lmode="$leaktop_mode" -v hmode="$heaptrack_mode" '
function median(list,    a, n, i, j, t) {
	n = split(list, a, " ")
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
	if (n == 0) return 0
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function human(b) {
	if (b == "-" || b == "") return "-"
	if (b >= 1048576) return sprintf("%.1f MiB", b / 1048576)
	if (b >= 1024) return sprintf("%.1f KiB", b / 1024)
	return b " B"
}
function jstr(s) { gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); return "\"" s "\"" }
NR == 1 { next }
{
	k = $1 SUBSEP $2
	if (!(k in seen)) { seen[k] = 1; order[++nk] = k }
	if ($10 == 124 && $2 == "massif") { timedout[k] = 1; next }
	if ($10 != 0) { failed[k]++; next }
	wall[k] = wall[k] " " $4
	cpu[k] = cpu[k] " " ($5 + $6)
	rss[k] = rss[k] " " $8
	if ($9 != "-") size[k] = size[k] " " $9
	if ($2 == "bare") ref[$1] = $11
	else if ($11 != ref[$1]) badsum[k]++
	n[k]++
}
END {
	printf "{\n  \"rounds\": %d,\n  \"cpu_time\": %s,\n  \"leaktop_mode\": %s,\n  \"heaptrack_mode\": %s,\n  \"workloads\": {\n", rounds, jstr("user+sys of the whole process tree (subreaper + RUSAGE_CHILDREN)"), jstr(lmode), jstr(hmode) > json
	for (i = 1; i <= nk; i++) {
		split(order[i], p, SUBSEP)
		w = p[1]; t = p[2]
		mw[order[i]] = median(wall[order[i]]); mc[order[i]] = median(cpu[order[i]])
	}
	lastw = ""
	for (i = 1; i <= nk; i++) {
		k = order[i]; split(k, p, SUBSEP); w = p[1]; t = p[2]
		b = w SUBSEP "bare"
		if (w != lastw) {
			if (lastw != "") printf "\n    }},\n" > json
			desc = w == "single" ? "churn " ops " (1 thread)" : w == "multi" ? "churn -t " threads " " ops_mt " (" threads " threads)" : w == "cxx" ? "C++ containers and strings (cxx 100)" : w == "python" ? "python3 workload.py 100000" : w == "sqlite" ? "sqlite3: 800,000 rows, an index, queries, updates" : "gcc: cc1 -O2, 400 generated functions"
			printf "\n%s\n", desc
			printf "  %-10s %9s %9s %8s %8s %9s %11s %11s\n", "tool", "wall(s)", "cpu(s)", "wall x", "cpu x", "ns/pair", "peak RSS", "recording"
			pairs = w == "single" ? ops * 1e6 : w == "multi" ? threads * ops_mt * 1e6 : 0
			printf "    %s: {\"command\": %s, \"tools\": {", jstr(w), jstr(desc) > json
			sep = ""
			lastw = w
		}
		wr = mw[b] > 0 ? mw[k] / mw[b] : 0
		cr = mc[b] > 0 ? mc[k] / mc[b] : 0
		r = median(rss[k]); s = size[k] == "" ? "-" : median(size[k])
		flag = (k in failed) ? "  (" failed[k] " failed)" : ""
		if (k in timedout && !(k in n)) {
			printf "  %-10s did not finish within %s s\n", t, mlimit
			printf "%s\n      %s: {\"runs\": 0, \"did_not_finish_within_s\": %s}", sep, jstr(t), mlimit > json
			sep = ","
			continue
		}
		if (k in badsum) flag = flag "  (checksum differs from bare!)"
		ns = pairs ? (mc[k] - mc[b]) * 1e9 / pairs : 0
		printf "  %-10s %9.3f %9.3f %8.2f %8.2f %9.0f %11s %11s%s\n", t, mw[k], mc[k], wr, cr, ns, human(r * 1024), human(s), flag
		printf "%s\n      %s: {\"runs\": %d, \"failed\": %d, \"wall_s\": %.4f, \"cpu_s\": %.4f, \"wall_ratio\": %.3f, \"cpu_ratio\": %.3f, \"cpu_ns_added_per_pair\": %.1f, \"peak_rss_kb\": %d, \"recording_bytes\": %s}", sep, jstr(t), n[k], failed[k] + 0, mw[k], mc[k], wr, cr, ns, r, s == "-" ? "null" : sprintf("%.0f", s) > json
		sep = ","
	}
	printf "\n    }}\n  }\n}\n" > json
}' "$runs"
echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "medians of $rounds rounds; ratios against bare; CPU = user+sys of every process of the tool;"
echo "ns/pair = CPU the tool added per malloc/free pair (all threads);"
echo "peak RSS = the target's own ru_maxrss. Per-run data: $runs; summary: $out/summary.json"
