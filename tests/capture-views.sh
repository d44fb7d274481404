#!/bin/bash
# capture-views.sh BUILD_DIR - text captures of every view, for the README.
#
# Runs `leaktop run` on the demo in a detached 80x24 tmux session, waits
# until the cache has been flushed once (so the growth view has verdicts),
# and prints each view as a person would see it, one fenced block a view;
# then replays a recording of another run of the demo (`leaktop replay`).
set -eu
BUILD=${1:-build}
LT=$(cd "$BUILD" && pwd)/leaktop
DEMO=$(cd "$BUILD" && pwd)/targets/demo
TMP=$(mktemp -d /tmp/leaktop-capture.XXXXXX)
T="tmux -S $TMP/sock"
export TERM=xterm-256color LANG=C.UTF-8 LC_ALL=C.UTF-8
trap '$T kill-server 2>/dev/null; rm -rf "$TMP"' EXIT

$T new-session -d -s v -x 80 -y 24 "cd $TMP && $LT run -- $DEMO 120"
# A recording of another run, replayed once the live captures are done.
(cd "$TMP" && "$LT" record -q -o demo.lkt -- "$DEMO" 12 >/dev/null 2>&1) &
rec=$!
sleep 12
view()
{
	local title=$1
	shift
	[ $# -gt 0 ] && $T send-keys -t v "$@"
	sleep 1.5
	printf '%s\n\n```\n' "$title"
	$T capture-pane -p -t v | sed 's/[[:space:]]*$//'
	printf '```\n\n'
}
view "Top table (\`a\`):" a
view "Growth (\`g\`):" g
view "Flame (\`f\`), zoomed into main:" f j j j j Enter
view "Threads (\`t\`), the parked workers' group opened with Enter:" Escape Escape t Enter
view "Stack detail (Enter on a row of the top table):" Escape a Enter
view "Log (\`l\`):" Escape l
view "Help (\`?\`):" '?'
$T send-keys -t v q

# The replay: the recording of demo 12, three snapshots back from the end.
wait "$rec"
$T new-session -d -s r -x 80 -y 24 "cd $TMP && $LT replay demo.lkt"
sleep 1
$T send-keys -t r End '[' '[' '['
sleep 1
printf '%s\n\n```\n' "Replay (\`leaktop replay demo.lkt\`, End, then \`[\` three times):"
$T capture-pane -p -t r | sed 's/[[:space:]]*$//'
printf '```\n\n'
$T send-keys -t r q
