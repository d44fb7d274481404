/* fork_storm.c - forks from 8 threads at once while they allocate; every
 * child forks again.
 *
 * Usage: fork_storm FORKS
 * Eight threads allocate, reallocate and free without pause, and between
 * rounds each forks, FORKS times in all (so forks from several threads
 * overlap, each while the others allocate). Every child allocates in
 * child_work, forks a grandchild that allocates in grandchild_work and
 * leaves with _exit(5), reaps it, and leaves with exit(0) when it saw 5
 * (exit runs the exit handlers, the probe's among them). Main leaks 100
 * blocks of 64 bytes in leak_storm first; the children's allocations must
 * not reach the parent's figures.
 *
 * args: 400
 * exit: 0
 * expect: leak_storm live_bytes=6400 live_blocks=100 alloc_calls=100
 * expect: child_work alloc_calls=0
 * expect: grandchild_work alloc_calls=0
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "stress.h"

#define THREADS 8

static long forks_left;
static atomic_long forks_taken, children_ok;
static void *kept[100];

__attribute__((noinline)) static void leak_storm(void)
{
	for (int i = 0; i < 100; i++)
		kept[i] = memset(malloc(64), i, 64);
}

__attribute__((noinline)) static void grandchild_work(void)
{
	for (int i = 0; i < 200; i++)
		free(malloc((size_t)i * 37 + 1));
	_exit(5);
}

__attribute__((noinline)) static void child_work(void)
{
	void *p[50];
	for (int i = 0; i < 50; i++)
		p[i] = malloc((size_t)i * 101 + 1);
	pid_t g = fork();
	if (g == 0)
		grandchild_work();
	for (int i = 0; i < 50; i++)
		free(p[i]);
	int st;
	if (g < 0 || waitpid(g, &st, 0) != g)
		_exit(3);
	exit(WIFEXITED(st) && WEXITSTATUS(st) == 5 ? 0 : 4);
}

static void *storm(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;
	void *slot[32] = { 0 };
	while (atomic_fetch_add(&forks_taken, 1) < forks_left) {
		for (int k = 0; k < 200; k++) {
			int i = rand_r(&seed) % 32;
			slot[i] = realloc(slot[i], (size_t)rand_r(&seed) % 9000 + 1);
		}
		pid_t pid = fork();
		if (pid < 0) {
			atomic_fetch_sub(&children_ok, 1000000);
			break;
		}
		if (pid == 0)
			child_work();
		int st;
		if (waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0)
			atomic_fetch_add(&children_ok, 1);
	}
	for (int i = 0; i < 32; i++)
		free(slot[i]);
	return NULL;
}

int main(int argc, char **argv)
{
	forks_left = arg_count(argc, argv, 1, 400);
	leak_storm();
	/* Nothing buffered at a fork, so no child flushes a copy of it. */
	fflush(stdout);
	pthread_t t[THREADS];
	for (int i = 0; i < THREADS; i++)
		if (pthread_create(&t[i], NULL, storm, (void *)(uintptr_t)(i + 1)))
			die("pthread_create: %s", strerror(errno));
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	check(atomic_load(&children_ok) == forks_left,
	      "fork_storm: %ld forks from %d allocating threads; every child forked a grandchild "
	      "that exited 5, and exited 0",
	      forks_left, THREADS);
	int intact = 1;
	for (int i = 0; i < 100; i++) {
		const unsigned char *b = kept[i];
		intact &= b[0] == i && b[63] == i;
	}
	check(intact, "fork_storm: the parent's 100 kept blocks are intact");
	return stress_done();
}
