/* fork.c - target: fork while 4 threads allocate.
 *
 * Four threads allocate and free in alloc_churn until told to stop; main
 * forks 20 times meanwhile. Each child (one thread, whatever locks the
 * others held at the fork) allocates and frees in child_allocate, then
 * leaves through exit(0), so the probe's fork and exit handling in a child
 * are both exercised; the parent waits for every child and checks it
 * exited 0. The parent keeps exactly 20 blocks of 512 bytes from
 * leak_parent_512x20, one after each fork. The children's allocations
 * must not show up in the parent's figures.
 *
 * Read by tests/integration/run.sh:
 * exit: 16
 * expect: leak_parent_512x20 live_bytes=10240 live_blocks=20 alloc_calls=20
 * expect: alloc_churn live_bytes=0 live_blocks=0 alloc_calls>=4
 * expect: child_allocate live_bytes=0 live_blocks=0 alloc_calls=0
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define THREADS 4
#define FORKS   20

static _Atomic int stop;

__attribute__((noinline)) static void alloc_churn(int k)
{
	void *p = malloc(32 + (size_t)(k % 64) * 16);
	void *q = calloc(4, 100);
	free(p);
	free(q);
}

static void *worker(void *arg)
{
	(void)arg;
	int k = 0;
	/* At least one round, so alloc_calls is never 0 however fast main is. */
	do
		alloc_churn(k++);
	while (!stop);
	return NULL;
}

__attribute__((noinline)) static void child_allocate(void)
{
	void *keep = malloc(1000);
	for (int i = 0; i < 100; i++)
		free(malloc(64 + (size_t)i));
	free(keep);
}

__attribute__((noinline)) static void leak_parent_512x20(void)
{
	memset(malloc(512), 1, 512);
}

int main(void)
{
	pthread_t t[THREADS];
	int bad = 0;

	for (int i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	for (int i = 0; i < FORKS; i++) {
		fflush(NULL); /* the child's exit must not flush our buffer again */
		pid_t pid = fork();
		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0) {
			child_allocate();
			exit(0);
		}
		leak_parent_512x20();
		int status;
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
			bad++;
	}
	stop = 1;
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	if (bad) {
		fprintf(stderr, "fork: %d children failed\n", bad);
		return 1;
	}
	printf("fork: %d children exited 0\n", FORKS);
	return 16;
}
