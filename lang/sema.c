/* sema.c - the semantic pass: probes, names, types, maps and printf formats.
 *
 * One walk over the program in source order. Each probe reference gets its
 * definition (catalogue row, or built from the running kernel for raw probes);
 * each identifier is a builtin, a field of every probe of its clause, or an
 * error name; each map gets one map_info whose keys and value kind must agree
 * at every use. Errors name the cause and, where a near name exists, a hint. */
#include <stdlib.h>
#include <string.h>

#include "../contract/layout.h"
#include "../probes/ksyms.h"
#include "../probes/probe.h"
#include "ast.h"
#include "compile.h"

#define MAX_LOCALS 64
#define MAX_PRINTF_ARGS 16

struct sema {
	struct compilation *c;
	struct diag *d;
	struct clause *clause; /* the clause being checked */
	struct local_info *locals[MAX_LOCALS];
	unsigned nlocals;
	unsigned map_cap, printf_cap;
	const struct expr *printf_arg; /* the printf argument being checked (strftime() may be one) */
	unsigned loops;                /* while loops around the statement being checked */
	const struct stmt *in_for;     /* the for loop around it (its body runs as a callback) */
	struct map_info **map_tab; /* the maps by name: open addressing, a power of 2 */
	unsigned map_tab_cap;      /* slots; at most half of them used */
	int max_arg;               /* the highest $N the script uses */
	bool counts_args;          /* it uses $#: any number of arguments may be given */
};

static void sema_expr(struct sema *s, struct expr *e);
static void sema_stmts(struct sema *s, struct stmt *st);
static void sema_for(struct sema *s, struct stmt *st);

static struct type sema_unify_str(struct type a, struct type b)
{
	return a.size >= b.size ? a : b;
}

static struct type sema_tuple_of(struct arena *ar, const struct type *elems, unsigned n);

/* a and b (type_same) as one type: each string as long as the longer of the two */
static struct type sema_unify(struct arena *ar, struct type a, struct type b)
{
	if (a.kind == TYPE_STR)
		return sema_unify_str(a, b);
	if (a.kind != TYPE_TUPLE)
		return a;
	struct type *el = arena_alloc(ar, a.tuple->n * sizeof(*el));
	for (unsigned i = 0; i < a.tuple->n; i++)
		el[i] = sema_unify(ar, a.tuple->elems[i], b.tuple->elems[i]);
	return sema_tuple_of(ar, el, a.tuple->n);
}

/* The tuple of these element types, laid out as map keys are (contract/layout.h). */
static struct type sema_tuple_of(struct arena *ar, const struct type *elems, unsigned n)
{
	struct tuple_type *tt = arena_alloc(ar, sizeof(*tt));
	uint32_t off = 0;

	tt->n = n;
	tt->elems = arena_alloc(ar, n * sizeof(*tt->elems));
	tt->offs = arena_alloc(ar, n * sizeof(*tt->offs));
	for (unsigned i = 0; i < n; i++) {
		tt->elems[i] = elems[i];
		tt->offs[i] = off;
		off += layout_type_size(elems[i]);
	}
	return (struct type){TYPE_TUPLE, off, tt};
}

static const char *sema_kind_name(enum type_kind k)
{
	switch (k) {
	case TYPE_STR: return "a string";
	case TYPE_ERRNO: return "an errno";
	case TYPE_NFSSTAT: return "an NFS status";
	case TYPE_NONE: return "no value";
	case TYPE_INT: return "an integer";
	case TYPE_KSTACK: return "a kernel stack";
	case TYPE_USTACK: return "a user stack";
	case TYPE_KSYM: return "a kernel symbol";
	case TYPE_TUPLE: return "a tuple";
	}
	return "an integer";
}

/* "an integer", or a tuple's whole type: "the tuple (int, string[16])" */
static const char *sema_type_words(struct sema *s, struct type t)
{
	if (t.kind != TYPE_TUPLE)
		return sema_kind_name(t.kind);
	return arena_printf(&s->c->arena, "the tuple %s", type_name(t));
}

/* ---- probes ---- */

static void sema_arg(struct sema *s, struct expr *e, bool as_str);
static void sema_probe(struct sema *s, struct probe_ref *p)
{
	char err[512];
	switch (p->kind) {
	case PROBE_BUILTIN:
		p->def = probe_lookup(p->name);
		if (!p->def && strchr(p->name, ':')) /* (an unsupported probe type: the lexer said so) */
			break;
		if (!p->def) {
			const char *hint = diag_suggest(p->name, probe_names(), probe_count());
			if (hint)
				diag_error(s->d, p->loc, "unknown probe '%s' (did you mean '%s'?)", p->name, hint);
			else
				diag_error(s->d, p->loc,
					   "unknown probe '%s'; nfsq -l lists the probes (raw ones are tracepoint:CAT:EVENT, kprobe:FN)",
					   p->name);
		}
		break;
	case PROBE_TRACEPOINT:
		p->def = probe_tracepoint(p->target, err, sizeof(err));
		if (!p->def)
			diag_error(s->d, p->loc, "%s", err);
		break;
	case PROBE_KPROBE:
	case PROBE_KRETPROBE:
		p->def = probe_kprobe_typed(&s->c->arena, p->target, p->kind == PROBE_KRETPROBE);
		break;
	case PROBE_FENTRY:
	case PROBE_FEXIT:
		p->def = probe_fentry_def(&s->c->arena, p->target, p->kind == PROBE_FEXIT, err, sizeof(err));
		if (!p->def)
			diag_error(s->d, p->loc, "%s: %s; kprobe:%s works without BTF", p->name, err, p->target);
		break;
	case PROBE_INTERVAL:
		if (p->interval_arg > 0) { /* interval $N: the argument, or its default, as a duration */
			struct expr arg = {.kind = EXPR_ARG, .loc = p->loc};

			arg.u.num = p->interval_arg;
			if (p->interval_arg > s->c->argc && !s->c->prog->arg_default[p->interval_arg]) {
				diag_error(s->d, p->loc, "interval $%d: no argument $%d given; give one (5s) or a default (default $%d = 5s;)",
					   p->interval_arg, p->interval_arg, p->interval_arg);
				break;
			}
			sema_arg(s, &arg, false);
			if (arg.kind != EXPR_INT) {
				diag_error(s->d, p->loc, "interval $%d: the argument is not a duration (write it with a unit: 5s, 500ms)",
					   p->interval_arg);
				break;
			}
			p->interval_ns = arg.u.num;
		}
		if (p->interval_ns < 1000000)
			diag_error(s->d, p->loc,
				   "interval of %lld ns is too short; write a unit of at least 1ms (e.g. interval 1s)",
				   (long long)p->interval_ns);
		break;
	case PROBE_BEGIN:
	case PROBE_END:
	case PROBE_PROFILE:
		break;
	}
}

/* ---- identifiers ---- */

static const char *sema_field_hint(struct sema *s, const char *name)
{
	const char *cands[96];
	unsigned n = 0;
	for (const struct probe_ref *p = s->clause->probes; p; p = p->next)
		if (p->def)
			for (unsigned i = 0; i < p->def->nfields && n < 80; i++)
				cands[n++] = p->def->fields[i].name;
	for (int b = BUILTIN_PID; b <= BUILTIN_USTACK; b++)
		cands[n++] = builtin_name((enum builtin)b);
	const char *hint = diag_suggest(name, cands, n);
	if (!hint && name[0] >= 'A' && name[0] <= 'Z') {
		const char *const *all = errname_all();
		unsigned k = 0;
		while (all[k])
			k++;
		hint = diag_suggest(name, all, k);
	}
	return hint;
}

static void sema_ident(struct sema *s, struct expr *e)
{
	const char *name = e->u.ident.name;
	if (strpbrk(name, "-.")) { /* args->file->f_inode: a member, added to each probe as a field */
		char err[512];
		for (struct probe_ref *p = s->clause->probes; p; p = p->next) {
			const struct probe_def *q = p->def;
			if (q && !probe_field_find(q, name) && !(q = probe_member(&s->c->arena, q, name, err, sizeof(err)))) {
				diag_error(s->d, e->loc, "%s", err);
				return;
			}
			p->def = q;
		}
	}
	/* a field of every probe of the clause */
	bool any = false, all = true;
	struct type t = {TYPE_NONE, 0, 0};
	const struct probe_ref *missing = NULL;
	for (const struct probe_ref *p = s->clause->probes; p; p = p->next) {
		const struct probe_field *f = p->def ? probe_field_find(p->def, name) : NULL;
		if (!f) {
			all = false;
			if (!missing)
				missing = p;
			continue;
		}
		if (any && f->type.kind != t.kind) {
			diag_error(s->d, e->loc, "field '%s' is %s in %s but %s in an earlier probe of this clause",
				   name, sema_kind_name(f->type.kind), p->name, sema_kind_name(t.kind));
			return;
		}
		t = any ? (t.kind == TYPE_STR ? sema_unify_str(t, f->type) : t) : f->type;
		any = true;
	}
	if (any && all) {
		e->type = t;
		if (s->in_for)
			diag_error(s->d, e->loc, "probe field '%s' cannot be read in a for loop's body (it runs apart from the probe); copy it to a $local before the loop", name);
		return;
	}
	enum builtin b = builtin_lookup(name);
	if (b != BUILTIN_NONE) {
		e->u.ident.builtin = b;
		switch (b) {
		case BUILTIN_COMM: e->type = type_str(16); break;
		case BUILTIN_PROBE: e->type = type_str(NFSQ_STR_DEFAULT); break;
		case BUILTIN_CPID:
			e->type = type_int();
			s->c->prog->uses_cpid = true;
			if (!s->c->have_cpid)
				diag_error(s->d, e->loc, "'cpid' is the pid of the -c command; run with -c CMD");
			break;
		case BUILTIN_KSTACK:
		case BUILTIN_USTACK:
			if (s->in_for)
				diag_error(s->d, e->loc, "%s cannot be read in a for loop's body (it runs apart from the probe); copy it to a $local before the loop", name);
			e->u.ident.frames = LAYOUT_STACK_MAX;
			e->type = (struct type){b == BUILTIN_KSTACK ? TYPE_KSTACK : TYPE_USTACK, 8, 0};
			break;
		case BUILTIN_NONE:
		case BUILTIN_PID:
		case BUILTIN_TID:
		case BUILTIN_UID:
		case BUILTIN_CPU:
		case BUILTIN_NSECS:
		case BUILTIN_ELAPSED:
			e->type = type_int();
			break;
		}
		return;
	}
	const struct errname *en = errname_lookup(name);
	if (en) {
		e->kind = EXPR_ERRNO;
		e->errname = en->name;
		e->u.num = en->value;
		e->type = (struct type){en->kind, 8, 0};
		return;
	}
	if (any) {
		diag_error(s->d, e->loc, "field '%s' is not offered by probe %s (all probes of a clause must offer the fields it uses)",
			   name, missing->name);
		return;
	}
	static const char *const bt[] = {"gid", "numaid", "func", "curtask", "rand", "cgroup", "username",
					 "ctx", "sarg0", "sarg1", "sarg2", "sarg3", "sarg4", "sarg5", "jiffies",
					 "usermode", "ncpus", "kptr"};
	for (unsigned i = 0; i < sizeof(bt) / sizeof(bt[0]); i++)
		if (strcmp(name, bt[i]) == 0) {
			diag_error(s->d, e->loc, "bpftrace's builtin '%s' is not supported by nfsq (docs/LANGUAGE.md, \"Coming from bpftrace\")", name);
			return;
		}
	const char *hint = sema_field_hint(s, name);
	const struct probe_ref *p = s->clause->probes;
	bool fields = p->def && p->def->nfields;
	char where[160];
	if (fields)
		snprintf(where, sizeof(where), " in probe %s", p->name);
	else
		snprintf(where, sizeof(where), " (probe %s has no fields, only builtins)", p->name);
	if (hint && errname_lookup(hint))
		diag_error(s->d, e->loc, "unknown name '%s' (did you mean the error name '%s'?)", name, hint);
	else if (hint)
		diag_error(s->d, e->loc, "unknown field '%s'%s (did you mean '%s'?)", name, where, hint);
	else if (fields && p->kind == PROBE_BUILTIN)
		diag_error(s->d, e->loc, "unknown field '%s'%s; nfsq -lv %s lists its fields", name, where,
			   p->name);
	else if (p->kind == PROBE_TRACEPOINT)
		diag_error(s->d, e->loc, "unknown field '%s'%s; its fields are in /sys/kernel/tracing/events/%.*s/%s/format",
			   name, where, (int)(strchr(p->target, ':') - p->target), p->target,
			   strchr(p->target, ':') + 1);
	else if (fields)
		diag_error(s->d, e->loc, "unknown field '%s'%s (kprobes offer arg0..arg5, kretprobes retval)",
			   name, where);
	else
		diag_error(s->d, e->loc, "unknown field '%s'%s", name, where);
}

/* An array of n pointers with room for one more: doubled in the arena when full. */
static void *sema_grow(struct sema *s, void *v, unsigned n, unsigned *cap)
{
	if (n < *cap)
		return v;
	*cap = *cap ? *cap * 2 : 8;
	void **grown = arena_alloc(&s->c->arena, sizeof(void *) * *cap);
	if (n)
		memcpy(grown, v, sizeof(void *) * n);
	return grown;
}

/* ---- maps ---- */

/* The slot of name in s->map_tab: the map's, or the empty one where it would go. */
static struct map_info **sema_map_slot(struct sema *s, const char *name)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (const char *p = name; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	for (unsigned i = h & (s->map_tab_cap - 1);; i = (i + 1) & (s->map_tab_cap - 1))
		if (!s->map_tab[i] || strcmp(s->map_tab[i]->name, name) == 0)
			return &s->map_tab[i];
}

static struct map_info *sema_map_info(struct sema *s, struct expr *m)
{
	struct program *prog = s->c->prog;
	if (2 * (prog->nmaps + 1) > s->map_tab_cap) { /* grow: the old table stays in the arena */
		s->map_tab_cap = s->map_tab_cap ? 2 * s->map_tab_cap : 64;
		s->map_tab = arena_alloc(&s->c->arena, sizeof(*s->map_tab) * s->map_tab_cap); /* zeroed */
		for (unsigned i = 0; i < prog->nmaps; i++)
			*sema_map_slot(s, prog->maps[i]->name) = prog->maps[i];
	}
	struct map_info **slot = sema_map_slot(s, m->u.map.name);
	if (*slot)
		return *slot;
	prog->maps = sema_grow(s, prog->maps, prog->nmaps, &s->map_cap);
	struct map_info *mi = arena_alloc(&s->c->arena, sizeof(*mi));
	mi->name = m->u.map.name;
	mi->id = prog->nmaps;
	mi->def = m->loc;
	mi->value = type_int();
	prog->maps[prog->nmaps++] = mi;
	*slot = mi;
	return mi;
}

/* Types the keys of m and checks them against the map's other uses; a whole
 * map (print, clear) says nothing about keys. */
static struct map_info *sema_map(struct sema *s, struct expr *m, bool whole)
{
	for (struct expr *k = m->u.map.keys; k; k = k->next)
		sema_expr(s, k);
	struct map_info *mi = sema_map_info(s, m);
	m->u.map.info = mi;
	if (whole)
		return mi;
	bool fresh = !mi->keys_known;
	if (fresh) {
		mi->keys_known = true;
		mi->nkeys = m->u.map.nkeys;
		mi->keys = arena_alloc(&s->c->arena, sizeof(*mi->keys) * (mi->nkeys ? mi->nkeys : 1));
	}
	if (mi->nkeys != m->u.map.nkeys) {
		diag_error(s->d, m->loc, "map %s is used with %u key%s here but %u elsewhere", mi->name,
			   m->u.map.nkeys, m->u.map.nkeys == 1 ? "" : "s", mi->nkeys);
		diag_note(s->d, mi->def, "%s first used here", mi->name);
		return mi;
	}
	unsigned i = 0;
	for (struct expr *k = m->u.map.keys; k; k = k->next, i++) {
		if (k->type.kind == TYPE_NONE)
			continue;
		if (fresh || mi->keys[i].kind == TYPE_NONE) {
			mi->keys[i] = k->type;
		} else if (!type_same(mi->keys[i], k->type)) {
			diag_error(s->d, k->loc, "key %u of map %s is %s here but %s elsewhere", i + 1,
				   mi->name, sema_type_words(s, k->type), sema_type_words(s, mi->keys[i]));
			diag_note(s->d, mi->def, "%s first used here", mi->name);
		} else {
			mi->keys[i] = sema_unify(&s->c->arena, mi->keys[i], k->type);
		}
	}
	return mi;
}

/* An integer constant: a literal, possibly negated (for lhist bounds). */
static bool sema_const(const struct expr *e, int64_t *v)
{
	if (e->kind == EXPR_INT) {
		*v = e->u.num;
		return true;
	}
	if (e->kind == EXPR_UNARY && e->u.unary.op == UNOP_NEG && e->u.unary.arg->kind == EXPR_INT) {
		*v = -e->u.unary.arg->u.num;
		return true;
	}
	return false;
}

static enum agg_kind sema_agg_kind(const char *name)
{
	for (int k = AGG_COUNT; k <= AGG_LHIST; k++)
		if (strcmp(agg_name((enum agg_kind)k), name) == 0)
			return (enum agg_kind)k;
	return AGG_NONE;
}

/* @m[k] = agg(args) */
static void sema_aggregate(struct sema *s, struct stmt *st, struct map_info *mi, enum agg_kind agg)
{
	struct expr *call = st->u.assign.rhs;
	unsigned want = agg == AGG_COUNT ? 0 : agg == AGG_LHIST ? 4
								: 1;
	st->kind = STMT_MAP_AGG;
	bool first = !mi->assigned;
	if (first) { /* the first use defines the map, even when it has errors */
		mi->assigned = true;
		mi->agg = agg;
		mi->def = st->loc;
	}
	for (struct expr *a = call->u.call.args; a; a = a->next)
		sema_expr(s, a);
	if (call->u.call.nargs != want) {
		static const char *const usage[] = {
			[AGG_COUNT] = "count()",
			[AGG_SUM] = "sum(x)",
			[AGG_AVG] = "avg(x)",
			[AGG_MIN] = "min(x)",
			[AGG_MAX] = "max(x)",
			[AGG_STATS] = "stats(x)",
			[AGG_HIST] = "hist(x)",
			[AGG_LHIST] = "lhist(x, min, max, step)",
		};
		diag_error(s->d, call->loc, "%s() takes %u argument%s, not %u: %s", call->u.call.name,
			   want, want == 1 ? "" : "s", call->u.call.nargs, usage[agg]);
		return;
	}
	struct expr *x = call->u.call.args;
	if (x && x->type.kind != TYPE_NONE && !type_is_integer(x->type))
		diag_error(s->d, x->loc, "%s() needs an integer, but this is %s", call->u.call.name,
			   sema_kind_name(x->type.kind));
	int64_t lmin = 0, lmax = 0, lstep = 0;
	if (agg == AGG_LHIST) {
		struct expr *a1 = x->next, *a2 = a1->next, *a3 = a2->next;
		if (!sema_const(a1, &lmin) || !sema_const(a2, &lmax) || !sema_const(a3, &lstep)) {
			diag_error(s->d, call->loc, "lhist(x, min, max, step): min, max and step must be integer literals");
			return;
		}
		if (lstep <= 0 || lmax <= lmin) {
			diag_error(s->d, call->loc, "lhist needs min < max and step > 0 (got %lld, %lld, %lld)",
				   (long long)lmin, (long long)lmax, (long long)lstep);
			return;
		}
		if ((lmax - lmin) / lstep < 1) {
			diag_error(s->d, call->loc, "lhist step %lld is wider than the range %lld..%lld; make step smaller",
				   (long long)lstep, (long long)lmin, (long long)lmax);
			return;
		}
		if ((lmax - lmin) / lstep > LAYOUT_LHIST_MAX) {
			diag_error(s->d, call->loc, "lhist would have %lld buckets; at most %d are allowed (raise step)",
				   (long long)((lmax - lmin) / lstep), LAYOUT_LHIST_MAX);
			return;
		}
	}
	if (first) {
		mi->lhist_min = lmin;
		mi->lhist_max = lmax;
		mi->lhist_step = lstep;
		return;
	}
	if (mi->agg != agg) {
		diag_error(s->d, st->loc, "map %s is used with %s() here but %s elsewhere; one map holds one kind of value",
			   mi->name, agg_name(agg), mi->agg == AGG_NONE ? "assigned a plain value" : arena_printf(&s->c->arena, "%s()", agg_name(mi->agg)));
		diag_note(s->d, mi->def, "%s defined here", mi->name);
	} else if (agg == AGG_LHIST && (mi->lhist_min != lmin || mi->lhist_max != lmax || mi->lhist_step != lstep)) {
		diag_error(s->d, st->loc, "map %s is used with different lhist() bounds", mi->name);
		diag_note(s->d, mi->def, "%s defined here", mi->name);
	}
}

/* @m[k] = expr */
static void sema_map_set(struct sema *s, struct stmt *st, struct map_info *mi)
{
	struct expr *v = st->u.assign.rhs;
	st->kind = STMT_MAP_SET;
	sema_expr(s, v);
	if (v->type.kind == TYPE_NONE) { /* already reported; define the map to avoid follow-on errors */
		mi->assigned = true;
		return;
	}
	if (!mi->assigned) {
		mi->assigned = true;
		mi->agg = AGG_NONE;
		mi->def = st->loc;
		mi->value = v->type;
		return;
	}
	if (mi->agg != AGG_NONE) {
		diag_error(s->d, st->loc, "map %s holds %s() elsewhere; it cannot also be assigned a plain value",
			   mi->name, agg_name(mi->agg));
		diag_note(s->d, mi->def, "%s defined here", mi->name);
	} else if (!type_same(mi->value, v->type)) {
		diag_error(s->d, st->loc, "map %s holds %s elsewhere but is assigned %s here", mi->name,
			   sema_type_words(s, mi->value), sema_type_words(s, v->type));
		diag_note(s->d, mi->def, "%s defined here", mi->name);
	} else {
		mi->value = sema_unify(&s->c->arena, mi->value, v->type);
	}
}

/* @m[k] += expr: a plain integer map, added to atomically (exact under concurrency) */
static void sema_map_add(struct sema *s, struct stmt *st, struct map_info *mi)
{
	struct expr *v = st->u.assign.rhs;
	st->kind = STMT_MAP_ADD;
	sema_expr(s, v);
	if (v->type.kind != TYPE_NONE && v->type.kind != TYPE_INT && v->kind != EXPR_CALL)
		diag_error(s->d, v->loc, "%s adds integers, but this is %s", st->u.assign.op, sema_kind_name(v->type.kind));
	if (!mi->assigned) {
		mi->assigned = true;
		mi->agg = AGG_NONE;
		mi->def = st->loc;
		mi->value = type_int();
	} else if (mi->agg != AGG_NONE) {
		diag_error(s->d, st->loc, "map %s holds %s(); %s works on plain integer maps (use @m = sum(x) to sum)",
			   mi->name, agg_name(mi->agg), st->u.assign.op);
		diag_note(s->d, mi->def, "%s defined here", mi->name);
	} else if (mi->value.kind != TYPE_INT) {
		diag_error(s->d, st->loc, "map %s holds %s; %s needs an integer map", mi->name,
			   sema_kind_name(mi->value.kind), st->u.assign.op);
		diag_note(s->d, mi->def, "%s defined here", mi->name);
	}
}

/* ---- locals ---- */

static struct local_info *sema_local_find(struct sema *s, const char *name)
{
	for (unsigned i = s->nlocals; i-- > 0;) /* (the newest: a for loop's variable) */
		if (strcmp(s->locals[i]->name, name) == 0)
			return s->locals[i];
	return NULL;
}

static void sema_local_set(struct sema *s, struct stmt *st)
{
	struct expr *lhs = st->u.assign.lhs, *v = st->u.assign.rhs;
	st->kind = STMT_LOCAL_SET;
	sema_expr(s, v);
	struct local_info *li = sema_local_find(s, lhs->u.local.name);
	if (!li) {
		if (s->nlocals == MAX_LOCALS) {
			diag_error(s->d, lhs->loc, "too many local variables in one clause (at most %d)", MAX_LOCALS);
			return;
		}
		li = arena_alloc(&s->c->arena, sizeof(*li));
		li->name = lhs->u.local.name;
		li->type = v->type;
		li->id = s->nlocals;
		s->locals[s->nlocals++] = li;
	} else if (v->type.kind != TYPE_NONE && !type_same(li->type, v->type)) {
		diag_error(s->d, st->loc, "%s holds %s but is assigned %s here", li->name,
			   sema_type_words(s, li->type), sema_type_words(s, v->type));
	} else if (v->type.kind != TYPE_NONE) {
		li->type = sema_unify(&s->c->arena, li->type, v->type);
	}
	lhs->u.local.info = li;
	lhs->type = li->type;
}

/* ---- expressions ---- */

/* $N as its value: an integer if it reads as one (unless its default is a string), else a
 * string; as_str (str($N), bpftrace's): its text whatever it reads as */
static void sema_arg(struct sema *s, struct expr *e, bool as_str)
{
	int idx = (int)e->u.num;
	const struct expr *def;
	if (idx == 0) { /* $#: how many were given (any number may be: bpftrace's meaning) */
		s->counts_args = true;
		e->kind = EXPR_INT;
		e->u.num = s->c->argc;
		e->type = type_int();
		return;
	}
	if (idx > s->max_arg)
		s->max_arg = idx;
	def = s->c->prog->arg_default[idx];
	if (idx > s->c->argc) { /* not given: its default, else 0 as in bpftrace ("" in str()) */
		if (as_str && !(def && def->kind == EXPR_STR)) { /* "", or an integer default as written */
			uint32_t len = def ? def->loc.end - def->loc.begin : 0;
			e->kind = EXPR_STR;
			e->u.str.text = def ? arena_strndup(&s->c->arena, s->c->src.text + def->loc.begin, len) : "";
			e->u.str.len = len;
			e->type = type_str(len + 1);
		} else if (def && def->kind == EXPR_STR) {
			e->kind = EXPR_STR;
			e->u.str = def->u.str;
			e->type = type_str(def->u.str.len + 1);
		} else {
			e->kind = EXPR_INT;
			e->u.num = def ? def->u.num : 0;
			e->type = type_int();
		}
		return;
	}
	const char *v = s->c->argv[idx - 1];
	int64_t n;
	if (!as_str && !(def && def->kind == EXPR_STR) && int_parse(v, &n)) {
		e->kind = EXPR_INT;
		e->u.num = n;
		e->type = type_int();
	} else if (!as_str && def && def->kind == EXPR_INT) { /* (reported once, in compile_check) */
		e->kind = EXPR_INT;
		e->u.num = 0;
		e->type = type_int();
	} else {
		size_t len = strlen(v);
		if (len + 1 > NFSQ_STR_MAX) {
			diag_error(s->d, e->loc, "argument $%d is %zu bytes; strings hold at most %d", idx, len,
				   NFSQ_STR_MAX - 1);
			len = NFSQ_STR_MAX - 1;
		}
		e->kind = EXPR_STR;
		e->u.str.text = arena_strndup(&s->c->arena, v, len);
		e->u.str.len = (uint32_t)len;
		e->type = type_str((uint32_t)len + 1);
	}
}

/* Tuples, kstack, ustack and ksym() are no numbers: nothing computes with them (the last
 * three are printed as what they name). true (and an error naming `what`) when e is one. */
static bool sema_not_number(struct sema *s, const struct expr *e, const char *what)
{
	if (e->type.kind == TYPE_TUPLE) {
		diag_error(s->d, e->loc, "'%s' does not apply to a tuple; use its elements ($t.0, $t.1, ...)", what);
		return true;
	}
	if (!type_is_symbolic(e->type))
		return false;
	diag_error(s->d, e->loc, "%s is printed as what it names and '%s' does not apply to it; use it as a map key or value, or a printf %%s argument",
		   sema_kind_name(e->type.kind), what);
	return true;
}

static void sema_binary(struct sema *s, struct expr *e)
{
	struct expr *l = e->u.binary.lhs, *r = e->u.binary.rhs;
	enum binop op = e->u.binary.op;
	sema_expr(s, l);
	sema_expr(s, r);
	e->type = type_int();
	if (l->type.kind == TYPE_NONE || r->type.kind == TYPE_NONE)
		return;
	if (sema_not_number(s, l, binop_str(op)) || sema_not_number(s, r, binop_str(op)))
		return;
	bool lstr = l->type.kind == TYPE_STR, rstr = r->type.kind == TYPE_STR;
	if (op == BINOP_EQ || op == BINOP_NE) {
		if (lstr != rstr)
			diag_error(s->d, e->loc, "cannot compare %s with %s", sema_kind_name(l->type.kind),
				   sema_kind_name(r->type.kind));
		else if (!lstr && l->type.kind != r->type.kind && l->type.kind != TYPE_INT &&
			 r->type.kind != TYPE_INT)
			diag_error(s->d, e->loc, "cannot compare %s with %s", sema_kind_name(l->type.kind),
				   sema_kind_name(r->type.kind));
		return;
	}
	if (lstr || rstr) {
		const struct expr *bad = lstr ? l : r;
		diag_error(s->d, bad->loc, "operator '%s' needs integers, but this is a string%s",
			   binop_str(op), op >= BINOP_LT && op <= BINOP_GE ? " (strings compare only with == and !=)" : "");
	}
}

/* str(x [, n]) (bpftrace's): the string x points to, read from user memory under a
 * syscalls tracepoint and from kernel memory elsewhere, at most n characters (default
 * 63, and 255 at most) and a NUL; of a string, that string (cut to n) */
static void sema_str(struct sema *s, struct expr *e)
{
	struct expr *a = e->u.call.args, *n = a ? a->next : NULL;
	uint32_t size = 64;

	if (!a || (n && n->next)) {
		diag_error(s->d, e->loc, "str() takes a value and an optional length: str(args->filename), str(ptr, 32)");
		return;
	}
	if (n && (n->kind != EXPR_INT || n->u.num < 1 || n->u.num > NFSQ_STR_MAX - 1)) {
		diag_error(s->d, n->loc, "the length of str() must be an integer literal from 1 to %d", NFSQ_STR_MAX - 1);
		return;
	}
	if (n)
		size = (uint32_t)n->u.num + 1;
	else if (a->type.kind == TYPE_STR)
		size = a->type.size;
	if (a->type.kind == TYPE_STR && a->type.size < size)
		size = a->type.size;
	e->type = type_str(size);
}

/* kstack(MODE, N), ustack(MODE, N) (bpftrace's): MODE perf or bpftrace (the default), N
 * at most N frames; either may be left out. Becomes the builtin with its parameters. */
static void sema_stack(struct sema *s, struct expr *e)
{
	const char *name = e->u.call.name;
	struct expr *a = e->u.call.args;
	bool perf = false, user = name[0] == 'u';
	unsigned frames = LAYOUT_STACK_MAX;

	if (a && a->kind == EXPR_IDENT) {
		if (strcmp(a->u.ident.name, "perf") && strcmp(a->u.ident.name, "bpftrace"))
			diag_error(s->d, a->loc, "unknown stack mode '%s' (known: perf, bpftrace)", a->u.ident.name);
		perf = strcmp(a->u.ident.name, "perf") == 0;
		a = a->next;
	}
	if (a && (a->kind != EXPR_INT || a->u.num < 1 || a->u.num > LAYOUT_STACK_MAX)) {
		diag_error(s->d, a->loc, "%s(N): N must be an integer literal from 1 to %d", name, LAYOUT_STACK_MAX);
		return;
	}
	if (a)
		frames = (unsigned)a->u.num;
	if (a && a->next) {
		diag_error(s->d, e->loc, "usage: %s, %s(N), %s(perf) or %s(perf, N)", name, name, name, name);
		return;
	}
	if (s->in_for)
		diag_error(s->d, e->loc, "%s cannot be read in a for loop's body (it runs apart from the probe); copy it to a $local before the loop", name);
	e->kind = EXPR_IDENT;
	e->u.ident.name = user ? "ustack" : "kstack";
	e->u.ident.builtin = user ? BUILTIN_USTACK : BUILTIN_KSTACK;
	e->u.ident.frames = frames;
	e->u.ident.perf = perf;
	e->type = (struct type){user ? TYPE_USTACK : TYPE_KSTACK, 8, 0};
}

/* kaddr("name") (bpftrace's): the kernel symbol's address, from /proc/kallsyms now */
static void sema_kaddr(struct sema *s, struct expr *e)
{
	struct expr *a = e->u.call.args;
	uint64_t addr = 0;

	e->type = type_int();
	if (!a || a->next || a->kind != EXPR_STR)
		diag_error(s->d, e->loc, "usage: kaddr(\"SYMBOL\"), a kernel symbol's name as a string literal");
	else if (!ksyms_available())
		diag_error(s->d, e->loc, "kaddr(): cannot read the kernel's symbols: /proc/kallsyms shows no addresses (run as root)");
	else if (!ksyms_addr(a->u.str.text, &addr))
		diag_error(s->d, a->loc, "kaddr(): no kernel symbol '%s' in /proc/kallsyms", a->u.str.text);
	else {
		e->kind = EXPR_INT;
		e->u.num = (int64_t)addr;
		s->c->prog->uses_kaddr = true;
	}
}

static void sema_call_expr(struct sema *s, struct expr *e)
{
	const char *name = e->u.call.name;
	struct expr *first = e->u.call.args;
	if (strcmp(name, "kstack") == 0 || strcmp(name, "ustack") == 0) {
		sema_stack(s, e);
		return;
	}
	if (strcmp(name, "kaddr") == 0) {
		sema_kaddr(s, e);
		return;
	}
	if (strcmp(name, "str") == 0 && first && first->kind == EXPR_ARG && first->u.num > 0)
		sema_arg(s, first, true);
	for (struct expr *a = e->u.call.args; a; a = a->next)
		sema_expr(s, a);
	if (strcmp(name, "str") == 0) {
		sema_str(s, e);
		return;
	}
	if (strcmp(name, "ksym") == 0) {
		/* ksym(addr) (bpftrace's): the kernel symbol holding addr, looked up when printed */
		e->type = (struct type){TYPE_KSYM, 8, 0};
		if (!first || first->next)
			diag_error(s->d, e->loc, "usage: ksym(ADDRESS)");
		else if (first->type.kind != TYPE_NONE && first->type.kind != TYPE_INT)
			diag_error(s->d, first->loc, "ksym() needs an address, but this is %s", sema_kind_name(first->type.kind));
		return;
	}
	if (strcmp(name, "strftime") == 0) {
		/* strftime(fmt, ns) (bpftrace's): ns since boot (nsecs) as the wall-clock time, formatted
		 * in user space, so a printf argument only (sema_printf) */
		struct expr *f = e->u.call.args, *ns = f ? f->next : NULL;
		e->type = type_int();
		if (!f || !ns || ns->next || f->kind != EXPR_STR || ns->type.kind == TYPE_STR)
			diag_error(s->d, e->loc, "usage: strftime(\"FORMAT\", nsecs), FORMAT strftime(3)'s (and %%f: microseconds)");
		else if (s->printf_arg != e)
			diag_error(s->d, e->loc, "strftime() is formatted when printed: use it as a printf argument, printf(\"%%s\\n\", strftime(\"%%H:%%M:%%S\", nsecs))");
		return;
	}
	if (sema_agg_kind(name) != AGG_NONE) {
		diag_error(s->d, e->loc, "%s() is an aggregation; assign it to a map: @name[keys] = %s(...)",
			   name, name);
		return;
	}
	static const char *const stmts[] = {"printf", "print", "clear", "zero", "delete", "exit", "time"};
	for (unsigned i = 0; i < 7; i++)
		if (strcmp(name, stmts[i]) == 0) {
			diag_error(s->d, e->loc, "%s() is a statement and has no value", name);
			return;
		}
	static const char *const known[] = {"count", "sum", "avg", "min", "max", "stats", "hist",
					    "lhist", "printf", "print", "clear", "zero", "delete", "exit", "str",
					    "strftime", "time", "kstack", "ustack", "ksym", "kaddr"};
	static const char *const act[] = {"system", "cat", "signal", "override"};
	static const char *const other[] = {"join", "buf", "usym", "uaddr", "reg", "cgroupid", "ntop", "pton",
					    "strncmp", "strcontains", "sizeof", "offsetof", "path", "macaddr",
					    "skboutput", "kptr", "uptr", "has_key", "len", "percpu_kaddr",
					    "unwatch", "debugf", "bswap", "nsecs", "errorf", "socket_cookie"};
	for (unsigned i = 0; i < sizeof(act) / sizeof(act[0]); i++)
		if (strcmp(name, act[i]) == 0) {
			diag_error(s->d, e->u.call.name_loc, "bpftrace's %s() is not in nfsq: nfsq only observes (docs/LANGUAGE.md, Safety)", name);
			return;
		}
	for (unsigned i = 0; i < sizeof(other) / sizeof(other[0]); i++)
		if (strcmp(name, other[i]) == 0) {
			diag_error(s->d, e->u.call.name_loc, "bpftrace's %s() is not supported by nfsq (docs/LANGUAGE.md, \"Coming from bpftrace\")", name);
			return;
		}
	const char *hint = diag_suggest(name, known, sizeof(known) / sizeof(known[0]));
	if (hint)
		diag_error(s->d, e->u.call.name_loc, "unknown function '%s' (did you mean '%s'?)", name, hint);
	else
		diag_error(s->d, e->u.call.name_loc, "unknown function '%s'", name);
}

/* (a, b, ...), bpftrace's: a value (a local's, a map's value or key) of its elements' types */
#define SEMA_TUPLE_MAX 512 /* bytes */
static void sema_tuple(struct sema *s, struct expr *e)
{
	struct type *el = arena_alloc(&s->c->arena, e->u.tuple.n * sizeof(*el));
	unsigned i = 0;
	bool ok = true;

	for (struct expr *a = e->u.tuple.elems; a; a = a->next, i++) {
		sema_expr(s, a);
		el[i] = a->type;
		ok &= a->type.kind != TYPE_NONE;
	}
	if (!ok)
		return;
	e->type = sema_tuple_of(&s->c->arena, el, e->u.tuple.n);
	if (e->type.size > SEMA_TUPLE_MAX) {
		diag_error(s->d, e->loc, "a tuple of %u bytes; tuples hold at most %d (use shorter strings: str(x, 32))",
			   e->type.size, SEMA_TUPLE_MAX);
		e->type = type_int();
	}
}

static void sema_expr(struct sema *s, struct expr *e)
{
	switch (e->kind) {
	case EXPR_INT:
		e->type = type_int();
		break;
	case EXPR_STR:
		if (e->u.str.len + 1 > NFSQ_STR_MAX)
			diag_error(s->d, e->loc, "string of %u bytes; strings hold at most %d", e->u.str.len,
				   NFSQ_STR_MAX - 1);
		e->type = type_str(e->u.str.len + 1 > NFSQ_STR_MAX ? NFSQ_STR_MAX : e->u.str.len + 1);
		break;
	case EXPR_ERRNO:
		break;
	case EXPR_ARG:
		sema_arg(s, e, false);
		break;
	case EXPR_IDENT:
		sema_ident(s, e);
		break;
	case EXPR_LOCAL: {
		struct local_info *li = sema_local_find(s, e->u.local.name);
		if (!li) {
			diag_error(s->d, e->loc, "%s is used before it is assigned (locals live in one clause: $x = ...; first)",
				   e->u.local.name);
			break;
		}
		e->u.local.info = li;
		e->type = li->type;
		break;
	}
	case EXPR_MAP: {
		struct map_info *mi = sema_map(s, e, false);
		if (mi->assigned && mi->agg != AGG_NONE) {
			diag_error(s->d, e->loc, "%s holds %s(), which is summed across CPUs only when printed; it cannot be read in a probe",
				   mi->name, agg_name(mi->agg));
			break;
		}
		if (!mi->assigned && !mi->read_early) {
			mi->read_early = true;
			mi->read_loc = e->loc;
		}
		e->type = mi->assigned ? mi->value : type_int();
		break;
	}
	case EXPR_UNARY:
		sema_expr(s, e->u.unary.arg);
		e->type = type_int();
		if (sema_not_number(s, e->u.unary.arg, e->u.unary.op == UNOP_NEG ? "-" : e->u.unary.op == UNOP_NOT ? "!" : "~"))
			break;
		if (e->u.unary.arg->type.kind == TYPE_STR)
			diag_error(s->d, e->loc, "operator '%s' needs an integer, but this is a string",
				   e->u.unary.op == UNOP_NEG ? "-" : e->u.unary.op == UNOP_NOT ? "!"
											       : "~");
		break;
	case EXPR_BINARY:
		sema_binary(s, e);
		break;
	case EXPR_TERNARY: {
		struct expr *cond = e->u.ternary.cond, *a = e->u.ternary.then, *b = e->u.ternary.els;
		sema_expr(s, cond);
		sema_expr(s, a);
		sema_expr(s, b);
		if (cond->type.kind == TYPE_STR)
			diag_error(s->d, cond->loc, "a condition must be an integer, but this is a string");
		sema_not_number(s, cond, "?:");
		if (a->type.kind == TYPE_NONE || b->type.kind == TYPE_NONE)
			break;
		if (a->type.kind == TYPE_TUPLE || b->type.kind == TYPE_TUPLE) {
			diag_error(s->d, e->loc, "the branches of ?: cannot be tuples; use if/else");
			break;
		}
		if ((a->type.kind == TYPE_STR) != (b->type.kind == TYPE_STR) ||
		    ((type_is_symbolic(a->type) || type_is_symbolic(b->type)) && a->type.kind != b->type.kind)) {
			diag_error(s->d, e->loc, "the branches of ?: must have the same type (%s and %s)",
				   sema_kind_name(a->type.kind), sema_kind_name(b->type.kind));
			break;
		}
		e->type = a->type.kind == TYPE_STR     ? sema_unify_str(a->type, b->type)
			: a->type.kind == b->type.kind ? a->type
						       : type_int();
		break;
	}
	case EXPR_CALL:
		sema_call_expr(s, e);
		break;
	case EXPR_TUPLE:
		sema_tuple(s, e);
		break;
	case EXPR_ELEM: {
		struct expr *t = e->u.elem.tuple;
		sema_expr(s, t);
		if (t->type.kind == TYPE_NONE)
			break;
		if (t->type.kind != TYPE_TUPLE)
			diag_error(s->d, e->loc, "'.%u' takes an element of a tuple, but this is %s", e->u.elem.index,
				   sema_kind_name(t->type.kind));
		else if (e->u.elem.index >= t->type.tuple->n)
			diag_error(s->d, e->loc, "the tuple has %u elements (.0 to .%u); there is no .%u",
				   t->type.tuple->n, t->type.tuple->n - 1, e->u.elem.index);
		else
			e->type = t->type.tuple->elems[e->u.elem.index];
		break;
	}
	}
}

/* ---- printf ---- */

/* Where the first NUL byte of the string literal at l is written: "\0", "\x0", "\x00" or
 * the byte itself; the whole literal if not found. */
static struct loc sema_nul_loc(const struct sema *s, struct loc l)
{
	const char *t = s->c->src.text;
	for (uint32_t i = l.begin + 1; i + 1 < l.end && l.end <= s->c->src.len; i++) {
		if (!t[i])
			return (struct loc){i, i + 1};
		if (t[i] != '\\')
			continue;
		if (t[i + 1] == '0')
			return (struct loc){i, i + 2};
		uint32_t k = i + 2;
		while (t[i + 1] == 'x' && k < i + 4 && k + 1 < l.end && t[k] == '0')
			k++;
		if (k > i + 2 && (k == i + 4 || k + 1 >= l.end || !strchr("0123456789abcdefABCDEF", t[k]) || !t[k]))
			return (struct loc){i, k};
		i++; /* the escaped character */
	}
	return l;
}

/* Splits fmt into conversions and checks them against the arguments (checked already
 * when args_done). */
static void sema_printf(struct sema *s, struct stmt *st, bool args_done)
{
	struct expr *call = st->u.call.call;
	struct expr *fmt = call->u.call.args;
	st->kind = STMT_PRINTF;
	for (struct expr *a = fmt; a && !args_done; a = a->next)
		if (a != fmt || a->kind != EXPR_STR) {
			s->printf_arg = a;
			sema_expr(s, a);
			s->printf_arg = NULL;
		}
	if (!fmt || fmt->kind != EXPR_STR) {
		diag_error(s->d, fmt ? fmt->loc : call->loc, "printf needs a format string literal first: printf(\"%%d\\n\", x)");
		return;
	}
	if (memchr(fmt->u.str.text, '\0', fmt->u.str.len)) { /* the format would end there */
		diag_error(s->d, sema_nul_loc(s, fmt->loc),
			   "printf: a NUL byte in the format would cut it short; remove it");
		return;
	}
	unsigned nargs = call->u.call.nargs - 1;
	if (st->u.call.time) { /* time(fmt): the whole format is strftime's */
		struct printf_info *pi = arena_alloc(&s->c->arena, sizeof(*pi));
		struct program *prog = s->c->prog;

		pi->fmt = fmt->u.str.text;
		pi->time = true;
		pi->size = 8;
		prog->printfs = sema_grow(s, prog->printfs, prog->nprintfs, &s->printf_cap);
		pi->id = prog->nprintfs;
		prog->printfs[prog->nprintfs++] = pi;
		st->u.call.printf = pi;
		return;
	}
	if (nargs > MAX_PRINTF_ARGS) {
		diag_error(s->d, call->loc, "printf takes at most %d arguments after the format", MAX_PRINTF_ARGS);
		return;
	}
	struct printf_info *pi = arena_alloc(&s->c->arena, sizeof(*pi));
	pi->fmt = fmt->u.str.text;
	pi->args = arena_alloc(&s->c->arena, sizeof(*pi->args) * (nargs ? nargs : 1));
	struct expr *arg = fmt->next;
	uint32_t off = 8;
	unsigned n = 0;
	const char *f = fmt->u.str.text;
	for (uint32_t i = 0; i < fmt->u.str.len; i++) {
		if (f[i] != '%')
			continue;
		uint32_t start = i++;
		if (i < fmt->u.str.len && f[i] == '%')
			continue;
		while (i < fmt->u.str.len && strchr("-+ #0", f[i]))
			i++;
		while (i < fmt->u.str.len && ((f[i] >= '0' && f[i] <= '9') || f[i] == '.'))
			i++;
		uint32_t mod = i;
		while (i < fmt->u.str.len && strchr("hlLqjzt", f[i]))
			i++;
		char conv = i < fmt->u.str.len ? f[i] : '\0';
		if (!conv || !strchr("diuxXscefFgG", conv)) {
			diag_error(s->d, fmt->loc, "printf: unknown conversion '%.*s' (known: %%d %%i %%u %%x %%X %%s %%c %%e %%f %%g, and %%%%)",
				   (int)(i - start + (conv > ' ' && conv < 127 ? 1 : 0)), f + start);
			return;
		}
		/* C's length modifiers, as bpftrace takes them: hh and h cut an integer to 8 and
		 * 16 bits, l ll j z t keep its 64 */
		static const char *const mods[] = {"hh", "h", "l", "ll", "j", "z", "t"};
		bool known = i == mod;
		for (unsigned k = 0; !known && k < sizeof(mods) / sizeof(mods[0]); k++)
			known = strlen(mods[k]) == i - mod && !memcmp(mods[k], f + mod, i - mod);
		if (!known || (i > mod && !strchr("diuxX", conv))) {
			diag_error(s->d, fmt->loc, "printf: '%.*s': %s", (int)(i - start + 1), f + start,
				   known ? "a length modifier applies to %d %i %u %x %X only"
					 : "unknown length modifier (known: hh h l ll j z t)");
			return;
		}
		if (!arg) {
			diag_error(s->d, fmt->loc, "printf: the format has more conversions than the %u argument%s given",
				   nargs, nargs == 1 ? "" : "s");
			return;
		}
		bool strf = arg->kind == EXPR_CALL && strcmp(arg->u.call.name, "strftime") == 0;
		if (strf && conv != 's')
			diag_error(s->d, arg->loc, "printf: strftime() is printed with %%s");
		if (arg->type.kind != TYPE_NONE && !strf) {
			bool isstr = arg->type.kind == TYPE_STR;
			bool iserr = arg->type.kind == TYPE_ERRNO || arg->type.kind == TYPE_NFSSTAT;
			bool sym = type_is_symbolic(arg->type) || arg->type.kind == TYPE_TUPLE;
			if (conv == 's' && !isstr && !iserr && !sym)
				diag_error(s->d, arg->loc, "printf: %%s needs a string (or an error, printed by name), but this is %s",
					   sema_kind_name(arg->type.kind));
			else if (conv != 's' && sym)
				diag_error(s->d, arg->loc, "printf: %s is printed with %%s", sema_kind_name(arg->type.kind));
			else if (strchr("fFgG", conv) && !type_is_integer(arg->type))
				diag_error(s->d, arg->loc, "printf: %%%c needs a number, but this is %s", conv,
					   sema_kind_name(arg->type.kind));
			else if (conv == 'e' && !iserr && arg->type.kind != TYPE_INT)
				diag_error(s->d, arg->loc, "printf: %%e prints an error name and needs an integer");
			else if (conv != 's' && isstr)
				diag_error(s->d, arg->loc, "printf: %%%c needs an integer, but this is a string", conv);
		}
		struct printf_arg *pa = &pi->args[n++];
		if (strf && arg->u.call.args && arg->u.call.args->kind == EXPR_STR)
			pa->strftime = arg->u.call.args->u.str.text;
		pa->type = arg->type;
		pa->conv = conv;
		pa->spec = arena_strndup(&s->c->arena, f + start, i - start + 1);
		pa->offset = off;
		/* %f of a / b: both sent, divided when printed (docs/LANGUAGE.md, printf) */
		pa->ratio = strchr("fFgG", conv) && arg->kind == EXPR_BINARY && arg->u.binary.op == BINOP_DIV;
		off += pa->ratio ? 16 : layout_type_size(arg->type);
		arg = arg->next;
	}
	if (arg) {
		diag_error(s->d, arg->loc, "printf: more arguments than conversions in the format");
		return;
	}
	pi->nargs = n;
	pi->size = off;
	struct program *prog = s->c->prog;
	prog->printfs = sema_grow(s, prog->printfs, prog->nprintfs, &s->printf_cap);
	pi->id = prog->nprintfs;
	prog->printfs[prog->nprintfs++] = pi;
	st->u.call.printf = pi;
}

/* ---- statements ---- */

/* print(@m[, top]) | clear(@m) | delete(@m[k]) | exit() */
static void sema_call_stmt(struct sema *s, struct stmt *st)
{
	struct expr *call = st->u.call.call;
	const char *name = call->u.call.name;
	struct expr *a0 = call->u.call.args;
	unsigned n = call->u.call.nargs;
	if (strcmp(name, "printf") == 0) {
		sema_printf(s, st, false);
		return;
	}
	if (strcmp(name, "time") == 0) { /* time([fmt]): bpftrace's, "%H:%M:%S\n" by default */
		if (n > 1 || (n && a0->kind != EXPR_STR)) {
			diag_error(s->d, call->loc, "usage: time() or time(\"FORMAT\"), FORMAT strftime(3)'s (and %%f: microseconds)");
			return;
		}
		if (!n) {
			a0 = call->u.call.args = ast_expr(s->c, EXPR_STR, call->loc);
			a0->u.str.text = "%H:%M:%S\n";
			a0->u.str.len = 9;
			call->u.call.nargs = 1;
		}
		a0->type = type_str(a0->u.str.len + 1);
		st->u.call.time = true;
		sema_printf(s, st, true);
		return;
	}
	if (strcmp(name, "print") == 0 && n == 1 && a0->kind != EXPR_MAP) {
		/* print(value), bpftrace's: the value and a newline, i.e. printf("%d\n", value) (an
		 * error by name, a string as it is: "%s\n") */
		struct expr *fmt = ast_expr(s->c, EXPR_STR, call->loc);
		sema_expr(s, a0);
		fmt->u.str.text = a0->type.kind == TYPE_INT || a0->type.kind == TYPE_NONE ? "%d\n" : "%s\n";
		fmt->u.str.len = 3;
		fmt->type = type_str(4);
		fmt->next = a0;
		call->u.call.args = fmt;
		call->u.call.nargs = 2;
		sema_printf(s, st, true);
		return;
	}
	if (strcmp(name, "exit") == 0) { /* exit() or exit(code): nfsq's exit status */
		st->kind = STMT_EXIT;
		s->c->prog->has_exit = true;
		if (n)
			sema_expr(s, a0);
		if (n > 1 || (n && a0->type.kind == TYPE_STR))
			diag_error(s->d, call->loc, "exit() takes no argument or an integer, the exit status: exit(), exit(1)");
		return;
	}
	bool print = strcmp(name, "print") == 0, clear = strcmp(name, "clear") == 0;
	bool del = strcmp(name, "delete") == 0, zero = strcmp(name, "zero") == 0;
	if (!print && !clear && !del && !zero) {
		if (sema_agg_kind(name) != AGG_NONE)
			diag_error(s->d, call->loc, "%s() is an aggregation; assign it to a map: @name[keys] = %s(...)",
				   name, name);
		else
			sema_call_expr(s, call);
		return;
	}
	st->kind = print ? STMT_PRINT : clear ? STMT_CLEAR : zero ? STMT_ZERO : STMT_DELETE;
	unsigned maxargs = print ? 2 : 1;
	if (n < 1 || n > maxargs || a0->kind != EXPR_MAP || (del && !a0->u.map.nkeys)) {
		diag_error(s->d, call->loc, "usage: %s", print ? "print(@map), print(@map, top_n) or print(value)"
							 : clear ? "clear(@map)" : zero ? "zero(@map)"
								 : "delete(@map[key]) (clear(@map) empties a whole map)");
		return;
	}
	sema_map(s, a0, !del);
	a0->type = type_int();
	if (!del && a0->u.map.nkeys)
		diag_error(s->d, a0->loc, "%s() takes the whole map: %s(%s)", name, name, a0->u.map.name);
	if (print && n == 2) {
		int64_t top;
		if (!sema_const(a0->next, &top) || top <= 0)
			diag_error(s->d, a0->next->loc, "print(@map, N): N must be a positive integer literal");
		a0->next->type = type_int();
	}
}

static void sema_stmts(struct sema *s, struct stmt *st)
{
	for (; st; st = st->next) {
		switch (st->kind) {
		case STMT_ASSIGN: {
			struct expr *lhs = st->u.assign.lhs, *rhs = st->u.assign.rhs;
			if (lhs->kind == EXPR_LOCAL && st->u.assign.add) { /* $x += e is $x = $x + e */
				struct expr *cur = ast_expr(s->c, EXPR_LOCAL, lhs->loc);
				cur->u.local.name = lhs->u.local.name;
				st->u.assign.rhs = ast_binary(s->c, st->loc, BINOP_ADD, cur, rhs);
			}
			if (lhs->kind == EXPR_LOCAL) {
				sema_local_set(s, st);
				break;
			}
			if (st->u.assign.add) {
				sema_map_add(s, st, sema_map(s, lhs, false));
				lhs->type = type_int();
				break;
			}
			struct map_info *mi = sema_map(s, lhs, false);
			enum agg_kind agg = rhs->kind == EXPR_CALL ? sema_agg_kind(rhs->u.call.name) : AGG_NONE;
			if (agg != AGG_NONE)
				sema_aggregate(s, st, mi, agg);
			else
				sema_map_set(s, st, mi);
			lhs->type = mi->agg == AGG_NONE ? mi->value : type_int();
			break;
		}
		case STMT_CALL:
			sema_call_stmt(s, st);
			break;
		case STMT_UNROLL: {
			int64_t n;
			if (!sema_const(st->u.ifs.cond, &n) || n < 1 || n > 100)
				diag_error(s->d, st->u.ifs.cond->loc, "unroll(N): N must be an integer literal from 1 to 100");
			else
				st->u.ifs.cond->kind = EXPR_INT, st->u.ifs.cond->u.num = n; /* (codegen's count) */
			st->u.ifs.cond->type = type_int();
			sema_stmts(s, st->u.ifs.then);
			break;
		}
		case STMT_BREAK:
		case STMT_CONTINUE:
			if (!s->loops)
				diag_error(s->d, st->loc, "%s is used in a while or for loop only", st->kind == STMT_BREAK ? "break" : "continue");
			break;
		case STMT_FOR:
			sema_for(s, st);
			break;
		case STMT_WHILE: /* (its body: break and continue allowed; no else) */
		case STMT_IF: {
			bool loop = st->kind == STMT_WHILE;
			sema_expr(s, st->u.ifs.cond);
			if (st->u.ifs.cond->type.kind == TYPE_STR)
				diag_error(s->d, st->u.ifs.cond->loc, "a condition must be an integer, but this is a string (compare it: x == \"...\")");
			sema_not_number(s, st->u.ifs.cond, loop ? "while" : "if");
			s->loops += loop;
			sema_stmts(s, st->u.ifs.then);
			s->loops -= loop;
			sema_stmts(s, st->u.ifs.els);
			break;
		}
		case STMT_MAP_AGG: /* the kinds sema rewrites to: already checked */
		case STMT_MAP_SET:
		case STMT_MAP_ADD:
		case STMT_LOCAL_SET:
		case STMT_PRINTF:
		case STMT_PRINT:
		case STMT_CLEAR:
		case STMT_ZERO:
		case STMT_DELETE:
		case STMT_EXIT:
			break;
		}
	}
}

/* A probe with wildcards (kprobe:nfs_*, tracepoint:sched:sched*) becomes one probe per
 * match, in name order, as bpftrace's */
#define SEMA_GLOB_MAX 1000
static void sema_expand(struct sema *s, struct clause *cl)
{
	for (struct probe_ref *p = cl->probes; p; p = p->next) {
		bool fn = p->kind == PROBE_KPROBE || p->kind == PROBE_KRETPROBE;
		const char *kind = p->kind == PROBE_TRACEPOINT ? "tracepoint" : fn ? (p->kind == PROBE_KPROBE ? "kprobe" : "kretprobe") : NULL;
		const char **names;
		struct probe_ref *next = p->next;
		size_t n;

		if (!p->target || !strchr(p->target, '*'))
			continue;
		if (!kind) {
			diag_error(s->d, p->loc, "wildcards name a set of tracepoints or kernel functions: tracepoint:, kprobe: and kretprobe: take them, %s does not", p->name);
			p->failed = true;
			continue;
		}
		names = arena_alloc(&s->c->arena, SEMA_GLOB_MAX * sizeof(*names));
		n = probe_glob(&s->c->arena, fn, p->target, names, SEMA_GLOB_MAX);
		if (n == 0 || n > SEMA_GLOB_MAX) {
			if (n == SIZE_MAX)
				diag_error(s->d, p->loc, "%s: the kernel's list of %s cannot be read (tracefs: %s)", p->name,
					   fn ? "traceable functions" : "tracepoints", fn ? "available_filter_functions" : "events/");
			else if (n)
				diag_error(s->d, p->loc, "%s matches %zu %s; at most %d can be attached: narrow the pattern",
					   p->name, n, fn ? "kernel functions" : "tracepoints", SEMA_GLOB_MAX);
			else
				diag_error(s->d, p->loc, "%s matches no %s on this kernel", p->name,
					   fn ? "traceable kernel function" : "tracepoint");
			p->failed = true;
			continue;
		}
		for (size_t i = 0; i < n; i++) {
			struct probe_ref *q = p;

			if (i) {
				q = arena_alloc(&s->c->arena, sizeof(*q));
				*q = *p;
				p->next = q;
			}
			q->target = names[i];
			q->name = arena_printf(&s->c->arena, "%s:%s", kind, names[i]);
			p = q;
		}
		p->next = next;
	}
}

/* for ($kv : @m) { body } (bpftrace's): the body once per entry of @m, a keyed map of plain
 * values or of count() or sum() (summed over the CPUs), $kv the tuple (key, value); the key a
 * tuple of the keys when there are several. The body runs as the callback of
 * bpf_for_each_map_elem (Linux 5.13), where the probe's own context is gone: it reads no
 * probe fields and no stacks (copy a field to a $local before the loop). */
static void sema_for(struct sema *s, struct stmt *st)
{
	struct expr *me = st->u.ifs.cond, *var = st->u.ifs.var;
	struct map_info *mi = sema_map(s, me, true);
	struct type kv[2];

	if (s->in_for) {
		diag_error(s->d, st->loc, "a for loop cannot be inside another (its body runs as a callback of the kernel's)");
		return;
	}
	if (!mi->assigned || !mi->keys_known) {
		diag_error(s->d, me->loc, "%s is looped over before it is assigned (assign it in an earlier clause, or above)", mi->name);
		return;
	}
	if (!mi->nkeys || (mi->agg != AGG_NONE && mi->agg != AGG_COUNT && mi->agg != AGG_SUM)) {
		diag_error(s->d, me->loc, "for loops over a map with keys whose values are plain, count() or sum(); %s holds %s%s",
			   mi->name, mi->agg == AGG_NONE ? "one value" : arena_printf(&s->c->arena, "%s()", agg_name(mi->agg)),
			   mi->nkeys ? "" : " without keys");
		return;
	}
	kv[0] = mi->nkeys == 1 ? mi->keys[0] : sema_tuple_of(&s->c->arena, mi->keys, mi->nkeys);
	kv[1] = mi->agg == AGG_NONE ? mi->value : type_int();
	var->type = sema_tuple_of(&s->c->arena, kv, 2);
	/* the loop's own local, known in its body only (it hides one of the same name) */
	if (s->nlocals == MAX_LOCALS) {
		diag_error(s->d, var->loc, "too many local variables in one clause (at most %d)", MAX_LOCALS);
		return;
	}
	struct local_info *li = arena_alloc(&s->c->arena, sizeof(*li));
	li->name = var->u.local.name;
	li->type = var->type;
	li->id = s->nlocals;
	s->locals[s->nlocals++] = li;
	var->u.local.info = li;
	s->clause->has_for = true;
	s->in_for = st;
	s->loops++;
	sema_stmts(s, st->u.ifs.then);
	s->loops--;
	s->in_for = NULL;
	li->name = ""; /* (out of scope) */
}

static void sema_clause(struct sema *s, struct clause *cl)
{
	s->clause = cl;
	s->nlocals = 0;
	sema_expand(s, cl);
	for (struct probe_ref *p = cl->probes; p; p = p->next)
		if (!p->failed)
			sema_probe(s, p);
	if (cl->pred) {
		sema_expr(s, cl->pred);
		if (cl->pred->type.kind == TYPE_STR)
			diag_error(s->d, cl->pred->loc, "a predicate must be an integer, but this is a string (compare it: x == \"...\")");
		sema_not_number(s, cl->pred, "/predicate/");
	}
	sema_stmts(s, cl->body);
	cl->nlocals = s->nlocals;
	cl->locals = arena_alloc(&s->c->arena, sizeof(*cl->locals) * (s->nlocals ? s->nlocals : 1));
	memcpy(cl->locals, s->locals, sizeof(*cl->locals) * s->nlocals);
}

int compile_check(struct compilation *c)
{
	struct sema s = {.c = c, .d = &c->diag};
	if (!c->prog->clauses) {
		diag_error_noloc(&c->diag, "the script has no probes; write one, e.g.: nfs.read { @[comm] = count(); }");
		return -1;
	}
	for (struct clause *cl = c->prog->clauses; cl; cl = cl->next)
		sema_clause(&s, cl);
	for (int i = 1; i <= 64; i++) { /* a default declares $i, used or not, and its type */
		const struct expr *def = c->prog->arg_default[i];
		int64_t n;

		if (def && i > s.max_arg)
			s.max_arg = i;
		if (def && def->kind == EXPR_INT && i <= c->argc && !int_parse(c->argv[i - 1], &n))
			diag_error(&c->diag, def->loc, "argument $%d is '%s', not an integer as its default here "
						       "(an integer, optionally with a unit: 10, 0x1f, 10ms, 4k)",
				   i, c->argv[i - 1]);
	}
	if (c->argc > s.max_arg && !s.counts_args) { /* e.g. "script.nfsq 10ms -c CMD": options after the script */
		char uses[32] = "no arguments";
		if (s.max_arg)
			snprintf(uses, sizeof(uses), "$1..$%d", s.max_arg);
		diag_error_noloc(&c->diag, "argument %d ('%s') is not used: the script uses %s; nfsq's options go before the script name",
				 s.max_arg + 1, c->argv[s.max_arg], uses);
	}
	for (unsigned i = 0; i < c->prog->nmaps; i++) {
		struct map_info *mi = c->prog->maps[i];
		if (!mi->assigned)
			diag_error(&c->diag, mi->def, "map %s is used but never assigned", mi->name);
		else if (mi->read_early && (mi->agg != AGG_NONE || mi->value.kind != TYPE_INT))
			diag_error(&c->diag, mi->read_loc, "%s is read here as an integer, but it holds %s",
				   mi->name, mi->agg != AGG_NONE ? "an aggregation" : sema_kind_name(mi->value.kind));
	}
	if (c->diag.nerrors)
		return -1;
	record_uses(c);
	return 0;
}
