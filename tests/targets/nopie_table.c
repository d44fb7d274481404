/* nopie_table.c - a program built without PIE (the Makefile says so for
 * nopie_*) that allocates through a table of function pointers, as
 * CPython's allocator does; Debian's python3 is built this way.
 *
 *   nopie_table COUNT     (0: keep records until the input ends)
 *
 * Non-PIE code that takes malloc's address gives the executable a
 * "canonical PLT" symbol for malloc: an undefined symbol whose value is the
 * PLT stub, which dlsym(RTLD_DEFAULT, "malloc") returns. A probe loaded by
 * `leaktop attach` once took that stub for the real malloc, and the stub
 * jumps through the GOT entry the attach had pointed at the hook: the
 * program spun in the hook for ever. tests/integration/attach.sh attaches
 * to it.
 *
 * Every 2 ms it keeps a 512-byte record (keep_record) until it has COUNT,
 * and allocates and frees a 64-byte scratch buffer (use_scratch); once it
 * has them all and its input has ended, it frees nothing more, says so and
 * exits with status 5.
 *
 * args: 100
 * exit: 5
 * expect: keep_record live_bytes=51200 live_blocks=100 alloc_calls=100
 * expect: use_scratch live_bytes=0 live_blocks=0 alloc_calls>=100
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct allocator {
	void *(*alloc)(size_t);
	void (*release)(void *);
};

/* Taking the addresses here is what makes the canonical PLT symbols. */
static const struct allocator raw = { malloc, free };

static void *records;

__attribute__((noinline)) static void keep_record(void)
{
	void **r = raw.alloc(512);
	memset(r, 0, 512);
	r[0] = records;
	records = r;
}

__attribute__((noinline)) static void use_scratch(void)
{
	char *s = raw.alloc(64);
	memset(s, 's', 64);
	raw.release(s);
}

/* Whether standard input has ended (a poll that does not wait). */
static int input_ended(void)
{
	struct pollfd p = { 0, POLLIN, 0 };
	char c;
	return poll(&p, 1, 0) == 1 && (p.revents & (POLLIN | POLLHUP)) &&
	       fread(&c, 1, 1, stdin) == 0;
}

int main(int argc, char **argv)
{
	long count = argc > 1 ? atol(argv[1]) : 0;
	struct timespec tick = { 0, 2000000 };
	long kept = 0;
	int ended = 0;
	while (!ended || (count && kept < count)) {
		if (!count || kept < count) {
			keep_record();
			kept++;
		}
		use_scratch();
		if (!ended)
			ended = input_ended();
		nanosleep(&tick, NULL);
	}
	printf("nopie_table: kept %s\n",
	       count ? "all its records" : "records until its input ended");
	return 5;
}
