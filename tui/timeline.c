/* timeline.c - the replay's cursor and play clock.
 *
 * Moving the cursor costs two binary searches (the thread snapshots and
 * the ticks at or before the snapshot's time; both are kept in time
 * order) and no copy: the window is the whole profile with shorter
 * counts. Its generation is the cursor plus one, so what the views derive
 * from it (rows, the flame tree) is rebuilt when the cursor moves and
 * kept when it comes back to where it was. */
#include "timeline.h"

#include <stdio.h>
#include <time.h>

/* How many of the n entries of times (in time order, stride apart) are at
 * or before t. */
static uint64_t count_until(const void *base, uint64_t n, size_t stride, size_t time_off,
                            uint64_t t)
{
	uint64_t lo = 0, hi = n;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		uint64_t at = *(const uint64_t *)((const char *)base + mid * stride + time_off);
		if (at <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void cut(struct timeline *t)
{
	const struct profile *w = t->whole;
	uint64_t time_ns = w->snaps[t->at].time_ns;
	int last = t->at + 1 == w->nsnaps;

	t->window = *w;
	t->window.nsnaps = t->at + 1;
	t->window.ntsnaps = (uint32_t)count_until(w->tsnaps, w->ntsnaps, sizeof *w->tsnaps,
	                                          offsetof(struct thread_snap, time_ns), time_ns);
	t->window.nticks = count_until(w->ticks, w->nticks, sizeof *w->ticks,
	                               offsetof(struct lt_tick, time_ns), time_ns);
	t->window.generation = (uint64_t)t->at + 1;
	/* Before its last snapshot, the program was still running. */
	t->window.end = last ? w->end : PROF_RUNNING;
	t->window.end_code = last ? w->end_code : 0;
}

static double clamp_speed(double speed)
{
	return speed < TIMELINE_SPEED_MIN   ? TIMELINE_SPEED_MIN
	       : speed > TIMELINE_SPEED_MAX ? TIMELINE_SPEED_MAX
	                                    : speed;
}

void timeline_init(struct timeline *t, const struct profile *whole, double speed)
{
	*t = (struct timeline){ .whole = whole, .speed = clamp_speed(speed) };
	cut(t);
}

/* The recording's time the play clock shows at now_ms. */
static uint64_t clock_now(const struct timeline *t, uint64_t now_ms)
{
	uint64_t wall = now_ms > t->clock_wall_ms ? now_ms - t->clock_wall_ms : 0;
	return t->clock_rec_ns + (uint64_t)((double)wall * 1e6 * t->speed);
}

static void set_clock(struct timeline *t, uint64_t rec_ns, uint64_t now_ms)
{
	t->clock_rec_ns = rec_ns;
	t->clock_wall_ms = now_ms;
}

void timeline_seek(struct timeline *t, uint32_t at, uint64_t now_ms)
{
	t->at = at < t->whole->nsnaps ? at : t->whole->nsnaps - 1;
	set_clock(t, t->whole->snaps[t->at].time_ns, now_ms);
	cut(t);
}

void timeline_play(struct timeline *t, int on, uint64_t now_ms)
{
	t->playing = on;
	if (on && t->at + 1 == t->whole->nsnaps)
		timeline_seek(t, 0, now_ms);
	set_clock(t, t->whole->snaps[t->at].time_ns, now_ms);
}

void timeline_set_speed(struct timeline *t, double speed, uint64_t now_ms)
{
	set_clock(t, clock_now(t, now_ms), now_ms);
	t->speed = clamp_speed(speed);
}

int timeline_advance(struct timeline *t, uint64_t now_ms)
{
	if (!t->playing)
		return 0;
	uint64_t rec = clock_now(t, now_ms);
	uint32_t at = t->at;
	while (at + 1 < t->whole->nsnaps && t->whole->snaps[at + 1].time_ns <= rec)
		at++;
	if (at + 1 == t->whole->nsnaps)
		t->playing = 0;
	if (at == t->at)
		return 0;
	t->at = at;
	cut(t);
	return 1;
}

uint64_t timeline_next_ms(const struct timeline *t, uint64_t now_ms)
{
	if (!t->playing || t->at + 1 >= t->whole->nsnaps)
		return UINT64_MAX;
	uint64_t rec = clock_now(t, now_ms), next = t->whole->snaps[t->at + 1].time_ns;
	if (next <= rec)
		return 0;
	return (uint64_t)((double)(next - rec) / 1e6 / t->speed) + 1;
}

/* "+2.0s", "+1:02.5", "+1:02:03": the offset from the program's start. */
static void offset_text(char *buf, size_t n, uint64_t ns)
{
	uint64_t ds = ns / 100000000ull, s = ds / 10;
	if (s < 60)
		snprintf(buf, n, "+%llu.%llus", (unsigned long long)s,
		         (unsigned long long)(ds % 10));
	else if (s < 3600)
		snprintf(buf, n, "+%llu:%02llu.%llu", (unsigned long long)(s / 60),
		         (unsigned long long)(s % 60), (unsigned long long)(ds % 10));
	else
		snprintf(buf, n, "+%llu:%02llu:%02llu", (unsigned long long)(s / 3600),
		         (unsigned long long)(s / 60 % 60), (unsigned long long)(s % 60));
}

void timeline_describe(const struct timeline *t, char *buf, size_t n, int utf8)
{
	const struct profile *w = t->whole;
	uint64_t time_ns = w->snaps[t->at].time_ns;
	uint64_t from = w->start_ns && w->start_ns <= time_ns ? w->start_ns : w->snaps[0].time_ns;
	char wall[16] = "?", off[32], play[32];
	time_t secs = (time_t)(time_ns / 1000000000ull);
	struct tm tm;
	if (localtime_r(&secs, &tm))
		strftime(wall, sizeof wall, "%H:%M:%S", &tm);
	offset_text(off, sizeof off, time_ns >= from ? time_ns - from : 0);
	if (t->playing)
		snprintf(play, sizeof play, "playing %s%g", utf8 ? "\u00d7" : "x", t->speed);
	else
		snprintf(play, sizeof play, "paused");
	snprintf(buf, n, "snapshot %u/%u  %s %s  %s", t->at + 1, w->nsnaps, wall, off, play);
}
