/* exceptions.cc - C++ exceptions thrown through frames that allocate.
 *
 * Usage: exceptions ROUNDS
 * Main and three threads, ROUNDS times each: descend 40 calls deep, each
 * level holding a std::string and a std::vector on the heap, and throw
 * from the bottom (the exception itself is allocated, and carries a
 * string); half the time a level halfway up catches it, allocates, and
 * rethrows. The top catches it and checks its message. Unwinding frees
 * every level's objects as it passes (the probe's unwinder and the
 * exception unwinder must not meet). Then new and new[] of sizes no
 * allocator can give throw std::bad_alloc, and the nothrow forms return
 * null. The first 10 throws of main also keep 128 bytes each from
 * leak_before_throw (called by level, so counted under it too): all that
 * is live of level's.
 *
 * args: 5000
 * exit: 0
 * expect: leak_before_throw live_bytes=1280 live_blocks=10 alloc_calls=10
 * expect: level live_bytes=1280 live_blocks=10 alloc_calls>=1000
 */
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <new>
#include <pthread.h>
#include <stdexcept>
#include <string>
#include <vector>

#define DEPTH 40

static int failures;
static std::vector<char *> kept;
static thread_local bool keep;

static void say(bool ok, const char *what, long n)
{
	std::printf("%s: ", ok ? "ok" : "FAIL");
	std::printf(what, n);
	std::printf("\n");
	failures += !ok;
}

__attribute__((noinline)) static char *leak_before_throw(int n)
{
	char *p = new char[128];
	std::memset(p, n, 128);
	return p;
}

__attribute__((noinline)) static size_t level(int depth, int round)
{
	std::string name =
	    "level " + std::to_string(depth) + " of a round that throws, long enough";
	std::vector<int> numbers(static_cast<size_t>(depth) * 3 + 1, depth);
	if (depth == DEPTH) {
		if (keep && kept.size() < 10)
			kept.push_back(leak_before_throw(round));
		throw std::runtime_error("thrown at the bottom of round " + std::to_string(round));
	}
	if (depth == DEPTH / 2 && round % 2) {
		try {
			return level(depth + 1, round) + name.size();
		} catch (const std::runtime_error &) {
			std::vector<std::string> noise(5, name);
			throw;
		}
	}
	return level(depth + 1, round) + numbers.size();
}

static long run(long rounds)
{
	long bad = 0;
	for (long r = 0; r < rounds; r++) {
		try {
			level(1, static_cast<int>(r));
			bad++;
		} catch (const std::runtime_error &e) {
			bad += e.what() != "thrown at the bottom of round " + std::to_string(r);
		}
	}
	return bad;
}

static void *thread_main(void *arg)
{
	return reinterpret_cast<void *>(run(reinterpret_cast<intptr_t>(arg)));
}

static bool new_throws(size_t n)
{
	try {
		char *volatile p = new char[n];
		delete[] p;
		return false;
	} catch (const std::bad_alloc &) {
		return true;
	}
}

int main(int argc, char **argv)
{
	long rounds = argc > 1 ? std::atol(argv[1]) : 5000;
	keep = true;
	long bad = run(10);
	keep = false;
	pthread_t t[3];
	for (auto &th : t)
		pthread_create(&th, nullptr, thread_main, reinterpret_cast<void *>(rounds));
	bad += run(rounds);
	for (auto &th : t) {
		void *ret;
		pthread_join(th, &ret);
		bad += reinterpret_cast<intptr_t>(ret);
	}
	say(bad == 0 && kept.size() == 10,
	    "exceptions: %ld throws through 40 allocating frames, half of them caught and "
	    "rethrown halfway, each caught at the top with its message",
	    4 * rounds + 10);
	volatile size_t huge = SIZE_MAX / 2;
	bool threw = new_throws(huge) && new_throws(huge / 2 + 1);
	char *nothrow = new (std::nothrow) char[huge];
	say(threw && !nothrow,
	    "exceptions: new[] of %ld bytes throws bad_alloc; new(nothrow) gives null",
	    static_cast<long>(huge));
	std::fflush(stdout);
	return failures ? 1 : 0;
}
