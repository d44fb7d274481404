/* view_detail.c - one stack in full: its frames with file:line, its
 * counters, and its live bytes over the snapshots the viewer holds.
 * Esc, Backspace or Enter go back to the table it came from. */
#include <curses.h>
#include <stdlib.h>

#include "report.h"
#include "ui.h"
#include "xalloc.h"

void view_detail_draw(struct app *a)
{
	const struct profile *p = a->prof;
	const struct prof_stack *st = profile_stack(p, a->detail_stack);
	int y = ui_top() - 1, bottom = ui_bottom();
	char b1[16], b2[16], name[64];

	attrset(theme_attr(ROLE_TABLE_HEADER));
	mvhline(y, 0, ' ', COLS);
	mvprintw(y++, 0, "stack %u", a->detail_stack);
	attrset(theme_attr(ROLE_NORMAL));
	if (p->nsnaps) {
		const struct snapshot *s = &p->snaps[p->nsnaps - 1];
		const struct snap_entry *e = snapshot_find(s, a->detail_stack);
		if (e) {
			ui_bytes(b1, sizeof b1, (double)e->c.live_bytes);
			ui_bytes(b2, sizeof b2, (double)e->c.alloc_bytes);
			mvprintw(y++, 0,
			         "live %s in %llu blocks; %llu allocations (%s), %llu frees", b1,
			         (unsigned long long)e->c.live_blocks,
			         (unsigned long long)e->c.alloc_calls, b2,
			         (unsigned long long)e->c.free_calls);
		}
		/* Its history: live bytes in every snapshot held. */
		uint32_t n = p->nsnaps;
		double *v = xcalloc(n, sizeof *v);
		for (uint32_t i = 0; i < n; i++) {
			const struct snap_entry *h = snapshot_find(&p->snaps[i], a->detail_stack);
			v[i] = h ? (double)h->c.live_bytes : 0;
		}
		attrset(theme_attr(ROLE_SPARK));
		ui_spark(y++, 0, v, (int)n, COLS - 1, a->utf8);
		attrset(theme_attr(ROLE_NORMAL));
		free(v);
	}
	y++;
	if (!st || !st->depth) {
		mvprintw(y, 2, "%s",
		         a->detail_stack == LT_STACK_OVERFLOW ? "[stack table full]"
		                                              : "[before leaktop started]");
		return;
	}
	uint32_t top = rows_top_frame(p, st);
	for (uint32_t d = 0; d < st->depth && y <= bottom; d++, y++) {
		const struct frame_sym *fs = profile_sym(p, st->frames[d]);
		attrset(theme_attr(d < top    ? ROLE_DIM
		                   : d == top ? ROLE_HEADER_VALUE
		                              : ROLE_NORMAL));
		mvprintw(y, 0, "%3u %.*s", d, COLS - 5,
		         report_frame_name(p, st->frames[d], name, sizeof name));
		attrset(theme_attr(ROLE_DIM));
		if (fs && *fs->file)
			printw("  %s:%u", fs->file, fs->line);
		else if (fs && *fs->module)
			printw("  (%s)", fs->module);
	}
	attrset(theme_attr(ROLE_NORMAL));
}

int view_detail_key(struct app *a, int ch)
{
	if (ch == 27 || ch == KEY_BACKSPACE || ch == 127 || ch == '\n' || ch == KEY_ENTER) {
		a->view = a->back;
		return 1;
	}
	return 0;
}
