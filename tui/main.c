/* main.c - the leaktop command: subcommand dispatch and shared parsing.
 *
 * Exit statuses: 0 success; 2 bad usage or bad input (one line on stderr);
 * for `record` (and `run`), the program's own status. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "shared/shm.h"
#include "xalloc.h"

#define LEAKTOP_VERSION "0.1.0"

static const char usage[] =
    "usage: leaktop COMMAND [OPTIONS]\n"
    "\n"
    "commands:\n"
    "  run [--interval MS] [--theme NAME] [--output FILE] [--stdin] [--depth N]\n"
    "      [--sample BYTES] [--follow-exec] -- PROGRAM [ARGS...]\n"
    "                 start PROGRAM with the probe and open the live view\n"
    "  attach [--theme NAME] PID\n"
    "                 open the live view on a running process; one started without\n"
    "                 the probe gets it now, through ptrace (it runs on)\n"
    "  detach PID     take an attached probe's hooks out again; the process runs on\n"
    "  list [--gc]    the probed processes this user can see; --gc removes the\n"
    "                 segments of those that are gone (killed)\n"
    "  record [-o|--output FILE] [--max-size BYTES] [--interval MS] [--depth N]\n"
    "         [--max-stacks N] [--sample BYTES] [--follow-exec] [--lines] [-q|--quiet]\n"
    "         -- PROGRAM [ARGS...]\n"
    "                 run PROGRAM with the probe, writing every snapshot to FILE;\n"
    "                 --sample 512K records about one allocation per 512 KiB and\n"
    "                 shows estimates (cheap enough for production)\n"
    "  record -p|--pid PID [-o FILE] [--max-size BYTES] [--lines] [-q]\n"
    "                 record a process that has the probe until Ctrl-C; it runs on\n"
    "  report (FILE | -p|--pid PID) [--at N|last] [-o|--output FILE]\n"
    "         [--format text|folded|json|pprof]\n"
    "         [--metric live_bytes|live_blocks|alloc_bytes|alloc_calls]\n"
    "         [--sort growth|METRIC] [--top N] [--threads]\n"
    "                 print one snapshot of a recording or of a running probed process;\n"
    "                 pprof: a gzipped profile.proto for go tool pprof and Pyroscope\n"
    "  diff BASE NEW [--format text|folded|json] [--metric METRIC] [--top N]\n"
    "                 what changed between two snapshots, per stack and per thread\n"
    "                 group, like pprof -base; each is FILE (its last snapshot), FILE@N\n"
    "                 (1 is the first), FILE@last or FILE@-DURATION (the last snapshot\n"
    "                 at least DURATION before the end: @-10s, @-2m, @-500ms)\n"
    "  replay FILE [--base SPEC] [--speed X] [--theme NAME]\n"
    "                 the live view on a recording, with a timeline: [ ] step, Home End\n"
    "                 jump, p plays at --speed X (default 10); --base SPEC shows the\n"
    "                 change since that snapshot (FILE@N, FILE@-DURATION, another run's)\n"
    "  help           this text\n"
    "  version        leaktop's version\n";

unsigned long parse_ulong(const char *opt, const char *s, unsigned long lo, unsigned long hi)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (!*s || *end || errno || *s == '-' || v < lo || v > hi)
		die("%s: '%s' is not a number from %lu to %lu", opt, s, lo, hi);
	return v;
}

uint64_t parse_bytes(const char *opt, const char *s, uint64_t hi)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	double unit = 1;
	switch (*end) {
	case 'k':
	case 'K': unit = 1024.0; break;
	case 'm':
	case 'M': unit = 1024.0 * 1024; break;
	case 'g':
	case 'G': unit = 1024.0 * 1024 * 1024; break;
	}
	if (unit > 1)
		end++;
	if (*end == 'B' || *end == 'b')
		end++;
	if (end == s || *end || errno || !(v >= 0) || v * unit > (double)hi)
		die("%s: '%s' is not a size up to %llu bytes (BYTES, or with K, M or G)", opt, s,
		    (unsigned long long)hi);
	return (uint64_t)(v * unit);
}

uint32_t parse_sample(const char *s)
{
	return (uint32_t)parse_bytes("--sample", s, LT_SAMPLE_MAX);
}

void die_bad_option(const char *cmd, int c, char **argv)
{
	const char *arg = argv[optind - 1];
	if (c == ':')
		die("%s: option '%s' needs a value (see 'leaktop help')", cmd, arg);
	if (optopt && arg[0] == '-' && arg[1] != '-')
		die("%s: unknown option '-%c' (see 'leaktop help')", cmd, optopt);
	die("%s: unknown option '%s' (see 'leaktop help')", cmd, arg);
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {
		{ "record", cmd_record }, { "report", cmd_report }, { "list", cmd_list },
		{ "run", cmd_run },       { "attach", cmd_attach }, { "detach", cmd_detach },
		{ "diff", cmd_diff },     { "replay", cmd_replay },
	};

	opterr = 0; /* the commands report bad options themselves, in one line */
	if (argc < 2) {
		fputs(usage, stderr);
		return 2;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		fputs(usage, stdout);
		return 0;
	}
	if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
		puts("leaktop " LEAKTOP_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		if (!strcmp(cmd, cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	die("unknown command '%s' (try 'leaktop help')", cmd);
}
