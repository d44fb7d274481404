/* report.c - the text, folded and json renderings of a snapshot.
 *
 * All three list the snapshot's stacks sorted by the chosen metric, largest
 * first, skipping stacks where it is zero; or, with --sort growth, by the
 * growth score of their live bytes over every snapshot up to the one shown
 * (growth.h), likeliest leak first. Text is for people (sizes in KiB/MiB,
 * the stack with file:line); folded is flamegraph.pl's "root;...;leaf
 * VALUE"; json follows the schema in the README, frames leaf first.
 *
 * Growth costs one series per listed stack: O(snapshots x log(stacks)) to
 * gather it, O(snapshots) to analyse it. */
#include "report.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "blind.h"
#include "growth.h"
#include "xalloc.h"

static const char *const metric_names[] = { "live_bytes", "live_blocks", "alloc_bytes",
	                                    "alloc_calls" };

int report_parse_format(const char *s)
{
	if (!strcmp(s, "text"))
		return REPORT_TEXT;
	if (!strcmp(s, "folded"))
		return REPORT_FOLDED;
	if (!strcmp(s, "json"))
		return REPORT_JSON;
	return -1;
}

int report_parse_metric(const char *s)
{
	for (int i = 0; i < (int)(sizeof metric_names / sizeof metric_names[0]); i++)
		if (!strcmp(s, metric_names[i]))
			return i;
	return -1;
}

int report_parse_sort(const char *s)
{
	if (!strcmp(s, "growth"))
		return SORT_GROWTH;
	int m = report_parse_metric(s);
	return m < 0 ? -1 : SORT_LIVE_BYTES + m;
}

uint64_t report_metric_value(const struct lt_counts *c, enum report_metric m)
{
	switch (m) {
	case METRIC_LIVE_BYTES: return c->live_bytes;
	case METRIC_LIVE_BLOCKS: return c->live_blocks;
	case METRIC_ALLOC_BYTES: return c->alloc_bytes;
	case METRIC_ALLOC_CALLS: return c->alloc_calls;
	}
	return 0;
}

const char *report_frame_name(const struct profile *p, uint64_t addr, char *buf, size_t n)
{
	const struct frame_sym *s = profile_sym(p, addr);
	if (s && *s->func)
		return s->func;
	if (s && *s->module)
		snprintf(buf, n, "%s+0x%" PRIx64, s->module, addr);
	else
		snprintf(buf, n, "0x%" PRIx64, addr);
	return buf;
}

const char *report_empty_stack_name(uint32_t id)
{
	return id == LT_STACK_OVERFLOW ? "[stack table full]" : "[before leaktop started]";
}

/* A stack to show: its entry in the snapshot, and its growth when known. */
struct row {
	const struct snap_entry *e;
	struct growth g;
};

static enum report_metric sort_metric;
static int sort_growth;

static int by_order(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	if (sort_growth && x->g.score != y->g.score)
		return x->g.score > y->g.score ? -1 : 1;
	if (sort_growth && x->g.bytes_per_s != y->g.bytes_per_s)
		return x->g.bytes_per_s > y->g.bytes_per_s ? -1 : 1;
	uint64_t vx = report_metric_value(&x->e->c, sort_metric),
	         vy = report_metric_value(&y->e->c, sort_metric);
	if (vx != vy)
		return vx > vy ? -1 : 1;
	return x->e->id < y->e->id ? -1 : x->e->id > y->e->id;
}

/* Whether rows carry growth: json has it whenever there is a series of two
 * snapshots or more, text when sorting by it. */
static int wants_growth(uint32_t i, const struct report_opts *o)
{
	return o->sort == SORT_GROWTH || (o->format == REPORT_JSON && i > 0);
}

/* The stacks of snapshot i to show, sorted; *n gets their count. Caller
 * frees. */
static struct row *sorted(const struct profile *p, uint32_t i, const struct report_opts *o,
                          uint32_t *n)
{
	const struct snapshot *s = &p->snaps[i];
	struct row *v = xcalloc(s->n ? s->n : 1, sizeof *v);
	uint32_t k = 0;
	for (uint32_t j = 0; j < s->n; j++)
		if (report_metric_value(&s->e[j].c, o->metric))
			v[k++].e = &s->e[j];
	if (wants_growth(i, o)) {
		double *t = xmalloc(((size_t)i + 1) * sizeof *t),
		       *val = xmalloc(((size_t)i + 1) * sizeof *val);
		for (uint32_t j = 0; j < k; j++)
			growth_analyse(t, val, growth_series(p, v[j].e->id, 0, i, t, val), &v[j].g);
		free(t);
		free(val);
	}
	sort_growth = o->sort == SORT_GROWTH;
	sort_metric = o->sort >= SORT_LIVE_BYTES ? (enum report_metric)(o->sort - SORT_LIVE_BYTES)
	                                         : o->metric;
	if (k > 1)
		qsort(v, k, sizeof *v, by_order);
	if (o->top && k > o->top)
		k = o->top;
	*n = k;
	return v;
}

void report_human(char *buf, size_t n, uint64_t bytes)
{
	if (bytes < 10 * 1024)
		snprintf(buf, n, "%" PRIu64 " B", bytes);
	else if (bytes < 10 * 1024 * 1024)
		snprintf(buf, n, "%.1f KiB", bytes / 1024.0);
	else if (bytes < 10ull * 1024 * 1024 * 1024)
		snprintf(buf, n, "%.1f MiB", bytes / (1024.0 * 1024));
	else
		snprintf(buf, n, "%.1f GiB", bytes / (1024.0 * 1024 * 1024));
}

void report_human_delta(char *buf, size_t n, int64_t bytes)
{
	char h[24];
	report_human(h, sizeof h, bytes < 0 ? (uint64_t)-bytes : (uint64_t)bytes);
	snprintf(buf, n, "%s%s", bytes < 0 ? "-" : bytes ? "+" : "", h);
}

/* A rate of bytes per second: "+40.0 KiB/s", "-512 B/s", "0 B/s". */
static void human_rate(char *buf, size_t n, double bytes_per_s)
{
	char h[24];
	double a = fabs(bytes_per_s);
	uint64_t r = isfinite(a) && a < 1e18 ? (uint64_t)llround(a) : 0;
	report_human(h, sizeof h, r);
	snprintf(buf, n, "%s%s/s", r ? (bytes_per_s < 0 ? "-" : "+") : "", h);
}

static void end_text(const struct profile *p, char *buf, size_t n)
{
	switch (p->end) {
	case PROF_EXITED: snprintf(buf, n, "exited with status %d", p->end_code); break;
	case PROF_SIGNALED: snprintf(buf, n, "killed by signal %d", p->end_code); break;
	default: snprintf(buf, n, "running"); break;
	}
}

static void write_text(FILE *f, const struct profile *p, uint32_t i, const struct report_opts *o)
{
	const struct snapshot *s = &p->snaps[i];
	char a[32], b[32], st[64];
	uint32_t n;

	end_text(p, st, sizeof st);
	fprintf(f, "%s (pid %d), snapshot %u of %u at %.1f s, %s\n", p->program ? p->program : "?",
	        p->pid, i + 1, p->nsnaps,
	        s->time_ns > p->start_ns ? (s->time_ns - p->start_ns) / 1e9 : 0.0, st);
	report_human(a, sizeof a, s->totals.live_bytes);
	report_human(b, sizeof b, s->totals.alloc_bytes);
	fprintf(f, "live %s in %" PRIu64 " blocks; %" PRIu64 " allocations (%s), %" PRIu64 " frees",
	        a, s->totals.live_blocks, s->totals.alloc_calls, b, s->totals.free_calls);
	if (s->unknown_frees)
		fprintf(f, ", %" PRIu64 " frees of blocks allocated before tracking",
		        s->unknown_frees);
	fputc('\n', f);
	if (p->sample_bytes) {
		report_human(a, sizeof a, p->sample_bytes);
		fprintf(f, "sampled, mean %s: every figure is an estimate\n", a);
	}
	if (s->probe_bytes) {
		report_human(a, sizeof a, s->probe_bytes);
		fprintf(f, "probe memory %s\n", a);
	}
	if (s->overflow_allocs)
		fprintf(f, "warning: %" PRIu64 " allocations found the stack table full\n",
		        s->overflow_allocs);
	char why[256];
	if (!s->totals.alloc_calls && p->program &&
	    blind_check(p->program, p->program, why, sizeof why) != BLIND_NO)
		fprintf(f, "no allocations seen: %s\n", why);
	else if (!s->totals.alloc_calls)
		fprintf(f, "no allocations seen\n");

	struct row *v = sorted(p, i, o, &n);
	for (uint32_t k = 0; k < n; k++) {
		const struct snap_entry *e = v[k].e;
		const struct prof_stack *stk = profile_stack(p, e->id);
		report_human(a, sizeof a, e->c.live_bytes);
		report_human(b, sizeof b, e->c.alloc_bytes);
		fprintf(f,
		        "\n#%u  %s live in %" PRIu64 " blocks; %" PRIu64
		        " allocations (%s), %" PRIu64 " frees",
		        k + 1, a, e->c.live_blocks, e->c.alloc_calls, b, e->c.free_calls);
		if (o->sort == SORT_GROWTH) {
			human_rate(a, sizeof a, v[k].g.bytes_per_s);
			fprintf(f, "; %s, %s", growth_verdict_name(v[k].g.verdict), a);
		}
		fputc('\n', f);
		report_text_frames(f, p, stk, "    ", report_empty_stack_name(e->id));
	}
	free(v);
}

void report_text_frames(FILE *f, const struct profile *p, const struct prof_stack *stk,
                        const char *indent, const char *empty)
{
	char name[64];
	if (!stk || !stk->depth)
		fprintf(f, "%s%s\n", indent, empty);
	for (uint32_t d = 0; stk && d < stk->depth; d++) {
		const struct frame_sym *fs = profile_sym(p, stk->frames[d]);
		fprintf(f, "%s%s", indent, report_frame_name(p, stk->frames[d], name, sizeof name));
		if (fs && *fs->file)
			fprintf(f, "  %s:%u", fs->file, fs->line);
		else if (fs && *fs->module && *fs->func)
			fprintf(f, "  (%s)", fs->module);
		fputc('\n', f);
	}
}

static void write_folded(FILE *f, const struct profile *p, uint32_t i, const struct report_opts *o)
{
	uint32_t n;
	char name[64];
	struct row *v = sorted(p, i, o, &n);
	for (uint32_t k = 0; k < n; k++) {
		const struct prof_stack *stk = profile_stack(p, v[k].e->id);
		if (!stk || !stk->depth)
			fputs(report_empty_stack_name(v[k].e->id), f);
		for (uint32_t d = stk ? stk->depth : 0; d-- > 0;) {
			/* ';' separates frames: keep it out of names. */
			for (const char *c =
			         report_frame_name(p, stk->frames[d], name, sizeof name);
			     *c; c++)
				fputc(*c == ';' ? ':' : *c, f);
			if (d)
				fputc(';', f);
		}
		fprintf(f, " %" PRIu64 "\n", report_metric_value(&v[k].e->c, o->metric));
	}
	free(v);
}

void report_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if (*c == '"' || *c == '\\')
			fprintf(f, "\\%c", *c);
		else if (*c < 0x20)
			fprintf(f, "\\u%04x", *c);
		else
			fputc(*c, f);
	}
	fputc('"', f);
}

void report_json_frames(FILE *f, const struct profile *p, const struct prof_stack *stk,
                        const char *empty)
{
	fputc('[', f);
	for (uint32_t d = 0; stk && d < stk->depth; d++) {
		const struct frame_sym *fs = profile_sym(p, stk->frames[d]);
		char name[64];
		fputs(d ? ", {\"func\": " : "{\"func\": ", f);
		report_json_str(f, fs && *fs->func
		                       ? fs->func
		                       : report_frame_name(p, stk->frames[d], name, sizeof name));
		fputs(", \"module\": ", f);
		report_json_str(f, fs ? fs->module : "");
		fputs(", \"file\": ", f);
		report_json_str(f, fs ? fs->file : "");
		fprintf(f, ", \"line\": %u, \"addr\": \"0x%" PRIx64 "\"}", fs ? fs->line : 0,
		        stk->frames[d]);
	}
	if ((!stk || !stk->depth) && empty) {
		fputs("{\"func\": ", f);
		report_json_str(f, empty);
		fputs(", \"module\": \"\", \"file\": \"\", \"line\": 0, \"addr\": \"0x0\"}", f);
	}
	fputc(']', f);
}

static void json_counts(FILE *f, const struct lt_counts *c)
{
	fprintf(f,
	        "\"live_bytes\": %" PRIu64 ", \"live_blocks\": %" PRIu64
	        ", \"alloc_calls\": %" PRIu64 ", \"alloc_bytes\": %" PRIu64
	        ", \"free_calls\": %" PRIu64,
	        c->live_bytes, c->live_blocks, c->alloc_calls, c->alloc_bytes, c->free_calls);
}

static void write_json(FILE *f, const struct profile *p, uint32_t i, const struct report_opts *o)
{
	const struct snapshot *s = &p->snaps[i];
	uint32_t n;
	char st[64];

	end_text(p, st, sizeof st);
	fputs("{\"program\": ", f);
	report_json_str(f, p->program ? p->program : "");
	fprintf(f,
	        ", \"pid\": %d, \"time_ms\": %" PRIu64
	        ", \"snapshot\": %u, \"snapshots\": %u, \"sample_bytes\": %u, \"state\": ",
	        p->pid, s->time_ns > p->start_ns ? (s->time_ns - p->start_ns) / 1000000 : 0, i + 1,
	        p->nsnaps, p->sample_bytes);
	report_json_str(f, st);
	fputs(",\n \"totals\": {", f);
	json_counts(f, &s->totals);
	fprintf(f,
	        ", \"unknown_frees\": %" PRIu64 ", \"overflow_allocs\": %" PRIu64
	        ", \"probe_bytes\": %" PRIu64 "},\n \"stacks\": [",
	        s->unknown_frees, s->overflow_allocs, s->probe_bytes);
	struct row *v = sorted(p, i, o, &n);
	for (uint32_t k = 0; k < n; k++) {
		const struct prof_stack *stk = profile_stack(p, v[k].e->id);
		fprintf(f, "%s\n  {\"id\": %u, ", k ? "," : "", v[k].e->id);
		json_counts(f, &v[k].e->c);
		if (wants_growth(i, o) && i > 0) {
			double r = v[k].g.bytes_per_s;
			fprintf(f, ", \"growth_bytes_per_s\": %.1f, \"verdict\": ",
			        isfinite(r) ? r : 0.0);
			report_json_str(f, growth_verdict_name(v[k].g.verdict));
		}
		fputs(", \"frames\": ", f);
		report_json_frames(f, p, stk, report_empty_stack_name(v[k].e->id));
		fputs("}", f);
	}
	fputs("\n ]}\n", f);
	free(v);
}

void report_write(FILE *f, const struct profile *p, uint32_t i, const struct report_opts *o)
{
	switch (o->format) {
	case REPORT_TEXT: write_text(f, p, i, o); break;
	case REPORT_FOLDED: write_folded(f, p, i, o); break;
	case REPORT_JSON: write_json(f, p, i, o); break;
	}
}
