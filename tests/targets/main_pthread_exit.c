/* main_pthread_exit.c - target: main ends with pthread_exit, a worker
 * lives on.
 *
 * The program ends when its last thread does, and glibc then calls
 * exit(0). The probe's own publisher thread must not keep it alive (a
 * probed run would hang), and the exit handlers, which run in whichever
 * thread ends last, must still be tracked: the block freed by one is not
 * live at exit.
 *
 * main leaks 10 blocks of 100 bytes, registers free_at_exit, starts the
 * worker and calls pthread_exit. The worker waits until main has exited,
 * leaks 4 blocks of 500 bytes and returns.
 *
 * exit: 0
 * expect: leak_main_100x10 live_bytes=1000 live_blocks=10 alloc_calls=10
 * expect: leak_after_main_500x4 live_bytes=2000 live_blocks=4 alloc_calls=4
 * expect: freed_at_exit live_bytes=0 live_blocks=0 alloc_calls=1
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *kept;
static pid_t pid;

__attribute__((noinline)) static void leak_main_100x10(void)
{
	for (int i = 0; i < 10; i++)
		memset(malloc(100), i, 100);
}

__attribute__((noinline)) static void leak_after_main_500x4(void)
{
	for (int i = 0; i < 4; i++)
		memset(malloc(500), i, 500);
}

__attribute__((noinline)) static void *freed_at_exit(void)
{
	return malloc(4096);
}

static void free_at_exit(void)
{
	free(kept);
	printf("exit handlers ran\n");
}

/* The main thread is gone when /proc shows the leader as a zombie. */
static int main_exited(void)
{
	char path[64], buf[512];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] == 'Z';
}

static void *worker(void *arg)
{
	(void)arg;
	for (int i = 0; i < 500 && !main_exited(); i++)
		usleep(10000);
	leak_after_main_500x4();
	printf("worker done\n");
	fflush(stdout);
	return NULL;
}

int main(void)
{
	pthread_t t;
	pid = getpid();
	leak_main_100x10();
	kept = freed_at_exit();
	atexit(free_at_exit);
	if (pthread_create(&t, NULL, worker, NULL))
		return 1;
	pthread_exit(NULL);
}
