/* cmd.h - the leaktop subcommands. Each takes the arguments after its name
 * (argv[0] is the subcommand) and returns the process exit status. */
#ifndef LEAKTOP_CMD_H
#define LEAKTOP_CMD_H

#include <stdint.h>

int cmd_record(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_attach(int argc, char **argv);
int cmd_detach(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_replay(int argc, char **argv);

/* Dies with one line naming the bad option getopt_long just rejected
 * (c is what it returned: '?' unknown, ':' missing argument). */
__attribute__((noreturn)) void die_bad_option(const char *cmd, int c, char **argv);

/* Parses a decimal in [lo, hi] or dies naming the option. */
unsigned long parse_ulong(const char *opt, const char *s, unsigned long lo, unsigned long hi);

/* Parses a size ("4096", "512K", "1.5M", "2G", an optional B after the
 * unit; K is 1024) of at most hi bytes, or dies naming the option. */
uint64_t parse_bytes(const char *opt, const char *s, uint64_t hi);

/* --sample: the mean gap of byte sampling, 0 for every allocation. */
uint32_t parse_sample(const char *s);

#endif
