/* cmd_replay.c - `leaktop replay FILE`: the live view on a recording, with
 * a timeline to step, jump and play through its snapshots.
 *
 * The file is read whole before the terminal changes, so a file that is
 * not a recording, or a corrupt one, is one line on stderr and status 2; a
 * torn one (its recorder killed) replays what is complete, and the view
 * says where it stopped. FILE may name a snapshot to start at, as diff's
 * specs do (FILE@N, FILE@-10s). The views get the recording cut at the
 * cursor (timeline.h) in place of the live history; --base SPEC gives them
 * a baseline, as `b` does live: a snapshot of the same file, or of another
 * run's, its stacks matched by name (diff_rebase). */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "diff.h"
#include "spec.h"
#include "ui.h"
#include "xalloc.h"

#define DEFAULT_SPEED 10.0

static const char usage[] =
    "usage: leaktop replay FILE [--base SPEC] [--speed X] [--theme NAME]\n"
    "  FILE: a recording; FILE@N or FILE@-DURATION starts at that snapshot\n"
    "  --base SPEC  the views show the change since that snapshot: FILE@N, FILE@last,\n"
    "               FILE@-DURATION, of this recording or of another run's\n"
    "  --speed X    seconds of the recording a second of play (default 10)";

static int same_file(const char *x, const char *y)
{
	struct stat a, b;
	if (stat(x, &a) < 0 || stat(y, &b) < 0)
		return !strcmp(x, y);
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* --base SPEC into a->base, under the stack ids of whole (read from file).
 * A torn base file serves the snapshots it holds, as diff's sides do. */
static void load_base(struct app *a, const char *text, const struct profile *whole,
                      const char *file)
{
	struct spec s;
	char err[512], torn[512];
	uint32_t i;
	if (spec_parse(&s, text, err, sizeof err) < 0)
		die("--base %s", err);
	if (same_file(s.file, file)) {
		if (spec_resolve(&s, whole, &i, err, sizeof err) < 0)
			die("--base %s", err);
		const struct snapshot *b = &whole->snaps[i];
		a->base = *b;
		a->base.e = xcalloc(b->n ? b->n : 1, sizeof *b->e);
		memcpy(a->base.e, b->e, b->n * sizeof *b->e);
	} else {
		spec_fini(&s);
		struct profile *other = spec_load(text, &s, &i, torn, sizeof torn);
		diff_rebase(&a->base, other, i, whole);
		profile_free(other);
	}
	a->has_base = 1;
	snprintf(a->base_label, sizeof a->base_label, "%s", text);
	spec_fini(&s);
}

int cmd_replay(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "base", required_argument, NULL, 'b' },
		{ "speed", required_argument, NULL, 's' },
		{ "theme", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *base = NULL, *theme = NULL;
	double speed = DEFAULT_SPEED;
	char *end, err[512];
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'b': base = optarg; break;
		case 's':
			speed = strtod(optarg, &end);
			if (end == optarg || *end || !(speed >= TIMELINE_SPEED_MIN) ||
			    speed > TIMELINE_SPEED_MAX)
				die("--speed: '%s' is not a number from %g to %g", optarg,
				    TIMELINE_SPEED_MIN, TIMELINE_SPEED_MAX);
			break;
		case 'T': theme = optarg; break;
		case 'h': puts(usage); return 0;
		default: die_bad_option("replay", c, argv);
		}
	}
	if (argc - optind != 1)
		die("replay: give one recording (leaktop replay FILE)");

	struct app *a = xcalloc(1, sizeof *a);
	struct spec s;
	uint32_t start;
	char torn[512];
	struct profile *whole = spec_load(argv[optind], &s, &start, torn, sizeof torn);
	if (!strcmp(s.text, s.file))
		start = 0; /* a plain FILE replays from its start */
	if (base)
		load_base(a, base, whole, s.file);
	if (theme_choose(&a->theme, theme, err, sizeof err) < 0)
		die("%s", err);
	if (!isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO))
		die("replay: the view needs a terminal (use 'leaktop report FILE --at N')");

	struct timeline tl;
	timeline_init(&tl, whole, speed);
	timeline_seek(&tl, start, 0);
	a->tl = &tl;
	a->prof = &tl.window;
	a->pid = whole->pid;
	if (torn[0])
		snprintf(a->note, sizeof a->note, "stopped at %.140s", torn);
	int status = ui_run(a);
	profile_free(whole);
	spec_fini(&s);
	free(a);
	return status;
}
