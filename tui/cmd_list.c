/* cmd_list.c - `leaktop list`: the probed processes this user can see.
 *
 * One line per segment in /dev/shm that this user owns and that validates:
 * pid, state, uptime, live heap, program. Segments whose process is gone
 * (killed, so it never exited, or its pid now names another process) are
 * listed as "gone"; --gc removes those, and only those, saying so on
 * stderr, one line each. A segment of this user that does not validate (one
 * from an older leaktop, or spoiled) is removed when no process has the
 * pid in its name. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "shared/shm.h"
#include "xalloc.h"

static const char *state_name(uint32_t state, int alive)
{
	if (state == LT_STATE_EXITED)
		return "exited";
	if (!alive)
		return "gone";
	return state == LT_STATE_DISABLED ? "untracked" : "running";
}

/* Unlinks the segment of a process that is gone; 1 when it did. */
static int collect(const char *seg, pid_t pid, const char *why)
{
	char name[LT_SHM_NAME_MAX + 1];
	snprintf(name, sizeof name, "/%s", seg);
	if (shm_unlink(name) < 0) {
		fprintf(stderr, "leaktop: cannot remove %s: %s\n", seg, strerror(errno));
		return 0;
	}
	fprintf(stderr, "leaktop: removed %s (pid %d is gone%s%s)\n", seg, (int)pid,
	        why ? "; it did not validate: " : "", why ? why : "");
	return 1;
}

/* A segment that does not validate: removed when it is this user's and no
 * process has the pid its name gives. */
static void collect_invalid(const char *seg, const char *why)
{
	char path[LT_SHM_NAME_MAX + 16];
	struct stat st;
	long pid = strtol(seg + strlen(LT_SHM_PREFIX), NULL, 10);
	snprintf(path, sizeof path, "/dev/shm/%s", seg);
	if (pid > 0 && lstat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
	    kill((pid_t)pid, 0) < 0 && errno == ESRCH)
		collect(seg, (pid_t)pid, why);
}

int cmd_list(int argc, char **argv)
{
	int gc = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--gc"))
			gc = 1;
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return puts("usage: leaktop list [--gc]"), 0;
		else
			die("list: unexpected argument '%s' (see 'leaktop help')", argv[i]);
	}
	DIR *d = opendir("/dev/shm");
	if (!d)
		die("cannot read /dev/shm");
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	uint64_t now_ns = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
	printf("%8s  %-9s %10s %12s  %s\n", "PID", "STATE", "UPTIME", "LIVE HEAP", "PROGRAM");
	for (struct dirent *e; (e = readdir(d));) {
		struct shm_reader r;
		struct lt_snap_header h;
		const char *cause;
		if (strncmp(e->d_name, LT_SHM_PREFIX, strlen(LT_SHM_PREFIX)) ||
		    strlen(e->d_name) >= LT_SHM_NAME_MAX)
			continue;
		if (shm_reader_open(&r, e->d_name, &cause) < 0) {
			if (gc)
				collect_invalid(e->d_name, cause);
			continue;
		}
		int status = 0;
		uint32_t state = shm_state(&r, &status);
		int alive = shm_process_alive(&r);
		if (gc && !alive && collect(r.name, r.hdr.pid, NULL)) {
			shm_reader_close(&r);
			continue;
		}
		uint64_t live = 0;
		if (shm_read_snapshot(&r, &h, NULL, 0) == 0)
			live = h.totals.live_bytes;
		uint64_t up =
		    now_ns > r.hdr.start_ns ? (now_ns - r.hdr.start_ns) / 1000000000ull : 0;
		char upbuf[32];
		snprintf(upbuf, sizeof upbuf, "%llu:%02llu:%02llu", (unsigned long long)(up / 3600),
		         (unsigned long long)(up / 60 % 60), (unsigned long long)(up % 60));
		printf("%8d  %-9s %10s %12llu  %s\n", r.hdr.pid, state_name(state, alive), upbuf,
		       (unsigned long long)live, r.hdr.program);
		shm_reader_close(&r);
	}
	closedir(d);
	return 0;
}
