/* resolve.c - built-in probes made concrete for the running kernel.
 *
 * A catalogue row lists attach alternatives; each gives recipes for its fields
 * (recipe.c turns them into reads at this kernel's offsets). A script gets the first
 * alternative whose events exist and where the fields it reads resolve, so a probe
 * survives struct layout changes between kernels, and a field that cannot be had on one
 * is an error only for the scripts that read it. */
#include "probe.h"
#include "kbtf.h"

#include <stdio.h>
#include <string.h>

/* Field f by the first of alt's recipes for it that fits this kernel; else FIELD_UNAVAIL
 * with the first recipe's reason (the most preferred way's). */
static void resolve_field(struct arena *a, const struct probe_attach *alt, struct probe_field *f)
{
	char why[400] = "", other[400];
	bool tried = false;

	for (unsigned k = 0; k < alt->nrecipes; k++) {
		struct probe_field try = *f;

		if (strcmp(alt->recipes[k].field, f->name) != 0)
			continue;
		if (probe_recipe(a, &alt->recipes[k], alt, &try, tried ? other : why, sizeof(why)) == 0) {
			*f = try;
			f->recipe = &alt->recipes[k];
			return;
		}
		tried = true;
	}
	if (!tried)
		snprintf(why, sizeof(why), "%s:%s does not record it", attach_kind_name(alt->kind), alt->target);
	f->src = FIELD_UNAVAIL;
	f->unavail = arena_strdup(a, why);
}

/* p with only its alternative `alt`, every field resolved where it can be (else
 * FIELD_UNAVAIL); NULL when what it saves at the start or its guard cannot be read here. */
static struct probe_def *resolve_alt(struct arena *a, const struct probe_def *p,
				     const struct probe_attach *alt, char *err, size_t errlen)
{
	struct probe_def *d = arena_alloc(a, sizeof(*d));
	struct probe_field *fields = arena_alloc(a, sizeof(*fields) * (p->nfields ? p->nfields : 1));
	const struct probe_stamp *st = alt->stamp;
	/* the stamp's recipes are read at its own event, typed by its prototype */
	const struct probe_attach sat = {.kind = st ? st->kind : 0, .target = st ? st->target : NULL,
					 .proto = st ? st->proto : NULL};
	const struct {
		const char *how, *what;
		const struct probe_attach *at;
		const struct field_read **to;
	} reads[] = {
		{alt->saved, "what is saved at the start of", alt, &d->saved},
		{alt->guard, "the guard of", alt, &d->guard},
		{st ? st->key : NULL, "the key of the stamp at", &sat, &d->stamp_key},
		{st ? st->guard : NULL, "the guard of the stamp at", &sat, &d->stamp_guard},
	};

	*d = *p;
	d->attach = alt;
	d->nattach = 1;
	d->fields = fields;
	for (unsigned i = 0; i < p->nfields; i++) {
		fields[i] = p->fields[i];
		if (fields[i].src == FIELD_KERNEL)
			resolve_field(a, alt, &fields[i]);
	}
	for (unsigned k = 0; k < sizeof(reads) / sizeof(reads[0]); k++) {
		/* saved: at the start; the guard: at the end; the stamp's: at the stamp */
		struct field_recipe rc = {k == 0 ? "saved" : "guard", reads[k].how, k == 0};
		struct probe_field f = {.name = rc.field, .type = type_int(), .src = FIELD_KERNEL};
		struct field_read *r = arena_alloc(a, sizeof(*r));
		char why[300];

		if (!reads[k].how)
			continue;
		if (probe_recipe(a, &rc, reads[k].at, &f, why, sizeof(why)) != 0) {
			snprintf(err, errlen, "probe %s: %s %s: %s", p->name, reads[k].what, reads[k].at->target, why);
			return NULL;
		}
		*r = f.read;
		*reads[k].to = r;
	}
	return d;
}

/* The index in used[] of the first field d cannot give, or -1. */
static int resolve_missing(const struct probe_def *d, const char *const *used, unsigned nused)
{
	for (unsigned u = 0; u < nused; u++) {
		const struct probe_field *f = probe_field_find(d, used[u]);

		if (f && f->src == FIELD_UNAVAIL)
			return (int)u;
	}
	return -1;
}

/* Whether alternative i's events exist here. */
static bool resolve_exists(const struct probe_def *p, unsigned i)
{
	struct probe_def one = *p;
	char why[256];

	one.attach = &p->attach[i];
	one.nattach = 1;
	return probe_available(&one, why, sizeof(why)) >= 0;
}

#define RESOLVE_MAX_ALT 16

/* Why none of the alternatives alts[0..n-1] (resolved as defs[], NULL where they could
 * not be) gives all the used fields: the first field that none of them gives, with what
 * each says; else (each field is given by one, but none gives them all) the first field
 * the preferred one lacks, and what the one that gives it lacks. */
static void resolve_explain(const struct probe_def *p, struct probe_def *const *defs,
			    const unsigned *alts, unsigned n, const char *const *used, unsigned nused,
			    int *bad, char *err, size_t errlen)
{
	for (unsigned u = 0; u < nused; u++) {
		const struct probe_field *f = NULL;
		size_t len = 0;

		err[0] = '\0';
		for (unsigned k = 0; k < n && !(f && f->src != FIELD_UNAVAIL); k++) {
			const struct probe_attach *at = &p->attach[alts[k]];

			if (!defs[k] || !(f = probe_field_find(defs[k], used[u])) || f->src != FIELD_UNAVAIL)
				continue;
			if (strstr(err, f->unavail))
				continue; /* what each other way says, once */
			if (!len)
				snprintf(err, errlen, "%s", f->unavail);
			else if (strstr(f->unavail, at->target))
				snprintf(err + len, errlen - len, "; and %s", f->unavail);
			else
				snprintf(err + len, errlen - len, "; with %s:%s: %s", attach_kind_name(at->kind), at->target, f->unavail);
			len = strlen(err);
		}
		if (f && f->src == FIELD_UNAVAIL) {
			*bad = (int)u;
			return;
		}
	}
	for (unsigned k = 0; k < n; k++) { /* each field alone can be had: not all together */
		int m = defs[k] ? resolve_missing(defs[k], used, nused) : -1;

		if (m < 0)
			continue;
		for (unsigned j = 0; j < n; j++) {
			const struct probe_field *f = defs[j] ? probe_field_find(defs[j], used[m]) : NULL;
			int other = defs[j] ? resolve_missing(defs[j], used, nused) : -1;

			if (!f || f->src == FIELD_UNAVAIL || other < 0)
				continue;
			*bad = m;
			snprintf(err, errlen, "only %s:%s gives it here, and that cannot give '%s' (%s): read them "
				 "in separate clauses", attach_kind_name(defs[j]->attach->kind), defs[j]->attach->target,
				 used[other], probe_field_find(defs[j], used[other])->unavail);
			return;
		}
	}
	*bad = -1;
	snprintf(err, errlen, "probe %s: none of its attach points can be used here", p->name);
}

const struct probe_def *probe_resolve(struct arena *a, const struct probe_def *p,
				      const char *const *used, unsigned nused, int *bad, char *err,
				      size_t errlen)
{
	return probe_resolve_as(a, p, used, nused, NULL, NULL, bad, err, errlen);
}

const struct probe_def *probe_resolve_as(struct arena *a, const struct probe_def *p,
					 const char *const *used, unsigned nused, probe_accept_fn accept,
					 void *ctx, int *bad, char *err, size_t errlen)
{
	struct probe_def *first = NULL, *last = NULL, *defs[RESOLVE_MAX_ALT];
	unsigned alts[RESOLVE_MAX_ALT], n, k = 0;
	char why[512] = "";

	*bad = -1;
	int at = probe_available(p, err, errlen);
	if (at < 0)
		return NULL;
	/* each group (every alternative of a probe is in group 0 unless it attaches to all) */
	for (unsigned g = (unsigned)at; g < p->nattach && g < RESOLVE_MAX_ALT; g++) {
		bool done = false; /* this group was seen at an earlier alternative */
		struct probe_def *d = NULL, *fits = NULL; /* (fits: the first that fits, not accepted) */

		for (unsigned i = (unsigned)at; i < g; i++)
			done |= p->attach[i].group == p->attach[g].group;
		if (done || (!p->attach_all && g > (unsigned)at))
			continue;
		n = 0;
		for (unsigned i = g; i < p->nattach && i < RESOLVE_MAX_ALT; i++) {
			if ((p->attach_all && p->attach[i].group != p->attach[g].group) || !resolve_exists(p, i))
				continue;
			alts[n] = i;
			defs[n] = resolve_alt(a, p, &p->attach[i], why, sizeof(why));
			if (defs[n] && resolve_missing(defs[n], used, nused) < 0) {
				if (!accept || accept(ctx, k, defs[n])) {
					d = defs[n];
					break;
				}
				fits = fits ? fits : defs[n];
			}
			n++;
		}
		d = d ? d : fits;
		if (d) {
			k++;
			if (last)
				last->also = d;
			else
				first = d;
			last = d;
			continue;
		}
		if (!n)
			continue; /* none of this group's events exist here (another group's do) */
		/* a group with an event here but without the fields would miss events */
		resolve_explain(p, defs, alts, n, used, nused, bad, err, errlen);
		if (*bad < 0 && why[0])
			snprintf(err, errlen, "%s", why);
		return NULL;
	}
	if (!first)
		snprintf(err, errlen, "probe %s: none of its attach points can be used here", p->name);
	return first;
}

/* Field `name` of an fentry/fexit definition by recipe `how` ("arg2", "ret",
 * "arg0->f_path.dentry"): an integer, or a string where the read ends at characters. */
static bool resolve_typed(struct arena *a, const struct probe_attach *at, const char *name,
			  const char *how, struct probe_field *f, char *err, size_t errlen)
{
	struct field_recipe rc = {.field = name, .how = how};

	*f = (struct probe_field){.name = name, .type = type_int(), .doc = "argument (BTF)"};
	if (probe_recipe(a, &rc, at, f, err, errlen) == 0)
		return true;
	f->type = type_str(NFSQ_STR_DEFAULT); /* (the recipe said it gives a string) */
	return probe_recipe(a, &rc, at, f, err, errlen) == 0;
}

const struct probe_def *probe_fentry_def(struct arena *a, const char *fn, bool exit, char *err,
				     size_t errlen)
{
	struct probe_attach *at = arena_alloc(a, sizeof(*at));
	struct probe_def *p = arena_alloc(a, sizeof(*p));
	struct probe_field *fields;
	const struct btf_type *proto;
	struct btf *btf;
	unsigned skip, n = 0;
	char how[16];

	at->kind = exit ? ATTACH_FEXIT : ATTACH_FENTRY;
	at->target = arena_strdup(a, fn);
	if (!kbtf_find(fn, BTF_KIND_FUNC, &(__s32){0})) {
		snprintf(err, errlen, "no kernel function %s in the kernel's BTF (vmlinux's, and from Linux 5.11 the NFS modules')", fn);
		return NULL;
	}
	if (!(proto = kbtf_proto(at, false, &btf, &skip, err, errlen)))
		return NULL;
	if (btf_vlen(proto) > 10) {
		snprintf(err, errlen, "%s has %u arguments; nfsq reads at most 10", fn, btf_vlen(proto));
		return NULL;
	}
	fields = arena_alloc(a, (btf_vlen(proto) + 1) * sizeof(*fields));
	for (unsigned i = 0; i < btf_vlen(proto); i++) {
		const char *name = btf__name_by_offset(btf, btf_params(proto)[i].name_off);

		snprintf(how, sizeof(how), "arg%u", i);
		if (!name || !*name)
			name = arena_printf(a, "arg%u", i);
		if (resolve_typed(a, at, arena_strdup(a, name), arena_strdup(a, how), &fields[n], err, errlen))
			n++; /* (an argument of a type nfsq cannot read, a struct by value: left out) */
	}
	if (exit && resolve_typed(a, at, "retval", "ret", &fields[n], err, errlen))
		fields[n++].doc = "return value (BTF)";
	p->name = arena_printf(a, "%s:%s", exit ? "fexit" : "fentry", fn);
	p->summary = exit ? "kernel function return (BTF)" : "kernel function entry (BTF)";
	p->fields = fields;
	p->nfields = n;
	p->attach = at;
	p->nattach = 1;
	return p;
}

const struct probe_def *probe_kprobe_typed(struct arena *a, const char *fn, bool ret)
{
	const struct probe_def *p = probe_kprobe(a, fn, ret), *t;
	struct probe_def *q;
	struct probe_field *fields;
	char err[256];

	if (ret || !kbtf_find(fn, BTF_KIND_FUNC, &(__s32){0}) || !(t = probe_fentry_def(a, fn, false, err, sizeof(err))))
		return p;
	/* arg0..arg5, then the arguments by name, read from the same registers */
	fields = arena_alloc(a, (p->nfields + t->nfields) * sizeof(*fields));
	memcpy(fields, p->fields, p->nfields * sizeof(*fields));
	q = arena_alloc(a, sizeof(*q));
	*q = *p;
	q->fields = fields;
	q->nfields = p->nfields;
	for (unsigned i = 0; i < t->nfields; i++) {
		struct probe_field f;

		if (probe_field_find(q, t->fields[i].name) ||
		    !resolve_typed(a, p->attach, t->fields[i].name, t->fields[i].recipe ? t->fields[i].recipe->how : arena_printf(a, "arg%u", t->fields[i].read.index), &f, err, sizeof(err)))
			continue;
		fields[q->nfields++] = f;
	}
	return q;
}

const struct probe_def *probe_member(struct arena *a, const struct probe_def *p, const char *path,
				     char *err, size_t errlen)
{
	size_t root = strcspn(path, "-.");
	const struct probe_field *base = NULL;
	struct probe_def *q;
	struct probe_field *fields;
	char how[300];

	for (unsigned i = 0; i < p->nfields && !base; i++)
		if (strlen(p->fields[i].name) == root && !strncmp(p->fields[i].name, path, root))
			base = &p->fields[i];
	bool typed = p->nattach == 1 && (p->attach->kind == ATTACH_FENTRY || p->attach->kind == ATTACH_FEXIT ||
					  p->attach->kind == ATTACH_KPROBE);

	if (typed && !base) {
		size_t n = (size_t)snprintf(err, errlen, "%s has no argument '%.*s' (its arguments:", p->name, (int)root, path);

		for (unsigned i = 0; i < p->nfields && n < errlen; i++)
			if (strcmp(p->fields[i].name, "retval"))
				n += (size_t)snprintf(err + n, errlen - n, " %s", p->fields[i].name);
		if (n < errlen)
			snprintf(err + n, errlen - n, ")");
		return NULL;
	}
	if (!typed || base->read.base != READ_BASE_ARG || base->read.nderef || base->read.final == READ_STR_AT) {
		snprintf(err, errlen, "%.*s is not a struct pointer argument of %s (members are read through the BTF-typed arguments of fentry: and fexit: probes)",
			 (int)root, path, p->name);
		return NULL;
	}
	snprintf(how, sizeof(how), "arg%u%s", base->read.index, path + root);
	q = arena_alloc(a, sizeof(*q));
	*q = *p;
	fields = arena_alloc(a, (p->nfields + 1) * sizeof(*fields));
	memcpy(fields, p->fields, p->nfields * sizeof(*fields));
	if (!resolve_typed(a, p->attach, arena_strdup(a, path), arena_strdup(a, how), &fields[p->nfields], err, errlen)) {
		/* the recipe's words are nfsq's own: say it with the script's */
		char why[400], *at = strstr(err, "(at '"), *rc = strstr(err, " (recipe '");

		if (strstr(err, "does not fit") && at)
			snprintf(why, sizeof(why), "args->%s does not fit the kernel's types at '%.*s' (-> follows a pointer to a struct, . names a member of a struct)",
				 path, (int)strcspn(at + 5, "'"), at + 5);
		else
			snprintf(why, sizeof(why), "args->%s: %.*s", path, rc ? (int)(rc - err) : (int)strlen(err), err);
		snprintf(err, errlen, "%s", why);
		return NULL;
	}
	fields[p->nfields].doc = "member (BTF)";
	q->fields = fields;
	q->nfields = p->nfields + 1;
	return q;
}
