/* test_sample.c - byte sampling: the probe's countdown (recorder.h's
 * sample_take, the code the hooks run) and the readers' estimates
 * (shared/sample.c). The estimates must come back to the truth. */
#include <math.h>
#include <stdlib.h>

#include "check.h"
#include "probe/recorder.h"
#include "shared/sample.h"

#define MEAN 65536u

static int near(double got, double want, double rel)
{
	return fabs(got - want) <= rel * fabs(want);
}

/* The formula, at points worked by hand: an allocation of the mean's size
 * is recorded with probability 1 - 1/e. */
static void scale_formula(void)
{
	CHECK(sample_scale(1, MEAN, MEAN) == 1 / (1 - exp(-1.0)));
	CHECK(near(sample_scale(10, 10 * 64, 524288), 524288 / 64.0 + 0.5, 1e-4));
	CHECK(sample_scale(0, 0, MEAN) == 1);
	CHECK(sample_scale(5, 500, 0) == 1);
	/* Blocks far above the mean are all recorded. */
	CHECK(near(sample_scale(1, 64ull * MEAN, MEAN), 1, 1e-9));
}

/* Counts scale by pair, and live = allocated - freed still holds. */
static void scale_counts(void)
{
	struct lt_counts c = { .live_bytes = 3 * MEAN,
		               .live_blocks = 3,
		               .alloc_calls = 10,
		               .alloc_bytes = 10 * MEAN,
		               .free_calls = 7 };
	struct lt_counts same = c;
	sample_scale_counts(&same, 0);
	CHECK(!memcmp(&same, &c, sizeof c));
	sample_scale_counts(&c, MEAN);
	double f = 1 / (1 - exp(-1.0));
	CHECK_EQ_U64(c.live_blocks, (uint64_t)(3 * f + 0.5));
	CHECK_EQ_U64(c.live_bytes, (uint64_t)(3.0 * MEAN * f + 0.5));
	CHECK_EQ_U64(c.alloc_calls, (uint64_t)(10 * f + 0.5));
	CHECK_EQ_U64(c.free_calls, c.alloc_calls - c.live_blocks);
}

/* The gaps are exponential with the mean asked for. */
static void gaps(void)
{
	uint64_t st = sample_seed(1);
	double sum = 0, sq = 0;
	int n = 1000000;
	for (int i = 0; i < n; i++) {
		double g = (double)sample_next_gap(&st, MEAN);
		sum += g;
		sq += g * g;
	}
	double mean = sum / n, sd = sqrt(sq / n - mean * mean);
	CHECK(near(mean, MEAN, 0.005));
	CHECK(near(sd, MEAN, 0.01)); /* an exponential's deviation is its mean */
}

/* The probe's countdown over two interleaved streams of one size each, as
 * two stacks would see it: each stack's estimate, scaled as readers scale
 * it, comes back within 2 % of what was allocated. */
static void countdown_unbiased(void)
{
	const size_t size[2] = { 48, 3 * MEAN / 2 };
	const uint64_t calls = 4000000;
	uint64_t taken[2] = { 0, 0 };

	rec.cfg.sample_seed = 12345;
	probe_sample_mean = MEAN;
	for (uint64_t i = 0; i < calls; i++) {
		int k = i % 97 == 0; /* one large block in 97 */
		taken[k] += sample_take(size[k]) == SAMPLE_TAKE;
	}
	CHECK(sample_take(8) != SAMPLE_ALL);
	uint64_t n[2] = { calls - calls / 97 - 1, calls / 97 + 1 };
	for (int k = 0; k < 2; k++) {
		double est = (double)taken[k] * sample_scale(1, size[k], MEAN) * (double)size[k];
		double truth = (double)n[k] * (double)size[k];
		if (!near(est, truth, 0.02)) {
			fprintf(stderr, "stream of %zu B: estimate %.0f, allocated %.0f\n", size[k],
			        est, truth);
			check_failures++;
		}
	}
	/* A large block is nearly always taken, a small one seldom. */
	CHECK(taken[1] > n[1] * 7 / 10); /* 1 - exp(-1.5) = 0.78 */
	CHECK(taken[0] < n[0] / 1000);
	probe_sample_mean = 0;
	CHECK_EQ_U64(sample_take(8), SAMPLE_ALL);
}

int main(void)
{
	scale_formula();
	scale_counts();
	gaps();
	countdown_unbiased();
	return CHECK_DONE();
}
