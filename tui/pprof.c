/* pprof.c - a snapshot as profile.proto, and the wire format under it.
 *
 * The writer makes two passes. The first walks the snapshot's stacks and
 * builds the tables profile.proto wants, each entry once: a location per
 * distinct return address, a function per distinct (name, file), a mapping
 * per module, a string per distinct string. The second encodes them. Ids
 * are 1-based indices into the tables, so none is 0 and all are unique.
 *
 * Frames leaktop could not resolve keep their address and mapping, with a
 * function named as the text report names them ("module+0xADDR", "0xADDR");
 * frames in no known module go to one mapping named "[unknown]"; a stack
 * without frames (the stack table was full, or the block predates the
 * probe) gets one location of address 0 whose function says which. Every
 * mapping says it has functions, file names and line numbers: leaktop
 * resolved them when it recorded, and pprof must not try again with a
 * binary it finds by name, since a recording keeps neither the modules'
 * paths nor their load addresses (a mapping's range is the span of the
 * addresses seen in it).
 *
 * Costs: one hash lookup per frame of each stack shown, then the tables
 * and samples encoded once, through one scratch buffer for the embedded
 * messages; the gzipped output is held in memory whole before it is
 * written, so a failure leaves nothing half-written behind. */
#include "pprof.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "report.h"
#include "strtab.h"
#include "xalloc.h"

/* Field numbers of profile.proto (github.com/google/pprof,
 * proto/profile.proto), by message. */
enum {
	PROFILE_SAMPLE_TYPE = 1,
	PROFILE_SAMPLE = 2,
	PROFILE_MAPPING = 3,
	PROFILE_LOCATION = 4,
	PROFILE_FUNCTION = 5,
	PROFILE_STRING_TABLE = 6,
	PROFILE_TIME_NANOS = 9,
	PROFILE_DURATION_NANOS = 10,
	PROFILE_PERIOD_TYPE = 11,
	PROFILE_PERIOD = 12,
	PROFILE_COMMENT = 13,
};
enum { VALUE_TYPE_TYPE = 1, VALUE_TYPE_UNIT = 2 };
enum { SAMPLE_LOCATION_ID = 1, SAMPLE_VALUE = 2 };
enum {
	MAPPING_ID = 1,
	MAPPING_MEMORY_START = 2,
	MAPPING_MEMORY_LIMIT = 3,
	MAPPING_FILENAME = 5,
	MAPPING_HAS_FUNCTIONS = 7,
	MAPPING_HAS_FILENAMES = 8,
	MAPPING_HAS_LINE_NUMBERS = 9,
};
enum { LOCATION_ID = 1, LOCATION_MAPPING_ID = 2, LOCATION_ADDRESS = 3, LOCATION_LINE = 4 };
enum { LINE_FUNCTION_ID = 1, LINE_LINE = 2 };
enum { FUNCTION_ID = 1, FUNCTION_NAME = 2, FUNCTION_SYSTEM_NAME = 3, FUNCTION_FILENAME = 4 };

#define UNKNOWN_MODULE "[unknown]"
#define NPSEUDO        2 /* kinds of stack without frames: table full, before the probe */

/* --- wire format ----------------------------------------------------------- */

size_t pprof_varint_len(uint64_t v)
{
	size_t n = 1;
	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

void pprof_put_varint(struct bytes_out *o, uint64_t v)
{
	unsigned char b[10];
	size_t n = 0;
	while (v >= 0x80) {
		b[n++] = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	b[n++] = (unsigned char)v;
	bytes_put_mem(o, b, n);
}

static void put_tag(struct bytes_out *o, uint32_t field, enum pprof_wire w)
{
	pprof_put_varint(o, (uint64_t)field << 3 | w);
}

void pprof_put_uint(struct bytes_out *o, uint32_t field, uint64_t v)
{
	put_tag(o, field, PPROF_WIRE_VARINT);
	pprof_put_varint(o, v);
}

void pprof_put_len(struct bytes_out *o, uint32_t field, const void *p, size_t n)
{
	put_tag(o, field, PPROF_WIRE_LEN);
	pprof_put_varint(o, n);
	bytes_put_mem(o, p, n);
}

void pprof_put_packed(struct bytes_out *o, uint32_t field, const uint64_t *v, size_t n)
{
	if (!n)
		return;
	size_t len = 0;
	for (size_t i = 0; i < n; i++)
		len += pprof_varint_len(v[i]);
	put_tag(o, field, PPROF_WIRE_LEN);
	pprof_put_varint(o, len);
	for (size_t i = 0; i < n; i++)
		pprof_put_varint(o, v[i]);
}

/* --- the tables -------------------------------------------------------------- */

/* 64-bit keys to ids, open addressing, at most half full; id 0 marks an
 * empty slot. */
struct idmap {
	uint64_t *key;
	uint32_t *id;
	size_t mask;
	size_t n;
};

static size_t idmap_slot(const struct idmap *m, uint64_t key)
{
	size_t i = (size_t)((key * 0x9e3779b97f4a7c15ull) >> 32) & m->mask;
	while (m->id[i] && m->key[i] != key)
		i = (i + 1) & m->mask;
	return i;
}

/* The id of key, or 0. */
static uint32_t idmap_get(const struct idmap *m, uint64_t key)
{
	return m->id ? m->id[idmap_slot(m, key)] : 0;
}

static void idmap_put(struct idmap *m, uint64_t key, uint32_t id)
{
	if ((m->n + 1) * 2 > (m->id ? m->mask + 1 : 0)) {
		struct idmap old = *m;
		size_t size = old.id ? 2 * (old.mask + 1) : 256;
		m->key = xcalloc(size, sizeof *m->key);
		m->id = xcalloc(size, sizeof *m->id);
		m->mask = size - 1;
		for (size_t i = 0; old.id && i <= old.mask; i++) {
			if (!old.id[i])
				continue;
			size_t j = idmap_slot(m, old.key[i]);
			m->key[j] = old.key[i];
			m->id[j] = old.id[i];
		}
		free(old.key);
		free(old.id);
	}
	size_t i = idmap_slot(m, key);
	m->n += !m->id[i];
	m->key[i] = key;
	m->id[i] = id;
}

static void idmap_fini(struct idmap *m)
{
	free(m->key);
	free(m->id);
	memset(m, 0, sizeof *m);
}

/* Table entries; an entry's id is its index + 1. Names are string indices. */
struct loc {
	uint64_t addr; /* 0 for a stack without frames */
	uint32_t mapping, function, line;
};
struct func {
	uint32_t name, file;
};
struct map {
	uint32_t file;
	uint64_t lo, hi; /* [lo, hi): the addresses seen; 0, 0 when none */
};
struct sample {
	size_t first, n; /* its location ids in builder.ids */
	const struct lt_counts *c;
};

struct builder {
	const struct profile *p;
	struct strtab str;
	struct loc *loc;
	struct func *fn;
	struct map *map;
	struct sample *sample;
	uint64_t *ids; /* every sample's location ids, leaf first, one after the other */
	size_t nloc, nfn, nmap, nsample, nids;
	size_t loc_cap, fn_cap, map_cap, sample_cap, ids_cap;
	struct idmap loc_of;      /* return address -> location id */
	struct idmap fn_of;       /* name << 32 | file -> function id */
	struct idmap map_of;      /* module name -> mapping id */
	uint32_t pseudo[NPSEUDO]; /* location ids of stacks without frames */
};

/* Room for one more element in *arr (n used of *cap), which may move. */
static void *grow(void *arr, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return arr;
	*cap = *cap ? 2 * *cap : 64;
	return xrealloc(arr, *cap * size);
}

static uint32_t function_id(struct builder *b, const char *name, const char *file)
{
	uint32_t ni = strtab_intern(&b->str, name), fi = strtab_intern(&b->str, file);
	uint64_t key = (uint64_t)ni << 32 | fi;
	uint32_t id = idmap_get(&b->fn_of, key);
	if (id)
		return id;
	b->fn = grow(b->fn, b->nfn, &b->fn_cap, sizeof *b->fn);
	b->fn[b->nfn++] = (struct func){ ni, fi };
	id = (uint32_t)b->nfn;
	idmap_put(&b->fn_of, key, id);
	return id;
}

/* The mapping of module, its range widened to take addr (unless 0). */
static uint32_t mapping_id(struct builder *b, const char *module, uint64_t addr)
{
	uint32_t file = strtab_intern(&b->str, module);
	uint32_t id = idmap_get(&b->map_of, file);
	if (!id) {
		b->map = grow(b->map, b->nmap, &b->map_cap, sizeof *b->map);
		b->map[b->nmap++] = (struct map){ file, 0, 0 };
		id = (uint32_t)b->nmap;
		idmap_put(&b->map_of, file, id);
	}
	struct map *m = &b->map[id - 1];
	if (addr && (m->hi == 0 || addr < m->lo))
		m->lo = addr;
	if (addr && addr >= m->hi)
		m->hi = addr + 1;
	return id;
}

static uint32_t add_location(struct builder *b, uint64_t addr, const char *module, const char *func,
                             const char *file, uint32_t line)
{
	b->loc = grow(b->loc, b->nloc, &b->loc_cap, sizeof *b->loc);
	b->loc[b->nloc] =
	    (struct loc){ addr, mapping_id(b, module, addr), function_id(b, func, file), line };
	return (uint32_t)++b->nloc;
}

/* The location of a return address, made on its first sight. */
static uint32_t frame_location(struct builder *b, uint64_t addr)
{
	uint32_t id = idmap_get(&b->loc_of, addr);
	if (id)
		return id;
	const struct frame_sym *s = profile_sym(b->p, addr);
	char buf[64];
	const char *name = report_frame_name(b->p, addr, buf, sizeof buf);
	id = add_location(b, addr, s && *s->module ? s->module : UNKNOWN_MODULE, name,
	                  s ? s->file : "", s ? s->line : 0);
	idmap_put(&b->loc_of, addr, id);
	return id;
}

/* The one location standing for every stack without frames of this id's
 * kind. */
static uint32_t pseudo_location(struct builder *b, uint32_t stack_id)
{
	int k = stack_id == LT_STACK_OVERFLOW;
	if (!b->pseudo[k])
		b->pseudo[k] =
		    add_location(b, 0, UNKNOWN_MODULE, report_empty_stack_name(stack_id), "", 0);
	return b->pseudo[k];
}

static void add_sample(struct builder *b, const struct snap_entry *e)
{
	const struct prof_stack *stk = profile_stack(b->p, e->id);
	uint32_t depth = stk ? stk->depth : 0;
	b->sample = grow(b->sample, b->nsample, &b->sample_cap, sizeof *b->sample);
	b->sample[b->nsample++] = (struct sample){ b->nids, depth ? depth : 1, &e->c };
	for (uint32_t d = 0; d < (depth ? depth : 1); d++) {
		b->ids = grow(b->ids, b->nids, &b->ids_cap, sizeof *b->ids);
		b->ids[b->nids++] =
		    depth ? frame_location(b, stk->frames[d]) : pseudo_location(b, e->id);
	}
}

static void builder_fini(struct builder *b)
{
	strtab_fini(&b->str);
	free(b->loc);
	free(b->fn);
	free(b->map);
	free(b->sample);
	free(b->ids);
	idmap_fini(&b->loc_of);
	idmap_fini(&b->fn_of);
	idmap_fini(&b->map_of);
}

/* --- encoding ------------------------------------------------------------------ */

/* An int64 field's value: counts past INT64_MAX are clamped there. */
static uint64_t as_int64(uint64_t v)
{
	return v > INT64_MAX ? INT64_MAX : v;
}

/* Embeds the message in m as field of o; m is emptied for the next one. */
static void put_message(struct bytes_out *o, uint32_t field, struct bytes_out *m)
{
	pprof_put_len(o, field, m->p, m->len);
	m->len = 0;
}

static void put_value_type(struct bytes_out *o, struct bytes_out *m, uint32_t field,
                           struct strtab *str, const char *type, const char *unit)
{
	pprof_put_uint(m, VALUE_TYPE_TYPE, strtab_intern(str, type));
	pprof_put_uint(m, VALUE_TYPE_UNIT, strtab_intern(str, unit));
	put_message(o, field, m);
}

/* The mapping of the program itself: pprof takes the first one listed for
 * the main binary. NULL when no frame is in it. */
static const struct map *main_mapping(const struct builder *b)
{
	const char *prog = b->p->program ? b->p->program : "";
	const char *base = strrchr(prog, '/') ? strrchr(prog, '/') + 1 : prog;
	for (size_t k = 0; k < b->nmap; k++)
		if (!strcmp(b->str.s[b->map[k].file], base))
			return &b->map[k];
	return NULL;
}

static void put_mapping(struct bytes_out *o, struct bytes_out *m, const struct builder *b,
                        const struct map *mp)
{
	pprof_put_uint(m, MAPPING_ID, (uint64_t)(mp - b->map) + 1);
	pprof_put_uint(m, MAPPING_MEMORY_START, mp->lo);
	pprof_put_uint(m, MAPPING_MEMORY_LIMIT, mp->hi);
	pprof_put_uint(m, MAPPING_FILENAME, mp->file);
	pprof_put_uint(m, MAPPING_HAS_FUNCTIONS, 1);
	pprof_put_uint(m, MAPPING_HAS_FILENAMES, 1);
	pprof_put_uint(m, MAPPING_HAS_LINE_NUMBERS, 1);
	put_message(o, PROFILE_MAPPING, m);
}

static void put_tables(struct bytes_out *o, struct bytes_out *m, struct builder *b)
{
	struct bytes_out line;
	bytes_out_init(&line);
	const struct map *first = main_mapping(b);
	if (first)
		put_mapping(o, m, b, first);
	for (size_t k = 0; k < b->nmap; k++)
		if (&b->map[k] != first)
			put_mapping(o, m, b, &b->map[k]);

	for (size_t k = 0; k < b->nloc; k++) {
		const struct loc *l = &b->loc[k];
		pprof_put_uint(m, LOCATION_ID, k + 1);
		pprof_put_uint(m, LOCATION_MAPPING_ID, l->mapping);
		if (l->addr)
			pprof_put_uint(m, LOCATION_ADDRESS, l->addr);
		pprof_put_uint(&line, LINE_FUNCTION_ID, l->function);
		if (l->line)
			pprof_put_uint(&line, LINE_LINE, l->line);
		put_message(m, LOCATION_LINE, &line);
		put_message(o, PROFILE_LOCATION, m);
	}
	bytes_out_fini(&line);

	for (size_t k = 0; k < b->nfn; k++) {
		pprof_put_uint(m, FUNCTION_ID, k + 1);
		pprof_put_uint(m, FUNCTION_NAME, b->fn[k].name);
		/* leaktop keeps only the demangled name: the system's is the same */
		pprof_put_uint(m, FUNCTION_SYSTEM_NAME, b->fn[k].name);
		if (b->fn[k].file)
			pprof_put_uint(m, FUNCTION_FILENAME, b->fn[k].file);
		put_message(o, PROFILE_FUNCTION, m);
	}
}

int pprof_encode(struct bytes_out *out, const struct profile *p, uint32_t i)
{
	const struct snapshot *s = &p->snaps[i];
	struct builder b = { .p = p };
	struct bytes_out m;
	bytes_out_init(&m);
	strtab_intern(&b.str, ""); /* string_table[0] must be "" */

	/* Go's heap profile order; pprof shows the last by default. */
	static const char *const types[4][2] = { { "alloc_objects", "count" },
		                                 { "alloc_space", "bytes" },
		                                 { "inuse_objects", "count" },
		                                 { "inuse_space", "bytes" } };
	for (int k = 0; k < 4; k++)
		put_value_type(out, &m, PROFILE_SAMPLE_TYPE, &b.str, types[k][0], types[k][1]);

	for (uint32_t j = 0; j < s->n; j++) {
		const struct lt_counts *c = &s->e[j].c;
		if (c->alloc_calls || c->alloc_bytes || c->live_blocks || c->live_bytes)
			add_sample(&b, &s->e[j]);
	}
	for (size_t k = 0; k < b.nsample; k++) {
		const struct sample *sa = &b.sample[k];
		uint64_t v[4] = { as_int64(sa->c->alloc_calls), as_int64(sa->c->alloc_bytes),
			          as_int64(sa->c->live_blocks), as_int64(sa->c->live_bytes) };
		pprof_put_packed(&m, SAMPLE_LOCATION_ID, b.ids + sa->first, sa->n);
		pprof_put_packed(&m, SAMPLE_VALUE, v, 4);
		put_message(out, PROFILE_SAMPLE, &m);
	}
	put_tables(out, &m, &b);

	/* Collection began when the probe started; the snapshot ends it. */
	uint64_t comments[2];
	char text[4200];
	snprintf(text, sizeof text, "program: %s", p->program ? p->program : "?");
	comments[0] = strtab_intern(&b.str, text);
	snprintf(text, sizeof text, "pid: %d", (int)p->pid);
	comments[1] = strtab_intern(&b.str, text);
	uint32_t space = strtab_intern(&b.str, "space"), bytes = strtab_intern(&b.str, "bytes");

	for (uint32_t k = 0; k < b.str.n; k++)
		pprof_put_len(out, PROFILE_STRING_TABLE, b.str.s[k], strlen(b.str.s[k]));
	pprof_put_uint(out, PROFILE_TIME_NANOS, as_int64(p->start_ns));
	pprof_put_uint(out, PROFILE_DURATION_NANOS,
	               s->time_ns > p->start_ns ? s->time_ns - p->start_ns : 0);
	pprof_put_uint(&m, VALUE_TYPE_TYPE, space);
	pprof_put_uint(&m, VALUE_TYPE_UNIT, bytes);
	put_message(out, PROFILE_PERIOD_TYPE, &m);
	/* Every allocation is counted, none sampled: one byte a period. */
	pprof_put_uint(out, PROFILE_PERIOD, 1);
	pprof_put_packed(out, PROFILE_COMMENT, comments, 2);

	int bad = m.bad || out->bad;
	bytes_out_fini(&m);
	builder_fini(&b);
	if (bad) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

/* --- gzip and the file ------------------------------------------------------------ */

int pprof_gzip(struct bytes_out *out, const void *in, size_t n)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	/* windowBits 15 + 16: a gzip header and trailer, not zlib's */
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
	    Z_OK) {
		errno = ENOMEM;
		return -1;
	}
	/* One deflate call, into room for the worst case; zlib counts in
	 * 32 bits, which bounds a profile at 1 GiB. */
	uLong bound = deflateBound(&z, (uLong)n);
	int zr = Z_MEM_ERROR;
	if (n <= (1u << 30) && bytes_out_reserve(out, bound) == 0) {
		z.next_in = (Bytef *)(uintptr_t)in;
		z.avail_in = (uInt)n;
		z.next_out = out->p + out->len;
		z.avail_out = (uInt)bound;
		zr = deflate(&z, Z_FINISH);
		if (zr == Z_STREAM_END)
			out->len += bound - z.avail_out;
	}
	deflateEnd(&z);
	if (zr != Z_STREAM_END) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

int pprof_write(FILE *f, const struct profile *p, uint32_t i)
{
	struct bytes_out raw, gz;
	bytes_out_init(&raw);
	bytes_out_init(&gz);
	int rc = pprof_encode(&raw, p, i);
	if (rc == 0)
		rc = pprof_gzip(&gz, raw.p, raw.len);
	if (rc == 0 && fwrite(gz.p, 1, gz.len, f) != gz.len)
		rc = -1;
	bytes_out_fini(&raw);
	bytes_out_fini(&gz);
	return rc;
}
