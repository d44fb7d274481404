/* sigchld.c - storms of SIGCHLD landing in threads that allocate.
 *
 * Usage: sigchld CHILDREN
 * Four threads fork CHILDREN children in all, in bursts of 25, and
 * allocate without pause in between. Each child allocates and leaves with
 * _exit(its pid % 200). SIGCHLD goes to the thread that forked, which is
 * most often inside malloc or free; the handler (no SA_RESTART) reaps
 * every child it can with waitpid and notes each status. Main waits until
 * every child is reaped and checks that each status is its child's.
 *
 * args: 2000
 * exit: 0
 * expect: leak_reaper live_bytes=4096 live_blocks=1 alloc_calls=1
 * expect: between_forks live_bytes=0 live_blocks=0 alloc_calls>=100
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "stress.h"

#define THREADS 4
#define BURST   25

static long children;
static atomic_long nreaped, wrong;
static void *kept;

__attribute__((noinline)) static void leak_reaper(void)
{
	kept = calloc(1, 4096);
}

static void on_child(int sig)
{
	(void)sig;
	int e = errno, st;
	pid_t pid;
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		atomic_fetch_add(&nreaped, 1);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != pid % 200)
			atomic_fetch_add(&wrong, 1);
	}
	errno = e;
}

__attribute__((noinline)) static void *between_forks(size_t n)
{
	return malloc(n);
}

static void *forker(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;
	long mine = children / THREADS + ((long)(uintptr_t)arg <= children % THREADS);
	void *slot[16] = { 0 };
	for (long done = 0; done < mine;) {
		for (int k = 0; k < BURST && done < mine; k++, done++) {
			pid_t pid = fork();
			if (pid == 0) {
				for (int i = 0; i < 20; i++)
					free(malloc((size_t)i * 100 + 1));
				_exit(getpid() % 200);
			}
			if (pid < 0)
				die("fork: %s", strerror(errno));
		}
		for (int i = 0; i < 2000; i++) {
			int s = rand_r(&seed) % 16;
			free(slot[s]);
			slot[s] = between_forks((size_t)rand_r(&seed) % 3000 + 1);
		}
	}
	for (int i = 0; i < 16; i++)
		free(slot[i]);
	return NULL;
}

int main(int argc, char **argv)
{
	children = arg_count(argc, argv, 1, 2000);
	leak_reaper();
	struct sigaction sa = { .sa_handler = on_child, .sa_flags = SA_NOCLDSTOP };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);
	fflush(stdout);

	pthread_t t[THREADS];
	for (int i = 0; i < THREADS; i++)
		if (pthread_create(&t[i], NULL, forker, (void *)(uintptr_t)(i + 1)))
			die("pthread_create: %s", strerror(errno));
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	/* The last children may still be exiting: their signals reap them. */
	for (int tries = 0; atomic_load(&nreaped) < children && tries < 20000; tries++)
		nanosleep(&(struct timespec){ 0, 500000 }, NULL);
	check(atomic_load(&nreaped) == children && atomic_load(&wrong) == 0,
	      "sigchld: %ld children forked by %d allocating threads, all reaped by the SIGCHLD "
	      "handler, each with its own status",
	      children, THREADS);
	return stress_done();
}
