/* malloc.c - target: a known leak through malloc.
 *
 * leak_malloc_64x100 keeps 100 blocks of 64 bytes; free_malloc_64x100 makes
 * the same allocations from a second path and frees every one, so leaktop
 * must report nothing live for it. The fixed stdout line and exit status let
 * run.sh check that both pass through the launcher unchanged.
 *
 * Read by tests/integration/run.sh: figures are summed over every stack
 * that has the function as a frame, at the final snapshot.
 * exit: 3
 * expect: leak_malloc_64x100 live_bytes=6400 live_blocks=100 alloc_calls=100
 * expect: free_malloc_64x100 live_bytes=0 live_blocks=0 alloc_calls=100
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N 100

__attribute__((noinline)) static void leak_malloc_64x100(void)
{
	for (int i = 0; i < N; i++)
		memset(malloc(64), i, 64);
}

__attribute__((noinline)) static void free_malloc_64x100(void)
{
	void *p[N];
	for (int i = 0; i < N; i++)
		p[i] = malloc(64);
	for (int i = 0; i < N; i++)
		free(p[i]);
}

int main(void)
{
	leak_malloc_64x100();
	free_malloc_64x100();
	printf("malloc: leaked %d blocks of %d bytes\n", N, 64);
	return 3;
}
