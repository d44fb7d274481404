/* exit_late.cc - allocation at every stage of a thread's and a process's
 * end, down to an exit handler that runs after the probe's own.
 *
 * Usage: exit_late
 * Four threads each hold a thread_local object and a pthread key value
 * whose destructors allocate (after the probe has seen the thread end):
 * each keeps one block, 64 bytes from tls_dtor_leak and 32 from
 * key_dtor_leak. At exit, in glibc's order: main's thread_local
 * destructor (another 64 bytes), an atexit handler (200 bytes from
 * atexit_leak), this program's finalizer (16 bytes from dtor_leak), then
 * the dynamic loader's handler, which runs the libraries' finalizers: the
 * probe's publishes the final snapshot, and liblate.so's registers one
 * more exit handler, which glibc runs last: it allocates (8000 bytes from
 * late_leak, which the final snapshot cannot show), frees, and prints.
 * Main returns 3.
 *
 * With STRESS_NOTE=FILE, main, the atexit handler and the late handler
 * write to FILE how many segments of this pid /dev/shm has: under the
 * probe alone (no launcher) 1, 1, and 0, the probe's finalizer having
 * given the segment's name back. run.sh reads it.
 *
 * exit: 3
 * expect: tls_dtor_leak live_bytes=320 live_blocks=5 alloc_calls=5
 * expect: key_dtor_leak live_bytes=128 live_blocks=4 alloc_calls=4
 * expect: atexit_leak live_bytes=200 live_blocks=1 alloc_calls=1
 * expect: dtor_leak live_bytes=16 live_blocks=1 alloc_calls=1
 * expect: late_leak alloc_calls=0
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern "C" void late_note(const char *when); /* liblate.c */

static int failures;
static pthread_key_t key;

static void say(bool ok, const char *what)
{
	printf("%s: %s\n", ok ? "ok" : "FAIL", what);
	failures += !ok;
}

__attribute__((noinline)) static void *tls_dtor_leak()
{
	return memset(malloc(64), 't', 64);
}

__attribute__((noinline)) static void *key_dtor_leak()
{
	return memset(malloc(32), 'k', 32);
}

__attribute__((noinline)) static void *atexit_leak()
{
	return memset(malloc(200), 'a', 200);
}

__attribute__((noinline)) static void *dtor_leak()
{
	return memset(malloc(16), 'd', 16);
}

static void *volatile sink[16];

struct at_thread_end {
	char *mine = static_cast<char *>(malloc(100));
	~at_thread_end()
	{
		free(mine);
		void *p = tls_dtor_leak();
		for (auto &s : sink)
			if (!s) {
				s = p;
				break;
			}
		free(malloc(5000));
	}
};

static thread_local at_thread_end tls;

static void *volatile kept_by_key[8];

static void key_destructor(void *v)
{
	free(v);
	static int n;
	void *p = key_dtor_leak();
	kept_by_key[__atomic_fetch_add(&n, 1, __ATOMIC_RELAXED) % 8] = p;
}

static void *worker(void *)
{
	tls.mine[0] = 'w';
	pthread_setspecific(key, malloc(50));
	free(malloc(1000));
	return nullptr;
}

static void early()
{
	sink[14] = atexit_leak();
	free(malloc(777));
	late_note("atexit handler");
}

__attribute__((destructor)) static void finalizer()
{
	sink[13] = dtor_leak();
}

int main()
{
	pthread_key_create(&key, key_destructor);
	tls.mine[0] = 'm';
	pthread_t t[4];
	for (auto &th : t)
		pthread_create(&th, nullptr, worker, nullptr);
	for (auto &th : t)
		pthread_join(th, nullptr);
	int kept = 0;
	for (auto &s : sink)
		kept += s != nullptr;
	say(kept == 4, "exit_late: 4 threads' thread_local destructors allocated after their ends");
	atexit(early);
	late_note("main");
	fflush(stdout);
	return failures ? 1 : 3;
}
