/* probe.h - the probe's lifecycle: start, fork, exit.
 *
 * The probe starts at the first allocation or at its constructor, whichever
 * comes first; libunwind and the publisher thread only in the constructor,
 * when the process is far enough along to dlopen and create threads. */
#ifndef LEAKTOP_PROBE_H
#define LEAKTOP_PROBE_H

#include <stddef.h>

#include "got.h"

/* Called by every hook with probe_guard held: starts the recorder if it is
 * new. Returns non-zero when allocations should be recorded. */
int probe_enter(void);

/* Non-zero in the process that created the segment: not in a fork or
 * vfork child, which may share its memory. */
int probe_owns_segment(void);

/* Non-zero when the program has one thread, the calling one: the probe's
 * publisher does not count. Async-signal-safe (reads /proc/self/stat). */
int probe_program_alone(void);

/* In a child forked without the fork handlers (by _Fork): stops tracking,
 * as the pthread_atfork child handler does after fork. */
void probe_fork_child(void);

/* The program is ending with this status (exit(), return from main). */
void probe_note_exit(int status);

/* The process is about to _exit: publish the final state now and give up
 * the segment's name (unless a launcher owns it). */
void probe_final(int status);

/* The process is about to exec: this image's segment loses its name
 * (unless a launcher owns it), since no destructor will run. If the exec
 * fails, tracking goes on, but new readers can no longer find the process. */
void probe_before_exec(void);

/* The hooks by name, for redirecting a running program to them (got.c),
 * and the lookup of the real functions for a probe loaded late. */
extern const struct got_hook probe_hooks[];
extern const size_t probe_nhooks;
void hooks_resolve_attached(void);

/* enum lt_attach_state (shared/shm.h): how this probe came in, and whether
 * an attach's hooks are in. Exported, for leaktop to read. */
extern int leaktop_state;

/* The entry points of `leaktop attach` and `leaktop detach`, called in the
 * program through ptrace (probe.c says what each does). */
int leaktop_attach(const char *config);
int leaktop_detach(void);

/* The real sigaction, past the probe's own hook. */
struct sigaction;
int probe_real_sigaction(int sig, const struct sigaction *act, struct sigaction *old);

#endif
