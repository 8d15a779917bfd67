/* lex.h - state shared by the scanner and the parser (not bison's headers). */
#ifndef NFSQ_LEX_H
#define NFSQ_LEX_H

#include "ast.h"

#define LEX_MAX_BRACES 64

struct lex_state {
	struct compilation *c;
	uint32_t offset;                   /* byte offset of the next character */
	struct loc braces[LEX_MAX_BRACES]; /* open '{' for "block opened here" notes */
	unsigned nbraces;                  /* depth, may exceed LEX_MAX_BRACES */
	uint32_t bad_end;                  /* end of the last reported bad character run */
	bool in_pred;                      /* between a predicate's '/' and its end (ENDPRED) */
};

#endif
