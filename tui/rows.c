/* rows.c - grouping a window of snapshots into table rows.
 *
 * Costs, per rebuild: one pass over the last snapshot's entries to find each
 * stack's row, one over the window's first snapshot for each row's starting
 * value, and one over what changed between the window's snapshots; nothing
 * per row that allocates. What changed from one snapshot to the next (a
 * step: the stacks whose live bytes moved, and by how much) is worked out
 * once, when the snapshot is new, and kept while the window holds it: at
 * 50,000 stacks of which a few hundred move, a rebuild reads 3 snapshots,
 * not 40 (the whole window, 96 MB a second at one rebuild a second). What a
 * stack is under a grouping (its label, file:line and key) is worked out
 * once per stack and kept: stacks never change, and describing one costs
 * string formatting and a walk of its frames. Labels are interned strings
 * the rows own. The growth fit, the dearest part, is made only for the rows
 * a view shows (rows_get), or for all of them when they are ranked by it,
 * each from its starting value and moves; the sort settles only the rows up
 * to the one asked for (a quickselect, then a sort of that page), so a table
 * of 50,000 stacks pays for a page of them. When every stack moves at every
 * snapshot, the steps hold as many entries as the snapshots do, and a
 * rebuild costs what a pass over the window would. */
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
	default: key[0] = '\0'; break; /* the stack id is the key */
	}
}

/* --- building -------------------------------------------------------------- */

/* Grows *arr to hold n elements of size sz, zeroing what is new. */
static void *grow_zero(void *arr, size_t *cap, size_t n, size_t sz)
{
	if (n <= *cap)
		return arr;
	size_t c = *cap ? *cap : 256;
	while (c < n)
		c *= 2;
	arr = xrealloc(arr, c * sz);
	memset((char *)arr + *cap * sz, 0, (c - *cap) * sz);
	*cap = c;
	return arr;
}

/* Stack id's site under the rows' grouping, described once. */
static const struct rows_site *site_of(struct rows *r, const struct profile *p, uint32_t id)
{
	r->site = grow_zero(r->site, &r->site_cap, (size_t)id + 1, sizeof *r->site);
	struct rows_site *site = &r->site[id];
	if (site->label)
		return site;
	char key[512], label[384], where[256];
	describe(p, id, r->site_group, key, sizeof key, label, sizeof label, where, sizeof where);
	site->label = strtab_intern(&r->strs, label) + 1;
	site->where = strtab_intern(&r->strs, where) + 1;
	site->key = r->site_group == GROUP_STACK ? id + 1 : strtab_intern(&r->strs, key) + 1;
	return site;
}

/* Forgets every step (the profile started over: its seqnos may repeat). */
static void steps_forget(struct rows *r)
{
	for (uint32_t i = 0; i < r->nsteps; i++)
		free(r->steps[i].c);
	r->nsteps = 0;
}

/* Forgets every site when the grouping changed or the profile started
 * over (its ids now name other stacks). */
static void sites_check(struct rows *r, const struct profile *p, enum group_mode g)
{
	if (r->site_prof == p && r->site_resets == p->resets && r->site_group == g)
		return;
	if (r->site_prof != p || r->site_resets != p->resets) {
		strtab_fini(&r->strs);
		r->ranked = 0;
		steps_forget(r);
	}
	if (r->site)
		memset(r->site, 0, r->site_cap * sizeof *r->site);
	r->site_prof = p;
	r->site_resets = p->resets;
	r->site_group = g;
}

/* Whether string i contains the filter, judged once per string a build. */
static int string_matches(struct rows *r, uint32_t i, const char *filter)
{
	if (!r->match[i])
		r->match[i] = strcasestr(r->strs.s[i], filter) ? 2 : 1;
	return r->match[i] == 2;
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

/* Rows, and each stack's row, from snapshot s: one pass over its entries,
 * with base (sorted by id as s is) walked alongside. */
static void group_entries(struct rows *r, const struct profile *p, const struct snapshot *s,
                          const struct snapshot *base, const char *filter)
{
	uint32_t bi = 0;
	int filtering = filter && *filter;
	if (filtering) {
		r->match = grow_zero(r->match, &r->match_cap, (size_t)r->strs.n + 1, 1);
		memset(r->match, 0, r->match_cap);
	}
	for (uint32_t i = 0; i < s->n; i++) {
		const struct snap_entry *e = &s->e[i];
		const struct rows_site *site = site_of(r, p, e->id);
		if (filtering) {
			/* site_of may have added strings */
			r->match = grow_zero(r->match, &r->match_cap, r->strs.n, 1);
			if (!string_matches(r, site->label - 1, filter) &&
			    !string_matches(r, site->where - 1, filter))
				continue;
		}
		r->row_of_key =
		    grow_zero(r->row_of_key, &r->row_of_key_cap, site->key, sizeof(uint32_t));
		uint32_t k = r->row_of_key[site->key - 1];
		if (!k) {
			if (r->n == r->cap) {
				r->cap = r->cap ? 2 * r->cap : 256;
				r->v = xrealloc(r->v, r->cap * sizeof *r->v);
			}
			r->v[r->n] = (struct row){ .label = r->strs.s[site->label - 1],
				                   .label_id = site->label - 1,
				                   .where = r->strs.s[site->where - 1],
				                   .stack = e->id,
				                   .key = site->key,
				                   .top_live = e->c.live_bytes };
			k = (uint32_t)++r->n;
			r->row_of_key[site->key - 1] = k;
		}
		struct row *row = &r->v[k - 1];
		struct lt_counts c = e->c;
		while (base && bi < base->n && base->e[bi].id < e->id)
			bi++;
		if (base && bi < base->n && base->e[bi].id == e->id) {
			const struct lt_counts *b = &base->e[bi].c;
			c.live_bytes -= b->live_bytes; /* may wrap below zero: shown signed */
			c.live_blocks -= b->live_blocks;
			c.alloc_calls -= b->alloc_calls;
			c.alloc_bytes -= b->alloc_bytes;
			c.free_calls -= b->free_calls;
		}
		if (e->c.live_bytes > row->top_live) {
			row->stack = e->id;
			row->top_live = e->c.live_bytes;
		}
		lt_counts_add(&row->c, &c);
		row->nstacks++;
		r->row_of[e->id] = k;
	}
	for (size_t i = 0; i < r->n; i++)
		r->row_of_key[r->v[i].key - 1] = 0;
}

/* --- the window's series -------------------------------------------------- */

static int step_is(const struct rows_step *st, const struct snapshot *prev,
                   const struct snapshot *cur)
{
	return st->seqno == cur->seqno && st->time_ns == cur->time_ns &&
	       st->prev_seqno == prev->seqno && st->prev_time_ns == prev->time_ns;
}

static void step_push(struct rows_step *st, uint32_t id, uint64_t delta)
{
	if (!delta)
		return;
	if (st->n == st->cap) {
		st->cap = st->cap ? 2 * st->cap : 64;
		st->c = xrealloc(st->c, (size_t)st->cap * sizeof *st->c);
	}
	st->c[st->n++] = (struct rows_change){ .id = id, .delta = delta };
}

/* The changes of live bytes from prev to cur: one walk of both (each
 * sorted by id). A stack absent from one of them holds nothing there. */
static void step_compute(struct rows_step *st, const struct snapshot *prev,
                         const struct snapshot *cur)
{
	const struct snap_entry *a = prev->e, *b = cur->e;
	uint32_t i = 0, j = 0;
	st->n = 0;
	while (i < prev->n || j < cur->n) {
		if (j == cur->n || (i < prev->n && a[i].id < b[j].id)) {
			step_push(st, a[i].id, 0 - a[i].c.live_bytes);
			i++;
		} else if (i == prev->n || b[j].id < a[i].id) {
			step_push(st, b[j].id, b[j].c.live_bytes);
			j++;
		} else {
			step_push(st, b[j].id, b[j].c.live_bytes - a[i].c.live_bytes);
			i++;
			j++;
		}
	}
	st->seqno = cur->seqno;
	st->time_ns = cur->time_ns;
	st->prev_seqno = prev->seqno;
	st->prev_time_ns = prev->time_ns;
}

/* The step from snapshot k - 1 to k of p: the one an earlier rebuild
 * worked out, or a spare (one the window no longer uses) filled in. */
static const struct rows_step *step_get(struct rows *r, const struct profile *p, uint32_t k)
{
	const struct snapshot *prev = &p->snaps[k - 1], *cur = &p->snaps[k];
	struct rows_step *spare = NULL;
	for (uint32_t i = 0; i < r->nsteps; i++) {
		struct rows_step *st = &r->steps[i];
		if (st->used && step_is(st, prev, cur))
			return st;
		if (!st->used && !spare)
			spare = st;
	}
	if (!spare) {
		if (r->nsteps == r->steps_cap) {
			r->steps_cap = r->steps_cap ? 2 * r->steps_cap : 64;
			r->steps = xrealloc(r->steps, r->steps_cap * sizeof *r->steps);
		}
		spare = &r->steps[r->nsteps++];
		*spare = (struct rows_step){ 0 };
	}
	step_compute(spare, prev, cur);
	spare->used = 1;
	return spare;
}

/* Each row's live bytes and allocations at the window's first snapshot,
 * and its moves over the window: one pass over the first snapshot, then
 * the changes of each step (worked out once, when its snapshot is new). */
static void fill_series(struct rows *r, const struct profile *p, uint32_t first, uint32_t max_id)
{
	const struct snapshot *s0 = &p->snaps[first];
	for (uint32_t i = 0; i < s0->n; i++) {
		uint32_t id = s0->e[i].id;
		if (id > max_id || !r->row_of[id])
			continue;
		struct row *row = &r->v[r->row_of[id] - 1];
		row->live0 += s0->e[i].c.live_bytes;
		row->calls0 += s0->e[i].c.alloc_calls;
	}
	/* The steps this window uses are kept (marked first, so filling in a
	 * new one never takes them); the rest are spares. */
	for (uint32_t i = 0; i < r->nsteps; i++) {
		r->steps[i].used = 0;
		for (uint32_t k = 1; k < r->w && !r->steps[i].used; k++)
			r->steps[i].used =
			    step_is(&r->steps[i], &p->snaps[first + k - 1], &p->snaps[first + k]);
	}
	r->nmoves = 0;
	for (uint32_t k = 1; k < r->w; k++) {
		const struct rows_step *st = step_get(r, p, first + k);
		for (uint32_t i = 0; i < st->n; i++) {
			uint32_t id = st->c[i].id;
			if (id > max_id || !r->row_of[id])
				continue;
			struct row *row = &r->v[r->row_of[id] - 1];
			if (r->nmoves == r->moves_cap) {
				r->moves_cap = r->moves_cap ? 2 * r->moves_cap : 256;
				r->moves = xrealloc(r->moves, r->moves_cap * sizeof *r->moves);
			}
			r->moves[r->nmoves] = (struct rows_move){ .next = row->moves,
				                                  .k = k,
				                                  .delta = st->c[i].delta };
			row->moves = (uint32_t)++r->nmoves;
		}
	}
}

/* Row i's live bytes over the window, into r->series: its value at the
 * first snapshot plus its moves up to each sample. Sums are kept in
 * integers, as exact as adding up the stacks of each snapshot. */
static const double *row_series(struct rows *r, const struct row *row)
{
	r->series = grow_zero(r->series, &r->series_cap, r->w, sizeof *r->series);
	r->acc = grow_zero(r->acc, &r->acc_cap, r->w, sizeof *r->acc);
	memset(r->acc, 0, r->w * sizeof *r->acc);
	for (uint32_t m = row->moves; m; m = r->moves[m - 1].next)
		r->acc[r->moves[m - 1].k] += r->moves[m - 1].delta;
	uint64_t live = row->live0;
	for (uint32_t k = 0; k < r->w; k++) {
		live += r->acc[k];
		r->series[k] = (double)live;
	}
	return r->series;
}

int rows_build(struct rows *r, const struct profile *p, uint32_t last, uint32_t window,
               enum group_mode g, const struct snapshot *base, const char *filter)
{
	struct rows_input in;
	if (same_input(r, &in, p, last, window, g, base, filter))
		return 0;
	r->n = 0;
	r->ordered = 0;
	r->input = in;
	r->built = 1;
	r->sorted = 0;
	r->w = 0;
	if (!p->nsnaps || last >= p->nsnaps)
		return 1;
	const struct snapshot *s = &p->snaps[last];
	uint32_t first = last + 1 > window ? last + 1 - window : 0;
	uint32_t max_id = s->n ? s->e[s->n - 1].id : 0;

	r->row_of = grow_zero(r->row_of, &r->row_of_cap, (size_t)max_id + 1, sizeof *r->row_of);
	memset(r->row_of, 0, r->row_of_cap * sizeof *r->row_of);
	sites_check(r, p, g);
	group_entries(r, p, s, base, filter);

	r->w = last - first + 1;
	r->t = grow_zero(r->t, &r->t_cap, r->w, sizeof *r->t);
	for (uint32_t k = 0; k < r->w; k++)
		r->t[k] = (double)(p->snaps[first + k].time_ns - p->snaps[first].time_ns) / 1e9;
	fill_series(r, p, first, max_id);

	/* Allocations per second over the window: the last snapshot's counts
	 * (raw, not against the baseline) less the first's. */
	double span = r->t[r->w - 1] > 0 ? r->t[r->w - 1] : 0;
	uint64_t *calls1 = xcalloc(r->n + 1, sizeof *calls1);
	for (uint32_t i = 0; i < s->n; i++)
		if (s->e[i].id <= max_id && r->row_of[s->e[i].id])
			calls1[r->row_of[s->e[i].id] - 1] += s->e[i].c.alloc_calls;
	for (size_t i = 0; i < r->n; i++) {
		struct row *row = &r->v[i];
		row->allocs_per_s = span > 0 && calls1[i] >= row->calls0
		                        ? (double)(calls1[i] - row->calls0) / span
		                        : 0;
	}
	free(calls1);
	return 1;
}

/* Growth and sparkline of row i, from its series. */
static void analyse(struct rows *r, size_t i)
{
	struct row *row = &r->v[i];
	if (row->analysed)
		return;
	const double *v = row_series(r, row);
	growth_analyse(r->t, v, r->w, &row->g);
	row->nspark = r->w < ROW_SPARK ? (int)r->w : ROW_SPARK;
	for (int k = 0; k < row->nspark; k++)
		row->spark[k] = v[r->w - (uint32_t)row->nspark + (uint32_t)k];
	row->analysed = 1;
}

/* --- sorting --------------------------------------------------------------- */

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

/* Whether slot x goes before slot y: a strict total order (stack ids are
 * unique among rows; ranks follow strcmp on the labels). */
static int before(const struct rows *r, const struct rows_slot *x, const struct rows_slot *y)
{
	int c = x->key > y->key ? -1 : x->key < y->key ? 1 : 0;
	if (!c)
		c = x->rank < y->rank ? -1 : x->rank > y->rank;
	if (!c)
		c = x->stack < y->stack ? -1 : x->stack > y->stack;
	return r->sort_invert ? c > 0 : c < 0;
}

static int by_key(const void *a, const void *b, void *arg)
{
	const struct rows *r = arg;
	return before(r, a, b) ? -1 : before(r, b, a) ? 1 : 0;
}

static void swap_slot(struct rows_slot *a, struct rows_slot *b)
{
	struct rows_slot x = *a;
	*a = *b;
	*b = x;
}

/* Moves the k first rows (in the order) of o[0..n-1] to its front, in no
 * particular order (k < n): quickselect, median-of-three pivots, O(n)
 * expected. */
static void select_first(const struct rows *r, struct rows_slot *o, size_t n, size_t k)
{
	size_t lo = 0, hi = n - 1; /* position k is settled once lo == hi */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (before(r, &o[mid], &o[lo]))
			swap_slot(&o[mid], &o[lo]);
		if (before(r, &o[hi], &o[lo]))
			swap_slot(&o[hi], &o[lo]);
		if (before(r, &o[hi], &o[mid]))
			swap_slot(&o[hi], &o[mid]);
		swap_slot(&o[mid], &o[hi]); /* the median of three is the pivot, at hi */
		struct rows_slot pivot = o[hi];
		size_t store = lo;
		for (size_t i = lo; i < hi; i++)
			if (before(r, &o[i], &pivot))
				swap_slot(&o[i], &o[store++]);
		swap_slot(&o[store], &o[hi]); /* the pivot, in its final place */
		if (store == k)
			return;
		if (k < store)
			hi = store - 1;
		else
			lo = store + 1;
	}
}

/* Puts the first k rows of the order in their final place. */
static void order_upto(struct rows *r, size_t k)
{
	if (k > r->n)
		k = r->n;
	if (k <= r->ordered)
		return;
	/* Settle a page ahead at least, so scrolling down stays cheap. */
	if (k < 2 * r->ordered)
		k = 2 * r->ordered < r->n ? 2 * r->ordered : r->n;
	struct rows_slot *o = r->order + r->ordered;
	size_t rest = r->n - r->ordered, want = k - r->ordered;
	if (want < rest)
		select_first(r, o, rest, want);
	qsort_r(o, want, sizeof *o, by_key, r);
	r->ordered = k;
}

static int by_string(const void *a, const void *b, void *arg)
{
	char **s = arg;
	return strcmp(s[*(const uint32_t *)a], s[*(const uint32_t *)b]);
}

/* Ranks every interned string in strcmp order, when strings came since
 * the last time: ties then cost two loads, not a strcmp (50,000 rows of a
 * few labels tie a lot). */
static void rank_strings(struct rows *r)
{
	if (r->ranked == r->strs.n)
		return;
	uint32_t n = r->strs.n, *idx = xcalloc((size_t)n + 1, sizeof *idx);
	for (uint32_t i = 0; i < n; i++)
		idx[i] = i;
	qsort_r(idx, n, sizeof *idx, by_string, r->strs.s);
	r->rank = grow_zero(r->rank, &r->rank_cap, (size_t)n + 1, sizeof *r->rank);
	for (uint32_t i = 0; i < n; i++)
		r->rank[idx[i]] = i;
	free(idx);
	r->ranked = n;
}

void rows_sort(struct rows *r, enum row_col col, int invert)
{
	if (r->sorted && r->sort_col == col && r->sort_invert == invert)
		return;
	if (col == COL_GROWTH) /* the score is the ranking: every row needs its fit */
		for (size_t i = 0; i < r->n; i++)
			analyse(r, i);
	rank_strings(r);
	r->order = xrealloc(r->order, (r->n + 1) * sizeof *r->order);
	for (size_t i = 0; i < r->n; i++)
		r->order[i] = (struct rows_slot){ .key = col_value(&r->v[i], col),
			                          .rank = r->rank[r->v[i].label_id],
			                          .stack = r->v[i].stack,
			                          .row = (uint32_t)i };
	r->ordered = 0;
	r->sorted = 1;
	r->sort_col = col;
	r->sort_invert = invert;
}

const struct row *rows_peek(struct rows *r, size_t i)
{
	if (!r->sorted)
		rows_sort(r, COL_LIVE, 0);
	order_upto(r, i + 1);
	return &r->v[r->order[i].row];
}

const struct row *rows_get(struct rows *r, size_t i)
{
	const struct row *row = rows_peek(r, i);
	analyse(r, r->order[i].row);
	return row;
}

void rows_free(struct rows *r)
{
	strtab_fini(&r->strs);
	free(r->v);
	free(r->order);
	free(r->row_of);
	free(r->row_of_key);
	free(r->match);
	free(r->rank);
	free(r->site);
	free(r->t);
	free(r->series);
	free(r->acc);
	steps_forget(r);
	free(r->steps);
	free(r->moves);
	memset(r, 0, sizeof *r);
}
