/* test_recorder.c - the probe's recorder through its C API, in-process:
 * exact per-stack figures as a reader of the segment sees them. */
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"
#include "probe/publish.h"
#include "probe/recorder.h"
#include "probe/unwind.h"
#include "shared/shm.h"

static const void *last_site;

/* Stands in for the malloc hook: the allocation site is its caller. */
__attribute__((noinline)) static void *tracked_malloc(size_t n)
{
	void *p = malloc(n);
	last_site = __builtin_return_address(0);
	record_alloc(p, n, last_site);
	return p;
}

__attribute__((noinline)) static void tracked_free(void *p)
{
	record_free(p);
	free(p);
}

/* realloc as the hook does it: take the old record, reallocate, then
 * release it and record the new block. */
__attribute__((noinline)) static void *tracked_realloc(void *p, size_t n)
{
	struct block_rec b;
	int known = record_take(p, &b) == 0;
	void *q = realloc(p, n);
	last_site = __builtin_return_address(0);
	record_release(&b, known);
	record_alloc(q, n, last_site);
	return q;
}

static void *leaks[10];
static const void *site_a, *site_b, *site_c;

__attribute__((noinline)) static void leak_a(void)
{
	for (int i = 0; i < 10; i++)
		leaks[i] = tracked_malloc(100);
	site_a = last_site;
}

__attribute__((noinline)) static void churn_b(void)
{
	for (int i = 0; i < 5; i++)
		tracked_free(tracked_malloc(4000));
	site_b = last_site;
}

__attribute__((noinline)) static void grow_c(void)
{
	leaks[0] = tracked_realloc(leaks[0], 300);
	site_c = last_site;
}

/* Finds the stack whose leaf frame is site in the reader's view. */
static int stack_of(struct shm_reader *r, const void *site)
{
	uint64_t frames[LT_DEPTH_MAX];
	for (uint32_t id = 1; id < shm_stacks_count(r); id++)
		if (shm_read_stack(r, id, frames, LT_DEPTH_MAX) > 0 &&
		    frames[0] == (uint64_t)(uintptr_t)site)
			return (int)id;
	return -1;
}

int main(void)
{
	struct recorder_config cfg = { .depth = 32, .interval_ms = 1000, .stacks_cap = 1024 };
	struct shm_reader r;
	struct lt_snap_header h;
	static struct lt_counts counts[1024];
	const char *cause;

	if (unwind_init() < 0) {
		puts("libunwind.so.8 not found");
		return CHECK_SKIP;
	}
	CHECK(recorder_init(&cfg) == 0);
	leak_a();
	churn_b();

	/* A failed realloc puts the record back unchanged. */
	struct block_rec b;
	CHECK(record_take(leaks[0], &b) == 0);
	CHECK_EQ_U64(b.size, 100);
	record_untake(leaks[0], &b);
	grow_c();

	int x;
	record_free(&x); /* never allocated: counted, never dereferenced */

	publish_now(PUBLISH_WAIT);
	CHECK(shm_reader_open(&r, rec.shm_name + 1, &cause) == 0);
	CHECK(shm_read_snapshot(&r, &h, counts, 1024) == 0);
	CHECK_EQ_U64(h.seqno, 1);
	CHECK_EQ_U64(h.unknown_frees, 1);

	int a = stack_of(&r, site_a), bb = stack_of(&r, site_b), c = stack_of(&r, site_c);
	CHECK(a > 0 && bb > 0 && c > 0 && a != bb && bb != c && a != c);
	if (a > 0 && bb > 0 && c > 0) {
		/* a: 10 x 100 allocated, one taken by the realloc: 9 live. */
		CHECK_EQ_U64(counts[a].alloc_calls, 10);
		CHECK_EQ_U64(counts[a].alloc_bytes, 1000);
		CHECK_EQ_U64(counts[a].free_calls, 1);
		CHECK_EQ_U64(counts[a].live_blocks, 9);
		CHECK_EQ_U64(counts[a].live_bytes, 900);
		/* b: 5 x 4000 allocated and freed. */
		CHECK_EQ_U64(counts[bb].alloc_calls, 5);
		CHECK_EQ_U64(counts[bb].alloc_bytes, 20000);
		CHECK_EQ_U64(counts[bb].free_calls, 5);
		CHECK_EQ_U64(counts[bb].live_blocks, 0);
		CHECK_EQ_U64(counts[bb].live_bytes, 0);
		/* c: the realloc's new block. */
		CHECK_EQ_U64(counts[c].alloc_calls, 1);
		CHECK_EQ_U64(counts[c].live_bytes, 300);
		CHECK_EQ_U64(counts[c].free_calls, 0);
	}
	CHECK_EQ_U64(h.totals.live_bytes, 1200);
	CHECK_EQ_U64(h.totals.live_blocks, 10);
	CHECK(h.probe_bytes > 0);

	/* The same address allocated again without a free we saw: the old
	 * record is retired, live figures stay right. */
	record_alloc(leaks[1], 100, NULL);
	publish_now(PUBLISH_WAIT);
	CHECK(shm_read_snapshot(&r, &h, counts, 1024) == 0);
	CHECK_EQ_U64(h.seqno, 2);
	CHECK_EQ_U64(h.totals.live_blocks, 10);
	CHECK_EQ_U64(h.totals.live_bytes, 1200);

	/* Readers can write to the segment. One that scribbles over every
	 * offset, capacity and count the probe once wrote there, and over the
	 * stack index, must not move where the probe writes nor crash it: the
	 * next snapshot lands where the reader found the first. */
	void *first[10] = { 0 };
	int fd = shm_open(rec.shm_name, O_RDWR, 0);
	CHECK(fd >= 0);
	struct lt_shm_header *w = mmap(NULL, r.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(w != MAP_FAILED);
	if (fd >= 0 && w != MAP_FAILED) {
		w->ring_off = w->mods_off = w->mods_str_off = w->snap_off = ~0ull >> 1;
		w->stacks_cap = w->ring_cap = w->mods_cap = w->mods_str_cap = ~0u;
		w->mods_str_used = ~0u;
		atomic_store(&w->mods_count, ~0u);
		memset(w->program, 'x', sizeof w->program); /* no NUL left */
		_Atomic uint64_t *index = (_Atomic uint64_t *)((char *)w + r.hdr.stack_index_off);
		if (a > 0)
			atomic_store(&index[a], LT_STACK_ENTRY(0xfffffff0u, 4));
		memcpy(first, leaks, sizeof first);
		leak_a(); /* the same stack again, past the scribbled entry */
		publish_now(PUBLISH_WAIT);
		CHECK(shm_read_snapshot(&r, &h, counts, 1024) == 0);
		CHECK_EQ_U64(h.seqno, 3);
		CHECK_EQ_U64(h.totals.live_blocks, 20);
		CHECK_EQ_U64(h.totals.live_bytes, 2200);
		munmap(w, r.size);
		close(fd);
	}

	/* The final snapshot marks the segment exited with the status. */
	publish_final(3);
	int status = 0;
	CHECK_EQ_U64(shm_state(&r, &status), LT_STATE_EXITED);
	CHECK_EQ_U64(status, 3);
	shm_reader_close(&r);

	char name[LT_SHM_NAME_MAX];
	snprintf(name, sizeof name, "%s", rec.shm_name);
	recorder_fini();
	CHECK(shm_open(name, O_RDONLY, 0) < 0); /* unlinked: no launcher owns it */
	for (int i = 0; i < 10; i++) {
		free(leaks[i]);
		free(first[i]);
	}
	return CHECK_DONE();
}
