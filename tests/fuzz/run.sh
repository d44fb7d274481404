#!/bin/sh
# Builds the recording fuzzer (the reader, then leaktop diff on what it read) with clang (libFuzzer + ASan + UBSan) into
# build/fuzz/ and runs it for SECONDS (default 20) from a seed corpus the
# real writer makes. Needs clang and libclang-rt-dev; independent of the
# Makefile. Crashes are left in build/fuzz/ as crash-* files.
#
#   tests/fuzz/run.sh [SECONDS]
set -eu
secs=${1:-20}
cd "$(dirname "$0")/../.."
out=build/fuzz
mkdir -p "$out/corpus" "$out/seeds"
src="shared/profile.c shared/recording.c shared/rec_writer.c shared/bytes.c shared/outfile.c"
diff="tui/diff.c tui/report.c tui/blind.c tui/growth.c tui/threads.c tui/xalloc.c"
CC=${CC:-clang}

$CC -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -I. -DPROF_ID_MAX=65536 \
    tests/fuzz/fuzz_recording.c $src $diff -lz -lelf -lm -o "$out/fuzz_recording"
$CC -g -O1 -I. tests/fuzz/seed_recording.c $src -lz -o "$out/seed_recording"
rm -f "$out"/seeds/*
"$out/seed_recording" "$out/seeds"

exec "$out/fuzz_recording" -max_total_time="$secs" -max_len=65536 -rss_limit_mb=2048 \
    -timeout=10 -print_final_stats=1 -artifact_prefix="$out/" "$out/corpus" "$out/seeds"
