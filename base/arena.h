/* arena.h - one arena per compilation: every AST node, string and table of a
 * compilation is carved from it and freed at once by arena_free(). */
#ifndef NFSQ_ARENA_H
#define NFSQ_ARENA_H

#include <stddef.h>

struct arena_block;

struct arena {
	struct arena_block *head; /* newest block first */
	size_t used;              /* bytes used in head */
	size_t total;             /* bytes handed out, for -v statistics */
};

void arena_init(struct arena *a);
/* Zeroed memory, aligned for any type. Out of memory: one line on stderr, exit 3. */
void *arena_alloc(struct arena *a, size_t size);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_strdup(struct arena *a, const char *s);
char *arena_printf(struct arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void arena_free(struct arena *a);

#endif
