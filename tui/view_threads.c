/* view_threads.c - the threads, grouped as pprof groups goroutines.
 *
 * One row a group of live threads that share a creation stack and a
 * current stack: how many, their state (htop's letter: R running, S
 * sleeping, D disk wait, T stopped; * when they differ), the live bytes
 * they allocated, a sparkline of the count over the
 * last 60 thread snapshots (one a second), the verdict (a thread leak is a
 * group whose count keeps rising while its members stay blocked), where
 * they wait and where they were created. Enter expands the selected group:
 * its members (tid, name, state, age, wait channel), then its current
 * stack. The groups are rebuilt at each draw from the newest thread
 * snapshot; a few thousand threads at most, so that costs little. */
#define _GNU_SOURCE
#include <curses.h>
#include <string.h>

#include "report.h"
#include "threads.h"
#include "ui.h"

#define TREND_WINDOW 60
#define SPARK_W      10
#define COL_TREND    17 /* after count, state (htop's letter) and live bytes */

/* Whether group g is the one the user expanded (keys survive a rebuild). */
static int is_open(const struct app *a, const struct thread_group *g)
{
	return a->thread_open && g->create_stack == a->thread_open_create &&
	       g->wait_stack == a->thread_open_wait && g->wait == a->thread_open_why;
}

static void draw_members(struct app *a, const struct thread_group *g, int *y, int bottom,
                         uint64_t now_ns)
{
	char where[160];
	attrset(theme_attr(ROLE_DIM));
	for (uint32_t k = 0; k < g->count && *y <= bottom; k++, (*y)++) {
		const struct lt_thread *t = g->members[k];
		uint64_t age = now_ns > t->start_ns ? (now_ns - t->start_ns) / 1000000000ull : 0;
		mvhline(*y, 0, ' ', COLS);
		char live[16];
		ui_bytes(live, sizeof live, (double)t->live_bytes);
		mvprintw(*y, 4, "%7d  %-15s %-9s %6s %4llu:%02llu  %.*s", t->tid, t->name,
		         thread_state_name(t->state), live, (unsigned long long)(age / 60),
		         (unsigned long long)(age % 60), COLS > 59 ? COLS - 59 : 0, t->wchan);
	}
	const struct prof_stack *stk =
	    g->wait_stack == LT_STACK_NONE ? NULL : profile_stack(a->prof, g->wait_stack);
	for (uint32_t d = 0; stk && d < stk->depth && *y <= bottom; d++, (*y)++) {
		const struct frame_sym *fs = profile_sym(a->prof, stk->frames[d]);
		mvhline(*y, 0, ' ', COLS);
		mvprintw(*y, 4, "%s %.*s", d ? "  " : "at", COLS > 8 ? COLS - 8 : 0,
		         report_frame_name(a->prof, stk->frames[d], where, sizeof where));
		if (fs && *fs->file)
			printw("  %s:%u", fs->file, fs->line);
	}
	attrset(theme_attr(ROLE_NORMAL));
}

void view_threads_draw(struct app *a)
{
	int top = ui_top(), bottom = ui_bottom();
	struct thread_groups tg;
	const struct thread_snap *ts =
	    a->prof->ntsnaps ? &a->prof->tsnaps[a->prof->ntsnaps - 1] : NULL;

	thread_groups_build(&tg, ts);
	if (ts)
		thread_groups_trend(&tg, a->prof, a->prof->ntsnaps - 1, TREND_WINDOW);
	attrset(theme_attr(ROLE_TABLE_HEADER));
	mvhline(top - 1, 0, ' ', COLS);
	mvprintw(top - 1, 0, "%7s %s %6s %-*s %-7s %s", "THREADS", "S", "LIVE", SPARK_W, "TREND",
	         "VERDICT", "WHERE < CREATED AT");
	attrset(theme_attr(ROLE_NORMAL));
	if (!ts) {
		mvprintw(top + 1, 2, "waiting for the first thread snapshot...");
		return;
	}
	if (a->tsel >= (int)tg.n)
		a->tsel = tg.n ? (int)tg.n - 1 : 0;
	if (a->tsel < 0)
		a->tsel = 0;
	/* Keep the selection on screen: the open group's lines count too. */
	if (a->tsel < a->tscroll)
		a->tscroll = a->tsel;
	if (a->tsel > a->tscroll + (bottom - top))
		a->tscroll = a->tsel - (bottom - top);

	char where[160], made[96];
	int y = top;
	for (uint32_t i = (uint32_t)a->tscroll; i < tg.n && y <= bottom; i++, y++) {
		const struct thread_group *g = &tg.g[i];
		int sel = (int)i == a->tsel;
		enum role role = sel ? ROLE_SELECTED : ROLE_NORMAL;
		attrset(theme_attr(role));
		mvhline(y, 0, ' ', COLS);
		char live[16];
		ui_bytes(live, sizeof live, (double)g->live_bytes);
		mvprintw(y, 0, "%7u %c %6s ", g->count, g->state, live);
		if (!sel)
			attrset(theme_attr(ROLE_SPARK));
		/* The whole window in SPARK_W columns, each its bin's highest. */
		double col[SPARK_W];
		int ncol = g->nseries < SPARK_W ? (int)g->nseries : SPARK_W;
		for (int c = 0; c < ncol; c++) {
			uint32_t from = (uint32_t)c * g->nseries / (uint32_t)ncol,
			         to = (uint32_t)(c + 1) * g->nseries / (uint32_t)ncol;
			col[c] = g->series[from];
			for (uint32_t k = from + 1; k < to; k++)
				col[c] = g->series[k] > col[c] ? g->series[k] : col[c];
		}
		ui_spark(y, COL_TREND, col, ncol, SPARK_W, a->utf8);
		attrset(theme_attr(sel ? role : g->leak ? ROLE_LEAK : ROLE_STABLE));
		mvprintw(y, COL_TREND + SPARK_W + 1, "%-7s ", g->leak ? "leak" : "");
		attrset(theme_attr(role));
		int x = COL_TREND + SPARK_W + 9, room = COLS - x;
		if (room > 0) {
			const char *w =
			    g->wait_stack == LT_STACK_NONE
			        ? thread_wait_name(g->wait)
			        : thread_where(a->prof, g->wait_stack, where, sizeof where);
			mvprintw(y, x, "%.*s", room, w);
			int used = (int)strlen(w);
			if (!sel)
				attrset(theme_attr(ROLE_DIM));
			if (used + 3 < room)
				printw(" < %.*s", room - used - 3,
				       thread_creator_name(a->prof, g->create_stack, made,
				                           sizeof made));
		}
		if (is_open(a, g)) {
			y++;
			draw_members(a, g, &y, bottom, ts->time_ns);
			y--;
		}
	}
	attrset(theme_attr(ROLE_DIM));
	if (y <= bottom)
		mvprintw(bottom, 0, "%u live, %llu ended, %llu created since start%s", tg.live,
		         (unsigned long long)ts->ended, (unsigned long long)ts->created,
		         tg.n ? "; Enter shows a group's threads and stack" : "");
	attrset(theme_attr(ROLE_NORMAL));
	/* What Enter opens: remembered by key, not by row. */
	if (tg.n) {
		const struct thread_group *g = &tg.g[a->tsel];
		a->thread_sel_create = g->create_stack;
		a->thread_sel_wait = g->wait_stack;
		a->thread_sel_why = g->wait;
	}
	a->thread_groups = tg.n;
	thread_groups_free(&tg);
}

int view_threads_key(struct app *a, int ch)
{
	switch (ch) {
	case KEY_UP:
	case 'k': a->tsel--; return 1;
	case KEY_DOWN:
	case 'j': a->tsel++; return 1;
	case KEY_PPAGE: a->tsel -= ui_bottom() - ui_top(); return 1;
	case KEY_NPAGE: a->tsel += ui_bottom() - ui_top(); return 1;
	case KEY_HOME: a->tsel = 0; return 1;
	case KEY_END: a->tsel = a->thread_groups ? (int)a->thread_groups - 1 : 0; return 1;
	case '\n':
	case KEY_ENTER:
		if (a->thread_open && a->thread_open_create == a->thread_sel_create &&
		    a->thread_open_wait == a->thread_sel_wait &&
		    a->thread_open_why == a->thread_sel_why) {
			a->thread_open = 0;
		} else {
			a->thread_open = 1;
			a->thread_open_create = a->thread_sel_create;
			a->thread_open_wait = a->thread_sel_wait;
			a->thread_open_why = a->thread_sel_why;
		}
		return 1;
	case 27: a->thread_open = 0; return 1;
	default: return 0;
	}
}
