/* rows.h - the rows of the viewer's tables: snapshots grouped and measured.
 *
 * Ownership: a struct rows owns its rows and their labels; rows_build
 * rebuilds them all from a profile (which it only reads).
 *
 * A row is one group of stacks: one stack (GROUP_STACK), every stack whose
 * top frame is the same function (GROUP_FUNCTION: the top frame is the
 * first frame outside libc, libstdc++ and allocator wrappers, so rows name
 * the program's own code), or every stack whose top frame is in the same
 * module (GROUP_MODULE). */
#ifndef LEAKTOP_ROWS_H
#define LEAKTOP_ROWS_H

#include <stddef.h>
#include <stdint.h>

#include "growth.h"
#include "strtab.h"
#include "shared/profile.h"

#define ROW_SPARK 16 /* samples of history kept per row for its sparkline */

enum group_mode { GROUP_FUNCTION, GROUP_STACK, GROUP_MODULE, GROUP_COUNT };

enum row_col { COL_LIVE, COL_BLOCKS, COL_GROWTH, COL_ALLOCS_S, COL_TOTAL, COL_COUNT };

struct row {
	const char *label;  /* function, module or stack top; owned by the rows */
	const char *where;  /* file:line or module of the top frame; may be "" */
	uint32_t stack;     /* the row's biggest stack (for the detail view) */
	uint32_t nstacks;   /* stacks in the row */
	struct lt_counts c; /* at the current snapshot, minus the baseline if any */
	double allocs_per_s;
	/* Filled in by rows_get (growth_analyse is most of a rebuild's cost,
	 * and a view draws a page of the rows, not all of them). */
	struct growth g;
	double spark[ROW_SPARK]; /* live bytes, oldest first */
	int nspark;

	/* rows.c's own */
	int analysed;      /* g and spark are filled in */
	uint32_t key;      /* the group's key: interned string, or stack id */
	uint32_t label_id; /* label's index among the interned strings */
	uint64_t top_live; /* live bytes of `stack` */
	uint64_t calls0;   /* allocations at the window's first snapshot */
	uint64_t live0;    /* live bytes at the window's first snapshot */
	uint32_t moves;    /* its first move in the window (rows_move index + 1), 0 = none */
};

/* A row's place in the sort: what it is ranked by, kept apart from the
 * rows so that settling the order reads 24 bytes a row, not a row. */
struct rows_slot {
	double key;    /* the sorted column's value */
	uint32_t rank; /* of the row's label among the strings (ties) */
	uint32_t stack, row;
};

/* A change of one stack's live bytes from one snapshot to the next
 * (modulo 2^64: a fall wraps). */
struct rows_change {
	uint32_t id;
	uint64_t delta;
};

/* The changes from one snapshot to the next, kept between rebuilds: a
 * snapshot is known by its seqno and time, a step by both of its ends. */
struct rows_step {
	uint64_t seqno, time_ns, prev_seqno, prev_time_ns;
	struct rows_change *c; /* by stack id */
	uint32_t n, cap;
	int used; /* by the current window */
};

/* A row's live bytes moved by `delta` at sample k of the window; a row's
 * moves are a list through `next` (index + 1, 0 = end). */
struct rows_move {
	uint32_t next, k;
	uint64_t delta;
};

/* What a struct rows was built from: rows_build skips the work when it is
 * asked for the same again. */
struct rows_input {
	const struct profile *prof;
	uint64_t generation; /* prof->generation */
	uint32_t last, window;
	enum group_mode group;
	int has_base;
	uint64_t base_seqno, base_time_ns;
	char filter[128];
};

/* What a stack is under the current grouping: string indices + 1 (0: not
 * described yet). Stacks never change once known, so neither does this. */
struct rows_site {
	uint32_t label, where, key;
};

struct rows {
	struct row *v; /* in the order built: by stack id of each row's first stack */
	size_t n, cap;
	struct rows_slot *order; /* the rows in the sort order; the first `ordered` are final */
	size_t ordered;

	uint32_t *row_of; /* per stack id: row index + 1, 0 = none (scratch) */
	size_t row_of_cap;
	uint32_t *row_of_key; /* per group key: row index + 1 (scratch) */
	size_t row_of_key_cap;

	/* Labels, wheres and group keys, until the profile starts over. */
	struct strtab strs;
	uint32_t *rank;  /* per string: its place in strcmp order, for ties */
	uint32_t ranked; /* strings ranked (ranks are redone when more came) */
	size_t rank_cap;
	uint8_t *match; /* per string: 0 unknown, 1 no, 2 matches the filter */
	size_t match_cap;
	struct rows_site *site; /* per stack id */
	size_t site_cap;
	enum group_mode site_group;
	const struct profile *site_prof;
	uint64_t site_resets; /* the profile's resets when site was filled */

	/* The window's live bytes, kept as each row's value at the first
	 * snapshot and its moves since: a rebuild touches the first and last
	 * snapshots and what changed in between, not every entry of the
	 * window; a row's series is written out when it is analysed. */
	double *t;      /* the window's times, seconds from its first snapshot */
	double *series; /* scratch: one row's live bytes over the window */
	uint64_t *acc;  /* scratch: one row's moves per sample */
	size_t t_cap, series_cap, acc_cap;
	uint32_t w;
	struct rows_step *steps; /* the window's steps, and spares */
	uint32_t nsteps, steps_cap;
	struct rows_move *moves;
	size_t nmoves, moves_cap;

	int built; /* `input` holds what v was built from */
	struct rows_input input;
	int sorted; /* order is by sort_col and sort_invert */
	enum row_col sort_col;
	int sort_invert;
};

/* Rebuilds r from snapshots [last - window + 1, last] of p, grouped by g,
 * keeping rows whose label or module contains filter (NULL: all). With
 * base, counts are the change since that snapshot. Returns 1 when it
 * rebuilt, 0 when r already held exactly that (p's generation unmoved, the
 * same arguments): then r, its order included, is left as it was.
 * The rows keep their own copy of the window's series: rows_get works
 * whatever happens to p afterwards. */
int rows_build(struct rows *r, const struct profile *p, uint32_t last, uint32_t window,
               enum group_mode g, const struct snapshot *base, const char *filter);

/* Sorts by column (largest first unless invert; ties by label, then stack
 * id); COL_GROWTH sorts by the growth score, so leaks come first. Rows
 * already in that order since the last rebuild are left alone. The order is
 * settled lazily: rows_get(r, i) puts the rows up to i in their place,
 * the cost of a page, not of the whole table. */
void rows_sort(struct rows *r, enum row_col col, int invert);

/* Row i (0 <= i < r->n) in the sort order, with its growth and sparkline. */
const struct row *rows_get(struct rows *r, size_t i);

/* Row i in the sort order; its growth and sparkline may not be filled in
 * (for searching labels without analysing every row). */
const struct row *rows_peek(struct rows *r, size_t i);

void rows_free(struct rows *r);

/* Whether a frame is an allocator's own (libc, libstdc++, operator new,
 * std::allocator...), skipped when finding a stack's top frame. */
int rows_is_allocator_frame(const struct frame_sym *s);

/* Index in st of the stack's top frame (see above); 0 when every frame is
 * an allocator's. */
uint32_t rows_top_frame(const struct profile *p, const struct prof_stack *st);

const char *rows_group_name(enum group_mode g);
const char *rows_col_name(enum row_col c);

#endif
