/* codegen.h - the typed AST lowered to LLVM IR and compiled by LLVM's BPF back end
 * into a BPF ELF object in memory (programs, BTF-described maps, line info). */
#ifndef NFSQ_CODEGEN_H
#define NFSQ_CODEGEN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../lang/ast.h"
#include "layout.h"

/* How a program of the object is run. */
enum cg_prog_kind {
	CG_PROG_TRACEPOINT, /* attached to tracepoint `target` ("category:event") */
	CG_PROG_KPROBE,     /* attached to kernel function entry `target` */
	CG_PROG_KRETPROBE,  /* attached to kernel function return `target` */
	CG_PROG_RAW_TRACEPOINT, /* attached to raw tracepoint `target` ("event") */
	CG_PROG_FENTRY,     /* attached to kernel function entry `target` through BTF */
	CG_PROG_FEXIT,      /* attached to kernel function return `target` through BTF */
	CG_PROG_BEGIN,      /* run once by the runtime before the probes fire */
	CG_PROG_END,        /* run once by the runtime at the end */
	CG_PROG_INTERVAL,   /* run by the runtime every interval_ns */
};

struct cg_prog {
	char name[16];              /* program (function) name in the object */
	enum cg_prog_kind kind;
	const char *target;         /* TRACEPOINT/K(RET)PROBE */
	int64_t interval_ns;        /* INTERVAL */
	const struct clause *clause;
	const struct probe_ref *probe;
	const struct probe_def *def; /* the probe's definition (built-in: resolved for this kernel) */
	bool is_start;              /* start half of a start/end pair (no clause body) */
};

struct cg_options {
	bool filter_pid;      /* -p: compile the tgid filter in (the pid itself is in the config map) */
	const char *cache_dir; /* objects cached by IR hash here (NULL: no cache) */
	uint32_t map_size;    /* entries per map (0 = LAYOUT_MAP_SIZE_DEFAULT) */
	int opt_level;        /* 0: none, 1: light pipeline (default), 2: more passes (cg_optimize) */
	bool want_ir;         /* keep the IR text in cg_object.ir */
	uint32_t test_reject_line; /* tests only: emit code the verifier rejects at this line */
};

struct cg_object {
	void *elf;            /* the BPF ELF object (malloc'd) */
	size_t elf_size;
	char *ir;             /* LLVM IR text when want_ir (malloc'd) */
	struct cg_prog *progs; /* from the compilation's arena */
	unsigned nprogs;
	struct map_layout *maps; /* program maps, indexed by map_info.id (arena) */
	unsigned nmaps;
	uint32_t map_size;
	double ms_ir, ms_opt, ms_emit; /* timings for -v */
	bool cached;          /* the object came from the cache */
	unsigned unavailable; /* errors that are facts of the kernel: probes it cannot give */
};

#define CG_RINGBUF_NAME "nfsq_events"
#define CG_DROPS_NAME "nfsq_drops"
#define CG_STATE_NAME "nfsq_state"
#define CG_SCRATCH_NAME "nfsq_scratch"
#define CG_CFG_NAME "nfsq_cfg"

/* Compiles the checked program. Errors go to c->diag; returns 0 on success. */
int cg_compile(struct compilation *c, const struct cg_options *o, struct cg_object *obj);
void cg_object_free(struct cg_object *obj);
/* 0 when every call in the program is to a read-only helper nfsq allows (safety.c);
 * else -1 and why says which instruction calls what. */
struct bpf_insn;
int cg_check_calls(const struct bpf_insn *insns, size_t n, char *why, size_t len);
/* Writes the disassembly of every program section of an object (for -d bpf). */
int cg_disasm(const void *elf, size_t size, FILE *out);

#endif
