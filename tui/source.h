/* source.h - a live probed process as a stream of snapshots.
 *
 * Ownership: the source owns its segment mapping and symbolizer; the
 * profile it fills is the caller's. Each poll copies what is new out of the
 * segment (modules, stacks, the snapshot, ticks) into the profile, resolving
 * each new frame once. When the process execs and its new image publishes
 * a newer segment under the same pid, the source moves to it and the
 * profile starts over (the old image's stacks mean nothing in the new one). */
#ifndef LEAKTOP_SOURCE_H
#define LEAKTOP_SOURCE_H

#include <stdint.h>
#include <sys/types.h>

#include "shared/profile.h"
#include "shared/shm.h"
#include "symbols.h"

struct source {
	pid_t pid;
	int open;
	struct shm_reader rd;
	struct symbolizer *sym;
	uint32_t mods_seen;
	uint64_t last_seqno;
	uint64_t next_tick;
	struct lt_counts *counts;     /* stacks_cap entries */
	struct snap_entry *filling;   /* entries not yet the profile's (a read faulted) */
	uint64_t threads_seqno;       /* the last thread table copied */
	struct lt_thread *threads;    /* threads_cap entries */
	struct lt_thread_site *sites; /* sites_cap entries */
	int removed;                  /* the segment's name is gone; the mapping reads */
	const char *broken;           /* why the segment can no longer be read, or NULL */
	uint32_t state;               /* the state word as last read */
	int status;
	/* Set by the caller: the frames of the stacks that come with the
	 * first snapshot get their functions at once, their files and lines
	 * at source_settle (after the first frame is drawn: libc's DWARF alone
	 * takes 90 ms), but for each stack's top frame as rows.c finds it,
	 * which every table shows. Stacks that come later are looked up
	 * whole, at once, as are stacks with lazy_lines unset. */
	int lazy_lines;
	/* Set by the caller: frames get their functions only, never files and
	 * lines; a recording's reader looks those up (lines.c). */
	int no_lines;
	uint64_t *later; /* addresses whose line source_settle looks up */
	size_t nlater, later_cap;
	int first; /* this poll may bring p's first snapshot */
};

/* Opens the newest segment of pid. 0, or -1 with a message in err. */
int source_open(struct source *s, pid_t pid, char *err, size_t errlen);
void source_close(struct source *s);

/* Copies what is new into p. Returns 1 when a new snapshot was added, 0 when
 * none, -1 when the segment can no longer be read (err says why). A segment
 * truncated under the reader, before or during the copy, is given up for
 * good (s->broken), and p keeps what it had; one whose name was removed
 * still reads through the mapping (s->removed). */
int source_poll(struct source *s, struct profile *p, char *err, size_t errlen);

/* Looks up the files and lines a lazy_lines source left for later, into p
 * (none a table shows). Returns how many symbols it changed. */
size_t source_settle(struct source *s, struct profile *p);

/* Looks for a newer segment of the same pid (after an exec). Returns 1 when
 * the source moved to one (p is reset), else 0. */
int source_follow(struct source *s, struct profile *p);

/* The probe's state word (enum lt_state) and exit status; once the segment
 * is broken, the last ones read. */
uint32_t source_state(struct source *s, int *status);

/* shm_want_interval, unless the segment is broken. */
void source_want_interval(struct source *s, uint32_t ms, uint64_t until_ns);

#endif
