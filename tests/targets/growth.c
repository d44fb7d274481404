/* growth.c - a leak of 1 MiB a second inside heavy churn: what sampling
 * (`--sample`) must still find within seconds.
 *
 * It runs for the seconds given (1 by default) in ticks of 125 ms, and on
 * every tick:
 *   - leak_session_state keeps 128 blocks of 1 KiB: 1 MiB a second, a
 *     straight line going up;
 *   - churn_request allocates and frees 4,000 blocks of 16 B to 4 KiB
 *     (random sizes from a fixed seed): about 65 MiB a second that never
 *     stays, the traffic a sampler must see through.
 * Every tick sleeps the rest of its 125 ms, so the leak's rate is that of
 * the clock; its figures at exit depend only on the argument. With 1
 * second (8 ticks):
 *
 * Read by tests/integration/run.sh:
 * args: 1
 * exit: 0
 * expect: leak_session_state live_bytes=1048576 live_blocks=1024 alloc_calls=1024
 * expect: churn_request live_bytes=0 live_blocks=0 alloc_calls=32000
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TICK_NS        125000000L
#define LEAK_PER_TICK  128
#define LEAK_BLOCK     1024
#define CHURN_PER_TICK 4000

static void *leaked_head;

__attribute__((noinline)) static void leak_session_state(void)
{
	for (int i = 0; i < LEAK_PER_TICK; i++) {
		void **p = malloc(LEAK_BLOCK);
		if (!p)
			exit(1);
		memset(p, 0, LEAK_BLOCK);
		*p = leaked_head; /* kept reachable: a leak that grows, not garbage */
		leaked_head = p;
	}
}

static uint64_t next_random(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

__attribute__((noinline)) static uint64_t churn_request(uint64_t *seed)
{
	static void *live[64];
	uint64_t sum = 0;
	for (int i = 0; i < CHURN_PER_TICK; i++) {
		size_t n = 16 + next_random(seed) % 4081;
		char *p = malloc(n);
		if (!p)
			exit(1);
		p[0] = (char)i;
		p[n - 1] = (char)n;
		sum += (unsigned char)p[n - 1];
		int k = i % 64;
		free(live[k]);
		live[k] = p;
	}
	for (int k = 0; k < 64; k++) {
		free(live[k]);
		live[k] = NULL;
	}
	return sum;
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 1;
	long ticks = (long)(seconds * 1e9 / TICK_NS + 0.5);
	uint64_t seed = 0x2545f4914f6cdd1dull, sum = 0;
	struct timespec next;
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (long t = 0; t < ticks; t++) {
		leak_session_state();
		sum += churn_request(&seed);
		next.tv_nsec += TICK_NS;
		if (next.tv_nsec >= 1000000000L) {
			next.tv_nsec -= 1000000000L;
			next.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
	}
	printf("growth: %ld ticks, %ld KiB leaked, checksum %llu\n", ticks,
	       ticks * LEAK_PER_TICK * LEAK_BLOCK / 1024, (unsigned long long)sum);
	return 0;
}
