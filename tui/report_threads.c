/* report_threads.c - `leaktop report --threads`: thread groups as text or
 * json, one group a line in json, so that line tools can read it. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>

#include "report.h"
#include "threads.h"

/* Thread snapshots (about one a second) the thread-leak verdict covers. */
#define TREND_WINDOW 60

static uint64_t age_ms(const struct lt_thread *t, uint64_t now_ns)
{
	uint64_t end = t->end_ns ? t->end_ns : now_ns;
	return end > t->start_ns ? (end - t->start_ns) / 1000000 : 0;
}

static void write_text(FILE *f, const struct profile *p, const struct thread_snap *ts,
                       const struct thread_groups *tg)
{
	char where[160], made[96];
	uint64_t up = ts->time_ns > p->start_ns ? (ts->time_ns - p->start_ns) / 1000000000 : 0;
	fprintf(f,
	        "threads of %s (pid %d) at %" PRIu64 ":%02" PRIu64 ":%02" PRIu64
	        ": %u live, %" PRIu64 " ended; %" PRIu64 " created since start\n",
	        p->program ? p->program : "?", p->pid, up / 3600, up / 60 % 60, up % 60, tg->live,
	        ts->ended, ts->created);
	fprintf(f, "current stacks taken in %.1f ms; ended threads still hold %" PRIu64 " bytes\n",
	        ts->capture_ns / 1e6, tg->ended_live_bytes);
	if (ts->untracked)
		fprintf(f, "%" PRIu64 " threads created while every slot was live: untracked\n",
		        ts->untracked);
	for (uint32_t i = 0; i < tg->n; i++) {
		const struct thread_group *g = &tg->g[i];
		fprintf(f, "\n#%u  %u thread%s, %" PRIu64 " bytes live, %s, %s%s\n", i + 1,
		        g->count, g->count == 1 ? "" : "s", g->live_bytes,
		        thread_state_name(g->state),
		        g->wait_stack == LT_STACK_NONE
		            ? thread_wait_name(g->wait)
		            : thread_where(p, g->wait_stack, where, sizeof where),
		        g->leak ? "; thread leak" : "");
		if (g->wait == LT_WAIT_SYSCALL)
			fprintf(f, "    system call %d: not interrupted for its stack\n",
			        g->members[0]->syscall);
		fprintf(f, "    created at %s\n",
		        thread_creator_name(p, g->create_stack, made, sizeof made));
		if (g->create_stack != LT_STACK_NONE)
			report_text_frames(f, p, profile_stack(p, g->create_stack), "        ",
			                   "[no frames]");
		if (g->wait_stack != LT_STACK_NONE) {
			fprintf(f, "    now at\n");
			report_text_frames(f, p, profile_stack(p, g->wait_stack), "        ",
			                   "[no frames]");
		}
		fprintf(f, "    members:");
		for (uint32_t k = 0; k < g->count; k++) {
			const struct lt_thread *t = g->members[k];
			fprintf(f, "%s %d", k % 4 ? "," : k ? ",\n            " : "", t->tid);
			if (t->name[0])
				fprintf(f, " %s", t->name);
			fprintf(f, " (%.1f s, %" PRIu64 " B", age_ms(t, ts->time_ns) / 1000.0,
			        t->live_bytes);
			if (t->wchan[0])
				fprintf(f, ", %s", t->wchan);
			fputc(')', f);
		}
		fputc('\n', f);
	}
	if (ts->nsites)
		fprintf(f, "\ncreation sites (counts since start):\n");
	for (uint32_t i = 0; i < ts->nsites; i++)
		fprintf(f, "  %" PRIu64 " created, %" PRIu64 " ended, %" PRIu64 " live: %s\n",
		        ts->sites[i].created, ts->sites[i].ended,
		        ts->sites[i].created - ts->sites[i].ended,
		        thread_creator_name(p, ts->sites[i].stack, made, sizeof made));
}

static void write_json(FILE *f, const struct profile *p, const struct thread_snap *ts,
                       const struct thread_groups *tg)
{
	char where[160], made[96], st[2] = { 0, 0 };
	fputs("{\"program\": ", f);
	report_json_str(f, p->program ? p->program : "");
	fprintf(f,
	        ", \"pid\": %d, \"time_ms\": %" PRIu64 ", \"live\": %u, \"ended\": %" PRIu64
	        ", \"created\": %" PRIu64 ", \"untracked\": %" PRIu64
	        ", \"slots\": %u, \"ended_live_bytes\": %" PRIu64 ", \"capture_ms\": %.3f,\n"
	        " \"groups\": [",
	        p->pid, ts->time_ns > p->start_ns ? (ts->time_ns - p->start_ns) / 1000000 : 0,
	        tg->live, ts->ended, ts->created, ts->untracked, ts->n, tg->ended_live_bytes,
	        ts->capture_ns / 1e6);
	for (uint32_t i = 0; i < tg->n; i++) {
		const struct thread_group *g = &tg->g[i];
		fprintf(f,
		        "%s\n  {\"count\": %u, \"thread_leak\": %s, \"live_bytes\": %" PRIu64
		        ", \"state\": ",
		        i ? "," : "", g->count, g->leak ? "true" : "false", g->live_bytes);
		report_json_str(f, thread_state_name(g->state));
		fputs(", \"where\": ", f);
		report_json_str(f, g->wait_stack == LT_STACK_NONE
		                       ? "?"
		                       : thread_where(p, g->wait_stack, where, sizeof where));
		fputs(", \"stack\": ", f);
		report_json_str(f, thread_wait_name(g->wait));
		fprintf(f, ", \"syscall\": %d", g->members[0]->syscall);
		fputs(", \"created_at\": ", f);
		report_json_str(f, thread_creator_name(p, g->create_stack, made, sizeof made));
		fputs(", \"members\": [", f);
		for (uint32_t k = 0; k < g->count; k++) {
			const struct lt_thread *t = g->members[k];
			st[0] = t->state;
			fprintf(f, "%s{\"tid\": %d, \"name\": ", k ? ", " : "", t->tid);
			report_json_str(f, t->name);
			fputs(", \"state\": ", f);
			report_json_str(f, st);
			fprintf(f,
			        ", \"age_ms\": %" PRIu64 ", \"live_bytes\": %" PRIu64
			        ", \"creator_tid\": %d, \"wchan\": ",
			        age_ms(t, ts->time_ns), t->live_bytes, t->creator_tid);
			report_json_str(f, t->wchan);
			fputc('}', f);
		}
		fputs("], \"create_frames\": ", f);
		report_json_frames(
		    f, p,
		    g->create_stack == LT_STACK_NONE ? NULL : profile_stack(p, g->create_stack),
		    NULL);
		fputs(", \"wait_frames\": ", f);
		report_json_frames(
		    f, p, g->wait_stack == LT_STACK_NONE ? NULL : profile_stack(p, g->wait_stack),
		    NULL);
		fputc('}', f);
	}
	fputs("\n ],\n \"sites\": [", f);
	for (uint32_t i = 0; i < ts->nsites; i++) {
		fprintf(f,
		        "%s\n  {\"created\": %" PRIu64 ", \"ended\": %" PRIu64 ", \"created_at\": ",
		        i ? "," : "", ts->sites[i].created, ts->sites[i].ended);
		report_json_str(f, thread_creator_name(p, ts->sites[i].stack, made, sizeof made));
		fputs(", \"frames\": ", f);
		report_json_frames(f, p, profile_stack(p, ts->sites[i].stack), NULL);
		fputc('}', f);
	}
	fputs("\n ]}\n", f);
}

/* Frames of stack id, root first, each after a ';' (but the line's first);
 * `none` alone when there is no stack. */
static void folded_frames(FILE *f, const struct profile *p, uint32_t id, const char *none,
                          int *first)
{
	const struct prof_stack *stk = id == LT_STACK_NONE ? NULL : profile_stack(p, id);
	char name[64];
	if (!stk || !stk->depth) {
		fprintf(f, "%s%s", *first ? "" : ";", none);
		*first = 0;
		return;
	}
	for (uint32_t d = stk->depth; d-- > 0;) {
		if (!*first)
			fputc(';', f);
		*first = 0;
		/* ';' separates frames: keep it out of names. */
		for (const char *c = report_frame_name(p, stk->frames[d], name, sizeof name); *c;
		     c++)
			fputc(*c == ';' ? ':' : *c, f);
	}
}

/* One line a group: its creation stack, "[thread]", its current stack (or
 * why it is unknown), and the count. */
static void write_folded(FILE *f, const struct profile *p, const struct thread_groups *tg)
{
	char why[80];
	for (uint32_t i = 0; i < tg->n; i++) {
		const struct thread_group *g = &tg->g[i];
		int first = 1;
		folded_frames(f, p, g->create_stack, "[not seen created]", &first);
		fputs(";[thread]", f);
		snprintf(why, sizeof why, "[%s]", thread_wait_name(g->wait));
		folded_frames(f, p, g->wait_stack, why, &first);
		fprintf(f, " %u\n", g->count);
	}
}

int report_threads_write(FILE *f, const struct profile *p, uint64_t time_ns,
                         enum report_format format)
{
	const struct thread_snap *ts = profile_threads_at(p, time_ns);
	if (!ts)
		return -1;
	struct thread_groups tg;
	thread_groups_build(&tg, ts);
	thread_groups_trend(&tg, p, (uint32_t)(ts - p->tsnaps), TREND_WINDOW);
	if (format == REPORT_JSON)
		write_json(f, p, ts, &tg);
	else if (format == REPORT_FOLDED)
		write_folded(f, p, &tg);
	else
		write_text(f, p, ts, &tg);
	thread_groups_free(&tg);
	return 0;
}
