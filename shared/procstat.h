/* procstat.h - the few fields of /proc/PID/stat that both sides need.
 *
 * Ownership: fills a caller's struct; no allocation, no state, so the
 * probe may call it from its publisher thread. */
#ifndef LEAKTOP_PROCSTAT_H
#define LEAKTOP_PROCSTAT_H

#include <stdint.h>
#include <sys/types.h>

struct procstat {
	char state;           /* field 3: R, S, D, Z, T, ... (the leader's) */
	long num_threads;     /* field 20: an exited leader still counts */
	uint64_t start_ticks; /* field 22: start time in clock ticks since boot */
};

/* Reads /proc/PID/stat (PID 0: this process). 0, or -1 when the file is
 * missing or not in the expected form. */
int procstat_read(pid_t pid, struct procstat *out);

/* Parses the text of a stat file (NUL-terminated); for the tests. */
int procstat_parse(const char *text, struct procstat *out);

#endif
