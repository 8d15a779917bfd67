/* walk.c - the children of every node, listed once (see walk.h). */
#include "walk.h"

static void walk_node(struct walk *w, struct expr *e, bool lvalue)
{
	w->lvalue = lvalue;
	if (!e || (w->expr && !w->expr(w, e)))
		return;
	switch (e->kind) {
	case EXPR_INT:
	case EXPR_STR:
	case EXPR_ERRNO:
	case EXPR_ARG:
	case EXPR_IDENT:
	case EXPR_LOCAL:
		break;
	case EXPR_MAP:
		for (struct expr *k = e->u.map.keys; k; k = k->next)
			walk_node(w, k, false);
		break;
	case EXPR_UNARY:
		walk_node(w, e->u.unary.arg, false);
		break;
	case EXPR_BINARY:
		walk_node(w, e->u.binary.lhs, false);
		walk_node(w, e->u.binary.rhs, false);
		break;
	case EXPR_TERNARY:
		walk_node(w, e->u.ternary.cond, false);
		walk_node(w, e->u.ternary.then, false);
		walk_node(w, e->u.ternary.els, false);
		break;
	case EXPR_CALL:
		for (struct expr *a = e->u.call.args; a; a = a->next)
			walk_node(w, a, false);
		break;
	case EXPR_TUPLE:
		for (struct expr *a = e->u.tuple.elems; a; a = a->next)
			walk_node(w, a, false);
		break;
	case EXPR_ELEM:
		walk_node(w, e->u.elem.tuple, false);
		break;
	}
	if (w->expr_after)
		w->expr_after(w, e);
}

void walk_expr(struct walk *w, struct expr *e)
{
	walk_node(w, e, false);
}

struct expr *walk_stmt_call(struct stmt *s)
{
	switch (s->kind) {
	case STMT_CALL:
	case STMT_PRINTF:
	case STMT_PRINT:
	case STMT_CLEAR:
	case STMT_ZERO:
	case STMT_DELETE:
	case STMT_EXIT:
		return s->u.call.call;
	case STMT_ASSIGN:
	case STMT_MAP_AGG:
	case STMT_MAP_SET:
	case STMT_MAP_ADD:
	case STMT_LOCAL_SET:
	case STMT_IF:
	case STMT_WHILE:
	case STMT_UNROLL:
	case STMT_FOR:
	case STMT_BREAK:
	case STMT_CONTINUE:
		return NULL;
	}
	return NULL;
}

void walk_stmts(struct walk *w, struct stmt *s)
{
	for (; s; s = s->next) {
		struct expr *call = walk_stmt_call(s);

		if (w->stmt && !w->stmt(w, s))
			continue;
		if (s->kind == STMT_IF || s->kind == STMT_WHILE || s->kind == STMT_UNROLL || s->kind == STMT_FOR) {
			/* (a loop's body: a branch taken 0 or more times) */
			if (s->kind == STMT_FOR)
				walk_node(w, s->u.ifs.var, true);
			walk_node(w, s->u.ifs.cond, false);
			if (w->branch)
				w->branch(w, s, false);
			walk_stmts(w, s->u.ifs.then);
			if (w->branch && s->u.ifs.els)
				w->branch(w, s, true);
			walk_stmts(w, s->u.ifs.els);
		} else if (call) {
			walk_node(w, call, false);
		} else if (s->kind != STMT_BREAK && s->kind != STMT_CONTINUE) { /* an assignment */
			walk_node(w, s->u.assign.lhs, true);
			walk_node(w, s->u.assign.rhs, false);
		}
		if (w->stmt_after)
			w->stmt_after(w, s);
	}
}

void walk_program(struct walk *w, struct program *p)
{
	for (struct clause *cl = p->clauses; cl; cl = cl->next) {
		w->clause = cl;
		walk_node(w, cl->pred, false);
		walk_stmts(w, cl->body);
	}
	w->clause = NULL;
}
