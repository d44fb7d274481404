/* xalloc.h - allocation that cannot fail, and dying with one line.
 *
 * For the leaktop command only (never the probe). die() restores the
 * terminal first when a view owns it, prints "leaktop: MESSAGE" and exits
 * with status 2, the status of every usage and input error. */
#ifndef LEAKTOP_XALLOC_H
#define LEAKTOP_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t m, size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

/* Called by die() before it prints: the view sets it to its endwin(). */
extern void (*die_cleanup)(void);

__attribute__((noreturn, format(printf, 1, 2))) void die(const char *fmt, ...);

#endif
