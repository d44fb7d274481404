/* blocktab.h - the live-block table: block address to (stack id, size,
 * owner thread).
 *
 * One entry per live tracked block, 16 bytes: the address's low 48 bits
 * (all a user-space address has on x86-64 and arm64 unless a program maps
 * memory above 2^47 on purpose), the allocating thread's 16-bit tag above
 * them, then the size (40 bits) and the stack id (24 bits). In 64 shards
 * chosen by a hash
 * of the address, each an open-addressing table under its own spinlock, so
 * threads freeing and allocating different blocks rarely meet. Tables grow
 * with mmap, never with the allocator the probe intercepts. */
#ifndef LEAKTOP_BLOCKTAB_H
#define LEAKTOP_BLOCKTAB_H

#include <stdatomic.h>
#include <stdint.h>

#define BLOCKTAB_SHARDS 64
#define BLOCK_SIZE_MAX  ((1ull << 40) - 1) /* sizes above are stored as this */
#define BLOCK_STACK_MAX ((1u << 24) - 1)

#define BLOCK_ADDR_BITS 48
#define BLOCK_ADDR_MASK ((1ull << BLOCK_ADDR_BITS) - 1)

struct block_entry {
	uint64_t addr; /* owner << 48 | address; 0 = empty slot */
	uint64_t val;  /* size << 24 | stack id */
};

struct block_shard {
	_Atomic uint32_t lock;
	_Atomic uint32_t count; /* written under the lock, read without */
	uint64_t cap;           /* slots; 0 until the first insert */
	struct block_entry *tab;
	char pad[64 - 24];
};

/* Counters, one per bucket of addresses, of the blocks in the table: a
 * bucket at 0 holds none, so a free can tell a block the table never had
 * with one load. Worth it only when the table holds few of the program's
 * blocks (sampling); off (NULL) otherwise. */
#define BLOCKTAB_FILTER_BITS 15

struct blocktab {
	struct block_shard shards[BLOCKTAB_SHARDS];
	_Atomic uint32_t *filter;
};

/* A block as the table holds it. */
struct block_rec {
	uint32_t stack;
	uint16_t owner; /* the allocating thread's tag, 0 when unknown */
	uint64_t size;
};

void blocktab_init(struct blocktab *t);

/* Turns the filter on, before the first insert. 0, or -1 when out of memory
 * (the table works without it). */
int blocktab_filter_on(struct blocktab *t);
void blocktab_fini(struct blocktab *t);

/* Records addr, allocated by the thread tagged owner. Returns 0; 1 when addr
 * was already there, its old record in *old (a free the probe missed); 2
 * when addr's low 48 bits are all zero (no allocator returns such a block:
 * it is not recorded); -1 when the table could not grow. */
int blocktab_insert(struct blocktab *t, uint64_t addr, uint32_t stack, uint64_t size,
                    uint16_t owner, struct block_rec *old);

/* Removes addr, its record in *out. 0, or -1 when addr is not there. */
int blocktab_remove(struct blocktab *t, uint64_t addr, struct block_rec *out);

/* Live entries and bytes of table memory (approximate while threads run). */
uint64_t blocktab_count(const struct blocktab *t);
uint64_t blocktab_bytes(const struct blocktab *t);

#endif
