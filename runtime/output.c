/* output.c - printing map snapshots (snapshot.h) and printf events as bpftrace-like
 * text or NDJSON (schema in docs/OUTPUT.md). */
#include "rt.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "snapshot.h"
#include "symbols.h"

/* A growable text buffer for a JSON line or a formatted printf. */
void rt_buf_add(struct rt_buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->cap + n + 1) * 2;
		char *ns = realloc(b->s, cap);

		if (!ns) {
			b->oom = true;
			return;
		}
		b->s = ns;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = 0;
}

void rt_buf_printf(struct rt_buf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(tmp)) {
		rt_buf_add(b, tmp, n);
		return;
	}
	{
		char *big = malloc(n + 1);

		if (!big)
			return;
		va_start(ap, fmt);
		vsnprintf(big, n + 1, fmt, ap);
		va_end(ap);
		rt_buf_add(b, big, n);
		free(big);
	}
}

static void rt_buf_json_str(struct rt_buf *b, const char *s, size_t n)
{
	rt_buf_add(b, "\"", 1);
	for (size_t i = 0; i < n && s[i]; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '"' || ch == '\\') {
			char e[2] = {'\\', (char)ch};

			rt_buf_add(b, e, 2);
		} else if (ch == '\n') {
			rt_buf_add(b, "\\n", 2);
		} else if (ch == '\t') {
			rt_buf_add(b, "\\t", 2);
		} else if (ch < 0x20) {
			rt_buf_printf(b, "\\u%04x", ch);
		} else {
			rt_buf_add(b, (const char *)&s[i], 1);
		}
	}
	rt_buf_add(b, "\"", 1);
}

/* ---- formatting values ---- */

/* "%lld" without printf (map read-out prints millions of them). */
void rt_buf_int(struct rt_buf *b, int64_t v)
{
	char tmp[24], *p = tmp + sizeof(tmp);
	uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;

	do
		*--p = (char)('0' + u % 10);
	while (u /= 10);
	if (v < 0)
		*--p = '-';
	rt_buf_add(b, p, (size_t)(tmp + sizeof(tmp) - p));
}

static void rt_fmt_int(struct rt_buf *b, struct type t, int64_t v, bool json)
{
	if (type_is_symbolic(t)) { /* JSON: the folded stack, a string */
		struct rt_buf s = {0};

		rt_sym_format(json ? &s : b, t, (uint64_t)v, json ? RT_SYM_FOLDED : RT_SYM_KEY);
		if (json)
			rt_buf_json_str(b, s.s ? s.s : "", s.len);
		free(s.s);
		return;
	}
	const char *name = t.kind == TYPE_ERRNO || t.kind == TYPE_NFSSTAT ? errname_of(t.kind, v)
									  : NULL;

	if (name && json)
		rt_buf_printf(b, "\"%s\"", name);
	else if (name)
		rt_buf_add(b, name, strlen(name));
	else
		rt_buf_int(b, v);
}

static void rt_fmt_str(struct rt_buf *b, const uint8_t *s, uint32_t size, bool json)
{
	size_t n = strnlen((const char *)s, size);

	if (json)
		rt_buf_json_str(b, (const char *)s, n);
	else
		rt_buf_add(b, (const char *)s, n);
}

/* A value of type t at p: a string, a tuple "(1, a)" (JSON: [1,"a"]), or an integer */
void rt_fmt_typed(struct rt_buf *b, struct type t, const uint8_t *p, bool json)
{
	if (t.kind == TYPE_STR) {
		rt_fmt_str(b, p, t.size, json);
	} else if (t.kind == TYPE_TUPLE) {
		rt_buf_add(b, json ? "[" : "(", 1);
		for (unsigned i = 0; i < t.tuple->n; i++) {
			if (i)
				rt_buf_add(b, json ? "," : ", ", json ? 1 : 2);
			rt_fmt_typed(b, t.tuple->elems[i], p + t.tuple->offs[i], json);
		}
		rt_buf_add(b, json ? "]" : ")", 1);
	} else {
		rt_fmt_int(b, t, rt_snap_key_int(p, 0), json);
	}
}

static void rt_fmt_key(struct rt_buf *b, const struct map_layout *l, const uint8_t *key, bool json)
{
	for (unsigned i = 0; i < l->nkeys; i++) {
		const struct layout_key *k = &l->keys[i];

		if (i)
			rt_buf_add(b, json ? "," : ", ", json ? 1 : 2);
		if (k->type.kind == TYPE_STR)
			rt_fmt_str(b, key + k->offset, k->size, json);
		else
			rt_fmt_typed(b, k->type, key + k->offset, json);
	}
}

static void rt_fmt_value(struct rt_buf *b, const struct map_layout *l, const struct rt_ent *e,
			 bool json)
{
	struct type t = l->info->value;

	switch (l->info->agg) {
	case AGG_NONE:
		if (t.kind == TYPE_STR)
			rt_fmt_str(b, e->str, l->value_size, json);
		else if (t.kind == TYPE_TUPLE)
			rt_fmt_typed(b, t, e->str, json);
		else if (type_is_symbolic(t) && !json) /* (a value's frames are indented as printf's) */
			rt_sym_format(b, t, (uint64_t)e->v[0], RT_SYM_PRINTF);
		else
			rt_fmt_int(b, t, e->v[0], json);
		break;
	case AGG_AVG:
		rt_buf_int(b, rt_snap_avg(e));
		break;
	case AGG_STATS:
		if (json)
			rt_buf_printf(b, "{\"count\":%lld,\"average\":%lld,\"total\":%lld,\"min\":%lld,\"max\":%lld}",
				      (long long)e->v[0], (long long)(e->v[0] ? e->v[1] / e->v[0] : 0),
				      (long long)e->v[1], (long long)e->v[2], (long long)e->v[3]);
		else
			rt_buf_printf(b, "count %lld, average %lld, total %lld", (long long)e->v[0],
				      (long long)(e->v[0] ? e->v[1] / e->v[0] : 0), (long long)e->v[1]);
		break;
	case AGG_COUNT:
	case AGG_SUM:
	case AGG_MIN:
	case AGG_MAX:
	case AGG_HIST:
	case AGG_LHIST:
		rt_buf_int(b, e->v[0]);
		break;
	}
}

/* One histogram (entries [from, to) share their key tuple, sorted by bucket): the rows
 * from its first bucket counted to its last, as bpftrace prints them (none after zero()). */
static void rt_fmt_hist(struct rt_buf *b, const struct map_layout *l, const struct rt_ent *ents,
			unsigned from, unsigned to, bool json)
{
	unsigned lo, hi, j;
	int64_t maxc = 0;
	bool first = true;

	while (from < to && !ents[from].v[0])
		from++;
	while (to > from && !ents[to - 1].v[0])
		to--;
	if (from == to) {
		if (json)
			rt_buf_add(b, "[]", 2);
		return;
	}
	lo = rt_snap_bucket(l, &ents[from]);
	hi = rt_snap_bucket(l, &ents[to - 1]);
	j = from;

	for (unsigned i = from; i < to; i++)
		if (ents[i].v[0] > maxc)
			maxc = ents[i].v[0];
	if (json)
		rt_buf_add(b, "[", 1);
	for (unsigned k = lo; k <= hi; k++) {
		int64_t count = 0, blo, bhi;
		char label[64], bar[53];

		while (j < to && rt_snap_bucket(l, &ents[j]) < k)
			j++;
		if (j < to && rt_snap_bucket(l, &ents[j]) == k)
			count = ents[j].v[0];
		if (json) {
			if (l->info->agg == AGG_HIST)
				layout_hist_bounds(k, &blo, &bhi);
			else
				layout_lhist_bounds(l, k, &blo, &bhi);
			rt_buf_add(b, first ? "{" : ",{", first ? 1 : 2);
			first = false;
			if (blo != INT64_MIN)
				rt_buf_printf(b, "\"min\":%lld,", (long long)blo);
			if (bhi != INT64_MAX)
				rt_buf_printf(b, "\"max\":%lld,", (long long)bhi);
			rt_buf_printf(b, "\"count\":%lld}", (long long)count);
			continue;
		}
		if (l->info->agg == AGG_HIST)
			layout_hist_label(k, label, sizeof(label));
		else
			layout_lhist_label(l, k, label, sizeof(label));
		{
			int w = maxc ? (int)((double)count / (double)maxc * 52) : 0;

			memset(bar, '@', w);
			bar[w] = 0;
		}
		rt_buf_printf(b, "%-16s%8lld |%-52s|\n", label, (long long)count, bar);
	}
	if (json)
		rt_buf_add(b, "]", 1);
}

void rt_out_flush(struct rt *r)
{
	if (fflush(r->out) && !r->out_errno)
		r->out_errno = errno ? errno : EIO;
}

static void rt_flush(struct rt *r, struct rt_buf *b)
{
	if (b->len && fwrite(b->s, 1, b->len, r->out) != b->len && !r->out_errno)
		r->out_errno = errno ? errno : EIO;
	b->len = 0;
	if (b->s)
		b->s[0] = 0;
}

#define RT_FLUSH_AT (64u << 10) /* a big map is written in pieces of about this size */

/* One histogram, entries [from, to) of s (first: the first one printed). */
static void rt_print_hist(struct rt *r, const struct rt_snap *s, unsigned from, unsigned to,
			  bool first, struct rt_buf *b)
{
	const struct map_layout *l = s->l;
	bool json = r->o->format == OUT_JSON;

	if (json && l->nkeys) {
		rt_buf_add(b, first ? "{\"key\":[" : ",{\"key\":[", first ? 8 : 9);
		rt_fmt_key(b, l, s->ents[from].key, true);
		rt_buf_add(b, "],\"value\":", 10);
	} else if (!json && l->nkeys) {
		rt_buf_printf(b, "%s[", l->info->name);
		rt_fmt_key(b, l, s->ents[from].key, false);
		rt_buf_add(b, "]:\n", 3);
	} else if (!json) {
		rt_buf_printf(b, "%s:\n", l->info->name);
	}
	rt_fmt_hist(b, l, s->ents, from, to, json);
	if (b->len >= RT_FLUSH_AT)
		rt_flush(r, b);
	if (json && l->nkeys)
		rt_buf_add(b, "}", 1);
	else if (!json)
		rt_buf_add(b, "\n", 1);
}

/* A hist / lhist map: one histogram per key tuple; top applies to histograms. */
static void rt_print_hists(struct rt *r, const struct rt_snap *s, uint64_t top, struct rt_buf *b)
{
	bool json = r->o->format == OUT_JSON, first = true;
	unsigned ngroups = 0, g = 0, start = 0;

	for (unsigned i = 0; i < s->n; i = rt_snap_group_end(s, i))
		ngroups++;
	if (top && top < ngroups)
		start = ngroups - (unsigned)top;
	if (json && s->l->nkeys)
		rt_buf_add(b, "[", 1);
	for (unsigned from = 0, to; from < s->n; from = to) {
		to = rt_snap_group_end(s, from);
		if (g++ < start)
			continue;
		rt_print_hist(r, s, from, to, first, b);
		first = false;
	}
	if (json && s->l->nkeys)
		rt_buf_add(b, "]", 1);
}

/* A map with keys, one entry a line (the last top entries when top > 0). */
static void rt_print_entries(struct rt *r, const struct rt_snap *s, uint64_t top, struct rt_buf *b)
{
	const struct map_layout *l = s->l;
	const char *name = l->info->name;
	size_t namelen = strlen(name);
	bool json = r->o->format == OUT_JSON;
	unsigned start = 0;

	if (top && top < s->n)
		start = s->n - (unsigned)top;
	if (json)
		rt_buf_add(b, "[", 1);
	for (unsigned i = start; i < s->n; i++) {
		if (json) {
			rt_buf_add(b, i > start ? ",{\"key\":[" : "{\"key\":[", i > start ? 9 : 8);
			rt_fmt_key(b, l, s->ents[i].key, true);
			rt_buf_add(b, "],\"value\":", 10);
			rt_fmt_value(b, l, &s->ents[i], true);
			rt_buf_add(b, "}", 1);
		} else {
			rt_buf_add(b, name, namelen);
			rt_buf_add(b, "[", 1);
			rt_fmt_key(b, l, s->ents[i].key, false);
			rt_buf_add(b, "]: ", 3);
			rt_fmt_value(b, l, &s->ents[i], false);
			rt_buf_add(b, "\n", 1);
		}
		if (b->len >= RT_FLUSH_AT)
			rt_flush(r, b);
	}
	if (json)
		rt_buf_add(b, "]", 1);
	else
		rt_buf_add(b, "\n", 1);
}

int rt_print_map(struct rt *r, unsigned id, uint64_t top, bool take)
{
	const char *name = r->obj->maps[id].info->name;
	bool json = r->o->format == OUT_JSON;
	struct rt_snap s;
	struct rt_buf b = {0};
	int err;

	err = rt_snap_read(r, id, RT_SNAP_BY_VALUE, take, &s);
	if (err) {
		fprintf(stderr, "nfsq: cannot read map %s: %s\n", name, strerror(-err));
		goto cleanup;
	}
	if (!s.n)
		goto cleanup;
	if (json)
		rt_buf_printf(&b, "{\"type\":\"map\",\"name\":\"%s\",\"data\":", name);
	if (s.l->has_bucket) {
		rt_print_hists(r, &s, top, &b);
	} else if (!s.l->nkeys) {
		if (!json)
			rt_buf_printf(&b, "%s: ", name);
		rt_fmt_value(&b, s.l, &s.ents[0], json);
		if (!json)
			rt_buf_add(&b, "\n", 1);
	} else {
		rt_print_entries(r, &s, top, &b);
	}
	if (json)
		rt_buf_add(&b, "}\n", 2);
	rt_flush(r, &b);
	if (r->o->verbose)
		rt_snap_log_times(&s);
cleanup:
	free(b.s);
	rt_snap_free(&s);
	return err;
}

static int rt_cmp_names(const void *a, const void *b)
{
	const struct map_layout *x = *(const struct map_layout *const *)a;
	const struct map_layout *y = *(const struct map_layout *const *)b;

	return strcmp(x->info->name, y->info->name);
}

void rt_print_maps(struct rt *r)
{
	const struct map_layout **order;

	if (!r->obj->nmaps)
		return;
	order = calloc(r->obj->nmaps, sizeof(*order));
	if (!order)
		return;
	for (unsigned i = 0; i < r->obj->nmaps; i++)
		order[i] = &r->obj->maps[i];
	qsort(order, r->obj->nmaps, sizeof(*order), rt_cmp_names);
	for (unsigned i = 0; i < r->obj->nmaps; i++)
		rt_print_map(r, order[i]->info->id, 0, false);
	free(order);
	rt_out_flush(r);
}

/* ---- printf ---- */

/* strftime(3) of the wall-clock time ns (since the epoch), local time, into out; %f is
 * its microseconds (bpftrace's extension). "" when it does not fit. */
static void rt_strftime(char *out, size_t n, const char *fmt, int64_t ns)
{
	char f[512];
	size_t k = 0;
	time_t secs = (time_t)(ns / 1000000000);
	struct tm tm;

	for (const char *p = fmt; *p && k + 8 < sizeof(f); p++) {
		if (p[0] == '%' && p[1] == 'f') {
			k += (size_t)snprintf(f + k, sizeof(f) - k, "%06lld", (long long)(ns / 1000 % 1000000));
			p++;
			continue;
		}
		if (p[0] == '%' && p[1] == '%')
			f[k++] = *p++;
		f[k++] = *p;
	}
	f[k] = 0;
	out[0] = 0;
	if (localtime_r(&secs, &tm) && !strftime(out, n, f, &tm))
		out[0] = 0;
}

/* The wall-clock time of t on the monotonic clock (bpf_ktime_get_ns, nsecs), in ns. */
static int64_t rt_wall_of(int64_t t)
{
	struct timespec m, w;

	clock_gettime(CLOCK_MONOTONIC, &m);
	clock_gettime(CLOCK_REALTIME, &w);
	return t + (w.tv_sec - m.tv_sec) * 1000000000LL + (w.tv_nsec - m.tv_nsec);
}

static void rt_format(struct rt_buf *b, const struct printf_info *pi, const uint8_t *rec,
		      size_t size)
{
	const char *f = pi->fmt;
	unsigned ai = 0;

	while (*f) {
		const char *pct = strchr(f, '%');
		char spec[32];
		size_t sn = 0;
		unsigned nh = 0; /* h: 16 bits, hh: 8 (C's meaning, and bpftrace's) */

		if (!pct) {
			rt_buf_add(b, f, strlen(f));
			break;
		}
		rt_buf_add(b, f, pct - f);
		f = pct + 1;
		if (*f == '%') {
			rt_buf_add(b, "%", 1);
			f++;
			continue;
		}
		spec[sn++] = '%';
		while (*f && strchr("-+ #0", *f) && sn < 8)
			spec[sn++] = *f++;
		while (*f >= '0' && *f <= '9' && sn < 16)
			spec[sn++] = *f++;
		if (*f == '.') {
			spec[sn++] = *f++;
			while (*f >= '0' && *f <= '9' && sn < 24)
				spec[sn++] = *f++;
		}
		while (*f && strchr("hlLqjzt", *f))
			nh += *f++ == 'h';
		if (!*f)
			break;
		{
			char conv = *f++;
			const struct printf_arg *a = ai < pi->nargs ? &pi->args[ai++] : NULL;
			int64_t v = 0;

			if (!a || a->offset + 8 > size) {
				rt_buf_add(b, "?", 1);
				continue;
			}
			if (a->type.kind != TYPE_STR)
				memcpy(&v, rec + a->offset, 8);
			if (a->conv)
				conv = a->conv;
			switch (conv) {
			case 'd':
			case 'i':
			case 'u':
			case 'x':
			case 'X':
				if (nh)
					v = conv == 'd' || conv == 'i' ? (nh > 1 ? (int8_t)v : (int16_t)v)
								       : (nh > 1 ? (uint8_t)v : (uint16_t)v);
				spec[sn++] = 'l';
				spec[sn++] = 'l';
				spec[sn++] = conv == 'i' ? 'd' : conv;
				spec[sn] = 0;
				rt_buf_printf(b, spec, (long long)v);
				break;
			case 'f':
			case 'F':
			case 'g':
			case 'G': { /* a / b divided here (BPF has no floating point) */
				int64_t den = 1;
				double q;

				if (a->ratio && a->offset + 16 <= size)
					memcpy(&den, rec + a->offset + 8, 8);
				q = den ? (double)v / (double)den : v > 0 ? INFINITY : v < 0 ? -INFINITY : NAN;
				spec[sn++] = conv;
				spec[sn] = 0;
				rt_buf_printf(b, spec, q);
				break;
			}
			case 'c':
				spec[sn++] = 'c';
				spec[sn] = 0;
				rt_buf_printf(b, spec, (int)(unsigned char)v);
				break;
			case 'e': {
				const char *name = errname_of(a->type.kind == TYPE_NFSSTAT ? TYPE_NFSSTAT
											   : TYPE_ERRNO,
							      v);
				char num[24];

				if (!name) {
					snprintf(num, sizeof(num), "%lld", (long long)v);
					name = num;
				}
				spec[sn++] = 's';
				spec[sn] = 0;
				rt_buf_printf(b, spec, name);
				break;
			}
			default: { /* s */
				char str[NFSQ_STR_MAX + 1];
				size_t room = size - a->offset, n;

				if (type_is_symbolic(a->type) || a->type.kind == TYPE_TUPLE) {
					/* (a stack, a tuple: longer than str) */
					struct rt_buf s = {0};

					rt_buf_add(&s, "", 0);
					if (a->type.kind == TYPE_TUPLE && a->offset + a->type.size <= size)
						rt_fmt_typed(&s, a->type, rec + a->offset, false);
					else if (a->type.kind != TYPE_TUPLE)
						rt_sym_format(&s, a->type, (uint64_t)v, RT_SYM_PRINTF);
					spec[sn++] = 's';
					spec[sn] = 0;
					rt_buf_printf(b, spec, s.s ? s.s : "");
					free(s.s);
					break;
				}
				if (a->strftime) {
					rt_strftime(str, sizeof(str), a->strftime, rt_wall_of(v));
				} else if (a->type.kind == TYPE_STR) {
					n = a->type.size < room ? a->type.size : room;
					if (n > NFSQ_STR_MAX)
						n = NFSQ_STR_MAX;
					n = strnlen((const char *)rec + a->offset, n);
					memcpy(str, rec + a->offset, n);
					str[n] = 0;
				} else {
					snprintf(str, sizeof(str), "%lld", (long long)v);
				}
				spec[sn++] = 's';
				spec[sn] = 0;
				rt_buf_printf(b, spec, str);
				break;
			}
			}
		}
	}
}

void rt_printf_event(struct rt *r, const struct printf_info *pi, const uint8_t *rec, size_t size)
{
	struct rt_buf b = {0}, j = {0};

	rt_buf_add(&b, "", 0);
	if (pi->time) {
		struct timespec now;
		char s[NFSQ_STR_MAX + 1];

		clock_gettime(CLOCK_REALTIME, &now);
		rt_strftime(s, sizeof(s), pi->fmt, now.tv_sec * 1000000000LL + now.tv_nsec);
		rt_buf_add(&b, s, strlen(s));
	} else {
		rt_format(&b, pi, rec, size);
	}
	if (r->o->format == OUT_JSON) {
		rt_buf_add(&j, "{\"type\":\"printf\",\"msg\":", 23);
		rt_buf_json_str(&j, b.s ? b.s : "", b.len);
		rt_buf_add(&j, "}\n", 2);
		rt_flush(r, &j);
	} else {
		rt_flush(r, &b);
	}
	free(b.s);
	free(j.s);
}

/* ---- drops ---- */

/* The programs the kernel skipped, summed per probe (the script's name for it, or the
 * attach point): names[k] missed[k] for k < return value; names and missed have room
 * for every program. */
static unsigned rt_missed_by_probe(struct rt *r, const char **names, uint64_t *missed)
{
	unsigned n = 0;

	for (unsigned i = 0; i < r->obj->nprogs; i++) {
		const struct ct_prog *p = &r->obj->progs[i];
		const char *name = ct_prog_label(p);
		uint64_t m = p->kind == CT_PROG_ATTACH ? rt_snap_missed(r, i) : 0;
		unsigned k = 0;

		if (!m || !name)
			continue;
		while (k < n && strcmp(names[k], name))
			k++;
		if (k == n)
			names[n] = name, missed[n++] = 0;
		missed[k] += m;
	}
	return n;
}

/* Every limit that bit: on stderr, and with -f json also as one "limits" object on the
 * output, e.g. {"type":"limits","map_full":{"@m":3},"events_lost":0,"starts_dropped":0,
 * "strings_cut":2,"events_missed":{"nfsd.write":1}}. */
void rt_report_drops(struct rt *r)
{
	unsigned n = LAYOUT_NDROPS(r->obj->nmaps), nmaps = r->obj->nmaps, nmissed;
	uint64_t *vals = calloc(r->ncpus, sizeof(uint64_t)), *sums = calloc(n, sizeof(uint64_t));
	uint64_t *missed = calloc(r->obj->nprogs + 1, sizeof(uint64_t));
	const char **names = calloc(r->obj->nprogs + 1, sizeof(char *));
	bool any, first = true;

	if (!vals || !sums || !missed || !names || r->drops_fd < 0)
		goto cleanup;
	nmissed = rt_missed_by_probe(r, names, missed);
	any = nmissed > 0;
	for (unsigned i = 0; i < n; i++) {
		sums[i] = rt_snap_drop(r, i, vals);
		if (!sums[i])
			continue;
		any = true;
		if (i < nmaps)
			fprintf(stderr, "nfsq: %llu updates to %s dropped: map full (raise with --map-size)\n",
				(unsigned long long)sums[i], r->obj->maps[i].info->name);
		else if (i == LAYOUT_DROP_RINGBUF(nmaps))
			fprintf(stderr, "nfsq: %llu events lost: ring buffer full (raise --ringbuf, print less often, or filter with a predicate)\n",
				(unsigned long long)sums[i]);
		else if (i == LAYOUT_DROP_CUT(nmaps))
			fprintf(stderr, "nfsq: %llu strings cut to the size of their field (see nfsq -lv for "
					"each field's size; str(p, N) reads up to N = 255 characters)\n",
				(unsigned long long)sums[i]);
		else if (i == LAYOUT_DROP_STACK(nmaps))
			fprintf(stderr, "nfsq: %llu stacks lost: the stack map was full, printed as [lost] (raise with --map-size)\n",
				(unsigned long long)sums[i]);
		else
			fprintf(stderr, "nfsq: %llu start events dropped: too many operations in flight (raise with --map-size)\n",
				(unsigned long long)sums[i]);
	}
	for (unsigned k = 0; k < nmissed; k++)
		fprintf(stderr, "nfsq: %llu %s events missed: the kernel skipped the program, already "
				"running on that CPU (on a preemptible kernel another thread can enter "
				"it mid-run; nothing to raise)\n",
			(unsigned long long)missed[k], names[k]);
	if (!any || r->o->format != OUT_JSON)
		goto cleanup;
	fprintf(r->out, "{\"type\":\"limits\",\"map_full\":{");
	for (unsigned i = 0; i < nmaps; i++) {
		if (!sums[i])
			continue;
		fprintf(r->out, "%s\"%s\":%llu", first ? "" : ",", r->obj->maps[i].info->name,
			(unsigned long long)sums[i]);
		first = false;
	}
	fprintf(r->out, "},\"events_lost\":%llu,\"starts_dropped\":%llu,\"strings_cut\":%llu,"
			   "\"stacks_lost\":%llu,\"events_missed\":{",
		(unsigned long long)sums[LAYOUT_DROP_RINGBUF(nmaps)],
		(unsigned long long)sums[LAYOUT_DROP_START(nmaps)],
		(unsigned long long)sums[LAYOUT_DROP_CUT(nmaps)],
		(unsigned long long)sums[LAYOUT_DROP_STACK(nmaps)]);
	for (unsigned k = 0; k < nmissed; k++) {
		fprintf(r->out, "%s\"%s\":%llu", k ? "," : "", names[k], /* [a-z0-9_.:] */
			(unsigned long long)missed[k]);
	}
	fprintf(r->out, "}}\n");
cleanup:
	free(vals);
	free(sums);
	free(missed);
	free(names);
}
