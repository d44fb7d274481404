/* stress.h - what the stress targets share: checks that say what they
 * checked, and the end of the run.
 *
 * A target prints one line per check on stdout, "ok: WHAT" or "FAIL: WHAT",
 * and main returns stress_done(): 0 when every check passed, 1 otherwise.
 * What a line says must not depend on timing or addresses: run.sh compares
 * the stdout of a bare run with the runs under the probe, byte for byte.
 * Targets that fork flush stdout first, so no child repeats a line. */
#ifndef LEAKTOP_STRESS_H
#define LEAKTOP_STRESS_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int stress_failures;

/* One check: ok says whether it held; the rest is printf-style. */
__attribute__((format(printf, 2, 3))) static inline void check(int ok, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs(ok ? "ok: " : "FAIL: ", stdout);
	vprintf(fmt, ap);
	putchar('\n');
	va_end(ap);
	if (!ok)
		stress_failures++;
}

/* Something the target could not even set up: exits 2 at once. */
__attribute__((format(printf, 1, 2), noreturn)) static inline void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("FAIL: ", stdout);
	vprintf(fmt, ap);
	putchar('\n');
	va_end(ap);
	fflush(stdout);
	_exit(2);
}

/* main's return value. */
static inline int stress_done(void)
{
	fflush(stdout);
	return stress_failures ? 1 : 0;
}

/* The path of the file name in the directory this program is in. */
static inline void beside_self(char *out, size_t size, const char *name)
{
	ssize_t n = readlink("/proc/self/exe", out, size);
	if (n <= 0 || (size_t)n >= size)
		die("readlink /proc/self/exe");
	while (n > 0 && out[n - 1] != '/')
		n--;
	if ((size_t)n + strlen(name) >= size)
		die("path too long: %.*s%s", (int)n, out, name);
	strcpy(out + n, name);
}

/* An argument as a positive count, or def when absent. */
static inline long arg_count(int argc, char **argv, int i, long def)
{
	if (argc <= i)
		return def;
	long v = strtol(argv[i], NULL, 10);
	if (v <= 0)
		die("argument %d: a positive count, not \"%s\"", i, argv[i]);
	return v;
}

#endif
