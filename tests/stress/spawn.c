/* spawn.c - posix_spawn, vfork+exec and popen in loops, while threads
 * allocate.
 *
 * Usage: spawn COUNT            (as the parent)
 *        spawn child K          (as a child: allocates, exits K % 100)
 * Four threads allocate without pause. Main starts COUNT children each
 * way: posix_spawn of this program, vfork and execv of it (the vfork
 * child shares the parent's memory until its exec), and popen of
 * "echo K", reading its line; it checks every status and every line.
 * Main leaks 3 blocks of 1000 bytes in leak_spawner.
 *
 * args: 300
 * exit: 0
 * expect: leak_spawner live_bytes=3000 live_blocks=3 alloc_calls=3
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <spawn.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "stress.h"

extern char **environ;

static atomic_int stop;

__attribute__((noinline)) static void leak_spawner(void)
{
	for (int i = 0; i < 3; i++)
		memset(malloc(1000), i, 1000);
}

static void *allocate(void *arg)
{
	(void)arg;
	void *slot[16] = { 0 };
	for (unsigned i = 0; !atomic_load(&stop); i++) {
		slot[i % 16] = realloc(slot[i % 16], i % 7000 + 1);
		memset(slot[i % 16], 1, 1);
		if (i % 1000 == 0)
			usleep(200); /* two cores: leave the children some */
	}
	for (int i = 0; i < 16; i++)
		free(slot[i]);
	return NULL;
}

static int child(int k)
{
	for (int i = 0; i < 100; i++)
		free(malloc((size_t)i * 50 + 1));
	return k % 100;
}

static int exited_with(pid_t pid, int want)
{
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return 0;
	return WIFEXITED(st) && WEXITSTATUS(st) == want;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "child"))
		return child(atoi(argv[2]));
	long count = arg_count(argc, argv, 1, 300);
	leak_spawner();
	fflush(stdout);
	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		if (pthread_create(&t[i], NULL, allocate, NULL))
			die("pthread_create: %s", strerror(errno));

	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0)
		die("readlink /proc/self/exe");
	self[n] = '\0';

	int spawned = 0, vforked = 0, popened = 0;
	for (long k = 0; k < count; k++) {
		char arg[16];
		snprintf(arg, sizeof arg, "%ld", k);
		char *cargv[] = { self, "child", arg, NULL };

		pid_t pid;
		if (posix_spawn(&pid, self, NULL, NULL, cargv, environ) == 0)
			spawned += exited_with(pid, (int)(k % 100));

		pid = vfork();
		if (pid == 0) {
			execv(self, cargv);
			_exit(127);
		}
		if (pid > 0)
			vforked += exited_with(pid, (int)(k % 100));

		char cmd[32], line[32] = "";
		snprintf(cmd, sizeof cmd, "echo %ld", k);
		FILE *p = popen(cmd, "r");
		if (p) {
			if (!fgets(line, sizeof line, p))
				line[0] = '\0';
			popened += pclose(p) == 0 && atol(line) == k && line[0];
		}
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	check(spawned == count, "spawn: %ld children by posix_spawn, each exited with its status",
	      count);
	check(vforked == count,
	      "spawn: %ld children by vfork and execv, each exited with its status", count);
	check(popened == count, "spawn: %ld popen(\"echo K\"), each line read back", count);
	return stress_done();
}
