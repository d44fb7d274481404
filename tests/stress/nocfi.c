/* nocfi.c - allocations made from, and through, frames without unwind
 * information (libnocfi.so, built -fno-asynchronous-unwind-tables).
 *
 * Usage: nocfi ROUNDS
 * While those frames run, %rbp holds in turn a pointer into a PROT_NONE
 * mapping (mapped, but any read of it faults), a pointer into memory
 * just unmapped, a small integer, and a stack address: the guesses an
 * unwinder without rules could make from it must all be harmless. Main
 * and two threads allocate ROUNDS times each way: malloc called by
 * libnocfi, and malloc called by a function with unwind tables that
 * libnocfi calls 5 frames deep. Main keeps 10 blocks of 77 bytes from
 * nocfi_alloc, and 10 of 99 from keep_through_nocfi, called through
 * libnocfi.
 *
 * args: 20000
 * exit: 0
 * expect: nocfi_alloc live_bytes=770 live_blocks=10 alloc_calls>=10
 * expect: keep_through_nocfi live_bytes=990 live_blocks=10 alloc_calls=10
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "stress.h"

void *nocfi_alloc(size_t n, char *const v[6]);
void *nocfi_call(int depth, void *(*cb)(size_t), size_t n, char *const v[6]);

static char *none, *gone;
static void *kept[20];

__attribute__((noinline)) static void *through_nocfi(size_t n)
{
	return malloc(n);
}

__attribute__((noinline)) static void *keep_through_nocfi(size_t n)
{
	return malloc(n);
}

/* Six values of one kind for the six preserved registers. */
static void values(int kind, char *v[6], char *stack)
{
	for (int i = 0; i < 6; i++)
		switch (kind) {
		case 0: v[i] = none + 4096 * i + 64; break;
		case 1: v[i] = gone + 4096 * i + 64; break;
		case 2: v[i] = (char *)(uintptr_t)(16 * i + 8); break;
		default: v[i] = stack + 64 * i; break;
		}
}

static long run(long rounds)
{
	char stack[512];
	char *v[6];
	long bad = 0;
	for (long r = 0; r < rounds; r++) {
		values((int)(r % 4), v, stack);
		void *p = nocfi_alloc((size_t)(r % 500) + 1, v);
		void *q = nocfi_call(5, through_nocfi, (size_t)(r % 300) + 1, v);
		bad += !p || !q;
		free(p);
		free(q);
	}
	return bad;
}

static void *thread_main(void *arg)
{
	return (void *)(intptr_t)run((long)(intptr_t)arg);
}

int main(int argc, char **argv)
{
	long rounds = arg_count(argc, argv, 1, 20000);
	none = mmap(NULL, 1 << 20, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	gone = mmap(NULL, 1 << 20, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (none == MAP_FAILED || gone == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	munmap(gone, 1 << 20);

	char *v[6];
	for (int i = 0; i < 10; i++) {
		values(i % 4, v, (char *)&v);
		kept[i] = nocfi_alloc(77, v);
		kept[10 + i] = nocfi_call(3, keep_through_nocfi, 99, v);
	}
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		if (pthread_create(&t[i], NULL, thread_main, (void *)(intptr_t)rounds))
			die("pthread_create: %s", strerror(errno));
	long bad = run(rounds);
	for (int i = 0; i < 2; i++) {
		void *ret;
		pthread_join(t[i], &ret);
		bad += (intptr_t)ret;
	}
	int kept_all = 1;
	for (int i = 0; i < 20; i++)
		kept_all &= kept[i] != NULL;
	check(bad == 0 && kept_all,
	      "nocfi: %ld allocations from frames without unwind tables, and %ld through them, "
	      "with %%rbp holding a PROT_NONE pointer, an unmapped one, a small integer, a stack "
	      "address",
	      3 * rounds + 10, 3 * rounds + 10);
	return stress_done();
}
