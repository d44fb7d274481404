/* containers.cc - target: std::vector and std::string growth.
 *
 * free_container_growth grows a vector to 1000 ints and a string to 1000
 * characters one element at a time and lets both go out of scope: many
 * allocations (how many is libstdc++'s growth policy, so only "at least
 * two" is asserted), nothing live. The allocations happen several frames
 * below it (push_back, _M_realloc_insert, allocate, operator new), which
 * also checks that the probe's stacks are deep enough.
 * leak_vector_new_x5 keeps 5 heap vectors of 250 ints: 5 objects of 24
 * bytes and 5 buffers of 1000 bytes.
 *
 * Read by tests/integration/run.sh:
 * exit: 14
 * expect: leak_vector_new_x5 live_bytes=5120 live_blocks=10 alloc_calls=10
 * expect: free_container_growth live_bytes=0 live_blocks=0 alloc_calls>=2
 */
#include <cstdio>
#include <string>
#include <vector>

static_assert(sizeof(std::vector<int>) == 24, "vector object must be 24 bytes");

static unsigned long checksum;

__attribute__((noinline)) static void leak_vector_new_x5()
{
	for (int i = 0; i < 5; i++) {
		std::vector<int> *v = new std::vector<int>(250, i);
		checksum += v->size();
	}
}

__attribute__((noinline)) static void free_container_growth()
{
	std::vector<int> v;
	std::string s;
	for (int i = 0; i < 1000; i++) {
		v.push_back(i);
		s += static_cast<char>('a' + i % 26);
	}
	checksum += v.size() + s.size();
}

int main()
{
	leak_vector_new_x5();
	free_container_growth();
	std::printf("containers: checksum %lu\n", checksum);
	return 14;
}
