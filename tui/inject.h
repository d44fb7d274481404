/* inject.h - loading the probe into a running process, with ptrace.
 *
 * inject_call stops every thread of a process (PTRACE_SEIZE, then
 * PTRACE_INTERRUPT), waits until none is inside the allocator, the dynamic
 * loader or thread creation (whose locks it may hold), makes one thread
 * call dlopen(probe) and then one of the probe's exported functions,
 * restores that thread's registers, and lets every thread go. Every error
 * lets them go too: a process is never left stopped. x86-64 Linux only. */
#ifndef LEAKTOP_INJECT_H
#define LEAKTOP_INJECT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct inject_report {
	uint64_t stop_ns; /* the longest time the threads were held stopped */
	int threads;      /* threads stopped, the last time */
	int stops;        /* stops made: more than 1 when a thread was busy */
	long result;      /* what the probe's function returned */
};

/* Why ptrace may not be used on pid, as one line in why, with its remedy:
 * another user's process, one already traced, Yama's ptrace_scope. 0 when
 * nothing stands in the way that can be seen without trying. */
int inject_refusal(pid_t pid, char *why, size_t n);

/* The state of the probe in pid (enum lt_attach_state, read from its
 * exported leaktop_state without stopping it) and its path; -1 when pid
 * has no libleaktop.so mapped, or it cannot be read. */
int inject_probe_state(pid_t pid, char *path, size_t n);

/* Loads probe (a path the process can open) into pid unless it is there,
 * and calls its exported function fn(arg) on one thread, every thread
 * stopped meanwhile. With load 0 the probe must be loaded already
 * (RTLD_NOLOAD). 0 and the report, or -1 with one line in err. */
int inject_call(pid_t pid, const char *probe, int load, const char *fn, const char *arg,
                struct inject_report *rep, char *err, size_t n);

#endif
