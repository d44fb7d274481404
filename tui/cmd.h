/* cmd.h - the leaktop subcommands. Each takes the arguments after its name
 * (argv[0] is the subcommand) and returns the process exit status. */
#ifndef LEAKTOP_CMD_H
#define LEAKTOP_CMD_H

int cmd_record(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_attach(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_replay(int argc, char **argv);

/* Dies with one line naming the bad option getopt_long just rejected
 * (c is what it returned: '?' unknown, ':' missing argument). */
__attribute__((noreturn)) void die_bad_option(const char *cmd, int c, char **argv);

/* Parses a decimal in [lo, hi] or dies naming the option. */
unsigned long parse_ulong(const char *opt, const char *s, unsigned long lo, unsigned long hi);

#endif
