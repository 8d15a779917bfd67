/* layout.c - map key/value layouts and histogram buckets (see layout.h). */
#include "layout.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

void layout_map(struct arena *a, const struct map_info *m, struct map_layout *l)
{
	uint32_t off = 0;
	char *p;

	memset(l, 0, sizeof(*l));
	l->info = m;
	snprintf(l->obj_name, sizeof(l->obj_name), "m%u_%s", m->id,
		 m->name[0] == '@' ? m->name + 1 : m->name);
	for (p = l->obj_name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_')
			*p = '_';
	l->nkeys = m->nkeys;
	l->keys = m->nkeys ? arena_alloc(a, m->nkeys * sizeof(*l->keys)) : NULL;
	for (unsigned i = 0; i < m->nkeys; i++) {
		l->keys[i].type = m->keys[i];
		l->keys[i].offset = off;
		l->keys[i].size = layout_type_size(m->keys[i]);
		off += l->keys[i].size;
	}
	l->has_bucket = m->agg == AGG_HIST || m->agg == AGG_LHIST;
	if (l->has_bucket) {
		l->bucket_offset = off;
		off += 8;
	}
	l->key_size = off ? off : 8;
	switch (m->agg) {
	case AGG_NONE:
		l->value_size = layout_type_size(m->value);
		break;
	case AGG_AVG:
	case AGG_MIN:
	case AGG_MAX:
		l->value_size = 16;
		break;
	case AGG_STATS:
		l->value_size = 32;
		break;
	case AGG_COUNT:
	case AGG_SUM:
	case AGG_HIST:
	case AGG_LHIST:
		l->value_size = 8;
		break;
	}
	l->percpu = m->agg != AGG_NONE;
	l->map_type = l->percpu ? LAYOUT_MAP_PERCPU_HASH : LAYOUT_MAP_HASH;
	if (m->agg == AGG_LHIST && m->lhist_step > 0 && m->lhist_max > m->lhist_min)
		l->nbuckets = (uint32_t)((m->lhist_max - m->lhist_min + m->lhist_step - 1) /
					 m->lhist_step) +
			2;
	if (l->percpu && !l->nkeys && m->agg != AGG_SUM &&
	    (m->agg != AGG_LHIST || (l->nbuckets && l->nbuckets <= LAYOUT_ARRAY_MAX))) {
		l->array = true;
		l->map_type = LAYOUT_MAP_PERCPU_ARRAY;
		l->max_entries = m->agg == AGG_HIST ? LAYOUT_HIST_NBUCKETS
			: m->agg == AGG_LHIST       ? l->nbuckets
						    : 1;
	}
	if (m->agg == AGG_NONE && !l->nkeys && !type_is_buffer(m->value)) {
		l->array = true;
		l->map_type = LAYOUT_MAP_ARRAY;
		l->max_entries = 1;
		l->value_size = 16; /* the value, then LAYOUT_SCALAR_SET */
	}
}

unsigned layout_hist_bucket(int64_t v)
{
	unsigned r = 0;
	uint64_t n = (uint64_t)v;

	if (v < 0)
		return 0;
	if (v == 0)
		return 1;
	while (n >>= 1)
		r++;
	return r + 2;
}

static void power_label(unsigned power, char *buf, unsigned len)
{
	static const char suffix[] = " KMGTPE";
	unsigned s = power / 10;

	if (s > 6)
		s = 6;
	if (s == 0)
		snprintf(buf, len, "%llu", 1ull << power);
	else
		snprintf(buf, len, "%llu%c", 1ull << (power - 10 * s), suffix[s]);
}

void layout_hist_label(unsigned bucket, char *buf, unsigned len)
{
	char lo[24], hi[24];

	if (bucket == 0) {
		snprintf(buf, len, "(..., 0)");
	} else if (bucket == 1) {
		snprintf(buf, len, "[0]");
	} else if (bucket == 2) {
		snprintf(buf, len, "[1]");
	} else {
		power_label(bucket - 2, lo, sizeof(lo));
		if (bucket - 1 >= 64)
			snprintf(hi, sizeof(hi), "...");
		else
			power_label(bucket - 1, hi, sizeof(hi));
		snprintf(buf, len, "[%s, %s)", lo, hi);
	}
}

void layout_hist_bounds(unsigned bucket, int64_t *lo, int64_t *hi)
{
	if (bucket == 0) {
		*lo = INT64_MIN;
		*hi = -1;
	} else if (bucket == 1) {
		*lo = *hi = 0;
	} else {
		*lo = (int64_t)(1ull << (bucket - 2));
		*hi = bucket - 1 >= 63 ? INT64_MAX : (int64_t)(1ull << (bucket - 1)) - 1;
	}
}

unsigned layout_lhist_bucket(const struct map_layout *l, int64_t v)
{
	const struct map_info *m = l->info;

	if (v < m->lhist_min)
		return 0;
	if (v >= m->lhist_max)
		return l->nbuckets - 1;
	return (unsigned)((v - m->lhist_min) / m->lhist_step) + 1;
}

/* bpftrace's lhist labels: 1K / 1M for exact multiples. */
static void lhist_number(int64_t n, char *buf, unsigned len)
{
	if (n != 0 && n % 1048576 == 0)
		snprintf(buf, len, "%lldM", (long long)(n / 1048576));
	else if (n != 0 && n % 1024 == 0)
		snprintf(buf, len, "%lldK", (long long)(n / 1024));
	else
		snprintf(buf, len, "%lld", (long long)n);
}

void layout_lhist_bounds(const struct map_layout *l, unsigned bucket, int64_t *lo, int64_t *hi)
{
	const struct map_info *m = l->info;

	if (bucket == 0) {
		*lo = INT64_MIN;
		*hi = m->lhist_min - 1;
	} else if (bucket >= l->nbuckets - 1) {
		*lo = m->lhist_max;
		*hi = INT64_MAX;
	} else {
		*lo = m->lhist_min + (int64_t)(bucket - 1) * m->lhist_step;
		*hi = *lo + m->lhist_step - 1;
		if (*hi >= m->lhist_max)
			*hi = m->lhist_max - 1;
	}
}

void layout_lhist_label(const struct map_layout *l, unsigned bucket, char *buf, unsigned len)
{
	char a[24], b[24];
	int64_t lo, hi;

	layout_lhist_bounds(l, bucket, &lo, &hi);
	if (bucket == 0) {
		lhist_number(l->info->lhist_min, a, sizeof(a));
		snprintf(buf, len, "(..., %s)", a);
	} else if (bucket >= l->nbuckets - 1) {
		lhist_number(lo, a, sizeof(a));
		snprintf(buf, len, "[%s, ...)", a);
	} else {
		lhist_number(lo, a, sizeof(a));
		lhist_number(hi + 1, b, sizeof(b));
		snprintf(buf, len, "[%s, %s)", a, b);
	}
}
