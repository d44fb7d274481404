/* test_pprof.c - the pprof export: the wire format byte for byte (varints
 * at their edges, tags, length-delimited and packed fields, against the
 * protobuf documentation's own examples), then a whole profile written,
 * gunzipped and read back by the tests' own decoder (pprof_decode.h), its
 * normalized text compared whole: resolved, unresolved and moduleless
 * frames, stacks without frames, shared frames and functions, a sample
 * with nothing live, one with nothing at all, the snapshot chosen, and a
 * count past INT64_MAX. */
#define _GNU_SOURCE
#include "tui/pprof.h"

#include <stdlib.h>
#include <string.h>

#include "tests/tools/pprof_decode.h"
#include "tests/unit/check.h"

/* Whether o holds exactly the n bytes of want; prints both when not. */
static int same_bytes(const struct bytes_out *o, const unsigned char *want, size_t n)
{
	if (o->len == n && !memcmp(o->p, want, n))
		return 1;
	fprintf(stderr, "got");
	for (size_t i = 0; i < o->len; i++)
		fprintf(stderr, " %02x", o->p[i]);
	fprintf(stderr, ", want");
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, " %02x", want[i]);
	fputc('\n', stderr);
	return 0;
}

static void test_varints(void)
{
	static const struct {
		uint64_t v;
		size_t n;
		unsigned char b[10];
	} cases[] = {
		{ 0, 1, { 0x00 } },
		{ 1, 1, { 0x01 } },
		{ 127, 1, { 0x7f } },
		{ 128, 2, { 0x80, 0x01 } },
		{ 300, 2, { 0xac, 0x02 } },
		{ 16383, 2, { 0xff, 0x7f } },
		{ 16384, 3, { 0x80, 0x80, 0x01 } },
		{ UINT32_MAX, 5, { 0xff, 0xff, 0xff, 0xff, 0x0f } },
		{ (1ull << 63) - 1, 9, { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f } },
		{ 1ull << 63, 10, { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01 } },
		{ UINT64_MAX, 10, { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 } },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct bytes_out o;
		bytes_out_init(&o);
		pprof_put_varint(&o, cases[i].v);
		CHECK(same_bytes(&o, cases[i].b, cases[i].n));
		CHECK_EQ_U64(pprof_varint_len(cases[i].v), cases[i].n);
		/* and the decoder reads it back */
		struct pd_in in = { o.p, o.len, 0, 0 };
		uint64_t back = 0;
		CHECK_EQ_U64(pd_varint(&in, &back), 0);
		CHECK_EQ_U64(back, cases[i].v);
		CHECK_EQ_U64(in.pos, cases[i].n);
		bytes_out_fini(&o);
	}
	/* The decoder refuses an 11-byte varint and a 10th byte above 1. */
	static const unsigned char eleven[11] = { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
		                                  0x80, 0x80, 0x80, 0x80, 0x00 };
	static const unsigned char big10[10] = { 0xff, 0xff, 0xff, 0xff, 0xff,
		                                 0xff, 0xff, 0xff, 0xff, 0x02 };
	uint64_t v;
	struct pd_in in = { eleven, sizeof eleven, 0, 0 };
	CHECK_EQ_U64(pd_varint(&in, &v), (uint64_t)-1);
	in = (struct pd_in){ big10, sizeof big10, 0, 0 };
	CHECK_EQ_U64(pd_varint(&in, &v), (uint64_t)-1);
}

static void test_fields(void)
{
	struct bytes_out o;
	bytes_out_init(&o);
	/* The protobuf encoding guide's examples: field 1 = 150; field 2 =
	 * "testing"; field 4 packed = 3, 270, 86942. */
	pprof_put_uint(&o, 1, 150);
	static const unsigned char u[] = { 0x08, 0x96, 0x01 };
	CHECK(same_bytes(&o, u, sizeof u));
	o.len = 0;
	pprof_put_len(&o, 2, "testing", 7);
	static const unsigned char s[] = { 0x12, 0x07, 't', 'e', 's', 't', 'i', 'n', 'g' };
	CHECK(same_bytes(&o, s, sizeof s));
	o.len = 0;
	uint64_t v[] = { 3, 270, 86942 };
	pprof_put_packed(&o, 4, v, 3);
	static const unsigned char pk[] = { 0x22, 0x06, 0x03, 0x8e, 0x02, 0x9e, 0xa7, 0x05 };
	CHECK(same_bytes(&o, pk, sizeof pk));
	/* An empty packed field is no field at all; an empty string is a
	 * tag and a zero length. A field number past 15 takes a 2-byte tag. */
	o.len = 0;
	pprof_put_packed(&o, 4, v, 0);
	CHECK_EQ_U64(o.len, 0);
	pprof_put_len(&o, 6, "", 0);
	pprof_put_uint(&o, 16, 1);
	static const unsigned char e[] = { 0x32, 0x00, 0x80, 0x01, 0x01 };
	CHECK(same_bytes(&o, e, sizeof e));
	bytes_out_fini(&o);
}

static void add_sym(struct profile *p, uint64_t addr, const char *func, const char *module,
                    const char *file, uint32_t line)
{
	struct frame_sym s = { addr, func, module, file, line };
	CHECK_EQ_U64(profile_add_sym(p, &s), 0);
}

static void add_snapshot(struct profile *p, uint64_t time_ns, const struct snap_entry *e,
                         uint32_t n)
{
	struct snapshot s = { .seqno = p->nsnaps + 1, .time_ns = time_ns, .n = n };
	s.e = (struct snap_entry *)e;
	CHECK_EQ_U64(profile_add_snapshot(p, &s), 0);
}

/* What the profile below must read back as, whole. */
static const char want_text[] =
    "sample_types alloc_objects/count alloc_space/bytes inuse_objects/count inuse_space/bytes\n"
    "period_type space/bytes\n"
    "period 1\n"
    "time_nanos 1700000000000000000\n"
    "duration_nanos 3500000000\n"
    "comment program: /opt/app/bin/server\n"
    "comment pid: 4242\n"
    "tables 20 strings, 5 samples, 8 locations, 7 functions, 3 mappings\n"
    "mapping server [0x401010, 0x401031) functions filenames line_numbers\n"
    "mapping [unknown] [0x9000, 0x9001) functions filenames line_numbers\n"
    "mapping libc.so.6 [0x7f0000001000, 0x7f0000001001) functions filenames line_numbers\n"
    "location 0x0 [unknown] [stack table full]\n"
    "location 0x401010 server leak src/a.c:10\n"
    "location 0x401020 server main src/a.c:20\n"
    "location 0x401030 server leak src/a.c:11\n"
    "location 0x7f0000001000 libc.so.6 libc.so.6+0x7f0000001000\n"
    "location 0x9000 [unknown] 0x9000\n"
    "location 0x401028 server main\n"
    "location 0x0 [unknown] [before leaktop started]\n"
    "sample 3 48 0 0: [stack table full]\n"
    "sample 10 4096 2 1024: leak <- main\n"
    "sample 1 9223372036854775807 1 64: leak <- main\n"
    "sample 5 500 0 0: libc.so.6+0x7f0000001000 <- 0x9000 <- main\n"
    "sample 7 70 7 70: [before leaktop started]\n";

static void test_profile(void)
{
	struct profile *p = profile_new();
	CHECK(p != NULL);
	CHECK_EQ_U64(profile_set_program(p, "/opt/app/bin/server"), 0);
	p->pid = 4242;
	p->start_ns = 1700000000000000000ull;

	uint64_t s1[] = { 0x401010, 0x401020 };               /* leak <- main */
	uint64_t s2[] = { 0x401030, 0x401020 };               /* leak (another line) <- main */
	uint64_t s3[] = { 0x7f0000001000, 0x9000, 0x401028 }; /* unresolved, moduleless */
	uint64_t s4[] = { 0x401010 };
	CHECK_EQ_U64(profile_add_stack(p, 0, NULL, 0), 0); /* the stack table was full */
	CHECK_EQ_U64(profile_add_stack(p, 1, s1, 2), 0);
	CHECK_EQ_U64(profile_add_stack(p, 2, s2, 2), 0);
	CHECK_EQ_U64(profile_add_stack(p, 3, s3, 3), 0);
	CHECK_EQ_U64(profile_add_stack(p, 4, s4, 1), 0);
	CHECK_EQ_U64(profile_add_stack(p, 5, NULL, 0), 0); /* blocks from before the probe */
	add_sym(p, 0x401010, "leak", "server", "src/a.c", 10);
	add_sym(p, 0x401020, "main", "server", "src/a.c", 20);
	add_sym(p, 0x401030, "leak", "server", "src/a.c", 11);
	add_sym(p, 0x7f0000001000, "", "libc.so.6", "", 0); /* a module, no function */
	add_sym(p, 0x401028, "main", "server", "", 0);      /* another main: no file */
	/* 0x9000 has no symbol at all */

	/* Snapshot 1 differs everywhere: the export must take snapshot 2. */
	struct snap_entry first[] = { { 1, { 99, 99, 99, 99, 0 } } };
	add_snapshot(p, p->start_ns + 1000000000ull, first, 1);
	struct snap_entry e[] = {
		{ 0, { 0, 0, 3, 48, 3 } },          /* all freed: alloc counts only */
		{ 1, { 1024, 2, 10, 4096, 8 } },    /* live 1024 B in 2 of 10 */
		{ 2, { 64, 1, 1, UINT64_MAX, 0 } }, /* alloc_bytes past INT64_MAX */
		{ 3, { 0, 0, 5, 500, 5 } },         /* nothing live */
		{ 4, { 0, 0, 0, 0, 1 } },           /* frees only: no sample */
		{ 5, { 70, 7, 7, 70, 0 } },
	};
	add_snapshot(p, p->start_ns + 3500000000ull, e, 6);

	char *text = NULL;
	size_t textn = 0;
	FILE *f = tmpfile(), *t = open_memstream(&text, &textn);
	CHECK(f && t);
	CHECK_EQ_U64(pprof_write(f, p, 1), 0);
	rewind(f);
	unsigned char gz[1 << 16];
	size_t n = fread(gz, 1, sizeof gz, f);
	fclose(f);
	CHECK(n > 18 && gz[0] == 0x1f && gz[1] == 0x8b && gz[2] == 8); /* gzip, deflate */

	char err[256] = "";
	unsigned char *raw = NULL;
	size_t rawn = 0;
	struct pd_profile d;
	memset(&d, 0, sizeof d);
	CHECK_EQ_U64(pd_gunzip(gz, n, &raw, &rawn, err, sizeof err), 0);
	CHECK_EQ_U64(pd_decode(raw, rawn, &d, err, sizeof err), 0);
	CHECK_EQ_U64(pd_check(&d, err, sizeof err), 0);
	if (*err)
		fprintf(stderr, "decoder: %s\n", err);
	pd_print(t, &d);
	fclose(t);
	CHECK_STR(text, want_text);
	CHECK_STR(d.str[0], "");

	/* Ids are 1..n, in the order of the tables; sample ids are leaf first. */
	for (size_t i = 0; i < d.nlocation; i++)
		CHECK_EQ_U64(d.location[i].id, i + 1);
	for (size_t i = 0; i < d.nfunction; i++)
		CHECK_EQ_U64(d.function[i].id, i + 1);
	CHECK_EQ_U64(d.nsample, 5);
	CHECK_EQ_U64(d.sample[1].nloc, 2);
	CHECK_EQ_U64(d.sample[1].loc[0], 2); /* 0x401010, leak */
	CHECK_EQ_U64(d.sample[1].loc[1], 3); /* 0x401020, main */
	/* the program's mapping is listed first though its id is not 1 */
	CHECK_EQ_U64(d.mapping[0].id, 2);

	/* The folded form of inuse_space: the samples with something live. */
	free(text);
	t = open_memstream(&text, &textn);
	pd_print_folded(t, &d, 3);
	fclose(t);
	CHECK_STR(text, "main;leak 1024\nmain;leak 64\n[before leaktop started] 70\n");

	free(text);
	free(raw);
	pd_free(&d);
	profile_free(p);
}

/* The decoder must fail, naming why, on a profile whose ids do not hold:
 * the checks the integration tests rely on can fail. */
static void test_checks_fail(void)
{
	static const struct {
		const char *what;
		unsigned char b[32];
		size_t n;
	} cases[] = {
		/* string_table ["x"] */
		{ "string_table[0]", { 0x32, 0x01, 'x' }, 3 },
		/* "", a sample type, a sample of one value at location 7, no locations */
		{ "location 7",
		  { 0x32, 0x00, 0x0a, 0x00, 0x12, 0x05, 0x0a, 0x01, 0x07, 0x10, 0x01 },
		  11 },
		/* "", two locations with id 1 */
		{ "location id 1 is not unique",
		  { 0x32, 0x00, 0x0a, 0x00, 0x22, 0x02, 0x08, 0x01, 0x22, 0x02, 0x08, 0x01 },
		  12 },
		/* "", a location of id 1 in mapping 0 */
		{ "mapping 0",
		  { 0x32, 0x00, 0x0a, 0x00, 0x22, 0x06, 0x08, 0x01, 0x22, 0x02, 0x08, 0x01 },
		  12 },
		/* a length past the end */
		{ "length past the end", { 0x32, 0x05, 'a' }, 3 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct pd_profile d;
		char err[256] = "";
		int rc = pd_decode(cases[i].b, cases[i].n, &d, err, sizeof err);
		if (rc == 0)
			rc = pd_check(&d, err, sizeof err);
		CHECK_EQ_U64(rc, (uint64_t)-1);
		if (!strstr(err, cases[i].what)) {
			fprintf(stderr, "case %zu: the message \"%s\" does not say why\n", i, err);
			check_failures++;
		}
		pd_free(&d);
	}
}

int main(void)
{
	test_varints();
	test_fields();
	test_profile();
	test_checks_fail();
	return CHECK_DONE();
}
