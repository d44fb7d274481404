/* aligned_new.cc - target: C++17 aligned new (std::align_val_t).
 *
 * libstdc++ implements aligned new with aligned_alloc after rounding the
 * size up to a multiple of the alignment; every size here already is one,
 * so the expected figures are exact. leak_aligned_new_64x128 keeps 16
 * objects of 128 bytes aligned to 64; leak_aligned_new_explicit keeps 8
 * blocks of 512 bytes from ::operator new(512, std::align_val_t(256));
 * free_aligned_new frees 16 objects and 4 arrays of 4 of them with the
 * aligned (and sized) delete forms.
 *
 * Read by tests/integration/run.sh:
 * exit: 13
 * expect: leak_aligned_new_64x128 live_bytes=2048 live_blocks=16 alloc_calls=16
 * expect: leak_aligned_new_explicit live_bytes=4096 live_blocks=8 alloc_calls=8
 * expect: free_aligned_new live_bytes=0 live_blocks=0 alloc_calls=20
 */
#include <cstdint>
#include <cstdio>
#include <new>

struct alignas(64) Wide {
	char b[128];
};
static_assert(sizeof(Wide) == 128, "Wide must be 128 bytes");

static int misaligned;

__attribute__((noinline)) static void leak_aligned_new_64x128()
{
	for (int i = 0; i < 16; i++) {
		Wide *w = new Wide;
		misaligned += reinterpret_cast<std::uintptr_t>(w) % 64 != 0;
	}
}

__attribute__((noinline)) static void leak_aligned_new_explicit()
{
	for (int i = 0; i < 8; i++) {
		void *p = ::operator new(512, std::align_val_t(256));
		misaligned += reinterpret_cast<std::uintptr_t>(p) % 256 != 0;
	}
}

__attribute__((noinline)) static void free_aligned_new()
{
	for (int i = 0; i < 16; i++) {
		Wide *w = new Wide;
		misaligned += reinterpret_cast<std::uintptr_t>(w) % 64 != 0;
		delete w;
	}
	for (int i = 0; i < 4; i++) {
		Wide *a = new Wide[4];
		misaligned += reinterpret_cast<std::uintptr_t>(a) % 64 != 0;
		delete[] a;
	}
}

int main()
{
	leak_aligned_new_64x128();
	leak_aligned_new_explicit();
	free_aligned_new();
	if (misaligned) {
		std::fprintf(stderr, "aligned_new: %d blocks misaligned\n", misaligned);
		return 1;
	}
	std::printf("aligned_new: leaked 6144 bytes in 24 blocks\n");
	return 13;
}
