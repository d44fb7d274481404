/* fuzz_recording.c - libFuzzer target for the recording reader.
 *
 * Two ways in, chosen by the first byte. Even (every real .lkt starts with
 * 'L', 0x4c): the input is a file, given as is to rec_read_mem; this
 * exercises the file and record headers, the length checks, the CRC and
 * torn tails. Odd: the input is a list of records to build, each "u8 type,
 * u16 length, bytes", which the target deflates and seals with a correct
 * CRC behind a good file header; random bytes almost never pass a CRC and
 * an inflate, so this is how the payload parsers see hostile payloads.
 *
 * Either way the reader must return 0, 1 or -1 with a message for 1 and
 * -1, and the sanitizers watch every access. Whatever it loaded then goes
 * through `leaktop diff`'s matching: the first snapshot against the last,
 * and the last against itself, which must come out all zero. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "shared/bytes.h"
#include "shared/recording.h"
#include "tui/diff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Builds the file the odd-byte form describes into *o. */
static void build(struct bytes_out *o, const uint8_t *data, size_t size)
{
	bytes_put_mem(o, REC_MAGIC, 8);
	bytes_put_u32(o, REC_VERSION);
	bytes_put_u32(o, 0);
	struct bytes_in in;
	bytes_in_init(&in, data + 1, size - 1);
	while (bytes_left(&in) >= 3) {
		uint32_t type = *bytes_get_mem(&in, 1);
		size_t n = bytes_get_u16(&in);
		if (n > bytes_left(&in))
			n = bytes_left(&in);
		const unsigned char *raw = bytes_get_mem(&in, n);
		uLongf stored = compressBound(n);
		if (bytes_out_reserve(o, 16 + stored) < 0)
			return;
		unsigned char *rec = o->p + o->len;
		if (compress2(rec + 16, &stored, raw, n, 1) != Z_OK)
			return;
		bytes_store_u32(rec, type);
		bytes_store_u32(rec + 4, (uint32_t)stored);
		bytes_store_u32(rec + 8, (uint32_t)n);
		uLong crc = crc32(crc32(0, rec, 12), rec + 16, (uInt)stored);
		bytes_store_u32(rec + 12, (uint32_t)crc);
		o->len += 16 + stored;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bytes_out o;
	bytes_out_init(&o);
	const void *buf = data;
	size_t len = size;
	if (size > 0 && (data[0] & 1)) {
		build(&o, data, size);
		if (o.bad)
			goto out;
		buf = o.p;
		len = o.len;
	}
	struct profile *p = profile_new();
	if (!p)
		goto out;
	char err[256];
	err[0] = 0;
	int rc = rec_read_mem(buf, len, p, err, sizeof(err));
	if (rc < -1 || rc > 1 || (rc != 0 && (!err[0] || !memchr(err, 0, sizeof(err)))))
		abort();
	/* What was loaded must be consistent: every snapshot entry names a
	 * stack that exists, and entries are sorted. */
	for (uint32_t i = 0; i < p->nsnaps; i++)
		for (uint32_t k = 0; k < p->snaps[i].n; k++)
			if (!profile_stack(p, p->snaps[i].e[k].id) ||
			    (k && p->snaps[i].e[k].id <= p->snaps[i].e[k - 1].id))
				abort();
	if (p->nsnaps) {
		struct diff d;
		diff_build(&d, p, 0, p, p->nsnaps - 1);
		diff_free(&d);
		diff_build(&d, p, p->nsnaps - 1, p, p->nsnaps - 1);
		for (uint32_t i = 0; i < d.n; i++)
			if (d.s[i].d_live_bytes || d.s[i].d_live_blocks || d.s[i].d_alloc_calls)
				abort();
		for (uint32_t i = 0; i < d.ng; i++)
			if (d.g[i].base != d.g[i].cur)
				abort();
		diff_free(&d);
	}
	profile_free(p);
out:
	bytes_out_fini(&o);
	return 0;
}
