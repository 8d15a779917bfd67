/* diag.h - diagnostics: file:line:col, the source line and a caret span.
 *
 * Locations are byte offsets into the source; the line table turns them into
 * line:col only when a message is printed. */
#ifndef NFSQ_DIAG_H
#define NFSQ_DIAG_H

#include <stdint.h>
#include <stdio.h>

struct loc {
	uint32_t begin, end; /* byte offsets into the source, [begin, end) */
};

struct src {
	const char *name; /* "script.nfsq", or "-e" for a command-line program */
	const char *text; /* the script, NUL-terminated (may contain NULs) */
	uint32_t len;
	uint32_t *lines; /* offset of the first byte of each line */
	uint32_t nlines;
};

enum diag_level {
	DIAG_ERROR,   /* compilation fails */
	DIAG_WARNING, /* compilation goes on */
	DIAG_NOTE,    /* attached to the message before it */
};

struct diag {
	const struct src *src;
	FILE *out;
	int nerrors;
	int nwarnings;
	int max_errors; /* stop printing after this many errors (0 = no limit) */
	int suppressed; /* errors not printed because of max_errors */
	int color;
};

/* Loads text into src and builds its line table; src owns a copy. */
int src_init(struct src *s, const char *name, const char *text, uint32_t len);
void src_free(struct src *s);
/* 1-based line and column (in bytes) of an offset. */
void src_linecol(const struct src *s, uint32_t off, uint32_t *line, uint32_t *col);

void diag_init(struct diag *d, const struct src *s, FILE *out);
void diag_error(struct diag *d, struct loc l, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void diag_warning(struct diag *d, struct loc l, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void diag_note(struct diag *d, struct loc l, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* An error with no place in the script (e.g. a missing argument). */
void diag_error_noloc(struct diag *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Prints "N errors" summary if anything was suppressed. */
void diag_finish(struct diag *d);

/* Closest candidate to name by edit distance, or NULL when none is close. */
const char *diag_suggest(const char *name, const char *const *cands, unsigned n);

#endif
