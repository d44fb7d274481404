/* growth.h - is a stack leaking? A robust fit to its live bytes over time.
 *
 * Ownership: pure functions over arrays the caller owns.
 *
 * The verdicts, for a series of live-byte samples of one stack:
 *   leak       the troughs keep rising: what is freed never brings the
 *              stack back to where it was (a sawtooth whose low points
 *              climb is a leak too);
 *   cache      it grows and comes back down: the troughs stay level;
 *   stable     it does not move beyond noise;
 *   shrinking  it falls;
 *   unknown    too few samples to tell.
 * The score ranks stacks by how likely they leak: any leak above every
 * cache, stable or shrinking stack, whatever their size; among leaks, the
 * faster and steadier first. */
#ifndef LEAKTOP_GROWTH_H
#define LEAKTOP_GROWTH_H

#include <stddef.h>
#include <stdint.h>

#include "shared/profile.h"

enum verdict { VERDICT_UNKNOWN, VERDICT_LEAK, VERDICT_CACHE, VERDICT_STABLE, VERDICT_SHRINKING };

struct growth {
	double bytes_per_s;        /* robust slope of live bytes (Theil-Sen) */
	double trough_bytes_per_s; /* slope through the troughs (running minima) */
	enum verdict verdict;
	double score; /* higher = more likely a leak; see above */
};

/* Analyses n samples: t in seconds, ascending; v in bytes. */
void growth_analyse(const double *t, const double *v, size_t n, struct growth *out);

/* "leak", "cache", "stable", "shrinking", "unknown". */
const char *growth_verdict_name(enum verdict v);

/* Fills t and v (room for last - first + 1) with stack id's live bytes in
 * snapshots [first, last] of p (0 where the stack is absent); returns n. */
size_t growth_series(const struct profile *p, uint32_t id, uint32_t first, uint32_t last, double *t,
                     double *v);

#endif
