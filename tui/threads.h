/* threads.h - thread groups: the live threads of one thread snapshot,
 * grouped by where they were created and where they are now, as pprof's
 * goroutine profile groups goroutines by stack.
 *
 * Ownership: a thread_groups owns its arrays; the threads it points at
 * belong to the profile's thread snapshot. */
#ifndef LEAKTOP_THREADS_H
#define LEAKTOP_THREADS_H

#include <stddef.h>
#include <stdint.h>

#include "shared/profile.h"

struct thread_group {
	uint32_t create_stack; /* LT_STACK_NONE: not seen created */
	uint32_t wait_stack;   /* LT_STACK_NONE: unknown, see wait */
	uint8_t wait;          /* enum lt_wait of the members, when wait_stack is none */
	char state;            /* the members' state when they agree, else '*' */
	uint32_t count;
	uint64_t live_bytes;              /* the members' live bytes, summed */
	const struct lt_thread **members; /* count of them, by tid */
	/* From thread_groups_trend: the group's count in each thread snapshot
	 * of the window, oldest first. */
	double *series;
	uint32_t nseries;
	int leak; /* the count keeps rising while every member is blocked */
};

struct thread_groups {
	struct thread_group *g;       /* largest first */
	const struct lt_thread **all; /* the live threads; groups are runs of it */
	uint32_t n;
	uint32_t live, ended;      /* threads in the snapshot */
	uint64_t ended_live_bytes; /* still live, allocated by threads that ended */
	double *series_block;      /* every group's series, one allocation */
};

/* Groups the live threads of ts. Never fails (dies when out of memory). */
void thread_groups_build(struct thread_groups *out, const struct thread_snap *ts);
void thread_groups_free(struct thread_groups *g);

/* Fills each group's series and verdict from thread snapshots [last + 1 -
 * window, last] of p (the groups come from snapshot last). A group is a
 * thread leak when none of its members is running and its count keeps
 * rising: the floor of the window's second half is above the window's
 * lowest count, the newest count is above that floor, and the count rose
 * by two at least. */
void thread_groups_trend(struct thread_groups *tg, const struct profile *p, uint32_t last,
                         uint32_t window);

/* A one-line summary of where a thread waits: "in LIBC_CALL <- PROGRAM_FN"
 * (the libc function the program called, and the program's frame that
 * called it), from the stack's symbols. Written into buf; returns buf. */
const char *thread_where(const struct profile *p, uint32_t stack, char *buf, size_t n);

/* The function that created a thread: the creation stack's leaf. */
const char *thread_creator_name(const struct profile *p, uint32_t stack, char *buf, size_t n);

/* "running", "sleeping", "disk wait", "stopped", ... for a /proc state letter. */
const char *thread_state_name(char state);

/* Why a current stack is unknown, for enum lt_wait. */
const char *thread_wait_name(uint8_t wait);

#endif
