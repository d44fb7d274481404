/* unwind.h - stack capture for the probe: cached rules, then libunwind.
 *
 * Owns the libunwind handle; the rules' table is unwind_rules.c's.
 * libunwind is loaded RTLD_LOCAL so that its own copies of the _Unwind_*
 * exception ABI never take the place of libgcc_s's in the target. Until unwind_init has run,
 * captures return depth 0. */
#ifndef LEAKTOP_UNWIND_H
#define LEAKTOP_UNWIND_H

#include <signal.h>
#include <stdint.h>

/* Loads libunwind and turns on per-thread caching. 0, or -1 when libunwind
 * is not there (stacks then stay empty; counts are still exact). */
int unwind_init(void);

/* Finds the calling thread's stack, so that captures on it check the room
 * they have. Allocates (pthread_getattr_np): call with the guard up. */
void unwind_thread_start(void);

/* The program set (or, with SS_DISABLE, removed) the calling thread's
 * alternate signal stack: captures on it check their room too. */
void unwind_altstack(const stack_t *ss);

/* The calling thread enters (delta 1) or leaves (-1) code that may hold
 * the loader's lock (dl_iterate_phdr and its callback, dlclose): captures
 * meanwhile keep the allocating frame alone, as with too little stack. */
void unwind_loader_lock(int delta);

/* Whether captures walk by cached rules first (unwind_rules.c); on after
 * unwind_init unless LEAKTOP_UNWIND=libunwind. Tests compare the two. */
void unwind_use_rules(int on);

/* Code was unmapped (dlclose): rules learned for its addresses go. */
void unwind_code_unmapped(void);

/* In a fork child, before it allocates: locks other threads held. */
void unwind_after_fork(void);

/* max when a capture of max frames has the stack it needs below the
 * caller (who then makes its frame buffer), else 1. */
uint32_t unwind_room(uint32_t max);

/* Captures up to max return addresses, leaf first, starting at the frame
 * that `caller` (a return address into the allocating code) belongs to:
 * every frame before it is the probe's own. When caller is NULL or not found,
 * only the frames of the probe's module are cut. With too little stack left
 * to unwind, or the loader's lock held, only caller itself (depth 1), or
 * nothing when it is NULL.
 * Returns the depth. */
uint32_t unwind_capture(uint64_t *frames, uint32_t max, const void *caller);

#endif
