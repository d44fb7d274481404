/* cmd_report.c - `leaktop report`: one snapshot of a recording, or of a
 * running probed process (-p PID, like `top -b -n 1`), as text, folded or
 * json, its stacks by a metric, or (--sort growth) likeliest leak first,
 * judged on every snapshot up to the one shown; or as a gzipped pprof
 * profile.proto holding every stack. On stdout, or in a file (-o) created
 * as recordings are (outfile.h) and removed again if it cannot be written
 * whole. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "lines.h"
#include "pprof.h"
#include "report.h"
#include "shared/outfile.h"
#include "shared/recording.h"
#include "source.h"
#include "xalloc.h"

static const char usage[] =
    "usage: leaktop report (FILE | -p PID) [--at N|last] [-o FILE]\n"
    "                      [--format text|folded|json|pprof]\n"
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
	 * for one newer than what is already published: a probe answers within
	 * a tick or two (100 ms each); after 1.5 s the one published is shown. */
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
	for (int tries = 0; state == LT_STATE_RUNNING && alive && tries < 15; tries++) {
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
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct report_opts o = { REPORT_TEXT, METRIC_LIVE_BYTES, 0, SORT_METRIC };
	const char *at = "last", *output = NULL;
	long pid = 0;
	int c, v, top_set = 0, threads = 0, pprof = 0, shaped = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":p:o:h", opts, NULL)) != -1) {
		/* what picks and orders the stacks shown; pprof holds them all */
		shaped |= c == 'm' || c == 's' || c == 't' || c == 'T';
		switch (c) {
		case 'a': at = optarg; break;
		case 'f':
			if ((pprof = !strcmp(optarg, "pprof")))
				break;
			if ((v = report_parse_format(optarg)) < 0)
				die("report: unknown format '%s' (text, folded, json or pprof)",
				    optarg);
			o.format = (enum report_format)v;
			break;
		case 'o': output = optarg; break;
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
	if (pprof && shaped)
		die("report: --format pprof holds every stack and all four counts; it takes no "
		    "--metric, --sort, --top or --threads");
	if (pprof && !output && isatty(STDOUT_FILENO))
		die("report: --format pprof is binary; give -o FILE or redirect stdout");

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
		lines_fill(p);
	}

	uint32_t i = p->nsnaps - 1;
	if (strcmp(at, "last")) {
		unsigned long n = parse_ulong("--at", at, 1, p->nsnaps);
		i = (uint32_t)n - 1;
	}
	if (threads && !profile_threads_at(p, p->snaps[i].time_ns))
		die("report: no thread snapshot at or before snapshot %u", i + 1);

	FILE *out = stdout;
	if (output) {
		char err[256];
		int fd = outfile_create(output, err, sizeof err);
		if (fd < 0)
			die("%s: %s", output, err);
		if (!(out = fdopen(fd, "w"))) {
			int e = errno;
			close(fd);
			unlink(output);
			die("%s: %s", output, strerror(e));
		}
	}
	int rc = 0;
	if (pprof)
		rc = pprof_write(out, p, i);
	else if (threads)
		rc = report_threads_write(out, p, p->snaps[i].time_ns, o.format);
	else
		report_write(out, p, i, &o);
	profile_free(p);
	rc |= fflush(out) != 0 || ferror(out) ? -1 : 0;
	int e = errno;
	if (output && fclose(out) != 0 && rc == 0) {
		rc = -1;
		e = errno;
	}
	if (rc < 0 && output)
		unlink(output); /* never a half-written file */
	if (rc < 0)
		die("cannot write %s: %s", output ? output : "the report", strerror(e));
	return 0;
}
