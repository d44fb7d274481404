/* got.h - pointing a running program's calls of the allocator at the probe.
 *
 * Loaded by `leaktop attach` into a program that is already running, the
 * probe is not first in the lookup order: every module's calls to malloc
 * and the rest were bound by the dynamic linker to glibc's functions, in
 * its GOT. This module rewrites those entries (R_X86_64_JUMP_SLOT,
 * GLOB_DAT and 64), in every loaded module but the probe and the dynamic
 * linker, to the probe's hooks, and puts them back on detach. It owns the
 * list of what it changed, a fixed array; it allocates nothing. */
#ifndef LEAKTOP_GOT_H
#define LEAKTOP_GOT_H

#include <stddef.h>

struct got_hook {
	const char *name; /* the symbol, e.g. "malloc" */
	void *fn;         /* the probe's function */
};

#define GOT_BUSY (-2) /* another thread is redirecting or restoring */

/* Points every entry for one of the n hooks, in every module loaded now and
 * not redirected yet, at its hook. Call with the program's other threads
 * stopped, or for modules loaded since (their calls then see either the old
 * or the new pointer: one aligned store each). Modules a dlopen is still
 * relocating are left alone and counted in *pending (if not NULL). Returns
 * the entries changed; -1 when the list of changes is full (what was
 * changed stays so); GOT_BUSY without waiting. */
int got_redirect(const struct got_hook *hooks, size_t n, int *pending);

/* Puts back every entry got_redirect changed. Returns how many, or
 * GOT_BUSY without waiting. */
int got_restore(void);

#endif
