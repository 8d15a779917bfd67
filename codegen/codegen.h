/* codegen.h - the typed AST lowered to LLVM IR and compiled by LLVM's BPF back end
 * into a BPF ELF object in memory (programs, BTF-described maps, line info). */
#ifndef NFSQ_CODEGEN_H
#define NFSQ_CODEGEN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../contract/layout.h"
#include "../contract/object.h"
#include "../lang/ast.h"
#include "../probes/probe.h"

struct cg_prog {
	char name[16]; /* program (function) name in the object */
	enum ct_prog_kind kind;
	enum attach_kind attach; /* CT_PROG_ATTACH: how */
	const char *target;      /* CT_PROG_ATTACH: to what */
	int64_t interval_ns;     /* INTERVAL */
	const struct clause *clause;
	const struct probe_ref *probe;
	const struct probe_def *def; /* the probe's definition (built-in: resolved for this kernel) */
	bool is_start;               /* start half of a start/end pair (no clause body) */
	bool is_stamp;               /* the stamp program of a pair's alternative (no clause body) */
	struct cg_start *start; /* a pair's start record: maps and layout (cg.h) */
	/* fused: the (clause, probe)s on one attach point (or BEGIN / END), each a cg_prog of
	 * its own, run in turn by this program (clause, probe: the first's); 0: just this one */
	const struct cg_prog *members;
	unsigned nmembers;
};

struct cg_options {
	bool filter_pid;           /* -p: compile the tgid filter in (the pid itself is in the config map) */
	const char *cache_dir;     /* objects cached by IR hash here (NULL: no cache) */
	uint32_t map_size;         /* entries per map (0 = LAYOUT_MAP_SIZE_DEFAULT) */
	int opt_level;             /* 0: none, 1: light pipeline (default), 2: more passes (cg_optimize) */
	bool want_ir;              /* keep the IR text in cg_object.ir */
	uint32_t test_reject_line; /* tests only: emit code the verifier rejects at this line */
	bool portable;             /* kernel facts as markers patched at load (a compiled file) */
};

/* The object as codegen builds it (codegen.c). */
struct cg_object {
	void *elf; /* the BPF ELF object (malloc'd) */
	size_t elf_size;
	char *ir;              /* LLVM IR text when want_ir (malloc'd) */
	struct cg_prog *progs; /* from the compilation's arena (NULL when from the cache) */
	unsigned nprogs;
	struct ct_prog *ct_progs; /* the runtime's view of progs (arena) */
	struct map_layout *maps; /* program maps, indexed by map_info.id (arena) */
	unsigned nmaps;
	uint32_t map_size;
	double ms_ir, ms_opt, ms_emit; /* timings for -v */
	bool cached;                   /* the object came from the cache */
	unsigned unavailable;          /* errors that are facts of the kernel: probes it cannot give */
	struct ct_fixups fix;          /* portable: the kernel facts' records and patches (arena) */
};

/* What compiling took and found, for -v and the exit code. */
struct cg_info {
	double ms_ir, ms_opt, ms_emit; /* timings */
	bool cached;                   /* the object came from the cache */
	unsigned unavailable;          /* errors that are facts of the kernel: probes it cannot give */
};

/* Compiles the checked program into obj (free it with ct_object_free; its tables live
 * in the compilation's arena). Errors go to c->diag; returns 0 on success. */
int cg_compile(struct compilation *c, const struct cg_options *o, struct ct_object *obj,
	       struct cg_info *info);
/* Writes the disassembly of every program section of an object (for -d bpf). */
int cg_disasm(const void *elf, size_t size, FILE *out);

#endif
