#!/usr/bin/env bash
# together.sh CMD...: runs the suites CMD... side by side, each in its own
# shell with its output in a file, then prints each one's output whole, in
# the order given. Fails when any of them failed.
#
# The suites spend most of their time waiting: for a target to run its
# course, a snapshot interval, a screen in tmux. On two cores, run one
# after another, `make test` spent 7 of its 10 minutes in them at a third
# of the CPU. Each suite keeps its own scratch directory, tmux socket and
# ports, so nothing but the CPU is shared.
set -u
[ $# -ge 1 ] || { echo "usage: $0 CMD..." >&2; exit 2; }
out=$(mktemp -d "${TMPDIR:-/tmp}/leaktop-together.XXXXXX") || exit 2
trap 'rm -rf "$out"' EXIT

pids=()
for i in $(seq 1 $#); do
	bash -o pipefail -c "${!i}" >"$out/$i" 2>&1 &
	pids+=($!)
done
status=0
for i in $(seq 1 $#); do
	wait "${pids[$((i - 1))]}" || status=1
	cat "$out/$i"
done
exit $status
