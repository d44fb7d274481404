/* test_growth.c - the verdicts and the score of growth_analyse on synthetic
 * series sampled at 4 Hz over 5 s and over 60 s: a small steady leak, a
 * cache that fills and empties, a big stable block, a shrinking stack, a
 * sawtooth whose troughs rise, noisy leaks, a leak that starts half way,
 * too few samples; then growth_series on a small profile. */
#include "tui/growth.h"

#include <math.h>
#include <stdlib.h>

#include "tests/unit/check.h"

#define HZ      4
#define NMAX    (60 * HZ + 1)
#define KiB     1024.0
#define MiB     (1024.0 * 1024.0)
#define PHASE_S 0.1 /* samples fall between the program's ticks */

/* What a series is, at time x seconds; seed drives its jitter. */
typedef double (*shape_fn)(double x, unsigned *seed);

/* Uniform jitter in [-1, 1): a fixed LCG, so every run is the same. */
static double jitter(unsigned *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return ((*seed >> 8) & 0xffff) / 32768.0 - 1.0;
}

/* +4 KiB every 100 ms, from nothing. */
static double small_leak(double x, unsigned *seed)
{
	(void)seed;
	return 4 * KiB * floor(x * 10);
}

/* 32 KiB every 100 ms up to about 1 MiB, emptied every second. */
static double cache(double x, unsigned *seed)
{
	(void)seed;
	return 32 * KiB * (floor(x * 10) - 10 * floor(x)) + 32 * KiB;
}

static double big_stable(double x, unsigned *seed)
{
	(void)x;
	return 100 * MiB + 8 * KiB * jitter(seed);
}

/* 1 MiB freed at 8 KiB every 100 ms. */
static double shrinking(double x, unsigned *seed)
{
	(void)seed;
	return 1 * MiB - 8 * KiB * floor(x * 10);
}

/* A cache of 1 MiB every second whose floor keeps 64 KiB of each round. */
static double rising_sawtooth(double x, unsigned *seed)
{
	return cache(x, seed) + 64 * KiB * floor(x);
}

/* The small leak with +-16 KiB of jitter on every sample. */
static double noisy_leak(double x, unsigned *seed)
{
	return 64 * KiB + small_leak(x, seed) + 16 * KiB * jitter(seed);
}

/* A leak of 1 KiB every 100 ms, on a 2 MiB block with +-1 KiB of jitter. */
static double noisy_slow_leak(double x, unsigned *seed)
{
	return 2 * MiB + KiB * floor(x * 10) + KiB * jitter(seed);
}

static double window_s; /* the window of the series being built */

/* Nothing for the first half of the window, then the small leak. */
static double late_leak(double x, unsigned *seed)
{
	return x < window_s / 2 ? 0 : small_leak(x - window_s / 2, seed);
}

/* Samples shape at 4 Hz over seconds (+1 sample); returns n. */
static size_t sample(shape_fn f, double seconds, double *t, double *v)
{
	unsigned seed = 42;
	size_t n = (size_t)(seconds * HZ) + 1;
	window_s = seconds;
	for (size_t i = 0; i < n; i++) {
		t[i] = (double)i / HZ;
		v[i] = f(t[i] + PHASE_S, &seed);
	}
	return n;
}

static struct growth analyse(shape_fn f, double seconds)
{
	double t[NMAX], v[NMAX];
	struct growth g;
	growth_analyse(t, v, sample(f, seconds, t, v), &g);
	return g;
}

#define CHECK_VERDICT(g, want) CHECK_STR(growth_verdict_name((g).verdict), want)

static void test_verdicts(double seconds)
{
	struct growth leak = analyse(small_leak, seconds), c = analyse(cache, seconds),
	              big = analyse(big_stable, seconds), shr = analyse(shrinking, seconds),
	              saw = analyse(rising_sawtooth, seconds), noisy = analyse(noisy_leak, seconds),
	              slow = analyse(noisy_slow_leak, seconds), late = analyse(late_leak, seconds);

	fprintf(stderr, "%.0f s:\n", seconds);
	struct {
		const char *name;
		struct growth *g;
	} all[] = { { "small_leak", &leak }, { "cache", &c },       { "big_stable", &big },
		    { "shrinking", &shr },   { "sawtooth", &saw },  { "noisy_leak", &noisy },
		    { "slow_leak", &slow },  { "late_leak", &late } };
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		fprintf(stderr, "  %-12s %-9s %10.1f B/s troughs %10.1f B/s score %.6f\n",
		        all[i].name, growth_verdict_name(all[i].g->verdict), all[i].g->bytes_per_s,
		        all[i].g->trough_bytes_per_s, all[i].g->score);

	CHECK_VERDICT(leak, "leak");
	CHECK(fabs(leak.bytes_per_s - 40 * KiB) < 4 * KiB);
	CHECK_VERDICT(c, "cache");
	CHECK_VERDICT(big, "stable");
	CHECK_VERDICT(shr, "shrinking");
	CHECK(shr.bytes_per_s < -70 * KiB);
	CHECK_VERDICT(saw, "leak");
	CHECK(fabs(saw.trough_bytes_per_s - 64 * KiB) < 8 * KiB);
	CHECK_VERDICT(noisy, "leak");
	CHECK(fabs(noisy.bytes_per_s - 40 * KiB) < 10 * KiB);
	CHECK_VERDICT(slow, "leak");
	CHECK_VERDICT(late, "leak");

	/* Any leak above any other stack; among leaks the faster and the
	 * steadier first; the big stable block below the small leak and the
	 * cache, and a shrinking stack last. */
	CHECK(leak.score > c.score);
	CHECK(c.score > big.score);
	CHECK(big.score > shr.score);
	CHECK(saw.score > c.score && noisy.score > c.score && slow.score > c.score);
	CHECK(late.score > c.score);
	CHECK(leak.score > noisy.score); /* as fast, but steadier */
	CHECK(leak.score > slow.score);  /* faster */
}

/* The cache again, but the window ends mid-fill: its mean slope is
 * positive, and it is still a cache. */
static void test_cache_mid_fill(void)
{
	double t[NMAX], v[NMAX];
	size_t n = sample(cache, 5.5, t, v);
	double mean = 0, tm = 0, cov = 0, var = 0;
	for (size_t i = 0; i < n; i++) {
		mean += v[i] / n;
		tm += t[i] / n;
	}
	for (size_t i = 0; i < n; i++) {
		cov += (t[i] - tm) * (v[i] - mean);
		var += (t[i] - tm) * (t[i] - tm);
	}
	CHECK(cov / var > 0); /* least squares says it grows */
	struct growth g;
	growth_analyse(t, v, n, &g);
	CHECK_VERDICT(g, "cache");
	CHECK(fabs(g.trough_bytes_per_s) < 4 * KiB);
}

static void test_few_samples(void)
{
	double t[3] = { 0, 0.25, 0.5 }, v[3] = { 0, 4096, 8192 };
	struct growth g;
	growth_analyse(t, v, 0, &g);
	CHECK_VERDICT(g, "unknown");
	growth_analyse(t, v, 1, &g);
	CHECK_VERDICT(g, "unknown");
	CHECK(g.bytes_per_s == 0);
	growth_analyse(t, v, 2, &g);
	CHECK_VERDICT(g, "unknown");
	CHECK(g.bytes_per_s == 4096 * 4);
	growth_analyse(t, v, 3, &g);
	CHECK_VERDICT(g, "leak");
	/* No time between the samples: nothing to fit. */
	double same[3] = { 1, 1, 1 };
	growth_analyse(same, v, 3, &g);
	CHECK_VERDICT(g, "unknown");
	CHECK(!isnan(g.score) && !isnan(g.bytes_per_s));
	/* Unknown ranks under any leak or cache and above a stable stack. */
	struct growth leak = analyse(small_leak, 5), big = analyse(big_stable, 5);
	growth_analyse(t, v, 2, &g);
	CHECK(leak.score > g.score && g.score > big.score);
	/* A constant series is stable at once. */
	double flat[3] = { 512, 512, 512 };
	growth_analyse(t, flat, 3, &g);
	CHECK_VERDICT(g, "stable");
	CHECK(g.bytes_per_s == 0);
	CHECK_STR(growth_verdict_name(VERDICT_CACHE), "cache");
	CHECK_STR(growth_verdict_name(VERDICT_SHRINKING), "shrinking");
}

/* Above 64 samples the slope comes from binned pairs: a straight line still
 * gives its exact slope, and a long recording (1 h at 4 Hz) works too. */
static void test_long_series(void)
{
	size_t n = 3600 * HZ;
	double *t = malloc(n * sizeof *t), *v = malloc(n * sizeof *v);
	CHECK(t && v);
	if (!t || !v)
		return;
	for (size_t i = 0; i < n; i++) {
		t[i] = (double)i / HZ;
		v[i] = 1000 + 250.0 * t[i];
	}
	struct growth g;
	growth_analyse(t, v, n, &g);
	CHECK_VERDICT(g, "leak");
	CHECK(fabs(g.bytes_per_s - 250) < 1e-6);
	for (size_t i = 0; i < n; i++)
		v[i] = cache(t[i] + PHASE_S, NULL);
	growth_analyse(t, v, n, &g);
	CHECK_VERDICT(g, "cache");
	free(t);
	free(v);
}

static void test_series(void)
{
	struct profile *p = profile_new();
	CHECK(p != NULL);
	if (!p)
		return;
	/* Stack 7 is in snapshots 0 and 2, absent (0) in 1. */
	struct snap_entry e[2] = { { .id = 3 }, { .id = 7 } };
	struct snapshot s = { .n = 2, .e = e };
	uint64_t t0 = 1700000000ull * 1000000000ull;
	for (int i = 0; i < 3; i++) {
		s.time_ns = t0 + (uint64_t)i * 500000000ull;
		e[0].c.live_bytes = 100 * (i + 1);
		e[1].c.live_bytes = 4096 * (i + 1);
		s.n = i == 1 ? 1 : 2;
		CHECK_EQ_U64(profile_add_snapshot(p, &s), 0);
	}
	double t[3], v[3];
	CHECK_EQ_U64(growth_series(p, 7, 0, 2, t, v), 3);
	CHECK(t[0] == 0 && t[1] == 0.5 && t[2] == 1.0);
	CHECK(v[0] == 4096 && v[1] == 0 && v[2] == 3 * 4096);
	CHECK_EQ_U64(growth_series(p, 3, 1, 2, t, v), 2);
	CHECK(t[0] == 0 && t[1] == 0.5 && v[0] == 200 && v[1] == 300);
	CHECK_EQ_U64(growth_series(p, 3, 2, 3, t, v), 0); /* past the end */
	CHECK_EQ_U64(growth_series(p, 3, 2, 1, t, v), 0); /* first > last */
	CHECK_EQ_U64(growth_series(p, 99, 0, 0, t, v), 1);
	CHECK(v[0] == 0);
	profile_free(p);
}

int main(void)
{
	test_verdicts(5);
	test_verdicts(60);
	test_cache_mid_fill();
	test_few_samples();
	test_long_series();
	test_series();
	return CHECK_DONE();
}
