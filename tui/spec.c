/* spec.c - FILE, FILE@N, FILE@last and FILE@-DURATION: which snapshot of
 * which recording a command means.
 *
 * The text after the last '@' decides: "last", digits, or '-' and a digit
 * make it a spec (and a malformed one an error); anything else leaves the
 * whole text a file name. A duration is counted back from the last
 * snapshot's time, so FILE@-10s means "ten seconds before the end",
 * whatever the snapshots' interval; CLOCK_REALTIME may step back, so the
 * search walks from the end and takes the first snapshot at or before the
 * target. */
#define _GNU_SOURCE
#include "spec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lines.h"
#include "shared/recording.h"
#include "xalloc.h"

/* Units of a duration, longest name first so "ms" is not read as "m". */
static const struct {
	const char *name;
	uint64_t ns;
} units[] = {
	{ "ms", 1000000ull },
	{ "s", 1000000000ull },
	{ "m", 60000000000ull },
	{ "h", 3600000000000ull },
};

/* "10s", "1.5m", "500ms" into nanoseconds; 0, or -1 when malformed or
 * above UINT64_MAX ns (584 years). */
static int parse_duration(const char *t, uint64_t *ns)
{
	size_t nint = strspn(t, "0123456789");
	if (!nint || nint > 12)
		return -1;
	uint64_t whole = strtoull(t, NULL, 10);
	const char *p = t + nint;
	double frac = 0;
	if (*p == '.') {
		size_t nfrac = strspn(p + 1, "0123456789");
		if (!nfrac || nfrac > 9)
			return -1;
		frac = strtod(p, NULL);
		p += 1 + nfrac;
	}
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (strcmp(p, units[i].name))
			continue;
		if (whole > UINT64_MAX / units[i].ns - 1)
			return -1;
		*ns = whole * units[i].ns + (uint64_t)(frac * (double)units[i].ns + 0.5);
		return 0;
	}
	return -1;
}

int spec_parse(struct spec *s, const char *text, char *err, size_t errlen)
{
	const char *at = strrchr(text, '@');
	const char *suffix = at ? at + 1 : "";
	memset(s, 0, sizeof *s);
	s->kind = SPEC_LAST;
	s->text = xstrdup(text);
	size_t ndigits = strspn(suffix, "0123456789");
	int is_spec = !strcmp(suffix, "last") || (*suffix && !suffix[ndigits]) ||
	              (suffix[0] == '-' && suffix[1] >= '0' && suffix[1] <= '9');
	if (!at || !is_spec) {
		s->file = xstrdup(text);
		return 0;
	}
	if (at == text) {
		snprintf(err, errlen, "%s: no file before the '@'", text);
		spec_fini(s);
		return -1;
	}
	if (suffix[0] == '-') {
		if (parse_duration(suffix + 1, &s->before_ns) < 0) {
			snprintf(err, errlen,
			         "%s: '%s' is not a duration (a number and ms, s, m or h, as in "
			         "@-10s)",
			         text, suffix);
			spec_fini(s);
			return -1;
		}
		s->kind = SPEC_BEFORE_END;
	} else if (strcmp(suffix, "last")) {
		errno = 0;
		unsigned long long n = strtoull(suffix, NULL, 10);
		if (errno || n < 1 || n > UINT32_MAX) {
			snprintf(err, errlen, "%s: '%s' is not a snapshot number (1 is the first)",
			         text, suffix);
			spec_fini(s);
			return -1;
		}
		s->kind = SPEC_INDEX;
		s->index = (uint32_t)n;
	}
	s->file = xstrdup(text);
	s->file[at - text] = '\0';
	return 0;
}

int spec_resolve(const struct spec *s, const struct profile *p, uint32_t *index, char *err,
                 size_t errlen)
{
	if (!p->nsnaps) {
		snprintf(err, errlen, "%s: the recording holds no snapshot", s->file);
		return -1;
	}
	uint64_t last = p->snaps[p->nsnaps - 1].time_ns, first = p->snaps[0].time_ns;
	switch (s->kind) {
	case SPEC_LAST: *index = p->nsnaps - 1; return 0;
	case SPEC_INDEX:
		if (s->index > p->nsnaps) {
			snprintf(err, errlen, "%s: the recording holds %u snapshots", s->text,
			         p->nsnaps);
			return -1;
		}
		*index = s->index - 1;
		return 0;
	case SPEC_BEFORE_END:
		if (last < first || s->before_ns > last - first) {
			snprintf(err, errlen,
			         "%s: %.3f s before the last snapshot is before the first (the "
			         "snapshots span %.3f s)",
			         s->text, (double)s->before_ns / 1e9,
			         last > first ? (double)(last - first) / 1e9 : 0.0);
			return -1;
		}
		/* The first is at or before the target: the walk ends there. */
		*index = p->nsnaps - 1;
		while (*index > 0 && p->snaps[*index].time_ns > last - s->before_ns)
			(*index)--;
		return 0;
	}
	return -1;
}

void spec_fini(struct spec *s)
{
	free(s->text);
	free(s->file);
	s->text = s->file = NULL;
}

struct profile *spec_load(const char *text, struct spec *s, uint32_t *index, char *torn,
                          size_t tornlen)
{
	char err[512];
	if (spec_parse(s, text, err, sizeof err) < 0)
		die("%s", err);
	struct profile *p = profile_new();
	if (!p)
		die("out of memory");
	torn[0] = '\0';
	int r = rec_read_file(s->file, p, err, sizeof err);
	if (r < 0 || (r > 0 && !p->nsnaps))
		die("%s: %s", s->file, err);
	if (r > 0)
		snprintf(torn, tornlen, "%s", err);
	lines_fill(p);
	if (spec_resolve(s, p, index, err, sizeof err) < 0)
		die("%s", err);
	return p;
}
