/* cache_server.cc - a C++ server whose cache never evicts, for `leaktop
 * attach` on a C++ program (tests/integration/attach.sh).
 *
 *   cache_server SECONDS
 *
 * Two threads serve a request every millisecond: a std::string key and
 * value built and dropped in serve(). Every 10 ms thread 0 also stores the
 * pair in a std::map it never trims, in remember(): a map node and two
 * strings of 40 bytes or more (on the heap) that stay while it runs. After
 * SECONDS the program says it is done and exits with status 4; the map's
 * destructor then frees what it held, before the final snapshot.
 *
 * Read by tests/integration/run.sh, which starts it with the probe:
 * args: 0.4
 * exit: 4
 * expect: remember alloc_calls>=20 live_blocks=0
 * expect: serve live_blocks=0
 */
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <thread>

static std::atomic<bool> stop{ false };
static std::map<std::string, std::string> cache;
static std::mutex cache_lock;

__attribute__((noinline)) static void remember(const std::string &k, const std::string &v)
{
	std::lock_guard<std::mutex> g(cache_lock);
	cache.emplace(k, v);
}

__attribute__((noinline)) static size_t serve(unsigned id, unsigned long i)
{
	std::string key = "request-" + std::to_string(id) + "-" + std::to_string(i) +
	                  "-with-a-key-too-long-for-small-strings";
	std::string value(64 + i % 512, 'v');
	if (id == 0 && i % 10 == 0)
		remember(key, value);
	return key.size() + value.size();
}

static void worker(unsigned id)
{
	size_t sum = 0;
	for (unsigned long i = 0; !stop; i++) {
		sum += serve(id, i);
		std::this_thread::sleep_for(std::chrono::milliseconds(1));
	}
	(void)sum;
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? std::atof(argv[1]) : 10;
	std::thread a(worker, 0), b(worker, 1);
	std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
	stop = true;
	a.join();
	b.join();
	std::printf("cache_server: done\n");
	return 4;
}
