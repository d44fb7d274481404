/* own_malloc.c - a program with its own allocator linked in: malloc, free,
 * calloc and realloc defined in the executable (a bump allocator over a
 * static arena, frees ignored), as a program with jemalloc or mimalloc
 * linked in has them. The executable's definitions come before any
 * LD_PRELOAD library's, so the probe sees none of its allocations. It
 * "leaks" 100 blocks of 1 KiB and prints a checksum. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static _Alignas(16) unsigned char arena[1 << 20];
static size_t used;

void *malloc(size_t n)
{
	n = (n + 15) & ~(size_t)15;
	if (n > sizeof(arena) - used)
		return NULL;
	void *p = arena + used;
	used += n;
	return p;
}

void free(void *p)
{
	(void)p;
}

void *calloc(size_t k, size_t n)
{
	if (n && k > SIZE_MAX / n)
		return NULL;
	void *p = malloc(k * n);
	if (p)
		memset(p, 0, k * n);
	return p;
}

void *realloc(void *old, size_t n)
{
	void *p = malloc(n);
	if (p && old)
		memcpy(p, old, n); /* the arena is contiguous: reading past old is safe */
	return p;
}

int main(void)
{
	unsigned sum = 0;
	for (int i = 0; i < 100; i++) {
		unsigned char *b = malloc(1024);
		b[0] = (unsigned char)i;
		sum += b[0];
	}
	printf("own_malloc: 100 blocks, sum %u\n", sum);
	return 0;
}
