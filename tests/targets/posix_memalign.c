/* posix_memalign.c - target: a known leak through posix_memalign.
 *
 * leak_posix_memalign_64x200 keeps 40 blocks of 200 bytes aligned to 64;
 * free_posix_memalign frees the same. main checks alignment and that a bad
 * alignment (not a power of two) returns EINVAL and allocates nothing.
 *
 * Read by tests/integration/run.sh:
 * exit: 7
 * expect: leak_posix_memalign_64x200 live_bytes=8000 live_blocks=40 alloc_calls=40
 * expect: free_posix_memalign live_bytes=0 live_blocks=0 alloc_calls=40
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define N 40

static int failed;

__attribute__((noinline)) static void leak_posix_memalign_64x200(void)
{
	for (int i = 0; i < N; i++) {
		void *p;
		if (posix_memalign(&p, 64, 200) || (uintptr_t)p % 64)
			failed++;
	}
}

__attribute__((noinline)) static void free_posix_memalign(void)
{
	for (int i = 0; i < N; i++) {
		void *p;
		if (posix_memalign(&p, 64, 200) || (uintptr_t)p % 64)
			failed++;
		free(p);
	}
	void *q = NULL;
	if (posix_memalign(&q, 24, 200) != EINVAL)
		failed++;
}

int main(void)
{
	leak_posix_memalign_64x200();
	free_posix_memalign();
	if (failed) {
		fprintf(stderr, "posix_memalign: %d calls misbehaved\n", failed);
		return 1;
	}
	printf("posix_memalign: leaked %d blocks of %d bytes\n", N, 200);
	return 7;
}
