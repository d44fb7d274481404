/* spec.h - naming one snapshot of a recording on the command line, for
 * `leaktop diff` and `leaktop replay --base`:
 *
 *   FILE            its last snapshot
 *   FILE@N          snapshot N, 1 the first
 *   FILE@last       the last one
 *   FILE@-DURATION  the last snapshot taken at or before the last one's
 *                   time less DURATION: a number (decimals allowed) and a
 *                   unit, ms, s, m or h (@-10s, @-2m, @-500ms, @-1.5s)
 *
 * A suffix that is none of these is part of the file's name ("a@b.lkt").
 *
 * Ownership: a struct spec owns its strings, until spec_fini. */
#ifndef LEAKTOP_SPEC_H
#define LEAKTOP_SPEC_H

#include <stddef.h>
#include <stdint.h>

#include "shared/profile.h"

enum spec_kind {
	SPEC_LAST,       /* FILE or FILE@last */
	SPEC_INDEX,      /* FILE@N */
	SPEC_BEFORE_END, /* FILE@-DURATION */
};

struct spec {
	char *text; /* as given */
	char *file;
	enum spec_kind kind;
	uint32_t index;     /* SPEC_INDEX: 1 is the first snapshot */
	uint64_t before_ns; /* SPEC_BEFORE_END: the duration */
};

/* Splits text into s. 0, or -1 with a one-line message in err (a
 * malformed duration or snapshot number); s holds nothing then. */
int spec_parse(struct spec *s, const char *text, char *err, size_t errlen);

/* The index (0 the first) of the snapshot s names in p. 0, or -1 with a
 * message in err: p holds no snapshot, or not that one (N past the end, a
 * duration longer than the recording). */
int spec_resolve(const struct spec *s, const struct profile *p, uint32_t *index, char *err,
                 size_t errlen);

void spec_fini(struct spec *s);

/* Parses text, reads its file and resolves it, or dies with one line (a
 * bad spec, a file that is not a recording, a snapshot it does not hold).
 * Returns the profile (the caller's, for profile_free) and fills s and
 * *index. A torn file loads what is complete: torn gets the reader's
 * message (where it stopped), else "". */
struct profile *spec_load(const char *text, struct spec *s, uint32_t *index, char *torn,
                          size_t tornlen);

#endif
