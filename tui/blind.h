/* blind.h - why the probe cannot see a program's allocations, from the
 * program file alone, so leaktop can say so instead of showing an empty
 * table that reads as "no leaks".
 *
 * The probe is an LD_PRELOAD library: it sees nothing of a program the
 * dynamic linker never runs (statically linked), of one for which it drops
 * LD_PRELOAD (set-user-ID, set-group-ID, or with file capabilities, unless
 * the invoking user already has those rights), nor the allocations of a
 * program that defines malloc itself (jemalloc or mimalloc linked in): the
 * executable's own definition wins over every preloaded one. */
#ifndef LEAKTOP_BLIND_H
#define LEAKTOP_BLIND_H

#include <stddef.h>

enum blind {
	BLIND_NO = 0,     /* nothing in the file stops the probe */
	BLIND_STATIC,     /* no PT_INTERP: the dynamic linker never runs */
	BLIND_SECURE,     /* set-ID or capabilities: LD_PRELOAD is dropped */
	BLIND_OWN_MALLOC, /* the executable defines malloc */
};

/* Looks at the program file (argv[0] as exec would find it, through PATH
 * when it has no slash). Returns what blinds the probe and, unless
 * BLIND_NO, a sentence in why naming it as name ("NAME is statically
 * linked, ..."); BLIND_NO when the file cannot be read (exec will say
 * why). */
enum blind blind_check(const char *program, const char *name, char *why, size_t n);

#endif
