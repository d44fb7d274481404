/* diff.h - what changed between two snapshots, as `go tool pprof -base`
 * shows it: per stack, the change in live bytes, blocks and allocations;
 * per thread group, the change in its count.
 *
 * The two snapshots may come from two processes (two recordings), so
 * stacks are matched by their frames' names (function, or module+offset
 * when there is no symbol), root first, never by id or address. Stacks
 * with the same names are summed on each side.
 *
 * Ownership: a struct diff owns its keys and arrays; it points into the
 * two profiles for frames, so they must outlive it. */
#ifndef LEAKTOP_DIFF_H
#define LEAKTOP_DIFF_H

#include <stdint.h>

#include "shared/profile.h"

struct diff_stack {
	char *key;                  /* frame names, root first, ';' between */
	const struct profile *p;    /* where stack lives: new, or base if only there */
	uint32_t stack;             /* an id in p with these names */
	struct lt_counts base, cur; /* summed over the stacks with these names */
	int64_t d_live_bytes, d_live_blocks, d_alloc_calls, d_alloc_bytes, d_free_calls;
};

struct diff_group {
	char *key;               /* creation names, "[thread]", current names */
	const struct profile *p; /* where the group's stacks live */
	uint32_t create_stack, wait_stack;
	uint8_t wait;
	uint32_t base, cur; /* live threads in the group */
	uint64_t base_bytes, cur_bytes;
};

struct diff {
	struct diff_stack *s; /* largest growth of live bytes first */
	uint32_t n;
	struct diff_group *g; /* largest growth of the count first */
	uint32_t ng;
	struct diff_stack totals; /* the whole process's: no key, no stack */
	int has_threads;          /* both sides had a thread snapshot */
};

/* Compares snapshot bi of base with snapshot ni of cur. Dies when out of
 * memory. */
void diff_build(struct diff *d, const struct profile *base, uint32_t bi, const struct profile *cur,
                uint32_t ni);
void diff_free(struct diff *d);

/* Snapshot bi of base with its stacks put under cur's ids, matched by
 * name as diff_build matches them, for a view that subtracts a baseline
 * by stack id: each entry holds what base counts under a name, filed
 * under the lowest id of cur's stacks with that name. Names cur never
 * saw are left out (no row of cur could show them). Totals, seqno and
 * time are base's; out->e is the caller's to free. Dies when out of
 * memory. */
void diff_rebase(struct snapshot *out, const struct profile *base, uint32_t bi,
                 const struct profile *cur);

#endif
