/* record.c - the last front-end pass: writes down what the later stages need from
 * the tree, so that codegen and the runtime never walk it themselves: the probe
 * fields each clause reads (clause.fields), and for each map the names of its keys and
 * where it is first used (map_info, contract/object.h; the exporter's label names and
 * HELP texts come from these). */
#include <string.h>

#include "compile.h"
#include "walk.h"

struct record {
	struct arena *arena;
	struct expr **keyed;          /* per map id: first assignment with keys */
	struct expr **keyed_any;      /* per map id: first use with keys */
	bool *first_assign;           /* per map id: map_info.first is an assignment */
	struct clause **first_cl;     /* per map id: the clause of map_info.first */
	struct map_info **clause_map; /* per clause id: the first map it uses */
	unsigned *cap;                /* per clause id: room in clause.fields */
};

/* a probe field the clause reads, once */
static void record_field(struct record *r, struct clause *cl, const char *name, struct loc loc)
{
	unsigned *cap = &r->cap[cl->id];

	for (unsigned i = 0; i < cl->nfields; i++)
		if (!strcmp(cl->fields[i], name))
			return;
	if (cl->nfields == *cap) {
		const char **more = arena_alloc(r->arena, (*cap * 2 + 4) * sizeof(*more));
		struct loc *locs = arena_alloc(r->arena, (*cap * 2 + 4) * sizeof(*locs));

		if (cl->nfields) {
			memcpy(more, cl->fields, cl->nfields * sizeof(*more));
			memcpy(locs, cl->field_locs, cl->nfields * sizeof(*locs));
		}
		cl->fields = more;
		cl->field_locs = locs;
		*cap = *cap * 2 + 4;
	}
	cl->field_locs[cl->nfields] = loc;
	cl->fields[cl->nfields++] = name;
}

static void record_map(struct record *r, struct clause *cl, struct expr *e, bool assign)
{
	struct map_info *m = e->u.map.info;

	if (!r->clause_map[cl->id])
		r->clause_map[cl->id] = m;
	if (!m->have_first || (assign && !r->first_assign[m->id])) {
		m->first = e->loc;
		m->have_first = true;
		r->first_cl[m->id] = cl;
		r->first_assign[m->id] = assign;
	}
	if (e->u.map.keys && !r->keyed_any[m->id])
		r->keyed_any[m->id] = e;
	if (e->u.map.keys && assign && !r->keyed[m->id])
		r->keyed[m->id] = e;
}

static bool record_expr(struct walk *w, struct expr *e)
{
	struct record *r = w->ctx;

	if (e->kind == EXPR_IDENT && e->u.ident.builtin == BUILTIN_NONE)
		record_field(r, w->clause, e->u.ident.name, e->loc);
	else if (e->kind == EXPR_MAP && e->u.map.info)
		record_map(r, w->clause, e, w->lvalue);
	return true;
}

/* map m's key names, from its first keyed assignment (else its first keyed use) */
static void record_key_names(struct record *r, struct map_info *m)
{
	struct expr *use = r->keyed[m->id] ? r->keyed[m->id] : r->keyed_any[m->id];
	struct expr *k = use ? use->u.map.keys : NULL;

	m->key_names = arena_alloc(r->arena, (m->nkeys + 1) * sizeof(*m->key_names));
	for (unsigned i = 0; i < m->nkeys && k; i++, k = k->next) {
		if (k->kind == EXPR_IDENT)
			m->key_names[i] = k->u.ident.name;
		else if (k->kind == EXPR_LOCAL)
			m->key_names[i] = k->u.local.name + 1;
	}
}

void record_uses(struct compilation *c)
{
	struct program *p = c->prog;
	struct arena *a = &c->arena;
	struct record r = {
		.arena = a,
		.keyed = arena_alloc(a, (p->nmaps + 1) * sizeof(*r.keyed)),
		.keyed_any = arena_alloc(a, (p->nmaps + 1) * sizeof(*r.keyed_any)),
		.first_assign = arena_alloc(a, (p->nmaps + 1) * sizeof(*r.first_assign)),
		.first_cl = arena_alloc(a, (p->nmaps + 1) * sizeof(*r.first_cl)),
		.clause_map = arena_alloc(a, (p->nclauses + 1) * sizeof(*r.clause_map)),
		.cap = arena_alloc(a, (p->nclauses + 1) * sizeof(*r.cap)),
	};
	struct walk w = {.expr = record_expr, .ctx = &r};

	walk_program(&w, p);
	for (unsigned i = 0; i < p->nmaps; i++) {
		struct map_info *m = p->maps[i];

		record_key_names(&r, m);
		if (m->have_first) {
			m->clause_loc = r.first_cl[i]->loc;
			m->clause_first = r.clause_map[r.first_cl[i]->id] == m;
		}
	}
}
