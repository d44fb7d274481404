/* view_top.c - the top table: one row per allocation site, biggest first
 * (by the column F6, < and > pick; I inverts). */
#include "ui.h"

void view_top_draw(struct app *a)
{
	table_draw(a, 0);
}

int view_top_key(struct app *a, int ch)
{
	return ui_table_key(a, ch, ui_bottom() - ui_top());
}
