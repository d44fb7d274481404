/* aligned_alloc.c - target: a known leak through aligned_alloc.
 *
 * leak_aligned_alloc_128x256 keeps 30 blocks of 256 bytes aligned to 128
 * (C11 wants the size a multiple of the alignment; it is, so the figures
 * are exact whatever the allocator rounds to); free_aligned_alloc frees
 * the same.
 *
 * Read by tests/integration/run.sh:
 * exit: 8
 * expect: leak_aligned_alloc_128x256 live_bytes=7680 live_blocks=30 alloc_calls=30
 * expect: free_aligned_alloc live_bytes=0 live_blocks=0 alloc_calls=30
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define N 30

static int failed;

__attribute__((noinline)) static void leak_aligned_alloc_128x256(void)
{
	for (int i = 0; i < N; i++) {
		void *p = aligned_alloc(128, 256);
		failed += !p || (uintptr_t)p % 128;
	}
}

__attribute__((noinline)) static void free_aligned_alloc(void)
{
	for (int i = 0; i < N; i++) {
		void *p = aligned_alloc(128, 256);
		failed += !p || (uintptr_t)p % 128;
		free(p);
	}
}

int main(void)
{
	leak_aligned_alloc_128x256();
	free_aligned_alloc();
	if (failed) {
		fprintf(stderr, "aligned_alloc: %d calls misbehaved\n", failed);
		return 1;
	}
	printf("aligned_alloc: leaked %d blocks of %d bytes\n", N, 256);
	return 8;
}
