/* attach.c - loading the probe into a running process, or taking it out.
 *
 * What to do is decided by the probe's own state, read out of the process
 * without stopping it (inject_probe_state): a probe the program was started
 * with tracks already, and a probe attach loaded may be on or detached.
 * Loading goes by path: the libleaktop.so the process has mapped, if any,
 * so that one process never holds two; else the one beside leaktop. Its
 * settings come from leaktop's environment (LEAKTOP_INTERVAL and the
 * rest), since the program's environment is the program's. */
#define _GNU_SOURCE
#include "attach.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "launch.h"
#include "shared/shm.h"

#define PROBE_BUSY (-2) /* leaktop_attach/detach: try again (probe/got.h) */
#define BUSY_TRIES 50

/* inject_call, again while the probe answers "busy": its publisher is
 * redirecting a library the program just loaded, for a few milliseconds. */
static int call_probe(pid_t pid, const char *probe, int load, const char *fn, const char *arg,
                      struct inject_report *rep, char *err, size_t n)
{
	for (int tries = 0;; tries++) {
		if (inject_call(pid, probe, load, fn, arg, rep, err, n) < 0)
			return -1;
		if (rep->result != PROBE_BUSY || tries == BUSY_TRIES)
			return 0;
		usleep(10000);
	}
}

int attach_probe(pid_t pid, struct inject_report *rep, char *err, size_t n)
{
	static const char *const names[] = { "LEAKTOP_INTERVAL", "LEAKTOP_DEPTH",
		                             "LEAKTOP_MAX_STACKS", "LEAKTOP_SAMPLE",
		                             "LEAKTOP_SAMPLE_SEED" };
	char probe[4096], config[512] = "";
	memset(rep, 0, sizeof *rep);
	if (inject_refusal(pid, err, n) < 0)
		return -1;
	int state = inject_probe_state(pid, probe, sizeof probe);
	if (state == LT_ATTACH_PRELOADED || state == LT_ATTACH_ON)
		return 0;
	if (state < 0 && launch_probe_path(probe, sizeof probe) < 0) {
		snprintf(err, n, "cannot find libleaktop.so (looked next to leaktop)");
		return -1;
	}
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		const char *v = getenv(names[i]);
		size_t used = strlen(config);
		if (v && *v && !strpbrk(v, " \t\n"))
			snprintf(config + used, sizeof config - used, "%s=%s ", names[i], v);
	}
	if (call_probe(pid, probe, 1, "leaktop_attach", config, rep, err, n) < 0)
		return -1;
	if (rep->result < 0) {
		snprintf(err, n,
		         "process %d: the probe could not start there (its stderr says why)",
		         (int)pid);
		return -1;
	}
	return 0;
}

int detach_probe(pid_t pid, struct inject_report *rep, char *err, size_t n)
{
	char probe[4096];
	memset(rep, 0, sizeof *rep);
	if (inject_refusal(pid, err, n) < 0)
		return -1;
	switch (inject_probe_state(pid, probe, sizeof probe)) {
	case LT_ATTACH_ON: break;
	case LT_ATTACH_PRELOADED:
	case LT_ATTACH_NONE:
		snprintf(err, n,
		         "process %d was started with the probe: there is nothing to detach",
		         (int)pid);
		return -1;
	case LT_ATTACH_IDLE:
	case LT_ATTACH_OFF:
		snprintf(err, n, "process %d: its probe is detached already", (int)pid);
		return -1;
	default: snprintf(err, n, "process %d has no leaktop probe to detach", (int)pid); return -1;
	}
	if (call_probe(pid, probe, 0, "leaktop_detach", NULL, rep, err, n) < 0)
		return -1;
	if (rep->result < 0) {
		snprintf(err, n, "process %d: its probe was not attached by leaktop attach",
		         (int)pid);
		return -1;
	}
	return 0;
}

int attach_open(struct source *src, pid_t pid, int quiet, char *err, size_t n)
{
	char name[LT_SHM_NAME_MAX], probe[4096];
	const char *cause;
	struct inject_report rep;
	/* Load or re-arm a probe where there is none, or one that attach
	 * loaded and detach took out; never where a segment stands without a
	 * probe of ours (refused or not, it is what the user asked to see). */
	int segment = shm_find_by_pid(pid, name, &cause) == 0 || cause;
	int state = inject_probe_state(pid, probe, sizeof probe);
	if ((!segment && state < 0) || state == LT_ATTACH_IDLE || state == LT_ATTACH_OFF) {
		if (attach_probe(pid, &rep, err, n) < 0)
			return -1;
		if (!quiet && rep.threads)
			fprintf(
			    stderr,
			    "leaktop: attached to process %d: %ld entries point at the probe; %d "
			    "threads stopped %.1f ms\n",
			    (int)pid, rep.result, rep.threads, (double)rep.stop_ns / 1e6);
	}
	return source_open(src, pid, err, n);
}
