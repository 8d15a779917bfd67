/* facts.h - the kernel facts in a resolved probe definition, for compiled files.
 *
 * Resolving a probe for a script (probe_resolve, probe_tracepoint) finds facts of the
 * running kernel: the attach point chosen, the recipe of each field, and the offsets and
 * addresses its reads use. A walk of the definition, over the fields a clause reads, gives
 * its shape (a text: the kinds of attach points, read kinds, sizes, everything but the
 * attach points' names, the offsets, the arguments' positions and signedness), its slots
 * (each offset, argument position, signedness or address, in a fixed order) and its
 * attach points. A compiled file keeps
 * the shape and where each slot's value went in its code; on the kernel it runs on,
 * nfsq-run resolves the probe again and walks it: the same shape means the same code
 * fits, with the new slots' values patched in (contract/fix.h). */
#ifndef NFSQ_FACTS_H
#define NFSQ_FACTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "probe.h"

enum probe_fact_width {
	PROBE_FACT_S32 = 1, /* an int32_t member offset */
	PROBE_FACT_U32,     /* a uint32_t tracepoint record offset, or an argument's position */
	PROBE_FACT_U64,     /* a kernel address */
	PROBE_FACT_BOOL,    /* whether an integer read is signed */
};

struct probe_fact {
	const void *slot; /* in the definition walked */
	enum probe_fact_width width;
};

/* One walk (zeroed to begin; several walks may add to it; free with probe_facts_free). */
struct probe_facts {
	char *shape;
	size_t len, cap;
	struct probe_fact *slots;
	unsigned nslots, slots_cap;
	/* the attach points (a start or single event, then the end event or ""), in order: a
	 * probe whose events are other functions here (6.4's nfs_do_create for nfs_create)
	 * but read the same way attaches the same code there */
	const char **targets;
	unsigned ntargets, targets_cap;
	bool oom;
};

/* Walks a resolved built-in probe (its `also` chain too), over the fields used. */
void probe_facts_builtin(struct probe_facts *w, const struct probe_def *d, const char *const *used,
			 unsigned nused);
/* Walks a tracepoint's definition (probe_tracepoint), over the fields used. */
void probe_facts_tracepoint(struct probe_facts *w, const struct probe_def *d, const char *const *used,
			    unsigned nused);
/* The value in a slot (sign-extended). */
int64_t probe_fact_value(const struct probe_fact *f);
/* NULL when shapes a and b are the same; else what they first differ in ("field 'path'",
 * "its attach point", "its guard"), in name (len bytes). */
const char *probe_facts_diff(const char *a, const char *b, char *name, size_t len);
void probe_facts_free(struct probe_facts *w);

#endif
