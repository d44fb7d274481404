/* got.c - redirecting GOT entries to the probe's hooks (got.h).
 *
 * For each loaded module (dl_iterate_phdr), the dynamic section gives the
 * symbol and string tables and the two relocation tables: the PLT's
 * (JUMP_SLOT entries, one per function called through the PLT) and the
 * rest (GLOB_DAT and 64: a function's address taken, or a call made
 * without the PLT). An entry whose symbol is one of the hooks' names gets
 * the hook's address. Entries inside the module's RELRO region are on pages
 * the dynamic linker made read-only once it was done: those pages are made
 * writable for the store and read-only again.
 *
 * glibc stores most of a module's dynamic-section pointers already
 * relocated; the dynamic linker's own and the vDSO's are not, and neither
 * is redirected. A value below the module's base is taken as unrelocated.
 *
 * A module whose RELRO pages are still writable is being relocated by a
 * dlopen in another thread: it is left for a later call (*pending).
 *
 * Restore writes back only entries that still hold the hook, in modules
 * still loaded: a module unloaded since took its entries with it. */
#define _GNU_SOURCE
#include "got.h"

#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define GOT_MAX 8192 /* entries changed, over all modules */

struct change {
	void **slot;
	void *orig;
	void *hook;
};

static struct change changes[GOT_MAX];
static size_t nchanges;
/* One redirect or restore at a time; taken by try-lock only, since the
 * thread holding it may be stopped by a tracer that wants it next. */
static atomic_flag busy = ATOMIC_FLAG_INIT;

struct walk {
	const struct got_hook *hooks;
	size_t nhooks;
	int changed;
	int full;
	int pending; /* modules still being relocated: left for later */
};

/* Whether the page at addr is mapped read-only now, from /proc/self/maps,
 * read into a buffer on the stack. The dynamic linker makes a module's RELRO
 * pages read-only once it has relocated it: until then it is still writing
 * there, and a page made read-only under it would fault. */
static int page_readonly(uintptr_t addr)
{
	char buf[4096];
	size_t have = 0;
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	for (;;) {
		ssize_t r = read(fd, buf + have, sizeof buf - 1 - have);
		if (r <= 0)
			break;
		have += (size_t)r;
		buf[have] = '\0';
		char *line = buf, *nl;
		while ((nl = strchr(line, '\n'))) {
			*nl = '\0';
			char *end;
			uintptr_t lo = (uintptr_t)strtoull(line, &end, 16);
			uintptr_t hi = *end == '-' ? (uintptr_t)strtoull(end + 1, &end, 16) : 0;
			if (addr >= lo && addr < hi) {
				int ro = end[0] == ' ' && end[1] == 'r' && end[2] == '-';
				close(fd);
				return ro;
			}
			line = nl + 1;
		}
		have = (size_t)(buf + have - line);
		memmove(buf, line, have);
		if (have == sizeof buf - 1)
			have = 0; /* a line too long to be ours */
	}
	close(fd);
	return 0;
}

static uintptr_t page_down(uintptr_t a)
{
	return a & ~((uintptr_t)sysconf(_SC_PAGESIZE) - 1);
}

/* Stores v at slot, making a read-only page writable for the moment. */
static int store(void **slot, void *v, uintptr_t ro_lo, uintptr_t ro_hi)
{
	uintptr_t a = (uintptr_t)slot;
	if (a >= ro_lo && a < ro_hi) {
		void *page = (void *)page_down(a);
		size_t len = (size_t)sysconf(_SC_PAGESIZE);
		if (mprotect(page, len, PROT_READ | PROT_WRITE) < 0)
			return -1;
		__atomic_store_n(slot, v, __ATOMIC_RELEASE);
		mprotect(page, len, PROT_READ);
		return 0;
	}
	__atomic_store_n(slot, v, __ATOMIC_RELEASE);
	return 0;
}

static int is_self(const struct dl_phdr_info *info)
{
	uintptr_t me = (uintptr_t)&got_redirect;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
		if (ph->p_type == PT_LOAD && me - lo < ph->p_memsz)
			return 1;
	}
	return 0;
}

static int skipped(const struct dl_phdr_info *info)
{
	const char *name = info->dlpi_name ? info->dlpi_name : "";
	const char *base = strrchr(name, '/');
	base = base ? base + 1 : name;
	/* The probe's own module, when it is one: linked into a program (the
	 * unit test), this code redirects that program's entries too. */
	return !strncmp(base, "ld-linux", 8) || !strncmp(base, "linux-vdso", 10) ||
	       !strncmp(base, "linux-gate", 10) || (*name && is_self(info));
}

static uintptr_t at(uintptr_t base, uintptr_t v)
{
	return v < base ? base + v : v;
}

/* The hook for the symbol named name, or NULL. */
static void *hook_for(const struct walk *w, const char *name)
{
	for (size_t i = 0; i < w->nhooks; i++)
		if (!strcmp(w->hooks[i].name, name))
			return w->hooks[i].fn;
	return NULL;
}

static int redirect_module(struct dl_phdr_info *info, size_t size, void *data)
{
	struct walk *w = data;
	(void)size;
	if (w->full || skipped(info))
		return 0;
	uintptr_t base = info->dlpi_addr, ro_lo = 0, ro_hi = 0;
	const ElfW(Dyn) *dyn = NULL;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type == PT_DYNAMIC)
			dyn = (const ElfW(Dyn) *)(base + ph->p_vaddr);
		else if (ph->p_type == PT_GNU_RELRO) {
			ro_lo = page_down(base + ph->p_vaddr);
			ro_hi = page_down(base + ph->p_vaddr + ph->p_memsz);
		}
	}
	if (!dyn)
		return 0;
	const ElfW(Sym) *symtab = NULL;
	const char *strtab = NULL;
	size_t strsz = 0;
	const ElfW(Rela) * tabs[2] = { NULL, NULL };
	size_t sizes[2] = { 0, 0 };
	for (; dyn->d_tag != DT_NULL; dyn++) {
		switch (dyn->d_tag) {
		case DT_SYMTAB: symtab = (const ElfW(Sym) *)at(base, dyn->d_un.d_ptr); break;
		case DT_STRTAB: strtab = (const char *)at(base, dyn->d_un.d_ptr); break;
		case DT_STRSZ: strsz = dyn->d_un.d_val; break;
		case DT_JMPREL: tabs[0] = (const ElfW(Rela) *)at(base, dyn->d_un.d_ptr); break;
		case DT_PLTRELSZ: sizes[0] = dyn->d_un.d_val; break;
		case DT_RELA: tabs[1] = (const ElfW(Rela) *)at(base, dyn->d_un.d_ptr); break;
		case DT_RELASZ: sizes[1] = dyn->d_un.d_val; break;
		}
	}
	if (!symtab || !strtab)
		return 0;
	if (ro_lo < ro_hi && !page_readonly(ro_lo)) {
		w->pending++;
		return 0;
	}
	for (int k = 0; k < 2; k++) {
		for (size_t i = 0; tabs[k] && i < sizes[k] / sizeof(ElfW(Rela)); i++) {
			const ElfW(Rela) *r = &tabs[k][i];
			uint32_t type = ELF64_R_TYPE(r->r_info), sym = ELF64_R_SYM(r->r_info);
			if (!sym || (type != R_X86_64_JUMP_SLOT && type != R_X86_64_GLOB_DAT &&
			             type != R_X86_64_64))
				continue;
			if (symtab[sym].st_name >= strsz)
				continue;
			void *hook = hook_for(w, strtab + symtab[sym].st_name);
			void **slot = (void **)(base + r->r_offset);
			if (!hook || r->r_addend || __atomic_load_n(slot, __ATOMIC_RELAXED) == hook)
				continue;
			if (nchanges == GOT_MAX) {
				w->full = 1;
				return 1;
			}
			void *orig = __atomic_load_n(slot, __ATOMIC_RELAXED);
			if (store(slot, hook, ro_lo, ro_hi) < 0)
				continue;
			changes[nchanges++] = (struct change){ slot, orig, hook };
			w->changed++;
		}
	}
	return 0;
}

int got_redirect(const struct got_hook *hooks, size_t n, int *pending)
{
	struct walk w = { hooks, n, 0, 0, 0 };
	if (atomic_flag_test_and_set_explicit(&busy, memory_order_acquire))
		return GOT_BUSY;
	dl_iterate_phdr(redirect_module, &w);
	atomic_flag_clear_explicit(&busy, memory_order_release);
	if (pending)
		*pending = w.pending;
	return w.full ? -1 : w.changed;
}

struct where {
	uintptr_t slot;
	uintptr_t ro_lo, ro_hi;
	int loaded;
};

/* Whether a slot lies in a module loaded now, and its RELRO pages. */
static int find_slot(struct dl_phdr_info *info, size_t size, void *data)
{
	struct where *q = data;
	(void)size;
	int inside = 0;
	uintptr_t ro_lo = 0, ro_hi = 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
		if (ph->p_type == PT_LOAD && q->slot - lo < ph->p_memsz)
			inside = 1;
		else if (ph->p_type == PT_GNU_RELRO) {
			ro_lo = page_down(lo);
			ro_hi = page_down(lo + ph->p_memsz);
		}
	}
	if (!inside)
		return 0;
	q->loaded = 1;
	q->ro_lo = ro_lo;
	q->ro_hi = ro_hi;
	return 1;
}

int got_restore(void)
{
	int restored = 0;
	if (atomic_flag_test_and_set_explicit(&busy, memory_order_acquire))
		return GOT_BUSY;
	for (size_t i = 0; i < nchanges; i++) {
		struct change *c = &changes[i];
		struct where q = { (uintptr_t)c->slot, 0, 0, 0 };
		dl_iterate_phdr(find_slot, &q);
		if (!q.loaded || __atomic_load_n(c->slot, __ATOMIC_RELAXED) != c->hook)
			continue;
		if (store(c->slot, c->orig, q.ro_lo, q.ro_hi) == 0)
			restored++;
	}
	nchanges = 0;
	atomic_flag_clear_explicit(&busy, memory_order_release);
	return restored;
}
