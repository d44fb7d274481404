/* stacktab.c - lock-free stack interning.
 *
 * Open addressing with linear probing over 2 * cap slots, so the index is
 * at most half full when the ids run out. A new stack takes an id and pool
 * space with fetch_add, writes its frames, publishes its index entry to
 * readers, and only then claims a slot with CAS, so whoever finds the slot
 * finds the frames complete. Two threads racing to intern the same new
 * stack both write it; the loser's id stays unused with zero counts. */
#include "stacktab.h"

#include <string.h>
#include <sys/mman.h>

#include "../shared/shm.h"

/* Two lanes of multiply-xor over alternate frames, so that the two
 * multiplications of a pair overlap: about 2 cycles a frame where one
 * chain took 6. A final mix brings every bit down to the low ones the home
 * slot uses. Collisions cost only a compare (same()). */
static uint64_t hash_frames(const uint64_t *f, uint32_t depth)
{
	uint64_t a = 0x9e3779b97f4a7c15ull ^ depth, b = 0xc2b2ae3d27d4eb4full;
	uint32_t i = 0;
	for (; i + 1 < depth; i += 2) {
		a = (a ^ f[i]) * 0xff51afd7ed558ccdull;
		b = (b ^ f[i + 1]) * 0xc4ceb9fe1a85ec53ull;
	}
	if (i < depth)
		a = (a ^ f[i]) * 0xff51afd7ed558ccdull;
	uint64_t h = a ^ (b << 31 | b >> 33);
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h | 1; /* the upper half is stored; never let it make a zero slot */
}

int stacktab_init(struct stacktab *t, uint32_t cap, uint32_t pool_cap, _Atomic uint64_t *index,
                  uint64_t *pool, _Atomic uint32_t *count, _Atomic uint32_t *used)
{
	uint32_t slots = 2;
	while (slots < 2 * cap)
		slots <<= 1;
	void *p = mmap(NULL, (size_t)slots * sizeof(uint64_t), PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	t->slots = p;
	t->mask = slots - 1;
	t->cap = cap;
	t->pool_cap = pool_cap;
	t->index = index;
	t->pool = pool;
	t->count = count;
	t->used = used;
	/* Id 0: the overflow stack, depth 0, so readers see it as written. */
	atomic_store_explicit(t->count, 1, memory_order_relaxed);
	atomic_store_explicit(&t->index[0], LT_STACK_ENTRY(0, 0), memory_order_release);
	return 0;
}

void stacktab_fini(struct stacktab *t)
{
	if (t->slots)
		munmap(t->slots, ((size_t)t->mask + 1) * sizeof(uint64_t));
	t->slots = NULL;
}

uint64_t stacktab_bytes(const struct stacktab *t)
{
	return ((uint64_t)t->mask + 1) * sizeof(uint64_t);
}

uint32_t stacktab_count(const struct stacktab *t)
{
	uint32_t n = atomic_load_explicit(t->count, memory_order_acquire);
	return n < t->cap ? n : t->cap;
}

/* The entry lives in the segment, where a reader could scribble: its
 * offset is checked against the pool before the frames are compared. */
static int same(const struct stacktab *t, uint32_t id, const uint64_t *frames, uint32_t depth)
{
	uint64_t e = atomic_load_explicit(&t->index[id], memory_order_acquire);
	uint64_t off = LT_STACK_OFF(e);
	return LT_STACK_DEPTH(e) == depth && off <= t->pool_cap && depth <= t->pool_cap - off &&
	       !memcmp(t->pool + off, frames, depth * sizeof *frames);
}

/* Takes an id and pool space and writes the frames; returns the slot value
 * to claim, or 0 when full. */
static uint64_t store_new(struct stacktab *t, uint64_t hash, const uint64_t *frames, uint32_t depth)
{
	uint32_t id = atomic_fetch_add_explicit(t->count, 1, memory_order_relaxed);
	if (id >= t->cap) {
		atomic_store_explicit(t->count, t->cap, memory_order_relaxed);
		return 0;
	}
	uint32_t off = atomic_fetch_add_explicit(t->used, depth, memory_order_relaxed);
	if (off > t->pool_cap || depth > t->pool_cap - off)
		return 0; /* the id stays unwritten: readers skip it */
	memcpy(t->pool + off, frames, depth * sizeof *frames);
	/* Release: the frames are visible before the entry; pairs with the
	 * acquire loads in same() and in shm_read_stack(). */
	atomic_store_explicit(&t->index[id], LT_STACK_ENTRY(off, depth), memory_order_release);
	return (hash & ~0xffffffffull) | ((uint64_t)id + 1);
}

uint32_t stack_intern(struct stacktab *t, const uint64_t *frames, uint32_t depth)
{
	uint64_t hash = hash_frames(frames, depth);
	uint64_t tag = hash & ~0xffffffffull;
	uint64_t mine = 0;

	for (uint32_t i = (uint32_t)hash & t->mask, n = 0; n <= t->mask;
	     i = (i + 1) & t->mask, n++) {
		/* Acquire pairs with the CAS below, so the entry behind a slot is visible. */
		uint64_t v = atomic_load_explicit(&t->slots[i], memory_order_acquire);
		while (!v) {
			if (!mine && !(mine = store_new(t, hash, frames, depth)))
				return LT_STACK_OVERFLOW;
			if (atomic_compare_exchange_strong_explicit(
			        &t->slots[i], &v, mine, memory_order_acq_rel, memory_order_acquire))
				return (uint32_t)(mine & 0xffffffff) - 1;
			/* Lost the slot: v now holds the winner; look at it below. */
		}
		if ((v & ~0xffffffffull) == tag) {
			uint32_t id = (uint32_t)(v & 0xffffffff) - 1;
			if (same(t, id, frames, depth))
				return id;
		}
	}
	return LT_STACK_OVERFLOW;
}
