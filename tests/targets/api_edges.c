/* api_edges.c - target: the malloc family's edge cases and errno.
 *
 * Prints what each call did (NULL or not, errno, contents kept), so that
 * run.sh's comparison of bare and recorded stdout proves the probe changes
 * none of it, whatever glibc's own answers are. It also checks what must
 * hold everywhere (free and successful calls keep errno; a failed realloc
 * keeps the block and its contents) and exits 1 if that is broken.
 * keep_3x100 leaks 3 blocks of 100 bytes after all the failures around it.
 *
 * exit: 0
 * expect: keep_3x100 live_bytes=300 live_blocks=3 alloc_calls=3
 */
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int broken;

#define MUST(cond)                                                       \
	do {                                                             \
		if (!(cond)) {                                           \
			printf("BROKEN line %d: %s\n", __LINE__, #cond); \
			broken = 1;                                      \
		}                                                        \
	} while (0)

static void show(const char *what, const void *p, int err)
{
	printf("%-36s %s errno=%d\n", what, p ? "ptr " : "NULL", err);
}

__attribute__((noinline)) static void keep_3x100(void)
{
	for (int i = 0; i < 3; i++)
		memset(malloc(100), i, 100);
}

int main(void)
{
	void *p, *q;
	volatile size_t huge = SIZE_MAX / 2, big = SIZE_MAX / 4 + 1;

	errno = 4242;
	p = malloc(64);
	MUST(errno == 4242);
	free(p);
	MUST(errno == 4242);
	free(NULL);
	MUST(errno == 4242);

	errno = 0;
	p = malloc(huge);
	show("malloc(SIZE_MAX/2)", p, errno);
	errno = 0;
	p = calloc(big, 8); /* overflows */
	show("calloc(SIZE_MAX/4+1, 8)", p, errno);

	p = malloc(32);
	memset(p, 'x', 32);
	errno = 0;
	q = realloc(p, huge);
	show("realloc(p, SIZE_MAX/2)", q, errno);
	MUST(!q && p && ((char *)p)[31] == 'x');
	errno = 0;
	q = reallocarray(p, big, 8);
	show("reallocarray(p, overflow)", q, errno);
	MUST(!q && ((char *)p)[0] == 'x');
	q = realloc(p, 0);
	show("realloc(p, 0)", q, 0);
	free(q);
	q = realloc(NULL, 0);
	show("realloc(NULL, 0)", q, 0);
	free(q);

	int r = posix_memalign(&p, 3, 16);
	printf("%-36s %d\n", "posix_memalign(align 3)", r);
	r = posix_memalign(&p, 64, 100);
	printf("%-36s %d aligned=%d\n", "posix_memalign(align 64)", r, ((uintptr_t)p & 63) == 0);
	MUST(malloc_usable_size(p) >= 100);
	free(p);
	errno = 0;
	p = aligned_alloc(64, 128);
	show("aligned_alloc(64, 128)", p, errno);
	free(p);
	errno = 0;
	p = memalign(4096, 10);
	show("memalign(4096, 10)", p, errno);
	MUST(((uintptr_t)p & 4095) == 0);
	free(p);
	MUST(malloc_usable_size(NULL) == 0);

	keep_3x100();
	printf("api_edges: %s\n", broken ? "BROKEN" : "all as expected");
	return broken;
}
