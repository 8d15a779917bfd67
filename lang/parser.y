/* parser.y - the nfsq grammar. Actions only build AST nodes (ast.c). */
%code requires {
#include "ast.h"
typedef void *yyscan_t;
}

%code provides {
/* flex's bison bridge uses the unprefixed names */
#define YYSTYPE NFSQ_YYSTYPE
#define YYLTYPE NFSQ_YYLTYPE
}

%code top {
#include <stdio.h>
#include <string.h>

/* locations are byte offsets: a rule spans its first to its last symbol */
#define YYLLOC_DEFAULT(Cur, Rhs, N)                                     \
	do {                                                            \
		if (N) {                                                \
			(Cur).begin = YYRHSLOC(Rhs, 1).begin;           \
			(Cur).end = YYRHSLOC(Rhs, N).end;               \
		} else {                                                \
			(Cur).begin = (Cur).end = YYRHSLOC(Rhs, 0).end; \
		}                                                       \
	} while (0)
#define YYLOCATION_PRINT(File, Loc) ((void)(File), (void)(Loc), 0)
}

%code {
#include "lex.h"
#include "lexer.h"

static void nfsq_yyerror(struct loc *l, yyscan_t scanner, struct compilation *c, const char *msg);
static struct probe_ref *parse_probe2(struct compilation *c, struct loc l, const char *kind,
				      const char *arg, struct loc argloc);
static struct expr *parse_nested(struct compilation *c, struct expr *e);
static struct stmt *parse_step(struct compilation *c, struct loc l, struct expr *lhs, int step);
static struct expr *parse_local(struct compilation *c, struct loc l, const char *name);
static struct expr *parse_args_field(struct compilation *c, struct loc l, const char *base,
				     struct loc baseloc, const char *field, struct loc fieldloc);
static struct stmt *parse_loop(struct compilation *c, struct loc l, const char *name, struct loc nameloc,
			       struct expr *args, struct stmt *body);
static struct stmt *parse_for(struct compilation *c, struct loc l, const char *name, struct loc nameloc,
			      const char *var, struct loc varloc, struct expr *map, struct stmt *body);
static void parse_default(struct compilation *c, struct loc l, const char *kw, int idx, struct loc argloc,
			  struct expr *value);
static struct expr *parse_cast(struct compilation *c, struct loc l, const char *type, struct expr *e);
static struct stmt *parse_jump(struct compilation *c, struct loc l, const char *name);
static struct probe_ref *parse_timer(struct compilation *c, struct loc l, const char *kind,
				     struct loc kindloc, const char *unit, struct loc unitloc, int64_t n,
				     struct loc nloc);
}

%define api.pure full
%define api.prefix {nfsq_yy}
%define api.location.type {struct loc}
%define parse.error custom
%locations
%expect 0
%param {yyscan_t scanner}
%parse-param {struct compilation *c}

%initial-action { @$.begin = @$.end = 0; }

%union {
	int64_t num;
	const char *name;
	struct { const char *text; uint32_t len; } str;
	struct expr *expr;
	struct stmt *stmt;
	struct probe_ref *probe;
	struct clause *clause;
}

%token <name> IDENT "identifier" MAP "map name" VAR "local variable" INTTYPE "integer type"
%token <name> GLOB "wildcard"
%token <num> INT "integer" ARG "script argument"
%token <str> STRING "string"
%token IF "'if'" ELSE "'else'" INTERVAL "'interval'"
%token ENDPRED "'/' closing the predicate"
%token LAND "'&&'" LOR "'||'" EQ "'=='" NE "'!='" LE "'<='" GE "'>='" SHL "'<<'" SHR "'>>'"
%token ADD_ASSIGN "'+='" INCR "'++'" DECR "'--'" ARROW "'->'"

%type <expr> expr primary member tupleget map args args1 pred
%type <name> pname
%type <stmt> stmts stmt simple block if_stmt
%type <probe> probes probe
%type <clause> clause

%right '?' ':'
%left LOR
%left LAND
%left '|'
%left '^'
%left '&'
%left EQ NE
%left '<' '>' LE GE
%left SHL SHR
%left '+' '-'
%left '*' '/' '%'
%precedence '!' '~' UNARY

%%

/* program: (clause | default)* */
program
	: %empty               { }
	| program default
	| program clause       { if ($2) {
					$2->id = c->prog->nclauses++;
					if (c->prog->last_clause)
						c->prog->last_clause->next = $2;
					else
						c->prog->clauses = $2;
					c->prog->last_clause = $2;
				 } }
	;

/* default: 'default' $N '=' literal ';'   the value of $N when it is not given */
default
	: IDENT ARG '=' expr ';'
			       { parse_default(c, @$, $1, $2, @2, $4); }
	;

/* clause: probe {, probe} [/pred/] block */
clause
	: probes pred block    { $$ = arena_alloc(&c->arena, sizeof(*$$)); $$->loc = @$;
				 $$->probes = $1; $$->pred = $2; $$->body = $3; }
	| probes block         { $$ = arena_alloc(&c->arena, sizeof(*$$)); $$->loc = @$;
				 $$->probes = $1; $$->body = $2; }
	| error block          { $$ = NULL; }
	;

probes
	: probe                { $$ = $1; }
	| probes ',' probe     { struct probe_ref *p = $1; while (p->next) p = p->next;
				 p->next = $3; $$ = $1; }
	;

/* probe: BEGIN | END | name.name | kind:target | tracepoint:cat:event | interval 1s
 *        | interval $N (a script argument, or its default) | interval:UNIT:N (bpftrace's
 *        spelling: s, ms, us, hz) | profile:UNIT:N */
probe
	: IDENT                { $$ = ast_probe(c, strcmp($1, "BEGIN") == 0 ? PROBE_BEGIN
						   : strcmp($1, "END") == 0 ? PROBE_END
						   : PROBE_BUILTIN, @$, $1); }
	| IDENT '.' IDENT      { $$ = ast_probe(c, PROBE_BUILTIN, @$,
						    arena_printf(&c->arena, "%s.%s", $1, $3)); }
	| IDENT ':' IDENT      { $$ = parse_probe2(c, @$, $1, $3, @3); }
	| IDENT ':' GLOB       { $$ = parse_probe2(c, @$, $1, $3, @3); }
	| IDENT ':' pname ':' pname
			       { $$ = ast_probe(c, PROBE_TRACEPOINT, @$,
						arena_printf(&c->arena, "%s:%s:%s", $1, $3, $5));
				 $$->target = arena_printf(&c->arena, "%s:%s", $3, $5);
				 if (strcmp($1, "tracepoint") != 0 && strcmp($1, "t") != 0) {
					 static const char *const tp[] = {"tracepoint"};
					 if (diag_suggest($1, tp, 1))
						 diag_error(&c->diag, @1, "unknown probe type '%s' (did you mean 'tracepoint'?)", $1);
					 else
						 diag_error(&c->diag, @1, "unknown probe type '%s'; a three-part probe is tracepoint:CATEGORY:EVENT", $1);
				 } }
	| INTERVAL INT         { $$ = ast_probe(c, PROBE_INTERVAL, @$, "interval");
				 $$->interval_ns = $2; }
	| INTERVAL ':' INT     { $$ = ast_probe(c, PROBE_INTERVAL, @$, "interval");
				 $$->interval_ns = $3; }
	| INTERVAL ARG         { $$ = ast_probe(c, PROBE_INTERVAL, @$, "interval");
				 $$->interval_arg = (int)$2; }
	| INTERVAL ':' IDENT ':' INT
			       { $$ = parse_timer(c, @$, "interval", @1, $3, @3, $5, @5); }
	| IDENT ':' pname ':' INT
			       { $$ = parse_timer(c, @$, $1, @1, $3, @3, $5, @5); }
	;

/* a part of a probe's name, with wildcards (tracepoint:sched:sched_*) */
pname
	: IDENT                { $$ = $1; }
	| GLOB                 { $$ = $1; }
	;

pred
	: '/' expr ENDPRED     { $$ = $2; }
	;

block
	: '{' stmts '}'        { $$ = ast_stmt_reverse($2); }
	| '{' stmts simple '}' { if ($3) $3->next = $2; $$ = ast_stmt_reverse($3 ? $3 : $2); }
	;

stmts
	: %empty               { $$ = NULL; }
	| stmts stmt           { if ($2) { $2->next = $1; $$ = $2; } else $$ = $1; }
	;

stmt
	: simple ';'           { $$ = $1; }
	| IDENT '(' args ')' block
			       { $$ = parse_loop(c, @$, $1, @1, $3, $5); }
	| IDENT '(' VAR ':' map ')' block
			       { $$ = parse_for(c, @$, $1, @1, $3, @3, $5, $7); }
	| if_stmt              { $$ = $1; }
	| ';'                  { $$ = NULL; }
	| error ';'            { $$ = NULL; }
	;

/* simple: @m[k] = expr | @m[k] += expr | $x = expr | $x += expr | f(args)
 *       | @m[k]++ | @m[k]-- | ++@m[k] | --@m[k] (and the same of $x): statements only */
simple
	: map '=' expr         { $$ = ast_stmt(c, STMT_ASSIGN, @$); $$->u.assign.lhs = $1;
				 $$->u.assign.rhs = $3; }
	| map ADD_ASSIGN expr  { $$ = ast_stmt(c, STMT_ASSIGN, @$); $$->u.assign.lhs = $1;
				 $$->u.assign.rhs = $3; $$->u.assign.add = true; $$->u.assign.op = "+="; }
	| VAR ADD_ASSIGN expr  { $$ = ast_stmt(c, STMT_ASSIGN, @$);
				 struct expr *v = ast_expr(c, EXPR_LOCAL, @1);
				 v->u.local.name = $1;
				 $$->u.assign.lhs = v; $$->u.assign.rhs = $3; $$->u.assign.add = true; $$->u.assign.op = "+="; }
	| VAR '=' expr         { $$ = ast_stmt(c, STMT_ASSIGN, @$);
				 struct expr *v = ast_expr(c, EXPR_LOCAL, @1);
				 v->u.local.name = $1;
				 $$->u.assign.lhs = v; $$->u.assign.rhs = $3; }
	| IDENT '(' args ')'   { $$ = ast_stmt(c, STMT_CALL, @$);
				 $$->u.call.call = ast_call(c, @$, @1, $1, $3); }
	| IDENT                { $$ = parse_jump(c, @$, $1); }
	| map INCR             { $$ = parse_step(c, @$, $1, 1); }
	| map DECR             { $$ = parse_step(c, @$, $1, -1); }
	| INCR map             { $$ = parse_step(c, @$, $2, 1); }
	| DECR map             { $$ = parse_step(c, @$, $2, -1); }
	| VAR INCR             { $$ = parse_step(c, @$, parse_local(c, @1, $1), 1); }
	| VAR DECR             { $$ = parse_step(c, @$, parse_local(c, @1, $1), -1); }
	| INCR VAR             { $$ = parse_step(c, @$, parse_local(c, @2, $2), 1); }
	| DECR VAR             { $$ = parse_step(c, @$, parse_local(c, @2, $2), -1); }
	;

/* if_stmt: if (expr) block [else (block | if_stmt)] */
if_stmt
	: IF '(' expr ')' block
			       { $$ = ast_stmt(c, STMT_IF, @$); $$->u.ifs.cond = $3;
				 $$->u.ifs.then = $5; }
	| IF '(' expr ')' block ELSE block
			       { $$ = ast_stmt(c, STMT_IF, @$); $$->u.ifs.cond = $3;
				 $$->u.ifs.then = $5; $$->u.ifs.els = $7; }
	| IF '(' expr ')' block ELSE if_stmt
			       { $$ = ast_stmt(c, STMT_IF, @$); $$->u.ifs.cond = $3;
				 $$->u.ifs.then = $5; $$->u.ifs.els = $7; }
	;

args
	: %empty               { $$ = NULL; }
	| args1                { $$ = ast_expr_reverse($1); }
	;

args1
	: expr                 { $$ = $1; }
	| args1 ',' expr       { $3->next = $1; $$ = $3; }
	;

expr
	: primary              { $$ = $1; }
	| expr '?' expr ':' expr { $$ = parse_nested(c, ast_ternary(c, @$, $1, $3, $5)); }
	| expr LOR expr        { $$ = parse_nested(c, ast_binary(c, @$, BINOP_LOR, $1, $3)); }
	| expr LAND expr       { $$ = parse_nested(c, ast_binary(c, @$, BINOP_LAND, $1, $3)); }
	| expr '|' expr        { $$ = parse_nested(c, ast_binary(c, @$, BINOP_OR, $1, $3)); }
	| expr '^' expr        { $$ = parse_nested(c, ast_binary(c, @$, BINOP_XOR, $1, $3)); }
	| expr '&' expr        { $$ = parse_nested(c, ast_binary(c, @$, BINOP_AND, $1, $3)); }
	| expr EQ expr         { $$ = parse_nested(c, ast_binary(c, @$, BINOP_EQ, $1, $3)); }
	| expr NE expr         { $$ = parse_nested(c, ast_binary(c, @$, BINOP_NE, $1, $3)); }
	| expr '<' expr        { $$ = parse_nested(c, ast_binary(c, @$, BINOP_LT, $1, $3)); }
	| expr '>' expr        { $$ = parse_nested(c, ast_binary(c, @$, BINOP_GT, $1, $3)); }
	| expr LE expr         { $$ = parse_nested(c, ast_binary(c, @$, BINOP_LE, $1, $3)); }
	| expr GE expr         { $$ = parse_nested(c, ast_binary(c, @$, BINOP_GE, $1, $3)); }
	| expr SHL expr        { $$ = parse_nested(c, ast_binary(c, @$, BINOP_SHL, $1, $3)); }
	| expr SHR expr        { $$ = parse_nested(c, ast_binary(c, @$, BINOP_SHR, $1, $3)); }
	| expr '+' expr        { $$ = parse_nested(c, ast_binary(c, @$, BINOP_ADD, $1, $3)); }
	| expr '-' expr        { $$ = parse_nested(c, ast_binary(c, @$, BINOP_SUB, $1, $3)); }
	| expr '*' expr        { $$ = parse_nested(c, ast_binary(c, @$, BINOP_MUL, $1, $3)); }
	| expr '/' expr        { $$ = parse_nested(c, ast_binary(c, @$, BINOP_DIV, $1, $3)); }
	| expr '%' expr        { $$ = parse_nested(c, ast_binary(c, @$, BINOP_MOD, $1, $3)); }
	| '!' expr             { $$ = parse_nested(c, ast_unary(c, @$, UNOP_NOT, $2)); }
	| '~' expr             { $$ = parse_nested(c, ast_unary(c, @$, UNOP_BNOT, $2)); }
	| '-' expr %prec UNARY { $$ = parse_nested(c, ast_unary(c, @$, UNOP_NEG, $2)); }
	| '(' IDENT IDENT '*' ')' expr %prec UNARY
			       { diag_error(&c->diag, @$, "casts to kernel types are not supported: fentry: and fexit: arguments are typed by the kernel's BTF (args->file->f_inode)");
				 $$ = $6; }
	| '(' INTTYPE ')' expr %prec UNARY
			       { $$ = parse_cast(c, @$, $2, $4); }
	;

primary
	: INT                  { $$ = ast_int(c, @$, $1); }
	| STRING               { $$ = ast_expr(c, EXPR_STR, @$); $$->u.str.text = $1.text;
				 $$->u.str.len = $1.len; }
	| IDENT                { $$ = ast_expr(c, EXPR_IDENT, @$); $$->u.ident.name = $1; }
	| VAR                  { $$ = ast_expr(c, EXPR_LOCAL, @$); $$->u.local.name = $1; }
	| ARG                  { $$ = ast_expr(c, EXPR_ARG, @$); $$->u.num = $1; }
	| map                  { $$ = $1; }
	| IDENT '(' args ')'   { $$ = ast_call(c, @$, @1, $1, $3); }
	| '(' expr ')'         { $$ = $2; $$->loc = @$; }
	| '(' expr ')' ARROW IDENT
			       { diag_error(&c->diag, @4, "members are read through the typed arguments of fentry: and fexit: probes (args->file->f_inode), not of an expression");
				 $$ = $2; }
	| '(' expr ',' args1 ')'
			       { $2->next = ast_expr_reverse($4); $$ = ast_tuple(c, @$, $2); }
	| tupleget             { $$ = $1; }
	| member               { $$ = $1; }
	;

/* tupleget: $t.N | @t.N | ... .N (an element of a tuple, from 0) */
tupleget
	: VAR '.' INT          { struct expr *v = ast_expr(c, EXPR_LOCAL, @1); v->u.local.name = $1;
				 $$ = ast_elem(c, @$, v, $3); }
	| map '.' INT          { $$ = ast_elem(c, @$, $1, $3); }
	| tupleget '.' INT     { $$ = ast_elem(c, @$, $1, $3); }
	;

/* member: args.X | args->X, then ->Y (a member of the struct X points to) or .Y (of the
 * struct X is) as often as needed: the field `X->Y.Z` (sema resolves the path by BTF) */
member
	: IDENT '.' IDENT      { $$ = parse_args_field(c, @$, $1, @1, $3, @3); }
	| IDENT ARROW IDENT    { $$ = parse_args_field(c, @$, $1, @1, $3, @3); }
	| member ARROW IDENT   { $$ = $1; $$->loc = @$;
				 $$->u.ident.name = arena_printf(&c->arena, "%s->%s", $1->u.ident.name, $3); }
	| member '.' IDENT     { $$ = $1; $$->loc = @$;
				 $$->u.ident.name = arena_printf(&c->arena, "%s.%s", $1->u.ident.name, $3); }
	;

/* map: @name | @name[expr, ...] */
map
	: MAP                  { $$ = ast_map(c, @$, $1, NULL); }
	| MAP '[' args1 ']'    { $$ = ast_map(c, @$, $1, ast_expr_reverse($3)); }
	;

%%

static void nfsq_yyerror(struct loc *l, yyscan_t scanner, struct compilation *c, const char *msg)
{
	(void)scanner;
	if (strcmp(msg, "memory exhausted") == 0)
		diag_error(&c->diag, *l, "script nested too deeply for the parser; simplify it");
	else
		diag_error(&c->diag, *l, "%s", msg);
}

/* "syntax error: unexpected X, expecting A, B or C" and, at the end of the
 * script inside a block, where that block was opened. */
static int yyreport_syntax_error(const yypcontext_t *ctx, yyscan_t scanner, struct compilation *c)
{
	enum { NEXP = 6 };
	yysymbol_kind_t exp[NEXP];
	yysymbol_kind_t tok = yypcontext_token(ctx);
	int n = yypcontext_expected_tokens(ctx, exp, NEXP);
	const struct loc *l = yypcontext_location(ctx);
	char buf[512];
	if (tok == YYSYMBOL_INCR || tok == YYSYMBOL_DECR) { /* bpftrace allows x++ in expressions */
		diag_error(&c->diag, *l, "%s is a statement in nfsq, not a value: write it on its own (@x%s; or $x%s;) and read the variable after",
			   yysymbol_name(tok), tok == YYSYMBOL_INCR ? "++" : "--", tok == YYSYMBOL_INCR ? "++" : "--");
		return 0;
	}
	int len = snprintf(buf, sizeof(buf), "syntax error: unexpected %s",
			   tok == YYSYMBOL_YYEOF ? "end of script" : yysymbol_name(tok));
	if (n > 0 && n < NEXP) {
		for (int i = 0; i < n && len < (int)sizeof(buf); i++)
			len += snprintf(buf + len, sizeof(buf) - (size_t)len, "%s%s",
					i == 0 ? ", expecting " : i == n - 1 ? " or " : ", ",
					yysymbol_name(exp[i]));
	}
	diag_error(&c->diag, *l, "%s", buf);
	struct lex_state *st = nfsq_yyget_extra(scanner);
	if (tok == YYSYMBOL_YYEOF && st->nbraces > 0 && st->nbraces <= LEX_MAX_BRACES)
		diag_note(&c->diag, st->braces[st->nbraces - 1], "the block opened here is not closed");
	return 0;
}

/* kprobe:fn | kretprobe:fn | fentry:fn | fexit:fn (and bpftrace's other spellings: k:fn,
 * kr:fn, kfunc:fn, kretfunc:fn, f:fn, fr:fn); interval:1s has its own rule */
static struct probe_ref *parse_probe2(struct compilation *c, struct loc l, const char *kind,
				      const char *arg, struct loc argloc)
{
	(void)argloc;
	struct probe_ref *p;
	if (strcmp(kind, "kprobe") == 0 || strcmp(kind, "k") == 0)
		p = ast_probe(c, PROBE_KPROBE, l, arena_printf(&c->arena, "kprobe:%s", arg));
	else if (strcmp(kind, "kretprobe") == 0 || strcmp(kind, "kr") == 0)
		p = ast_probe(c, PROBE_KRETPROBE, l, arena_printf(&c->arena, "kretprobe:%s", arg));
	else if (strcmp(kind, "fentry") == 0 || strcmp(kind, "kfunc") == 0 || strcmp(kind, "f") == 0)
		p = ast_probe(c, PROBE_FENTRY, l, arena_printf(&c->arena, "fentry:%s", arg));
	else if (strcmp(kind, "fexit") == 0 || strcmp(kind, "kretfunc") == 0 || strcmp(kind, "fr") == 0)
		p = ast_probe(c, PROBE_FEXIT, l, arena_printf(&c->arena, "fexit:%s", arg));
	else {
		static const char *const kinds[] = {"kprobe", "kretprobe", "tracepoint", "fentry", "fexit"};
		const char *hint = diag_suggest(kind, kinds, 5);
		if (strcmp(kind, "tracepoint") == 0)
			diag_error(&c->diag, l, "a tracepoint needs a category and an event: tracepoint:%s:EVENT", arg);
		else if (hint)
			diag_error(&c->diag, l, "unknown probe type '%s' (did you mean '%s'?)", kind, hint);
		else
			diag_error(&c->diag, l, "unknown probe type '%s' (known: kprobe, kretprobe, fentry, fexit, tracepoint, profile, interval, or a built-in probe such as nfs.read; see nfsq -l)", kind);
		p = ast_probe(c, PROBE_KPROBE, l, arena_printf(&c->arena, "%s:%s", kind, arg));
	}
	p->target = arg;
	return p;
}

/* interval:s:N, interval:ms:N, interval:us:N, interval:hz:N (bpftrace's spelling): N a plain
 * count of the unit (interval:s:1 is interval 1s; interval:hz:4 is every 250 ms); and
 * profile:UNIT:N, the same units on every CPU (a perf cpu-clock event: target "hz:99") */
static struct probe_ref *parse_timer(struct compilation *c, struct loc l, const char *kind,
				     struct loc kindloc, const char *unit, struct loc unitloc, int64_t n,
				     struct loc nloc)
{
	static const char *const units[] = {"s", "ms", "us", "hz"};
	static const int64_t ns[] = {1000000000, 1000000, 1000, 0};
	bool profile = strcmp(kind, "profile") == 0;
	struct probe_ref *p = ast_probe(c, profile ? PROBE_PROFILE : PROBE_INTERVAL, l,
					profile ? arena_printf(&c->arena, "profile:%s:%lld", unit, (long long)n)
						: "interval");
	unsigned i = 0;

	while (i < 4 && strcmp(unit, units[i]))
		i++;
	p->interval_ns = 1000000000; /* (after an error: no follow-on ones) */
	p->target = "hz:1";
	if (!profile && strcmp(kind, "interval") != 0) {
		static const char *const kinds[] = {"profile", "interval", "tracepoint"};
		const char *hint = diag_suggest(kind, kinds, 3);

		diag_error(&c->diag, kindloc, "unknown probe type '%s'%s%s%s; a probe KIND:UNIT:N is profile:hz:99 or interval:s:1",
			   kind, hint ? " (did you mean '" : "", hint ? hint : "", hint ? "'?)" : "");
	} else if (i == 4) {
		const char *hint = diag_suggest(unit, units, 4);
		diag_error(&c->diag, unitloc, "unknown %s unit '%s'%s%s%s; write %s:s:N, %s:ms:N, %s:us:N or %s:hz:N%s",
			   kind, unit, hint ? " (did you mean '" : "", hint ? hint : "", hint ? "'?)" : "",
			   kind, kind, kind, kind, profile ? "" : " (or interval 100ms)");
	} else if (strspn(c->src.text + nloc.begin, "0123456789") != nloc.end - nloc.begin) {
		diag_error(&c->diag, nloc, "%s:%s: takes a plain number (%s:%s:100)%s", kind, unit, kind,
			   unit, profile ? "" : "; a duration with its unit is written interval 100ms");
	} else if (n <= 0 || (ns[i] && n > INT64_MAX / ns[i])) {
		diag_error(&c->diag, nloc, "%s:%s:%lld is out of range", kind, unit, (long long)n);
	} else {
		p->interval_ns = ns[i] ? n * ns[i] : 1000000000 / n;
		p->target = arena_printf(&c->arena, "%s:%lld", unit, (long long)n);
	}
	return p;
}

/* x++ / x-- as a statement: x += 1 / x += -1 (bpftrace's meaning; the value is not used) */
static struct stmt *parse_step(struct compilation *c, struct loc l, struct expr *lhs, int step)
{
	struct stmt *s = ast_stmt(c, STMT_ASSIGN, l);

	s->u.assign.lhs = lhs;
	s->u.assign.rhs = ast_int(c, l, step);
	s->u.assign.add = true;
	s->u.assign.op = step > 0 ? "++" : "--";
	return s;
}

static struct expr *parse_local(struct compilation *c, struct loc l, const char *name)
{
	struct expr *v = ast_expr(c, EXPR_LOCAL, l);

	v->u.local.name = name;
	return v;
}

/* args.X, args->X (bpftrace's spellings of a tracepoint's or function's argument X): the
 * field X, as nfsq writes it */
static struct expr *parse_args_field(struct compilation *c, struct loc l, const char *base,
				     struct loc baseloc, const char *field, struct loc fieldloc)
{
	struct expr *e = ast_expr(c, EXPR_IDENT, fieldloc);

	(void)l;
	if (strcmp(base, "args") != 0)
		diag_error(&c->diag, baseloc, "only args has members here (args.%s or args->%s, or the field's name alone: %s); '%s' is not a struct",
			   field, field, field, base);
	e->u.ident.name = field;
	return e;
}

/* while (...) { }, unroll(N) { }, for ($kv : @m) { }: bpftrace's loops, not in nfsq yet */
static struct stmt *parse_loop(struct compilation *c, struct loc l, const char *name, struct loc nameloc,
			       struct expr *args, struct stmt *body)
{
	struct stmt *s;

	if ((!strcmp(name, "while") || !strcmp(name, "unroll")) && args && !args->next) {
		s = ast_stmt(c, name[0] == 'w' ? STMT_WHILE : STMT_UNROLL, l);
		s->u.ifs.cond = args;
		s->u.ifs.then = body;
		return s;
	}
	if (!strcmp(name, "while") || !strcmp(name, "unroll"))
		diag_error(&c->diag, nameloc, "%s takes one %s: %s", name, name[0] == 'w' ? "condition" : "count",
			   name[0] == 'w' ? "while ($i < 10) { ... }" : "unroll(4) { ... }");
	else if (!strcmp(name, "for"))
		diag_error(&c->diag, nameloc, "for loops over a map: for ($kv : @m) { ... }");
	else
		diag_error(&c->diag, nameloc, "'%s(...) { ... }' is not a statement: a block follows only if, else, while, unroll, for and a probe", name);
	return NULL;
}

/* for ($kv : @m) { ... } (bpftrace's): the body once per entry of @m, $kv its (key, value) */
static struct stmt *parse_for(struct compilation *c, struct loc l, const char *name, struct loc nameloc,
			      const char *var, struct loc varloc, struct expr *map, struct stmt *body)
{
	struct stmt *s;

	if (strcmp(name, "for") != 0) {
		diag_error(&c->diag, nameloc, "'%s ($x : @m) { ... }' is not a statement: for ($kv : @m) { ... } loops over a map", name);
		return NULL;
	}
	s = ast_stmt(c, STMT_FOR, l);
	s->u.ifs.var = ast_expr(c, EXPR_LOCAL, varloc);
	s->u.ifs.var->u.local.name = var;
	s->u.ifs.cond = map;
	s->u.ifs.then = body;
	return s;
}

/* 'default $N = literal;': an integer (units and a sign allowed) or a string; it also says
 * which type a given $N must have */
static void parse_default(struct compilation *c, struct loc l, const char *kw, int idx, struct loc argloc,
			  struct expr *value)
{
	struct program *p = c->prog;

	if (strcmp(kw, "default") != 0) {
		static const char *const dflt[] = {"default"};

		diag_error(&c->diag, l, "unexpected '%s $%s' at the top level%s: a clause is PROBE { ... }, and "
					"'default $N = VALUE;' gives an argument a default",
			   kw, idx ? arena_printf(&c->arena, "%d", idx) : "#",
			   diag_suggest(kw, dflt, 1) ? " (did you mean 'default'?)" : "");
		return;
	}
	if (idx == 0) {
		diag_error(&c->diag, argloc, "$# is the number of arguments given; it cannot have a default");
		return;
	}
	if (value->kind == EXPR_UNARY && value->u.unary.op == UNOP_NEG && value->u.unary.arg->kind == EXPR_INT) {
		struct expr *n = value->u.unary.arg;

		n->u.num = -n->u.num;
		n->loc = value->loc;
		value = n;
	}
	if (value->kind != EXPR_INT && value->kind != EXPR_STR) {
		diag_error(&c->diag, value->loc, "the default of $%d must be an integer or a string literal", idx);
		return;
	}
	if (p->arg_default[idx]) {
		diag_error(&c->diag, argloc, "$%d has a default already", idx);
		diag_note(&c->diag, p->arg_default[idx]->loc, "its default is given here");
		return;
	}
	p->arg_default[idx] = value;
}

/* break; and continue; (a name alone as a statement is nothing else) */
static struct stmt *parse_jump(struct compilation *c, struct loc l, const char *name)
{
	if (!strcmp(name, "break"))
		return ast_stmt(c, STMT_BREAK, l);
	if (!strcmp(name, "continue"))
		return ast_stmt(c, STMT_CONTINUE, l);
	diag_error(&c->diag, l, "'%s' alone is not a statement (a call needs parentheses: %s(...))", name, name);
	return NULL;
}

/* (uintN)x and (intN)x, bpftrace's casts: x cut to N bits, then zero- or sign-extended
 * (nfsq's integers are 64-bit): x & (2^N - 1), or (x << (64 - N)) >> (64 - N) */
static struct expr *parse_cast(struct compilation *c, struct loc l, const char *type, struct expr *e)
{
	bool is_signed = type[0] == 'i';
	int bits = atoi(type + (is_signed ? 3 : 4));
	struct expr *r;

	if (bits == 64)
		r = e;
	else if (!is_signed)
		r = ast_binary(c, l, BINOP_AND, e, ast_int(c, l, (int64_t)((1ull << bits) - 1)));
	else
		r = ast_binary(c, l, BINOP_SHR, ast_binary(c, l, BINOP_SHL, e, ast_int(c, l, 64 - bits)),
			       ast_int(c, l, 64 - bits));
	r->loc = l;
	return parse_nested(c, r);
}

/* Refuses expressions nested deeper than AST_MAX_DEPTH (the passes recurse). */
static struct expr *parse_nested(struct compilation *c, struct expr *e)
{
	if (e->depth == AST_MAX_DEPTH + 1)
		diag_error(&c->diag, e->loc, "expression nested too deeply (more than %d levels); split it with $locals",
			   AST_MAX_DEPTH);
	return e;
}
