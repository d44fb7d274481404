/* memalign.c - target: a known leak through memalign (obsolete, still used).
 *
 * leak_memalign_32x100 keeps 60 blocks of 100 bytes aligned to 32;
 * free_memalign frees the same.
 *
 * Read by tests/integration/run.sh:
 * exit: 9
 * expect: leak_memalign_32x100 live_bytes=6000 live_blocks=60 alloc_calls=60
 * expect: free_memalign live_bytes=0 live_blocks=0 alloc_calls=60
 */
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define N 60

static int failed;

__attribute__((noinline)) static void leak_memalign_32x100(void)
{
	for (int i = 0; i < N; i++) {
		void *p = memalign(32, 100);
		failed += !p || (uintptr_t)p % 32;
	}
}

__attribute__((noinline)) static void free_memalign(void)
{
	for (int i = 0; i < N; i++) {
		void *p = memalign(32, 100);
		failed += !p || (uintptr_t)p % 32;
		free(p);
	}
}

int main(void)
{
	leak_memalign_32x100();
	free_memalign();
	if (failed) {
		fprintf(stderr, "memalign: %d calls misbehaved\n", failed);
		return 1;
	}
	printf("memalign: leaked %d blocks of %d bytes\n", N, 100);
	return 9;
}
