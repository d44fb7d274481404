/* exit_worker.c - exit() from a worker thread while the others allocate.
 *
 * Usage: exit_worker ROUNDS
 * Main leaks 10 blocks of 256 bytes in leak_before_exit, then starts
 * eight threads that allocate, reallocate and free without end. After
 * ROUNDS rounds the first of them prints a line and calls exit(7): the
 * exit handlers and the probe's final snapshot run while the other seven
 * are still inside malloc and free, until the kernel ends them.
 *
 * args: 200000
 * exit: 7
 * expect: leak_before_exit live_bytes=2560 live_blocks=10 alloc_calls=10
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "stress.h"

#define THREADS 8

static long rounds;
static void *kept[10];

__attribute__((noinline)) static void leak_before_exit(void)
{
	for (int i = 0; i < 10; i++)
		kept[i] = memset(malloc(256), i, 256);
}

static void *allocate(void *arg)
{
	uintptr_t n = (uintptr_t)arg;
	unsigned seed = (unsigned)n;
	void *slot[32] = { 0 };
	for (long r = 0;; r++) {
		int i = rand_r(&seed) % 32;
		slot[i] = realloc(slot[i], (size_t)rand_r(&seed) % 20000 + 1);
		if (r % 3 == 0) {
			free(slot[i]);
			slot[i] = NULL;
		}
		if (n == 0 && r == rounds) {
			check(1, "exit_worker: a worker calls exit(7) while %d threads allocate",
			      THREADS - 1);
			fflush(stdout);
			exit(7);
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	rounds = arg_count(argc, argv, 1, 200000);
	leak_before_exit();
	pthread_t t[THREADS];
	for (int i = 0; i < THREADS; i++)
		if (pthread_create(&t[i], NULL, allocate, (void *)(uintptr_t)i))
			die("pthread_create: %s", strerror(errno));
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	return 1; /* never reached: the worker's exit ends the process */
}
