/* attach.h - a probe in a process that was started without one.
 *
 * The policy over inject.c: which libleaktop.so to load (the one the
 * process has already, else the one beside leaktop), when there is nothing
 * to do (a probe preloaded at start), and what to tell the user. */
#ifndef LEAKTOP_ATTACH_H
#define LEAKTOP_ATTACH_H

#include <stddef.h>
#include <sys/types.h>

#include "inject.h"
#include "source.h"

/* Makes sure pid runs a probe that tracks: nothing to do when one was
 * preloaded; else loads (or re-arms) one through ptrace. 0 with what was
 * done in *rep (rep->threads is 0 when nothing was), or -1 with one line
 * in err; the process runs on either way. */
int attach_probe(pid_t pid, struct inject_report *rep, char *err, size_t n);

/* Opens pid's segment into src; a process without a probe gets one first
 * (attach_probe), said on stderr unless quiet. A refused segment stays an
 * error. 0, or -1 with one line in err. */
int attach_open(struct source *src, pid_t pid, int quiet, char *err, size_t n);

/* Takes an attached probe's hooks out of pid: its GOT entries back as
 * they were; the probe stays loaded and idle. 0, or -1 with err. */
int detach_probe(pid_t pid, struct inject_report *rep, char *err, size_t n);

#endif
