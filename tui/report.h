/* report.h - writing one snapshot of a profile as text, folded or json.
 *
 * Ownership: reads the profile, writes to the FILE given, keeps nothing. */
#ifndef LEAKTOP_REPORT_H
#define LEAKTOP_REPORT_H

#include <stdio.h>

#include "shared/profile.h"

enum report_format { REPORT_TEXT, REPORT_FOLDED, REPORT_JSON };
enum report_metric {
	METRIC_LIVE_BYTES,
	METRIC_LIVE_BLOCKS,
	METRIC_ALLOC_BYTES,
	METRIC_ALLOC_CALLS
};

/* What the stacks are listed by. */
enum report_sort {
	SORT_METRIC = 0, /* the metric's order, largest first */
	SORT_GROWTH,     /* growth score over the snapshots up to the one shown */
	SORT_LIVE_BYTES, /* then one per report_metric, in its order */
	SORT_LIVE_BLOCKS,
	SORT_ALLOC_BYTES,
	SORT_ALLOC_CALLS
};

struct report_opts {
	enum report_format format;
	enum report_metric metric;
	unsigned top; /* 0: every stack */
	enum report_sort sort;
};

/* Parses a --format / --metric value; -1 when unknown. */
int report_parse_format(const char *s);
int report_parse_metric(const char *s);
/* Parses a --sort value: "growth" or a metric's name; -1 when unknown. */
int report_parse_sort(const char *s);

/* The value of metric m in counts c. */
uint64_t report_metric_value(const struct lt_counts *c, enum report_metric m);

/* "512 B", "40.0 KiB", "3.2 MiB"; with a sign ("+40.0 KiB", "-512 B",
 * "0 B") for a change. */
void report_human(char *buf, size_t n, uint64_t bytes);
void report_human_delta(char *buf, size_t n, int64_t bytes);

/* The display name of a frame: its function, else "module+0xADDR", else
 * "0xADDR". Written into buf (n bytes); returns buf. */
const char *report_frame_name(const struct profile *p, uint64_t addr, char *buf, size_t n);

/* What a stack without frames stands for, by its id: "[stack table full]"
 * or "[before leaktop started]". */
const char *report_empty_stack_name(uint32_t id);

/* The frames of stk, one a line, each after indent: name and file:line
 * (or module); `empty` on one line when it has none. */
void report_text_frames(FILE *f, const struct profile *p, const struct prof_stack *stk,
                        const char *indent, const char *empty);

/* s as a json string; stk's frames as a json array of {func, module, file,
 * line, addr}, with one frame named `empty` (unless NULL) when it has none. */
void report_json_str(FILE *f, const char *s);
void report_json_frames(FILE *f, const struct profile *p, const struct prof_stack *stk,
                        const char *empty);

/* Writes snapshot index i (0-based) of p. Growth (the verdict and rate of
 * each stack's live bytes over snapshots 0..i) is in json when i > 0, and
 * in text with SORT_GROWTH. */
void report_write(FILE *f, const struct profile *p, uint32_t i, const struct report_opts *o);

/* Writes the thread groups of the latest thread snapshot at or before
 * time_ns as text, json, or folded (one line a group: creation stack root
 * first, "[thread]", current stack, count). -1 when there is none. */
int report_threads_write(FILE *f, const struct profile *p, uint64_t time_ns,
                         enum report_format format);

#endif
