/* diff.c - matching two snapshots' stacks and thread groups by name.
 *
 * Each side becomes a list of (key, counts), sorted by key, with equal keys
 * summed; a merge of the two sorted lists gives every key once, with its
 * counts on each side (zero where it is absent). Cost: O(n log n) for the
 * sorts, one key string per stack. */
#define _GNU_SOURCE
#include "diff.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "threads.h"
#include "xalloc.h"

/* Appends the names of stack id's frames, root first, to a growing string. */
static void names(FILE *f, const struct profile *p, uint32_t id, const char *none)
{
	const struct prof_stack *stk = id == LT_STACK_NONE ? NULL : profile_stack(p, id);
	char name[64];
	if (!stk || !stk->depth) {
		fputs(none, f);
		return;
	}
	for (uint32_t d = stk->depth; d-- > 0;) {
		const char *n = report_frame_name(p, stk->frames[d], name, sizeof name);
		/* An address differs from run to run: what is left of it is its
		 * module (report_frame_name writes "module+0xADDR"). */
		const char *plus = strstr(n, "+0x");
		fprintf(f, "%.*s%s", plus ? (int)(plus - n) : (int)strlen(n), n, d ? ";" : "");
	}
}

static char *stack_key(const struct profile *p, uint32_t id)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		die("out of memory");
	names(f, p, id,
	      id == LT_STACK_OVERFLOW ? "[stack table full]" : "[before leaktop started]");
	if (fclose(f) != 0)
		die("out of memory");
	return buf;
}

static char *group_key(const struct profile *p, const struct thread_group *g)
{
	char *buf = NULL, why[80];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		die("out of memory");
	names(f, p, g->create_stack, "[not seen created]");
	fputs(";[thread];", f);
	snprintf(why, sizeof why, "[%s]", thread_wait_name(g->wait));
	names(f, p, g->wait_stack, why);
	if (fclose(f) != 0)
		die("out of memory");
	return buf;
}

/* One side of the stacks: (key, id, counts), sorted by key, merged. */
struct side {
	char *key;
	uint32_t id;
	struct lt_counts c;
};

static int by_key(const void *a, const void *b)
{
	return strcmp(((const struct side *)a)->key, ((const struct side *)b)->key);
}

static struct side *side_of(const struct profile *p, uint32_t si, uint32_t *n)
{
	const struct snapshot *s = &p->snaps[si];
	struct side *v = xcalloc(s->n ? s->n : 1, sizeof *v);
	for (uint32_t i = 0; i < s->n; i++)
		v[i] = (struct side){ stack_key(p, s->e[i].id), s->e[i].id, s->e[i].c };
	qsort(v, s->n, sizeof *v, by_key);
	uint32_t m = 0;
	for (uint32_t i = 0; i < s->n; i++) {
		if (m && !strcmp(v[m - 1].key, v[i].key)) {
			lt_counts_add(&v[m - 1].c, &v[i].c);
			free(v[i].key);
		} else {
			v[m++] = v[i];
		}
	}
	*n = m;
	return v;
}

static int64_t delta(uint64_t cur, uint64_t base)
{
	return (int64_t)(cur - base);
}

static void fill_deltas(struct diff_stack *e)
{
	e->d_live_bytes = delta(e->cur.live_bytes, e->base.live_bytes);
	e->d_live_blocks = delta(e->cur.live_blocks, e->base.live_blocks);
	e->d_alloc_calls = delta(e->cur.alloc_calls, e->base.alloc_calls);
	e->d_alloc_bytes = delta(e->cur.alloc_bytes, e->base.alloc_bytes);
	e->d_free_calls = delta(e->cur.free_calls, e->base.free_calls);
}

static int by_growth(const void *a, const void *b)
{
	const struct diff_stack *x = a, *y = b;
	if (x->d_live_bytes != y->d_live_bytes)
		return x->d_live_bytes > y->d_live_bytes ? -1 : 1;
	if (x->d_alloc_calls != y->d_alloc_calls)
		return x->d_alloc_calls > y->d_alloc_calls ? -1 : 1;
	return strcmp(x->key, y->key);
}

static void diff_stacks(struct diff *d, const struct profile *base, uint32_t bi,
                        const struct profile *cur, uint32_t ni)
{
	uint32_t nb, nc, i = 0, j = 0;
	struct side *b = side_of(base, bi, &nb), *c = side_of(cur, ni, &nc);
	d->s = xcalloc(nb + nc ? nb + nc : 1, sizeof *d->s);
	while (i < nb || j < nc) {
		int cmp = i == nb ? 1 : j == nc ? -1 : strcmp(b[i].key, c[j].key);
		struct diff_stack *e = &d->s[d->n++];
		if (cmp <= 0) {
			e->key = b[i].key;
			e->base = b[i].c;
			e->p = base;
			e->stack = b[i].id;
		}
		if (cmp >= 0) {
			if (cmp == 0)
				free(c[j].key);
			else
				e->key = c[j].key;
			e->cur = c[j].c;
			e->p = cur; /* the newer side's frames, when it has them */
			e->stack = c[j].id;
		}
		i += cmp <= 0;
		j += cmp >= 0;
		fill_deltas(e);
	}
	free(b);
	free(c);
	qsort(d->s, d->n, sizeof *d->s, by_growth);
}

/* The thread groups of the thread snapshot in force at snapshot si. */
static int groups_at(const struct profile *p, uint32_t si, struct thread_groups *tg)
{
	const struct thread_snap *ts = profile_threads_at(p, p->snaps[si].time_ns);
	thread_groups_build(tg, ts);
	return ts != NULL;
}

static int by_count_growth(const void *a, const void *b)
{
	const struct diff_group *x = a, *y = b;
	int64_t dx = (int64_t)x->cur - x->base, dy = (int64_t)y->cur - y->base;
	if (dx != dy)
		return dx > dy ? -1 : 1;
	return strcmp(x->key, y->key);
}

static void diff_groups(struct diff *d, const struct profile *base, uint32_t bi,
                        const struct profile *cur, uint32_t ni)
{
	struct thread_groups gb, gc;
	int hb = groups_at(base, bi, &gb), hc = groups_at(cur, ni, &gc);
	d->has_threads = hb && hc;
	d->g = xcalloc(gb.n + gc.n ? gb.n + gc.n : 1, sizeof *d->g);
	/* Few groups (a few dozen as a rule): a linear match is enough. */
	for (int side = 0; side < 2; side++) {
		const struct thread_groups *tg = side ? &gc : &gb;
		const struct profile *p = side ? cur : base;
		for (uint32_t i = 0; i < tg->n; i++) {
			const struct thread_group *g = &tg->g[i];
			char *key = group_key(p, g);
			struct diff_group *e = NULL;
			for (uint32_t k = 0; k < d->ng && !e; k++)
				if (!strcmp(d->g[k].key, key))
					e = &d->g[k];
			if (e) {
				free(key);
			} else {
				e = &d->g[d->ng++];
				e->key = key;
			}
			if (side || !e->p) {
				e->p = p;
				e->create_stack = g->create_stack;
				e->wait_stack = g->wait_stack;
				e->wait = g->wait;
			}
			*(side ? &e->cur : &e->base) += g->count;
			*(side ? &e->cur_bytes : &e->base_bytes) += g->live_bytes;
		}
	}
	thread_groups_free(&gb);
	thread_groups_free(&gc);
	qsort(d->g, d->ng, sizeof *d->g, by_count_growth);
}

void diff_build(struct diff *d, const struct profile *base, uint32_t bi, const struct profile *cur,
                uint32_t ni)
{
	memset(d, 0, sizeof *d);
	d->totals.base = base->snaps[bi].totals;
	d->totals.cur = cur->snaps[ni].totals;
	fill_deltas(&d->totals);
	diff_stacks(d, base, bi, cur, ni);
	diff_groups(d, base, bi, cur, ni);
}

/* Orders by key, then by id, so the first of equal keys has the lowest id. */
static int by_key_id(const void *a, const void *b)
{
	const struct side *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	return c ? c : x->id < y->id ? -1 : x->id > y->id;
}

/* Every stack p knows (and the stack-table-full id, which has no frames),
 * by key, one per key: the lowest id. */
static struct side *known_stacks(const struct profile *p, uint32_t *n)
{
	struct side *v = xcalloc((size_t)p->nstack_order + 1, sizeof *v);
	uint32_t m = 0;
	for (uint32_t i = 0; i < p->nstack_order; i++)
		v[m++] = (struct side){ .key = stack_key(p, p->stack_order[i]),
			                .id = p->stack_order[i] };
	if (!profile_stack(p, LT_STACK_OVERFLOW))
		v[m++] = (struct side){ .key = stack_key(p, LT_STACK_OVERFLOW),
			                .id = LT_STACK_OVERFLOW };
	qsort(v, m, sizeof *v, by_key_id);
	*n = 0;
	for (uint32_t i = 0; i < m; i++) {
		if (*n && !strcmp(v[*n - 1].key, v[i].key))
			free(v[i].key);
		else
			v[(*n)++] = v[i];
	}
	return v;
}

static int by_id(const void *a, const void *b)
{
	const struct snap_entry *x = a, *y = b;
	return x->id < y->id ? -1 : x->id > y->id;
}

void diff_rebase(struct snapshot *out, const struct profile *base, uint32_t bi,
                 const struct profile *cur)
{
	uint32_t nb, nc, i = 0, j = 0;
	struct side *b = side_of(base, bi, &nb), *c = known_stacks(cur, &nc);
	*out = base->snaps[bi];
	out->n = 0;
	out->e = xcalloc(nb ? nb : 1, sizeof *out->e);
	while (i < nb && j < nc) {
		int cmp = strcmp(b[i].key, c[j].key);
		if (!cmp)
			out->e[out->n++] = (struct snap_entry){ .id = c[j].id, .c = b[i].c };
		i += cmp <= 0;
		j += cmp >= 0;
	}
	qsort(out->e, out->n, sizeof *out->e, by_id);
	for (i = 0; i < nb; i++)
		free(b[i].key);
	for (j = 0; j < nc; j++)
		free(c[j].key);
	free(b);
	free(c);
}

void diff_free(struct diff *d)
{
	for (uint32_t i = 0; i < d->n; i++)
		free(d->s[i].key);
	for (uint32_t i = 0; i < d->ng; i++)
		free(d->g[i].key);
	free(d->s);
	free(d->g);
	memset(d, 0, sizeof *d);
}
