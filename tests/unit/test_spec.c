/* test_spec.c - FILE, FILE@N, FILE@last and FILE@-DURATION: how each is
 * split, and which snapshot it names in a profile with known times. */
#include "tui/spec.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define S  1000000000ull
#define MS 1000000ull
#define T0 (1700000000ull * S)

/* Five snapshots at 0, 1, 2, 2.5 and 10 s after T0. */
static struct profile *make_profile(void)
{
	static const uint64_t at[] = { 0, 1 * S, 2 * S, 2 * S + 500 * MS, 10 * S };
	struct profile *p = profile_new();
	for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
		struct snapshot s = { .seqno = i + 1, .time_ns = T0 + at[i] };
		CHECK_EQ_U64(profile_add_snapshot(p, &s), 0);
	}
	return p;
}

/* The index text names in p, or -1 when it names none (parse or resolve). */
static int64_t index_of(const struct profile *p, const char *text)
{
	struct spec s;
	char err[256];
	uint32_t i;
	if (spec_parse(&s, text, err, sizeof err) < 0)
		return -1;
	int r = spec_resolve(&s, p, &i, err, sizeof err);
	spec_fini(&s);
	return r < 0 ? -1 : (int64_t)i;
}

static void check_parse(const char *text, const char *file, enum spec_kind kind)
{
	struct spec s;
	char err[256];
	CHECK_EQ_U64(spec_parse(&s, text, err, sizeof err), 0);
	CHECK_STR(s.file, file);
	CHECK_STR(s.text, text);
	CHECK_EQ_U64(s.kind, kind);
	spec_fini(&s);
}

static void check_error(const char *text, const char *want)
{
	struct spec s;
	char err[256] = "";
	CHECK_EQ_U64((uint64_t)(int64_t)spec_parse(&s, text, err, sizeof err), (uint64_t)-1);
	CHECK_STR(err, want);
}

int main(void)
{
	struct profile *p = make_profile();
	struct spec s;
	char err[256];
	uint32_t i;

	/* Splitting. */
	check_parse("run.lkt", "run.lkt", SPEC_LAST);
	check_parse("run.lkt@last", "run.lkt", SPEC_LAST);
	check_parse("dir/run.lkt@3", "dir/run.lkt", SPEC_INDEX);
	check_parse("run.lkt@-10s", "run.lkt", SPEC_BEFORE_END);
	check_parse("a@b.lkt", "a@b.lkt", SPEC_LAST); /* not a spec: part of the name */
	check_parse("a@b.lkt@2", "a@b.lkt", SPEC_INDEX);
	check_parse("run.lkt@-x", "run.lkt@-x", SPEC_LAST);
	CHECK_EQ_U64(spec_parse(&s, "r@-1.5m", err, sizeof err), 0);
	CHECK_EQ_U64(s.before_ns, 90 * S);
	spec_fini(&s);
	CHECK_EQ_U64(spec_parse(&s, "r@-500ms", err, sizeof err), 0);
	CHECK_EQ_U64(s.before_ns, 500 * MS);
	spec_fini(&s);
	CHECK_EQ_U64(spec_parse(&s, "r@-2h", err, sizeof err), 0);
	CHECK_EQ_U64(s.before_ns, 7200 * S);
	spec_fini(&s);
	CHECK_EQ_U64(spec_parse(&s, "r@7", err, sizeof err), 0);
	CHECK_EQ_U64(s.index, 7);
	spec_fini(&s);
	check_error("r@-10",
	            "r@-10: '-10' is not a duration (a number and ms, s, m or h, as in @-10s)");
	check_error(
	    "r@-10sec",
	    "r@-10sec: '-10sec' is not a duration (a number and ms, s, m or h, as in @-10s)");
	check_error("r@-1.s",
	            "r@-1.s: '-1.s' is not a duration (a number and ms, s, m or h, as in @-10s)");
	check_error("r@0", "r@0: '0' is not a snapshot number (1 is the first)");
	check_error("r@99999999999", "r@99999999999: '99999999999' is not a snapshot number (1 is "
	                             "the first)");
	check_error("@3", "@3: no file before the '@'");

	/* Which snapshot: by number, last, and counted back from the end
	 * (10 s): the last one at or before the target. */
	CHECK_EQ_U64(index_of(p, "r"), 4);
	CHECK_EQ_U64(index_of(p, "r@last"), 4);
	CHECK_EQ_U64(index_of(p, "r@1"), 0);
	CHECK_EQ_U64(index_of(p, "r@5"), 4);
	CHECK_EQ_U64(index_of(p, "r@6"), (uint64_t)-1);
	CHECK_EQ_U64(index_of(p, "r@-0s"), 4);
	CHECK_EQ_U64(index_of(p, "r@-1ms"), 3);    /* 9.999 s: the one at 2.5 */
	CHECK_EQ_U64(index_of(p, "r@-7500ms"), 3); /* exactly 2.5 s */
	CHECK_EQ_U64(index_of(p, "r@-7501ms"), 2); /* 2.499 s: the one at 2 */
	CHECK_EQ_U64(index_of(p, "r@-8s"), 2);
	CHECK_EQ_U64(index_of(p, "r@-8.5s"), 1);
	CHECK_EQ_U64(index_of(p, "r@-9s"), 1);
	CHECK_EQ_U64(index_of(p, "r@-9.5s"), 0);
	CHECK_EQ_U64(index_of(p, "r@-10s"), 0); /* exactly the first */
	CHECK_EQ_U64(index_of(p, "r@-10001ms"), (uint64_t)-1);
	CHECK_EQ_U64(index_of(p, "r@-1m"), (uint64_t)-1);

	CHECK_EQ_U64(spec_parse(&s, "r@-11s", err, sizeof err), 0);
	CHECK_EQ_U64((uint64_t)(int64_t)spec_resolve(&s, p, &i, err, sizeof err), (uint64_t)-1);
	CHECK_STR(err, "r@-11s: 11.000 s before the last snapshot is before the first (the "
	               "snapshots span 10.000 s)");
	spec_fini(&s);
	CHECK_EQ_U64(spec_parse(&s, "r@9", err, sizeof err), 0);
	CHECK_EQ_U64((uint64_t)(int64_t)spec_resolve(&s, p, &i, err, sizeof err), (uint64_t)-1);
	CHECK_STR(err, "r@9: the recording holds 5 snapshots");
	spec_fini(&s);

	/* An empty recording names nothing. */
	struct profile *empty = profile_new();
	CHECK_EQ_U64(spec_parse(&s, "e.lkt", err, sizeof err), 0);
	CHECK_EQ_U64((uint64_t)(int64_t)spec_resolve(&s, empty, &i, err, sizeof err), (uint64_t)-1);
	CHECK_STR(err, "e.lkt: the recording holds no snapshot");
	spec_fini(&s);

	profile_free(empty);
	profile_free(p);
	return CHECK_DONE();
}
