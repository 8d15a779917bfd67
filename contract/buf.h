/* buf.h - a growing byte buffer and a bounds-checked reader: how compiled programs are
 * written to files (contract/file.c, the object cache of codegen/cg_cache.c) and read back.
 * Numbers are written as the machine holds them: a file is read by the nfsq (or nfsq-run)
 * of the same architecture. */
#ifndef NFSQ_BUF_H
#define NFSQ_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/arena.h"
#include "object.h"

struct ct_buf {
	char *p;
	size_t len, cap;
	bool oom; /* an allocation failed: the buffer is incomplete */
};

void ct_buf_put(struct ct_buf *b, const void *v, size_t n);
void ct_buf_put_u32(struct ct_buf *b, uint32_t v);
/* A string as its length with the NUL (0: NULL), then its bytes. */
void ct_buf_put_str(struct ct_buf *b, const char *s);
/* The programs' table: a count, then each program's fields and strings. */
void ct_buf_put_progs(struct ct_buf *b, const struct ct_prog *progs, unsigned n);

/* A reader of [p, end): each get is false (and reads nothing) past the end. */
struct ct_rd {
	const char *p, *end;
};
bool ct_rd_get(struct ct_rd *r, void *v, size_t n);
bool ct_rd_u32(struct ct_rd *r, uint32_t *v);
/* A string written by ct_buf_put_str, copied into a (NULL stays NULL). */
bool ct_rd_str(struct ct_rd *r, struct arena *a, const char **s);
/* A table written by ct_buf_put_progs; the programs and their strings in a. */
bool ct_rd_progs(struct ct_rd *r, struct arena *a, struct ct_prog **progs, unsigned *n);

/* The 128-bit FNV-style hash both files use to tell a whole file from a damaged one. */
void ct_hash(const void *p, size_t n, uint64_t h[2]);
#define CT_HASH_INIT {0xcbf29ce484222325ull, 0x84222325cbf29ce4ull}

#endif
