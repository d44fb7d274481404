/* view_log.c - the tail of the program's output (leaktop run sends its
 * stdout and stderr to a log file, since the view owns the terminal).
 * Reads at most the last 64 KiB of the file each redraw. */
#include <curses.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ui.h"

#define TAIL_BYTES 65536

void view_log_draw(struct app *a)
{
	static char buf[TAIL_BYTES + 1];
	int top = ui_top() - 1, bottom = ui_bottom();

	attrset(theme_attr(ROLE_TABLE_HEADER));
	mvhline(top, 0, ' ', COLS);
	mvprintw(top, 0, "log: %s", a->log_path ? a->log_path : "(none)");
	attrset(theme_attr(ROLE_NORMAL));
	int fd = a->log_path ? open(a->log_path, O_RDONLY | O_CLOEXEC) : -1;
	if (fd < 0)
		return;
	struct stat st;
	ssize_t n = 0;
	if (fstat(fd, &st) == 0) {
		off_t from = st.st_size > TAIL_BYTES ? st.st_size - TAIL_BYTES : 0;
		n = pread(fd, buf, TAIL_BYTES, from);
	}
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	/* Find the start of the last (bottom - top) lines. */
	int want = bottom - top, lines = 0;
	char *p = buf + n;
	if (p > buf && p[-1] == '\n')
		p--;
	while (p > buf && lines < want) {
		p--;
		if (*p == '\n')
			lines++;
	}
	if (*p == '\n')
		p++;
	int y = top + 1;
	for (char *line = p; *line && y <= bottom; y++) {
		char *nl = strchr(line, '\n');
		int len = nl ? (int)(nl - line) : (int)strlen(line);
		move(y, 0);
		for (int i = 0; i < len && i < COLS; i++) /* no control bytes reach the terminal */
			addch((chtype)((unsigned char)line[i] < 32 || line[i] == 127
			                   ? '?'
			                   : (unsigned char)line[i]));
		if (!nl)
			break;
		line = nl + 1;
	}
}

int view_log_key(struct app *a, int ch)
{
	(void)a;
	(void)ch;
	return 0;
}
