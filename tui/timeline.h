/* timeline.h - `leaktop replay`'s cursor over a recording loaded whole:
 * which snapshot is shown, and the clock that moves it while playing.
 *
 * Ownership: a timeline borrows the whole profile (the caller's; it must
 * outlive the timeline and not change). Its window is a struct profile
 * that shares every array of the whole one, cut at the cursor: snapshots
 * up to the cursor, and the thread snapshots and ticks taken at or before
 * its time. The views read the window as they read the live view's
 * history, so at snapshot k they show what the live view showed then.
 * The window is never passed to profile_free, nor to a profile_* call
 * that changes it. */
#ifndef LEAKTOP_TIMELINE_H
#define LEAKTOP_TIMELINE_H

#include <stddef.h>
#include <stdint.h>

#include "shared/profile.h"

#define TIMELINE_SPEED_MIN 0.125
#define TIMELINE_SPEED_MAX 1024.0

struct timeline {
	const struct profile *whole;
	struct profile window; /* whole, cut at `at` */
	uint32_t at;           /* the snapshot shown, 0 the first */
	int playing;
	double speed; /* seconds of the recording per second of play */
	/* The play clock: the recording's time clock_rec_ns at the monotonic
	 * clock_wall_ms; set when play starts, the cursor moves by hand, or
	 * the speed changes. */
	uint64_t clock_wall_ms;
	uint64_t clock_rec_ns;
};

/* At the first snapshot, paused; speed clamped to the bounds above. The
 * whole profile must hold a snapshot. */
void timeline_init(struct timeline *t, const struct profile *whole, double speed);

/* Moves the cursor to snapshot at (clamped to the recording); playing
 * goes on from there. */
void timeline_seek(struct timeline *t, uint32_t at, uint64_t now_ms);

/* Starts (on) or stops play. Started at the last snapshot, play starts
 * over from the first. */
void timeline_play(struct timeline *t, int on, uint64_t now_ms);

/* Sets the speed (clamped); play goes on from where it is, at it. */
void timeline_set_speed(struct timeline *t, double speed, uint64_t now_ms);

/* While playing, moves the cursor to the last snapshot the play clock has
 * reached; play stops at the last snapshot. Returns 1 when it moved. */
int timeline_advance(struct timeline *t, uint64_t now_ms);

/* Milliseconds until the play clock reaches the next snapshot; UINT64_MAX
 * when paused. */
uint64_t timeline_next_ms(const struct timeline *t, uint64_t now_ms);

/* "snapshot 3/40  14:02:17 +2.0s  playing ×10" (x without UTF-8), or
 * "... paused": the cursor, the snapshot's wall time (local) and its offset
 * from the program's start. */
void timeline_describe(const struct timeline *t, char *buf, size_t n, int utf8);

#endif
