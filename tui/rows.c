/* rows.c - grouping a window of snapshots into table rows.
 *
 * Costs, per rebuild: one pass over the last snapshot's entries to find each
 * stack's row (a string key hashed once per stack), one pass over every
 * snapshot in the window to build each row's series (window x entries
 * additions), and one growth fit per row. The series scratch is rows x
 * window doubles, freed before returning. */
#define _GNU_SOURCE
#include "rows.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static const char *const group_names[] = { "function", "stack", "module" };
static const char *const col_names[] = { "LIVE", "BLOCKS", "GROWTH/s", "ALLOCS/s", "TOTAL" };

const char *rows_group_name(enum group_mode g)
{
	return group_names[g];
}

const char *rows_col_name(enum row_col c)
{
	return col_names[c];
}

static int module_is(const char *module, const char *prefix)
{
	return !strncmp(module, prefix, strlen(prefix));
}

int rows_is_allocator_frame(const struct frame_sym *s)
{
	if (!s)
		return 0;
	if (module_is(s->module, "libc.so") || module_is(s->module, "libstdc++.so") ||
	    module_is(s->module, "libgcc_s.so") || module_is(s->module, "ld-linux"))
		return 1;
	static const char *const wrappers[] = { "operator new",
		                                "operator delete",
		                                "std::allocator",
		                                "__gnu_cxx::new_allocator",
		                                "std::__new_allocator",
		                                "std::allocator_traits",
		                                "xmalloc",
		                                "xcalloc",
		                                "xrealloc",
		                                "xstrdup",
		                                "g_malloc",
		                                "g_realloc" };
	for (size_t i = 0; i < sizeof wrappers / sizeof wrappers[0]; i++)
		if (!strncmp(s->func, wrappers[i], strlen(wrappers[i])))
			return 1;
	return 0;
}

uint32_t rows_top_frame(const struct profile *p, const struct prof_stack *st)
{
	for (uint32_t i = 0; i < st->depth; i++)
		if (!rows_is_allocator_frame(profile_sym(p, st->frames[i])))
			return i;
	return 0;
}

/* The key, label and where of stack id under g, written into the buffers. */
static void describe(const struct profile *p, uint32_t id, enum group_mode g, char *key, size_t nk,
                     char *label, size_t nl, char *where, size_t nw)
{
	const struct prof_stack *st = profile_stack(p, id);
	where[0] = '\0';
	if (!st || !st->depth) {
		snprintf(label, nl, "%s",
		         id == LT_STACK_OVERFLOW ? "[stack table full]"
		                                 : "[before leaktop started]");
		snprintf(key, nk, "%s", label);
		return;
	}
	uint32_t top = rows_top_frame(p, st);
	uint64_t addr = st->frames[top];
	const struct frame_sym *s = profile_sym(p, addr);
	const char *module = s && *s->module ? s->module : "?";
	if (s && *s->func)
		snprintf(label, nl, "%s", s->func);
	else
		snprintf(label, nl, "%s+0x%llx", module, (unsigned long long)addr);
	if (s && *s->file) {
		const char *slash = strrchr(s->file, '/');
		snprintf(where, nw, "%s:%u", slash ? slash + 1 : s->file, s->line);
	} else {
		snprintf(where, nw, "%s", module);
	}
	switch (g) {
	case GROUP_FUNCTION: snprintf(key, nk, "%s\t%s", label, module); break;
	case GROUP_MODULE:
		snprintf(key, nk, "%s", module);
		snprintf(label, nl, "%s", module);
		where[0] = '\0';
		break;
	default: snprintf(key, nk, "#%u", id); break;
	}
}

/* A throwaway string -> row index map for one rebuild. */
struct keymap {
	char **keys;
	uint32_t *idx;
	size_t mask;
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static uint32_t keymap_get(struct keymap *m, const char *key, int *created, uint32_t next)
{
	for (size_t i = hash_str(key) & m->mask;; i = (i + 1) & m->mask) {
		if (!m->keys[i]) {
			m->keys[i] = xstrdup(key);
			m->idx[i] = next;
			*created = 1;
			return next;
		}
		if (!strcmp(m->keys[i], key)) {
			*created = 0;
			return m->idx[i];
		}
	}
}

static void clear_rows(struct rows *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].label);
		free(r->v[i].where);
	}
	r->n = 0;
}

static int matches(const char *label, const char *where, const char *filter)
{
	return !filter || !*filter || strcasestr(label, filter) || strcasestr(where, filter);
}

/* Fills in what rows_build is asked for; 1 when it is what r holds. */
static int same_input(const struct rows *r, struct rows_input *in, const struct profile *p,
                      uint32_t last, uint32_t window, enum group_mode g,
                      const struct snapshot *base, const char *filter)
{
	memset(in, 0, sizeof *in);
	in->prof = p;
	in->generation = p->generation;
	in->last = last;
	in->window = window;
	in->group = g;
	in->has_base = base != NULL;
	in->base_seqno = base ? base->seqno : 0;
	in->base_time_ns = base ? base->time_ns : 0;
	snprintf(in->filter, sizeof in->filter, "%s", filter ? filter : "");
	return r->built && !memcmp(in, &r->input, sizeof *in);
}

int rows_build(struct rows *r, const struct profile *p, uint32_t last, uint32_t window,
               enum group_mode g, const struct snapshot *base, const char *filter)
{
	struct rows_input in;
	if (same_input(r, &in, p, last, window, g, base, filter))
		return 0;
	clear_rows(r);
	r->input = in;
	r->built = 1;
	r->sorted = 0;
	if (!p->nsnaps || last >= p->nsnaps)
		return 1;
	const struct snapshot *s = &p->snaps[last];
	uint32_t first = last + 1 > window ? last + 1 - window : 0;
	uint32_t w = last - first + 1;
	uint32_t max_id = s->n ? s->e[s->n - 1].id : 0;

	if (r->row_of_cap < (size_t)max_id + 1) {
		r->row_of = xrealloc(r->row_of, ((size_t)max_id + 1) * sizeof *r->row_of);
		r->row_of_cap = (size_t)max_id + 1;
	}
	memset(r->row_of, 0, r->row_of_cap * sizeof *r->row_of);

	struct keymap m;
	size_t slots = 16;
	while (slots < 2 * (size_t)s->n + 2)
		slots <<= 1;
	m.keys = xcalloc(slots, sizeof *m.keys);
	m.idx = xcalloc(slots, sizeof *m.idx);
	m.mask = slots - 1;

	/* Rows, and each stack's row, from the current snapshot. */
	for (uint32_t i = 0; i < s->n; i++) {
		const struct snap_entry *e = &s->e[i];
		char key[512], label[384], where[256];
		int created;
		describe(p, e->id, g, key, sizeof key, label, sizeof label, where, sizeof where);
		if (!matches(label, where, filter))
			continue;
		uint32_t k = keymap_get(&m, key, &created, (uint32_t)r->n);
		if (created) {
			if (r->n == r->cap) {
				r->cap = r->cap ? 2 * r->cap : 256;
				r->v = xrealloc(r->v, r->cap * sizeof *r->v);
			}
			r->v[r->n] = (struct row){ .label = xstrdup(label),
				                   .where = xstrdup(where),
				                   .stack = e->id };
			r->n++;
		}
		struct row *row = &r->v[k];
		struct lt_counts c = e->c;
		const struct snap_entry *b = base ? snapshot_find(base, e->id) : NULL;
		if (b) {
			c.live_bytes -= b->c.live_bytes; /* may wrap below zero: shown signed */
			c.live_blocks -= b->c.live_blocks;
			c.alloc_calls -= b->c.alloc_calls;
			c.alloc_bytes -= b->c.alloc_bytes;
			c.free_calls -= b->c.free_calls;
		}
		const struct snap_entry *biggest = snapshot_find(s, row->stack);
		if (!biggest || e->c.live_bytes > biggest->c.live_bytes)
			row->stack = e->id;
		row->c.live_bytes += c.live_bytes;
		row->c.live_blocks += c.live_blocks;
		row->c.alloc_calls += c.alloc_calls;
		row->c.alloc_bytes += c.alloc_bytes;
		row->c.free_calls += c.free_calls;
		row->nstacks++;
		r->row_of[e->id] = k + 1;
	}
	for (size_t i = 0; i <= m.mask; i++)
		free(m.keys[i]);
	free(m.keys);
	free(m.idx);

	/* Each row's series of live bytes over the window, and its allocation
	 * counts at the window's two ends (for allocations per second). */
	double *series = xcalloc(r->n * w + 1, sizeof *series);
	double *t = xcalloc(w, sizeof *t);
	uint64_t *calls0 = xcalloc(r->n + 1, sizeof *calls0);
	uint64_t *calls1 = xcalloc(r->n + 1, sizeof *calls1);
	for (uint32_t k = 0; k < w; k++) {
		const struct snapshot *sk = &p->snaps[first + k];
		t[k] = (double)(sk->time_ns - p->snaps[first].time_ns) / 1e9;
		for (uint32_t i = 0; i < sk->n; i++) {
			uint32_t id = sk->e[i].id;
			if (id > max_id || !r->row_of[id])
				continue;
			uint32_t row = r->row_of[id] - 1;
			series[(size_t)row * w + k] += (double)sk->e[i].c.live_bytes;
			if (k == 0)
				calls0[row] += sk->e[i].c.alloc_calls;
			if (k == w - 1)
				calls1[row] += sk->e[i].c.alloc_calls;
		}
	}
	double span = t[w - 1] > 0 ? t[w - 1] : 0;
	for (size_t i = 0; i < r->n; i++) {
		struct row *row = &r->v[i];
		const double *v = series + i * w;
		growth_analyse(t, v, w, &row->g);
		row->allocs_per_s =
		    span > 0 && calls1[i] >= calls0[i] ? (double)(calls1[i] - calls0[i]) / span : 0;
		row->nspark = w < ROW_SPARK ? (int)w : ROW_SPARK;
		for (int k = 0; k < row->nspark; k++)
			row->spark[k] = v[w - (uint32_t)row->nspark + (uint32_t)k];
	}
	free(series);
	free(t);
	free(calls0);
	free(calls1);
	return 1;
}

static enum row_col sort_col;
static int sort_invert;

static double col_value(const struct row *r, enum row_col c)
{
	switch (c) {
	case COL_LIVE: return (double)(int64_t)r->c.live_bytes;
	case COL_BLOCKS: return (double)(int64_t)r->c.live_blocks;
	case COL_GROWTH: return r->g.score;
	case COL_ALLOCS_S: return r->allocs_per_s;
	case COL_TOTAL: return (double)r->c.alloc_bytes;
	default: return 0;
	}
}

static int by_col(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	double vx = col_value(x, sort_col), vy = col_value(y, sort_col);
	int c = vx > vy ? -1 : vx < vy ? 1 : strcmp(x->label, y->label);
	if (!c)
		c = x->stack < y->stack ? -1 : x->stack > y->stack;
	return sort_invert ? -c : c;
}

void rows_sort(struct rows *r, enum row_col col, int invert)
{
	if (r->sorted && r->sort_col == col && r->sort_invert == invert)
		return;
	sort_col = col;
	sort_invert = invert;
	if (r->n > 1) /* an empty table has no array: qsort wants one */
		qsort(r->v, r->n, sizeof *r->v, by_col);
	r->sorted = 1;
	r->sort_col = col;
	r->sort_invert = invert;
}

void rows_free(struct rows *r)
{
	clear_rows(r);
	free(r->v);
	free(r->row_of);
	memset(r, 0, sizeof *r);
}
