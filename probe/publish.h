/* publish.h - the probe's publisher: snapshots, ticks and modules.
 *
 * A thread of the probe's own wakes every LT_TICK_MS, appends a tick of
 * totals to the ring and, every interval (or sooner, when a reader asks),
 * republishes the module list and the per-stack snapshot. The target's
 * threads never wait for it and it never waits for a reader. */
#ifndef LEAKTOP_PUBLISH_H
#define LEAKTOP_PUBLISH_H

/* Starts the publisher thread. 0, or -1 (tracking goes on; nothing is
 * published until the final snapshot). */
int publish_start(void);

/* How long a publication waits for the publisher, busy with one of its own. */
enum publish_wait {
	PUBLISH_WAIT, /* as long as it takes */
	/* Up to a second: the final snapshot, at exit, never hangs on a
	 * publisher that cannot finish (a signal handler that calls exit on
	 * its own thread), yet waits out one that is merely slow: a capture of
	 * thread stacks takes up to 20 ms, more on a loaded machine, and a
	 * final snapshot given up leaves a stale one as the last word. */
	PUBLISH_WITHIN_1S,
	/* Not at all: `leaktop detach` calls in while every thread, the
	 * publisher too, is stopped, perhaps mid-publication; it publishes
	 * again at its next tick anyway. */
	PUBLISH_IF_FREE,
};

/* Publishes modules and a snapshot now, from any thread. */
void publish_now(enum publish_wait wait);

/* fn is called, on the thread that publishes, after the module table was
 * refreshed and modules came or went; while it returns non-zero it is
 * called again at the next refresh. NULL for nothing (the default). */
void publish_on_modules(int (*fn)(void));

/* The final snapshot: publishes, then marks the segment EXITED with status.
 * Later calls do nothing. Safe from the _exit path. */
void publish_final(int status);

#endif
