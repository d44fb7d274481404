/* lines.h - files and lines for a recording read back (see lines.c). */
#ifndef LEAKTOP_LINES_H
#define LEAKTOP_LINES_H

#include <stddef.h>

#include "shared/profile.h"

/* Looks up the file and line of every symbol of p that has none, in the
 * modules p names whose file on disk has the build ID that ran. Returns how
 * many it found; 0 when p holds no modules or none of them is on disk. */
size_t lines_fill(struct profile *p);

#endif
