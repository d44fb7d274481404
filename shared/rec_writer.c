/* rec_writer.c - writing leaktop recordings (.lkt; recording.h has the
 * format).
 *
 * The writer turns what a profile gained since the last sync into records
 * and appends each with a single write() loop, so the file only ever grows
 * by whole records; if a write fails half-way the partial record is cut off
 * again (ftruncate) before the error is returned, and the next sync starts
 * from a clean end. Payloads are deflated at level 1: snapshots are runs of
 * small counters that compress well even so, and a live session syncs every
 * interval. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "bytes.h"
#include "outfile.h"
#include "rec_format.h"
#include "recording.h"

#define DEFLATE_LEVEL 1

int rec_writer_create(struct rec_writer *w, const char *path, char *err, size_t errlen)
{
	memset(w, 0, sizeof(*w));
	w->fd = -1;
	int fd = outfile_create(path, err, errlen);
	if (fd < 0)
		return -1;

	unsigned char h[FILE_HEADER];
	memcpy(h, REC_MAGIC, 8);
	bytes_store_u32(h + 8, REC_VERSION);
	bytes_store_u32(h + 12, 0);
	if (outfile_write(fd, h, sizeof(h)) < 0) {
		int e = errno;
		close(fd);
		unlink(path);
		return rec_say(err, errlen, "%s", strerror(e));
	}
	w->fd = fd;
	w->offset = FILE_HEADER;
	return 0;
}

/* Deflates raw into one record and appends it; on failure the file is cut
 * back to where the record began. */
static int write_record(struct rec_writer *w, uint32_t type, const struct bytes_out *raw, char *err,
                        size_t errlen)
{
	if (raw->bad)
		return rec_say(err, errlen, "out of memory encoding a %s record",
		               rec_type_names[type]);
	if (raw->len > REC_RAW_MAX)
		return rec_say(err, errlen, "%s record of %zu bytes exceeds the %u-byte limit",
		               rec_type_names[type], raw->len, REC_RAW_MAX);

	uLongf stored = compressBound((uLong)raw->len);
	unsigned char *rec = malloc(RECORD_HEADER + stored);
	if (!rec)
		return rec_say(err, errlen, "out of memory writing a %s record",
		               rec_type_names[type]);
	int zr = compress2(rec + RECORD_HEADER, &stored, raw->p ? raw->p : rec, (uLong)raw->len,
	                   DEFLATE_LEVEL);
	if (zr != Z_OK) {
		free(rec);
		return rec_say(err, errlen, "deflate failed (zlib %d)", zr);
	}
	bytes_store_u32(rec, type);
	bytes_store_u32(rec + 4, (uint32_t)stored);
	bytes_store_u32(rec + 8, (uint32_t)raw->len);
	uLong crc = crc32(0, rec, 12);
	crc = crc32(crc, rec + RECORD_HEADER, (uInt)stored);
	bytes_store_u32(rec + 12, (uint32_t)crc);

	size_t n = RECORD_HEADER + stored;
	if (outfile_write(w->fd, rec, n) < 0) {
		int e = errno;
		free(rec);
		if (ftruncate(w->fd, (off_t)w->offset) < 0 ||
		    lseek(w->fd, (off_t)w->offset, SEEK_SET) < 0)
			return rec_say(err, errlen,
			               "write: %s; and the torn record could not be cut: %s",
			               strerror(e), strerror(errno));
		return rec_say(err, errlen, "write: %s", strerror(e));
	}
	free(rec);
	w->offset += n;
	return 0;
}

static void put_str(struct bytes_out *o, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n > STR_MAX)
		n = STR_MAX;
	bytes_put_u16(o, (uint16_t)n);
	bytes_put_mem(o, s, n);
}

static void put_counts(struct bytes_out *o, const struct lt_counts *c)
{
	bytes_put_u64(o, c->live_bytes);
	bytes_put_u64(o, c->live_blocks);
	bytes_put_u64(o, c->alloc_calls);
	bytes_put_u64(o, c->alloc_bytes);
	bytes_put_u64(o, c->free_calls);
}

/* One entry of a list record: the i-th new item of its kind. */
typedef void put_entry_fn(struct bytes_out *o, const struct profile *p, uint64_t i);

static void put_stack(struct bytes_out *o, const struct profile *p, uint64_t i)
{
	uint32_t id = p->stack_order[i];
	const struct prof_stack *s = &p->stacks[id];
	bytes_put_u32(o, id);
	bytes_put_u16(o, (uint16_t)s->depth); /* profile_add_stack keeps it <= 0xffff */
	for (uint32_t k = 0; k < s->depth; k++)
		bytes_put_u64(o, s->frames[k]);
}

static void put_module(struct bytes_out *o, const struct profile *p, uint64_t i)
{
	const struct prof_module *m = &p->mods[i];
	bytes_put_u64(o, m->bias);
	bytes_put_u64(o, m->lo);
	bytes_put_u64(o, m->hi);
	bytes_put_u8(o, (uint8_t)m->build_id_len); /* profile_add_module keeps it <= 20 */
	bytes_put_mem(o, m->build_id, m->build_id_len);
	put_str(o, m->path);
}

static void put_sym(struct bytes_out *o, const struct profile *p, uint64_t i)
{
	const struct frame_sym *s = &p->syms[i];
	bytes_put_u64(o, s->addr);
	bytes_put_u32(o, s->line);
	put_str(o, s->func);
	put_str(o, s->module);
	put_str(o, s->file);
}

static void put_tick(struct bytes_out *o, const struct profile *p, uint64_t i)
{
	const struct lt_tick *t = &p->ticks[i];
	bytes_put_u64(o, t->time_ns);
	bytes_put_u64(o, t->live_bytes);
	bytes_put_u64(o, t->live_blocks);
	bytes_put_u64(o, t->alloc_calls);
	bytes_put_u64(o, t->free_calls);
}

/* Writes items [*done, total) as "u32 n, entries" records of this type, as
 * many entries to a record as fit under REC_RAW_MAX (one entry always fits:
 * the largest, a symbol with three 64 KiB strings, is under 200 KiB).
 * *done advances after each record written. */
static int write_list(struct rec_writer *w, uint32_t type, const struct profile *p,
                      put_entry_fn *put, uint64_t *done, uint64_t total, struct bytes_out *o,
                      char *err, size_t errlen)
{
	while (*done < total) {
		o->len = 0;
		bytes_put_u32(o, 0);
		uint64_t i = *done;
		uint32_t n = 0;
		for (; i < total && n < UINT32_MAX && !o->bad; i++, n++) {
			size_t before = o->len;
			put(o, p, i);
			if (o->len > REC_RAW_MAX && n > 0) {
				o->len = before; /* starts the next record instead */
				break;
			}
		}
		bytes_patch_u32(o, 0, n);
		if (write_record(w, type, o, err, errlen) < 0)
			return -1;
		*done = i;
	}
	return 0;
}

static void put_snap_fixed(struct bytes_out *o, const struct snapshot *s)
{
	bytes_put_u64(o, s->seqno);
	bytes_put_u64(o, s->time_ns);
	put_counts(o, &s->totals);
	bytes_put_u64(o, s->unknown_frees);
	bytes_put_u64(o, s->overflow_allocs);
	bytes_put_u64(o, s->probe_bytes);
}

static void put_entry(struct bytes_out *o, uint32_t id, const struct lt_counts *c)
{
	bytes_put_u32(o, id);
	put_counts(o, c);
}

/* The DELTA of s against the last snapshot written: a merge of two lists
 * sorted by id, keeping the stacks whose counts moved. Returns the entries. */
static uint32_t put_delta(struct bytes_out *o, const struct rec_writer *w, const struct snapshot *s)
{
	static const struct lt_counts gone;
	const struct snap_entry *a = w->last, *b = s->e;
	uint32_t i = 0, k = 0, n = 0;
	put_snap_fixed(o, s);
	size_t count_at = o->len;
	bytes_put_u32(o, 0);
	while (i < w->nlast || k < s->n) {
		if (k == s->n || (i < w->nlast && a[i].id < b[k].id)) {
			put_entry(o, a[i++].id, &gone); /* left */
			n++;
		} else if (i == w->nlast || b[k].id < a[i].id) {
			put_entry(o, b[k].id, &b[k].c); /* came */
			k++, n++;
		} else {
			if (memcmp(&a[i].c, &b[k].c, sizeof(b[k].c)) != 0) {
				put_entry(o, b[k].id, &b[k].c); /* moved */
				n++;
			}
			i++, k++;
		}
	}
	bytes_patch_u32(o, count_at, n);
	return n;
}

/* Remembers s as the snapshot the next DELTA is written against. */
static int keep_last(struct rec_writer *w, const struct snapshot *s)
{
	if (s->n > w->last_cap) {
		struct snap_entry *e = realloc(w->last, (size_t)s->n * sizeof(*e));
		if (!e)
			return -1;
		w->last = e;
		w->last_cap = s->n;
	}
	if (s->n)
		memcpy(w->last, s->e, (size_t)s->n * sizeof(*s->e));
	w->nlast = s->n;
	w->have_last = 1;
	return 0;
}

/* A full SNAPSHOT, or a DELTA when there is a snapshot to write it against,
 * the last full one is recent enough, and it saves a quarter of the
 * entries or more. */
static int write_snapshot(struct rec_writer *w, const struct snapshot *s, struct bytes_out *o,
                          char *err, size_t errlen)
{
	if (s->n > (REC_RAW_MAX - SNAP_FIXED) / SNAP_ENTRY_SIZE) {
		errno = EFBIG;
		return rec_say(err, errlen,
		               "snapshot %llu has %u entries, more than one record holds",
		               (unsigned long long)s->seqno, s->n);
	}
	uint32_t type = REC_DELTA;
	o->len = 0;
	if (!w->have_last || w->since_full + 1 >= REC_FULL_EVERY ||
	    (uint64_t)put_delta(o, w, s) * 4 > (uint64_t)s->n * 3) {
		type = REC_SNAPSHOT;
		o->len = 0;
		put_snap_fixed(o, s);
		bytes_put_u32(o, s->n);
		for (uint32_t i = 0; i < s->n; i++)
			put_entry(o, s->e[i].id, &s->e[i].c);
	}
	if (write_record(w, type, o, err, errlen) < 0)
		return -1;
	w->since_full = type == REC_DELTA ? w->since_full + 1 : 0;
	w->snaps_written++;
	/* Without room for the copy the next snapshot is simply a full one. */
	if (keep_last(w, s) < 0)
		w->have_last = 0;
	return 0;
}

static int write_threads(struct rec_writer *w, const struct thread_snap *s, struct bytes_out *o,
                         char *err, size_t errlen)
{
	o->len = 0;
	bytes_put_u64(o, s->seqno);
	bytes_put_u64(o, s->time_ns);
	bytes_put_u64(o, s->created);
	bytes_put_u64(o, s->ended);
	bytes_put_u64(o, s->untracked);
	bytes_put_u64(o, s->capture_ns);
	bytes_put_u64(o, s->reused_live_bytes);
	bytes_put_u32(o, s->n);
	for (uint32_t i = 0; i < s->n; i++) {
		const struct lt_thread *t = &s->t[i];
		bytes_put_u32(o, (uint32_t)t->tid);
		bytes_put_u32(o, (uint32_t)t->creator_tid);
		bytes_put_u32(o, t->create_stack);
		bytes_put_u32(o, t->wait_stack);
		bytes_put_u8(o, t->status);
		bytes_put_u8(o, (uint8_t)t->state);
		bytes_put_u8(o, t->wait);
		bytes_put_u32(o, t->serial);
		bytes_put_u32(o, (uint32_t)t->syscall);
		bytes_put_u64(o, t->start_ns);
		bytes_put_u64(o, t->end_ns);
		bytes_put_u64(o, t->wait_ns);
		bytes_put_u64(o, t->live_bytes);
		put_str(o, t->name);
		put_str(o, t->wchan);
	}
	bytes_put_u32(o, s->nsites);
	for (uint32_t i = 0; i < s->nsites; i++) {
		bytes_put_u32(o, s->sites[i].stack);
		bytes_put_u64(o, s->sites[i].created);
		bytes_put_u64(o, s->sites[i].ended);
	}
	return write_record(w, REC_THREADS, o, err, errlen);
}

int rec_writer_limit(struct rec_writer *w, const char *path, uint64_t max_size)
{
	char *copy = strdup(path);
	if (!copy)
		return -1;
	free(w->path);
	w->path = copy;
	w->max_size = max_size;
	w->thin_at = max_size;
	return 0;
}

void rec_writer_forget(struct rec_writer *w, struct profile *p)
{
	if (w->snaps_done > 1) {
		uint32_t tsnaps = p->ntsnaps;
		uint32_t dropped = profile_drop_snapshots(p, 1, SIZE_MAX, 1);
		w->snaps_done -= dropped;
		w->tsnaps_done -= tsnaps - p->ntsnaps;
	}
	if (w->ticks_done > 1) {
		profile_drop_ticks(p, w->ticks_done - 1);
		w->ticks_done = 1;
	}
}

/* Writes q whole (no END) into a new file at tmp; its writer in t. */
static int write_whole(struct rec_writer *t, const char *tmp, const struct profile *q, char *err,
                       size_t errlen)
{
	if (rec_writer_create(t, tmp, err, errlen) < 0)
		return -1;
	if (rec_writer_sync(t, q, err, errlen) < 0) {
		close(t->fd);
		free(t->last);
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* The file went past max_size: read it back, thin it until it takes at
 * most half, and put the result in its place. The writer's own state (what
 * of its profile is written, the snapshot a DELTA follows) stays true: the
 * new file holds every stack, symbol and the newest snapshot of the old. */
static int thin(struct rec_writer *w, char *err, size_t errlen)
{
	char tmp[4096];
	if (snprintf(tmp, sizeof(tmp), "%s.thin", w->path) >= (int)sizeof(tmp))
		return rec_say(err, errlen, "name too long to thin beside");
	struct profile *q = profile_new();
	if (!q)
		return rec_say(err, errlen, "out of memory thinning the recording");
	char rerr[256];
	if (rec_read_file(w->path, q, rerr, sizeof(rerr)) != 0) {
		profile_free(q);
		return rec_say(err, errlen, "reading it back to thin it: %s", rerr);
	}
	struct rec_writer t = { .fd = -1 };
	uint32_t dropped = 0;
	for (;;) {
		uint32_t k = profile_thin(q, q->nsnaps / 4 ? q->nsnaps / 4 : 1);
		if (k == 0)
			break;
		dropped += k;
		if (t.fd >= 0) {
			close(t.fd);
			free(t.last);
		}
		if (write_whole(&t, tmp, q, err, errlen) < 0) {
			profile_free(q);
			return -1;
		}
		if (t.offset <= w->max_size / 2)
			break;
	}
	profile_free(q);
	if (t.fd < 0) { /* nothing left to thin: stacks and symbols are most of it */
		w->thin_at = w->offset + w->max_size / 2;
		return 0;
	}
	if (fdatasync(t.fd) < 0 && errno != EINVAL) {
		int e = errno;
		close(t.fd);
		free(t.last);
		unlink(tmp);
		return rec_say(err, errlen, "fdatasync: %s", strerror(e));
	}
	if (rename(tmp, w->path) < 0) {
		int e = errno;
		close(t.fd);
		free(t.last);
		unlink(tmp);
		return rec_say(err, errlen, "rename %s: %s", tmp, strerror(e));
	}
	close(w->fd);
	w->fd = t.fd;
	w->offset = t.offset;
	w->since_full = t.since_full;
	w->thinned += dropped;
	free(t.last);
	w->thin_at = t.offset > w->max_size / 2 ? t.offset + w->max_size / 2 : w->max_size;
	return 0;
}

void rec_writer_restart(struct rec_writer *w)
{
	w->meta_done = 0;
	w->mods_done = w->stacks_done = w->syms_done = w->snaps_done = w->tsnaps_done = 0;
	w->ticks_done = 0;
	w->have_last = 0; /* the new image starts with a full snapshot */
}

int rec_writer_sync(struct rec_writer *w, const struct profile *p, char *err, size_t errlen)
{
	if (w->fd < 0)
		return rec_say(err, errlen, "recording is not open");
	struct bytes_out o;
	bytes_out_init(&o);
	int rc = -1;

	if (!w->meta_done) {
		bytes_put_u32(&o, (uint32_t)p->pid);
		bytes_put_u64(&o, p->start_ns);
		bytes_put_u32(&o, p->interval_ms);
		bytes_put_u32(&o, p->depth);
		put_str(&o, p->program);
		bytes_put_u32(&o, p->sample_bytes);
		if (write_record(w, REC_META, &o, err, errlen) < 0)
			goto out;
		w->meta_done = 1;
	}

	uint64_t done = w->mods_done;
	int r = write_list(w, REC_MODULES, p, put_module, &done, p->nmods, &o, err, errlen);
	w->mods_done = (uint32_t)done;
	if (r < 0)
		goto out;

	done = w->stacks_done;
	r = write_list(w, REC_STACKS, p, put_stack, &done, p->nstack_order, &o, err, errlen);
	w->stacks_done = (uint32_t)done;
	if (r < 0)
		goto out;

	done = w->syms_done;
	r = write_list(w, REC_SYMBOLS, p, put_sym, &done, p->nsyms, &o, err, errlen);
	w->syms_done = (uint32_t)done;
	if (r < 0)
		goto out;

	for (; w->snaps_done < p->nsnaps; w->snaps_done++)
		if (write_snapshot(w, &p->snaps[w->snaps_done], &o, err, errlen) < 0)
			goto out;
	for (; w->tsnaps_done < p->ntsnaps; w->tsnaps_done++)
		if (write_threads(w, &p->tsnaps[w->tsnaps_done], &o, err, errlen) < 0)
			goto out;

	if (write_list(w, REC_TICKS, p, put_tick, &w->ticks_done, p->nticks, &o, err, errlen) < 0)
		goto out;
	rc = w->max_size && w->offset > w->thin_at ? thin(w, err, errlen) : 0;
out:
	bytes_out_fini(&o);
	return rc;
}

int rec_writer_finish(struct rec_writer *w, const struct profile *p, char *err, size_t errlen)
{
	if (w->fd < 0)
		return rec_say(err, errlen, "recording is not open");
	int rc = rec_writer_sync(w, p, err, errlen);
	if (rc == 0) {
		struct bytes_out o;
		bytes_out_init(&o);
		bytes_put_u32(&o, (uint32_t)p->end);
		bytes_put_u32(&o, (uint32_t)p->end_code);
		rc = write_record(w, REC_END, &o, err, errlen);
		bytes_out_fini(&o);
	}
	/* The data is complete only once it is on disk; one fdatasync at the
	 * end costs nothing next to a sync per record. */
	if (rc == 0 && fdatasync(w->fd) < 0 && errno != EINVAL)
		rc = rec_say(err, errlen, "fdatasync: %s", strerror(errno));
	if (close(w->fd) < 0 && rc == 0)
		rc = rec_say(err, errlen, "close: %s", strerror(errno));
	w->fd = -1;
	free(w->path);
	w->path = NULL;
	free(w->last);
	w->last = NULL;
	w->nlast = w->last_cap = 0;
	w->have_last = 0;
	return rc;
}
