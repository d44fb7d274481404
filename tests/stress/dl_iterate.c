/* dl_iterate.c - allocation while the dynamic loader's lock is held:
 * inside dl_iterate_phdr callbacks, which load and unload libraries too.
 *
 * Usage: dl_iterate ROUNDS
 * Main and three threads, ROUNDS times each, walk the loaded objects with
 * dl_iterate_phdr; the callback, which glibc runs with its loader lock
 * held, copies each object's name (malloc), and loads and
 * unloads libm (the loader allocates as it loads, its lock held); once a
 * walk it loads libplug_a.so or libplug_b.so, calls into it (which
 * allocates), and unloads it. An unwinder that takes a lock of its own and then the
 * loader's, as libunwind's cache does, deadlocks here against a thread
 * that holds the loader's lock and allocates. Main keeps 4 blocks of 64
 * bytes from leak_in_walk. (The probe records allocations made with that
 * lock held with the allocating frame alone: enough for these figures.)
 *
 * args: 2000
 * exit: 0
 * expect: leak_in_walk live_bytes=256 live_blocks=4 alloc_calls=4
 * expect: name_copy live_bytes=0 live_blocks=0 alloc_calls>=4000
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "stress.h"

#define THREADS 3
#define DEPTH   10
#define ANSWER  (DEPTH * (DEPTH + 1) / 2 + 10)

static long rounds;
static char libs[2][4096];
static atomic_long wrong, objects;
static void *kept[4];
static int nkept;

struct walk {
	long round;
	int first, keep;
};

__attribute__((noinline)) static char *name_copy(const char *name)
{
	size_t n = strlen(name) + 1;
	char *p = malloc(n);
	return p ? memcpy(p, name, n) : NULL;
}

__attribute__((noinline)) static void *leak_in_walk(void)
{
	return memset(malloc(64), 'w', 64);
}

static int visit(struct dl_phdr_info *info, size_t size, void *data)
{
	struct walk *w = data;
	(void)size;
	char *copy = name_copy(info->dlpi_name ? info->dlpi_name : "");
	if (!copy)
		atomic_fetch_add(&wrong, 1);
	free(copy);
	atomic_fetch_add(&objects, 1);
	if (w->first && w->keep)
		kept[nkept++] = leak_in_walk();
	/* libm: a library this program does not link, with many relocations
	 * to make, so the lock is held long and often. */
	void *m = dlopen("libm.so.6", RTLD_NOW | RTLD_LOCAL);
	if (m)
		dlclose(m);
	else
		atomic_fetch_add(&wrong, 1);
	if (!w->first)
		return 0;
	w->first = 0;
	void *h = dlopen(libs[w->round % 2], RTLD_NOW | RTLD_LOCAL);
	unsigned long (*work)(int) = h ? (unsigned long (*)(int))dlsym(h, "plug_work") : NULL;
	if (!work || work(DEPTH) != ANSWER)
		atomic_fetch_add(&wrong, 1);
	if (h)
		dlclose(h);
	return 0;
}

static void *walker(void *arg)
{
	for (long r = 0; r < rounds; r++) {
		struct walk w = { r + (long)(uintptr_t)arg, 1, arg == NULL && r < 4 };
		dl_iterate_phdr(visit, &w);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	rounds = arg_count(argc, argv, 1, 2000);
	beside_self(libs[0], sizeof libs[0], "libplug_a.so");
	beside_self(libs[1], sizeof libs[1], "libplug_b.so");

	pthread_t t[THREADS];
	for (int i = 0; i < THREADS; i++)
		if (pthread_create(&t[i], NULL, walker, (void *)(uintptr_t)(i + 1)))
			die("pthread_create: %s", strerror(errno));
	walker(NULL);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	check(atomic_load(&wrong) == 0 && atomic_load(&objects) >= rounds * (THREADS + 1) * 4,
	      "dl_iterate: %ld walks of the loaded objects by %d threads, each callback "
	      "allocating, loading and unloading libraries",
	      rounds * (THREADS + 1), THREADS + 1);
	return stress_done();
}
