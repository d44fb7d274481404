/* unwind.c - stack capture with libunwind's unw_backtrace.
 *
 * unw_backtrace walks the stack from DWARF CFI with a per-thread cache of
 * frame descriptions, so a repeat capture of a known call path costs a few
 * table lookups per frame and takes no lock. The probe captures into a
 * fixed array on its own stack; nothing here allocates.
 *
 * Which frames are the probe's: the hook passes __builtin_return_address(0),
 * the address its caller resumes at. The first captured frame equal to it is
 * the allocating code's, whatever inlining did to the probe's own frames. */
#define _GNU_SOURCE
#include "unwind.h"

#include <dlfcn.h>
#include <link.h>
#include <stddef.h>

#define CAPTURE_MAX 288 /* LT_DEPTH_MAX plus the probe's own frames */

typedef int (*backtrace_fn)(void **, int);
typedef int (*caching_fn)(void *, int);

static backtrace_fn bt;
static uintptr_t self_lo, self_hi; /* the probe's own text */
static int self_is_module; /* the probe is a library of its own, not linked into the program */

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
	__atomic_store_n(&bt, f, __ATOMIC_RELEASE);
	return 0;
}

uint32_t unwind_capture(uint64_t *frames, uint32_t max, const void *caller)
{
	void *raw[CAPTURE_MAX];
	backtrace_fn f = __atomic_load_n(&bt, __ATOMIC_ACQUIRE);
	if (!f)
		return 0;
	/* Walk only as far as needed: the cost is per frame walked. */
	int n = f(raw, max + 16 < CAPTURE_MAX ? (int)max + 16 : CAPTURE_MAX);
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
