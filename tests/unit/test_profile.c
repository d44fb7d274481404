/* test_profile.c - the snapshot model: stacks by id and their duplicate
 * rules, the symbol index under thousands of addresses (and collisions),
 * snapshots with snapshot_find, and ticks across many growths. */
#include "shared/profile.h"

#include <errno.h>
#include <stdlib.h>

#include "tests/unit/check.h"

static void test_stacks(void)
{
	struct profile *p = profile_new();
	CHECK(p != NULL);
	uint64_t a[3] = { 0x401000, 0x401100, 0x401200 }, b[3] = { 0x401000, 0x401100, 0x409999 };

	CHECK(profile_stack(p, 0) == NULL);
	CHECK(profile_stack(p, 5) == NULL);
	CHECK_EQ_U64(profile_add_stack(p, 5, a, 3), 0);
	CHECK_EQ_U64(profile_add_stack(p, 0, NULL, 0), 0); /* the depth-0 stack */
	const struct prof_stack *s = profile_stack(p, 5);
	CHECK(s != NULL);
	CHECK_EQ_U64(s->depth, 3);
	CHECK(s->frames != a); /* copied */
	CHECK_EQ_U64(s->frames[2], 0x401200);
	s = profile_stack(p, 0);
	CHECK(s != NULL && s->depth == 0 && s->frames == NULL);
	CHECK(profile_stack(p, 4) == NULL);

	/* Same id, same frames: a no-op that records nothing new. */
	CHECK_EQ_U64(profile_add_stack(p, 5, a, 3), 0);
	CHECK_EQ_U64(p->nstack_order, 2);
	/* Same id, other frames or depth: refused, and the first one stays. */
	errno = 0;
	CHECK_EQ_U64(profile_add_stack(p, 5, b, 3), (uint64_t)-1);
	CHECK_EQ_U64(errno, EINVAL);
	CHECK_EQ_U64(profile_add_stack(p, 5, a, 2), (uint64_t)-1);
	CHECK_EQ_U64(profile_add_stack(p, 0, a, 1), (uint64_t)-1);
	CHECK_EQ_U64(profile_stack(p, 5)->frames[2], 0x401200);

	/* Ids: up to 2^24 accepted, above refused; depth bounded by 16 bits. */
	errno = 0;
	CHECK_EQ_U64(profile_add_stack(p, PROF_ID_MAX + 1, a, 3), (uint64_t)-1);
	CHECK_EQ_U64(errno, EINVAL);
	CHECK_EQ_U64(profile_add_stack(p, UINT32_MAX, a, 3), (uint64_t)-1);
	CHECK(profile_stack(p, UINT32_MAX) == NULL);
	CHECK_EQ_U64(profile_add_stack(p, 7, a, PROF_DEPTH_MAX + 1), (uint64_t)-1);
	CHECK_EQ_U64(profile_add_stack(p, 7, NULL, 2), (uint64_t)-1);
	CHECK_EQ_U64(profile_add_stack(p, PROF_ID_MAX, b, 3), 0);
	CHECK_EQ_U64(profile_stack(p, PROF_ID_MAX)->frames[2], 0x409999);

	/* Many ids, out of order: the order list keeps the order of adding. */
	for (uint32_t id = 1000; id > 10; id--) {
		uint64_t f[2] = { id, id * 2 };
		CHECK_EQ_U64(profile_add_stack(p, id, f, 2), 0);
	}
	CHECK_EQ_U64(p->nstack_order, 3 + 990);
	CHECK_EQ_U64(p->stack_order[0], 5);
	CHECK_EQ_U64(p->stack_order[1], 0);
	CHECK_EQ_U64(p->stack_order[2], PROF_ID_MAX);
	CHECK_EQ_U64(p->stack_order[3], 1000);
	CHECK_EQ_U64(p->stack_order[992], 11);
	CHECK_EQ_U64(profile_stack(p, 500)->frames[1], 1000);
	CHECK(profile_stack(p, 10) == NULL);
	profile_free(p);
}

static void test_symbols(void)
{
	struct profile *p = profile_new();
	CHECK(profile_sym(p, 0x1234) == NULL); /* before any index exists */

	/* Addresses 16 apart, like real return addresses, and a second set that
	 * differs only in the high bits, to make the probe sequences meet. */
	enum { N = 5000 };
	char name[32];
	for (uint32_t i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "fn_%u", i);
		struct frame_sym s = { .addr = 0x400000 + 16 * (uint64_t)i,
			               .func = name,
			               .module = "/bin/app",
			               .file = "app.c",
			               .line = i };
		CHECK_EQ_U64(profile_add_sym(p, &s), 0);
		s.addr |= 1ull << 47;
		s.module = NULL; /* NULL is stored as "" */
		s.file = NULL;
		CHECK_EQ_U64(profile_add_sym(p, &s), 0);
	}
	CHECK_EQ_U64(p->nsyms, 2 * N);
	CHECK((uint64_t)p->sym_index_mask + 1 >= 4 * N); /* at most half full */

	int misses = 0;
	for (uint32_t i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "fn_%u", i);
		const struct frame_sym *s = profile_sym(p, 0x400000 + 16 * (uint64_t)i);
		const struct frame_sym *h =
		    profile_sym(p, (0x400000 + 16 * (uint64_t)i) | 1ull << 47);
		if (!s || !h || strcmp(s->func, name) || strcmp(h->func, name) || s->line != i ||
		    strcmp(s->module, "/bin/app") || strcmp(h->module, "") || strcmp(h->file, ""))
			misses++;
		if (profile_sym(p, 0x400000 + 16 * (uint64_t)i + 8))
			misses++;
	}
	CHECK_EQ_U64(misses, 0);

	/* A known address is a no-op: the first strings stay. */
	struct frame_sym again = { .addr = 0x400000, .func = "other", .module = "", .file = "" };
	CHECK_EQ_U64(profile_add_sym(p, &again), 0);
	CHECK_EQ_U64(p->nsyms, 2 * N);
	CHECK_STR(profile_sym(p, 0x400000)->func, "fn_0");
	/* Insertion order is kept. */
	CHECK_EQ_U64(p->syms[0].addr, 0x400000);
	CHECK_EQ_U64(p->syms[1].addr, 0x400000 | 1ull << 47);
	CHECK_STR(p->syms[2 * N - 1].func, "fn_4999");
	/* Address 0 is an address like any other. */
	struct frame_sym zero = { .addr = 0, .func = "zero" };
	CHECK_EQ_U64(profile_add_sym(p, &zero), 0);
	CHECK_STR(profile_sym(p, 0)->func, "zero");
	CHECK_STR(profile_sym(p, 0)->file, "");

	/* A file and line set later: copied, the function stays where it was;
	 * the same file again only moves the line; an unknown address fails. */
	const char *func = profile_sym(p, 0x400010 | 1ull << 47)->func;
	char file[] = "later.c";
	CHECK_EQ_U64(profile_set_sym_file(p, 0x400010 | 1ull << 47, file, 7), 0);
	file[0] = 'X';
	const struct frame_sym *later = profile_sym(p, 0x400010 | 1ull << 47);
	CHECK(later->func == func);
	CHECK_STR(later->file, "later.c");
	CHECK_EQ_U64(later->line, 7);
	CHECK_EQ_U64(profile_set_sym_file(p, 0x400010 | 1ull << 47, "later.c", 9), 0);
	CHECK_EQ_U64(p->nsym_files, 1);
	CHECK_EQ_U64(later->line, 9);
	CHECK_EQ_U64(profile_set_sym_file(p, 0x400008, "x.c", 1), (uint64_t)-1);
	CHECK_EQ_U64(errno, EINVAL);
	profile_free(p);
}

static void test_snapshots(void)
{
	struct profile *p = profile_new();
	struct snap_entry e[4] = { { .id = 2, .c = { .live_bytes = 20 } },
		                   { .id = 3, .c = { .live_bytes = 30 } },
		                   { .id = 7, .c = { .live_bytes = 70, .free_calls = 1 } },
		                   { .id = 900, .c = { .alloc_calls = 9 } } };
	struct snapshot s = {
		.seqno = 1, .time_ns = 111, .totals = { .live_bytes = 120 }, .n = 4, .e = e
	};
	CHECK_EQ_U64(profile_add_snapshot(p, &s), 0);
	e[0].c.live_bytes = 9999; /* copied: the profile keeps 20 */
	CHECK_EQ_U64(p->snaps[0].e[0].c.live_bytes, 20);
	CHECK(p->snaps[0].e != e);

	const struct snapshot *got = &p->snaps[0];
	CHECK_EQ_U64(snapshot_find(got, 2)->c.live_bytes, 20);
	CHECK_EQ_U64(snapshot_find(got, 7)->c.free_calls, 1);
	CHECK_EQ_U64(snapshot_find(got, 900)->c.alloc_calls, 9);
	CHECK(snapshot_find(got, 0) == NULL);
	CHECK(snapshot_find(got, 5) == NULL);
	CHECK(snapshot_find(got, 901) == NULL);

	/* Ids not strictly increasing are refused. */
	struct snap_entry bad[2] = { { .id = 3 }, { .id = 3 } };
	struct snapshot sb = { .seqno = 2, .n = 2, .e = bad };
	errno = 0;
	CHECK_EQ_U64(profile_add_snapshot(p, &sb), (uint64_t)-1);
	CHECK_EQ_U64(errno, EINVAL);
	CHECK_EQ_U64(p->nsnaps, 1);

	/* Taken, not copied: the profile keeps the block (and frees it); a
	 * refused one stays the caller's. */
	struct snap_entry *own = calloc(3, sizeof(*own));
	own[0] = (struct snap_entry){ .id = 4, .c = { .live_bytes = 40 } };
	struct snapshot st = { .seqno = 2, .time_ns = 222, .n = 1, .e = own };
	CHECK_EQ_U64(profile_add_snapshot_take(p, &st), 0);
	CHECK(p->snaps[1].e == own);
	CHECK_EQ_U64(p->snaps_bytes, 5 * sizeof(*own));
	CHECK_EQ_U64(snapshot_find(&p->snaps[1], 4)->c.live_bytes, 40);
	struct snap_entry *twice = calloc(2, sizeof(*twice));
	struct snapshot stb = { .seqno = 3, .n = 2, .e = twice };
	CHECK_EQ_U64(profile_add_snapshot_take(p, &stb), (uint64_t)-1);
	CHECK_EQ_U64(errno, EINVAL);
	free(twice);
	profile_drop_snapshots(p, 1, SIZE_MAX, 1);
	CHECK_EQ_U64(p->nsnaps, 1);
	CHECK_EQ_U64(p->snaps[0].seqno, 2);

	/* An empty snapshot, and many of them. */
	struct snapshot empty = { .seqno = 2 };
	CHECK(snapshot_find(&empty, 0) == NULL);
	for (uint64_t i = 0; i < 100; i++) {
		empty.seqno = 2 + i;
		CHECK_EQ_U64(profile_add_snapshot(p, &empty), 0);
	}
	CHECK_EQ_U64(p->nsnaps, 101);
	CHECK_EQ_U64(p->snaps[100].seqno, 101);
	CHECK(p->snaps[100].e == NULL);
	CHECK_EQ_U64(p->snaps[0].time_ns, 222);

	/* snapshot_find on a large one, every id present and every gap absent. */
	struct snap_entry *big = calloc(10000, sizeof(*big));
	for (uint32_t i = 0; i < 10000; i++) {
		big[i].id = 3 * i + 1;
		big[i].c.live_blocks = i;
	}
	struct snapshot sbig = { .n = 10000, .e = big };
	int wrong = 0;
	for (uint32_t id = 0; id < 30005; id++) {
		const struct snap_entry *f = snapshot_find(&sbig, id);
		if (id % 3 == 1 && id < 30000 ? !f || f->c.live_blocks != id / 3 : f != NULL)
			wrong++;
	}
	CHECK_EQ_U64(wrong, 0);
	free(big);
	profile_free(p);
}

static void test_ticks_and_program(void)
{
	struct profile *p = profile_new();
	CHECK_EQ_U64(profile_add_ticks(p, NULL, 0), 0);
	struct lt_tick t[1000];
	for (uint64_t round = 0; round < 10; round++) {
		for (int i = 0; i < 1000; i++)
			t[i] = (struct lt_tick){ .time_ns = round * 1000 + (uint64_t)i,
				                 .live_bytes = 7 };
		CHECK_EQ_U64(profile_add_ticks(p, t, 1000), 0);
	}
	CHECK_EQ_U64(p->nticks, 10000);
	int wrong = 0;
	for (uint64_t i = 0; i < p->nticks; i++)
		wrong += p->ticks[i].time_ns != i || p->ticks[i].live_bytes != 7;
	CHECK_EQ_U64(wrong, 0);

	CHECK_EQ_U64(profile_set_program(p, "/usr/bin/a"), 0);
	CHECK_EQ_U64(profile_set_program(p, "/usr/bin/b"), 0);
	CHECK_STR(p->program, "/usr/bin/b");
	profile_free(p);
	profile_free(NULL);
}

/* The history cap: by count, by bytes of entries, never below the floor;
 * the oldest go first, and every change moves the generation. */
static void test_drop_snapshots(void)
{
	struct profile *p = profile_new();
	struct snap_entry e[10];
	for (uint32_t i = 0; i < 10; i++)
		e[i] = (struct snap_entry){ .id = i, .c = { .live_bytes = i } };
	for (uint64_t i = 0; i < 20; i++) {
		struct snapshot s = { .seqno = i + 1, .n = (uint32_t)(i % 10 + 1), .e = e };
		CHECK_EQ_U64(profile_add_snapshot(p, &s), 0);
	}
	/* 20 snapshots of 1..10, 1..10 entries: 110 entries. */
	CHECK_EQ_U64(p->snaps_bytes, 110 * sizeof(struct snap_entry));
	CHECK_EQ_U64(p->generation, 20);
	CHECK_EQ_U64(profile_drop_snapshots(p, 20, SIZE_MAX, 0), 0);
	CHECK_EQ_U64(p->generation, 20);

	/* By count: 15 left, seqnos 6 to 20. */
	CHECK_EQ_U64(profile_drop_snapshots(p, 15, SIZE_MAX, 4), 5);
	CHECK_EQ_U64(p->nsnaps, 15);
	CHECK_EQ_U64(p->snaps[0].seqno, 6);
	CHECK_EQ_U64(p->snaps[14].seqno, 20);
	CHECK_EQ_U64(p->snaps_bytes, (110 - 15) * sizeof(struct snap_entry));
	CHECK_EQ_U64(p->generation, 21);

	/* By bytes: the newest whose entries fit 30 (10 + 9 + 8), seqnos 18-20. */
	CHECK_EQ_U64(profile_drop_snapshots(p, 100, 30 * sizeof(struct snap_entry), 2), 12);
	CHECK_EQ_U64(p->nsnaps, 3);
	CHECK_EQ_U64(p->snaps[0].seqno, 18);
	CHECK_EQ_U64(p->snaps[0].n, 8);
	CHECK_EQ_U64(snapshot_find(&p->snaps[2], 9)->c.live_bytes, 9);
	CHECK_EQ_U64(p->snaps_bytes, 27 * sizeof(struct snap_entry));

	/* The floor wins over both caps. */
	CHECK_EQ_U64(profile_drop_snapshots(p, 0, 0, 2), 1);
	CHECK_EQ_U64(p->nsnaps, 2);
	CHECK_EQ_U64(p->snaps[0].seqno, 19);
	CHECK_EQ_U64(p->snaps_bytes, 19 * sizeof(struct snap_entry));

	/* A reset empties it and still moves the generation on. */
	uint64_t gen = p->generation;
	CHECK_EQ_U64(profile_reset(p), 0);
	CHECK_EQ_U64(p->nsnaps, 0);
	CHECK_EQ_U64(p->snaps_bytes, 0);
	CHECK_EQ_U64(p->generation, gen + 1);
	profile_free(p);
}

/* profile_thin: 10 snapshots at t = 1..10 s, thread snapshots at 0.5, 1.5,
 * 2.5 and 8.5 s, ticks every 0.5 s. Keeping the newest 4 (seqnos 7-10),
 * the older six lose every other: 1, 3, 5 stay. */
static void test_thin(void)
{
	struct profile *p = profile_new();
	struct snap_entry e = { .id = 1, .c = { .live_bytes = 5 } };
	for (uint64_t i = 1; i <= 10; i++) {
		struct snapshot s = { .seqno = i, .time_ns = i * 1000000000ull, .n = 1, .e = &e };
		CHECK_EQ_U64(profile_add_snapshot(p, &s), 0);
	}
	static const uint64_t tt[] = { 500, 1500, 2500, 8500 };
	for (int i = 0; i < 4; i++) {
		struct thread_snap t = { .seqno = (uint64_t)i + 1, .time_ns = tt[i] * 1000000ull };
		CHECK_EQ_U64(profile_add_threads(p, &t), 0);
	}
	for (uint64_t k = 0; k < 22; k++) {
		struct lt_tick t = { .time_ns = k * 500000000ull, .live_bytes = k };
		CHECK_EQ_U64(profile_add_ticks(p, &t, 1), 0);
	}
	uint64_t gen = p->generation;
	CHECK_EQ_U64(profile_thin(p, 4), 3);
	CHECK_EQ_U64(p->nsnaps, 7);
	static const uint64_t kept[] = { 1, 3, 5, 7, 8, 9, 10 };
	for (uint32_t i = 0; i < 7 && i < p->nsnaps; i++)
		CHECK_EQ_U64(p->snaps[i].seqno, kept[i]);
	CHECK_EQ_U64(p->snaps_bytes, 7 * sizeof(struct snap_entry));
	CHECK(p->generation > gen);
	/* In force at 1, 3, 5 s: the ones of 0.5 and 2.5 s; 1.5 s goes; 8.5 s
	 * is past the first kept whole (7 s). */
	CHECK_EQ_U64(p->ntsnaps, 3);
	CHECK_EQ_U64(p->tsnaps[0].seqno, 1);
	CHECK_EQ_U64(p->tsnaps[1].seqno, 3);
	CHECK_EQ_U64(p->tsnaps[2].seqno, 4);
	/* Ticks before 7 s (k 0-13): the even ones; from 7 s (k 14-21) all. */
	CHECK_EQ_U64(p->nticks, 7 + 8);
	CHECK_EQ_U64(p->ticks[6].live_bytes, 12);
	CHECK_EQ_U64(p->ticks[7].live_bytes, 14);
	CHECK_EQ_U64(p->ticks[14].live_bytes, 21);

	/* Too few to thin: the oldest and the kept ones are all there is. */
	CHECK_EQ_U64(profile_thin(p, 5), 0);
	CHECK_EQ_U64(p->nsnaps, 7);
	profile_drop_ticks(p, 10);
	CHECK_EQ_U64(p->nticks, 5);
	CHECK_EQ_U64(p->ticks[0].live_bytes, 17);
	profile_drop_ticks(p, 99);
	CHECK_EQ_U64(p->nticks, 0);
	profile_free(p);
}

int main(void)
{
	test_thin();
	test_stacks();
	test_symbols();
	test_snapshots();
	test_drop_snapshots();
	test_ticks_and_program();
	return CHECK_DONE();
}
