/* ui.h - the viewer: one state, one input loop, one view at a time.
 *
 * Ownership: struct app is the viewer's whole state, owned by ui.c for the
 * life of a `leaktop run`, `attach` or `replay`. Each view is one file with
 * the same face: view_X_draw(app) paints the area between the header and
 * the footer, view_X_key(app, ch) returns 1 when it used the key. ui.c
 * dispatches on app->view, draws the header and footer, polls the source
 * (or, in a replay, moves the timeline) and handles the keys every view
 * shares. Views read only app->prof: the live history, or in a replay the
 * recording cut at the timeline's cursor, so they need not know which. */
#ifndef LEAKTOP_UI_H
#define LEAKTOP_UI_H

#include <stdint.h>
#include <sys/types.h>

#include "rows.h"
#include "shared/profile.h"
#include "source.h"
#include "theme.h"
#include "timeline.h"

enum view_id {
	VIEW_TOP,
	VIEW_GROWTH,
	VIEW_FLAME,
	VIEW_THREADS,
	VIEW_LOG,
	VIEW_DETAIL,
	VIEW_HELP,
	VIEW_COUNT
};

struct app {
	struct profile *prof; /* the history the views show */
	struct timeline *tl;  /* `replay`: the cursor, prof is its window; NULL when live */
	struct source src;
	int attached;    /* the source is open */
	int probe_state; /* enum lt_attach_state of the probe (attach.c); -1 when unknown */
	pid_t pid;       /* the process watched */
	pid_t child;     /* `run`: the program we started, else 0 */
	int child_done;  /* it was reaped; status in child_status */
	int child_status;
	const char *log_path; /* `run`: where the program's output goes */
	char gone[320];       /* why the segment can no longer be read, or "" */
	char note[160];       /* a warning that changes nothing else, or "" */
	char blind[320];      /* why the probe cannot see allocations (blind.h), or "" */

	enum view_id view, back; /* back: where Esc returns from detail/help */
	int paused;
	int dirty; /* snapshots arrived since the rows were built */
	unsigned refresh_ms;
	int quit, detach;

	enum group_mode group;
	enum row_col sort;
	int invert;
	char filter[128]; /* F4: rows must contain it */
	char search[128]; /* /: highlight and jump */
	struct rows rows;
	int selected, scroll;
	uint32_t detail_stack;

	/* The threads view: its selection, and the group Enter opened, both
	 * by key (creation stack, current stack, why unknown), since groups
	 * are rebuilt at every draw. */
	int tsel, tscroll;
	uint32_t thread_groups;
	int thread_open;
	uint32_t thread_open_create, thread_open_wait, thread_sel_create, thread_sel_wait;
	uint8_t thread_open_why, thread_sel_why;

	int has_base;
	struct snapshot base; /* `b` or `replay --base`: the baseline (entries owned) */
	char base_label[160]; /* what it is, for the header; "" for `b` live (since now) */

	struct theme theme;       /* chosen before the terminal is taken */
	uint64_t rss_kb, threads; /* from /proc, each refresh */
	int utf8;
	char msg[160]; /* one-line status, shown in the footer */
};

/* Which screens list a key (the footer, the help): live and replay keys
 * differ a little. */
enum key_scope { KEYS_ALWAYS, KEYS_LIVE, KEYS_REPLAY };

/* Whether keys of this scope apply to the viewer as it runs. */
int ui_keys_apply(const struct app *a, enum key_scope scope);

/* Runs the viewer until q or d. Returns the exit status for the command. */
int ui_run(struct app *a);

/* Helpers the views share. */
int ui_top(void);                                 /* first line of the view area */
int ui_bottom(void);                              /* last line of the view area */
void ui_bytes(char *buf, size_t n, double bytes); /* "1.2M", "340K", "12B", signed */
void ui_spark(int y, int x, const double *v, int n, int width, int utf8);
void ui_rebuild_rows(struct app *a);
/* Moves the selection of a table view (arrows, j/k, pages, Home/End),
 * sorts (F6, <, >, I), searches (/, n) and opens the detail (Enter).
 * Returns 1 when it used ch. */
int ui_table_key(struct app *a, int ch, int rows_shown);

/* Reads a line at the bottom of the screen into buf; 0, or -1 on Esc. */
int ui_prompt(struct app *a, const char *label, char *buf, size_t n);

/* The table of the top and growth views (table.c). */
void table_draw(struct app *a, int with_verdict);

void view_top_draw(struct app *a);
int view_top_key(struct app *a, int ch);
void view_growth_draw(struct app *a);
int view_growth_key(struct app *a, int ch);
void view_flame_draw(struct app *a);
int view_flame_key(struct app *a, int ch);
void view_threads_draw(struct app *a);
int view_threads_key(struct app *a, int ch);
void view_log_draw(struct app *a);
int view_log_key(struct app *a, int ch);
void view_detail_draw(struct app *a);
int view_detail_key(struct app *a, int ch);
void view_help_draw(struct app *a);
int view_help_key(struct app *a, int ch);

#endif
