/* pprof.h - one snapshot as a gzipped profile.proto: the format `go tool
 * pprof` and Grafana Pyroscope read, with the sample types of a Go heap
 * profile, alloc_objects, alloc_space, inuse_objects and inuse_space (the
 * last is pprof's default), and the full mapping, location and function
 * tables. Below it, the few pieces of the protobuf wire format it needs:
 * varints, length-delimited fields, packed repeated integers.
 *
 * Ownership: reads the profile, appends to the caller's bytes_out or
 * writes to the caller's FILE, keeps nothing. Functions returning int give
 * 0, or -1 with errno (ENOMEM, or a write's). */
#ifndef LEAKTOP_PPROF_H
#define LEAKTOP_PPROF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "shared/bytes.h"
#include "shared/profile.h"

/* The protobuf wire types a field's tag carries (its low 3 bits). */
enum pprof_wire { PPROF_WIRE_VARINT = 0, PPROF_WIRE_LEN = 2 };

/* The bytes v takes as a varint: 1 up to 127, 10 from 2^63. */
size_t pprof_varint_len(uint64_t v);

/* v as a varint: 7 bits a byte, least significant first, the top bit set
 * on every byte but the last. */
void pprof_put_varint(struct bytes_out *o, uint64_t v);

/* A varint field (uint64, int64 >= 0, bool): its tag, then v. */
void pprof_put_uint(struct bytes_out *o, uint32_t field, uint64_t v);

/* A length-delimited field (string, bytes, embedded message): its tag, n
 * as a varint, then the n bytes of p. */
void pprof_put_len(struct bytes_out *o, uint32_t field, const void *p, size_t n);

/* A packed repeated varint field holding v[0..n-1]; nothing when n is 0. */
void pprof_put_packed(struct bytes_out *o, uint32_t field, const uint64_t *v, size_t n);

/* Appends snapshot i of p as a profile.proto message, uncompressed: one
 * sample per stack with a non-zero count among the four, ids from 1. */
int pprof_encode(struct bytes_out *out, const struct profile *p, uint32_t i);

/* Appends the n bytes at in, gzipped (what profile.proto files are). */
int pprof_gzip(struct bytes_out *out, const void *in, size_t n);

/* Writes snapshot i of p to f as a gzipped profile.proto. */
int pprof_write(FILE *f, const struct profile *p, uint32_t i);

#endif
