/* symbols.c - the symbolizer: return addresses to function, module and
 * file:line, on elfutils' libdwfl (as perf and heaptrack do).
 *
 * One Dwfl session holds every module of the probed process, reported from
 * its file with the load bias the probe saw (dwfl_report_elf). libdwfl does
 * the hard parts lazily, on the first lookup in a module: it opens the ELF,
 * finds separate debug info by build-id or .gnu_debuglink under the debuginfo
 * path, and reads .symtab (static functions) or .dynsym and the DWARF line
 * table. This file adds what libdwfl lacks for a viewer: its own table of
 * modules (so a module whose file cannot be opened, like the vDSO, still
 * names its frames), a per-address cache of answers, and interned strings
 * that stay valid until sym_free.
 *
 * Single-threaded: a symbolizer and its Dwfl are used by one thread. */
#include "tui/symbols.h"

#include <elfutils/libdwfl.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* From libstdc++'s C++ ABI (cxxabi.h is C++ only); the viewer links
 * -lstdc++. Returns a malloc'ed string, or NULL when name is not mangled. */
extern char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

/* Where dwfl_standard_find_debuginfo looks, after the build-id lookup under
 * /usr/lib/debug/.build-id: the object's directory, its .debug/, then the
 * mirror of its directory under /usr/lib/debug. The leading '-' skips the
 * CRC check of .gnu_debuglink matches (the build-id check still applies). */
static char debuginfo_path_str[] = "-:.debug:/usr/lib/debug";
static char *debuginfo_path = debuginfo_path_str;

/* find_elf is only consulted for modules reported without a file; ours all
 * come with one, but build-id lookup is the right fallback. */
static const Dwfl_Callbacks callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.debuginfo_path = &debuginfo_path,
};

/* A module as registered. Records are never freed before sym_free: libdwfl
 * cannot forget a module in an add-only session (see sym_add_module), so
 * neither do we. */
struct module {
	const char *path; /* interned */
	const char *name; /* interned basename of path */
	uint64_t bias, lo, hi;
	Dwfl_Module *dw; /* NULL when the file could not be reported */
	int err;         /* errno of the failed report, when dw is NULL */
	bool active;     /* in the address index */
};

struct symbolizer {
	Dwfl *dwfl;

	struct module *mods; /* every module ever registered */
	uint32_t nmods, mods_cap;
	uint32_t *active; /* indices into mods, sorted by lo, ranges disjoint */
	uint32_t nactive;

	/* Answers by address: open addressing, linear probing, power-of-two
	 * size, at most half full; func == NULL marks an empty slot. */
	struct frame_sym *cache;
	uint32_t cache_mask, ncache;

	/* Interned strings: open addressing over malloc'ed copies, at most
	 * half full. */
	char **strs;
	uint32_t strs_mask, nstrs;
};

#define CACHE_INITIAL 1024u
#define STRS_INITIAL 1024u

/* --- interned strings ---------------------------------------------------- */

static uint32_t hash_str(const char *s, size_t len)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

static int strs_grow(struct symbolizer *s)
{
	uint32_t cap = (s->strs_mask + 1) * 2;
	char **t = calloc(cap, sizeof *t);
	if (!t)
		return -1;
	for (uint32_t i = 0; i <= s->strs_mask; i++) {
		char *str = s->strs[i];
		if (!str)
			continue;
		uint32_t j = hash_str(str, strlen(str)) & (cap - 1);
		while (t[j])
			j = (j + 1) & (cap - 1);
		t[j] = str;
	}
	free(s->strs);
	s->strs = t;
	s->strs_mask = cap - 1;
	return 0;
}

/* The interned copy of the first len bytes of str; NULL (ENOMEM). */
static const char *intern_n(struct symbolizer *s, const char *str, size_t len)
{
	if (len == 0)
		return "";
	if ((s->nstrs + 1) * 2 > s->strs_mask + 1 && strs_grow(s) < 0)
		return NULL;
	uint32_t i = hash_str(str, len) & s->strs_mask;
	for (; s->strs[i]; i = (i + 1) & s->strs_mask)
		if (!strncmp(s->strs[i], str, len) && s->strs[i][len] == '\0')
			return s->strs[i];
	char *copy = malloc(len + 1);
	if (!copy)
		return NULL;
	memcpy(copy, str, len);
	copy[len] = '\0';
	s->strs[i] = copy;
	s->nstrs++;
	return copy;
}

static const char *intern(struct symbolizer *s, const char *str)
{
	return intern_n(s, str, strlen(str));
}

/* --- the answer cache ---------------------------------------------------- */

static uint32_t hash_addr(uint64_t addr)
{
	return (uint32_t)((addr * 0x9e3779b97f4a7c15ull) >> 32);
}

static struct frame_sym *cache_slot(struct frame_sym *t, uint32_t mask, uint64_t addr)
{
	uint32_t i = hash_addr(addr) & mask;
	while (t[i].func && t[i].addr != addr)
		i = (i + 1) & mask;
	return &t[i];
}

/* Forgets every answer: their strings stay interned, so pointers already
 * handed out stay valid. */
static void cache_flush(struct symbolizer *s)
{
	memset(s->cache, 0, (size_t)(s->cache_mask + 1) * sizeof *s->cache);
	s->ncache = 0;
}

/* Remembers out; failing to (no memory to grow) only costs a later lookup. */
static void cache_put(struct symbolizer *s, const struct frame_sym *out)
{
	if ((s->ncache + 1) * 2 > s->cache_mask + 1) {
		uint32_t cap = (s->cache_mask + 1) * 2;
		struct frame_sym *t = calloc(cap, sizeof *t);
		if (!t)
			return;
		for (uint32_t i = 0; i <= s->cache_mask; i++)
			if (s->cache[i].func)
				*cache_slot(t, cap - 1, s->cache[i].addr) = s->cache[i];
		free(s->cache);
		s->cache = t;
		s->cache_mask = cap - 1;
	}
	struct frame_sym *slot = cache_slot(s->cache, s->cache_mask, out->addr);
	if (!slot->func)
		s->ncache++;
	*slot = *out;
}

/* --- lifecycle ----------------------------------------------------------- */

struct symbolizer *sym_new(void)
{
	struct symbolizer *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->cache = calloc(CACHE_INITIAL, sizeof *s->cache);
	s->strs = calloc(STRS_INITIAL, sizeof *s->strs);
	s->dwfl = dwfl_begin(&callbacks);
	if (!s->cache || !s->strs || !s->dwfl) {
		sym_free(s);
		errno = ENOMEM;
		return NULL;
	}
	s->cache_mask = CACHE_INITIAL - 1;
	s->strs_mask = STRS_INITIAL - 1;
	return s;
}

void sym_free(struct symbolizer *s)
{
	if (!s)
		return;
	if (s->dwfl)
		dwfl_end(s->dwfl); /* closes every module's files */
	if (s->strs)
		for (uint32_t i = 0; i <= s->strs_mask; i++)
			free(s->strs[i]);
	free(s->strs);
	free(s->cache);
	free(s->active);
	free(s->mods);
	free(s);
}

/* --- modules ------------------------------------------------------------- */

/* The index in s->active of the first module with lo > addr. */
static uint32_t active_upper(const struct symbolizer *s, uint64_t addr)
{
	uint32_t a = 0, b = s->nactive;
	while (a < b) {
		uint32_t m = a + (b - a) / 2;
		if (s->mods[s->active[m]].lo <= addr)
			a = m + 1;
		else
			b = m;
	}
	return a;
}

static const struct module *module_at(const struct symbolizer *s, uint64_t addr)
{
	uint32_t i = active_upper(s, addr);
	if (i == 0)
		return NULL;
	const struct module *m = &s->mods[s->active[i - 1]];
	return addr < m->hi ? m : NULL;
}

/* Puts module idx into the address index (again, if its range changed).
 * Modules it overlaps are taken out: an object was unloaded and another loaded in its place, and the
 * newer one owns the addresses now. */
static void activate(struct symbolizer *s, uint32_t idx)
{
	struct module *m = &s->mods[idx];
	uint32_t n = 0;
	for (uint32_t i = 0; i < s->nactive; i++) {
		struct module *o = &s->mods[s->active[i]];
		if (s->active[i] == idx || (o->lo < m->hi && m->lo < o->hi))
			o->active = false;
		else
			s->active[n++] = s->active[i];
	}
	s->nactive = n;
	uint32_t at = active_upper(s, m->lo);
	memmove(&s->active[at + 1], &s->active[at], (size_t)(n - at) * sizeof *s->active);
	s->active[at] = idx;
	s->nactive++;
	m->active = true;
	/* Cached answers for these addresses (no module, or the old one) are
	 * stale. Modules arrive in a burst at start and on dlopen, so dropping
	 * the whole cache costs little. */
	cache_flush(s);
}

/* Hands the file to libdwfl; NULL with m->err set when it cannot. */
static Dwfl_Module *report(struct symbolizer *s, struct module *m)
{
	/* The full path is the Dwfl module's name: libdwfl identifies a module
	 * by (name, range), and reporting a known name and range with another
	 * file marks the old module for deletion. */
	dwfl_report_begin_add(s->dwfl);
	errno = 0;
	Dwfl_Module *dw = dwfl_report_elf(s->dwfl, m->path, m->path, -1, m->bias, false);
	/* open() failures leave their errno; any other failure means the file
	 * is no ELF object libdwfl can place. */
	m->err = errno ? errno : ENOEXEC;
	if (dwfl_report_end(s->dwfl, NULL, NULL) != 0)
		dw = NULL;
	return dw;
}

int sym_add_module(struct symbolizer *s, const char *path, uint64_t bias, uint64_t lo, uint64_t hi)
{
	if (!s || !path || !*path || lo >= hi) {
		errno = EINVAL;
		return -1;
	}
	/* A module seen before (the same file at the same bias) is never
	 * reported to libdwfl again: re-reporting an open module makes libdwfl
	 * see an overlap and free it, behind our back. */
	uint32_t idx = 0;
	while (idx < s->nmods && (s->mods[idx].bias != bias || strcmp(s->mods[idx].path, path)))
		idx++;
	if (idx == s->nmods) {
		if (s->nmods == s->mods_cap) {
			uint32_t cap = s->mods_cap ? s->mods_cap * 2 : 64;
			struct module *mods = realloc(s->mods, cap * sizeof *mods);
			if (!mods)
				return -1;
			s->mods = mods;
			uint32_t *active = realloc(s->active, cap * sizeof *active);
			if (!active)
				return -1;
			s->active = active;
			s->mods_cap = cap;
		}
		struct module *m = &s->mods[idx];
		const char *slash = strrchr(path, '/');
		*m = (struct module){ .path = intern(s, path),
		                      .name = intern(s, slash ? slash + 1 : path),
		                      .bias = bias };
		if (!m->path || !m->name) {
			errno = ENOMEM;
			return -1;
		}
		m->dw = report(s, m);
		s->nmods++;
	}
	struct module *m = &s->mods[idx];
	if (!m->active || m->lo != lo || m->hi != hi) {
		m->lo = lo;
		m->hi = hi;
		activate(s, idx);
	}
	if (!m->dw) {
		errno = m->err;
		return -1;
	}
	return 0;
}

/* --- lookups ------------------------------------------------------------- */

/* The interned, demangled form of a symbol name; NULL (ENOMEM). */
static const char *func_name(struct symbolizer *s, const char *name)
{
	if (name[0] != '_' || name[1] != 'Z')
		return intern(s, name);
	int status = 0;
	char *plain = __cxa_demangle(name, NULL, NULL, &status);
	if (!plain)
		return intern(s, name); /* not a valid mangling: show it raw */
	const char *r = intern(s, plain);
	free(plain);
	return r;
}

int sym_resolve(struct symbolizer *s, uint64_t addr, struct frame_sym *out)
{
	*out = (struct frame_sym){ .addr = addr, .func = "", .module = "", .file = "" };
	if (!s) {
		errno = EINVAL;
		return -1;
	}
	const struct frame_sym *hit = cache_slot(s->cache, s->cache_mask, addr);
	if (hit->func) {
		*out = *hit;
		return *out->func ? 0 : -1;
	}

	/* A return address points after its call; the call itself, one byte
	 * back, is in the calling function even when the call ends it. */
	uint64_t pc = addr ? addr - 1 : 0;
	const struct module *m = module_at(s, pc);
	if (m) {
		out->module = m->name;
		if (m->dw) {
			GElf_Off off;
			GElf_Sym sym;
			const char *name = dwfl_module_addrinfo(m->dw, pc, &off, &sym, NULL, NULL, NULL);
			Dwfl_Line *line = dwfl_module_getsrc(m->dw, pc);
			int lineno = 0;
			const char *file = line ? dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL) : NULL;
			const char *f = name && *name ? func_name(s, name) : "";
			const char *p = file && lineno > 0 ? intern(s, file) : "";
			if (!f || !p) {
				*out = (struct frame_sym){ .addr = addr, .func = "", .module = m->name, .file = "" };
				errno = ENOMEM;
				return -1; /* not cached: a later call may have memory */
			}
			out->func = f;
			out->file = p;
			out->line = *p ? (uint32_t)lineno : 0;
		}
	}
	cache_put(s, out);
	return *out->func ? 0 : -1;
}
