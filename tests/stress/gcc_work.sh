#!/bin/bash
# gcc_work.sh REPO - gcc at work in the current directory, for the stress
# suite: compiles leaktop's shared/ code to objects with warnings on, and
# builds the demo target into a program. run.sh compares what it prints,
# its status and the files it makes with a bare run's.
set -eu
repo=$1
gcc -std=gnu11 -O2 -Wall -Wextra -I"$repo" -c "$repo"/shared/*.c
gcc -std=gnu11 -O2 -Wall -o demo "$repo/tests/targets/demo.c" -lpthread
ls *.o demo
