/* test_symbols.c - the symbolizer on this very process.
 *
 * The test registers its own modules the way the probe publishes them
 * (dl_iterate_phdr, the main program by its /proc/self/exe path, the
 * executable PT_LOAD range) and checks exact answers: a static function of
 * this file with the file and line of a call in it, a libc function, a
 * demangled C++ function in libstdc++ (registered late, as after a dlopen),
 * the vDSO (no file) and an address in no module. It also prints how long
 * 10,000 distinct lookups take. */
#define _GNU_SOURCE
#include "tui/symbols.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/unit/check.h"

#define MAX_MODS 64

struct mod {
	char path[PATH_MAX];
	uint64_t bias, lo, hi;
};

static struct mod mods[MAX_MODS];
static int nmods;
static char exe[PATH_MAX];

static int collect(struct dl_phdr_info *info, size_t size, void *data)
{
	struct mod m = { .bias = info->dlpi_addr, .lo = UINT64_MAX };

	(void)size;
	(void)data;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
			uint64_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
			m.lo = lo < m.lo ? lo : m.lo;
			m.hi = hi > m.hi ? hi : m.hi;
		}
	}
	if (m.lo >= m.hi || nmods == MAX_MODS)
		return 0;
	snprintf(m.path, sizeof m.path, "%s", *info->dlpi_name ? info->dlpi_name : exe);
	mods[nmods++] = m;
	return 0;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

static const struct mod *find_mod(const char *prefix)
{
	for (int i = 0; i < nmods; i++)
		if (!strncmp(base_name(mods[i].path), prefix, strlen(prefix)))
			return &mods[i];
	return NULL;
}

/* Registers every module but skip; checks each answer: 0 exactly when the
 * file can be read. */
static void add_all(struct symbolizer *s, const struct mod *skip)
{
	for (int i = 0; i < nmods; i++) {
		if (&mods[i] == skip)
			continue;
		int want = access(mods[i].path, R_OK) == 0 ? 0 : -1;
		errno = 0;
		int rc = sym_add_module(s, mods[i].path, mods[i].bias, mods[i].lo, mods[i].hi);
		if (rc != want)
			fprintf(stderr, "sym_add_module(%s): %d (%s)\n", mods[i].path, rc,
			        strerror(errno));
		CHECK_EQ_U64(rc, want);
	}
}

/* Neither inlined nor cloned under another name (gcc's clones would be
 * named call_site.isra.0 and the like); clang has no such clones. */
#ifdef __clang__
#define NOIPA __attribute__((noinline))
#else
#define NOIPA __attribute__((noipa))
#endif

/* Its caller's return address; stores the caller's line on the way. */
static NOIPA uint64_t return_address(int *line, int here)
{
	*line = here;
	return (uint64_t)__builtin_return_address(0);
}

/* The return address of a call in this function, and the call's line. The
 * empty asm after the call keeps it from being a tail call. */
static NOIPA uint64_t call_site(int *line)
{
	uint64_t ra = return_address(line, __LINE__);
	__asm__ volatile("" ::: "memory");
	return ra;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && !strcmp(s + n - k, suffix);
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void check_call_site(struct symbolizer *s, const struct frame_sym *prev)
{
	int line = 0;
	uint64_t ra = call_site(&line);
	struct frame_sym f;

	CHECK_EQ_U64(sym_resolve(s, ra, &f), 0);
	CHECK_EQ_U64(f.addr, ra);
	CHECK_STR(f.func, "call_site");
	CHECK_STR(f.module, base_name(exe));
	CHECK(ends_with(f.file, "tests/unit/test_symbols.c"));
	if (!ends_with(f.file, "tests/unit/test_symbols.c"))
		fprintf(stderr, "file: \"%s\"\n", f.file);
	CHECK_EQ_U64(f.line, line);
	if (prev) { /* the cached answer, with the same interned strings */
		CHECK(f.func == prev->func && f.module == prev->module && f.file == prev->file);
		CHECK_EQ_U64(f.line, prev->line);
	}
}

/* Prints the time of N distinct lookups spread over module m, in a fresh
 * symbolizer: the first pays for reading the module's symbols and debug
 * info. Not an assertion: machines differ. */
static void time_lookups(const struct mod *m)
{
	enum { N = 10000 };
	uint64_t step = (m->hi - m->lo) / N ? (m->hi - m->lo) / N : 1;
	int named = 0, lined = 0;
	struct frame_sym f;
	struct symbolizer *s = sym_new();

	CHECK(s != NULL);
	if (!s)
		return;
	CHECK_EQ_U64(sym_add_module(s, m->path, m->bias, m->lo, m->hi), 0);
	double t0 = now_ms(), t_first = 0;
	for (uint64_t i = 0; i < N; i++) {
		named += sym_resolve(s, m->lo + 1 + i * step, &f) == 0;
		lined += f.line != 0;
		if (i == 0)
			t_first = now_ms() - t0;
	}
	double t1 = now_ms();
	for (uint64_t i = 0; i < N; i++)
		sym_resolve(s, m->lo + 1 + i * step, &f);
	double t2 = now_ms();
	printf("%s: %d distinct addresses in %.1f ms (the first %.1f ms: it reads the symbols); "
	       "%d named, %d with a line; again from the cache in %.2f ms\n",
	       base_name(m->path), N, t1 - t0, t_first, named, lined, t2 - t1);
	sym_free(s);
}

int main(void)
{
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0) {
		printf("no /proc/self/exe\n");
		return CHECK_SKIP;
	}
	exe[n] = '\0';
	void *libcxx = dlopen("libstdc++.so.6", RTLD_NOW);
	void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	/* Through the handles, not RTLD_DEFAULT: under ASan both names are
	 * interposed by libasan. */
	void *new_fn = libcxx ? dlsym(libcxx, "_Znwm") : NULL;
	void *malloc_fn = libc ? dlsym(libc, "malloc") : NULL;
	if (!new_fn || !malloc_fn) {
		printf("no libstdc++.so.6 or libc.so.6: %s\n", dlerror());
		return CHECK_SKIP;
	}
	dl_iterate_phdr(collect, NULL);
	const struct mod *cxx = find_mod("libstdc++.so.6");
	const struct mod *libc_mod = find_mod("libc.so.6");
	const struct mod *vdso = find_mod("linux-vdso.so.1");
	CHECK(cxx && libc_mod);
	if (!cxx || !libc_mod)
		return CHECK_DONE();

	struct symbolizer *s = sym_new();
	CHECK(s != NULL);
	if (!s)
		return CHECK_DONE();
	struct frame_sym f;

	/* libstdc++ comes later, as a dlopen'ed library would: until then its
	 * addresses are in no module. */
	add_all(s, cxx);
	uint64_t in_new = (uint64_t)new_fn + 4;
	CHECK_EQ_U64(sym_resolve(s, in_new, &f), (uint64_t)-1);
	CHECK_STR(f.module, "");
	CHECK_STR(f.func, "");

	CHECK_EQ_U64(sym_add_module(s, cxx->path, cxx->bias, cxx->lo, cxx->hi), 0);
	CHECK_EQ_U64(sym_resolve(s, in_new, &f), 0);
	CHECK_STR(f.func, "operator new(unsigned long)");
	CHECK_STR(f.module, "libstdc++.so.6");

	/* The function alone, and the line left for later: the same function
	 * and module as a full lookup, then the line once one is made. */
	int site_line = 0;
	uint64_t site = call_site(&site_line);
	CHECK_EQ_U64(sym_resolve_func(s, site, &f), 0);
	CHECK_STR(f.func, "call_site");
	CHECK_STR(f.module, base_name(exe));
	CHECK_STR(f.file, "");
	CHECK_EQ_U64(f.line, 0);
	check_call_site(s, NULL);
	CHECK_EQ_U64(sym_resolve_func(s, site, &f), 0);
	CHECK(ends_with(f.file, "tests/unit/test_symbols.c"));
	CHECK_EQ_U64(f.line, (uint64_t)site_line);

	CHECK_EQ_U64(sym_resolve(s, (uint64_t)malloc_fn + 8, &f), 0);
	CHECK(!strcmp(f.func, "malloc") || !strcmp(f.func, "__libc_malloc"));
	if (strcmp(f.func, "malloc") && strcmp(f.func, "__libc_malloc"))
		fprintf(stderr, "malloc resolved to \"%s\"\n", f.func);
	CHECK_STR(f.module, "libc.so.6");
	printf("malloc+8: %s in %s at %s:%u\n", f.func, f.module, f.file, f.line);

	/* The vDSO has no file: its frames name the module only. */
	if (vdso) {
		CHECK_EQ_U64(sym_resolve(s, vdso->lo + 1, &f), (uint64_t)-1);
		CHECK_STR(f.module, "linux-vdso.so.1");
		CHECK_STR(f.func, "");
		CHECK_STR(f.file, "");
		CHECK_EQ_U64(f.line, 0);
	}

	/* A stack address, and 0, are in no module. */
	int local = 0;
	uint64_t nowhere[] = { (uint64_t)&local, 0 };
	for (int i = 0; i < 2; i++) {
		CHECK_EQ_U64(sym_resolve(s, nowhere[i], &f), (uint64_t)-1);
		CHECK_EQ_U64(f.addr, nowhere[i]);
		CHECK_STR(f.func, "");
		CHECK_STR(f.module, "");
		CHECK_STR(f.file, "");
		CHECK_EQ_U64(f.line, 0);
	}

	/* Registering everything again changes nothing. */
	struct frame_sym before;
	int line = 0;
	CHECK_EQ_U64(sym_resolve(s, call_site(&line), &before), 0);
	add_all(s, NULL);
	check_call_site(s, &before);
	CHECK_EQ_U64(sym_resolve(s, in_new, &f), 0);
	CHECK_STR(f.func, "operator new(unsigned long)");

	CHECK_EQ_U64(sym_add_module(s, "/nonexistent/libx.so", 0, 0x1000, 0x2000), (uint64_t)-1);
	CHECK_EQ_U64(errno, ENOENT);
	CHECK_EQ_U64(sym_add_module(s, "", 0, 0x1000, 0x2000), (uint64_t)-1);
	CHECK_EQ_U64(errno, EINVAL);

	sym_free(s);
	time_lookups(libc_mod);
	dlclose(libcxx);
	dlclose(libc);
	return CHECK_DONE();
}
