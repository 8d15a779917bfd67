/* buf.c - writing compiled programs into bytes and reading them back (buf.h). */
#include "buf.h"

#include <stdlib.h>
#include <string.h>

void ct_hash(const void *p, size_t n, uint64_t h[2])
{
	const unsigned char *s = p;

	for (size_t i = 0; i < n; i++) {
		h[0] = (h[0] ^ s[i]) * 0x100000001b3ull;
		h[1] = (h[1] ^ s[i]) * 0x100000001b3ull + (h[1] >> 29);
	}
}

void ct_buf_put(struct ct_buf *b, const void *v, size_t n)
{
	if (b->len + n > b->cap && !b->oom) {
		size_t cap = b->cap ? 2 * b->cap : 1024;
		char *p;

		while (cap < b->len + n)
			cap *= 2;
		if (!(p = realloc(b->p, cap)))
			b->oom = true;
		else
			b->p = p, b->cap = cap;
	}
	if (!b->oom && n) { /* (v may be NULL when n is 0) */
		memcpy(b->p + b->len, v, n);
		b->len += n;
	}
}

void ct_buf_put_u32(struct ct_buf *b, uint32_t v)
{
	ct_buf_put(b, &v, sizeof(v));
}

void ct_buf_put_str(struct ct_buf *b, const char *s)
{
	uint32_t n = s ? (uint32_t)strlen(s) + 1 : 0;

	ct_buf_put_u32(b, n);
	ct_buf_put(b, s, n);
}

bool ct_rd_get(struct ct_rd *r, void *v, size_t n)
{
	if ((size_t)(r->end - r->p) < n)
		return false;
	memcpy(v, r->p, n);
	r->p += n;
	return true;
}

bool ct_rd_u32(struct ct_rd *r, uint32_t *v)
{
	return ct_rd_get(r, v, sizeof(*v));
}

bool ct_rd_str(struct ct_rd *r, struct arena *a, const char **s)
{
	uint32_t n;

	if (!ct_rd_u32(r, &n) || (size_t)(r->end - r->p) < n || (n && (r->p[n - 1] != '\0' ||
								    memchr(r->p, '\0', n) != r->p + n - 1)))
		return false;
	*s = n ? arena_strdup(a, r->p) : NULL;
	r->p += n;
	return true;
}

/* One program in the table, followed by its target, probe and module strings. */
struct ct_buf_prog {
	char name[16];
	uint32_t kind, attach, nprobes;
	uint8_t builtin, is_start, pad[2];
	int64_t interval_ns;
	int32_t btf_id, pad2;
};

void ct_buf_put_progs(struct ct_buf *b, const struct ct_prog *progs, unsigned n)
{
	ct_buf_put_u32(b, n);
	for (unsigned i = 0; i < n; i++) {
		const struct ct_prog *q = &progs[i];
		struct ct_buf_prog r = {.kind = q->kind, .attach = q->attach, .nprobes = q->nprobes,
					.builtin = q->builtin, .is_start = q->is_start,
					.interval_ns = q->interval_ns, .btf_id = q->btf_id};

		memcpy(r.name, q->name, sizeof(r.name));
		ct_buf_put(b, &r, sizeof(r));
		ct_buf_put_str(b, q->target);
		ct_buf_put_str(b, q->probe);
		ct_buf_put_str(b, q->btf_module);
	}
}

bool ct_rd_progs(struct ct_rd *r, struct arena *a, struct ct_prog **progs, unsigned *n)
{
	struct ct_prog *ps;
	uint32_t k;

	if (!ct_rd_u32(r, &k) || k > (size_t)(r->end - r->p) / sizeof(struct ct_buf_prog))
		return false;
	ps = arena_alloc(a, (k + 1) * sizeof(*ps));
	for (unsigned i = 0; i < k; i++) {
		struct ct_prog *q = &ps[i];
		struct ct_buf_prog w;

		if (!ct_rd_get(r, &w, sizeof(w)) || w.name[sizeof(w.name) - 1] || w.kind > CT_PROG_INTERVAL ||
		    !ct_rd_str(r, a, &q->target) || !ct_rd_str(r, a, &q->probe) ||
		    !ct_rd_str(r, a, &q->btf_module))
			return false;
		memcpy(q->name, w.name, sizeof(q->name));
		q->kind = w.kind;
		q->attach = w.attach;
		q->nprobes = w.nprobes;
		q->builtin = w.builtin;
		q->is_start = w.is_start;
		q->interval_ns = w.interval_ns;
		q->btf_id = w.btf_id;
	}
	*progs = ps;
	*n = k;
	return true;
}
