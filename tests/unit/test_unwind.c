/* test_unwind.c - when a capture keeps the allocating frame alone: with
 * too little room on the stack it runs on (the thread's own, or its
 * alternate signal stack), and while the thread is inside
 * dl_iterate_phdr. Elsewhere it walks the whole stack. */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>

#include "check.h"
#include "probe/unwind.h"

#define DEPTH 32

static const void *site;

/* A capture as the malloc hook makes one: its caller is the site. */
__attribute__((noinline)) static uint32_t capture(uint64_t *frames)
{
	site = __builtin_return_address(0);
	return unwind_capture(frames, DEPTH, site);
}

/* 1 when a capture from here kept only the site. */
__attribute__((noinline)) static int alone(void)
{
	uint64_t frames[DEPTH];
	uint32_t n = capture(frames);
	return n == 1 && frames[0] == (uint64_t)(uintptr_t)site;
}

/* 1 when a capture from here walked further than the site. */
__attribute__((noinline)) static int walked(void)
{
	uint64_t frames[DEPTH];
	uint32_t n = capture(frames);
	return n > 1 && frames[0] == (uint64_t)(uintptr_t)site;
}

/* Descends by about 1 KiB a call until a capture keeps the site alone;
 * returns how many bytes of the thread's stack were left then, roughly. */
__attribute__((noinline)) static long descend(char *top, long limit)
{
	volatile char pad[1000];
	pad[0] = 1;
	if (alone())
		return limit - (top - (char *)pad);
	long r = top - (char *)pad < limit ? descend(top, limit) : -1;
	pad[1] = pad[0];
	return r;
}

#define SMALL (64 * 1024)

static void *small_stack(void *arg)
{
	long *left = arg;
	char top;
	unwind_thread_start();
	CHECK(walked());
	*left = descend(&top, SMALL);
	return NULL;
}

int main(void)
{
	if (unwind_init() < 0) {
		puts("libunwind.so.8 not found");
		return CHECK_SKIP;
	}
	/* Main's stack, bounds unknown and then known: a full walk. */
	CHECK(walked());
	unwind_thread_start();
	CHECK(walked());

	/* On an alternate stack with about 3 KiB left below: the site alone. */
	uintptr_t here = (uintptr_t)__builtin_frame_address(0);
	stack_t ss = { .ss_sp = (void *)(here - 4096), .ss_size = 5120 };
	unwind_altstack(&ss);
	CHECK(alone());
	ss.ss_flags = SS_DISABLE;
	unwind_altstack(&ss);
	CHECK(walked());

	/* Inside dl_iterate_phdr (the loader's lock held): the site alone. */
	unwind_loader_lock(1);
	CHECK(alone());
	unwind_loader_lock(-1);
	CHECK(walked());

	/* A 64 KiB thread stack: captures walk until less than 8 KiB and
	 * their buffers are left, then keep the site alone, well before the
	 * end of the stack. */
	pthread_attr_t attr;
	pthread_t t;
	long left = 0;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, SMALL);
	CHECK(pthread_create(&t, &attr, small_stack, &left) == 0);
	pthread_join(t, NULL);
	printf("a 64 KiB stack: captures keep the site alone with about %ld bytes left\n", left);
	CHECK(left >= 8 * 1024 && left <= 16 * 1024);
	return CHECK_DONE();
}
