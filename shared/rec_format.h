/* rec_format.h - what the recording writer and reader share beyond the
 * public API: sizes of the fixed parts of the format (recording.h describes
 * it) and the names of record types for messages. Internal to shared/. */
#ifndef LEAKTOP_REC_FORMAT_H
#define LEAKTOP_REC_FORMAT_H

#include <stddef.h>

#define FILE_HEADER   16
#define RECORD_HEADER 16
#define STR_MAX       0xffffu

/* Smallest encoded size of one entry, by record type: what a count is
 * checked against before anything is allocated for it. */
#define STACK_MIN       (4 + 2)
#define SYMBOL_MIN      (8 + 4 + 3 * 2)
#define MODULE_MIN      (3 * 8 + 1 + 2)
#define COUNTS_SIZE     (5 * 8)
#define SNAP_ENTRY_SIZE (4 + COUNTS_SIZE)
#define SNAP_FIXED      (2 * 8 + COUNTS_SIZE + 3 * 8 + 4)
#define TICK_SIZE       (5 * 8)
#define THREAD_MIN      (4 * 4 + 3 + 4 + 4 + 4 * 8 + 2 * 2)
#define SITE_SIZE       (4 + 2 * 8)

/* "META", "STACKS", ... by enum rec_type; NULL past the known ones. */
extern const char *const rec_type_names[];
extern const unsigned rec_ntypes;

/* Formats a message into err (when given). Returns -1. */
__attribute__((format(printf, 3, 4))) int rec_say(char *err, size_t errlen, const char *fmt, ...);

#endif
