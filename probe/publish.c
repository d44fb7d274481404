/* publish.c - publishing the recorder's state into the shared segment.
 *
 * Only this file writes the ring, the module table and the snapshot. One
 * publication at a time holds `busy`: the publisher thread and the exit
 * path may both want to publish. The exit path may run in a signal handler
 * (an _exit there is legal), so it waits for `busy` only briefly and, if
 * the publication in progress does not end, stores only the exit state: a
 * second writer inside the seqlock would leave it torn for good.
 *
 * Readers map the segment too, and may write to it (a viewer asks for a
 * faster interval there). So nothing here reads back an offset, a
 * capacity, a count or a string from the segment: they come from the
 * recorder's private copies, and the module table's count and string use
 * are kept here. */
#define _GNU_SOURCE
#include "publish.h"

#include <elf.h>
#include <link.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../shared/procstat.h"
#include "../shared/seqlock.h"
#include "recorder.h"
#include "threads.h"

static _Atomic int busy;
static _Atomic int final_done;
static uint64_t seqno;
static uint64_t ticks;                     /* the ring's head, ours */
static uint32_t mods_count, mods_str_used; /* ours; the segment's copies are for readers */
static unsigned long long last_adds = ~0ull, last_subs = ~0ull;
/* Set by add_module when modules were loaded or unloaded since the last
 * look; an attached probe then redirects the new ones (probe.c). */
static int modules_changed;
static _Atomic(int (*)(void)) on_modules; /* publish_on_modules */

void publish_on_modules(int (*fn)(void))
{
	/* Release: pairs with the acquire in publish_modules. */
	atomic_store_explicit(&on_modules, fn, memory_order_release);
}

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Takes the publisher's lock, waiting for it as `wait` says. 0, or -1 when
 * it was not had. */
static int take_busy(enum publish_wait wait)
{
	uint64_t deadline = 0;
	for (;;) {
		int expect = 0;
		if (atomic_compare_exchange_weak_explicit(&busy, &expect, 1, memory_order_acquire,
		                                          memory_order_relaxed))
			return 0; /* acquire pairs with the release in give_busy() */
		if (wait == PUBLISH_IF_FREE)
			return -1;
		if (wait == PUBLISH_WITHIN_1S) {
			uint64_t t = now_ns(CLOCK_MONOTONIC);
			if (!deadline)
				deadline = t + 1000000000ull;
			else if (t > deadline)
				return -1;
		}
		sched_yield();
	}
}

static void give_busy(void)
{
	atomic_store_explicit(&busy, 0, memory_order_release);
}

static struct lt_shm_header *seg(void)
{
	return rec.seg;
}

static void build_id(const struct dl_phdr_info *info, struct lt_module *m)
{
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_NOTE)
			continue;
		const char *p = (const char *)(info->dlpi_addr + ph->p_vaddr),
		           *end = p + ph->p_memsz;
		while (p + sizeof(ElfW(Nhdr)) <= end) {
			const ElfW(Nhdr) *n = (const ElfW(Nhdr) *)p;
			const char *name = p + sizeof *n;
			const char *desc = name + ((n->n_namesz + 3) & ~3u);
			if (desc + n->n_descsz > end)
				break;
			if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 &&
			    !memcmp(name, "GNU", 4)) {
				m->build_id_len = n->n_descsz < sizeof m->build_id
				                      ? n->n_descsz
				                      : (uint32_t)sizeof m->build_id;
				memcpy(m->build_id, desc, m->build_id_len);
				return;
			}
			p = desc + ((n->n_descsz + 3) & ~3u);
		}
	}
}

static int add_module(struct dl_phdr_info *info, size_t size, void *data)
{
	struct lt_shm_header *h = seg();
	struct lt_module *mods = (struct lt_module *)((char *)h + rec.layout.mods_off);
	char *strs = (char *)h + rec.layout.mods_str_off;
	struct lt_module m = { .bias = info->dlpi_addr, .lo = ~0ull };
	int *first = data;

	(void)size;
	if (*first) {
		*first = 0;
		if (info->dlpi_adds == last_adds && info->dlpi_subs == last_subs)
			return 1; /* nothing loaded or unloaded since last time */
		last_adds = info->dlpi_adds;
		last_subs = info->dlpi_subs;
		modules_changed = 1;
	}
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
			uint64_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
			m.lo = lo < m.lo ? lo : m.lo;
			m.hi = hi > m.hi ? hi : m.hi;
		}
	}
	if (m.lo > m.hi)
		return 0; /* nothing executable */
	const char *path = info->dlpi_name && *info->dlpi_name ? info->dlpi_name : rec.program;
	size_t len = strlen(path);
	/* Known? Compared with the entry as we wrote it, should a reader have
	 * scribbled on the table (the worst then is a duplicate entry). */
	for (uint32_t i = 0; i < mods_count; i++) {
		struct lt_module k = mods[i];
		if (k.bias == m.bias && k.lo == m.lo && k.path_len == len &&
		    k.path_off <= mods_str_used && len <= mods_str_used - k.path_off &&
		    !memcmp(strs + k.path_off, path, len))
			return 0;
	}
	if (mods_count >= LT_MODS_CAP || len > LT_MODS_STR_CAP - mods_str_used)
		return 0; /* full: frames in it will show as unknown */
	memcpy(strs + mods_str_used, path, len);
	m.path_off = mods_str_used;
	m.path_len = (uint32_t)len;
	build_id(info, &m);
	mods_str_used += (uint32_t)len;
	h->mods_str_used = mods_str_used;
	mods[mods_count++] = m;
	/* Release: the entry and its path are visible before the count; pairs
	 * with the acquire in shm_modules_count(). */
	atomic_store_explicit(&h->mods_count, mods_count, memory_order_release);
	return 0;
}

static void publish_modules(void)
{
	int first = 1;
	dl_iterate_phdr(add_module, &first);
	int (*fn)(void) = atomic_load_explicit(&on_modules, memory_order_acquire);
	if (modules_changed)
		modules_changed = fn ? fn() : 0;
}

/* Publishes the snapshot and returns its time. */
static uint64_t publish_snapshot(void)
{
	struct lt_shm_header *h = seg();
	struct lt_snap_header *s = (struct lt_snap_header *)((char *)h + rec.layout.snap_off);
	uint32_t n = stacktab_count(&rec.stacks);

	uint32_t seq = seqlock_write_begin(&s->seq);
	s->nstacks = n;
	s->seqno = ++seqno;
	uint64_t t = now_ns(CLOCK_REALTIME);
	s->time_ns = t;
	s->totals = recorder_collect(s->counts, n);
	s->unknown_frees = atomic_load_explicit(&rec.unknown_frees, memory_order_relaxed);
	s->overflow_allocs = atomic_load_explicit(&rec.overflow_allocs, memory_order_relaxed);
	s->probe_bytes = recorder_bytes() + threads_bytes();
	seqlock_write_end(&s->seq, seq);
	return t;
}

/* The threads, stamped with the time of the snapshot they go with. */
static void publish_threads(uint64_t time_ns, int final)
{
	threads_publish((struct lt_threads_header *)((char *)seg() + rec.layout.threads_off),
	                time_ns, final);
}

static void publish_tick(void)
{
	struct lt_shm_header *h = seg();
	struct lt_ring *ring = (struct lt_ring *)((char *)h + rec.layout.ring_off);
	struct lt_counts t = recorder_collect(NULL, stacktab_count(&rec.stacks));
	uint64_t head = ++ticks;
	ring->ticks[(head - 1) & (LT_RING_CAP - 1)] = (struct lt_tick){
		.time_ns = now_ns(CLOCK_REALTIME),
		.live_bytes = t.live_bytes,
		.live_blocks = t.live_blocks,
		.alloc_calls = t.alloc_calls,
		.free_calls = t.free_calls,
	};
	/* Release: the tick before the head; pairs with shm_read_ticks(). */
	atomic_store_explicit(&ring->head, head, memory_order_release);
}

/* Only the process that made the segment publishes: not a child forked
 * before the probe's constructor could register its fork handler. */
static int ours(void)
{
	return seg() && getpid() == rec.pid;
}

void publish_now(enum publish_wait wait)
{
	if (!ours() || atomic_load(&final_done) || take_busy(wait) < 0)
		return;
	publish_modules();
	publish_threads(publish_snapshot(), 0);
	give_busy();
}

void publish_final(int status)
{
	struct lt_shm_header *h = seg();
	int expect = 0;
	if (!h || !atomic_compare_exchange_strong(&final_done, &expect, 1))
		return;
	int got = take_busy(PUBLISH_WITHIN_1S) == 0;
	if (got) {
		publish_modules();
		publish_tick();
		publish_threads(publish_snapshot(), 1);
	}
	h->exit_status = status;
	/* Release: exit_status and the final snapshot before EXITED; pairs with
	 * the acquire in shm_state(). */
	atomic_store_explicit(&h->state, LT_STATE_EXITED, memory_order_release);
	if (got)
		give_busy();
}

static uint32_t wanted_interval(void)
{
	struct lt_shm_header *h = seg();
	uint32_t ms = rec.cfg.interval_ms;
	uint32_t want = atomic_load_explicit(&h->want_interval_ms, memory_order_relaxed);
	uint64_t until = atomic_load_explicit(&h->want_until_ns, memory_order_relaxed);
	uint64_t now = now_ns(CLOCK_MONOTONIC);
	/* Readers ask for a few seconds at a time; a deadline further off is
	 * a torn or hostile write, and is not honoured. */
	if (want && want < ms && until > now && until - now <= 60 * 1000000000ull)
		ms = want < LT_TICK_MS ? LT_TICK_MS : want;
	return ms;
}

/* The mask of the thread that started the publisher (main's, as a rule). */
static sigset_t start_mask;

/* 1 when the main thread has called pthread_exit and every other thread
 * of the program has ended: only the publisher is left. /proc/self/stat
 * shows the leader's state (Z once it has exited) and the thread count,
 * in which the exited leader still counts. */
static int only_thread_left(void)
{
	struct procstat ps;
	return procstat_read(0, &ps) == 0 && ps.state == 'Z' && ps.num_threads == 2;
}

static void *publisher(void *arg)
{
	struct timespec next;
	uint64_t since_snapshot = 0;

	(void)arg;
	probe_guard = 1; /* this thread's own allocations, if any, are not the target's */
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (;;) {
		next.tv_nsec += LT_TICK_MS * 1000000L;
		if (next.tv_nsec >= 1000000000L) {
			next.tv_nsec -= 1000000000L;
			next.tv_sec++;
		}
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL))
			;
		if (atomic_load(&final_done) || atomic_load(&rec.phase) != PHASE_ON)
			return NULL;
		if (only_thread_left()) {
			/* Without us the program would have ended when its last
			 * thread did: glibc's last thread calls exit(0). Ending
			 * this thread makes it the last, so the program ends as
			 * it would have, its exit handlers (and our final
			 * snapshot) run here, tracked and with the signals of the
			 * thread that started us. */
			probe_guard = 0;
			pthread_sigmask(SIG_SETMASK, &start_mask, NULL);
			return NULL;
		}
		if (take_busy(PUBLISH_WAIT) < 0)
			continue;
		if (!atomic_load(&final_done)) {
			publish_tick();
			since_snapshot += LT_TICK_MS;
			if (since_snapshot >= wanted_interval()) {
				since_snapshot = 0;
				publish_modules();
				publish_threads(publish_snapshot(), 0);
			}
		}
		give_busy();
	}
}

int publish_start(void)
{
	pthread_attr_t attr;
	pthread_t t;
	sigset_t all, old;

	if (!ours())
		return -1;
	publish_now(PUBLISH_WAIT); /* readers get a first snapshot without waiting an interval */
	/* The thread must never take the target's signals: block them all while
	 * creating it, so it starts with every signal blocked. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	start_mask = old;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	int err = pthread_create(&t, &attr, publisher, NULL);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!err)
		pthread_setname_np(t, "leaktop");
	return err ? -1 : 0;
}
