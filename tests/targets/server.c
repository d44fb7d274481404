/* server.c - a long-running multi-threaded server with a slow leak, for
 * `leaktop attach`: started without the probe, attached to while it runs.
 *
 *   server SECONDS [CODEC_MS]     (SECONDS 0: until its input ends; 0.5 is half a second)
 *
 * Four workers each handle a "request" every millisecond: a buffer of
 * 16 to 2,063 bytes allocated and freed in handle_request. Every 10 ms
 * worker 0 also leaks one 1,024-byte session in leak_session: 100 KiB a
 * second, all under one stack. With CODEC_MS, worker 0 also loads zlib
 * (dlopen, not linked) after about that many milliseconds, and 300 ms
 * later leaks a deflate stream in open_codec, and says so: what zlib
 * allocates goes through zlib's own GOT, which an attach made before the
 * load never saw. After SECONDS the workers stop and the program says it
 * is done (the same with or without leaktop) and exits with status 3. tests/integration/attach.sh attaches to it as it runs.
 *
 * Read by tests/integration/run.sh, which starts it with the probe:
 * args: 0.4
 * exit: 3
 * expect: leak_session live_blocks>=20 alloc_calls>=20
 * expect: handle_request live_bytes=0 live_blocks=0
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#define WORKERS 4

static volatile int stop;
static uint64_t requests[WORKERS];
static uint64_t leaked;
static void *sessions;

__attribute__((noinline)) static void leak_session(void)
{
	void **s = malloc(1024);
	memset(s, 0, 1024);
	s[0] = sessions; /* a list the program keeps and never frees */
	sessions = s;
	leaked += 1024;
}

__attribute__((noinline)) static void handle_request(unsigned *seed)
{
	size_t n = 16 + rand_r(seed) % 2048;
	char *buf = malloc(n);
	memset(buf, 'x', n);
	free(buf);
}

static long codec_ms = -1;
static int (*deflate_init)(z_streamp, int, const char *, int);

/* Loads zlib; its first allocation comes 300 ms later, in open_codec. */
__attribute__((noinline)) static void load_codec(void)
{
	void *z = dlopen("libz.so.1", RTLD_NOW | RTLD_LOCAL);
	if (z)
		deflate_init = (int (*)(z_streamp, int, const char *, int))dlsym(z, "deflateInit_");
}

/* Starts a deflate stream it never ends: zlib allocates its state (about
 * 268 KiB at level 9) with malloc, through its own GOT. */
__attribute__((noinline)) static void open_codec(void)
{
	static z_stream strm;
	if (deflate_init)
		deflate_init(&strm, 9, ZLIB_VERSION, (int)sizeof strm);
}

static void *worker(void *arg)
{
	int id = (int)(intptr_t)arg;
	unsigned seed = (unsigned)id + 1;
	struct timespec tick = { 0, 1000000 };
	/* At least one request each, so worker 0 has leaked a session even
	 * when its input ends at once: the output does not hang on timing. */
	uint64_t i = 0;
	do {
		handle_request(&seed);
		requests[id]++;
		if (id == 0 && i % 10 == 0)
			leak_session();
		if (id == 0 && codec_ms >= 0 && (long)i == codec_ms)
			load_codec();
		if (id == 0 && codec_ms >= 0 && (long)i == codec_ms + 300) {
			open_codec();
			printf("server: codec open\n");
			fflush(stdout);
		}
		nanosleep(&tick, NULL);
		i++;
	} while (!stop);
	return NULL;
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 10;
	codec_ms = argc > 2 ? atol(argv[2]) : -1;
	pthread_t t[WORKERS];
	for (int i = 0; i < WORKERS; i++)
		pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i);
	if (seconds > 0) {
		struct timespec end = { (time_t)seconds, (long)((seconds - (time_t)seconds) * 1e9) };
		nanosleep(&end, NULL);
	} else {
		char buf[256];
		while (fread(buf, 1, sizeof buf, stdin) > 0)
			;
	}
	stop = 1;
	for (int i = 0; i < WORKERS; i++)
		pthread_join(t[i], NULL);
	printf("server: done, leaked %s\n", leaked > 0 ? "some sessions" : "nothing");
	return 3;
}
