/* pprof_decode.h - a profile.proto reader for the tests, written apart from
 * tui/pprof.c so that a mistake in the writer is not repeated in its check.
 *
 * pd_gunzip undoes the gzip layer (and only gzip: a zlib stream is an
 * error). pd_decode reads the wire format field by field, taking repeated
 * integers packed or not and skipping unknown fields, as a protobuf reader
 * must. pd_check then asks what pprof's reader asks (string_table[0] is "",
 * every sample has a value per sample type, ids are non-zero and unique,
 * every id referred to exists) and what leaktop promises on top: no
 * location without a mapping (no reference to id 0), every location has a
 * line with its function, every address lies in its mapping's range.
 * pd_print writes a normalized text: the ids resolved to names. Every
 * failure is one message in err, "offset N: what" while decoding.
 *
 * Header-only, for tests/tools/pprof_dump.c and tests/unit/test_pprof.c.
 * Ownership: a pd_profile owns what it holds until pd_free; pd_gunzip's
 * output belongs to the caller (free). Out of memory aborts: test code. */
#ifndef LEAKTOP_PPROF_DECODE_H
#define LEAKTOP_PPROF_DECODE_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define PD_OUT_MAX (1u << 30) /* gunzipped bytes accepted */

struct pd_value_type {
	int64_t type, unit; /* string indices */
};
struct pd_sample {
	uint64_t *loc; /* location ids, leaf first */
	size_t nloc;
	int64_t *value;
	size_t nvalue;
};
struct pd_mapping {
	uint64_t id, start, limit, offset;
	int64_t file, build_id;
	int has_functions, has_filenames, has_line_numbers, has_inline_frames;
};
struct pd_line {
	uint64_t function_id;
	int64_t line;
};
struct pd_location {
	uint64_t id, mapping_id, address;
	struct pd_line *line;
	size_t nline;
};
struct pd_function {
	uint64_t id;
	int64_t name, system_name, file, start_line;
};
/* An id and the index of what has it: the tables sorted by id (pd_check). */
struct pd_index {
	uint64_t id;
	size_t at;
};

struct pd_profile {
	struct pd_value_type *sample_type;
	struct pd_sample *sample;
	struct pd_mapping *mapping;
	struct pd_location *location;
	struct pd_function *function;
	char **str;
	int64_t *comment;
	size_t nsample_type, nsample, nmapping, nlocation, nfunction, nstr, ncomment;
	struct pd_value_type period_type;
	int64_t drop_frames, keep_frames, time_nanos, duration_nanos, period, default_sample_type;
	struct pd_index *mapping_ix, *location_ix, *function_ix;
};

/* --- gzip --------------------------------------------------------------------- */

/* Inflates the gzip stream of n bytes at in into *out (*outn bytes, a NUL
 * after them). 0, or -1 and err. */
static int pd_gunzip(const unsigned char *in, size_t n, unsigned char **out, size_t *outn,
                     char *err, size_t errlen)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	if (inflateInit2(&z, 15 + 16) != Z_OK) {
		snprintf(err, errlen, "inflateInit2 failed");
		return -1;
	}
	size_t cap = 4096, len = 0;
	unsigned char *buf = malloc(cap + 1);
	int zr = Z_OK;
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = n > UINT32_MAX ? UINT32_MAX : (uInt)n;
	while (buf && zr == Z_OK) {
		if (len == cap) {
			cap *= 2;
			buf = cap > PD_OUT_MAX ? (free(buf), NULL) : realloc(buf, cap + 1);
			if (!buf)
				break;
		}
		z.next_out = buf + len;
		z.avail_out = (uInt)(cap - len);
		zr = inflate(&z, Z_NO_FLUSH);
		len = cap - z.avail_out;
	}
	size_t used = n - z.avail_in;
	inflateEnd(&z);
	if (!buf) {
		snprintf(err, errlen, "gunzip: more than %u bytes, or out of memory", PD_OUT_MAX);
		return -1;
	}
	if (zr != Z_STREAM_END || used != n) {
		free(buf);
		snprintf(err, errlen, "gunzip: %s",
		         zr != Z_STREAM_END ? "not a whole gzip stream"
		                            : "bytes after the gzip stream");
		return -1;
	}
	buf[len] = 0;
	*out = buf;
	*outn = len;
	return 0;
}

/* --- wire format --------------------------------------------------------------- */

/* A message being read: bytes p[0..len), pos the next, base the offset of
 * p[0] in the whole buffer (for messages). */
struct pd_in {
	const unsigned char *p;
	size_t len, pos, base;
};

/* A field as read: its number, wire type and value (varint and fixed), or
 * its bytes (wire type 2); at is its offset in the whole buffer. */
struct pd_field {
	uint32_t num;
	int wire;
	uint64_t v;
	struct pd_in sub;
	size_t at;
};

/* A varint of at most 10 bytes, the 10th 0 or 1. 0, or -1 when it is cut
 * short or too long. */
static int pd_varint(struct pd_in *in, uint64_t *v)
{
	uint64_t r = 0;
	for (int shift = 0; shift <= 63; shift += 7) {
		if (in->pos >= in->len)
			return -1;
		unsigned char c = in->p[in->pos++];
		if (shift == 63 && c > 1)
			return -1;
		r |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*v = r;
			return 0;
		}
	}
	return -1;
}

/* Reads the next field: 1, 0 at the end of the message, -1 and err. */
static int pd_next(struct pd_in *in, struct pd_field *f, char *err, size_t errlen)
{
	if (in->pos == in->len)
		return 0;
	uint64_t tag;
	f->at = in->base + in->pos;
	if (pd_varint(in, &tag) < 0 || tag >> 3 == 0 || tag >> 3 > UINT32_MAX) {
		snprintf(err, errlen, "offset %zu: bad field tag", f->at);
		return -1;
	}
	f->num = (uint32_t)(tag >> 3);
	f->wire = (int)(tag & 7);
	f->v = 0;
	size_t fixed = 0;
	switch (f->wire) {
	case 0:
		if (pd_varint(in, &f->v) < 0) {
			snprintf(err, errlen, "offset %zu: field %u: bad varint", f->at, f->num);
			return -1;
		}
		return 1;
	case 1: fixed = 8; break;
	case 5: fixed = 4; break;
	case 2:
		if (pd_varint(in, &f->v) < 0 || f->v > in->len - in->pos) {
			snprintf(err, errlen, "offset %zu: field %u: length past the end", f->at,
			         f->num);
			return -1;
		}
		f->sub = (struct pd_in){ in->p + in->pos, (size_t)f->v, 0, in->base + in->pos };
		in->pos += (size_t)f->v;
		return 1;
	default:
		snprintf(err, errlen, "offset %zu: field %u: wire type %d", f->at, f->num, f->wire);
		return -1;
	}
	if (fixed > in->len - in->pos) {
		snprintf(err, errlen, "offset %zu: field %u: cut short", f->at, f->num);
		return -1;
	}
	for (size_t i = 0; i < fixed; i++)
		f->v |= (uint64_t)in->p[in->pos + i] << (8 * i);
	in->pos += fixed;
	return 1;
}

/* Room for one more element at the end of *arr (n elements), zeroed. */
static void *pd_grow(void *arr, size_t n, size_t size)
{
	if (n == 0 || (n & (n - 1)) == 0) {
		arr = realloc(arr, (n ? 2 * n : 1) * size);
		if (!arr)
			abort();
	}
	memset((char *)arr + n * size, 0, size);
	return arr;
}
#define PD_PUSH(arr, n) ((arr) = pd_grow((arr), (n), sizeof *(arr)), &(arr)[(n)++])

/* A scalar field's value; -1 and err when it is not a varint. */
static int pd_uint(const struct pd_field *f, uint64_t *v, const char *msg, char *err, size_t errlen)
{
	if (f->wire != 0) {
		snprintf(err, errlen, "offset %zu: %s field %u has wire type %d, not a varint",
		         f->at, msg, f->num, f->wire);
		return -1;
	}
	*v = f->v;
	return 0;
}

static int pd_int(const struct pd_field *f, int64_t *v, const char *msg, char *err, size_t errlen)
{
	uint64_t u;
	if (pd_uint(f, &u, msg, err, errlen) < 0)
		return -1;
	*v = (int64_t)u;
	return 0;
}

/* Appends a repeated integer field's values: one varint, or packed. */
static int pd_repeated(const struct pd_field *f, uint64_t **arr, size_t *n, const char *msg,
                       char *err, size_t errlen)
{
	if (f->wire == 0) {
		*PD_PUSH(*arr, *n) = f->v;
		return 0;
	}
	if (f->wire != 2) {
		snprintf(err, errlen, "offset %zu: %s field %u has wire type %d", f->at, msg,
		         f->num, f->wire);
		return -1;
	}
	struct pd_in in = f->sub;
	while (in.pos < in.len) {
		uint64_t v;
		if (pd_varint(&in, &v) < 0) {
			snprintf(err, errlen, "offset %zu: %s field %u: bad packed varint",
			         in.base + in.pos, msg, f->num);
			return -1;
		}
		*PD_PUSH(*arr, *n) = v;
	}
	return 0;
}

/* The embedded message of field f; -1 and err when f is not one. */
static int pd_sub(const struct pd_field *f, struct pd_in *in, const char *msg, char *err,
                  size_t errlen)
{
	if (f->wire != 2) {
		snprintf(err, errlen, "offset %zu: %s field %u has wire type %d, not a message",
		         f->at, msg, f->num, f->wire);
		return -1;
	}
	*in = f->sub;
	return 0;
}

/* Reads a message whose fields 1..max are all varints into v[1..max]
 * (zeroed first; a repeated one keeps its last value, as protobuf says);
 * other fields are skipped. 0, or -1 and err. */
static int pd_flat(struct pd_in in, uint64_t *v, uint32_t max, const char *msg, char *err,
                   size_t errlen)
{
	struct pd_field f;
	int r;
	memset(v, 0, (max + 1) * sizeof *v);
	while ((r = pd_next(&in, &f, err, errlen)) > 0)
		if (f.num <= max && pd_uint(&f, &v[f.num], msg, err, errlen) < 0)
			return -1;
	return r;
}

static int pd_value_type(struct pd_in in, struct pd_value_type *vt, char *err, size_t errlen)
{
	uint64_t v[3];
	if (pd_flat(in, v, 2, "ValueType", err, errlen) < 0)
		return -1;
	*vt = (struct pd_value_type){ (int64_t)v[1], (int64_t)v[2] };
	return 0;
}

static int pd_sample(struct pd_in in, struct pd_sample *s, char *err, size_t errlen)
{
	struct pd_field f;
	int r;
	while ((r = pd_next(&in, &f, err, errlen)) > 0) {
		if (f.num == 1 && pd_repeated(&f, &s->loc, &s->nloc, "Sample", err, errlen) < 0)
			return -1;
		if (f.num == 2 &&
		    pd_repeated(&f, (uint64_t **)&s->value, &s->nvalue, "Sample", err, errlen) < 0)
			return -1;
	}
	return r;
}

static int pd_mapping(struct pd_in in, struct pd_mapping *m, char *err, size_t errlen)
{
	uint64_t v[11];
	if (pd_flat(in, v, 10, "Mapping", err, errlen) < 0)
		return -1;
	*m = (struct pd_mapping){ .id = v[1],
		                  .start = v[2],
		                  .limit = v[3],
		                  .offset = v[4],
		                  .file = (int64_t)v[5],
		                  .build_id = (int64_t)v[6],
		                  .has_functions = v[7] != 0,
		                  .has_filenames = v[8] != 0,
		                  .has_line_numbers = v[9] != 0,
		                  .has_inline_frames = v[10] != 0 };
	return 0;
}

static int pd_location(struct pd_in in, struct pd_location *l, char *err, size_t errlen)
{
	struct pd_field f;
	int r;
	while ((r = pd_next(&in, &f, err, errlen)) > 0) {
		struct pd_in sub;
		uint64_t v[3];
		if (f.num == 1 && pd_uint(&f, &l->id, "Location", err, errlen) < 0)
			return -1;
		if (f.num == 2 && pd_uint(&f, &l->mapping_id, "Location", err, errlen) < 0)
			return -1;
		if (f.num == 3 && pd_uint(&f, &l->address, "Location", err, errlen) < 0)
			return -1;
		if (f.num != 4)
			continue;
		if (pd_sub(&f, &sub, "Location", err, errlen) < 0 ||
		    pd_flat(sub, v, 2, "Line", err, errlen) < 0)
			return -1;
		*PD_PUSH(l->line, l->nline) = (struct pd_line){ v[1], (int64_t)v[2] };
	}
	return r;
}

static int pd_function(struct pd_in in, struct pd_function *fn, char *err, size_t errlen)
{
	uint64_t v[6];
	if (pd_flat(in, v, 5, "Function", err, errlen) < 0)
		return -1;
	*fn = (struct pd_function){ v[1], (int64_t)v[2], (int64_t)v[3], (int64_t)v[4],
		                    (int64_t)v[5] };
	return 0;
}

/* Decodes the n bytes of a Profile message at buf into *p (zeroed first).
 * 0, or -1 and err; p holds what was read either way (pd_free it). */
static int pd_decode(const unsigned char *buf, size_t n, struct pd_profile *p, char *err,
                     size_t errlen)
{
	memset(p, 0, sizeof *p);
	struct pd_in in = { buf, n, 0, 0 }, sub;
	struct pd_field f;
	int r;
	while ((r = pd_next(&in, &f, err, errlen)) > 0) {
		int rc = 0;
		switch (f.num) {
		case 1:
			rc = pd_sub(&f, &sub, "Profile", err, errlen);
			if (rc == 0)
				rc = pd_value_type(sub, PD_PUSH(p->sample_type, p->nsample_type),
				                   err, errlen);
			break;
		case 2:
			rc = pd_sub(&f, &sub, "Profile", err, errlen);
			if (rc == 0)
				rc = pd_sample(sub, PD_PUSH(p->sample, p->nsample), err, errlen);
			break;
		case 3:
			rc = pd_sub(&f, &sub, "Profile", err, errlen);
			if (rc == 0)
				rc = pd_mapping(sub, PD_PUSH(p->mapping, p->nmapping), err, errlen);
			break;
		case 4:
			rc = pd_sub(&f, &sub, "Profile", err, errlen);
			if (rc == 0)
				rc = pd_location(sub, PD_PUSH(p->location, p->nlocation), err,
				                 errlen);
			break;
		case 5:
			rc = pd_sub(&f, &sub, "Profile", err, errlen);
			if (rc == 0)
				rc = pd_function(sub, PD_PUSH(p->function, p->nfunction), err,
				                 errlen);
			break;
		case 6:
			rc = pd_sub(&f, &sub, "Profile", err, errlen);
			if (rc == 0) {
				char *s = malloc(sub.len + 1);
				if (!s)
					abort();
				memcpy(s, sub.p, sub.len);
				s[sub.len] = 0;
				*PD_PUSH(p->str, p->nstr) = s;
			}
			break;
		case 7: rc = pd_int(&f, &p->drop_frames, "Profile", err, errlen); break;
		case 8: rc = pd_int(&f, &p->keep_frames, "Profile", err, errlen); break;
		case 9: rc = pd_int(&f, &p->time_nanos, "Profile", err, errlen); break;
		case 10: rc = pd_int(&f, &p->duration_nanos, "Profile", err, errlen); break;
		case 11:
			rc = pd_sub(&f, &sub, "Profile", err, errlen);
			if (rc == 0)
				rc = pd_value_type(sub, &p->period_type, err, errlen);
			break;
		case 12: rc = pd_int(&f, &p->period, "Profile", err, errlen); break;
		case 13:
			rc = pd_repeated(&f, (uint64_t **)&p->comment, &p->ncomment, "Profile", err,
			                 errlen);
			break;
		case 14: rc = pd_int(&f, &p->default_sample_type, "Profile", err, errlen); break;
		}
		if (rc < 0)
			return -1;
	}
	return r;
}

static void pd_free(struct pd_profile *p)
{
	for (size_t i = 0; i < p->nsample; i++) {
		free(p->sample[i].loc);
		free(p->sample[i].value);
	}
	for (size_t i = 0; i < p->nlocation; i++)
		free(p->location[i].line);
	for (size_t i = 0; i < p->nstr; i++)
		free(p->str[i]);
	free(p->sample_type);
	free(p->sample);
	free(p->mapping);
	free(p->location);
	free(p->function);
	free(p->str);
	free(p->comment);
	free(p->mapping_ix);
	free(p->location_ix);
	free(p->function_ix);
	memset(p, 0, sizeof *p);
}

/* --- checks ------------------------------------------------------------------------ */

static int pd_by_id(const void *a, const void *b)
{
	const struct pd_index *x = a, *y = b;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* The table's ids sorted (id and index), after checking each is non-zero
 * and unique. NULL and err when one is not. */
static struct pd_index *pd_index(const void *table, size_t n, size_t size, const char *what,
                                 char *err, size_t errlen)
{
	struct pd_index *ix = malloc((n ? n : 1) * sizeof *ix);
	if (!ix)
		abort();
	for (size_t i = 0; i < n; i++) /* every table's entries start with their uint64 id */
		ix[i] = (struct pd_index){ *(const uint64_t *)((const char *)table + i * size), i };
	qsort(ix, n, sizeof *ix, pd_by_id);
	for (size_t i = 0; i < n; i++) {
		if (ix[i].id == 0 || (i && ix[i].id == ix[i - 1].id)) {
			snprintf(err, errlen, "%s id %" PRIu64 " %s", what, ix[i].id,
			         ix[i].id ? "is not unique" : "(ids start at 1)");
			free(ix);
			return NULL;
		}
	}
	return ix;
}

/* The index in its table of the entry with id, or (size_t)-1. */
static size_t pd_find(const struct pd_index *ix, size_t n, uint64_t id)
{
	struct pd_index key = { id, 0 };
	const struct pd_index *hit = n ? bsearch(&key, ix, n, sizeof *ix, pd_by_id) : NULL;
	return hit ? hit->at : (size_t)-1;
}

static const char *pd_str(const struct pd_profile *p, int64_t i)
{
	return i >= 0 && (uint64_t)i < p->nstr ? p->str[i] : "?";
}

/* Every string index refers to the table: -1 and err naming the first
 * one that does not. */
static int pd_check_strings(const struct pd_profile *p, char *err, size_t errlen)
{
#define PD_STR(w, v)                                                                              \
	do {                                                                                      \
		if ((v) < 0 || (uint64_t)(v) >= p->nstr) {                                        \
			snprintf(err, errlen, "%s: string %" PRId64 " of %zu", (w), (int64_t)(v), \
			         p->nstr);                                                        \
			return -1;                                                                \
		}                                                                                 \
	} while (0)
	for (size_t i = 0; i < p->nsample_type; i++) {
		PD_STR("sample_type", p->sample_type[i].type);
		PD_STR("sample_type", p->sample_type[i].unit);
	}
	PD_STR("period_type", p->period_type.type);
	PD_STR("period_type", p->period_type.unit);
	PD_STR("drop_frames", p->drop_frames);
	PD_STR("keep_frames", p->keep_frames);
	PD_STR("default_sample_type", p->default_sample_type);
	for (size_t i = 0; i < p->ncomment; i++)
		PD_STR("comment", p->comment[i]);
	for (size_t i = 0; i < p->nmapping; i++) {
		PD_STR("mapping filename", p->mapping[i].file);
		PD_STR("mapping build_id", p->mapping[i].build_id);
	}
	for (size_t i = 0; i < p->nfunction; i++) {
		PD_STR("function name", p->function[i].name);
		PD_STR("function system_name", p->function[i].system_name);
		PD_STR("function filename", p->function[i].file);
	}
#undef PD_STR
	return 0;
}

/* The checks above the wire format (see the top). 0, or -1 and err. */
static int pd_check(struct pd_profile *p, char *err, size_t errlen)
{
	if (!p->nstr || p->str[0][0]) {
		snprintf(err, errlen, "string_table[0] is not \"\"");
		return -1;
	}
	if (pd_check_strings(p, err, errlen) < 0)
		return -1;
	if (!p->nsample_type) {
		snprintf(err, errlen, "no sample_type");
		return -1;
	}
	if (!(p->mapping_ix =
	          pd_index(p->mapping, p->nmapping, sizeof *p->mapping, "mapping", err, errlen)) ||
	    !(p->location_ix = pd_index(p->location, p->nlocation, sizeof *p->location, "location",
	                                err, errlen)) ||
	    !(p->function_ix = pd_index(p->function, p->nfunction, sizeof *p->function, "function",
	                                err, errlen)))
		return -1;
	for (size_t i = 0; i < p->nsample; i++) {
		const struct pd_sample *s = &p->sample[i];
		if (s->nvalue != p->nsample_type) {
			snprintf(err, errlen, "sample %zu has %zu values for %zu sample types", i,
			         s->nvalue, p->nsample_type);
			return -1;
		}
		if (!s->nloc) {
			snprintf(err, errlen, "sample %zu has no location", i);
			return -1;
		}
		for (size_t j = 0; j < s->nloc; j++) {
			if (pd_find(p->location_ix, p->nlocation, s->loc[j]) == (size_t)-1) {
				snprintf(err, errlen,
				         "sample %zu refers to location %" PRIu64
				         ", which does not exist",
				         i, s->loc[j]);
				return -1;
			}
		}
	}
	for (size_t i = 0; i < p->nlocation; i++) {
		const struct pd_location *l = &p->location[i];
		size_t m = pd_find(p->mapping_ix, p->nmapping, l->mapping_id);
		if (m == (size_t)-1) {
			snprintf(err, errlen,
			         "location %" PRIu64 " refers to mapping %" PRIu64
			         ", which does not exist",
			         l->id, l->mapping_id);
			return -1;
		}
		const struct pd_mapping *mp = &p->mapping[m];
		if (l->address && (l->address < mp->start || l->address >= mp->limit)) {
			snprintf(err, errlen,
			         "location %" PRIu64 ": address 0x%" PRIx64
			         " outside its mapping [0x%" PRIx64 ", 0x%" PRIx64 ")",
			         l->id, l->address, mp->start, mp->limit);
			return -1;
		}
		if (!l->nline) {
			snprintf(err, errlen, "location %" PRIu64 " has no line", l->id);
			return -1;
		}
		for (size_t j = 0; j < l->nline; j++) {
			if (pd_find(p->function_ix, p->nfunction, l->line[j].function_id) ==
			    (size_t)-1) {
				snprintf(err, errlen,
				         "location %" PRIu64 " refers to function %" PRIu64
				         ", which does not exist",
				         l->id, l->line[j].function_id);
				return -1;
			}
		}
	}
	return 0;
}

/* --- normalized text ------------------------------------------------------------------ */

/* The name of the function of a location's line j (after pd_check). */
static const char *pd_func_name(const struct pd_profile *p, const struct pd_location *l, size_t j)
{
	size_t f = pd_find(p->function_ix, p->nfunction, l->line[j].function_id);
	return f == (size_t)-1 ? "?" : pd_str(p, p->function[f].name);
}

static const struct pd_location *pd_loc(const struct pd_profile *p, uint64_t id)
{
	size_t at = pd_find(p->location_ix, p->nlocation, id);
	return at == (size_t)-1 ? NULL : &p->location[at];
}

/* The header, the tables and one line per sample:
 *   sample V1 V2 ...: leaf <- caller <- ... <- root
 * (inlined functions first within a location, as pprof lists them). */
static void pd_print(FILE *f, const struct pd_profile *p)
{
	fputs("sample_types", f);
	for (size_t i = 0; i < p->nsample_type; i++)
		fprintf(f, " %s/%s", pd_str(p, p->sample_type[i].type),
		        pd_str(p, p->sample_type[i].unit));
	fprintf(f, "\nperiod_type %s/%s\nperiod %" PRId64 "\n", pd_str(p, p->period_type.type),
	        pd_str(p, p->period_type.unit), p->period);
	fprintf(f, "time_nanos %" PRId64 "\nduration_nanos %" PRId64 "\n", p->time_nanos,
	        p->duration_nanos);
	if (p->default_sample_type)
		fprintf(f, "default_sample_type %s\n", pd_str(p, p->default_sample_type));
	for (size_t i = 0; i < p->ncomment; i++)
		fprintf(f, "comment %s\n", pd_str(p, p->comment[i]));
	fprintf(f, "tables %zu strings, %zu samples, %zu locations, %zu functions, %zu mappings\n",
	        p->nstr, p->nsample, p->nlocation, p->nfunction, p->nmapping);
	for (size_t i = 0; i < p->nmapping; i++) {
		const struct pd_mapping *m = &p->mapping[i];
		fprintf(f, "mapping %s [0x%" PRIx64 ", 0x%" PRIx64 ")%s%s%s\n", pd_str(p, m->file),
		        m->start, m->limit, m->has_functions ? " functions" : "",
		        m->has_filenames ? " filenames" : "",
		        m->has_line_numbers ? " line_numbers" : "");
	}
	for (size_t i = 0; i < p->nlocation; i++) {
		const struct pd_location *l = &p->location[i];
		size_t m = pd_find(p->mapping_ix, p->nmapping, l->mapping_id);
		fprintf(f, "location 0x%" PRIx64 " %s", l->address,
		        m == (size_t)-1 ? "?" : pd_str(p, p->mapping[m].file));
		for (size_t j = 0; j < l->nline; j++) {
			size_t fn = pd_find(p->function_ix, p->nfunction, l->line[j].function_id);
			fprintf(f, " %s", pd_func_name(p, l, j));
			if (fn != (size_t)-1 && p->function[fn].file)
				fprintf(f, " %s:%" PRId64, pd_str(p, p->function[fn].file),
				        l->line[j].line);
		}
		fputc('\n', f);
	}
	for (size_t i = 0; i < p->nsample; i++) {
		const struct pd_sample *s = &p->sample[i];
		fputs("sample", f);
		for (size_t j = 0; j < s->nvalue; j++)
			fprintf(f, " %" PRId64, s->value[j]);
		fputc(':', f);
		int first = 1;
		for (size_t j = 0; j < s->nloc; j++) {
			const struct pd_location *l = pd_loc(p, s->loc[j]);
			for (size_t k = 0; l && k < l->nline; k++, first = 0)
				fprintf(f, "%s%s", first ? " " : " <- ", pd_func_name(p, l, k));
		}
		fputc('\n', f);
	}
}

/* Value k of each sample where it is not 0, as a folded stack: "root;...;leaf
 * VALUE", ';' in a name written ':' (as leaktop report --format folded). */
static void pd_print_folded(FILE *f, const struct pd_profile *p, size_t k)
{
	for (size_t i = 0; i < p->nsample; i++) {
		const struct pd_sample *s = &p->sample[i];
		if (k >= s->nvalue || !s->value[k])
			continue;
		int first = 1;
		for (size_t j = s->nloc; j-- > 0;) {
			const struct pd_location *l = pd_loc(p, s->loc[j]);
			for (size_t n = l ? l->nline : 0; n-- > 0; first = 0) {
				if (!first)
					fputc(';', f);
				for (const char *c = pd_func_name(p, l, n); *c; c++)
					fputc(*c == ';' ? ':' : *c, f);
			}
		}
		fprintf(f, " %" PRId64 "\n", s->value[k]);
	}
}

#endif
