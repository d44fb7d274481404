/* cmd_list.c - `leaktop list`: the probed processes this user can see.
 *
 * One line per segment in /dev/shm that this user owns and that validates:
 * pid, state, uptime, live heap, program. Segments whose process is gone
 * (killed, so it never exited) are listed as "gone"; issue 6's --gc will
 * remove them. */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

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

int cmd_list(int argc, char **argv)
{
	if (argc > 1)
		die("list: unexpected argument '%s' (see 'leaktop help')", argv[1]);
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
		if (shm_reader_open(&r, e->d_name, &cause) < 0)
			continue;
		int status = 0;
		uint32_t state = shm_state(&r, &status);
		int alive = shm_process_alive(&r);
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
