/* fixed_random.c - an LD_PRELOAD shim for hostile.sh: getrandom() fills
 * every buffer with 0x5a, so the probe's "unguessable" segment name becomes
 * leaktop.PID.5a5a5a5a5a5a5a5a, and a test can plant that name first, as an
 * attacker who guessed it would. */
#define _GNU_SOURCE
#include <string.h>
#include <sys/random.h>

ssize_t getrandom(void *buf, size_t n, unsigned flags)
{
	(void)flags;
	memset(buf, 0x5a, n);
	return (ssize_t)n;
}
