/* unwind.c - stack capture: by cached rules, else libunwind's unw_backtrace.
 *
 * A capture first walks by the rules unwind_rules.c keeps per return
 * address: a table probe and two loads a frame, learned from libunwind the
 * first time a return address is seen. A frame without a simple rule (a
 * signal frame, most often) hands the capture to unw_backtrace, which
 * walks the stack from DWARF CFI with a cache of frame descriptions.
 * LEAKTOP_UNWIND=libunwind leaves every capture to libunwind. The probe
 * captures into a fixed array on its own stack; nothing here allocates.
 *
 * Which frames are the probe's: the hook passes __builtin_return_address(0),
 * the address its caller resumes at. The first captured frame equal to it is
 * the allocating code's, whatever inlining did to the probe's own frames.
 *
 * A capture runs on the program's stack, wherever the allocation happens:
 * a thread's own stack, perhaps a small one, or an alternate signal stack
 * (SIGSTKSZ is 8 KiB, and a signal frame takes 3 of them). libunwind needs
 * about 4.5 KiB there, which a program that fits its stacks tightly has not
 * got. So each thread knows its stack's bounds (found when it starts) and
 * its alternate stack's (the program sets it through a hook), and a
 * capture with too little room below it records the allocating frame
 * alone, the return address it was given. On a stack the probe does not
 * know (a coroutine's), it trusts the program.
 *
 * Nor does a capture run while its thread may hold the dynamic loader's
 * lock, as a dl_iterate_phdr callback and dlclose do. libunwind takes a mutex of its own,
 * its cache's, and then, to find a frame's unwind tables, the loader's
 * lock (dl_iterate_phdr): a thread that took them the other way round
 * would deadlock against it. Its cache is global in a libunwind built
 * without per-thread support, as Debian's is. Turning the cache off is no
 * way out: libunwind then keeps nothing, and every capture walks the
 * loader's list for every frame. */
#define _GNU_SOURCE
#include "unwind.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <link.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#include "unwind_rules.h"

#define CAPTURE_MAX 288 /* LT_DEPTH_MAX plus the probe's own frames */

/* The probe's frames that a stack may hold below the allocating code's
 * (its __libc_start_main and the wrapper around main): a walk by rules
 * goes this much past max frames from the caller, so that the frames
 * kept once the probe's are cut are the same as from a longer walk. */
#define PROBE_FRAMES_BELOW 4

/* The stack a capture leaves libunwind: its cursor and context and its
 * walk, measured at 4.5 KiB; with room to spare. The frame buffers come
 * on top. */
#define UNWIND_STACK_NEED (8 * 1024)

typedef int (*backtrace_fn)(void **, int);
typedef int (*caching_fn)(void *, int);

static backtrace_fn bt;
/* This thread's stack and its alternate signal stack, [lo, hi); 0 and 0
 * while unknown or unset. */
static __thread uintptr_t stack_lo, stack_hi, alt_lo, alt_hi;
/* How deep this thread is in code that may hold the loader's lock
 * (dl_iterate_phdr, dlclose): captures wait for 0. */
static __thread int in_loader;
static uintptr_t self_lo, self_hi; /* the probe's own text */
static int self_is_module;    /* the probe is a library of its own, not linked into the program */
static _Atomic int use_rules; /* captures walk by rules first */

static int find_self(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	uintptr_t want = (uintptr_t)data;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X) && want >= lo &&
		    want < lo + ph->p_memsz) {
			self_lo = lo;
			self_hi = lo + ph->p_memsz;
			self_is_module = info->dlpi_name && info->dlpi_name[0];
			return 1;
		}
	}
	return 0;
}

int unwind_init(void)
{
	dl_iterate_phdr(find_self, (void *)(uintptr_t)&unwind_capture);
	void *h = dlopen("libunwind.so.8", RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return -1;
	caching_fn set_caching = (caching_fn)dlsym(h, "_ULx86_64_set_caching_policy");
	void **local_as = (void **)dlsym(h, "_ULx86_64_local_addr_space");
	backtrace_fn f = (backtrace_fn)dlsym(h, "unw_backtrace");
	if (!f)
		return -1;
	if (set_caching && local_as)
		set_caching(*local_as, 2 /* UNW_CACHE_PER_THREAD */);
	struct rules_unwinder u = {
		.init_local = dlsym(h, "_ULx86_64_init_local"),
		.step = dlsym(h, "_ULx86_64_step"),
		.get_reg = dlsym(h, "_ULx86_64_get_reg"),
	};
	const char *how = secure_getenv("LEAKTOP_UNWIND");
	if ((!how || strcmp(how, "libunwind")) && rules_init(&u) == 0)
		unwind_use_rules(1);
	__atomic_store_n(&bt, f, __ATOMIC_RELEASE);
	return 0;
}

void unwind_thread_start(void)
{
	pthread_attr_t a;
	void *lo;
	size_t size;
	if (pthread_getattr_np(pthread_self(), &a) != 0)
		return;
	if (pthread_attr_getstack(&a, &lo, &size) == 0) {
		stack_lo = (uintptr_t)lo;
		stack_hi = (uintptr_t)lo + size;
	}
	pthread_attr_destroy(&a);
}

void unwind_loader_lock(int delta)
{
	in_loader += delta;
}

void unwind_use_rules(int on)
{
	atomic_store_explicit(&use_rules, on, memory_order_relaxed);
}

void unwind_code_unmapped(void)
{
	rules_forget();
}

void unwind_after_fork(void)
{
	rules_after_fork();
}

void unwind_altstack(const stack_t *ss)
{
	if (ss->ss_flags & SS_DISABLE) {
		alt_lo = alt_hi = 0;
	} else {
		alt_lo = (uintptr_t)ss->ss_sp;
		alt_hi = alt_lo + ss->ss_size;
	}
}

/* Whether a capture may run: the loader's lock not held, and need bytes
 * left below sp on the stack sp is on. */
static int room_for(uintptr_t sp, uintptr_t need)
{
	if (in_loader)
		return 0;
	if (sp - alt_lo < alt_hi - alt_lo) /* on the alternate stack */
		return sp - alt_lo >= need;
	if (sp - stack_lo < stack_hi - stack_lo)
		return sp - stack_lo >= need;
	return 1; /* a stack the probe does not know */
}

/* What a capture of max frames takes below its caller: both frame
 * buffers, and libunwind's part. */
static uintptr_t need_for(uint32_t max)
{
	return UNWIND_STACK_NEED + (2 * max + 16) * sizeof(void *);
}

__attribute__((noinline)) uint32_t unwind_room(uint32_t max)
{
	return room_for((uintptr_t)__builtin_frame_address(0), need_for(max)) ? max : 1;
}

uint32_t unwind_capture(uint64_t *frames, uint32_t max, const void *caller)
{
	if (!max)
		return 0;
	if (!room_for((uintptr_t)__builtin_frame_address(0),
	              need_for(max) - max * sizeof(void *))) {
		if (!caller)
			return 0;
		frames[0] = (uint64_t)(uintptr_t)caller;
		return 1;
	}
	/* Walk only as far as needed: the cost is per frame walked, and the
	 * buffer is on the program's stack. */
	int want = max + 16 < CAPTURE_MAX ? (int)max + 16 : CAPTURE_MAX;
	void *raw[want];
	int n = -1;
	/* By rules on the thread's own stack, whose top bounds every load;
	 * not on an alternate stack or one the probe does not know. */
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
	if (atomic_load_explicit(&use_rules, memory_order_relaxed) &&
	    sp - stack_lo < stack_hi - stack_lo)
		n = rules_walk((uint64_t *)raw, (uint32_t)want, (uint64_t)(uintptr_t)caller,
		               max + PROBE_FRAMES_BELOW, stack_hi);
	if (n < 0) {
		backtrace_fn f = __atomic_load_n(&bt, __ATOMIC_ACQUIRE);
		if (!f)
			return 0;
		/* libunwind checks addresses with write(2) to a pipe, a
		 * cancellation point: a thread with a cancel pending would end
		 * inside malloc, which is none, maybe holding libunwind's lock.
		 * Two atomic updates of the thread's own cancel word, no system
		 * call. */
		int cancel;
		pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel);
		n = f(raw, want);
		pthread_setcancelstate(cancel, NULL);
	}
	int start = -1;
	if (caller)
		for (int i = 0; i < n && i < 32; i++)
			if (raw[i] == caller) {
				start = i;
				break;
			}
	if (start < 0) {
		start = 0;
		while (start < n && (uintptr_t)raw[start] >= self_lo &&
		       (uintptr_t)raw[start] < self_hi)
			start++;
	}
	/* The probe's frames deeper in the stack (its wrapper around main)
	 * are not the program's either; unless the probe is linked into the
	 * program itself, as in the unit tests. */
	uint32_t depth = 0;
	for (int i = start; i < n && depth < max; i++) {
		uintptr_t ip = (uintptr_t)raw[i];
		if (self_is_module && ip >= self_lo && ip < self_hi)
			continue;
		frames[depth++] = ip;
	}
	return depth;
}
