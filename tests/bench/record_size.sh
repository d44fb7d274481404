#!/bin/bash
# record_size.sh BUILD_DIR [SECONDS] - how big a recording grows: the demo
# recorded at the default 1 s interval for SECONDS (default 600), then the
# file's size and the bytes each record type takes.
set -eu
build=$1
secs=${2:-600}
out=$build/bench/demo-$secs.lkt
mkdir -p "$build/bench"
echo "recording tests/targets/demo for $secs s at 1 s into $out"
"$build/leaktop" record -q -o "$out" -- "$build/targets/demo" "$secs" >/dev/null
size=$(stat -c %s "$out")
echo "size: $size bytes ($(awk -v s="$size" 'BEGIN { printf "%.2f MB", s / 1e6 }'))"
# Walk the records: type and stored length from each 16-byte header.
od -An -v -tu1 -w1 "$out" | awk -v size="$size" '
	{ b[NR - 1] = $1 }
	function u32(o) { return b[o] + 256 * (b[o + 1] + 256 * (b[o + 2] + 256 * b[o + 3])) }
	END {
		split("META STACKS SYMBOLS SNAPSHOT TICKS END THREADS DELTA", name, " ")
		for (off = 16; off + 16 <= size; off += 16 + len) {
			t = u32(off); len = u32(off + 4)
			n[t]++; bytes[t] += 16 + len
		}
		for (t = 1; t <= 8; t++)
			if (n[t]) printf "  %-8s %6d records %10d bytes\n", name[t], n[t], bytes[t]
	}'
