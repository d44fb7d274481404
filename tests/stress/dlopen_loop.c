/* dlopen_loop.c - dlopen and dlclose in a loop while threads allocate,
 * inside the libraries and out.
 *
 * Usage: dlopen_loop ROUNDS
 * Main alone, then main and four threads at once, each load
 * libplug_a.so or libplug_b.so (beside this program) in turns, ROUNDS
 * times: dlopen, call plug_work, which allocates and frees inside the
 * library, check its answer, dlclose, allocate outside. Unloaded, a
 * library's addresses come back for the other one's code, so an unwinder
 * that kept what it learnt about the first one's frames would walk the
 * second's wrongly. Main also leaks 10 blocks of 100 bytes in
 * leak_dl_main.
 *
 * args: 3000
 * exit: 0
 * expect: leak_dl_main live_bytes=1000 live_blocks=10 alloc_calls=10
 * expect: between_loads live_bytes=0 live_blocks=0 alloc_calls>=5
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "stress.h"

#define THREADS 4
#define DEPTH   20
#define ANSWER  (DEPTH * (DEPTH + 1) / 2 + 10)

static long rounds;
static char libs[2][4096];
static atomic_long wrong, calls;
static void *kept[10];

__attribute__((noinline)) static void leak_dl_main(void)
{
	for (int i = 0; i < 10; i++)
		kept[i] = memset(malloc(100), i, 100);
}

__attribute__((noinline)) static void *between_loads(size_t n)
{
	return malloc(n);
}

static void *loop(void *arg)
{
	uintptr_t id = (uintptr_t)arg;
	for (long r = 0; r < rounds; r++) {
		void *h = dlopen(libs[(r + (long)id) % 2], RTLD_NOW | RTLD_LOCAL);
		if (!h) {
			atomic_fetch_add(&wrong, 1);
			continue;
		}
		unsigned long (*work)(int) = (unsigned long (*)(int))dlsym(h, "plug_work");
		if (!work || work(DEPTH) != ANSWER)
			atomic_fetch_add(&wrong, 1);
		atomic_fetch_add(&calls, 1);
		dlclose(h);
		free(between_loads((size_t)r % 4000 + 1));
	}
	return NULL;
}

int main(int argc, char **argv)
{
	rounds = arg_count(argc, argv, 1, 3000);
	beside_self(libs[0], sizeof libs[0], "libplug_a.so");
	beside_self(libs[1], sizeof libs[1], "libplug_b.so");

	leak_dl_main();
	loop((void *)0);
	pthread_t t[THREADS];
	for (int i = 0; i < THREADS; i++)
		if (pthread_create(&t[i], NULL, loop, (void *)(uintptr_t)(i + 1)))
			die("pthread_create: %s", strerror(errno));
	loop((void *)0);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	check(atomic_load(&calls) == rounds * (THREADS + 2) && atomic_load(&wrong) == 0,
	      "dlopen_loop: %ld loads, calls and unloads of two libraries in turns, by one thread "
	      "then %d at once, each call's answer right",
	      rounds * (THREADS + 2), THREADS + 1);
	return stress_done();
}
