/* stacktab.h - interning of call stacks to small ids.
 *
 * The frames live in the shared segment's stack pool, where readers find
 * them by id; the hash index that finds an id from frames is private to the
 * probe. Lock-free: any thread may intern at any time, readers never wait.
 * The table never shrinks: an id, once handed out, names its frames for the
 * life of the process. */
#ifndef LEAKTOP_STACKTAB_H
#define LEAKTOP_STACKTAB_H

#include <stdatomic.h>
#include <stdint.h>

struct stacktab {
	_Atomic uint64_t *slots; /* private: 0 = empty, else hash << 32 | id + 1 */
	uint32_t mask;           /* slots - 1; slots = 2 * cap, a power of two */
	uint32_t cap;            /* ids */
	uint32_t pool_cap;       /* frames */
	_Atomic uint64_t *index; /* shared: LT_STACK_ENTRY per id */
	uint64_t *pool;          /* shared: frames */
	_Atomic uint32_t *count; /* shared: ids handed out */
	_Atomic uint32_t *used;  /* shared: pool frames handed out */
};

/* Sets up t over the segment's index and pool; id 0 is reserved for
 * LT_STACK_OVERFLOW. Allocates the private index with mmap. 0 or -1. */
int stacktab_init(struct stacktab *t, uint32_t cap, uint32_t pool_cap, _Atomic uint64_t *index,
                  uint64_t *pool, _Atomic uint32_t *count, _Atomic uint32_t *used);
void stacktab_fini(struct stacktab *t);

/* The id of these frames, interning them if new. LT_STACK_OVERFLOW when the
 * table or the pool is full. Cost: one hash over the frames, and a compare
 * with each candidate of equal hash (almost always exactly one). */
/* Ids handed out so far, at most the capacity: a count kept in the
 * segment, clamped, since readers can write there. */
uint32_t stacktab_count(const struct stacktab *t);

uint32_t stack_intern(struct stacktab *t, const uint64_t *frames, uint32_t depth);

/* Bytes of private memory the table holds. */
uint64_t stacktab_bytes(const struct stacktab *t);

#endif
