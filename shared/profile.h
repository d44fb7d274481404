/* profile.h - the snapshot model both the live reader and the recording
 * reader fill, and every report reads.
 *
 * Ownership: a profile owns everything reachable from it (stacks, symbol
 * strings, snapshots, ticks); pointers it hands out stay valid until the
 * next profile_add_* call of the same kind, or until profile_free.
 * Functions returning int give 0, or -1 with errno ENOMEM/EINVAL. */
#ifndef LEAKTOP_PROFILE_H
#define LEAKTOP_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#include "shm.h"

/* Bounds on what a profile accepts: ids index an array, and every source of
 * stacks (the shared-memory index, the recording format) carries a 16-bit
 * depth. */
#ifndef PROF_ID_MAX
/* The fuzzer builds with a smaller bound: a hostile id near 2^24 costs
 * nothing here (untouched zero pages) but 280 MB of shadow under ASan on
 * every input, which slows it to 60 runs a second. */
#define PROF_ID_MAX (1u << 24)
#endif
#define PROF_DEPTH_MAX 0xffffu

/* How a profiled program ended. */
enum prof_end {
	PROF_RUNNING = 0,  /* still running when last seen (or unknown) */
	PROF_EXITED = 1,   /* code is the exit status */
	PROF_SIGNALED = 2, /* code is the signal number */
};

/* A resolved frame. Strings are owned by the profile; never NULL ("" when
 * unknown); line 0 when unknown. */
struct frame_sym {
	uint64_t addr;
	const char *func;
	const char *module;
	const char *file;
	uint32_t line;
};

/* A loaded object of the recorded process, as the probe saw it: what a
 * reader needs to look up, later and elsewhere, what the recorder did not
 * (files and lines), and to know the file on disk is still the one that
 * ran (its build ID). */
struct prof_module {
	const char *path;      /* owned by the profile once added */
	uint64_t bias, lo, hi; /* load bias; the executable range, runtime addresses */
	uint8_t build_id[20];
	uint32_t build_id_len; /* 0 when the object has none */
};

struct prof_stack {
	uint32_t depth;   /* frames, leaf first */
	uint64_t *frames; /* return addresses; NULL when depth is 0 */
};

struct snap_entry {
	uint32_t id; /* stack id */
	struct lt_counts c;
};

struct snapshot {
	uint64_t seqno;
	uint64_t time_ns; /* CLOCK_REALTIME */
	struct lt_counts totals;
	uint64_t unknown_frees;
	uint64_t overflow_allocs;
	uint64_t probe_bytes;
	uint32_t n; /* entries, sorted by id, only stacks with a non-zero counter */
	struct snap_entry *e;
};

/* The threads as published at one moment (see struct lt_threads_header). */
struct thread_snap {
	uint64_t seqno;
	uint64_t time_ns; /* CLOCK_REALTIME */
	uint64_t created, ended, untracked;
	uint64_t capture_ns;
	uint64_t reused_live_bytes; /* ended threads' live bytes, slots reused */
	uint32_t n;                 /* threads, live and ended */
	struct lt_thread *t;
	uint32_t nsites;
	struct lt_thread_site *sites;
};

struct profile {
	char *program;
	int32_t pid;
	uint64_t start_ns;
	uint32_t interval_ms;
	uint32_t depth;
	/* 0: every allocation was recorded. Else the probe sampled with this
	 * mean gap in bytes, and every count here is already an estimate
	 * (sample.h): readers scale once, where a snapshot enters a profile. */
	uint32_t sample_bytes;

	struct prof_stack *stacks; /* indexed by id; see profile_stack() */
	uint8_t *stack_known;      /* per id: 1 when added */
	uint32_t stacks_cap;       /* ids with a slot */
	uint32_t *stack_order;     /* ids in the order they were added */
	uint32_t nstack_order;

	struct prof_module *mods; /* in the order added */
	uint32_t nmods, mods_cap;

	struct frame_sym *syms; /* in the order added */
	uint32_t nsyms;
	uint32_t syms_cap;
	uint32_t *sym_index; /* open addressing over syms: index + 1, 0 = empty */
	uint32_t sym_index_mask;
	char **sym_files; /* files set by profile_set_sym_file, owned */
	uint32_t nsym_files, sym_files_cap;

	struct snapshot *snaps; /* in time order */
	uint32_t nsnaps;
	uint32_t snaps_cap;
	size_t snaps_bytes; /* of every snapshot's entries, for profile_drop_snapshots */
	/* Bumped by every change to the snapshots (added, dropped, reset), so
	 * a reader can keep what it derived from them until it moves. */
	uint64_t generation;
	uint64_t resets; /* profile_reset calls: stacks and symbols started over */

	struct lt_tick *ticks;
	uint64_t nticks;
	uint64_t ticks_cap;

	struct thread_snap *tsnaps; /* in time order */
	uint32_t ntsnaps;
	uint32_t tsnaps_cap;

	enum prof_end end;
	int32_t end_code;
};

/* A new, empty profile; NULL when out of memory. */
struct profile *profile_new(void);
void profile_free(struct profile *p);

/* Empties p, as profile_new left it (a new process image after exec). */
int profile_reset(struct profile *p);

/* Sets the program name (copied). */
int profile_set_program(struct profile *p, const char *program);

/* Adds stack id with its frames (copied). Adding a known id again with the
 * same frames is a no-op; with other frames, -1 (EINVAL). Ids above
 * PROF_ID_MAX and depths above PROF_DEPTH_MAX are refused (EINVAL). */
int profile_add_stack(struct profile *p, uint32_t id, const uint64_t *frames, uint32_t depth);

/* The stack with this id, or NULL when none was added. */
const struct prof_stack *profile_stack(const struct profile *p, uint32_t id);

/* Adds a module (path copied). One with the same path and bias as a known
 * one is a no-op. -1 (EINVAL) for a build ID longer than 20 bytes or an
 * empty range. */
int profile_add_module(struct profile *p, const struct prof_module *m);

/* Adds the symbol of s->addr (strings copied); a known address is a no-op. */
int profile_add_sym(struct profile *p, const struct frame_sym *s);

/* Sets the file and line of the known symbol of addr (file copied), for a
 * symbolizer that looks lines up after functions; its other strings stay
 * where they were. -1 (EINVAL) when addr has no symbol. */
int profile_set_sym_file(struct profile *p, uint64_t addr, const char *file, uint32_t line);

/* The symbol of addr, or NULL. */
const struct frame_sym *profile_sym(const struct profile *p, uint64_t addr);

/* Appends a copy of s (and its entries); -1 (EINVAL) when the entries' ids
 * are not strictly increasing, since snapshot_find depends on it. */
int profile_add_snapshot(struct profile *p, const struct snapshot *s);

/* As profile_add_snapshot, but takes s->e (malloc'ed, s->n entries or
 * more) instead of copying it: p frees it. On failure the caller keeps it. */
int profile_add_snapshot_take(struct profile *p, const struct snapshot *s);

/* Appends a copy of s (its threads and sites). */
int profile_add_threads(struct profile *p, const struct thread_snap *s);

/* The latest thread snapshot taken at or before time_ns, or NULL. */
const struct thread_snap *profile_threads_at(const struct profile *p, uint64_t time_ns);

/* Drops the oldest snapshots until at most max_snaps are left and their
 * entries take at most max_bytes, but never below min_snaps, and the thread
 * snapshots older than the one in force at the oldest snapshot left.
 * Returns how many snapshots were dropped. */
uint32_t profile_drop_snapshots(struct profile *p, uint32_t max_snaps, size_t max_bytes,
                                uint32_t min_snaps);

/* Thins the history for a recording kept under a size limit: of the
 * snapshots older than the newest keep_newest, every other one goes (the
 * oldest stays), and with them every other tick of that span and the
 * thread snapshots no kept snapshot has in force. The newest keep_newest
 * snapshots and everything from the first of them on stay untouched.
 * Returns how many snapshots went. */
uint32_t profile_thin(struct profile *p, uint32_t keep_newest);

/* Drops the oldest n ticks (all when n > nticks). */
void profile_drop_ticks(struct profile *p, uint64_t n);

/* Appends n ticks. */
int profile_add_ticks(struct profile *p, const struct lt_tick *t, uint64_t n);

/* The entry of stack id in s, or NULL (binary search). */
const struct snap_entry *snapshot_find(const struct snapshot *s, uint32_t id);

#endif
