/* test_recording.c - the .lkt format: an exact round trip, incremental
 * syncs that write only what is new, how the file is created, and the
 * reader against every truncation and every flipped byte and bit of a real
 * recording, plus hand-made records that are well formed but wrong. */
#include "shared/recording.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "shared/bytes.h"
#include "tests/unit/check.h"

static char dir[64];
static char err[256];

static const char *path_in_dir(const char *name)
{
	static char buf[8][128]; /* a few names may be live at once */
	static int k;
	k = (k + 1) % 8;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", dir, name);
	return buf[k];
}

static void remove_dir(void)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			unlink(path_in_dir(e->d_name));
	closedir(d);
	rmdir(dir);
}

/* The whole file, into *len bytes the caller frees. */
static unsigned char *slurp(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		return NULL;
	unsigned char *b = malloc((size_t)st.st_size + 1);
	*len = b && read(fd, b, (size_t)st.st_size) == st.st_size ? (size_t)st.st_size : 0;
	close(fd);
	return b;
}

/* Record boundaries of a well-formed file: ends[i] is where record i ends.
 * Returns the record count. */
static int walk(const unsigned char *b, size_t len, size_t *ends, uint32_t *types, int max)
{
	int n = 0;
	for (size_t off = 16; off + 16 <= len && n < max; n++) {
		types[n] = bytes_load_u32(b + off);
		off += 16 + bytes_load_u32(b + off + 4);
		ends[n] = off;
	}
	return n;
}

/* The leading u32 of a record's inflated payload (the entry count of a list). */
static uint32_t record_count(const unsigned char *rec)
{
	uLongf raw_len = bytes_load_u32(rec + 8);
	unsigned char *raw = malloc(raw_len + 1);
	uint32_t n = UINT32_MAX;
	if (uncompress(raw, &raw_len, rec + 16, bytes_load_u32(rec + 4)) == Z_OK && raw_len >= 4)
		n = bytes_load_u32(raw);
	free(raw);
	return n;
}

/* Appends a well-formed record with any payload, as a writer would. */
static void put_record(struct bytes_out *o, uint32_t type, const void *payload, size_t n)
{
	uLongf stored = compressBound(n);
	unsigned char *z = malloc(stored);
	compress2(z, &stored, payload, n, 6);
	size_t at = o->len;
	bytes_put_u32(o, type);
	bytes_put_u32(o, (uint32_t)stored);
	bytes_put_u32(o, (uint32_t)n);
	bytes_put_u32(o, 0);
	bytes_put_mem(o, z, stored);
	uLong crc = crc32(crc32(0, o->p + at, 12), z, (uInt)stored);
	bytes_patch_u32(o, at + 12, (uint32_t)crc);
	free(z);
}

/* The file b with one more record spliced in just before its END. */
static void splice_before_end(struct bytes_out *o, const unsigned char *b, size_t len,
                              uint32_t type, const void *payload, size_t n)
{
	size_t ends[256];
	uint32_t types[256];
	int k = walk(b, len, ends, types, 256);
	size_t body = ends[k - 2];
	bytes_out_init(o);
	bytes_put_mem(o, b, body);
	put_record(o, type, payload, n);
	bytes_put_mem(o, b + body, len - body);
}

/* --- a profile with one of everything ----------------------------------- */

static void add_stacks(struct profile *p, uint32_t from, uint32_t to)
{
	for (uint32_t id = from; id < to; id++) {
		uint64_t f[LT_DEPTH_MAX] = { 0 };
		uint32_t depth = id == 0 ? 0 : id == 3 ? LT_DEPTH_MAX : id % 7 + 1;
		for (uint32_t k = 0; k < depth; k++)
			f[k] = 0x7f0000000000ull + id * 0x1000 + k * 8;
		CHECK_EQ_U64(profile_add_stack(p, id, f, depth), 0);
	}
}

static void add_syms(struct profile *p, uint32_t from, uint32_t to)
{
	for (uint32_t i = from; i < to; i++) {
		char func[32];
		snprintf(func, sizeof(func), "func_%u", i);
		struct frame_sym s = { .addr = 0x7f0000000000ull + i * 0x1000,
			               .func = func,
			               .module = i % 2 ? "/lib/libc.so.6" : "",
			               .file = i % 3 ? "src/x.c" : "",
			               .line = i * 10 };
		CHECK_EQ_U64(profile_add_sym(p, &s), 0);
	}
}

static void add_snapshot(struct profile *p, uint64_t seqno, uint32_t nstacks)
{
	struct snap_entry e[64];
	struct snapshot s = { .seqno = seqno,
		              .time_ns = 1700000000000000000ull + seqno * 1000000000ull,
		              .totals = { seqno, seqno + 1, seqno + 2, seqno + 3, seqno + 4 },
		              .unknown_frees = seqno * 3,
		              .overflow_allocs = seqno % 2,
		              .probe_bytes = 1u << 20,
		              .e = e };
	for (uint32_t id = 0; id < nstacks && s.n < 64; id++) {
		if ((id + seqno) % 3 == 0)
			continue; /* not every stack is in every snapshot */
		e[s.n].id = id;
		e[s.n].c =
		    (struct lt_counts){ id * 100 + seqno, id, id * 2 + seqno, id * 300, seqno };
		s.n++;
	}
	CHECK_EQ_U64(profile_add_snapshot(p, &s), 0);
}

static void add_ticks(struct profile *p, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		uint64_t k = p->nticks;
		struct lt_tick t = { 1700000000000000000ull + k * 100000000ull, k * 64, k, k * 3,
			             k * 2 };
		CHECK_EQ_U64(profile_add_ticks(p, &t, 1), 0);
	}
}

/* Snapshot seqno as the one before it, but for one stack that moves, one
 * that leaves every fifth time and one that comes every seventh: what a
 * DELTA carries. */
static void add_quiet_snapshot(struct profile *p, uint64_t seqno)
{
	const struct snapshot *prev = &p->snaps[p->nsnaps - 1];
	struct snap_entry e[64];
	uint32_t n = 0;
	for (uint32_t i = 0; i < prev->n && n < 63; i++) {
		e[n] = prev->e[i];
		if (e[n].id == 1 && seqno % 5 == 0)
			continue;
		if (e[n].id == 5)
			e[n].c.live_bytes += seqno, e[n].c.alloc_calls++;
		n++;
	}
	if (seqno % 7 == 0 && !snapshot_find(prev, 1)) {
		uint32_t at = n && e[0].id == 0; /* id 1 comes back, in its place */
		memmove(e + at + 1, e + at, (n - at) * sizeof(*e));
		e[at] = (struct snap_entry){ .id = 1, .c = { seqno, 1, seqno, seqno, 0 } };
		n++;
	}
	struct snapshot s = *prev;
	s.seqno = seqno;
	s.time_ns += 1000000000ull;
	s.totals.alloc_calls += seqno;
	s.n = n;
	s.e = e;
	CHECK_EQ_U64(profile_add_snapshot(p, &s), 0);
}

/* A thread snapshot of n threads, one of them ended, and two sites. */
static void add_threads(struct profile *p, uint64_t seqno, uint32_t n)
{
	struct lt_thread t[8] = { { 0 } };
	struct lt_thread_site sites[2] = { { .stack = 2, .created = n, .ended = 1 },
		                           { .stack = 4, .created = 1 } };
	for (uint32_t i = 0; i < n && i < 8; i++) {
		t[i].tid = (int32_t)(100 + i);
		t[i].creator_tid = 100;
		t[i].create_stack = i ? 2 : LT_STACK_NONE;
		t[i].wait_stack = i % 2 ? 4 : LT_STACK_NONE;
		t[i].status = i == 1 ? LT_THREAD_ENDED : LT_THREAD_LIVE;
		t[i].state = i % 2 ? 'S' : 'R';
		t[i].wait = (uint8_t)(i % 3);
		t[i].serial = i;
		t[i].syscall = i % 2 ? 202 : -1;
		t[i].start_ns = 1700000000000000000ull + i;
		t[i].end_ns = i == 1 ? 1700000000500000000ull : 0;
		t[i].wait_ns = i * 1000;
		t[i].live_bytes = i * 4096;
		snprintf(t[i].name, sizeof(t[i].name), "worker-%u", i);
		snprintf(t[i].wchan, sizeof(t[i].wchan), "%s", i % 2 ? "futex_wait_queue" : "");
	}
	struct thread_snap s = { .seqno = seqno,
		                 .time_ns = 1700000000000000000ull + seqno * 1000000000ull,
		                 .created = n,
		                 .ended = 1,
		                 .capture_ns = 12345,
		                 .reused_live_bytes = 64,
		                 .n = n,
		                 .t = t,
		                 .nsites = 2,
		                 .sites = sites };
	CHECK_EQ_U64(profile_add_threads(p, &s), 0);
}

static struct profile *make_profile(void)
{
	struct profile *p = profile_new();
	CHECK_EQ_U64(profile_set_program(p, "/usr/bin/leaky --flag"), 0);
	p->pid = 4242;
	p->start_ns = 1700000000123456789ull;
	p->interval_ms = 250;
	p->depth = 64;
	p->sample_bytes = 524288; /* counts are estimates; the file keeps the mean */
	/* Two modules, one without a build ID, for a reader to find lines in. */
	struct prof_module m = { .path = "/usr/lib/libleaky.so.1",
		                 .bias = 0x7f0000000000ull,
		                 .lo = 0x7f0000001000ull,
		                 .hi = 0x7f0000009000ull,
		                 .build_id_len = 20 };
	for (int i = 0; i < 20; i++)
		m.build_id[i] = (uint8_t)(0xa0 + i);
	CHECK_EQ_U64(profile_add_module(p, &m), 0);
	CHECK_EQ_U64(profile_add_module(p, &m), 0); /* the same again: no-op */
	struct prof_module exe = { .path = "/usr/bin/leaky", .lo = 0x401000, .hi = 0x402000 };
	CHECK_EQ_U64(profile_add_module(p, &exe), 0);
	CHECK_EQ_U64(p->nmods, 2);
	struct prof_module bad = m;
	bad.build_id_len = 21;
	CHECK(profile_add_module(p, &bad) < 0);
	return p;
}

/* --- comparing profiles -------------------------------------------------- */

/* Field by field: struct snap_entry has padding after its id. */
static int same_snapshot(const struct snapshot *a, const struct snapshot *b)
{
	if (a->seqno != b->seqno || a->time_ns != b->time_ns ||
	    memcmp(&a->totals, &b->totals, sizeof(a->totals)) ||
	    a->unknown_frees != b->unknown_frees || a->overflow_allocs != b->overflow_allocs ||
	    a->probe_bytes != b->probe_bytes || a->n != b->n)
		return 0;
	for (uint32_t i = 0; i < a->n; i++)
		if (a->e[i].id != b->e[i].id || memcmp(&a->e[i].c, &b->e[i].c, sizeof(a->e[i].c)))
			return 0;
	return 1;
}

static int same_threads(const struct thread_snap *a, const struct thread_snap *b)
{
	if (a->seqno != b->seqno || a->time_ns != b->time_ns || a->created != b->created ||
	    a->ended != b->ended || a->untracked != b->untracked ||
	    a->capture_ns != b->capture_ns || a->reused_live_bytes != b->reused_live_bytes ||
	    a->n != b->n || a->nsites != b->nsites)
		return 0;
	for (uint32_t i = 0; i < a->n; i++) {
		const struct lt_thread *x = &a->t[i], *y = &b->t[i];
		if (x->tid != y->tid || x->creator_tid != y->creator_tid ||
		    x->create_stack != y->create_stack || x->wait_stack != y->wait_stack ||
		    x->status != y->status || x->state != y->state || x->wait != y->wait ||
		    x->serial != y->serial || x->syscall != y->syscall ||
		    x->start_ns != y->start_ns || x->end_ns != y->end_ns ||
		    x->wait_ns != y->wait_ns || x->live_bytes != y->live_bytes ||
		    strcmp(x->name, y->name) || strcmp(x->wchan, y->wchan))
			return 0;
	}
	for (uint32_t i = 0; i < a->nsites; i++)
		if (a->sites[i].stack != b->sites[i].stack ||
		    a->sites[i].created != b->sites[i].created ||
		    a->sites[i].ended != b->sites[i].ended)
			return 0;
	return 1;
}

static int same_stack(const struct profile *a, const struct profile *b, uint32_t id)
{
	const struct prof_stack *x = profile_stack(a, id), *y = profile_stack(b, id);
	return x && y && x->depth == y->depth &&
	       (x->depth == 0 || !memcmp(x->frames, y->frames, x->depth * sizeof(uint64_t)));
}

static int same_sym(const struct frame_sym *x, const struct frame_sym *y)
{
	return x->addr == y->addr && x->line == y->line && !strcmp(x->func, y->func) &&
	       !strcmp(x->module, y->module) && !strcmp(x->file, y->file);
}

/* 1 when what q holds is a prefix of p, as a reader that stopped early
 * leaves it: every list a prefix, every item equal. */
static int is_prefix(const struct profile *q, const struct profile *p)
{
	if (q->nstack_order > p->nstack_order || q->nsyms > p->nsyms || q->nsnaps > p->nsnaps ||
	    q->nticks > p->nticks || q->ntsnaps > p->ntsnaps)
		return 0;
	for (uint32_t i = 0; i < q->ntsnaps; i++)
		if (!same_threads(&q->tsnaps[i], &p->tsnaps[i]))
			return 0;
	for (uint32_t i = 0; i < q->nstack_order; i++)
		if (q->stack_order[i] != p->stack_order[i] || !same_stack(q, p, q->stack_order[i]))
			return 0;
	for (uint32_t i = 0; i < q->nsyms; i++)
		if (!same_sym(&q->syms[i], &p->syms[i]))
			return 0;
	for (uint32_t i = 0; i < q->nsnaps; i++)
		if (!same_snapshot(&q->snaps[i], &p->snaps[i]))
			return 0;
	return q->nticks == 0 || !memcmp(q->ticks, p->ticks, q->nticks * sizeof(*q->ticks));
}

static void check_equal(const struct profile *q, const struct profile *p)
{
	CHECK_STR(q->program, p->program);
	CHECK_EQ_U64(q->pid, p->pid);
	CHECK_EQ_U64(q->start_ns, p->start_ns);
	CHECK_EQ_U64(q->interval_ms, p->interval_ms);
	CHECK_EQ_U64(q->sample_bytes, p->sample_bytes);
	CHECK_EQ_U64(q->depth, p->depth);
	CHECK_EQ_U64(q->nmods, p->nmods);
	for (uint32_t i = 0; i < p->nmods && i < q->nmods; i++) {
		CHECK_STR(q->mods[i].path, p->mods[i].path);
		CHECK_EQ_U64(q->mods[i].bias, p->mods[i].bias);
		CHECK_EQ_U64(q->mods[i].lo, p->mods[i].lo);
		CHECK_EQ_U64(q->mods[i].hi, p->mods[i].hi);
		CHECK_EQ_U64(q->mods[i].build_id_len, p->mods[i].build_id_len);
		CHECK(!memcmp(q->mods[i].build_id, p->mods[i].build_id, p->mods[i].build_id_len));
	}
	CHECK_EQ_U64(q->nstack_order, p->nstack_order);
	CHECK_EQ_U64(q->nsyms, p->nsyms);
	CHECK_EQ_U64(q->nsnaps, p->nsnaps);
	CHECK_EQ_U64(q->nticks, p->nticks);
	CHECK_EQ_U64(q->ntsnaps, p->ntsnaps);
	CHECK_EQ_U64(q->end, p->end);
	CHECK_EQ_U64(q->end_code, p->end_code);
	CHECK(is_prefix(q, p));
	for (uint32_t i = 0; i < p->nsyms; i++)
		CHECK(profile_sym(q, p->syms[i].addr) != NULL);
}

/* --- tests --------------------------------------------------------------- */

#define REF_SNAPS 45

/* Writes the reference recording in several syncs and returns its profile. */
static struct profile *write_reference(const char *path)
{
	struct profile *p = make_profile();
	struct rec_writer w;
	CHECK_EQ_U64(rec_writer_create(&w, path, err, sizeof(err)), 0);
	add_stacks(p, 0, 12);
	add_syms(p, 0, 20);
	add_snapshot(p, 1, 12);
	add_snapshot(p, 2, 12);
	add_ticks(p, 30);
	CHECK_EQ_U64(rec_writer_sync(&w, p, err, sizeof(err)), 0);
	add_stacks(p, 12, 20);
	add_syms(p, 20, 30);
	add_snapshot(p, 3, 20);
	add_ticks(p, 10);
	CHECK_EQ_U64(rec_writer_sync(&w, p, err, sizeof(err)), 0);
	add_snapshot(p, 4, 20);
	add_threads(p, 4, 3);
	add_snapshot(p, 5, 20);
	CHECK_EQ_U64(rec_writer_sync(&w, p, err, sizeof(err)), 0);
	/* Quiet snapshots, which go as DELTAs but every REC_FULL_EVERY-th. */
	for (uint64_t seqno = 6; seqno <= REF_SNAPS; seqno++) {
		add_quiet_snapshot(p, seqno);
		if (seqno == 20)
			add_threads(p, seqno, 5);
		if (seqno % 4 == 0)
			CHECK_EQ_U64(rec_writer_sync(&w, p, err, sizeof(err)), 0);
	}
	CHECK_EQ_U64(w.snaps_written, REF_SNAPS - 1); /* the last one comes with END */
	p->end = PROF_SIGNALED;
	p->end_code = -11; /* any int32 survives */
	CHECK_EQ_U64(rec_writer_finish(&w, p, err, sizeof(err)), 0);
	CHECK_EQ_U64(w.fd, (uint64_t)-1);
	return p;
}

static void test_round_trip(const struct profile *p, const char *path)
{
	struct profile *q = profile_new();
	int rc = rec_read_file(path, q, err, sizeof(err));
	CHECK_EQ_U64(rc, 0);
	if (rc)
		fprintf(stderr, "  read: %s\n", err);
	check_equal(q, p);
	CHECK_EQ_U64(q->nsnaps, REF_SNAPS);
	CHECK_EQ_U64(q->ntsnaps, 2);
	CHECK_EQ_U64(q->nstack_order, 20);
	CHECK_EQ_U64(profile_stack(q, 3)->depth, LT_DEPTH_MAX);
	CHECK_STR(profile_sym(q, 0x7f0000000000ull + 7 * 0x1000)->func, "func_7");
	CHECK_EQ_U64(q->end, PROF_SIGNALED);
	CHECK(q->end_code == -11);
	profile_free(q);

	q = profile_new();
	CHECK_EQ_U64(rec_read_file(path_in_dir("missing.lkt"), q, err, sizeof(err)), (uint64_t)-1);
	CHECK_STR(err, "No such file or directory"); /* the caller names the file */
	CHECK_EQ_U64(rec_read_file(dir, q, err, sizeof(err)), (uint64_t)-1);
	profile_free(q);
}

/* Each sync writes one record per kind of news, and only the news. */
static void test_incremental(void)
{
	const char *path = path_in_dir("inc.lkt");
	struct profile *p = make_profile();
	struct rec_writer w;
	size_t ends[16], len;
	uint32_t types[16];
	CHECK_EQ_U64(rec_writer_create(&w, path, err, sizeof(err)), 0);
	CHECK_EQ_U64(w.offset, 16);

	CHECK_EQ_U64(rec_writer_sync(&w, p, err, sizeof(err)), 0); /* META and MODULES */
	uint64_t after_meta = w.offset;
	CHECK_EQ_U64(rec_writer_sync(&w, p, err, sizeof(err)), 0); /* nothing new */
	CHECK_EQ_U64(w.offset, after_meta);
	add_stacks(p, 0, 2);
	CHECK_EQ_U64(rec_writer_sync(&w, p, err, sizeof(err)), 0);
	add_stacks(p, 2, 3);
	add_syms(p, 0, 3);
	CHECK_EQ_U64(rec_writer_sync(&w, p, err, sizeof(err)), 0);
	add_snapshot(p, 1, 3);
	CHECK_EQ_U64(rec_writer_sync(&w, p, err, sizeof(err)), 0);
	add_ticks(p, 7);
	CHECK_EQ_U64(rec_writer_sync(&w, p, err, sizeof(err)), 0);
	uint64_t before_end = w.offset;
	CHECK_EQ_U64(rec_writer_sync(&w, p, err, sizeof(err)), 0);
	CHECK_EQ_U64(w.offset, before_end);
	CHECK_EQ_U64(rec_writer_finish(&w, p, err, sizeof(err)), 0);

	unsigned char *b = slurp(path, &len);
	int n = walk(b, len, ends, types, 16);
	uint32_t want_types[] = { REC_META,    REC_MODULES,  REC_STACKS, REC_STACKS,
		                  REC_SYMBOLS, REC_SNAPSHOT, REC_TICKS,  REC_END };
	uint32_t want_counts[] = { 0, 2, 2, 1, 3, 0, 7, 0 };
	CHECK_EQ_U64(n, 8);
	for (int i = 0; i < n && i < 8; i++) {
		CHECK_EQ_U64(types[i], want_types[i]);
		size_t start = i ? ends[i - 1] : 16;
		if (want_counts[i])
			CHECK_EQ_U64(record_count(b + start), want_counts[i]);
	}
	CHECK_EQ_U64(ends[1], after_meta);
	CHECK_EQ_U64(ends[6], before_end);
	CHECK_EQ_U64(ends[n - 1], len);

	struct profile *q = profile_new();
	CHECK_EQ_U64(rec_read_mem(b, len, q, err, sizeof(err)), 0);
	check_equal(q, p);
	profile_free(q);
	free(b);
	profile_free(p);
}

static void test_create(void)
{
	const char *path = path_in_dir("new.lkt");
	struct rec_writer w;
	struct stat st;
	CHECK_EQ_U64(rec_writer_create(&w, path, err, sizeof(err)), 0);
	CHECK_EQ_U64(lstat(path, &st), 0);
	CHECK_EQ_U64(st.st_mode & 07777, 0600);
	CHECK_EQ_U64(st.st_size, 16);
	int fl = fcntl(w.fd, F_GETFD);
	CHECK(fl >= 0 && (fl & FD_CLOEXEC));
	close(w.fd);

	/* An old file of ours is replaced. */
	FILE *f = fopen(path, "w");
	fputs("an older recording, much longer than a header", f);
	fclose(f);
	CHECK_EQ_U64(rec_writer_create(&w, path, err, sizeof(err)), 0);
	CHECK_EQ_U64(lstat(path, &st), 0);
	CHECK_EQ_U64(st.st_size, 16);
	CHECK_EQ_U64(st.st_mode & 07777, 0600);
	close(w.fd);

	/* Never through a symlink, dangling or not; the target is untouched. */
	const char *target = path_in_dir("precious"), *link = path_in_dir("link.lkt");
	f = fopen(target, "w");
	fputs("precious", f);
	fclose(f);
	CHECK_EQ_U64(symlink(target, link), 0);
	err[0] = 0;
	CHECK_EQ_U64(rec_writer_create(&w, link, err, sizeof(err)), (uint64_t)-1);
	CHECK_EQ_U64(w.fd, (uint64_t)-1);
	CHECK(err[0] != 0); /* a reason; the caller names the file */
	CHECK_EQ_U64(lstat(target, &st), 0);
	CHECK_EQ_U64(st.st_size, 8);
	CHECK_EQ_U64(lstat(link, &st), 0);
	CHECK(S_ISLNK(st.st_mode));

	const char *dangling = path_in_dir("dangling.lkt"), *nowhere = path_in_dir("nowhere");
	CHECK_EQ_U64(symlink(nowhere, dangling), 0);
	CHECK_EQ_U64(rec_writer_create(&w, dangling, err, sizeof(err)), (uint64_t)-1);
	CHECK(lstat(nowhere, &st) < 0 && errno == ENOENT);

	/* Nor over a directory, nor in a directory that is not there. */
	CHECK_EQ_U64(rec_writer_create(&w, dir, err, sizeof(err)), (uint64_t)-1);
	CHECK_EQ_U64(rec_writer_create(&w, path_in_dir("no/such.lkt"), err, sizeof(err)),
	             (uint64_t)-1);
}

/* Cut the reference file at every offset: 0 at a record boundary, 1 (torn)
 * anywhere else, never -1, and always a prefix of the full profile. */
static void test_truncation(const struct profile *p, const unsigned char *b, size_t len)
{
	size_t ends[256];
	uint32_t types[256];
	int n = walk(b, len, ends, types, 256), k = 0, bad = 0;
	unsigned long cases = 0;
	for (size_t cut = 0; cut <= len; cut++, cases++) {
		while (k < n && ends[k] < cut)
			k++;
		int boundary = cut == 16 || (k < n && ends[k] == cut);
		struct profile *q = profile_new();
		err[0] = 0;
		int rc = rec_read_mem(b, cut, q, err, sizeof(err));
		int ok = rc == (boundary ? 0 : 1) && is_prefix(q, p) &&
		         (rc == 0 || strncmp(err, "offset ", 7) == 0);
		if (!ok && bad++ < 5)
			fprintf(stderr, "  cut at %zu: rc %d, %s\n", cut, rc, err);
		profile_free(q);
	}
	CHECK_EQ_U64(bad, 0);
	CHECK_EQ_U64(cases, len + 1);
	printf("truncation: %lu cuts, %d record boundaries\n", cases, n + 1);
}

/* 1 when c's byte i lies in the stored length of a record (of the walk
 * `ends` of the unflipped file) and that length now runs past the end. */
static int runs_past_end(const unsigned char *c, size_t len, const size_t *ends, int n, size_t i)
{
	for (int k = 0; k < n; k++) {
		size_t start = k ? ends[k - 1] : 16;
		if (i >= start + 4 && i < start + 8)
			return bytes_load_u32(c + start + 4) > len - start - 16;
	}
	return 0;
}

/* Flip every byte (all bits) and every single bit. The file header is
 * checked field by field, and a record's CRC covers its header and payload,
 * so any flip is an error (-1), but for one case: a record's stored length
 * grown past the end of the file looks exactly like a torn tail (1). */
static void test_flips(const struct profile *p, const unsigned char *b, size_t len)
{
	size_t ends[256];
	uint32_t types[256];
	int n = walk(b, len, ends, types, 256), bad = 0;
	unsigned char *c = malloc(len);
	unsigned long cases = 0, torn = 0;
	static const unsigned char masks[] = { 0xff, 1, 2, 4, 8, 16, 32, 64, 128 };
	for (size_t i = 0; i < len; i++) {
		for (size_t m = 0; m < sizeof(masks); m++, cases++) {
			memcpy(c, b, len);
			c[i] ^= masks[m];
			struct profile *q = profile_new();
			err[0] = 0;
			int rc = rec_read_mem(c, len, q, err, sizeof(err));
			int may_tear = runs_past_end(c, len, ends, n, i);
			torn += rc == 1;
			int ok = (rc == -1 || (rc == 1 && may_tear)) && is_prefix(q, p) && err[0];
			if (!ok && bad++ < 5)
				fprintf(stderr, "  flip 0x%02x at %zu: rc %d, %s\n", masks[m], i,
				        rc, err);
			profile_free(q);
		}
	}
	free(c);
	CHECK_EQ_U64(bad, 0);
	printf("flips: %lu cases over %zu bytes (%lu read as a torn tail)\n", cases, len, torn);
}

static void test_header(const unsigned char *b, size_t len)
{
	unsigned char *c = malloc(len);
	struct profile *q = profile_new();

	memcpy(c, b, len);
	c[8] = REC_VERSION + 1;
	CHECK_EQ_U64(rec_read_mem(c, len, q, err, sizeof(err)), (uint64_t)-1);
	CHECK_STR(err, "recording version 4 needs a newer leaktop (this one reads up to 3)");
	CHECK_EQ_U64(q->nsnaps, 0);

	memcpy(c, "GIF89a..", 8);
	CHECK_EQ_U64(rec_read_mem(c, len, q, err, sizeof(err)), (uint64_t)-1);
	CHECK_STR(err, "not a leaktop recording");
	CHECK_EQ_U64(rec_read_mem("LKT", 3, q, err, sizeof(err)), 1);
	CHECK_STR(err, "offset 0: truncated file header (3 of 16 bytes)");
	CHECK_EQ_U64(rec_read_mem("", 0, q, err, sizeof(err)), 1);
	/* A NULL or zero-length err is allowed. */
	CHECK_EQ_U64(rec_read_mem(c, len, q, NULL, 0), (uint64_t)-1);
	profile_free(q);
	free(c);
}

/* Records with a good CRC but a payload that lies. */
static void test_bad_payloads(const unsigned char *b, size_t len)
{
	struct {
		const char *what;
		uint32_t type;
		const char *want; /* in the message, or NULL for success */
		unsigned char payload[128];
		size_t n;
	} cases[] = {
		{ "unknown type is skipped", 99, NULL, { 1, 2, 3 }, 3 },
		{ "unknown empty type", 98, NULL, { 0 }, 0 },
		/* THREADS: 56 bytes of fixed fields, n = 1, one thread from byte
		 * 60 (its create_stack at 68, wait_stack at 72, status at 76, its
		 * two string lengths at 119), then nsites at 123. */
		{ "thread naming an undefined stack",
		  REC_THREADS,
		  "creation stack 12345 is not defined",
		  { [56] = 1, [68] = 0x39, 0x30, [72] = 0xff, 0xff, 0xff, 0xff, [76] = 1 },
		  127 },
		{ "thread of unknown status",
		  REC_THREADS,
		  "unknown status 9",
		  { [56] = 1, [68] = 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, [76] = 9 },
		  127 },
		{ "thread with no stacks",
		  REC_THREADS,
		  NULL,
		  { [56] = 1, [68] = 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, [76] = 1 },
		  127 },
		{ "threads count beyond the payload",
		  REC_THREADS,
		  "cannot fit",
		  { [56] = 2 },
		  127 },
		{ "count beyond the payload",
		  REC_STACKS,
		  "cannot fit",
		  { 0xff, 0xff, 0, 0, 1, 0, 0, 0, 0, 0 },
		  10 },
		{ "frames beyond the payload",
		  REC_STACKS,
		  "runs past",
		  { 1, 0, 0, 0, 40, 0, 0, 0, 2, 0, 1 },
		  11 },
		{ "id above the limit", REC_STACKS, "above", { 1, 0, 0, 0, 1, 0, 0, 2, 0, 0 }, 10 },
		{ "stack redefined",
		  REC_STACKS,
		  "defined again",
		  { 1, 0, 0, 0, 1, 0, 0, 0, 0, 0 },
		  10 },
		{ "trailing bytes",
		  REC_END,
		  "after the last field",
		  { 0, 0, 0, 0, 0, 0, 0, 0, 9 },
		  9 },
		{ "unknown end kind", REC_END, "end kind", { 3, 0, 0, 0, 0, 0, 0, 0 }, 8 },
		{ "short META", REC_META, "fixed fields", { 1, 2, 3 }, 3 },
		{ "NUL in a string", REC_META, "NUL", { [20] = 2, [22] = 'a', [23] = 0 }, 24 },
		{ "symbol string past the end",
		  REC_SYMBOLS,
		  "runs past",
		  { 1, 0, 0, 0, [12 + 4] = 0xff, 0xff },
		  24 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct bytes_out o;
		splice_before_end(&o, b, len, cases[i].type, cases[i].payload, cases[i].n);
		struct profile *q = profile_new();
		err[0] = 0;
		int rc = rec_read_mem(o.p, o.len, q, err, sizeof(err));
		int ok = cases[i].want ? rc == -1 && strstr(err, cases[i].want) &&
		                             strncmp(err, "offset ", 7) == 0
		                       : rc == 0 && q->nsnaps == REF_SNAPS;
		if (!ok)
			fprintf(stderr, "  %s: rc %d, %s\n", cases[i].what, rc, err);
		CHECK(ok);
		profile_free(q);
		bytes_out_fini(&o);
	}
}

/* Snapshots: ids strictly increasing, and only stacks already defined. */
static void test_bad_snapshots(const unsigned char *b, size_t len)
{
	static const struct {
		uint32_t ids[3];
		const char *want;
	} cases[] = {
		{ { 1, 2, 4 }, NULL },
		{ { 1, 2, 2 }, "entry 2: stack id 2 does not follow 2" },
		{ { 3, 1, 4 }, "entry 1: stack id 1 does not follow 3" },
		{ { 1, 2, 25 }, "entry 2: stack 25 is not defined" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct bytes_out pl, o;
		bytes_out_init(&pl);
		for (int k = 0; k < 10; k++)
			bytes_put_u64(&pl, 77); /* seqno .. probe_bytes */
		bytes_put_u32(&pl, 3);
		for (int k = 0; k < 3; k++) {
			bytes_put_u32(&pl, cases[i].ids[k]);
			for (int j = 0; j < 5; j++)
				bytes_put_u64(&pl, 1);
		}
		splice_before_end(&o, b, len, REC_SNAPSHOT, pl.p, pl.len);
		struct profile *q = profile_new();
		int rc = rec_read_mem(o.p, o.len, q, err, sizeof(err));
		if (cases[i].want) {
			CHECK_EQ_U64(rc, (uint64_t)-1);
			CHECK(strstr(err, cases[i].want) != NULL);
			CHECK_EQ_U64(q->nsnaps, REF_SNAPS); /* the ones before it stay */
		} else {
			CHECK_EQ_U64(rc, 0);
			CHECK_EQ_U64(q->nsnaps, REF_SNAPS + 1);
			CHECK_EQ_U64(q->snaps[REF_SNAPS].seqno, 77);
		}
		if (cases[i].want && !strstr(err, cases[i].want))
			fprintf(stderr, "  got: %s\n", err);
		profile_free(q);
		bytes_out_fini(&pl);
		bytes_out_fini(&o);
	}

	/* Anything after END is corruption. */
	struct bytes_out o;
	bytes_out_init(&o);
	bytes_put_mem(&o, b, len);
	put_record(&o, 99, "x", 1);
	struct profile *q = profile_new();
	CHECK_EQ_U64(rec_read_mem(o.p, o.len, q, err, sizeof(err)), (uint64_t)-1);
	CHECK(strstr(err, "after the END") != NULL);
	profile_free(q);
	bytes_out_fini(&o);
}

/* The reference file's snapshots: full ones where the writer must write
 * them (the first, the ones whose every entry moved, and one in every
 * REC_FULL_EVERY), DELTAs between. */
static void test_deltas(const unsigned char *b, size_t len)
{
	size_t ends[256];
	uint32_t types[256];
	int n = walk(b, len, ends, types, 256), full = 0, delta = 0, run = 0, longest = 0;
	for (int i = 0; i < n; i++) {
		full += types[i] == REC_SNAPSHOT;
		delta += types[i] == REC_DELTA;
		run = types[i] == REC_DELTA ? run + 1 : types[i] == REC_SNAPSHOT ? 0 : run;
		longest = run > longest ? run : longest;
	}
	/* 1-5 change whole; 6-36 are DELTAs, 37 full again, 38-45 DELTAs. */
	CHECK_EQ_U64(full, 6);
	CHECK_EQ_U64(delta, REF_SNAPS - 6);
	CHECK_EQ_U64(longest, REC_FULL_EVERY - 1);
	CHECK_EQ_U64(bytes_load_u32(b + 8), REC_VERSION);

	/* DELTAs that lie: out of order, an undefined stack, and one with no
	 * snapshot to apply it to (right after a META). */
	static const struct {
		uint32_t ids[2];
		int after_meta;
		const char *want;
	} cases[] = {
		{ { 1, 7 }, 0, NULL },
		{ { 7, 7 }, 0, "entry 1: stack id 7 does not follow 7" },
		{ { 1, 99 }, 0, "entry 1: stack 99 is not defined" },
		{ { 1, 7 }, 1, "DELTA record: no snapshot before it" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct bytes_out pl, o;
		bytes_out_init(&pl);
		for (int k = 0; k < 10; k++)
			bytes_put_u64(&pl, 88);
		bytes_put_u32(&pl, 2);
		for (int k = 0; k < 2; k++) {
			bytes_put_u32(&pl, cases[i].ids[k]);
			for (int j = 0; j < 5; j++)
				bytes_put_u64(&pl, k == 0 ? 0 : 9); /* the first leaves */
		}
		if (cases[i].after_meta) {
			bytes_out_init(&o);
			bytes_put_mem(&o, b, ends[0]); /* file header and META */
			put_record(&o, REC_DELTA, pl.p, pl.len);
		} else {
			splice_before_end(&o, b, len, REC_DELTA, pl.p, pl.len);
		}
		struct profile *q = profile_new();
		int rc = rec_read_mem(o.p, o.len, q, err, sizeof(err));
		if (cases[i].want) {
			CHECK_EQ_U64(rc, (uint64_t)-1);
			CHECK(strstr(err, cases[i].want) != NULL);
			if (!strstr(err, cases[i].want))
				fprintf(stderr, "  got: %s\n", err);
		} else {
			CHECK_EQ_U64(rc, 0);
			CHECK_EQ_U64(q->nsnaps, REF_SNAPS + 1);
			const struct snapshot *a = &q->snaps[REF_SNAPS - 1],
			                      *d = &q->snaps[REF_SNAPS];
			/* Stack 1 left, stack 7 got new counts, the rest stayed. */
			CHECK_EQ_U64(d->seqno, 88);
			CHECK(snapshot_find(d, 1) == NULL);
			CHECK(snapshot_find(d, 7) && snapshot_find(d, 7)->c.live_bytes == 9);
			CHECK_EQ_U64(d->n, a->n - (snapshot_find(a, 1) != NULL) +
			                       (snapshot_find(a, 7) == NULL));
			for (uint32_t k = 0; k < a->n; k++)
				if (a->e[k].id != 1 && a->e[k].id != 7)
					CHECK(snapshot_find(d, a->e[k].id) &&
					      !memcmp(&snapshot_find(d, a->e[k].id)->c, &a->e[k].c,
					              sizeof(a->e[k].c)));
		}
		profile_free(q);
		bytes_out_fini(&pl);
		bytes_out_fini(&o);
	}
}

/* A write that fails half-way (here: the file size limit) leaves no torn
 * record behind, and the next sync writes the same news again. */
static void test_write_failure(void)
{
	const char *path = path_in_dir("full.lkt");
	struct profile *p = make_profile();
	struct rec_writer w;
	struct rlimit old, lim;
	CHECK_EQ_U64(rec_writer_create(&w, path, err, sizeof(err)), 0);
	CHECK_EQ_U64(rec_writer_sync(&w, p, err, sizeof(err)), 0);
	uint64_t before = w.offset;

	uint64_t x = 88172645463325252ull, f[200]; /* xorshift: frames that do not compress */
	for (uint32_t id = 0; id < 20; id++) {
		for (int k = 0; k < 200; k++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			f[k] = x;
		}
		CHECK_EQ_U64(profile_add_stack(p, id, f, 200), 0);
	}
	signal(SIGXFSZ, SIG_IGN);
	CHECK_EQ_U64(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = before + 1000;
	CHECK_EQ_U64(setrlimit(RLIMIT_FSIZE, &lim), 0);
	err[0] = 0;
	CHECK_EQ_U64(rec_writer_sync(&w, p, err, sizeof(err)), (uint64_t)-1);
	CHECK(strstr(err, "write") != NULL);
	CHECK_EQ_U64(setrlimit(RLIMIT_FSIZE, &old), 0);
	struct stat st;
	CHECK_EQ_U64(fstat(w.fd, &st), 0);
	CHECK_EQ_U64(st.st_size, before); /* the partial record was cut off */
	CHECK_EQ_U64(w.offset, before);
	CHECK_EQ_U64(w.stacks_done, 0);

	CHECK_EQ_U64(rec_writer_finish(&w, p, err, sizeof(err)), 0);
	struct profile *q = profile_new();
	CHECK_EQ_U64(rec_read_file(path, q, err, sizeof(err)), 0);
	check_equal(q, p);
	profile_free(q);
	profile_free(p);
}

/* --max-size: the file stays under the limit however long the run, keeps
 * its oldest and its newest quarter of snapshots exactly, and the recorder
 * that forgets what it wrote holds one snapshot in memory. */
static void test_limit(void)
{
	const char *path = path_in_dir("limit.lkt");
	struct profile *p = make_profile(), *all = make_profile();
	struct rec_writer w;
	const uint64_t max = 16384;
	uint64_t largest = 0;
	CHECK_EQ_U64(rec_writer_create(&w, path, err, sizeof(err)), 0);
	CHECK_EQ_U64(rec_writer_limit(&w, path, max), 0);
	add_stacks(p, 0, 20);
	add_stacks(all, 0, 20);
	add_syms(p, 0, 20);
	for (uint64_t seqno = 1; seqno <= 600; seqno++) {
		add_snapshot(p, seqno, 20);
		add_snapshot(all, seqno, 20);
		for (uint64_t k = seqno * 2 - 2; k < seqno * 2; k++) {
			struct lt_tick t = { .time_ns = 1700000000000000000ull + k * 500000000ull,
				             .live_bytes = k * 64 };
			CHECK_EQ_U64(profile_add_ticks(p, &t, 1), 0);
		}
		if (seqno % 50 == 0)
			add_threads(p, seqno, 3);
		int rc = rec_writer_sync(&w, p, err, sizeof(err));
		CHECK_EQ_U64(rc, 0);
		if (rc)
			fprintf(stderr, "  sync %llu: %s\n", (unsigned long long)seqno, err);
		rec_writer_forget(&w, p);
		CHECK_EQ_U64(p->nsnaps, 1);
		CHECK(p->nticks <= 2);
		struct stat st;
		CHECK_EQ_U64(stat(path, &st), 0);
		CHECK_EQ_U64(st.st_size, w.offset);
		largest = (uint64_t)st.st_size > largest ? (uint64_t)st.st_size : largest;
	}
	CHECK(largest <= max + 1024); /* past the limit by one sync at most */
	CHECK(w.thinned > 300);
	uint32_t thinned = w.thinned;
	CHECK_EQ_U64(rec_writer_finish(&w, p, err, sizeof(err)), 0);

	struct stat st;
	CHECK(stat(path_in_dir("limit.lkt.thin"), &st) < 0 && errno == ENOENT);
	CHECK_EQ_U64(lstat(path, &st), 0);
	CHECK_EQ_U64(st.st_mode & 07777, 0600);
	struct profile *q = profile_new();
	CHECK_EQ_U64(rec_read_file(path, q, err, sizeof(err)), 0);
	CHECK_EQ_U64(q->nsnaps, 600 - thinned);
	CHECK_EQ_U64(q->nstack_order, 20);
	CHECK_EQ_U64(q->nsyms, 20);
	CHECK_EQ_U64(q->end, PROF_RUNNING);
	CHECK(q->nsnaps > 10);
	/* The oldest and the newest stay; every one kept is exactly as taken. */
	CHECK_EQ_U64(q->snaps[0].seqno, 1);
	CHECK_EQ_U64(q->snaps[q->nsnaps - 1].seqno, 600);
	uint64_t prev = 0;
	int exact = 1, newest_whole = 1;
	for (uint32_t i = 0; i < q->nsnaps; i++) {
		uint64_t seqno = q->snaps[i].seqno;
		exact &= seqno > prev && same_snapshot(&q->snaps[i], &all->snaps[seqno - 1]);
		if (i >= q->nsnaps - q->nsnaps / 4)
			newest_whole &= seqno == prev + 1;
		prev = seqno;
	}
	CHECK(exact);
	CHECK(newest_whole);
	/* Thread snapshots and ticks thinned alike, the newest kept. */
	CHECK(q->ntsnaps >= 1 && q->ntsnaps <= 12);
	CHECK_EQ_U64(q->tsnaps[q->ntsnaps - 1].seqno, 600);
	CHECK(q->nticks < 1200 && q->nticks > 20);
	CHECK_EQ_U64(q->ticks[q->nticks - 1].time_ns, 1700000000000000000ull + 1199 * 500000000ull);
	printf("limit: %u of 600 snapshots kept in %lld bytes (at most %llu)\n", q->nsnaps,
	       (long long)st.st_size, (unsigned long long)largest);
	profile_free(q);
	profile_free(p);
	profile_free(all);
}

/* Strings are cut at 65535 bytes rather than failing the record. */
static void test_long_string(void)
{
	const char *path = path_in_dir("long.lkt");
	struct profile *p = make_profile();
	char *big = malloc(70001);
	memset(big, 'x', 70000);
	big[70000] = 0;
	CHECK_EQ_U64(profile_set_program(p, big), 0);
	struct rec_writer w;
	CHECK_EQ_U64(rec_writer_create(&w, path, err, sizeof(err)), 0);
	CHECK_EQ_U64(rec_writer_finish(&w, p, err, sizeof(err)), 0);
	struct profile *q = profile_new();
	CHECK_EQ_U64(rec_read_file(path, q, err, sizeof(err)), 0);
	CHECK_EQ_U64(strlen(q->program), 65535);
	profile_free(q);
	profile_free(p);
	free(big);
}

/* After exec the recorder starts a new image: a second META, new stack
 * ids. A reader keeps only the newest image. */
static void test_exec_images(void)
{
	struct rec_writer w;
	uint64_t fa[] = { 0x1000, 0x2000 }, fb[] = { 0x5000 };
	struct snap_entry ea = {
		.id = 1,
		.c = { .live_bytes = 10, .live_blocks = 1, .alloc_calls = 1, .alloc_bytes = 10 }
	};
	struct snap_entry eb = {
		.id = 1,
		.c = { .live_bytes = 77, .live_blocks = 7, .alloc_calls = 7, .alloc_bytes = 77 }
	};
	struct snapshot sa = { .seqno = 1, .n = 1, .e = &ea },
	                sb = { .seqno = 1, .n = 1, .e = &eb };
	const char *path = path_in_dir("exec.lkt");

	struct profile *p = profile_new();
	CHECK(rec_writer_create(&w, path, err, sizeof(err)) == 0);
	CHECK(profile_set_program(p, "/usr/bin/env") == 0);
	CHECK(profile_add_stack(p, 1, fa, 2) == 0);
	CHECK(profile_add_snapshot(p, &sa) == 0);
	CHECK(rec_writer_sync(&w, p, err, sizeof(err)) == 0);
	/* The program exec'd: what the recorder does (cmd_record.c). */
	CHECK(profile_reset(p) == 0);
	rec_writer_restart(&w);
	CHECK(profile_set_program(p, "/usr/bin/python3") == 0);
	CHECK(profile_add_stack(p, 1, fb, 1) == 0);
	CHECK(profile_add_snapshot(p, &sb) == 0);
	p->end = PROF_EXITED;
	CHECK(rec_writer_sync(&w, p, err, sizeof(err)) == 0);
	CHECK(rec_writer_finish(&w, p, err, sizeof(err)) == 0);
	profile_free(p);

	struct profile *q = profile_new();
	CHECK_EQ_U64(rec_read_file(path, q, err, sizeof(err)), 0);
	CHECK_STR(q->program, "/usr/bin/python3");
	CHECK_EQ_U64(q->nsnaps, 1);
	CHECK_EQ_U64(q->nsnaps ? q->snaps[0].e[0].c.live_bytes : 0, 77);
	const struct prof_stack *st = profile_stack(q, 1);
	CHECK(st && st->depth == 1 && st->frames[0] == 0x5000);
	profile_free(q);
	unlink(path);
}

int main(void)
{
	umask(022);
	snprintf(dir, sizeof(dir), "%s/leaktop-test-XXXXXX", "/tmp");
	if (!mkdtemp(dir)) {
		printf("mkdtemp: %s\n", strerror(errno));
		return CHECK_SKIP;
	}
	const char *path = path_in_dir("ref.lkt");
	struct profile *p = write_reference(path);
	size_t len;
	unsigned char *b = slurp(path, &len);
	CHECK(b != NULL && len > 16);

	test_round_trip(p, path);
	test_incremental();
	test_create();
	test_truncation(p, b, len);
	test_flips(p, b, len);
	test_header(b, len);
	test_bad_payloads(b, len);
	test_bad_snapshots(b, len);
	test_deltas(b, len);
	test_write_failure();
	test_limit();
	test_long_string();
	test_exec_images();

	free(b);
	profile_free(p);
	remove_dir();
	return CHECK_DONE();
}
