/* symbols.h - kstack, ustack and ksym() values printed as frames and symbol names. */
#ifndef NFSQ_SYMBOLS_H
#define NFSQ_SYMBOLS_H

#include "rt.h"

enum rt_sym_style {
	RT_SYM_KEY,    /* a map key in text: "\n    frame\n    frame\n" (bpftrace's) */
	RT_SYM_PRINTF, /* a printf %s: frames indented by 8 (bpftrace's) */
	RT_SYM_FOLDED, /* JSON and Prometheus: "root;...;leaf", flame graphs' folded stacks */
};

/* The stack map of the loaded object (-1: it has none). */
void rt_sym_open(int stacks_fd);
/* Frees the symbol caches. */
void rt_sym_close(void);
/* v, a value of type t (type_is_symbolic), as text. */
void rt_sym_format(struct rt_buf *b, struct type t, uint64_t v, enum rt_sym_style style);

#endif
