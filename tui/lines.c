/* lines.c - files and lines for a recording read back.
 *
 * `leaktop record` names each frame's function as it records, but leaves
 * the frame's file and line to whoever reads the recording: looking them
 * up means reading the DWARF of every module, 90 ms for libc's separate
 * debug information alone, a cost paid once per run that weighs on short
 * programs. The recording keeps the modules (path, load bias, range and
 * build ID), so a reader on the same machine looks the lines up from the
 * same files, and only from files whose build ID is still the one that
 * ran: a library upgraded since gives no lines rather than wrong ones. */
#include "lines.h"

#include <fcntl.h>
#include <gelf.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "symbols.h"

/* The GNU build ID of the ELF file at path into id (20 bytes of room); its
 * length, or 0 when the file is not a regular ELF file with one. Never
 * blocks on a FIFO or a device a hostile recording might name. */
static size_t file_build_id(const char *path, uint8_t *id)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return 0;
	struct stat st;
	size_t n = 0;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return 0;
	}
	elf_version(EV_CURRENT);
	Elf *e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	for (Elf_Scn *scn = NULL; e && !n && (scn = elf_nextscn(e, scn));) {
		GElf_Shdr sh;
		Elf_Data *d;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE ||
		    !(d = elf_getdata(scn, NULL)))
			continue;
		GElf_Nhdr nh;
		size_t off = 0, name_off, desc_off;
		while (!n && (off = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0)
			if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
			    !memcmp((const char *)d->d_buf + name_off, "GNU", 4) && nh.n_descsz &&
			    nh.n_descsz <= 20) {
				n = nh.n_descsz;
				memcpy(id, (const char *)d->d_buf + desc_off, n);
			}
	}
	if (e)
		elf_end(e);
	close(fd);
	return n;
}

size_t lines_fill(struct profile *p)
{
	size_t missing = 0, done = 0;
	for (uint32_t i = 0; i < p->nsyms; i++)
		missing += !*p->syms[i].file;
	if (!missing || !p->nmods)
		return 0;
	struct symbolizer *s = sym_new();
	if (!s)
		return 0;
	uint32_t usable = 0;
	for (uint32_t i = 0; i < p->nmods; i++) {
		const struct prof_module *m = &p->mods[i];
		uint8_t id[20];
		size_t n = m->build_id_len ? file_build_id(m->path, id) : 0;
		if (n && n == m->build_id_len && !memcmp(id, m->build_id, n) &&
		    sym_add_module(s, m->path, m->bias, m->lo, m->hi) == 0)
			usable++;
	}
	for (uint32_t i = 0; usable && i < p->nsyms; i++) {
		const struct frame_sym *have = &p->syms[i];
		struct frame_sym fs;
		if (*have->file)
			continue;
		sym_resolve(s, have->addr, &fs);
		if (*fs.file && profile_set_sym_file(p, have->addr, fs.file, fs.line) == 0)
			done++;
	}
	sym_free(s);
	return done;
}
