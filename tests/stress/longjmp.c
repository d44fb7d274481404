/* longjmp.c - longjmp and siglongjmp out of deep stacks that allocate.
 *
 * Usage: longjmp ROUNDS
 * Main and two threads, ROUNDS times each: descend 300 calls deep,
 * allocating a block at every level into a chain, and at the bottom
 * either longjmp back to the top, or raise SIGUSR1, whose handler
 * siglongjmps back to the top from its own frame; the top frees the
 * chain. Stacks the probe unwound through are abandoned mid-way every
 * round. The first 5 rounds of main keep the bottom block, 500 bytes
 * from leak_at_bottom (called by descend, so counted under it too): all
 * that is live of descend's.
 *
 * args: 3000
 * exit: 0
 * expect: leak_at_bottom live_bytes=2500 live_blocks=5 alloc_calls=5
 * expect: descend live_bytes=2500 live_blocks=5 alloc_calls>=9000
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>

#include "stress.h"

#define DEPTH 300

struct link {
	struct link *next;
	int level;
};

static __thread sigjmp_buf top;
static __thread struct link *chain;
static __thread int keep_bottom;
static void *kept[5];
static int nkept;

__attribute__((noinline)) static void *leak_at_bottom(void)
{
	return memset(malloc(500), 'b', 500);
}

static void jump_from_handler(int sig)
{
	(void)sig;
	siglongjmp(top, 2);
}

__attribute__((noinline)) static void descend(int level, int how)
{
	struct link *l = malloc(sizeof *l + (size_t)(level % 64));
	l->next = chain;
	l->level = level;
	chain = l;
	if (level < DEPTH) {
		descend(level + 1, how);
		return;
	}
	if (keep_bottom)
		kept[nkept++] = leak_at_bottom();
	if (how)
		raise(SIGUSR1);
	siglongjmp(top, 1);
}

/* One round: returns 1 when the chain came back whole. */
static int round_trip(int how)
{
	chain = NULL;
	int got = sigsetjmp(top, 1);
	if (got == 0)
		descend(1, how);
	int levels = 0, ok = got == how + 1;
	for (struct link *l = chain, *next; l; l = next, levels++) {
		next = l->next;
		ok &= l->level == DEPTH - levels;
		free(l);
	}
	return ok && levels == DEPTH;
}

static long run(long rounds)
{
	long bad = 0;
	for (long r = 0; r < rounds; r++)
		bad += !round_trip((int)(r % 2));
	return bad;
}

static void *thread_main(void *arg)
{
	return (void *)(intptr_t)run((long)(intptr_t)arg);
}

int main(int argc, char **argv)
{
	long rounds = arg_count(argc, argv, 1, 3000);
	struct sigaction sa = { .sa_handler = jump_from_handler };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);

	keep_bottom = 1;
	long bad = run(5);
	keep_bottom = 0;
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		if (pthread_create(&t[i], NULL, thread_main, (void *)(intptr_t)rounds))
			die("pthread_create: %s", strerror(errno));
	bad += run(rounds);
	for (int i = 0; i < 2; i++) {
		void *ret;
		pthread_join(t[i], &ret);
		bad += (intptr_t)ret;
	}
	check(bad == 0 && nkept == 5,
	      "longjmp: %ld rounds, each %d calls deep, left by longjmp or by siglongjmp from a "
	      "signal handler; every chain whole",
	      3 * rounds + 5, DEPTH);
	return stress_done();
}
