/* exit_thread.c - target: exit() called from a worker thread.
 *
 * The main thread leaks 30 blocks of 200 bytes and then waits forever; a
 * worker leaks 5 blocks of 1000 bytes and calls exit(17). The final
 * snapshot must still arrive, with the status, and count both leaks.
 *
 * exit: 17
 * expect: leak_main_200x30 live_bytes=6000 live_blocks=30 alloc_calls=30
 * expect: leak_worker_1000x5 live_bytes=5000 live_blocks=5 alloc_calls=5
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int main_done;

__attribute__((noinline)) static void leak_main_200x30(void)
{
	for (int i = 0; i < 30; i++)
		memset(malloc(200), i, 200);
}

__attribute__((noinline)) static void leak_worker_1000x5(void)
{
	for (int i = 0; i < 5; i++)
		memset(malloc(1000), i, 1000);
}

static void *worker(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock);
	while (!main_done)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
	leak_worker_1000x5();
	printf("exit_thread: worker exits the process\n");
	fflush(stdout);
	exit(17);
}

int main(void)
{
	pthread_t t;
	pthread_create(&t, NULL, worker, NULL);
	leak_main_200x30();
	pthread_mutex_lock(&lock);
	main_done = 1;
	pthread_cond_signal(&cond);
	pthread_mutex_unlock(&lock);
	for (;;)
		pause();
}
