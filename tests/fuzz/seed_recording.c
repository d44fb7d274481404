/* seed_recording.c - writes the fuzzer's seed corpus into a directory.
 *
 * Real recordings made by the real writer (an empty one, and one with
 * stacks, symbols, snapshots, ticks and END over several syncs), and the
 * same records in the fuzzer's "build it for me" form (first byte odd, then
 * u8 type, u16 length, raw payload), so mutation starts from payloads the
 * parsers accept. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "shared/bytes.h"
#include "shared/recording.h"

static char err[256];

static void fill(struct profile *p, uint32_t nstacks, uint32_t nsnaps)
{
	profile_set_program(p, "/usr/bin/seed");
	p->pid = 77;
	p->interval_ms = 1000;
	p->depth = 64;
	struct prof_module m = {.path = "/bin/seed", .lo = 0x400000, .hi = 0x500000, .build_id_len = 4,
	                        .build_id = {1, 2, 3, 4}};
	profile_add_module(p, &m);
	for (uint32_t id = 0; id < nstacks; id++) {
		uint64_t f[8];
		for (uint32_t k = 0; k < 8; k++)
			f[k] = 0x400000 + id * 64 + k;
		profile_add_stack(p, id, f, id % 9);
		struct frame_sym s = {.addr = f[0], .func = "fn", .module = "/bin/seed", .file = "s.c",
		                      .line = id};
		profile_add_sym(p, &s);
	}
	for (uint32_t i = 0; i < nsnaps; i++) {
		struct snap_entry e[3] = {{.id = 0, .c = {1, 1, 1, 1, 0}}, {.id = 1, .c = {.live_bytes = 2}}, {.id = 2}};
		struct snapshot s = {.seqno = i + 1, .time_ns = i, .n = nstacks < 3 ? 0 : 3, .e = e};
		profile_add_snapshot(p, &s);
		struct lt_tick t = {.time_ns = i, .live_bytes = i};
		profile_add_ticks(p, &t, 1);
	}
	if (nstacks >= 3) {
		struct lt_thread t[2] = {{.tid = 10, .create_stack = LT_STACK_NONE, .wait_stack = 2,
		                          .status = LT_THREAD_LIVE, .state = 'S', .wait = 1},
		                         {.tid = 11, .create_stack = 1, .wait_stack = LT_STACK_NONE,
		                          .status = LT_THREAD_ENDED, .state = 'R'}};
		struct lt_thread_site site = {.stack = 1, .created = 1, .ended = 1};
		struct thread_snap ts = {.seqno = nsnaps, .time_ns = nsnaps, .n = 2, .t = t,
		                         .nsites = 1, .sites = &site};
		profile_add_threads(p, &ts);
	}
	p->end = PROF_EXITED;
}

/* Rewrites the file at path in the fuzzer's odd-byte form. */
static int write_structured(const char *path, const char *out)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	static unsigned char b[1 << 20];
	size_t len = fread(b, 1, sizeof(b), f);
	fclose(f);
	struct bytes_out o;
	bytes_out_init(&o);
	bytes_put_mem(&o, "\x01", 1);
	for (size_t off = 16; off + 16 <= len;) {
		uint32_t stored = bytes_load_u32(b + off + 4);
		uLongf raw_len = bytes_load_u32(b + off + 8);
		unsigned char *raw = malloc(raw_len + 1);
		if (raw_len > 0xffff || off + 16 + stored > len ||
		    uncompress(raw, &raw_len, b + off + 16, stored) != Z_OK) {
			free(raw);
			break;
		}
		bytes_put_mem(&o, b + off, 1);
		bytes_put_u16(&o, (uint16_t)raw_len);
		bytes_put_mem(&o, raw, raw_len);
		free(raw);
		off += 16 + stored;
	}
	f = fopen(out, "wb");
	if (!f || fwrite(o.p, 1, o.len, f) != o.len || fclose(f) != 0)
		return -1;
	bytes_out_fini(&o);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: seed_recording DIR\n");
		return 2;
	}
	static const uint32_t shapes[][2] = {{0, 0}, {3, 1}, {12, 4}};
	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		char path[4096], out[4096];
		snprintf(path, sizeof(path), "%s/seed%zu.lkt", argv[1], i);
		snprintf(out, sizeof(out), "%s/seed%zu.records", argv[1], i);
		struct profile *p = profile_new();
		struct rec_writer w;
		if (rec_writer_create(&w, path, err, sizeof(err)) < 0) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
		fill(p, shapes[i][0], shapes[i][1] / 2);
		rec_writer_sync(&w, p, err, sizeof(err));
		fill(p, shapes[i][0], shapes[i][1]);
		if (rec_writer_finish(&w, p, err, sizeof(err)) < 0 || write_structured(path, out) < 0) {
			fprintf(stderr, "%s: %s\n", path, err);
			return 1;
		}
		profile_free(p);
	}
	return 0;
}
