/* threads_many.c - many short-lived threads, created and joined in waves.
 *
 * Usage: threads_many COUNT HOLD_MS
 * spawn_wave starts 50 threads at a time that each allocate and free a
 * block and end; main joins each wave, COUNT threads in all. Then it prints
 * "ready" (and, when HOLD_MS is not 0, "ready PID" on stderr) and sleeps HOLD_MS. The probe must
 * keep a bounded registry: ended threads are counted, their slots reused.
 *
 * Read by tests/integration/run.sh:
 * args: 2000 0
 * exit: 0
 * expect: short_work live_bytes=0 live_blocks=0 alloc_calls=2000
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define WAVE 50

__attribute__((noinline)) static void short_work(void)
{
	void *volatile p = malloc(32);
	free(p);
}

static void *worker(void *arg)
{
	(void)arg;
	short_work();
	return NULL;
}

__attribute__((noinline)) static void spawn_wave(int n)
{
	pthread_t t[WAVE];
	for (int i = 0; i < n; i++)
		if (pthread_create(&t[i], NULL, worker, NULL)) {
			perror("pthread_create");
			exit(1);
		}
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
}

int main(int argc, char **argv)
{
	int count = argc > 1 ? atoi(argv[1]) : 2000;
	long hold = argc > 2 ? atol(argv[2]) : 0;
	for (int done = 0; done < count; done += WAVE)
		spawn_wave(count - done < WAVE ? count - done : WAVE);
	/* Its pid on stderr, for a test that waits for it; stdout stays the
	 * same from run to run. */
	printf("ready\n");
	if (hold)
		fprintf(stderr, "ready %d\n", (int)getpid());
	fflush(stdout);
	struct timespec ts = { hold / 1000, hold % 1000 * 1000000L };
	nanosleep(&ts, NULL);
	return 0;
}
