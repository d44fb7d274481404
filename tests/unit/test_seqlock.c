/* test_seqlock.c - a reader never accepts a torn copy.
 *
 * The writer keeps rewriting a 64-word payload whose words all hold the
 * same generation number; readers copy it under the seqlock. Any accepted
 * copy with two different words is a torn read the lock let through. The
 * writer also stalls mid-update now and then, so readers see odd values. */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>

#include "check.h"
#include "shared/seqlock.h"

#define WORDS 64

static _Atomic uint32_t seq;
static uint64_t payload[WORDS];
static _Atomic int stop;
static _Atomic uint64_t accepted, torn, retried;

static void *writer(void *arg)
{
	(void)arg;
	for (uint64_t gen = 1; !atomic_load(&stop); gen++) {
		uint32_t s = seqlock_write_begin(&seq);
		for (int i = 0; i < WORDS; i++) {
			((volatile uint64_t *)payload)[i] = gen; /* volatile: keep every store */
			if (i == WORDS / 2 && gen % 64 == 0)
				sched_yield();
		}
		seqlock_write_end(&seq, s);
		if (gen % 16 == 0) { /* a real writer rests between snapshots */
			struct timespec ts = { 0, 20000 };
			nanosleep(&ts, NULL);
		}
	}
	return NULL;
}

static void *reader(void *arg)
{
	uint64_t copy[WORDS];
	(void)arg;
	while (!atomic_load(&stop)) {
		uint32_t s = seqlock_read_begin(&seq);
		for (int i = 0; i < WORDS; i++)
			copy[i] = ((volatile uint64_t *)payload)[i];
		if (seqlock_read_retry(&seq, s)) {
			atomic_fetch_add(&retried, 1);
			continue;
		}
		atomic_fetch_add(&accepted, 1);
		for (int i = 1; i < WORDS; i++)
			if (copy[i] != copy[0]) {
				atomic_fetch_add(&torn, 1);
				break;
			}
	}
	return NULL;
}

int main(void)
{
	pthread_t w, r[3];
	struct timespec ts = { 0, 400 * 1000000L };

	pthread_create(&w, NULL, writer, NULL);
	for (int i = 0; i < 3; i++)
		pthread_create(&r[i], NULL, reader, NULL);
	nanosleep(&ts, NULL);
	atomic_store(&stop, 1);
	pthread_join(w, NULL);
	for (int i = 0; i < 3; i++)
		pthread_join(r[i], NULL);
	printf("accepted %llu copies, retried %llu, torn %llu\n", (unsigned long long)accepted,
	       (unsigned long long)retried, (unsigned long long)torn);
	CHECK(accepted > 0);
	CHECK_EQ_U64(torn, 0);
	/* And the odd/even contract itself. */
	_Atomic uint32_t q = 0;
	uint32_t s = seqlock_write_begin(&q);
	CHECK(s & 1);
	CHECK(seqlock_read_retry(&q, seqlock_read_begin(&q)));
	seqlock_write_end(&q, s);
	CHECK(!seqlock_read_retry(&q, seqlock_read_begin(&q)));
	return CHECK_DONE();
}
