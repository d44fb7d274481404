/* blind.c - what in a program file stops the probe (see blind.h), read
 * with libelf: the program headers for PT_INTERP, the symbol tables for a
 * malloc of the executable's own, the mode bits and the capability
 * attribute for a secure exec. */
#define _GNU_SOURCE
#include "blind.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

/* The file exec would run for program: as given when it has a slash, else
 * the first executable regular file of that name along PATH. */
static int resolve(const char *program, char *out, size_t n)
{
	if (strchr(program, '/'))
		return snprintf(out, n, "%s", program) < (int)n ? 0 : -1;
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (const char *p = path; *p;) {
		const char *end = strchrnul(p, ':');
		struct stat st;
		int len = (int)(end - p);
		if (snprintf(out, n, "%.*s/%s", len ? len : 1, len ? p : ".", program) < (int)n &&
		    stat(out, &st) == 0 && S_ISREG(st.st_mode) && access(out, X_OK) == 0)
			return 0;
		p = *end ? end + 1 : end;
	}
	return -1;
}

/* 1 when a symbol table of e defines malloc (a function, not undefined). */
static int defines_malloc(Elf *e)
{
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(e, scn));) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) ||
		    (sh.sh_type != SHT_DYNSYM && sh.sh_type != SHT_SYMTAB) || !sh.sh_entsize)
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		size_t count = sh.sh_size / sh.sh_entsize;
		for (size_t i = 0; d && i < count; i++) {
			GElf_Sym sym;
			if (!gelf_getsym(d, (int)i, &sym) || sym.st_shndx == SHN_UNDEF ||
			    GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
			    GELF_ST_BIND(sym.st_info) == STB_LOCAL)
				continue;
			const char *name = elf_strptr(e, sh.sh_link, sym.st_name);
			if (name && !strcmp(name, "malloc"))
				return 1;
		}
	}
	return 0;
}

/* BLIND_STATIC, BLIND_OWN_MALLOC or BLIND_NO, from the ELF file at fd. */
static enum blind check_elf(int fd)
{
	enum blind b = BLIND_NO;
	elf_version(EV_CURRENT);
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	size_t nph;
	if (!e || elf_kind(e) != ELF_K_ELF || elf_getphdrnum(e, &nph) != 0) {
		if (e)
			elf_end(e);
		return BLIND_NO; /* a script, say: its interpreter is what runs */
	}
	int interp = 0;
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;
		if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_INTERP)
			interp = 1;
	}
	if (!interp)
		b = BLIND_STATIC;
	else if (defines_malloc(e))
		b = BLIND_OWN_MALLOC;
	elf_end(e);
	return b;
}

enum blind blind_check(const char *program, const char *name, char *why, size_t n)
{
	char path[PATH_MAX];
	struct stat st;
	if (resolve(program, path, sizeof path) < 0 || stat(path, &st) < 0)
		return BLIND_NO;
	/* The kernel asks for a secure exec (AT_SECURE) when the program
	 * changes the user or group, or grants capabilities; the dynamic
	 * linker then drops LD_PRELOAD paths. */
	if ((st.st_mode & S_ISUID) && st.st_uid != getuid()) {
		snprintf(why, n,
		         "%s is set-user-ID, and the dynamic linker ignores LD_PRELOAD for it",
		         name);
		return BLIND_SECURE;
	}
	if ((st.st_mode & S_ISGID) && st.st_gid != getgid()) {
		snprintf(why, n,
		         "%s is set-group-ID, and the dynamic linker ignores LD_PRELOAD for it",
		         name);
		return BLIND_SECURE;
	}
	if (getuid() != 0 && getxattr(path, "security.capability", NULL, 0) > 0) {
		snprintf(
		    why, n,
		    "%s has file capabilities, and the dynamic linker ignores LD_PRELOAD for it",
		    name);
		return BLIND_SECURE;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return BLIND_NO;
	enum blind b = check_elf(fd);
	close(fd);
	if (b == BLIND_STATIC)
		snprintf(why, n, "%s is statically linked, so no LD_PRELOAD library can load in it",
		         name);
	else if (b == BLIND_OWN_MALLOC)
		snprintf(why, n,
		         "%s defines its own malloc (an allocator linked in), which comes before "
		         "the probe's",
		         name);
	return b;
}
