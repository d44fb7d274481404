/* threads.c - the thread registry and current-stack capture (threads.h).
 *
 * Locking: the registry (slot status, tid, creation fields, sites, counts)
 * changes under reg_lock, a spinlock held for a few stores at a time: by
 * pthread_create, by a thread starting and ending, and by the publisher.
 * What /proc says about a thread and its current stack are the publisher's
 * alone. The signal handler takes no lock: it writes its slot's frames and
 * then stores the request number it answered (release); the publisher reads
 * the frames only after it loaded that number (acquire), and asks a thread
 * again only once it has answered, so at most one signal is ever pending
 * per thread. */
#define _GNU_SOURCE
#include "threads.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "../shared/seqlock.h"
#include "recorder.h"
#include "unwind.h"

#define CAPTURE_EVERY_NS    1000000000ull /* current stacks at most once a second */
#define CAPTURE_DEADLINE_NS 20000000ull   /* how long the publisher waits for answers */
#define NO_SITE             0xffffffffu

enum slot_status { SLOT_FREE, SLOT_STARTING, SLOT_LIVE, SLOT_ENDED };

struct slot {
	/* The registry: under reg_lock. */
	int32_t tid;
	int32_t creator;
	uint32_t create_stack;
	uint32_t serial;
	uint32_t site;
	uint8_t status;
	uint8_t seen; /* found by the publisher's latest /proc scan */
	uint8_t gen;  /* times the slot was taken, 1..OWNER_GEN_MAX, round */
	uint16_t tag; /* the owner tag of its thread's blocks (recorder.h) */
	uint64_t start_ns, end_ns;
	void *(*fn)(void *);
	void *arg;
	/* What /proc says, and the current stack: the publisher's. */
	char state;
	uint8_t wait;  /* enum lt_wait */
	uint8_t asked; /* a request is outstanding */
	char name[16];
	char wchan[32];
	uint64_t mark; /* context switches when the stack was captured */
	int32_t syscall;
	uint32_t wait_stack;
	uint64_t wait_ns;
	/* The handler's answer. */
	_Atomic uint32_t req, done;
	uint32_t depth;
	uint8_t busy;     /* the answer: inside the probe, no stack */
	uint64_t *frames; /* rec.cfg.depth of them */
};

static struct slot *slots;
static uint64_t *frames_area;
static size_t slots_bytes, frames_bytes;
static _Atomic int reg_lock;
static uint32_t serials;
static uint64_t created, ended, untracked;
static struct lt_thread_site sites[LT_SITES_CAP];
static uint32_t nsites;

static int capture_sig;
static _Atomic int capture_on;
static uintptr_t restorer; /* where a signal handler returns: the signal frame */
static uint64_t last_capture_ns, capture_ns;
static uint64_t seqno; /* ours: the segment's copy is for readers */

/* Takes reg_lock; with patient 0, gives up after a while (the exit path,
 * which may run in a signal handler that interrupted the holder). */
static int try_lock(int patient)
{
	int expect = 0;
	for (int i = 0; !atomic_compare_exchange_weak_explicit(
	         &reg_lock, &expect, 1, memory_order_acquire, memory_order_relaxed);
	     i++) {
		if (!patient && i > 2000)
			return -1;
		expect = 0;
		sched_yield();
	}
	return 0;
}

static void lock(void)
{
	try_lock(1);
}

static void unlock(void)
{
	atomic_store_explicit(&reg_lock, 0, memory_order_release);
}

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int32_t my_tid(void)
{
	return (int32_t)syscall(SYS_gettid);
}

/* --- the registry (reg_lock held) ---------------------------------------- */

/* A free slot, else the one of the thread that ended first, else NULL. */
static struct slot *take_slot(void)
{
	struct slot *oldest = NULL;
	for (uint32_t i = 0; i < LT_THREADS_CAP; i++) {
		struct slot *s = &slots[i];
		if (s->status == SLOT_FREE)
			return s;
		if (s->status == SLOT_ENDED && (!oldest || s->end_ns < oldest->end_ns))
			oldest = s;
	}
	return oldest;
}

static void fill_slot(struct slot *s, int32_t tid, int32_t creator, uint32_t stack)
{
	uint64_t *frames = s->frames;
	uint8_t gen = s->gen % OWNER_GEN_MAX + 1;
	memset(s, 0, sizeof *s);
	s->frames = frames;
	s->gen = gen;
	s->tag = (uint16_t)(gen << OWNER_GEN_SHIFT | (uint32_t)(s - slots));
	recorder_owner_start(s->tag);
	s->tid = tid;
	s->creator = creator;
	s->create_stack = stack;
	s->serial = ++serials;
	s->site = NO_SITE;
	s->state = '?';
	s->wait = LT_WAIT_NOT_YET;
	s->wait_stack = LT_STACK_NONE;
	s->syscall = -1;
	s->status = tid ? SLOT_LIVE : SLOT_STARTING;
	s->start_ns = now_ns(CLOCK_REALTIME);
	created++;
}

static uint32_t site_of(uint32_t stack)
{
	for (uint32_t i = 0; i < nsites; i++)
		if (sites[i].stack == stack)
			return i;
	if (nsites == LT_SITES_CAP)
		return NO_SITE;
	sites[nsites] = (struct lt_thread_site){ .stack = stack };
	return nsites++;
}

static void end_slot(struct slot *s, uint64_t when)
{
	if (s->status != SLOT_LIVE && s->status != SLOT_STARTING)
		return;
	s->status = SLOT_ENDED;
	s->end_ns = when;
	ended++;
	if (s->site != NO_SITE)
		sites[s->site].ended++;
}

static struct slot *find_live(int32_t tid)
{
	for (uint32_t i = 0; i < LT_THREADS_CAP; i++)
		if (slots[i].tid == tid && slots[i].status == SLOT_LIVE)
			return &slots[i];
	return NULL;
}

/* Whether tid is a thread that ended after `since`: its trampoline marks
 * the end before the kernel's exit, so /proc may list it a little longer;
 * found there, it must not come back as a thread of its own. */
static int ended_since(int32_t tid, uint64_t since)
{
	for (uint32_t i = 0; i < LT_THREADS_CAP; i++)
		if (slots[i].tid == tid && slots[i].status == SLOT_ENDED &&
		    slots[i].end_ns >= since)
			return 1;
	return 0;
}

/* --- creation and end ----------------------------------------------------- */

static void thread_end(void *arg)
{
	struct slot *s = arg;
	/* In a fork child the registry is the parent's copy, its lock maybe
	 * held by a thread that no longer exists: hands off. */
	if (atomic_load_explicit(&rec.phase, memory_order_acquire) != PHASE_ON)
		return;
	probe_guard++;
	lock();
	end_slot(s, now_ns(CLOCK_REALTIME));
	unlock();
	probe_guard--;
}

static void *trampoline(void *arg)
{
	struct slot *s = arg;
	void *(*fn)(void *) = s->fn;
	void *fn_arg = s->arg;
	int32_t tid = my_tid();
	void *ret;

	probe_guard++;
	lock();
	/* The publisher may have found this thread in /proc before it got
	 * here, and given it a slot of its own: that one goes. */
	struct slot *dup = find_live(tid);
	if (dup) {
		dup->status = SLOT_FREE;
		created--;
	}
	s->tid = tid;
	s->start_ns = now_ns(CLOCK_REALTIME);
	s->status = SLOT_LIVE;
	probe_thread_tag = s->tag;
	unlock();
	unwind_thread_start();
	probe_guard--;

	pthread_cleanup_push(thread_end, s);
	ret = fn(fn_arg);
	pthread_cleanup_pop(1);
	return ret;
}

int threads_create(int (*real_create)(pthread_t *, const pthread_attr_t *, void *(*)(void *),
                                      void *),
                   pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg,
                   const void *caller)
{
	uint32_t want = unwind_room(rec.cfg.depth ? rec.cfg.depth : 1);
	uint64_t frames[want];
	struct slot *s = NULL;

	if (slots) {
		uint32_t depth = unwind_capture(frames, want, caller);
		uint32_t stack = stack_intern(&rec.stacks, frames, depth);
		lock();
		s = take_slot();
		if (s) {
			fill_slot(s, 0, my_tid(), stack);
			s->fn = fn;
			s->arg = arg;
			s->site = site_of(stack);
			if (s->site != NO_SITE)
				sites[s->site].created++;
		} else {
			untracked++;
		}
		unlock();
	}
	if (!s)
		return real_create(t, attr, fn, arg);
	int err = real_create(t, attr, trampoline, s);
	if (err) {
		lock();
		if (s->site != NO_SITE)
			sites[s->site].created--;
		s->status = SLOT_FREE;
		created--;
		unlock();
	}
	return err;
}

/* --- capture ------------------------------------------------------------- */

static void on_capture(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	if (si->si_code != SI_QUEUE || si->si_pid != rec.pid || !slots)
		return; /* not ours */
	uint32_t i = (uint32_t)si->si_value.sival_int;
	if (i >= LT_THREADS_CAP)
		return;
	struct slot *s = &slots[i];
	int e = errno;
	if (s->tid != my_tid()) {
		errno = e;
		return;
	}
	uint32_t req = atomic_load_explicit(&s->req, memory_order_acquire);
	s->depth = 0;
	s->busy = probe_guard != 0;
	if (!s->busy) {
		/* Inside the probe (libunwind's per-thread cache among it) this
		 * thread is left alone; outside, it unwinds through the signal
		 * frame and keeps what lies past it. */
		/* Sized by the depth asked for (at most LT_DEPTH_MAX) and the
		 * stack left, as in the hooks: the handler runs on the thread's
		 * own stack. */
		uint32_t want = unwind_room(rec.cfg.depth + 8);
		uint64_t raw[want];
		probe_guard = 1;
		uint32_t n = unwind_capture(raw, want, NULL), from = 0;
		probe_guard = 0;
		for (uint32_t k = 0; k < n && k < 8; k++)
			if (raw[k] >= restorer && raw[k] < restorer + 16) {
				from = k + 1;
				break;
			}
		uint32_t d = n - from < rec.cfg.depth ? n - from : rec.cfg.depth;
		memcpy(s->frames, raw + from, d * sizeof *raw);
#ifdef __x86_64__
		if (d == 0) { /* no room to unwind: where it was, at least */
			s->frames[0] = (uint64_t)((ucontext_t *)uc)->uc_mcontext.gregs[REG_RIP];
			d = 1;
		}
#endif
		s->depth = d;
	}
	/* Release: the frames before the answer; pairs with collect(). */
	atomic_store_explicit(&s->done, req, memory_order_release);
	errno = e;
}

void threads_signal_taken(int sig)
{
	if (sig == capture_sig && atomic_load_explicit(&capture_on, memory_order_relaxed))
		atomic_store(&capture_on, 0);
}

static int env_int(const char *name, int def)
{
	const char *v = secure_getenv(name);
	if (!v || !*v)
		return def;
	char *end;
	long n = strtol(v, &end, 10);
	return *end ? def : (int)n;
}

int threads_init(int (*real_sigaction)(int, const struct sigaction *, struct sigaction *))
{
	slots_bytes = LT_THREADS_CAP * sizeof *slots;
	frames_bytes = (size_t)LT_THREADS_CAP * rec.cfg.depth * sizeof *frames_area;
	slots = mmap(NULL, slots_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	frames_area =
	    mmap(NULL, frames_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (slots == MAP_FAILED || frames_area == MAP_FAILED) {
		if (slots != MAP_FAILED)
			munmap(slots, slots_bytes);
		if (frames_area != MAP_FAILED)
			munmap(frames_area, frames_bytes);
		slots = NULL;
		frames_area = NULL;
		return -1;
	}
	for (uint32_t i = 0; i < LT_THREADS_CAP; i++)
		slots[i].frames = frames_area + (size_t)i * rec.cfg.depth;
	lock();
	fill_slot(&slots[0], my_tid(), 0, LT_STACK_NONE);
	probe_thread_tag = slots[0].tag; /* the thread that starts the probe: main, as a rule */
	unlock();

	/* The capture signal: one the program does not handle already. */
	capture_sig = env_int("LEAKTOP_THREAD_SIGNAL", SIGRTMAX - 2);
	if (capture_sig < SIGRTMIN || capture_sig > SIGRTMAX ||
	    env_int("LEAKTOP_THREAD_STACKS", 1) == 0)
		return 0;
	/* Not SA_ONSTACK: a thread's alternate stack is the program's, sized
	 * for its own handlers (often a few KiB), not for an unwind. */
	struct sigaction cur,
	    sa = { .sa_sigaction = on_capture, .sa_flags = SA_SIGINFO | SA_RESTART };
	if (real_sigaction(capture_sig, NULL, &cur) < 0 || cur.sa_handler != SIG_DFL)
		return 0;
	sigfillset(&sa.sa_mask);
	if (real_sigaction(capture_sig, &sa, NULL) < 0 ||
	    real_sigaction(capture_sig, NULL, &cur) < 0)
		return 0;
	restorer = (uintptr_t)cur.sa_restorer;
	atomic_store(&capture_on, 1);
	return 0;
}

/* --- /proc ---------------------------------------------------------------- */

/* Reads /proc/self/task/TID/FILE into buf (NUL-terminated); its length or -1. */
static ssize_t read_task_file(int32_t tid, const char *file, char *buf, size_t n)
{
	char path[64];
	int len = 0;
	const char *pre = "/proc/self/task/";
	/* No snprintf: it may allocate, and this runs with the registry's
	 * neighbours in mind; digits by hand. */
	char digits[12];
	int nd = 0;
	for (uint32_t v = (uint32_t)tid; nd == 0 || v; v /= 10)
		digits[nd++] = (char)('0' + v % 10);
	for (const char *p = pre; *p; p++)
		path[len++] = *p;
	while (nd)
		path[len++] = digits[--nd];
	path[len++] = '/';
	for (const char *p = file; *p && len < (int)sizeof path - 1; p++)
		path[len++] = *p;
	path[len] = '\0';
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t got = read(fd, buf, n - 1);
	close(fd);
	if (got < 0)
		return -1;
	buf[got] = '\0';
	return got;
}

/* The value after "key:" in a /proc status text, or NULL. */
static const char *field(const char *text, const char *key)
{
	size_t k = strlen(key);
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, key, k) && p[k] == ':') {
			p += k + 1;
			while (*p == ' ' || *p == '\t')
				p++;
			return p;
		}
	return NULL;
}

struct task_info {
	char name[16];
	char state;
	int blocks; /* the capture signal is blocked */
	uint64_t mark;
};

static int read_task(int32_t tid, struct task_info *ti)
{
	char buf[4096];
	if (read_task_file(tid, "status", buf, sizeof buf) < 0)
		return -1;
	const char *v = field(buf, "Name");
	size_t n = 0;
	if (v)
		while (v[n] && v[n] != '\n' && n < sizeof ti->name - 1)
			n++;
	memcpy(ti->name, v ? v : "", n);
	ti->name[n] = '\0';
	v = field(buf, "State");
	ti->state = v && *v ? *v : '?';
	v = field(buf, "SigBlk");
	uint64_t blk = v ? strtoull(v, NULL, 16) : 0;
	ti->blocks = capture_sig > 0 && ((blk >> (capture_sig - 1)) & 1);
	v = field(buf, "voluntary_ctxt_switches");
	ti->mark = v ? strtoull(v, NULL, 10) : 0;
	v = field(buf, "nonvoluntary_ctxt_switches");
	ti->mark += v ? strtoull(v, NULL, 10) : 0;
	return 0;
}

static void read_wchan(struct slot *s)
{
	char buf[64];
	s->wchan[0] = '\0';
	if ((s->state != 'S' && s->state != 'D') ||
	    read_task_file(s->tid, "wchan", buf, sizeof buf) <= 0 || !strcmp(buf, "0"))
		return;
	size_t n = strcspn(buf, "\n");
	n = n < sizeof s->wchan - 1 ? n : sizeof s->wchan - 1;
	memcpy(s->wchan, buf, n);
	s->wchan[n] = '\0';
}

/* What /proc/self/task/TID/syscall says: the call a blocked thread is in
 * (-1: blocked outside one; -2: running), its arguments and its pc. */
struct task_syscall {
	long nr;
	uint64_t arg[6];
	uint64_t pc;
};

static int read_syscall(int32_t tid, struct task_syscall *sc)
{
	char buf[256];
	if (read_task_file(tid, "syscall", buf, sizeof buf) <= 0)
		return -1;
	memset(sc, 0, sizeof *sc);
	if (!strncmp(buf, "running", 7)) {
		sc->nr = -2;
		return 0;
	}
	char *p = buf, *end;
	sc->nr = strtol(p, &end, 10);
	if (end == p)
		return -1;
	uint64_t v[8];
	int n = 0;
	for (p = end; n < 8; p = end) {
		v[n] = strtoull(p, &end, 16);
		if (end == p)
			break;
		n++;
	}
	/* "NR a0..a5 sp pc", or "-1 sp pc" */
	if (sc->nr >= 0 && n == 8) {
		memcpy(sc->arg, v, sizeof sc->arg);
		sc->pc = v[7];
	} else if (n >= 2) {
		sc->pc = v[n - 1];
	}
	return 0;
}

/* Whether a thread in this call can take the capture signal unnoticed:
 * with SA_RESTART the kernel restarts these calls after the handler, where
 * nanosleep, poll, select, epoll_wait, socket calls with a timeout, and a
 * futex wait with a timeout (sem_timedwait passes that EINTR on) would
 * fail with EINTR. A thread running in user space has no call to cut. */
static int safe_to_signal(const struct task_syscall *sc)
{
	switch (sc->nr) {
	case -2: return 1;                      /* running */
	case SYS_futex: return sc->arg[3] == 0; /* no timeout */
	case SYS_read:
	case SYS_readv:
	case SYS_pread64:
	case SYS_write:
	case SYS_writev:
	case SYS_pwrite64:
	case SYS_wait4:
	case SYS_waitid:
	case SYS_flock:
	case SYS_open:
	case SYS_openat: return 1;
	default: return 0;
	}
}

/* /proc/self/task, read with getdents64 into a buffer of our own: opendir
 * would malloc, and the publisher must never hold a malloc lock, so that
 * a fork that skips glibc's locking (see fork in hooks.c) finds none held. */
struct task_dir {
	int fd;
	long len, pos;
	char buf[2048] __attribute__((aligned(8)));
};

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* The next task's id, 0 for an entry that names none, -1 at the end. */
static int32_t next_task(struct task_dir *d)
{
	if (d->pos >= d->len) {
		d->len = syscall(SYS_getdents64, d->fd, d->buf, sizeof d->buf);
		d->pos = 0;
		if (d->len <= 0)
			return -1;
	}
	const struct linux_dirent64 *e = (const void *)(d->buf + d->pos);
	d->pos += e->d_reclen;
	return (int32_t)strtol(e->d_name, NULL, 10);
}

/* Finds every task: new ones get a slot, gone ones end. Marks what must be
 * asked for its stack. */
static void scan(uint64_t now)
{
	int32_t self = my_tid();
	struct task_dir d = { .fd = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC) };
	if (d.fd < 0)
		return;
	lock();
	for (uint32_t i = 0; i < LT_THREADS_CAP; i++)
		slots[i].seen = 0;
	unlock();
	for (int32_t tid; (tid = next_task(&d)) >= 0;) {
		struct task_info ti;
		if (tid <= 0 || tid == self || read_task(tid, &ti) < 0)
			continue;
		lock();
		struct slot *s = find_live(tid);
		if (!s && ti.state != 'Z' && !ended_since(tid, now - 1000000000ull) &&
		    (s = take_slot()))
			fill_slot(s, tid, 0, LT_STACK_NONE);
		if (s) {
			s->seen = 1;
			if (ti.state == 'Z') /* main called pthread_exit */
				end_slot(s, now);
		}
		unlock();
		if (!s)
			continue;
		memcpy(s->name, ti.name, sizeof s->name);
		s->state = ti.state;
		read_wchan(s);
		if (!atomic_load(&capture_on) || s->status != SLOT_LIVE) {
			s->wait = atomic_load(&capture_on) ? s->wait : LT_WAIT_OFF;
			continue;
		}
		if (s->asked)
			continue; /* the last request is still pending */
		struct task_syscall sc;
		if (ti.blocks) {
			s->wait = LT_WAIT_BLOCKED;
			s->wait_stack = LT_STACK_NONE;
		} else if (s->wait == LT_WAIT_OK && ti.mark == s->mark && ti.state != 'R') {
			/* it has not run since its stack was taken */
		} else if (read_syscall(tid, &sc) < 0 || sc.nr == -1) {
			s->wait = LT_WAIT_TIMEOUT; /* stopped, or gone */
			s->wait_stack = LT_STACK_NONE;
		} else if (!safe_to_signal(&sc)) {
			s->wait = LT_WAIT_SYSCALL;
			s->syscall = (int32_t)sc.nr;
			s->wait_stack = stack_intern(&rec.stacks, &sc.pc, 1);
			s->wait_ns = now;
		} else {
			atomic_fetch_add_explicit(&s->req, 1, memory_order_release);
			s->asked = 1;
			siginfo_t si;
			memset(&si, 0, sizeof si);
			si.si_signo = capture_sig;
			si.si_code = SI_QUEUE;
			si.si_pid = rec.pid;
			si.si_uid = getuid();
			si.si_value.sival_int = (int)(s - slots);
			s->syscall = -1;
			if (syscall(SYS_rt_tgsigqueueinfo, rec.pid, tid, capture_sig, &si) < 0)
				s->asked = 0;
		}
	}
	close(d.fd);
	/* A thread found before and not now has ended (one the probe saw
	 * created ends through its trampoline, which may come later). */
	lock();
	for (uint32_t i = 0; i < LT_THREADS_CAP; i++)
		if (slots[i].status == SLOT_LIVE && !slots[i].seen && slots[i].tid != self)
			end_slot(&slots[i], now);
	unlock();
}

/* Waits for the answers until the deadline and takes them in. */
static void collect(void)
{
	uint64_t start = now_ns(CLOCK_MONOTONIC);
	for (;;) {
		int waiting = 0;
		for (uint32_t i = 0; i < LT_THREADS_CAP; i++) {
			struct slot *s = &slots[i];
			if (!s->asked)
				continue;
			uint32_t req = atomic_load_explicit(&s->req, memory_order_relaxed);
			if (atomic_load_explicit(&s->done, memory_order_acquire) != req) {
				waiting = 1;
				continue;
			}
			s->asked = 0;
			s->wait_ns = now_ns(CLOCK_REALTIME);
			if (s->busy) {
				s->wait = LT_WAIT_BUSY;
				s->wait_stack = LT_STACK_NONE;
				continue;
			}
			s->wait = LT_WAIT_OK;
			s->wait_stack = stack_intern(&rec.stacks, s->frames, s->depth);
			struct task_info ti;
			if (read_task(s->tid, &ti) == 0)
				s->mark = ti.mark;
		}
		if (!waiting || now_ns(CLOCK_MONOTONIC) - start > CAPTURE_DEADLINE_NS)
			break;
		nanosleep(&(struct timespec){ 0, 200000 }, NULL);
	}
	for (uint32_t i = 0; i < LT_THREADS_CAP; i++)
		if (slots[i].asked) {
			slots[i].wait = LT_WAIT_TIMEOUT;
			slots[i].wait_stack = LT_STACK_NONE;
		}
	capture_ns = now_ns(CLOCK_MONOTONIC) - start;
}

/* --- publication ------------------------------------------------------------- */

void threads_publish(struct lt_threads_header *h, uint64_t time_ns, int final)
{
	if (!slots)
		return;
	uint64_t now = now_ns(CLOCK_REALTIME);
	if (!final && now - last_capture_ns >= CAPTURE_EVERY_NS) {
		last_capture_ns = now;
		scan(now);
		if (atomic_load(&capture_on))
			collect();
	}
	struct lt_thread *out = (struct lt_thread *)(h + 1);
	struct lt_thread_site *out_sites = (struct lt_thread_site *)(out + LT_THREADS_CAP);
	if (try_lock(!final) < 0)
		return;
	uint32_t seq = seqlock_write_begin(&h->seq);
	uint32_t n = 0;
	for (uint32_t i = 0; i < LT_THREADS_CAP; i++) {
		const struct slot *s = &slots[i];
		if (s->status != SLOT_LIVE && s->status != SLOT_ENDED)
			continue;
		struct lt_thread *t = &out[n++];
		*t = (struct lt_thread){
			.tid = s->tid,
			.creator_tid = s->creator,
			.create_stack = s->create_stack,
			.wait_stack = s->status == SLOT_LIVE ? s->wait_stack : LT_STACK_NONE,
			.status = s->status == SLOT_LIVE ? LT_THREAD_LIVE : LT_THREAD_ENDED,
			.state = s->status == SLOT_LIVE ? s->state : 'X',
			.wait = s->wait,
			.serial = s->serial,
			.syscall = s->syscall,
			.start_ns = s->start_ns,
			.end_ns = s->end_ns,
			.wait_ns = s->wait_ns,
			.live_bytes = recorder_owner_live(s->tag),
		};
		memcpy(t->name, s->name, sizeof t->name);
		memcpy(t->wchan, s->wchan, sizeof t->wchan);
	}
	memcpy(out_sites, sites, nsites * sizeof *sites);
	h->nthreads = n;
	h->nsites = nsites;
	h->created = created;
	h->ended = ended;
	h->untracked = untracked;
	h->seqno = ++seqno;
	h->time_ns = time_ns;
	h->capture_ns = capture_ns;
	h->reused_live_bytes = recorder_ended_live();
	seqlock_write_end(&h->seq, seq);
	unlock();
}

uint64_t threads_bytes(void)
{
	return slots ? slots_bytes + frames_bytes : 0;
}
