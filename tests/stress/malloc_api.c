/* malloc_api.c - the malloc API checked against its contract, a part at a
 * time, the same with and without the probe.
 *
 * Usage: malloc_api PART [COUNT]
 * PART is one of fork_deadlock, fork_signal, fork_in_fork, thread_exit, errno_free,
 * realloc, memalign, reallocarray, usable_size, calloc, too_large. The
 * parts follow what glibc's own malloc tests check, written afresh: each
 * prints what it checked and what the allocator did where the standard
 * leaves it to the implementation (glibc's choice, which the probe must
 * pass through unchanged: run.sh compares the output with a bare run's).
 * COUNT scales the parts that loop (forks, signals).
 *
 * exit: 0
 */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "stress.h"

/* The requests below are too large on purpose, a failed realloc leaves
 * its block to the caller, and exit_deep ends in pthread_exit: all three
 * are what gcc warns about. */
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#pragma GCC diagnostic ignored "-Wuse-after-free"
#pragma GCC diagnostic ignored "-Walloc-size-larger-than="
#pragma GCC diagnostic ignored "-Winfinite-recursion"
#endif

static const char *errname(int e)
{
	switch (e) {
	case 0: return "0";
	case ENOMEM: return "ENOMEM";
	case EINVAL: return "EINVAL";
	default: return "another errno";
	}
}

static int aligned(const void *p, size_t a)
{
	return ((uintptr_t)p & (a - 1)) == 0;
}

static int all_bytes(const void *p, int c, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		if (b[i] != (unsigned char)c)
			return 0;
	return 1;
}

/* A different size on each call, from 1 to max, repeatable. */
static size_t next_size(unsigned *seed, size_t max)
{
	return (size_t)rand_r(seed) % max + 1;
}

/* --- fork while threads allocate ------------------------------------------ */

#define CHURN_THREADS 8
#define CHURN_SLOTS   64

static atomic_int stop_churn;

/* Allocates, reallocates and frees in every size class, into the main arena
 * and its own, until told to stop: some thread holds some malloc lock at
 * almost every moment. */
static void *churn(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;
	void *slot[CHURN_SLOTS] = { 0 };
	while (!atomic_load(&stop_churn)) {
		int i = rand_r(&seed) % CHURN_SLOTS;
		switch (rand_r(&seed) % 4) {
		case 0: slot[i] = realloc(slot[i], next_size(&seed, 20000)); break;
		case 1:
			free(slot[i]);
			slot[i] = memalign(64, next_size(&seed, 5000));
			break;
		default: free(slot[i]); slot[i] = malloc(next_size(&seed, 3000));
		}
		if (slot[i])
			memset(slot[i], i, 1);
	}
	for (int i = 0; i < CHURN_SLOTS; i++)
		free(slot[i]);
	return NULL;
}

/* The child: every allocator lock must be free, whatever the threads held
 * at the fork. Half the children leave by exit (running the exit
 * handlers, the probe's among them), half by _exit. */
static void child_allocates(int k)
{
	void *p[100];
	unsigned seed = (unsigned)k;
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 100; i++)
			p[i] = malloc(next_size(&seed, 50000));
		for (int i = 0; i < 100; i++)
			p[i] = realloc(p[i], next_size(&seed, 1000));
		for (int i = 0; i < 100; i++)
			free(p[i]);
	}
	if (k % 2)
		exit(0);
	_exit(0);
}

static void fork_deadlock(long forks)
{
	pthread_t t[CHURN_THREADS];
	for (int i = 0; i < CHURN_THREADS; i++)
		if (pthread_create(&t[i], NULL, churn, (void *)(uintptr_t)(i + 1)))
			die("pthread_create");
	int bad = 0;
	for (long k = 0; k < forks; k++) {
		fflush(stdout);
		pid_t pid = fork();
		if (pid < 0)
			die("fork: %s", strerror(errno));
		if (pid == 0)
			child_allocates((int)k);
		int st;
		if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
			bad++;
	}
	atomic_store(&stop_churn, 1);
	for (int i = 0; i < CHURN_THREADS; i++)
		pthread_join(t[i], NULL);
	check(bad == 0,
	      "fork_deadlock: %ld forks while %d threads allocate; every child allocated "
	      "and exited 0 (%d did not)",
	      forks, CHURN_THREADS, bad);
}

/* --- fork in a signal handler that interrupted malloc --------------------- */

static pid_t sender;
static volatile sig_atomic_t signalled, handler_failed;

/* Forks a child that leaves at once, and reaps it: 0 when it exited 0.
 * Async-signal-safe, for the handlers below. */
static int fork_and_reap(void)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	int st;
	while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return pid < 0 || !WIFEXITED(st) || WEXITSTATUS(st) ? -1 : 0;
}

/* Runs on SIGUSR1, most often inside malloc or free: stops the sender (so
 * the main loop makes progress), forks a child that leaves at once, and
 * reaps it. glibc's fork is async-signal-safe with respect to malloc in a
 * program with one thread. */
static void fork_in_handler(int sig)
{
	(void)sig;
	int e = errno;
	if (signalled)
		return;
	if (sender > 0)
		kill(sender, SIGSTOP);
	signalled = 1;
	if (fork_and_reap() < 0)
		handler_failed = 1;
	errno = e;
}

static void fork_signal(long want)
{
	enum { OBJECTS = 256 };
	void *obj[OBJECTS] = { 0 };
	struct sigaction sa = { .sa_handler = fork_in_handler };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	pid_t parent = getpid();
	fflush(stdout);
	sender = fork();
	if (sender == 0) {
		for (;;) {
			if (kill(parent, SIGUSR1) < 0)
				_exit(0);
			sched_yield();
		}
	}
	long during = 0;
	unsigned seed = 1;
	while (during < want && !handler_failed) {
		int i = rand_r(&seed) % OBJECTS;
		kill(sender, SIGCONT);
		signalled = 0;
		free(obj[i]);
		obj[i] = malloc(next_size(&seed, 70000));
		if (!obj[i])
			die("malloc: %s", strerror(errno));
		if (signalled)
			during++;
	}
	signal(SIGUSR1, SIG_IGN);
	kill(sender, SIGKILL);
	waitpid(sender, NULL, 0);
	for (int i = 0; i < OBJECTS; i++)
		free(obj[i]);
	check(during == want && !handler_failed,
	      "fork_signal: %ld forks from a signal handler that interrupted malloc or free, "
	      "each child exited 0",
	      want);
}

/* --- fork in a signal handler that interrupted fork ----------------------- */

static volatile sig_atomic_t nested_failed, nested_forks;

/* Runs on SIGUSR2, sent by a child the moment it starts: often while the
 * parent is still inside fork, after the clone, where glibc's fork of a
 * multi-threaded process holds its fork handlers' lock and the malloc
 * locks. Forks a child that leaves at once and reaps it. */
static void fork_in_fork_handler(int sig)
{
	(void)sig;
	int e = errno;
	if (fork_and_reap() < 0)
		nested_failed = 1;
	else
		nested_forks++;
	errno = e;
}

static void fork_in_fork(long want)
{
	struct sigaction sa = { .sa_handler = fork_in_fork_handler };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR2, &sa, NULL);
	pid_t parent = getpid();
	long done = 0;
	for (; done < want && !nested_failed; done++) {
		pid_t pid = fork();
		if (pid == 0) {
			kill(parent, SIGUSR2);
			_exit(0);
		}
		if (pid < 0)
			die("fork: %s", strerror(errno));
		int st;
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			nested_failed = 1;
	}
	signal(SIGUSR2, SIG_IGN);
	check(done == want && !nested_failed && nested_forks == want,
	      "fork_in_fork: %ld children each signalled their parent as it forked them; "
	      "its handler forked %ld times, each child exited 0",
	      want, want);
}

/* --- thread exit ---------------------------------------------------------- */

static void *returns_block(void *arg)
{
	size_t n = (size_t)(uintptr_t)arg;
	char *p = malloc(n);
	if (p)
		memset(p, 'r', n);
	if (n % 2)
		pthread_exit(p);
	return p;
}

static void free_it(void *p)
{
	free(*(void **)p);
}

static atomic_int cleanups;

static void count_cleanup(void *p)
{
	free(p);
	atomic_fetch_add(&cleanups, 1);
}

/* Allocates at every level down to depth 0, then leaves with pthread_exit:
 * every level's cleanup handler frees its block. */
static void exit_deep(int depth)
{
	void *p = malloc(64 + (size_t)depth);
	pthread_cleanup_push(count_cleanup, p);
	if (depth == 0)
		pthread_exit(NULL);
	exit_deep(depth - 1);
	pthread_cleanup_pop(1);
}

static void *exits_deep(void *arg)
{
	exit_deep((int)(uintptr_t)arg);
	return NULL;
}

static int cancel_pipe[2];
static pthread_barrier_t cancel_sent;
static atomic_int allocated_under_cancel;

/* Allocates a thousand times with a cancel pending: malloc and free are
 * no cancellation points, so the cancel waits for the read. */
static void *allocates_with_cancel_pending(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&cancel_sent);
	for (int i = 0; i < 1000; i++) {
		free(malloc((size_t)i + 1));
		atomic_fetch_add(&allocated_under_cancel, 1);
	}
	char c;
	while (read(cancel_pipe[0], &c, 1) < 0 && errno == EINTR)
		;
	return NULL;
}

/* Blocks in read, a cancellation point, holding a block its cleanup frees. */
static void *waits_for_cancel(void *arg)
{
	(void)arg;
	void *p = malloc(4096);
	char c;
	pthread_cleanup_push(free_it, &p);
	pthread_cleanup_push(count_cleanup, malloc(100));
	while (read(cancel_pipe[0], &c, 1) < 0 && errno == EINTR)
		;
	pthread_cleanup_pop(1);
	pthread_cleanup_pop(1);
	return NULL;
}

static void thread_exit(long unused)
{
	(void)unused;
	enum { N = 16 };
	pthread_t t[N];
	for (int i = 0; i < N; i++)
		pthread_create(&t[i], NULL, returns_block, (void *)(uintptr_t)(1000 + i));
	int good = 0;
	for (int i = 0; i < N; i++) {
		void *p;
		pthread_join(t[i], &p);
		good += p && all_bytes(p, 'r', 1000 + (size_t)i);
		free(p);
	}
	check(good == N,
	      "thread_exit: %d threads returned a block (by return or pthread_exit), "
	      "each intact, freed by main",
	      N);

	for (int i = 0; i < N; i++)
		pthread_create(&t[i], NULL, exits_deep, (void *)(uintptr_t)20);
	for (int i = 0; i < N; i++)
		pthread_join(t[i], NULL);
	check(atomic_load(&cleanups) == N * 21,
	      "thread_exit: pthread_exit 20 calls deep ran every cleanup handler (%d of %d)",
	      atomic_load(&cleanups), N * 21);

	if (pipe(cancel_pipe))
		die("pipe");
	atomic_store(&cleanups, 0);
	for (int i = 0; i < N; i++)
		pthread_create(&t[i], NULL, waits_for_cancel, NULL);
	int canceled = 0;
	for (int i = 0; i < N; i++) {
		void *ret;
		pthread_cancel(t[i]);
		pthread_join(t[i], &ret);
		canceled += ret == PTHREAD_CANCELED;
	}
	check(canceled == N && atomic_load(&cleanups) == N,
	      "thread_exit: %d threads canceled in read, each cleanup freed its blocks", N);

	pthread_barrier_init(&cancel_sent, NULL, N + 1);
	for (int i = 0; i < N; i++)
		pthread_create(&t[i], NULL, allocates_with_cancel_pending, NULL);
	for (int i = 0; i < N; i++)
		pthread_cancel(t[i]);
	pthread_barrier_wait(&cancel_sent);
	canceled = 0;
	for (int i = 0; i < N; i++) {
		void *ret;
		pthread_join(t[i], &ret);
		canceled += ret == PTHREAD_CANCELED;
	}
	check(canceled == N && atomic_load(&allocated_under_cancel) == N * 1000,
	      "thread_exit: %d threads with a cancel pending allocated 1000 times each before "
	      "their read took it",
	      N);

	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	atomic_store(&cleanups, 0);
	for (int i = 0; i < N; i++)
		pthread_create(&t[i], &attr, exits_deep, (void *)(uintptr_t)3);
	pthread_attr_destroy(&attr);
	for (int i = 0; i < 1000 && atomic_load(&cleanups) < N * 4; i++)
		usleep(10000);
	check(atomic_load(&cleanups) == N * 4,
	      "thread_exit: %d detached threads ended by themselves", N);
}

/* --- errno and free ------------------------------------------------------- */

static void *errno_thread(void *arg)
{
	(void)arg;
	errno = 4321;
	free(malloc(32));
	free(NULL);
	return (void *)(uintptr_t)(errno == 4321);
}

static void errno_free(long unused)
{
	(void)unused;
	struct {
		const char *what;
		void *p;
	} blocks[] = {
		{ "a small block", malloc(24) },
		{ "a block from calloc", calloc(10, 10) },
		{ "a block from realloc", realloc(malloc(10), 5000) },
		{ "a block of 4 MiB (mmapped)", malloc(4u << 20) },
		{ "a block from memalign", memalign(4096, 100) },
		{ "a block from aligned_alloc", aligned_alloc(64, 640) },
		{ "a block from valloc", valloc(100) },
		{ "NULL", NULL },
	};
	for (size_t i = 0; i < sizeof blocks / sizeof blocks[0]; i++) {
		errno = 1234;
		free(blocks[i].p);
		check(errno == 1234, "errno_free: free(%s) keeps errno", blocks[i].what);
	}
	pthread_t t;
	void *ok;
	pthread_create(&t, NULL, errno_thread, NULL);
	pthread_join(t, &ok);
	check(ok != NULL, "errno_free: in a new thread, free keeps errno");
	errno = ENOENT;
	void *p = malloc(100);
	check(p && errno == ENOENT, "errno_free: a malloc that succeeds keeps errno");
	free(p);
}

/* --- realloc -------------------------------------------------------------- */

static void realloc_edges(long unused)
{
	(void)unused;
	char *p = realloc(NULL, 100);
	check(p != NULL, "realloc: realloc(NULL, 100) allocates");
	memset(p, 'a', 100);
	static const size_t steps[] = { 200, 50, 5000, 300000, 1u << 22, 70, 1, 4000 };
	size_t have = 100;
	int kept = 1;
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		char *q = realloc(p, steps[i]);
		if (!q)
			die("realloc(%zu): %s", steps[i], strerror(errno));
		size_t common = have < steps[i] ? have : steps[i];
		kept &= all_bytes(q, 'a', common);
		memset(q, 'a', steps[i]);
		p = q;
		have = steps[i];
	}
	check(kept, "realloc: contents kept through growing and shrinking, across mmapped sizes");

	errno = 0;
	char *q = realloc(p, SIZE_MAX);
	int e = errno;
	check(!q && e == ENOMEM && all_bytes(p, 'a', have),
	      "realloc: realloc(p, SIZE_MAX) fails with ENOMEM and leaves p as it was (%s)",
	      errname(e));
	errno = 0;
	q = realloc(p, (size_t)PTRDIFF_MAX + 1);
	e = errno;
	check(!q && e == ENOMEM && all_bytes(p, 'a', have),
	      "realloc: realloc(p, PTRDIFF_MAX + 1) fails with ENOMEM, p intact (%s)", errname(e));

	q = realloc(p, 0);
	printf("realloc: realloc(p, 0) returns %s\n", q ? "a block" : "NULL (p freed)");
	free(q);
	q = realloc(NULL, 0);
	printf("realloc: realloc(NULL, 0) returns %s\n", q ? "a block" : "NULL");
	free(q);

	/* Many blocks reallocated in turn, so a moved block's old address
	 * comes back to another realloc. */
	enum { N = 500 };
	char *b[N];
	for (int i = 0; i < N; i++) {
		b[i] = malloc(16);
		memset(b[i], i & 0xff, 16);
	}
	int intact = 1;
	for (int round = 1; round <= 8; round++)
		for (int i = 0; i < N; i++) {
			size_t n = (size_t)(16 << round);
			char *r = realloc(b[i], n);
			if (!r)
				die("realloc");
			intact &= all_bytes(r, i & 0xff, 16);
			memset(r, i & 0xff, n);
			b[i] = r;
		}
	for (int i = 0; i < N; i++)
		free(b[i]);
	check(intact, "realloc: %d blocks grown 8 times in turn, each keeps its bytes", N);

	void *a = memalign(256, 100);
	memset(a, 'm', 100);
	char *r = realloc(a, 10000);
	check(r && all_bytes(r, 'm', 100), "realloc: a block from memalign grows, contents kept");
	free(r);
}

/* --- memalign, posix_memalign, aligned_alloc, valloc, pvalloc ------------- */

/* Prints what a call left to the implementation gave (errno as it left
 * it), and frees it. */
static void say_outcome(const char *what, void *p)
{
	int e = errno;
	printf("%s gives %s, errno %s\n", what,
	       !p               ? "NULL"
	       : aligned(p, 32) ? "a block aligned to 32"
	                        : "a block",
	       errname(e));
	free(p);
	errno = 0;
}

static void memalign_edges(long unused)
{
	(void)unused;
	static const size_t sizes[] = { 0, 1, 100, 5000, 300000 };
	int all_aligned = 1, n = 0;
	for (size_t a = sizeof(void *); a <= (1u << 16); a *= 2)
		for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
			void *p = NULL, *q, *r;
			int ret = posix_memalign(&p, a, sizes[i]);
			q = memalign(a, sizes[i]);
			r = aligned_alloc(a, sizes[i]);
			all_aligned &= ret == 0 && p && aligned(p, a) && q && aligned(q, a) && r &&
			               aligned(r, a);
			if (p)
				memset(p, 1, sizes[i]);
			if (q)
				memset(q, 2, sizes[i]);
			if (r)
				memset(r, 3, sizes[i]);
			free(p);
			free(q);
			free(r);
			n += 3;
		}
	check(all_aligned,
	      "memalign: %d blocks from posix_memalign, memalign and aligned_alloc, "
	      "alignments 8 to 64 KiB, each aligned and writable",
	      n);

	static const size_t bad[] = { 0, 4, 24, 100 };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		void *p = (void *)&bad;
		int ret = posix_memalign(&p, bad[i], 16);
		check(
		    ret == EINVAL && p == (void *)&bad,
		    "memalign: posix_memalign with alignment %zu fails with EINVAL, out untouched",
		    bad[i]);
	}
	void *p = (void *)&bad;
	int ret = posix_memalign(&p, 64, SIZE_MAX - 100);
	check(ret == ENOMEM && p == (void *)&bad,
	      "memalign: posix_memalign of SIZE_MAX - 100 bytes fails with ENOMEM");
	errno = 0;

	/* A non-power-of-two alignment: the standard leaves it open. */
	say_outcome("memalign: memalign(24, 100)", memalign(24, 100));
	say_outcome("memalign: aligned_alloc(24, 48)", aligned_alloc(24, 48));
	errno = 0;
	p = memalign((size_t)1 << 63, 16);
	int e = errno;
	check(!p && (e == EINVAL || e == ENOMEM),
	      "memalign: memalign(2^63, 16) fails (%s, as bare: compared)", errname(e));
	errno = 0;
	p = memalign(64, SIZE_MAX - 1000);
	e = errno;
	check(!p && e == ENOMEM, "memalign: memalign(64, SIZE_MAX - 1000) fails with ENOMEM (%s)",
	      errname(e));

	long page = sysconf(_SC_PAGESIZE);
	void *v = valloc(100), *pv = pvalloc(100);
	check(
	    v && aligned(v, (size_t)page) && pv && aligned(pv, (size_t)page) &&
	        malloc_usable_size(pv) >= (size_t)page,
	    "memalign: valloc and pvalloc give page-aligned blocks; pvalloc's holds a whole page");
	free(v);
	free(pv);
	errno = 0;
	pv = pvalloc(SIZE_MAX - 10);
	e = errno;
	check(!pv && e == ENOMEM,
	      "memalign: pvalloc(SIZE_MAX - 10), rounded up past SIZE_MAX, "
	      "fails with ENOMEM (%s)",
	      errname(e));
}

/* --- reallocarray --------------------------------------------------------- */

static void reallocarray_edges(long unused)
{
	(void)unused;
	int *p = reallocarray(NULL, 25, sizeof(int));
	check(p != NULL, "reallocarray: (NULL, 25, 4) allocates");
	for (int i = 0; i < 25; i++)
		p[i] = i;
	int *q = reallocarray(p, 10000, sizeof(int));
	int kept = q != NULL;
	for (int i = 0; q && i < 25; i++)
		kept &= q[i] == i;
	check(kept, "reallocarray: grown to 10000 elements, the first 25 kept");
	p = q;
	errno = 0;
	q = reallocarray(p, SIZE_MAX / 2, 3);
	int e = errno;
	kept = 1;
	for (int i = 0; i < 25; i++)
		kept &= p[i] == i;
	check(!q && e == ENOMEM && kept,
	      "reallocarray: (p, SIZE_MAX/2, 3) overflows: NULL, ENOMEM, p intact (%s)",
	      errname(e));
	errno = 0;
	q = reallocarray(NULL, (size_t)1 << 33, (size_t)1 << 33);
	e = errno;
	check(!q && e == ENOMEM, "reallocarray: (NULL, 2^33, 2^33) overflows: NULL, ENOMEM (%s)",
	      errname(e));
	q = reallocarray(p, 5, sizeof(int));
	kept = q != NULL;
	for (int i = 0; q && i < 5; i++)
		kept &= q[i] == i;
	check(kept, "reallocarray: shrunk to 5 elements, kept");
	p = q;
	q = reallocarray(p, 0, sizeof(int));
	printf("reallocarray: (p, 0, 4) returns %s\n", q ? "a block" : "NULL (p freed)");
	free(q);
	q = reallocarray(NULL, 0, 0);
	printf("reallocarray: (NULL, 0, 0) returns %s\n", q ? "a block" : "NULL");
	free(q);
}

/* --- malloc_usable_size --------------------------------------------------- */

static void usable_size(long unused)
{
	(void)unused;
	check(malloc_usable_size(NULL) == 0, "usable_size: malloc_usable_size(NULL) is 0");
	int ok = 1, n = 0;
	for (size_t size = 1; size < 70000; size = size * 2 + 1) {
		void *blocks[4] = { malloc(size), calloc(1, size), memalign(128, size),
			            realloc(malloc(8), size) };
		for (int i = 0; i < 4; i++) {
			size_t u = blocks[i] ? malloc_usable_size(blocks[i]) : 0;
			ok &= blocks[i] && u >= size;
			/* The whole usable size belongs to the program. */
			if (blocks[i])
				memset(blocks[i], 0x5a, u);
			free(blocks[i]);
			n++;
		}
	}
	check(ok,
	      "usable_size: %d blocks from malloc, calloc, memalign and realloc, each with "
	      "usable size at least what was asked, written to the last usable byte",
	      n);
	void *big = malloc(1u << 21);
	check(big && malloc_usable_size(big) >= 1u << 21,
	      "usable_size: a 2 MiB (mmapped) block has at least 2 MiB usable");
	free(big);
}

/* --- calloc --------------------------------------------------------------- */

static void calloc_zeroes(long unused)
{
	(void)unused;
	static const size_t sizes[] = { 16, 100, 1000, 40000, 200000, 1u << 21 };
	int zero = 1;
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
		for (int round = 0; round < 20; round++) {
			void *d = malloc(sizes[i]);
			memset(d, 0xff, sizes[i]);
			free(d);
			void *z = calloc(1, sizes[i]);
			zero &= z && all_bytes(z, 0, sizes[i]);
			free(z);
		}
	check(zero, "calloc: blocks of 16 B to 2 MiB, each right after a dirtied free, "
	            "come back zeroed");
	void *z = calloc(0, 0);
	printf("calloc: calloc(0, 0) returns %s\n", z ? "a block" : "NULL");
	free(z);
}

/* --- requests too large to satisfy ---------------------------------------- */

static void too_large(long unused)
{
	(void)unused;
	struct {
		const char *what;
		void *p;
		int e;
	} r[9];
	int n = 0;
#define TRY(call)                    \
	do {                         \
		errno = 0;           \
		r[n].p = call;       \
		r[n].e = errno;      \
		r[n++].what = #call; \
	} while (0)
	TRY(malloc(SIZE_MAX));
	TRY(malloc((size_t)PTRDIFF_MAX + 1));
	TRY(calloc(SIZE_MAX / 2, 3));
	TRY(calloc(1, SIZE_MAX - 4096));
	TRY(calloc((size_t)1 << 32, (size_t)1 << 32));
	TRY(aligned_alloc(64, SIZE_MAX - 64));
	TRY(valloc(SIZE_MAX - 10));
	TRY(memalign(4096, (size_t)PTRDIFF_MAX + 1));
	TRY(realloc(NULL, SIZE_MAX));
#undef TRY
	for (int i = 0; i < n; i++)
		check(!r[i].p && r[i].e == ENOMEM, "too_large: %s gives NULL and ENOMEM (%s)",
		      r[i].what, errname(r[i].e));
	void *p = NULL;
	int ret = posix_memalign(&p, 16, SIZE_MAX);
	check(ret == ENOMEM && !p, "too_large: posix_memalign(&p, 16, SIZE_MAX) returns ENOMEM");
	void *ok = malloc(64);
	check(ok != NULL, "too_large: the allocator still works afterwards");
	free(ok);
}

/* Each part; the count matters only to the parts that loop. */
static const struct {
	const char *name;
	void (*run)(long count);
} parts[] = {
	{ "fork_deadlock", fork_deadlock },
	{ "fork_signal", fork_signal },
	{ "fork_in_fork", fork_in_fork },
	{ "thread_exit", thread_exit },
	{ "errno_free", errno_free },
	{ "realloc", realloc_edges },
	{ "memalign", memalign_edges },
	{ "reallocarray", reallocarray_edges },
	{ "usable_size", usable_size },
	{ "calloc", calloc_zeroes },
	{ "too_large", too_large },
};

int main(int argc, char **argv)
{
	const char *part = argc > 1 ? argv[1] : "";
	long count = arg_count(argc, argv, 2, 100);

	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
		if (!strcmp(part, parts[i].name)) {
			parts[i].run(count);
			return stress_done();
		}
	die("usage: malloc_api PART [COUNT]; no part \"%s\"", part);
}
