/* outfile.c - see outfile.h.
 *
 * A file is created with O_CREAT | O_EXCL | O_NOFOLLOW, so the open itself
 * never follows a link planted at the path and never writes into a file it
 * did not create. An old file is replaced by unlinking it and creating
 * again, never by truncating: if someone swaps the path for a symlink in
 * between, the second open fails with EEXIST instead of following it. */
#include "outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int outfile_create(const char *path, char *err, size_t errlen)
{
	int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
	int fd = open(path, flags, 0600);
	if (fd < 0 && errno == EEXIST) {
		/* Replace only a regular file of ours: a symlink or someone else's
		 * file in a shared directory is someone's trap, not our old run. */
		struct stat st;
		if (lstat(path, &st) < 0) {
			snprintf(err, errlen, "%s", strerror(errno));
			return -1;
		}
		if (!S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
			snprintf(err, errlen, "exists and is not a regular file of ours");
			return -1;
		}
		if (unlink(path) < 0) {
			snprintf(err, errlen, "cannot replace: %s", strerror(errno));
			return -1;
		}
		fd = open(path, flags, 0600);
	}
	if (fd < 0)
		snprintf(err, errlen, "%s", strerror(errno));
	return fd;
}

int outfile_write(int fd, const void *p, size_t n)
{
	const unsigned char *c = p;
	while (n) {
		ssize_t k = write(fd, c, n);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c += k;
		n -= (size_t)k;
	}
	return 0;
}
