/* hooks.c - the symbols libleaktop.so interposes, and nothing else.
 *
 * Each hook calls the real function (found with dlsym(RTLD_NEXT)) and tells
 * the recorder what happened, under a thread-local recursion guard so that
 * whatever the probe's own callees allocate passes straight through. Every
 * hook keeps errno as the real function left it. While dlsym itself is
 * finding the real allocator, allocations come from a static bootstrap
 * arena, whose blocks are never freed.
 *
 * C++ operator new and delete are not interposed: libstdc++ implements all
 * their forms on malloc, aligned_alloc and free, which are. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "got.h"
#include "probe.h"
#include "recorder.h"
#include "threads.h"
#include "unwind.h"

#define EXPORT __attribute__((visibility("default")))
#define CALLER __builtin_return_address(0)

static struct {
	void *(*malloc)(size_t);
	void *(*calloc)(size_t, size_t);
	void *(*realloc)(void *, size_t);
	void *(*reallocarray)(void *, size_t, size_t);
	void (*free)(void *);
	int (*posix_memalign)(void **, size_t, size_t);
	void *(*aligned_alloc)(size_t, size_t);
	void *(*memalign)(size_t, size_t);
	void *(*valloc)(size_t);
	void *(*pvalloc)(size_t);
	size_t (*malloc_usable_size)(void *);
	void (*exit)(int) __attribute__((noreturn));
	void (*_exit)(int) __attribute__((noreturn));
	/* Resolved with the allocator, never at the call: a vfork child must
	 * not run dlsym (it takes the loader's lock and may allocate). */
	int (*execve)(const char *, char *const[], char *const[]);
	int (*execv)(const char *, char *const[]);
	int (*execvp)(const char *, char *const[]);
	int (*execvpe)(const char *, char *const[], char *const[]);
	int (*fexecve)(int, char *const[], char *const[]);
	pid_t (*fork)(void);
	pid_t (*_Fork)(void); /* glibc 2.34 and later */
	int (*libc_start_main)(int (*)(int, char **, char **), int, char **, void (*)(void),
	                       void (*)(void), void (*)(void), void *);
	int (*pthread_create)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
	int (*sigaction)(int, const struct sigaction *, struct sigaction *);
	sighandler_t (*signal)(int, sighandler_t);
	int (*sigaltstack)(const stack_t *, stack_t *);
	int (*dl_iterate_phdr)(int (*)(struct dl_phdr_info *, size_t, void *), void *);
	int (*dlclose)(void *);
} real;

/* --- bootstrap ------------------------------------------------------------ */

/* What dlsym allocates while we look up the real allocator: a few hundred
 * bytes in practice; 64 KiB is far more than glibc has ever needed. */
static _Alignas(64) char arena[64 * 1024];
static size_t arena_used;
static int resolving;

static int in_arena(const void *p)
{
	return (const char *)p >= arena && (const char *)p < arena + sizeof arena;
}

static void *arena_alloc(size_t align, size_t n)
{
	if (align < 16)
		align = 16;
	/* Each block keeps its size just below it, for realloc. */
	size_t at = (arena_used + sizeof(size_t) + align - 1) & ~(align - 1);
	if (at > sizeof arena || n > sizeof arena - at) {
		errno = ENOMEM;
		return NULL;
	}
	memcpy(arena + at - sizeof(size_t), &n, sizeof n);
	arena_used = at + n;
	return arena + at;
}

static size_t arena_size(const void *p)
{
	size_t n;
	memcpy(&n, (const char *)p - sizeof n, sizeof n);
	return n;
}

/* Whether the real functions are looked up next after the probe (it was
 * preloaded) or in the program's own lookup order (`leaktop attach` loaded
 * it, RTLD_LOCAL, last). */
static int loaded_by_attach;

/* The base of the module that defines a symbol at p; NULL for a stub or
 * nothing. dladdr also matches an undefined symbol that has a value (a
 * canonical PLT entry): its section index tells. */
static void *defined_in(const void *p)
{
	Dl_info info;
	const ElfW(Sym) *sym = NULL;
	if (!p || !dladdr1(p, &info, (void **)&sym, RTLD_DL_SYMENT) || !sym)
		return NULL;
	return info.dli_saddr == p && sym->st_shndx != SHN_UNDEF ? info.dli_fbase : NULL;
}

/* NAME as the program's own calls reach it, for a probe loaded late: the
 * first module in the global lookup order that defines it, other than the
 * probe. Not dlsym(RTLD_DEFAULT): a non-PIE executable that calls malloc
 * has a "canonical PLT" symbol for it, and that stub jumps through the GOT
 * entry the attach points at the hook itself. Each module's own handle
 * searches it and its dependencies, which the global order reaches anyway. */
static void *lookup_attached(const char *name)
{
	Dl_info self;
	struct link_map *lm = NULL;
	void *prog = dlopen(NULL, RTLD_LAZY);
	if (!prog || !dladdr((void *)lookup_attached, &self) ||
	    dlinfo(prog, RTLD_DI_LINKMAP, &lm) < 0)
		lm = NULL;
	void *found = NULL;
	for (; lm && !found; lm = lm->l_next) {
		void *h = lm->l_prev ? dlopen(lm->l_name, RTLD_LAZY | RTLD_NOLOAD) : prog;
		void *p = h ? dlsym(h, name) : NULL;
		void *base = defined_in(p);
		if (base && base != self.dli_fbase)
			found = p;
		if (h && h != prog)
			dlclose(h);
	}
	if (prog)
		dlclose(prog);
	return found;
}

#define RESOLVE(name)                                                                 \
	real.name = (__typeof__(real.name))(loaded_by_attach ? lookup_attached(#name) \
	                                                     : dlsym(RTLD_NEXT, #name))

static void resolve(void)
{
	if (resolving)
		return;
	resolving = 1;
	RESOLVE(calloc);
	RESOLVE(malloc);
	RESOLVE(realloc);
	RESOLVE(reallocarray);
	RESOLVE(free);
	RESOLVE(posix_memalign);
	RESOLVE(aligned_alloc);
	RESOLVE(memalign);
	RESOLVE(valloc);
	RESOLVE(pvalloc);
	RESOLVE(malloc_usable_size);
	RESOLVE(exit);
	RESOLVE(_exit);
	RESOLVE(execve);
	RESOLVE(execv);
	RESOLVE(execvp);
	RESOLVE(execvpe);
	RESOLVE(fexecve);
	RESOLVE(fork);
	RESOLVE(_Fork);
	RESOLVE(pthread_create);
	RESOLVE(sigaction);
	RESOLVE(signal);
	RESOLVE(sigaltstack);
	RESOLVE(dl_iterate_phdr);
	RESOLVE(dlclose);
	real.libc_start_main =
	    (__typeof__(real.libc_start_main))dlsym(RTLD_NEXT, "__libc_start_main");
	resolving = 0;
}

static inline int ready(void)
{
	if (__builtin_expect(real.free != NULL, 1))
		return 1;
	resolve();
	return real.free != NULL && !resolving;
}

/* --- the malloc family --------------------------------------------------- */

/* The guard's value while a hook is inside the real allocator, which may
 * then hold one of glibc's malloc locks (see fork below). Two stores to a
 * line the hook already wrote. */
#define IN_ALLOCATOR 2

/* 1 when the allocation is to be recorded, once the recorder is on: a
 * hook that started it asked sample_take before sampling was known. */
static inline int sample_decide(enum sample_verdict take, size_t n)
{
	return take == SAMPLE_TAKE || (take == SAMPLE_ALL && sample_take(n) != SAMPLE_SKIP);
}

/* Evaluates expr into p and records p as an allocation of n. Sampling
 * leaves most allocations to the real allocator straight away; the guard
 * still says IN_ALLOCATOR for a signal handler that forks (see fork). */
#define TRACKED_ALLOC(p, expr, n)                                   \
	do {                                                        \
		if (probe_guard)                                    \
			return (expr);                              \
		enum sample_verdict take_ = sample_take(n);         \
		if (take_ == SAMPLE_SKIP) {                         \
			probe_guard = IN_ALLOCATOR;                 \
			p = (expr);                                 \
			probe_guard = 0;                            \
			break;                                      \
		}                                                   \
		probe_guard = 1;                                    \
		int on_ = probe_enter() && sample_decide(take_, n); \
		probe_guard = IN_ALLOCATOR;                         \
		p = (expr);                                         \
		probe_guard = 1;                                    \
		if (on_ && p) {                                     \
			int e_ = errno;                             \
			record_alloc(p, (n), CALLER);               \
			errno = e_;                                 \
		}                                                   \
		probe_guard = 0;                                    \
	} while (0)

EXPORT void *malloc(size_t n)
{
	void *p;
	if (!ready())
		return arena_alloc(16, n);
	TRACKED_ALLOC(p, real.malloc(n), n);
	return p;
}

EXPORT void *calloc(size_t m, size_t n)
{
	void *p;
	if (!ready()) {
		size_t bytes;
		if (__builtin_mul_overflow(m, n, &bytes)) {
			errno = ENOMEM;
			return NULL;
		}
		return arena_alloc(16, bytes); /* static memory is already zero */
	}
	TRACKED_ALLOC(p, real.calloc(m, n), m * n);
	return p;
}

EXPORT void free(void *p)
{
	if (!p || in_arena(p))
		return;
	if (!ready())
		return; /* cannot happen: nothing but the arena exists before */
	if (probe_guard) {
		real.free(p);
		return;
	}
	probe_guard = 1;
	int e = errno;
	if (probe_enter())
		record_free(p);
	probe_guard = IN_ALLOCATOR;
	real.free(p);
	errno = e;
	probe_guard = 0;
}

/* realloc and reallocarray: the old block's record comes out before the
 * real call, so no other thread's new block at the same address can be
 * mistaken for it; it goes back if the call fails. */
static void *tracked_realloc(void *p, size_t n, size_t m, int is_array, const void *caller)
{
	struct block_rec b;
	size_t bytes;
	void *q;

	if (__builtin_mul_overflow(n, m, &bytes))
		bytes = SIZE_MAX;
	enum sample_verdict asked = sample_take(bytes);
	if (!probe_enter())
		return is_array ? real.reallocarray(p, n, m) : real.realloc(p, n);
	int take = sample_decide(asked, bytes);
	int known = p ? record_take(p, &b) == 0 : 0;
	probe_guard = IN_ALLOCATOR;
	q = is_array ? real.reallocarray(p, n, m) : real.realloc(p, n);
	probe_guard = 1;
	int e = errno;
	if (!q && p && bytes) { /* failed: p lives on unchanged */
		if (known)
			record_untake(p, &b);
		errno = e;
		return q;
	}
	if (p)
		record_release(&b, known);
	if (q && take)
		record_alloc(q, bytes, caller);
	errno = e;
	return q;
}

static void *arena_realloc(void *p, size_t bytes)
{
	void *q = malloc(bytes);
	if (q) {
		size_t old = arena_size(p);
		memcpy(q, p, old < bytes ? old : bytes);
	}
	return q;
}

EXPORT void *realloc(void *p, size_t n)
{
	if (!ready())
		return p ? NULL : arena_alloc(16, n);
	if (in_arena(p))
		return arena_realloc(p, n);
	if (probe_guard)
		return real.realloc(p, n);
	probe_guard = 1;
	void *q = tracked_realloc(p, n, 1, 0, CALLER);
	probe_guard = 0;
	return q;
}

EXPORT void *reallocarray(void *p, size_t n, size_t m)
{
	size_t bytes;
	if (!ready() || in_arena(p)) {
		if (__builtin_mul_overflow(n, m, &bytes)) {
			errno = ENOMEM;
			return NULL;
		}
		return ready() ? arena_realloc(p, bytes) : p ? NULL : arena_alloc(16, bytes);
	}
	if (probe_guard)
		return real.reallocarray(p, n, m);
	probe_guard = 1;
	void *q = tracked_realloc(p, n, m, 1, CALLER);
	probe_guard = 0;
	return q;
}

EXPORT int posix_memalign(void **out, size_t align, size_t n)
{
	if (!ready()) {
		void *p = arena_alloc(align, n);
		if (!p)
			return ENOMEM;
		*out = p;
		return 0;
	}
	if (probe_guard)
		return real.posix_memalign(out, align, n);
	enum sample_verdict take = sample_take(n);
	if (take == SAMPLE_SKIP) {
		probe_guard = IN_ALLOCATOR;
		int r = real.posix_memalign(out, align, n);
		probe_guard = 0;
		return r;
	}
	probe_guard = 1;
	int on = probe_enter() && sample_decide(take, n);
	probe_guard = IN_ALLOCATOR;
	int r = real.posix_memalign(out, align, n);
	probe_guard = 1;
	if (on && r == 0) {
		int e = errno;
		record_alloc(*out, n, CALLER);
		errno = e;
	}
	probe_guard = 0;
	return r;
}

EXPORT void *aligned_alloc(size_t align, size_t n)
{
	void *p;
	if (!ready())
		return arena_alloc(align, n);
	TRACKED_ALLOC(p, real.aligned_alloc(align, n), n);
	return p;
}

EXPORT void *memalign(size_t align, size_t n)
{
	void *p;
	if (!ready())
		return arena_alloc(align, n);
	TRACKED_ALLOC(p, real.memalign(align, n), n);
	return p;
}

EXPORT void *valloc(size_t n)
{
	void *p;
	if (!ready())
		return arena_alloc(4096, n);
	TRACKED_ALLOC(p, real.valloc(n), n);
	return p;
}

EXPORT void *pvalloc(size_t n)
{
	void *p;
	if (!ready())
		return arena_alloc(4096, n);
	TRACKED_ALLOC(p, real.pvalloc(n), n);
	return p;
}

EXPORT size_t malloc_usable_size(void *p)
{
	if (!p)
		return 0;
	if (in_arena(p))
		return arena_size(p);
	return ready() ? real.malloc_usable_size(p) : 0;
}

/* --- exec ---------------------------------------------------------------- */

/* glibc's exec functions call its internal execve directly, so each one is
 * interposed; the variadic ones gather their arguments and take the
 * array form. The real function does the work, errors included. */
#define REAL_EXEC(name, ...)                   \
	do {                                   \
		ready();                       \
		probe_guard++;                 \
		probe_before_exec();           \
		probe_guard--;                 \
		if (!real.name) {              \
			errno = ENOSYS;        \
			return -1;             \
		}                              \
		return real.name(__VA_ARGS__); \
	} while (0)

EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
	REAL_EXEC(execve, path, argv, envp);
}

EXPORT int execv(const char *path, char *const argv[])
{
	REAL_EXEC(execv, path, argv);
}

EXPORT int execvp(const char *file, char *const argv[])
{
	REAL_EXEC(execvp, file, argv);
}

EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
	REAL_EXEC(execvpe, file, argv, envp);
}

EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
	REAL_EXEC(fexecve, fd, argv, envp);
}

/* Collects execl-style arguments (up to the NULL) into argv; the count
 * comes from a first pass so the array can live on the stack. */
#define COLLECT_ARGS(first, argv, envp_out)     \
	size_t n_ = 1;                          \
	va_list ap_;                            \
	va_start(ap_, first);                   \
	while (va_arg(ap_, char *))             \
		n_++;                           \
	va_end(ap_);                            \
	char *argv[n_ + 1];                     \
	argv[0] = (char *)(first);              \
	va_start(ap_, first);                   \
	for (size_t i_ = 1; i_ <= n_; i_++)     \
		argv[i_] = va_arg(ap_, char *); \
	envp_out;                               \
	va_end(ap_)

EXPORT int execl(const char *path, const char *arg, ...)
{
	COLLECT_ARGS(arg, argv, (void)0);
	return execv(path, argv);
}

EXPORT int execlp(const char *file, const char *arg, ...)
{
	COLLECT_ARGS(arg, argv, (void)0);
	return execvp(file, argv);
}

EXPORT int execle(const char *path, const char *arg, ...)
{
	char *const *envp;
	COLLECT_ARGS(arg, argv, envp = va_arg(ap_, char *const *));
	return execve(path, argv, envp);
}

/* --- fork ---------------------------------------------------------------- */

/* glibc's fork takes no lock in a process of one thread, so that a signal
 * handler may fork even when it interrupted malloc, or another fork (glibc
 * tests the first; a child that signals its parent at once does the
 * second). The publisher makes every probed process multi-threaded to
 * glibc, whose fork then takes its fork handlers' lock and the malloc
 * locks, and a fork in a handler would wait forever for the ones the code
 * under it holds. So when that can be the case (this thread is inside the
 * real allocator or inside fork, and the program has no other thread), the
 * fork goes to _Fork, which takes no lock either; the publisher never holds
 * a malloc lock (it does not allocate). Unlike glibc's, such a fork runs no
 * pthread_atfork handlers. Any other fork is glibc's, unchanged. */
static __thread int in_fork __attribute__((tls_model("initial-exec")));

EXPORT pid_t fork(void)
{
	ready();
	if ((probe_guard == IN_ALLOCATOR || in_fork) && real._Fork && probe_program_alone()) {
		pid_t pid = real._Fork();
		if (pid == 0)
			probe_fork_child();
		return pid;
	}
	if (!real.fork) {
		errno = ENOSYS;
		return -1;
	}
	in_fork = 1;
	pid_t pid = real.fork();
	in_fork = 0;
	return pid;
}

/* --- threads and signals ------------------------------------------------ */

EXPORT int pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
	ready();
	if (probe_guard)
		return real.pthread_create(t, attr, fn, arg);
	probe_guard = 1;
	int r = probe_enter() ? threads_create(real.pthread_create, t, attr, fn, arg, CALLER)
	                      : real.pthread_create(t, attr, fn, arg);
	probe_guard = 0;
	return r;
}

/* The program setting a handler for the probe's capture signal gets it:
 * capture stops first, so that handler never sees one of ours. */
EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	ready();
	if (act)
		threads_signal_taken(sig);
	return real.sigaction(sig, act, old);
}

EXPORT sighandler_t signal(int sig, sighandler_t handler)
{
	ready();
	threads_signal_taken(sig);
	return real.signal(sig, handler);
}

/* The alternate stack a handler may run on: a capture there checks the
 * room it has (unwind.c). */
EXPORT int sigaltstack(const stack_t *ss, stack_t *old)
{
	ready();
	if (!real.sigaltstack) {
		errno = ENOSYS;
		return -1;
	}
	int r = real.sigaltstack(ss, old);
	if (r == 0 && ss)
		unwind_altstack(ss);
	return r;
}

int probe_real_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	ready();
	return real.sigaction(sig, act, old);
}

/* --- the dynamic loader -------------------------------------------------- */

/* glibc runs a dl_iterate_phdr callback with the loader's lock held, and
 * dlclose holds it while it unmaps; libunwind takes that lock after a
 * lock of its own. A capture there (the program allocating in the
 * callback, or asked for its stack) would take the two in the other
 * order. The thread says where it is; captures there keep the allocating
 * frame alone (unwind.c). dlopen holds the lock only for a few stores, and
 * is not hooked: its search path depends on its caller. */
EXPORT int dl_iterate_phdr(int (*cb)(struct dl_phdr_info *, size_t, void *), void *data)
{
	ready();
	if (!real.dl_iterate_phdr)
		return 0;
	unwind_loader_lock(1);
	int r = real.dl_iterate_phdr(cb, data);
	unwind_loader_lock(-1);
	return r;
}

EXPORT int dlclose(void *handle)
{
	ready();
	if (!real.dlclose)
		return -1;
	unwind_loader_lock(1);
	int r = real.dlclose(handle);
	unwind_loader_lock(-1);
	if (r == 0)
		unwind_code_unmapped();
	return r;
}

/* --- exit ---------------------------------------------------------------- */

static int (*real_main)(int, char **, char **);

static int main_wrapper(int argc, char **argv, char **envp)
{
	int r = real_main(argc, argv, envp);
	probe_note_exit(r);
	return r;
}

int __libc_start_main(int (*main)(int, char **, char **), int argc, char **argv, void (*init)(void),
                      void (*fini)(void), void (*rtld_fini)(void), void *stack_end);

/* Wrapping main is the only way to learn the status of a return from main:
 * glibc then calls its own exit internally, past any interposition. */
EXPORT int __libc_start_main(int (*main)(int, char **, char **), int argc, char **argv,
                             void (*init)(void), void (*fini)(void), void (*rtld_fini)(void),
                             void *stack_end)
{
	ready();
	real_main = main;
	return real.libc_start_main(main_wrapper, argc, argv, init, fini, rtld_fini, stack_end);
}

EXPORT void exit(int status)
{
	ready();
	probe_note_exit(status);
	real.exit(status);
}

/* A vfork child shares the parent thread's memory, its TLS included, and
 * often ends with _exit: it must not touch the guard (the parent would go
 * on with it set, untracked) nor publish. probe_final checks the pid, the
 * guard is only raised by the process that owns the segment. */
EXPORT void _exit(int status)
{
	ready();
	if (probe_owns_segment()) {
		probe_guard++;
		probe_final(status);
	}
	real._exit(status);
}

EXPORT void _Exit(int status)
{
	_exit(status);
}

/* --- attach --------------------------------------------------------------- */

void hooks_resolve_attached(void)
{
	loaded_by_attach = 1;
	real.free = NULL;
	resolve();
}

/* The hooks an attach redirects to, once each (an X-macro): under names
 * bound inside this library, since where the probe is loaded late "malloc"
 * in it names glibc's. */
/* clang-format off */
#define PROBE_HOOKS(X)                                                                   \
	X(malloc) X(calloc) X(free) X(realloc) X(reallocarray) X(posix_memalign)          \
	X(aligned_alloc) X(memalign) X(valloc) X(pvalloc) X(malloc_usable_size) X(execve) \
	X(execv) X(execvp) X(execvpe) X(fexecve) X(fork) X(pthread_create) X(sigaction)   \
	X(signal) X(sigaltstack) X(dl_iterate_phdr) X(dlclose) X(exit) X(_exit) X(_Exit)
/* clang-format on */

#define HOOK(name)                          \
	extern __typeof__(name) hook_##name \
	    __attribute__((alias(#name), copy(name), visibility("hidden")));
PROBE_HOOKS(HOOK)
#undef HOOK

/* clang-format off */
#define ENTRY(name) { #name, (void *)hook_##name },
const struct got_hook probe_hooks[] = { PROBE_HOOKS(ENTRY) };
/* clang-format on */
#undef ENTRY
const size_t probe_nhooks = sizeof probe_hooks / sizeof probe_hooks[0];
