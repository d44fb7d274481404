/* cmd_diff.c - `leaktop diff BASE NEW`: what changed between two snapshots,
 * like `go tool pprof -base BASE NEW`. Each of BASE and NEW is a recording,
 * FILE (its last snapshot), FILE@N (snapshot N, 1 first), FILE@last or
 * FILE@-DURATION (spec.h); the two may be one file. Stacks are listed by growth of live bytes,
 * then the thread groups that grew. */
#define _GNU_SOURCE
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "diff.h"
#include "report.h"
#include "spec.h"
#include "threads.h"
#include "xalloc.h"

static const char usage[] =
    "usage: leaktop diff BASE NEW [--format text|folded|json]\n"
    "                   [--metric live_bytes|live_blocks|alloc_bytes|alloc_calls] [--top N]\n"
    "  BASE, NEW: FILE, FILE@N (snapshot N, 1 is the first), FILE@last or FILE@-DURATION\n"
    "            (the last snapshot at least DURATION before the end: @-10s, @-2m, @-500ms)";

struct side {
	struct spec spec;
	const char *file; /* spec.file */
	struct profile *p;
	uint32_t i; /* the snapshot */
};

/* Loads a spec (see spec.h). A torn file loads what is complete, and says so. */
static void load(struct side *s, const char *text)
{
	char torn[512];
	s->p = spec_load(text, &s->spec, &s->i, torn, sizeof torn);
	s->file = s->spec.file;
	if (torn[0])
		fprintf(stderr, "leaktop: %s: %s; using the %u complete snapshots before it\n",
		        s->file, torn, s->p->nsnaps);
}

static uint64_t secs(const struct side *s)
{
	const struct snapshot *sn = &s->p->snaps[s->i];
	return sn->time_ns > s->p->start_ns ? (sn->time_ns - s->p->start_ns) / 1000000000ull : 0;
}

static int64_t metric_delta(const struct diff_stack *e, enum report_metric m)
{
	switch (m) {
	case METRIC_LIVE_BLOCKS: return e->d_live_blocks;
	case METRIC_ALLOC_BYTES: return e->d_alloc_bytes;
	case METRIC_ALLOC_CALLS: return e->d_alloc_calls;
	default: return e->d_live_bytes;
	}
}

static int changed(const struct diff_stack *e)
{
	return e->d_live_bytes || e->d_live_blocks || e->d_alloc_calls || e->d_free_calls;
}

static void write_text(const struct side *b, const struct side *c, const struct diff *d,
                       unsigned top)
{
	char x[32], y[32], where[160], made[96];
	printf("base %s, snapshot %u of %u at %" PRIu64 " s; new %s, snapshot %u of %u at %" PRIu64
	       " s\n",
	       b->file, b->i + 1, b->p->nsnaps, secs(b), c->file, c->i + 1, c->p->nsnaps, secs(c));
	report_human_delta(x, sizeof x, d->totals.d_live_bytes);
	printf("live %s (%+" PRId64 " blocks); %+" PRId64 " allocations, %+" PRId64 " frees\n", x,
	       d->totals.d_live_blocks, d->totals.d_alloc_calls, d->totals.d_free_calls);
	unsigned shown = 0;
	for (uint32_t k = 0; k < d->n && (!top || shown < top); k++) {
		const struct diff_stack *e = &d->s[k];
		if (!changed(e))
			continue;
		shown++;
		report_human_delta(x, sizeof x, e->d_live_bytes);
		report_human(y, sizeof y, e->cur.live_bytes);
		printf("\n#%u  %s live (%+" PRId64 " blocks), now %s; %+" PRId64
		       " allocations, %+" PRId64 " frees\n",
		       shown, x, e->d_live_blocks, y, e->d_alloc_calls, e->d_free_calls);
		report_text_frames(stdout, e->p, profile_stack(e->p, e->stack), "    ",
		                   e->stack == LT_STACK_OVERFLOW ? "[stack table full]"
		                                                 : "[before leaktop started]");
	}
	if (!shown)
		printf("\nno stack changed\n");
	if (!d->has_threads)
		return;
	int any = 0;
	for (uint32_t k = 0; k < d->ng; k++) {
		const struct diff_group *g = &d->g[k];
		if (g->cur <= g->base)
			continue;
		if (!any++)
			printf("\nthread groups that grew:\n");
		printf("  %+d threads (%u -> %u), %s < %s\n", (int)g->cur - (int)g->base, g->base,
		       g->cur,
		       g->wait_stack == LT_STACK_NONE
		           ? thread_wait_name(g->wait)
		           : thread_where(g->p, g->wait_stack, where, sizeof where),
		       thread_creator_name(g->p, g->create_stack, made, sizeof made));
	}
	if (!any)
		printf("\nno thread group grew\n");
}

static void write_json(const struct side *b, const struct side *c, const struct diff *d,
                       unsigned top)
{
	char where[160], made[96];
	fputs("{\"base\": {\"file\": ", stdout);
	report_json_str(stdout, b->file);
	printf(", \"snapshot\": %u, \"time_ms\": %" PRIu64 "}, \"new\": {\"file\": ", b->i + 1,
	       secs(b) * 1000);
	report_json_str(stdout, c->file);
	printf(", \"snapshot\": %u, \"time_ms\": %" PRIu64 "},\n", c->i + 1, secs(c) * 1000);
	printf(" \"totals\": {\"live_bytes\": %" PRId64 ", \"live_blocks\": %" PRId64
	       ", \"alloc_calls\": %" PRId64 ", \"alloc_bytes\": %" PRId64
	       ", \"free_calls\": %" PRId64 "},\n \"stacks\": [",
	       d->totals.d_live_bytes, d->totals.d_live_blocks, d->totals.d_alloc_calls,
	       d->totals.d_alloc_bytes, d->totals.d_free_calls);
	unsigned shown = 0;
	for (uint32_t k = 0; k < d->n && (!top || shown < top); k++) {
		const struct diff_stack *e = &d->s[k];
		if (!changed(e))
			continue;
		printf("%s\n  {\"live_bytes\": %" PRId64 ", \"live_blocks\": %" PRId64
		       ", \"alloc_calls\": %" PRId64 ", \"alloc_bytes\": %" PRId64
		       ", \"free_calls\": %" PRId64 ", \"base_live_bytes\": %" PRIu64
		       ", \"new_live_bytes\": %" PRIu64 ", \"frames\": ",
		       shown++ ? "," : "", e->d_live_bytes, e->d_live_blocks, e->d_alloc_calls,
		       e->d_alloc_bytes, e->d_free_calls, e->base.live_bytes, e->cur.live_bytes);
		report_json_frames(stdout, e->p, profile_stack(e->p, e->stack),
		                   e->stack == LT_STACK_OVERFLOW ? "[stack table full]"
		                                                 : "[before leaktop started]");
		putchar('}');
	}
	fputs("\n ],\n \"thread_groups\": [", stdout);
	int any = 0;
	for (uint32_t k = 0; d->has_threads && k < d->ng; k++) {
		const struct diff_group *g = &d->g[k];
		if (g->cur == g->base)
			continue;
		printf("%s\n  {\"count\": %d, \"base_count\": %u, \"new_count\": %u, "
		       "\"live_bytes\": %" PRId64 ", \"where\": ",
		       any++ ? "," : "", (int)g->cur - (int)g->base, g->base, g->cur,
		       (int64_t)(g->cur_bytes - g->base_bytes));
		report_json_str(stdout,
		                g->wait_stack == LT_STACK_NONE
		                    ? thread_wait_name(g->wait)
		                    : thread_where(g->p, g->wait_stack, where, sizeof where));
		fputs(", \"created_at\": ", stdout);
		report_json_str(stdout,
		                thread_creator_name(g->p, g->create_stack, made, sizeof made));
		putchar('}');
	}
	fputs("\n ]}\n", stdout);
}

/* Folded lines of the stacks whose metric grew, by how much (a flame graph
 * of the growth; what shrank is left out, as flame graphs take no negative
 * widths). */
static void write_folded(const struct diff *d, enum report_metric m)
{
	for (uint32_t k = 0; k < d->n; k++) {
		int64_t v = metric_delta(&d->s[k], m);
		if (v > 0)
			printf("%s %" PRId64 "\n", d->s[k].key, v);
	}
}

int cmd_diff(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "metric", required_argument, NULL, 'm' },
		{ "top", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum report_format format = REPORT_TEXT;
	enum report_metric metric = METRIC_LIVE_BYTES;
	unsigned top = 0;
	int c, v, top_set = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if ((v = report_parse_format(optarg)) < 0)
				die("diff: unknown format '%s' (text, folded or json)", optarg);
			format = (enum report_format)v;
			break;
		case 'm':
			if ((v = report_parse_metric(optarg)) < 0)
				die("diff: unknown metric '%s'", optarg);
			metric = (enum report_metric)v;
			break;
		case 't':
			top = (unsigned)parse_ulong("--top", optarg, 1, 1u << 30);
			top_set = 1;
			break;
		case 'h': puts(usage); return 0;
		default: die_bad_option("diff", c, argv);
		}
	}
	if (argc - optind != 2)
		die("diff: give BASE and NEW (see 'leaktop help')");
	if (!top_set && format == REPORT_TEXT)
		top = 20;
	struct side b = { 0 }, n = { 0 };
	load(&b, argv[optind]);
	load(&n, argv[optind + 1]);
	struct diff d;
	diff_build(&d, b.p, b.i, n.p, n.i);
	switch (format) {
	case REPORT_TEXT: write_text(&b, &n, &d, top); break;
	case REPORT_JSON: write_json(&b, &n, &d, top); break;
	case REPORT_FOLDED: write_folded(&d, metric); break;
	}
	diff_free(&d);
	profile_free(b.p);
	profile_free(n.p);
	spec_fini(&b.spec);
	spec_fini(&n.spec);
	if (fflush(stdout) != 0 || ferror(stdout))
		die("cannot write the diff");
	return 0;
}
