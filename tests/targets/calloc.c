/* calloc.c - target: a known leak through calloc.
 *
 * leak_calloc_10x48x50 keeps 50 zeroed arrays of 10 elements of 48 bytes;
 * free_calloc_10x48x50 makes the same calls and frees every block. main
 * checks the blocks really are zero, so a probe that broke calloc's
 * contract changes the exit status.
 *
 * Read by tests/integration/run.sh:
 * exit: 4
 * expect: leak_calloc_10x48x50 live_bytes=24000 live_blocks=50 alloc_calls=50
 * expect: free_calloc_10x48x50 live_bytes=0 live_blocks=0 alloc_calls=50
 */
#include <stdio.h>
#include <stdlib.h>

#define N     50
#define NMEMB 10
#define SIZE  48

static int nonzero;

static void check_zero(const unsigned char *p)
{
	for (int i = 0; i < NMEMB * SIZE; i++)
		nonzero |= p[i];
}

__attribute__((noinline)) static void leak_calloc_10x48x50(void)
{
	for (int i = 0; i < N; i++)
		check_zero(calloc(NMEMB, SIZE));
}

__attribute__((noinline)) static void free_calloc_10x48x50(void)
{
	for (int i = 0; i < N; i++) {
		unsigned char *p = calloc(NMEMB, SIZE);
		check_zero(p);
		free(p);
	}
}

int main(void)
{
	leak_calloc_10x48x50();
	free_calloc_10x48x50();
	if (nonzero) {
		fprintf(stderr, "calloc: a block was not zeroed\n");
		return 1;
	}
	printf("calloc: leaked %d blocks of %d bytes\n", N, NMEMB * SIZE);
	return 4;
}
