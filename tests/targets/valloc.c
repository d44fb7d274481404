/* valloc.c - target: a known leak through valloc (page-aligned).
 *
 * leak_valloc_300x12 keeps 12 page-aligned blocks of 300 bytes (valloc
 * does not round the size, only the address); free_valloc frees the same.
 *
 * Read by tests/integration/run.sh:
 * exit: 10
 * expect: leak_valloc_300x12 live_bytes=3600 live_blocks=12 alloc_calls=12
 * expect: free_valloc live_bytes=0 live_blocks=0 alloc_calls=12
 */
#define _DEFAULT_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define N 12

static int failed;
static uintptr_t page;

__attribute__((noinline)) static void leak_valloc_300x12(void)
{
	for (int i = 0; i < N; i++) {
		void *p = valloc(300);
		failed += !p || (uintptr_t)p % page;
	}
}

__attribute__((noinline)) static void free_valloc(void)
{
	for (int i = 0; i < N; i++) {
		void *p = valloc(300);
		failed += !p || (uintptr_t)p % page;
		free(p);
	}
}

int main(void)
{
	page = (uintptr_t)sysconf(_SC_PAGESIZE);
	leak_valloc_300x12();
	free_valloc();
	if (failed) {
		fprintf(stderr, "valloc: %d calls misbehaved\n", failed);
		return 1;
	}
	printf("valloc: leaked %d blocks of %d bytes\n", N, 300);
	return 10;
}
