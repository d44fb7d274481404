/* view_flame.c - a terminal flame graph (an icicle: callers on top).
 *
 * The tree is built from the newest snapshot, and again only when a new
 * one comes: each stack, root frame first, adds its value along its path
 * of function names, so the same function under the same caller is one
 * box. A box's width is its
 * share of the zoomed root's value. Children sort largest first.
 *
 * Keys: arrows or h j k l move (up to the caller, down to the biggest
 * callee, left and right along the row), Enter zooms into the selected box,
 * Esc or Backspace zooms out, / highlights boxes whose name matches, m
 * switches between live bytes and the allocation rate (per second over
 * the last RATE_SNAPS snapshots). The selection and the
 * zoom are kept as paths of names, so they survive every rebuild. */
#define _GNU_SOURCE
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "ui.h"
#include "xalloc.h"

#define MAX_PATH 64

struct node {
	const char *name; /* points into the profile's symbols, or a static string */
	double value;
	int parent, child, next; /* indices; -1 = none */
	int x, w, depth;         /* layout */
};

static struct node *nodes;
static int nnodes, cap;
/* Copies, not pointers: the profile may start over (exec) under them. */
static char sel_path[MAX_PATH][160], zoom_path[MAX_PATH][160];
static int sel_len, zoom_len;
static int use_allocs;   /* m: allocation rate instead of live bytes */
static double rate_span; /* seconds the rate is measured over */

#define RATE_SNAPS 40 /* the rate: over the last 40 snapshots (10 s in the view) */

static void sort_children(int n);

static int new_node(const char *name, int parent)
{
	if (nnodes == cap) {
		cap = cap ? 2 * cap : 1024;
		nodes = xrealloc(nodes, (size_t)cap * sizeof *nodes);
	}
	nodes[nnodes] = (struct node){ .name = name, .parent = parent, .child = -1, .next = -1 };
	return nnodes++;
}

static int child_named(int parent, const char *name)
{
	for (int c = nodes[parent].child; c >= 0; c = nodes[c].next)
		if (!strcmp(nodes[c].name, name))
			return c;
	int n = new_node(name, parent);
	nodes[n].next = nodes[parent].child;
	nodes[parent].child = n;
	return n;
}

/* Function name of a frame, from the profile (stable storage). */
static const char *frame_name(const struct profile *p, uint64_t addr)
{
	const struct frame_sym *s = profile_sym(p, addr);
	if (s && *s->func)
		return s->func;
	if (s && *s->module)
		return s->module;
	return "??";
}

/* What the tree was built from: the tree is rebuilt (a walk of every
 * frame of every stack, 1M at 50,000 stacks) only when a snapshot came or
 * m switched the measure, not at every frame drawn (keys, zoom). */
static const struct profile *built_prof;
static uint64_t built_generation;
static int built_allocs = -1;

static void build(const struct app *a)
{
	const struct profile *p = a->prof;
	if (built_prof == p && built_generation == p->generation && built_allocs == use_allocs)
		return;
	built_prof = p;
	built_generation = p->generation;
	built_allocs = use_allocs;
	nnodes = 0;
	new_node("all", -1);
	if (!p->nsnaps)
		return;
	const struct snapshot *s = &p->snaps[p->nsnaps - 1];
	/* The allocation rate: allocations since a snapshot RATE_SNAPS back,
	 * over the time between; with one snapshot, since the start. */
	const struct snapshot *base =
	    p->nsnaps > 1 ? &p->snaps[p->nsnaps > RATE_SNAPS ? p->nsnaps - 1 - RATE_SNAPS : 0]
	                  : NULL;
	uint64_t from_ns = base ? base->time_ns : p->start_ns;
	rate_span = s->time_ns > from_ns ? (double)(s->time_ns - from_ns) / 1e9 : 0;
	for (uint32_t i = 0; i < s->n; i++) {
		const struct snap_entry *e = &s->e[i];
		double v = (double)e->c.live_bytes;
		if (use_allocs) {
			const struct snap_entry *b = base ? snapshot_find(base, e->id) : NULL;
			uint64_t before =
			    b && b->c.alloc_calls <= e->c.alloc_calls ? b->c.alloc_calls : 0;
			v = rate_span > 0 ? (double)(e->c.alloc_calls - before) / rate_span : 0;
		}
		if (v <= 0)
			continue;
		const struct prof_stack *st = profile_stack(p, e->id);
		int at = 0;
		nodes[0].value += v;
		if (!st || !st->depth) {
			at = child_named(at, e->id == LT_STACK_OVERFLOW
			                         ? "[stack table full]"
			                         : "[before leaktop started]");
			nodes[at].value += v;
			continue;
		}
		for (uint32_t d = st->depth; d-- > 0;) {
			at = child_named(at, frame_name(p, st->frames[d]));
			nodes[at].value += v;
		}
	}
	sort_children(0);
}

/* Sorts each node's children, largest first (insertion sort on the list). */
static void sort_children(int n)
{
	int sorted = -1;
	for (int c = nodes[n].child; c >= 0;) {
		int next = nodes[c].next;
		int *link = &sorted;
		while (*link >= 0 && nodes[*link].value >= nodes[c].value)
			link = &nodes[*link].next;
		nodes[c].next = *link;
		*link = c;
		c = next;
	}
	nodes[n].child = sorted;
	for (int c = sorted; c >= 0; c = nodes[c].next)
		sort_children(c);
}

static int follow(char (*path)[160], int len)
{
	int at = 0;
	for (int i = 0; i < len; i++) {
		int found = -1;
		for (int c = nodes[at].child; c >= 0; c = nodes[c].next)
			if (!strcmp(nodes[c].name, path[i]))
				found = c;
		if (found < 0)
			return at;
		at = found;
	}
	return at;
}

static int path_of(int n, char (*path)[160])
{
	int len = 0, stack[MAX_PATH];
	for (; n > 0 && len < MAX_PATH; n = nodes[n].parent)
		stack[len++] = n;
	for (int i = 0; i < len; i++)
		snprintf(path[i], sizeof path[i], "%s", nodes[stack[len - 1 - i]].name);
	return len;
}

static void layout(int n, int x, int w, int depth)
{
	nodes[n].x = x;
	nodes[n].w = w;
	nodes[n].depth = depth;
	double total = nodes[n].value;
	double acc = 0;
	for (int c = nodes[n].child; c >= 0; c = nodes[c].next) {
		int cx = x + (int)(acc / total * w + 0.5);
		acc += nodes[c].value;
		int cw = x + (int)(acc / total * w + 0.5) - cx;
		layout(c, cx, cw, depth + 1);
	}
}

static void draw_node(const struct app *a, int n, int sel, int top, int bottom, int depth0)
{
	int y = top + nodes[n].depth - depth0;
	if (y > bottom || nodes[n].w <= 0)
		return;
	int match = a->search[0] && strcasestr(nodes[n].name, a->search);
	enum role r = n == sel ? ROLE_SELECTED
	              : match  ? ROLE_MATCH
	                      : (enum role)(ROLE_FLAME_A + (nodes[n].depth + (nodes[n].x & 1)) % 3);
	attrset(theme_attr(r));
	mvhline(y, nodes[n].x, ' ', nodes[n].w);
	if (nodes[n].w >= 3)
		mvprintw(y, nodes[n].x, "%.*s", nodes[n].w - 1, nodes[n].name);
	for (int c = nodes[n].child; c >= 0; c = nodes[c].next)
		draw_node(a, c, sel, top, bottom, depth0);
}

void view_flame_draw(struct app *a)
{
	int top = ui_top(), bottom = ui_bottom() - 1;
	char b1[16];
	build(a);
	int zoom = follow(zoom_path, zoom_len);
	int sel = follow(sel_path, sel_len);
	/* The selection lives inside the zoomed subtree. */
	int inside = 0;
	for (int n = sel; n >= 0; n = nodes[n].parent)
		inside |= n == zoom;
	if (!inside)
		sel = zoom;
	/* Only the zoomed subtree is laid out; boxes outside it have no width. */
	for (int i = 0; i < nnodes; i++)
		nodes[i].w = nodes[i].x = nodes[i].depth = 0;
	layout(zoom, 0, COLS, 0);
	int zd = zoom > 0;

	attrset(theme_attr(ROLE_TABLE_HEADER));
	mvhline(top - 1, 0, ' ', COLS);
	ui_bytes(b1, sizeof b1, nodes[sel].value);
	if (use_allocs)
		snprintf(b1, sizeof b1, "%.0f/s", nodes[sel].value);
	mvprintw(top - 1, 0, "flame of %s%s  selected: %.40s  %s (%.1f%%)",
	         use_allocs ? "allocations/s" : "live bytes", zd ? "  [zoomed]" : "",
	         nodes[sel].name, b1,
	         nodes[zoom].value > 0 ? 100.0 * nodes[sel].value / nodes[zoom].value : 0);
	if (use_allocs)
		printw("  over %.0fs", rate_span);
	if (nodes[zoom].value <= 0) {
		attrset(theme_attr(ROLE_NORMAL));
		mvprintw(top + 1, 2, "nothing to show yet");
		return;
	}
	draw_node(a, zoom, sel, top, bottom, 0);
	attrset(theme_attr(ROLE_DIM));
	mvprintw(ui_bottom(), 0, "Enter zoom  Esc out  arrows/hjkl move  / highlight  m %s",
	         use_allocs ? "live bytes" : "allocation rate");
	attrset(theme_attr(ROLE_NORMAL));
	sel_len = path_of(sel, sel_path);
	zoom_len = path_of(zoom, zoom_path);
}

/* The box on the same row as n whose span is left or right of n's. */
static int beside(int n, int dir)
{
	int best = -1;
	for (int i = 0; i < nnodes; i++) {
		if (nodes[i].depth != nodes[n].depth || nodes[i].w <= 0 || i == n)
			continue;
		if (dir < 0 && nodes[i].x < nodes[n].x && (best < 0 || nodes[i].x > nodes[best].x))
			best = i;
		if (dir > 0 && nodes[i].x > nodes[n].x && (best < 0 || nodes[i].x < nodes[best].x))
			best = i;
	}
	return best < 0 ? n : best;
}

int view_flame_key(struct app *a, int ch)
{
	if (!nnodes)
		return 0;
	int sel = follow(sel_path, sel_len), zoom = follow(zoom_path, zoom_len);
	switch (ch) {
	case KEY_UP:
	case 'k':
		if (sel != zoom)
			sel = nodes[sel].parent;
		break;
	case KEY_DOWN:
	case 'j':
		if (nodes[sel].child >= 0)
			sel = nodes[sel].child;
		break;
	case KEY_LEFT:
	case 'h': sel = beside(sel, -1); break;
	case KEY_RIGHT:
	case 'l': sel = beside(sel, 1); break;
	case '\n':
	case KEY_ENTER: zoom = sel; break;
	case 27:
	case KEY_BACKSPACE:
	case 127:
		if (zoom > 0)
			zoom = nodes[zoom].parent;
		break;
	case 'm': use_allocs = !use_allocs; return 1;
	case '/': ui_prompt(a, "highlight: ", a->search, sizeof a->search); return 1;
	default: return 0;
	}
	sel_len = path_of(sel, sel_path);
	zoom_len = path_of(zoom, zoom_path);
	return 1;
}
