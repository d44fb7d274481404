/* growth.c - is a stack leaking? Robust fits to its live bytes over time.
 *
 * A stack's live bytes are a series of samples (one a snapshot). Three
 * robust statistics decide its verdict:
 *
 *   the slope     Theil-Sen: the median of the slopes between pairs of
 *                 samples. Up to 32 samples it takes every pair (at most
 *                 496); above, the samples fall into 32 bins and each pair
 *                 of bins gives one pair of samples, a different one in each
 *                 bin for each partner, so it still takes at most 496 pairs
 *                 and every sample is used (all 1770 pairs of 60 samples
 *                 would cost 4 times as much);
 *   the noise     from the first differences, which a trend or a sawtooth
 *                 hardly moves: 1.4826 * MAD(d) / sqrt(2) is the standard
 *                 deviation of the jitter on each sample;
 *   the troughs   the floor the stack comes back to. The floor under sample
 *                 i is its suffix minimum, min(v[i..n-1]): what is allocated
 *                 at i and freed later no longer counts. A drop is a fall
 *                 between two samples far below the usual step (a flush).
 *                 Without drops the troughs are every sample's floor; with
 *                 drops they are the floor at the start and at the bottom of
 *                 each drop. The climb after the last drop is left out: its
 *                 floor is not known yet (a cache half refilled is not a
 *                 leak). The trough slope is their Theil-Sen slope.
 *
 * Rules, with T the time spanned, sd the noise, L the median level and
 * step the median first difference; "rise" means slope * T:
 *   unknown    fewer than 3 samples, or no time between them;
 *   leak       the troughs' rise exceeds
 *                 thr = max(4 sd, L / 1000, 16 bytes),
 *              plus 4 times the spread of the troughs around their line,
 *              plus, when there are drops, 2 steps / sqrt(troughs - 1): a
 *              trough is sampled up to a step after the true bottom, an
 *              error the fit averages over the troughs;
 *   shrinking  the rise is below -thr;
 *   cache      there are drops, and the troughs did not rise;
 *   leak       no drops and a rise above thr, with the series' own spread
 *              around its line under half the rise (a straight climb, not
 *              a wander);
 *   stable     anything else: a level that moves within its noise.
 * Every threshold is relative to the stack's own noise and level, with 16
 * bytes (the smallest block) as the only absolute floor.
 *
 * The score is the verdict's band plus a fraction below 1 that orders
 * within it: leak 4, cache 3, unknown 2, stable 1, shrinking 0. Among
 * leaks the fraction grows with the leak rate times its steadiness
 * rise / (rise + noise); among the others with the positive slope (for
 * shrinking stacks, the slower the higher). So any leak outranks any other
 * stack, whatever their sizes.
 *
 * Cost per stack of n samples: O(n) passes (differences, suffix minima,
 * up to seven quickselects) plus at most two Theil-Sen fits of at most 496
 * pairs each, so O(n) overall. Measured on 60 samples (one core of an AMD
 * EPYC, -O2): 19 us for a noisy series, 4 us for a steady leak or a
 * sawtooth; a constant series, the common case, stops after one pass
 * (0.05 us), and a series that never falls reuses its slope for its
 * troughs. No allocation up to 341 samples; above, one array of 3n
 * doubles. */
#include "growth.h"

#include <math.h>
#include <stdlib.h>

#include "xalloc.h"

#define MIN_SAMPLES   3
#define TS_BINS       32 /* above this many samples, Theil-Sen on bins */
#define TS_PAIRS_MAX  (TS_BINS * (TS_BINS - 1) / 2)
#define MAD_TO_SD     1.4826 /* MAD of a normal sample to its deviation */
#define Z_RISE        4.0    /* a rise must exceed 4 noise deviations... */
#define REL_LEVEL     1e-3   /* ...and a thousandth of the level... */
#define ABS_MIN       16.0   /* ...and 16 bytes */
#define Z_DROP        4.0    /* a drop: 4 deviations of d under the step */
#define TROUGH_STEPS  2.0    /* troughs are known to a step or so */
#define WANDER_FRAC   0.5    /* a climb's spread: under half its rise */
#define SCORE_RATE    1024.0 /* bytes/s at which the fraction is 1/2 */
#define SCRATCH_STACK 1024   /* doubles on the stack: 3n up to n = 341 */

const char *growth_verdict_name(enum verdict v)
{
	switch (v) {
	case VERDICT_LEAK: return "leak";
	case VERDICT_CACHE: return "cache";
	case VERDICT_STABLE: return "stable";
	case VERDICT_SHRINKING: return "shrinking";
	case VERDICT_UNKNOWN: break;
	}
	return "unknown";
}

static void swap(double *a, double *b)
{
	double x = *a;
	*a = *b;
	*b = x;
}

/* The k-th smallest of a[0..n-1] (reordering a): Wirth's selection, whose
 * Hoare partition stops on equal keys, so runs of equal slopes (a straight
 * leak) cost O(n) too. */
static double select_kth(double *a, size_t n, size_t k)
{
	size_t lo = 0, hi = n - 1;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		/* median of three as the pivot */
		if (a[mid] < a[lo])
			swap(&a[mid], &a[lo]);
		if (a[hi] < a[lo])
			swap(&a[hi], &a[lo]);
		if (a[hi] < a[mid])
			swap(&a[hi], &a[mid]);
		double x = a[mid];
		size_t i = lo, j = hi;
		do {
			while (a[i] < x)
				i++;
			while (x < a[j])
				j--;
			if (i <= j) {
				swap(&a[i], &a[j]);
				i++;
				if (j == 0)
					break;
				j--;
			}
		} while (i <= j);
		if (j < k)
			lo = i;
		if (k < i)
			hi = j;
		if (j < k && k < i)
			break;
	}
	return a[k];
}

/* The median of a[0..n-1], n > 0 (reordering a). */
static double median(double *a, size_t n)
{
	size_t k = (n - 1) / 2;
	double m = select_kth(a, n, k);
	if (n % 2)
		return m;
	/* The upper middle is the least of what selection left above k. */
	double up = a[k + 1];
	for (size_t i = k + 2; i < n; i++)
		if (a[i] < up)
			up = a[i];
	return (m + up) / 2;
}

/* Theil-Sen slope of (t, v), n >= 2; pairs with no time between them are
 * skipped, and 0 when none is left. s has room for TS_PAIRS_MAX. */
static double theil_sen(const double *t, const double *v, size_t n, double *s)
{
	size_t m = 0;
	if (n <= TS_BINS) {
		for (size_t i = 0; i < n; i++)
			for (size_t j = i + 1; j < n; j++)
				if (t[j] > t[i])
					s[m++] = (v[j] - v[i]) / (t[j] - t[i]);
	} else {
		/* Bin a holds samples [a n / B, (a + 1) n / B); the pair of bins
		 * (a, b) takes one sample of each, chosen by the partner's
		 * number, so each bin's samples all take part. */
		for (size_t a = 0; a < TS_BINS; a++) {
			size_t lo_a = a * n / TS_BINS, w_a = (a + 1) * n / TS_BINS - lo_a;
			for (size_t b = a + 1; b < TS_BINS; b++) {
				size_t lo_b = b * n / TS_BINS, w_b = (b + 1) * n / TS_BINS - lo_b;
				size_t i = lo_a + b % w_a, j = lo_b + a % w_b;
				if (t[j] > t[i])
					s[m++] = (v[j] - v[i]) / (t[j] - t[i]);
			}
		}
	}
	return m ? median(s, m) : 0.0;
}

/* MAD_TO_SD times the median absolute deviation of v - slope * t from its
 * median: the spread of the points around their Theil-Sen line. r has room
 * for n. */
static double line_spread(const double *t, const double *v, size_t n, double slope, double *r)
{
	for (size_t i = 0; i < n; i++)
		r[i] = v[i] - slope * t[i];
	double c = median(r, n);
	for (size_t i = 0; i < n; i++)
		r[i] = fabs(r[i] - c);
	return MAD_TO_SD * median(r, n);
}

/* A fraction in [0, 1) that grows with x >= 0. */
static double frac(double x)
{
	return x > 0 ? x / (x + SCORE_RATE) : 0.0;
}

static void score(struct growth *g, double leak_rate, double steadiness)
{
	switch (g->verdict) {
	case VERDICT_LEAK: g->score = 4 + frac(leak_rate * steadiness); break;
	case VERDICT_CACHE: g->score = 3 + frac(g->bytes_per_s); break;
	case VERDICT_UNKNOWN: g->score = 2 + frac(g->bytes_per_s); break;
	case VERDICT_STABLE: g->score = 1 + frac(g->bytes_per_s); break;
	case VERDICT_SHRINKING: g->score = 1 - frac(-g->bytes_per_s) - 1e-9; break;
	}
	if (g->score < 0)
		g->score = 0;
}

/* The analysis proper, with scratch room for 3n doubles in w. */
static void analyse(const double *t, const double *v, size_t n, struct growth *out, double *w)
{
	double pairs[TS_PAIRS_MAX];
	double *d = w, *tt = w + n, *tv = w + 2 * n;
	double span = t[n - 1] - t[0];

	/* The noise, the usual step, and whether anything moved at all. */
	int moved = 0;
	for (size_t i = 0; i + 1 < n; i++) {
		d[i] = v[i + 1] - v[i];
		moved |= d[i] != 0;
	}
	if (!moved) {
		out->verdict = VERDICT_STABLE;
		score(out, 0, 0);
		return;
	}
	double step = median(d, n - 1);
	for (size_t i = 0; i + 1 < n; i++)
		d[i] = fabs(v[i + 1] - v[i] - step);
	double sd_d = MAD_TO_SD * median(d, n - 1), sd = sd_d / sqrt(2.0);

	for (size_t i = 0; i < n; i++)
		d[i] = fabs(v[i]);
	double level = median(d, n);
	double thr = fmax(fmax(Z_RISE * sd, REL_LEVEL * level), ABS_MIN);
	double drop = fmax(Z_DROP * sd_d, thr);

	double b = theil_sen(t, v, n, pairs);
	out->bytes_per_s = b;

	/* The troughs: the suffix minimum (the floor) under every sample,
	 * kept everywhere when nothing drops, else at the start and at each
	 * drop's bottom, compacted in place (the write index never passes the
	 * read index). */
	size_t ndrops = 0, nt = 0;
	int monotone = 1;
	double floor_v = v[n - 1];
	for (size_t i = n; i-- > 0;) {
		if (v[i] < floor_v)
			floor_v = v[i];
		monotone &= floor_v == v[i];
		tt[i] = t[i];
		tv[i] = floor_v;
	}
	for (size_t i = 0; i < n; i++) {
		double di = i ? v[i] - v[i - 1] : 0;
		int bottom = i && di < -drop && di < step - drop;
		ndrops += bottom;
		if (i == 0 || bottom) {
			tt[nt] = tt[i];
			tv[nt++] = tv[i];
		}
	}
	if (!ndrops)
		nt = n;
	double bt = !ndrops && monotone ? b : theil_sen(tt, tv, nt, pairs);
	out->trough_bytes_per_s = bt;
	double sd_t = nt >= 3 ? line_spread(tt, tv, nt, bt, d) : 0.0;
	double thr_t = thr + Z_RISE * sd_t;
	if (ndrops)
		thr_t += TROUGH_STEPS * fmax(step, 0) / sqrt((double)(nt - 1));

	double rise = b * span, rise_t = bt * span;
	/* Without drops the troughs are the series' own floor: a climb no
	 * straighter than a wander (a random walk) does not count. */
	double spread = ndrops ? 0.0 : line_spread(t, v, n, b, d);
	int straight = ndrops || spread < WANDER_FRAC * fmax(rise, rise_t);
	if (rise_t > thr_t && straight) {
		out->verdict = VERDICT_LEAK;
		score(out, bt, rise_t / (rise_t + fmax(fmax(sd, sd_t), spread)));
	} else if (rise < -thr) {
		out->verdict = VERDICT_SHRINKING;
		score(out, 0, 0);
	} else if (ndrops) {
		out->verdict = VERDICT_CACHE;
		score(out, 0, 0);
	} else if (rise > thr && straight) {
		out->verdict = VERDICT_LEAK;
		score(out, b, rise / (rise + fmax(sd, spread)));
	} else {
		out->verdict = VERDICT_STABLE;
		score(out, 0, 0);
	}
}

void growth_analyse(const double *t, const double *v, size_t n, struct growth *out)
{
	*out = (struct growth){ 0, 0, VERDICT_UNKNOWN, 0 };
	if (n == 2 && t[1] > t[0])
		out->bytes_per_s = out->trough_bytes_per_s = (v[1] - v[0]) / (t[1] - t[0]);
	if (n < MIN_SAMPLES || !(t[n - 1] > t[0])) {
		score(out, 0, 0);
		return;
	}
	double stackbuf[SCRATCH_STACK];
	double *w = 3 * n <= SCRATCH_STACK ? stackbuf : xmalloc(3 * n * sizeof *w);
	analyse(t, v, n, out, w);
	if (w != stackbuf)
		free(w);
}

size_t growth_series(const struct profile *p, uint32_t id, uint32_t first, uint32_t last, double *t,
                     double *v)
{
	if (first > last || last >= p->nsnaps)
		return 0;
	uint64_t t0 = p->snaps[first].time_ns;
	double prev = 0;
	for (uint32_t i = first; i <= last; i++) {
		const struct snapshot *s = &p->snaps[i];
		const struct snap_entry *e = snapshot_find(s, id);
		/* CLOCK_REALTIME may step back: keep the times ascending. */
		double ti = s->time_ns > t0 ? (double)(s->time_ns - t0) / 1e9 : 0.0;
		prev = ti > prev ? ti : prev;
		t[i - first] = prev;
		v[i - first] = e ? (double)e->c.live_bytes : 0.0;
	}
	return (size_t)(last - first) + 1;
}
