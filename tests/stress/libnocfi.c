/* libnocfi.c - a library without unwind tables, for nocfi.c.
 *
 * Built -O2 -fomit-frame-pointer -fno-asynchronous-unwind-tables
 * -fno-unwind-tables, and without -g: no .eh_frame, no .debug_frame, no
 * frame pointer. An unwinder that reaches these frames has no rule for
 * them and may guess from %rbp, which here holds whatever the caller
 * passed in: each function keeps six of its arguments live across the
 * call that allocates, in the six registers a call preserves, %rbp among
 * them. */
#include <stddef.h>
#include <stdlib.h>

#define KEEP(a, b, c, d, e, f) \
	__asm__ volatile("" : : "r"(a), "r"(b), "r"(c), "r"(d), "r"(e), "r"(f))

/* malloc(n), called from a frame without unwind information. */
void *nocfi_alloc(size_t n, char *const v[6])
{
	char *a = v[0], *b = v[1], *c = v[2], *d = v[3], *e = v[4], *f = v[5];
	KEEP(a, b, c, d, e, f);
	void *p = malloc(n);
	KEEP(a, b, c, d, e, f);
	return p;
}

/* cb(n) from depth frames without unwind information, one inside the
 * other: the allocating code (cb, which has unwind tables) is called from
 * them, so the unwinder walks out of cb into them. */
void *nocfi_call(int depth, void *(*cb)(size_t), size_t n, char *const v[6])
{
	char *a = v[0], *b = v[1], *c = v[2], *d = v[3], *e = v[4], *f = v[5];
	KEEP(a, b, c, d, e, f);
	void *p = depth ? nocfi_call(depth - 1, cb, n, v) : cb(n);
	KEEP(a, b, c, d, e, f);
	return p;
}
