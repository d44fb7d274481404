/* bytes.c - the little-endian codec under the recording format.
 *
 * Integers are assembled a byte at a time, so neither alignment nor the
 * host's byte order matters; compilers turn the loops into single loads and
 * stores on x86-64 and arm64. A read cursor never looks past `len`: every
 * read first asks whether the bytes are there, and a failed read leaves the
 * cursor where it was with `bad` set for good. */
#include "bytes.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void bytes_in_init(struct bytes_in *in, const void *p, size_t len)
{
	in->p = p;
	in->len = len;
	in->pos = 0;
	in->bad = 0;
}

size_t bytes_left(const struct bytes_in *in)
{
	return in->bad ? 0 : in->len - in->pos;
}

/* The next n bytes, or NULL once they are not all there. */
static const unsigned char *take(struct bytes_in *in, size_t n)
{
	if (in->bad || n > in->len - in->pos) {
		in->bad = 1;
		return NULL;
	}
	const unsigned char *q = in->p + in->pos;
	in->pos += n;
	return q;
}

static uint64_t load_le(const unsigned char *q, int n)
{
	uint64_t v = 0;
	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | q[i];
	return v;
}

uint8_t bytes_get_u8(struct bytes_in *in)
{
	const unsigned char *q = take(in, 1);
	return q ? q[0] : 0;
}

uint16_t bytes_get_u16(struct bytes_in *in)
{
	const unsigned char *q = take(in, 2);
	return q ? (uint16_t)load_le(q, 2) : 0;
}

uint32_t bytes_get_u32(struct bytes_in *in)
{
	const unsigned char *q = take(in, 4);
	return q ? (uint32_t)load_le(q, 4) : 0;
}

uint64_t bytes_get_u64(struct bytes_in *in)
{
	const unsigned char *q = take(in, 8);
	return q ? load_le(q, 8) : 0;
}

const unsigned char *bytes_get_mem(struct bytes_in *in, size_t n)
{
	return take(in, n);
}

void bytes_out_init(struct bytes_out *out)
{
	memset(out, 0, sizeof(*out));
}

void bytes_out_fini(struct bytes_out *out)
{
	free(out->p);
	bytes_out_init(out);
}

int bytes_out_reserve(struct bytes_out *out, size_t n)
{
	if (out->bad)
		return -1;
	if (n <= out->cap - out->len)
		return 0;
	if (n > SIZE_MAX / 2 - out->len) {
		out->bad = 1;
		errno = ENOMEM;
		return -1;
	}
	size_t cap = out->cap ? out->cap : 256;
	while (cap - out->len < n)
		cap *= 2;
	unsigned char *p = realloc(out->p, cap);
	if (!p) {
		out->bad = 1;
		errno = ENOMEM;
		return -1;
	}
	out->p = p;
	out->cap = cap;
	return 0;
}

static void store_le(unsigned char *q, uint64_t v, int n)
{
	for (int i = 0; i < n; i++, v >>= 8)
		q[i] = (unsigned char)v;
}

static void put_le(struct bytes_out *out, uint64_t v, int n)
{
	if (bytes_out_reserve(out, (size_t)n) < 0)
		return;
	store_le(out->p + out->len, v, n);
	out->len += (size_t)n;
}

void bytes_put_u8(struct bytes_out *out, uint8_t v)
{
	put_le(out, v, 1);
}

void bytes_put_u16(struct bytes_out *out, uint16_t v)
{
	put_le(out, v, 2);
}

void bytes_put_u32(struct bytes_out *out, uint32_t v)
{
	put_le(out, v, 4);
}

void bytes_put_u64(struct bytes_out *out, uint64_t v)
{
	put_le(out, v, 8);
}

void bytes_put_mem(struct bytes_out *out, const void *p, size_t n)
{
	if (n == 0 || bytes_out_reserve(out, n) < 0)
		return;
	memcpy(out->p + out->len, p, n);
	out->len += n;
}

void bytes_patch_u32(struct bytes_out *out, size_t off, uint32_t v)
{
	if (!out->bad && off <= out->len && out->len - off >= 4)
		store_le(out->p + off, v, 4);
}

void bytes_store_u32(unsigned char *p, uint32_t v)
{
	store_le(p, v, 4);
}

uint32_t bytes_load_u32(const unsigned char *p)
{
	return (uint32_t)load_le(p, 4);
}
