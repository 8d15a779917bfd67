/* compile.c - the front end's driver: scan + parse (then sema.c and record.c check it). */
#include "compile.h"

#include <string.h>

#include "lex.h"
#include "parser.h"
#include "lexer.h"

int compile_init(struct compilation *c, const char *name, const char *text, size_t len,
		 int argc, char **argv, FILE *diag_out)
{
	memset(c, 0, sizeof(*c));
	arena_init(&c->arena);
	if (len > UINT32_MAX - 1 || src_init(&c->src, name, text, (uint32_t)len) != 0)
		return -1;
	diag_init(&c->diag, &c->src, diag_out);
	c->prog = arena_alloc(&c->arena, sizeof(*c->prog));
	c->argc = argc;
	c->argv = argv;
	return 0;
}

int compile_parse(struct compilation *c)
{
	struct lex_state st = {.c = c};
	yyscan_t scanner;
	int rc = -1;
	if (nfsq_yylex_init_extra(&st, &scanner) != 0)
		return -1;
	YY_BUFFER_STATE buf = nfsq_yy_scan_bytes(c->src.text, (int)c->src.len, scanner);
	if (!buf)
		goto cleanup;
	rc = nfsq_yyparse(scanner, c);
	nfsq_yy_delete_buffer(buf, scanner);
cleanup:
	nfsq_yylex_destroy(scanner);
	return rc == 0 && c->diag.nerrors == 0 ? 0 : -1;
}

void compile_free(struct compilation *c)
{
	arena_free(&c->arena);
	src_free(&c->src);
}
