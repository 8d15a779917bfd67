/* driver.h - the whole engine for one checked script: compile it to BPF (codegen/),
 * then either dump it (-d ir, -d bpf) or run it (runtime/). */
#ifndef NFSQ_DRIVER_H
#define NFSQ_DRIVER_H

#include "../lang/ast.h"
#include "../runtime/run.h"

enum dump_kind {
	DUMP_NONE,
	DUMP_IR,  /* -d ir: the LLVM IR, then stop */
	DUMP_BPF, /* -d bpf: the BPF disassembly, then stop */
};

/* Compiles c (checked) and dumps or runs it. Returns the process exit code
 * (base/exitcode.h). */
int driver_run(struct compilation *c, enum dump_kind dump, const struct run_options *o);

/* --compile: compiles c (checked) into the file at path (contract/file.h) for running
 * later with nfsq FILE or nfsq-run FILE; version is nfsq's. Returns the exit code. */
int driver_compile(struct compilation *c, const char *path, const char *version, const struct run_options *o);

#endif
