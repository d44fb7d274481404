/* churn.c - an allocation-heavy workload for the overhead benchmark.
 *
 * Each thread keeps a working set of live blocks (10,000 slots by default)
 * and, at every step, frees one random slot and fills it again with a block
 * of random size (16 B to 4 KiB), allocated at the bottom of a recursive
 * noinline chain 5 to 30 calls deep: the allocating stacks differ from step
 * to step, which is what a tracker's unwinder and stack table pay for. The
 * random numbers come from a fixed-seed xorshift, so every run does the same
 * work; the checksum printed at the end keeps the compiler from removing it.
 * The last line also gives this process's own peak RSS (ru_maxrss), so a
 * benchmark can tell the target's memory from its tracker's helpers'.
 *
 * run.sh builds this with -O2 -fomit-frame-pointer: the target has no frame
 * pointers, as most distribution binaries, so trackers must unwind by DWARF.
 *
 *   churn [-t THREADS] [-s SLOTS] [MILLIONS]
 *
 * MILLIONS is the number of malloc/free pairs per thread, in millions
 * (fractions allowed); the default, 6, takes about a second bare. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#define DEPTH_MIN 5
#define DEPTH_MAX 30
#define SIZE_MIN  16
#define SIZE_MAX_ 4096

struct worker {
	pthread_t tid;
	uint64_t seed;
	uint64_t ops;
	size_t slots;
	uint64_t sum;
};

static inline uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

/* The chain: each level is its own frame (noinline, and the call is not in
 * tail position), so a block allocated at depth d has d frames of chain
 * above main's or the thread's. */
__attribute__((noinline)) static void *chain(int depth, size_t size, uint64_t *sum)
{
	void *p;
	if (depth > 0) {
		p = chain(depth - 1, size, sum);
	} else {
		p = malloc(size);
		if (!p) {
			perror("churn: malloc");
			exit(1);
		}
		/* Touch the first and last byte, as a program filling it would. */
		((unsigned char *)p)[0] = (unsigned char)size;
		((unsigned char *)p)[size - 1] = (unsigned char)(size >> 8);
	}
	*sum += (uintptr_t)depth; /* after the call: keeps this frame alive */
	return p;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	void **slot = calloc(w->slots, sizeof *slot);
	size_t *len = calloc(w->slots, sizeof *len);
	uint64_t s = w->seed, sum = 0;

	if (!slot || !len) {
		perror("churn: calloc");
		exit(1);
	}
	for (uint64_t i = 0; i < w->ops; i++) {
		uint64_t r = xorshift(&s);
		size_t k = (size_t)(r % w->slots);
		size_t size = SIZE_MIN + (size_t)((r >> 20) % (SIZE_MAX_ - SIZE_MIN + 1));
		int depth = DEPTH_MIN + (int)((r >> 40) % (DEPTH_MAX - DEPTH_MIN + 1));
		if (slot[k]) {
			unsigned char *old = slot[k];
			sum += old[0] + old[len[k] - 1];
			free(old);
		}
		slot[k] = chain(depth, size, &sum);
		len[k] = size;
	}
	for (size_t k = 0; k < w->slots; k++)
		free(slot[k]);
	free(slot);
	free(len);
	w->sum = sum;
	return NULL;
}

static void usage(void)
{
	fprintf(stderr, "usage: churn [-t THREADS] [-s SLOTS] [MILLIONS]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int threads = 1, c;
	size_t slots = 10000;
	double millions = 6.0;

	while ((c = getopt(argc, argv, "t:s:")) != -1) {
		switch (c) {
		case 't': threads = atoi(optarg); break;
		case 's': slots = strtoul(optarg, NULL, 10); break;
		default: usage();
		}
	}
	if (optind < argc)
		millions = strtod(argv[optind++], NULL);
	if (optind != argc || threads < 1 || threads > 256 || slots < 1 || !(millions > 0))
		usage();

	struct worker *w = calloc((size_t)threads, sizeof *w);
	if (!w) {
		perror("churn: calloc");
		return 1;
	}
	for (int i = 0; i < threads; i++) {
		w[i].seed = 0x9e3779b97f4a7c15ull * (uint64_t)(i + 1);
		w[i].ops = (uint64_t)(millions * 1e6);
		w[i].slots = slots;
	}
	if (threads == 1) {
		work(&w[0]); /* on the main thread: no pthread frames in the stacks */
	} else {
		for (int i = 0; i < threads; i++)
			if ((errno = pthread_create(&w[i].tid, NULL, work, &w[i]))) {
				perror("churn: pthread_create");
				return 1;
			}
		for (int i = 0; i < threads; i++)
			pthread_join(w[i].tid, NULL);
	}
	uint64_t sum = 0;
	for (int i = 0; i < threads; i++)
		sum += w[i].sum;
	free(w);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("churn: %d thread(s) x %.3g M ops, checksum %016llx, maxrss_kb %ld\n", threads,
	       millions, (unsigned long long)sum, ru.ru_maxrss);
	return 0;
}
