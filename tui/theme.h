/* theme.h - colour roles and the themes that give them colours.
 *
 * Ownership: the current theme is a global owned by theme.c, set once by
 * theme_load or theme_default and read by the drawing code through
 * theme_attr(). Drawing code names roles, never colours.
 *
 * Theme files (themes/NAME.theme) are data, one role a line, tmux-like:
 *     # a comment
 *     leak = fg=red,bold
 *     selected = fg=black,bg=colour39
 * Colours: default, black, red, green, yellow, blue, magenta, cyan, white,
 * brightblack..brightwhite, colour0..colour255, #rrggbb (nearest of
 * colour16..colour255, the fixed cube and greys).
 * Attributes: bold, dim, underline, reverse, standout, italic; none for
 * plain. A line gives a role its whole style (what it does not say is the
 * terminal's default); roles a file does not name keep the built-in
 * default's style. '#' starts a comment only at the start of a line. */
#ifndef LEAKTOP_THEME_H
#define LEAKTOP_THEME_H

#include <stddef.h>

/* Every role, once: X(ENUM_SUFFIX, "name in theme files"). */
#define THEME_ROLES(X)                  \
	X(NORMAL, "normal")             \
	X(HEADER, "header")             \
	X(HEADER_VALUE, "header_value") \
	X(TABLE_HEADER, "table_header") \
	X(SORT_COLUMN, "sort_column")   \
	X(SELECTED, "selected")         \
	X(FOOTER_KEY, "footer_key")     \
	X(FOOTER_LABEL, "footer_label") \
	X(LEAK, "leak")                 \
	X(CACHE, "cache")               \
	X(STABLE, "stable")             \
	X(SHRINKING, "shrinking")       \
	X(SPARK, "spark")               \
	X(TROUGH, "trough")             \
	X(FLAME_A, "flame_a")           \
	X(FLAME_B, "flame_b")           \
	X(FLAME_C, "flame_c")           \
	X(MATCH, "match")               \
	X(DIM, "dim")                   \
	X(WARNING, "warning")           \
	X(ERROR, "error")

#define THEME_ENUM(e, name) ROLE_##e,
enum role { THEME_ROLES(THEME_ENUM) ROLE_COUNT };
#undef THEME_ENUM

struct style {
	short fg, bg;   /* -1 = terminal default, else 0..255 */
	unsigned attrs; /* THEME_BOLD | ... */
};

#define THEME_BOLD      1u
#define THEME_DIM       2u
#define THEME_UNDERLINE 4u
#define THEME_REVERSE   8u
#define THEME_STANDOUT  16u
#define THEME_ITALIC    32u

struct theme {
	char name[64];
	struct style roles[ROLE_COUNT];
};

/* The built-in default (dark) theme. */
void theme_default(struct theme *t);

/* Parses theme text over t (which holds the defaults). 0, or -1 with
 * "FILE:LINE: what is wrong" for the first error in err, t unchanged. */
int theme_parse(struct theme *t, const char *text, const char *file, char *err, size_t errlen);

/* Loads NAME over the built-in default: a path if it holds a '/', else
 * NAME.theme from $XDG_CONFIG_HOME/leaktop/themes/ (or
 * ~/.config/leaktop/themes/), then EXEDIR/../share/leaktop/themes/ (the
 * installed ones), then EXEDIR/../themes/ and EXEDIR/themes/ (a build in
 * build/ finds the source tree's). "default" needs no file. 0, or -1 with
 * a message in err naming the file (and line), or "no theme NAME (looked
 * in DIR, ...)"; t unchanged on error. */
int theme_load(struct theme *t, const char *name, char *err, size_t errlen);

/* The viewer's theme: NAME when given (--theme), else the one
 * leaktop.conf names (`theme = NAME` in $XDG_CONFIG_HOME/leaktop/ or
 * ~/.config/leaktop/), else the built-in default. 0, or -1 and err as
 * theme_load gives them. */
int theme_choose(struct theme *t, const char *name, char *err, size_t errlen);

/* Makes t current for curses: colour pairs for the terminal's colours
 * (256, 16, 8: nearest match) or attributes only (no colour, or NO_COLOR
 * set). Call after initscr/start_color. */
void theme_apply(const struct theme *t);

/* The curses attributes (colour pair included) of a role in the current
 * theme. */
int theme_attr(enum role r);

/* A role's name in theme files, and back (-1 when unknown). */
const char *theme_role_name(enum role r);
int theme_role_by_name(const char *name);

#endif
