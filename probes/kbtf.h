/* kbtf.h - the running kernel's BTF for the probe resolver (internal to probes/):
 * vmlinux and the NFS modules' split BTF, a name index, member and parameter lookup,
 * and prototypes declared by the catalogue for kernels that have no module BTF. */
#ifndef NFSQ_KBTF_H
#define NFSQ_KBTF_H

#include <bpf/btf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "probe.h"

/* The BTF (vmlinux or a module's, split on vmlinux) that defines name as kind; NULL
 * when none does. */
struct btf *kbtf_find(const char *name, int kind, __s32 *id);
/* Skips typedefs and qualifiers. */
__u32 kbtf_strip(const struct btf *btf, __u32 id);
bool kbtf_is_char(const struct btf *btf, __u32 id);
/* A struct only declared in one BTF is looked up, complete, in the others; *btf switches
 * to where it is. Still a BTF_KIND_FWD when no BTF here has its layout. */
const struct btf_type *kbtf_complete(struct btf **btf, __u32 *id);
/* Member name of struct/union id (looking into anonymous members): its type, and its
 * byte offset added to *off. */
bool kbtf_member(struct btf **btfp, __u32 id, const char *name, __u32 *type, int32_t *off);
/* The index (after skip) and type of the first parameter of proto of type "struct NAME *". */
int kbtf_param(const struct btf *btf, const struct btf_type *proto, const char *sname,
	       unsigned skip, __u32 *type);
/* The prototype of at's start (or end) function or raw tracepoint; for a kprobe without
 * BTF, the prototype at->proto declares, where the kernel is one the declaration is for.
 * NULL with the reason in err. */
const struct btf_type *kbtf_proto(const struct probe_attach *at, bool end, struct btf **btf,
				  unsigned *skip, char *err, size_t errlen);
/* The id of a pointer type to type id in btf; -1 when btf has none. */
__s32 kbtf_ptr_to(const struct btf *btf, __u32 id);
/* Why struct `name` has no layout here (a module's type on a kernel without its BTF). */
void kbtf_why_unknown(const char *name, char *err, size_t errlen);
#endif
