/* reallocarray.c - target: a known leak through reallocarray.
 *
 * leak_reallocarray_10x48: 25 times reallocarray(NULL, 10, 48) (an
 * allocation of 480 bytes), then reallocarray(p, 20, 48) to 960; the grown
 * blocks are kept. free_reallocarray does the same and frees them. An
 * overflowing call must fail with ENOMEM and allocate nothing.
 *
 * Read by tests/integration/run.sh:
 * exit: 6
 * expect: leak_reallocarray_10x48 live_bytes=24000 live_blocks=25 alloc_calls=50
 * expect: free_reallocarray live_bytes=0 live_blocks=0 alloc_calls=50
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define N 25

static int failed;
static size_t huge = SIZE_MAX / 2; /* a variable: gcc would warn of a constant */

__attribute__((noinline)) static void leak_reallocarray_10x48(void)
{
	for (int i = 0; i < N; i++) {
		void *p = reallocarray(NULL, 10, 48);
		p = reallocarray(p, 20, 48);
		failed += p == NULL;
	}
}

__attribute__((noinline)) static void free_reallocarray(void)
{
	for (int i = 0; i < N; i++) {
		void *p = reallocarray(NULL, 10, 48);
		p = reallocarray(p, 20, 48);
		free(p);
	}
	errno = 0;
	if (reallocarray(NULL, huge, 4) != NULL || errno != ENOMEM)
		failed++;
}

int main(void)
{
	leak_reallocarray_10x48();
	free_reallocarray();
	if (failed) {
		fprintf(stderr, "reallocarray: %d calls misbehaved\n", failed);
		return 1;
	}
	printf("reallocarray: leaked %d blocks of %d bytes\n", N, 960);
	return 6;
}
