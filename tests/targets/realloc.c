/* realloc.c - target: realloc in each of its roles.
 *
 * leak_realloc_grow: 20 times realloc(NULL, 16) (an allocation), a malloc
 * of a 16-byte barrier right after it, then a realloc to 4096 that must
 * move, since the barrier is in the way; the barrier is freed and the 20
 * grown blocks are kept. So 60 allocation calls (a realloc that moves
 * counts as one), 20 live blocks of 4096 bytes: the 16-byte originals and
 * the barriers are gone.
 * free_realloc_zero: 30 times realloc(NULL, 100) then realloc(p, 0), which
 * frees in glibc (2.36 returns NULL); nothing stays live.
 * main exits 1 if a grow did not move, so the moving case is really tested.
 *
 * Read by tests/integration/run.sh:
 * exit: 5
 * expect: leak_realloc_grow live_bytes=81920 live_blocks=20 alloc_calls=60
 * expect: free_realloc_zero live_bytes=0 live_blocks=0 alloc_calls=30
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_GROW 20
#define N_ZERO 30

static int stayed;

__attribute__((noinline)) static void leak_realloc_grow(void)
{
	for (int i = 0; i < N_GROW; i++) {
		char *p = realloc(NULL, 16);
		void *barrier = malloc(16); /* the chunk after p is in use */
		memset(p, 'x', 16);
		uintptr_t old = (uintptr_t)p;
		p = realloc(p, 4096);
		if ((uintptr_t)p == old || memcmp(p, "xxxxxxxxxxxxxxxx", 16))
			stayed++;
		free(barrier);
	}
}

__attribute__((noinline)) static void free_realloc_zero(void)
{
	for (int i = 0; i < N_ZERO; i++) {
		void *p = realloc(NULL, 100);
		if (realloc(p, 0) != NULL) /* glibc frees and returns NULL */
			stayed++;
	}
}

int main(void)
{
	leak_realloc_grow();
	free_realloc_zero();
	if (stayed) {
		fprintf(stderr, "realloc: %d reallocs did not move or free\n", stayed);
		return 1;
	}
	printf("realloc: leaked %d blocks of %d bytes\n", N_GROW, 4096);
	return 5;
}
