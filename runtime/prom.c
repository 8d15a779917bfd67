/* prom.c - the script's maps in the Prometheus text exposition format (0.0.4).
 *
 * Names (docs/DEPLOY.md has the rules for users):
 * - metric family: "nfsq_" + the map's name ("@" alone: "nfsq_map"); count() and sum()
 *   maps are counters named ..._total, avg/min/max and plain values gauges, stats() a
 *   summary (_sum, _count) plus _min and _max gauges, hist/lhist histograms;
 * - labels: a key written as a plain name (a probe field, a builtin or a $local) gives
 *   its label that name ("@ops[op, server]" -> op="..",server=".."), any other key
 *   expression "key<i>" (i from 0); the names of the map's first assignment count;
 * - HELP: the comment ("//" lines or a block comment) ending on the line just above
 *   the map's first assignment, else the one just above that clause when the map is
 *   the first one the clause uses, else "nfsq map @name: agg() by keys".
 *
 * - units: a map named ..._ns, ..._us or ..._ms (other than a count()) holds a time in
 *   that unit; it is exported in seconds, Prometheus' base unit: the name ends in
 *   _seconds instead, and its values, le bounds and sums are divided accordingly
 *   ("@rtt_us = hist(rtt / 1us)" -> nfsq_rtt_seconds_bucket{le="0.001023"}).
 *
 * hist buckets are powers of two over integers, so bucket [lo, hi] becomes le="hi"
 * (the largest value it holds: 0, 1, 3, 7, ..., 2^k-1), cumulative, then le="+Inf".
 * The kernel keeps no sum of the observations: _sum is estimated from the bucket
 * midpoints. Each histogram emits every bucket between the lowest and the highest
 * bucket any of its series ever used (remembered across scrapes), so bucket series
 * never vanish and histogram_quantile sees the same buckets for every label set. */
#define _GNU_SOURCE
#include "prom.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rt.h"
#include "snapshot.h"
#include "symbols.h"

#define PROM_HELP_MAX 400   /* bytes of a HELP text taken from a comment */
#define PROM_BLOCK_LINES 50 /* lines searched upwards for the start of a block comment */

struct prom_map {
	const struct map_layout *l;
	char *base;    /* "nfsq_ops" */
	char *family;  /* the TYPE line's name: base, or base + "_total" for counters */
	char **labels; /* nkeys label names */
	double scale;  /* 1, or 1e-9 / 1e-6 / 1e-3 for a time in ns / us / ms (exported in s) */
	char *help;    /* escaped for a HELP line */
	bool skip;     /* left out: its names clash with another map's */
	bool seen;     /* hist / lhist: lo..hi hold the bucket range seen so far */
	unsigned lo, hi;
};

struct prom {
	struct rt *r;
	unsigned n;
	struct prom_map *maps; /* in map name order */
	uint64_t *cpuvals;     /* ncpus u64: the drop counters' per-CPU values */
};

/* ---- output (struct rt_buf, runtime/output.c) ---- */

/* A map whose values are text (a string, a tuple, a stack): exported as an info-style
 * series, the text in a label "value", 1 as the sample. */
static bool prom_text_value(const struct map_info *m)
{
	return m->agg == AGG_NONE && (type_is_buffer(m->value) || type_is_symbolic(m->value));
}

static void pb_str(struct rt_buf *b, const char *s)
{
	rt_buf_add(b, s, strlen(s));
}

/* A value of map pm: an integer as it is, a time scaled to seconds. */
static void pb_value(struct rt_buf *b, double scale, int64_t v)
{
	char tmp[40];
	int n;

	if (scale == 1) {
		rt_buf_int(b, v);
		return;
	}
	n = snprintf(tmp, sizeof(tmp), "%.15g", (double)v * scale);
	rt_buf_add(b, tmp, n > 0 ? (size_t)n : 0);
}

static void pb_double(struct rt_buf *b, double v)
{
	char tmp[40];
	int n;

	if (fabs(v) < 9e15 && v == (double)(int64_t)v) {
		rt_buf_int(b, (int64_t)v);
		return;
	}
	n = snprintf(tmp, sizeof(tmp), "%.15g", v); /* the shortest that reads back the same */
	if (strtod(tmp, NULL) != v)
		n = snprintf(tmp, sizeof(tmp), "%.17g", v);
	rt_buf_add(b, tmp, n > 0 ? (size_t)n : 0);
}

/* The length of the valid UTF-8 sequence at s (at most n bytes), 0 if invalid (the
 * rules of Go's utf8.Valid, which Prometheus applies to label values). */
static size_t prom_utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

/* Text escaped for a label value (\\ \" \n) or a HELP line (\\ \n); bytes that are
 * not UTF-8 become U+FFFD, so one odd file name cannot make the scrape unparsable. */
static void pb_escaped(struct rt_buf *b, const char *s, size_t n, bool quote)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, run = 0;

	while (i < n) {
		size_t k = prom_utf8_len(u + i, n - i);
		const char *esc = NULL;

		if (k == 1 && u[i] == '\\')
			esc = "\\\\";
		else if (k == 1 && u[i] == '\n')
			esc = "\\n";
		else if (k == 1 && u[i] == '"' && quote)
			esc = "\\\"";
		else if (k == 0)
			esc = "\xef\xbf\xbd";
		if (!esc) {
			i += k;
			continue;
		}
		rt_buf_add(b, s + run, i - run);
		pb_str(b, esc);
		i += k ? k : 1;
		run = i;
	}
	rt_buf_add(b, s + run, n - run);
}

/* ---- names, labels and HELP, from the script ---- */

/* Line i (0-based) of the script, without its end of line and surrounding blanks. */
static const char *prom_line(const struct src *s, uint32_t i, size_t *n)
{
	uint32_t b = s->lines[i], e = i + 1 < s->nlines ? s->lines[i + 1] : s->len;

	while (e > b && strchr("\r\n \t", s->text[e - 1]))
		e--;
	while (b < e && (s->text[b] == ' ' || s->text[b] == '\t'))
		b++;
	*n = e - b;
	return s->text + b;
}

/* Appends comment text t[0..n) to b, blanks collapsed. */
static void prom_help_add(struct rt_buf *b, const char *t, size_t n)
{
	for (size_t i = 0; i < n && b->len < PROM_HELP_MAX; i++) {
		char ch = t[i] == '\t' || t[i] == '\r' || t[i] == '\n' ? ' ' : t[i];

		if (ch == ' ' && (!b->len || b->s[b->len - 1] == ' '))
			continue;
		rt_buf_add(b, &ch, 1);
	}
	if (b->len && b->s[b->len - 1] != ' ')
		rt_buf_add(b, " ", 1);
}

/* The comment ending on the line above line `line` (0-based): its text, or NULL. */
static char *prom_comment_above(const struct src *s, uint32_t line)
{
	struct rt_buf b = {0};
	const char *t;
	size_t n;
	uint32_t top;

	if (line == 0 || line > s->nlines)
		return NULL;
	t = prom_line(s, line - 1, &n);
	if (n >= 2 && t[0] == '/' && t[1] == '/') {
		top = line - 1;
		while (top > 0) {
			t = prom_line(s, top - 1, &n);
			if (n < 2 || t[0] != '/' || t[1] != '/')
				break;
			top--;
		}
		for (uint32_t i = top; i < line; i++) {
			t = prom_line(s, i, &n);
			while (n && *t == '/')
				t++, n--;
			prom_help_add(&b, t, n);
		}
	} else if (n >= 2 && t[n - 2] == '*' && t[n - 1] == '/') {
		top = line - 1;
		for (;;) {
			t = prom_line(s, top, &n);
			if (n >= 2 && t[0] == '/' && t[1] == '*')
				break;
			if (top == 0 || line - top > PROM_BLOCK_LINES || (top < line - 1 && strstr(t, "*/")))
				return NULL;
			top--;
		}
		for (uint32_t i = top; i < line; i++) {
			t = prom_line(s, i, &n);
			if (i == top)
				t += 2, n -= 2;
			if (i == line - 1)
				n -= n >= 2 ? 2 : n;
			while (n && (*t == '*' || *t == ' ' || *t == '\t'))
				t++, n--;
			prom_help_add(&b, t, n);
		}
	}
	while (b.len && b.s[b.len - 1] == ' ')
		b.s[--b.len] = 0;
	if (!b.len || b.oom) {
		free(b.s);
		return NULL;
	}
	return b.s;
}

static bool prom_name_ok(const char *s)
{
	if (!*s || (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_')))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_' ||
		      (*s >= '0' && *s <= '9')))
			return false;
	return true;
}

static char *prom_strcat(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);
	char *s = malloc(na + nb + 1);

	if (s) {
		memcpy(s, a, na);
		memcpy(s + na, b, nb + 1);
	}
	return s;
}

/* Label names of m's keys (see the top of the file). */
static int prom_label_names(struct prom_map *pm)
{
	const struct map_layout *l = pm->l;
	bool hist = l->info->agg == AGG_HIST || l->info->agg == AGG_LHIST;
	bool strval = prom_text_value(l->info);

	pm->labels = calloc(l->nkeys + 1, sizeof(char *));
	if (!pm->labels)
		return -1;
	for (unsigned i = 0; i < l->nkeys; i++) {
		const char *name = l->info->key_names[i];
		char gen[32];

		if (name && (!prom_name_ok(name) || !strncmp(name, "__", 2) || (hist && !strcmp(name, "le")) || (strval && !strcmp(name, "value"))))
			name = NULL;
		for (unsigned j = 0; name && j < i; j++)
			if (!strcmp(pm->labels[j], name))
				name = NULL;
		if (!name) {
			snprintf(gen, sizeof(gen), "key%u", i);
			name = gen;
		}
		pm->labels[i] = strdup(name);
		if (!pm->labels[i])
			return -1;
	}
	return 0;
}

static int prom_help(struct prom_map *pm, const struct src *src)
{
	const struct map_info *m = pm->l->info;
	char *text = NULL;
	struct rt_buf b = {0};

	if (m->have_first) {
		uint32_t line, col;

		src_linecol(src, m->first.begin, &line, &col);
		text = prom_comment_above(src, line - 1);
		if (!text && m->clause_first) {
			src_linecol(src, m->clause_loc.begin, &line, &col);
			text = prom_comment_above(src, line - 1);
		}
	}
	if (text) {
		pb_escaped(&b, text, strlen(text), false);
		free(text);
	} else {
		pb_str(&b, "nfsq map ");
		pb_str(&b, m->name);
		pb_str(&b, ": ");
		pb_str(&b, m->agg == AGG_NONE ? "value" : agg_name(m->agg));
		pb_str(&b, m->agg == AGG_NONE ? "" : "()");
		for (unsigned i = 0; i < pm->l->nkeys; i++) {
			pb_str(&b, i ? ", " : " by ");
			pb_str(&b, pm->labels[i]);
		}
	}
	pm->help = b.s;
	return b.oom || !b.s ? -1 : 0;
}

/* The sample names a map produces (families and series), for the clash check. */
static unsigned prom_names_of(const struct prom_map *pm, char out[4][160])
{
	static const char *const suffixes[][4] = {
		[AGG_STATS] = {"_sum", "_count", "_min", "_max"},
		[AGG_HIST] = {"_bucket", "_sum", "_count", ""},
		[AGG_LHIST] = {"_bucket", "_sum", "_count", ""},
	};
	enum agg_kind agg = pm->l->info->agg;
	unsigned n = 0;

	snprintf(out[n++], 160, "%s", pm->family);
	if (agg == AGG_STATS || agg == AGG_HIST || agg == AGG_LHIST) {
		n = 0;
		for (unsigned i = 0; i < 4 && suffixes[agg][i][0]; i++)
			snprintf(out[n++], 160, "%s%s", pm->base, suffixes[agg][i]);
	}
	return n;
}

static int prom_cmp_names(const void *a, const void *b)
{
	const struct prom_map *x = a, *y = b;

	return strcmp(x->l->info->name, y->l->info->name);
}

/* Names nfsq's own metrics use (prom_render_self). */
static const char *const prom_self_names[] = {
	"nfsq_exporter_dropped_updates_total",
	"nfsq_exporter_lost_events_total",
	"nfsq_exporter_dropped_starts_total",
	"nfsq_exporter_map_entries",
	"nfsq_exporter_scrape_duration_seconds",
};

struct prom *prom_new(struct rt *r)
{
	struct prom *p = calloc(1, sizeof(*p));
	int ret = -1;

	if (!p)
		return NULL;
	p->r = r;
	p->n = r->obj->nmaps;
	p->maps = calloc(p->n + 1, sizeof(*p->maps));
	p->cpuvals = calloc(r->ncpus > 0 ? r->ncpus : 1, sizeof(uint64_t));
	if (!p->maps || !p->cpuvals)
		goto cleanup;
	for (unsigned i = 0; i < p->n; i++) {
		struct prom_map *pm = &p->maps[i];
		const char *name = r->obj->maps[i].info->name;
		enum agg_kind agg = r->obj->maps[i].info->agg;
		size_t n;

		pm->l = &r->obj->maps[i];
		pm->base = prom_strcat("nfsq_", name[1] ? name + 1 : "map");
		if (!pm->base)
			goto cleanup;
		pm->scale = 1;
		n = strlen(pm->base);
		if (agg != AGG_COUNT && !prom_text_value(r->obj->maps[i].info) &&
		    n > 8 && pm->base[n - 3] == '_' && pm->base[n - 1] == 's' && strchr("num", pm->base[n - 2])) {
			char *sec;

			pm->scale = pm->base[n - 2] == 'n' ? 1e-9 : pm->base[n - 2] == 'u' ? 1e-6
											   : 1e-3;
			pm->base[n - 3] = 0;
			sec = prom_strcat(pm->base, "_seconds");
			if (!sec)
				goto cleanup;
			free(pm->base);
			pm->base = sec;
		}
		for (char *s = pm->base; *s; s++)
			if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_' ||
			      (*s >= '0' && *s <= '9')))
				*s = '_';
		n = strlen(pm->base);
		if ((agg == AGG_COUNT || agg == AGG_SUM) && !(n >= 6 && !strcmp(pm->base + n - 6, "_total")))
			pm->family = prom_strcat(pm->base, "_total");
		else
			pm->family = strdup(pm->base);
		if (!pm->family || prom_label_names(pm) || prom_help(pm, r->obj->src))
			goto cleanup;
	}
	qsort(p->maps, p->n, sizeof(*p->maps), prom_cmp_names);
	/* clashes: a later map (in name order) whose names are taken is left out */
	for (unsigned i = 0; i < p->n; i++) {
		char mine[4][160], theirs[4][160];
		unsigned nm = prom_names_of(&p->maps[i], mine);

		for (unsigned k = 0; k < nm && !p->maps[i].skip; k++) {
			for (unsigned s = 0; s < sizeof(prom_self_names) / sizeof(*prom_self_names); s++)
				if (!strcmp(mine[k], prom_self_names[s]) ||
				    !strncmp(mine[k], "nfsq_exporter_", 14)) {
					fprintf(stderr, "nfsq: --serve: map %s left out: nfsq_exporter_* names are "
							"nfsq's own metrics\n",
						p->maps[i].l->info->name);
					p->maps[i].skip = true;
					break;
				}
			for (unsigned j = 0; j < i && !p->maps[i].skip; j++) {
				unsigned nt = p->maps[j].skip ? 0 : prom_names_of(&p->maps[j], theirs);

				for (unsigned t = 0; t < nt; t++)
					if (!strcmp(mine[k], theirs[t]) || !strcmp(p->maps[i].family, theirs[t])) {
						fprintf(stderr, "nfsq: --serve: map %s left out: its metric %s clashes "
								"with map %s (rename one)\n",
							p->maps[i].l->info->name,
							mine[k], p->maps[j].l->info->name);
						p->maps[i].skip = true;
						break;
					}
			}
		}
	}
	ret = 0;
cleanup:
	if (ret) {
		prom_free(p);
		return NULL;
	}
	return p;
}

void prom_free(struct prom *p)
{
	if (!p)
		return;
	for (unsigned i = 0; p->maps && i < p->n; i++) {
		struct prom_map *pm = &p->maps[i];

		for (unsigned k = 0; pm->labels && k < pm->l->nkeys; k++)
			free(pm->labels[k]);
		free(pm->labels);
		free(pm->base);
		free(pm->family);
		free(pm->help);
	}
	free(p->maps);
	free(p->cpuvals);
	free(p);
}

/* ---- rendering ---- */

/* name{labels} (extra: one more label, already formatted, e.g. le="3") */
static void prom_series(struct rt_buf *b, const char *name, const char *suffix, const struct rt_buf *labels,
			const char *extra)
{
	pb_str(b, name);
	pb_str(b, suffix);
	if (labels->len || extra) {
		rt_buf_add(b, "{", 1);
		if (labels->len)
			rt_buf_add(b, labels->s, labels->len);
		if (labels->len && extra)
			rt_buf_add(b, ",", 1);
		if (extra)
			pb_str(b, extra);
		rt_buf_add(b, "}", 1);
	}
	rt_buf_add(b, " ", 1);
}

static void prom_labels(struct rt_buf *b, const struct prom_map *pm, const uint8_t *key)
{
	b->len = 0;
	for (unsigned i = 0; i < pm->l->nkeys; i++) {
		const struct layout_key *k = &pm->l->keys[i];

		if (i)
			rt_buf_add(b, ",", 1);
		pb_str(b, pm->labels[i]);
		rt_buf_add(b, "=\"", 2);
		if (k->type.kind == TYPE_STR) {
			const char *s = (const char *)key + k->offset;

			pb_escaped(b, s, strnlen(s, k->size), true);
		} else if (k->type.kind == TYPE_TUPLE) {
			struct rt_buf s = {0};

			rt_fmt_typed(&s, k->type, key + k->offset, false);
			pb_escaped(b, s.s ? s.s : "", s.len, true);
			free(s.s);
		} else if (type_is_symbolic(k->type)) {
			struct rt_buf s = {0};

			rt_sym_format(&s, k->type, (uint64_t)rt_snap_key_int(key, k->offset), RT_SYM_FOLDED);
			pb_escaped(b, s.s ? s.s : "", s.len, true);
			free(s.s);
		} else {
			int64_t v = rt_snap_key_int(key, k->offset);
			const char *name = k->type.kind == TYPE_ERRNO || k->type.kind == TYPE_NFSSTAT
				? errname_of(k->type.kind, v)
				: NULL;

			if (name)
				pb_str(b, name);
			else
				rt_buf_int(b, v);
		}
		rt_buf_add(b, "\"", 1);
	}
}

static void prom_head(struct rt_buf *b, const char *family, const char *help, const char *type)
{
	pb_str(b, "# HELP ");
	pb_str(b, family);
	rt_buf_add(b, " ", 1);
	pb_str(b, help);
	pb_str(b, "\n# TYPE ");
	pb_str(b, family);
	rt_buf_add(b, " ", 1);
	pb_str(b, type);
	rt_buf_add(b, "\n", 1);
}

static void prom_bounds(const struct map_layout *l, unsigned k, int64_t *lo, int64_t *hi)
{
	if (l->info->agg == AGG_HIST)
		layout_hist_bounds(k, lo, hi);
	else
		layout_lhist_bounds(l, k, lo, hi);
}

static void prom_render_hist(struct rt_buf *b, struct prom_map *pm, const struct rt_snap *d,
			     struct rt_buf *lab)
{
	const struct map_layout *l = pm->l;

	prom_head(b, pm->base, pm->help, "histogram");
	for (unsigned i = 0; i < d->n; i++) {
		unsigned k = rt_snap_bucket(l, &d->ents[i]);

		if (!d->ents[i].v[0])
			continue;
		if (!pm->seen || k < pm->lo)
			pm->lo = k;
		if (!pm->seen || k > pm->hi)
			pm->hi = k;
		pm->seen = true;
	}
	for (unsigned from = 0, i; from < d->n; from = i) {
		int64_t cum = 0;
		double sum = 0;
		unsigned j = from;

		i = rt_snap_group_end(d, from);
		prom_labels(lab, pm, d->ents[from].key);
		for (unsigned k = pm->seen ? pm->lo : 1; pm->seen && k <= pm->hi; k++) {
			int64_t lo, hi, c = 0;
			char le[48];

			while (j < i && rt_snap_bucket(l, &d->ents[j]) < k)
				j++;
			if (j < i && rt_snap_bucket(l, &d->ents[j]) == k)
				c = d->ents[j].v[0];
			prom_bounds(l, k, &lo, &hi);
			cum += c;
			sum += (double)c * (lo == INT64_MIN ? (double)hi : hi == INT64_MAX ? (double)lo
											   : (double)lo / 2 + (double)hi / 2);
			if (hi == INT64_MAX)
				continue;
			if (pm->scale == 1)
				snprintf(le, sizeof(le), "le=\"%lld\"", (long long)hi);
			else
				snprintf(le, sizeof(le), "le=\"%.15g\"", (double)hi * pm->scale);
			prom_series(b, pm->base, "_bucket", lab, le);
			rt_buf_int(b, cum);
			rt_buf_add(b, "\n", 1);
		}
		prom_series(b, pm->base, "_bucket", lab, "le=\"+Inf\"");
		rt_buf_int(b, cum);
		rt_buf_add(b, "\n", 1);
		prom_series(b, pm->base, "_sum", lab, NULL);
		pb_double(b, sum * pm->scale);
		rt_buf_add(b, "\n", 1);
		prom_series(b, pm->base, "_count", lab, NULL);
		rt_buf_int(b, cum);
		rt_buf_add(b, "\n", 1);
	}
}

static void prom_render_map(struct rt_buf *b, struct prom_map *pm, const struct rt_snap *d,
			    struct rt_buf *lab)
{
	const struct map_info *m = pm->l->info;

	switch (m->agg) {
	case AGG_HIST:
	case AGG_LHIST:
		prom_render_hist(b, pm, d, lab);
		return;
	case AGG_STATS: {
		static const char *const parts[] = {"_sum", "_count", "_min", "_max"};

		prom_head(b, pm->base, pm->help, "summary");
		for (unsigned part = 0; part < 4; part++) {
			if (part >= 2) {
				char fam[160];

				snprintf(fam, sizeof(fam), "%s%s", pm->base, parts[part]);
				prom_head(b, fam, pm->help, "gauge");
			}
			for (unsigned i = 0; i < d->n; i++) {
				const struct rt_ent *e = &d->ents[i];

				if (!e->v[0])
					continue;
				prom_labels(lab, pm, e->key);
				prom_series(b, pm->base, parts[part], lab, NULL);
				if (part == 1)
					rt_buf_int(b, e->v[0]);
				else
					pb_value(b, pm->scale, part == 0 ? e->v[1] : e->v[part]);
				rt_buf_add(b, "\n", 1);
			}
		}
		return;
	}
	case AGG_NONE:
	case AGG_COUNT:
	case AGG_SUM:
	case AGG_AVG:
	case AGG_MIN:
	case AGG_MAX:
		break;
	}
	prom_head(b, pm->family, pm->help, m->agg == AGG_COUNT || m->agg == AGG_SUM ? "counter" : "gauge");
	if (!d->n && !pm->l->nkeys && (m->agg == AGG_COUNT || m->agg == AGG_SUM)) {
		pb_str(b, pm->family);
		pb_str(b, " 0\n");
		return;
	}
	for (unsigned i = 0; i < d->n; i++) {
		const struct rt_ent *e = &d->ents[i];

		if ((m->agg == AGG_MIN || m->agg == AGG_MAX) && !e->v[1])
			continue;
		if (m->agg == AGG_AVG && !e->v[1])
			continue;
		prom_labels(lab, pm, e->key);
		if (prom_text_value(m)) {
			struct rt_buf v = {0}, t = {0};

			if (m->value.kind == TYPE_STR)
				rt_buf_add(&t, (const char *)e->str, strnlen((const char *)e->str, pm->l->value_size));
			else if (m->value.kind == TYPE_TUPLE)
				rt_fmt_typed(&t, m->value, e->str, false);
			else
				rt_sym_format(&t, m->value, (uint64_t)e->v[0], RT_SYM_FOLDED);
			pb_str(&v, "value=\"");
			pb_escaped(&v, t.s ? t.s : "", t.len, true);
			pb_str(&v, "\"");
			free(t.s);
			prom_series(b, pm->family, "", lab, v.s ? v.s : "value=\"\"");
			free(v.s);
			pb_str(b, "1\n");
			continue;
		}
		prom_series(b, pm->family, "", lab, NULL);
		if (m->agg == AGG_AVG)
			pb_double(b, (double)e->v[0] / (double)e->v[1] * pm->scale);
		else
			pb_value(b, pm->scale, e->v[0]);
		rt_buf_add(b, "\n", 1);
	}
}

static double prom_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* nfsq's own metrics: map fill and lost data, the time this readout took. */
static void prom_render_self(struct prom *p, struct rt_buf *b, const unsigned *entries, double t0)
{
	unsigned nmaps = p->r->obj->nmaps;

	prom_head(b, "nfsq_exporter_dropped_updates_total",
		  "Map updates dropped because the map was full (raise with --map-size).", "counter");
	for (unsigned i = 0; i < p->n; i++) {
		pb_str(b, "nfsq_exporter_dropped_updates_total{map=\"");
		pb_str(b, p->maps[i].l->info->name);
		pb_str(b, "\"} ");
		rt_buf_int(b, (int64_t)rt_snap_drop(p->r, p->maps[i].l->info->id, p->cpuvals));
		rt_buf_add(b, "\n", 1);
	}
	prom_head(b, "nfsq_exporter_map_entries", "Entries in the map at this scrape.", "gauge");
	for (unsigned i = 0; i < p->n; i++) {
		pb_str(b, "nfsq_exporter_map_entries{map=\"");
		pb_str(b, p->maps[i].l->info->name);
		pb_str(b, "\"} ");
		rt_buf_int(b, entries[i]);
		rt_buf_add(b, "\n", 1);
	}
	prom_head(b, "nfsq_exporter_lost_events_total",
		  "printf events lost because the ring buffer was full.", "counter");
	pb_str(b, "nfsq_exporter_lost_events_total ");
	rt_buf_int(b, (int64_t)rt_snap_drop(p->r, LAYOUT_DROP_RINGBUF(nmaps), p->cpuvals));
	rt_buf_add(b, "\n", 1);
	prom_head(b, "nfsq_exporter_dropped_starts_total",
		  "Start events of start/end probes dropped: too many operations in flight.", "counter");
	pb_str(b, "nfsq_exporter_dropped_starts_total ");
	rt_buf_int(b, (int64_t)rt_snap_drop(p->r, LAYOUT_DROP_START(nmaps), p->cpuvals));
	rt_buf_add(b, "\n", 1);
	prom_head(b, "nfsq_exporter_missed_events_total",
		  "Events of a probe the kernel did not run its program for: already running on that CPU.",
		  "counter");
	for (unsigned i = 0; i < p->r->obj->nprogs; i++) {
		const struct ct_prog *pr = &p->r->obj->progs[i];
		const char *name = ct_prog_label(pr);

		if (pr->kind != CT_PROG_ATTACH || !name)
			continue;
		pb_str(b, "nfsq_exporter_missed_events_total{probe=\"");
		pb_str(b, name);
		pb_str(b, "\",program=\"");
		pb_str(b, pr->name);
		pb_str(b, "\"} ");
		rt_buf_int(b, (int64_t)rt_snap_missed(p->r, i));
		rt_buf_add(b, "\n", 1);
	}
	prom_head(b, "nfsq_exporter_scrape_duration_seconds",
		  "Time taken to read the maps and format this response.", "gauge");
	pb_str(b, "nfsq_exporter_scrape_duration_seconds ");
	{
		char tmp[32];

		snprintf(tmp, sizeof(tmp), "%.6f\n", prom_now() - t0);
		pb_str(b, tmp);
	}
}

char *prom_render(struct prom *p, size_t *len)
{
	struct rt_buf b = {0}, lab = {0};
	unsigned *entries = calloc(p->n + 1, sizeof(unsigned));
	double t0 = prom_now();

	if (!entries)
		return NULL;
	rt_buf_add(&b, "", 0);
	for (unsigned i = 0; i < p->n && !b.oom; i++) {
		struct prom_map *pm = &p->maps[i];
		struct rt_snap d;
		int err = rt_snap_read(p->r, pm->l->info->id, RT_SNAP_BY_KEY, false, &d);

		if (err) {
			fprintf(stderr, "nfsq: --serve: cannot read map %s: %s\n", pm->l->info->name,
				strerror(-err));
		} else {
			entries[i] = d.n;
			if (!pm->skip)
				prom_render_map(&b, pm, &d, &lab);
		}
		rt_snap_free(&d);
	}
	prom_render_self(p, &b, entries, t0);
	free(entries);
	free(lab.s);
	if (b.oom || lab.oom) {
		free(b.s);
		return NULL;
	}
	*len = b.len;
	return b.s;
}
