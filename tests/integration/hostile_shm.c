/* hostile_shm.c - writes a hostile copy of a real probe segment, for
 * hostile.sh.
 *
 *   hostile_shm TEMPLATE PID CASE [SEED]
 *
 * Reads /dev/shm/TEMPLATE (a segment a probed program published), makes it
 * the segment of PID (its pid and /proc start time, so a reader takes it
 * for PID's own and live), spoils it as CASE says, and creates it as
 * /dev/shm/leaktop.PID.<16 hex> (0600, O_EXCL). Prints the name. CASE:
 *
 *   garbage      every byte random, magic included
 *   body         the header kept, every byte after page 0 random
 *   counts       every count at its maximum: stacks, pool, modules,
 *                snapshot entries, threads, sites, ring head
 *   offsets      every part's offset past the end of the segment
 *   overlap      every part at offset 64, over the header
 *   caps         every capacity at UINT32_MAX, the layout unchanged
 *   size         segment_size twice the file's
 *   short        the file cut to half its size (segment_size unchanged)
 *   index        every stack index entry pointing past the pool, depth 0xffff
 *   modules      module entries with paths past the string pool
 *   seq          both seqlocks stuck odd (a writer that died mid-update)
 *   strings      program, thread names and wait channels without a NUL
 *   threads      thread stack ids and statuses out of range
 *   stale        the start time of another process (a reused pid)
 *
 * Exits 2 on bad usage, 1 when it cannot read or write. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shared/procstat.h"
#include "shared/shm.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next_random(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void fill_random(unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)next_random();
}

static unsigned char *slurp(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		return NULL;
	unsigned char *b = malloc((size_t)st.st_size);
	size_t got = 0;
	while (b && got < (size_t)st.st_size) {
		ssize_t k = pread(fd, b + got, (size_t)st.st_size - got, (off_t)got);
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	close(fd);
	*len = got;
	return b;
}

/* The threads header and its tables, when the layout puts them in b. */
static struct lt_threads_header *threads_of(unsigned char *b, size_t len,
                                            const struct lt_shm_header *h)
{
	if (h->threads_off + sizeof(struct lt_threads_header) > len)
		return NULL;
	return (struct lt_threads_header *)(b + h->threads_off);
}

static void spoil(unsigned char *b, size_t *len, const char *what)
{
	struct lt_shm_header *h = (struct lt_shm_header *)b;
	struct lt_snap_header *snap = (struct lt_snap_header *)(b + h->snap_off);
	struct lt_threads_header *th = threads_of(b, *len, h);
	struct lt_thread *t = th ? (struct lt_thread *)(th + 1) : NULL;
	if (!strcmp(what, "garbage")) {
		fill_random(b, *len);
	} else if (!strcmp(what, "body")) {
		fill_random(b + 4096, *len - 4096);
	} else if (!strcmp(what, "counts")) {
		h->stacks_count = h->pool_used = h->mods_count = UINT32_MAX;
		h->mods_str_used = UINT32_MAX;
		snap->nstacks = UINT32_MAX;
		((struct lt_ring *)(b + h->ring_off))->head = UINT64_MAX;
		if (th)
			th->nthreads = th->nsites = UINT32_MAX;
	} else if (!strcmp(what, "offsets")) {
		uint64_t past = h->segment_size + 4096;
		h->ring_off = h->mods_off = h->mods_str_off = past;
		h->stack_index_off = h->stack_pool_off = h->snap_off = h->threads_off = past;
	} else if (!strcmp(what, "overlap")) {
		h->ring_off = h->mods_off = h->mods_str_off = 64;
		h->stack_index_off = h->stack_pool_off = h->snap_off = h->threads_off = 64;
	} else if (!strcmp(what, "caps")) {
		h->stacks_cap = h->pool_cap = h->ring_cap = h->mods_cap = UINT32_MAX;
		h->mods_str_cap = h->threads_cap = h->sites_cap = UINT32_MAX;
	} else if (!strcmp(what, "size")) {
		h->segment_size *= 2;
	} else if (!strcmp(what, "short")) {
		*len /= 2;
	} else if (!strcmp(what, "index")) {
		uint64_t *index = (uint64_t *)(b + h->stack_index_off);
		for (uint32_t i = 0; i < h->stacks_cap; i++)
			index[i] = LT_STACK_ENTRY(h->pool_cap - 3 + i % 7, 0xffff);
		h->stacks_count = h->stacks_cap;
	} else if (!strcmp(what, "modules")) {
		struct lt_module *m = (struct lt_module *)(b + h->mods_off);
		for (uint32_t i = 0; i < h->mods_count; i++) {
			m[i].path_off = h->mods_str_cap - (i % 3);
			m[i].path_len = UINT32_MAX - i;
			m[i].build_id_len = 255;
			m[i].lo = UINT64_MAX - i;
		}
	} else if (!strcmp(what, "seq")) {
		snap->seq |= 1;
		if (th)
			th->seq |= 1;
	} else if (!strcmp(what, "strings")) {
		memset(h->program, 'A', sizeof(h->program));
		for (uint32_t i = 0; t && i < th->nthreads && i < h->threads_cap; i++) {
			memset(t[i].name, 0x1b, sizeof(t[i].name)); /* ESC, and no NUL */
			memset(t[i].wchan, 'w', sizeof(t[i].wchan));
		}
	} else if (!strcmp(what, "threads")) {
		for (uint32_t i = 0; t && i < th->nthreads && i < h->threads_cap; i++) {
			t[i].create_stack = UINT32_MAX - 1 - i;
			t[i].wait_stack = h->stacks_cap + i;
			t[i].status = (uint8_t)(3 + i);
			t[i].wait = 200;
			t[i].state = 0;
		}
		if (th)
			th->nsites = h->sites_cap;
	} else if (!strcmp(what, "stale")) {
		h->proc_start += 12345;
	} else {
		fprintf(stderr, "hostile_shm: unknown case %s\n", what);
		exit(2);
	}
}

int main(int argc, char **argv)
{
	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: hostile_shm TEMPLATE PID CASE [SEED]\n");
		return 2;
	}
	if (argc == 5)
		rng ^= strtoull(argv[4], NULL, 0) * 0x2545f4914f6cdd1dull;
	char path[256], name[LT_SHM_NAME_MAX];
	snprintf(path, sizeof(path), "/dev/shm/%s", argv[1]);
	size_t len;
	unsigned char *b = slurp(path, &len);
	if (!b || len < 8192) {
		fprintf(stderr, "hostile_shm: cannot read %s\n", path);
		return 1;
	}
	pid_t pid = (pid_t)atoi(argv[2]);
	struct lt_shm_header *h = (struct lt_shm_header *)b;
	struct procstat ps;
	if (procstat_read(pid, &ps) < 0) {
		fprintf(stderr, "hostile_shm: no process %d\n", (int)pid);
		return 1;
	}
	h->pid = pid;
	h->proc_start = ps.start_ticks;
	h->launcher_pid = 0;
	spoil(b, &len, argv[3]);

	snprintf(name, sizeof(name), "leaktop.%d.%016llx", (int)pid,
	         (unsigned long long)next_random());
	snprintf(path, sizeof(path), "/dev/shm/%s", name);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, b, len) != (ssize_t)len || close(fd) < 0) {
		fprintf(stderr, "hostile_shm: cannot write %s\n", path);
		return 1;
	}
	puts(name);
	free(b);
	return 0;
}
