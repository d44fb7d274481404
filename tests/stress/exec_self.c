/* exec_self.c - a program that execs itself three times while a thread of
 * it allocates.
 *
 * Usage: exec_self [GENERATION PID]
 * Generations 0 to 2 each start a thread that allocates without pause,
 * leak 10 blocks of 100 bytes in leak_gen, and exec /proc/self/exe as the
 * next generation, the thread still allocating. Generation 3 leaks 7
 * blocks of 300 bytes in leak_last and exits 0. Each checks that it is
 * still the first one's process.
 *
 * With STRESS_NOTE=FILE in the environment each generation appends to
 * FILE the names of the segments in /dev/shm that belong to its pid: the
 * probe following the exec (LEAKTOP_FOLLOW_EXEC=1) makes one for each
 * image, and unlinks the old one's name before the exec. run.sh reads it.
 *
 * exit: 0
 * expect: leak_last live_bytes=2100 live_blocks=7 alloc_calls=7
 * expect: leak_gen alloc_calls=0
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "stress.h"

#define LAST 3

__attribute__((noinline)) static void leak_gen(void)
{
	for (int i = 0; i < 10; i++)
		memset(malloc(100), i, 100);
}

__attribute__((noinline)) static void leak_last(void)
{
	for (int i = 0; i < 7; i++)
		memset(malloc(300), i, 300);
}

static void *allocate_forever(void *arg)
{
	(void)arg;
	for (unsigned i = 0;; i++)
		free(memset(malloc(i % 5000 + 1), 1, 1));
	return NULL;
}

static void note_segments(int gen)
{
	const char *note = getenv("STRESS_NOTE");
	if (!note)
		return;
	FILE *f = fopen(note, "a");
	DIR *d = opendir("/dev/shm");
	if (!f || !d)
		die("cannot write the note %s", note);
	char prefix[64];
	snprintf(prefix, sizeof prefix, "leaktop.%d.", (int)getpid());
	fprintf(f, "generation %d:", gen);
	for (struct dirent *e; (e = readdir(d));)
		if (!strncmp(e->d_name, prefix, strlen(prefix)))
			fprintf(f, " %s", e->d_name);
	fputc('\n', f);
	closedir(d);
	fclose(f);
}

int main(int argc, char **argv)
{
	int gen = argc > 2 ? atoi(argv[1]) : 0;
	pid_t first = argc > 2 ? (pid_t)atoi(argv[2]) : getpid();

	check(getpid() == first, "exec_self: generation %d runs in the first one's process", gen);
	note_segments(gen);
	if (gen == LAST) {
		leak_last();
		return stress_done();
	}
	leak_gen();
	pthread_t t;
	if (pthread_create(&t, NULL, allocate_forever, NULL))
		die("pthread_create: %s", strerror(errno));
	usleep(20000);
	char next[16], pid[16];
	snprintf(next, sizeof next, "%d", gen + 1);
	snprintf(pid, sizeof pid, "%d", (int)first);
	fflush(stdout);
	execl("/proc/self/exe", argv[0], next, pid, (char *)NULL);
	die("exec: %s", strerror(errno));
}
