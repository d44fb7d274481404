/* test_got.c - redirecting and restoring GOT entries, in this very
 * executable: its calls of getppid() and of a function through a pointer
 * it took (a GLOB_DAT entry) go to a hook while redirected, and to libc's
 * again once restored. */
#include <unistd.h>

#include "check.h"
#include "probe/got.h"

static int hook_calls;

static pid_t fake_getppid(void)
{
	hook_calls++;
	return 424242;
}

/* A pointer to getppid taken at load time, through the GOT. */
static pid_t (*volatile taken)(void) = getppid;

int main(void)
{
	pid_t real = getppid();
	int pending = -1;
	struct got_hook hooks[] = { { "getppid", (void *)fake_getppid } };

	int n = got_redirect(hooks, 1, &pending);
	CHECK(n >= 1);
	CHECK_EQ_U64(pending, 0);
	CHECK_EQ_U64(getppid(), 424242);
	CHECK(hook_calls == 1);
	/* Again: nothing left to change. */
	CHECK_EQ_U64(got_redirect(hooks, 1, &pending), 0);

	int back = got_restore();
	CHECK_EQ_U64(back, n);
	CHECK_EQ_U64(getppid(), real);
	CHECK_EQ_U64(taken(), real);
	CHECK(hook_calls == 1);

	/* Restore with nothing changed changes nothing; a second redirect
	 * works as the first. */
	CHECK_EQ_U64(got_restore(), 0);
	CHECK_EQ_U64(got_redirect(hooks, 1, &pending), n);
	CHECK_EQ_U64(getppid(), 424242);
	CHECK_EQ_U64(got_restore(), n);
	CHECK_EQ_U64(getppid(), real);
	printf("%d GOT entries for getppid redirected and put back\n", n);
	return CHECK_DONE();
}
