/* libplug_b.c - the other plugin of dlopen_loop.c (see libplug_a.c): the
 * same answer from a different code layout, allocating at every level of
 * a shallow recursion with small frames. */
#include <stdlib.h>

static unsigned long plug_b_level(int depth)
{
	unsigned long *p = calloc(4, sizeof *p);
	if (!p)
		return 0;
	p[3] = (unsigned long)depth;
	unsigned long r = p[3] + (depth ? plug_b_level(depth - 1) : 10);
	free(p);
	return r;
}

unsigned long plug_work(int depth)
{
	return plug_b_level(depth);
}
