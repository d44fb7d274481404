/* theme.c - the built-in theme, the theme-file parser, and colour pairs.
 *
 * A theme is data: a style (fg, bg, attributes) per role. The parser reads
 * tmux-like lines ("leak = fg=red,bold") over a copy of the theme it is
 * given and commits only when the whole text is good, so a bad file never
 * leaves a half-applied theme. Every byte is hostile: lines are walked as
 * (pointer, length) pairs with no fixed buffers, and what the error quotes
 * is cut short and escaped.
 *
 * Colours are palette indices 0..255 (#rrggbb becomes the nearest of the
 * 256-colour cube and grey ramp). theme_apply turns them into curses
 * attributes for the terminal at hand: the same index on 256 colours; the
 * nearest of the xterm 16 by RGB on 16; on 8, bright colours lose their
 * brightness and foregrounds gain bold (tmux's rule, which the Linux console
 * draws as bright); with no colours or NO_COLOR, attributes alone, where a
 * role that was set off by its background becomes reverse video. */
#define _GNU_SOURCE
#include "theme.h"

#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* A theme file is a few dozen lines; anything larger is not one. */
#define THEME_MAX_BYTES 65536
/* How much of a bad token an error message quotes. */
#define QUOTE_MAX 32

#define THEME_NAME(e, name) name,
static const char *const role_names[ROLE_COUNT] = { THEME_ROLES(THEME_NAME) };
#undef THEME_NAME

/* The current theme's curses attributes per role; A_NORMAL until
 * theme_apply. */
static int role_attr[ROLE_COUNT];

/* --- the built-in default ------------------------------------------------ */

#define C_BLACK   0
#define C_RED     1
#define C_GREEN   2
#define C_YELLOW  3
#define C_BLUE    4
#define C_MAGENTA 5
#define C_CYAN    6
#define C_WHITE   7
#define C_BRIGHT  8

/* Dark: named colours where the meaning must survive 8 colours, a few
 * 256-colour tints where it may fade. themes/default.theme says the same
 * and test_theme checks that it does. */
static const struct style default_styles[ROLE_COUNT] = {
	[ROLE_NORMAL] = { -1, -1, 0 },
	[ROLE_HEADER] = { C_CYAN, -1, 0 },
	[ROLE_HEADER_VALUE] = { C_BRIGHT + C_WHITE, -1, THEME_BOLD },
	[ROLE_TABLE_HEADER] = { C_BLACK, C_GREEN, 0 },
	[ROLE_SORT_COLUMN] = { C_BLACK, C_CYAN, THEME_BOLD },
	[ROLE_SELECTED] = { C_BLACK, 117, 0 },
	[ROLE_FOOTER_KEY] = { -1, -1, THEME_BOLD },
	[ROLE_FOOTER_LABEL] = { C_BLACK, C_CYAN, 0 },
	[ROLE_LEAK] = { C_BRIGHT + C_RED, -1, THEME_BOLD },
	[ROLE_CACHE] = { C_YELLOW, -1, 0 },
	[ROLE_STABLE] = { C_GREEN, -1, 0 },
	[ROLE_SHRINKING] = { C_CYAN, -1, 0 },
	[ROLE_SPARK] = { 214, -1, 0 },
	[ROLE_TROUGH] = { 238, -1, 0 },
	[ROLE_FLAME_A] = { C_BLACK, 203, 0 },
	[ROLE_FLAME_B] = { C_BLACK, 215, 0 },
	[ROLE_FLAME_C] = { C_BLACK, 222, 0 },
	[ROLE_MATCH] = { C_BRIGHT + C_YELLOW, -1, THEME_BOLD | THEME_UNDERLINE },
	[ROLE_DIM] = { C_BRIGHT + C_BLACK, -1, 0 },
	[ROLE_WARNING] = { C_YELLOW, -1, THEME_BOLD },
	[ROLE_ERROR] = { C_BRIGHT + C_WHITE, C_RED, THEME_BOLD },
};

void theme_default(struct theme *t)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "default");
	memcpy(t->roles, default_styles, sizeof(t->roles));
}

const char *theme_role_name(enum role r)
{
	return (unsigned)r < ROLE_COUNT ? role_names[r] : NULL;
}

/* By (pointer, length): the parser's tokens are not NUL-terminated. */
static int role_by_name_len(const char *s, size_t n)
{
	for (int r = 0; r < ROLE_COUNT; r++)
		if (strlen(role_names[r]) == n && !memcmp(role_names[r], s, n))
			return r;
	return -1;
}

int theme_role_by_name(const char *name)
{
	return name ? role_by_name_len(name, strlen(name)) : -1;
}

/* --- colours -------------------------------------------------------------- */

/* xterm's default 16; the terminal may differ, but these are what "nearest"
 * can mean without asking it. */
static const unsigned char xterm16[16][3] = {
	{ 0x00, 0x00, 0x00 }, { 0xcd, 0x00, 0x00 }, { 0x00, 0xcd, 0x00 }, { 0xcd, 0xcd, 0x00 },
	{ 0x00, 0x00, 0xee }, { 0xcd, 0x00, 0xcd }, { 0x00, 0xcd, 0xcd }, { 0xe5, 0xe5, 0xe5 },
	{ 0x7f, 0x7f, 0x7f }, { 0xff, 0x00, 0x00 }, { 0x00, 0xff, 0x00 }, { 0xff, 0xff, 0x00 },
	{ 0x5c, 0x5c, 0xff }, { 0xff, 0x00, 0xff }, { 0x00, 0xff, 0xff }, { 0xff, 0xff, 0xff },
};

static const char *const colour_names[16] = {
	"black",      "red",           "green",       "yellow",      "blue",        "magenta",
	"cyan",       "white",         "brightblack", "brightred",   "brightgreen", "brightyellow",
	"brightblue", "brightmagenta", "brightcyan",  "brightwhite",
};

/* The RGB of palette index c (0..255): the 16 above, the 6x6x6 cube, then
 * 24 greys from 8 to 238. */
static void palette_rgb(int c, int rgb[3])
{
	static const int level[6] = { 0, 95, 135, 175, 215, 255 };
	if (c < 16) {
		for (int i = 0; i < 3; i++)
			rgb[i] = xterm16[c][i];
	} else if (c < 232) {
		c -= 16;
		rgb[0] = level[c / 36];
		rgb[1] = level[c / 6 % 6];
		rgb[2] = level[c % 6];
	} else {
		rgb[0] = rgb[1] = rgb[2] = 8 + 10 * (c - 232);
	}
}

/* The index in [lo, hi) nearest rgb by squared distance; the lowest on a
 * tie. At most 240 steps, once per colour per theme_apply or parse. */
static int nearest(const int rgb[3], int lo, int hi)
{
	int best = lo;
	long best_d = -1;
	for (int c = lo; c < hi; c++) {
		int p[3];
		palette_rgb(c, p);
		long d = 0;
		for (int i = 0; i < 3; i++)
			d += (long)(p[i] - rgb[i]) * (p[i] - rgb[i]);
		if (best_d < 0 || d < best_d) {
			best = c;
			best_d = d;
		}
	}
	return best;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int has_prefix(const char *s, size_t n, const char *prefix, size_t *plen)
{
	*plen = strlen(prefix);
	return n >= *plen && !strncasecmp(s, prefix, *plen);
}

/* A colour token: -1 for default, 0..255, or -2 when it is not a colour.
 * #rrggbb maps into 16..255 only: those are fixed by the xterm standard,
 * while 0..15 are whatever the user's terminal palette says. */
static int parse_colour(const char *s, size_t n)
{
	size_t plen;
	if (n == 7 && !strncasecmp(s, "default", 7))
		return -1;
	for (int c = 0; c < 16; c++)
		if (strlen(colour_names[c]) == n && !strncasecmp(s, colour_names[c], n))
			return c;
	if (has_prefix(s, n, "colour", &plen) || has_prefix(s, n, "color", &plen)) {
		size_t nd = n - plen;
		if (nd < 1 || nd > 3)
			return -2;
		int v = 0;
		for (size_t i = plen; i < n; i++) {
			if (s[i] < '0' || s[i] > '9')
				return -2;
			v = v * 10 + (s[i] - '0');
		}
		return v <= 255 ? v : -2;
	}
	if (n == 7 && s[0] == '#') {
		int rgb[3];
		for (int i = 0; i < 3; i++) {
			int hi = hexval(s[1 + 2 * i]), lo = hexval(s[2 + 2 * i]);
			if (hi < 0 || lo < 0)
				return -2;
			rgb[i] = hi * 16 + lo;
		}
		return nearest(rgb, 16, 256);
	}
	return -2;
}

/* --- the parser ----------------------------------------------------------- */

static const struct {
	const char *name;
	unsigned bit;
} attr_names[] = {
	{ "bold", THEME_BOLD },           { "dim", THEME_DIM },
	{ "underline", THEME_UNDERLINE }, { "reverse", THEME_REVERSE },
	{ "standout", THEME_STANDOUT },   { "italic", THEME_ITALIC },
};

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Trims blanks (and a CRLF file's '\r') off both ends of (*s, *n). */
static void trim(const char **s, size_t *n)
{
	while (*n && is_space(**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n && is_space((*s)[*n - 1]))
		(*n)--;
}

/* s as 'text' for a message: at most QUOTE_MAX bytes, the rest as "...",
 * bytes outside printable ASCII as \xNN. out holds 4 * QUOTE_MAX + 8. */
static const char *quote(char *out, const char *s, size_t n)
{
	char *o = out;
	*o++ = '\'';
	for (size_t i = 0; i < n && i < QUOTE_MAX; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f && c != '\\')
			*o++ = (char)c;
		else
			o += sprintf(o, "\\x%02x", c);
	}
	if (n > QUOTE_MAX)
		o += sprintf(o, "...");
	*o++ = '\'';
	*o = '\0';
	return out;
}

#define QUOTE_BUF (4 * QUOTE_MAX + 8)

/* One style ("fg=red,bg=colour236,bold") into *st; 0, or -1 with what is
 * wrong in why. */
static int parse_style(const char *s, size_t n, struct style *st, char *why, size_t whylen)
{
	char q[QUOTE_BUF];
	int have_fg = 0, have_bg = 0;
	*st = (struct style){ -1, -1, 0 };
	for (;;) {
		const char *comma = memchr(s, ',', n);
		size_t len = comma ? (size_t)(comma - s) : n;
		const char *item = s, *eq;
		size_t ilen = len;
		trim(&item, &ilen);
		if (!ilen) {
			snprintf(why, whylen, "empty item in style");
			return -1;
		}
		if ((eq = memchr(item, '=', ilen))) {
			const char *k = item, *v = eq + 1;
			size_t klen = (size_t)(eq - item), vlen = ilen - klen - 1;
			trim(&k, &klen);
			trim(&v, &vlen);
			int is_fg = klen == 2 && !strncasecmp(k, "fg", 2);
			int is_bg = klen == 2 && !strncasecmp(k, "bg", 2);
			if (!is_fg && !is_bg) {
				snprintf(why, whylen, "unknown key %s (fg= or bg=)",
				         quote(q, k, klen));
				return -1;
			}
			if (is_fg ? have_fg : have_bg) {
				snprintf(why, whylen, "%s given twice", is_fg ? "fg" : "bg");
				return -1;
			}
			int c = parse_colour(v, vlen);
			if (c == -2) {
				snprintf(why, whylen, "unknown colour %s", quote(q, v, vlen));
				return -1;
			}
			if (is_fg) {
				st->fg = (short)c;
				have_fg = 1;
			} else {
				st->bg = (short)c;
				have_bg = 1;
			}
		} else if (ilen == 4 && !strncasecmp(item, "none", 4)) {
			st->attrs = 0;
		} else {
			size_t a, na = sizeof(attr_names) / sizeof(attr_names[0]);
			for (a = 0; a < na; a++)
				if (strlen(attr_names[a].name) == ilen &&
				    !strncasecmp(item, attr_names[a].name, ilen))
					break;
			if (a == na) {
				snprintf(why, whylen, "unknown attribute %s", quote(q, item, ilen));
				return -1;
			}
			if (st->attrs & attr_names[a].bit) {
				snprintf(why, whylen, "%s given twice", attr_names[a].name);
				return -1;
			}
			st->attrs |= attr_names[a].bit;
		}
		if (!comma)
			return 0;
		n -= len + 1;
		s = comma + 1;
	}
}

/* One line (without its '\n'). seen[role] is the line that set the role,
 * 0 for none yet. */
static int parse_line(struct theme *t, const char *s, size_t n, unsigned long line,
                      unsigned long seen[ROLE_COUNT], char *why, size_t whylen)
{
	char q[QUOTE_BUF];
	trim(&s, &n);
	if (!n || s[0] == '#')
		return 0;
	const char *eq = memchr(s, '=', n);
	if (!eq) {
		snprintf(why, whylen, "missing '=' after %s", quote(q, s, n));
		return -1;
	}
	const char *key = s, *val = eq + 1;
	size_t klen = (size_t)(eq - s), vlen = n - klen - 1;
	trim(&key, &klen);
	trim(&val, &vlen);
	if (!klen) {
		snprintf(why, whylen, "missing role before '='");
		return -1;
	}
	int r = role_by_name_len(key, klen);
	if (r < 0) {
		snprintf(why, whylen, "unknown role %s", quote(q, key, klen));
		return -1;
	}
	if (seen[r]) {
		snprintf(why, whylen, "duplicate role '%s' (first on line %lu)", role_names[r],
		         seen[r]);
		return -1;
	}
	if (!vlen) {
		snprintf(why, whylen, "no style for '%s' (none for plain text)", role_names[r]);
		return -1;
	}
	struct style st;
	if (parse_style(val, vlen, &st, why, whylen) < 0)
		return -1;
	t->roles[r] = st;
	seen[r] = line;
	return 0;
}

int theme_parse(struct theme *t, const char *text, const char *file, char *err, size_t errlen)
{
	struct theme tmp = *t;
	unsigned long seen[ROLE_COUNT] = { 0 }, line = 0;
	char why[256];
	const char *p = text ? text : "";
	while (*p) {
		const char *eol = strchr(p, '\n');
		size_t n = eol ? (size_t)(eol - p) : strlen(p);
		line++;
		if (parse_line(&tmp, p, n, line, seen, why, sizeof(why)) < 0) {
			if (err && errlen)
				snprintf(err, errlen, "%s:%lu: %s", file ? file : "(theme)", line,
				         why);
			return -1;
		}
		p += n;
		if (*p == '\n')
			p++;
	}
	*t = tmp;
	return 0;
}

/* --- loading -------------------------------------------------------------- */

/* Reads a whole theme file into a NUL-terminated buffer the caller frees.
 * NULL with errno ENOENT/ENOTDIR when there is no such file (look on), or
 * NULL with a message in err for a file that is there but unusable. */
static char *read_theme_file(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		if (e != ENOENT && e != ENOTDIR)
			snprintf(err, errlen, "%s: %s", path, strerror(e));
		errno = e;
		return NULL;
	}
	char *buf = malloc(THEME_MAX_BYTES + 1);
	size_t len = 0;
	if (!buf) {
		snprintf(err, errlen, "%s: out of memory", path);
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	for (;;) {
		ssize_t got = read(fd, buf + len, THEME_MAX_BYTES + 1 - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto fail;
		}
		if (got == 0)
			break;
		len += (size_t)got;
		if (len > THEME_MAX_BYTES) {
			snprintf(err, errlen, "%s: larger than %d bytes", path, THEME_MAX_BYTES);
			goto fail;
		}
	}
	close(fd);
	buf[len] = '\0';
	/* The parser sees a C string: a NUL inside would end it silently. */
	const char *nul = memchr(buf, '\0', len);
	if (nul) {
		unsigned long line = 1;
		for (const char *c = buf; c < nul; c++)
			line += *c == '\n';
		snprintf(err, errlen, "%s:%lu: NUL byte", path, line);
		free(buf);
		errno = EINVAL;
		return NULL;
	}
	return buf;
fail:
	close(fd);
	free(buf);
	errno = EINVAL;
	return NULL;
}

static int load_file(struct theme *t, const char *path, const char *name, char *err, size_t errlen)
{
	char *text = read_theme_file(path, err, errlen);
	if (!text)
		return -1;
	struct theme tmp;
	theme_default(&tmp);
	snprintf(tmp.name, sizeof(tmp.name), "%s", name);
	int rc = theme_parse(&tmp, text, path, err, errlen);
	free(text);
	if (rc == 0)
		*t = tmp;
	return rc;
}

#define THEME_DIRS 5

/* Appends dir+suffix to dirs, unless it does not fit (then it is not
 * looked in: a cut path could name some other file). */
static void add_dir(char dirs[THEME_DIRS][PATH_MAX], int *n, const char *dir, const char *suffix)
{
	size_t a = strlen(dir), b = strlen(suffix);
	if (*n >= THEME_DIRS || a + b >= PATH_MAX)
		return;
	memcpy(dirs[*n], dir, a);
	memcpy(dirs[*n] + a, suffix, b + 1);
	(*n)++;
}

/* The directories theme_load looks in, in order; returns how many. */
static int theme_dirs(char dirs[THEME_DIRS][PATH_MAX])
{
	int n = 0;
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	/* The XDG spec: a relative $XDG_CONFIG_HOME is to be ignored. */
	if (xdg && xdg[0] == '/')
		add_dir(dirs, &n, xdg, "/leaktop/themes");
	else if (home && home[0])
		add_dir(dirs, &n, home, "/.config/leaktop/themes");

	char exe[PATH_MAX];
	ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len > 0) {
		exe[len] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			add_dir(dirs, &n, exe, "/../share/leaktop/themes");
			add_dir(dirs, &n, exe, "/../themes");
			add_dir(dirs, &n, exe, "/themes");
		}
	}
	return n;
}

int theme_load(struct theme *t, const char *name, char *err, size_t errlen)
{
	char dummy[1];
	if (!err || !errlen) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = '\0';
	if (!name || !name[0]) {
		snprintf(err, errlen, "empty theme name");
		return -1;
	}
	if (strchr(name, '/')) {
		if (load_file(t, name, name, err, errlen) == 0)
			return 0;
		if (!err[0])
			snprintf(err, errlen, "no theme %s (no such file)", name);
		return -1;
	}

	char dirs[THEME_DIRS][PATH_MAX];
	int n = theme_dirs(dirs);
	for (int i = 0; i < n; i++) {
		char path[PATH_MAX];
		int plen = snprintf(path, sizeof(path), "%s/%s.theme", dirs[i], name);
		if (plen < 0 || (size_t)plen >= sizeof(path))
			continue;
		if (load_file(t, path, name, err, errlen) == 0)
			return 0;
		if (err[0]) /* there, but bad: say so rather than look on */
			return -1;
	}
	/* The default needs no file. */
	if (!strcmp(name, "default")) {
		theme_default(t);
		return 0;
	}
	int off = snprintf(err, errlen, "no theme %s (looked in", name);
	for (int i = 0; i < n && off >= 0 && (size_t)off < errlen; i++)
		off += snprintf(err + off, errlen - (size_t)off, "%s %s", i ? "," : "", dirs[i]);
	if (off >= 0 && (size_t)off < errlen)
		snprintf(err + off, errlen - (size_t)off, ")");
	return -1;
}

/* --- curses --------------------------------------------------------------- */

/* Colour c for a terminal of ncolours (256, 16 or 8). On 8, a bright
 * colour becomes its plain one, and *bright says so (a foreground then
 * draws bold). */
static int map_colour(int c, int ncolours, int *bright)
{
	*bright = 0;
	if (c < 0 || ncolours >= 256)
		return c;
	if (c >= 16) {
		int rgb[3];
		palette_rgb(c, rgb);
		c = nearest(rgb, 0, 16);
	}
	if (ncolours < 16 && c >= 8) {
		c -= 8;
		*bright = 1;
	}
	return c;
}

static int curses_attrs(unsigned a)
{
	int out = A_NORMAL;
	if (a & THEME_BOLD)
		out |= A_BOLD;
	if (a & THEME_DIM)
		out |= A_DIM;
	if (a & THEME_UNDERLINE)
		out |= A_UNDERLINE;
	if (a & THEME_REVERSE)
		out |= A_REVERSE;
	if (a & THEME_STANDOUT)
		out |= A_STANDOUT;
	if (a & THEME_ITALIC)
		out |= (int)A_ITALIC;
	return out;
}

/* Attributes only. A role set off from the text around it by its
 * background (a bar, a highlight) is drawn in reverse instead; the
 * selection always is, so the cursor row never disappears. */
static int mono_attr(const struct theme *t, int r)
{
	const struct style *s = &t->roles[r];
	int a = curses_attrs(s->attrs);
	if ((r != ROLE_NORMAL && s->bg != t->roles[ROLE_NORMAL].bg) || r == ROLE_SELECTED)
		a |= A_REVERSE;
	return a;
}

void theme_apply(const struct theme *t)
{
	const char *no_color = getenv("NO_COLOR");
	int ncolours = has_colors() ? COLORS : 0;
	/* Direct-colour terminfo (COLORS of 2^24) reads indices from 8 up as
	 * RGB values: only the first 8 mean what a palette index means. */
	if (ncolours > 256)
		ncolours = 8;
	int mono = (no_color && no_color[0]) || ncolours < 8 || COLOR_PAIRS <= ROLE_COUNT;
	int have_default = !mono && use_default_colors() == OK;

	for (int r = 0; r < ROLE_COUNT; r++) {
		const struct style *s = &t->roles[r];
		if (mono) {
			role_attr[r] = mono_attr(t, r);
			continue;
		}
		int fg_bright, bg_bright;
		int fg = map_colour(s->fg, ncolours, &fg_bright);
		int bg = map_colour(s->bg, ncolours, &bg_bright);
		/* Two colours that fold into one would hide the text. */
		if (fg == bg && s->fg != s->bg && !fg_bright) {
			role_attr[r] = mono_attr(t, r);
			continue;
		}
		if (!have_default) {
			fg = fg < 0 ? COLOR_WHITE : fg;
			bg = bg < 0 ? COLOR_BLACK : bg;
		}
		init_pair((short)(r + 1), (short)fg, (short)bg);
		role_attr[r] =
		    COLOR_PAIR(r + 1) | curses_attrs(s->attrs) | (fg_bright ? A_BOLD : 0);
	}
}

int theme_attr(enum role r)
{
	return (unsigned)r < ROLE_COUNT ? role_attr[r] : (int)A_NORMAL;
}

/* `theme = NAME` in $XDG_CONFIG_HOME/leaktop/leaktop.conf (or
 * ~/.config/leaktop/leaktop.conf), if any, into buf. */
static const char *configured_theme(char *buf, size_t n)
{
	char path[PATH_MAX], line[256];
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	if (xdg && *xdg)
		snprintf(path, sizeof path, "%s/leaktop/leaktop.conf", xdg);
	else if (home && *home)
		snprintf(path, sizeof path, "%s/.config/leaktop/leaktop.conf", home);
	else
		return NULL;
	FILE *f = fopen(path, "re");
	if (!f)
		return NULL;
	const char *found = NULL;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, " theme = %63s", buf) == 1 && n > 64)
			found = buf;
	fclose(f);
	return found;
}

int theme_choose(struct theme *t, const char *name, char *err, size_t errlen)
{
	char conf[128];
	if (!name)
		name = configured_theme(conf, sizeof conf);
	if (!name) {
		theme_default(t);
		return 0;
	}
	return theme_load(t, name, err, errlen);
}
