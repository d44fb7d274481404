/* profile.c - the in-memory snapshot model: stacks by id, symbols by
 * address, snapshots and ticks in time order.
 *
 * Everything is a growable array that doubles, so n additions cost O(n)
 * copies in all. Stacks live in an array indexed by id (ids are handed out
 * densely from 0 by the probe), which makes profile_stack one bounds check
 * and one load; the cost is that a sparse id still reserves every slot below
 * it, at most (PROF_ID_MAX + 1) * 17 bytes (285 MB) of address space, which
 * stays zero pages that cost no memory until used. Symbols are kept in the order
 * they were added, with an open-addressing index keyed by address beside
 * them (linear probing, at most half full). Nothing here aborts: every
 * allocation failure leaves the profile as it was and returns -1 (ENOMEM). */
#include "profile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Symbols beyond this would not fit the index's "position + 1" encoding
 * comfortably; no program has two billion distinct return addresses. */
#define SYMS_MAX (1u << 30)

static int fail(int e)
{
	errno = e;
	return -1;
}

/* realloc for n elements of size sz, without overflowing n * sz. */
static void *grow_array(void *p, size_t n, size_t sz)
{
	if (n > SIZE_MAX / sz) {
		errno = ENOMEM;
		return NULL;
	}
	return realloc(p, n * sz);
}

/* Makes room for element n of an array with a uint32_t capacity, doubling
 * it (from `first`) when full. Returns the array, or NULL (ENOMEM) with the
 * old one and *cap unchanged. */
static void *reserve_one(void *arr, uint32_t n, uint32_t *cap, size_t sz, uint32_t first)
{
	if (n < *cap)
		return arr;
	if (*cap > UINT32_MAX / 2) {
		errno = ENOMEM;
		return NULL;
	}
	uint32_t c = *cap ? *cap * 2 : first;
	void *v = grow_array(arr, c, sz);
	if (v)
		*cap = c;
	return v;
}

struct profile *profile_new(void)
{
	return calloc(1, sizeof(struct profile));
}

void profile_free(struct profile *p)
{
	if (!p)
		return;
	for (uint32_t i = 0; i < p->nstack_order; i++)
		free(p->stacks[p->stack_order[i]].frames);
	free(p->stacks);
	free(p->stack_known);
	free(p->stack_order);
	for (uint32_t i = 0; i < p->nsyms; i++)
		free((char *)p->syms[i].func); /* one block holds all three strings */
	free(p->syms);
	free(p->sym_index);
	for (uint32_t i = 0; i < p->nsym_files; i++)
		free(p->sym_files[i]);
	free(p->sym_files);
	for (uint32_t i = 0; i < p->nmods; i++)
		free((char *)p->mods[i].path);
	free(p->mods);
	for (uint32_t i = 0; i < p->nsnaps; i++)
		free(p->snaps[i].e);
	free(p->snaps);
	for (uint32_t i = 0; i < p->ntsnaps; i++) {
		free(p->tsnaps[i].t);
		free(p->tsnaps[i].sites);
	}
	free(p->tsnaps);
	free(p->ticks);
	free(p->program);
	free(p);
}

int profile_reset(struct profile *p)
{
	struct profile *fresh = profile_new();
	if (!fresh)
		return -1;
	struct profile old = *p;
	*p = *fresh;
	*fresh = old;
	p->generation = old.generation + 1; /* never back to a value seen before */
	p->resets = old.resets + 1;
	profile_free(fresh); /* frees what p held */
	return 0;
}

/* Every string from the target (program, function, module, file, thread
 * names) comes through the profile on its way to a screen, so this is where
 * control characters go: C0 bytes, DEL and the UTF-8 encoding of C1 (U+0080
 * to U+009F) each become '?'. A name can then never move the cursor, set a
 * title or reprogram a terminal, whether shown by the view or by a report
 * printed to one. Counts n bytes, or to the NUL when n is SIZE_MAX. */
static void clean_str(char *s, size_t n)
{
	for (size_t i = 0; i < n && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f)
			s[i] = '?';
		else if (c == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] >= 0x80 &&
		         (unsigned char)s[i + 1] <= 0x9f)
			s[i] = s[i + 1] = '?';
	}
}

int profile_set_program(struct profile *p, const char *program)
{
	char *s = strdup(program ? program : "");
	if (!s)
		return fail(ENOMEM);
	clean_str(s, SIZE_MAX);
	free(p->program);
	p->program = s;
	return 0;
}

/* --- stacks ---------------------------------------------------------------- */

/* A copy of the first `used` bytes of old in a zeroed block of `size`
 * bytes, or NULL. calloc rather than realloc + memset: a large calloc is
 * fresh zero pages that cost nothing until touched, so a sparse high id
 * (one hostile record can name id 2^24) reserves address space, not RAM. */
static void *grow_zeroed(const void *old, size_t used, size_t size)
{
	void *n = calloc(1, size);
	if (n && used)
		memcpy(n, old, used);
	return n;
}

/* Gives every id up to and including id a slot, zero-filled. */
static int stacks_reserve(struct profile *p, uint32_t id)
{
	uint64_t cap = (uint64_t)p->stacks_cap * 2;
	if (cap < 64)
		cap = 64;
	if (cap < (uint64_t)id + 1)
		cap = (uint64_t)id + 1;
	if (cap > (uint64_t)PROF_ID_MAX + 1)
		cap = (uint64_t)PROF_ID_MAX + 1;

	struct prof_stack *s = grow_zeroed(p->stacks, p->stacks_cap * sizeof(*s), cap * sizeof(*s));
	uint8_t *k = grow_zeroed(p->stack_known, p->stacks_cap, cap);
	if (!s || !k) {
		free(s);
		free(k);
		return fail(ENOMEM);
	}
	free(p->stacks);
	free(p->stack_known);
	p->stacks = s;
	p->stack_known = k;
	p->stacks_cap = (uint32_t)cap;
	return 0;
}

/* stack_order has no capacity field: its capacity is the smallest power of
 * two >= 16 that holds nstack_order, so it grows exactly when full. */
static int order_reserve(struct profile *p)
{
	uint32_t n = p->nstack_order;
	if (n != 0 && (n < 16 || (n & (n - 1))))
		return 0;
	uint32_t *o = grow_array(p->stack_order, n ? (size_t)n * 2 : 16, sizeof(*o));
	if (!o)
		return fail(ENOMEM);
	p->stack_order = o;
	return 0;
}

int profile_add_stack(struct profile *p, uint32_t id, const uint64_t *frames, uint32_t depth)
{
	if (id > PROF_ID_MAX || depth > PROF_DEPTH_MAX || (depth && !frames))
		return fail(EINVAL);
	const struct prof_stack *old = profile_stack(p, id);
	if (old) {
		if (old->depth == depth &&
		    (depth == 0 || memcmp(old->frames, frames, depth * sizeof(*frames)) == 0))
			return 0;
		return fail(EINVAL);
	}
	if (id >= p->stacks_cap && stacks_reserve(p, id) < 0)
		return -1;
	if (order_reserve(p) < 0)
		return -1;
	uint64_t *f = NULL;
	if (depth) {
		f = malloc(depth * sizeof(*f));
		if (!f)
			return fail(ENOMEM);
		memcpy(f, frames, depth * sizeof(*f));
	}
	p->stacks[id].depth = depth;
	p->stacks[id].frames = f;
	p->stack_known[id] = 1;
	p->stack_order[p->nstack_order++] = id;
	return 0;
}

const struct prof_stack *profile_stack(const struct profile *p, uint32_t id)
{
	if (id >= p->stacks_cap || !p->stack_known[id])
		return NULL;
	return &p->stacks[id];
}

/* --- symbols --------------------------------------------------------------- */

/* Fibonacci hashing: return addresses share their low bits (alignment) and
 * high bits (the mapping), and the multiply spreads the middle over all. */
static uint32_t sym_hash(uint64_t addr)
{
	return (uint32_t)((addr * 0x9e3779b97f4a7c15ull) >> 32);
}

/* The index slot that holds addr, or the empty slot where it would go. */
static uint32_t sym_slot(const struct profile *p, uint64_t addr)
{
	uint32_t i = sym_hash(addr) & p->sym_index_mask;
	for (;;) {
		uint32_t v = p->sym_index[i];
		if (v == 0 || p->syms[v - 1].addr == addr)
			return i;
		i = (i + 1) & p->sym_index_mask;
	}
}

/* Keeps the index at most half full once one more symbol is added. */
static int sym_index_reserve(struct profile *p)
{
	uint64_t size = p->sym_index ? (uint64_t)p->sym_index_mask + 1 : 0;
	if (((uint64_t)p->nsyms + 1) * 2 <= size)
		return 0;
	size = size ? size * 2 : 64;
	uint32_t *idx = calloc(size, sizeof(*idx));
	if (!idx)
		return fail(ENOMEM);
	free(p->sym_index);
	p->sym_index = idx;
	p->sym_index_mask = (uint32_t)(size - 1);
	for (uint32_t i = 0; i < p->nsyms; i++)
		idx[sym_slot(p, p->syms[i].addr)] = i + 1;
	return 0;
}

int profile_add_sym(struct profile *p, const struct frame_sym *s)
{
	if (profile_sym(p, s->addr))
		return 0;
	if (p->nsyms >= SYMS_MAX)
		return fail(ENOMEM);
	if (sym_index_reserve(p) < 0)
		return -1;
	struct frame_sym *syms = reserve_one(p->syms, p->nsyms, &p->syms_cap, sizeof(*syms), 64);
	if (!syms)
		return fail(ENOMEM);
	p->syms = syms;

	const char *in[3] = { s->func, s->module, s->file };
	size_t len[3], total = 0;
	for (int i = 0; i < 3; i++) {
		if (!in[i])
			in[i] = "";
		len[i] = strlen(in[i]) + 1;
		total += len[i];
	}
	char *block = malloc(total), *out[3];
	if (!block)
		return fail(ENOMEM);
	char *at = block;
	for (int i = 0; i < 3; i++) {
		out[i] = at;
		memcpy(at, in[i], len[i]);
		clean_str(at, len[i]);
		at += len[i];
	}

	struct frame_sym *d = &p->syms[p->nsyms];
	d->addr = s->addr;
	d->func = out[0];
	d->module = out[1];
	d->file = out[2];
	d->line = s->line;
	p->sym_index[sym_slot(p, s->addr)] = ++p->nsyms;
	return 0;
}

int profile_add_module(struct profile *p, const struct prof_module *m)
{
	if (!m->path || m->build_id_len > sizeof m->build_id || m->lo >= m->hi)
		return fail(EINVAL);
	for (uint32_t i = 0; i < p->nmods; i++)
		if (p->mods[i].bias == m->bias && !strcmp(p->mods[i].path, m->path))
			return 0;
	struct prof_module *mods = reserve_one(p->mods, p->nmods, &p->mods_cap, sizeof(*mods), 16);
	if (!mods)
		return fail(ENOMEM);
	p->mods = mods;
	char *path = strdup(m->path);
	if (!path)
		return fail(ENOMEM);
	clean_str(path, SIZE_MAX);
	mods[p->nmods] = *m;
	mods[p->nmods].path = path;
	p->nmods++;
	return 0;
}

int profile_set_sym_file(struct profile *p, uint64_t addr, const char *file, uint32_t line)
{
	struct frame_sym *d = (struct frame_sym *)profile_sym(p, addr);
	if (!d)
		return fail(EINVAL);
	if (!strcmp(d->file, file)) {
		d->line = line;
		return 0;
	}
	char **files =
	    reserve_one(p->sym_files, p->nsym_files, &p->sym_files_cap, sizeof(*files), 16);
	if (!files)
		return fail(ENOMEM);
	p->sym_files = files;
	char *copy = strdup(file);
	if (copy)
		clean_str(copy, SIZE_MAX);
	if (!copy)
		return fail(ENOMEM);
	p->sym_files[p->nsym_files++] = copy;
	d->file = copy;
	d->line = line;
	return 0;
}

const struct frame_sym *profile_sym(const struct profile *p, uint64_t addr)
{
	if (!p->sym_index)
		return NULL;
	uint32_t v = p->sym_index[sym_slot(p, addr)];
	return v ? &p->syms[v - 1] : NULL;
}

/* --- snapshots and ticks --------------------------------------------------- */

/* Appends s, whose entries p now owns. */
static int add_snapshot(struct profile *p, const struct snapshot *s, struct snap_entry *e)
{
	for (uint32_t i = 1; i < s->n; i++)
		if (s->e[i].id <= s->e[i - 1].id)
			return fail(EINVAL);
	struct snapshot *snaps =
	    reserve_one(p->snaps, p->nsnaps, &p->snaps_cap, sizeof(*snaps), 16);
	if (!snaps)
		return fail(ENOMEM);
	p->snaps = snaps;
	p->snaps[p->nsnaps] = *s;
	p->snaps[p->nsnaps].e = e;
	p->nsnaps++;
	p->snaps_bytes += s->n * sizeof(*e);
	p->generation++;
	return 0;
}

int profile_add_snapshot(struct profile *p, const struct snapshot *s)
{
	struct snap_entry *e = NULL;
	if (s->n) {
		e = grow_array(NULL, s->n, sizeof(*e));
		if (!e)
			return fail(ENOMEM);
		memcpy(e, s->e, s->n * sizeof(*e));
	}
	if (add_snapshot(p, s, e) < 0) {
		free(e);
		return -1;
	}
	return 0;
}

int profile_add_snapshot_take(struct profile *p, const struct snapshot *s)
{
	return add_snapshot(p, s, s->e);
}

uint32_t profile_drop_snapshots(struct profile *p, uint32_t max_snaps, size_t max_bytes,
                                uint32_t min_snaps)
{
	uint32_t drop = 0;
	size_t bytes = p->snaps_bytes;
	while (p->nsnaps - drop > min_snaps &&
	       (p->nsnaps - drop > max_snaps || bytes > max_bytes)) {
		bytes -= p->snaps[drop].n * sizeof(*p->snaps[drop].e);
		free(p->snaps[drop].e);
		drop++;
	}
	if (!drop)
		return 0;
	memmove(p->snaps, p->snaps + drop, (p->nsnaps - drop) * sizeof(*p->snaps));
	p->nsnaps -= drop;
	p->snaps_bytes = bytes;
	p->generation++;
	/* Thread snapshots go with them: every one older than the one in
	 * force at the oldest snapshot kept. */
	uint32_t tdrop = 0;
	while (tdrop + 1 < p->ntsnaps && p->tsnaps[tdrop + 1].time_ns <= p->snaps[0].time_ns) {
		free(p->tsnaps[tdrop].t);
		free(p->tsnaps[tdrop].sites);
		tdrop++;
	}
	memmove(p->tsnaps, p->tsnaps + tdrop, (p->ntsnaps - tdrop) * sizeof(*p->tsnaps));
	p->ntsnaps -= tdrop;
	return drop;
}

/* The index of the thread snapshot in force at time t (the latest at or
 * before it) in p->tsnaps[from..), or UINT32_MAX when none is. */
static uint32_t tsnap_at(const struct profile *p, uint32_t from, uint64_t t)
{
	uint32_t at = UINT32_MAX;
	for (uint32_t j = from; j < p->ntsnaps && p->tsnaps[j].time_ns <= t; j++)
		at = j;
	return at;
}

uint32_t profile_thin(struct profile *p, uint32_t keep_newest)
{
	if (p->nsnaps < keep_newest + 3)
		return 0; /* nothing between the oldest and the newest to thin */
	uint32_t old = p->nsnaps - keep_newest, out = 0, tout = 0, tj = 0;
	uint64_t until = p->snaps[old].time_ns; /* the first untouched snapshot */
	uint8_t *keep_t = p->ntsnaps ? calloc(p->ntsnaps, 1) : NULL;
	if (p->ntsnaps && !keep_t)
		return 0;
	for (uint32_t i = 0; i < p->nsnaps; i++) {
		struct snapshot *s = &p->snaps[i];
		if (i < old && i % 2) {
			p->snaps_bytes -= s->n * sizeof(*s->e);
			free(s->e);
			continue;
		}
		uint32_t at = tsnap_at(p, tj, s->time_ns);
		if (at != UINT32_MAX)
			keep_t[at] = 1, tj = at;
		p->snaps[out++] = *s;
	}
	uint32_t dropped = p->nsnaps - out;
	p->nsnaps = out;
	p->generation++;

	for (uint32_t j = 0; j < p->ntsnaps; j++) {
		struct thread_snap *t = &p->tsnaps[j];
		if (t->time_ns < until && !keep_t[j]) {
			free(t->t);
			free(t->sites);
			continue;
		}
		p->tsnaps[tout++] = *t;
	}
	p->ntsnaps = tout;
	free(keep_t);

	uint64_t k = 0;
	for (uint64_t i = 0; i < p->nticks; i++)
		if (p->ticks[i].time_ns >= until || i % 2 == 0)
			p->ticks[k++] = p->ticks[i];
	p->nticks = k;
	return dropped;
}

void profile_drop_ticks(struct profile *p, uint64_t n)
{
	if (n > p->nticks)
		n = p->nticks;
	memmove(p->ticks, p->ticks + n, (p->nticks - n) * sizeof(*p->ticks));
	p->nticks -= n;
}

int profile_add_ticks(struct profile *p, const struct lt_tick *t, uint64_t n)
{
	if (n == 0)
		return 0;
	if (n > SIZE_MAX / sizeof(*t) - p->nticks)
		return fail(ENOMEM);
	if (p->nticks + n > p->ticks_cap) {
		uint64_t cap = p->ticks_cap ? p->ticks_cap * 2 : 256;
		if (cap < p->nticks + n)
			cap = p->nticks + n;
		struct lt_tick *v = grow_array(p->ticks, cap, sizeof(*v));
		if (!v)
			return fail(ENOMEM);
		p->ticks = v;
		p->ticks_cap = cap;
	}
	memcpy(p->ticks + p->nticks, t, n * sizeof(*t));
	p->nticks += n;
	return 0;
}

const struct snap_entry *snapshot_find(const struct snapshot *s, uint32_t id)
{
	uint32_t lo = 0, hi = s->n;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (s->e[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->n && s->e[lo].id == id ? &s->e[lo] : NULL;
}

/* --- threads ---------------------------------------------------------------- */

static void *dup_array(const void *src, size_t n, size_t size)
{
	if (!n)
		return NULL;
	void *d = malloc(n * size);
	if (d)
		memcpy(d, src, n * size);
	return d;
}

int profile_add_threads(struct profile *p, const struct thread_snap *s)
{
	if (p->ntsnaps == p->tsnaps_cap) {
		uint32_t cap = p->tsnaps_cap ? p->tsnaps_cap * 2 : 16;
		struct thread_snap *n = realloc(p->tsnaps, cap * sizeof *n);
		if (!n)
			return fail(ENOMEM);
		p->tsnaps = n;
		p->tsnaps_cap = cap;
	}
	struct thread_snap c = *s;
	c.t = dup_array(s->t, s->n, sizeof *s->t);
	c.sites = dup_array(s->sites, s->nsites, sizeof *s->sites);
	if ((s->n && !c.t) || (s->nsites && !c.sites)) {
		free(c.t);
		free(c.sites);
		return fail(ENOMEM);
	}
	for (uint32_t i = 0; i < c.n; i++) {
		c.t[i].name[sizeof(c.t[i].name) - 1] = '\0';
		c.t[i].wchan[sizeof(c.t[i].wchan) - 1] = '\0';
		clean_str(c.t[i].name, sizeof(c.t[i].name));
		clean_str(c.t[i].wchan, sizeof(c.t[i].wchan));
	}
	p->tsnaps[p->ntsnaps++] = c;
	p->generation++;
	return 0;
}

const struct thread_snap *profile_threads_at(const struct profile *p, uint64_t time_ns)
{
	const struct thread_snap *best = NULL;
	for (uint32_t i = 0; i < p->ntsnaps && p->tsnaps[i].time_ns <= time_ns; i++)
		best = &p->tsnaps[i];
	return best;
}
