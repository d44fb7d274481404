/* inject.c - calling dlopen and the probe inside a running process.
 *
 * The sequence, all of it within one stop of the process:
 *   1. every thread is seized and interrupted; threads created meanwhile
 *      are found by reading /proc/PID/task again until it holds no new one;
 *   2. each thread's stack is unwound (libunwind's ptrace accessors): a
 *      frame in glibc's allocator, its dynamic-loader functions, thread
 *      creation or fork, or anywhere in ld.so, means that thread may hold a
 *      lock dlopen or the probe needs; then every thread goes again, and the
 *      stop is tried anew a few milliseconds later;
 *   3. one thread (the leader when it lives) calls dlopen, dlsym and the
 *      probe's function: its registers are saved, its stack pointer moved
 *      below the red zone, the arguments written there, and the return
 *      address set to 0, so that the call ends in a SIGSEGV at pc 0 which
 *      the tracer catches and swallows; then the registers go back;
 *   4. every thread is detached, and runs on.
 * A thread stopped inside a system call gets orig_rax -1 for the calls, so
 * the kernel does not restart its call at our pc; the saved registers carry
 * the call's restart back. Signals that arrive during a call are delivered
 * to the program's handlers there, as they would have been.
 *
 * Addresses in the target come from its /proc/PID/maps and the dynamic
 * symbols of its own libc file, read through /proc/PID/root. */
#define _GNU_SOURCE
#include "inject.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libunwind-ptrace.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "shared/shm.h"

#define MAX_THREADS   4096
#define MAX_UNSAFE    64
#define STOP_TRIES    200 /* stops tried before giving up on a busy program */
#define CALL_TIMEOUT  (5 * 1000000000ull)
#define UNWIND_FRAMES 512

/* glibc functions a thread may be inside while holding a lock that dlopen,
 * malloc or pthread_create takes. Their callees (_int_malloc, the lock
 * waits) have no dynamic symbol, but these are on the stack above them. */
static const char *const busy_names[] = {
	"malloc",         "free",         "calloc",         "realloc",
	"reallocarray",   "memalign",     "posix_memalign", "aligned_alloc",
	"valloc",         "pvalloc",      "malloc_trim",    "malloc_stats",
	"malloc_info",    "mallinfo",     "mallinfo2",      "dlopen",
	"dlclose",        "dlsym",        "dlvsym",         "dladdr",
	"dladdr1",        "dlinfo",       "dlmopen",        "dl_iterate_phdr",
	"pthread_create", "pthread_exit", "fork",           "_Fork",
	"exit",           "__libc_fork",
};

struct range {
	uint64_t lo, hi;
};

struct target {
	pid_t pid;
	char libc[4096]; /* the libc file, through /proc/PID/root */
	uint64_t libc_base;
	uint64_t fn_dlopen, fn_dlsym, fn_dlerror;
	struct range busy[MAX_UNSAFE]; /* libc's busy functions, ld.so's code */
	int nbusy;
	pid_t tids[MAX_THREADS];
	int ntids;
};

static void say(char *err, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *err, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, n, fmt, ap);
	va_end(ap);
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* --- what /proc says ------------------------------------------------------ */

/* The value after "key:" in /proc/PID/status, or -1. */
static long status_field(pid_t pid, const char *key)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	long v = -1;
	size_t klen = strlen(key);
	while (fgets(line, sizeof line, f))
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			v = strtol(line + klen + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

static int yama_scope(void)
{
	FILE *f = fopen("/proc/sys/kernel/yama/ptrace_scope", "re");
	int v = 0;
	if (!f)
		return 0;
	if (fscanf(f, "%d", &v) != 1)
		v = 0;
	fclose(f);
	return v;
}

static void comm_of(pid_t pid, char *out, size_t n)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
	FILE *f = fopen(path, "re");
	out[0] = '\0';
	if (f) {
		if (fgets(out, (int)n, f))
			out[strcspn(out, "\n")] = '\0';
		fclose(f);
	}
	if (!out[0])
		snprintf(out, n, "?");
}

int inject_refusal(pid_t pid, char *why, size_t n)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d", (int)pid);
	if (access(path, F_OK) < 0) {
		say(why, n, "no process %d", (int)pid);
		return -1;
	}
	long uid = status_field(pid, "Uid"), tracer = status_field(pid, "TracerPid");
	if (geteuid() != 0 && uid >= 0 && (uid_t)uid != geteuid()) {
		say(why, n,
		    "process %d belongs to user %ld: leaktop can attach only to your own processes "
		    "(or run it as root)",
		    (int)pid, uid);
		return -1;
	}
	if (tracer > 0) {
		char comm[64];
		comm_of((pid_t)tracer, comm, sizeof comm);
		say(why, n,
		    "process %d is already traced by process %ld (%s): a process has one tracer; "
		    "detach it first",
		    (int)pid, tracer, comm);
		return -1;
	}
	if (geteuid() != 0 && yama_scope() >= 2) {
		say(why, n,
		    "kernel.yama.ptrace_scope is %d: only root may attach; run leaktop as root",
		    yama_scope());
		return -1;
	}
	return 0;
}

/* Why PTRACE_SEIZE failed with e, as one line. */
static void seize_failed(pid_t pid, int e, char *err, size_t n)
{
	int scope = yama_scope();
	if (e == EPERM && scope == 1 && geteuid() != 0)
		say(err, n,
		    "cannot attach to process %d: kernel.yama.ptrace_scope is 1, so only its "
		    "parent "
		    "may; run leaktop as root, or set kernel.yama.ptrace_scope=0",
		    (int)pid);
	else if (e == EPERM && scope >= 2)
		say(err, n, "cannot attach to process %d: kernel.yama.ptrace_scope is %d", (int)pid,
		    scope);
	else if (e == EPERM)
		say(err, n,
		    "cannot attach to process %d: ptrace is not permitted (a set-ID program, or a "
		    "container without CAP_SYS_PTRACE)",
		    (int)pid);
	else
		say(err, n, "cannot attach to process %d: %s", (int)pid, strerror(e));
}

/* --- addresses in the target ---------------------------------------------- */

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

static int is_libc(const char *path)
{
	const char *b = base_name(path);
	return !strcmp(b, "libc.so.6") || (!strncmp(b, "libc-", 5) && strstr(b, ".so"));
}

/* The libc's base and path, and the code of ld.so as busy ranges. */
static int read_maps(struct target *t, char *err, size_t n)
{
	char path[64], line[4608];
	snprintf(path, sizeof path, "/proc/%d/maps", (int)t->pid);
	FILE *f = fopen(path, "re");
	if (!f) {
		say(err, n, "process %d: cannot read its maps: %s", (int)t->pid, strerror(errno));
		return -1;
	}
	t->libc_base = 0;
	while (fgets(line, sizeof line, f)) {
		unsigned long long lo, hi, off;
		char perms[8], file[4096] = "";
		if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %4095[^\n]", &lo, &hi, perms, &off,
		           file) < 4)
			continue;
		char *p = file + strspn(file, " ");
		if (*p != '/')
			continue;
		if (is_libc(p) && off == 0 && !t->libc_base) {
			t->libc_base = lo;
			snprintf(t->libc, sizeof t->libc, "/proc/%d/root%s", (int)t->pid, p);
		}
		if (!strncmp(base_name(p), "ld-linux", 8) && perms[2] == 'x' &&
		    t->nbusy < MAX_UNSAFE)
			t->busy[t->nbusy++] = (struct range){ lo, hi };
	}
	fclose(f);
	if (!t->libc_base) {
		say(err, n,
		    "process %d has no libc.so.6 loaded: leaktop attaches to dynamically "
		    "linked glibc programs only",
		    (int)t->pid);
		return -1;
	}
	return 0;
}

/* Calls fn for each defined dynamic symbol of the ELF file at path. 0, or
 * -1 when the file cannot be read as ELF. */
static int each_dynsym(const char *path, void (*fn)(const char *, const GElf_Sym *, void *),
                       void *ctx)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	elf_version(EV_CURRENT);
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	Elf_Scn *scn = NULL;
	while (e && (scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNSYM || !sh.sh_entsize)
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		size_t count = sh.sh_size / sh.sh_entsize;
		for (size_t i = 0; d && i < count; i++) {
			GElf_Sym sym;
			if (!gelf_getsym(d, (int)i, &sym) || sym.st_shndx == SHN_UNDEF)
				continue;
			const char *name = elf_strptr(e, sh.sh_link, sym.st_name);
			if (name)
				fn(name, &sym, ctx);
		}
	}
	int ok = e ? 0 : -1;
	if (e)
		elf_end(e);
	close(fd);
	return ok;
}

struct libc_walk {
	struct target *t;
	int found;
};

static void libc_symbol(const char *name, const GElf_Sym *s, void *ctx)
{
	struct libc_walk *w = ctx;
	struct target *t = w->t;
	if (GELF_ST_TYPE(s->st_info) != STT_FUNC)
		return;
	uint64_t at = t->libc_base + s->st_value;
	if (!strcmp(name, "dlopen"))
		t->fn_dlopen = at, w->found |= 1;
	else if (!strcmp(name, "dlsym"))
		t->fn_dlsym = at, w->found |= 2;
	else if (!strcmp(name, "dlerror"))
		t->fn_dlerror = at, w->found |= 4;
	for (size_t k = 0; k < sizeof busy_names / sizeof busy_names[0]; k++)
		if (!strcmp(name, busy_names[k]) && t->nbusy < MAX_UNSAFE && s->st_size)
			t->busy[t->nbusy++] = (struct range){ at, at + s->st_size };
}

/* Looks up libc's dynamic symbols: the three calls, and the busy ranges. */
static int read_libc(struct target *t, char *err, size_t n)
{
	struct libc_walk w = { t, 0 };
	if (each_dynsym(t->libc, libc_symbol, &w) < 0) {
		say(err, n, "process %d: cannot read its libc %s: %s", (int)t->pid, t->libc,
		    strerror(errno));
		return -1;
	}
	if (w.found != 7) {
		say(err, n,
		    "process %d: its libc (%s) has no dlopen, dlsym or dlerror: glibc 2.34 "
		    "or later is needed",
		    (int)t->pid, t->libc);
		return -1;
	}
	return 0;
}

struct state_walk {
	uint64_t value;
	int found;
};

static void state_symbol(const char *name, const GElf_Sym *s, void *ctx)
{
	struct state_walk *w = ctx;
	if (!strcmp(name, "leaktop_state") && GELF_ST_TYPE(s->st_info) == STT_OBJECT) {
		w->value = s->st_value;
		w->found = 1;
	}
}

static int write_mem(pid_t pid, uint64_t at, const void *buf, size_t len)
{
	struct iovec local = { (void *)buf, len }, remote = { (void *)(uintptr_t)at, len };
	return process_vm_writev(pid, &local, 1, &remote, 1, 0) == (ssize_t)len ? 0 : -1;
}

static int read_mem(pid_t pid, uint64_t at, void *buf, size_t len)
{
	struct iovec local = { buf, len }, remote = { (void *)(uintptr_t)at, len };
	return process_vm_readv(pid, &local, 1, &remote, 1, 0) == (ssize_t)len ? 0 : -1;
}

int inject_probe_state(pid_t pid, char *path, size_t n)
{
	char maps[64], line[4608], file[4200];
	snprintf(maps, sizeof maps, "/proc/%d/maps", (int)pid);
	FILE *f = fopen(maps, "re");
	uint64_t base = 0;
	if (!f)
		return -1;
	while (!base && fgets(line, sizeof line, f)) {
		unsigned long long lo, off;
		char *p = strchr(line, '/');
		if (!p || sscanf(line, "%llx-%*x %*s %llx", &lo, &off) != 2 || off)
			continue;
		p[strcspn(p, "\n")] = '\0';
		if (!strcmp(base_name(p), "libleaktop.so")) {
			base = lo;
			snprintf(path, n, "%s", p);
		}
	}
	fclose(f);
	if (!base)
		return -1;
	struct state_walk w = { 0, 0 };
	snprintf(file, sizeof file, "/proc/%d/root%s", (int)pid, path);
	if (each_dynsym(file, state_symbol, &w) < 0 || !w.found)
		return LT_ATTACH_NONE;
	int state = LT_ATTACH_NONE;
	return read_mem(pid, base + w.value, &state, sizeof state) < 0 ? -1 : state;
}

/* --- stopping and starting the threads ----------------------------------- */

static void release_all(struct target *t)
{
	for (int i = 0; i < t->ntids; i++)
		ptrace(PTRACE_DETACH, t->tids[i], NULL, NULL);
	t->ntids = 0;
}

static int have_tid(const struct target *t, pid_t tid)
{
	for (int i = 0; i < t->ntids; i++)
		if (t->tids[i] == tid)
			return 1;
	return 0;
}

/* Waits for tid's stop after PTRACE_INTERRUPT; signals that come first are
 * left pending for when it runs again. 0, or -1 when it is gone. */
static int wait_stop(pid_t tid)
{
	for (;;) {
		int st;
		if (waitpid(tid, &st, __WALL) < 0)
			return errno == EINTR ? 0 : -1;
		if (WIFEXITED(st) || WIFSIGNALED(st))
			return -1;
		if (!WIFSTOPPED(st))
			continue;
		if ((st >> 16) == PTRACE_EVENT_STOP)
			return 0; /* the interrupt's stop (or a group stop) */
		/* A signal-delivery stop came first: let the signal be
		 * delivered once we let go, and interrupt again. */
		int sig = WSTOPSIG(st);
		if (ptrace(PTRACE_CONT, tid, NULL, (void *)(long)sig) < 0)
			return -1;
		ptrace(PTRACE_INTERRUPT, tid, NULL, NULL);
	}
}

/* Seizes and stops every thread, until a read of /proc/PID/task finds no
 * new one. 0, or -1 with err (every thread let go). */
static int stop_all(struct target *t, char *err, size_t n)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/task", (int)t->pid);
	for (int added = 1; added;) {
		added = 0;
		DIR *d = opendir(path);
		if (!d) {
			release_all(t);
			say(err, n, "process %d is gone", (int)t->pid);
			return -1;
		}
		struct dirent *de;
		while ((de = readdir(d))) {
			pid_t tid = (pid_t)atoi(de->d_name);
			if (tid <= 0 || have_tid(t, tid))
				continue;
			if (t->ntids == MAX_THREADS) {
				closedir(d);
				release_all(t);
				say(err, n, "process %d has more than %d threads", (int)t->pid,
				    MAX_THREADS);
				return -1;
			}
			if (ptrace(PTRACE_SEIZE, tid, NULL, NULL) < 0) {
				if (errno == ESRCH)
					continue; /* it ended meanwhile */
				int e = errno;
				closedir(d);
				release_all(t);
				seize_failed(t->pid, e, err, n);
				return -1;
			}
			t->tids[t->ntids++] = tid;
			added = 1;
			if (ptrace(PTRACE_INTERRUPT, tid, NULL, NULL) < 0 || wait_stop(tid) < 0)
				t->tids[--t->ntids] = 0; /* it ended: no longer traced */
		}
		closedir(d);
	}
	if (!t->ntids) {
		say(err, n, "process %d is gone", (int)t->pid);
		return -1;
	}
	return 0;
}

/* 1 when a frame of tid's stack lies in a busy range. */
static int thread_busy(const struct target *t, pid_t tid)
{
	unw_addr_space_t as = unw_create_addr_space(&_UPT_accessors, 0);
	void *ui = as ? _UPT_create(tid) : NULL;
	unw_cursor_t c;
	int busy = 0;
	if (ui && unw_init_remote(&c, as, ui) == 0) {
		for (int k = 0; k < UNWIND_FRAMES; k++) {
			unw_word_t ip = 0;
			if (unw_get_reg(&c, UNW_REG_IP, &ip) < 0)
				break;
			for (int i = 0; i < t->nbusy; i++)
				if (ip - t->busy[i].lo < t->busy[i].hi - t->busy[i].lo)
					busy = 1;
			if (busy || unw_step(&c) <= 0)
				break;
		}
	}
	if (ui)
		_UPT_destroy(ui);
	if (as)
		unw_destroy_addr_space(as);
	return busy;
}

/* --- calls in the target ------------------------------------------------- */

#define STRING ((uint64_t)-1) /* an argument that is the call's string */

/* Calls fn(a0, a1) on tid, whose registers are saved in *saved, with the
 * string s (if any) copied below the red zone and passed for the argument
 * that is STRING. The result in *ret. 0, or -1 with err. */
static int call(pid_t tid, const struct user_regs_struct *saved, uint64_t fn, uint64_t a0,
                uint64_t a1, const char *s, uint64_t *ret, char *err, size_t n)
{
	struct user_regs_struct r = *saved;
	uint64_t sp = (saved->rsp - 1024) & ~15ull;
	if (s) {
		size_t len = strlen(s) + 1;
		sp = (sp - len) & ~15ull;
		if (write_mem(tid, sp, s, len) < 0) {
			say(err, n, "thread %d: cannot write its stack: %s", (int)tid,
			    strerror(errno));
			return -1;
		}
		a0 = a0 == STRING ? sp : a0;
		a1 = a1 == STRING ? sp : a1;
	}
	uint64_t zero = 0;
	sp -= 8; /* the return address: entry sees rsp = 8 mod 16, as after a call */
	if (write_mem(tid, sp, &zero, sizeof zero) < 0) {
		say(err, n, "thread %d: cannot write its stack: %s", (int)tid, strerror(errno));
		return -1;
	}
	r.rsp = sp;
	r.rip = fn;
	r.rdi = a0;
	r.rsi = a1;
	r.rax = 0;
	r.orig_rax = (uint64_t)-1; /* not inside a system call: nothing to restart */
	if (ptrace(PTRACE_SETREGS, tid, NULL, &r) < 0 || ptrace(PTRACE_CONT, tid, NULL, NULL) < 0) {
		say(err, n, "thread %d: cannot start the call: %s", (int)tid, strerror(errno));
		return -1;
	}
	uint64_t deadline = now_ns() + CALL_TIMEOUT;
	for (;;) {
		int st;
		pid_t w = waitpid(tid, &st, __WALL | WNOHANG);
		if (w < 0 && errno != EINTR) {
			say(err, n, "thread %d ended during the call", (int)tid);
			return -1;
		}
		if (w <= 0) {
			if (now_ns() > deadline) {
				ptrace(PTRACE_INTERRUPT, tid, NULL, NULL);
				wait_stop(tid);
				say(err, n, "thread %d: the call did not return within 5 s",
				    (int)tid);
				return -1;
			}
			usleep(200);
			continue;
		}
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			say(err, n, "the process ended during the call");
			return -1;
		}
		if (!WIFSTOPPED(st))
			continue;
		int sig = WSTOPSIG(st);
		struct user_regs_struct now;
		if (sig == SIGSEGV && ptrace(PTRACE_GETREGS, tid, NULL, &now) == 0 &&
		    now.rip == 0) {
			*ret = now.rax;
			return 0;
		}
		/* Anything else is the program's: deliver it and go on. */
		if (ptrace(PTRACE_CONT, tid, NULL, (void *)(long)((st >> 16) ? 0 : sig)) < 0) {
			say(err, n, "thread %d: lost during the call: %s", (int)tid,
			    strerror(errno));
			return -1;
		}
	}
}

/* The text of dlerror() in the target, into err after what. */
static void remote_dlerror(const struct target *t, pid_t tid, const struct user_regs_struct *saved,
                           const char *what, char *err, size_t n)
{
	uint64_t msg = 0;
	char text[256] = "";
	char ignore[64];
	if (call(tid, saved, t->fn_dlerror, 0, 0, NULL, &msg, ignore, sizeof ignore) == 0 && msg)
		read_mem(tid, msg, text, sizeof text - 1);
	text[sizeof text - 1] = '\0';
	say(err, n, "%s: %s", what, text[0] ? text : "no reason given");
}

static int inject_stopped(struct target *t, pid_t pid, const char *probe, int load, const char *fn,
                          const char *arg, struct inject_report *rep, char *err, size_t n);

int inject_call(pid_t pid, const char *probe, int load, const char *fn, const char *arg,
                struct inject_report *rep, char *err, size_t n)
{
	static struct target t;
	memset(&t, 0, sizeof t);
	t.pid = pid;
	memset(rep, 0, sizeof *rep);
	if (inject_refusal(pid, err, n) < 0 || read_maps(&t, err, n) < 0 ||
	    read_libc(&t, err, n) < 0)
		return -1;

	/* Ctrl-C or a hangup now would leave a thread running our call with
	 * nobody to catch its return to pc 0: they wait until the threads are
	 * let go. (SIGKILL cannot wait; the README says so.) */
	sigset_t hold, old;
	sigemptyset(&hold);
	sigaddset(&hold, SIGINT);
	sigaddset(&hold, SIGTERM);
	sigaddset(&hold, SIGHUP);
	sigaddset(&hold, SIGQUIT);
	sigprocmask(SIG_BLOCK, &hold, &old);
	int ok = inject_stopped(&t, pid, probe, load, fn, arg, rep, err, n);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return ok;
}

/* inject_call's work, with the signals that could end leaktop held. */
static int inject_stopped(struct target *t, pid_t pid, const char *probe, int load, const char *fn,
                          const char *arg, struct inject_report *rep, char *err, size_t n)
{
	uint64_t started = 0;
	for (;;) {
		if (++rep->stops > STOP_TRIES) {
			say(err, n,
			    "process %d: some thread was inside the allocator or the dynamic "
			    "loader at each of %d tries; try again",
			    (int)pid, STOP_TRIES);
			return -1;
		}
		started = now_ns();
		if (stop_all(t, err, n) < 0)
			return -1;
		int busy = 0;
		for (int i = 0; i < t->ntids && !busy; i++)
			busy = thread_busy(t, t->tids[i]);
		if (!busy)
			break;
		release_all(t);
		uint64_t held = now_ns() - started;
		if (held > rep->stop_ns)
			rep->stop_ns = held;
		usleep(2000);
	}
	rep->threads = t->ntids;
	pid_t tid = have_tid(t, pid) ? pid : t->tids[0];
	struct user_regs_struct saved;
	uint64_t handle = 0, sym = 0, ret = 0;
	int ok = -1;
	if (ptrace(PTRACE_GETREGS, tid, NULL, &saved) < 0) {
		say(err, n, "thread %d: cannot read its registers: %s", (int)tid, strerror(errno));
	} else {
		int mode = RTLD_NOW | (load ? 0 : RTLD_NOLOAD);
		if (call(tid, &saved, t->fn_dlopen, STRING, (uint64_t)mode, probe, &handle, err,
		         n) < 0)
			;
		else if (!handle)
			remote_dlerror(t, tid, &saved,
			               load ? "the process could not load the probe"
			                    : "the probe is not loaded in the process",
			               err, n);
		else if (call(tid, &saved, t->fn_dlsym, handle, STRING, fn, &sym, err, n) < 0)
			;
		else if (!sym)
			say(err, n, "the probe in process %d has no %s: an older libleaktop.so?",
			    (int)pid, fn);
		else if (call(tid, &saved, sym, arg ? STRING : 0, 0, arg, &ret, err, n) == 0)
			ok = 0;
		/* Always: the thread goes on where it was. */
		if (ptrace(PTRACE_SETREGS, tid, NULL, &saved) < 0 && ok == 0) {
			say(err, n, "thread %d: cannot restore its registers: %s", (int)tid,
			    strerror(errno));
			ok = -1;
		}
	}
	release_all(t);
	uint64_t held = now_ns() - started;
	if (held > rep->stop_ns)
		rep->stop_ns = held;
	rep->result = (long)(int)ret; /* the probe's functions return int */
	return ok;
}
