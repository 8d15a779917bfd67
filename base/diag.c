/* diag.c - printing diagnostics with the source line and a caret span. */
#include "diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int src_init(struct src *s, const char *name, const char *text, uint32_t len)
{
	memset(s, 0, sizeof(*s));
	char *copy = malloc((size_t)len + 1);
	if (!copy)
		return -1;
	memcpy(copy, text, len);
	copy[len] = '\0';
	uint32_t n = 1;
	for (uint32_t i = 0; i < len; i++)
		n += text[i] == '\n';
	uint32_t *lines = malloc(sizeof(*lines) * n);
	if (!lines) {
		free(copy);
		return -1;
	}
	lines[0] = 0;
	n = 1;
	for (uint32_t i = 0; i < len; i++)
		if (text[i] == '\n')
			lines[n++] = i + 1;
	s->name = name;
	s->text = copy;
	s->len = len;
	s->lines = lines;
	s->nlines = n;
	return 0;
}

void src_free(struct src *s)
{
	free((char *)s->text);
	free(s->lines);
	memset(s, 0, sizeof(*s));
}

void src_linecol(const struct src *s, uint32_t off, uint32_t *line, uint32_t *col)
{
	uint32_t lo = 0, hi = s->nlines;
	if (off > s->len)
		off = s->len;
	while (hi - lo > 1) { /* last line start <= off */
		uint32_t mid = lo + (hi - lo) / 2;
		if (s->lines[mid] <= off)
			lo = mid;
		else
			hi = mid;
	}
	*line = lo + 1;
	*col = off - s->lines[lo] + 1;
}

void diag_init(struct diag *d, const struct src *s, FILE *out)
{
	memset(d, 0, sizeof(*d));
	d->src = s;
	d->out = out;
	d->max_errors = 20;
}

/* The source line of l with a ^~~~ under the span (cut at the line's end). */
static void diag_show(struct diag *d, struct loc l)
{
	const struct src *s = d->src;
	uint32_t line, col;
	src_linecol(s, l.begin, &line, &col);
	uint32_t start = s->lines[line - 1];
	uint32_t end = start;
	while (end < s->len && s->text[end] != '\n')
		end++;
	/* one screen: a long line is shown as a window around the caret */
	if (col > 120) {
		uint32_t skip = col - 60;
		start += skip;
		col -= skip;
	}
	uint32_t shown = end - start;
	if (shown > 160)
		shown = 160;
	fprintf(d->out, "%5u | ", line);
	for (uint32_t i = 0; i < shown; i++) {
		unsigned char c = (unsigned char)s->text[start + i];
		fputc(c == '\t' || (c >= 0x20 && c < 0x7f) ? c : '?', d->out);
	}
	fputs("\n      | ", d->out);
	for (uint32_t i = 1; i < col; i++)
		fputc(s->text[start + i - 1] == '\t' ? '\t' : ' ', d->out);
	fputc('^', d->out);
	uint32_t span = l.end > l.begin ? l.end - l.begin : 1;
	for (uint32_t i = 1; i < span && col + i - 1 <= shown; i++)
		fputc('~', d->out);
	fputc('\n', d->out);
}

static void diag_vreport(struct diag *d, enum diag_level lvl, const struct loc *l,
			 const char *fmt, va_list ap)
{
	static const char *const names[] = {"error", "warning", "note"};
	if (lvl == DIAG_ERROR) {
		d->nerrors++;
		if (d->max_errors && d->nerrors > d->max_errors) {
			d->suppressed++;
			return;
		}
	} else if (lvl == DIAG_WARNING) {
		d->nwarnings++;
	} else if (d->suppressed) {
		return; /* a note to a suppressed error */
	}
	if (l && d->src) {
		uint32_t line, col;
		src_linecol(d->src, l->begin, &line, &col);
		fprintf(d->out, "%s:%u:%u: %s: ", d->src->name, line, col, names[lvl]);
	} else {
		fprintf(d->out, "%s: %s: ", d->src ? d->src->name : "nfsq", names[lvl]);
	}
	vfprintf(d->out, fmt, ap);
	fputc('\n', d->out);
	if (l && d->src)
		diag_show(d, *l);
}

void diag_error(struct diag *d, struct loc l, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	diag_vreport(d, DIAG_ERROR, &l, fmt, ap);
	va_end(ap);
}

void diag_warning(struct diag *d, struct loc l, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	diag_vreport(d, DIAG_WARNING, &l, fmt, ap);
	va_end(ap);
}

void diag_note(struct diag *d, struct loc l, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	diag_vreport(d, DIAG_NOTE, &l, fmt, ap);
	va_end(ap);
}

void diag_error_noloc(struct diag *d, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	diag_vreport(d, DIAG_ERROR, NULL, fmt, ap);
	va_end(ap);
}

void diag_finish(struct diag *d)
{
	if (d->suppressed)
		fprintf(d->out, "%s: %d more errors not shown (%d in all)\n",
			d->src ? d->src->name : "nfsq", d->suppressed, d->nerrors);
}

/* Levenshtein distance, capped at 255, for short identifiers. */
static unsigned diag_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 63 || lb > 63)
		return 255;
	unsigned row[64];
	for (size_t j = 0; j <= lb; j++)
		row[j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		unsigned diag = row[0];
		row[0] = (unsigned)i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned up = row[j];
			unsigned best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

const char *diag_suggest(const char *name, const char *const *cands, unsigned n)
{
	const char *best = NULL;
	unsigned bestd = 255;
	size_t len = strlen(name);
	unsigned limit = len <= 3 ? 1 : len <= 6 ? 2
						 : 3;
	for (unsigned i = 0; i < n; i++) {
		if (!cands[i])
			continue;
		unsigned dist = diag_distance(name, cands[i]);
		if (dist < bestd || (dist == bestd && best && strcmp(cands[i], best) < 0)) {
			bestd = dist;
			best = cands[i];
		}
	}
	return bestd <= limit ? best : NULL;
}
