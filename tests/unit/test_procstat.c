/* test_procstat.c - /proc/PID/stat fields, from real files and from text
 * whose command name holds the characters that break naive parsers. */
#include <pthread.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "check.h"
#include "shared/procstat.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void *hold(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock);
	pthread_mutex_unlock(&lock);
	return NULL;
}

int main(void)
{
	struct procstat a, b;

	/* A command name with spaces and parentheses; fields after it as the
	 * kernel writes them (state Z, 3 threads, start time 424242). */
	const char *text = "12 (a) b (c) Z 1 12 12 0 -1 4194560 10 0 0 0 1 2 0 0 20 0 3 0 "
	                   "424242 1000 50 18446744073709551615\n";
	CHECK(procstat_parse(text, &a) == 0);
	CHECK_EQ_U64(a.state, 'Z');
	CHECK_EQ_U64(a.num_threads, 3);
	CHECK_EQ_U64(a.start_ticks, 424242);
	CHECK(procstat_parse("12 (no closing paren S 1 2", &a) < 0);
	CHECK(procstat_parse("12 (short) S 1 2 3", &a) < 0);
	CHECK(procstat_parse("", &a) < 0);

	/* This process, renamed to the same awkward name. */
	prctl(PR_SET_NAME, "a) b (c");
	CHECK(procstat_read(0, &a) == 0);
	CHECK_EQ_U64(a.state, 'R');
	CHECK_EQ_U64(a.num_threads, 1);
	CHECK(a.start_ticks > 0);
	CHECK(procstat_read(getpid(), &b) == 0);
	CHECK_EQ_U64(b.start_ticks, a.start_ticks);

	/* A second thread counts. */
	pthread_t t;
	pthread_mutex_lock(&lock);
	CHECK(pthread_create(&t, NULL, hold, NULL) == 0);
	CHECK(procstat_read(0, &b) == 0);
	CHECK_EQ_U64(b.num_threads, 2);
	pthread_mutex_unlock(&lock);
	pthread_join(t, NULL);

	CHECK(procstat_read(-5, &b) < 0);
	return CHECK_DONE();
}
