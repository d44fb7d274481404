/* strtab.h - interned strings: each distinct string stored once and named
 * by its index, 0, 1, 2... in the order first seen.
 *
 * Ownership: a strtab owns copies of its strings until strtab_fini; a
 * zeroed strtab is an empty one. Memory comes from xmalloc (dies when out). */
#ifndef LEAKTOP_STRTAB_H
#define LEAKTOP_STRTAB_H

#include <stddef.h>
#include <stdint.h>

struct strtab {
	char **s; /* s[i]: the string of index i */
	uint32_t n, cap;
	uint32_t *index; /* open addressing: string index + 1, 0 = empty */
	size_t mask;
};

/* The index of str, copied in when new. One hash and, on average, about
 * one strcmp: the index stays at most half full. */
uint32_t strtab_intern(struct strtab *t, const char *str);

/* Frees every string and leaves t empty (zeroed). */
void strtab_fini(struct strtab *t);

#endif
