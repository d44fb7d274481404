/* recording.c - reading leaktop recordings (.lkt; recording.h has the
 * format, rec_writer.c writes them).
 *
 * The reader takes a file as hostile. Before it allocates it checks every
 * length against a fixed limit and against the bytes really there, checks
 * the CRC before it inflates, and checks every count inside a payload
 * against the payload bytes left. It stops at the first problem with
 * "offset N: what is wrong", N being the offset of the record in the file,
 * and leaves the profile holding every record before it. */
#include "recording.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "bytes.h"
#include "rec_format.h"

const char *const rec_type_names[] = {
	[REC_META] = "META",         [REC_STACKS] = "STACKS", [REC_SYMBOLS] = "SYMBOLS",
	[REC_SNAPSHOT] = "SNAPSHOT", [REC_TICKS] = "TICKS",   [REC_END] = "END",
	[REC_THREADS] = "THREADS",   [REC_DELTA] = "DELTA",   [REC_MODULES] = "MODULES",
};
const unsigned rec_ntypes = sizeof(rec_type_names) / sizeof(rec_type_names[0]);

int rec_say(char *err, size_t errlen, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

struct reader {
	struct profile *p;
	char *err;
	size_t errlen;
	uint64_t off;      /* file offset of the record being parsed */
	uint32_t type;     /* its type */
	uint32_t version;  /* the file's */
	uint64_t *frames;  /* scratch for one stack's frames */
	size_t frames_cap; /* in frames */
	char *str;         /* scratch for NUL-terminated copies of strings */
	size_t str_cap;
};

/* "offset N: TYPE record: ..." - a corrupt payload. Returns -1. */
__attribute__((format(printf, 2, 3))) static int corrupt(struct reader *r, const char *fmt, ...)
{
	if (!r->err || !r->errlen)
		return -1;
	int k = snprintf(r->err, r->errlen, "offset %llu: %s record: ", (unsigned long long)r->off,
	                 rec_type_names[r->type]);
	if (k >= 0 && (size_t)k < r->errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(r->err + k, r->errlen - (size_t)k, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int no_memory(struct reader *r)
{
	return corrupt(r, "out of memory");
}

/* Scratch room for n frames (one stack) or n bytes of strings; NULL when
 * out of memory. Both are bounded by a payload length already checked. */
static uint64_t *frames_scratch(struct reader *r, size_t n)
{
	if (n > r->frames_cap) {
		uint64_t *f = realloc(r->frames, n * sizeof(*f));
		if (!f)
			return NULL;
		r->frames = f;
		r->frames_cap = n;
	}
	return r->frames;
}

static char *str_scratch(struct reader *r, size_t n)
{
	if (n > r->str_cap) {
		char *s = realloc(r->str, n);
		if (!s)
			return NULL;
		r->str = s;
		r->str_cap = n;
	}
	return r->str;
}

/* A string field: u16 length, bytes, none of them NUL. */
static int get_str(struct reader *r, struct bytes_in *in, const char *what, const unsigned char **s,
                   size_t *n)
{
	*n = bytes_get_u16(in);
	*s = bytes_get_mem(in, *n);
	if (!*s)
		return corrupt(r, "%s runs past the end of the payload", what);
	if (memchr(*s, 0, *n))
		return corrupt(r, "%s contains a NUL byte", what);
	return 0;
}

static void get_counts(struct bytes_in *in, struct lt_counts *c)
{
	c->live_bytes = bytes_get_u64(in);
	c->live_blocks = bytes_get_u64(in);
	c->alloc_calls = bytes_get_u64(in);
	c->alloc_bytes = bytes_get_u64(in);
	c->free_calls = bytes_get_u64(in);
}

/* The leading u32 count of a list, checked against the bytes left. */
static int get_count(struct reader *r, struct bytes_in *in, size_t entry_min, uint32_t *n)
{
	*n = bytes_get_u32(in);
	if (in->bad)
		return corrupt(r, "payload ends before its count");
	if (*n > bytes_left(in) / entry_min)
		return corrupt(r, "%u entries cannot fit in the %zu bytes left", *n,
		               bytes_left(in));
	return 0;
}

static int read_meta(struct reader *r, struct bytes_in *in)
{
	uint32_t pid = bytes_get_u32(in);
	uint64_t start_ns = bytes_get_u64(in);
	uint32_t interval_ms = bytes_get_u32(in);
	uint32_t depth = bytes_get_u32(in);
	const unsigned char *s;
	size_t n;
	if (in->bad)
		return corrupt(r, "payload ends inside the fixed fields");
	if (get_str(r, in, "program", &s, &n) < 0)
		return -1;
	/* Version 3 adds the sampling mean; earlier files recorded everything. */
	uint32_t sample = r->version >= 3 ? bytes_get_u32(in) : 0;
	if (in->bad)
		return corrupt(r, "payload ends inside the sampling mean");
	if (sample > LT_SAMPLE_MAX)
		return corrupt(r, "sampling mean %u is above %u", sample, LT_SAMPLE_MAX);
	/* A later META starts a new process image (the program exec'd): its
	 * stack ids mean nothing in the old one, so the reader starts over. */
	if (r->p->program && profile_reset(r->p) < 0)
		return no_memory(r);
	char *prog = str_scratch(r, n + 1);
	if (!prog)
		return no_memory(r);
	memcpy(prog, s, n);
	prog[n] = 0;
	if (profile_set_program(r->p, prog) < 0)
		return no_memory(r);
	r->p->pid = (int32_t)pid;
	r->p->start_ns = start_ns;
	r->p->interval_ms = interval_ms;
	r->p->depth = depth;
	r->p->sample_bytes = sample;
	return 0;
}

static int read_stacks(struct reader *r, struct bytes_in *in)
{
	uint32_t n;
	if (get_count(r, in, STACK_MIN, &n) < 0)
		return -1;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t id = bytes_get_u32(in);
		uint16_t depth = bytes_get_u16(in);
		const unsigned char *f = bytes_get_mem(in, (size_t)depth * 8);
		if (!f)
			return corrupt(r, "entry %u runs past the end of the payload", i);
		if (id > PROF_ID_MAX)
			return corrupt(r, "entry %u: stack id %u is above %u", i, id, PROF_ID_MAX);
		uint64_t *frames = frames_scratch(r, (size_t)depth + 1);
		if (!frames)
			return no_memory(r);
		struct bytes_in fi;
		bytes_in_init(&fi, f, (size_t)depth * 8);
		for (uint32_t k = 0; k < depth; k++)
			frames[k] = bytes_get_u64(&fi);
		if (profile_add_stack(r->p, id, frames, depth) < 0) {
			if (errno == EINVAL)
				return corrupt(
				    r, "entry %u: stack %u defined again with other frames", i, id);
			return no_memory(r);
		}
	}
	return 0;
}

static int read_modules(struct reader *r, struct bytes_in *in)
{
	uint32_t n;
	if (get_count(r, in, MODULE_MIN, &n) < 0)
		return -1;
	for (uint32_t i = 0; i < n; i++) {
		struct prof_module m = { 0 };
		m.bias = bytes_get_u64(in);
		m.lo = bytes_get_u64(in);
		m.hi = bytes_get_u64(in);
		m.build_id_len = bytes_get_u8(in);
		if (m.build_id_len > sizeof m.build_id)
			return corrupt(r, "entry %u: build ID of %u bytes (at most %zu)", i,
			               m.build_id_len, sizeof m.build_id);
		const unsigned char *id = bytes_get_mem(in, m.build_id_len);
		const unsigned char *s;
		size_t len;
		if (!id)
			return corrupt(r, "entry %u runs past the end of the payload", i);
		memcpy(m.build_id, id, m.build_id_len);
		if (get_str(r, in, "path", &s, &len) < 0)
			return -1;
		if (m.lo >= m.hi || !len)
			return corrupt(r, "entry %u: an empty range or path", i);
		char *path = str_scratch(r, len + 1);
		if (!path)
			return no_memory(r);
		memcpy(path, s, len);
		path[len] = 0;
		m.path = path;
		if (profile_add_module(r->p, &m) < 0)
			return no_memory(r);
	}
	return 0;
}

static int read_symbols(struct reader *r, struct bytes_in *in)
{
	uint32_t n;
	if (get_count(r, in, SYMBOL_MIN, &n) < 0)
		return -1;
	static const char *const field[3] = { "func", "module", "file" };
	for (uint32_t i = 0; i < n; i++) {
		struct frame_sym sym = { 0 };
		sym.addr = bytes_get_u64(in);
		sym.line = bytes_get_u32(in);
		const unsigned char *s[3];
		size_t len[3];
		for (int k = 0; k < 3; k++)
			if (get_str(r, in, field[k], &s[k], &len[k]) < 0)
				return -1;
		char *at = str_scratch(r, len[0] + len[1] + len[2] + 3);
		if (!at)
			return no_memory(r);
		const char **out[3] = { &sym.func, &sym.module, &sym.file };
		for (int k = 0; k < 3; k++) {
			memcpy(at, s[k], len[k]);
			at[len[k]] = 0;
			*out[k] = at;
			at += len[k] + 1;
		}
		if (profile_add_sym(r->p, &sym) < 0)
			return no_memory(r);
	}
	return 0;
}

/* The fixed fields of a SNAPSHOT or DELTA, and its entry count. */
static int get_snap_fixed(struct reader *r, struct bytes_in *in, struct snapshot *s)
{
	s->seqno = bytes_get_u64(in);
	s->time_ns = bytes_get_u64(in);
	get_counts(in, &s->totals);
	s->unknown_frees = bytes_get_u64(in);
	s->overflow_allocs = bytes_get_u64(in);
	s->probe_bytes = bytes_get_u64(in);
	if (in->bad)
		return corrupt(r, "payload ends inside the fixed fields");
	return get_count(r, in, SNAP_ENTRY_SIZE, &s->n);
}

/* Entry i of a snapshot record: an id after prev (the one before it, or
 * -1) naming a stack already defined. */
static int get_entry(struct reader *r, struct bytes_in *in, uint32_t i, int64_t prev,
                     struct snap_entry *e)
{
	e->id = bytes_get_u32(in);
	get_counts(in, &e->c);
	if ((int64_t)e->id <= prev)
		return corrupt(r, "entry %u: stack id %u does not follow %lld", i, e->id,
		               (long long)prev);
	if (!profile_stack(r->p, e->id))
		return corrupt(r, "entry %u: stack %u is not defined", i, e->id);
	return 0;
}

static int read_snapshot(struct reader *r, struct bytes_in *in)
{
	struct snapshot s = { 0 };
	if (get_snap_fixed(r, in, &s) < 0)
		return -1;
	if (s.n && !(s.e = malloc((size_t)s.n * sizeof(*s.e))))
		return no_memory(r);
	int rc = 0;
	for (uint32_t i = 0; i < s.n && rc == 0; i++)
		rc = get_entry(r, in, i, i ? (int64_t)s.e[i - 1].id : -1, &s.e[i]);
	if (rc == 0 && profile_add_snapshot_take(r->p, &s) < 0)
		rc = no_memory(r);
	if (rc < 0)
		free(s.e);
	return rc;
}

/* A DELTA: the snapshot before it, merged with the entries that moved. */
static int read_delta(struct reader *r, struct bytes_in *in)
{
	if (r->p->nsnaps == 0)
		return corrupt(r, "no snapshot before it to apply it to");
	struct snapshot s = { 0 };
	if (get_snap_fixed(r, in, &s) < 0)
		return -1;
	const struct snapshot *base = &r->p->snaps[r->p->nsnaps - 1];
	size_t cap = (size_t)base->n + s.n;
	if (cap && !(s.e = malloc(cap * sizeof(*s.e))))
		return no_memory(r);
	uint32_t i = 0, k = 0, out = 0;
	int64_t prev = -1;
	struct snap_entry d;
	int have = 0, rc = 0;
	while (rc == 0 && (i < base->n || k < s.n || have)) {
		if (!have && k < s.n) {
			if ((rc = get_entry(r, in, k, prev, &d)) < 0)
				break;
			prev = d.id;
			have = 1;
			k++;
		}
		if (!have || (i < base->n && base->e[i].id < d.id)) {
			s.e[out++] = base->e[i++];
			continue;
		}
		if (i < base->n && base->e[i].id == d.id)
			i++; /* replaced */
		if (d.c.live_bytes || d.c.live_blocks || d.c.alloc_calls || d.c.alloc_bytes ||
		    d.c.free_calls)
			s.e[out++] = d;
		have = 0;
	}
	s.n = out;
	if (rc == 0 && profile_add_snapshot_take(r->p, &s) < 0)
		rc = no_memory(r);
	if (rc < 0)
		free(s.e);
	return rc;
}

static int read_ticks(struct reader *r, struct bytes_in *in)
{
	uint32_t n;
	if (get_count(r, in, TICK_SIZE, &n) < 0)
		return -1;
	struct lt_tick batch[128]; /* 5 KiB of stack instead of an allocation */
	for (uint32_t i = 0; i < n;) {
		uint32_t k = 0;
		for (; k < 128 && i < n; k++, i++) {
			batch[k].time_ns = bytes_get_u64(in);
			batch[k].live_bytes = bytes_get_u64(in);
			batch[k].live_blocks = bytes_get_u64(in);
			batch[k].alloc_calls = bytes_get_u64(in);
			batch[k].free_calls = bytes_get_u64(in);
		}
		if (profile_add_ticks(r->p, batch, k) < 0)
			return no_memory(r);
	}
	return 0;
}

/* A stack field of a thread: none, or a stack defined before. */
static int thread_stack(struct reader *r, uint32_t id, uint32_t i, const char *what)
{
	if (id != LT_STACK_NONE && !profile_stack(r->p, id))
		return corrupt(r, "thread %u: %s stack %u is not defined", i, what, id);
	return 0;
}

static int read_threads(struct reader *r, struct bytes_in *in)
{
	struct thread_snap s = { 0 };
	s.seqno = bytes_get_u64(in);
	s.time_ns = bytes_get_u64(in);
	s.created = bytes_get_u64(in);
	s.ended = bytes_get_u64(in);
	s.untracked = bytes_get_u64(in);
	s.capture_ns = bytes_get_u64(in);
	s.reused_live_bytes = bytes_get_u64(in);
	if (in->bad)
		return corrupt(r, "payload ends inside the fixed fields");
	if (get_count(r, in, THREAD_MIN, &s.n) < 0)
		return -1;
	int rc = 0;
	if (s.n && !(s.t = calloc(s.n, sizeof *s.t)))
		return no_memory(r);
	for (uint32_t i = 0; i < s.n && rc == 0; i++) {
		struct lt_thread *t = &s.t[i];
		const unsigned char *str[2];
		size_t len[2];
		t->tid = (int32_t)bytes_get_u32(in);
		t->creator_tid = (int32_t)bytes_get_u32(in);
		t->create_stack = bytes_get_u32(in);
		t->wait_stack = bytes_get_u32(in);
		t->status = bytes_get_u8(in);
		t->state = (char)bytes_get_u8(in);
		t->wait = bytes_get_u8(in);
		t->serial = bytes_get_u32(in);
		t->syscall = (int32_t)bytes_get_u32(in);
		t->start_ns = bytes_get_u64(in);
		t->end_ns = bytes_get_u64(in);
		t->wait_ns = bytes_get_u64(in);
		t->live_bytes = bytes_get_u64(in);
		if (in->bad)
			rc = corrupt(r, "thread %u runs past the end of the payload", i);
		else if (get_str(r, in, "name", &str[0], &len[0]) < 0 ||
		         get_str(r, in, "wchan", &str[1], &len[1]) < 0)
			rc = -1;
		else if (thread_stack(r, t->create_stack, i, "creation") < 0 ||
		         thread_stack(r, t->wait_stack, i, "current") < 0)
			rc = -1;
		else if (t->status != LT_THREAD_LIVE && t->status != LT_THREAD_ENDED)
			rc = corrupt(r, "thread %u: unknown status %u", i, t->status);
		if (rc == 0) {
			/* Names longer than the probe's are cut, as the probe cuts. */
			memcpy(t->name, str[0],
			       len[0] < sizeof t->name ? len[0] : sizeof t->name - 1);
			memcpy(t->wchan, str[1],
			       len[1] < sizeof t->wchan ? len[1] : sizeof t->wchan - 1);
		}
	}
	if (rc == 0 && get_count(r, in, SITE_SIZE, &s.nsites) < 0)
		rc = -1;
	if (rc == 0 && s.nsites && !(s.sites = calloc(s.nsites, sizeof *s.sites)))
		rc = no_memory(r);
	for (uint32_t i = 0; i < s.nsites && rc == 0; i++) {
		s.sites[i].stack = bytes_get_u32(in);
		s.sites[i].created = bytes_get_u64(in);
		s.sites[i].ended = bytes_get_u64(in);
		if (!profile_stack(r->p, s.sites[i].stack))
			rc = corrupt(r, "site %u: stack %u is not defined", i, s.sites[i].stack);
	}
	if (rc == 0 && profile_add_threads(r->p, &s) < 0)
		rc = no_memory(r);
	free(s.t);
	free(s.sites);
	return rc;
}

static int read_end(struct reader *r, struct bytes_in *in)
{
	uint32_t kind = bytes_get_u32(in);
	uint32_t code = bytes_get_u32(in);
	if (in->bad)
		return corrupt(r, "payload ends inside the fixed fields");
	if (kind > PROF_SIGNALED)
		return corrupt(r, "unknown end kind %u", kind);
	r->p->end = (enum prof_end)kind;
	r->p->end_code = (int32_t)code;
	return 0;
}

static int (*const parsers[])(struct reader *, struct bytes_in *) = {
	[REC_META] = read_meta,         [REC_STACKS] = read_stacks, [REC_SYMBOLS] = read_symbols,
	[REC_SNAPSHOT] = read_snapshot, [REC_TICKS] = read_ticks,   [REC_END] = read_end,
	[REC_THREADS] = read_threads,   [REC_DELTA] = read_delta,   [REC_MODULES] = read_modules,
};

/* Inflates a known record's CRC-checked payload and parses it whole. */
static int read_payload(struct reader *r, const unsigned char *stored, uint32_t stored_len,
                        uint32_t raw_len)
{
	unsigned char *raw = malloc(raw_len ? raw_len : 1);
	if (!raw)
		return no_memory(r);
	uLongf got = raw_len;
	uLong used = stored_len;
	int zr = uncompress2(raw, &got, stored, &used);
	int rc;
	if (zr != Z_OK || got != raw_len || used != stored_len) {
		rc = corrupt(r, "payload does not inflate to its %u bytes (zlib %d)", raw_len, zr);
	} else {
		struct bytes_in in;
		bytes_in_init(&in, raw, raw_len);
		rc = parsers[r->type](r, &in);
		if (rc == 0 && bytes_left(&in))
			rc = corrupt(r, "%zu bytes after the last field", bytes_left(&in));
	}
	free(raw);
	return rc;
}

/* 0, 1 for a torn file header, -1 for one that is not ours. */
static int read_file_header(const unsigned char *b, size_t len, char *err, size_t errlen)
{
	if (len > 0 && memcmp(b, REC_MAGIC, len < 8 ? len : 8) != 0)
		return rec_say(err, errlen, "not a leaktop recording");
	if (len < FILE_HEADER) {
		rec_say(err, errlen, "offset 0: truncated file header (%zu of %d bytes)", len,
		        FILE_HEADER);
		return 1;
	}
	uint32_t version = bytes_load_u32(b + 8), flags = bytes_load_u32(b + 12);
	if (version > REC_VERSION)
		return rec_say(
		    err, errlen,
		    "recording version %u needs a newer leaktop (this one reads up to %d)", version,
		    REC_VERSION);
	if (version == 0)
		return rec_say(err, errlen, "offset 8: version 0 is not a recording version");
	if (flags != 0)
		return rec_say(err, errlen, "offset 12: unknown flags 0x%x", flags);
	return 0;
}

int rec_read_mem(const void *buf, size_t len, struct profile *p, char *err, size_t errlen)
{
	const unsigned char *b = buf;
	int rc = read_file_header(b, len, err, errlen);
	if (rc != 0)
		return rc;

	struct reader r = {
		.p = p, .err = err, .errlen = errlen, .version = bytes_load_u32(b + 8)
	};
	int ended = 0;
	for (size_t off = FILE_HEADER; off < len && rc == 0;) {
		size_t left = len - off;
		r.off = off;
		if (ended) {
			rc = rec_say(err, errlen, "offset %zu: data after the END record", off);
			break;
		}
		if (left < RECORD_HEADER) {
			rec_say(err, errlen,
			        "offset %zu: truncated record (header: %zu of %d bytes)", off, left,
			        RECORD_HEADER);
			rc = 1;
			break;
		}
		struct bytes_in h;
		bytes_in_init(&h, b + off, RECORD_HEADER);
		uint32_t type = bytes_get_u32(&h), stored_len = bytes_get_u32(&h);
		uint32_t raw_len = bytes_get_u32(&h), crc = bytes_get_u32(&h);
		if (raw_len > REC_RAW_MAX) {
			rc = rec_say(err, errlen,
			             "offset %zu: raw length %u is above the %u-byte limit", off,
			             raw_len, REC_RAW_MAX);
			break;
		}
		if (stored_len > compressBound(raw_len)) {
			rc = rec_say(err, errlen,
			             "offset %zu: stored length %u cannot hold %u raw bytes", off,
			             stored_len, raw_len);
			break;
		}
		if (stored_len > left - RECORD_HEADER) {
			rec_say(err, errlen,
			        "offset %zu: truncated record (type %u: %zu of %u payload bytes)",
			        off, type, left - RECORD_HEADER, stored_len);
			rc = 1;
			break;
		}
		const unsigned char *stored = b + off + RECORD_HEADER;
		uLong c = crc32(0, b + off, 12);
		c = crc32(c, stored, stored_len);
		if ((uint32_t)c != crc) {
			rc = rec_say(
			    err, errlen,
			    "offset %zu: CRC mismatch (type %u, stored 0x%08x, computed 0x%08lx)",
			    off, type, crc, (unsigned long)c);
			break;
		}
		off += RECORD_HEADER + (size_t)stored_len;
		if (type == 0 || type >= sizeof(parsers) / sizeof(parsers[0]))
			continue; /* a newer writer's record: skipped whole, never inflated */
		r.type = type;
		rc = read_payload(&r, stored, stored_len, raw_len);
		ended = type == REC_END;
	}
	free(r.frames);
	free(r.str);
	return rc;
}

int rec_read_file(const char *path, struct profile *p, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return rec_say(err, errlen, "%s", strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return rec_say(err, errlen, "%s", strerror(e));
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > REC_FILE_MAX) {
		close(fd);
		if (!S_ISREG(st.st_mode))
			return rec_say(err, errlen, "not a regular file");
		return rec_say(err, errlen, "%s: larger than the %llu GiB a recording may be", path,
		               (unsigned long long)(REC_FILE_MAX >> 30));
	}

	/* A recording still being written is read as it stood at fstat: the
	 * writer appends whole records, so at worst the tail is torn. */
	size_t cap = (size_t)st.st_size, len = 0;
	unsigned char *buf = malloc(cap ? cap : 1);
	if (!buf) {
		close(fd);
		return rec_say(err, errlen, "out of memory for %zu bytes", cap);
	}
	while (len < cap) {
		ssize_t k = read(fd, buf + len, cap - len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			int e = errno;
			free(buf);
			close(fd);
			return rec_say(err, errlen, "%s", strerror(e));
		}
		if (k == 0)
			break; /* shrank under us: parse what there is */
		len += (size_t)k;
	}
	close(fd);
	int rc = rec_read_mem(buf, len, p, err, errlen);
	free(buf);
	return rc;
}
