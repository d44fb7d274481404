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
 * names its frames), a sorted table of each module's function symbols
 * (dwfl_module_addrinfo scans every symbol on every call), a per-address
 * cache of answers, and interned strings that stay valid until sym_free.
 *
 * Single-threaded: a symbolizer and its Dwfl are used by one thread. */
#include "tui/symbols.h"

#include <elfutils/libdwfl.h>
#include <errno.h>
#include <gelf.h>
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

/* A function symbol, at runtime addresses [lo, hi). The name points into
 * the module's ELF data, which libdwfl keeps until dwfl_end. */
struct fsym {
	uint64_t lo, hi;
	const char *name;
	uint32_t rank; /* order of preference among symbols at one address */
};

/* A module as registered. Records are never freed before sym_free: libdwfl
 * cannot forget a module in an add-only session (see sym_add_module), so
 * neither do we. */
struct module {
	const char *path; /* interned */
	const char *name; /* interned basename of path */
	uint64_t bias, lo, hi;
	Dwfl_Module *dw;   /* NULL when the file could not be reported */
	int err;           /* errno of the failed report, when dw is NULL */
	bool active;       /* in the address index */
	bool syms_read;    /* syms built, or found impossible to build */
	struct fsym *syms; /* sorted by lo, one per address; NULL: use libdwfl's */
	uint32_t nsyms;
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
#define STRS_INITIAL  1024u

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
	/* libdwfl downloads missing debug info from any server DEBUGINFOD_URLS
	 * names, and a slow or unreachable one would freeze the viewer over
	 * ssh. Off unless asked for; programs leaktop starts are forked before
	 * this runs and keep the variable. */
	const char *want = getenv("LEAKTOP_DEBUGINFOD");
	if (!want || strcmp(want, "1"))
		unsetenv("DEBUGINFOD_URLS");
	/* LEAKTOP_DEBUGINFO_PATH replaces the search path, in elfutils'
	 * syntax: each absolute directory is also searched by build-id. */
	char *path = getenv("LEAKTOP_DEBUGINFO_PATH");
	debuginfo_path = path && *path ? path : debuginfo_path_str;
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
	for (uint32_t i = 0; i < s->nmods; i++)
		free(s->mods[i].syms);
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

static struct module *module_at(const struct symbolizer *s, uint64_t addr)
{
	uint32_t i = active_upper(s, addr);
	if (i == 0)
		return NULL;
	struct module *m = &s->mods[s->active[i - 1]];
	return addr < m->hi ? m : NULL;
}

/* Puts module idx into the address index (again, if its range changed).
 * Modules it overlaps are taken out: an object was unloaded and another
 * loaded in its place, and the newer one owns the addresses now. */
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
	if (!dw)
		m->err = errno ? errno : ENOEXEC;
	dwfl_report_end(s->dwfl, NULL, NULL); /* fails only through a callback */
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
	 * see an overlap and free it, behind our back. The search costs a
	 * strcmp per known module: add each published module once. */
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

/* --- function symbols ---------------------------------------------------- */

#define SIZELESS (1u << 31) /* in fsym.rank */

static int fsym_cmp(const void *a, const void *b)
{
	const struct fsym *x = a, *y = b;
	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return x->rank < y->rank ? -1 : x->rank > y->rank;
}

/* Lower ranks win among symbols at one address: sized before sizeless,
 * global before weak before local, then the symbol table's order (which
 * keeps libdwfl's pick among aliases such as malloc and __libc_malloc).
 * The index takes the low 29 bits: symbol tables hold far fewer. */
static uint32_t fsym_rank(const GElf_Sym *sym, int ndx)
{
	uint32_t bind = GELF_ST_BIND(sym->st_info);
	uint32_t r = bind == STB_GLOBAL ? 0 : bind == STB_WEAK ? 1 : 2;
	return (sym->st_size ? 0u : SIZELESS) | r << 29 | (uint32_t)ndx;
}

/* Symbol i as a function, or 0 when it is none. Untyped symbols count in
 * executable sections (assembly entry points such as ld.so's _start). A
 * sizeless symbol gets hi = the end of its section, cut to the next symbol
 * later. */
static int fsym_get(struct module *m, int i, struct fsym *out)
{
	GElf_Sym sym;
	GElf_Addr value;
	GElf_Word shndx;
	Elf *elf;
	Dwarf_Addr bias;
	const char *name = dwfl_module_getsym_info(m->dw, i, &sym, &value, &shndx, &elf, &bias);
	if (!name || !*name || shndx == SHN_UNDEF || shndx == SHN_ABS)
		return 0;
	int type = GELF_ST_TYPE(sym.st_info);
	bool func = type == STT_FUNC || type == STT_GNU_IFUNC;
	if (!func && type != STT_NOTYPE)
		return 0;
	*out = (struct fsym){
		.lo = value, .hi = value + sym.st_size, .name = name, .rank = fsym_rank(&sym, i)
	};
	if (func && sym.st_size)
		return 1;
	GElf_Shdr sh;
	Elf_Scn *scn = elf ? elf_getscn(elf, shndx) : NULL;
	if (!scn || !gelf_getshdr(scn, &sh) || (!func && !(sh.sh_flags & SHF_EXECINSTR)))
		return 0;
	if (!sym.st_size)
		out->hi = sh.sh_addr + sh.sh_size + bias;
	return out->hi > out->lo;
}

/* Builds m->syms from the symbol tables libdwfl found (.symtab of the file
 * or of its separate debug file, else .dynsym, plus .gnu_debugdata): one
 * pass over every symbol and a sort, once per module, on its first lookup.
 * As in dwfl_module_addrinfo, a sized symbol containing an address beats a
 * sizeless one before it, and a sizeless symbol runs to the next symbol or
 * the end of its section. On failure m->syms stays NULL and lookups fall
 * back to dwfl_module_addrinfo. */
static void read_syms(struct module *m)
{
	m->syms_read = true;
	int n = dwfl_module_getsymtab(m->dw);
	if (n <= 1)
		return;
	struct fsym *t = malloc((size_t)n * sizeof *t);
	if (!t)
		return;
	uint32_t k = 0;
	for (int i = 1; i < n; i++)
		k += (uint32_t)fsym_get(m, i, &t[k]);
	if (k > 1)
		qsort(t, k, sizeof *t, fsym_cmp);
	/* Keep the best symbol at each address, but no sizeless one inside a
	 * sized function. */
	uint32_t u = 0;
	uint64_t sized_end = 0;
	for (uint32_t i = 0; i < k; i++) {
		bool sizeless = t[i].rank & SIZELESS;
		if ((u > 0 && t[u - 1].lo == t[i].lo) || (sizeless && t[i].lo < sized_end))
			continue;
		if (!sizeless && t[i].hi > sized_end)
			sized_end = t[i].hi;
		t[u++] = t[i];
	}
	for (uint32_t i = 0; i + 1 < u; i++)
		if ((t[i].rank & SIZELESS) && t[i].hi > t[i + 1].lo)
			t[i].hi = t[i + 1].lo;
	if (u == 0) {
		free(t);
		return;
	}
	struct fsym *shrunk = realloc(t, u * sizeof *t);
	m->syms = shrunk ? shrunk : t;
	m->nsyms = u;
}

/* The raw name of the function containing pc, or NULL. A function may
 * contain a smaller sized symbol (a part split off, a local entry), so up
 * to 8 earlier symbols are tried when the nearest one ends before pc. */
static const char *func_at(struct module *m, uint64_t pc)
{
	if (!m->syms_read)
		read_syms(m);
	if (!m->syms) {
		GElf_Off off;
		GElf_Sym sym;
		return dwfl_module_addrinfo(m->dw, pc, &off, &sym, NULL, NULL, NULL);
	}
	uint32_t a = 0, b = m->nsyms;
	while (a < b) {
		uint32_t mid = a + (b - a) / 2;
		if (m->syms[mid].lo <= pc)
			a = mid + 1;
		else
			b = mid;
	}
	for (uint32_t i = a, tries = 0; i > 0 && tries < 8; i--, tries++)
		if (pc < m->syms[i - 1].hi)
			return m->syms[i - 1].name;
	return NULL;
}

/* --- lookups ------------------------------------------------------------- */

/* The interned, demangled form of a symbol name, without an ELF symbol
 * version ("_IO_puts@@GLIBC_2.2.5" is "_IO_puts"); NULL (ENOMEM). */
static const char *func_name(struct symbolizer *s, const char *versioned)
{
	char name[1024];
	size_t n = strcspn(versioned, "@");
	if (n >= sizeof name)
		n = sizeof name - 1;
	memcpy(name, versioned, n);
	name[n] = '\0';
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

/* In the cache, a line of LINES_LATER marks an answer whose file and line
 * were not looked up yet (sym_resolve_func); it is never handed out. */
#define LINES_LATER UINT32_MAX

static int resolve(struct symbolizer *s, uint64_t addr, struct frame_sym *out, bool lines)
{
	*out = (struct frame_sym){ .addr = addr, .func = "", .module = "", .file = "" };
	if (!s) {
		errno = EINVAL;
		return -1;
	}
	const struct frame_sym *hit = cache_slot(s->cache, s->cache_mask, addr);
	if (hit->func && (hit->line != LINES_LATER || !lines)) {
		*out = *hit;
		out->line = out->line == LINES_LATER ? 0 : out->line;
		return *out->func ? 0 : -1;
	}

	/* A return address points after its call; the call itself, one byte
	 * back, is in the calling function even when the call ends it. */
	uint64_t pc = addr ? addr - 1 : 0;
	struct module *m = module_at(s, pc);
	if (m) {
		out->module = m->name;
		if (m->dw) {
			const char *name = func_at(m, pc);
			Dwfl_Line *line = lines ? dwfl_module_getsrc(m->dw, pc) : NULL;
			int lineno = 0;
			const char *file =
			    line ? dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL) : NULL;
			const char *f = name && *name ? func_name(s, name) : "";
			const char *p = file && lineno > 0 ? intern(s, file) : "";
			if (!f || !p) {
				*out = (struct frame_sym){
					.addr = addr, .func = "", .module = m->name, .file = ""
				};
				errno = ENOMEM;
				return -1; /* not cached: a later call may have memory */
			}
			out->func = f;
			out->file = p;
			out->line = !lines ? LINES_LATER : *p ? (uint32_t)lineno : 0;
		}
	}
	cache_put(s, out);
	out->line = out->line == LINES_LATER ? 0 : out->line;
	return *out->func ? 0 : -1;
}

int sym_resolve(struct symbolizer *s, uint64_t addr, struct frame_sym *out)
{
	return resolve(s, addr, out, true);
}

int sym_resolve_func(struct symbolizer *s, uint64_t addr, struct frame_sym *out)
{
	return resolve(s, addr, out, false);
}
