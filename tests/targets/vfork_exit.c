/* vfork_exit.c - target: vfork children that _exit and that exec.
 *
 * A vfork child runs on its parent's thread, with the parent's memory and
 * thread-local storage, until it calls _exit or execs. Whatever the probe
 * does in the child's _exit or exec must leave the parent tracked as
 * before: the blocks the parent leaks after each vfork are all counted.
 *
 * exit: 0
 * expect: leak_before_64x10 live_bytes=640 live_blocks=10 alloc_calls=10
 * expect: leak_after_exit_32x20 live_bytes=640 live_blocks=20 alloc_calls=20
 * expect: leak_after_exec_48x5 live_bytes=240 live_blocks=5 alloc_calls=5
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

__attribute__((noinline)) static void leak_before_64x10(void)
{
	for (int i = 0; i < 10; i++)
		memset(malloc(64), i, 64);
}

__attribute__((noinline)) static void leak_after_exit_32x20(void)
{
	for (int i = 0; i < 20; i++)
		memset(malloc(32), i, 32);
}

__attribute__((noinline)) static void leak_after_exec_48x5(void)
{
	for (int i = 0; i < 5; i++)
		memset(malloc(48), i, 48);
}

static int wait_child(pid_t pid)
{
	int status;
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int main(void)
{
	leak_before_64x10();

	pid_t pid = vfork();
	if (pid == 0)
		_exit(7);
	if (wait_child(pid) != 7)
		return 1;
	leak_after_exit_32x20();

	char *argv[] = { "true", NULL };
	pid = vfork();
	if (pid == 0) {
		execv("/bin/true", argv);
		_exit(127);
	}
	if (wait_child(pid) != 0)
		return 2;
	leak_after_exec_48x5();
	printf("children done\n");
	return 0;
}
