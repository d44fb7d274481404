/* source.c - copying a live segment into a profile.
 *
 * Costs per poll: one seqlock copy of the snapshot (40 bytes a stack), a
 * walk over it to build the sparse entries, straight into the block the
 * profile keeps (48 bytes a stack with a non-zero counter), and, for stacks not seen
 * before, one stack copy and one symbol lookup per new frame. Stacks whose
 * counters are all zero are never copied or symbolized.
 *
 * Every read of the mapping runs under a SIGBUS guard: another process can
 * truncate the segment between the size check and the copy, and a read past
 * the new end faults. The handler jumps back to the read that faulted, which
 * gives the segment up; outside a read SIGBUS keeps its default action. */
#define _GNU_SOURCE
#include "source.h"

#include <dirent.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rows.h"
#include "shared/sample.h"
#include "xalloc.h"

static sigjmp_buf bus_jump;
static volatile sig_atomic_t bus_armed;

static void on_sigbus(int sig)
{
	if (bus_armed) {
		bus_armed = 0;
		siglongjmp(bus_jump, 1);
	}
	signal(sig, SIG_DFL); /* not ours: the access repeats and dumps core */
}

static void guard_install(void)
{
	static int installed;
	if (installed)
		return;
	struct sigaction sa = { .sa_handler = on_sigbus };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
	installed = 1;
}

static const char *const truncated = "truncated under the reader";

static int attach(struct source *s, const char *name, char *err, size_t errlen)
{
	const char *cause;
	guard_install();
	if (shm_reader_open(&s->rd, name, &cause) < 0) {
		snprintf(err, errlen, "segment %s: %s", name, cause);
		return -1;
	}
	s->open = 1;
	s->sym = sym_new();
	if (!s->sym)
		die("out of memory");
	s->mods_seen = 0;
	s->last_seqno = 0;
	s->next_tick = 0;
	s->counts = xcalloc(s->rd.hdr.stacks_cap, sizeof *s->counts);
	s->threads = xcalloc(s->rd.hdr.threads_cap, sizeof *s->threads);
	s->sites = xcalloc(s->rd.hdr.sites_cap, sizeof *s->sites);
	s->threads_seqno = 0;
	return 0;
}

int source_open(struct source *s, pid_t pid, char *err, size_t errlen)
{
	char name[LT_SHM_NAME_MAX];
	memset(s, 0, sizeof *s);
	s->pid = pid;
	const char *cause;
	if (shm_find_by_pid(pid, name, &cause) < 0) {
		if (cause)
			snprintf(err, errlen, "process %d: segment %s: %s", (int)pid, name, cause);
		else
			snprintf(err, errlen, "no leaktop probe found in process %d", (int)pid);
		return -1;
	}
	return attach(s, name, err, errlen);
}

void source_close(struct source *s)
{
	if (s->open) {
		shm_reader_close(&s->rd);
		sym_free(s->sym);
		free(s->counts);
		free(s->threads);
		free(s->sites);
	}
	free(s->filling);
	s->filling = NULL;
	free(s->later);
	s->later = NULL;
	s->nlater = s->later_cap = 0;
	s->open = 0;
}

uint32_t source_state(struct source *s, int *status)
{
	if (!s->broken) {
		if (sigsetjmp(bus_jump, 1)) {
			s->broken = truncated;
		} else {
			bus_armed = 1;
			s->state = shm_state(&s->rd, &s->status);
			bus_armed = 0;
		}
	}
	if (status)
		*status = s->status;
	return s->state;
}

void source_want_interval(struct source *s, uint32_t ms, uint64_t until_ns)
{
	if (!s->broken)
		shm_want_interval(&s->rd, ms, until_ns);
}

/* Whether /dev/shm holds a segment of our pid other than ours: a readdir
 * and a name compare per entry, without opening any, so the common case
 * (no exec) costs no open, fstat and mmap of every segment each poll. */
static int other_segment(const struct source *s)
{
	char prefix[32];
	int plen = snprintf(prefix, sizeof prefix, LT_SHM_PREFIX "%d.", (int)s->pid);
	DIR *d = opendir("/dev/shm");
	int found = 0;
	if (!d)
		return 0;
	for (struct dirent *e; !found && (e = readdir(d));)
		found = !strncmp(e->d_name, prefix, (size_t)plen) && strcmp(e->d_name, s->rd.name);
	closedir(d);
	return found;
}

int source_follow(struct source *s, struct profile *p)
{
	char name[LT_SHM_NAME_MAX], err[256];
	const char *cause;
	if (!other_segment(s) || shm_find_by_pid(s->pid, name, &cause) < 0 ||
	    !strcmp(name, s->rd.name))
		return 0;
	struct source next = { .pid = s->pid,
		               .lazy_lines = s->lazy_lines,
		               .no_lines = s->no_lines };
	if (attach(&next, name, err, sizeof err) < 0 || next.rd.hdr.start_ns < s->rd.hdr.start_ns) {
		source_close(&next);
		return 0;
	}
	source_close(s);
	*s = next;
	if (profile_reset(p) < 0)
		die("out of memory");
	return 1;
}

/* Registers the modules published since the last poll with the
 * symbolizer, and with the profile, so a recording keeps them too. */
static void update_modules(struct source *s, struct profile *p)
{
	uint32_t n = shm_modules_count(&s->rd);
	for (; s->mods_seen < n; s->mods_seen++) {
		struct lt_module m;
		char path[PATH_MAX];
		if (shm_read_module(&s->rd, s->mods_seen, &m, path, sizeof path) < 0)
			continue;
		sym_add_module(s->sym, path, m.bias, m.lo, m.hi);
		struct prof_module pm = {
			.path = path,
			.bias = m.bias,
			.lo = m.lo,
			.hi = m.hi,
			.build_id_len = m.build_id_len,
		};
		memcpy(pm.build_id, m.build_id, m.build_id_len);
		if (*path && m.lo < m.hi && profile_add_module(p, &pm) < 0)
			die("out of memory");
	}
}

/* Sets the file and line of the symbol of addr in p when p has none yet
 * (a lazy_lines source left them for later). Returns 1 when it did. */
static int settle_one(struct source *s, struct profile *p, uint64_t addr)
{
	const struct frame_sym *have = profile_sym(p, addr);
	struct frame_sym fs;
	if (!have || *have->file)
		return 0;
	sym_resolve(s->sym, addr, &fs);
	if (!*fs.file)
		return 0;
	if (profile_set_sym_file(p, addr, fs.file, fs.line) < 0)
		die("out of memory");
	return 1;
}

size_t source_settle(struct source *s, struct profile *p)
{
	size_t changed = 0;
	for (size_t i = 0; i < s->nlater; i++)
		changed += (size_t)settle_one(s, p, s->later[i]);
	s->nlater = 0;
	return changed;
}

/* Makes stack id known to p, resolving frames p has no symbol for: at
 * once, or (lazy_lines, first snapshot) their files and lines later, but
 * the top frame's when the tables will show it (`shown`). */
static void learn_stack(struct source *s, struct profile *p, uint32_t id, int shown)
{
	uint64_t frames[LT_DEPTH_MAX];
	if (profile_stack(p, id))
		return;
	int depth = shm_read_stack(&s->rd, id, frames, LT_DEPTH_MAX);
	if (depth < 0)
		return; /* not written yet: next poll */
	int later = s->lazy_lines && s->first;
	for (int i = 0; i < depth; i++) {
		if (profile_sym(p, frames[i]))
			continue;
		struct frame_sym fs;
		if (s->no_lines) {
			sym_resolve_func(s->sym, frames[i], &fs);
		} else if (later) {
			sym_resolve_func(s->sym, frames[i], &fs);
			if (s->nlater == s->later_cap) {
				s->later_cap = s->later_cap ? 2 * s->later_cap : 256;
				s->later = xrealloc(s->later, s->later_cap * sizeof *s->later);
			}
			s->later[s->nlater++] = frames[i];
		} else {
			sym_resolve(s->sym, frames[i], &fs);
		}
		if (profile_add_sym(p, &fs) < 0)
			die("out of memory");
	}
	if (profile_add_stack(p, id, frames, (uint32_t)depth) < 0)
		die("out of memory");
	if (later && shown && depth > 0)
		settle_one(s, p, frames[rows_top_frame(p, profile_stack(p, id))]);
}

/* Learns stack *id, or makes it LT_STACK_NONE when it cannot be learnt. */
static void known_stack(struct source *s, struct profile *p, uint32_t *id)
{
	if (*id == LT_STACK_NONE)
		return;
	learn_stack(s, p, *id, 0);
	if (!profile_stack(p, *id))
		*id = LT_STACK_NONE;
}

/* Copies the thread table when the probe has published a new one. Its
 * bytes are multiplied by scale: what the snapshot's estimate of the live
 * heap is to what the probe recorded (1 unless it samples). */
static void poll_threads(struct source *s, struct profile *p, double scale)
{
	struct lt_threads_header h;
	if (shm_read_threads(&s->rd, &h, s->threads, s->rd.hdr.threads_cap, s->sites,
	                     s->rd.hdr.sites_cap) < 0 ||
	    h.seqno == 0 || h.seqno == s->threads_seqno)
		return;
	s->threads_seqno = h.seqno;
	/* A stack not learnt (its frames not yet published) is none here, so
	 * the profile never names a stack it does not hold. */
	for (uint32_t i = 0; i < h.nthreads; i++) {
		known_stack(s, p, &s->threads[i].create_stack);
		known_stack(s, p, &s->threads[i].wait_stack);
		if (scale != 1)
			s->threads[i].live_bytes =
			    (uint64_t)((double)s->threads[i].live_bytes * scale + 0.5);
	}
	if (scale != 1)
		h.reused_live_bytes = (uint64_t)((double)h.reused_live_bytes * scale + 0.5);
	uint32_t m = 0;
	for (uint32_t i = 0; i < h.nsites; i++) {
		known_stack(s, p, &s->sites[i].stack);
		if (s->sites[i].stack != LT_STACK_NONE)
			s->sites[m++] = s->sites[i];
	}
	h.nsites = m;
	/* A thread snapshot a second is enough for trends; more often only
	 * when the threads changed (state, stack, a thread came or went). */
	const struct thread_snap *prev = p->ntsnaps ? &p->tsnaps[p->ntsnaps - 1] : NULL;
	if (prev && h.time_ns < prev->time_ns + 1000000000ull && prev->n == h.nthreads &&
	    prev->nsites == h.nsites &&
	    (!h.nthreads || !memcmp(prev->t, s->threads, h.nthreads * sizeof *s->threads)) &&
	    (!h.nsites || !memcmp(prev->sites, s->sites, h.nsites * sizeof *s->sites)))
		return;
	struct thread_snap ts = {
		.seqno = h.seqno,
		.time_ns = h.time_ns,
		.created = h.created,
		.ended = h.ended,
		.untracked = h.untracked,
		.capture_ns = h.capture_ns,
		.reused_live_bytes = h.reused_live_bytes,
		.n = h.nthreads,
		.t = s->threads,
		.nsites = h.nsites,
		.sites = s->sites,
	};
	if (profile_add_threads(p, &ts) < 0)
		die("out of memory");
}

static int counts_zero(const struct lt_counts *c)
{
	return !c->live_bytes && !c->live_blocks && !c->alloc_calls && !c->alloc_bytes &&
	       !c->free_calls;
}

static int poll_segment(struct source *s, struct profile *p, char *err, size_t errlen)
{
	struct lt_snap_header h;
	struct lt_tick ticks[256];
	uint32_t n;

	s->first = !p->nsnaps;
	if (!p->program) {
		if (profile_set_program(p, s->rd.hdr.program) < 0)
			die("out of memory");
		p->pid = s->rd.hdr.pid;
		p->start_ns = s->rd.hdr.start_ns;
		p->interval_ms = s->rd.hdr.interval_ms;
		p->depth = s->rd.hdr.depth;
		p->sample_bytes = s->rd.hdr.sample_bytes;
	}
	uint32_t mean = s->rd.hdr.sample_bytes;
	while ((n = shm_read_ticks(&s->rd, &s->next_tick, ticks, 256)) > 0) {
		for (uint32_t i = 0; i < n; i++)
			sample_scale_tick(&ticks[i], mean);
		if (profile_add_ticks(p, ticks, n) < 0)
			die("out of memory");
	}
	if (shm_read_snapshot(&s->rd, &h, s->counts, s->rd.hdr.stacks_cap) < 0) {
		snprintf(err, errlen, "segment %s: no consistent snapshot (corrupt or hostile)",
		         s->rd.name);
		return -1;
	}
	if (h.seqno == 0 || h.seqno == s->last_seqno)
		return 0;
	s->last_seqno = h.seqno;
	update_modules(s, p);

	/* The entries go straight into the block the profile keeps, sized by
	 * a count first: blocks of the same size as the ones the history
	 * drops, which the heap hands out again as they are (a block shrunk
	 * after filling leaves holes that the next one does not fit). */
	uint32_t nonzero = 0;
	for (uint32_t id = 0; id < h.nstacks; id++)
		nonzero += !counts_zero(&s->counts[id]);
	double thread_scale = 1;
	if (mean) {
		/* Sampled: each stack scales by its own mean block size, and
		 * the totals are the sum of the estimates, so the table adds
		 * up; threads' bytes scale as the whole does. */
		uint64_t raw_live = h.totals.live_bytes;
		memset(&h.totals, 0, sizeof h.totals);
		for (uint32_t id = 0; id < h.nstacks; id++) {
			sample_scale_counts(&s->counts[id], mean);
			lt_counts_add(&h.totals, &s->counts[id]);
		}
		if (raw_live)
			thread_scale = (double)h.totals.live_bytes / (double)raw_live;
	}
	struct snapshot snap = {
		.seqno = h.seqno,
		.time_ns = h.time_ns,
		.totals = h.totals,
		.unknown_frees = h.unknown_frees,
		.overflow_allocs = h.overflow_allocs,
		.probe_bytes = h.probe_bytes,
	};
	free(s->filling); /* a read that faulted left it */
	snap.e = s->filling = xmalloc(((size_t)nonzero + 1) * sizeof *snap.e);
	for (uint32_t id = 0; id < h.nstacks; id++) {
		const struct lt_counts *c = &s->counts[id];
		if (counts_zero(c))
			continue;
		learn_stack(s, p, id, 1);
		if (!profile_stack(p, id))
			continue; /* its frames are not published yet */
		snap.e[snap.n].id = id;
		snap.e[snap.n].c = *c;
		snap.n++;
	}
	if (profile_add_snapshot_take(p, &snap) < 0)
		die("out of memory");
	s->filling = NULL;
	poll_threads(s, p, thread_scale);
	return 1;
}

int source_poll(struct source *s, struct profile *p, char *err, size_t errlen)
{
	const char *cause = s->broken;
	if (!cause) {
		int c = shm_reader_check(&s->rd, &cause);
		s->removed = c == 1;
		if (c < 0)
			s->broken = cause;
	}
	if (!s->broken && sigsetjmp(bus_jump, 1))
		s->broken = truncated;
	if (s->broken) {
		snprintf(err, errlen, "segment %s: %s", s->rd.name, s->broken);
		return -1;
	}
	bus_armed = 1;
	int r = poll_segment(s, p, err, errlen);
	bus_armed = 0;
	return r;
}
