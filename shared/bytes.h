/* bytes.h - little-endian integers in and out of byte buffers.
 *
 * Ownership: a bytes_in reads memory its caller owns; a bytes_out owns the
 * buffer it grows until bytes_out_fini (or until the caller takes out.p).
 *
 * Both cursors keep a sticky error flag instead of returning a status from
 * every call: a parser reads a whole entry and checks `bad` once before it
 * uses any of the values, and a writer puts a whole record and checks once.
 * After the first failure a cursor does nothing, so the position where it
 * failed is still in `pos` / `len`. */
#ifndef LEAKTOP_BYTES_H
#define LEAKTOP_BYTES_H

#include <stddef.h>
#include <stdint.h>

/* A read cursor over len bytes. bad is set when a read would pass the end. */
struct bytes_in {
	const unsigned char *p;
	size_t len;
	size_t pos;
	int bad;
};

/* A growable write buffer. bad is set when growing it failed (ENOMEM). */
struct bytes_out {
	unsigned char *p;
	size_t len;
	size_t cap;
	int bad;
};

/* Starts reading len bytes at p. */
void bytes_in_init(struct bytes_in *in, const void *p, size_t len);

/* Bytes not yet read (0 once bad). */
size_t bytes_left(const struct bytes_in *in);

/* Read one integer; 0 and bad set when fewer bytes are left. */
uint8_t bytes_get_u8(struct bytes_in *in);
uint16_t bytes_get_u16(struct bytes_in *in);
uint32_t bytes_get_u32(struct bytes_in *in);
uint64_t bytes_get_u64(struct bytes_in *in);

/* Returns n bytes in place and moves past them; NULL and bad when short. */
const unsigned char *bytes_get_mem(struct bytes_in *in, size_t n);

/* An empty buffer; allocates nothing yet. */
void bytes_out_init(struct bytes_out *out);

/* Frees the buffer and empties it. */
void bytes_out_fini(struct bytes_out *out);

/* Make room for n more bytes; 0, or -1 (and bad) when out of memory. */
int bytes_out_reserve(struct bytes_out *out, size_t n);

/* Append one integer or n bytes; on failure only bad is set. */
void bytes_put_u8(struct bytes_out *out, uint8_t v);
void bytes_put_u16(struct bytes_out *out, uint16_t v);
void bytes_put_u32(struct bytes_out *out, uint32_t v);
void bytes_put_u64(struct bytes_out *out, uint64_t v);
void bytes_put_mem(struct bytes_out *out, const void *p, size_t n);

/* Overwrites 4 bytes at off, which must have been put already. */
void bytes_patch_u32(struct bytes_out *out, size_t off, uint32_t v);

/* Plain stores and loads on raw memory, for fixed headers. */
void bytes_store_u32(unsigned char *p, uint32_t v);
uint32_t bytes_load_u32(const unsigned char *p);

#endif
