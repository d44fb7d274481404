/* cmd_record.c - `leaktop record`: run a program with the probe, no view,
 * and write every snapshot to a recording.
 *
 * The program's stdin, stdout and stderr are leaktop's own, untouched, and
 * leaktop exits with its status (128 + N when killed by signal N). While it
 * runs, leaktop ignores SIGINT and SIGQUIT (the terminal sends them to the
 * program too, which decides), and passes SIGTERM and SIGHUP on to it. The
 * recording is synced after every snapshot, so killing leaktop loses at
 * most the snapshot in flight.
 *
 * With -p PID it records a process that already has the probe (started by
 * leaktop run, record, or LD_PRELOAD) until Ctrl-C, SIGTERM or SIGHUP end
 * the recording cleanly, or the process ends; the process runs on,
 * untouched.
 *
 * The file is kept under --max-size (DEFAULT_MAX_SIZE): past it, the older
 * snapshots are thinned (rec_writer_limit). leaktop itself keeps only the
 * newest snapshot in memory, so an hours-long run costs it no more than a
 * minute's. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "blind.h"
#include "attach.h"
#include "cmd.h"
#include "launch.h"
#include "shared/recording.h"
#include "source.h"
#include "xalloc.h"

/* 100 MiB: a ten-minute recording of the demo at 1 s takes under 1 MB, so
 * this is days of a small program, and hours of one with 50,000 stacks. */
#define DEFAULT_MAX_SIZE (100ull << 20)

static const char usage[] =
    "usage: leaktop record [-o FILE] [--max-size BYTES] [--interval MS] "
    "[--depth N] [--sample BYTES]\n"
    "                      [--max-stacks N] [--follow-exec] [--lines] [-q] "
    "-- PROGRAM [ARGS...]\n"
    "       leaktop record -p PID [-o FILE] [--max-size BYTES] [--lines] [-q]";

struct recorder_run {
	struct source src;
	struct profile *prof;
	struct rec_writer w;
	const char *path;
	uint64_t max_size;
	int attached;
	int lines; /* --lines: files and lines looked up while recording */
};

/* Creates the file, with its size limit. 0, or -1 with a message in err. */
static int create_file(struct recorder_run *r, char *err, size_t errlen)
{
	if (rec_writer_create(&r->w, r->path, err, errlen) < 0)
		return -1;
	if (rec_writer_limit(&r->w, r->path, r->max_size) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/* Writes what is new, and forgets it but for the newest snapshot. */
static void sync_or_die(struct recorder_run *r)
{
	char err[256];
	if (rec_writer_sync(&r->w, r->prof, err, sizeof err) < 0)
		die("%s: %s", r->path, err);
	rec_writer_forget(&r->w, r->prof);
}

/* --max-size: bytes, 0 for no limit, or a bad-option exit. */
static uint64_t parse_max_size(const char *s)
{
	uint64_t v = parse_bytes("--max-size", s, 1ull << 50);
	if (v > 0 && v < 65536)
		die("--max-size: %s is below the 64 KiB a recording needs to thin into", s);
	return v;
}

/* One poll: attach when the segment appears, copy and write what is new. */
static void poll_once(struct recorder_run *r, pid_t pid)
{
	char err[256];
	if (!r->attached) {
		if (source_open(&r->src, pid, err, sizeof err) < 0)
			return;
		r->src.no_lines = !r->lines;
		r->attached = 1;
	}
	if (source_follow(&r->src, r->prof)) {
		/* A new image after exec: its stacks start a new profile, and
		 * the file gets a new META so readers start over too. */
		rec_writer_restart(&r->w);
	}
	if (source_poll(&r->src, r->prof, err, sizeof err) > 0)
		sync_or_die(r);
}

/* Writes what p holds so far and an END record, closes the file, and says
 * what it wrote unless quiet. */
static void finish(struct recorder_run *r, int quiet, const char *after)
{
	char err[256];
	sync_or_die(r);
	if (rec_writer_finish(&r->w, r->prof, err, sizeof err) < 0)
		die("%s: %s", r->path, err);
	unsigned nsnaps = r->w.snaps_written, thinned = r->w.thinned;
	if (quiet)
		return;
	if (thinned)
		fprintf(stderr,
		        "leaktop: wrote %u snapshots to %s, %u of them thinned away to stay under "
		        "--max-size%s\n",
		        nsnaps, r->path, thinned, after);
	else
		fprintf(stderr, "leaktop: wrote %u snapshots to %s%s\n", nsnaps, r->path, after);
}

/* `record -p PID`: until a signal or the process's end. */
static int record_pid(pid_t pid, const char *out, uint64_t max_size, int lines, int quiet)
{
	struct recorder_run r = { .max_size = max_size, .lines = lines };
	char path[PATH_MAX], err[512];
	if (attach_open(&r.src, pid, quiet, err, sizeof err) < 0)
		die("%s", err);
	r.src.no_lines = !lines;
	r.attached = 1;
	if (out) {
		snprintf(path, sizeof path, "%s", out);
	} else {
		char base[PATH_MAX];
		snprintf(base, sizeof base, "%s", r.src.rd.hdr.program);
		snprintf(path, sizeof path, "leaktop.%s.%d.lkt", basename(base), (int)pid);
	}
	r.path = path;
	if (create_file(&r, err, sizeof err) < 0)
		die("%s: %s", path, err);
	r.prof = profile_new();
	if (!r.prof)
		die("out of memory");
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGHUP);
	sigprocmask(SIG_BLOCK, &stop, NULL);
	const char *after = "";
	for (;;) {
		poll_once(&r, pid);
		int status;
		uint32_t state = source_state(&r.src, &status);
		if (state == LT_STATE_EXITED) {
			r.prof->end = PROF_EXITED;
			r.prof->end_code = status;
			after = "; the process exited";
			break;
		}
		if (!shm_process_alive(&r.src.rd) || r.src.broken) {
			after = r.src.broken ? "; its segment can no longer be read"
			                     : "; the process is gone (killed?)";
			break;
		}
		struct timespec ts = { 0, 50 * 1000000L };
		if (sigtimedwait(&stop, NULL, &ts) > 0) {
			poll_once(&r, pid); /* what came in meanwhile */
			after = "; the process runs on";
			break;
		}
	}
	finish(&r, quiet, after);
	source_close(&r.src);
	profile_free(r.prof);
	return 0;
}

int cmd_record(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "interval", required_argument, NULL, 'i' },
		{ "depth", required_argument, NULL, 'd' },
		{ "follow-exec", no_argument, NULL, 'f' },
		{ "max-stacks", required_argument, NULL, 's' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "pid", required_argument, NULL, 'p' },
		{ "max-size", required_argument, NULL, 'm' },
		{ "sample", required_argument, NULL, 'z' },
		{ "lines", no_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct launch_opts lo = { .stdio_fd = -1 };
	struct recorder_run r = { .max_size = DEFAULT_MAX_SIZE };
	char path[PATH_MAX], err[512];
	const char *out = NULL;
	int quiet = 0, c, launch_opt = 0;
	long pid = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+:o:p:qh", opts, NULL)) != -1) {
		launch_opt |= c == 'i' || c == 'd' || c == 's' || c == 'f' || c == 'z';
		switch (c) {
		case 'o': out = optarg; break;
		case 'm': r.max_size = parse_max_size(optarg); break;
		case 'p': pid = (long)parse_ulong("-p", optarg, 1, 1u << 30); break;
		case 'i':
			lo.interval_ms =
			    (unsigned)parse_ulong("--interval", optarg, LT_TICK_MS, 3600000);
			break;
		case 'd':
			lo.depth = (unsigned)parse_ulong("--depth", optarg, 1, LT_DEPTH_MAX);
			break;
		case 's':
			lo.max_stacks = (unsigned)parse_ulong("--max-stacks", optarg, 16, 1u << 24);
			break;
		case 'f': lo.follow_exec = 1; break;
		case 'z': lo.sample_bytes = parse_sample(optarg); break;
		case 'L': r.lines = 1; break;
		case 'q': quiet = 1; break;
		case 'h': puts(usage); return 0;
		default: die_bad_option("record", c, argv);
		}
	}
	if (pid) {
		if (optind < argc)
			die("record: give -p PID or a program, not both");
		if (launch_opt)
			die("record: -p PID records the probe as it runs: --interval, --depth, "
			    "--max-stacks, --sample and --follow-exec are for a program leaktop "
			    "starts");
		return record_pid((pid_t)pid, out, r.max_size, r.lines, quiet);
	}
	if (optind >= argc)
		die("record: no program given (leaktop record [OPTIONS] -- PROGRAM [ARGS...])");
	char **prog = argv + optind;

	/* The program runs whatever the probe can see; the closing line says
	 * why the recording is empty, when the file tells. */
	char why[256];
	enum blind blind = blind_check(prog[0], prog[0], why, sizeof why);
	struct launch l;
	if (launch_prepare(&l, prog, &lo, err, sizeof err) < 0)
		die("%s", err);
	if (out) {
		snprintf(path, sizeof path, "%s", out);
	} else {
		char base[PATH_MAX];
		snprintf(base, sizeof base, "%s", prog[0]);
		snprintf(path, sizeof path, "leaktop.%s.%d.lkt", basename(base), (int)l.pid);
	}
	r.path = path;
	if (create_file(&r, err, sizeof err) < 0) {
		launch_abort(&l);
		die("%s: %s", path, err);
	}
	r.prof = profile_new();
	if (!r.prof)
		die("out of memory");

	/* From here the child has what it needs; now take over signals. */
	sigset_t wait_set;
	sigemptyset(&wait_set);
	sigaddset(&wait_set, SIGCHLD);
	sigaddset(&wait_set, SIGTERM);
	sigaddset(&wait_set, SIGHUP);
	sigprocmask(SIG_BLOCK, &wait_set, NULL);
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	if (launch_go(&l, prog[0], err, sizeof err) < 0) {
		unlink(path);
		die("%s", err);
	}

	int status = 0;
	for (;;) {
		/* Poll at most every 50 ms: the probe publishes every interval,
		 * and a short program must not outlive its first snapshot. */
		struct timespec ts = { 0, 50 * 1000000L };
		int sig = sigtimedwait(&wait_set, NULL, &ts);
		if (sig == SIGTERM || sig == SIGHUP)
			kill(l.pid, sig);
		pid_t w = waitpid(l.pid, &status, WNOHANG);
		poll_once(&r, l.pid);
		if (w == l.pid)
			break;
	}

	if (WIFEXITED(status)) {
		r.prof->end = PROF_EXITED;
		r.prof->end_code = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status)) {
		r.prof->end = PROF_SIGNALED;
		r.prof->end_code = WTERMSIG(status);
	}
	finish(&r, quiet || !r.attached || blind != BLIND_NO, "");
	if (!quiet && (!r.attached || blind == BLIND_OWN_MALLOC)) {
		if (blind != BLIND_NO)
			fprintf(stderr, "leaktop: no allocations seen: %s; wrote %s\n", why, path);
		else if (!r.attached)
			fprintf(stderr, "leaktop: no probe appeared in %s; wrote %s\n", prog[0],
			        path);
	}
	if (r.attached)
		source_close(&r.src);
	launch_gc_segments();
	profile_free(r.prof);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
