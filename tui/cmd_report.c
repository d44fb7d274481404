/* cmd_report.c - `leaktop report`: one snapshot of a recording, or of a
 * running probed process (-p PID, like `top -b -n 1`), as text, folded or
 * json on stdout; its stacks by a metric, or (--sort growth) likeliest leak
 * first, judged on every snapshot up to the one shown. */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "report.h"
#include "shared/recording.h"
#include "source.h"
#include "xalloc.h"

static const char usage[] =
    "usage: leaktop report (FILE | -p PID) [--at N|last] [--format text|folded|json]\n"
    "                      [--metric live_bytes|live_blocks|alloc_bytes|alloc_calls]\n"
    "                      [--sort growth|live_bytes|live_blocks|alloc_bytes|alloc_calls] [--top "
    "N]\n"
    "                      [--threads | --metric threads]";

/* Takes one fresh snapshot of a live process. */
static void load_live(struct profile *p, pid_t pid)
{
	struct source src;
	char err[256];
	if (source_open(&src, pid, err, sizeof err) < 0)
		die("%s", err);
	/* Ask for a snapshot now rather than at the next interval, then wait
	 * for one newer than what is already published (at most ~2 s). */
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	uint64_t now_ns = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
	source_want_interval(&src, LT_TICK_MS, now_ns + 2000000000ull);
	int got = source_poll(&src, p, err, sizeof err);
	if (got < 0)
		die("%s", err);
	int status;
	uint32_t state = source_state(&src, &status);
	if (state == LT_STATE_EXITED) {
		p->end = PROF_EXITED;
		p->end_code = status;
	}
	int alive = shm_process_alive(&src.rd);
	if (state == LT_STATE_RUNNING && !alive)
		fprintf(stderr,
		        "leaktop: process %d is gone without exiting (killed?); this is its last "
		        "snapshot\n",
		        (int)pid);
	for (int tries = 0; state == LT_STATE_RUNNING && alive && tries < 25; tries++) {
		struct timespec ts = { 0, 100 * 1000000L };
		nanosleep(&ts, NULL);
		if ((got = source_poll(&src, p, err, sizeof err)) < 0)
			die("%s", err);
		if (got > 0 && p->nsnaps >= 2)
			break;
	}
	source_close(&src);
	if (!p->nsnaps)
		die("process %d has published no snapshot yet", (int)pid);
}

int cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "at", required_argument, NULL, 'a' },
		{ "format", required_argument, NULL, 'f' },
		{ "metric", required_argument, NULL, 'm' },
		{ "sort", required_argument, NULL, 's' },
		{ "top", required_argument, NULL, 't' },
		{ "pid", required_argument, NULL, 'p' },
		{ "threads", no_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct report_opts o = { REPORT_TEXT, METRIC_LIVE_BYTES, 0, SORT_METRIC };
	const char *at = "last";
	long pid = 0;
	int c, v, top_set = 0, threads = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":p:h", opts, NULL)) != -1) {
		switch (c) {
		case 'a': at = optarg; break;
		case 'f':
			if ((v = report_parse_format(optarg)) < 0)
				die("report: unknown format '%s' (text, folded or json)", optarg);
			o.format = (enum report_format)v;
			break;
		case 'm':
			if (!strcmp(optarg, "threads")) {
				threads = 1; /* one folded line a thread group */
				break;
			}
			if ((v = report_parse_metric(optarg)) < 0)
				die("report: unknown metric '%s'", optarg);
			o.metric = (enum report_metric)v;
			break;
		case 's':
			if ((v = report_parse_sort(optarg)) < 0)
				die("report: unknown sort '%s' (growth or a metric)", optarg);
			o.sort = (enum report_sort)v;
			break;
		case 't':
			o.top = (unsigned)parse_ulong("--top", optarg, 1, 1u << 30);
			top_set = 1;
			break;
		case 'p': pid = (long)parse_ulong("-p", optarg, 1, 1u << 30); break;
		case 'T': threads = 1; break;
		case 'h': puts(usage); return 0;
		default: die_bad_option("report", c, argv);
		}
	}
	if (!top_set && o.format == REPORT_TEXT)
		o.top = 20;
	if ((pid != 0) == (optind < argc))
		die("report: give exactly one of FILE or -p PID (see 'leaktop help')");
	if (optind + 1 < argc)
		die("report: unexpected argument '%s'", argv[optind + 1]);

	struct profile *p = profile_new();
	if (!p)
		die("out of memory");
	if (pid) {
		load_live(p, (pid_t)pid);
	} else {
		char err[512];
		const char *file = argv[optind];
		int r = rec_read_file(file, p, err, sizeof err);
		if (r < 0 || (r > 0 && !p->nsnaps))
			die("%s: %s", file, err);
		if (r > 0)
			fprintf(stderr,
			        "leaktop: %s: %s; showing the %u complete snapshots before it\n",
			        file, err, p->nsnaps);
		if (!p->nsnaps)
			die("%s: the recording holds no snapshot", file);
	}

	uint32_t i = p->nsnaps - 1;
	if (strcmp(at, "last")) {
		unsigned long n = parse_ulong("--at", at, 1, p->nsnaps);
		i = (uint32_t)n - 1;
	}
	if (threads) {
		if (report_threads_write(stdout, p, p->snaps[i].time_ns, o.format) < 0)
			die("report: no thread snapshot at or before snapshot %u", i + 1);
	} else {
		report_write(stdout, p, i, &o);
	}
	profile_free(p);
	if (fflush(stdout) != 0 || ferror(stdout))
		die("cannot write the report");
	return 0;
}
