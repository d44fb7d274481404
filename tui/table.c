/* table.c - the table the top and growth views share.
 *
 * Columns: live bytes, live blocks, growth (bytes/s, robust fit over the
 * last 40 snapshots), allocations/s, total allocated, a sparkline of the
 * row's live bytes, and the site (function and file:line, or the module).
 * The growth view puts the verdict in front. The sort column is
 * highlighted; search matches are shown in the match role. */
#define _GNU_SOURCE
#include <curses.h>
#include <string.h>

#include "ui.h"

#define SPARK_W 10

/* The growth view's numbers: live bytes, growth and the troughs' growth. */
static void growth_cells(const struct row *r)
{
	char b1[16], b2[16], b3[16];
	ui_bytes(b1, sizeof b1, (double)(int64_t)r->c.live_bytes);
	ui_bytes(b2, sizeof b2, r->g.bytes_per_s);
	ui_bytes(b3, sizeof b3, r->g.trough_bytes_per_s);
	printw("%8s %8s %9s ", b1, b2, b3);
}

/* The top view's: live bytes and blocks, growth, allocations/s, total. */
static void top_cells(const struct row *r)
{
	char b1[16], b2[16], b3[16], b4[16];
	ui_bytes(b1, sizeof b1, (double)(int64_t)r->c.live_bytes);
	ui_bytes(b2, sizeof b2, r->g.bytes_per_s);
	ui_bytes(b3, sizeof b3, (double)r->c.alloc_bytes);
	snprintf(b4, sizeof b4, "%.0f", r->allocs_per_s);
	printw("%8s %8lld %8s %8s %8s ", b1, (long long)(int64_t)r->c.live_blocks, b2, b4, b3);
}

static enum role verdict_role(enum verdict v)
{
	switch (v) {
	case VERDICT_LEAK: return ROLE_LEAK;
	case VERDICT_CACHE: return ROLE_CACHE;
	case VERDICT_SHRINKING: return ROLE_SHRINKING;
	default: return ROLE_STABLE;
	}
}

void table_draw(struct app *a, int with_verdict)
{
	int top = ui_top(), bottom = ui_bottom(), shown = bottom - top;

	attrset(theme_attr(ROLE_TABLE_HEADER));
	mvhline(top - 1, 0, ' ', COLS);
	move(top - 1, 0);
	if (with_verdict) {
		printw("%-9s %8s %8s %9s ", "VERDICT", "LIVE", "GROWTH/s", "TROUGHS/s");
	} else {
		for (int c = 0; c < COL_COUNT; c++) {
			int sorted = c == (int)a->sort;
			if (sorted)
				attrset(theme_attr(ROLE_SORT_COLUMN));
			printw("%8s ", rows_col_name((enum row_col)c));
			if (sorted)
				attrset(theme_attr(ROLE_TABLE_HEADER));
		}
	}
	printw("%-*s %s", SPARK_W, "TREND", a->group == GROUP_MODULE ? "MODULE" : "SITE");
	attrset(theme_attr(ROLE_NORMAL));

	if (!a->rows.n) {
		mvprintw(top + 1, 2, "%s",
		         a->prof->nsnaps ? "no allocation site matches"
		                         : "waiting for a snapshot...");
		return;
	}
	for (int i = 0; i < shown && a->scroll + i < (int)a->rows.n; i++) {
		const struct row *r = rows_get(&a->rows, (size_t)(a->scroll + i));
		int y = top + i, sel = a->scroll + i == a->selected;
		enum role role = sel ? ROLE_SELECTED : ROLE_NORMAL;
		attrset(theme_attr(role));
		mvhline(y, 0, ' ', COLS);
		move(y, 0);
		if (with_verdict) {
			if (!sel)
				attrset(theme_attr(verdict_role(r->g.verdict)));
			printw("%-9s ", growth_verdict_name(r->g.verdict));
			attrset(theme_attr(role));
			growth_cells(r);
		} else {
			top_cells(r);
		}
		int x = getcurx(stdscr);
		if (!sel)
			attrset(theme_attr(ROLE_SPARK));
		ui_spark(y, x, r->spark, r->nspark, SPARK_W, a->utf8);
		attrset(theme_attr(role));
		int room = COLS - x - SPARK_W - 1;
		if (room > 0) {
			int match = a->search[0] && (strcasestr(r->label, a->search) ||
			                             strcasestr(r->where, a->search));
			if (match && !sel)
				attrset(theme_attr(ROLE_MATCH));
			mvprintw(y, x + SPARK_W + 1, "%.*s", room, r->label);
			if (!sel)
				attrset(theme_attr(ROLE_DIM));
			int used = (int)strlen(r->label);
			if (used + 2 < room && r->where[0])
				printw("  %.*s", room - used - 2, r->where);
		}
	}
	attrset(theme_attr(ROLE_NORMAL));
}
