/* outfile.h - creating the files leaktop writes (recordings, exports) so
 * that only their owner can read them and nobody can redirect them.
 *
 * Ownership: the caller owns the descriptor outfile_create returns, and
 * removes the file itself when it gives up half-way. */
#ifndef LEAKTOP_OUTFILE_H
#define LEAKTOP_OUTFILE_H

#include <stddef.h>

/* Creates path for writing: mode 0600, O_EXCL, never through a symlink; an
 * existing regular file of ours is replaced, anything else there (a
 * symlink, a directory, another user's file) is refused. Returns the
 * descriptor (O_CLOEXEC), or -1 with a message in err. */
int outfile_create(const char *path, char *err, size_t errlen);

/* Writes all n bytes of p to fd, through short writes and EINTR. 0, or -1
 * with errno. */
int outfile_write(int fd, const void *p, size_t n);

#endif
