/* test_timeline.c - replay's cursor: what the window holds at each
 * snapshot (snapshots, thread snapshots and ticks at or before its time;
 * the end state only at the last), the play clock at a speed, and the
 * header's text. */
#include "tui/timeline.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"

#define S  1000000000ull
#define MS 1000000ull
#define T0 (1700000000ull * S) /* 2023-11-14 22:13:20 UTC */

/* Snapshots at 0, 1, 2 and 4 s; thread snapshots at 0.5, 1 and 3 s; a
 * tick every 100 ms from 0 to 4 s (41); the program exited with 3. */
static struct profile *make_profile(void)
{
	static const uint64_t snaps[] = { 0, 1 * S, 2 * S, 4 * S };
	static const uint64_t tsnaps[] = { 500 * MS, 1 * S, 3 * S };
	struct profile *p = profile_new();
	p->start_ns = T0 - 500 * MS;
	for (size_t i = 0; i < sizeof snaps / sizeof snaps[0]; i++) {
		struct snapshot s = { .seqno = i + 1, .time_ns = T0 + snaps[i] };
		CHECK_EQ_U64(profile_add_snapshot(p, &s), 0);
	}
	for (size_t i = 0; i < sizeof tsnaps / sizeof tsnaps[0]; i++) {
		struct thread_snap ts = { .seqno = i + 1, .time_ns = T0 + tsnaps[i] };
		CHECK_EQ_U64(profile_add_threads(p, &ts), 0);
	}
	for (uint64_t k = 0; k <= 40; k++) {
		struct lt_tick tk = { .time_ns = T0 + k * 100 * MS, .live_bytes = k };
		CHECK_EQ_U64(profile_add_ticks(p, &tk, 1), 0);
	}
	p->end = PROF_EXITED;
	p->end_code = 3;
	return p;
}

static void check_window(const struct timeline *t, uint32_t snaps, uint32_t tsnaps, uint64_t ticks)
{
	CHECK_EQ_U64(t->window.nsnaps, snaps);
	CHECK_EQ_U64(t->window.ntsnaps, tsnaps);
	CHECK_EQ_U64(t->window.nticks, ticks);
	CHECK_EQ_U64(t->window.generation, t->at + 1);
	/* Shared, not copied. */
	CHECK(t->window.snaps == t->whole->snaps && t->window.ticks == t->whole->ticks);
}

/* Playing: the cursor stays put until at_ms, and is on snapshot want then. */
static void check_moves_at(struct timeline *t, uint64_t at_ms, uint32_t want)
{
	uint32_t before = t->at;
	CHECK_EQ_U64(timeline_advance(t, at_ms - 1), 0);
	CHECK_EQ_U64(t->at, before);
	CHECK_EQ_U64(timeline_advance(t, at_ms), 1);
	CHECK_EQ_U64(t->at, want);
}

static void check_describe(const struct timeline *t, int utf8, const char *want)
{
	char buf[128];
	timeline_describe(t, buf, sizeof buf, utf8);
	CHECK_STR(buf, want);
}

int main(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	struct profile *p = make_profile();
	struct timeline t;

	/* The window at each snapshot. */
	timeline_init(&t, p, 10);
	CHECK_EQ_U64(t.at, 0);
	CHECK_EQ_U64(t.playing, 0);
	check_window(&t, 1, 0, 1);
	CHECK_EQ_U64(t.window.end, PROF_RUNNING);
	timeline_seek(&t, 1, 0);
	check_window(&t, 2, 2, 11); /* the thread snapshot at exactly 1 s is in */
	timeline_seek(&t, 2, 0);
	check_window(&t, 3, 2, 21);
	CHECK_EQ_U64(t.window.end, PROF_RUNNING);
	timeline_seek(&t, 99, 0); /* clamped to the last */
	CHECK_EQ_U64(t.at, 3);
	check_window(&t, 4, 3, 41);
	CHECK_EQ_U64(t.window.end, PROF_EXITED);
	CHECK_EQ_U64(t.window.end_code, 3);
	check_describe(&t, 1, "snapshot 4/4  22:13:24 +4.5s  paused");

	/* Play at 10x: 1 s of the recording a 100 ms. Started at the end,
	 * it starts over from the first snapshot. */
	timeline_play(&t, 1, 1000);
	CHECK_EQ_U64(t.at, 0);
	CHECK_EQ_U64(t.playing, 1);
	check_describe(&t, 1, "snapshot 1/4  22:13:20 +0.5s  playing \u00d710");
	check_describe(&t, 0, "snapshot 1/4  22:13:20 +0.5s  playing x10");
	CHECK_EQ_U64(timeline_next_ms(&t, 1000), 101);
	check_moves_at(&t, 1100, 1);
	CHECK_EQ_U64(timeline_advance(&t, 1300), 1); /* 3 s: past 2, not 4 */
	CHECK_EQ_U64(t.at, 2);
	check_window(&t, 3, 2, 21);
	CHECK_EQ_U64(timeline_next_ms(&t, 1300), 101);
	check_moves_at(&t, 1400, 3); /* the last, at 4 s: play stops */
	CHECK_EQ_U64(t.playing, 0);
	CHECK_EQ_U64(timeline_next_ms(&t, 1400), UINT64_MAX);
	CHECK_EQ_U64(timeline_advance(&t, 9000), 0);

	/* A step by hand while playing: play goes on from there. */
	timeline_play(&t, 1, 0);
	timeline_seek(&t, 2, 50);
	check_moves_at(&t, 250, 3);

	/* A speed change keeps the play clock where it was: 0.5 s at 1x,
	 * then 0.5 s more at 2x in 250 ms reaches the snapshot at 1 s. */
	timeline_seek(&t, 0, 0);
	timeline_set_speed(&t, 1, 0);
	timeline_play(&t, 1, 0);
	timeline_set_speed(&t, 2, 500);
	check_moves_at(&t, 750, 1);
	timeline_set_speed(&t, 0.5, 750);
	check_describe(&t, 0, "snapshot 2/4  22:13:21 +1.5s  playing x0.5");
	timeline_set_speed(&t, 5000, 750);
	CHECK(t.speed == TIMELINE_SPEED_MAX);
	timeline_set_speed(&t, 0.01, 750);
	CHECK(t.speed == TIMELINE_SPEED_MIN);
	timeline_play(&t, 0, 750);
	CHECK_EQ_U64(timeline_next_ms(&t, 750), UINT64_MAX);
	CHECK_EQ_U64(timeline_advance(&t, 99999), 0);

	/* Offsets of a minute and of an hour from the start. */
	p->start_ns = T0 + 1 * S - 62 * S - 500 * MS;
	check_describe(&t, 0, "snapshot 2/4  22:13:21 +1:02.5  paused");
	p->start_ns = T0 + 1 * S - 3723 * S;
	check_describe(&t, 0, "snapshot 2/4  22:13:21 +1:02:03  paused");

	profile_free(p);
	return CHECK_DONE();
}
