/* recorder.h - the probe's bookkeeping, with a plain C API.
 *
 * Ownership: one recorder per process, a global owned by recorder.c; the
 * hooks (hooks.c) and the publisher (publish.c) only call in. It works the
 * same with or without LD_PRELOAD, which is how the unit tests drive it.
 *
 * Per stack the recorder keeps four monotonic counters; live figures are
 * their differences, taken when a snapshot is published, so an allocation
 * costs two relaxed atomic adds and a free two more. */
#ifndef LEAKTOP_RECORDER_H
#define LEAKTOP_RECORDER_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "../shared/shm.h"
#include "blocktab.h"
#include "stacktab.h"

enum probe_phase { PHASE_OFF = 0, PHASE_ON = 1, PHASE_STARTING = 2, PHASE_NEW = 3 };

struct stack_counters {
	_Atomic uint64_t alloc_calls;
	_Atomic uint64_t alloc_bytes;
	_Atomic uint64_t free_calls;
	_Atomic uint64_t freed_bytes;
};

/* Bytes by the thread that allocated them. A thread's tag (threads.c) is
 * its registry slot in the low 10 bits and the slot's generation (1..63)
 * above, so a block outlives its thread's slot being reused: its free no
 * longer matches the slot's tag and goes to the ended threads' count. */
#define OWNER_SLOTS     1024
#define OWNER_SLOT(tag) ((tag) & (OWNER_SLOTS - 1))
#define OWNER_GEN_SHIFT 10
#define OWNER_GEN_MAX   63

struct owner_counters {
	_Atomic uint16_t tag;          /* the thread the slot counts for now */
	_Atomic uint64_t alloc_bytes;  /* written by that thread only */
	_Atomic uint64_t freed_self;   /* by that thread only */
	_Atomic uint64_t freed_others; /* by any other thread */
	char pad[64 - 4 * 8];
};

struct recorder_config {
	uint32_t depth;        /* frames per stack, 1..LT_DEPTH_MAX */
	uint32_t interval_ms;  /* snapshot interval */
	uint32_t stacks_cap;   /* distinct stacks before overflow */
	int launcher_pid;      /* leaktop process that owns the segment, or 0 */
	uint32_t sample_bytes; /* 0: record every allocation; else the mean gap */
	uint64_t sample_seed;  /* where the threads' gap draws start */
};

struct recorder {
	_Atomic int phase; /* enum probe_phase: the hot path checks only this */
	struct recorder_config cfg;
	struct lt_shm_header *seg; /* our segment, mapped read-write */
	/* Private copies of what the segment's header says: readers can write
	 * to the segment, so the probe never reads an offset, a capacity or a
	 * string back from it. */
	struct lt_shm_layout layout;
	uint32_t pool_cap;
	char program[LT_PROGRAM_MAX];
	char shm_name[LT_SHM_NAME_MAX];
	struct stacktab stacks;
	struct blocktab blocks;
	struct stack_counters *counts; /* private, indexed by stack id */
	struct owner_counters *owners; /* OWNER_SLOTS of them */
	_Atomic uint64_t ended_live;   /* bytes ended threads' slots held when reused */
	_Atomic uint64_t ended_freed;  /* freed since, of those */
	_Atomic uint64_t unknown_frees;
	_Atomic uint64_t overflow_allocs;
	int exit_status;
	pid_t pid;
};

extern struct recorder rec;

/* The recursion guard: non-zero while this thread is inside the probe, so
 * allocations made by the probe's callees (or by a signal handler that
 * interrupts it) pass straight through untracked. */
extern __thread int probe_guard __attribute__((tls_model("initial-exec")));

/* The mean gap of byte sampling, 0 when every allocation is recorded (and
 * until the recorder starts). Written once, before the phase goes ON. */
extern uint32_t probe_sample_mean;

/* Bytes this thread may still allocate before its next sampled one. */
extern __thread int64_t probe_sample_left __attribute__((tls_model("initial-exec")));

/* Draws this thread's next gap, for an allocation that ran out the
 * countdown; 1 when it is to be recorded (0 for a thread's first
 * allocation, when its first gap covers it). */
int sample_slow(uint32_t mean);

enum sample_verdict {
	SAMPLE_SKIP = 0, /* sampling, and this allocation is not recorded */
	SAMPLE_TAKE = 1, /* sampling, and it is */
	SAMPLE_ALL = 2,  /* not sampling: every allocation is (or the recorder has not started) */
};

/* Whether to record an allocation of n bytes. The common case of sampling
 * is a subtraction and a branch. */
static inline enum sample_verdict sample_take(size_t n)
{
	uint32_t mean = probe_sample_mean;
	if (!mean)
		return SAMPLE_ALL;
	if (n < (1ull << 62) && (probe_sample_left -= (int64_t)n) > 0)
		return SAMPLE_SKIP;
	return sample_slow(mean) ? SAMPLE_TAKE : SAMPLE_SKIP;
}

/* This thread's owner tag, 0 while it has none (threads.c sets it). */
extern __thread uint16_t probe_thread_tag __attribute__((tls_model("initial-exec")));

/* The slot of tag now counts for tag: what the slot's previous thread
 * still held goes to the ended threads' count. */
void recorder_owner_start(uint16_t tag);

/* Live bytes allocated by the thread tagged tag (0 if its slot has moved
 * on), and by threads whose slots were since reused. */
uint64_t recorder_owner_live(uint16_t tag);
uint64_t recorder_ended_live(void);

/* Reads the configuration the launcher left in the environment (through
 * secure_getenv, so a setuid program stays untracked). */
void recorder_config_from_env(struct recorder_config *cfg);

/* The same from a list of "NAME=VALUE" words (what leaktop attach passes),
 * or from the environment when list is NULL. */
void recorder_config_from(struct recorder_config *cfg, const char *list);

/* Creates the segment and the tables; the phase goes ON. 0, or -1 with the
 * phase OFF and one line on stderr. Safe to call from inside a malloc hook. */
int recorder_init(const struct recorder_config *cfg);

/* Unmaps everything; unlinks the segment unless a launcher owns it. */
void recorder_fini(void);

/* Stops tracking for good (on failure; the segment says DISABLED). */
void recorder_disable(const char *why);

/* An allocation of size bytes at ptr, made by the code that resumes at
 * caller (a return address; NULL cuts only the probe's own frames). */
void record_alloc(void *ptr, size_t size, const void *caller);

/* A free of ptr: its record is gone before the real free runs. */
void record_free(void *ptr);

/* For realloc: takes ptr's record out of the table without counting the free
 * (0, or -1 when ptr is unknown). Then either record_untake (the realloc
 * failed and ptr lives on) or record_release (it was freed or moved). */
int record_take(void *ptr, struct block_rec *b);
void record_untake(void *ptr, const struct block_rec *b);
void record_release(const struct block_rec *b, int known);

/* Fills the totals and per-stack live counts for [0, n) into out (which has
 * room for n). Returns the totals. */
struct lt_counts recorder_collect(struct lt_counts *out, uint32_t n);

/* Bytes of memory the probe holds, not counting the segment. */
uint64_t recorder_bytes(void);

#endif
