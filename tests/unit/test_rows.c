/* test_rows.c - the viewer's table rows: grouping, exact figures, the cache
 * that skips a rebuild of the same input, and the lazily settled order. */
#include "tui/rows.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

/* Stacks 1 and 2 end in alloc_a (two lines of it), stack 3 in alloc_b;
 * all are called from main. */
static struct profile *make_profile(void)
{
	struct profile *p = profile_new();
	const struct frame_sym syms[] = {
		{ .addr = 0x100,
		  .func = "alloc_a",
		  .module = "prog",
		  .file = "src/a.c",
		  .line = 10 },
		{ .addr = 0x108,
		  .func = "alloc_a",
		  .module = "prog",
		  .file = "src/a.c",
		  .line = 12 },
		{ .addr = 0x200,
		  .func = "alloc_b",
		  .module = "prog",
		  .file = "src/b.c",
		  .line = 20 },
		{ .addr = 0x300,
		  .func = "main",
		  .module = "prog",
		  .file = "src/main.c",
		  .line = 5 },
	};
	for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++)
		CHECK_EQ_U64(profile_add_sym(p, &syms[i]), 0);
	const uint64_t f1[] = { 0x100, 0x300 }, f2[] = { 0x108, 0x300 }, f3[] = { 0x200, 0x300 };
	CHECK_EQ_U64(profile_add_stack(p, 1, f1, 2), 0);
	CHECK_EQ_U64(profile_add_stack(p, 2, f2, 2), 0);
	CHECK_EQ_U64(profile_add_stack(p, 3, f3, 2), 0);
	return p;
}

/* Snapshot k (k seconds in): stack 1 holds 100 bytes, stack 2 leaks 10
 * bytes a second from 50, stack 3 holds 1000; allocations grow by 1, 2, 0
 * a second. */
static void add_snapshot(struct profile *p, uint64_t k)
{
	struct snap_entry e[3] = {
		{ .id = 1, .c = { .live_bytes = 100, .live_blocks = 1, .alloc_calls = 5 + k } },
		{ .id = 2,
		  .c = { .live_bytes = 50 + 10 * k,
		         .live_blocks = 1 + k,
		         .alloc_calls = 1 + 2 * k } },
		{ .id = 3,
		  .c = { .live_bytes = 1000,
		         .live_blocks = 4,
		         .alloc_calls = 4,
		         .alloc_bytes = 4000 } },
	};
	struct snapshot s = { .seqno = k + 1, .time_ns = k * 1000000000ull, .n = 3, .e = e };
	CHECK_EQ_U64(profile_add_snapshot(p, &s), 0);
}

static void test_by_function(void)
{
	struct profile *p = make_profile();
	struct rows r = { 0 };
	for (uint64_t k = 0; k < 10; k++)
		add_snapshot(p, k);

	/* Window of the last 5 snapshots (5..9 s). */
	CHECK_EQ_U64(rows_build(&r, p, 9, 5, GROUP_FUNCTION, NULL, NULL), 1);
	CHECK_EQ_U64(r.n, 2);
	rows_sort(&r, COL_LIVE, 0);
	const struct row *b = rows_get(&r, 0), *a = rows_get(&r, 1);
	CHECK_STR(b->label, "alloc_b");
	CHECK_STR(b->where, "b.c:20");
	CHECK_EQ_U64(b->c.live_bytes, 1000);
	CHECK_EQ_U64(b->nstacks, 1);
	CHECK_STR(a->label, "alloc_a");
	CHECK_STR(a->where, "a.c:10"); /* its first stack's line */
	CHECK_EQ_U64(a->nstacks, 2);
	CHECK_EQ_U64(a->c.live_bytes, 100 + 140);
	CHECK_EQ_U64(a->c.live_blocks, 1 + 10);
	CHECK_EQ_U64(a->c.alloc_calls, 14 + 19);
	CHECK_EQ_U64(a->stack, 2);                  /* the bigger of its stacks */
	CHECK_EQ_U64(a->allocs_per_s * 1000, 3000); /* 1 + 2 a second */
	CHECK_EQ_U64(b->allocs_per_s * 1000, 0);
	CHECK_EQ_U64(a->g.bytes_per_s * 1000, 10000);
	CHECK_EQ_U64(a->g.verdict, VERDICT_LEAK);
	CHECK_EQ_U64(b->g.verdict, VERDICT_STABLE);
	CHECK_EQ_U64(a->nspark, 5);
	CHECK_EQ_U64(a->spark[0], 100 + 100);
	CHECK_EQ_U64(a->spark[4], 100 + 140);

	/* The same input again: nothing rebuilt, the order kept. */
	CHECK_EQ_U64(rows_build(&r, p, 9, 5, GROUP_FUNCTION, NULL, NULL), 0);
	CHECK_STR(rows_get(&r, 0)->label, "alloc_b");
	/* Growth first: the leak leads. */
	rows_sort(&r, COL_GROWTH, 0);
	CHECK_STR(rows_get(&r, 0)->label, "alloc_a");
	rows_sort(&r, COL_LIVE, 1);
	CHECK_STR(rows_get(&r, 0)->label, "alloc_a");

	/* Each change of input rebuilds: a filter, a grouping, a snapshot. */
	CHECK_EQ_U64(rows_build(&r, p, 9, 5, GROUP_FUNCTION, NULL, "B.C"), 1);
	CHECK_EQ_U64(r.n, 1);
	CHECK_STR(rows_get(&r, 0)->label, "alloc_b");
	CHECK_EQ_U64(rows_build(&r, p, 9, 5, GROUP_FUNCTION, NULL, "B.C"), 0);
	CHECK_EQ_U64(rows_build(&r, p, 9, 5, GROUP_MODULE, NULL, NULL), 1);
	CHECK_EQ_U64(r.n, 1);
	CHECK_STR(rows_get(&r, 0)->label, "prog");
	CHECK_EQ_U64(rows_get(&r, 0)->c.live_bytes, 1240);
	CHECK_EQ_U64(rows_get(&r, 0)->nstacks, 3);
	add_snapshot(p, 10);
	CHECK_EQ_U64(rows_build(&r, p, 9, 5, GROUP_MODULE, NULL, NULL), 1);
	CHECK_EQ_U64(rows_build(&r, p, 10, 5, GROUP_MODULE, NULL, NULL), 1);
	CHECK_EQ_U64(rows_get(&r, 0)->c.live_bytes, 1250);

	/* Against a baseline: the change since snapshot 5 s. */
	struct snapshot base = p->snaps[5];
	CHECK_EQ_U64(rows_build(&r, p, 10, 5, GROUP_FUNCTION, &base, NULL), 1);
	rows_sort(&r, COL_LIVE, 0);
	CHECK_STR(rows_get(&r, 0)->label, "alloc_a");
	CHECK_EQ_U64(rows_get(&r, 0)->c.live_bytes, 50);
	CHECK_EQ_U64(rows_get(&r, 1)->c.live_bytes, 0);
	CHECK_EQ_U64(rows_build(&r, p, 10, 5, GROUP_FUNCTION, &base, NULL), 0);
	CHECK_EQ_U64(rows_build(&r, p, 10, 5, GROUP_FUNCTION, NULL, NULL), 1);

	/* A profile that starts over (exec) is described anew. */
	CHECK_EQ_U64(profile_reset(p), 0);
	const struct frame_sym other = { .addr = 0x100, .func = "fresh", .module = "next" };
	const uint64_t f[] = { 0x100 };
	CHECK_EQ_U64(profile_add_sym(p, &other), 0);
	CHECK_EQ_U64(profile_add_stack(p, 1, f, 1), 0);
	struct snap_entry e = { .id = 1, .c = { .live_bytes = 7 } };
	struct snapshot s = { .seqno = 1, .n = 1, .e = &e };
	CHECK_EQ_U64(profile_add_snapshot(p, &s), 0);
	CHECK_EQ_U64(rows_build(&r, p, 0, 5, GROUP_FUNCTION, NULL, NULL), 1);
	CHECK_EQ_U64(r.n, 1);
	CHECK_STR(rows_get(&r, 0)->label, "fresh");
	CHECK_EQ_U64(rows_get(&r, 0)->c.live_bytes, 7);
	rows_free(&r);
	profile_free(p);
}

/* By stack: one row a stack; the order settled a page at a time is the
 * order of a full sort, ties by label and then stack id. */
static void test_by_stack_order(void)
{
	enum { N = 3000 };
	struct profile *p = profile_new();
	const struct frame_sym sa = { .addr = 0x10, .func = "a", .module = "m" };
	const struct frame_sym sb = { .addr = 0x20, .func = "b", .module = "m" };
	CHECK_EQ_U64(profile_add_sym(p, &sa), 0);
	CHECK_EQ_U64(profile_add_sym(p, &sb), 0);
	struct snap_entry *e = calloc(N, sizeof *e);
	for (uint32_t i = 0; i < N; i++) {
		const uint64_t f[] = { i % 2 ? 0x20 : 0x10, 0x1000 + i };
		CHECK_EQ_U64(profile_add_stack(p, i + 1, f, 2), 0);
		e[i] = (struct snap_entry){ .id = i + 1, .c = { .live_bytes = (i * 7919) % 97 } };
	}
	struct snapshot s = { .seqno = 1, .n = N, .e = e };
	CHECK_EQ_U64(profile_add_snapshot(p, &s), 0);

	struct rows r = { 0 };
	CHECK_EQ_U64(rows_build(&r, p, 0, 40, GROUP_STACK, NULL, NULL), 1);
	CHECK_EQ_U64(r.n, N);
	for (int invert = 0; invert < 2; invert++) {
		rows_sort(&r, COL_LIVE, invert);
		CHECK_EQ_U64(rows_get(&r, 0)->c.live_bytes, invert ? 0 : 96);
		uint64_t bad = 0;
		for (size_t i = 1; i < N; i++) {
			const struct row *x = rows_peek(&r, i - 1), *y = rows_peek(&r, i);
			int c = x->c.live_bytes != y->c.live_bytes
			            ? (x->c.live_bytes > y->c.live_bytes ? -1 : 1)
			        : strcmp(x->label, y->label) ? strcmp(x->label, y->label)
			                                     : (x->stack < y->stack ? -1 : 1);
			bad += invert ? c < 0 : c > 0;
		}
		CHECK_EQ_U64(bad, 0);
		CHECK_EQ_U64(r.ordered, N);
	}
	/* Live 96 at i = 61 (odd: "b") and 158 ("a", stack 159): "a" first. */
	rows_sort(&r, COL_LIVE, 0);
	CHECK_EQ_U64(rows_get(&r, 0)->stack, 159);
	CHECK_STR(rows_get(&r, 0)->label, "a");
	CHECK(r.ordered < N);
	rows_free(&r);
	free(e);
	profile_free(p);
}

/* --- the series kept as steps ---------------------------------------------- */

#define SERIES_STACKS 40
#define SERIES_WINDOW 12 /* at most ROW_SPARK: the sparkline is the whole series */

static uint64_t rng_state = 88172645463325252ull;

static uint64_t rng(uint64_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state % n;
}

/* Stacks 1..SERIES_STACKS, stack i in function "f<i % 4>". */
static void series_stacks(struct profile *p)
{
	static const char *const names[] = { "f0", "f1", "f2", "f3" };
	for (uint64_t f = 0; f < 4; f++) {
		const struct frame_sym s = { .addr = 0x100 + f, .func = names[f], .module = "m" };
		CHECK_EQ_U64(profile_add_sym(p, &s), 0);
	}
	for (uint32_t i = 1; i <= SERIES_STACKS; i++) {
		const uint64_t f[] = { 0x100 + i % 4, 0x1000 + i };
		CHECK_EQ_U64(profile_add_stack(p, i, f, 2), 0);
	}
}

/* A snapshot where each stack is absent, unchanged from `prev`, or holds
 * something new (a fall included), now and then wildly large. */
static void series_snapshot(struct profile *p, uint64_t seqno, uint64_t *live)
{
	struct snap_entry e[SERIES_STACKS];
	uint32_t n = 0;
	for (uint32_t i = 1; i <= SERIES_STACKS; i++) {
		uint64_t pick = rng(10);
		if (pick < 2)
			live[i] = 0;
		else if (pick < 6)
			live[i] = rng(4) ? rng(5000) : (1ull << 40) + rng(1000);
		if (live[i] || pick == 9)
			e[n++] = (struct snap_entry){
				.id = i, .c = { .live_bytes = live[i], .alloc_calls = seqno * i }
			};
	}
	struct snapshot s = { .seqno = seqno, .time_ns = seqno * 250000000ull, .n = n, .e = e };
	CHECK_EQ_U64(profile_add_snapshot(p, &s), 0);
}

/* Every row of r against its series worked out from scratch: the sum of
 * its stacks' growth_series, and the fit of that. */
static void series_check(struct rows *r, const struct profile *p, enum group_mode g,
                         const char *filter)
{
	uint32_t last = p->nsnaps - 1,
	         first = last + 1 > SERIES_WINDOW ? last + 1 - SERIES_WINDOW : 0;
	uint32_t w = last - first + 1;
	uint64_t bad = 0;
	for (size_t i = 0; i < r->n; i++) {
		const struct row *row = rows_get(r, i);
		double t[SERIES_WINDOW], v[SERIES_WINDOW], want[SERIES_WINDOW] = { 0 };
		for (uint32_t id = 1; id <= SERIES_STACKS; id++) {
			const struct frame_sym *fs = profile_sym(p, 0x100 + id % 4);
			int in =
			    g == GROUP_STACK ? id == row->stack : !strcmp(fs->func, row->label);
			if (!in || !snapshot_find(&p->snaps[last], id))
				continue;
			CHECK_EQ_U64(growth_series(p, id, first, last, t, v), w);
			for (uint32_t k = 0; k < w; k++)
				want[k] += v[k];
		}
		struct growth gw;
		growth_analyse(t, want, w, &gw);
		bad += row->nspark != (int)w || memcmp(row->spark, want, w * sizeof *want) ||
		       row->g.bytes_per_s != gw.bytes_per_s ||
		       row->g.trough_bytes_per_s != gw.trough_bytes_per_s ||
		       row->g.verdict != gw.verdict || row->g.score != gw.score;
		if (filter)
			bad += !strstr(row->label, filter);
	}
	CHECK_EQ_U64(bad, 0);
}

/* The series kept as a starting value and steps equals the one summed from
 * every snapshot, after any sequence of snapshots, drops and restarts
 * (an exec: the same seqnos and times again, other figures). */
static void test_series_steps(void)
{
	struct profile *p = profile_new();
	struct rows r = { 0 };
	uint64_t live[SERIES_STACKS + 1] = { 0 }, seqno = 0;
	series_stacks(p);
	for (int round = 0; round < 400; round++) {
		uint64_t op = rng(20);
		if (op == 0 && p->nsnaps > 3) {
			profile_drop_snapshots(p, (uint32_t)(1 + rng(p->nsnaps)), SIZE_MAX, 1);
		} else if (op == 1) {
			CHECK_EQ_U64(profile_reset(p), 0);
			series_stacks(p);
			seqno = 0;
			memset(live, 0, sizeof live);
		} else {
			for (uint64_t k = rng(3) + 1; k-- > 0;)
				series_snapshot(p, ++seqno, live);
		}
		if (!p->nsnaps)
			continue;
		enum group_mode g = rng(2) ? GROUP_STACK : GROUP_FUNCTION;
		const char *filter = rng(4) ? NULL : "f1";
		rows_build(&r, p, p->nsnaps - 1, SERIES_WINDOW, g, NULL, filter);
		rows_sort(&r, rng(2) ? COL_GROWTH : COL_LIVE, 0);
		series_check(&r, p, g, filter);
	}
	CHECK(r.nsteps <= 2 * SERIES_WINDOW);
	rows_free(&r);
	profile_free(p);
}

int main(void)
{
	test_by_function();
	test_by_stack_order();
	test_series_steps();
	return CHECK_DONE();
}
