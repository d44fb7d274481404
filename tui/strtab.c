/* strtab.c - see strtab.h. FNV-1a over the bytes, linear probing, the
 * index doubled (and rebuilt from the strings) before it is half full. */
#include "strtab.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

void strtab_fini(struct strtab *t)
{
	for (uint32_t i = 0; i < t->n; i++)
		free(t->s[i]);
	free(t->s);
	free(t->index);
	memset(t, 0, sizeof *t);
}

/* The index slot of str, or the empty slot where it would go. */
static size_t strtab_slot(const struct strtab *t, const char *str)
{
	size_t i = hash_str(str) & t->mask;
	while (t->index[i] && strcmp(t->s[t->index[i] - 1], str))
		i = (i + 1) & t->mask;
	return i;
}

uint32_t strtab_intern(struct strtab *t, const char *str)
{
	if (((size_t)t->n + 1) * 2 > (t->index ? t->mask + 1 : 0)) {
		size_t size = t->index ? 2 * (t->mask + 1) : 1024;
		free(t->index);
		t->index = xcalloc(size, sizeof *t->index);
		t->mask = size - 1;
		for (uint32_t i = 0; i < t->n; i++)
			t->index[strtab_slot(t, t->s[i])] = i + 1;
	}
	size_t slot = strtab_slot(t, str);
	if (t->index[slot])
		return t->index[slot] - 1;
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 256;
		t->s = xrealloc(t->s, t->cap * sizeof *t->s);
	}
	t->s[t->n] = xstrdup(str);
	t->index[slot] = ++t->n;
	return t->n - 1;
}
