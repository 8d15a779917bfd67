/* compile.h - the front end's driver: source -> AST -> typed AST. */
#ifndef NFSQ_COMPILE_H
#define NFSQ_COMPILE_H

#include <stddef.h>
#include <stdio.h>

#include "ast.h"

/* Sets up c for a script; diagnostics go to diag_out. 0 on success. */
int compile_init(struct compilation *c, const char *name, const char *text, size_t len,
		 int argc, char **argv, FILE *diag_out);
/* Parses the script into c->prog. 0 when there were no errors. */
int compile_parse(struct compilation *c);
/* Runs the semantic passes (names, types, maps, printf formats). 0 when no errors. */
int compile_check(struct compilation *c);
void compile_free(struct compilation *c);
/* The last pass of compile_check (record.c): what codegen and the runtime need to know
 * about uses, recorded in the clauses and map_info. */
void record_uses(struct compilation *c);

#endif
