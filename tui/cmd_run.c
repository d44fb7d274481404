/* cmd_run.c - `leaktop run` and `leaktop attach`: the live view.
 *
 * run starts the program with the probe behind the launcher's gate, sends
 * its stdout and stderr to a log file (the view owns the terminal) and its
 * stdin from /dev/null unless --stdin, then hands the terminal to ui.c.
 * attach opens the view on a process that already has the probe. The theme
 * is loaded first, so a bad one is an error before the terminal changes. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attach.h"
#include "blind.h"
#include "shared/outfile.h"
#include "cmd.h"
#include "launch.h"
#include "ui.h"
#include "xalloc.h"

static void load_theme(struct app *a, const char *name)
{
	char err[512];
	if (theme_choose(&a->theme, name, err, sizeof err) < 0)
		die("%s", err);
}

static int run_or_attach(int argc, char **argv, int attach)
{
	static const struct option opts[] = {
		{ "interval", required_argument, NULL, 'i' },
		{ "theme", required_argument, NULL, 'T' },
		{ "output", required_argument, NULL, 'o' },
		{ "stdin", no_argument, NULL, 'S' },
		{ "depth", required_argument, NULL, 'd' },
		{ "sample", required_argument, NULL, 'z' },
		{ "follow-exec", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = attach ? "attach" : "run";
	struct launch_opts lo = { .stdio_fd = -1, .stdin_null = 1 };
	const char *theme = NULL, *out = NULL;
	struct app *a = xcalloc(1, sizeof *a);
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			lo.interval_ms =
			    (unsigned)parse_ulong("--interval", optarg, LT_TICK_MS, 3600000);
			a->refresh_ms = lo.interval_ms;
			break;
		case 'T': theme = optarg; break;
		case 'o': out = optarg; break;
		case 'S': lo.stdin_null = 0; break;
		case 'd':
			lo.depth = (unsigned)parse_ulong("--depth", optarg, 1, LT_DEPTH_MAX);
			break;
		case 'z': lo.sample_bytes = parse_sample(optarg); break;
		case 'f': lo.follow_exec = 1; break;
		case 'h':
			puts(attach ? "usage: leaktop attach [--theme NAME] PID"
			            : "usage: leaktop run [--interval MS] [--theme NAME] [--output "
			              "FILE] [--stdin]\n"
			              "                   [--depth N] [--sample BYTES] "
			              "[--follow-exec] -- PROGRAM [ARGS...]");
			return 0;
		default: die_bad_option(cmd, c, argv);
		}
	}
	if (!isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO))
		die("%s: the live view needs a terminal (use 'leaktop record' or 'leaktop report "
		    "-p')",
		    cmd);
	load_theme(a, theme);
	a->prof = profile_new();
	if (!a->prof)
		die("out of memory");

	if (attach) {
		if (optind + 1 != argc)
			die("attach: give one PID (leaktop attach PID)");
		a->pid = (pid_t)parse_ulong("attach", argv[optind], 1, 1u << 30);
		char err[512];
		if (attach_open(&a->src, a->pid, 1, err, sizeof err) < 0)
			die("%s", err);
		char probe[4096];
		a->probe_state = inject_probe_state(a->pid, probe, sizeof probe);
		a->attached = 1;
		char exe[64], why[256];
		snprintf(exe, sizeof exe, "/proc/%d/exe", (int)a->pid);
		if (blind_check(exe, a->src.rd.hdr.program, why, sizeof why) == BLIND_OWN_MALLOC)
			snprintf(a->blind, sizeof a->blind, "no allocations seen: %s", why);
		int status = ui_run(a);
		profile_free(a->prof);
		free(a);
		return status;
	}

	if (optind >= argc)
		die("run: no program given (leaktop run [OPTIONS] -- PROGRAM [ARGS...])");
	char **prog = argv + optind;
	char path[PATH_MAX], err[512];
	if (out) {
		snprintf(path, sizeof path, "%s", out);
	} else {
		char base[PATH_MAX];
		snprintf(base, sizeof base, "%s", prog[0]);
		snprintf(path, sizeof path, "leaktop.%s.%d.log", basename(base), (int)getpid());
	}
	/* 0600, never through a symlink, nobody else's file replaced. */
	lo.stdio_fd = outfile_create(path, err, sizeof err);
	if (lo.stdio_fd < 0)
		die("%s: %s", path, err);
	/* A program the probe cannot load in would show an empty view, which
	 * reads as "no leaks": say why instead. */
	char why[256];
	switch (blind_check(prog[0], prog[0], why, sizeof why)) {
	case BLIND_STATIC:
	case BLIND_SECURE: unlink(path); die("no allocations can be seen: %s", why);
	case BLIND_OWN_MALLOC:
		snprintf(a->blind, sizeof a->blind, "no allocations seen: %s", why);
		break;
	case BLIND_NO: break;
	}
	struct launch l;
	if (launch_prepare(&l, prog, &lo, err, sizeof err) < 0)
		die("%s", err);
	close(lo.stdio_fd);
	if (launch_go(&l, prog[0], err, sizeof err) < 0)
		die("%s", err);
	a->pid = a->child = l.pid;
	a->log_path = path;
	/* cbreak mode: ^C still sends SIGINT; the view must survive it and
	 * restore the terminal through q, not die mid-screen. */
	signal(SIGINT, SIG_IGN);
	int status = ui_run(a);
	if (!a->detach)
		launch_gc_segments();
	profile_free(a->prof);
	free(a);
	return status;
}

int cmd_run(int argc, char **argv)
{
	return run_or_attach(argc, argv, 0);
}

int cmd_attach(int argc, char **argv)
{
	return run_or_attach(argc, argv, 1);
}
