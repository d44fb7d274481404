#!/bin/bash
# hostile.sh BUILD_DIR - leaktop against hostile shared-memory segments.
#
# Anyone who can write /dev/shm as this user can plant a segment that
# claims to be a probed process. hostile_shm.c takes the segment of a real
# probed demo as a template, makes it the segment of an unprobed `sleep`
# (its pid and start time, so it passes for that process's own) and spoils
# it one way per case: random bytes, huge counts, offsets out of range,
# overlapping parts, capacities that lie, a file shorter than it says, stack
# index entries past the pool, module paths past their pool, seqlocks stuck
# odd, strings without a NUL (and full of ESC), thread stack ids out of
# range, a start time that does not match. For each, `leaktop report -p`
# (text, and threads as json), `leaktop list`, and the live view (in tmux,
# for half a second, then q) must end within 20 s with status 0 or 2, a refusal must
# be one line, and nothing may trip ASan or UBSan: make test runs this on
# the ASan/UBSan build. Where the outcome is known it is checked exactly:
# what the reader must refuse, and that the one thing that is readable in
# spite of the damage (the last complete snapshot) is shown.
#
# Ends with exactly "hostile: N passed, N failed"; exit 1 on any failure.
set -u
. "$(dirname "$0")/lib.sh"
suite_init BUILD_DIR "$@"

stop()
{
	[ -n "${dpid:-}" ] && kill "$dpid" 2>/dev/null
	[ -n "${vpid:-}" ] && kill "$vpid" 2>/dev/null
	wait 2>/dev/null
	[ -n "${SOCK:-}" ] && tmux -S "$SOCK" kill-server 2>/dev/null
	find /dev/shm -maxdepth 1 -name "leaktop.${vpid:-none}.*" -delete 2>/dev/null
	finish hostile
}

if ! cc -std=gnu11 -O1 -I. -o "$TMP/hostile_shm" tests/integration/hostile_shm.c shared/procstat.c; then
	bad "hostile_shm.c builds"
	stop
	exit 1
fi

# The template: a probed demo with stacks, modules, a snapshot and threads.
LD_PRELOAD=$PROBE "$BUILD/targets/demo" 600 >/dev/null 2>&1 &
dpid=$!
sleep 600 &
vpid=$!
for _ in $(seq 50); do
	tmpl=$(cd /dev/shm && ls -d "leaktop.$dpid."* 2>/dev/null | head -n 1)
	[ -n "$tmpl" ] && "$LEAKTOP" report -p "$dpid" --top 1 2>/dev/null | grep -q 'snapshot' && break
	sleep 0.1
done
sleep 1.2 # a thread snapshot too
check "the template segment of a probed demo ($tmpl)" [ -n "$tmpl" ]

# What the reader must refuse outright, and how it says so.
declare -A refuse=(
	[garbage]='segment leaktop\.[0-9]+\.[0-9a-f]+: not a leaktop segment \(bad magic\)$'
	[offsets]=': segment layout is inconsistent$'
	[overlap]=': segment layout is inconsistent$'
	[caps]=': segment (layout is inconsistent|header has out-of-range fields)$'
	[size]=': segment header size or segment size mismatch$'
	[short]=': segment header size or segment size mismatch$'
)

SOCK=$TMP/tmux.sock
for c in garbage body counts offsets overlap caps size short index modules seq strings threads stale; do
	find /dev/shm -maxdepth 1 -name "leaktop.$vpid.*" -delete
	seg=$("$TMP/hostile_shm" "$tmpl" "$vpid" "$c" 2>"$TMP/$c.mk")
	if [ -z "$seg" ]; then
		bad "$c: hostile_shm made a segment ($(head -c 200 "$TMP/$c.mk"))"
		continue
	fi
	for how in text threads tthreads list; do
		case $how in
		text) args=(report -p "$vpid" --top 5) ;;
		threads) args=(report -p "$vpid" --threads --format json) ;;
		tthreads) args=(report -p "$vpid" --threads) ;;
		list) args=(list) ;;
		esac
		timeout 20 "$LEAKTOP" "${args[@]}" >"$TMP/$c.$how.out" 2>"$TMP/$c.$how.err"
		rc=$?
		check "$c: ${args[*]} ends with status 0 or 2 (got $rc)" [ "$rc" -eq 0 -o "$rc" -eq 2 ]
		check "$c: ... no sanitizer report" \
			sh -c '! grep -Eq "AddressSanitizer|runtime error|LeakSanitizer" "$1"' sh "$TMP/$c.$how.err"
		if [ "$rc" -eq 2 ]; then
			check "$c: ... a refusal is one line ($(head -c 160 "$TMP/$c.$how.err"))" \
				[ "$(wc -l <"$TMP/$c.$how.err")" -eq 1 ]
		fi
		if [ -n "${refuse[$c]:-}" ] && [ "$how" = text ]; then
			check "$c: report -p refuses it, saying why" \
				sh -c '[ "$1" -eq 2 ] && grep -Eq "$2" "$3"' sh "$rc" "${refuse[$c]}" "$TMP/$c.$how.err"
		fi
	done
	# The live view: attached for 0.3 s, then q.
	tmux -S "$SOCK" kill-server 2>/dev/null
	tmux -S "$SOCK" new-session -d -s v -x 120 -y 40 \
		"sh -c '\"$LEAKTOP\" attach $vpid 2>\"$TMP/$c.view.err\"; echo \$? >\"$TMP/$c.view.rc\"'"
	sleep 0.3
	tmux -S "$SOCK" send-keys -t v q 2>/dev/null
	for _ in $(seq 100); do
		[ -s "$TMP/$c.view.rc" ] && break
		sleep 0.1
	done
	rc=$(cat "$TMP/$c.view.rc" 2>/dev/null)
	check "$c: the view ends with status 0 or 2 (got ${rc:-none: still running})" \
		[ "${rc:-9}" -eq 0 -o "${rc:-9}" -eq 2 ]
	check "$c: ... no sanitizer report" \
		sh -c '! grep -Eq "AddressSanitizer|runtime error|LeakSanitizer" "$1"' sh "$TMP/$c.view.err"
done

# The damage that leaves a snapshot readable: the view and report show it.
for c in index modules strings threads; do
	check "$c: report -p still shows the snapshot" grep -q 'snapshot' "$TMP/$c.text.out"
done
check "strings: no ESC reaches the terminal from a thread name (json, text)" \
	sh -c '! grep -q "$(printf "\033")" "$1" "$2"' sh "$TMP/strings.threads.out" "$TMP/strings.tthreads.out"
check "strings: ... each ESC shown as ?" grep -q '???????????????' "$TMP/strings.tthreads.out"
# A start time that does not match /proc: the pid was reused, so the
# segment's process is gone; its last snapshot is shown as such.
check "stale: report -p takes it for a process gone, and says so" \
	grep -q "^leaktop: process $vpid is gone without exiting (killed?); this is its last snapshot$" \
	"$TMP/stale.text.err"

# A segment name taken beforehand by another user (nobody), as by an
# attacker who guessed it: the probe's O_EXCL create fails, it tries other
# names, and with every name taken the program runs untracked, as bare,
# saying so in one line; the planted file stays as it was, and leaktop
# refuses to read it.
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
	cc -shared -fPIC -o "$TMP/fixed_random.so" tests/integration/fixed_random.c
	cat >"$TMP/plant.sh" <<'PLANT'
seg=/dev/shm/leaktop.$$.5a5a5a5a5a5a5a5a
printf 'planted by nobody' >"$seg"
chown nobody "$seg"
chmod 0666 "$seg"
echo "$seg" >"$1"
exec env LD_PRELOAD="$2:$3" "$4" "$5"
PLANT
	"$BUILD/targets/malloc" >"$TMP/plant.bare.out" 2>/dev/null
	bare_rc=$?
	sh "$TMP/plant.sh" "$TMP/plant.name" "$TMP/fixed_random.so" "$PROBE" "$BUILD/targets/malloc" \
		>"$TMP/plant.out" 2>"$TMP/plant.err"
	rc=$?
	seg=$(cat "$TMP/plant.name")
	check "planted name: the program exits as bare ($bare_rc, got $rc)" [ "$rc" -eq "$bare_rc" ]
	check "planted name: stdout as bare" cmp -s "$TMP/plant.out" "$TMP/plant.bare.out"
	check "planted name: one line on stderr ($(head -c 160 "$TMP/plant.err"))" \
		sh -c '[ "$(wc -l <"$1")" -eq 1 ] && grep -q "runs untracked" "$1"' sh "$TMP/plant.err"
	check "planted name: the planted file is untouched (owner nobody, its bytes)" \
		sh -c '[ "$(stat -c %U "$1")" = nobody ] && [ "$(cat "$1")" = "planted by nobody" ]' sh "$seg"
	# The same planted file in front of a reader: refused for its owner.
	sleep 30 &
	spid=$!
	printf 'planted by nobody' >"/dev/shm/leaktop.$spid.5a5a5a5a5a5a5a5a"
	chown nobody "/dev/shm/leaktop.$spid.5a5a5a5a5a5a5a5a"
	"$LEAKTOP" report -p "$spid" >/dev/null 2>"$TMP/plant.report.err"
	rc=$?
	check "planted name: report -p refuses another user's segment (status $rc)" \
		sh -c '[ "$1" -eq 2 ] && grep -q ": segment is not owned by this user with mode 0600$" "$2"' \
		sh "$rc" "$TMP/plant.report.err"
	kill "$spid"
	rm -f "$seg" "/dev/shm/leaktop.$spid.5a5a5a5a5a5a5a5a"
else
	skip "planted name: needs root to make a file as nobody"
fi

stop
