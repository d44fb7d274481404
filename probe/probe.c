/* probe.c - start-up, fork and exit handling for libleaktop.so.
 *
 * Start: the first hook to run, or the constructor, creates the segment
 * (recorder_init). The constructor then loads libunwind, registers the fork
 * handler, removes the probe from LD_PRELOAD so that programs this one
 * execs run untracked (unless LEAKTOP_FOLLOW_EXEC=1), and starts the
 * publisher. Allocations made before the constructor are counted with an
 * empty stack.
 *
 * Fork: the child stops tracking and never touches the parent's segment;
 * it runs on untracked, with its own copy of nothing shared. fork() itself
 * takes no probe lock, so it cannot deadlock on one.
 *
 * Attach: loaded into a running program by `leaktop attach` (dlopen through
 * ptrace), the probe is not preloaded: its constructor does nothing but
 * say so, and leaktop_attach(), called next by the same injection while
 * every thread of the program is stopped, starts the recorder as the
 * constructor would and points the program's GOT entries for the malloc
 * family (and the other hooks) at the probe (got.c). Blocks allocated
 * before are unknown to it: their frees are counted apart. leaktop_detach()
 * puts the entries back and leaves the probe idle; leaktop_attach() again
 * points them at it once more.
 *
 * Exit: the final snapshot is published by the destructor (after the
 * program's atexit handlers and static destructors have freed what they
 * free) or by the _exit hook. The segment's name is unlinked at exit, and
 * before an exec (which runs no destructor), unless a leaktop launcher owns
 * it; the segment is never unmapped while threads may run. */
#define _GNU_SOURCE
#include "probe.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "../shared/procstat.h"
#include "got.h"
#include "publish.h"
#include "recorder.h"
#include "threads.h"
#include "unwind.h"

#define EXPORT __attribute__((visibility("default")))

static int exit_status;

/* What leaktop reads (with process_vm_readv, no stop) to know whether to
 * attach or detach: enum lt_attach_state in shared/shm.h. */
EXPORT int leaktop_state;

/* Whether `leaktop attach` loaded this probe (rather than LD_PRELOAD). */
static int loaded_late(void)
{
	return leaktop_state >= LT_ATTACH_IDLE;
}
/* The settings leaktop attach passed, for the recorder's start; NULL for
 * the environment. Lives only through that call. */
static const char *attach_config;

int probe_enter(void)
{
	int phase = atomic_load_explicit(&rec.phase, memory_order_acquire);
	if (__builtin_expect(phase == PHASE_NEW, 0)) {
		if (atomic_compare_exchange_strong(&rec.phase, &phase, PHASE_STARTING)) {
			/* A failure says why on stderr: errno must stay the
			 * program's, since the real call has not run yet. */
			int e = errno;
			if (getauxval(AT_SECURE)) {
				/* A set-ID or capability program loaded the probe
				 * (a set-user-ID copy in a system directory): its
				 * environment is not to be trusted, and its memory
				 * is not ours to publish. The probe stays inert. */
				atomic_store_explicit(&rec.phase, PHASE_OFF, memory_order_release);
			} else {
				struct recorder_config cfg;
				recorder_config_from(&cfg, attach_config);
				recorder_init(&cfg);
			}
			errno = e;
		}
		phase = atomic_load_explicit(&rec.phase, memory_order_acquire);
	}
	return phase == PHASE_ON;
}

void probe_note_exit(int status)
{
	exit_status = status;
}

int probe_owns_segment(void)
{
	return rec.seg && getpid() == rec.pid;
}

/* Unlinks the segment's name unless a leaktop launcher owns it (the
 * launcher reads the final state after we are gone, then unlinks). The
 * mapping stays: other threads may still be writing to it. */
static void release_name(void)
{
	if (!probe_owns_segment() || !rec.shm_name[0])
		return;
	/* Read now, not at start: a viewer that detaches gives its claim back
	 * by zeroing launcher_pid in the segment. */
	pid_t launcher = __atomic_load_n(&rec.seg->launcher_pid, __ATOMIC_RELAXED);
	/* A launcher that died first (its terminal went away) will never
	 * unlink the segment: then this process does. */
	if (launcher && kill(launcher, 0) < 0 && errno == ESRCH)
		launcher = 0;
	if (!launcher) {
		shm_unlink(rec.shm_name);
		rec.shm_name[0] = '\0';
	}
}

void probe_final(int status)
{
	if (probe_owns_segment()) {
		publish_final(status);
		release_name();
	}
}

void probe_before_exec(void)
{
	if (probe_owns_segment()) {
		publish_now(PUBLISH_WAIT);
		release_name();
	}
}

static void after_fork_child(void)
{
	unwind_after_fork();
	atomic_store(&rec.phase, PHASE_OFF);
	rec.seg = NULL;
}

void probe_fork_child(void)
{
	after_fork_child();
}

int probe_program_alone(void)
{
	struct procstat ps;
	/* The publisher runs in the process that made the segment (unless
	 * it failed to start, when a program of two threads counts as one). */
	long ours = probe_owns_segment() ? 1 : 0;
	return procstat_read(0, &ps) == 0 && ps.num_threads <= 1 + ours;
}

/* Removes this library from LD_PRELOAD in place (no allocation). */
static void strip_preload(void)
{
	extern char **environ;
	for (char **e = environ; e && *e; e++) {
		if (strncmp(*e, "LD_PRELOAD=", 11))
			continue;
		char *v = *e + 11, *out = v;
		for (char *tok = v; *tok;) {
			size_t len = strcspn(tok, ": ");
			char *next = tok + len + (tok[len] ? 1 : 0);
			int ours = len >= 13 && !strncmp(tok + len - 13, "libleaktop.so", 13);
			if (!ours && len) {
				if (out != v)
					*out++ = ':';
				memmove(out, tok, len);
				out += len;
			}
			tok = next;
		}
		*out = '\0';
		if (!*v)
			unsetenv("LD_PRELOAD");
		return;
	}
}

/* Whether this library came in through LD_PRELOAD (or is first in the
 * lookup order for malloc some other way), rather than being loaded by
 * dlopen into a program already running. Read before strip_preload. */
static int preloaded(void)
{
	const char *pre = getenv("LD_PRELOAD");
	if (pre && strstr(pre, "libleaktop.so"))
		return 1;
	extern void *hook_malloc(size_t) __attribute__((visibility("hidden")));
	return dlsym(RTLD_DEFAULT, "malloc") == (void *)hook_malloc;
}

/* The start the constructor makes, once the recorder is on. */
static void start_rest(void)
{
	unwind_init();
	unwind_thread_start();
	threads_init(probe_real_sigaction);
	pthread_atfork(NULL, NULL, after_fork_child);
}

__attribute__((constructor)) static void probe_start(void)
{
	probe_guard++;
	if (!preloaded()) {
		leaktop_state = LT_ATTACH_IDLE; /* leaktop_attach() starts it */
		probe_guard--;
		return;
	}
	leaktop_state = LT_ATTACH_PRELOADED;
	/* A library's constructor that ran before ours may have forked after
	 * an allocation started the recorder: the child runs this too, and
	 * must let go of the parent's segment as a child forked later does. */
	if (rec.seg && getpid() != rec.pid)
		after_fork_child();
	if (probe_enter()) {
		start_rest();
		const char *follow = secure_getenv("LEAKTOP_FOLLOW_EXEC");
		if (!follow || strcmp(follow, "1"))
			strip_preload();
		publish_start();
	}
	probe_guard--;
}

__attribute__((destructor)) static void probe_stop(void)
{
	probe_guard++;
	probe_final(exit_status);
	probe_guard--;
}

static uint64_t probe_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Points the GOT entries of modules loaded since the attach at the hooks
 * (the publisher calls it when the modules changed). Non-zero when some
 * are left for a later call. */
static int redirect_new(void)
{
	int pending = 0;
	if (leaktop_state == LT_ATTACH_ON &&
	    got_redirect(probe_hooks, probe_nhooks, &pending) == GOT_BUSY)
		return 1;
	return pending;
}

static void note_exit_status(int status, void *arg)
{
	(void)arg;
	probe_note_exit(status);
}

/* Called by `leaktop attach` through ptrace, every other thread stopped and
 * none of them inside the allocator or the loader. Returns the GOT entries
 * pointed at the probe (0 when preloaded: it tracks already), -1 when the
 * recorder could not start (it says why on stderr), or GOT_BUSY when the
 * publisher was redirecting a new module (try again). A re-attach moves
 * the segment's start time, from which growth is measured. */
EXPORT int leaktop_attach(const char *config)
{
	if (!loaded_late())
		return 0;
	probe_guard++;
	int r = 0;
	if (atomic_load(&rec.phase) == PHASE_NEW) {
		hooks_resolve_attached();
		attach_config = config ? config : "";
		int on = probe_enter();
		attach_config = NULL;
		if (on) {
			start_rest();
			/* main is running: a return from it reaches glibc's exit
			 * past any GOT, so the status comes from on_exit. */
			on_exit(note_exit_status, NULL);
			publish_on_modules(redirect_new);
			publish_start();
		}
	}
	if (atomic_load(&rec.phase) != PHASE_ON) {
		r = -1;
	} else {
		r = got_redirect(probe_hooks, probe_nhooks, NULL);
		if (r != GOT_BUSY) {
			if (leaktop_state == LT_ATTACH_OFF)
				rec.seg->start_ns = probe_now_ns(); /* growth from this attach */
			leaktop_state = LT_ATTACH_ON;
		}
	}
	probe_guard--;
	return r;
}

/* Called by `leaktop detach`: puts back every GOT entry leaktop_attach
 * changed. The probe stays loaded and idle; its segment shows the counts
 * as they were. Returns the entries put back, -1 when not attached, or
 * GOT_BUSY when the publisher was redirecting a new module (try again). */
EXPORT int leaktop_detach(void)
{
	if (!loaded_late())
		return -1;
	probe_guard++;
	int r = got_restore();
	if (r != GOT_BUSY) {
		leaktop_state = LT_ATTACH_OFF;
		publish_now(PUBLISH_IF_FREE);
	}
	probe_guard--;
	return r;
}
