#!/usr/bin/env bash
# `make demo`: the live view on the bundled leaky demo (tests/targets/demo.c:
# a cache that fills and empties, a steady leak, parked threads). Without a
# terminal it records the demo instead and prints the report.
# Usage: demo.sh BUILD_DIR [SECONDS]
set -euo pipefail
build=$1
secs=${2:-${DEMO_SECONDS:-300}}
if [ -t 0 ] && [ -t 1 ]; then
	echo "demo: leaktop run -- $build/targets/demo $secs   (q quits, ? lists the keys)"
	sleep 1
	rc=0
	"$build/leaktop" run -- "$build/targets/demo" "$secs" || rc=$?
	# q ends the demo with SIGTERM, so leaktop exits 143 as the demo did:
	# for `make demo` that is the normal way out, not an error.
	[ "$rc" -eq 143 ] && rc=0
	exit "$rc"
fi
secs=${2:-${DEMO_SECONDS:-12}}
out=$build/demo.lkt
rm -f "$out"
echo "demo: no terminal; recording $build/targets/demo for $secs s (leaktop record -o $out)"
"$build/leaktop" record -o "$out" -- "$build/targets/demo" "$secs"
echo
echo "demo: leaktop report $out --top 5"
"$build/leaktop" report "$out" --top 5
