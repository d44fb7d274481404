/* new.cc - target: C++ operator new in its plain, array and nothrow forms,
 * and sized delete.
 *
 * libstdc++ builds every operator new on malloc, so each stack runs
 * malloc <- operator new(...) <- the function named here.
 * leak_new_obj_40x100 keeps 100 objects of 40 bytes; leak_new_array_300x20
 * keeps 20 char[300] (no array cookie for a trivially destructible type);
 * leak_new_nothrow_500x10 keeps 10 nothrow char[500]; free_sized_delete
 * frees 50 objects with a sized delete expression and 50 blocks with an
 * explicit ::operator delete(p, size).
 *
 * Read by tests/integration/run.sh:
 * exit: 12
 * expect: leak_new_obj_40x100 live_bytes=4000 live_blocks=100 alloc_calls=100
 * expect: leak_new_array_300x20 live_bytes=6000 live_blocks=20 alloc_calls=20
 * expect: leak_new_nothrow_500x10 live_bytes=5000 live_blocks=10 alloc_calls=10
 * expect: free_sized_delete live_bytes=0 live_blocks=0 alloc_calls=100
 */
#include <cstdio>
#include <cstring>
#include <new>

struct Obj {
	char b[40];
};
static_assert(sizeof(Obj) == 40, "Obj must be 40 bytes");

__attribute__((noinline)) static void leak_new_obj_40x100()
{
	for (int i = 0; i < 100; i++)
		std::memset(new Obj, i, sizeof(Obj));
}

__attribute__((noinline)) static void leak_new_array_300x20()
{
	for (int i = 0; i < 20; i++)
		std::memset(new char[300], i, 300);
}

__attribute__((noinline)) static void leak_new_nothrow_500x10()
{
	for (int i = 0; i < 10; i++) {
		char *p = new (std::nothrow) char[500];
		if (p)
			std::memset(p, i, 500);
	}
}

__attribute__((noinline)) static void free_sized_delete()
{
	for (int i = 0; i < 50; i++) {
		Obj *o = new Obj;
		delete o; /* operator delete(void*, unsigned long) under -fsized-deallocation */
	}
	for (int i = 0; i < 50; i++) {
		void *p = ::operator new(72);
		::operator delete(p, 72);
	}
}

int main()
{
	leak_new_obj_40x100();
	leak_new_array_300x20();
	leak_new_nothrow_500x10();
	free_sized_delete();
	std::printf("new: leaked 15000 bytes in 130 blocks\n");
	return 12;
}
