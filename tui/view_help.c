/* view_help.c - every key, in one screen. Any key that is not a view's
 * goes back. */
#include <curses.h>

#include "ui.h"

/* Fits 80x24: 19 lines, keys in 17 columns, what they do in 61. */
#define KEY_COLS 17

static const char *const help[][2] = {
	{ "Tab  Shift-Tab", "next / previous view" },
	{ "a  g  f  t  l", "top table, growth ranking, flame graph, threads, the log" },
	{ "Up Down j k", "move the selection; PgUp PgDn Home End move further" },
	{ "Enter", "the selected row's full stack and its history (Esc: back)" },
	{ "F6  <  >  I", "sort column of the top table; I inverts the sort" },
	{ "/  n", "search function and file names; n: the next match" },
	{ "F4  \\", "filter rows on function or module names (empty clears)" },
	{ "G", "group by function (top frame), full stack, or module" },
	{ "b  B", "baseline: show the change since now / clear it" },
	{ "space", "pause / resume" },
	{ "+  -", "refresh faster / slower" },
	{ "s", "save the history shown as a recording (asks for a name)" },
	{ "q", "quit (in run: ends the program: TERM, then KILL after 2 s)" },
	{ "d", "detach: the program runs on, for a later leaktop attach" },
	{ "F1  ?", "this help; Esc or Enter goes back" },
	{ "flame: h j k l", "or arrows: to the caller, biggest callee, left, right" },
	{ "flame: Enter Esc", "zoom into the selected frame, zoom out (Backspace too)" },
	{ "flame: m  /", "live bytes or allocations per second; highlight matches" },
	{ "threads: Enter", "show a group's threads and current stack (Esc folds it)" },
};

void view_help_draw(struct app *a)
{
	int y = ui_top() - 1;
	(void)a;
	attrset(theme_attr(ROLE_TABLE_HEADER));
	mvhline(y, 0, ' ', COLS);
	mvprintw(y++, 0, "keys");
	attrset(theme_attr(ROLE_NORMAL));
	for (size_t i = 0; i < sizeof help / sizeof help[0] && y <= ui_bottom(); i++, y++) {
		attrset(theme_attr(ROLE_FOOTER_KEY));
		mvprintw(y, 1, "%-*s", KEY_COLS, help[i][0]);
		attrset(theme_attr(ROLE_NORMAL));
		printw(" %.*s", COLS > KEY_COLS + 2 ? COLS - KEY_COLS - 2 : 0, help[i][1]);
	}
}

int view_help_key(struct app *a, int ch)
{
	if (ch == 27 || ch == KEY_F(1) || ch == '?' || ch == '\n') {
		a->view = a->back;
		return 1;
	}
	return 0;
}
