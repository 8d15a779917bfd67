/* resolve.c - built-in probes made concrete for the running kernel.
 *
 * A catalogue row lists attach alternatives; each gives recipes for its fields
 * (recipe.c turns them into reads at this kernel's offsets). A script gets the first
 * alternative whose events exist and where the fields it reads resolve, so a probe
 * survives struct layout changes between kernels, and a field that cannot be had on one
 * is an error only for the scripts that read it. */
#include "probe.h"

#include <stdio.h>
#include <string.h>

static bool resolve_used(const char *const *used, unsigned nused, const char *name, int *at)
{
	for (unsigned i = 0; i < nused; i++)
		if (!strcmp(used[i], name)) {
			*at = (int)i;
			return true;
		}
	return false;
}

/* Field f by the first of alt's recipes for it that fits this kernel; else FIELD_UNAVAIL
 * with the first recipe's reason (the most preferred way's). */
static const char *const kinds[] = {"tracepoint", "kprobe", "kretprobe", "fentry", "fexit", "raw_tracepoint"};

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
		snprintf(why, sizeof(why), "%s:%s does not record it", kinds[alt->kind], alt->target);
	f->src = FIELD_UNAVAIL;
	f->unavail = arena_strdup(a, why);
}

/* p with only its alternative `alt`, every field resolved where it can be; NULL when a
 * used field cannot be (*bad its index in used, the reason in err) or the guard cannot. */
static struct probe_def *resolve_alt(struct arena *a, const struct probe_def *p,
				     const struct probe_attach *alt, const char *const *used,
				     unsigned nused, int *bad, char *err, size_t errlen)
{
	struct probe_def *d = arena_alloc(a, sizeof(*d));
	struct probe_field *fields = arena_alloc(a, sizeof(*fields) * (p->nfields ? p->nfields : 1));
	int u;

	*d = *p;
	d->attach = alt;
	d->nattach = 1;
	d->fields = fields;
	for (unsigned i = 0; i < p->nfields; i++) {
		fields[i] = p->fields[i];
		if (fields[i].src == FIELD_KERNEL)
			resolve_field(a, alt, &fields[i]);
		if (fields[i].src == FIELD_UNAVAIL && resolve_used(used, nused, fields[i].name, &u)) {
			*bad = u;
			snprintf(err, errlen, "%s", fields[i].unavail);
			return NULL;
		}
	}
	if (alt->saved) {
		struct field_recipe src = {"saved", alt->saved, true};
		struct probe_field sf = {.name = "saved", .type = type_int(), .src = FIELD_KERNEL};
		struct field_read *sr = arena_alloc(a, sizeof(*sr));
		char why[300];

		if (probe_recipe(a, &src, alt, &sf, why, sizeof(why)) != 0) {
			*bad = -1;
			snprintf(err, errlen, "probe %s: what %s saves at the start: %s", p->name, alt->target, why);
			return NULL;
		}
		*sr = sf.read;
		d->saved = sr;
	}
	if (alt->guard) {
		struct field_recipe grc = {"guard", alt->guard, false};
		struct probe_field g = {.name = "guard", .type = type_int(), .src = FIELD_KERNEL};
		struct field_read *gr = arena_alloc(a, sizeof(*gr));
		char why[300];

		if (probe_recipe(a, &grc, alt, &g, why, sizeof(why)) != 0) {
			*bad = -1;
			snprintf(err, errlen, "probe %s: the guard of %s: %s", p->name, alt->target, why);
			return NULL;
		}
		*gr = g.read;
		d->guard = gr;
	}
	return d;
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

const struct probe_def *probe_resolve(struct arena *a, const struct probe_def *p,
				      const char *const *used, unsigned nused, int *bad, char *err,
				      size_t errlen)
{
	struct probe_def *first = NULL, *last = NULL;
	bool failed = false; /* an alternative here could not give a used field */
	char why[512];
	int b;

	*bad = -1;
	int at = probe_available(p, err, errlen);
	if (at < 0)
		return NULL;
	for (unsigned i = (unsigned)at; i < p->nattach; i++) {
		unsigned group = p->attach[i].group;
		bool have = false; /* this group (every alternative: the only one) has one */

		for (const struct probe_def *d = first; d; d = d->also)
			have |= !p->attach_all || d->attach->group == group;
		if (have || !resolve_exists(p, i))
			continue;
		struct probe_def *d = resolve_alt(a, p, &p->attach[i], used, nused, &b, why, sizeof(why));
		if (!d) {
			if (!failed) {
				*bad = b;
				snprintf(err, errlen, "%s", why);
			} else if (b == *bad && !strstr(err, why)) { /* what each other way says */
				size_t n = strlen(err);
				if (strstr(why, p->attach[i].target))
					snprintf(err + n, errlen - n, "; and %s", why);
				else
					snprintf(err + n, errlen - n, "; with %s:%s: %s", kinds[p->attach[i].kind],
						 p->attach[i].target, why);
			}
			failed = true;
			continue;
		}
		if (last)
			last->also = d;
		else
			first = d;
		last = d;
	}
	if (!first)
		return NULL;
	/* attach_all: a group with an event here but without the fields would miss events */
	for (unsigned i = (unsigned)at; failed && p->attach_all && i < p->nattach; i++) {
		bool have = false;

		for (const struct probe_def *d = first; d; d = d->also)
			have |= d->attach->group == p->attach[i].group;
		if (!have && resolve_exists(p, i)) {
			resolve_alt(a, p, &p->attach[i], used, nused, bad, err, errlen); /* its reason */
			return NULL;
		}
	}
	*bad = -1;
	return first;
}
