/* small_stacks.c - allocation, and the probe's stack capture, on stacks
 * with little room left: a thread's own small stack, and an alternate
 * signal stack of SIGSTKSZ.
 *
 * Usage: small_stacks ROUNDS
 * Eight threads with 16 KiB stacks (PTHREAD_STACK_MIN) go 8 KiB deep and
 * allocate there, ROUNDS times each; each keeps one block of 40 bytes
 * from leak_on_small_stack. Two more go 8 KiB deep and spin there for
 * 1.3 s, long enough for the probe to take their current stacks with a
 * signal whose handler runs on that same stack. Main, deep in its own
 * stack, raises a signal ROUNDS times whose handler runs on an alternate
 * stack of 8 KiB (SIGSTKSZ) and allocates there; it keeps one block of 24
 * bytes from leak_on_altstack. Bare, glibc's malloc has room to spare in
 * each place; under the probe, a capture that needs more room than is
 * left keeps the allocating frame alone instead of overflowing.
 *
 * args: 2000
 * exit: 0
 * expect: leak_on_small_stack live_bytes=320 live_blocks=8 alloc_calls=8
 * expect: leak_on_altstack live_bytes=24 live_blocks=1 alloc_calls=1
 * expect: on_small_stack live_bytes=0 live_blocks=0 alloc_calls>=16000
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "stress.h"

#define SMALL_STACK 16384
#define ALT_STACK   8192 /* SIGSTKSZ as it long was; glibc now may say more */
#define ALLOCATORS  8
#define SPINNERS    2

static long rounds;
static atomic_long done;
static void *kept[ALLOCATORS + 1];
static atomic_int nkept;

__attribute__((noinline)) static void *leak_on_small_stack(void)
{
	return memset(malloc(40), 's', 40);
}

__attribute__((noinline)) static void *on_small_stack(size_t n)
{
	return malloc(n);
}

/* Takes about `left` bytes of stack, 256 a call, then runs at_bottom. */
__attribute__((noinline)) static void go_deep(long left, void (*at_bottom)(void))
{
	volatile char pad[200];
	pad[0] = (char)left;
	if (left > 256)
		go_deep(left - 256, at_bottom);
	else
		at_bottom();
	pad[1] = pad[0];
}

static void allocate_here(void)
{
	for (long r = 0; r < rounds; r++) {
		char *p = on_small_stack((size_t)r % 2000 + 1);
		if (p) {
			p[0] = 1;
			atomic_fetch_add(&done, 1);
		}
		free(p);
	}
	kept[atomic_fetch_add(&nkept, 1)] = leak_on_small_stack();
}

static void spin_here(void)
{
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do
		clock_gettime(CLOCK_MONOTONIC, &t);
	while ((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) < 1300000000L);
	atomic_fetch_add(&done, 1);
}

static void *allocator(void *arg)
{
	(void)arg;
	go_deep(8192, allocate_here);
	return NULL;
}

static void *spinner(void *arg)
{
	(void)arg;
	go_deep(8192, spin_here);
	return NULL;
}

__attribute__((noinline)) static void *leak_on_altstack(void)
{
	return malloc(24);
}

static atomic_long handled;
static atomic_int altstack_bad;

static void on_usr1(int sig)
{
	(void)sig;
	int e = errno;
	char *p = malloc(100);
	if (!p)
		atomic_fetch_add(&altstack_bad, 1);
	else
		memset(p, 1, 100);
	free(p);
	if (atomic_fetch_add(&handled, 1) == 0)
		kept[ALLOCATORS] = memset(leak_on_altstack(), 'a', 24);
	errno = e;
}

static void raise_here(void)
{
	for (long r = 0; r < rounds; r++)
		raise(SIGUSR1);
}

int main(int argc, char **argv)
{
	rounds = arg_count(argc, argv, 1, 2000);

	stack_t ss = { .ss_sp = malloc(ALT_STACK), .ss_size = ALT_STACK };
	if (!ss.ss_sp || sigaltstack(&ss, NULL))
		die("sigaltstack: %s", strerror(errno));
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_ONSTACK };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);

	pthread_attr_t attr;
	pthread_attr_init(&attr);
	if (pthread_attr_setstacksize(&attr, SMALL_STACK))
		die("pthread_attr_setstacksize");
	pthread_t t[ALLOCATORS + SPINNERS];
	for (int i = 0; i < ALLOCATORS + SPINNERS; i++)
		if (pthread_create(&t[i], &attr, i < ALLOCATORS ? allocator : spinner, NULL))
			die("pthread_create: %s", strerror(errno));
	pthread_attr_destroy(&attr);
	go_deep(64 * 1024, raise_here);
	for (int i = 0; i < ALLOCATORS + SPINNERS; i++)
		pthread_join(t[i], NULL);

	check(atomic_load(&done) == ALLOCATORS * rounds + SPINNERS,
	      "small_stacks: %d threads with %d-byte stacks allocated %ld times each 8 KiB deep; "
	      "%d spun 8 KiB deep for 1.3 s",
	      ALLOCATORS, SMALL_STACK, rounds, SPINNERS);
	check(atomic_load(&handled) == rounds && atomic_load(&altstack_bad) == 0,
	      "small_stacks: %ld signals handled on a %d-byte alternate stack, each allocating",
	      rounds, ALT_STACK);
	return stress_done();
}
