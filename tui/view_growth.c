/* view_growth.c - rows ranked by how likely they leak, verdict first.
 *
 * The ranking is growth.c's score over the last 40 snapshots: every leak
 * (rising troughs) above every cache, stable or shrinking row, whatever
 * their size, so a big stable block or a cache emptied every second never
 * hides a small steady leak. */
#include <curses.h>

#include "ui.h"

void view_growth_draw(struct app *a)
{
	table_draw(a, 1);
}

int view_growth_key(struct app *a, int ch)
{
	if (ch == KEY_F(6) || ch == '<' || ch == '>' || ch == 'I')
		return 1; /* always ranked by growth */
	return ui_table_key(a, ch, ui_bottom() - ui_top());
}
