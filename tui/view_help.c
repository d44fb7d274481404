/* view_help.c - every key, in one screen. Any key that is not a view's
 * goes back. */
#include <curses.h>

#include "ui.h"

/* Fits 80x24: 19 lines either way, keys in 17 columns, what they do in
 * 61. A replay lists its timeline's keys in place of the live view's
 * pause, refresh and detach. */
#define KEY_COLS 17

static const struct {
	const char *key, *what;
	enum key_scope scope;
} help[] = {
	{ "Tab  Shift-Tab", "next / previous view", KEYS_ALWAYS },
	{ "a  g  f  t  l", "top table, growth ranking, flame graph, threads, the log",
	  KEYS_ALWAYS },
	{ "Up Down j k", "move the selection; PgUp PgDn Home End move further", KEYS_LIVE },
	{ "Up Down j k", "move the selection; PgUp PgDn move further", KEYS_REPLAY },
	{ "[  ]  Left Right", "step back / forward a snapshot (flame: [ ] only)", KEYS_REPLAY },
	{ "Home End  {  }", "jump to the first / last snapshot", KEYS_REPLAY },
	{ "p  space   ,  .", "play / pause; play slower / faster (halve, double)", KEYS_REPLAY },
	{ "Enter", "the selected row's full stack and its history (Esc: back)", KEYS_ALWAYS },
	{ "F6  <  >  I", "sort column of the top table; I inverts the sort", KEYS_ALWAYS },
	{ "/  n", "search function and file names; n: the next match", KEYS_ALWAYS },
	{ "F4  \\", "filter rows on function or module names (empty clears)", KEYS_ALWAYS },
	{ "G", "group by function (top frame), full stack, or module", KEYS_ALWAYS },
	{ "b  B", "baseline: show the change since now / clear it", KEYS_LIVE },
	{ "b  B", "baseline: show the change since this snapshot / clear it", KEYS_REPLAY },
	{ "space", "pause / resume", KEYS_LIVE },
	{ "+  -", "refresh faster / slower", KEYS_LIVE },
	{ "s", "save the history shown as a recording (asks for a name)", KEYS_ALWAYS },
	{ "q", "quit (in run: ends the program: TERM, then KILL after 2 s)", KEYS_ALWAYS },
	{ "d", "detach: the program runs on, for a later leaktop attach", KEYS_LIVE },
	{ "D", "a probe leaktop attach loaded: take its hooks out / put them back", KEYS_LIVE },
	{ "F1  ?", "this help; Esc or Enter goes back", KEYS_ALWAYS },
	{ "flame: h j k l", "or arrows: to the caller, biggest callee, left, right", KEYS_ALWAYS },
	{ "flame: Enter Esc", "zoom into the selected frame, zoom out (Backspace too)",
	  KEYS_ALWAYS },
	{ "flame: m  /", "live bytes or allocations per second; highlight matches", KEYS_ALWAYS },
	{ "threads: Enter", "show a group's threads and current stack (Esc folds it)",
	  KEYS_ALWAYS },
};

void view_help_draw(struct app *a)
{
	int y = ui_top() - 1;
	attrset(theme_attr(ROLE_TABLE_HEADER));
	mvhline(y, 0, ' ', COLS);
	mvprintw(y++, 0, "keys");
	attrset(theme_attr(ROLE_NORMAL));
	for (size_t i = 0; i < sizeof help / sizeof help[0] && y <= ui_bottom(); i++) {
		if (!ui_keys_apply(a, help[i].scope))
			continue;
		attrset(theme_attr(ROLE_FOOTER_KEY));
		mvprintw(y, 1, "%-*s", KEY_COLS, help[i].key);
		attrset(theme_attr(ROLE_NORMAL));
		printw(" %.*s", COLS > KEY_COLS + 2 ? COLS - KEY_COLS - 2 : 0, help[i].what);
		y++;
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
