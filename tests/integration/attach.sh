#!/bin/bash
# attach.sh BUILD_DIR - `leaktop attach`, `record -p` and `detach` on
# processes started without the probe.
#
# - A multi-threaded leaking server (targets/server) is attached to as it
#   runs, then detached and attached again 20 times in a row
#   (ATTACH_CYCLES; the ASan run of leaktop makes 2): each attach
#   sees its leak grow from the attach (every block exactly 1024 bytes), a
#   detached probe's counts stay still, and the server's output and exit
#   status are those of its bare run.
# - A library the server loads after the attach (zlib) is redirected too.
# - A program built without PIE that takes malloc's address (targets/
#   nopie_table, as Debian's python3 does) runs on, tracked.
# - The same on a C++ program (targets/cache_server) and on a program built
#   before leaktop was (Debian's python3).
# - Refusals, one line and status 2, and the process runs on: a process of
#   another user (leaktop run as nobody), one already under ptrace (strace),
#   detach of a process started with the probe, and of one without any.
# Skipped, with the reason, where ptrace is not permitted here.
set -u
. "$(dirname "$0")/lib.sh"
suite_init BUILD_DIR "$@"

server=$BUILD/targets/server
cxx=$BUILD/targets/cache_server
nopie=$BUILD/targets/nopie_table

# state PID: the process's state letter (t or T when stopped).
state()
{
	sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1
}

# folded_sum LKT|-p PID FUNC METRIC: the metric summed over FUNC's stacks.
folded_sum()
{
	local where=$1 fn=$2 metric=$3
	if [ "$where" = -p ]; then
		"$LEAKTOP" report -p "$fn" --format folded --metric "$metric" >"$TMP/f.folded" 2>/dev/null
		fn=$4
	else
		"$LEAKTOP" report "$where" --format folded --metric "$metric" >"$TMP/f.folded" 2>/dev/null
	fi
	sum_frames "$TMP/f.folded" "$fn"
}

# at SNAP LKT FUNC METRIC: the same at snapshot SNAP (1, or last).
at()
{
	"$LEAKTOP" report "$2" --at "$1" --format folded --metric "$4" >"$TMP/a.folded" 2>/dev/null
	sum_frames "$TMP/a.folded" "$3"
}

# Can this machine ptrace at all? A sleep of our own, attached to.
sleep 30 &
probe_pid=$!
timeout -s INT 1 "$LEAKTOP" record -q -p "$probe_pid" -o "$TMP/probe.lkt" >/dev/null \
	2>"$TMP/probe.err"
if [ ! -s "$TMP/probe.lkt" ] && grep -q "not permitted\|ptrace_scope" "$TMP/probe.err"; then
	skip "attach: ptrace is not permitted here: $(head -n 1 "$TMP/probe.err")"
	kill $probe_pid
	finish attach
	exit $?
fi
kill $probe_pid
wait $probe_pid 2>/dev/null

# hold NAME OUT CMD...: starts CMD in the background, its input a pipe
# held open here so that it runs until `release NAME`, its output in OUT;
# sets PID once the child runs CMD's program (past `env VAR=VALUE`).
declare -A held
hold()
{
	local name=$1 out=$2 fd prog
	shift 2
	mkfifo "$TMP/$name.ctl"
	"$@" <"$TMP/$name.ctl" >"$out" 2>&1 &
	PID=$!
	exec {fd}>"$TMP/$name.ctl"
	held[$name]=$fd
	for prog in "$@"; do
		case $prog in env | *=*) ;; *) break ;; esac
	done
	started $PID "$prog"
}

release()
{
	exec {held[$1]}>&-
}

# record_snapshots N PID FILE [OPTION...]: `record -p PID -o FILE` until
# FILE holds N snapshots (up to 10 s, or until PID ends), then stopped as ^C
# would. A fixed time is not
# enough: the first attach loads the probe and libunwind, which under the
# ASan leaktop on a busy machine took all of 0.35 s.
record_snapshots()
{
	local want=$1 pid=$2 file=$3 rpid n
	shift 3
	LEAKTOP_INTERVAL=100 "$LEAKTOP" record "$@" -p "$pid" -o "$file" >/dev/null &
	rpid=$!
	for _ in $(seq 1 200); do
		kill -0 $rpid 2>/dev/null || break
		n=$("$LEAKTOP" report "$file" --top 1 2>/dev/null |
			sed -n 's/.*, snapshot \([0-9]*\) of \1 at .*/\1/p')
		[ "${n:-0}" -ge "$want" ] && break
		sleep 0.05
	done
	kill -INT $rpid 2>/dev/null
	wait $rpid
}

# reap PID: waits for PID, a child, for up to 5 s, then kills it (a hook
# spinning in the program keeps it from ending); returns its status.
reap()
{
	local i
	for i in $(seq 1 100); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.05
	done
	if kill -9 "$1" 2>/dev/null; then
		echo "    process $1 still ran 5 s after it was to end: killed"
	fi
	wait "$1" 2>/dev/null
}

# --- the server, attached to and detached 20 times ---------------------------

"$server" 0 </dev/null >"$TMP/server.bare.out" 2>&1
bare_rc=$?
check "server: bare run exits 3 (got $bare_rc)" [ $bare_rc -eq 3 ]

# The server runs until its input ends.
hold server "$TMP/server.out" "$server" 0
spid=$PID
sleep 0.3
export LEAKTOP_INTERVAL=100
n=${ATTACH_CYCLES:-20}
cycles_grew=0 cycles_exact=0 cycles_still=0 cycles_detached=0 looked=0
for i in $(seq 1 "$n"); do
	record_snapshots 3 $spid "$TMP/c$i.lkt" -q 2>"$TMP/c$i.err"
	first=$(at 1 "$TMP/c$i.lkt" leak_session alloc_calls)
	last=$(at last "$TMP/c$i.lkt" leak_session alloc_calls)
	[ "$last" -gt "$first" ] && cycles_grew=$((cycles_grew + 1))
	"$LEAKTOP" detach $spid 2>"$TMP/d$i.err" && cycles_detached=$((cycles_detached + 1))
	if [ $((i % 10)) -eq 0 ] || [ "$i" -eq "$n" ]; then
		looked=$((looked + 1))
		bytes=$(at last "$TMP/c$i.lkt" leak_session live_bytes)
		blocks=$(at last "$TMP/c$i.lkt" leak_session live_blocks)
		[ "$blocks" -gt 0 ] && [ "$bytes" -eq $((blocks * 1024)) ] && cycles_exact=$((cycles_exact + 1))
		a=$(folded_sum -p $spid alloc_calls leak_session)
		sleep 0.15
		b=$(folded_sum -p $spid alloc_calls leak_session)
		[ "$a" -gt 0 ] && [ "$a" -eq "$b" ] && cycles_still=$((cycles_still + 1))
	fi
done
unset LEAKTOP_INTERVAL
check "attach $n times: each recording saw leak_session grow from its attach ($cycles_grew of $n)" \
	[ $cycles_grew -eq "$n" ]
check "attach: every leaked block is 1024 bytes (in $cycles_exact of the $looked cycles looked at)" \
	sh -c '[ "$1" -ge 1 ] && [ "$2" -eq "$1" ]' sh $looked $cycles_exact
check "detach $n times: each exited 0 ($cycles_detached of $n)" [ $cycles_detached -eq "$n" ]
check "detach: the counts stand still once detached (in $cycles_still of the $looked cycles looked at)" \
	sh -c '[ "$1" -ge 1 ] && [ "$2" -eq "$1" ]' sh $looked $cycles_still
check "detach: says how many entries it put back" \
	grep -Eq "^leaktop: process $spid: probe detached, [1-9][0-9]* entries put back \(threads stopped [0-9.]+ ms\)$" \
	"$TMP/d$n.err"
check "attach: the $n attaches share one probe (libleaktop.so mapped from one file)" \
	[ "$(grep 'libleaktop.so$' /proc/$spid/maps | awk '{ print $NF }' | sort -u | wc -l)" -eq 1 ]
"$LEAKTOP" detach $spid 2>"$TMP/twice.err"
rc=$?
check "detach of a detached probe: status 2 (got $rc), one line" \
	sh -c '[ "$1" -eq 2 ] && grep -qx "leaktop: process $2: its probe is detached already" "$3"' \
	sh $rc $spid "$TMP/twice.err"
check "attach: the process never stays stopped (state $(state $spid))" \
	sh -c '! echo "$1" | grep -q "[tT]"' sh "$(state $spid)"
release server
reap $spid
rc=$?
check "server: exit status with $n attaches is the bare one (3, got $rc)" [ $rc -eq 3 ]
check "server: output with $n attaches is the bare one" cmp -s "$TMP/server.bare.out" "$TMP/server.out"
cmp -s "$TMP/server.bare.out" "$TMP/server.out" ||
	diff "$TMP/server.bare.out" "$TMP/server.out" | head -n 20 | sed 's/^/    /'

# --- a library loaded after the attach -----------------------------------------
# The server loads zlib 0.8 s in and allocates from it 300 ms later, through
# zlib's own GOT: the probe redirects it at its next look at the modules.

hold codec "$TMP/z.out" "$server" 0 800
zpid=$PID
sleep 0.3
LEAKTOP_INTERVAL=100 "$LEAKTOP" record -q -p $zpid -o "$TMP/z.lkt" >/dev/null 2>"$TMP/z.err" &
rpid=$!
for _ in $(seq 1 200); do
	grep -q "codec open" "$TMP/z.out" && break
	sleep 0.05
done
sleep 0.3 # three snapshots more
kill -INT $rpid
wait $rpid
zb=$(at last "$TMP/z.lkt" open_codec live_blocks)
zbytes=$(at last "$TMP/z.lkt" open_codec live_bytes)
check "a library dlopened after the attach: zlib's deflate state is seen, 5 blocks of which 4 are of 64 KiB ($zb blocks, $zbytes bytes)" \
	sh -c '[ "$1" -eq 5 ] && [ "$2" -ge $((4 * 65536)) ] && [ "$2" -lt $((5 * 65536)) ]' sh "$zb" "$zbytes"
release codec
reap $zpid

# --- a program built without PIE that takes malloc's address -------------------
# Its executable holds a "canonical PLT" symbol for malloc (and free), a stub
# through the very GOT entry the attach redirects; taken for the real malloc,
# it sent the hook into itself for ever (Debian's python3 is built so).

hold nopie "$TMP/nopie.out" "$nopie" 0
npid=$PID
sleep 0.2
record_snapshots 5 $npid "$TMP/np.lkt" -q 2>"$TMP/np.err"
first=$(at 1 "$TMP/np.lkt" keep_record live_blocks)
last=$(at last "$TMP/np.lkt" keep_record live_blocks)
bytes=$(at last "$TMP/np.lkt" keep_record live_bytes)
check "non-PIE, malloc called through a table: keep_record grows from the attach ($first to $last blocks)" \
	[ "$last" -gt "$first" ]
check "non-PIE: every kept record is 512 bytes ($bytes bytes in $last blocks)" \
	sh -c '[ "$2" -gt 0 ] && [ "$1" -eq $(($2 * 512)) ]' sh "$bytes" "$last"
release nopie
reap $npid
rc=$?
check "non-PIE: exits 5 once its input ends, as bare (got $rc), its output unchanged" \
	sh -c '[ "$1" -eq 5 ] && [ "$(cat "$2")" = "nopie_table: kept records until its input ended" ]' \
	sh $rc "$TMP/nopie.out"

# --- a C++ program, and one built before leaktop -----------------------------
# (The probe's side of attach; the ASan run of leaktop, ATTACH_QUICK=1,
# leaves them out.)
if [ "${ATTACH_QUICK:-0}" != 1 ]; then
	"$cxx" 3 >"$TMP/cxx.out" 2>&1 &
	cpid=$!
	started $cpid "$cxx"
	sleep 0.3
	record_snapshots 4 $cpid "$TMP/cxx.lkt" 2>"$TMP/cxx.err"
	check "C++: attach says what it did" \
		grep -Eq "^leaktop: attached to process $cpid: [0-9]+ entries point at the probe; [0-9]+ threads stopped [0-9.]+ ms$" \
		"$TMP/cxx.err"
	grew=$(($(at last "$TMP/cxx.lkt" remember live_blocks) - $(at 1 "$TMP/cxx.lkt" remember live_blocks)))
	check "C++: remember()'s map nodes and strings grow from the attach (+$grew blocks)" [ $grew -ge 30 ]
	got=$(at last "$TMP/cxx.lkt" serve live_blocks)
	want=$(at last "$TMP/cxx.lkt" remember live_blocks)
	check "C++: what lives under serve() is remember()'s ($got and $want blocks): its own strings are freed" \
		[ "$got" -eq "$want" ]
	reap $cpid
	rc=$?
	check "C++: exits 4 as bare (got $rc), its output unchanged" \
		sh -c '[ "$1" -eq 4 ] && [ "$(cat "$2")" = "cache_server: done" ]' sh $rc "$TMP/cxx.out"

	if [ -x /usr/bin/python3 ]; then
		# It keeps 100 KB more every 10 ms (up to 60 MB) until its input
		# ends, so how long the attach takes on a busy machine does
		# not decide what the recording can see.
		hold python "$TMP/py.out" /usr/bin/python3 -c '
import select, sys
kept = []
while not select.select([sys.stdin], [], [], 0.01)[0]:
    if len(kept) < 600:
        kept.append(bytearray(100000))
print("python: done")'
		ppid=$PID
		sleep 0.5
		record_snapshots 12 $ppid "$TMP/py.lkt" -q 2>"$TMP/py.err"
		total() {
			"$LEAKTOP" report "$TMP/py.lkt" --at "$1" --format folded --metric live_bytes 2>/dev/null |
				awk '{ s += $NF } END { printf "%d\n", s }'
		}
		first=$(total 1)
		last=$(total last)
		check "python3 (built before leaktop): its live heap grows by 4 MB or more from the attach ($first to $last bytes)" \
			[ $((last - first)) -ge $((4 * 1000000)) ]
		release python
		reap $ppid
		rc=$?
		check "python3: exits 0 with its output (got $rc)" \
			sh -c '[ "$1" -eq 0 ] && [ "$(cat "$2")" = "python: done" ]' sh $rc "$TMP/py.out"
	else
		skip "python3: /usr/bin/python3 is not installed"
	fi

fi

# --- refusals -------------------------------------------------------------------

hold refusals /dev/null "$server" 0
spid=$PID
sleep 0.2
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null; then
	cp "$LEAKTOP" "$TMP/leaktop-nobody" && chmod 755 "$TMP" "$TMP/leaktop-nobody"
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$TMP/leaktop-nobody" record -q \
		-p $spid -o /tmp/leaktop-nobody.$$.lkt >/dev/null 2>"$TMP/other.err"
	rc=$?
	check "another user's process: refused with status 2 (got $rc)" [ $rc -eq 2 ]
	check "another user's process: one line naming the owner and the remedy" \
		sh -c '[ "$(wc -l <"$1")" -eq 1 ] && grep -q "^leaktop: process $2 belongs to user 0: leaktop can attach only to your own processes (or run it as root)$" "$1"' \
		sh "$TMP/other.err" $spid
	rm -f /tmp/leaktop-nobody.$$.lkt
else
	skip "another user's process: needs root, the user nobody and setpriv"
fi
if command -v strace >/dev/null; then
	strace -f -o /dev/null -p $spid 2>/dev/null &
	tracer=$!
	for _ in $(seq 50); do
		[ "$(sed -n 's/^TracerPid:\t//p' /proc/$spid/status)" = "$tracer" ] && break
		sleep 0.05
	done
	"$LEAKTOP" record -q -p $spid -o "$TMP/traced.lkt" >/dev/null 2>"$TMP/traced.err"
	rc=$?
	check "a traced process: refused with status 2 (got $rc)" [ $rc -eq 2 ]
	check "a traced process: one line naming the tracer" \
		grep -qx "leaktop: process $spid is already traced by process $tracer (strace): a process has one tracer; detach it first" \
		"$TMP/traced.err"
	kill $tracer
	wait $tracer 2>/dev/null
else
	skip "a traced process: strace is not installed"
fi
"$LEAKTOP" detach $spid 2>"$TMP/nodetach.err"
rc=$?
check "detach without a probe: status 2 (got $rc), one line" \
	sh -c '[ "$1" -eq 2 ] && grep -qx "leaktop: process $2 has no leaktop probe to detach" "$3"' \
	sh $rc $spid "$TMP/nodetach.err"
check "refusals: the process was never left stopped (state $(state $spid))" \
	sh -c '! echo "$1" | grep -q "[tT]"' sh "$(state $spid)"
release refusals
reap $spid
rc=$?
check "refusals: the server ends as bare (3, got $rc)" [ $rc -eq 3 ]

hold preloaded /dev/null env LD_PRELOAD="$PROBE" "$server" 0
spid=$PID
sleep 0.3
"$LEAKTOP" detach $spid 2>"$TMP/predetach.err"
rc=$?
check "detach of a process started with the probe: status 2 (got $rc), one line" \
	sh -c '[ "$1" -eq 2 ] && grep -qx "leaktop: process $2 was started with the probe: there is nothing to detach" "$3"' \
	sh $rc $spid "$TMP/predetach.err"
release preloaded
reap $spid
"$LEAKTOP" detach 2>"$TMP/usage.err"
rc=$?
check "detach without a PID: status 2 (got $rc), one line" \
	sh -c '[ "$1" -eq 2 ] && [ "$(wc -l <"$2")" -eq 1 ]' sh $rc "$TMP/usage.err"
"$LEAKTOP" detach 999999 2>"$TMP/nopid.err"
rc=$?
check "detach of no process: status 2 (got $rc): $(cat "$TMP/nopid.err")" \
	sh -c '[ "$1" -eq 2 ] && grep -qx "leaktop: no process 999999" "$2"' sh $rc "$TMP/nopid.err"

finish attach
