/* fuzz_front.c - libFuzzer target: the front end (lexer, parser, semantic passes) on
 * arbitrary bytes. Any crash, leak, hang or sanitizer report is a bug: bad input must
 * only ever produce diagnostics. */
#include <stdint.h>
#include <stdio.h>

#include "lang/compile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	static char *argv[] = {"1", "2", NULL};
	struct compilation c;

	if (!devnull && !(devnull = fopen("/dev/null", "w")))
		return 0;
	if (compile_init(&c, "fuzz.nfsq", (const char *)data, size, 2, argv, devnull) == 0 &&
	    compile_parse(&c) == 0)
		compile_check(&c);
	compile_free(&c);
	return 0;
}
