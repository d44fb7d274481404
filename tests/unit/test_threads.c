/* test_threads.c - thread grouping (tui/threads.c) on a synthetic thread
 * snapshot: live threads grouped by creation and current stack, unknown
 * stacks grouped by their reason, ended threads counted apart; and the
 * one-line "where" of a stack from its symbols. */
#include "tui/threads.h"

#include <stdlib.h>

#include "tests/unit/check.h"

static struct lt_thread thread(int32_t tid, uint32_t create, uint32_t wait_stack, uint8_t wait,
                               char state, uint8_t status)
{
	return (struct lt_thread){ .tid = tid,
		                   .create_stack = create,
		                   .wait_stack = wait_stack,
		                   .wait = wait,
		                   .state = state,
		                   .status = status };
}

static void test_groups(void)
{
	struct lt_thread t[] = {
		thread(10, 1, 2, LT_WAIT_OK, 'S', LT_THREAD_LIVE),
		thread(11, 1, 2, LT_WAIT_OK, 'S', LT_THREAD_LIVE),
		thread(12, 1, 2, LT_WAIT_OK, 'S', LT_THREAD_LIVE),
		thread(13, 1, 3, LT_WAIT_OK, 'R', LT_THREAD_LIVE), /* same creator, elsewhere */
		thread(14, 4, LT_STACK_NONE, LT_WAIT_BLOCKED, 'S', LT_THREAD_LIVE),
		thread(15, 4, LT_STACK_NONE, LT_WAIT_BLOCKED, 'D', LT_THREAD_LIVE),
		thread(16, 4, LT_STACK_NONE, LT_WAIT_TIMEOUT, 'D', LT_THREAD_LIVE),
		thread(17, 1, 2, LT_WAIT_OK, 'X', LT_THREAD_ENDED),
		thread(18, 5, 2, LT_WAIT_OK, 'X', LT_THREAD_ENDED),
	};
	struct thread_snap ts = { .n = sizeof t / sizeof t[0], .t = t };
	struct thread_groups g;

	thread_groups_build(&g, &ts);
	CHECK_EQ_U64(g.live, 7);
	CHECK_EQ_U64(g.ended, 2);
	CHECK_EQ_U64(g.n, 4);
	/* Largest first; ties by lowest tid. */
	CHECK_EQ_U64(g.g[0].count, 3);
	CHECK_EQ_U64(g.g[0].create_stack, 1);
	CHECK_EQ_U64(g.g[0].wait_stack, 2);
	CHECK_EQ_U64(g.g[0].state, 'S');
	CHECK_EQ_U64(g.g[0].members[0]->tid, 10);
	CHECK_EQ_U64(g.g[0].members[2]->tid, 12);
	CHECK_EQ_U64(g.g[1].count, 2);
	CHECK_EQ_U64(g.g[1].wait, LT_WAIT_BLOCKED);
	CHECK_EQ_U64(g.g[1].state, '*'); /* S and D: mixed */
	CHECK_EQ_U64(g.g[2].count, 1);
	CHECK_EQ_U64(g.g[2].members[0]->tid, 13);
	CHECK_EQ_U64(g.g[3].count, 1);
	CHECK_EQ_U64(g.g[3].wait, LT_WAIT_TIMEOUT);
	thread_groups_free(&g);

	struct thread_snap empty = { 0 };
	thread_groups_build(&g, &empty);
	CHECK_EQ_U64(g.n, 0);
	thread_groups_free(&g);
}

static void add_sym(struct profile *p, uint64_t addr, const char *func, const char *module)
{
	struct frame_sym s = { .addr = addr, .func = func, .module = module, .file = "" };
	CHECK(profile_add_sym(p, &s) == 0);
}

static void test_where(void)
{
	struct profile *p = profile_new();
	char buf[128];
	add_sym(p, 0x100, "__futex_abstimed_wait_common", "/lib/x86_64-linux-gnu/libc.so.6");
	add_sym(p, 0x200, "pthread_cond_wait", "/lib/x86_64-linux-gnu/libc.so.6");
	add_sym(p, 0x300, "park_forever", "/srv/app");
	add_sym(p, 0x400, "worker_main", "/srv/app");
	add_sym(p, 0x500, "clock_nanosleep", "/lib/x86_64-linux-gnu/libc.so.6");
	uint64_t cond[] = { 0x100, 0x200, 0x300, 0x400 }, sleep[] = { 0x500 }, own[] = { 0x300 };
	CHECK(profile_add_stack(p, 7, cond, 4) == 0);
	CHECK(profile_add_stack(p, 8, sleep, 1) == 0);
	CHECK(profile_add_stack(p, 9, own, 1) == 0);
	CHECK_STR(thread_where(p, 7, buf, sizeof buf), "in pthread_cond_wait <- park_forever");
	CHECK_STR(thread_where(p, 8, buf, sizeof buf), "in clock_nanosleep");
	CHECK_STR(thread_where(p, 9, buf, sizeof buf), "in park_forever");
	CHECK_STR(thread_where(p, LT_STACK_NONE, buf, sizeof buf), "?");
	CHECK_STR(thread_creator_name(p, 7, buf, sizeof buf), "__futex_abstimed_wait_common");
	CHECK_STR(thread_creator_name(p, LT_STACK_NONE, buf, sizeof buf), "[not seen created]");
	profile_free(p);
}

/* A profile of n thread snapshots a second apart, snapshot k holding
 * counts[k] threads of one group (created at stack 1, waiting at stack 2)
 * in state `state`, and main. */
static struct profile *history(const int *counts, uint32_t n, char state)
{
	struct profile *p = profile_new();
	struct lt_thread t[16];
	for (uint32_t k = 0; k < n; k++) {
		uint32_t m = 0;
		t[m++] = thread(1, LT_STACK_NONE, 3, LT_WAIT_OK, 'S', LT_THREAD_LIVE);
		for (int j = 0; j < counts[k]; j++)
			t[m++] = thread(10 + j, 1, 2, LT_WAIT_OK, state, LT_THREAD_LIVE);
		struct thread_snap ts = { .time_ns = (uint64_t)(k + 1) * 1000000000ull,
			                  .n = m,
			                  .t = t };
		CHECK(profile_add_threads(p, &ts) == 0);
	}
	return p;
}

/* The verdict on the group of the last snapshot that came from stack 1. */
static int leak_of(const int *counts, uint32_t n, char state)
{
	struct profile *p = history(counts, n, state);
	struct thread_groups g;
	int leak = -1;
	thread_groups_build(&g, &p->tsnaps[n - 1]);
	thread_groups_trend(&g, p, n - 1, 60);
	for (uint32_t i = 0; i < g.n; i++)
		if (g.g[i].create_stack == 1) {
			CHECK_EQ_U64(g.g[i].nseries, n);
			CHECK_EQ_U64(g.g[i].series[n - 1], counts[n - 1]);
			leak = g.g[i].leak;
		} else
			CHECK(!g.g[i].leak); /* main: always one */
	thread_groups_free(&g);
	profile_free(p);
	return leak;
}

static void test_thread_leak(void)
{
	static const int parked_one_by_one[] = { 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4 };
	static const int pool[] = { 0, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8 };
	static const int pool_late[] = { 0, 0, 0, 0, 0, 0, 0, 8, 8, 8, 8, 8 };
	static const int comes_and_goes[] = { 1, 3, 1, 3, 1, 3, 1, 3, 1, 3, 1, 3 };
	static const int one_more[] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2 };
	CHECK_EQ_U64(leak_of(parked_one_by_one, 12, 'S'), 1);
	CHECK_EQ_U64(leak_of(parked_one_by_one, 12, 'R'), 0); /* busy: not parked */
	CHECK_EQ_U64(leak_of(pool, 12, 'S'), 0);
	CHECK_EQ_U64(leak_of(comes_and_goes, 12, 'S'), 0);
	CHECK_EQ_U64(leak_of(one_more, 12, 'S'), 0);
	CHECK_EQ_U64(leak_of(parked_one_by_one, 2, 'S'), 0); /* too few to tell */
	/* A pool started late in the window: its floor rose, but it no longer
	 * rises; the newest count must top the second half's floor. */
	CHECK_EQ_U64(leak_of(pool_late, 12, 'S'), 0);
}

int main(void)
{
	test_groups();
	test_thread_leak();
	test_where();
	return check_failures != 0;
}
