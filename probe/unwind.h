/* unwind.h - stack capture for the probe, on libunwind.
 *
 * Owns the libunwind handle. libunwind is loaded RTLD_LOCAL so that its own
 * copies of the _Unwind_* exception ABI never take the place of libgcc_s's
 * in the target. Until unwind_init has run, captures return depth 0. */
#ifndef LEAKTOP_UNWIND_H
#define LEAKTOP_UNWIND_H

#include <stdint.h>

/* Loads libunwind and turns on per-thread caching. 0, or -1 when libunwind
 * is not there (stacks then stay empty; counts are still exact). */
int unwind_init(void);

/* Captures up to max return addresses, leaf first, starting at the frame
 * that `caller` (a return address into the allocating code) belongs to:
 * every frame before it is the probe's own. When caller is NULL or not found,
 * only the frames of the probe's module are cut. Returns the depth. */
uint32_t unwind_capture(uint64_t *frames, uint32_t max, const void *caller);

#endif
