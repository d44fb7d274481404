/* sample.c - byte sampling: the gap draw and the estimates (see sample.h). */
#include "sample.h"

#include <math.h>

static uint64_t splitmix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

uint64_t sample_seed(uint64_t seed)
{
	uint64_t s = splitmix(seed);
	return s ? s : 0x9e3779b97f4a7c15ull;
}

uint64_t sample_next_gap(uint64_t *state, uint32_t mean)
{
	/* xorshift64*, then a uniform in (0, 1] from its top 53 bits. */
	uint64_t x = *state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	double u = (double)(((x * 0x2545f4914f6cdd1dull) >> 11) + 1) * 0x1p-53;
	double gap = -log(u) * mean;
	if (gap < 1)
		return 1;
	return gap > 0x1p62 ? (uint64_t)1 << 62 : (uint64_t)gap;
}

double sample_scale(uint64_t count, uint64_t bytes, uint32_t mean)
{
	if (!mean || !count)
		return 1;
	double avg = (double)bytes / (double)count;
	double p = -expm1(-avg / mean); /* 1 - exp(-avg / mean), exact for small avg */
	return p > 0 ? 1 / p : 1;
}

static uint64_t scaled(uint64_t v, double f)
{
	double x = (double)v * f + 0.5;
	return x >= 0x1p64 ? UINT64_MAX : (uint64_t)x;
}

void sample_scale_counts(struct lt_counts *c, uint32_t mean)
{
	if (!mean)
		return;
	double live = sample_scale(c->live_blocks, c->live_bytes, mean);
	double all = sample_scale(c->alloc_calls, c->alloc_bytes, mean);
	c->live_blocks = scaled(c->live_blocks, live);
	c->live_bytes = scaled(c->live_bytes, live);
	c->alloc_calls = scaled(c->alloc_calls, all);
	c->alloc_bytes = scaled(c->alloc_bytes, all);
	if (c->alloc_calls < c->live_blocks)
		c->alloc_calls = c->live_blocks;
	if (c->alloc_bytes < c->live_bytes)
		c->alloc_bytes = c->live_bytes;
	c->free_calls = c->alloc_calls - c->live_blocks;
}

void sample_scale_tick(struct lt_tick *t, uint32_t mean)
{
	if (!mean)
		return;
	double f = sample_scale(t->live_blocks, t->live_bytes, mean);
	t->live_blocks = scaled(t->live_blocks, f);
	t->live_bytes = scaled(t->live_bytes, f);
	t->alloc_calls = scaled(t->alloc_calls, f);
	t->free_calls = scaled(t->free_calls, f);
}
