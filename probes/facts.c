/* facts.c - the kernel facts in a resolved probe definition (facts.h). */
#include "facts.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void facts_put(struct probe_facts *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void facts_put(struct probe_facts *w, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		size_t room = w->cap - w->len;

		va_start(ap, fmt);
		n = vsnprintf(w->shape ? w->shape + w->len : NULL, w->shape ? room : 0, fmt, ap);
		va_end(ap);
		if (n < 0 || w->oom)
			return;
		if (w->shape && (size_t)n < room) {
			w->len += (size_t)n;
			return;
		}
		size_t cap = (w->cap ? w->cap * 2 : 256) + (size_t)n;
		char *p = realloc(w->shape, cap);

		if (!p) {
			w->oom = true;
			return;
		}
		w->shape = p;
		w->cap = cap;
	}
}

static void facts_slot(struct probe_facts *w, const void *slot, enum probe_fact_width width)
{
	if (w->nslots == w->slots_cap) {
		unsigned cap = w->slots_cap ? 2 * w->slots_cap : 32;
		struct probe_fact *p = realloc(w->slots, cap * sizeof(*p));

		if (!p) {
			w->oom = true;
			return;
		}
		w->slots = p;
		w->slots_cap = cap;
	}
	w->slots[w->nslots++] = (struct probe_fact){slot, width};
	facts_put(w, "#");
}

static void facts_target(struct probe_facts *w, const char *target)
{
	if (w->ntargets == w->targets_cap) {
		unsigned cap = w->targets_cap ? 2 * w->targets_cap : 8;
		const char **p = realloc(w->targets, cap * sizeof(*p));

		if (!p) {
			w->oom = true;
			return;
		}
		w->targets = p;
		w->targets_cap = cap;
	}
	w->targets[w->ntargets++] = target ? target : "";
}

static void facts_read(struct probe_facts *w, const struct field_read *r)
{
	if (!r) {
		facts_put(w, "-");
		return;
	}
	facts_put(w, "(b%d f%d s%u x%d*%lld %c %s v%lld %s %c", r->base, r->final, r->size, r->xform, (long long)r->scale, r->at_start ? 'S' : 'E',
		  r->strip, (long long)r->value, r->text ? r->text : "", r->negate ? '!' : '=');
	if (r->base == READ_BASE_ARG || r->base == READ_BASE_RET) /* where the prototype has it */
		facts_slot(w, &r->index, PROBE_FACT_U32);
	facts_slot(w, &r->is_signed, PROBE_FACT_BOOL);
	for (unsigned i = 0; i < r->nderef && i < READ_MAX_DEREF; i++)
		facts_slot(w, &r->deref[i], PROBE_FACT_S32);
	if (r->final == READ_INT || r->final == READ_STR || r->final == READ_STRPTR || r->final == READ_ADDR)
		facts_slot(w, &r->off, PROBE_FACT_S32);
	if (r->final == READ_PATH) {
		const struct path_offs *o = &r->path;
		const int32_t *offs[] = {&o->d_parent, &o->d_name, &o->d_len, &o->mnt_root, &o->mnt_parent, &o->mnt_mountpoint};

		for (unsigned i = 0; i < sizeof(offs) / sizeof(offs[0]); i++)
			facts_slot(w, offs[i], PROBE_FACT_S32);
	}
	if (r->final == READ_RPCMOUNT) {
		const struct rpcmount_offs *o = &r->rpcmount;
		const int32_t *offs[] = {&o->s_list, &o->s_magic, &o->s_fs_info, &o->client, &o->nfs_client, &o->cl_rpcclient};

		facts_slot(w, &o->head, PROBE_FACT_U64);
		for (unsigned i = 0; i < sizeof(offs) / sizeof(offs[0]); i++)
			facts_slot(w, offs[i], PROBE_FACT_S32);
		facts_put(w, "acl%c", o->client_acl >= 0 ? '+' : '-');
		if (o->client_acl >= 0)
			facts_slot(w, &o->client_acl, PROBE_FACT_S32);
	}
	if (r->final == READ_STAMP && r->stamp)
		facts_put(w, "stamp %d:%s", r->stamp->kind, r->stamp->target);
	facts_read(w, r->sel);
	facts_read(w, r->then);
	facts_read(w, r->els);
	facts_put(w, ")");
}

static void facts_field(struct probe_facts *w, const struct probe_field *f)
{
	/* (not the recipe: another one that reads the same way, at other offsets, fits) */
	facts_put(w, "{%d t%d.%u %c ", f->src, f->type.kind, f->type.size, f->at_start ? 'S' : 'E');
	switch (f->src) {
	case FIELD_TP:
		/* (a string's signedness is its format's whim: __data_loc is int or unsigned int) */
		facts_put(w, "tp s%u%c%c x%d*%lld v%lld ", f->size,
			  f->type.kind == TYPE_STR ? '-' : f->is_signed ? 's' : 'u', f->data_loc ? 'L' : 'A',
			  f->read.xform, (long long)f->read.scale, (long long)f->read.value);
		facts_slot(w, &f->offset, PROBE_FACT_U32);
		break;
	case FIELD_ARG:
		facts_put(w, "arg%u", f->index);
		break;
	case FIELD_READ:
		facts_read(w, &f->read);
		break;
	case FIELD_UNAVAIL:
		facts_put(w, "unavailable");
		break;
	case FIELD_RETVAL:
	case FIELD_LATENCY:
	case FIELD_KERNEL:
		break;
	}
	facts_put(w, "}");
}

/* The fields used of d, in that order. */
static void facts_used(struct probe_facts *w, const struct probe_def *d, const char *const *used, unsigned nused)
{
	for (unsigned u = 0; u < nused; u++) {
		const struct probe_field *f = probe_field_find(d, used[u]);

		facts_put(w, ";%s", used[u]);
		if (f)
			facts_field(w, f);
		else
			facts_put(w, "{none}");
	}
}

void probe_facts_builtin(struct probe_facts *w, const struct probe_def *d, const char *const *used,
			 unsigned nused)
{
	for (; d; d = d->also) {
		const struct probe_attach *at = d->attach;

		facts_put(w, "|%s %d", d->name, at->kind);
		if (at->end_target)
			facts_put(w, ">%d", at->end_kind);
		facts_target(w, at->target);
		facts_target(w, at->end_target);
		facts_put(w, ";guard");
		facts_read(w, d->guard);
		facts_put(w, ";saved");
		facts_read(w, d->saved);
		facts_put(w, ";stamp");
		facts_read(w, d->stamp_key);
		facts_read(w, d->stamp_guard);
		facts_used(w, d, used, nused);
	}
}

void probe_facts_tracepoint(struct probe_facts *w, const struct probe_def *d, const char *const *used,
			    unsigned nused)
{
	facts_put(w, "|%s", d->name);
	facts_used(w, d, used, nused);
}

int64_t probe_fact_value(const struct probe_fact *f)
{
	switch (f->width) {
	case PROBE_FACT_S32: return *(const int32_t *)f->slot;
	case PROBE_FACT_U32: return *(const uint32_t *)f->slot;
	case PROBE_FACT_U64: return (int64_t)*(const uint64_t *)f->slot;
	case PROBE_FACT_BOOL: return *(const bool *)f->slot;
	}
	return 0;
}

const char *probe_facts_diff(const char *a, const char *b, char *name, size_t len)
{
	const char *seg = a, *p = a, *q = b;

	for (; *p && *p == *q; p++, q++)
		if (*p == ';' || *p == '|')
			seg = p;
	if (!*p && !*q)
		return NULL;
	/* what differs: a field (from its separator to its '{'), the attach point, or what
	 * the attach point reads besides (its guard, saved value, stamp) */
	size_t n = strcspn(seg + 1, "{;|(-");

	if (*seg == '|' || seg == a)
		snprintf(name, len, "its attach point");
	else if (seg[1 + n] == '{')
		snprintf(name, len, "field '%.*s'", (int)n, seg + 1);
	else
		snprintf(name, len, "its %.*s", (int)n, seg + 1);
	return name;
}

void probe_facts_free(struct probe_facts *w)
{
	free(w->shape);
	free(w->slots);
	free(w->targets);
	memset(w, 0, sizeof(*w));
}
