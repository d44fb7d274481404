/* threads.c - grouping threads by creation and current stack. */
#define _GNU_SOURCE
#include "threads.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "xalloc.h"

static int by_key(const void *a, const void *b)
{
	const struct lt_thread *x = *(const struct lt_thread *const *)a;
	const struct lt_thread *y = *(const struct lt_thread *const *)b;
	if (x->create_stack != y->create_stack)
		return x->create_stack < y->create_stack ? -1 : 1;
	if (x->wait_stack != y->wait_stack)
		return x->wait_stack < y->wait_stack ? -1 : 1;
	if (x->wait_stack == LT_STACK_NONE && x->wait != y->wait)
		return x->wait < y->wait ? -1 : 1;
	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

static int same_group(const struct lt_thread *x, const struct lt_thread *y)
{
	return x->create_stack == y->create_stack && x->wait_stack == y->wait_stack &&
	       (x->wait_stack != LT_STACK_NONE || x->wait == y->wait);
}

static int by_count(const void *a, const void *b)
{
	const struct thread_group *x = a, *y = b;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return x->members[0]->tid < y->members[0]->tid ? -1 : 1;
}

void thread_groups_build(struct thread_groups *out, const struct thread_snap *ts)
{
	memset(out, 0, sizeof *out);
	if (!ts || !ts->n)
		return;
	const struct lt_thread **live = xcalloc(ts->n, sizeof *live);
	uint32_t nlive = 0;
	for (uint32_t i = 0; i < ts->n; i++) {
		if (ts->t[i].status == LT_THREAD_LIVE)
			live[nlive++] = &ts->t[i];
		else if (ts->t[i].status == LT_THREAD_ENDED) {
			out->ended++;
			out->ended_live_bytes += ts->t[i].live_bytes;
		}
	}
	out->ended_live_bytes += ts->reused_live_bytes;
	out->live = nlive;
	if (!nlive) {
		free(live);
		return;
	}
	out->all = live;
	qsort(live, nlive, sizeof *live, by_key);
	out->g = xcalloc(nlive, sizeof *out->g);
	for (uint32_t i = 0; i < nlive;) {
		uint32_t j = i + 1;
		while (j < nlive && same_group(live[i], live[j]))
			j++;
		struct thread_group *g = &out->g[out->n++];
		g->create_stack = live[i]->create_stack;
		g->wait_stack = live[i]->wait_stack;
		g->wait = live[i]->wait;
		g->state = live[i]->state;
		for (uint32_t k = i; k < j; k++) {
			if (live[k]->state != g->state)
				g->state = '*';
			g->live_bytes += live[k]->live_bytes;
		}
		g->count = j - i;
		g->members = live + i;
		i = j;
	}
	qsort(out->g, out->n, sizeof *out->g, by_count);
}

void thread_groups_free(struct thread_groups *g)
{
	free(g->all);
	free(g->g);
	free(g->series_block);
	memset(g, 0, sizeof *g);
}

/* Whether a count keeps rising: the floor of the window's second half is
 * above the lowest count, the newest count above that floor, and it rose
 * by two threads at least. A pool that started its threads and holds them
 * stops rising; threads parked one by one and never ended do not. */
static int count_keeps_rising(const double *v, uint32_t n)
{
	if (n < 3)
		return 0;
	double lo = v[0], floor2 = v[n / 2];
	for (uint32_t k = 1; k < n; k++)
		lo = v[k] < lo ? v[k] : lo;
	for (uint32_t k = n / 2 + 1; k < n; k++)
		floor2 = v[k] < floor2 ? v[k] : floor2;
	return floor2 > lo && v[n - 1] > floor2 && v[n - 1] - lo >= 2;
}

void thread_groups_trend(struct thread_groups *tg, const struct profile *p, uint32_t last,
                         uint32_t window)
{
	if (!tg->n || last >= p->ntsnaps)
		return;
	uint32_t first = last + 1 > window ? last + 1 - window : 0, n = last - first + 1;
	free(tg->series_block);
	tg->series_block = xcalloc((size_t)tg->n * n, sizeof *tg->series_block);
	for (uint32_t i = 0; i < tg->n; i++) {
		struct thread_group *g = &tg->g[i];
		g->series = tg->series_block + (size_t)i * n;
		g->nseries = n;
		for (uint32_t k = 0; k < n; k++) {
			const struct thread_snap *ts = &p->tsnaps[first + k];
			uint32_t c = 0;
			for (uint32_t j = 0; j < ts->n; j++)
				c += ts->t[j].status == LT_THREAD_LIVE &&
				     same_group(&ts->t[j], g->members[0]);
			g->series[k] = c;
		}
		int running = 0;
		for (uint32_t k = 0; k < g->count; k++)
			running |= g->members[k]->state == 'R';
		g->leak = !running && count_keeps_rising(g->series, n);
	}
}

/* Whether a frame is the C library's (or the loader's): where a thread
 * waits is told by the first frame that is not. */
static int is_libc(const struct frame_sym *fs)
{
	if (!fs || !*fs->module)
		return 0;
	const char *base = strrchr(fs->module, '/');
	base = base ? base + 1 : fs->module;
	return !strncmp(base, "libc.so", 7) || !strncmp(base, "libc-", 5) ||
	       !strncmp(base, "libpthread", 10) || !strncmp(base, "ld-linux", 8);
}

const char *thread_where(const struct profile *p, uint32_t stack, char *buf, size_t n)
{
	const struct prof_stack *stk = stack == LT_STACK_NONE ? NULL : profile_stack(p, stack);
	char a[64], b[64];
	if (!stk || !stk->depth) {
		snprintf(buf, n, "?");
		return buf;
	}
	uint32_t k = 0;
	while (k < stk->depth && is_libc(profile_sym(p, stk->frames[k])))
		k++;
	if (k == stk->depth) /* all libc: name the outermost libc call */
		k = stk->depth - 1;
	if (k == 0)
		snprintf(buf, n, "in %s", report_frame_name(p, stk->frames[0], a, sizeof a));
	else
		snprintf(buf, n, "in %s <- %s",
		         report_frame_name(p, stk->frames[k - 1], a, sizeof a),
		         report_frame_name(p, stk->frames[k], b, sizeof b));
	return buf;
}

const char *thread_creator_name(const struct profile *p, uint32_t stack, char *buf, size_t n)
{
	const struct prof_stack *stk = stack == LT_STACK_NONE ? NULL : profile_stack(p, stack);
	if (!stk || !stk->depth) {
		snprintf(buf, n, "%s", stack == LT_STACK_NONE ? "[not seen created]" : "?");
		return buf;
	}
	const char *name = report_frame_name(p, stk->frames[0], buf, n);
	if (name != buf)
		snprintf(buf, n, "%s", name);
	return buf;
}

const char *thread_state_name(char state)
{
	switch (state) {
	case 'R': return "running";
	case 'S': return "sleeping";
	case 'D': return "disk wait";
	case 'T': return "stopped";
	case 't': return "traced";
	case 'Z': return "zombie";
	case 'X': return "ended";
	case '*': return "mixed";
	default: return "unknown";
	}
}

const char *thread_wait_name(uint8_t wait)
{
	switch (wait) {
	case LT_WAIT_OK: return "ok";
	case LT_WAIT_BLOCKED: return "unknown: blocks signals";
	case LT_WAIT_TIMEOUT: return "unknown: no answer (in the kernel?)";
	case LT_WAIT_BUSY: return "unknown: inside leaktop";
	case LT_WAIT_OFF: return "unknown: capture off";
	case LT_WAIT_NOT_YET: return "unknown: not asked yet";
	case LT_WAIT_SYSCALL: return "in a system call a signal would cut short: not asked";
	default: return "unknown";
	}
}
