/* stacks.c - a target with many distinct allocation stacks, for the viewer
 * benchmark (view.sh).
 *
 * Block i (0 <= i < N) is allocated at the bottom of a chain of LEVELS
 * calls, where the call at level k goes through left() or right() as bit k
 * of i says: two functions, so every block's chain of return addresses is
 * its own and the probe sees N distinct stacks, each LEVELS + 5 frames
 * deep (under the 24 frames a stack the segment's pool is sized for).
 * Every block stays live. Then, every 100 ms, CHURN blocks picked in turn
 * are freed and allocated again through the same chain (their stacks move:
 * allocations per second, live bytes up and down) and one more block of
 * 1 KiB is leaked from leak_kib(), so the growth view has a steady leak to
 * rank first.
 *
 *   stacks [N [SECONDS]]
 *
 * view.sh builds it -O0, as the test targets are: no inlining, no tail
 * calls, no identical-code folding of left() into right().
 *
 * N defaults to 50,000 (at most 2^LEVELS); SECONDS to 600. It prints
 * "stacks: ready" once every block is allocated, then runs until SECONDS
 * pass or a signal ends it. Sizes are 16 to 1024 bytes, from i, so a run
 * holds about 25 MiB. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define LEVELS 16 /* 2^16 = 65536 paths */
#define CHURN  50 /* blocks reallocated every 100 ms */

static void *left(uint32_t i, int level);
static void *right(uint32_t i, int level);

/* One level: the next call goes through left() or right() as bit `level`
 * of i says; at the bottom, the block. */
static inline __attribute__((always_inline)) void *step(uint32_t i, int level)
{
	if (level == LEVELS) {
		size_t size = 16 + (size_t)(i % 64) * 16;
		unsigned char *p = malloc(size);
		if (!p) {
			perror("stacks: malloc");
			exit(1);
		}
		p[0] = (unsigned char)i;
		return p;
	}
	return (i >> level) & 1 ? right(i, level + 1) : left(i, level + 1);
}

/* Each keeps its frame: noinline, and the result is written through a
 * volatile after the call returns, so the call is not in tail position.
 * step() is inlined into both, even at -O0, so each level is one frame. */
__attribute__((noinline)) static void *left(uint32_t i, int level)
{
	void *volatile p = step(i, level);
	return p;
}

__attribute__((noinline)) static void *right(uint32_t i, int level)
{
	void *volatile p = step(i, level);
	return p;
}

__attribute__((noinline)) static void *leak_kib(void)
{
	void *volatile p = malloc(1024);
	return p;
}

/* Frees and allocates again `count` blocks from *next on, in turn. */
__attribute__((noinline)) static void renew(void **block, long n, long *next, long count)
{
	for (long k = 0; k < count; k++, *next = (*next + 1) % n) {
		free(block[*next]);
		block[*next] = step((uint32_t)*next, 0);
	}
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 50000;
	long seconds = argc > 2 ? strtol(argv[2], NULL, 10) : 600;
	if (n < 1 || n > (1L << LEVELS) || seconds < 1) {
		fprintf(stderr, "usage: stacks [N (1 to %ld)] [SECONDS]\n", 1L << LEVELS);
		return 2;
	}
	void **block = calloc((size_t)n, sizeof *block);
	if (!block) {
		perror("stacks: calloc");
		return 1;
	}
	/* One call site for the first round and for the churn: a block renewed
	 * gets the very stack it had (the return address into main is part of
	 * it), so the stacks stay N, however long the program runs. */
	struct timespec tick = { 0, 100 * 1000000L };
	long next = 0;
	for (long t = -1; t < seconds * 10; t++) {
		renew(block, n, &next, t < 0 ? n : CHURN);
		if (t < 0) {
			printf("stacks: ready, %ld blocks\n", n);
			fflush(stdout);
			continue;
		}
		leak_kib();
		nanosleep(&tick, NULL);
	}
	for (long i = 0; i < n; i++)
		free(block[i]);
	free(block);
	return 0;
}
