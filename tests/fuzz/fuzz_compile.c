/* fuzz_compile.c - libFuzzer target: the whole compilation, front end then LLVM
 * code generation down to a BPF object (never loaded), on arbitrary bytes. Built-in
 * NFS probes cannot be resolved on a kernel without NFS; raw tracepoints can. */
#include <stdint.h>
#include <stdio.h>

#include "codegen/codegen.h"
#include "lang/compile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	static char *argv[] = {"1", "2", NULL};
	struct cg_options co = {.opt_level = 1};
	struct ct_object obj;
	struct cg_info info;
	struct compilation c;

	if (!devnull && !(devnull = fopen("/dev/null", "w")))
		return 0;
	if (compile_init(&c, "fuzz.nfsq", (const char *)data, size, 2, argv, devnull) == 0 &&
	    compile_parse(&c) == 0 && compile_check(&c) == 0) {
		cg_compile(&c, &co, &obj, &info);
		ct_object_free(&obj);
	}
	compile_free(&c);
	return 0;
}
