/* libplug_a.c - a plugin that dlopen_loop.c loads and unloads in turns
 * with libplug_b.c. Its work allocates at the bottom of a recursion whose
 * frames are large, so that libplug_b's code, often mapped at the same
 * address after an unload, has a different frame at each address. */
#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) static unsigned long plug_a_descend(int depth, unsigned long acc)
{
	volatile char frame[512];
	frame[depth % 512] = (char)depth;
	if (depth == 0) {
		unsigned char *p = malloc(333);
		if (!p)
			return 0;
		memset(p, 0xa, 333);
		acc += p[332];
		free(p);
		return acc;
	}
	return plug_a_descend(depth - 1, acc + (unsigned char)frame[depth % 512]);
}

/* The same answer from either plugin: the sum of 1..depth plus 10. */
unsigned long plug_work(int depth)
{
	return plug_a_descend(depth, 0);
}
