/* procstat.c - parsing /proc/PID/stat.
 *
 * Field 2, the command name, is in parentheses and may itself hold spaces
 * and parentheses, so parsing starts after the last ')'; from there the
 * fields are single spaces apart. */
#include "procstat.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int procstat_parse(const char *text, struct procstat *out)
{
	const char *p = strrchr(text, ')');
	if (!p || p[1] != ' ' || !p[2])
		return -1;
	p += 2; /* field 3 */
	out->state = *p;
	out->num_threads = 0;
	out->start_ticks = 0;
	for (int field = 3; field < 22; field++) {
		p = strchr(p, ' ');
		if (!p)
			return -1;
		p++; /* field + 1 */
		if (field + 1 == 20)
			out->num_threads = strtol(p, NULL, 10);
	}
	out->start_ticks = strtoull(p, NULL, 10);
	return 0;
}

int procstat_read(pid_t pid, struct procstat *out)
{
	char path[64], buf[1024];
	if (pid)
		snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	else
		strcpy(path, "/proc/self/stat");
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return procstat_parse(buf, out);
}
