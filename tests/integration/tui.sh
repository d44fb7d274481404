#!/bin/bash
# tui.sh BUILD_DIR - the live view, driven in tmux as a person would.
#
# Each case starts the real `leaktop run` or `leaktop attach` in a detached
# tmux session of a known size, types keys with send-keys, and reads the
# screen with capture-pane. wait_for polls the screen until a pattern shows
# (or a deadline passes), so no check depends on a fixed sleep.
#
# Ends with exactly "tui: N passed, N failed, N skipped"; exit 1 on any failure.
set -u
. "$(dirname "$0")/lib.sh"
suite_init BUILD_DIR "$@"

if ! command -v tmux >/dev/null; then
	bad "tmux is installed (make deps)"
	finish tui
fi

SOCK=$TMP/tmux.sock
T="tmux -S $SOCK"
export TERM=xterm-256color LANG=C.UTF-8 LC_ALL=C.UTF-8

# start NAME COLS LINES COMMAND...: a session running COMMAND, then a shell
# line that prints its exit status, so the end of the view shows.
start()
{
	local name=$1 cols=$2 lines=$3
	shift 3
	$T new-session -d -s "$name" -x "$cols" -y "$lines" \
		"cd $TMP && $*; echo \"LEAKTOP-EXIT=\$?\"; sleep 600"
}

screen()
{
	$T capture-pane -p -t "$1"
}

# wait_for NAME SECONDS REGEX: 0 when the screen matches within SECONDS.
wait_for()
{
	local name=$1 secs=$2 re=$3 end=$((SECONDS + $2))
	while [ $SECONDS -le $end ]; do
		screen "$name" | grep -Eq -- "$re" && return 0
		sleep 0.2
	done
	return 1
}

# Checks that the screen of NAME matches REGEX within SECONDS; on failure
# the screen goes to $TMP/NAME.screen for the record.
expect_screen()
{
	local name=$1 secs=$2 re=$3 what=$4
	if wait_for "$name" "$secs" "$re"; then
		ok "$what"
	else
		screen "$name" >"$TMP/$name.screen"
		bad "$what (screen in $TMP/$name.screen)"
	fi
}

# The first table row under the header line that matches HEADER_RE.
first_row()
{
	screen "$1" | awk -v h="$2" 'found { print; exit } $0 ~ h { found = 1 }'
}

LT=$LEAKTOP
DEMO=$BUILD/targets/demo

# --- run: the demo's leak heads the growth view -----------------------------
# The clock starts with the program: the leak must head the ranking within 5 s
# of the start, whatever the view was doing meanwhile. Until the cache's first
# flush (3 s) nothing can tell it from a leak; after it, the leak must lead.
t0=$(date +%s%N)
start run 80 24 "$LT" run -- "$DEMO" 120
expect_screen run 5 'leaktop +demo \(pid [0-9]+\) +running' "run: header names the program, pid and state"
expect_screen run 5 'leak_request_buffer' "run: the top table shows the leaking site"
$T send-keys -t run g
expect_screen run 3 'VERDICT +LIVE +GROWTH/s' "growth view: g opens it"
row=
while :; do
	row=$(first_row run 'VERDICT')
	echo "$row" | grep -Eq "^leak .*leak_request_buffer" && break
	[ $(($(date +%s%N) - t0)) -gt 5000000000 ] && break
	sleep 0.1
done
ms=$((($(date +%s%N) - t0) / 1000000))
if echo "$row" | grep -Eq "^leak .*leak_request_buffer"; then
	ok "growth view: leak_request_buffer heads the ranking, called a leak, ${ms} ms after start"
else
	screen run >"$TMP/run.growth.screen"
	bad "growth view: leak_request_buffer heads the ranking within 5 s (first row at ${ms} ms: $row; screen in $TMP/run.growth.screen)"
fi
# The cache (filled and emptied) is never called a leak.
sleep 3
cache=$(screen run | grep 'cache_store' | head -n 1)
check "growth view: the cache sawtooth is not called a leak (${cache:-not shown})" \
	sh -c '[ -n "$1" ] && ! echo "$1" | grep -q "^leak "' sh "$cache"
# The header judges the total heap over up to 30 s: its troughs rise with
# the leak (40 KiB/s) under the cache's teeth.
expect_screen run 5 'troughs [0-9.]+K/s over [0-9]+s: leak' "header: the total heap's troughs rise: leak"
# The 2 MiB config block, the biggest site, is stable: below the leak.
big=$(screen run | grep 'load_config_table' | head -n 1)
check "growth view: the big stable block is called stable (${big:-not shown})" \
	sh -c 'echo "$1" | grep -q "^stable "' sh "$big"

# --- every view at 80x24 ------------------------------------------------------
$T send-keys -t run a
expect_screen run 3 'LIVE +BLOCKS +GROWTH/s +ALLOCS/s +TOTAL' "top view: a shows its columns"
expect_screen run 3 'F1Help TabView' "footer: the keys, as htop shows its function keys"
$T send-keys -t run f
expect_screen run 3 'flame of live bytes' "flame view: f opens it"
# Its box is a few columns wide, and narrower while the cache's sawtooth is
# at a peak: its name may be cut to 8 characters.
expect_screen run 3 'leak_req' "flame view: shows the leaking frame (narrow beside the 2 MiB block)"
# As a person would: down from "all" to main's biggest callee, right along
# its siblings to handle_request, down to the leak, and zoom: it fills the
# width, named in full.
# The cache's box comes and goes with its flushes, and a selection whose box
# is gone falls back to its caller, so each step reads where it landed.
for _ in 1 2 3 4; do $T send-keys -t run j; done
for _ in $(seq 12); do
	sel=$(screen run | sed -n 's/.*selected: \([^ ]*\) .*/\1/p')
	case $sel in
	handle_request) break ;;
	main) $T send-keys -t run j ;;
	load_config_table | cache_store) $T send-keys -t run l ;;
	esac
	sleep 0.3
done
$T send-keys -t run j Enter
expect_screen run 3 '\[zoomed\] +selected: leak_request_buffer .*\(100\.0%\)' \
	"flame view: Enter zooms into the leaking frame: 100% of the view"
expect_screen run 3 '^leak_request_buffer' "flame view: zoomed, the leaking frame named in full"
$T send-keys -t run Escape Escape Escape Escape Escape Escape
expect_screen run 3 'flame of live bytes  selected' "flame view: Esc zooms back out"
# m: allocations per second. The demo's busiest site is the cache, 160/s.
$T send-keys -t run m
# The selection stayed on the leak: 10 allocations/s (one a 100 ms tick; the
# window's ends are sampled, so 9 to 11).
expect_screen run 3 'flame of allocations/s  selected: leak_request_buffer  (9|10|11)/s .* over [0-9]+s' \
	"flame view: m shows the allocation rate, the leak's 10/s"
expect_screen run 3 '^cache_store' "flame view: ... where the cache, 160 allocations/s, is widest"
$T send-keys -t run m
# t: the threads, grouped. The demo parks one more worker every 5 s, from
# start_parked_worker, in pthread_cond_wait: one group whose count is the
# header's thread count less main and the probe's publisher.
$T send-keys -t run t
expect_screen run 3 'THREADS +S +LIVE +TREND +VERDICT +WHERE' "threads view: t opens it"
# (At 80 columns the creator is cut: start_parked_worker shows at 200.)
expect_screen run 3 '^ +[0-9]+ S +[0-9.]+[BK] .*in pthread_cond_wait <- parked_worker < s' \
	"threads view: the parked workers, one group: where they wait and where they were made"
expect_screen run 3 '^ +1 S +[0-9.]+[KM]? .*in clock_nanosleep < \[not seen created\]' \
	"threads view: main, asleep in clock_nanosleep between ticks"
parked_is_threads_less_two()
{
	local s n total
	s=$(screen run)
	n=$(sed -n 's/^ *\([0-9]*\) S .*parked_worker.*/\1/p' <<<"$s")
	total=$(sed -n 's/.* threads \([0-9]*\) .*/\1/p' <<<"$s" | head -n 1)
	[ -n "$n" ] && [ -n "$total" ] && [ "$n" -eq $((total - 2)) ]
}
for _ in $(seq 20); do parked_is_threads_less_two && break; sleep 0.3; done
check "threads view: the group holds every parked worker (header's threads less 2)" \
	parked_is_threads_less_two
expect_screen run 8 '^ +[0-9]+ S .* leak +in pthread_cond_wait <- parked_worker' \
	"threads view: the parked workers, piling up, are a thread leak"
$T send-keys -t run Home Enter
expect_screen run 3 '^ +[0-9]+ +demo +sleeping +256B +[0-9]+:[0-9]{2} +futex' \
	"threads view: Enter lists the group's threads (tid, name, state, its 256 live bytes, age, wait channel)"
expect_screen run 3 '^ +parked_worker +tests/targets/demo\.c:[0-9]+' \
	"threads view: ... and their current stack, with file:line"
$T send-keys -t run Escape
$T send-keys -t run a l # in the flame view l moves right (hjkl)
expect_screen run 3 'log: leaktop\.demo\.[0-9]+\.log' "log view: l shows the program's log file"
expect_screen run 3 'demo: tick' "log view: shows the program's output"
$T send-keys -t run a Enter
expect_screen run 3 '^stack [0-9]+' "detail view: Enter opens the selected row's stack"
expect_screen run 3 'tests/targets/demo\.c:[0-9]+' "detail view: frames with file:line"
$T send-keys -t run Escape '?'
expect_screen run 3 'F6  <  >' "help view: ? lists every key"
$T send-keys -t run Escape a Tab
expect_screen run 3 'VERDICT +LIVE' "Tab: from top to growth"
$T send-keys -t run BTab
expect_screen run 3 'LIVE +BLOCKS' "Shift-Tab: back to top"

# --- the top table's keys -------------------------------------------------------
# As htop's: sort column (F6 < >), invert (I), search (/), filter (F4 \),
# grouping (G), pause (space), refresh (+ -), baseline (b B). Each checked by
# what the screen shows after it.
TOP_HDR='LIVE +BLOCKS +GROWTH/s'
$T send-keys -t run a
expect_screen run 3 "$TOP_HDR" "keys: the top table"
check "sort: by live bytes first, the 2 MiB config table heads it" \
	sh -c 'echo "$1" | grep -q load_config_table' sh "$(first_row run "$TOP_HDR")"
$T send-keys -t run '>' '>' '>' # LIVE -> BLOCKS -> GROWTH/s -> ALLOCS/s
sleep 0.5
check "sort: > three times, by allocations/s: the cache (160/s) heads it" \
	sh -c 'echo "$1" | grep -q cache_store' sh "$(first_row run "$TOP_HDR")"
$T send-keys -t run I
sleep 0.5
check "sort: I inverts it: the cache is no longer first" \
	sh -c '! echo "$1" | grep -q cache_store' sh "$(first_row run "$TOP_HDR")"
$T send-keys -t run I '<' '<' '<' # back to live bytes, largest first
sleep 0.5
check "sort: < three times, back to live bytes" \
	sh -c 'echo "$1" | grep -q load_config_table' sh "$(first_row run "$TOP_HDR")"
$T send-keys -t run '\'
expect_screen run 3 'filter \(function or module, empty clears\):' "filter: \\ asks for it"
$T send-keys -t run cache Enter
sleep 0.5
rows=$(screen run | awk -v h="$TOP_HDR" 'found && /[0-9]/ && !/F1Help/ { n++ } $0 ~ h { found = 1 } END { print n + 0 }')
check "filter: 'cache': one row left, cache_store ($rows rows)" \
	sh -c '[ "$1" -eq 1 ] && echo "$2" | grep -q cache_store' sh "$rows" "$(first_row run "$TOP_HDR")"
$T send-keys -t run F4 # the prompt shows the filter: erase it, and an empty line clears
for _ in 1 2 3 4 5 6; do $T send-keys -t run BSpace; done
$T send-keys -t run Enter
sleep 0.5
check "filter: F4 and an empty line clear it: the config table is back on top" \
	sh -c 'echo "$1" | grep -q load_config_table' sh "$(first_row run "$TOP_HDR")"
$T send-keys -t run / leak_req Enter Enter
expect_screen run 3 '^stack [0-9]+' "search: / leak_req selects its row; Enter opens it"
expect_screen run 3 '^ +0 leak_request_buffer +tests/targets/demo\.c' \
	"search: ... and it is the leak's stack"
$T send-keys -t run Escape G
expect_screen run 3 'group stack' "G: grouped by full stack (the header says so)"
$T send-keys -t run G
expect_screen run 3 'group module' "G: by module"
expect_screen run 3 '(^| )demo( |$)' "G: by module, the demo's own module is a row"
$T send-keys -t run G
expect_screen run 3 'group function' "G: back to by function"
$T send-keys -t run Space
expect_screen run 3 '\[PAUSED\]' "space: pauses (the header says so)"
$T send-keys -t run Space
expect_screen run 3 'refresh 1\.0s  *$|refresh 1\.0s$' "space: resumes"
$T send-keys -t run +
expect_screen run 3 'refresh 0\.5s' "+: refreshes twice as often"
$T send-keys -t run - -
expect_screen run 3 'refresh 2\.0s' "-: half as often"
$T send-keys -t run +
$T send-keys -t run b
expect_screen run 3 '\[vs BASELINE\]' "b: the tables show the change since now"
sleep 1.5
check "b: the 2 MiB config table has not changed since: no longer on top" \
	sh -c '! echo "$1" | grep -q load_config_table' sh "$(first_row run "$TOP_HDR")"
$T send-keys -t run B
sleep 1.5
check "B: clears it: the config table is back on top" \
	sh -c 'echo "$1" | grep -q load_config_table' sh "$(first_row run "$TOP_HDR")"

# --- resize ------------------------------------------------------------------
$T resize-window -t run -x 200 -y 60
expect_screen run 3 'leak_request_buffer' "resize to 200x60: the table redraws"
lines=$(screen run | wc -l)
last=$(screen run | sed -n '60p')
check "resize to 200x60: the footer moves to line 60 ($lines lines)" \
	sh -c 'echo "$1" | grep -q "F1Help"' sh "$last"
# each_view SIZE LAST_LINE: every view redraws at this size, footer last.
each_view()
{
	local size=$1 nl=$2 key re what
	for v in "g|VERDICT +LIVE +GROWTH/s|growth" "f|flame of live bytes|flame" \
		"a l|log: leaktop\.demo|log" "a Enter|^stack [0-9]+|detail" \
		"Escape ?|F6  <  >|help" "Escape t|THREADS +S +LIVE|threads" \
		"a|LIVE +BLOCKS|top"; do
		key=${v%%|*} re=${v#*|} what=${re#*|} re=${re%|*}
		# shellcheck disable=SC2086 # key holds several keys
		$T send-keys -t run $key
		expect_screen run 3 "$re" "$size: the $what view redraws"
		check "$size: ... its footer on line $nl" \
			sh -c '[ "$(tmux -S "$1" capture-pane -p -t run | sed -n "${2}p" | grep -c .)" = 1 ]' \
			sh "$SOCK" "$nl"
	done
}
each_view 200x60 60
$T send-keys -t run t
expect_screen run 3 'parked_worker < start_parked_worker' \
	"200x60: the threads view names the creator in full"
$T send-keys -t run a
$T resize-window -t run -x 60 -y 20
expect_screen run 3 'terminal too small' "resize to 60x20: says the terminal is too small"
$T resize-window -t run -x 80 -y 24
expect_screen run 3 'LIVE +BLOCKS' "resize back to 80x24: the table returns"
each_view "back to 80x24" 24

# --- q ends the program and restores the terminal -----------------------------
$T send-keys -t run q
expect_screen run 5 'LEAKTOP-EXIT=143' "q: ends the program (SIGTERM: status 143) and exits with its status"
alt=$($T display -p -t run '#{alternate_on}')
check "q: the terminal is restored (alternate screen off: $alt)" [ "$alt" = 0 ]
$T kill-session -t run

# --- the program exits on its own: the view stays, says so --------------------
start short 80 24 "$LT" run -- "$BUILD/targets/malloc"
expect_screen short 5 'exited 3' "program exit: the view stays and shows the exit status"
expect_screen short 3 'leak_malloc_64x100' "program exit: the view keeps the unfreed-at-exit table"
# s saves what the view holds; the recording has the exact figures at exit.
$T send-keys -t short s
expect_screen short 3 'save recording as: leaktop\.malloc\.[0-9]+\.lkt' "s: asks where, with a default name"
for _ in $(seq 40); do $T send-keys -t short BSpace; done
$T send-keys -t short "$TMP/saved.lkt" Enter
expect_screen short 3 "saved [0-9]+ snapshots to $TMP/saved.lkt" "s: says what it saved"
"$LT" report "$TMP/saved.lkt" --format folded >"$TMP/saved.folded" 2>&1
got=$(sum_frames "$TMP/saved.folded" leak_malloc_64x100)
check "s: the saved recording has leak_malloc_64x100 live_bytes = 6400 (got $got)" [ "$got" = 6400 ]
"$LT" report "$TMP/saved.lkt" >"$TMP/saved.txt" 2>&1
check "s: ... and says the program exited with status 3" grep -q "exited with status 3" "$TMP/saved.txt"
$T send-keys -t short q
expect_screen short 3 'LEAKTOP-EXIT=3' "program exit: q exits with the program's status"
$T kill-session -t short

# --- SIGKILL --------------------------------------------------------------------
start killed 80 24 "$LT" run -- "$DEMO" 120
expect_screen killed 5 'leak_request_buffer' "killed: the view is running"
pid=$(screen killed | sed -n 's/.*(pid \([0-9]*\)).*/\1/p' | head -n 1)
[ -n "$pid" ] && kill -KILL "$pid"
expect_screen killed 5 'killed by' "killed: the view says the program was killed"
$T send-keys -t killed q
expect_screen killed 3 'LEAKTOP-EXIT=137' "killed: exit status 128+9"
$T kill-session -t killed

# --- attach: quitting leaves the program running ------------------------------
LD_PRELOAD=$PROBE "$DEMO" 120 >"$TMP/attached.out" &
apid=$!
sleep 1
start attach 80 24 "$LT" attach "$apid"
expect_screen attach 5 "demo \\(pid $apid\\)" "attach: the view opens on the running process"
expect_screen attach 5 'leak_request_buffer' "attach: shows its leak"
# The viewer maps the segment read-only: no store of its own reaches the target.
vmaps=
for v in $(pgrep -f "attach $apid"); do
	grep -q ' /dev/shm/leaktop\.' "/proc/$v/maps" 2>/dev/null &&
		vmaps+=$(grep ' /dev/shm/leaktop\.' "/proc/$v/maps" | awk '{print $2}')$'\n'
done
check "attach: the viewer maps the segment, read-only only ($(echo $vmaps))" \
	bash -c '[ -n "$1" ] && ! grep -qv "^r--s$" <<<"$1"' _ "$(sed '/^$/d' <<<"$vmaps")"
$T send-keys -t attach q
expect_screen attach 3 'LEAKTOP-EXIT=0' "attach: q exits 0"
sleep 0.5
check "attach: the program keeps running after the view quits" kill -0 "$apid"
before=$(wc -l <"$TMP/attached.out")
sleep 1.5
after=$(wc -l <"$TMP/attached.out")
check "attach: ... and keeps working ($before -> $after lines of output)" [ "$after" -gt "$before" ]
kill "$apid" 2>/dev/null
wait "$apid" 2>/dev/null
$T kill-session -t attach

# --- attach to a program started without the probe: D takes it out ------------
"$BUILD/targets/server" 30 >/dev/null 2>&1 &
spid=$!
started $spid "$BUILD/targets/server"
sleep 0.3
start attach2 100 24 "$LT" attach "$spid"
expect_screen attach2 8 "server \\(pid $spid\\)  running  tracking since [0-9]{2}:[0-9]{2}:[0-9]{2}" \
	"attach, no probe before: the header says since when it tracks"
expect_screen attach2 8 'leak_session' "attach, no probe before: the leak shows"
$T send-keys -t attach2 D
expect_screen attach2 5 '\[DETACHED\] tracked from' "D: the header says the probe is detached"
expect_screen attach2 5 'probe detached: the program runs as before it; D attaches again' \
	"D: the footer says what was done"
$T send-keys -t attach2 D
expect_screen attach2 5 'attached again: tracking from now' "D again: attached again"
expect_screen attach2 5 'running  tracking since' "D again: the header tracks again"
$T send-keys -t attach2 q
expect_screen attach2 3 'LEAKTOP-EXIT=0' "attach, no probe before: q exits 0"
check "attach, no probe before: the program runs on after the view quits" kill -0 "$spid"
kill "$spid" 2>/dev/null
wait "$spid" 2>/dev/null
$T kill-session -t attach2

# --- terminals, colours and themes -------------------------------------------
# The SGR codes the view drew, as tmux keeps them: 38;5;N is a 256-colour
# index, 30-37 and 90-97 the 8 and 16 colours, 39 and 49 "default colour".
sgr()
{
	$T capture-pane -e -p -t "$1" | grep -o $'\e\[[0-9;]*m' | tr -d '\033[m' | tr ';' '\n' |
		sort -u | tr '\n' ' '
}

# term_case NAME WHAT RUN_OPTIONS ENV... : `leaktop run RUN_OPTIONS` under
# ENV, showing the demo's leak.
term_case()
{
	local name=$1 what=$2 opts=$3
	shift 3
	# shellcheck disable=SC2086 # opts holds several words
	start "$name" 80 24 env "$@" "$LT" run $opts -- "$DEMO" 60
	expect_screen "$name" 5 'leak_request_buffer' "$what: the view draws"
}

term_case t256 "xterm-256color" "" TERM=xterm-256color
codes=$(sgr t256)
check "xterm-256color: 256-colour indices ($codes)" sh -c 'echo " $1" | grep -q " 5 "' sh "$codes"
for term in linux screen; do
	term_case "t$term" "TERM=$term (8 colours)" "" TERM=$term
	codes=$(sgr "t$term")
	check "TERM=$term: only the 8 colours ($codes)" \
		sh -c 'echo " $1" | grep -Eq " 3[0-7] " && ! echo " $1" | grep -Eq " (38|9[0-7]|10[0-7]) "' \
		sh "$codes"
done
mono_re=' (3[0-7]|4[0-7]|38|48|9[0-7]|10[0-7]) '
term_case tvt100 "TERM=vt100 (no colours)" "" TERM=vt100
term_case tnocolor "NO_COLOR" "" NO_COLOR=1 TERM=xterm-256color
term_case tmono "--theme mono" "--theme mono" TERM=xterm-256color
for name in tvt100 tnocolor tmono; do
	codes=$(sgr $name)
	check "$name: no colour at all, reverse video for the headings ($codes)" \
		sh -c 'echo " $1" | grep -q " 7 " && ! echo " $1" | grep -Eq "$2"' sh "$codes" "$mono_re"
done
term_case tascii "LANG=C" "" LANG=C LC_ALL=C TERM=xterm-256color
check "LANG=C: the sparkline falls back to ASCII (no byte above 0x7f)" \
	sh -c '! tmux -S "$1" capture-pane -p -t tascii | LC_ALL=C grep -q "[^ -~]"' sh "$SOCK"
# The trend has a column a 100 ms tick: the first frame may come before
# there are 8 of them, the next refresh has them.
expect_screen tascii 5 '^[_.~=+*#-]{8}' "LANG=C: ... and still draws a trend"
for name in t256 tlinux tscreen tvt100 tnocolor tmono tascii; do
	$T send-keys -t $name q
	expect_screen $name 5 'LEAKTOP-EXIT=143' "$name: q ends it and restores the terminal"
	$T kill-session -t $name
done

# --- the segment disappears under the view -------------------------------------
# Removed by name: the mapping still reads, and the view says so. Truncated:
# reading past the new end would be SIGBUS; the view keeps the last snapshot,
# says why, and quits cleanly. (The probe, writing to it, dies of SIGBUS: a
# limit the README states.)
LD_PRELOAD=$PROBE "$DEMO" 120 >/dev/null &
spid=$!
started $spid "$DEMO"
sleep 1
start segment 100 24 "$LT" attach "$spid"
expect_screen segment 5 'leak_request_buffer' "segment: the view opens"
seg=$(cd /dev/shm && ls -d "leaktop.$spid."* 2>/dev/null | head -n 1)
check "segment: the probe's segment is in /dev/shm ($seg)" [ -n "$seg" ]
rm -f "/dev/shm/$seg"
expect_screen segment 3 "segment $seg removed; still read while the program runs" \
	"segment removed: the view says so and reads on"
expect_screen segment 1 "demo \\(pid $spid\\) +running" "segment removed: the program still runs"
kill "$spid"
wait "$spid" 2>/dev/null
$T send-keys -t segment q
expect_screen segment 3 'LEAKTOP-EXIT=0' "segment removed: q exits 0"
$T kill-session -t segment

LD_PRELOAD=$PROBE "$DEMO" 120 >/dev/null 2>&1 &
spid=$!
started $spid "$DEMO"
disown "$spid" # its SIGBUS is expected: no job report
sleep 1
start segment 100 24 "$LT" attach "$spid"
expect_screen segment 5 'leak_request_buffer' "segment truncated: the view opens"
seg=$(cd /dev/shm && ls -d "leaktop.$spid."* 2>/dev/null | head -n 1)
truncate -s 0 "/dev/shm/$seg"
expect_screen segment 3 "segment $seg: truncated under the reader; showing the last snapshot" \
	"segment truncated: the view survives and says why"
expect_screen segment 1 'leak_request_buffer' "segment truncated: the last table stays"
$T send-keys -t segment q
expect_screen segment 3 'LEAKTOP-EXIT=0' "segment truncated: q exits 0"
kill -KILL "$spid" 2>/dev/null
rm -f "/dev/shm/$seg"
$T kill-session -t segment

# --- replay: the views on a recording, and its timeline -------------------------
# The golden recording of the demo (tests/golden/README.md): 4 snapshots at
# 0.001, 1.002, 2.002 and 2.010 s (the last at exit); the leak holds 10 and
# 20 blocks of 4 KiB at 1 and 2 s. The figures each screen must show come
# from `leaktop report` at the same snapshot, read here, not from the view.
cp tests/golden/demo-2s.lkt "$TMP/demo.lkt"
cp tests/golden/demo-2s.lkt "$TMP/other.lkt"
# leak_row FILE K [BASE_K]: the top table's row of leak_request_buffer at
# snapshot K (less snapshot BASE_K), as ui_bytes writes its live bytes
# (under 10 KiB with a decimal, then whole KiB), then its blocks.
leak_row()
{
	local b n
	b=$(sum_frames <("$LT" report "$TMP/$1" --at "$2" --format folded) leak_request_buffer)
	n=$(sum_frames <("$LT" report "$TMP/$1" --at "$2" --format folded --metric live_blocks) leak_request_buffer)
	if [ -n "${3:-}" ]; then
		b=$((b - $(sum_frames <("$LT" report "$TMP/$1" --at "$3" --format folded) leak_request_buffer)))
		n=$((n - $(sum_frames <("$LT" report "$TMP/$1" --at "$3" --format folded --metric live_blocks) leak_request_buffer)))
	fi
	awk -v b="$b" -v n="$n" 'BEGIN {
		if (b < 1024) s = sprintf("%dB", b)
		else if (b < 10240) s = sprintf("%.1fK", b / 1024)
		else s = sprintf("%.0fK", b / 1024)
		printf "^ +%s +%d .*leak_request_buffer\n", s, n }'
}
HDR='leaktop  demo \(pid 14107\)'
CLOCK='[0-9]{2}:[0-9]{2}:[0-9]{2}'
start replay 100 24 "$LT" replay demo.lkt
expect_screen replay 5 "^$HDR  running  snapshot 1/4  $CLOCK \\+0\\.0s  paused" \
	"replay: opens on snapshot 1 of 4, its wall time and offset, paused"
expect_screen replay 1 '\[\]Step pPlay ,\.Speed' "replay: the footer names the timeline's keys"
$T send-keys -t replay ']'
expect_screen replay 3 "^$HDR  running  snapshot 2/4  $CLOCK \\+1\\.0s  paused" "replay: ] steps to snapshot 2"
re=$(leak_row demo.lkt 2)
expect_screen replay 3 "$re" "replay: at snapshot 2 the leak's row is report --at 2's ($re)"
$T send-keys -t replay End
expect_screen replay 3 "^$HDR  exited 0  snapshot 4/4  $CLOCK \\+2\\.0s  paused" \
	"replay: End jumps to the last snapshot, the program's exit"
re=$(leak_row demo.lkt 4)
expect_screen replay 3 "$re" "replay: at snapshot 4 the leak's row is report --at 4's ($re)"
check "replay: ... 20 blocks, 80K: the demo's known figure at 2 s" [ "$re" = '^ +80K +20 .*leak_request_buffer' ]
$T send-keys -t replay Home
expect_screen replay 3 "snapshot 1/4 " "replay: Home jumps to the first"
$T send-keys -t replay '}'
expect_screen replay 3 "snapshot 4/4 " "replay: } jumps to the last"
$T send-keys -t replay '{' Right
expect_screen replay 3 "snapshot 2/4 " "replay: { and Right: the first, then one on"
$T send-keys -t replay Right Left '['
expect_screen replay 3 "snapshot 1/4 " "replay: Right, Left and [ step"
# In the flame graph, Left and Right move along a row; [ and ] still step.
$T send-keys -t replay ']' f
expect_screen replay 3 'flame of live bytes' "replay: the flame view"
$T send-keys -t replay Right Right
sleep 0.5
check "replay: in the flame view Right moves the selection, not the timeline" \
	sh -c 'tmux -S "$1" capture-pane -p -t replay | grep -q "snapshot 2/4 "' sh "$SOCK"
$T send-keys -t replay ']'
expect_screen replay 3 "snapshot 3/4 " "replay: in the flame view ] steps"
$T send-keys -t replay g
expect_screen replay 3 'VERDICT +LIVE +GROWTH/s' "replay: the growth view"
$T send-keys -t replay t
expect_screen replay 3 '^ +1 S +256B .*in pthread_cond_wait <- parked_worker' \
	"replay: the threads view, the parked worker of the thread snapshot in force"
$T send-keys -t replay a / leak_req Enter Enter
expect_screen replay 3 '^ +0 leak_request_buffer +tests/targets/demo\.c' "replay: the detail view"
$T send-keys -t replay Escape '?'
expect_screen replay 3 '\[  \]  Left Right +step back / forward a snapshot' "replay: the help lists the timeline's keys"
expect_screen replay 1 'p  space   ,  \. +play / pause' "replay: ... play and speed too"
# b at snapshot 3: the tables show the change since; at 4, the leak has
# not grown (it holds 20 blocks at 2.002 s and at exit).
$T send-keys -t replay Escape a b
expect_screen replay 3 'base: snapshot 3' "replay: b sets the baseline at the snapshot shown"
$T send-keys -t replay ']'
re=$(leak_row demo.lkt 4 3)
expect_screen replay 3 "$re" "replay: b at 3, at 4 the leak's row is the change ($re)"
$T send-keys -t replay B Home p
expect_screen replay 3 "snapshot 4/4  $CLOCK \\+2\\.0s  paused" "replay: p plays at 10x to the end, and stops"
$T send-keys -t replay q
expect_screen replay 3 'LEAKTOP-EXIT=0' "replay: q exits 0"
$T kill-session -t replay

# Play at 1x: a second of the recording a second; . doubles the speed.
start replay 100 24 "$LT" replay demo.lkt --speed 1
expect_screen replay 5 'snapshot 1/4 ' "replay --speed 1: opens"
$T send-keys -t replay p
expect_screen replay 3 "snapshot 1/4  $CLOCK \\+0\\.0s  playing ×1\$" "replay: p plays, at --speed 1"
expect_screen replay 3 "snapshot 2/4  $CLOCK \\+1\\.0s  playing ×1\$" "replay: ... reaches snapshot 2 a second later"
$T send-keys -t replay .
expect_screen replay 3 'playing ×2$' "replay: . doubles the speed"
expect_screen replay 3 'speed ×2: 2 s of the recording a second' "replay: ... and says so"
expect_screen replay 3 "snapshot 4/4  $CLOCK \\+2\\.0s  paused" "replay: ... and play stops at the end"
$T send-keys -t replay q
$T kill-session -t replay

# --base: the change since a snapshot of this file, or of another run's
# (matched by name): at 4, the leak has 10 blocks more than at 2.
re=$(leak_row demo.lkt 4 2)
for base in demo.lkt@2 demo.lkt@-1s other.lkt@2; do
	start replay 100 24 "$LT" replay demo.lkt --base "$base"
	expect_screen replay 5 "group function  base: $base\$" "replay --base $base: the header names it"
	$T send-keys -t replay End
	expect_screen replay 3 "$re" "replay --base $base: at 4, the leak's row is the change ($re)"
	expect_screen replay 1 '^ +0B +0 .*load_config_table' "replay --base $base: the config table did not change"
	$T send-keys -t replay q
	$T kill-session -t replay
done
check "replay --base: ... 10 blocks, 40K: the demo's leak over a second" [ "$re" = '^ +40K +10 .*leak_request_buffer' ]

# A torn copy replays what is complete and says where it stopped; a
# corrupt one is one line, and status 2, before the screen changes.
size=$(stat -c %s "$TMP/demo.lkt")
head -c $((size - 300)) "$TMP/demo.lkt" >"$TMP/torn.lkt"
n=$("$LT" report "$TMP/torn.lkt" --format json 2>/dev/null | grep -o '"snapshots": [0-9]*' | grep -o '[0-9]*$')
start replay 100 24 "$LT" replay torn.lkt
expect_screen replay 5 "snapshot 1/$n " "replay of a torn file: opens, on the $n complete snapshots"
expect_screen replay 1 '^stopped at offset [0-9]+: truncated record' "replay of a torn file: says where it stopped"
$T send-keys -t replay End
expect_screen replay 3 "^$HDR  running  snapshot $n/$n " "replay of a torn file: its last complete snapshot, no exit seen"
$T send-keys -t replay q
$T kill-session -t replay
cp "$TMP/demo.lkt" "$TMP/corrupt.lkt"
printf '\377\377\377\377' | dd of="$TMP/corrupt.lkt" bs=1 seek=200 conv=notrunc 2>/dev/null
start replay 100 24 "$LT" replay corrupt.lkt
expect_screen replay 3 'LEAKTOP-EXIT=2' "replay of a corrupt file: exit 2"
check "replay of a corrupt file: one line, the reader's, with the offset" \
	sh -c '[ "$(tmux -S "$1" capture-pane -p -t replay | grep -c .)" -eq 2 ] &&
		tmux -S "$1" capture-pane -p -t replay | grep -q "^leaktop: corrupt.lkt: offset 136: "' sh "$SOCK"
$T kill-session -t replay

# Round trip: record the demo for 3 s; report and the replay's last
# snapshot show the leak's known figure, 30 blocks of 4 KiB.
"$LT" record -q -o "$TMP/rt.lkt" -- "$DEMO" 3 >/dev/null 2>&1
got=$(sum_frames <("$LT" report "$TMP/rt.lkt" --format folded) leak_request_buffer)
check "round trip: report of demo 3 s: leak_request_buffer 122880 bytes (got $got)" [ "$got" = 122880 ]
start replay 100 24 "$LT" replay rt.lkt
expect_screen replay 5 'snapshot 1/[0-9]+ ' "round trip: replay opens"
$T send-keys -t replay End
expect_screen replay 3 '^ +120K +30 .*leak_request_buffer' "round trip: replay's last snapshot, 30 blocks, 120K"
$T send-keys -t replay q
$T kill-session -t replay
# The other run as the base: its stacks are matched by name. At exit the
# golden demo (2 s) holds 10 blocks fewer than this one (3 s).
start replay 100 24 "$LT" replay demo.lkt --base rt.lkt
$T send-keys -t replay End
expect_screen replay 5 '^ +-40K +-10 .*leak_request_buffer' \
	"round trip: replay --base another run's recording: the leak's row, -10 blocks, -40K"
$T send-keys -t replay q
$T kill-session -t replay

# --- bad input ------------------------------------------------------------------
# --- sampling: the header says the figures are estimates ----------------------
start sampled 120 24 "$LT" run --sample 512K -- "$BUILD/targets/growth" 30
expect_screen sampled 5 '\[sampled, mean 512(\.0)?K(iB)?: estimates\]' \
	"--sample 512K: the header says the figures are sampled estimates"
expect_screen sampled 8 'leak_session_state' "--sample 512K: the 1 MiB/s leak shows within seconds"
$T send-keys -t sampled q
expect_screen sampled 3 'LEAKTOP-EXIT=143' "--sample: q ends the program with SIGTERM (143)"
$T kill-session -t sampled

start badattach 80 24 "$LT" attach 999999
expect_screen badattach 3 'LEAKTOP-EXIT=2' "attach to a pid that does not exist: exit 2"
expect_screen badattach 1 '^leaktop: no process 999999$' \
	"attach to a pid that does not exist: one clear line"
$T kill-session -t badattach
# Themes: a bad one is named with its file and line, whether it comes from
# --theme or from the config file; a missing one says where it was looked for.
printf 'header = fg=cyan\n\nleak = fg=purplish\n' >"$TMP/bad.theme"
mkdir -p "$TMP/home/.config/leaktop"
echo "theme = $TMP/bad.theme" >"$TMP/home/.config/leaktop/leaktop.conf"
start badtheme 200 24 "$LT" run --theme "$TMP/bad.theme" -- true
expect_screen badtheme 3 "^leaktop: $TMP/bad.theme:3: unknown colour 'purplish'\$" \
	"--theme with a bad file: one line naming file and line"
expect_screen badtheme 1 'LEAKTOP-EXIT=2' "--theme with a bad file: exit 2"
$T kill-session -t badtheme
start badtheme 200 24 HOME="$TMP/home" "$LT" run -- true
expect_screen badtheme 3 "^leaktop: $TMP/bad.theme:3: unknown colour 'purplish'\$" \
	"leaktop.conf naming a bad theme: the same line"
expect_screen badtheme 1 'LEAKTOP-EXIT=2' "leaktop.conf naming a bad theme: exit 2"
$T kill-session -t badtheme
start badtheme 200 24 "$LT" run --theme nosuch -- true
expect_screen badtheme 3 '^leaktop: no theme nosuch \(looked in .*/themes' \
	"--theme nosuch: says where it looked"
expect_screen badtheme 1 'LEAKTOP-EXIT=2' "--theme nosuch: exit 2"
$T kill-session -t badtheme
"$LT" run -- true </dev/null >/dev/null 2>"$TMP/notty.err"
rc=$?
check "run without a terminal: exit 2 and one line (got $rc)" \
	sh -c '[ "$1" -eq 2 ] && [ "$(wc -l <"$2")" -eq 1 ]' sh "$rc" "$TMP/notty.err"

# --- a program with its own malloc: the footer says why the table is empty ---
# (tests/integration/blind/own_malloc.c; run.sh checks record and report.)
if cc -O1 -o "$TMP/own_malloc" tests/integration/blind/own_malloc.c; then
	start own 120 24 "$LT" run -- "$TMP/own_malloc"
	expect_screen own 5 "no allocations seen: $TMP/own_malloc defines its own malloc" \
		"own malloc: the footer says why no allocation is seen"
	expect_screen own 1 'exited 0' "own malloc: ... with the program's exit in the header"
	$T send-keys -t own q
	expect_screen own 3 'LEAKTOP-EXIT=0' "own malloc: q exits 0"
else
	bad "own_malloc.c builds"
fi

$T kill-server 2>/dev/null
rm -f "$TMP"/leaktop.*.log
finish tui
