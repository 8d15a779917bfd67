/* kbtf.c - the running kernel's BTF, for the probe resolver: vmlinux and the NFS
 * modules' split BTF, found by name through an index; members, parameters and
 * prototypes; and, for kernels without module BTF (before Linux 5.11), the prototypes
 * the catalogue declares, built as BTF on top of vmlinux's so that recipes read the
 * core kernel's structs (kiocb, file, dentry, inode) exactly as they do elsewhere. */
#include "kbtf.h"
#include "../base/hash.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

/* Modules whose BTF may hold NFS functions and types, searched in order. */
static const char *const kbtf_modules[] = {"nfs", "nfsv4", "nfsv3", "sunrpc", "nfsd", "lockd"};
#define NMODULES (sizeof(kbtf_modules) / sizeof(kbtf_modules[0]))

static struct btf *kbtf_vmlinux;
static struct btf *kbtf_mod[NMODULES];
static bool kbtf_loaded;

static void kbtf_load(void)
{
	if (kbtf_loaded)
		return;
	kbtf_loaded = true;
	kbtf_vmlinux = btf__load_vmlinux_btf();
	if (!kbtf_vmlinux)
		return;
	for (unsigned i = 0; i < NMODULES; i++)
		kbtf_mod[i] = btf__load_module_btf(kbtf_modules[i], kbtf_vmlinux);
}

/* Names to type ids of vmlinux's BTF, an open-addressing hash built once: libbpf 1.1's
 * btf__find_by_name_kind scans every type (about 126 000), and a module's split BTF scans
 * vmlinux's too, which made each lookup cost milliseconds (tens of them in a TCG VM). */
static __u32 *kbtf_index;
static size_t kbtf_index_mask;

static size_t kbtf_hash(const char *s)
{
	return (size_t)hash_bytes(HASH_INIT, s, strlen(s));
}

static void kbtf_index_build(void)
{
	__u32 n = btf__type_cnt(kbtf_vmlinux);
	size_t size = 1;
	while (size < 2 * (size_t)n)
		size <<= 1;
	kbtf_index = calloc(size, sizeof(__u32));
	if (!kbtf_index)
		return;
	kbtf_index_mask = size - 1;
	for (__u32 id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(kbtf_vmlinux, id);
		if (!t->name_off)
			continue;
		size_t h = kbtf_hash(btf__name_by_offset(kbtf_vmlinux, t->name_off));
		while (kbtf_index[h & kbtf_index_mask])
			h++;
		kbtf_index[h & kbtf_index_mask] = id;
	}
}

static __s32 kbtf_vmlinux_find(const char *name, int kind)
{
	if (!kbtf_index)
		return btf__find_by_name_kind(kbtf_vmlinux, name, kind);
	for (size_t h = kbtf_hash(name);; h++) {
		__u32 id = kbtf_index[h & kbtf_index_mask];
		if (!id)
			return -1;
		const struct btf_type *t = btf__type_by_id(kbtf_vmlinux, id);
		if (btf_kind(t) == kind && strcmp(btf__name_by_offset(kbtf_vmlinux, t->name_off), name) == 0)
			return (__s32)id;
	}
}

/* A type of a module's own (not the vmlinux types its split BTF starts with). */
static __s32 kbtf_module_find(const struct btf *btf, const char *name, int kind)
{
	for (__u32 id = btf__type_cnt(kbtf_vmlinux), n = btf__type_cnt(btf); id < n; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		if (btf_kind(t) == kind && t->name_off &&
		    strcmp(btf__name_by_offset(btf, t->name_off), name) == 0)
			return (__s32)id;
	}
	return -1;
}

bool probe_old_kernel;

/* The BTF (vmlinux or a module's, split on vmlinux) that defines name as kind. */
struct btf *kbtf_find(const char *name, int kind, __s32 *id)
{
	kbtf_load();
	for (unsigned i = 0; i < NMODULES && !probe_old_kernel; i++)
		if (kbtf_mod[i] && (*id = kbtf_module_find(kbtf_mod[i], name, kind)) > 0)
			return kbtf_mod[i];
	if (!kbtf_vmlinux)
		return NULL;
	if (!kbtf_index)
		kbtf_index_build();
	if ((*id = kbtf_vmlinux_find(name, kind)) > 0)
		return kbtf_vmlinux;
	return NULL;
}

bool probe_fentry = true;

/* Skips typedefs and qualifiers. */
__u32 kbtf_strip(const struct btf *btf, __u32 id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	while (t && (btf_is_typedef(t) || btf_is_const(t) || btf_is_volatile(t) || btf_is_restrict(t) || btf_is_type_tag(t))) {
		id = t->type;
		t = btf__type_by_id(btf, id);
	}
	return id;
}

bool kbtf_is_char(const struct btf *btf, __u32 id)
{
	const struct btf_type *t = btf__type_by_id(btf, kbtf_strip(btf, id));
	return t && btf_is_int(t) && t->size == 1;
}

/* A struct only declared in one BTF (a module's pointer to a struct of another
 * module) is looked up, complete, in the others; *btf switches to where it is. */
const struct btf_type *kbtf_complete(struct btf **btf, __u32 *id)
{
	const struct btf_type *t = btf__type_by_id(*btf, kbtf_strip(*btf, *id));
	if (!t || !btf_is_fwd(t))
		return t;
	const char *name = btf__name_by_offset(*btf, t->name_off);
	__s32 cid;
	struct btf *cbtf = name ? kbtf_find(name, btf_kflag(t) ? BTF_KIND_UNION : BTF_KIND_STRUCT, &cid)
				: NULL;
	if (!cbtf)
		return t;
	*btf = cbtf;
	*id = (__u32)cid;
	return btf__type_by_id(cbtf, (__u32)cid);
}

/* Finds member name in struct/union id, looking into anonymous members.
 * Returns the member's type and adds its byte offset to *off. */
bool kbtf_member(struct btf **btfp, __u32 id, const char *name, __u32 *type,
			   int32_t *off)
{
	const struct btf_type *t = kbtf_complete(btfp, &id);
	const struct btf *btf = *btfp;
	if (!t || !btf_is_composite(t))
		return false;
	const struct btf_member *m = btf_members(t);
	for (unsigned i = 0; i < btf_vlen(t); i++, m++) {
		__u32 bits = btf_member_bit_offset(t, i);
		const char *mname = btf__name_by_offset(btf, m->name_off);
		if (mname && *mname) {
			if (strcmp(mname, name) != 0)
				continue;
			if (btf_member_bitfield_size(t, i) || bits % 8)
				return false; /* bit fields are not readable */
			*type = m->type;
			*off += (int32_t)(bits / 8);
			return true;
		}
		int32_t inner = *off + (int32_t)(bits / 8);
		if (kbtf_member(btfp, m->type, name, type, &inner)) {
			*off = inner;
			return true;
		}
	}
	return false;
}

/* The index and type of the first parameter of proto whose type is "struct NAME *". */
int kbtf_param(const struct btf *btf, const struct btf_type *proto, const char *sname,
			 unsigned skip, __u32 *type)
{
	const struct btf_param *p = btf_params(proto);
	for (unsigned i = skip; i < btf_vlen(proto); i++) {
		const struct btf_type *pt = btf__type_by_id(btf, kbtf_strip(btf, p[i].type));
		if (!pt || !btf_is_ptr(pt))
			continue;
		const struct btf_type *st = btf__type_by_id(btf, kbtf_strip(btf, pt->type));
		const char *n = st ? btf__name_by_offset(btf, st->name_off) : NULL;
		if (st && (btf_is_composite(st) || btf_is_fwd(st)) && n && strcmp(n, sname) == 0) {
			*type = p[i].type;
			return (int)(i - skip);
		}
	}
	return -1;
}

/* ---- the running kernel ---- */

const char *probe_kernel_release(void)
{
	static struct utsname u;

	if (!u.release[0] && uname(&u) != 0)
		snprintf(u.release, sizeof(u.release), "unknown");
	return u.release;
}

/* Whether the running kernel is older than major.minor. */
static bool kbtf_kernel_before(int major, int minor)
{
	int ma = 0, mi = 0;

	if (probe_old_kernel && (major > 5 || (major == 5 && minor >= 11)))
		return true;
	if (sscanf(probe_kernel_release(), "%d.%d", &ma, &mi) != 2)
		return false;
	return ma < major || (ma == major && mi < minor);
}

/* Whether any NFS module's BTF was found (module BTF came with Linux 5.11). */
static bool kbtf_have_modules(void)
{
	kbtf_load();
	for (unsigned i = 0; i < NMODULES && !probe_old_kernel; i++)
		if (kbtf_mod[i])
			return true;
	return false;
}

bool probe_have_module_btf(void)
{
	return kbtf_have_modules();
}

__s32 kbtf_ptr_to(const struct btf *btf, __u32 id)
{
	for (__u32 i = 1, n = btf__type_cnt(btf); i < n; i++) {
		const struct btf_type *t = btf__type_by_id(btf, i);

		if (btf_is_ptr(t) && t->type == id)
			return (__s32)i;
	}
	return -1;
}

void kbtf_why_unknown(const char *name, char *err, size_t errlen)
{
	if (kbtf_have_modules())
		snprintf(err, errlen, "struct %s is in no BTF of this kernel", name);
	else
		snprintf(err, errlen,
			 "struct %s belongs to an NFS module, and this kernel (%s) has no BTF for its "
			 "modules (that needs Linux 5.11+ built with CONFIG_DEBUG_INFO_BTF_MODULES)",
			 name, probe_kernel_release());
}

/* ---- prototypes declared by the catalogue (kernels before 5.11) ---- */

/* A scalar type of a declared prototype, by its C name, in vmlinux's BTF. */
static __s32 kbtf_scalar(const char *name)
{
	static const struct {
		const char *c, *btf;
	} alias[] = {{"long", "long int"}, {"unsigned long", "long unsigned int"}, {"unsigned", "unsigned int"}};
	__s32 id;

	for (unsigned i = 0; i < sizeof(alias) / sizeof(alias[0]); i++)
		if (!strcmp(name, alias[i].c))
			name = alias[i].btf;
	if ((id = kbtf_vmlinux_find(name, BTF_KIND_TYPEDEF)) > 0 ||
	    (id = kbtf_vmlinux_find(name, BTF_KIND_INT)) > 0)
		return id;
	return -1;
}

/* One type of a declared prototype ("struct file *", "loff_t", "const char *") added to btf:
 * vmlinux's struct, or a forward declaration when vmlinux has no such struct; a scalar;
 * or a pointer to either. */
static __s32 kbtf_decl_type(struct btf *btf, const char *s, size_t n)
{
	char name[64];
	bool ptr;
	__s32 id;

	while (n && s[0] == ' ')
		s++, n--;
	if (n > 6 && !strncmp(s, "const ", 6))
		s += 6, n -= 6;
	while (n && s[n - 1] == ' ')
		n--;
	if ((ptr = n && s[n - 1] == '*'))
		for (n--; n && s[n - 1] == ' ';)
			n--;
	if (!n || n >= sizeof(name))
		return -1;
	snprintf(name, sizeof(name), "%.*s", (int)n, s);
	if (!strcmp(name, "void"))
		id = 0;
	else if (strncmp(name, "struct ", 7) != 0)
		id = kbtf_scalar(name);
	else if ((id = kbtf_vmlinux_find(name + 7, BTF_KIND_STRUCT)) <= 0)
		id = btf__add_fwd(btf, name + 7, BTF_FWD_STRUCT);
	return id < 0 || !ptr ? id : btf__add_ptr(btf, id);
}

/* The FUNC_PROTO of a declaration "RET (T1, T2, ...)", in a split BTF on vmlinux's that
 * lives as long as the program (one per declaration, cached). */
static const struct btf_type *kbtf_declared(const char *decl, struct btf **out)
{
	static struct {
		const char *decl;
		struct btf *btf;
		__u32 id;
	} cache[64];
	static unsigned ncache;
	const char *open = strchr(decl, '('), *p;
	struct btf *btf;
	__s32 ret, id, param[8];
	unsigned np = 0;

	for (unsigned i = 0; i < ncache; i++)
		if (cache[i].decl == decl) {
			*out = cache[i].btf;
			return btf__type_by_id(*out, cache[i].id);
		}
	if (!open || ncache == sizeof(cache) / sizeof(cache[0]) ||
	    !(btf = btf__new_empty_split(kbtf_vmlinux)))
		return NULL;
	/* the types first: a FUNC_PROTO's parameters must follow it directly */
	if ((ret = kbtf_decl_type(btf, decl, (size_t)(open - decl))) < 0)
		goto fail;
	for (p = open + 1; *p && *p != ')' && np < 8;) {
		size_t n = strcspn(p, ",)");

		if ((param[np++] = kbtf_decl_type(btf, p, n)) < 0)
			goto fail;
		p += n + (p[n] == ',');
	}
	if ((id = btf__add_func_proto(btf, ret)) < 0)
		goto fail;
	for (unsigned i = 0; i < np; i++)
		if (btf__add_func_param(btf, "", param[i]) < 0)
			goto fail;
	cache[ncache].decl = decl;
	cache[ncache].btf = btf;
	cache[ncache++].id = (__u32)id;
	*out = btf;
	return btf__type_by_id(btf, (__u32)id);
fail:
	btf__free(btf);
	return NULL;
}

const struct btf_type *kbtf_proto(const struct probe_attach *at, bool end, struct btf **btf, unsigned *skip, char *err, size_t errlen)
{
	enum attach_kind kind = end ? at->end_kind : at->kind;
	const char *target = end ? at->end_target : at->target;
	__s32 id;
	char name[160];
	*skip = 0;
	if (kind == ATTACH_RAW_TRACEPOINT) {
		snprintf(name, sizeof(name), "btf_trace_%s", target);
		*btf = kbtf_find(name, BTF_KIND_TYPEDEF, &id);
		*skip = 1; /* the first parameter is the tracepoint's private data */
	} else {
		*btf = kbtf_find(target, BTF_KIND_FUNC, &id);
	}
	if (at->proto) {
		/* as Linux 5.10 and older have it: only there, and only without the real one
		 * (module BTF came in 5.11), since positions and types changed since */
		const char *decl = end && at->end_proto ? at->end_proto : at->proto;
		const struct btf_type *t = NULL;

		*skip = 0; /* a raw tracepoint's is declared without its private data */
		if (*btf || !kbtf_kernel_before(5, 11))
			snprintf(err, errlen, "%s's prototype is declared for kernels before 5.11 without module BTF",
				 target);
		else if (!kbtf_vmlinux || !(t = kbtf_declared(decl, btf)))
			snprintf(err, errlen, "the declared prototype of %s (%s) does not fit this kernel's types",
				 target, decl);
		return t;
	}
	if (!*btf) {
		snprintf(err, errlen, "%s %s has no BTF type information on this kernel%s",
			 kind == ATTACH_RAW_TRACEPOINT ? "tracepoint" : "function", target,
			 kbtf_have_modules() ? "" : " (it is an NFS module's, and this kernel has no BTF for its modules)");
		return NULL;
	}
	const struct btf_type *t = btf__type_by_id(*btf, kbtf_strip(*btf, (__u32)id));
	if (t && btf_is_func(t))
		t = btf__type_by_id(*btf, t->type);
	if (t && btf_is_ptr(t))
		t = btf__type_by_id(*btf, kbtf_strip(*btf, t->type));
	if (!t || !btf_is_func_proto(t)) {
		snprintf(err, errlen, "no prototype for %s in the kernel's BTF", target);
		return NULL;
	}
	return t;
}

bool probe_btf_func(const char *fn, unsigned *nargs)
{
	struct probe_attach at = {.kind = ATTACH_FENTRY, .target = fn};
	struct btf *btf;
	unsigned skip;
	char err[200];
	const struct btf_type *proto = kbtf_proto(&at, false, &btf, &skip, err, sizeof(err));

	if (!proto)
		return false;
	*nargs = btf_vlen(proto);
	return true;
}

/* Ids told by probe_btf_func_known: looked up before the kernel's BTF is loaded. */
static struct kbtf_known {
	const char *fn, *module;
	int id;
} *kbtf_known;
static unsigned kbtf_nknown;

void probe_btf_func_known(const char *fn, const char *module, int id)
{
	struct kbtf_known *k;
	const char *mod = NULL;

	for (unsigned i = 0; module && i < NMODULES; i++)
		if (!strcmp(module, kbtf_modules[i]))
			mod = kbtf_modules[i];
	if (id <= 0 || (module && !mod) || !(k = realloc(kbtf_known, (kbtf_nknown + 1) * sizeof(*k))))
		return;
	kbtf_known = k;
	kbtf_known[kbtf_nknown++] = (struct kbtf_known){fn, mod, id};
}

bool probe_btf_func_id(const char *fn, const char **module, int *id)
{
	__s32 tid;
	struct btf *btf;

	for (unsigned i = 0; i < kbtf_nknown; i++)
		if (!strcmp(kbtf_known[i].fn, fn)) {
			*module = kbtf_known[i].module;
			*id = kbtf_known[i].id;
			return true;
		}
	btf = kbtf_find(fn, BTF_KIND_FUNC, &tid);
	*module = NULL;
	if (!btf)
		return false;
	for (unsigned i = 0; i < NMODULES; i++)
		if (btf == kbtf_mod[i])
			*module = kbtf_modules[i];
	*id = tid;
	return true;
}
