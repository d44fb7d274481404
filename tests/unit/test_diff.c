/* test_diff.c - a baseline from another run: diff_rebase files each of the
 * base's stacks under the id the current profile gives the same names,
 * whatever the addresses and ids of the two runs. */
#include "tui/diff.h"

#include <stdint.h>
#include <stdlib.h>

#include "check.h"

/* A stack of one run: id, its leaf's address and function; main calls it. */
struct site {
	uint32_t id;
	uint64_t leaf;
	const char *func;
};

/* A profile with these stacks, main at main_addr. */
static struct profile *make_run(const struct site *v, size_t n, uint64_t main_addr)
{
	struct profile *p = profile_new();
	struct frame_sym m = { .addr = main_addr, .func = "main", .module = "prog", .file = "" };
	CHECK_EQ_U64(profile_add_sym(p, &m), 0);
	for (size_t i = 0; i < n; i++) {
		struct frame_sym s = {
			.addr = v[i].leaf, .func = v[i].func, .module = "prog", .file = ""
		};
		const uint64_t f[] = { v[i].leaf, main_addr };
		CHECK_EQ_U64(profile_add_sym(p, &s), 0);
		CHECK_EQ_U64(profile_add_stack(p, v[i].id, f, 2), 0);
	}
	return p;
}

int main(void)
{
	/* The base run: alloc_a (id 1), alloc_b (id 2) and alloc_c (id 3),
	 * each called from main, holding 100, 200 and 300 bytes. */
	static const struct site base_sites[] = {
		{ 1, 0x100, "alloc_a" },
		{ 2, 0x200, "alloc_b" },
		{ 3, 0x300, "alloc_c" },
	};
	struct profile *base = make_run(base_sites, 3, 0x900);
	struct snap_entry be[] = {
		{ .id = 1, .c = { .live_bytes = 100, .live_blocks = 1, .alloc_calls = 1 } },
		{ .id = 2, .c = { .live_bytes = 200, .live_blocks = 2, .alloc_calls = 5 } },
		{ .id = 3, .c = { .live_bytes = 300, .live_blocks = 3, .alloc_calls = 3 } },
	};
	struct snapshot bs = {
		.seqno = 4, .time_ns = 1234, .totals = { .live_bytes = 600 }, .n = 3, .e = be
	};
	CHECK_EQ_U64(profile_add_snapshot(base, &bs), 0);

	/* The current run, at other addresses and ids: alloc_b is id 7,
	 * alloc_a ids 9 and 11 (two call sites of one name), alloc_d id 5;
	 * no alloc_c. */
	static const struct site cur_sites[] = {
		{ 11, 0x5108, "alloc_a" },
		{ 7, 0x5200, "alloc_b" },
		{ 9, 0x5100, "alloc_a" },
		{ 5, 0x5400, "alloc_d" },
	};
	struct profile *cur = make_run(cur_sites, 4, 0x5900);

	struct snapshot out;
	diff_rebase(&out, base, 0, cur);
	/* alloc_b's 200 bytes under 7, alloc_a's 100 under 9 (the lower of
	 * its two ids); alloc_c has no stack in cur; by id. */
	CHECK_EQ_U64(out.n, 2);
	if (out.n == 2) {
		CHECK_EQ_U64(out.e[0].id, 7);
		CHECK_EQ_U64(out.e[0].c.live_bytes, 200);
		CHECK_EQ_U64(out.e[0].c.live_blocks, 2);
		CHECK_EQ_U64(out.e[0].c.alloc_calls, 5);
		CHECK_EQ_U64(out.e[1].id, 9);
		CHECK_EQ_U64(out.e[1].c.live_bytes, 100);
	}
	CHECK_EQ_U64(out.seqno, 4);
	CHECK_EQ_U64(out.time_ns, 1234);
	CHECK_EQ_U64(out.totals.live_bytes, 600);
	free(out.e);

	/* Against itself, every stack stays under its own id. */
	diff_rebase(&out, base, 0, base);
	CHECK_EQ_U64(out.n, 3);
	for (uint32_t i = 0; i < out.n && i < 3; i++) {
		CHECK_EQ_U64(out.e[i].id, be[i].id);
		CHECK_EQ_U64(out.e[i].c.live_bytes, be[i].c.live_bytes);
	}
	free(out.e);

	profile_free(base);
	profile_free(cur);
	return CHECK_DONE();
}
