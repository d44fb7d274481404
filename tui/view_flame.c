/* view_flame.c - a terminal flame graph (an icicle: callers on top).
 *
 * The tree is built from the newest snapshot, and again only when a new
 * one comes: each stack, root frame first, adds its value along its path
 * of function names, so the same function under the same caller is one
 * box. A box's width is its share of the zoomed root's value. Children
 * sort largest first; among equal values, the one whose first stack (by
 * id) came later goes first.
 *
 * Every path ever seen is kept as a trie of names, and each stack's leaf
 * in it, so a rebuild adds each stack's value at its leaf, then each box
 * into its parent (no name compared, no symbol looked up); only the boxes
 * a rebuild reaches are linked as children, in the order a fresh build
 * would have made them. Children are sorted, and boxes laid out,
 * only where the view needs them: the rest have no width.
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
	int parent, child, next; /* this build's boxes, indices; -1 = none */
	int tchild, tnext;       /* the trie of every path seen */
	uint64_t built;          /* the build that reached it last */
	uint64_t child_built;    /* the build that linked a child under it last */
	int sorted;              /* its children are in order (this build) */
	uint64_t on_way;         /* the last layout found it above the selection */
	int x, w, depth;         /* layout */
};

static struct node *nodes;
static int nnodes, cap;
static uint32_t *leaf; /* per stack id: its trie leaf + 1, 0 = not placed */
static size_t leaf_cap;
/* Copies, not pointers: the profile may start over (exec) under them. */
static char sel_path[MAX_PATH][160], zoom_path[MAX_PATH][160];
static int sel_len, zoom_len;
static int use_allocs;   /* m: allocation rate instead of live bytes */
static double rate_span; /* seconds the rate is measured over */

#define RATE_SNAPS 40 /* the rate: over the last 40 snapshots (10 s in the view) */

static int new_node(const char *name, int parent)
{
	if (nnodes == cap) {
		cap = cap ? 2 * cap : 1024;
		nodes = xrealloc(nodes, (size_t)cap * sizeof *nodes);
	}
	nodes[nnodes] = (struct node){
		.name = name, .parent = parent, .child = -1, .next = -1, .tchild = -1, .tnext = -1
	};
	return nnodes++;
}

/* The trie child of parent with this name, made when new. */
static int child_named(int parent, const char *name)
{
	for (int c = nodes[parent].tchild; c >= 0; c = nodes[c].tnext)
		if (!strcmp(nodes[c].name, name))
			return c;
	int n = new_node(name, parent);
	nodes[n].tnext = nodes[parent].tchild;
	nodes[parent].tchild = n;
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

/* The trie leaf of stack id: its path of names from the root, placed in
 * the trie the first time the stack is seen. */
static int leaf_of(const struct profile *p, uint32_t id)
{
	const struct prof_stack *st = profile_stack(p, id);
	if (!st || !st->depth)
		return child_named(0, id == LT_STACK_OVERFLOW ? "[stack table full]"
		                                              : "[before leaktop started]");
	if (id < leaf_cap && leaf[id])
		return (int)leaf[id] - 1;
	int at = 0;
	for (uint32_t d = st->depth; d-- > 0;)
		at = child_named(at, frame_name(p, st->frames[d]));
	if (id >= leaf_cap) {
		size_t c = leaf_cap ? leaf_cap : 1024;
		while (c <= id)
			c *= 2;
		leaf = xrealloc(leaf, c * sizeof *leaf);
		memset(leaf + leaf_cap, 0, (c - leaf_cap) * sizeof *leaf);
		leaf_cap = c;
	}
	leaf[id] = (uint32_t)at + 1;
	return at;
}

/* What the tree was built from: the tree is rebuilt (a pass over the
 * stacks and one over the trie's 130,000 boxes at 50,000 stacks) only when a snapshot came or
 * m switched the measure, not at every frame drawn (keys, zoom). The trie
 * lasts as long as the profile's stacks (until it starts over). */
static const struct profile *built_prof;
static uint64_t built_generation, built_resets, build_count;
static int built_allocs = -1;

/* Reaches n and the boxes above it that this build had not reached yet,
 * stopping at the first one it had: each starts from nothing and is linked
 * under its parent, before the siblings reached earlier, as a fresh build
 * adding stacks in id order would have linked it. */
static void reach(int n)
{
	for (; n >= 0 && nodes[n].built != build_count; n = nodes[n].parent) {
		struct node *x = &nodes[n];
		if (x->child_built != build_count)
			x->child = -1; /* no child reached before it */
		x->built = build_count;
		x->value = 0;
		x->sorted = 0;
		struct node *up = &nodes[x->parent]; /* the root is reached first */
		if (up->child_built != build_count) {
			up->child = -1;
			up->child_built = build_count;
		}
		x->next = up->child;
		up->child = n;
	}
}

static void build(const struct app *a)
{
	const struct profile *p = a->prof;
	if (built_prof == p && built_generation == p->generation && built_allocs == use_allocs)
		return;
	if (built_prof != p || built_resets != p->resets) {
		nnodes = 0; /* other stacks: a new trie */
		if (leaf)
			memset(leaf, 0, leaf_cap * sizeof *leaf);
		new_node("all", -1);
	}
	built_prof = p;
	built_generation = p->generation;
	built_resets = p->resets;
	built_allocs = use_allocs;
	build_count++;
	nodes[0].built = nodes[0].child_built = build_count;
	nodes[0].value = 0;
	nodes[0].child = -1;
	nodes[0].sorted = 0;
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
		int n = leaf_of(p, e->id);
		reach(n);
		if (use_allocs) {
			/* Rates are not whole numbers: added stack by stack, as
			 * a fresh build would, so the sums are the same to the
			 * last bit. */
			for (; n >= 0; n = nodes[n].parent)
				nodes[n].value += v;
		} else {
			nodes[n].value += v;
		}
	}
	/* Live bytes are whole numbers (exact in a double below 2^53), so
	 * adding each box into its parent once, children first (a child's
	 * index is above its parent's), gives the same sums as adding every
	 * stack along its path: 130,000 additions, not 1M. */
	if (!use_allocs)
		for (int n = nnodes - 1; n > 0; n--)
			if (nodes[n].built == build_count)
				nodes[nodes[n].parent].value += nodes[n].value;
}

/* Puts n's children in order, largest first (insertion sort on the list,
 * which keeps equal ones as they were linked), once a build. */
static void sort_children(int n)
{
	if (nodes[n].sorted)
		return;
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
	nodes[n].sorted = 1;
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

static uint64_t layout_count; /* layouts made; marks the way to the selection */

static void layout(int n, int x, int w, int depth)
{
	nodes[n].x = x;
	nodes[n].w = w;
	nodes[n].depth = depth;
	if (w <= 0) {
		/* Under a box with no width, every box has none either, at its
		 * x: only the way down to the selection matters (h and l move
		 * from it), and thousands of tiny stacks cost nothing. */
		for (int c = nodes[n].child; c >= 0; c = nodes[c].next)
			if (nodes[c].on_way == layout_count)
				layout(c, x, 0, depth + 1);
		return;
	}
	sort_children(n);
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
	layout_count++;
	for (int n = sel; n >= 0; n = nodes[n].parent)
		nodes[n].on_way = layout_count;
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
		sort_children(sel);
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
