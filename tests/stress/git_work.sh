#!/bin/bash
# git_work.sh - a small repository's life in the current directory, for
# the stress suite (run.sh runs it bare and under the probe, following
# every exec, and compares). Dates, names and configuration are fixed, so
# every hash and every line of output is the same on every run.
set -eu
export HOME=$PWD GIT_CONFIG_NOSYSTEM=1 LC_ALL=C TZ=UTC
export GIT_AUTHOR_NAME=Stress GIT_AUTHOR_EMAIL=stress@example.org
export GIT_COMMITTER_NAME=Stress GIT_COMMITTER_EMAIL=stress@example.org
when=1700000000
# tick: the clock moves a minute; every commit, merges too, takes it.
tick()
{
	when=$((when + 60))
	export GIT_AUTHOR_DATE="@$when +0000" GIT_COMMITTER_DATE="@$when +0000"
}
commit()
{
	tick
	git commit -q "$@"
}
git init -q -b main repo
cd repo
for i in $(seq 1 30); do
	seq "$i" $((i * 50)) >"numbers$((i % 7)).txt"
	printf 'line %d of the notes\n' $(seq 1 "$i") >notes.txt
	git add -A
	commit -m "change $i"
done
git branch feature HEAD~10
git checkout -q feature
echo "a change on the side" >>notes.txt
git add notes.txt
commit -m "side change"
git checkout -q main
tick
git merge -q --no-edit -X ours feature 2>/dev/null || git merge --abort
git log --oneline | head -n 5
git log --stat -3 --format='%H %s'
git diff --stat HEAD~12 HEAD
git blame -s numbers3.txt | tail -n 3
git grep -c 'line 2' || true
git gc -q
git fsck --no-progress 2>&1
git count-objects | sed 's/, [0-9]* kilobytes//'
git rev-parse HEAD 'HEAD^{tree}'
git status --short | wc -l
