/* view_help.c - every key, in one screen. Any key that is not a view's
 * goes back. */
#include <curses.h>

#include "ui.h"

static const char *const help[][2] = {
	{ "Tab / Shift-Tab", "next / previous view" },
	{ "t  g  f  l", "top table, growth ranking, flame graph, program log (leaktop run)" },
	{ "flame: arrows or h j k l", "move to the caller, the biggest callee, left and right" },
	{ "flame: Enter  Esc  m", "zoom in, zoom out, live bytes or allocation counts" },
	{ "Enter", "the selected row's full stack and history (Esc back)" },
	{ "Up Down j k PgUp PgDn Home End", "move the selection" },
	{ "F6  <  >", "sort column (top table)" },
	{ "I", "invert the sort" },
	{ "/  n", "search function and file names, next match" },
	{ "F4  \\", "filter rows on function or module names (empty clears)" },
	{ "G", "group by function (top frame), full stack, or module" },
	{ "space", "pause / resume" },
	{ "+  -", "refresh faster / slower" },
	{ "b  B", "set a baseline (show the change since now) / clear it" },
	{ "F1  ?", "this help" },
	{ "q", "quit (leaktop run: ends the program: SIGTERM, SIGKILL after 2 s)" },
	{ "s", "save the history shown as a recording (asks for the file name)" },
	{ "d", "detach (leaktop run: the program runs on; leaktop attach PID later)" },
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
		mvprintw(y, 1, "%-32s", help[i][0]);
		attrset(theme_attr(ROLE_NORMAL));
		printw(" %.*s", COLS > 35 ? COLS - 35 : 0, help[i][1]);
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
