/* symbols.h - turning return addresses into function, module, file:line.
 *
 * Ownership: a symbolizer owns its libdw session and the strings it hands
 * out, which live until sym_free. Modules are added as the probe publishes
 * them (address ranges of the probed process); lookups are cached per
 * address. Uses elfutils' libdw: ELF symbol tables (static functions
 * included), DWARF line tables, separate debug info in /usr/lib/debug found
 * by build-id or .gnu_debuglink, and C++ names demangled. */
#ifndef LEAKTOP_SYMBOLS_H
#define LEAKTOP_SYMBOLS_H

#include <stdint.h>

#include "shared/profile.h"

struct symbolizer;

struct symbolizer *sym_new(void);
void sym_free(struct symbolizer *s);

/* Registers a module of the probed process: its file, load bias, and the
 * executable address range [lo, hi). 0, or -1 when the file cannot be read
 * (frames in it then resolve to the module name and address only). */
int sym_add_module(struct symbolizer *s, const char *path, uint64_t bias, uint64_t lo, uint64_t hi);

/* Resolves a return address (the frame's function is looked up at addr - 1,
 * so a call at the very end of a function is attributed right). Fills out
 * (strings never NULL: "" when unknown, module "" when no module has addr).
 * Returns 0 when a function name was found, -1 otherwise. */
int sym_resolve(struct symbolizer *s, uint64_t addr, struct frame_sym *out);

/* As sym_resolve, but the file and line only when an earlier sym_resolve
 * looked them up (else "" and 0): a module's DWARF is read on the first
 * line looked up in it, 90 ms for libc's separate debug info, which a
 * caller in a hurry (the first frame) can leave for later. The function
 * and module are the same as sym_resolve's. */
int sym_resolve_func(struct symbolizer *s, uint64_t addr, struct frame_sym *out);

#endif
