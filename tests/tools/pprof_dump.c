/* pprof_dump.c - prints a gzipped profile.proto as normalized text, for the
 * integration tests of `leaktop report --format pprof`.
 *
 *   pprof_dump FILE              the header, tables and samples (pd_print)
 *   pprof_dump --folded K FILE   sample value K (0 the first) as folded
 *                                stacks, like leaktop report --format folded
 *
 * Exits 0 when FILE decodes and passes pd_check, 1 with one line on stderr
 * when it does not, 2 on bad usage. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/tools/pprof_decode.h"

static int fail(const char *path, const char *what)
{
	fprintf(stderr, "pprof_dump: %s: %s\n", path, what);
	return 1;
}

int main(int argc, char **argv)
{
	long folded = -1;
	if (argc == 4 && !strcmp(argv[1], "--folded")) {
		char *end;
		folded = strtol(argv[2], &end, 10);
		if (*end || folded < 0) {
			fputs("pprof_dump: --folded takes a value index, 0 or more\n", stderr);
			return 2;
		}
	} else if (argc != 2) {
		fputs("usage: pprof_dump [--folded K] FILE\n", stderr);
		return 2;
	}
	const char *path = argv[argc - 1];

	FILE *f = fopen(path, "rb");
	if (!f)
		return fail(path, strerror(errno));
	size_t n = 0, cap = 1 << 16;
	unsigned char *buf = malloc(cap);
	while (buf) {
		n += fread(buf + n, 1, cap - n, f);
		if (n < cap)
			break;
		buf = realloc(buf, cap *= 2);
	}
	int rerr = ferror(f);
	fclose(f);
	if (!buf || rerr)
		return fail(path, buf ? "read error" : "out of memory");

	char err[512];
	unsigned char *raw;
	size_t rawn;
	if (pd_gunzip(buf, n, &raw, &rawn, err, sizeof err) < 0) {
		free(buf);
		return fail(path, err);
	}
	free(buf);
	struct pd_profile p;
	int rc = pd_decode(raw, rawn, &p, err, sizeof err) < 0 || pd_check(&p, err, sizeof err) < 0;
	free(raw);
	if (rc) {
		pd_free(&p);
		return fail(path, err);
	}
	if (folded >= 0)
		pd_print_folded(stdout, &p, (size_t)folded);
	else
		pd_print(stdout, &p);
	pd_free(&p);
	return fflush(stdout) == 0 ? 0 : 1;
}
