/* cmd_detach.c - `leaktop detach PID`: takes the hooks of a probe that
 * `leaktop attach` loaded out of the process (attach.c). The process runs
 * on as it did before the attach; the probe stays loaded, idle, and the
 * next attach reuses it. */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>

#include "attach.h"
#include "cmd.h"
#include "xalloc.h"

int cmd_detach(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		if (c == 'h') {
			puts("usage: leaktop detach PID");
			return 0;
		}
		die_bad_option("detach", c, argv);
	}
	if (optind + 1 != argc)
		die("detach: give one PID (leaktop detach PID)");
	pid_t pid = (pid_t)parse_ulong("detach", argv[optind], 1, 1u << 30);
	struct inject_report rep;
	char err[512];
	if (detach_probe(pid, &rep, err, sizeof err) < 0)
		die("%s", err);
	fprintf(stderr,
	        "leaktop: process %d: probe detached, %ld entries put back (threads stopped "
	        "%.1f ms)\n",
	        (int)pid, rep.result, (double)rep.stop_ns / 1e6);
	return 0;
}
