/* test_blocktab.c - the live-block table against a plain array model:
 * growth, backward-shift deletion, replacement, size clamping, threads. */
#include <pthread.h>
#include <stdlib.h>

#include "check.h"
#include "probe/blocktab.h"

#define N 200000

static struct blocktab t;

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void model_check(int filter)
{
	static uint64_t addr[N];
	static uint8_t live[N];
	uint64_t s = 88172645463325252ull, nlive = 0;
	struct block_rec old, out;

	blocktab_init(&t);
	if (filter)
		CHECK(blocktab_filter_on(&t) == 0);
	for (int i = 0; i < N; i++) /* 16-byte aligned, like malloc's pointers */
		addr[i] = (rnd(&s) & 0x7ffffffffff0ull) | 0x10;
	for (int i = 0; i < N; i++) {
		CHECK(blocktab_insert(&t, addr[i], (uint32_t)i & BLOCK_STACK_MAX, (uint64_t)i * 3,
		                      (uint16_t)(i * 7 + 1), &old) == 0);
		live[i] = 1;
		nlive++;
	}
	CHECK_EQ_U64(blocktab_count(&t), N);
	/* Memory: a shard that has grown is at least half full, 16 bytes a
	 * slot, so at most 32 bytes per live block. N spreads about 3,000
	 * blocks over each of the 64 shards, past their first growth. */
	for (int i = 0; i < BLOCKTAB_SHARDS; i++) {
		const struct block_shard *sh = &t.shards[i];
		CHECK(sh->cap > 512);
		if (sh->cap > 2ull * sh->count) {
			fprintf(stderr, "shard %d: %u blocks in %" PRIu64 " slots\n", i,
			        (unsigned)sh->count, sh->cap);
			check_failures++;
		}
	}
	CHECK(blocktab_bytes(&t) <= 32ull * N);
	printf("block table: %.1f bytes per live block at %d blocks\n",
	       (double)blocktab_bytes(&t) / N, N);
	/* Remove a random two thirds, in random order. */
	for (int k = 0; k < 2 * N; k++) {
		int i = (int)(rnd(&s) % N);
		if (!live[i] || rnd(&s) % 3 == 0)
			continue;
		CHECK(blocktab_remove(&t, addr[i], &out) == 0);
		CHECK_EQ_U64(out.stack, (uint32_t)i & BLOCK_STACK_MAX);
		CHECK_EQ_U64(out.size, (uint64_t)i * 3);
		CHECK_EQ_U64(out.owner, (uint16_t)(i * 7 + 1));
		live[i] = 0;
		nlive--;
	}
	CHECK_EQ_U64(blocktab_count(&t), nlive);
	/* Every survivor is still findable with its own record, every removed
	 * one is gone: deletion never broke a probe chain. */
	for (int i = 0; i < N; i++) {
		int r = blocktab_remove(&t, addr[i], &out);
		if (live[i]) {
			CHECK(r == 0);
			CHECK_EQ_U64(out.size, (uint64_t)i * 3);
			CHECK_EQ_U64(out.owner, (uint16_t)(i * 7 + 1));
		} else {
			CHECK(r == -1);
		}
	}
	CHECK_EQ_U64(blocktab_count(&t), 0);
	/* Every bucket is back to 0: an insert and its remove always pair. */
	for (uint32_t b = 0; filter && b < 1u << BLOCKTAB_FILTER_BITS; b++)
		if (t.filter[b]) {
			fprintf(stderr, "filter bucket %u left at %u\n", b, (unsigned)t.filter[b]);
			check_failures++;
			break;
		}
	blocktab_fini(&t);
}

static void replace_and_clamp(void)
{
	struct block_rec old = { 0 }, out;
	blocktab_init(&t);
	CHECK(blocktab_insert(&t, 0x1000, 7, 100, 0xffff, &old) == 0);
	CHECK(blocktab_insert(&t, 0x1000, 9, 200, 3, &old) == 1); /* a free the probe missed */
	CHECK_EQ_U64(old.stack, 7);
	CHECK_EQ_U64(old.size, 100);
	CHECK_EQ_U64(old.owner, 0xffff);
	CHECK_EQ_U64(blocktab_count(&t), 1);
	CHECK(blocktab_remove(&t, 0x1000, &out) == 0);
	CHECK_EQ_U64(out.stack, 9);
	CHECK_EQ_U64(out.size, 200);
	CHECK_EQ_U64(out.owner, 3);
	/* No allocator returns an address whose low 48 bits are zero: never
	 * stored (it would read as an empty slot), never found. */
	CHECK(blocktab_insert(&t, 1ull << 48, 1, 1, 1, &old) == 2);
	CHECK(blocktab_remove(&t, 1ull << 48, &out) == -1);
	CHECK_EQ_U64(blocktab_count(&t), 0);
	CHECK(blocktab_remove(&t, 0x1000, &out) == -1);
	CHECK(blocktab_remove(&t, 0x2000, &out) == -1); /* never seen */
	CHECK(blocktab_insert(&t, 0x3000, BLOCK_STACK_MAX, 1ull << 50, 0, &old) == 0);
	CHECK(blocktab_remove(&t, 0x3000, &out) == 0);
	CHECK_EQ_U64(out.size, BLOCK_SIZE_MAX);
	CHECK_EQ_U64(out.stack, BLOCK_STACK_MAX);
	blocktab_fini(&t);
}

#define THREADS    8
#define PER_THREAD 50000

static pthread_barrier_t inserted;

/* Each thread inserts blocks, then frees half of those another thread made. */
static void *worker(void *arg)
{
	uintptr_t id = (uintptr_t)arg;
	struct block_rec old, out;
	for (uint64_t i = 0; i < PER_THREAD; i++)
		if (blocktab_insert(&t, ((id << 32) | (i + 1)) << 4, (uint32_t)id, i, 0, &old) != 0)
			abort();
	pthread_barrier_wait(&inserted);
	uint64_t other = (id + 1) % THREADS;
	for (uint64_t i = 0; i < PER_THREAD; i += 2)
		if (blocktab_remove(&t, ((other << 32) | (i + 1)) << 4, &out) != 0 || out.size != i)
			__atomic_fetch_add(&check_failures, 1, __ATOMIC_RELAXED);
	return NULL;
}

static void threads(void)
{
	pthread_t th[THREADS];
	blocktab_init(&t);
	pthread_barrier_init(&inserted, NULL, THREADS);
	for (uintptr_t i = 0; i < THREADS; i++)
		pthread_create(&th[i], NULL, worker, (void *)i);
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	uint64_t left = blocktab_count(&t);
	CHECK_EQ_U64(left, THREADS * PER_THREAD / 2);
	CHECK(blocktab_bytes(&t) >= left * sizeof(struct block_entry));
	blocktab_fini(&t);
}

int main(void)
{
	model_check(0);
	model_check(1);
	replace_and_clamp();
	threads();
	return CHECK_DONE();
}
