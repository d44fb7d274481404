/* demo.c - the program `make demo` watches: a small server that leaks.
 *
 * At start, load_config_table takes 2 MiB and keeps it: a big block that
 * never moves, which no leak ranking may put above the small leak.
 * It runs for the number of seconds given (60 by default) in ticks of
 * 100 ms, and on every tick:
 *   - handle_request keeps a 4 KiB buffer from leak_request_buffer: the
 *     steady leak, a straight line going up;
 *   - cache_store adds 16 entries of 2 KiB to a cache that cache_flush
 *     empties every 30 ticks (3 s): a sawtooth that is not a leak;
 *   - every 50 ticks (5 s), from tick 0, one more thread starts, keeps a
 *     256-byte session from leak_parked_session and parks forever on a
 *     condition variable nobody signals (what a stuck worker looks like).
 * The work is counted in ticks, not read from the clock, so the figures at
 * exit depend only on the argument; with 1 second (10 ticks) they are:
 *
 * Read by tests/integration/run.sh:
 * args: 1
 * exit: 0
 * expect: leak_request_buffer live_bytes=40960 live_blocks=10 alloc_calls=10
 * expect: cache_store live_bytes=327680 live_blocks=160 alloc_calls=160
 * expect: leak_parked_session live_bytes=256 live_blocks=1 alloc_calls=1
 * expect: load_config_table live_bytes=2097152 live_blocks=1 alloc_calls=1
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TICK_NS        100000000L
#define CACHE_PER_TICK 16
#define CACHE_ENTRY    2048
#define FLUSH_TICKS    30
#define PARK_TICKS     50
#define CONFIG_BYTES   (2 << 20)

struct entry {
	struct entry *next;
	char data[CACHE_ENTRY - sizeof(struct entry *)];
};

static struct entry *cache;
static pthread_mutex_t park_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;
static pthread_cond_t parked_cv = PTHREAD_COND_INITIALIZER;
static int parked;

static char *config;

__attribute__((noinline)) static char *load_config_table(void)
{
	return memset(malloc(CONFIG_BYTES), 'c', CONFIG_BYTES);
}

__attribute__((noinline)) static char *leak_request_buffer(int tick)
{
	char *buf = malloc(4096);
	snprintf(buf, 4096, "request %d", tick);
	return buf;
}

__attribute__((noinline)) static void handle_request(int tick)
{
	char *buf = leak_request_buffer(tick);
	(void)buf; /* forgotten: the leak */
}

__attribute__((noinline)) static void cache_store(int tick)
{
	for (int i = 0; i < CACHE_PER_TICK; i++) {
		struct entry *e = malloc(sizeof *e);
		memset(e->data, tick, sizeof e->data);
		e->next = cache;
		cache = e;
	}
}

__attribute__((noinline)) static void cache_flush(void)
{
	while (cache) {
		struct entry *e = cache;
		cache = e->next;
		free(e);
	}
}

__attribute__((noinline)) static void *leak_parked_session(void)
{
	return memset(malloc(256), 0, 256);
}

static void *parked_worker(void *arg)
{
	(void)arg;
	void *session = leak_parked_session();
	pthread_mutex_lock(&park_lock);
	parked++;
	pthread_cond_broadcast(&parked_cv);
	for (;;) /* nobody ever signals `never` */
		pthread_cond_wait(&never, &park_lock);
	return session;
}

/* Starts one more parked thread and waits until it holds its session, so
 * the count at exit does not depend on scheduling. */
static void start_parked_worker(void)
{
	pthread_t t;
	pthread_mutex_lock(&park_lock);
	int want = parked + 1;
	if (pthread_create(&t, NULL, parked_worker, NULL) == 0) {
		pthread_detach(t);
		while (parked < want)
			pthread_cond_wait(&parked_cv, &park_lock);
	}
	pthread_mutex_unlock(&park_lock);
}

int main(int argc, char **argv)
{
	int seconds = argc > 1 ? atoi(argv[1]) : 60;
	int ticks = seconds > 0 ? seconds * 10 : 0;
	struct timespec next;

	config = load_config_table();
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (int tick = 0; tick < ticks; tick++) {
		if (tick % PARK_TICKS == 0)
			start_parked_worker();
		handle_request(tick);
		cache_store(tick);
		if ((tick + 1) % FLUSH_TICKS == 0)
			cache_flush();
		if ((tick + 1) % 10 == 0) { /* a log line a second, for leaktop run's log view */
			printf("demo: tick %d, %d requests leaked\n", tick + 1, tick + 1);
			fflush(stdout);
		}
		next.tv_nsec += TICK_NS;
		if (next.tv_nsec >= 1000000000L) {
			next.tv_nsec -= 1000000000L;
			next.tv_sec++;
		}
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL))
			;
	}
	printf("demo: %d ticks, %d parked threads\n", ticks, parked);
	return 0;
}
