/* test_stacktab.c - stack interning: ids, equality, overflow of ids and of
 * the pool, and eight threads interning the same stacks at once. */
#include <pthread.h>
#include <stdlib.h>

#include "check.h"
#include "probe/stacktab.h"
#include "shared/shm.h"

struct store {
	_Atomic uint64_t *index;
	uint64_t *pool;
	_Atomic uint32_t count, used;
};

static void store_init(struct stacktab *t, struct store *s, uint32_t cap, uint32_t pool_cap)
{
	s->index = calloc(cap, sizeof *s->index);
	s->pool = calloc(pool_cap, sizeof *s->pool);
	s->count = s->used = 0;
	CHECK(stacktab_init(t, cap, pool_cap, s->index, s->pool, &s->count, &s->used) == 0);
}

static void store_fini(struct stacktab *t, struct store *s)
{
	stacktab_fini(t);
	free((void *)s->index);
	free(s->pool);
}

static void basics(void)
{
	struct stacktab t;
	struct store s;
	uint64_t a[] = { 0x401000, 0x402000, 0x403000 }, b[] = { 0x401000, 0x402000, 0x403001 };

	store_init(&t, &s, 16, 64);
	uint32_t ia = stack_intern(&t, a, 3);
	CHECK_EQ_U64(ia, 1); /* id 0 is the overflow stack */
	CHECK_EQ_U64(stack_intern(&t, a, 3), ia);
	CHECK_EQ_U64(stack_intern(&t, b, 3), 2);
	CHECK_EQ_U64(stack_intern(&t, a, 2), 3); /* a prefix is another stack */
	CHECK_EQ_U64(stack_intern(&t, a, 0), 4); /* the empty stack has an id too */
	CHECK_EQ_U64(stack_intern(&t, a, 0), 4);
	/* What readers see: the entry of id 1 points at a's frames. */
	uint64_t e = s.index[1];
	CHECK_EQ_U64(LT_STACK_DEPTH(e), 3);
	CHECK(!memcmp(s.pool + LT_STACK_OFF(e), a, sizeof a));
	CHECK_EQ_U64(LT_STACK_DEPTH(s.index[0]), 0);
	CHECK(s.index[0] != 0);
	CHECK_EQ_U64(s.count, 5);
	store_fini(&t, &s);
}

static void overflow(void)
{
	struct stacktab t;
	struct store s;
	uint64_t f[4] = { 1, 2, 3, 4 };

	store_init(&t, &s, 4, 1000); /* ids 1..3 */
	for (uint64_t i = 1; i <= 3; i++) {
		f[0] = i;
		CHECK_EQ_U64(stack_intern(&t, f, 4), i);
	}
	f[0] = 99;
	CHECK_EQ_U64(stack_intern(&t, f, 4), LT_STACK_OVERFLOW);
	f[0] = 2;
	CHECK_EQ_U64(stack_intern(&t, f, 4), 2); /* known stacks still resolve */
	store_fini(&t, &s);

	store_init(&t, &s, 100, 10); /* room for two 4-frame stacks */
	f[0] = 1;
	CHECK_EQ_U64(stack_intern(&t, f, 4), 1);
	f[0] = 2;
	CHECK_EQ_U64(stack_intern(&t, f, 4), 2);
	f[0] = 3;
	CHECK_EQ_U64(stack_intern(&t, f, 4), LT_STACK_OVERFLOW);
	store_fini(&t, &s);
}

#define THREADS 8
#define STACKS  2000

static struct stacktab shared_t;
static uint32_t ids[THREADS][STACKS];

static void *worker(void *arg)
{
	uintptr_t me = (uintptr_t)arg;
	uint64_t f[8];
	for (int round = 0; round < 3; round++)
		for (uint32_t i = 0; i < STACKS; i++) {
			uint32_t k = (i * 7 + (uint32_t)me * 13) % STACKS; /* different orders */
			for (int j = 0; j < 8; j++)
				f[j] = 0x400000 + k * 64 + (uint64_t)j;
			uint32_t id = stack_intern(&shared_t, f, 1 + k % 8);
			if (round && ids[me][k] != id)
				__atomic_fetch_add(&check_failures, 1, __ATOMIC_RELAXED);
			ids[me][k] = id;
		}
	return NULL;
}

static void threads(void)
{
	struct store s;
	pthread_t th[THREADS];

	store_init(&shared_t, &s, 4 * STACKS, 8 * 4 * STACKS);
	for (uintptr_t i = 0; i < THREADS; i++)
		pthread_create(&th[i], NULL, worker, (void *)i);
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	/* Every thread got the same id for the same stack... */
	for (int k = 0; k < STACKS; k++)
		for (int i = 1; i < THREADS; i++)
			CHECK(ids[i][k] == ids[0][k]);
	/* ...distinct stacks got distinct ids, none the overflow id... */
	uint8_t *seen = calloc(4 * STACKS, 1);
	for (int k = 0; k < STACKS; k++) {
		CHECK(ids[0][k] != LT_STACK_OVERFLOW && ids[0][k] < 4 * STACKS);
		CHECK(!seen[ids[0][k]]);
		seen[ids[0][k]] = 1;
	}
	/* ...and an id's published frames are that stack's. */
	for (int k = 0; k < STACKS; k++) {
		uint64_t e = s.index[ids[0][k]];
		CHECK_EQ_U64(LT_STACK_DEPTH(e), 1 + k % 8);
		CHECK_EQ_U64(s.pool[LT_STACK_OFF(e)], 0x400000 + (uint64_t)k * 64);
	}
	free(seen);
	store_fini(&shared_t, &s);
}

int main(void)
{
	basics();
	overflow();
	threads();
	return CHECK_DONE();
}
