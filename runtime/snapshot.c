/* snapshot.c - reading maps (snapshot.h): every entry by batch lookups (get_next_key
 * where the kernel has none), array maps given the logical keys of a hash map, per-CPU
 * values summed, entries sorted by value or by key; clearing maps; the drop counters. */
#define _GNU_SOURCE /* qsort_r */
#include "snapshot.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

static double rt_snap_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* ---- reading ---- */

#define RT_SNAP_TOKEN 256  /* bytes of a batch token: larger keys are read one by one */
#define RT_SNAP_NO_BATCH 1 /* rt_snap_batch: no batch of this map could be read */

/* Bytes of one entry's value as the kernel hands it out (per-CPU: every CPU's). */
static uint32_t rt_snap_stride(const struct rt *r, const struct map_layout *l)
{
	return l->percpu ? layout_round8(l->value_size) * r->ncpus : l->value_size;
}

/* Bytes of one key as the kernel has it: an array map's u32 index, else the key. */
static uint32_t rt_snap_raw_key_size(const struct map_layout *l)
{
	return l->array ? 4 : l->key_size;
}

/* Batch lookups into s->keys / s->vals (room for cap entries), deleting what they read
 * when take (a hash map: each bucket read and emptied under its lock): 0, a negative
 * errno, or RT_SNAP_NO_BATCH when the first batch already failed. */
static int rt_snap_batch(const struct rt *r, int fd, uint32_t cap, bool take, struct rt_snap *s)
{
	uint32_t ks = rt_snap_raw_key_size(s->l), vs = rt_snap_stride(r, s->l);
	uint8_t tokens[2][RT_SNAP_TOKEN], *tok_in = NULL;
	unsigned which = 0;

	s->n = 0;
	while (s->n < cap) {
		__u32 n = cap - s->n;
		uint8_t *k = s->keys + (size_t)s->n * ks, *v = s->vals + (size_t)s->n * vs;
		int err = take ? bpf_map_lookup_and_delete_batch(fd, tok_in, tokens[which], k, v, &n, NULL)
			       : bpf_map_lookup_batch(fd, tok_in, tokens[which], k, v, &n, NULL);

		if (err && errno != ENOENT)
			return s->n ? -errno : RT_SNAP_NO_BATCH;
		s->n += n;
		if (err)
			break;
		tok_in = tokens[which];
		which ^= 1;
	}
	return 0;
}

static bool rt_snap_nonzero(const uint8_t *v, uint32_t n)
{
	for (uint32_t j = 0; j < n; j++)
		if (v[j])
			return true;
	return false;
}

/* Reads the entry of key k into v and deletes it: at once where the kernel can (hash
 * maps since 5.14), else read, then deleted. 0 or -1 (errno set; ENOENT: not there). */
static int rt_snap_take_elem(int fd, const uint8_t *k, uint8_t *v)
{
	if (!bpf_map_lookup_and_delete_elem(fd, k, v))
		return 0;
	if (errno == ENOENT || bpf_map_lookup_elem(fd, k, v))
		return -1;
	return bpf_map_delete_elem(fd, k) && errno != ENOENT ? -1 : 0;
}

/* get_next_key iteration into s->keys / s->vals (room for cap entries); with take, each
 * entry deleted as it is read (the next key is then the first). */
static void rt_snap_iterate(const struct rt *r, int fd, uint32_t cap, bool take, struct rt_snap *s)
{
	uint32_t ks = rt_snap_raw_key_size(s->l), vs = rt_snap_stride(r, s->l);
	uint8_t *prev = NULL;

	s->n = 0;
	while (s->n < cap && !bpf_map_get_next_key(fd, prev, s->keys + (size_t)s->n * ks)) {
		uint8_t *k = s->keys + (size_t)s->n * ks, *v = s->vals + (size_t)s->n * vs;

		if (!take) {
			prev = k;
			if (!bpf_map_lookup_elem(fd, k, v))
				s->n++; /* (else deleted meanwhile) */
		} else if (!rt_snap_take_elem(fd, k, v)) {
			s->n++;
		} else if (errno != ENOENT) {
			break; /* not deleted: the same key would come again */
		}
	}
}

/* An array map's entries, each zeroed right after it is read when it was not zero (its
 * entries cannot be deleted: an update between the two system calls is lost). */
static void rt_snap_take_array(const struct rt *r, int fd, struct rt_snap *s)
{
	uint32_t vs = rt_snap_stride(r, s->l);
	uint8_t *zero = calloc(1, vs);

	s->n = 0;
	for (uint32_t i = 0; zero && i < s->l->max_entries; i++) {
		uint8_t *v = s->vals + (size_t)s->n * vs;

		if (bpf_map_lookup_elem(fd, &i, v))
			continue;
		if (rt_snap_nonzero(v, vs))
			bpf_map_update_elem(fd, &i, zero, BPF_ANY);
		memcpy(s->keys + (size_t)s->n * 4, &i, 4);
		s->n++;
	}
	free(zero);
}

/* An array map (layout.h): keep the entries ever updated (a non-zero value) and give
 * them the logical key of a hash map, the u64 bucket (or 0). */
static int rt_snap_compact(const struct rt *r, struct rt_snap *s)
{
	const struct map_layout *l = s->l;
	const uint32_t *idx = (const uint32_t *)(const void *)s->keys;
	uint32_t vs = rt_snap_stride(r, l);
	uint8_t *keys = calloc(s->n ? s->n : 1, l->key_size);
	unsigned n = 0;

	if (!keys)
		return -ENOMEM;
	/* after zero(), a map without keys or buckets prints its zero (bpftrace's @x: 0) */
	bool zeroed = r->zeroed && r->zeroed[l->info->id] && !l->has_bucket;

	for (unsigned i = 0; i < s->n; i++) {
		const uint8_t *v = s->vals + (size_t)i * vs;
		uint64_t k = idx[i];

		if (!zeroed && !rt_snap_nonzero(v, vs))
			continue;
		memcpy(keys + (size_t)n * l->key_size + l->bucket_offset, &k, 8);
		if (n != i)
			memmove(s->vals + (size_t)n * vs, v, vs);
		n++;
	}
	free(s->keys);
	s->keys = keys;
	s->n = n;
	return 0;
}

/* A per-CPU array whose every value word is a sum (count, avg, hist, lhist): a program
 * adds to it by a load and a store, which a write from here can fall between (the old
 * sum is stored back: counted twice), so it is never written: clear() keeps its raw
 * values as the base that later reads subtract (r->base). */
static bool rt_snap_additive(const struct map_layout *l)
{
	enum agg_kind a = l->info->agg;

	return l->array && l->percpu && (a == AGG_COUNT || a == AGG_AVG || a == AGG_HIST || a == AGG_LHIST);
}

/* Subtracts the base from the raw values read into s (an additive array, before
 * rt_snap_compact); with take, the raw values become the base. */
static int rt_snap_rebase(struct rt *r, struct rt_snap *s, bool take)
{
	const struct map_layout *l = s->l;
	const uint32_t *idx = (const uint32_t *)(const void *)s->keys;
	uint32_t vs = rt_snap_stride(r, l);
	uint8_t **base = &r->base[l->info->id];

	if (!*base && !take)
		return 0;
	if (!*base && !(*base = calloc(l->max_entries, vs)))
		return -ENOMEM;
	for (unsigned i = 0; i < s->n; i++) {
		uint64_t *v = (uint64_t *)(void *)(s->vals + (size_t)i * vs);
		uint64_t *b = (uint64_t *)(void *)(*base + (size_t)idx[i] * vs);

		for (uint32_t w = 0; w < vs / 8; w++) {
			uint64_t raw = v[w];

			v[w] -= b[w];
			if (take)
				b[w] = raw;
		}
	}
	return 0;
}

/* Reads every entry of the map (fd) into s->keys / s->vals; with take, emptying it. */
static int rt_snap_fetch(struct rt *r, int fd, bool take, struct rt_snap *s)
{
	const struct map_layout *l = s->l;
	uint32_t cap = l->array ? l->max_entries : r->obj->map_size;
	int err = RT_SNAP_NO_BATCH;

	s->keys = malloc((size_t)cap * rt_snap_raw_key_size(l));
	s->vals = malloc((size_t)cap * rt_snap_stride(r, l));
	if (!s->keys || !s->vals)
		return -ENOMEM;
	if (take && l->array && !rt_snap_additive(l)) {
		rt_snap_take_array(r, fd, s);
		err = 0;
	} else if (rt_snap_raw_key_size(l) <= RT_SNAP_TOKEN) {
		err = rt_snap_batch(r, fd, cap, take && !l->array, s);
	}
	if (err == RT_SNAP_NO_BATCH) {
		rt_snap_iterate(r, fd, cap, take && !l->array, s);
		err = 0;
	}
	if (!err && rt_snap_additive(l))
		err = rt_snap_rebase(r, s, take);
	if (!err && l->array)
		err = rt_snap_compact(r, s);
	return err;
}

/* ---- summing ---- */

/* Folds one CPU's value c into e (see layout.h for the value of each aggregation). */
static void rt_snap_fold(enum agg_kind agg, const int64_t c[4], struct rt_ent *e)
{
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
	case AGG_NONE:
	case AGG_COUNT:
	case AGG_SUM:
	case AGG_HIST:
	case AGG_LHIST:
		e->v[0] += c[0];
		break;
	}
}

/* Sums one entry's per-CPU values (raw: its stride of s->vals) into e->v / e->str. */
static void rt_snap_sum(const struct rt *r, const struct map_layout *l, const uint8_t *raw,
			struct rt_ent *e)
{
	uint32_t stride = layout_round8(l->value_size);

	memset(e->v, 0, sizeof(e->v));
	if (!l->percpu) {
		if (type_is_buffer(l->info->value))
			e->str = raw;
		else
			memcpy(&e->v[0], raw, 8);
		return;
	}
	for (int cpu = 0; cpu < r->ncpus; cpu++) {
		int64_t c[4];

		memcpy(c, raw + (size_t)cpu * stride, l->value_size < 32 ? l->value_size : 32);
		rt_snap_fold(l->info->agg, c, e);
	}
}

/* ---- sorting ---- */

/* Two values of type t: strings as strncmp, integers as signed, tuples element by element. */
static int rt_snap_cmp_typed(struct type t, const uint8_t *a, const uint8_t *b)
{
	if (t.kind == TYPE_TUPLE) {
		for (unsigned i = 0; i < t.tuple->n; i++) {
			int c = rt_snap_cmp_typed(t.tuple->elems[i], a + t.tuple->offs[i], b + t.tuple->offs[i]);

			if (c)
				return c;
		}
		return 0;
	}
	if (t.kind == TYPE_STR) {
		int c = strncmp((const char *)a, (const char *)b, t.size);

		return c < 0 ? -1 : c > 0;
	}
	int64_t x = rt_snap_key_int(a, 0), y = rt_snap_key_int(b, 0);

	return x < y ? -1 : x > y;
}

int rt_snap_cmp_keys(const struct map_layout *l, const uint8_t *a, const uint8_t *b)
{
	for (unsigned i = 0; i < l->nkeys; i++) {
		const struct layout_key *k = &l->keys[i];
		int c = rt_snap_cmp_typed(k->type, a + k->offset, b + k->offset);

		if (c)
			return c;
	}
	if (l->has_bucket) {
		uint64_t x = (uint64_t)rt_snap_key_int(a, l->bucket_offset);
		uint64_t y = (uint64_t)rt_snap_key_int(b, l->bucket_offset);

		if (x != y)
			return x < y ? -1 : 1;
	}
	return 0;
}

unsigned rt_snap_group_end(const struct rt_snap *s, unsigned from)
{
	const struct map_layout tuple = {.nkeys = s->l->nkeys, .keys = s->l->keys};
	unsigned i = from + 1;

	while (i < s->n && !rt_snap_cmp_keys(&tuple, s->ents[from].key, s->ents[i].key))
		i++;
	return i;
}

static bool rt_snap_str_value(const struct map_layout *l)
{
	return l->info->agg == AGG_NONE && type_is_buffer(l->info->value);
}

/* Whether the first 8 bytes of a value of type t order as a string's (a tuple: its first
 * element's). */
static bool rt_snap_str_first(struct type t)
{
	while (t.kind == TYPE_TUPLE)
		t = t.tuple->elems[0];
	return t.kind == TYPE_STR;
}

static int64_t rt_snap_sort_value(const struct map_layout *l, const struct rt_ent *e)
{
	return l->info->agg == AGG_AVG ? rt_snap_avg(e) : e->v[0];
}

/* Sorting: small records {primary, first key word, index}, with the primary (the
 * value, or by key the first key word) and the first key word made comparable as
 * unsigned words: a signed integer with its sign bit flipped, a string's first 8 bytes
 * read big-endian (the order of strncmp, the rest being zero padded). A radix sort
 * orders the records; only ties go to the full comparison, through the snapshot. */
struct rt_snap_rec {
	uint64_t a, b;
	uint32_t i; /* the entry's index in keys / vals */
};

/* The context of the full comparison (qsort_r): the snapshot and its order. */
struct rt_snap_sort {
	const struct rt_snap *s;
	bool by_key;
};

static uint64_t rt_snap_ordered_word(const uint8_t *p, bool str)
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

/* The ordered word of key column c (c == nkeys: the bucket; past it: 0). */
static uint64_t rt_snap_key_word(const struct map_layout *l, const uint8_t *key, unsigned c)
{
	if (c < l->nkeys)
		return rt_snap_ordered_word(key + l->keys[c].offset, rt_snap_str_first(l->keys[c].type));
	if (c == l->nkeys && l->has_bucket)
		return rt_snap_key_int(key, l->bucket_offset); /* unsigned bucket index */
	return 0;
}

/* The sort record of entry e (index i); b is only looked at when a holds all of what
 * it stands for. */
static void rt_snap_record(const struct rt_snap_sort *c, const struct rt_ent *e, unsigned i,
			   struct rt_snap_rec *rec)
{
	const struct map_layout *l = c->s->l;

	rec->i = i;
	if (c->by_key) {
		rec->a = rt_snap_key_word(l, e->key, 0);
		rec->b = l->nkeys && (!type_is_buffer(l->keys[0].type) || l->keys[0].size <= 8)
			? rt_snap_key_word(l, e->key, 1)
			: 0;
	} else if (rt_snap_str_value(l)) {
		rec->a = rt_snap_ordered_word(e->str, rt_snap_str_first(l->info->value));
		rec->b = l->nkeys && l->value_size <= 8 ? rt_snap_key_word(l, e->key, 0) : 0;
	} else {
		rec->a = (uint64_t)rt_snap_sort_value(l, e) ^ (1ull << 63);
		rec->b = l->nkeys ? rt_snap_key_word(l, e->key, 0) : 0;
	}
}

static int rt_snap_cmp_rec(const void *pa, const void *pb, void *ctx)
{
	const struct rt_snap_rec *a = pa, *b = pb;
	const struct rt_snap_sort *c = ctx;
	const struct rt_snap *s = c->s;
	const struct map_layout *l = s->l;

	if (a->a != b->a)
		return a->a < b->a ? -1 : 1;
	if (a->b != b->b)
		return a->b < b->b ? -1 : 1;
	if (!c->by_key && rt_snap_str_value(l)) {
		/* a plain string (or tuple) value: not per-CPU, stored as it is */
		int r = rt_snap_cmp_typed(l->info->value, s->vals + (size_t)a->i * l->value_size,
					  s->vals + (size_t)b->i * l->value_size);

		if (r)
			return r;
	}
	return rt_snap_cmp_keys(l, s->keys + (size_t)a->i * l->key_size, s->keys + (size_t)b->i * l->key_size);
}

/* One stable pass over byte k of the records (0-7: of b, 8-15: of a) from src to dst,
 * cnt: how many records have each value of that byte. false (nothing done) when all
 * have the same. */
static bool rt_snap_pass(const struct rt_snap_rec *src, struct rt_snap_rec *dst, unsigned n,
			 unsigned k, size_t cnt[256])
{
	size_t pos = 0, c;

	for (unsigned v = 0; v < 256; v++)
		if (cnt[v] == n)
			return false;
	for (unsigned v = 0; v < 256; v++)
		c = cnt[v], cnt[v] = pos, pos += c;
	for (unsigned i = 0; i < n; i++) {
		uint64_t w = k < 8 ? src[i].b : src[i].a;

		dst[cnt[(w >> (8 * (k & 7))) & 255]++] = src[i];
	}
	return true;
}

/* LSD radix sort of recs by (a, b), tmp: room for n records, cnt: 16 zeroed counts. */
static void rt_snap_radix(struct rt_snap_rec *recs, struct rt_snap_rec *tmp, unsigned n,
			  size_t (*cnt)[256])
{
	struct rt_snap_rec *src = recs, *dst = tmp, *t;

	for (unsigned i = 0; i < n; i++)
		for (unsigned k = 0; k < 8; k++) {
			cnt[k][(recs[i].b >> (8 * k)) & 255]++;
			cnt[8 + k][(recs[i].a >> (8 * k)) & 255]++;
		}
	for (unsigned k = 0; k < 16; k++) {
		if (!rt_snap_pass(src, dst, n, k, cnt[k]))
			continue;
		t = src, src = dst, dst = t;
	}
	if (src != recs)
		memcpy(recs, src, (size_t)n * sizeof(*recs));
}

/* The runs of records with equal (a, b), by the full comparison. */
static void rt_snap_ties(struct rt_snap_rec *recs, unsigned n, struct rt_snap_sort *c)
{
	unsigned from = 0;

	for (unsigned i = 1; i <= n; i++)
		if (i == n || recs[i].a != recs[from].a || recs[i].b != recs[from].b) {
			if (i - from > 1)
				qsort_r(recs + from, i - from, sizeof(*recs), rt_snap_cmp_rec, c);
			from = i;
		}
}

/* Sorts recs: a radix sort by (a, b) where byte passes on which all the records agree
 * are skipped, then the ties. About 10x faster than qsort for a million entries
 * (bench/RESULTS.md). */
static int rt_snap_sort(struct rt_snap_rec *recs, unsigned n, struct rt_snap_sort *c)
{
	struct rt_snap_rec *tmp;
	size_t(*cnt)[256];
	int err = 0;

	if (n < 256) {
		qsort_r(recs, n, sizeof(*recs), rt_snap_cmp_rec, c);
		return 0;
	}
	tmp = malloc((size_t)n * sizeof(*tmp));
	cnt = calloc(16, sizeof(*cnt));
	if (tmp && cnt) {
		rt_snap_radix(recs, tmp, n, cnt);
		rt_snap_ties(recs, n, c);
	} else {
		err = -ENOMEM;
	}
	free(tmp);
	free(cnt);
	return err;
}

/* The sort records of every entry (summed for it). */
static void rt_snap_records(const struct rt *r, const struct rt_snap_sort *c, struct rt_snap_rec *recs)
{
	const struct rt_snap *s = c->s;
	uint32_t vs = rt_snap_stride(r, s->l);

	for (unsigned i = 0; i < s->n; i++) {
		struct rt_ent e = {.key = s->keys + (size_t)i * s->l->key_size};

		rt_snap_sum(r, s->l, s->vals + (size_t)i * vs, &e);
		rt_snap_record(c, &e, i, &recs[i]);
	}
}

/* s->ents in the order of recs (summed again: cheaper than a second copy). */
static int rt_snap_entries(const struct rt *r, const struct rt_snap_rec *recs, struct rt_snap *s)
{
	uint32_t vs = rt_snap_stride(r, s->l);

	s->ents = calloc(s->n ? s->n : 1, sizeof(*s->ents));
	if (!s->ents)
		return -ENOMEM;
	for (unsigned i = 0; i < s->n; i++) {
		struct rt_ent *e = &s->ents[i];

		e->key = s->keys + (size_t)recs[i].i * s->l->key_size;
		rt_snap_sum(r, s->l, s->vals + (size_t)recs[i].i * vs, e);
	}
	return 0;
}

/* Sums the entries of s and puts them in order (s->ents). */
static int rt_snap_order(const struct rt *r, enum rt_snap_order order, struct rt_snap *s)
{
	struct rt_snap_sort c = {.s = s, .by_key = order == RT_SNAP_BY_KEY || s->l->has_bucket};
	struct rt_snap_rec *recs = calloc(s->n ? s->n : 1, sizeof(*recs));
	int err = -ENOMEM;

	if (recs) {
		rt_snap_records(r, &c, recs);
		err = rt_snap_sort(recs, s->n, &c);
	}
	if (!err)
		err = rt_snap_entries(r, recs, s);
	free(recs);
	return err;
}

/* ---- snapshots ---- */

int rt_snap_read(struct rt *r, unsigned id, enum rt_snap_order order, bool take, struct rt_snap *s)
{
	int err;

	memset(s, 0, sizeof(*s));
	s->l = &r->obj->maps[id];
	s->t[0] = rt_snap_ms();
	err = rt_snap_fetch(r, r->map_fds[id], take, s);
	if (take && r->zeroed)
		r->zeroed[id] = false;
	s->t[1] = rt_snap_ms();
	if (!err)
		err = rt_snap_order(r, order, s);
	s->t[2] = rt_snap_ms();
	if (err)
		rt_snap_free(s);
	return err;
}

void rt_snap_free(struct rt_snap *s)
{
	free(s->keys);
	free(s->vals);
	free(s->ents);
	s->keys = s->vals = NULL;
	s->ents = NULL;
	s->n = 0;
}

void rt_snap_log_times(const struct rt_snap *s)
{
	fprintf(stderr, "nfsq: %s: %u entries read in %.2f ms, sorted in %.2f ms, printed in %.2f ms\n",
		s->l->info->name, s->n, s->t[1] - s->t[0], s->t[2] - s->t[1], rt_snap_ms() - s->t[2]);
}

/* ---- clearing, drop counters ---- */

/* An array map's entries cannot be deleted: they are zeroed (read back as never
 * updated, see rt_snap_compact). */
static int rt_snap_zero(const struct rt *r, const struct map_layout *l, int fd)
{
	uint8_t *zero = calloc(1, rt_snap_stride(r, l));

	if (!zero)
		return -ENOMEM;
	for (uint32_t i = 0; i < l->max_entries; i++)
		bpf_map_update_elem(fd, &i, zero, BPF_ANY);
	free(zero);
	return 0;
}

static int rt_snap_delete_all(const struct map_layout *l, int fd)
{
	uint8_t *key = malloc(l->key_size);

	if (!key)
		return -ENOMEM;
	while (!bpf_map_get_next_key(fd, NULL, key))
		if (bpf_map_delete_elem(fd, key))
			break;
	free(key);
	return 0;
}

/* An additive array's values now made its base (rt_snap_additive). */
static int rt_snap_rebase_all(struct rt *r, unsigned id)
{
	struct rt_snap s;
	int err;

	memset(&s, 0, sizeof(s));
	s.l = &r->obj->maps[id];
	err = rt_snap_fetch(r, r->map_fds[id], true, &s);
	rt_snap_free(&s);
	return err;
}

int rt_clear_map(struct rt *r, unsigned id)
{
	const struct map_layout *l = &r->obj->maps[id];

	if (r->zeroed)
		r->zeroed[id] = false;
	if (rt_snap_additive(l))
		return rt_snap_rebase_all(r, id);
	return l->array ? rt_snap_zero(r, l, r->map_fds[id]) : rt_snap_delete_all(l, r->map_fds[id]);
}

int rt_zero_map(struct rt *r, unsigned id)
{
	const struct map_layout *l = &r->obj->maps[id];
	int fd = r->map_fds[id], ret = 0;
	uint8_t *key, *zero;

	if (r->zeroed)
		r->zeroed[id] = true;
	if (rt_snap_additive(l))
		return rt_snap_rebase_all(r, id);
	if (l->array)
		return rt_snap_zero(r, l, fd);
	key = malloc(l->key_size);
	zero = calloc(1, rt_snap_stride(r, l));
	if (!key || !zero) {
		ret = -ENOMEM;
		goto cleanup;
	}
	/* (an update of an existing key does not move it in the hash's order) */
	for (int err = bpf_map_get_next_key(fd, NULL, key); !err; err = bpf_map_get_next_key(fd, key, key))
		bpf_map_update_elem(fd, key, zero, BPF_EXIST);
cleanup:
	free(key);
	free(zero);
	return ret;
}

uint64_t rt_snap_drop(struct rt *r, uint32_t key, uint64_t *cpuvals)
{
	uint64_t sum = 0;

	if (r->drops_fd < 0 || bpf_map_lookup_elem(r->drops_fd, &key, cpuvals))
		return 0;
	for (int c = 0; c < r->ncpus; c++)
		sum += cpuvals[c];
	return sum;
}

uint64_t rt_snap_missed(struct rt *r, unsigned i)
{
	struct bpf_program *bp = r->bprogs ? r->bprogs[i] : NULL;
	struct bpf_prog_info info = {0};
	uint32_t len = sizeof(info);
	int fd = bp ? bpf_program__fd(bp) : -1;

	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	return info.recursion_misses;
}
