/* launch.h - starting a program with the probe loaded.
 *
 * Ownership: struct launch is the caller's; launch_* fill it. The child is
 * started behind a gate: it waits until launch_go() so the caller can make
 * everything that might fail (the output file) before the program runs. */
#ifndef LEAKTOP_LAUNCH_H
#define LEAKTOP_LAUNCH_H

#include <stddef.h>
#include <sys/types.h>

struct launch_opts {
	unsigned interval_ms;  /* 0: the probe's default */
	unsigned depth;        /* 0: the probe's default */
	unsigned max_stacks;   /* 0: the probe's default */
	unsigned sample_bytes; /* 0: every allocation; else the mean gap sampled */
	int follow_exec;
	int stdio_fd;   /* >= 0: the program's stdout and stderr go there */
	int stdin_null; /* the program's stdin is /dev/null */
};

struct launch {
	pid_t pid;
	int gate_fd; /* write end: one byte lets the child exec */
	int err_fd;  /* read end: the child's errno if exec failed */
};

/* Finds libleaktop.so: next to this executable, then ../lib/leaktop/ from
 * it, then PREFIX/lib/leaktop/. 0 and the path in out, or -1. */
int launch_probe_path(char *out, size_t n);

/* Forks a child that will exec argv[0] (searched in PATH) with the probe in
 * LD_PRELOAD, once released. 0, or -1 with a message in err. */
int launch_prepare(struct launch *l, char *const argv[], const struct launch_opts *o, char *err,
                   size_t errlen);

/* Releases the child. 0 when the program started; -1 with "cannot run
 * 'PROGRAM': reason" in err when exec failed (the child is reaped). */
int launch_go(struct launch *l, const char *program, char *err, size_t errlen);

/* Kills and reaps a child that was never released. */
void launch_abort(struct launch *l);

/* Removes the segments this leaktop process owns whose process is gone. */
void launch_gc_segments(void);

#endif
