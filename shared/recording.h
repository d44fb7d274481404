/* recording.h - leaktop's recording file format (.lkt).
 *
 * A file is a 16-byte file header and then records, appended one at a time,
 * each complete in itself: a crash or a SIGKILL at any moment leaves every
 * complete record readable, and a reader stops cleanly at a torn tail.
 *
 * File header (16 bytes): magic "LKTREC\r\n" (8), u32 version, u32 flags (0).
 * Record header (16 bytes): u32 type, u32 stored_len, u32 raw_len, u32 crc,
 *   followed by stored_len bytes: the payload, zlib-compressed (deflate with
 *   zlib header), raw_len bytes once inflated. crc is the CRC-32 of the first
 *   12 bytes of the record header followed by the stored bytes.
 *   raw_len <= REC_RAW_MAX; stored_len <= compressBound(raw_len).
 * All integers little-endian. Strings in payloads: u16 length, then bytes,
 * none of them NUL (a writer cuts a longer string at 65535 bytes).
 *
 * Payloads, by type:
 *   META (1):     u32 pid, u64 start_ns, u32 interval_ms, u32 depth,
 *                 str program, u32 sample_bytes (version 3; absent before:
 *                 0). 0: every allocation was recorded; else the probe
 *                 sampled with that mean gap, and every count in the file
 *                 is already scaled to an estimate (shared/sample.h)
 *   STACKS (2):   u32 n, then n times: u32 id, u16 depth, u64 frames[depth]
 *                 (leaf first)
 *   SYMBOLS (3):  u32 n, then n times: u64 addr, u32 line, str func,
 *                 str module, str file
 *   SNAPSHOT (4): u64 seqno, u64 time_ns, counts totals, u64 unknown_frees,
 *                 u64 overflow_allocs, u64 probe_bytes, u32 n, then n times:
 *                 u32 id, counts  (ids strictly increasing; counts is five
 *                 u64: live_bytes, live_blocks, alloc_calls, alloc_bytes,
 *                 free_calls). A full snapshot: every stack with a counter.
 *   DELTA (8):    (version 2) the same fields as SNAPSHOT, but the n entries
 *                 are only the stacks whose counts differ from the snapshot
 *                 before it (the last SNAPSHOT or DELTA of the same image),
 *                 with their new counts; all five zero means the stack left
 *                 the snapshot. A DELTA with no snapshot before it in its
 *                 image is corrupt.
 *   MODULES (9):  u32 n, then n times: u64 bias, u64 lo, u64 hi, u8 build_id
 *                 length (at most 20), the build ID, str path: the objects
 *                 loaded in the process image ([lo, hi) executable, runtime
 *                 addresses), so that a reader can look up later what the
 *                 writer did not (files and lines; see SYMBOLS). Readers
 *                 before it skip it whole.
 *   TICKS (5):    u32 n, then n times: u64 time_ns, live_bytes, live_blocks,
 *                 alloc_calls, free_calls
 *   END (6):      u32 kind (enum prof_end), i32 code
 *   THREADS (7):  u64 seqno, u64 time_ns, u64 created, u64 ended,
 *                 u64 untracked, u64 capture_ns, u64 reused_live_bytes,
 *                 u32 n, then n times: i32 tid, i32 creator_tid,
 *                 u32 create_stack, u32 wait_stack, u8 status, u8 state,
 *                 u8 wait, u32 serial, i32 syscall, u64 start_ns, u64 end_ns,
 *                 u64 wait_ns, u64 live_bytes, str name, str wchan;
 *                 then u32 nsites, then nsites times: u32 stack, u64 created,
 *                 u64 ended. Stack fields are LT_STACK_NONE or ids of earlier
 *                 STACKS records (see struct lt_thread). Readers of version 1
 *                 without it skip it whole.
 * Snapshots: a writer writes a full SNAPSHOT first, after every META, at
 * least every REC_FULL_EVERY snapshots, and whenever a DELTA would not save
 * a quarter of the entries; the rest are DELTAs. A reader seeking to any snapshot so
 * starts at most REC_FULL_EVERY - 1 records back.
 * A SNAPSHOT or DELTA refers only to stacks in earlier STACKS records. SYMBOLS may
 * come before or after the STACKS whose frames they name (symbols are added
 * as they are resolved); a reader depends on neither order. END is the last
 * record; anything after it is corruption. Unknown record types are checked
 * against their CRC and skipped whole (forward compatible); a version above
 * REC_VERSION is refused with the version it needs. */
#ifndef LEAKTOP_RECORDING_H
#define LEAKTOP_RECORDING_H

#include <stddef.h>
#include <stdint.h>

#include "profile.h"

#define REC_MAGIC      "LKTREC\r\n"
#define REC_VERSION    3 /* 2: DELTA records; 3: META's sampling mean. Older files read the same */
#define REC_FULL_EVERY 32
#define REC_RAW_MAX    (64u << 20)
#define REC_FILE_MAX   (4ull << 30) /* rec_read_file loads the whole file: 4 GiB at most */

enum rec_type {
	REC_META = 1,
	REC_STACKS = 2,
	REC_SYMBOLS = 3,
	REC_SNAPSHOT = 4,
	REC_TICKS = 5,
	REC_END = 6,
	REC_THREADS = 7,
	REC_DELTA = 8,
	REC_MODULES = 9,
};

/* Appends records to an open file, remembering what of a profile it has
 * written so each call writes only what is new. */
struct rec_writer {
	int fd;
	uint64_t offset;      /* bytes written so far */
	uint32_t mods_done;   /* entries of profile->mods written */
	uint32_t stacks_done; /* entries of profile->stack_order written */
	uint32_t syms_done;
	uint32_t snaps_done;
	uint32_t tsnaps_done;
	uint64_t ticks_done;
	int meta_done;
	uint32_t snaps_written; /* snapshots in the file, of every image */
	/* The last snapshot written, which a DELTA is written against. */
	struct snap_entry *last;
	uint32_t nlast, last_cap;
	int have_last;
	uint32_t since_full; /* DELTAs since the last full SNAPSHOT */
	/* The size limit (rec_writer_limit). */
	char *path;
	uint64_t max_size; /* 0: none */
	uint64_t thin_at;  /* the size that makes the next sync thin the file */
	uint32_t thinned;  /* snapshots thinned away so far */
};

/* Creates path (mode 0600, O_EXCL, never through a symlink; an existing
 * regular file of ours is replaced) and writes the file header. 0, or -1 with
 * a message in err. */
int rec_writer_create(struct rec_writer *w, const char *path, char *err, size_t errlen);

/* Keeps the file at path (the one w writes) under max_size bytes, 0 for no
 * limit. Whenever a sync takes it past the limit, the file is rewritten with
 * its older snapshots thinned (profile_thin, keeping the newest quarter
 * whole, as often as it takes to be at most half the limit), into a
 * temporary file beside it that is then renamed over it: a crash leaves
 * the old file or the new one, each whole. Stacks and symbols are never
 * thinned; when they alone take more than half the limit, the file may
 * grow by half the limit again before the next thinning. The rewritten
 * file holds the current process image only (an earlier one, before an
 * exec, goes). 0, or -1 when out of memory. */
int rec_writer_limit(struct rec_writer *w, const char *path, uint64_t max_size);

/* Drops from p what the file already holds: all snapshots, thread
 * snapshots and ticks but the newest of each, which stay for whoever reads
 * p. A recorder that keeps nothing else so runs in constant memory. */
void rec_writer_forget(struct rec_writer *w, struct profile *p);

/* Forgets what was written, so the next sync writes a new META and the
 * whole profile (a new process image after exec). */
void rec_writer_restart(struct rec_writer *w);

/* Writes META (once), then the stacks, symbols, snapshots, thread snapshots
 * and ticks added to
 * p since the last call, in that order, each as one record (none when there
 * is nothing new; a list too long for REC_RAW_MAX goes in several records).
 * 0, or -1 with a message in err (errno EFBIG for a snapshot too big for one
 * record); a failed write leaves no partial record, and what was written
 * before it is remembered, so the next call resumes. */
int rec_writer_sync(struct rec_writer *w, const struct profile *p, char *err, size_t errlen);

/* Syncs what is new, writes an END record from p->end and p->end_code,
 * flushes and closes the file (closed even on failure). 0 or -1 and err. */
int rec_writer_finish(struct rec_writer *w, const struct profile *p, char *err, size_t errlen);

/* Reads a whole file (a regular file of at most REC_FILE_MAX bytes) into p
 * (a new profile). Returns 0; 1 when the file ends in a torn record
 * (everything before it is loaded, err says where); -1 on an error
 * ("offset N: what is wrong" in err, p holds what came before). A record
 * whose stored length runs past the end of the file is reported as torn. */
int rec_read_file(const char *path, struct profile *p, char *err, size_t errlen);

/* The same from memory (for tests and the fuzzer). */
int rec_read_mem(const void *buf, size_t len, struct profile *p, char *err, size_t errlen);

#endif
