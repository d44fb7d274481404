/* shm.c - creating, finding and reading leaktop's shared-memory segments.
 *
 * The probe calls shm_layout and shm_create_segment once at start; the rest
 * is the reader side used by the leaktop command. Readers validate a segment
 * by recomputing its layout from the capacities in its header and demanding
 * that every stored offset matches, so no later access needs more than a
 * bounds check against a capacity. Nothing here allocates from the heap:
 * the probe calls it from inside its malloc hooks' recursion guard. */
#define _GNU_SOURCE
#include "shm.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "procstat.h"
#include "seqlock.h"

#define PAGE       4096u
#define ALIGN64(x) (((x) + 63) & ~(uint64_t)63)

int shm_layout(struct lt_shm_layout *l, const struct lt_shm_caps *c)
{
	if (c->stacks < 2 || c->stacks > (1u << 24) || c->pool < 1 || c->pool > (1u << 30) ||
	    c->ring < 2 || c->ring > (1u << 20) || (c->ring & (c->ring - 1)) || c->mods < 1 ||
	    c->mods > (1u << 16) || c->mods_str < 1 || c->mods_str > (1u << 26) || c->threads < 1 ||
	    c->threads > (1u << 16) || c->sites < 1 || c->sites > (1u << 16))
		return -1;
	uint64_t off = (sizeof(struct lt_shm_header) + PAGE - 1) / PAGE * PAGE;
	l->ring_off = off;
	off = ALIGN64(off + sizeof(struct lt_ring) + (uint64_t)c->ring * sizeof(struct lt_tick));
	l->mods_off = off;
	off = ALIGN64(off + (uint64_t)c->mods * sizeof(struct lt_module));
	l->mods_str_off = off;
	off = ALIGN64(off + c->mods_str);
	l->stack_index_off = off;
	off = ALIGN64(off + (uint64_t)c->stacks * sizeof(uint64_t));
	l->stack_pool_off = off;
	off = ALIGN64(off + (uint64_t)c->pool * sizeof(uint64_t));
	l->snap_off = off;
	off = ALIGN64(off + sizeof(struct lt_snap_header) +
	              (uint64_t)c->stacks * sizeof(struct lt_counts));
	l->threads_off = off;
	l->sites_off = off + sizeof(struct lt_threads_header) +
	               (uint64_t)c->threads * sizeof(struct lt_thread);
	off = l->sites_off + (uint64_t)c->sites * sizeof(struct lt_thread_site);
	l->size = (off + PAGE - 1) / PAGE * PAGE;
	return 0;
}

int shm_make_name(char *buf, pid_t pid)
{
	uint64_t rnd;
	if (getrandom(&rnd, sizeof rnd, GRND_NONBLOCK) != (ssize_t)sizeof rnd) {
		/* No entropy yet (very early boot): mix what differs between tries.
		 * O_EXCL still makes a guessed name fail safe. */
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		rnd = ((uint64_t)ts.tv_nsec << 32) ^ (uint64_t)ts.tv_sec ^ ((uint64_t)pid << 17) ^
		      (uint64_t)(uintptr_t)&ts;
		rnd *= 0x9e3779b97f4a7c15ull;
	}
	int n = snprintf(buf, LT_SHM_NAME_MAX, "/" LT_SHM_PREFIX "%d.%016llx", (int)pid,
	                 (unsigned long long)rnd);
	return n > 0 && n < LT_SHM_NAME_MAX ? 0 : -1;
}

void *shm_create_segment(char *name_out, pid_t pid, uint64_t size)
{
	int fd = -1;
	for (int tries = 0; tries < 4 && fd < 0; tries++) {
		if (shm_make_name(name_out, pid) < 0)
			return NULL;
		fd = shm_open(name_out, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0 && errno != EEXIST)
			return NULL;
	}
	if (fd < 0)
		return NULL;
	/* The program's umask may have taken bits from 0600 (readers insist
	 * on exactly 0600): set the mode itself. */
	if (fchmod(fd, 0600) < 0) {
		int e = errno;
		shm_unlink(name_out);
		close(fd);
		errno = e;
		return NULL;
	}
	/* Reserve every page now: a tmpfs that fills up later must fail us
	 * here, with an error, not SIGBUS the target on some later store. */
	int err = posix_fallocate(fd, 0, (off_t)size);
	if (err) {
		shm_unlink(name_out);
		close(fd);
		errno = err;
		return NULL;
	}
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	err = errno;
	close(fd);
	if (p == MAP_FAILED) {
		shm_unlink(name_out);
		errno = err;
		return NULL;
	}
	return p;
}

/* --- reader side ------------------------------------------------------- */

static int validate_header(const struct lt_shm_header *h, uint64_t size, const char **cause)
{
	struct lt_shm_layout l;
	if (memcmp(h->magic, LT_SHM_MAGIC, sizeof h->magic)) {
		*cause = "not a leaktop segment (bad magic)";
		return -1;
	}
	if (h->version != LT_SHM_VERSION) {
		*cause = "segment version not supported by this leaktop";
		return -1;
	}
	if (h->header_size != sizeof *h || h->segment_size != size) {
		*cause = "segment header size or segment size mismatch";
		return -1;
	}
	struct lt_shm_caps c = { h->stacks_cap,   h->pool_cap,    h->ring_cap, h->mods_cap,
		                 h->mods_str_cap, h->threads_cap, h->sites_cap };
	if (shm_layout(&l, &c) < 0 || l.size != size || l.ring_off != h->ring_off ||
	    l.mods_off != h->mods_off || l.mods_str_off != h->mods_str_off ||
	    l.stack_index_off != h->stack_index_off || l.stack_pool_off != h->stack_pool_off ||
	    l.snap_off != h->snap_off || l.threads_off != h->threads_off) {
		*cause = "segment layout is inconsistent";
		return -1;
	}
	if (h->depth == 0 || h->depth > LT_DEPTH_MAX || h->pid <= 0 ||
	    h->sample_bytes > LT_SAMPLE_MAX) {
		*cause = "segment header has out-of-range fields";
		return -1;
	}
	return 0;
}

int shm_reader_open(struct shm_reader *r, const char *name, const char **cause)
{
	char path[LT_SHM_NAME_MAX + 1];
	struct stat st;

	memset(r, 0, sizeof *r);
	r->fd = -1;
	if (snprintf(path, sizeof path, "/%s", name) >= (int)sizeof path) {
		*cause = "segment name too long";
		return -1;
	}
	snprintf(r->name, sizeof r->name, "%s", name);
	r->fd = shm_open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0);
	if (r->fd < 0) {
		*cause = errno == ENOENT ? "segment does not exist" : "cannot open segment";
		return -1;
	}
	if (fstat(r->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		*cause = "segment is not a regular shared-memory object";
		goto fail;
	}
	if (st.st_uid != geteuid() || (st.st_mode & 0777) != 0600) {
		*cause = "segment is not owned by this user with mode 0600";
		goto fail;
	}
	if ((uint64_t)st.st_size < PAGE) {
		*cause = "segment is too small";
		goto fail;
	}
	r->size = (uint64_t)st.st_size;
	r->ctl = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, r->fd, 0);
	if (r->ctl == MAP_FAILED) {
		r->ctl = NULL;
		*cause = "cannot map segment";
		goto fail;
	}
	/* The header is complete once the state has left STARTING (the probe
	 * stores it with release after the rest): wait for that, briefly,
	 * before the copy. Acquire pairs with that store. */
	const struct lt_shm_header *live = r->ctl;
	for (int i = 0; atomic_load_explicit((_Atomic uint32_t *)&live->state,
	                                     memory_order_acquire) == LT_STATE_STARTING;
	     i++) {
		if (i == 50) {
			*cause = "the probe is still starting (or died starting)";
			goto fail;
		}
		nanosleep(&(struct timespec){ 0, 2000000 }, NULL);
	}
	memcpy(&r->hdr, r->ctl, sizeof r->hdr);
	if (validate_header(&r->hdr, r->size, cause) < 0)
		goto fail;
	r->base = mmap(NULL, r->size, PROT_READ, MAP_SHARED, r->fd, 0);
	if (r->base == MAP_FAILED) {
		r->base = NULL;
		*cause = "cannot map segment";
		goto fail;
	}
	r->hdr.program[LT_PROGRAM_MAX - 1] = '\0';
	return 0;
fail:
	shm_reader_close(r);
	return -1;
}

void shm_reader_close(struct shm_reader *r)
{
	if (r->base)
		munmap((void *)r->base, r->size);
	if (r->ctl)
		munmap((void *)r->ctl, PAGE);
	if (r->fd >= 0)
		close(r->fd);
	r->base = NULL;
	r->ctl = NULL;
	r->fd = -1;
}

int shm_reader_check(const struct shm_reader *r, const char **cause)
{
	struct stat st;
	if (fstat(r->fd, &st) < 0) {
		*cause = "cannot stat the segment";
		return -1;
	}
	if ((uint64_t)st.st_size < r->size) {
		*cause = "truncated under the reader";
		return -1;
	}
	if (st.st_nlink == 0) {
		*cause = "its name was removed";
		return 1;
	}
	*cause = NULL;
	return 0;
}

int shm_find_by_pid(pid_t pid, char *name_out, const char **cause)
{
	char prefix[32];
	int plen = snprintf(prefix, sizeof prefix, LT_SHM_PREFIX "%d.", (int)pid);
	DIR *d = opendir("/dev/shm");
	uint64_t best_start = 0;
	int found = -1;

	*cause = NULL;
	if (!d)
		return -1;
	for (struct dirent *e; (e = readdir(d));) {
		struct shm_reader r;
		const char *why;
		if (strncmp(e->d_name, prefix, (size_t)plen) ||
		    strlen(e->d_name) >= LT_SHM_NAME_MAX)
			continue;
		if (shm_reader_open(&r, e->d_name, &why) < 0) {
			if (found < 0) { /* say why, unless a good one turns up */
				snprintf(name_out, LT_SHM_NAME_MAX, "%s", e->d_name);
				*cause = why;
			}
			continue;
		}
		/* Several segments for one pid mean the process exec'd with
		 * --follow-exec: the newest image is the one that runs. */
		if (r.hdr.pid == pid && (found < 0 || r.hdr.start_ns >= best_start)) {
			best_start = r.hdr.start_ns;
			snprintf(name_out, LT_SHM_NAME_MAX, "%s", e->d_name);
			found = 0;
			*cause = NULL;
		} else if (r.hdr.pid != pid && found < 0) {
			snprintf(name_out, LT_SHM_NAME_MAX, "%s", e->d_name);
			*cause = "segment names another process";
		}
		shm_reader_close(&r);
	}
	closedir(d);
	return found;
}

static const void *at(const struct shm_reader *r, uint64_t off)
{
	return r->base + off;
}

/* Copies a seqlocked part with copy(ctx) until a copy is stable: 0, or -1
 * after a few tries (a writer mid-update all along, or a hostile one). */
static int seq_copy(const _Atomic uint32_t *seq, void (*copy)(void *), void *ctx)
{
	for (int tries = 0; tries < 200; tries++) {
		uint32_t s = seqlock_read_begin(seq);
		if (s & 1) {
			sched_yield();
			continue;
		}
		copy(ctx);
		if (!seqlock_read_retry(seq, s))
			return 0;
	}
	return -1;
}

struct snap_copy {
	const struct shm_reader *r;
	const struct lt_snap_header *s;
	struct lt_snap_header *hdr;
	struct lt_counts *counts;
	uint32_t cap, n;
};

static void copy_snapshot(void *ctx)
{
	struct snap_copy *c = ctx;
	memcpy(c->hdr, c->s, sizeof *c->hdr);
	c->n = c->hdr->nstacks;
	if (c->n > c->r->hdr.stacks_cap)
		c->n = c->r->hdr.stacks_cap;
	if (c->n > c->cap)
		c->n = c->cap;
	if (c->counts && c->n)
		memcpy(c->counts, c->s->counts, c->n * sizeof *c->counts);
}

int shm_read_snapshot(const struct shm_reader *r, struct lt_snap_header *hdr,
                      struct lt_counts *counts, uint32_t cap)
{
	struct snap_copy c = { r, at(r, r->hdr.snap_off), hdr, counts, cap, 0 };
	if (seq_copy(&c.s->seq, copy_snapshot, &c) < 0)
		return -1;
	/* A stable copy: now judge it, never the shared original. */
	if (hdr->nstacks > r->hdr.stacks_cap)
		return -1;
	hdr->nstacks = c.n;
	return 0;
}

uint32_t shm_stacks_count(const struct shm_reader *r)
{
	const struct lt_shm_header *h = (const struct lt_shm_header *)r->base;
	uint32_t n =
	    atomic_load_explicit((_Atomic uint32_t *)&h->stacks_count, memory_order_acquire);
	return n < r->hdr.stacks_cap ? n : r->hdr.stacks_cap;
}

int shm_read_stack(const struct shm_reader *r, uint32_t id, uint64_t *frames, uint32_t max)
{
	if (id >= r->hdr.stacks_cap)
		return -1;
	const uint64_t *index = at(r, r->hdr.stack_index_off);
	/* Acquire pairs with the probe's release store of the entry (stacktab.c),
	 * made after the frames were written. */
	uint64_t e = atomic_load_explicit((_Atomic uint64_t *)&index[id], memory_order_acquire);
	if (!e)
		return -1;
	uint64_t off = LT_STACK_OFF(e);
	uint32_t depth = LT_STACK_DEPTH(e);
	if (depth > LT_DEPTH_MAX || off > r->hdr.pool_cap || depth > r->hdr.pool_cap - off)
		return -1;
	if (depth > max)
		depth = max;
	memcpy(frames, (const uint64_t *)at(r, r->hdr.stack_pool_off) + off,
	       depth * sizeof *frames);
	return (int)depth;
}

uint32_t shm_modules_count(const struct shm_reader *r)
{
	const struct lt_shm_header *h = (const struct lt_shm_header *)r->base;
	/* Acquire pairs with the probe's release store of mods_count (publish.c). */
	uint32_t n = atomic_load_explicit((_Atomic uint32_t *)&h->mods_count, memory_order_acquire);
	return n < r->hdr.mods_cap ? n : r->hdr.mods_cap;
}

int shm_read_module(const struct shm_reader *r, uint32_t i, struct lt_module *m, char *path,
                    size_t path_max)
{
	if (i >= r->hdr.mods_cap || path_max == 0)
		return -1;
	memcpy(m, (const struct lt_module *)at(r, r->hdr.mods_off) + i, sizeof *m);
	if (m->path_off > r->hdr.mods_str_cap || m->path_len > r->hdr.mods_str_cap - m->path_off ||
	    m->build_id_len > sizeof m->build_id || m->lo > m->hi)
		return -1;
	size_t n = m->path_len < path_max - 1 ? m->path_len : path_max - 1;
	memcpy(path, (const char *)at(r, r->hdr.mods_str_off) + m->path_off, n);
	path[n] = '\0';
	return 0;
}

uint32_t shm_read_ticks(const struct shm_reader *r, uint64_t *next, struct lt_tick *out,
                        uint32_t cap)
{
	const struct lt_ring *ring = at(r, r->hdr.ring_off);
	uint64_t mask = r->hdr.ring_cap - 1;
	/* Acquire pairs with the probe's release store of head after each tick. */
	uint64_t head = atomic_load_explicit((_Atomic uint64_t *)&ring->head, memory_order_acquire);
	uint64_t from = *next;

	if (from > head) /* a hostile or restarted writer: start over */
		from = head;
	if (head - from > r->hdr.ring_cap)
		from = head - r->hdr.ring_cap;
	if (head - from > cap)
		from = head - cap;
	uint32_t n = 0;
	for (uint64_t i = from; i < head; i++)
		out[n++] = ring->ticks[i & mask];
	atomic_thread_fence(memory_order_acquire); /* orders the copies before the re-read */
	uint64_t head2 =
	    atomic_load_explicit((_Atomic uint64_t *)&ring->head, memory_order_relaxed);
	/* Ticks the writer may have overwritten while we copied are dropped:
	 * every tick it published since (head2 - cap and older), and the one it
	 * may be writing now, tick head2, in the slot of tick head2 - cap. */
	uint64_t skip = 0;
	if (head2 + 1 > from + r->hdr.ring_cap)
		skip = head2 + 1 - (from + r->hdr.ring_cap);
	if (skip > n)
		skip = n;
	memmove(out, out + skip, (n - skip) * sizeof *out);
	*next = head;
	return n - (uint32_t)skip;
}

int shm_process_alive(const struct shm_reader *r)
{
	struct procstat ps;
	if (kill(r->hdr.pid, 0) < 0 && errno == ESRCH)
		return 0;
	/* The same pid with another start time is another process; a zombie
	 * is alive while threads other than its exited leader run. */
	return procstat_read(r->hdr.pid, &ps) == 0 && ps.start_ticks == r->hdr.proc_start &&
	       !(ps.state == 'Z' && ps.num_threads <= 1);
}

uint32_t shm_state(const struct shm_reader *r, int *exit_status)
{
	const struct lt_shm_header *h = (const struct lt_shm_header *)r->base;
	/* Acquire pairs with the probe's release store of state after exit_status. */
	uint32_t s = atomic_load_explicit((_Atomic uint32_t *)&h->state, memory_order_acquire);
	if (exit_status)
		*exit_status = h->exit_status;
	return s;
}

struct threads_copy {
	const struct lt_threads_header *s;
	struct lt_threads_header *hdr;
	struct lt_thread *threads;
	struct lt_thread_site *sites;
	uint32_t threads_cap, sites_cap; /* the segment's */
	uint32_t cap, scap;              /* the caller's */
	uint32_t n, m;
};

static void copy_threads(void *ctx)
{
	struct threads_copy *c = ctx;
	const struct lt_thread *t = (const struct lt_thread *)(c->s + 1);
	const struct lt_thread_site *st = (const struct lt_thread_site *)(t + c->threads_cap);
	memcpy(c->hdr, c->s, sizeof *c->hdr);
	c->n = c->hdr->nthreads < c->threads_cap ? c->hdr->nthreads : c->threads_cap;
	c->m = c->hdr->nsites < c->sites_cap ? c->hdr->nsites : c->sites_cap;
	c->n = c->n < c->cap ? c->n : c->cap;
	c->m = c->m < c->scap ? c->m : c->scap;
	if (c->n)
		memcpy(c->threads, t, c->n * sizeof *c->threads);
	if (c->m)
		memcpy(c->sites, st, c->m * sizeof *c->sites);
}

int shm_read_threads(const struct shm_reader *r, struct lt_threads_header *hdr,
                     struct lt_thread *threads, uint32_t cap, struct lt_thread_site *sites,
                     uint32_t sites_cap)
{
	struct threads_copy c = {
		at(r, r->hdr.threads_off), hdr, threads,   sites, r->hdr.threads_cap,
		r->hdr.sites_cap,          cap, sites_cap, 0,     0,
	};
	if (seq_copy(&c.s->seq, copy_threads, &c) < 0)
		return -1;
	/* A stable copy: judge it, never the shared original. */
	if (hdr->nthreads > r->hdr.threads_cap || hdr->nsites > r->hdr.sites_cap)
		return -1;
	hdr->nthreads = c.n;
	hdr->nsites = c.m;
	for (uint32_t i = 0; i < c.n; i++) {
		threads[i].name[sizeof threads[i].name - 1] = '\0';
		threads[i].wchan[sizeof threads[i].wchan - 1] = '\0';
	}
	return 0;
}

/* The reader maps the segment read-only, so a stray store of its own can
 * never reach the target: the one thing it writes, the wish, goes through
 * the descriptor. The probe bounds the deadline it reads, so a torn write
 * can cost no more than a while of faster snapshots. */
void shm_want_interval(const struct shm_reader *r, uint32_t ms, uint64_t until_ns)
{
	struct {
		uint32_t ms, pad;
		uint64_t until;
	} wish = { ms, 0, until_ns };
	struct stat st;
	/* A write past the end would grow a segment cut short under us. */
	if (fstat(r->fd, &st) < 0 || (uint64_t)st.st_size < r->size)
		return;
	_Static_assert(offsetof(struct lt_shm_header, want_until_ns) ==
	                   offsetof(struct lt_shm_header, want_interval_ms) + 8,
	               "the wish is one write");
	if (pwrite(r->fd, &wish, sizeof wish, offsetof(struct lt_shm_header, want_interval_ms)) < 0)
		return; /* a wish, not a need: the probe keeps its own interval */
}

int shm_disown(const struct shm_reader *r)
{
	int32_t none = 0;
	struct stat st;
	if (fstat(r->fd, &st) < 0 || (uint64_t)st.st_size < r->size)
		return -1;
	ssize_t n = pwrite(r->fd, &none, sizeof none, offsetof(struct lt_shm_header, launcher_pid));
	return n == (ssize_t)sizeof none ? 0 : -1;
}
