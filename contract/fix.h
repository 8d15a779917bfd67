/* fix.h - kernel facts patched into a compiled object at load (issue #22).
 *
 * A compiled file's code holds each kernel fact its probes' reads need (a member offset,
 * a tracepoint record offset, a kernel address) as a marker: a 64-bit immediate load
 * (ld_imm64) whose high word is CT_FIX_MAGIC and whose low word numbers the fact. At
 * compile time each marker gets the compiling kernel's value and its place is kept as a
 * patch: which record (a probe as a clause resolved it, probes/facts.h) and which slot of
 * that record's walk. On the kernel a file runs on, each record is resolved again; when
 * its shape is the compiling kernel's, the patches take the new slots' values. */
#ifndef NFSQ_FIX_H
#define NFSQ_FIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CT_FIX_MAGIC 0x6e667371u /* "nfsq" */

enum ct_fix_kind {
	CT_FIX_BUILTIN,    /* a built-in probe, resolved for the fields used */
	CT_FIX_TRACEPOINT, /* tracepoint "category:event", by its format file */
};

struct ct_fix_rec {
	uint32_t kind; /* enum ct_fix_kind */
	const char *name;
	const char **used; /* the fields the clause reads */
	uint32_t nused;
	const char *shape; /* the walk's shape on the compiling kernel */
	const char **targets; /* its attach points there (probes/facts.h) */
	uint32_t ntargets;
};

struct ct_fix_patch {
	const char *section; /* the program section */
	uint32_t insn;       /* the ld_imm64's index in it */
	uint32_t rec, slot;  /* its value: slot `slot` of record `rec`'s walk */
};

struct ct_fixups {
	bool portable; /* every kernel fact of the code is a patch (else the file runs only on
			  the kernel build it was compiled on) */
	bool no_fentry; /* its probes were resolved without fentry (nfsq --no-fentry): so again at load */
	struct ct_fix_rec *recs;
	unsigned nrecs;
	struct ct_fix_patch *patches;
	unsigned npatches;
};

/* Calls fn for each marker in the program sections of the ELF object (section name,
 * instruction index, the marker's number), stopping at fn's first non-zero return, which
 * it returns; -1 when the ELF is damaged. */
int ct_fix_scan(const void *elf, size_t size,
		int (*fn)(void *arg, const char *section, uint32_t insn, uint32_t num), void *arg);
/* Sets the marker at instruction insn of section (found by ct_fix_scan, maybe set since)
 * to v. 0, or -1 when no ld_imm64 is there. */
int ct_fix_set(void *elf, size_t size, const char *section, uint32_t insn, uint64_t v);

#endif
