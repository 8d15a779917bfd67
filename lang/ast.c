/* ast.c - AST constructors (for the grammar actions) and the tree dump. */
#include "ast.h"

#include <string.h>

#include "walk.h"

struct expr *ast_expr(struct compilation *c, enum expr_kind k, struct loc l)
{
	struct expr *e = arena_alloc(&c->arena, sizeof(*e));
	e->kind = k;
	e->loc = l;
	return e;
}

struct expr *ast_int(struct compilation *c, struct loc l, int64_t v)
{
	struct expr *e = ast_expr(c, EXPR_INT, l);
	e->u.num = v;
	return e;
}

static unsigned ast_max(unsigned a, unsigned b)
{
	return a > b ? a : b;
}

struct expr *ast_unary(struct compilation *c, struct loc l, enum unop op, struct expr *a)
{
	struct expr *e = ast_expr(c, EXPR_UNARY, l);
	e->u.unary.op = op;
	e->u.unary.arg = a;
	e->depth = a->depth + 1;
	return e;
}

struct expr *ast_binary(struct compilation *c, struct loc l, enum binop op, struct expr *a,
			struct expr *b)
{
	struct expr *e = ast_expr(c, EXPR_BINARY, l);
	e->u.binary.op = op;
	e->u.binary.lhs = a;
	e->u.binary.rhs = b;
	e->depth = ast_max(a->depth, b->depth) + 1;
	return e;
}

struct expr *ast_ternary(struct compilation *c, struct loc l, struct expr *cond, struct expr *a,
			 struct expr *b)
{
	struct expr *e = ast_expr(c, EXPR_TERNARY, l);
	e->u.ternary.cond = cond;
	e->u.ternary.then = a;
	e->u.ternary.els = b;
	e->depth = ast_max(cond->depth, ast_max(a->depth, b->depth)) + 1;
	return e;
}

struct expr *ast_call(struct compilation *c, struct loc l, struct loc name_loc, const char *name,
		      struct expr *args)
{
	struct expr *e = ast_expr(c, EXPR_CALL, l);
	e->u.call.name = name;
	e->u.call.name_loc = name_loc;
	e->u.call.args = args;
	e->u.call.nargs = ast_list_len(args);
	for (struct expr *a = args; a; a = a->next)
		e->depth = ast_max(e->depth, a->depth + 1);
	return e;
}

struct expr *ast_tuple(struct compilation *c, struct loc l, struct expr *elems)
{
	struct expr *e = ast_expr(c, EXPR_TUPLE, l);
	e->u.tuple.elems = elems;
	e->u.tuple.n = ast_list_len(elems);
	for (struct expr *a = elems; a; a = a->next)
		e->depth = ast_max(e->depth, a->depth + 1);
	return e;
}

struct expr *ast_elem(struct compilation *c, struct loc l, struct expr *tuple, int64_t index)
{
	struct expr *e = ast_expr(c, EXPR_ELEM, l);
	e->u.elem.tuple = tuple;
	e->u.elem.index = index < 0 || index > 1000 ? 1000 : (unsigned)index;
	e->depth = tuple->depth + 1;
	return e;
}

struct expr *ast_map(struct compilation *c, struct loc l, const char *name, struct expr *keys)
{
	struct expr *e = ast_expr(c, EXPR_MAP, l);
	e->u.map.name = name;
	e->u.map.keys = keys;
	e->u.map.nkeys = ast_list_len(keys);
	for (struct expr *k = keys; k; k = k->next)
		e->depth = ast_max(e->depth, k->depth + 1);
	return e;
}

struct stmt *ast_stmt(struct compilation *c, enum stmt_kind k, struct loc l)
{
	struct stmt *s = arena_alloc(&c->arena, sizeof(*s));
	s->kind = k;
	s->loc = l;
	return s;
}

struct probe_ref *ast_probe(struct compilation *c, enum probe_kind k, struct loc l,
			    const char *name)
{
	struct probe_ref *p = arena_alloc(&c->arena, sizeof(*p));
	p->kind = k;
	p->loc = l;
	p->name = name;
	return p;
}

unsigned ast_list_len(const struct expr *e)
{
	unsigned n = 0;
	for (; e; e = e->next)
		n++;
	return n;
}

struct expr *ast_expr_reverse(struct expr *list)
{
	struct expr *out = NULL;
	while (list) {
		struct expr *next = list->next;
		list->next = out;
		out = list;
		list = next;
	}
	return out;
}

struct stmt *ast_stmt_reverse(struct stmt *list)
{
	struct stmt *out = NULL;
	while (list) {
		struct stmt *next = list->next;
		list->next = out;
		out = list;
		list = next;
	}
	return out;
}

const char *binop_str(enum binop op)
{
	static const char *const names[] = {
		[BINOP_ADD] = "+",
		[BINOP_SUB] = "-",
		[BINOP_MUL] = "*",
		[BINOP_DIV] = "/",
		[BINOP_MOD] = "%",
		[BINOP_AND] = "&",
		[BINOP_OR] = "|",
		[BINOP_XOR] = "^",
		[BINOP_SHL] = "<<",
		[BINOP_SHR] = ">>",
		[BINOP_EQ] = "==",
		[BINOP_NE] = "!=",
		[BINOP_LT] = "<",
		[BINOP_LE] = "<=",
		[BINOP_GT] = ">",
		[BINOP_GE] = ">=",
		[BINOP_LAND] = "&&",
		[BINOP_LOR] = "||",
	};
	return names[op];
}

static const char *const builtin_names[] = {
	[BUILTIN_NONE] = NULL,
	[BUILTIN_PID] = "pid",
	[BUILTIN_TID] = "tid",
	[BUILTIN_UID] = "uid",
	[BUILTIN_COMM] = "comm",
	[BUILTIN_CPU] = "cpu",
	[BUILTIN_NSECS] = "nsecs",
	[BUILTIN_ELAPSED] = "elapsed",
	[BUILTIN_PROBE] = "probe",
	[BUILTIN_CPID] = "cpid",
	[BUILTIN_KSTACK] = "kstack",
	[BUILTIN_USTACK] = "ustack",
};

const char *builtin_name(enum builtin b)
{
	return builtin_names[b];
}

enum builtin builtin_lookup(const char *name)
{
	for (unsigned i = 1; i < sizeof(builtin_names) / sizeof(builtin_names[0]); i++)
		if (strcmp(builtin_names[i], name) == 0)
			return (enum builtin)i;
	return BUILTIN_NONE;
}

/* ---- dump ---- */

static void dump_indent(FILE *out, int depth)
{
	for (int i = 0; i < depth; i++)
		fputs("  ", out);
}

static void dump_type(FILE *out, struct type t)
{
	if (t.kind != TYPE_NONE)
		fprintf(out, " :%s", type_name(t));
}

static void dump_string(FILE *out, const char *s, uint32_t len)
{
	fputc('"', out);
	for (uint32_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '"' || ch == '\\')
			fprintf(out, "\\%c", ch);
		else if (ch == '\n')
			fputs("\\n", out);
		else if (ch == '\t')
			fputs("\\t", out);
		else if (ch < 0x20 || ch >= 0x7f)
			fprintf(out, "\\x%02x", ch);
		else
			fputc(ch, out);
	}
	fputc('"', out);
}

struct dump {
	FILE *out;
	int depth;
	struct expr *call; /* the call of the statement being dumped: its arguments are shown */
};

static bool dump_node(struct walk *w, struct expr *e)
{
	static const char *const unops[] = {[UNOP_NEG] = "-", [UNOP_NOT] = "!", [UNOP_BNOT] = "~"};
	struct dump *d = w->ctx;
	FILE *out = d->out;

	if (e == d->call)
		return true;
	dump_indent(out, d->depth++);
	switch (e->kind) {
	case EXPR_INT:
		fprintf(out, "int %lld", (long long)e->u.num);
		break;
	case EXPR_STR:
		fputs("string ", out);
		dump_string(out, e->u.str.text, e->u.str.len);
		break;
	case EXPR_ERRNO:
		fprintf(out, "error %s (%lld)", e->errname, (long long)e->u.num);
		break;
	case EXPR_ARG:
		fprintf(out, "arg $%lld", (long long)e->u.num);
		break;
	case EXPR_IDENT:
		fprintf(out, "%s %s", e->u.ident.builtin ? "builtin" : "field", e->u.ident.name);
		if (e->u.ident.builtin == BUILTIN_KSTACK || e->u.ident.builtin == BUILTIN_USTACK)
			fprintf(out, "(%s, %u)", e->u.ident.perf ? "perf" : "bpftrace", e->u.ident.frames);
		break;
	case EXPR_LOCAL:
		fprintf(out, "local %s", e->u.local.name);
		break;
	case EXPR_MAP:
		fprintf(out, "map %s", e->u.map.name);
		break;
	case EXPR_UNARY:
		fprintf(out, "unary %s", unops[e->u.unary.op]);
		break;
	case EXPR_BINARY:
		fprintf(out, "binary %s", binop_str(e->u.binary.op));
		break;
	case EXPR_TERNARY:
		fputs("ternary ?:", out);
		break;
	case EXPR_CALL:
		fprintf(out, "call %s", e->u.call.name);
		break;
	case EXPR_TUPLE:
		fputs("tuple", out);
		break;
	case EXPR_ELEM:
		fprintf(out, "element .%u", e->u.elem.index);
		break;
	}
	dump_type(out, e->type);
	fputc('\n', out);
	return true;
}

static void dump_node_after(struct walk *w, struct expr *e)
{
	struct dump *d = w->ctx;

	if (e != d->call)
		d->depth--;
}

static bool dump_stmt(struct walk *w, struct stmt *s)
{
	static const char *const kinds[] = {
		[STMT_ASSIGN] = "assign",
		[STMT_MAP_AGG] = "aggregate",
		[STMT_MAP_SET] = "map-set",
		[STMT_MAP_ADD] = "map-add",
		[STMT_LOCAL_SET] = "local-set",
		[STMT_CALL] = "call",
		[STMT_PRINTF] = "printf",
		[STMT_PRINT] = "print",
		[STMT_CLEAR] = "clear",
		[STMT_ZERO] = "zero",
		[STMT_DELETE] = "delete",
		[STMT_EXIT] = "exit",
		[STMT_IF] = "if",
		[STMT_WHILE] = "while",
		[STMT_UNROLL] = "unroll",
		[STMT_FOR] = "for",
		[STMT_BREAK] = "break",
		[STMT_CONTINUE] = "continue",
	};
	struct dump *d = w->ctx;

	dump_indent(d->out, d->depth++);
	fprintf(d->out, "%s\n", kinds[s->kind]);
	d->call = walk_stmt_call(s);
	return true;
}

static void dump_stmt_after(struct walk *w, struct stmt *s)
{
	(void)s;
	((struct dump *)w->ctx)->depth--;
}

static void dump_branch(struct walk *w, struct stmt *s, bool els)
{
	struct dump *d = w->ctx;

	(void)s;
	dump_indent(d->out, d->depth - 1);
	fputs(els ? "else\n" : "then\n", d->out);
}

static void dump_walk(FILE *out, int depth, struct expr *e, struct stmt *s)
{
	struct dump d = {out, depth, NULL};
	struct walk w = {.expr = dump_node, .expr_after = dump_node_after, .stmt = dump_stmt, .stmt_after = dump_stmt_after, .branch = dump_branch, .ctx = &d};

	if (e)
		walk_expr(&w, e);
	walk_stmts(&w, s);
}

static void dump_probe(FILE *out, const struct probe_ref *p)
{
	static const char *const kinds[] = {
		[PROBE_BUILTIN] = "builtin",
		[PROBE_TRACEPOINT] = "tracepoint",
		[PROBE_KPROBE] = "kprobe",
		[PROBE_KRETPROBE] = "kretprobe",
		[PROBE_FENTRY] = "fentry",
		[PROBE_FEXIT] = "fexit",
		[PROBE_BEGIN] = "begin",
		[PROBE_END] = "end",
		[PROBE_INTERVAL] = "interval",
		[PROBE_PROFILE] = "profile",
	};
	fprintf(out, "  probe %s [%s", p->name, kinds[p->kind]);
	if (p->kind == PROBE_INTERVAL)
		fprintf(out, " %lld ns", (long long)p->interval_ns);
	fputs("]\n", out);
}

void ast_dump(struct program *p, FILE *out)
{
	fputs("program\n", out);
	for (unsigned i = 0; i < p->nmaps; i++) {
		const struct map_info *m = p->maps[i];
		fprintf(out, " map %s: %s", m->name, agg_name(m->agg));
		if (m->agg == AGG_NONE)
			fprintf(out, " %s", type_name(m->value));
		if (m->agg == AGG_LHIST)
			fprintf(out, "(%lld, %lld, %lld)", (long long)m->lhist_min,
				(long long)m->lhist_max, (long long)m->lhist_step);
		fputs(" [", out);
		for (unsigned k = 0; k < m->nkeys; k++)
			fprintf(out, "%s%s", k ? ", " : "", type_name(m->keys[k]));
		fputs("]\n", out);
	}
	for (int i = 1; i <= 64; i++) {
		const struct expr *d = p->arg_default[i];
		if (d && d->kind == EXPR_INT)
			fprintf(out, " default $%d = %lld\n", i, (long long)d->u.num);
		else if (d)
			fprintf(out, " default $%d = \"%.*s\"\n", i, (int)d->u.str.len, d->u.str.text);
	}
	for (struct clause *c = p->clauses; c; c = c->next) {
		fprintf(out, " clause #%u\n", c->id);
		for (const struct probe_ref *pr = c->probes; pr; pr = pr->next)
			dump_probe(out, pr);
		if (c->pred) {
			fputs("  predicate\n", out);
			dump_walk(out, 2, c->pred, NULL);
		}
		fputs("  body\n", out);
		dump_walk(out, 2, NULL, c->body);
	}
}
