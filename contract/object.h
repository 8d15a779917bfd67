/* object.h - the contract between the compiler and the runtime: what a compiled
 * program is made of, with no reference to the syntax tree or to LLVM. The front end
 * (lang/) fills the map and printf descriptions, codegen/ the programs and the BPF
 * object; runtime/ loads, runs and prints from this alone. */
#ifndef NFSQ_OBJECT_H
#define NFSQ_OBJECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/diag.h"
#include "../base/types.h"
#include "fix.h"

struct probe_def;
struct map_layout;

enum agg_kind {
	AGG_NONE,  /* not an aggregation: @m[k] = expr stores the last value */
	AGG_COUNT, /* count() */
	AGG_SUM,   /* sum(x) */
	AGG_AVG,   /* avg(x) */
	AGG_MIN,   /* min(x) */
	AGG_MAX,   /* max(x) */
	AGG_STATS, /* stats(x): count, avg, total (and min, max) */
	AGG_HIST,  /* hist(x): power-of-two buckets */
	AGG_LHIST, /* lhist(x, min, max, step): linear buckets */
};
const char *agg_name(enum agg_kind k); /* "count", ... */

/* One map of the program; shared by every use of the same name. */
struct map_info {
	const char *name; /* "@name" or "@" */
	unsigned id;      /* 0..nmaps-1 in order of first use */
	unsigned nkeys;
	struct type *keys; /* nkeys key types */
	enum agg_kind agg;
	struct type value;                        /* AGG_NONE: the stored value's type; else int */
	int64_t lhist_min, lhist_max, lhist_step; /* AGG_LHIST */
	/* where it is used (lang/record.c), for names and help texts (the exporter) */
	const char **key_names; /* nkeys: each key's name as written (a field, a builtin or a
				 * $local without '$') in the first keyed assignment, else the
				 * first keyed use; NULL where the key is an expression */
	bool have_first;        /* first: the first assignment, else the first use */
	struct loc first;
	bool clause_first; /* it is the first map its clause uses: clause_loc is the clause */
	struct loc clause_loc;
	/* front end only (lang/sema.c) */
	bool keys_known; /* nkeys is set (a whole-map use like print(@m) does not say) */
	struct loc def;  /* first assignment, for "defined here" notes */
	bool assigned;   /* some statement writes it */
	bool read_early; /* read (as an int) before its first assignment */
	struct loc read_loc;
};

/* One printf call site: the format split into pieces and the event layout. */
struct printf_arg {
	struct type type;
	uint32_t offset;  /* in the event record */
	char conv;        /* conversion: d u x X s c e (errno name) */
	const char *spec; /* the whole C-style spec as written, e.g. "%-8s" */
	const char *strftime; /* strftime(fmt, ns): the argument is ns on the monotonic clock,
			       * printed (%s) as the wall-clock time in fmt (NULL: not one) */
	bool ratio; /* %f %g of a / b: a and b (s64 each), printed as their quotient in
		     * floating point (BPF has none: the division is done when printed) */
};

struct printf_info {
	unsigned id;     /* event id written first in the record */
	const char *fmt; /* the format string as written (escapes applied) */
	unsigned nargs;
	struct printf_arg *args;
	uint32_t size; /* record size: 8-byte id + args, 8-byte aligned */
	bool time;     /* time(fmt): fmt is strftime's, of the time the event is printed */
};

/* How a program of the object is run. */
enum ct_prog_kind {
	CT_PROG_ATTACH,   /* attached to `target` the way its attach kind says */
	CT_PROG_BEGIN,    /* run once by the runtime before the probes fire */
	CT_PROG_END,      /* run once by the runtime at the end */
	CT_PROG_INTERVAL, /* run by the runtime every interval_ns */
};

struct ct_prog {
	char name[16]; /* program (function) name in the object */
	enum ct_prog_kind kind;
	unsigned attach;             /* ATTACH: an enum attach_kind (probes/probe.h, attach.c) */
	const char *target;          /* ATTACH: "category:event", a function, a raw tracepoint */
	int64_t interval_ns;         /* INTERVAL */
	const char *probe;           /* the probe as the script names it (NULL: none); fused: "a or b" */
	unsigned nprobes;            /* the (clause, probe)s it runs: 1, or more when fused */
	bool builtin;                /* a built-in (NFS) probe */
	/* FENTRY / FEXIT: the target's BTF id and module (NULL: vmlinux), fixed for a boot and
	 * set of modules like the object itself (0: not known) */
	int32_t btf_id;
	const char *btf_module;
	bool is_start;               /* start half of a start/end pair (no clause body) */
};

/* A compiled program. Its tables live as long as the compilation that made it. */
struct ct_object {
	void *elf; /* the BPF ELF object (malloc'd) */
	size_t elf_size;
	char *ir; /* LLVM IR text when asked for (malloc'd) */
	struct ct_prog *progs;
	unsigned nprogs;
	struct map_layout *maps; /* program maps, indexed by map_info.id */
	unsigned nmaps;
	uint32_t map_size;            /* entries per hash map */
	struct printf_info **printfs; /* by printf id */
	unsigned nprintfs;
	const struct src *src; /* the script, for messages that point into it */
	struct ct_fixups fix;  /* a compiled file's kernel facts (fix.h) */
};
void ct_object_free(struct ct_object *obj); /* the malloc'd parts */
/* What a program is called in messages and metrics: its probe as the script names it, or
 * its attach target. */
const char *ct_prog_label(const struct ct_prog *p);

/* 0 when every call in the program is to a read-only helper nfsq allows (safety.c);
 * else -1 and why says which instruction calls what. */
struct bpf_insn;
int ct_check_calls(const struct bpf_insn *insns, size_t n, char *why, size_t len);

/* Names of the objects' own maps. */
#define CT_RINGBUF_NAME "nfsq_events"
#define CT_DROPS_NAME "nfsq_drops"
#define CT_STATE_NAME "nfsq_state"
#define CT_SCRATCH_NAME "nfsq_scratch"
#define CT_CFG_NAME "nfsq_cfg"
#define CT_STACKS_NAME "nfsq_stacks"   /* kstack, ustack: the frames (contract/layout.h) */
#define CT_STACKBUF_NAME "nfsq_stkbuf" /* a per-CPU buffer to read a stack into */

#endif
