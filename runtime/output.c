/* output.c - reading maps (batch lookups, get_next_key fallback), summing per-CPU
 * values, and printing them and printf events as bpftrace-like text or NDJSON
 * (schema in docs/OUTPUT.md). */
#include "rt.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <time.h>

#include <bpf/bpf.h>

static double rt_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}


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

__attribute__((format(printf, 2, 3))) static void rt_buf_printf(struct rt_buf *b, const char *fmt,
								 ...)
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

/* ---- reading ---- */

static uint32_t rt_val_stride(struct rt *r, const struct map_layout *l)
{
	return l->percpu ? layout_round8(l->value_size) * r->ncpus : l->value_size;
}

/* An array map (layout.h): keep the entries ever updated (a non-zero value) and give
 * them the logical key of a hash map, the u64 bucket (or 0). */
static void rt_array_compact(const struct map_layout *l, uint32_t vs, struct rt_map_data *d)
{
	const uint32_t *idx = (const uint32_t *)(const void *)d->keys;
	uint8_t *keys = calloc(d->n ? d->n : 1, l->key_size);
	unsigned n = 0;

	if (!keys) {
		d->n = 0;
		return;
	}
	for (unsigned i = 0; i < d->n; i++) {
		const uint8_t *v = d->vals + (size_t)i * vs;
		uint64_t k = idx[i];
		bool set = false;

		for (uint32_t j = 0; j < vs && !set; j++)
			set = v[j] != 0;
		if (!set)
			continue;
		memcpy(keys + (size_t)n * l->key_size + l->bucket_offset, &k, 8);
		if (n != i)
			memmove(d->vals + (size_t)n * vs, v, vs);
		n++;
	}
	free(d->keys);
	d->keys = keys;
	d->n = n;
}

int rt_read_raw(struct rt *r, const struct map_layout *l, int fd, struct rt_map_data *d)
{
	uint32_t ks = l->array ? 4 : l->key_size, vs = rt_val_stride(r, l);
	uint32_t cap = l->array ? l->max_entries : r->obj->map_size;
	uint8_t *tok_in = NULL, tokens[2][256];
	unsigned total = 0, which = 0;
	int err;

	d->keys = malloc((size_t)cap * ks);
	d->vals = malloc((size_t)cap * vs);
	if (!d->keys || !d->vals)
		return -ENOMEM;
	if (ks <= sizeof(tokens[0])) {
		for (;;) {
			__u32 n = cap - total;

			if (!n)
				break;
			err = bpf_map_lookup_batch(fd, tok_in, tokens[which], d->keys + (size_t)total * ks,
						   d->vals + (size_t)total * vs, &n, NULL);
			if (err && errno != ENOENT) {
				if (total == 0)
					goto fallback;
				return -errno;
			}
			total += n;
			if (err)
				break;
			tok_in = tokens[which];
			which ^= 1;
		}
		d->n = total;
		if (l->array)
			rt_array_compact(l, vs, d);
		return 0;
	}
fallback:
	total = 0;
	{
		uint8_t *prev = NULL;

		while (total < cap &&
		       !bpf_map_get_next_key(fd, prev, d->keys + (size_t)total * ks)) {
			uint8_t *k = d->keys + (size_t)total * ks;

			prev = k;
			if (bpf_map_lookup_elem(fd, k, d->vals + (size_t)total * vs))
				continue; /* deleted meanwhile */
			total++;
		}
	}
	d->n = total;
	if (l->array)
		rt_array_compact(l, vs, d);
	return 0;
}

void rt_sum(struct rt *r, const struct map_layout *l, const uint8_t *raw, struct rt_ent *e)
{
	uint32_t stride = layout_round8(l->value_size);
	enum agg_kind agg = l->info->agg;

	memset(e->v, 0, sizeof(e->v));
	if (!l->percpu) {
		if (l->info->value.kind == TYPE_STR)
			e->str = raw;
		else
			memcpy(&e->v[0], raw, 8);
		return;
	}
	for (int cpu = 0; cpu < r->ncpus; cpu++) {
		int64_t c[4];

		memcpy(c, raw + (size_t)cpu * stride, l->value_size < 32 ? l->value_size : 32);
		switch (agg) {
		case AGG_AVG:
			e->v[0] += c[0];
			e->v[1] += c[1];
			break;
		case AGG_MIN:
		case AGG_MAX:
			if (!c[1])
				break;
			if (!e->v[1] || (agg == AGG_MIN ? c[0] < e->v[0] : c[0] > e->v[0]))
				e->v[0] = c[0];
			e->v[1] = 1;
			break;
		case AGG_STATS:
			if (!c[0])
				break;
			if (!e->v[0] || c[2] < e->v[2])
				e->v[2] = c[2];
			if (!e->v[0] || c[3] > e->v[3])
				e->v[3] = c[3];
			e->v[0] += c[0];
			e->v[1] += c[1];
			break;
		default:
			e->v[0] += c[0];
			break;
		}
	}
}

static int64_t rt_key_int(const uint8_t *k, uint32_t off)
{
	int64_t v;

	memcpy(&v, k + off, 8);
	return v;
}

int rt_cmp_keys(const struct map_layout *l, const uint8_t *a, const uint8_t *b)
{
	for (unsigned i = 0; i < l->nkeys; i++) {
		const struct layout_key *k = &l->keys[i];

		if (k->type.kind == TYPE_STR) {
			int c = strncmp((const char *)a + k->offset, (const char *)b + k->offset, k->size);

			if (c)
				return c < 0 ? -1 : 1;
		} else {
			int64_t x = rt_key_int(a, k->offset), y = rt_key_int(b, k->offset);

			if (x != y)
				return x < y ? -1 : 1;
		}
	}
	if (l->has_bucket) {
		uint64_t x = (uint64_t)rt_key_int(a, l->bucket_offset);
		uint64_t y = (uint64_t)rt_key_int(b, l->bucket_offset);

		if (x != y)
			return x < y ? -1 : 1;
	}
	return 0;
}

static int64_t rt_avg(const struct rt_ent *e)
{
	return e->v[1] ? e->v[0] / e->v[1] : 0;
}

static int64_t rt_sort_value(const struct map_layout *l, const struct rt_ent *e)
{
	switch (l->info->agg) {
	case AGG_AVG:
		return rt_avg(e);
	default:
		return e->v[0];
	}
}

/* Sorting: qsort on small records {primary, first key word, index}, with the primary
 * (the value, or for histograms the first key word) and the first key word made
 * comparable as unsigned words: a signed integer with its sign bit flipped, a string's
 * first 8 bytes read big-endian (the order of strncmp, the rest being zero padded).
 * Only ties go to the full comparison (rt_cmp_keys), through the entries. */
struct rt_sortrec {
	uint64_t a, b;
	uint32_t i;
};

/* qsort has no context argument: the map being sorted. */
static const struct rt_map_data *rt_sort_map;
static bool rt_sort_by_key;

static uint64_t rt_ordered_word(const uint8_t *p, bool str)
{
	uint64_t v;

	if (str) {
		v = 0;
		for (int i = 0; i < 8; i++)
			v = v << 8 | p[i];
		return v;
	}
	memcpy(&v, p, 8);
	return v ^ (1ull << 63);
}

/* The ordered word of key column c (c == nkeys: the bucket). */
static uint64_t rt_key_word(const struct map_layout *l, const uint8_t *key, unsigned c)
{
	if (c < l->nkeys)
		return rt_ordered_word(key + l->keys[c].offset, l->keys[c].type.kind == TYPE_STR);
	return rt_key_int(key, l->bucket_offset); /* unsigned bucket index */
}

static int rt_cmp_rec(const void *pa, const void *pb)
{
	const struct rt_sortrec *a = pa, *b = pb;
	const struct rt_map_data *d = rt_sort_map;
	const struct map_layout *l = d->l;

	if (a->a != b->a)
		return a->a < b->a ? -1 : 1;
	if (a->b != b->b)
		return a->b < b->b ? -1 : 1;
	if (!rt_sort_by_key && l->info->agg == AGG_NONE && l->info->value.kind == TYPE_STR) {
		/* a plain string value: not per-CPU, stored as it is */
		int c = strncmp((const char *)d->vals + (size_t)a->i * l->value_size,
				(const char *)d->vals + (size_t)b->i * l->value_size, l->value_size);

		if (c)
			return c < 0 ? -1 : 1;
	}
	return rt_cmp_keys(l, d->keys + (size_t)a->i * l->key_size, d->keys + (size_t)b->i * l->key_size);
}

/* Sorts recs by (a, b) with a stable LSD radix sort (byte passes where all the
 * records have the same byte are skipped), then the runs of equal (a, b) with the
 * full comparison. About 10x faster than qsort for a million entries. */
static int rt_sort(struct rt_sortrec *recs, unsigned n)
{
	struct rt_sortrec *tmp, *src = recs, *dst;
	size_t (*cnt)[256];
	unsigned from = 0;

	if (n < 256) {
		qsort(recs, n, sizeof(*recs), rt_cmp_rec);
		return 0;
	}
	tmp = malloc((size_t)n * sizeof(*tmp));
	cnt = calloc(16, sizeof(*cnt));
	if (!tmp || !cnt) {
		free(tmp);
		free(cnt);
		return -ENOMEM;
	}
	dst = tmp;
	for (unsigned i = 0; i < n; i++)
		for (unsigned k = 0; k < 8; k++) {
			cnt[k][(recs[i].b >> (8 * k)) & 255]++;
			cnt[8 + k][(recs[i].a >> (8 * k)) & 255]++;
		}
	for (unsigned k = 0; k < 16; k++) {
		uint64_t struct_word;
		size_t pos = 0, c;
		bool trivial = false;

		for (unsigned v = 0; v < 256 && !trivial; v++)
			trivial = cnt[k][v] == n;
		if (trivial)
			continue;
		for (unsigned v = 0; v < 256; v++)
			c = cnt[k][v], cnt[k][v] = pos, pos += c;
		for (unsigned i = 0; i < n; i++) {
			struct_word = k < 8 ? src[i].b : src[i].a;
			dst[cnt[k][(struct_word >> (8 * (k & 7))) & 255]++] = src[i];
		}
		{
			struct rt_sortrec *t = src;

			src = dst, dst = t;
		}
	}
	if (src != recs)
		memcpy(recs, src, (size_t)n * sizeof(*recs));
	for (unsigned i = 1; i <= n; i++)
		if (i == n || recs[i].a != recs[from].a || recs[i].b != recs[from].b) {
			if (i - from > 1)
				qsort(recs + from, i - from, sizeof(*recs), rt_cmp_rec);
			from = i;
		}
	free(tmp);
	free(cnt);
	return 0;
}

static int rt_read_map(struct rt *r, unsigned id, struct rt_map_data *d)
{
	const struct map_layout *l = &r->obj->maps[id];
	uint32_t vs = rt_val_stride(r, l);
	struct rt_sortrec *recs;
	int err;

	memset(d, 0, sizeof(*d));
	d->l = l;
	d->t[0] = rt_ms();
	err = rt_read_raw(r, l, r->map_fds[id], d);
	if (err)
		return err;
	d->t[1] = rt_ms();
	recs = calloc(d->n ? d->n : 1, sizeof(*recs));
	if (!recs)
		return -ENOMEM;
	rt_sort_by_key = l->has_bucket;
	for (unsigned i = 0; i < d->n; i++) {
		struct rt_ent e;

		e.key = d->keys + (size_t)i * l->key_size;
		rt_sum(r, l, d->vals + (size_t)i * vs, &e);
		recs[i].i = i;
		/* b is only looked at when a holds all of what it stands for */
		if (rt_sort_by_key) {
			recs[i].a = rt_key_word(l, e.key, 0);
			recs[i].b = l->nkeys && (l->keys[0].type.kind != TYPE_STR || l->keys[0].size <= 8)
					    ? rt_key_word(l, e.key, 1)
					    : 0;
		} else if (l->info->agg == AGG_NONE && l->info->value.kind == TYPE_STR) {
			recs[i].a = rt_ordered_word(e.str, true);
			recs[i].b = l->nkeys && l->value_size <= 8 ? rt_key_word(l, e.key, 0) : 0;
		} else {
			recs[i].a = (uint64_t)rt_sort_value(l, &e) ^ (1ull << 63);
			recs[i].b = l->nkeys ? rt_key_word(l, e.key, 0) : 0;
		}
	}
	rt_sort_map = d;
	err = rt_sort(recs, d->n);
	if (err) {
		free(recs);
		return err;
	}
	/* the entries in sorted order (summed again: cheaper than a second copy) */
	d->ents = calloc(d->n ? d->n : 1, sizeof(*d->ents));
	if (!d->ents) {
		free(recs);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < d->n; i++) {
		struct rt_ent *e = &d->ents[i];

		e->key = d->keys + (size_t)recs[i].i * l->key_size;
		rt_sum(r, l, d->vals + (size_t)recs[i].i * vs, e);
	}
	free(recs);
	d->t[2] = rt_ms();
	return 0;
}

static void rt_free_map(struct rt_map_data *d)
{
	free(d->keys);
	free(d->vals);
	free(d->ents);
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

static void rt_fmt_key(struct rt_buf *b, const struct map_layout *l, const uint8_t *key, bool json)
{
	for (unsigned i = 0; i < l->nkeys; i++) {
		const struct layout_key *k = &l->keys[i];

		if (i)
			rt_buf_add(b, json ? "," : ", ", json ? 1 : 2);
		if (k->type.kind == TYPE_STR)
			rt_fmt_str(b, key + k->offset, k->size, json);
		else
			rt_fmt_int(b, k->type, rt_key_int(key, k->offset), json);
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
		else
			rt_fmt_int(b, t, e->v[0], json);
		break;
	case AGG_AVG:
		rt_buf_int(b, rt_avg(e));
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
	default:
		rt_buf_int(b, e->v[0]);
		break;
	}
}

static unsigned rt_bucket(const struct map_layout *l, const struct rt_ent *e)
{
	return (unsigned)rt_key_int(e->key, l->bucket_offset);
}

/* One histogram (entries [from, to) share their key tuple, sorted by bucket). */
static void rt_fmt_hist(struct rt_buf *b, const struct map_layout *l, const struct rt_ent *ents,
			unsigned from, unsigned to, bool json)
{
	unsigned lo = rt_bucket(l, &ents[from]), hi = rt_bucket(l, &ents[to - 1]), j = from;
	int64_t maxc = 0;
	bool first = true;

	for (unsigned i = from; i < to; i++)
		if (ents[i].v[0] > maxc)
			maxc = ents[i].v[0];
	if (json)
		rt_buf_add(b, "[", 1);
	for (unsigned k = lo; k <= hi; k++) {
		int64_t count = 0, blo, bhi;
		char label[64], bar[53];

		while (j < to && rt_bucket(l, &ents[j]) < k)
			j++;
		if (j < to && rt_bucket(l, &ents[j]) == k)
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

static void rt_flush(struct rt *r, struct rt_buf *b)
{
	if (b->len && fwrite(b->s, 1, b->len, r->o->out) != b->len)
		r->errors++;
	b->len = 0;
	if (b->s)
		b->s[0] = 0;
}

#define RT_FLUSH_AT (64u << 10) /* a big map is written in pieces of about this size */

int rt_print_map(struct rt *r, unsigned id, uint64_t top)
{
	const struct map_layout *l = &r->obj->maps[id];
	const char *name = l->info->name;
	size_t namelen = strlen(name);
	bool json = r->o->format == OUT_JSON;
	struct rt_map_data d;
	struct rt_buf b = {0};
	unsigned start = 0;
	int err;

	err = rt_read_map(r, id, &d);
	if (err) {
		fprintf(stderr, "nfsq: cannot read map %s: %s\n", name, strerror(-err));
		goto cleanup;
	}
	if (!d.n)
		goto cleanup;
	if (json)
		rt_buf_printf(&b, "{\"type\":\"map\",\"name\":\"%s\",\"data\":", name);
	if (l->has_bucket) {
		/* groups of equal key tuples; top applies to groups */
		unsigned ngroups = 0, g = 0, from = 0;
		bool first = true;

		for (unsigned i = 0; i < d.n; i++)
			if (i == 0 || rt_cmp_keys(&(struct map_layout){.nkeys = l->nkeys, .keys = l->keys},
						  d.ents[i - 1].key, d.ents[i].key))
				ngroups++;
		if (top && top < ngroups)
			start = ngroups - (unsigned)top;
		if (json && l->nkeys)
			rt_buf_add(&b, "[", 1);
		for (unsigned i = 1; i <= d.n; i++) {
			if (i < d.n && !rt_cmp_keys(&(struct map_layout){.nkeys = l->nkeys, .keys = l->keys},
						    d.ents[i - 1].key, d.ents[i].key))
				continue;
			if (g++ >= start) {
				if (json && l->nkeys) {
					rt_buf_add(&b, first ? "{\"key\":[" : ",{\"key\":[", first ? 8 : 9);
					rt_fmt_key(&b, l, d.ents[from].key, true);
					rt_buf_add(&b, "],\"value\":", 10);
				} else if (!json && l->nkeys) {
					rt_buf_printf(&b, "%s[", name);
					rt_fmt_key(&b, l, d.ents[from].key, false);
					rt_buf_add(&b, "]:\n", 3);
				} else if (!json) {
					rt_buf_printf(&b, "%s:\n", name);
				}
				rt_fmt_hist(&b, l, d.ents, from, i, json);
				if (b.len >= RT_FLUSH_AT)
					rt_flush(r, &b);
				if (json && l->nkeys)
					rt_buf_add(&b, "}", 1);
				else if (!json)
					rt_buf_add(&b, "\n", 1);
				first = false;
			}
			from = i;
		}
		if (json && l->nkeys)
			rt_buf_add(&b, "]", 1);
	} else if (!l->nkeys) {
		if (!json)
			rt_buf_printf(&b, "%s: ", name);
		rt_fmt_value(&b, l, &d.ents[0], json);
		if (!json)
			rt_buf_add(&b, "\n", 1);
	} else {
		if (top && top < d.n)
			start = d.n - (unsigned)top;
		if (json)
			rt_buf_add(&b, "[", 1);
		for (unsigned i = start; i < d.n; i++) {
			if (json) {
				rt_buf_add(&b, i > start ? ",{\"key\":[" : "{\"key\":[", i > start ? 9 : 8);
				rt_fmt_key(&b, l, d.ents[i].key, true);
				rt_buf_add(&b, "],\"value\":", 10);
				rt_fmt_value(&b, l, &d.ents[i], true);
				rt_buf_add(&b, "}", 1);
			} else {
				rt_buf_add(&b, name, namelen);
				rt_buf_add(&b, "[", 1);
				rt_fmt_key(&b, l, d.ents[i].key, false);
				rt_buf_add(&b, "]: ", 3);
				rt_fmt_value(&b, l, &d.ents[i], false);
				rt_buf_add(&b, "\n", 1);
			}
			if (b.len >= RT_FLUSH_AT)
				rt_flush(r, &b);
		}
		if (json)
			rt_buf_add(&b, "]", 1);
		else
			rt_buf_add(&b, "\n", 1);
	}
	if (json)
		rt_buf_add(&b, "}\n", 2);
	rt_flush(r, &b);
	if (r->o->verbose)
		fprintf(stderr, "nfsq: %s: %u entries read in %.2f ms, sorted in %.2f ms, printed in %.2f ms\n",
			name, d.n, d.t[1] - d.t[0], d.t[2] - d.t[1], rt_ms() - d.t[2]);
cleanup:
	free(b.s);
	rt_free_map(&d);
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
		rt_print_map(r, order[i]->info->id, 0);
	free(order);
	fflush(r->o->out);
}

int rt_clear_map(struct rt *r, unsigned id)
{
	const struct map_layout *l = &r->obj->maps[id];
	uint8_t *key = malloc(l->key_size);
	int fd = r->map_fds[id];

	if (!key)
		return -ENOMEM;
	if (l->array) { /* entries cannot be deleted: zero them */
		uint8_t *zero = calloc(1, rt_val_stride(r, l));

		for (uint32_t i = 0; zero && i < l->max_entries; i++)
			bpf_map_update_elem(fd, &i, zero, BPF_ANY);
		free(zero);
		free(key);
		return zero ? 0 : -ENOMEM;
	}
	while (!bpf_map_get_next_key(fd, NULL, key))
		if (bpf_map_delete_elem(fd, key))
			break;
	free(key);
	return 0;
}

/* ---- printf ---- */

static void rt_format(struct rt_buf *b, const struct printf_info *pi, const uint8_t *rec,
		      size_t size)
{
	const char *f = pi->fmt;
	unsigned ai = 0;

	while (*f) {
		const char *pct = strchr(f, '%');
		char spec[32];
		size_t sn = 0;

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
			f++;
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
				spec[sn++] = 'l';
				spec[sn++] = 'l';
				spec[sn++] = conv == 'i' ? 'd' : conv;
				spec[sn] = 0;
				rt_buf_printf(b, spec, (long long)v);
				break;
			case 'c':
				spec[sn++] = 'c';
				spec[sn] = 0;
				rt_buf_printf(b, spec, (int)(unsigned char)v);
				break;
			case 'e': {
				const char *name = errname_of(a->type.kind == TYPE_NFSSTAT ? TYPE_NFSSTAT
											    : TYPE_ERRNO, v);
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

				if (a->type.kind == TYPE_STR) {
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
	rt_format(&b, pi, rec, size);
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

/* Every limit that bit: on stderr, and with -f json also as one "limits" object on the
 * output, e.g. {"type":"limits","map_full":{"@m":3},"events_lost":0,"starts_dropped":0,
 * "strings_cut":2}. */
void rt_report_drops(struct rt *r)
{
	unsigned n = LAYOUT_NDROPS(r->obj->nmaps), nmaps = r->obj->nmaps;
	uint64_t *vals = calloc(r->ncpus, sizeof(uint64_t)), *sums = calloc(n, sizeof(uint64_t));
	bool any = false, first = true;

	if (!vals || !sums || r->drops_fd < 0)
		goto cleanup;
	for (unsigned i = 0; i < n; i++) {
		uint32_t key = i;

		if (bpf_map_lookup_elem(r->drops_fd, &key, vals))
			continue;
		for (int c = 0; c < r->ncpus; c++)
			sums[i] += vals[c];
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
				"each field's size)\n", (unsigned long long)sums[i]);
		else
			fprintf(stderr, "nfsq: %llu start events dropped: too many operations in flight (raise with --map-size)\n",
				(unsigned long long)sums[i]);
	}
	if (!any || r->o->format != OUT_JSON)
		goto cleanup;
	fprintf(r->o->out, "{\"type\":\"limits\",\"map_full\":{");
	for (unsigned i = 0; i < nmaps; i++) {
		if (!sums[i])
			continue;
		fprintf(r->o->out, "%s\"%s\":%llu", first ? "" : ",", r->obj->maps[i].info->name,
			(unsigned long long)sums[i]);
		first = false;
	}
	fprintf(r->o->out, "},\"events_lost\":%llu,\"starts_dropped\":%llu,\"strings_cut\":%llu}\n",
		(unsigned long long)sums[LAYOUT_DROP_RINGBUF(nmaps)],
		(unsigned long long)sums[LAYOUT_DROP_START(nmaps)],
		(unsigned long long)sums[LAYOUT_DROP_CUT(nmaps)]);
cleanup:
	free(vals);
	free(sums);
}
