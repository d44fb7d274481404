/* recorder.c - what the probe knows: live blocks, stacks, per-stack counts.
 *
 * The hot path is record_alloc / record_free. Neither takes a global lock,
 * makes a syscall or allocates: an allocation is one unwind into a fixed
 * array on the stack, one lock-free intern, one insert into a sharded
 * table and two relaxed atomic adds; a free is one remove and two adds.
 * Everything that allocates memory (the segment, the tables, their growth)
 * uses mmap directly, never the allocator the probe intercepts. */
#define _GNU_SOURCE
#include "recorder.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "../shared/procstat.h"
#include "../shared/sample.h"
#include "unwind.h"

struct recorder rec = { .phase = PHASE_NEW };
__thread int probe_guard __attribute__((tls_model("initial-exec")));
__thread uint16_t probe_thread_tag __attribute__((tls_model("initial-exec")));
uint32_t probe_sample_mean;
__thread int64_t probe_sample_left __attribute__((tls_model("initial-exec")));
static __thread uint64_t sample_state __attribute__((tls_model("initial-exec")));
static _Atomic uint64_t sample_threads; /* threads that drew a first gap */

_Static_assert(LT_THREADS_CAP <= OWNER_SLOTS, "a thread tag holds a registry slot");

/* One line on stderr, in one write: stdio may allocate, write(2) never does. */
static void say(const char *what, const char *detail)
{
	char line[256];
	size_t n = 0;
	const char *parts[] = { "leaktop: ", what, detail ? ": " : NULL, detail, "\n" };
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
		for (const char *p = parts[i]; p && *p && n < sizeof line - 2; p++)
			line[n++] = *p;
	if (line[n - 1] != '\n')
		line[n++] = '\n';
	if (write(2, line, n) < 0)
		return;
}

/* The value of NAME in a list of "NAME=VALUE" words separated by blanks,
 * copied into buf; NULL when absent. */
static const char *word_value(const char *list, const char *name, char *buf, size_t n)
{
	size_t len = strlen(name);
	for (const char *p = list; p && *p;) {
		p += strspn(p, " \t\n");
		size_t w = strcspn(p, " \t\n");
		if (w > len && !strncmp(p, name, len) && p[len] == '=') {
			size_t v = w - len - 1 < n - 1 ? w - len - 1 : n - 1;
			memcpy(buf, p + len + 1, v);
			buf[v] = '\0';
			return buf;
		}
		p += w;
	}
	return NULL;
}

/* The settings come from the environment, or from the words leaktop
 * attach passed (list non-NULL): an attached program's environment is its
 * own, not the user's. */
static uint32_t env_u32(const char *list, const char *name, uint32_t def, uint32_t lo, uint32_t hi)
{
	char buf[32];
	const char *s = list ? word_value(list, name, buf, sizeof buf) : secure_getenv(name);
	if (!s || !*s)
		return def;
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	if (*end || v < lo || v > hi)
		return def;
	return (uint32_t)v;
}

void recorder_config_from_env(struct recorder_config *cfg)
{
	recorder_config_from(cfg, NULL);
}

void recorder_config_from(struct recorder_config *cfg, const char *list)
{
	cfg->depth = env_u32(list, "LEAKTOP_DEPTH", LT_DEPTH_DEFAULT, 1, LT_DEPTH_MAX);
	cfg->interval_ms =
	    env_u32(list, "LEAKTOP_INTERVAL", LT_INTERVAL_DEFAULT, LT_TICK_MS, 3600000);
	cfg->stacks_cap = env_u32(list, "LEAKTOP_MAX_STACKS", LT_STACKS_DEFAULT, 16, 1u << 24);
	cfg->launcher_pid = (int)env_u32(list, "LEAKTOP_LAUNCHER", 0, 1, 1u << 30);
	cfg->sample_bytes = env_u32(list, "LEAKTOP_SAMPLE", 0, 1, LT_SAMPLE_MAX);
	/* A fixed seed makes a one-thread program's samples repeat (tests). */
	cfg->sample_seed = env_u32(list, "LEAKTOP_SAMPLE_SEED", 0, 1, UINT32_MAX);
	if (!cfg->sample_seed) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		cfg->sample_seed =
		    (uint64_t)ts.tv_nsec << 20 ^ (uint64_t)ts.tv_sec ^ (uint64_t)getpid() << 40;
	}
}

int sample_slow(uint32_t mean)
{
	if (!sample_state) {
		/* This thread's first allocation: its countdown starts now,
		 * with the allocation's bytes already taken off. */
		uint64_t k = atomic_fetch_add_explicit(&sample_threads, 1, memory_order_relaxed);
		sample_state = sample_seed(rec.cfg.sample_seed + k);
		probe_sample_left += (int64_t)sample_next_gap(&sample_state, mean);
		if (probe_sample_left > 0)
			return 0;
	}
	probe_sample_left = (int64_t)sample_next_gap(&sample_state, mean);
	return 1;
}

static void *map_anon(size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

int recorder_init(const struct recorder_config *cfg)
{
	struct lt_shm_layout l;
	uint32_t pool_cap = cfg->stacks_cap * LT_POOL_FRAMES_PER_STACK;
	struct timespec ts;

	rec.cfg = *cfg;
	rec.pid = getpid();
	rec.pool_cap = pool_cap;
	struct lt_shm_caps caps = { cfg->stacks_cap, pool_cap,       LT_RING_CAP, LT_MODS_CAP,
		                    LT_MODS_STR_CAP, LT_THREADS_CAP, LT_SITES_CAP };
	if (shm_layout(&l, &caps) < 0) {
		recorder_disable("bad configuration; the program runs untracked");
		return -1;
	}
	rec.layout = l;
	rec.seg = shm_create_segment(rec.shm_name, rec.pid, l.size);
	if (!rec.seg) {
		atomic_store(&rec.phase, PHASE_OFF);
		say("cannot create a shared memory segment, the program runs untracked",
		    strerrordesc_np(errno));
		return -1;
	}
	rec.counts = map_anon((size_t)cfg->stacks_cap * sizeof *rec.counts);
	rec.owners = map_anon(OWNER_SLOTS * sizeof *rec.owners);
	if (!rec.counts || !rec.owners)
		goto nomem;

	struct lt_shm_header *h = rec.seg;
	memcpy(h->magic, LT_SHM_MAGIC, sizeof h->magic);
	h->version = LT_SHM_VERSION;
	h->header_size = sizeof *h;
	h->segment_size = l.size;
	h->pid = rec.pid;
	h->launcher_pid = cfg->launcher_pid;
	struct procstat ps;
	h->proc_start = procstat_read(0, &ps) == 0 ? ps.start_ticks : 0;
	clock_gettime(CLOCK_REALTIME, &ts);
	h->start_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	h->interval_ms = cfg->interval_ms;
	h->depth = cfg->depth;
	h->sample_bytes = cfg->sample_bytes;
	h->stacks_cap = cfg->stacks_cap;
	h->pool_cap = pool_cap;
	h->ring_cap = LT_RING_CAP;
	h->mods_cap = LT_MODS_CAP;
	h->mods_str_cap = LT_MODS_STR_CAP;
	h->ring_off = l.ring_off;
	h->mods_off = l.mods_off;
	h->mods_str_off = l.mods_str_off;
	h->stack_index_off = l.stack_index_off;
	h->stack_pool_off = l.stack_pool_off;
	h->snap_off = l.snap_off;
	h->threads_off = l.threads_off;
	h->threads_cap = LT_THREADS_CAP;
	h->sites_cap = LT_SITES_CAP;
	ssize_t n = readlink("/proc/self/exe", rec.program, sizeof rec.program - 1);
	rec.program[n > 0 ? n : 0] = '\0';
	memcpy(h->program, rec.program, sizeof h->program);

	char *base = (char *)rec.seg;
	if (stacktab_init(&rec.stacks, cfg->stacks_cap, pool_cap,
	                  (_Atomic uint64_t *)(base + l.stack_index_off),
	                  (uint64_t *)(base + l.stack_pool_off), &h->stacks_count,
	                  &h->pool_used) < 0)
		goto nomem;
	blocktab_init(&rec.blocks);
	/* Sampling: most frees are of blocks never recorded, told by the filter. */
	if (cfg->sample_bytes && blocktab_filter_on(&rec.blocks) < 0)
		goto nomem;
	probe_sample_mean = cfg->sample_bytes;
	/* Release: every field above is written before a reader can see RUNNING;
	 * pairs with the acquire in shm_state(). */
	atomic_store_explicit(&h->state, LT_STATE_RUNNING, memory_order_release);
	atomic_store_explicit(&rec.phase, PHASE_ON, memory_order_release);
	return 0;
nomem:
	recorder_disable("out of memory for the probe's tables; the program runs untracked");
	return -1;
}

void recorder_disable(const char *why)
{
	int was = atomic_exchange(&rec.phase, PHASE_OFF);
	/* Readers must not take a table that stopped moving for a quiet
	 * program: the state says tracking stopped (unless the program has
	 * already exited, which says more). */
	uint32_t running = LT_STATE_RUNNING;
	if (rec.seg && getpid() == rec.pid)
		atomic_compare_exchange_strong(&rec.seg->state, &running, LT_STATE_DISABLED);
	if (why && was != PHASE_OFF)
		say(why, NULL);
}

void recorder_fini(void)
{
	atomic_store(&rec.phase, PHASE_OFF);
	if (rec.seg) {
		if (!rec.cfg.launcher_pid)
			shm_unlink(rec.shm_name);
		munmap(rec.seg, rec.layout.size);
		rec.seg = NULL;
	}
	stacktab_fini(&rec.stacks);
	blocktab_fini(&rec.blocks);
	if (rec.counts)
		munmap(rec.counts, (size_t)rec.cfg.stacks_cap * sizeof *rec.counts);
	rec.counts = NULL;
	if (rec.owners)
		munmap(rec.owners, OWNER_SLOTS * sizeof *rec.owners);
	rec.owners = NULL;
	atomic_store(&rec.ended_live, 0);
	atomic_store(&rec.ended_freed, 0);
	atomic_store(&rec.unknown_frees, 0);
	atomic_store(&rec.overflow_allocs, 0);
	probe_sample_mean = 0;
	atomic_store(&rec.phase, PHASE_NEW);
}

/* Adds n to a counter only this thread writes: no locked instruction. */
static inline void add_own(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
	                      memory_order_relaxed);
}

static inline void count_alloc(uint32_t stack, uint64_t size, uint16_t owner)
{
	struct stack_counters *c = &rec.counts[stack];
	atomic_fetch_add_explicit(&c->alloc_calls, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&c->alloc_bytes, size, memory_order_relaxed);
	if (owner)
		add_own(&rec.owners[OWNER_SLOT(owner)].alloc_bytes, size);
}

static inline void count_free(const struct block_rec *b)
{
	struct stack_counters *c = &rec.counts[b->stack];
	atomic_fetch_add_explicit(&c->free_calls, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&c->freed_bytes, b->size, memory_order_relaxed);
	if (!b->owner)
		return;
	struct owner_counters *o = &rec.owners[OWNER_SLOT(b->owner)];
	if (atomic_load_explicit(&o->tag, memory_order_relaxed) != b->owner)
		atomic_fetch_add_explicit(&rec.ended_freed, b->size, memory_order_relaxed);
	else if (b->owner == probe_thread_tag)
		add_own(&o->freed_self, b->size);
	else
		atomic_fetch_add_explicit(&o->freed_others, b->size, memory_order_relaxed);
}

static uint64_t owner_live(const struct owner_counters *o)
{
	/* Frees first: every freed byte was allocated before. */
	uint64_t f = atomic_load_explicit(&o->freed_self, memory_order_acquire) +
	             atomic_load_explicit(&o->freed_others, memory_order_acquire);
	uint64_t a = atomic_load_explicit(&o->alloc_bytes, memory_order_acquire);
	return a > f ? a - f : 0;
}

void recorder_owner_start(uint16_t tag)
{
	if (!rec.owners || !tag)
		return;
	struct owner_counters *o = &rec.owners[OWNER_SLOT(tag)];
	if (atomic_load_explicit(&o->tag, memory_order_relaxed))
		atomic_fetch_add_explicit(&rec.ended_live, owner_live(o), memory_order_relaxed);
	atomic_store_explicit(&o->alloc_bytes, 0, memory_order_relaxed);
	atomic_store_explicit(&o->freed_self, 0, memory_order_relaxed);
	atomic_store_explicit(&o->freed_others, 0, memory_order_relaxed);
	atomic_store_explicit(&o->tag, tag, memory_order_release);
}

uint64_t recorder_owner_live(uint16_t tag)
{
	if (!rec.owners || !tag)
		return 0;
	const struct owner_counters *o = &rec.owners[OWNER_SLOT(tag)];
	return atomic_load_explicit(&o->tag, memory_order_acquire) == tag ? owner_live(o) : 0;
}

uint64_t recorder_ended_live(void)
{
	uint64_t f = atomic_load_explicit(&rec.ended_freed, memory_order_acquire);
	uint64_t l = atomic_load_explicit(&rec.ended_live, memory_order_acquire);
	return l > f ? l - f : 0;
}

void record_alloc(void *ptr, size_t size, const void *caller)
{
	if (atomic_load_explicit(&rec.phase, memory_order_acquire) != PHASE_ON || !ptr)
		return;
	/* Sized by the depth asked for, not LT_DEPTH_MAX, and by the stack
	 * left: the hook runs on the program's stacks, some of them small. */
	uint32_t want = unwind_room(rec.cfg.depth ? rec.cfg.depth : 1);
	uint64_t frames[want];
	struct block_rec old;
	uint32_t depth = unwind_capture(frames, want, caller);
	uint32_t id = stack_intern(&rec.stacks, frames, depth);
	if (id == LT_STACK_OVERFLOW)
		atomic_fetch_add_explicit(&rec.overflow_allocs, 1, memory_order_relaxed);
	uint16_t owner = probe_thread_tag;
	int r = blocktab_insert(&rec.blocks, (uint64_t)(uintptr_t)ptr, id, size, owner, &old);
	if (r < 0) {
		recorder_disable("out of memory for the block table; tracking stopped");
		return;
	}
	if (r == 2)
		return;
	if (r == 1) /* the address came back without a free we saw */
		count_free(&old);
	/* Counted as stored, so its free takes back exactly what was added. */
	count_alloc(id, size > BLOCK_SIZE_MAX ? BLOCK_SIZE_MAX : size, owner);
}

int record_take(void *ptr, struct block_rec *b)
{
	if (atomic_load_explicit(&rec.phase, memory_order_acquire) != PHASE_ON)
		return -1;
	return blocktab_remove(&rec.blocks, (uint64_t)(uintptr_t)ptr, b);
}

void record_untake(void *ptr, const struct block_rec *b)
{
	struct block_rec old;
	if (blocktab_insert(&rec.blocks, (uint64_t)(uintptr_t)ptr, b->stack, b->size, b->owner,
	                    &old) < 0)
		recorder_disable("out of memory for the block table; tracking stopped");
}

void record_release(const struct block_rec *b, int known)
{
	if (atomic_load_explicit(&rec.phase, memory_order_acquire) != PHASE_ON)
		return;
	if (known)
		count_free(b);
	else if (!probe_sample_mean) /* sampling: most frees are of blocks not recorded */
		atomic_fetch_add_explicit(&rec.unknown_frees, 1, memory_order_relaxed);
}

void record_free(void *ptr)
{
	struct block_rec b;
	if (!ptr || atomic_load_explicit(&rec.phase, memory_order_acquire) != PHASE_ON)
		return;
	record_release(&b, record_take(ptr, &b) == 0);
}

struct lt_counts recorder_collect(struct lt_counts *out, uint32_t n)
{
	struct lt_counts tot = { 0 };
	for (uint32_t i = 0; i < n; i++) {
		struct stack_counters *c = &rec.counts[i];
		/* Frees first: every freed byte was allocated before it was freed,
		 * so reading the allocations last never makes live negative. */
		uint64_t fc = atomic_load_explicit(&c->free_calls, memory_order_acquire);
		uint64_t fb = atomic_load_explicit(&c->freed_bytes, memory_order_acquire);
		uint64_t ac = atomic_load_explicit(&c->alloc_calls, memory_order_acquire);
		uint64_t ab = atomic_load_explicit(&c->alloc_bytes, memory_order_acquire);
		struct lt_counts s = {
			.live_bytes = ab > fb ? ab - fb : 0,
			.live_blocks = ac > fc ? ac - fc : 0,
			.alloc_calls = ac,
			.alloc_bytes = ab,
			.free_calls = fc,
		};
		if (out)
			out[i] = s;
		tot.live_bytes += s.live_bytes;
		tot.live_blocks += s.live_blocks;
		tot.alloc_calls += s.alloc_calls;
		tot.alloc_bytes += s.alloc_bytes;
		tot.free_calls += s.free_calls;
	}
	return tot;
}

uint64_t recorder_bytes(void)
{
	return blocktab_bytes(&rec.blocks) + stacktab_bytes(&rec.stacks) +
	       (rec.owners ? OWNER_SLOTS * sizeof *rec.owners : 0) +
	       (uint64_t)stacktab_count(&rec.stacks) * sizeof *rec.counts;
}
