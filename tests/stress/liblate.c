/* liblate.c - for exit_late.cc: a library whose finalizer registers an
 * exit handler, and the note that exit_late writes.
 *
 * glibc runs the finalizers of every library, the probe's among them,
 * from one exit handler of the dynamic loader's, and runs the handlers
 * registered meanwhile after that one. So late() runs after the probe has
 * published its final snapshot and given its segment's name back, and
 * what it allocates cannot be in that snapshot. (The program's own
 * finalizers run earlier, before the loader's handler.) */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int __cxa_atexit(void (*fn)(void *), void *arg, void *dso);

void late_note(const char *when);

/* With STRESS_NOTE=FILE: appends "WHEN: N" to FILE, N the count of
 * segments of this pid in /dev/shm. */
void late_note(const char *when)
{
	const char *file = getenv("STRESS_NOTE");
	if (!file)
		return;
	char prefix[64];
	snprintf(prefix, sizeof prefix, "leaktop.%d.", (int)getpid());
	int n = 0;
	DIR *d = opendir("/dev/shm");
	for (struct dirent *e; d && (e = readdir(d));)
		n += !strncmp(e->d_name, prefix, strlen(prefix));
	if (d)
		closedir(d);
	FILE *f = fopen(file, "a");
	if (f) {
		fprintf(f, "%s: %d\n", when, n);
		fclose(f);
	}
}

static void *volatile late_kept;

__attribute__((noinline)) static void *late_leak(void)
{
	return memset(malloc(8000), 'l', 8000);
}

static void late(void *arg)
{
	(void)arg;
	char *p = malloc(300);
	snprintf(p, 300, "late handler: allocated, wrote and freed after every finalizer");
	puts(p);
	free(p);
	late_kept = late_leak();
	late_note("late handler");
}

/* A handler with no library of its own (dso NULL): unloading this
 * library would not run it early, only exit runs it, last. */
__attribute__((destructor)) static void register_late(void)
{
	__cxa_atexit(late, NULL, NULL);
}
