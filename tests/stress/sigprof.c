/* sigprof.c - a SIGPROF handler that mallocs and frees, at a high rate,
 * in every thread that allocates.
 *
 * Usage: sigprof ROUNDS
 * Main and four threads each run a 100 µs timer that sends SIGPROF to
 * that thread alone, plus one process-wide ITIMER_PROF, and allocate and
 * free ROUNDS times. The handler allocates a 900-byte block, writes it,
 * checks it and frees it.
 *
 * malloc is not async-signal-safe, and a handler that interrupts malloc
 * may find glibc's arena locked or a list half-changed. What keeps this
 * program well-defined without the probe: the handler's size is one the
 * threads never ask for, so its block always comes from the thread's own
 * cache of freed 900-byte blocks (filled once before the timers start),
 * which takes no lock and no list but its own. Under the probe the handler
 * lands anywhere in the probe's hooks too, which must not deadlock on
 * themselves: the probe's tables are locked only while its guard is up,
 * and a hook entered with the guard up passes straight through.
 *
 * args: 60000
 * exit: 0
 * expect: handler_block live_bytes=0 live_blocks=0 alloc_calls>=1
 * expect: work_block live_bytes=0 live_blocks=0 alloc_calls>=60000
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "stress.h"

#define THREADS      4
#define HANDLER_SIZE 900
#define WORK_MAX     400 /* well below HANDLER_SIZE's size class */

static long rounds;
static atomic_int damaged;
static __thread long handled;

__attribute__((noinline)) static unsigned char *handler_block(void)
{
	return malloc(HANDLER_SIZE);
}

static void on_prof(int sig)
{
	(void)sig;
	int e = errno;
	unsigned char *p = handler_block();
	if (!p) {
		atomic_fetch_add(&damaged, 1);
	} else {
		memset(p, 0x77, HANDLER_SIZE);
		if (p[0] != 0x77 || p[HANDLER_SIZE - 1] != 0x77)
			atomic_fetch_add(&damaged, 1);
		free(p);
	}
	handled++;
	errno = e;
}

__attribute__((noinline)) static void *work_block(size_t n)
{
	return malloc(n);
}

/* Returns how many times this thread's handler ran. */
static long work(unsigned seed)
{
	void *slot[64] = { 0 };
	/* The handler's block, freed into this thread's cache; and the
	 * probe's per-thread state, made outside any handler. Only then may
	 * SIGPROF come (every thread starts with it blocked). */
	free(handler_block());
	free(work_block(1));
	sigset_t prof;
	sigemptyset(&prof);
	sigaddset(&prof, SIGPROF);
	pthread_sigmask(SIG_UNBLOCK, &prof, NULL);

	timer_t timer;
	struct sigevent ev = { .sigev_notify = SIGEV_THREAD_ID, .sigev_signo = SIGPROF };
	ev._sigev_un._tid = gettid();
	if (timer_create(CLOCK_MONOTONIC, &ev, &timer))
		die("timer_create: %s", strerror(errno));
	struct itimerspec every = { { 0, 100000 }, { 0, 100000 } };
	timer_settime(timer, 0, &every, NULL);
	for (long r = 0; r < rounds; r++) {
		int i = rand_r(&seed) % 64;
		free(slot[i]);
		slot[i] = work_block((size_t)rand_r(&seed) % WORK_MAX + 1);
		if (!slot[i])
			atomic_fetch_add(&damaged, 1);
		else
			memset(slot[i], i, 1);
	}
	timer_delete(timer);
	pthread_sigmask(SIG_BLOCK, &prof, NULL);
	for (int i = 0; i < 64; i++)
		free(slot[i]);
	return handled;
}

static void *thread_main(void *arg)
{
	return (void *)(intptr_t)work((unsigned)(uintptr_t)arg);
}

int main(int argc, char **argv)
{
	rounds = arg_count(argc, argv, 1, 60000);
	sigset_t prof_set;
	sigemptyset(&prof_set);
	sigaddset(&prof_set, SIGPROF);
	pthread_sigmask(SIG_BLOCK, &prof_set, NULL);
	struct sigaction sa = { .sa_handler = on_prof, .sa_flags = SA_RESTART };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGPROF, &sa, NULL);
	struct itimerval prof = { { 0, 500 }, { 0, 500 } };
	setitimer(ITIMER_PROF, &prof, NULL);

	pthread_t t[THREADS];
	for (int i = 0; i < THREADS; i++)
		if (pthread_create(&t[i], NULL, thread_main, (void *)(uintptr_t)(i + 2)))
			die("pthread_create: %s", strerror(errno));
	long least = work(1);
	for (int i = 0; i < THREADS; i++) {
		void *ret;
		pthread_join(t[i], &ret);
		if ((intptr_t)ret < least)
			least = (intptr_t)ret;
	}
	struct itimerval off = { { 0, 0 }, { 0, 0 } };
	setitimer(ITIMER_PROF, &off, NULL);
	check(least >= 20,
	      "sigprof: %d threads allocating %ld times each, under a 100 us SIGPROF "
	      "timer whose handler allocates: it ran at least 20 times in each",
	      THREADS + 1, rounds);
	check(atomic_load(&damaged) == 0,
	      "sigprof: every block, the handler's and the threads', came back whole");
	return stress_done();
}
