/* underscore_exit.c - target: _exit() skips atexit handlers and destructors.
 *
 * The probe's final snapshot then comes from its _exit hook, not from its
 * destructor: the leak must still be exact and the status must pass through.
 * An atexit handler that would free the blocks never runs.
 *
 * exit: 9
 * expect: leak_before_underscore_exit live_bytes=4800 live_blocks=12 alloc_calls=12
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *blocks[12];

static void free_all(void)
{
	for (int i = 0; i < 12; i++)
		free(blocks[i]);
}

__attribute__((noinline)) static void leak_before_underscore_exit(void)
{
	for (int i = 0; i < 12; i++)
		blocks[i] = memset(malloc(400), i, 400);
}

int main(void)
{
	atexit(free_all);
	leak_before_underscore_exit();
	printf("underscore_exit: leaving through _exit\n");
	fflush(stdout);
	_exit(9);
}
