/* ui.c - the viewer's loop: poll, draw, read a key, dispatch.
 *
 * One thread, one loop: getch() waits for a key until the next sample
 * (every SAMPLE_MS) or the next refresh is due, so keys are seen at once
 * and the program's exit and new snapshots within SAMPLE_MS.
 * Resizes arrive as KEY_RESIZE in the same loop (no signal-handler work).
 * The screen is drawn only when something on it may have changed: a key,
 * the program's state, or new snapshots at the refresh rate; an idle view
 * costs a poll of the segment every SAMPLE_MS and nothing more. Drawing
 * goes through curses' own diffing, so an unchanged screen sends nothing
 * over ssh. While attached, the viewer asks the probe for a
 * snapshot every refresh (at most 4 a second), and keeps the last
 * KEEP_SNAPS of them, or KEEP_BYTES' worth (see trim_history). */
#define _GNU_SOURCE
#include "ui.h"

#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <locale.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "attach.h"
#include "shared/recording.h"
#include "xalloc.h"

#define KEEP_SNAPS       600 /* two and a half minutes at four a second */
#define KEEP_BYTES       (128u << 20)
#define KEEP_MIN         64
#define SAMPLE_MS        250 /* how often the viewer asks for and reads a snapshot */
#define GROWTH_WINDOW    40
#define HEADER_WINDOW_S  30  /* seconds of total heap in the header's sparkline */
#define HEADER_TICKS_MAX 340 /* at most this many ticks in its analysis */
#define MIN_COLS         80
#define MIN_LINES        24
#define HEADER_LINES     3

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int ui_top(void)
{
	return HEADER_LINES + 1;
}

int ui_bottom(void)
{
	return LINES - 2;
}

void ui_bytes(char *buf, size_t n, double b)
{
	const char *sign = b < 0 ? "-" : "";
	double a = b < 0 ? -b : b;
	if (a < 1024)
		snprintf(buf, n, "%s%.0fB", sign, a);
	else if (a < 1024 * 1024)
		snprintf(buf, n, "%s%.*fK", sign, a < 10 * 1024 ? 1 : 0, a / 1024);
	else if (a < 1024.0 * 1024 * 1024)
		snprintf(buf, n, "%s%.*fM", sign, a < 10 * 1024 * 1024 ? 1 : 0, a / (1024 * 1024));
	else
		snprintf(buf, n, "%s%.1fG", sign, a / (1024.0 * 1024 * 1024));
}

/* Eight heights of block, or of ASCII when the locale is not UTF-8. */
void ui_spark(int y, int x, const double *v, int n, int width, int utf8)
{
	static const char *const blocks[] = { "\u2581", "\u2582", "\u2583", "\u2584",
		                              "\u2585", "\u2586", "\u2587", "\u2588" };
	static const char ascii[] = "_.-~=+*#";
	if (n <= 0 || width <= 0)
		return;
	int from = n > width ? n - width : 0;
	double lo = v[from], hi = v[from];
	for (int i = from; i < n; i++) {
		lo = v[i] < lo ? v[i] : lo;
		hi = v[i] > hi ? v[i] : hi;
	}
	move(y, x);
	for (int i = from; i < n; i++) {
		int level =
		    hi > lo ? (int)((v[i] - lo) / (hi - lo) * 7.0 + 0.5) : (v[i] > 0 ? 3 : 0);
		if (utf8)
			addstr(blocks[level]);
		else
			addch((chtype)(unsigned char)ascii[level]);
	}
}

/* SIGHUP (the terminal went away) and SIGTERM end the viewer the way q
 * does: the handler only sets this flag; the loop does the work. */
static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
	stop_signal = sig;
}

static void cleanup_terminal(void)
{
	if (!isendwin())
		endwin();
}

void ui_rebuild_rows(struct app *a)
{
	if (!a->prof->nsnaps) {
		rows_build(&a->rows, a->prof, 0, 0, a->group, NULL, NULL);
		return;
	}
	rows_build(&a->rows, a->prof, a->prof->nsnaps - 1, GROWTH_WINDOW, a->group,
	           a->has_base ? &a->base : NULL, a->filter);
	rows_sort(&a->rows, a->view == VIEW_GROWTH ? COL_GROWTH : a->sort, a->invert);
	if (a->selected >= (int)a->rows.n)
		a->selected = a->rows.n ? (int)a->rows.n - 1 : 0;
}

/* RSS and thread count of the watched process, from /proc. */
static void read_proc_status(struct app *a)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%d/status", (int)a->pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof line, f)) {
		unsigned long long v;
		if (sscanf(line, "VmRSS: %llu", &v) == 1)
			a->rss_kb = v;
		else if (sscanf(line, "Threads: %llu", &v) == 1)
			a->threads = v;
	}
	fclose(f);
}

/* The history the viewer holds: the last KEEP_SNAPS snapshots, or fewer
 * when they would take more than KEEP_BYTES (50,000 stacks take 2.4 MB a
 * snapshot), but never fewer than KEEP_MIN, which covers every window the
 * views look at (GROWTH_WINDOW). Ticks: the last 50,000 (83 minutes). */
static void trim_history(struct profile *p)
{
	profile_drop_snapshots(p, KEEP_SNAPS, KEEP_BYTES, KEEP_MIN);
	if (p->nticks > 100000) {
		uint64_t keep = 50000;
		memmove(p->ticks, p->ticks + (p->nticks - keep), keep * sizeof *p->ticks);
		p->nticks = keep;
	}
}

static void poll_source(struct app *a)
{
	char err[256];
	if (!a->attached) {
		if (source_open(&a->src, a->pid, err, sizeof err) < 0)
			return;
		a->attached = 1;
	}
	if (source_follow(&a->src, a->prof))
		a->has_base = 0;
	/* Growth fits need samples closer than the refresh: ask for one every
	 * SAMPLE_MS (or the program's own interval, if that is shorter). */
	uint32_t want =
	    SAMPLE_MS < a->src.rd.hdr.interval_ms ? SAMPLE_MS : a->src.rd.hdr.interval_ms;
	source_want_interval(&a->src, want, (now_ms() + 3000) * 1000000ull);
	a->src.lazy_lines = 1; /* see the loop in ui_run */
	int r = source_poll(&a->src, a->prof, err, sizeof err);
	if (r < 0) {
		snprintf(a->gone, sizeof a->gone, "%s; showing the last snapshot", err);
		return;
	}
	int status;
	uint32_t state = source_state(&a->src, &status);
	if (state == LT_STATE_EXITED && a->prof->end == PROF_RUNNING) {
		a->prof->end = PROF_EXITED;
		a->prof->end_code = status;
	}
	if (a->prof->end == PROF_RUNNING && !a->child && !shm_process_alive(&a->src.rd))
		snprintf(a->gone, sizeof a->gone,
		         "process %d is gone (killed?); showing its last snapshot", (int)a->pid);
	if (a->src.removed && a->prof->end == PROF_RUNNING && !a->gone[0])
		snprintf(a->note, sizeof a->note,
		         "segment %s removed; still read while the program runs", a->src.rd.name);
	else
		a->note[0] = '\0';
	if (r > 0) {
		trim_history(a->prof);
		a->dirty = 1;
	}
	if (a->prof->end == PROF_RUNNING)
		read_proc_status(a);
}

static void reap_child(struct app *a)
{
	int status;
	if (!a->child || a->child_done || waitpid(a->child, &status, WNOHANG) != a->child)
		return;
	a->child_done = 1;
	a->child_status = status;
	if (WIFEXITED(status)) {
		a->prof->end = PROF_EXITED;
		a->prof->end_code = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status)) {
		a->prof->end = PROF_SIGNALED;
		a->prof->end_code = WTERMSIG(status);
	}
}

static void state_text(const struct app *a, char *buf, size_t n)
{
	switch (a->prof->end) {
	case PROF_EXITED: snprintf(buf, n, "exited %d", a->prof->end_code); break;
	case PROF_SIGNALED: snprintf(buf, n, "killed by %s", strsignal(a->prof->end_code)); break;
	default:
		snprintf(buf, n, "%s",
		         a->gone[0]             ? "gone"
		         : a->attached || a->tl ? "running"
		                                : "starting");
		break;
	}
}

/* The program's threads: from /proc while live; in a replay, the live
 * threads of the thread snapshot shown (the probe's own not among them). */
static uint64_t threads_shown(const struct app *a)
{
	const struct profile *p = a->prof;
	if (!a->tl)
		return a->threads;
	uint64_t n = 0;
	const struct thread_snap *ts = p->ntsnaps ? &p->tsnaps[p->ntsnaps - 1] : NULL;
	for (uint32_t i = 0; ts && i < ts->n; i++)
		n += ts->t[i].status == LT_THREAD_LIVE;
	return n;
}

static void draw_header(struct app *a)
{
	const struct profile *p = a->prof;
	const struct snapshot *s = p->nsnaps ? &p->snaps[p->nsnaps - 1] : NULL;
	char st[64], b1[32], b2[32], b3[32];
	const char *prog = p->program ? strrchr(p->program, '/') : NULL;
	prog = prog ? prog + 1 : p->program ? p->program : "?";

	uint64_t up = 0;
	if (s && s->time_ns > p->start_ns)
		up = (s->time_ns - p->start_ns) / 1000000000ull;
	state_text(a, st, sizeof st);
	attrset(theme_attr(ROLE_HEADER));
	mvhline(0, 0, ' ', COLS);
	if (a->tl) {
		char where[96];
		timeline_describe(a->tl, where, sizeof where, a->utf8);
		mvprintw(0, 0, "leaktop  %s (pid %d)  %s  %s", prog, (int)a->pid, st, where);
	} else if (a->probe_state == LT_ATTACH_ON || a->probe_state == LT_ATTACH_OFF) {
		/* Attached: what came before is unknown, growth counts from here. */
		char since[16] = "?";
		time_t t0 = (time_t)(p->start_ns / 1000000000ull);
		struct tm tm;
		if (localtime_r(&t0, &tm))
			strftime(since, sizeof since, "%H:%M:%S", &tm);
		mvprintw(0, 0, "leaktop  %s (pid %d)  %s  %s %s  refresh %.1fs%s%s", prog,
		         (int)a->pid, st,
		         a->probe_state == LT_ATTACH_ON ? "tracking since"
		                                        : "[DETACHED] tracked from",
		         since, a->refresh_ms / 1000.0, a->paused ? "  [PAUSED]" : "",
		         a->has_base && !a->base_label[0] ? "  [vs BASELINE]" : "");
	} else {
		mvprintw(0, 0, "leaktop  %s (pid %d)  %s  up %llu:%02llu:%02llu  refresh %.1fs%s%s",
		         prog, (int)a->pid, st, (unsigned long long)(up / 3600),
		         (unsigned long long)(up / 60 % 60), (unsigned long long)(up % 60),
		         a->refresh_ms / 1000.0, a->paused ? "  [PAUSED]" : "",
		         a->has_base && !a->base_label[0] ? "  [vs BASELINE]" : "");
	}
	if (p->sample_bytes) {
		ui_bytes(b3, sizeof b3, (double)p->sample_bytes);
		printw("  [sampled, mean %s: estimates]", b3);
	}
	attrset(theme_attr(ROLE_NORMAL));
	move(1, 0);
	clrtoeol();
	if (s) {
		ui_bytes(b1, sizeof b1, (double)s->totals.live_bytes);
		ui_bytes(b2, sizeof b2, (double)a->rss_kb * 1024);
		double rate = 0;
		if (p->nsnaps >= 2) {
			const struct snapshot *o = &p->snaps[p->nsnaps > 8 ? p->nsnaps - 8 : 0];
			double dt = (double)(s->time_ns - o->time_ns) / 1e9;
			rate = dt > 0 ? (double)(s->totals.alloc_calls - o->totals.alloc_calls) / dt
			              : 0;
		}
		printw("heap ");
		attrset(theme_attr(ROLE_HEADER_VALUE));
		printw("%s", b1);
		attrset(theme_attr(ROLE_NORMAL));
		printw(" in %llu blocks", (unsigned long long)s->totals.live_blocks);
		if (!a->tl) /* a recording has no RSS */
			printw("  RSS %s", b2);
		printw("  allocs %.0f/s  threads %llu  group %s", rate,
		       (unsigned long long)threads_shown(a), rows_group_name(a->group));
		if (a->log_path)
			printw("  log %s", a->log_path);
		int room = COLS - getcurx(stdscr) - 9;
		if (a->has_base && a->base_label[0] && room > 0)
			printw("  base: %.*s", room, a->base_label);
	} else {
		printw("waiting for the first snapshot...");
	}
	/* Line 2: the total live heap over the last HEADER_WINDOW_S seconds of
	 * 100 ms ticks, and the verdict on its troughs over all of them: a
	 * window of several teeth, since one tooth cannot tell a leak's rising
	 * troughs from a cache's level ones. The sparkline shows the last tick
	 * of each of its columns' share of the window. */
	move(2, 0);
	clrtoeol();
	int width = COLS - 36;
	if (p->nticks >= 2 && width > 8) {
		uint64_t last_ns = p->ticks[p->nticks - 1].time_ns, first = p->nticks - 1;
		while (first > 0 && p->nticks - first < HEADER_TICKS_MAX &&
		       last_ns - p->ticks[first - 1].time_ns <= HEADER_WINDOW_S * 1000000000ull)
			first--;
		uint64_t n = p->nticks - first;
		double *v = xcalloc(n, sizeof *v), *t = xcalloc(n, sizeof *t);
		double prev = 0;
		for (uint64_t i = 0; i < n; i++) {
			const struct lt_tick *tk = &p->ticks[first + i];
			uint64_t t0 = p->ticks[first].time_ns;
			v[i] = (double)tk->live_bytes;
			/* CLOCK_REALTIME may step back: keep the times ascending. */
			t[i] = tk->time_ns > t0 ? (double)(tk->time_ns - t0) / 1e9 : 0.0;
			t[i] = prev = t[i] > prev ? t[i] : prev;
		}
		struct growth g;
		growth_analyse(t, v, n, &g);
		int cols = n < (uint64_t)width ? (int)n : width;
		double *col = xcalloc((size_t)cols, sizeof *col);
		for (int c = 0; c < cols; c++)
			col[c] = v[(uint64_t)(c + 1) * n / (uint64_t)cols - 1];
		attrset(theme_attr(ROLE_SPARK));
		ui_spark(2, 0, col, cols, width, a->utf8);
		ui_bytes(b3, sizeof b3, g.trough_bytes_per_s);
		attrset(theme_attr(g.verdict == VERDICT_LEAK ? ROLE_LEAK : ROLE_TROUGH));
		mvprintw(2, width + 1, " troughs %s/s over %.0fs: %s", b3, t[n - 1],
		         growth_verdict_name(g.verdict));
		free(col);
		free(v);
		free(t);
	}
	attrset(theme_attr(ROLE_NORMAL));
}

int ui_keys_apply(const struct app *a, enum key_scope scope)
{
	return scope == KEYS_ALWAYS || scope == (a->tl ? KEYS_REPLAY : KEYS_LIVE);
}

/* A replay's footer has its timeline keys instead of the log and the
 * table's; the help (F1) has every key. */
static const struct {
	const char *key, *label;
	enum key_scope scope;
} footer_keys[] = {
	{ "F1", "Help", KEYS_ALWAYS },   { "Tab", "View", KEYS_ALWAYS },
	{ "[]", "Step", KEYS_REPLAY },   { "p", "Play", KEYS_REPLAY },
	{ ",.", "Speed", KEYS_REPLAY },  { "a", "Top", KEYS_ALWAYS },
	{ "g", "Growth", KEYS_ALWAYS },  { "f", "Flame", KEYS_ALWAYS },
	{ "t", "Threads", KEYS_ALWAYS }, { "l", "Log", KEYS_LIVE },
	{ "F6", "Sort", KEYS_LIVE },     { "F4", "Filter", KEYS_LIVE },
	{ "/", "Search", KEYS_LIVE },    { "q", "Quit", KEYS_ALWAYS },
};

static void draw_footer(struct app *a)
{
	move(LINES - 1, 0);
	clrtoeol();
	if (a->msg[0] || a->gone[0] || a->note[0] || a->blind[0]) {
		attrset(theme_attr(a->msg[0] ? ROLE_NORMAL : ROLE_WARNING));
		printw("%s", a->msg[0]    ? a->msg
		             : a->gone[0] ? a->gone
		             : a->note[0] ? a->note
		                          : a->blind);
		attrset(theme_attr(ROLE_NORMAL));
		return;
	}
	for (size_t i = 0; i < sizeof footer_keys / sizeof footer_keys[0]; i++) {
		if ((!a->log_path && !strcmp(footer_keys[i].key, "l")) ||
		    !ui_keys_apply(a, footer_keys[i].scope))
			continue;
		int w = (int)(strlen(footer_keys[i].key) + strlen(footer_keys[i].label)) + 1;
		if (getcurx(stdscr) + w > COLS)
			break; /* what does not fit is in the help (F1) */
		attrset(theme_attr(ROLE_FOOTER_KEY));
		printw("%s", footer_keys[i].key);
		attrset(theme_attr(ROLE_FOOTER_LABEL));
		printw("%s ", footer_keys[i].label);
	}
	attrset(theme_attr(ROLE_NORMAL));
}

/* LEAKTOP_BENCH_FIRST_FRAME=FILE, for tests/bench/view.sh: once the first
 * frame that shows a snapshot has gone to the terminal, FILE gets the wall
 * clock (CLOCK_REALTIME, microseconds since the epoch) at that moment; the
 * benchmark subtracts the time it started leaktop. Once per run. */
static void bench_first_frame(const struct app *a)
{
	static int done;
	if (done || !a->prof->nsnaps)
		return;
	done = 1;
	const char *path = getenv("LEAKTOP_BENCH_FIRST_FRAME");
	FILE *f = path && *path ? fopen(path, "we") : NULL;
	if (!f)
		return;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	fprintf(f, "%llu\n",
	        (unsigned long long)ts.tv_sec * 1000000ull + (unsigned long long)ts.tv_nsec / 1000);
	fclose(f);
}

static void draw(struct app *a)
{
	erase();
	if (COLS < MIN_COLS || LINES < MIN_LINES) {
		mvprintw(0, 0, "terminal too small: %dx%d, leaktop needs %dx%d", COLS, LINES,
		         MIN_COLS, MIN_LINES);
		mvprintw(1, 0, "q quits");
		refresh();
		return;
	}
	draw_header(a);
	switch (a->view) {
	case VIEW_TOP: view_top_draw(a); break;
	case VIEW_GROWTH: view_growth_draw(a); break;
	case VIEW_FLAME: view_flame_draw(a); break;
	case VIEW_THREADS: view_threads_draw(a); break;
	case VIEW_LOG: view_log_draw(a); break;
	case VIEW_DETAIL: view_detail_draw(a); break;
	case VIEW_HELP: view_help_draw(a); break;
	default: break;
	}
	draw_footer(a);
	refresh();
	bench_first_frame(a);
}

int ui_prompt(struct app *a, const char *label, char *buf, size_t n)
{
	size_t len = strlen(buf);
	(void)a;
	curs_set(1);
	timeout(-1);
	for (;;) {
		move(LINES - 1, 0);
		clrtoeol();
		printw("%s%s", label, buf);
		refresh();
		int ch = getch();
		if (ch == 27) {
			curs_set(0);
			timeout(100);
			return -1;
		}
		if (ch == '\n' || ch == KEY_ENTER)
			break;
		if ((ch == KEY_BACKSPACE || ch == 127 || ch == 8) && len)
			buf[--len] = '\0';
		else if (ch >= 32 && ch < 127 && len + 1 < n) {
			buf[len++] = (char)ch;
			buf[len] = '\0';
		}
	}
	curs_set(0);
	timeout(100);
	return 0;
}

static void search_next(struct app *a, int from)
{
	if (!a->search[0])
		return;
	for (size_t k = 0; k < a->rows.n; k++) {
		size_t i = ((size_t)from + k) % a->rows.n;
		const struct row *r = rows_peek(&a->rows, i);
		if (strcasestr(r->label, a->search) || strcasestr(r->where, a->search)) {
			a->selected = (int)i;
			return;
		}
	}
	snprintf(a->msg, sizeof a->msg, "no row matches \"%s\"", a->search);
}

int ui_table_key(struct app *a, int ch, int shown)
{
	int n = (int)a->rows.n;
	switch (ch) {
	case KEY_UP:
	case 'k': a->selected--; break;
	case KEY_DOWN:
	case 'j': a->selected++; break;
	case KEY_PPAGE: a->selected -= shown; break;
	case KEY_NPAGE: a->selected += shown; break;
	case KEY_HOME: a->selected = 0; break;
	case KEY_END: a->selected = n - 1; break;
	case KEY_F(6):
	case '>':
		a->sort = (enum row_col)((a->sort + 1) % COL_COUNT);
		ui_rebuild_rows(a);
		break;
	case '<':
		a->sort = (enum row_col)((a->sort + COL_COUNT - 1) % COL_COUNT);
		ui_rebuild_rows(a);
		break;
	case 'I':
		a->invert = !a->invert;
		ui_rebuild_rows(a);
		break;
	case '/':
		if (ui_prompt(a, "search: ", a->search, sizeof a->search) == 0)
			search_next(a, a->selected);
		break;
	case 'n': search_next(a, a->selected + 1); break;
	case '\n':
	case KEY_ENTER:
		if (n) {
			a->detail_stack = rows_peek(&a->rows, (size_t)a->selected)->stack;
			a->back = a->view;
			a->view = VIEW_DETAIL;
		}
		break;
	default: return 0;
	}
	if (a->selected >= n)
		a->selected = n - 1;
	if (a->selected < 0)
		a->selected = 0;
	if (a->selected < a->scroll)
		a->scroll = a->selected;
	if (shown > 0 && a->selected >= a->scroll + shown)
		a->scroll = a->selected - shown + 1;
	return 1;
}

static void set_view(struct app *a, enum view_id v)
{
	if (v == VIEW_LOG && !a->log_path)
		return;
	if (v == VIEW_DETAIL || v == VIEW_HELP)
		a->back = a->view == VIEW_DETAIL || a->view == VIEW_HELP ? a->back : a->view;
	a->view = v;
	a->selected = 0;
	a->scroll = 0;
	ui_rebuild_rows(a);
}

static void cycle_view(struct app *a, int dir)
{
	static const enum view_id order[] = { VIEW_TOP, VIEW_GROWTH, VIEW_FLAME, VIEW_THREADS,
		                              VIEW_LOG };
	int n = (int)(sizeof order / sizeof order[0]), at = 0;
	for (int i = 0; i < n; i++)
		if (order[i] == a->view)
			at = i;
	for (int k = 0; k < n; k++) {
		at = (at + dir + n) % n;
		if (order[at] != VIEW_LOG || a->log_path)
			break;
	}
	set_view(a, order[at]);
}

static void set_baseline(struct app *a)
{
	if (!a->prof->nsnaps)
		return;
	free(a->base.e);
	const struct snapshot *s = &a->prof->snaps[a->prof->nsnaps - 1];
	a->base = *s;
	a->base.e = xcalloc(s->n ? s->n : 1, sizeof *s->e);
	if (s->n)
		memcpy(a->base.e, s->e, s->n * sizeof *s->e);
	a->has_base = 1;
	a->base_label[0] = '\0';
	if (a->tl)
		snprintf(a->base_label, sizeof a->base_label, "snapshot %u", a->tl->at + 1);
	snprintf(a->msg, sizeof a->msg,
	         "baseline set: tables show the change since %.40s (B clears)",
	         a->tl ? a->base_label : "now");
}

/* s: the history the view holds (its window of snapshots, every stack and
 * symbol they use, the ticks) as a recording, for `leaktop report`, later
 * diffs and replay. The name is asked for, with a default in the current
 * directory; the file is created as every recording is (0600, never
 * through a symlink). */
static void save_recording(struct app *a)
{
	char path[512], err[256];
	const char *program = a->prof->program ? a->prof->program : "";
	const char *prog = strrchr(program, '/');
	struct rec_writer w;

	prog = prog ? prog + 1 : program;
	snprintf(path, sizeof path, "leaktop.%s.%d.lkt", *prog ? prog : "program", (int)a->pid);
	if (ui_prompt(a, "save recording as: ", path, sizeof path) < 0 || !path[0])
		return;
	if (rec_writer_create(&w, path, err, sizeof err) < 0 ||
	    rec_writer_finish(&w, a->prof, err, sizeof err) < 0)
		snprintf(a->msg, sizeof a->msg, "not saved: %.120s", err);
	else
		snprintf(a->msg, sizeof a->msg, "saved %u snapshots to %.100s", a->prof->nsnaps,
		         path);
}

/* D: takes the hooks of a probe that leaktop attach loaded out of the
 * program, or puts them back; the stop is said in the footer. */
static void toggle_probe(struct app *a)
{
	struct inject_report rep;
	char err[256];
	if (a->tl) {
		snprintf(a->msg, sizeof a->msg, "D: a recording has no probe to take out");
		return;
	}
	if (a->probe_state != LT_ATTACH_ON && a->probe_state != LT_ATTACH_OFF) {
		snprintf(a->msg, sizeof a->msg,
		         "D: this program was started with the probe; nothing to take out");
		return;
	}
	int on = a->probe_state == LT_ATTACH_ON;
	if ((on ? detach_probe(a->pid, &rep, err, sizeof err)
	        : attach_probe(a->pid, &rep, err, sizeof err)) < 0) {
		snprintf(a->msg, sizeof a->msg, "D: %.150s", err);
		return;
	}
	a->probe_state = on ? LT_ATTACH_OFF : LT_ATTACH_ON;
	if (!on)
		a->prof->start_ns = (uint64_t)time(NULL) * 1000000000ull;
	snprintf(a->msg, sizeof a->msg, "%s (threads stopped %.1f ms)",
	         on ? "probe detached: the program runs as before it; D attaches again"
	            : "attached again: tracking from now",
	         (double)rep.stop_ns / 1e6);
}

/* Keys every view shares; returns 1 when ch was one of them. */
static int common_key(struct app *a, int ch)
{
	switch (ch) {
	case 'q': a->quit = 1; return 1;
	case 'd': a->quit = a->detach = 1; return 1;
	case 'D': toggle_probe(a); return 1;
	case 's': save_recording(a); return 1;
	case '\t': cycle_view(a, 1); return 1;
	case KEY_BTAB: cycle_view(a, -1); return 1;
	case 'a': set_view(a, VIEW_TOP); return 1;
	case 't': set_view(a, VIEW_THREADS); return 1;
	case 'g': set_view(a, VIEW_GROWTH); return 1;
	case 'f': set_view(a, VIEW_FLAME); return 1;
	case 'l': set_view(a, VIEW_LOG); return 1;
	case '?':
	case KEY_F(1): set_view(a, VIEW_HELP); return 1;
	case ' ':
		a->paused = !a->paused;
		snprintf(a->msg, sizeof a->msg, "%s", a->paused ? "paused: space resumes" : "");
		return 1;
	case '+': a->refresh_ms = a->refresh_ms > 200 ? a->refresh_ms / 2 : 100; return 1;
	case '-': a->refresh_ms = a->refresh_ms < 5000 ? a->refresh_ms * 2 : 10000; return 1;
	case 'b':
		set_baseline(a);
		ui_rebuild_rows(a);
		return 1;
	case 'B':
		a->has_base = 0;
		ui_rebuild_rows(a);
		return 1;
	case 'G':
		a->group = (enum group_mode)((a->group + 1) % GROUP_COUNT);
		a->selected = a->scroll = 0;
		ui_rebuild_rows(a);
		snprintf(a->msg, sizeof a->msg, "grouped by %s", rows_group_name(a->group));
		return 1;
	case KEY_F(4):
	case '\\':
		if (ui_prompt(a, "filter (function or module, empty clears): ", a->filter,
		              sizeof a->filter) == 0) {
			a->selected = a->scroll = 0;
			ui_rebuild_rows(a);
		}
		return 1;
	case KEY_RESIZE: return 1;
	default: return 0;
	}
}

/* The timeline moved: the tables follow at once, not at the refresh. */
static void replay_moved(struct app *a)
{
	ui_rebuild_rows(a);
	a->dirty = 0;
}

/* A replay's keys, taken before any view's: [ ] step a snapshot, and so do
 * Left and Right where the view has no use for them (all but the flame
 * graph); Home End { } jump to the first and last; space and p play and
 * pause; , and . halve and double the speed. */
static int replay_key(struct app *a, int ch)
{
	struct timeline *t = a->tl;
	uint64_t now = now_ms();
	uint32_t at = t->at;
	switch (ch) {
	case KEY_LEFT:
	case KEY_RIGHT:
		if (a->view == VIEW_FLAME)
			return 0;
		at = ch == KEY_RIGHT ? at + 1 : at ? at - 1 : 0;
		break;
	case '[': at = at ? at - 1 : 0; break;
	case ']': at++; break;
	case KEY_HOME:
	case '{': at = 0; break;
	case KEY_END:
	case '}': at = UINT32_MAX; break;
	case ' ':
	case 'p':
		timeline_play(t, !t->playing, now);
		replay_moved(a); /* play from the end starts over */
		return 1;
	case ',':
	case '.':
		timeline_set_speed(t, ch == '.' ? t->speed * 2 : t->speed / 2, now);
		snprintf(a->msg, sizeof a->msg, "speed %s%g: %g s of the recording a second",
		         a->utf8 ? "\u00d7" : "x", t->speed, t->speed);
		return 1;
	case 'd': return 1; /* nothing to detach from */
	default: return 0;
	}
	timeline_seek(t, at, now);
	replay_moved(a);
	return 1;
}

static void dispatch_key(struct app *a, int ch)
{
	int used = 0;
	if (a->tl && replay_key(a, ch))
		return;
	switch (a->view) {
	case VIEW_TOP: used = view_top_key(a, ch); break;
	case VIEW_GROWTH: used = view_growth_key(a, ch); break;
	case VIEW_FLAME: used = view_flame_key(a, ch); break;
	case VIEW_THREADS: used = view_threads_key(a, ch); break;
	case VIEW_LOG: used = view_log_key(a, ch); break;
	case VIEW_DETAIL: used = view_detail_key(a, ch); break;
	case VIEW_HELP: used = view_help_key(a, ch); break;
	default: break;
	}
	if (!used)
		common_key(a, ch);
}

/* What the header shows that can change with no snapshot and no key: the
 * program's end, the source going away, the view attaching. */
static uint64_t screen_state(const struct app *a)
{
	return (uint64_t)a->prof->end | (uint64_t)(uint32_t)a->prof->end_code << 8 |
	       (uint64_t)(a->gone[0] != 0) << 40 | (uint64_t)a->attached << 41 |
	       (uint64_t)a->child_done << 42;
}

/* `q` in `leaktop run`: the program gets SIGTERM, and SIGKILL after 2 s. */
static void stop_child(struct app *a)
{
	if (!a->child || a->child_done)
		return;
	kill(a->child, SIGTERM);
	for (int i = 0; i < 200 && !a->child_done; i++) {
		struct timespec ts = { 0, 10 * 1000000L };
		nanosleep(&ts, NULL);
		reap_child(a);
	}
	if (!a->child_done) {
		kill(a->child, SIGKILL);
		waitpid(a->child, &a->child_status, 0);
		a->child_done = 1;
	}
}

int ui_run(struct app *a)
{
	/* Every snapshot's entries are one block (2.4 MB at 50,000 stacks),
	 * freed when the history drops it. Above glibc's mmap threshold each
	 * would be a fresh mapping, faulted in page by page as it is filled
	 * (a quarter of the viewer's time at 50,000 stacks); in the heap, a
	 * freed block is reused as it is. */
	mallopt(M_MMAP_THRESHOLD, 32 << 20);
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
	setlocale(LC_ALL, "");
	a->utf8 = !strcmp(nl_langinfo(CODESET), "UTF-8");
	if (!a->refresh_ms)
		a->refresh_ms = 1000;
	if (!initscr())
		die("cannot initialise the terminal (TERM=%s)",
		    getenv("TERM") ? getenv("TERM") : "");
	die_cleanup = cleanup_terminal;
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	curs_set(0);
	set_escdelay(25);
	if (has_colors()) {
		start_color();
		use_default_colors();
	}
	theme_apply(&a->theme);
	timeout(100);
	struct sigaction sa = { .sa_handler = on_stop_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	uint64_t next_sample = 0, next_refresh = 0, shown_state = 0;
	int redraw = 1;
	while (!a->quit) {
		if (stop_signal)
			break;
		reap_child(a);
		uint64_t now = now_ms();
		if (a->tl) {
			if (timeline_advance(a->tl, now)) {
				replay_moved(a);
				redraw = 1;
			}
		} else if (now >= next_sample) {
			poll_source(a);
			next_sample = now + SAMPLE_MS;
		}
		/* At the refresh rate, when a snapshot came (or the log view may
		 * have grown): rows rebuild and the screen is drawn again. Pause
		 * freezes the tables; sampling goes on, so history has no gap. */
		if ((a->dirty || a->view == VIEW_LOG) && now >= next_refresh) {
			if (!a->paused) {
				ui_rebuild_rows(a);
				a->dirty = 0;
			}
			next_refresh = now + a->refresh_ms;
			redraw = 1;
		}
		uint64_t state = screen_state(a);
		if (state != shown_state) {
			shown_state = state;
			redraw = 1;
		}
		/* Nothing new, no key: the screen stays as it is, and costs
		 * nothing but the poll. */
		if (redraw) {
			draw(a);
			redraw = 0;
		}
		/* Files and lines of the first snapshot's frames that no
		 * table shows (see lazy_lines in source.h): looked up after the
		 * first frame, so it does not wait for libc's DWARF (90 ms), and
		 * before any key, so no view ever shows a frame without them. */
		if (a->attached && source_settle(&a->src, a->prof))
			draw(a);
		/* Sleep until a key comes or the next sample or refresh is due,
		 * not in fixed slices: an idle view wakes SAMPLE_MS apart. */
		now = now_ms();
		uint64_t due = next_sample;
		if (a->tl) { /* the next snapshot while playing, else a key */
			uint64_t wait = timeline_next_ms(a->tl, now);
			due = now + (wait < 60000 ? wait : 60000);
		}
		if ((a->dirty || a->view == VIEW_LOG) && next_refresh < due)
			due = next_refresh;
		timeout(due > now ? (int)(due - now) : 0);
		int ch = getch();
		if (ch != ERR) {
			if (ch != KEY_RESIZE)
				a->msg[0] = '\0';
			dispatch_key(a, ch);
			redraw = 1;
		}
	}
	endwin();
	die_cleanup = NULL;

	int status = 0;
	if (a->child) {
		if (a->detach && !a->child_done) {
			/* The probe unlinks its own segment at exit from now on. */
			if (a->attached && !a->src.broken)
				shm_disown(&a->src.rd);
			fprintf(
			    stderr,
			    "leaktop: detached; %d runs on with the probe (leaktop attach %d)\n",
			    (int)a->child, (int)a->child);
		} else {
			stop_child(a);
			reap_child(a);
			status = WIFEXITED(a->child_status)     ? WEXITSTATUS(a->child_status)
			         : WIFSIGNALED(a->child_status) ? 128 + WTERMSIG(a->child_status)
			                                        : 0;
		}
	}
	if (a->attached)
		source_close(&a->src);
	rows_free(&a->rows);
	free(a->base.e);
	return status;
}
