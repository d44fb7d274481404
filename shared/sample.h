/* sample.h - byte sampling: which allocations a sampling probe records, and
 * how readers turn what it recorded into estimates.
 *
 * The probe treats the bytes each thread allocates as a Poisson process
 * with a mean gap of MEAN bytes, and records an allocation when a point
 * falls inside it: an allocation of n bytes is recorded with probability
 * 1 - exp(-n / MEAN), whatever came before it. The gap to the next point is
 * drawn from the exponential distribution and kept as a per-thread
 * countdown, so an allocation that does not reach it costs a subtraction
 * and a branch. Go's runtime and jemalloc sample the same way.
 *
 * Readers scale a stack's counts by 1 / (1 - exp(-avg / MEAN)), where avg is
 * the mean size of the blocks recorded for it, as Go's pprof does: unbiased
 * for a stack whose blocks are all one size, an estimate otherwise. Blocks
 * far larger than MEAN are all recorded and scale by about 1. */
#ifndef LEAKTOP_SAMPLE_H
#define LEAKTOP_SAMPLE_H

#include <stdint.h>

#include "shm.h"

/* A state for sample_next_gap from any seed (the state is never 0). */
uint64_t sample_seed(uint64_t seed);

/* Bytes to the next sampled point, at least 1, drawn with mean `mean`;
 * advances *state. */
uint64_t sample_next_gap(uint64_t *state, uint32_t mean);

/* The factor by which `count` recorded blocks of `bytes` in all scale up
 * when sampled with mean gap `mean`; 1 when mean or count is 0. */
double sample_scale(uint64_t count, uint64_t bytes, uint32_t mean);

/* Scales one stack's (or the totals') counters into estimates: the live
 * pair by its own mean size, the allocated pair by its own, and the frees
 * as the difference, so live = allocated - freed still holds. No-op when
 * mean is 0. */
void sample_scale_counts(struct lt_counts *c, uint32_t mean);

/* Scales a tick's figures: the live pair by its mean size, and the calls
 * by the same factor. No-op when mean is 0. */
void sample_scale_tick(struct lt_tick *t, uint32_t mean);

#endif
