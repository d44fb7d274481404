/* blocktab.c - sharded open-addressing table of live blocks.
 *
 * Linear probing with backward-shift deletion: no tombstones, so a table
 * that sees billions of malloc/free pairs never degrades. A shard grows by
 * half when it passes 3/4 full, rehashing under its lock (amortised: a few
 * nanoseconds per insert). Memory: 16 bytes per slot, between 1/2 and 3/4
 * full once a shard has grown, so 21 to 32 bytes per live block (doubling
 * would leave it between 3/8 and 3/4: up to 43). A capacity that is not a
 * power of two maps a hash to its home slot by multiplication. */
#include "blocktab.h"

#include <sched.h>
#include <string.h>
#include <sys/mman.h>

#define INITIAL_CAP 512

static inline uint64_t mix(uint64_t addr)
{
	uint64_t h = ((addr & BLOCK_ADDR_MASK) >> 4) * 0x9e3779b97f4a7c15ull;
	return h ^ (h >> 29);
}

static inline struct block_shard *shard_of(struct blocktab *t, uint64_t h)
{
	return &t->shards[h >> 58]; /* the top 6 bits: 64 shards */
}

/* The home slot of hash h in a table of cap slots: the bits below the
 * shard's, scaled to [0, cap). */
static inline uint64_t home(uint64_t h, uint64_t cap)
{
	return (uint64_t)(((unsigned __int128)(h << 6) * cap) >> 64);
}

static inline uint64_t next(uint64_t i, uint64_t cap)
{
	return i + 1 == cap ? 0 : i + 1;
}

static void lock(struct block_shard *s)
{
	for (unsigned spins = 0;; spins++) {
		if (!atomic_load_explicit(&s->lock, memory_order_relaxed) &&
		    !atomic_exchange_explicit(&s->lock, 1, memory_order_acquire))
			return; /* acquire pairs with the release in unlock() */
		if (spins > 64)
			sched_yield(); /* the holder may be descheduled */
		else
			__builtin_ia32_pause();
	}
}

static void unlock(struct block_shard *s)
{
	atomic_store_explicit(&s->lock, 0, memory_order_release);
}

void blocktab_init(struct blocktab *t)
{
	memset(t, 0, sizeof *t);
}

#define FILTER_SIZE ((size_t)sizeof(uint32_t) << BLOCKTAB_FILTER_BITS)

static inline _Atomic uint32_t *bucket(const struct blocktab *t, uint64_t h)
{
	/* Bits the shard (the top 6) and the slot (the low ones) do not use. */
	return &t->filter[(h >> 32) & ((1u << BLOCKTAB_FILTER_BITS) - 1)];
}

int blocktab_filter_on(struct blocktab *t)
{
	void *p =
	    mmap(NULL, FILTER_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	t->filter = p;
	return 0;
}

void blocktab_fini(struct blocktab *t)
{
	if (t->filter)
		munmap(t->filter, FILTER_SIZE);
	for (int i = 0; i < BLOCKTAB_SHARDS; i++) {
		struct block_shard *s = &t->shards[i];
		if (s->tab)
			munmap(s->tab, s->cap * sizeof *s->tab);
	}
	memset(t, 0, sizeof *t);
}

static struct block_entry *table_new(uint64_t cap)
{
	void *p = mmap(NULL, cap * sizeof(struct block_entry), PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static void put(struct block_entry *tab, uint64_t cap, uint64_t addr, uint64_t val)
{
	uint64_t i = home(mix(addr), cap);
	while (tab[i].addr)
		i = next(i, cap);
	tab[i].addr = addr;
	tab[i].val = val;
}

static int grow(struct block_shard *s)
{
	uint64_t cap = s->tab ? s->cap + s->cap / 2 : INITIAL_CAP;
	struct block_entry *tab = table_new(cap);
	if (!tab)
		return -1;
	if (s->tab) {
		for (uint64_t i = 0; i < s->cap; i++)
			if (s->tab[i].addr)
				put(tab, cap, s->tab[i].addr, s->tab[i].val);
		munmap(s->tab, s->cap * sizeof *s->tab);
	}
	s->tab = tab;
	s->cap = cap;
	return 0;
}

static inline uint64_t pack(uint32_t stack, uint64_t size)
{
	if (size > BLOCK_SIZE_MAX)
		size = BLOCK_SIZE_MAX;
	return size << 24 | (stack & BLOCK_STACK_MAX);
}

static inline void unpack(uint64_t addr, uint64_t val, struct block_rec *r)
{
	r->stack = (uint32_t)(val & BLOCK_STACK_MAX);
	r->owner = (uint16_t)(addr >> BLOCK_ADDR_BITS);
	r->size = val >> 24;
}

static inline int same_block(uint64_t word, uint64_t key)
{
	return (word & BLOCK_ADDR_MASK) == key;
}

int blocktab_insert(struct blocktab *t, uint64_t addr, uint32_t stack, uint64_t size,
                    uint16_t owner, struct block_rec *old)
{
	uint64_t key = addr & BLOCK_ADDR_MASK, h = mix(key);
	struct block_shard *s = shard_of(t, h);
	int ret = 0;

	if (!key)
		return 2; /* not a block any allocator returns: not tracked */
	lock(s);
	if ((s->count + 1) * 4 > s->cap * 3 && grow(s) < 0) {
		unlock(s);
		return -1;
	}
	uint64_t i = home(h, s->cap);
	while (s->tab[i].addr && !same_block(s->tab[i].addr, key))
		i = next(i, s->cap);
	if (s->tab[i].addr) {
		unpack(s->tab[i].addr, s->tab[i].val, old);
		ret = 1;
	} else {
		atomic_store_explicit(&s->count, s->count + 1, memory_order_relaxed);
		if (t->filter)
			atomic_fetch_add_explicit(bucket(t, h), 1, memory_order_relaxed);
	}
	s->tab[i].addr = key | (uint64_t)owner << BLOCK_ADDR_BITS;
	s->tab[i].val = pack(stack, size);
	unlock(s);
	return ret;
}

int blocktab_remove(struct blocktab *t, uint64_t addr, struct block_rec *out)
{
	uint64_t key = addr & BLOCK_ADDR_MASK, h = mix(key);
	struct block_shard *s = shard_of(t, h);

	if (!key)
		return -1; /* never inserted: it would read as an empty slot */
	/* An empty shard holds no block, with no lock taken: the common case
	 * of a sampling probe, most of whose frees are of blocks it never
	 * recorded. A block that was recorded was inserted before the program
	 * could hand its address to the thread freeing it, so that thread sees
	 * the count the insert left. */
	if (t->filter ? !atomic_load_explicit(bucket(t, h), memory_order_relaxed)
	              : !atomic_load_explicit(&s->count, memory_order_relaxed))
		return -1;
	lock(s);
	if (!s->tab) {
		unlock(s);
		return -1;
	}
	uint64_t cap = s->cap, i = home(h, cap);
	while (!same_block(s->tab[i].addr, key)) {
		if (!s->tab[i].addr) {
			unlock(s);
			return -1;
		}
		i = next(i, cap);
	}
	unpack(s->tab[i].addr, s->tab[i].val, out);
	/* Backward shift: pull later entries of the run into the hole unless
	 * their home slot lies cyclically in (hole, their slot]. */
	for (uint64_t j = i;;) {
		j = next(j, cap);
		if (!s->tab[j].addr)
			break;
		uint64_t k = home(mix(s->tab[j].addr), cap);
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		s->tab[i] = s->tab[j];
		i = j;
	}
	s->tab[i].addr = 0;
	atomic_store_explicit(&s->count, s->count - 1, memory_order_relaxed);
	if (t->filter)
		atomic_fetch_sub_explicit(bucket(t, h), 1, memory_order_relaxed);
	unlock(s);
	return 0;
}

uint64_t blocktab_count(const struct blocktab *t)
{
	uint64_t n = 0;
	for (int i = 0; i < BLOCKTAB_SHARDS; i++)
		n += atomic_load_explicit(&t->shards[i].count, memory_order_relaxed);
	return n;
}

uint64_t blocktab_bytes(const struct blocktab *t)
{
	uint64_t n = 0;
	for (int i = 0; i < BLOCKTAB_SHARDS; i++)
		if (t->shards[i].tab)
			n += t->shards[i].cap * sizeof(struct block_entry);
	return n;
}
