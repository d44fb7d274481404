/* shm.h - the shared-memory segment a probed process publishes on.
 *
 * Ownership: the probe (one writer per segment) creates, sizes and writes a
 * segment; any number of readers map it and copy out of it. A reader never
 * trusts a byte: every offset and count is checked against the size it got
 * from fstat before it is used.
 *
 * Layout, every part 64-byte aligned and at a fixed offset recorded in the
 * header:
 *
 *   header      struct lt_shm_header (page 0, the only page readers map
 *               read-write, for the control words at its end)
 *   ring        struct lt_ring + ring_cap struct lt_tick: totals every 100 ms
 *   modules     struct lt_module[mods_cap] + a string pool of mods_str_cap bytes
 *   stack index uint64_t[stacks_cap]: 0 = not yet written, else
 *               LT_STACK_ENTRY(offset into pool, depth)
 *   stack pool  uint64_t[pool_cap]: return addresses, leaf first
 *   snapshot    struct lt_snap_header + struct lt_counts[stacks_cap]
 *   threads     struct lt_threads_header + struct lt_thread[threads_cap]
 *               + struct lt_thread_site[sites_cap]
 *
 * The modules, the stack index and the pool are append-only: once a reader
 * sees an entry published (see the counters in the header) it never changes,
 * so they need no lock. The snapshot and the threads are rewritten, each
 * under its own seqlock.
 *
 * Names are "/leaktop.<pid>.<16 hex random>", created O_EXCL, mode 0600. */
#ifndef LEAKTOP_SHM_H
#define LEAKTOP_SHM_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define LT_SHM_MAGIC    "LEAKTOP\x01"
#define LT_SHM_VERSION  2
#define LT_SHM_PREFIX   "leaktop."
#define LT_SHM_NAME_MAX 64
#define LT_PROGRAM_MAX  256

#define LT_DEPTH_DEFAULT         64
#define LT_DEPTH_MAX             256
#define LT_INTERVAL_DEFAULT      1000
#define LT_TICK_MS               100
#define LT_STACKS_DEFAULT        65536
#define LT_POOL_FRAMES_PER_STACK 24   /* average stack depth the pool is sized for */
#define LT_RING_CAP              4096 /* 409.6 s of 100 ms ticks */
#define LT_MODS_CAP              4096
#define LT_MODS_STR_CAP          (1u << 20)
#define LT_THREADS_CAP           1024 /* thread slots: live threads, then the latest ended */
#define LT_SITES_CAP             256  /* thread creation sites counted apart */

/* Stack index entries: offset into the pool (32 bits) and depth (16 bits).
 * The "+ 1" keeps a written entry non-zero even at offset 0, depth 0. */
#define LT_STACK_ENTRY(off, depth) ((((uint64_t)(off) + 1) << 16) | (uint64_t)(depth))
#define LT_STACK_OFF(e)            (((e) >> 16) - 1)
#define LT_STACK_DEPTH(e)          ((uint32_t)((e)&0xffff))

/* Stack id 0 is where allocations go when the stack table is full, and the
 * stack of allocations made before the probe could unwind has depth 0. */
#define LT_STACK_OVERFLOW 0
/* The largest mean gap of byte sampling (sample.h), bytes. */
#define LT_SAMPLE_MAX (1u << 30)
/* No stack: a thread the probe did not see created (main, or one started
 * before the probe), or one whose current stack is unknown (see lt_wait). */
#define LT_STACK_NONE 0xffffffffu

enum lt_state {
	LT_STATE_STARTING = 0, /* header being filled in */
	LT_STATE_RUNNING = 1,
	LT_STATE_EXITED = 2,  /* exit_status holds the status passed to exit() */
	LT_STATE_DISABLED = 3 /* the probe stopped tracking (internal failure) */
};

/* Counters of one stack, or of the whole process. Written only by the probe. */
struct lt_counts {
	uint64_t live_bytes;  /* requested bytes of blocks not yet freed */
	uint64_t live_blocks; /* blocks not yet freed */
	uint64_t alloc_calls; /* allocations since start */
	uint64_t alloc_bytes; /* bytes requested since start */
	uint64_t free_calls;  /* frees of blocks from this stack */
};

static inline void lt_counts_add(struct lt_counts *to, const struct lt_counts *c)
{
	to->live_bytes += c->live_bytes;
	to->live_blocks += c->live_blocks;
	to->alloc_calls += c->alloc_calls;
	to->alloc_bytes += c->alloc_bytes;
	to->free_calls += c->free_calls;
}

/* Page 0. The probe writes every field above `state` once, before it stores
 * LT_STATE_RUNNING with release; a reader that loads `state` with acquire and
 * sees anything but STARTING may read them. */
/* The probe's exported int leaktop_state, which leaktop reads out of a
 * process (not from the segment) before it attaches or detaches. */
enum lt_attach_state {
	LT_ATTACH_NONE = 0,      /* not set: a probe older than attach */
	LT_ATTACH_PRELOADED = 1, /* started with the program: tracks already */
	LT_ATTACH_IDLE = 2,      /* loaded by attach, not started yet */
	LT_ATTACH_ON = 3,        /* attached: the hooks are in */
	LT_ATTACH_OFF = 4,       /* detached: the hooks are out, the probe idle */
};

struct lt_shm_header {
	char magic[8];         /* LT_SHM_MAGIC */
	uint32_t version;      /* LT_SHM_VERSION */
	uint32_t header_size;  /* sizeof(struct lt_shm_header) */
	uint64_t segment_size; /* bytes, as reserved by the probe */
	int32_t pid;           /* the probed process */
	int32_t launcher_pid;  /* leaktop process that started it, or 0 */
	uint64_t proc_start;   /* /proc/pid/stat start time (clock ticks): tells a reused pid */
	uint64_t start_ns;     /* CLOCK_REALTIME when the probe started */
	uint32_t interval_ms;  /* snapshot interval asked for at start */
	uint32_t depth;        /* maximum frames per stack */
	uint32_t sample_bytes; /* 0: every allocation; else the mean gap (sample.h) */
	uint32_t stacks_cap;   /* entries in the stack index and the snapshot */
	uint32_t pool_cap;     /* frames in the stack pool */
	uint32_t ring_cap;     /* ticks in the ring, a power of two */
	uint32_t mods_cap;     /* entries in the module table */
	uint32_t mods_str_cap; /* bytes in the module string pool */
	uint64_t ring_off;     /* offsets from the start of the segment */
	uint64_t mods_off;
	uint64_t mods_str_off;
	uint64_t stack_index_off;
	uint64_t stack_pool_off;
	uint64_t snap_off;
	uint64_t threads_off;
	uint32_t threads_cap;         /* slots in the thread table */
	uint32_t sites_cap;           /* entries in the creation-site table */
	char program[LT_PROGRAM_MAX]; /* /proc/self/exe at start, NUL-terminated */

	/* Written by the probe at any time. */
	_Atomic uint32_t state; /* enum lt_state; exit_status is stored before EXITED (release) */
	int32_t exit_status;    /* valid when state == EXITED */
	_Atomic uint32_t stacks_count; /* ids handed out; an id below it may still be unwritten */
	_Atomic uint32_t pool_used;    /* frames handed out in the pool */
	_Atomic uint32_t mods_count;   /* module entries published (release after the entry) */
	uint32_t mods_str_used;        /* written by the probe before mods_count */

	/* Written by readers: a reader that wants snapshots more often than
	 * interval_ms stores the interval it wants and a CLOCK_MONOTONIC deadline
	 * until which the wish holds. The probe honours it down to LT_TICK_MS. */
	_Atomic uint32_t want_interval_ms;
	uint32_t pad;
	_Atomic uint64_t want_until_ns;
};

/* One 100 ms sample of the totals, for sparklines. */
struct lt_tick {
	uint64_t time_ns; /* CLOCK_REALTIME */
	uint64_t live_bytes;
	uint64_t live_blocks;
	uint64_t alloc_calls;
	uint64_t free_calls;
};

/* Single-producer ring. The probe writes tick number n into ticks[n & (cap-1)]
 * and then stores head = n + 1 with release. A reader loads head with acquire,
 * copies, fences, and re-reads head: ticks older than new_head - cap may have
 * been overwritten while it copied and are dropped. */
struct lt_ring {
	_Atomic uint64_t head; /* ticks ever written */
	uint64_t pad[7];
	struct lt_tick ticks[]; /* ring_cap entries */
};

/* A loaded ELF object, as dl_iterate_phdr saw it. Appended by the probe; the
 * entry and its strings are written before mods_count is raised (release). */
struct lt_module {
	uint64_t bias;     /* load bias: runtime address - link-time address */
	uint64_t lo, hi;   /* the executable PT_LOAD range, runtime addresses */
	uint32_t path_off; /* into the module string pool */
	uint32_t path_len; /* without NUL */
	uint8_t build_id[20];
	uint32_t build_id_len; /* 0 when the object has none */
};

/* The published snapshot: seq is a seqlock (odd while the probe rewrites
 * it). Everything after seq, and counts[0..nstacks), belongs to it. */
struct lt_snap_header {
	_Atomic uint32_t seq;
	uint32_t nstacks;         /* counts[] entries valid in this snapshot */
	uint64_t seqno;           /* snapshot number, 1 for the first */
	uint64_t time_ns;         /* CLOCK_REALTIME at publication */
	struct lt_counts totals;  /* the sum over all stacks */
	uint64_t unknown_frees;   /* frees of pointers the probe never saw */
	uint64_t overflow_allocs; /* allocations that found the stack table full */
	uint64_t probe_bytes;     /* memory the probe itself holds */
	uint64_t pad;
	struct lt_counts counts[]; /* indexed by stack id */
};

/* --- threads ------------------------------------------------------------ */

enum lt_thread_status {
	LT_THREAD_FREE = 0, /* an unused slot */
	LT_THREAD_LIVE = 1,
	LT_THREAD_ENDED = 2, /* kept until its slot is needed, oldest first */
};

/* Why a thread's current stack is what it is. */
enum lt_wait {
	LT_WAIT_OK = 0,      /* wait_stack was captured at wait_ns */
	LT_WAIT_BLOCKED = 1, /* the thread blocks the probe's signal */
	LT_WAIT_TIMEOUT = 2, /* no answer before the deadline (in the kernel, stopped) */
	LT_WAIT_BUSY = 3,    /* it was inside the probe itself; asked again next time */
	LT_WAIT_OFF = 4,     /* capture is off: the program took the signal, or
	                      * LEAKTOP_THREAD_STACKS=0 */
	LT_WAIT_NOT_YET = 5, /* not asked yet */
	LT_WAIT_SYSCALL = 6, /* blocked in a system call that a signal would cut
	                      * short (nanosleep, poll, epoll_wait, a futex with a
	                      * timeout...): not asked; wait_stack is one frame,
	                      * the program counter, and syscall says which */
};

/* One thread. Written only by the probe, under the threads seqlock. */
struct lt_thread {
	int32_t tid;
	int32_t creator_tid;   /* the thread that called pthread_create, 0 if unknown */
	uint32_t create_stack; /* where it was created, or LT_STACK_NONE */
	uint32_t wait_stack;   /* where it is now, or LT_STACK_NONE (see wait) */
	uint8_t status;        /* enum lt_thread_status */
	char state;            /* /proc state: R running, S sleeping, D disk wait, T
	                        * stopped, t traced, Z zombie, or '?' */
	uint8_t wait;          /* enum lt_wait */
	uint8_t pad;
	uint32_t serial;     /* 1 for the first thread the probe saw, and so on */
	int32_t syscall;     /* the system call it is blocked in, -1 if none */
	uint64_t start_ns;   /* CLOCK_REALTIME; when the probe first saw it for
	                      * threads it did not see created */
	uint64_t end_ns;     /* 0 while live */
	uint64_t wait_ns;    /* when wait_stack was captured */
	uint64_t live_bytes; /* bytes it allocated that are still live (0 for a
	                      * thread it did not see created, but main) */
	char name[16];       /* comm, NUL-terminated */
	char wchan[32];      /* kernel wait channel, or "" */
};

/* Threads created at one stack: counts since start, whether or not their
 * slots were since reused. */
struct lt_thread_site {
	uint32_t stack;
	uint32_t pad;
	uint64_t created;
	uint64_t ended;
};

struct lt_threads_header {
	_Atomic uint32_t seq;       /* seqlock over everything below and the tables */
	uint32_t nthreads;          /* slots in use (live and ended), first ones */
	uint64_t seqno;             /* 1 for the first publication */
	uint64_t time_ns;           /* CLOCK_REALTIME at publication */
	uint64_t created;           /* threads created since start (all sites) */
	uint64_t ended;             /* of those, ended */
	uint64_t untracked;         /* created while every slot held a live thread */
	uint64_t capture_ns;        /* how long capturing current stacks took */
	uint64_t reused_live_bytes; /* live bytes of ended threads whose slots
	                             * were since reused */
	uint32_t nsites;            /* sites[] entries valid */
	uint32_t pad;
	/* struct lt_thread[threads_cap], then struct lt_thread_site[sites_cap] */
};

/* The sizes of a segment's parts, from its capacities. */
struct lt_shm_layout {
	uint64_t ring_off, mods_off, mods_str_off, stack_index_off, stack_pool_off, snap_off;
	uint64_t threads_off, sites_off; /* sites_off: of the site table */
	uint64_t size;
};

struct lt_shm_caps {
	uint32_t stacks, pool, ring, mods, mods_str, threads, sites;
};

/* Fills *l for the given capacities; returns -1 when they are out of range. */
int shm_layout(struct lt_shm_layout *l, const struct lt_shm_caps *c);

/* Writes "/leaktop.<pid>.<random>" into buf (LT_SHM_NAME_MAX bytes). */
int shm_make_name(char *buf, pid_t pid);

/* Creates, reserves and maps a new segment of `size` bytes (probe side).
 * Returns the mapping or NULL with errno set; the name is in name_out. */
void *shm_create_segment(char *name_out, pid_t pid, uint64_t size);

/* --- reader side ------------------------------------------------------- */

/* A reader's view of one segment. The mapping is read-only but for page 0. */
struct shm_reader {
	int fd;
	uint64_t size;
	const unsigned char *base;       /* read-only mapping of the whole segment */
	const struct lt_shm_header *ctl; /* page 0, mapped read-only */
	struct lt_shm_header hdr;        /* validated copy of the immutable fields */
	char name[LT_SHM_NAME_MAX];
};

/* Opens the segment `name` (as in /dev/shm, without the slash). Checks
 * owner, mode, size, magic, version and every offset before it returns 0;
 * on failure returns -1 and fills *cause with a static message. */
int shm_reader_open(struct shm_reader *r, const char *name, const char **cause);
void shm_reader_close(struct shm_reader *r);

/* Whether the segment still stands as it was mapped. 0: it does. 1: its name
 * was removed (rm, or another tool); the mapping still reads. -1: it shrank
 * below the mapping, so reading past its new end would raise SIGBUS, or it
 * cannot be checked. *cause says which. */
int shm_reader_check(const struct shm_reader *r, const char **cause);

/* Finds the newest segment of pid owned by this user; 0 and the name in
 * name_out (LT_SHM_NAME_MAX), or -1 when there is none. When there are
 * segments of pid but none passes shm_reader_open, *cause says why one was
 * refused and name_out names it; else *cause is NULL. */
int shm_find_by_pid(pid_t pid, char *name_out, const char **cause);

/* Copies the current snapshot: *hdr and up to cap counts into counts.
 * Returns 0, or -1 when it could not get a stable copy in a few tries
 * (writer mid-update, or a hostile segment). */
int shm_read_snapshot(const struct shm_reader *r, struct lt_snap_header *hdr,
                      struct lt_counts *counts, uint32_t cap);

/* Copies the depth and frames (leaf first, at most max) of stack id into
 * frames; returns the depth, or -1 when the id is not (yet) valid. */
int shm_read_stack(const struct shm_reader *r, uint32_t id, uint64_t *frames, uint32_t max);

/* Current count of ids handed out, bounded by stacks_cap. */
uint32_t shm_stacks_count(const struct shm_reader *r);

/* Copies module i (below shm_modules_count) and its path (NUL-terminated,
 * truncated to path_max). Returns 0 or -1 when the entry is malformed. */
uint32_t shm_modules_count(const struct shm_reader *r);
int shm_read_module(const struct shm_reader *r, uint32_t i, struct lt_module *m, char *path,
                    size_t path_max);

/* Copies ticks numbered from *next (updated) up to the newest, at most cap;
 * returns how many were copied. Ticks already overwritten are skipped. */
uint32_t shm_read_ticks(const struct shm_reader *r, uint64_t *next, struct lt_tick *out,
                        uint32_t cap);

/* 1 while the process that wrote the segment runs; 0 when it is gone
 * (no such pid, or the pid now names a process with another start time). */
int shm_process_alive(const struct shm_reader *r);

/* The state word and the exit status. */
uint32_t shm_state(const struct shm_reader *r, int *exit_status);

/* Copies the thread table: *hdr, up to cap threads and up to sites_cap
 * sites. Returns 0, or -1 when no stable copy came in a few tries. */
int shm_read_threads(const struct shm_reader *r, struct lt_threads_header *hdr,
                     struct lt_thread *threads, uint32_t cap, struct lt_thread_site *sites,
                     uint32_t sites_cap);

/* Asks the probe for snapshots every ms until CLOCK_MONOTONIC deadline. */
void shm_want_interval(const struct shm_reader *r, uint32_t ms, uint64_t until_ns);
/* Zero launcher_pid: the probe then removes its own segment at exit, as it
 * does for a program no leaktop started. 0, or -1 when the write failed. */
int shm_disown(const struct shm_reader *r);

#endif
