/* test_unwind_rules.c - a walk by cached rules gives the frames libunwind
 * gives, frame for frame, and hands back what it cannot walk.
 *
 * Each comparison captures twice at one call site, once by rules and once
 * by libunwind alone, under recursions of functions of several shapes:
 * plain frames (CFA on rsp), frames with a variable-length array (CFA on
 * rbp), 8 KiB frames, frames of 70 KiB (too big to learn: handed back),
 * frames inside libc (qsort's comparator), a signal handler's (the signal
 * frame is handed back) and a thread's (the walk ends at clone's frame).
 * The rules' own counters say which walks they finished, so a run where
 * libunwind quietly did everything fails too. */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "probe/unwind.h"
#include "probe/unwind_rules.h"

#define DEEP 200

static const void *site;
static uint32_t depth_max = DEEP; /* frames a capture keeps */
static uint64_t got[2][DEEP];
static uint32_t got_n[2];
static int compared, differed;
static volatile int sink;

__attribute__((noinline)) static uint32_t capture(uint64_t *frames)
{
	site = __builtin_return_address(0);
	return unwind_capture(frames, depth_max, site);
}

/* Captures by rules, then by libunwind. The compiler may make the two
 * calls two call sites: each capture's first frame is its own site, and
 * the frames past it must be the same. */
__attribute__((noinline)) static void compare_here(void)
{
	int same_site = 1;
	for (int k = 0; k < 2; k++) {
		unwind_use_rules(k == 0);
		got_n[k] = capture(got[k]);
		same_site &= got_n[k] > 0 && got[k][0] == (uint64_t)(uintptr_t)site;
	}
	unwind_use_rules(1);
	compared++;
	if (!same_site || got_n[0] != got_n[1] ||
	    memcmp(got[0] + 1, got[1] + 1, (got_n[0] - 1) * sizeof got[0][0])) {
		if (differed++ > 2)
			return;
		fprintf(stderr, "comparison %d: rules gave %u frames, libunwind %u\n", compared,
		        got_n[0], got_n[1]);
		for (uint32_t i = 0; i < got_n[0] || i < got_n[1]; i++)
			fprintf(stderr, "  %2u  %#18llx  %#18llx\n", i,
			        i < got_n[0] ? (unsigned long long)got[0][i] : 0ull,
			        i < got_n[1] ? (unsigned long long)got[1][i] : 0ull);
	}
}

/* The shapes a recursion step can take; `shapes` picks one per level. */
static void down(const char *shapes, int level);

__attribute__((noinline)) static void plain(const char *shapes, int level)
{
	down(shapes, level + 1);
	sink++; /* no tail call */
}

__attribute__((noinline)) static void vla(const char *shapes, int level)
{
	volatile char b[level + 24];
	b[0] = 1;
	down(shapes, level + 1);
	b[1] = b[0];
}

__attribute__((noinline)) static void big(const char *shapes, int level)
{
	volatile char b[8192];
	b[0] = 1;
	down(shapes, level + 1);
	b[1] = b[0];
}

/* Without a frame pointer, even where the build asks for them (the
 * sanitizers): its CFA is rsp + 70 KiB, past what learning can see. */
__attribute__((noinline, optimize("omit-frame-pointer"))) static void huge(const char *shapes,
                                                                           int level)
{
	volatile char b[70000];
	b[0] = 1;
	down(shapes, level + 1);
	b[1] = b[0];
}

static const char *sort_shapes;
static int sort_level;

static int by_value(const void *a, const void *b)
{
	if (sort_shapes) {
		const char *s = sort_shapes;
		sort_shapes = NULL; /* the comparator descends once */
		down(s, sort_level + 1);
	}
	return *(const int *)a - *(const int *)b;
}

__attribute__((noinline)) static void in_libc(const char *shapes, int level)
{
	int v[3] = { 3, 1, 2 };
	sort_shapes = shapes;
	sort_level = level;
	qsort(v, 3, sizeof v[0], by_value);
	sink += v[0];
}

static void down(const char *shapes, int level)
{
	switch (shapes[level]) {
	case 'p': plain(shapes, level); break;
	case 'v': vla(shapes, level); break;
	case 'b': big(shapes, level); break;
	case 'h': huge(shapes, level); break;
	case 'q': in_libc(shapes, level); break;
	default: compare_here(); break;
	}
}

/* Runs one recursion, and says how many walks the rules finished and how
 * many they handed back meanwhile. */
static void run(const char *shapes, uint64_t *walked, uint64_t *back)
{
	uint64_t w0, b0, w1, b1;
	rules_stats(&w0, &b0);
	down(shapes, 0);
	rules_stats(&w1, &b1);
	*walked = w1 - w0;
	*back = b1 - b0;
}

static void on_signal(int sig)
{
	(void)sig;
	down("pvp", 0);
}

static void *thread_main(void *arg)
{
	uint64_t *counts = arg;
	unwind_thread_start();
	run("pvbqpv", &counts[0], &counts[1]);
	return NULL;
}

int main(void)
{
	if (unwind_init() < 0) {
		puts("libunwind.so.8 not found");
		return CHECK_SKIP;
	}
	unwind_thread_start();
	uint64_t walked, back;

	/* Shapes the rules walk whole, twice each: the second time every
	 * rule is known. */
	const char *walkable[] = {
		"",
		"p",
		"ppppppppppppppppppppppppppppppp",
		"vpvpvpvpvpvp",
		"bvbpvbpb",
		"pqvp",
		"vqbqp",
		"pvbqvppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp"
		"pppppppppppppppppppppppppppppppp",
	};
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < sizeof walkable / sizeof walkable[0]; i++) {
			run(walkable[i], &walked, &back);
			CHECK_EQ_U64(walked, 1);
			CHECK_EQ_U64(back, 0);
		}

	/* Captures cut at a depth: the walk by rules stops soon after the
	 * cut, and keeps the same frames. */
	for (uint32_t cut = 1; cut <= 9; cut += 4) {
		depth_max = cut;
		run("pvbqpppppppppppppppppp", &walked, &back);
		CHECK_EQ_U64(walked, 1);
		CHECK_EQ_U64(got_n[0], cut);
	}
	depth_max = DEEP;

	/* A 70 KiB frame has no rule the scratch stack can learn: handed back. */
	run("phpv", &walked, &back);
	CHECK_EQ_U64(walked, 0);
	CHECK_EQ_U64(back, 1);

	/* A signal handler's capture meets the signal frame: handed back. */
	uint64_t w0, b0, w1, b1;
	signal(SIGUSR1, on_signal);
	rules_stats(&w0, &b0);
	raise(SIGUSR1);
	rules_stats(&w1, &b1);
	CHECK_EQ_U64(w1 - w0, 0);
	CHECK_EQ_U64(b1 - b0, 1);

	/* On a thread: the walk ends where libunwind's does, at clone's frame. */
	pthread_t t;
	uint64_t counts[2] = { 0, 0 };
	CHECK(pthread_create(&t, NULL, thread_main, counts) == 0);
	pthread_join(t, NULL);
	CHECK_EQ_U64(counts[0], 1);
	CHECK_EQ_U64(counts[1], 0);

	/* After code is unmapped the rules are learned again, the same. */
	unwind_code_unmapped();
	run("pvbq", &walked, &back);
	CHECK_EQ_U64(walked, 1);

	/* Every capture, walked or handed back, gave libunwind's frames. */
	int want = 2 * (int)(sizeof walkable / sizeof walkable[0]) + 3 + 4;
	CHECK_EQ_U64(compared, want);
	CHECK_EQ_U64(differed, 0);
	printf("%d captures by rules and by libunwind alike; rules use %llu KiB\n", compared,
	       (unsigned long long)(rules_bytes() / 1024));
	CHECK(rules_bytes() > 0);
	return CHECK_DONE();
}
