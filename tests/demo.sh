#!/usr/bin/env bash
# `make demo`: runs the bundled leaky demo under `leaktop record`, then shows
# what leaks. Usage: demo.sh BUILD_DIR [SECONDS]
set -euo pipefail
build=$1
secs=${2:-${DEMO_SECONDS:-12}}
out=$build/demo.lkt
rm -f "$out"
echo "demo: recording $build/targets/demo for $secs s (leaktop record -o $out)"
"$build/leaktop" record -o "$out" -- "$build/targets/demo" "$secs"
echo
echo "demo: leaktop report $out --top 5"
"$build/leaktop" report "$out" --top 5
