/* threads_park.c - threads that park forever, threads that block every
 * signal, and threads that finish and are joined.
 *
 * Usage: threads_park PARKED BLOCKED FINISHED HOLD_MS
 * spawn_parked starts PARKED threads named "parked-I" that each keep a
 * 64-byte session from park_forever and wait on a condition variable that
 * nobody signals. spawn_blocked starts BLOCKED threads named "blocked-I"
 * that block every signal and park the same way. spawn_finishing starts
 * FINISHED threads that allocate and free, hand a 100-byte block from
 * handoff to main, and end; main joins them, frees every handed block but
 * the first, and keeps that one: 100 bytes ended threads still hold.
 * spawn_waiters starts two threads that wait as long as main sleeps: one in
 * read on a pipe (wait_on_pipe), which main writes to at the end, and one
 * in poll with a timeout (wait_in_poll). Neither call may fail with EINTR:
 * the probe signals a thread only in calls that restart.
 * When every parked thread is waiting, main prints "ready" (and, when
 * HOLD_MS is not 0, "ready PID" on stderr) and sleeps HOLD_MS, then wakes
 * the reader, joins both waiters and exits with the parked threads still
 * parked. Status 0; 3 when main's nanosleep was cut short, 4 when the
 * read was, 5 when the poll was (a signal handler interrupting them, which
 * the probe must never cause).
 *
 * Read by tests/integration/run.sh:
 * args: 5 2 3 0
 * exit: 0
 * expect: park_forever live_bytes=448 live_blocks=7 alloc_calls=7
 * expect: finish_work live_bytes=0 live_blocks=0 alloc_calls=3
 * expect: handoff live_bytes=100 live_blocks=1 alloc_calls=3
 */
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;
static pthread_cond_t arrived = PTHREAD_COND_INITIALIZER;
static int parked;
static void *volatile sessions[64];

__attribute__((noinline)) static void park_forever(int slot)
{
	sessions[slot] = malloc(64);
	pthread_mutex_lock(&lock);
	parked++;
	pthread_cond_signal(&arrived);
	for (;;)
		pthread_cond_wait(&never, &lock);
}

static void *parked_main(void *arg)
{
	park_forever((int)(long)arg);
	return NULL;
}

static void *blocked_main(void *arg)
{
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	park_forever((int)(long)arg);
	return NULL;
}

__attribute__((noinline)) static void finish_work(void)
{
	void *volatile p = malloc(100);
	free(p);
}

__attribute__((noinline)) static void *handoff(void)
{
	return malloc(100);
}

static void *finishing_main(void *arg)
{
	(void)arg;
	finish_work();
	return handoff();
}

static void *volatile kept;
static int pipefd[2];
static long hold_ms;
static volatile int waiter_failed; /* 4: read, 5: poll was cut short */

__attribute__((noinline)) static void wait_on_pipe(void)
{
	char c;
	if (read(pipefd[0], &c, 1) != 1)
		waiter_failed = 4;
}

__attribute__((noinline)) static void wait_in_poll(void)
{
	if (poll(NULL, 0, (int)hold_ms) != 0)
		waiter_failed = 5;
}

static void *reader_main(void *arg)
{
	(void)arg;
	wait_on_pipe();
	return NULL;
}

static void *poller_main(void *arg)
{
	(void)arg;
	wait_in_poll();
	return NULL;
}

__attribute__((noinline)) static void spawn_waiters(pthread_t *t)
{
	if (pipe(pipefd) || pthread_create(&t[0], NULL, reader_main, NULL) ||
	    pthread_create(&t[1], NULL, poller_main, NULL)) {
		perror("spawn_waiters");
		exit(1);
	}
	pthread_setname_np(t[0], "reader");
	pthread_setname_np(t[1], "poller");
}

/* Names thread t "PREFIX-SLOT" and detaches it. */
static void name(pthread_t t, const char *prefix, long slot)
{
	char buf[16];
	snprintf(buf, sizeof buf, "%s-%ld", prefix, slot);
	pthread_setname_np(t, buf);
	pthread_detach(t);
}

__attribute__((noinline)) static void spawn_parked(int n, int first)
{
	for (long i = first; i < first + n; i++) {
		pthread_t t;
		if (pthread_create(&t, NULL, parked_main, (void *)i)) {
			perror("pthread_create");
			exit(1);
		}
		name(t, "parked", i);
	}
}

__attribute__((noinline)) static void spawn_blocked(int n, int first)
{
	for (long i = first; i < first + n; i++) {
		pthread_t t;
		if (pthread_create(&t, NULL, blocked_main, (void *)i)) {
			perror("pthread_create");
			exit(1);
		}
		name(t, "blocked", i);
	}
}

__attribute__((noinline)) static void spawn_finishing(int n)
{
	for (int i = 0; i < n; i++) {
		pthread_t t;
		void *block;
		if (pthread_create(&t, NULL, finishing_main, NULL)) {
			perror("pthread_create");
			exit(1);
		}
		pthread_join(t, &block);
		if (i == 0)
			kept = block; /* freed by nobody: its thread ended holding it */
		else
			free(block); /* freed by main, not by the thread that made it */
	}
}

int main(int argc, char **argv)
{
	int np = argc > 1 ? atoi(argv[1]) : 5, nb = argc > 2 ? atoi(argv[2]) : 2;
	int nf = argc > 3 ? atoi(argv[3]) : 3;
	long hold = argc > 4 ? atol(argv[4]) : 0;
	if (np < 0 || nb < 0 || np + nb > 64 || nf < 0) {
		fprintf(
		    stderr,
		    "usage: threads_park PARKED BLOCKED FINISHED HOLD_MS (at most 64 parked)\n");
		return 2;
	}
	spawn_parked(np, 0);
	spawn_blocked(nb, np);
	spawn_finishing(nf);
	hold_ms = hold;
	pthread_t waiters[2];
	spawn_waiters(waiters);
	pthread_mutex_lock(&lock);
	while (parked < np + nb)
		pthread_cond_wait(&arrived, &lock);
	pthread_mutex_unlock(&lock);
	/* Its pid on stderr, for a test that waits for it; stdout stays the
	 * same from run to run. */
	printf("ready\n");
	if (hold)
		fprintf(stderr, "ready %d\n", (int)getpid());
	fflush(stdout);
	struct timespec ts = { hold / 1000, hold % 1000 * 1000000L };
	if (nanosleep(&ts, NULL) < 0) {
		perror("nanosleep");
		return 3;
	}
	if (write(pipefd[1], "x", 1) != 1) {
		perror("write");
		return 1;
	}
	pthread_join(waiters[0], NULL);
	pthread_join(waiters[1], NULL);
	if (waiter_failed)
		fprintf(stderr, "threads_park: %s was cut short\n",
		        waiter_failed == 4 ? "read" : "poll");
	return waiter_failed;
}
