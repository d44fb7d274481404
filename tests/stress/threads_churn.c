/* threads_churn.c - thousands of short-lived threads that free each
 * other's blocks.
 *
 * Usage: threads_churn THREADS
 * THREADS threads, at most 32 alive at once, half of them detached. Each
 * allocates 8 blocks in exchange_alloc, stamps them, and swaps each into a
 * shared table of 256 slots, freeing the block it takes out: almost every
 * block is freed by another thread than its own, often one that has
 * ended. The first 100 threads also keep one block of 48 bytes each, from
 * leak_per_thread. At the end main frees what the table holds.
 *
 * args: 2000
 * exit: 0
 * expect: leak_per_thread live_bytes=4800 live_blocks=100 alloc_calls=100
 * expect: exchange_alloc live_bytes=0 live_blocks=0 alloc_calls>=800
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "stress.h"

#define ALIVE 32
#define SLOTS 256
#define EACH  8

struct block {
	uint32_t magic;
	uint32_t owner;
	char pad[40 + 16];
};

#define MAGIC 0x57a1b10c

static _Atomic(struct block *) table[SLOTS];
static void *kept[100];
static atomic_long started, bad_blocks, freed;
static sem_t room;

__attribute__((noinline)) static void leak_per_thread(long n)
{
	kept[n] = memset(malloc(48), 1, 48);
}

__attribute__((noinline)) static struct block *exchange_alloc(uint32_t owner)
{
	struct block *b = malloc(sizeof *b);
	if (b) {
		b->magic = MAGIC;
		b->owner = owner;
	}
	return b;
}

static void take_back(struct block *b)
{
	if (!b)
		return;
	if (b->magic != MAGIC)
		atomic_fetch_add(&bad_blocks, 1);
	b->magic = 0;
	free(b);
	atomic_fetch_add(&freed, 1);
}

static void *churn(void *arg)
{
	(void)arg;
	long n = atomic_fetch_add(&started, 1);
	unsigned seed = (unsigned)n;
	if (n < 100)
		leak_per_thread(n);
	for (int i = 0; i < EACH; i++) {
		struct block *b = exchange_alloc((uint32_t)n);
		if (!b)
			atomic_fetch_add(&bad_blocks, 1);
		take_back(atomic_exchange(&table[rand_r(&seed) % SLOTS], b));
	}
	sem_post(&room);
	return NULL;
}

int main(int argc, char **argv)
{
	long threads = arg_count(argc, argv, 1, 2000);
	sem_init(&room, 0, ALIVE);
	pthread_attr_t detached;
	pthread_attr_init(&detached);
	pthread_attr_setdetachstate(&detached, PTHREAD_CREATE_DETACHED);
	pthread_t joinable[ALIVE];
	int njoin = 0;
	for (long i = 0; i < threads; i++) {
		while (sem_wait(&room) < 0 && errno == EINTR)
			;
		pthread_t t;
		int err;
		if (i % 2) {
			err = pthread_create(&t, &detached, churn, NULL);
		} else {
			if (njoin == ALIVE) {
				for (int k = 0; k < njoin; k++)
					pthread_join(joinable[k], NULL);
				njoin = 0;
			}
			err = pthread_create(&joinable[njoin], NULL, churn, NULL);
			njoin += !err;
		}
		if (err)
			die("pthread_create: %s", strerror(err));
	}
	for (int k = 0; k < njoin; k++)
		pthread_join(joinable[k], NULL);
	/* Every thread has posted once it was done with the table. */
	for (int i = 0; i < ALIVE; i++)
		while (sem_wait(&room) < 0 && errno == EINTR)
			;
	for (int i = 0; i < SLOTS; i++)
		take_back(atomic_exchange(&table[i], NULL));
	check(atomic_load(&started) == threads,
	      "threads_churn: %ld threads ran, at most %d at once", threads, ALIVE);
	check(atomic_load(&freed) == threads * EACH && atomic_load(&bad_blocks) == 0,
	      "threads_churn: %ld blocks, most freed by another thread than their own, each "
	      "freed once and intact",
	      threads * EACH);
	return stress_done();
}
