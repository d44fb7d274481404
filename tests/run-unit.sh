#!/bin/sh
# Runs unit-test executables: exit 0 passes, 77 skips, anything else fails.
# Ends with the plain summary line "unit: N passed, N failed, N skipped".
pass=0 fail=0 skip=0
for t in "$@"; do
	name=$(basename "$t")
	out=$("$t" 2>&1)
	rc=$?
	case $rc in
	0) pass=$((pass + 1)); echo "PASS $name" ;;
	77) skip=$((skip + 1)); echo "SKIP $name: $(echo "$out" | tail -n 1)" ;;
	*) fail=$((fail + 1)); echo "FAIL $name (exit $rc)"; echo "$out" | sed 's/^/    /' | tail -n 40 ;;
	esac
done
echo "unit: $pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
