/* walk.h - the one place that knows every node's children. A pass that only needs
 * to visit nodes (not to compute a value per node) sets the hooks it cares about
 * and calls walk_program; a new node kind is then a -Wswitch error in walk.c only. */
#ifndef NFSQ_WALK_H
#define NFSQ_WALK_H

#include "ast.h"

struct walk {
	/* Called on each node before its children (pre-order: a clause's predicate, then
	 * its body; an assignment's target, then its value). false skips the children. */
	bool (*expr)(struct walk *w, struct expr *e);
	bool (*stmt)(struct walk *w, struct stmt *s);
	void (*expr_after)(struct walk *w, struct expr *e); /* after the children */
	void (*stmt_after)(struct walk *w, struct stmt *s);
	/* an if statement's branch is next: its then list (els false) or its else list */
	void (*branch)(struct walk *w, struct stmt *s, bool els);
	struct clause *clause; /* the clause being walked (set by walk_program) */
	bool lvalue;           /* in expr: e is the target of an assignment */
	void *ctx;             /* the pass's own state */
};

void walk_program(struct walk *w, struct program *p);
/* The call a function-call statement is made of (printf(...), print(@m), ...), or NULL. */
struct expr *walk_stmt_call(struct stmt *s);
void walk_stmts(struct walk *w, struct stmt *s); /* a list */
void walk_expr(struct walk *w, struct expr *e);  /* one expression and its children */

#endif
