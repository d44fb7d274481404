/* pvalloc.c - target: a known leak through pvalloc.
 *
 * pvalloc rounds the size up to a whole page, so a probe that records the
 * requested size and one that records the rounded size would disagree on
 * pvalloc(100); this target asks for whole pages (2 pages of 4096 bytes)
 * so the figures are exact either way. leak_pvalloc_8192x10 keeps 10 such
 * blocks; free_pvalloc frees the same. main exits 77 (skip) on a machine
 * whose pages are not 4 KiB.
 *
 * Read by tests/integration/run.sh:
 * exit: 11
 * expect: leak_pvalloc_8192x10 live_bytes=81920 live_blocks=10 alloc_calls=10
 * expect: free_pvalloc live_bytes=0 live_blocks=0 alloc_calls=10
 */
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define N    10
#define SIZE 8192

static int failed;

__attribute__((noinline)) static void leak_pvalloc_8192x10(void)
{
	for (int i = 0; i < N; i++) {
		void *p = pvalloc(SIZE);
		failed += !p || (uintptr_t)p % 4096;
	}
}

__attribute__((noinline)) static void free_pvalloc(void)
{
	for (int i = 0; i < N; i++) {
		void *p = pvalloc(SIZE);
		failed += !p || (uintptr_t)p % 4096;
		free(p);
	}
}

int main(void)
{
	if (sysconf(_SC_PAGESIZE) != 4096) {
		printf("pvalloc: pages are not 4 KiB, skipped\n");
		return 77;
	}
	leak_pvalloc_8192x10();
	free_pvalloc();
	if (failed) {
		fprintf(stderr, "pvalloc: %d calls misbehaved\n", failed);
		return 1;
	}
	printf("pvalloc: leaked %d blocks of %d bytes\n", N, SIZE);
	return 11;
}
