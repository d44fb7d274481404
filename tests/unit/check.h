/* check.h - the unit tests' whole framework.
 *
 * A test is a small executable: CHECK failures print file:line and the
 * expression, and make main return 1; exit 77 means skipped. Equality
 * checks print both values, so a failure says what was got. */
#ifndef LEAKTOP_CHECK_H
#define LEAKTOP_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int check_failures;

#define CHECK(expr)                                                                              \
	do {                                                                                     \
		if (!(expr)) {                                                                   \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #expr); \
			check_failures++;                                                        \
		}                                                                                \
	} while (0)

#define CHECK_EQ_U64(got, want)                                                                   \
	do {                                                                                      \
		uint64_t g_ = (uint64_t)(got), w_ = (uint64_t)(want);                             \
		if (g_ != w_) {                                                                   \
			fprintf(stderr, "%s:%d: %s == %" PRIu64 ", want %" PRIu64 "\n", __FILE__, \
			        __LINE__, #got, g_, w_);                                          \
			check_failures++;                                                         \
		}                                                                                 \
	} while (0)

#define CHECK_STR(got, want)                                                                      \
	do {                                                                                      \
		const char *g_ = (got), *w_ = (want);                                             \
		if (!g_ || strcmp(g_, w_)) {                                                      \
			fprintf(stderr, "%s:%d: %s == \"%s\", want \"%s\"\n", __FILE__, __LINE__, \
			        #got, g_ ? g_ : "(null)", w_);                                    \
			check_failures++;                                                         \
		}                                                                                 \
	} while (0)

/* main's return value: 0 when every check passed. */
#define CHECK_DONE() (check_failures ? 1 : 0)
#define CHECK_SKIP   77

#endif
