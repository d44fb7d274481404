// cxx.cc - a C++ workload for the overhead benchmark: the allocations of
// the standard containers and strings, through operator new.
//
// Each round builds an index of words (std::map of std::string to
// std::vector<int>) and a cache (std::unordered_map of std::string to
// std::string) that evicts its oldest entries, and joins strings; the
// words come from a fixed-seed generator, so every run does the same work.
// The checksum printed at the end keeps the compiler from removing any of
// it.
//
//   cxx [ROUNDS]      (default 40, about 1.5 s bare)
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

static uint64_t next_random(uint64_t &s)
{
	s ^= s << 13;
	s ^= s >> 7;
	s ^= s << 17;
	return s;
}

static std::string word(uint64_t &s)
{
	static const char letters[] = "etaoinshrdlucmfwypvbgkjqxz";
	std::string w;
	size_t n = 3 + next_random(s) % 14;
	for (size_t i = 0; i < n; i++)
		w += letters[next_random(s) % 26];
	return w;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 40;
	uint64_t seed = 0x9e3779b97f4a7c15ull, sum = 0;
	std::unordered_map<std::string, std::string> cache;
	std::deque<std::string> order;

	for (int r = 0; r < rounds; r++) {
		std::map<std::string, std::vector<int>> index;
		for (int i = 0; i < 20000; i++)
			index[word(seed)].push_back(i);
		for (auto &kv : index)
			sum += kv.first.size() * kv.second.size();

		for (int i = 0; i < 20000; i++) {
			std::string k = word(seed);
			std::string v = k + ":" + std::to_string(i) + ":" + word(seed);
			auto it = cache.find(k);
			if (it != cache.end()) {
				sum += it->second.size();
				it->second = v;
				continue;
			}
			cache.emplace(k, std::move(v));
			order.push_back(std::move(k));
			if (order.size() > 50000) {
				cache.erase(order.front());
				order.pop_front();
			}
		}

		std::vector<std::string> parts;
		for (int i = 0; i < 5000; i++)
			parts.push_back(word(seed));
		std::string joined;
		for (auto &p : parts)
			joined += p + ",";
		sum += joined.size();
	}
	printf("cxx: %d rounds, %zu cached, checksum %llu\n", rounds, cache.size(),
	       (unsigned long long)sum);
	return 0;
}
