/* measure.c - runs a command and reports what it and all its descendants cost.
 *
 * A tool under test may spawn helpers (heaptrack's shell script starts zstd
 * or heaptrack_interpret; leaktop record forks the target), and a helper
 * that outlives its parent is reparented to init, whose CPU time nobody
 * sees. So this wrapper makes itself a child subreaper (PR_SET_CHILD_SUBREAPER):
 * orphans come back to it, it reaps every descendant, and
 * getrusage(RUSAGE_CHILDREN) then holds the user and system time of the
 * whole tree. Wall time runs from before fork until the last descendant is
 * reaped.
 *
 *   measure OUTFILE CMD [ARGS...]
 *
 * writes one line to OUTFILE: "wall_s user_s sys_s maxrss_kb status", where
 * maxrss_kb is the peak RSS of the largest single descendant and status is
 * the command's exit status (128+N for signal N). The command's own output
 * passes through untouched. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double seconds(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: measure OUTFILE CMD [ARGS...]\n");
		return 2;
	}
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
		perror("measure: PR_SET_CHILD_SUBREAPER");
		return 2;
	}
	double t0 = now();
	pid_t pid = fork();
	if (pid < 0) {
		perror("measure: fork");
		return 2;
	}
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		perror(argv[2]);
		_exit(127);
	}
	int status = 0, ws;
	for (;;) {
		pid_t w = wait(&ws);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			break; /* ECHILD: every descendant is reaped */
		}
		if (w == pid)
			status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
	}
	double wall = now() - t0;

	struct rusage ru;
	getrusage(RUSAGE_CHILDREN, &ru);
	FILE *f = fopen(argv[1], "w");
	if (!f) {
		perror(argv[1]);
		return 2;
	}
	fprintf(f, "%.4f %.4f %.4f %ld %d\n", wall, seconds(ru.ru_utime), seconds(ru.ru_stime),
	        ru.ru_maxrss, status);
	fclose(f);
	return status;
}
