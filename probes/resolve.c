/* resolve.c - built-in probes made concrete for the running kernel.
 *
 * A catalogue row lists attach alternatives; each gives recipes for its
 * fields ("arg(struct kiocb)->ki_filp->f_path.dentry->d_name.name", "ret:errno",
 * "tp.rtt"). Here the first alternative whose events exist is chosen and every
 * recipe is turned into offsets read from the kernel's BTF (vmlinux and the
 * module BTF files), so a probe survives struct layout changes between kernels. */
#include "probe.h"

#include <bpf/btf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Modules whose BTF may hold NFS functions and types, searched in order. */
static const char *const resolve_modules[] = {"nfs", "nfsv4", "nfsv3", "sunrpc", "nfsd", "lockd"};
#define NMODULES (sizeof(resolve_modules) / sizeof(resolve_modules[0]))

static struct btf *resolve_vmlinux;
static struct btf *resolve_mod[NMODULES];
static bool resolve_loaded;

static void resolve_load(void)
{
	if (resolve_loaded)
		return;
	resolve_loaded = true;
	resolve_vmlinux = btf__load_vmlinux_btf();
	if (!resolve_vmlinux)
		return;
	for (unsigned i = 0; i < NMODULES; i++)
		resolve_mod[i] = btf__load_module_btf(resolve_modules[i], resolve_vmlinux);
}

/* Names to type ids of vmlinux's BTF, an open-addressing hash built once: libbpf 1.1's
 * btf__find_by_name_kind scans every type (about 126 000), and a module's split BTF scans
 * vmlinux's too, which made each lookup cost milliseconds (tens of them in a TCG VM). */
static __u32 *resolve_index;
static size_t resolve_index_mask;

static size_t resolve_hash(const char *s)
{
	size_t h = 2166136261u;
	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

static void resolve_index_build(void)
{
	__u32 n = btf__type_cnt(resolve_vmlinux);
	size_t size = 1;
	while (size < 2 * (size_t)n)
		size <<= 1;
	resolve_index = calloc(size, sizeof(__u32));
	if (!resolve_index)
		return;
	resolve_index_mask = size - 1;
	for (__u32 id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(resolve_vmlinux, id);
		if (!t->name_off)
			continue;
		size_t h = resolve_hash(btf__name_by_offset(resolve_vmlinux, t->name_off));
		while (resolve_index[h & resolve_index_mask])
			h++;
		resolve_index[h & resolve_index_mask] = id;
	}
}

static __s32 resolve_vmlinux_find(const char *name, int kind)
{
	if (!resolve_index)
		return btf__find_by_name_kind(resolve_vmlinux, name, kind);
	for (size_t h = resolve_hash(name);; h++) {
		__u32 id = resolve_index[h & resolve_index_mask];
		if (!id)
			return -1;
		const struct btf_type *t = btf__type_by_id(resolve_vmlinux, id);
		if (btf_kind(t) == kind && strcmp(btf__name_by_offset(resolve_vmlinux, t->name_off), name) == 0)
			return (__s32)id;
	}
}

/* A type of a module's own (not the vmlinux types its split BTF starts with). */
static __s32 resolve_module_find(const struct btf *btf, const char *name, int kind)
{
	for (__u32 id = btf__type_cnt(resolve_vmlinux), n = btf__type_cnt(btf); id < n; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		if (btf_kind(t) == kind && t->name_off &&
		    strcmp(btf__name_by_offset(btf, t->name_off), name) == 0)
			return (__s32)id;
	}
	return -1;
}

/* The BTF (vmlinux or a module's, split on vmlinux) that defines name as kind. */
static struct btf *resolve_find(const char *name, int kind, __s32 *id)
{
	resolve_load();
	for (unsigned i = 0; i < NMODULES; i++)
		if (resolve_mod[i] && (*id = resolve_module_find(resolve_mod[i], name, kind)) > 0)
			return resolve_mod[i];
	if (!resolve_vmlinux)
		return NULL;
	if (!resolve_index)
		resolve_index_build();
	if ((*id = resolve_vmlinux_find(name, kind)) > 0)
		return resolve_vmlinux;
	return NULL;
}

bool probe_fentry = true;

/* Skips typedefs and qualifiers. */
static __u32 resolve_strip(const struct btf *btf, __u32 id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	while (t && (btf_is_typedef(t) || btf_is_const(t) || btf_is_volatile(t) || btf_is_restrict(t) || btf_is_type_tag(t))) {
		id = t->type;
		t = btf__type_by_id(btf, id);
	}
	return id;
}

static bool resolve_is_char(const struct btf *btf, __u32 id)
{
	const struct btf_type *t = btf__type_by_id(btf, resolve_strip(btf, id));
	return t && btf_is_int(t) && t->size == 1;
}

/* A struct only declared in one BTF (a module's pointer to a struct of another
 * module) is looked up, complete, in the others; *btf switches to where it is. */
static const struct btf_type *resolve_complete(struct btf **btf, __u32 *id)
{
	const struct btf_type *t = btf__type_by_id(*btf, resolve_strip(*btf, *id));
	if (!t || !btf_is_fwd(t))
		return t;
	const char *name = btf__name_by_offset(*btf, t->name_off);
	__s32 cid;
	struct btf *cbtf = name ? resolve_find(name, btf_kflag(t) ? BTF_KIND_UNION : BTF_KIND_STRUCT, &cid)
				: NULL;
	if (!cbtf)
		return t;
	*btf = cbtf;
	*id = (__u32)cid;
	return btf__type_by_id(cbtf, (__u32)cid);
}

/* Finds member name in struct/union id, looking into anonymous members.
 * Returns the member's type and adds its byte offset to *off. */
static bool resolve_member(struct btf **btfp, __u32 id, const char *name, __u32 *type,
			   int32_t *off)
{
	const struct btf_type *t = resolve_complete(btfp, &id);
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
		if (resolve_member(btfp, m->type, name, type, &inner)) {
			*off = inner;
			return true;
		}
	}
	return false;
}

/* The index and type of the first parameter of proto whose type is "struct NAME *". */
static int resolve_param(const struct btf *btf, const struct btf_type *proto, const char *sname,
			 unsigned skip, __u32 *type)
{
	const struct btf_param *p = btf_params(proto);
	for (unsigned i = skip; i < btf_vlen(proto); i++) {
		const struct btf_type *pt = btf__type_by_id(btf, resolve_strip(btf, p[i].type));
		if (!pt || !btf_is_ptr(pt))
			continue;
		const struct btf_type *st = btf__type_by_id(btf, resolve_strip(btf, pt->type));
		const char *n = st ? btf__name_by_offset(btf, st->name_off) : NULL;
		if (st && btf_is_composite(st) && n && strcmp(n, sname) == 0) {
			*type = p[i].type;
			return (int)(i - skip);
		}
	}
	return -1;
}

/* The prototype of the function (kprobe) or of the raw tracepoint. */
static const struct btf_type *resolve_proto(const struct probe_attach *at, bool end,
					    struct btf **btf, unsigned *skip, char *err, size_t errlen)
{
	enum attach_kind kind = end ? at->end_kind : at->kind;
	const char *target = end ? at->end_target : at->target;
	__s32 id;
	char name[160];
	*skip = 0;
	if (kind == ATTACH_RAW_TRACEPOINT) {
		snprintf(name, sizeof(name), "btf_trace_%s", target);
		*btf = resolve_find(name, BTF_KIND_TYPEDEF, &id);
		*skip = 1; /* the first parameter is the tracepoint's private data */
	} else {
		*btf = resolve_find(target, BTF_KIND_FUNC, &id);
	}
	if (!*btf) {
		snprintf(err, errlen, "%s %s has no BTF type information on this kernel",
			 kind == ATTACH_RAW_TRACEPOINT ? "tracepoint" : "function", target);
		return NULL;
	}
	const struct btf_type *t = btf__type_by_id(*btf, resolve_strip(*btf, (__u32)id));
	if (t && btf_is_func(t))
		t = btf__type_by_id(*btf, t->type);
	if (t && btf_is_ptr(t))
		t = btf__type_by_id(*btf, resolve_strip(*btf, t->type));
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
	const struct btf_type *proto = resolve_proto(&at, false, &btf, &skip, err, sizeof(err));

	if (!proto)
		return false;
	*nargs = btf_vlen(proto);
	return true;
}

/* Reads an identifier at *s (letters, digits, _). */
static bool resolve_ident(const char **s, char *out, size_t outlen)
{
	size_t n = 0;
	while ((**s >= 'a' && **s <= 'z') || (**s >= 'A' && **s <= 'Z') || (**s >= '0' && **s <= '9') ||
	       **s == '_') {
		if (n + 1 < outlen)
			out[n++] = **s;
		(*s)++;
	}
	out[n] = '\0';
	return n > 0;
}

/* "struct NAME" at *s; the name goes to out. */
static bool resolve_struct_name(const char **s, char *out, size_t outlen)
{
	if (strncmp(*s, "struct ", 7) != 0)
		return false;
	*s += 7;
	return resolve_ident(s, out, outlen);
}

/* The evaluation state of a BTF path: an rvalue (the value reached) or an lvalue
 * (ptr + off). */
struct path {
	struct field_read *r;
	bool lvalue;
	__u32 type;
	struct btf *btf;
};

static bool path_load(struct path *p)
{
	if (!p->lvalue)
		return true;
	if (p->r->nderef == READ_MAX_DEREF)
		return false;
	p->r->deref[p->r->nderef++] = p->r->off;
	p->r->off = 0;
	p->lvalue = false;
	return true;
}

static int resolve_tp(struct arena *a, const struct field_recipe *rc, const struct probe_attach *at,
		      struct probe_field *out, char *err, size_t errlen)
{
	const char *target = rc->at_start || !at->end_target ? at->target : at->end_target;
	const char *name = rc->how + 3;
	char fname[64];
	const char *s = name;
	if (!resolve_ident(&s, fname, sizeof(fname))) {
		snprintf(err, errlen, "bad recipe '%s'", rc->how);
		return -1;
	}
	int64_t scale = 0;
	if (*s == '*')
		scale = strtoll(s + 1, NULL, 10);
	const struct probe_def *tp = probe_tracepoint(a, target, err, errlen);
	if (!tp)
		return -1;
	const struct probe_field *f = probe_field_find(tp, fname);
	if (!f) {
		snprintf(err, errlen, "tracepoint %s has no field '%s' on this kernel", target, fname);
		return -1;
	}
	struct type want = out->type;
	const char *doc = out->doc, *fieldname = out->name;
	*out = *f;
	out->name = fieldname;
	out->doc = doc;
	out->at_start = rc->at_start;
	out->read.scale = scale;
	if ((want.kind == TYPE_STR) != (f->type.kind == TYPE_STR)) {
		snprintf(err, errlen, "tracepoint field %s.%s is not of the expected kind", target, fname);
		return -1;
	}
	if (want.kind == TYPE_STR && !f->data_loc && f->type.size > want.size)
		out->type.size = f->type.size;
	else
		out->type = want;
	return 0;
}

/* A trailing ":errno"-style transform; returns the recipe without it. */
static const char *resolve_xform(struct arena *a, const char *how, enum read_xform *x)
{
	static const struct {
		const char *suffix;
		enum read_xform x;
	} xs[] = {{":errno", XFORM_ERRNO}, {":err_ptr", XFORM_ERR_PTR}, {":positive", XFORM_POSITIVE}, {":be32", XFORM_BE32}, {":since", XFORM_SINCE}, {":abs", XFORM_ABS}};
	size_t len = strlen(how);
	*x = XFORM_NONE;
	const char *b = strstr(how, ":bit(");
	if (b && how[len - 1] == ')' && !strchr(b + 1, ':')) {
		*x = XFORM_BIT;
		return arena_strndup(a, how, (size_t)(b - how));
	}
	for (unsigned i = 0; i < sizeof(xs) / sizeof(xs[0]); i++) {
		size_t n = strlen(xs[i].suffix);
		if (len > n && strcmp(how + len - n, xs[i].suffix) == 0) {
			*x = xs[i].x;
			return arena_strndup(a, how, len - n);
		}
	}
	return how;
}

/* A trailing ":strip(PREFIX)" of a string recipe: PREFIX into strip; returns the recipe
 * without it, or NULL when PREFIX is too long. */
static const char *resolve_strip_prefix(struct arena *a, const char *how, char strip[9])
{
	const char *o = strstr(how, ":strip(");
	size_t len = strlen(how), n;

	strip[0] = '\0';
	if (!o || how[len - 1] != ')')
		return how;
	n = (size_t)(how + len - 1 - (o + 7));
	if (n == 0 || n > 8)
		return NULL;
	memcpy(strip, o + 7, n);
	strip[n] = '\0';
	return arena_strndup(a, how, (size_t)(o - how));
}

/* One side of a choice: a decimal constant or a recipe, resolved into an arena copy. */
static const struct field_read *resolve_part(struct arena *a, const struct field_recipe *rc,
					     const char *how, size_t len,
					     const struct probe_attach *at,
					     const struct probe_field *out, char *err, size_t errlen)
{
	struct field_recipe sub = *rc;
	struct probe_field f = *out;
	struct field_read *r = arena_alloc(a, sizeof(*r));
	char *end;

	sub.how = arena_strndup(a, how, len);
	f.type = type_int();
	long long v = strtoll(sub.how, &end, 10);
	if (end != sub.how && *end == '\0') {
		memset(r, 0, sizeof(*r));
		r->final = READ_CONST;
		r->value = v;
		r->at_start = rc->at_start;
		return r;
	}
	if (probe_recipe(a, &sub, at, &f, err, errlen) != 0)
		return NULL;
	*r = f.read;
	return r;
}

/* "A == N ? B : C": the value of B when A is N, else of C (C may be another choice). */
static int resolve_select(struct arena *a, const struct field_recipe *rc, const char *q,
			  const struct probe_attach *at, struct probe_field *out, char *err,
			  size_t errlen)
{
	const char *how = rc->how, *eq = strstr(how, " == "), *ne = strstr(how, " != ");
	const char *op = eq && eq < q ? eq : ne && ne < q ? ne
							  : NULL,
		   *colon = strstr(q + 3, " : ");
	struct field_read *r = &out->read;
	char *end;

	if (!op || !colon || out->type.kind == TYPE_STR)
		goto bad;
	r->value = strtoll(op + 4, &end, 10);
	if (end != q)
		goto bad;
	r->final = READ_SELECT;
	r->negate = op == ne;
	r->at_start = rc->at_start;
	if (!(r->sel = resolve_part(a, rc, how, (size_t)(op - how), at, out, err, errlen)) ||
	    !(r->then = resolve_part(a, rc, q + 3, (size_t)(colon - q - 3), at, out, err, errlen)) ||
	    !(r->els = resolve_part(a, rc, colon + 3, strlen(colon + 3), at, out, err, errlen)))
		return -1;
	out->src = FIELD_READ;
	out->at_start = rc->at_start;
	return 0;
bad:
	snprintf(err, errlen, "bad recipe '%s': a choice is 'A == N ? B : C' between integers", how);
	return -1;
}

int probe_recipe(struct arena *a, const struct field_recipe *rc, const struct probe_attach *at,
		 struct probe_field *out, char *err, size_t errlen)
{
	enum read_xform xform;
	struct field_read *r = &out->read;
	memset(r, 0, sizeof(*r));
	const char *q = strstr(rc->how, " ? ");
	if (q)
		return resolve_select(a, rc, q, at, out, err, errlen);
	const char *s = resolve_strip_prefix(a, rc->how, r->strip);
	if (!s) {
		snprintf(err, errlen, "bad recipe '%s': a stripped prefix has 1 to 8 bytes", rc->how);
		return -1;
	}
	s = resolve_xform(a, s, &xform);
	int64_t bit = 0;
	if (xform == XFORM_BIT) {
		char *end;
		bit = strtol(strstr(rc->how, ":bit(") + 5, &end, 10);
		if (*end != ')' || bit < 0 || bit > 63) {
			snprintf(err, errlen, "bad recipe '%s': :bit(N) takes a bit number 0 to 63", rc->how);
			return -1;
		}
	}
	r->at_start = rc->at_start;
	out->src = FIELD_READ;
	out->at_start = rc->at_start;
	if (strncmp(s, "tp.", 3) == 0) {
		struct field_recipe plain = *rc;
		plain.how = s;
		int rv = resolve_tp(a, &plain, at, out, err, errlen);
		out->read.xform = xform;
		out->read.value = bit;
		return rv;
	}
	r->xform = xform;
	r->value = bit;
	if (strcmp(s, "ret") == 0) {
		/* the register holds the return value in its type's width: an int's -5 is
		 * 0x00000000fffffffb, so the width and sign come from the prototype */
		struct btf *btf;
		unsigned skip;
		const struct btf_type *proto = resolve_proto(at, at->end_target != NULL, &btf, &skip, err, errlen);
		if (!proto)
			return -1;
		const struct btf_type *rt = btf__type_by_id(btf, resolve_strip(btf, proto->type));
		r->base = READ_BASE_RET;
		r->index = btf_vlen(proto); /* fexit: the return value follows the arguments */
		r->final = READ_VALUE;
		r->size = 8;
		r->is_signed = true;
		if (rt && (btf_is_int(rt) || btf_is_enum(rt))) {
			r->size = rt->size;
			r->is_signed = btf_is_int(rt) ? (btf_int_encoding(rt) & BTF_INT_SIGNED) != 0 : true;
		}
		return 0;
	}
	/* arg(struct NAME) or argN, then a path */
	bool end = !rc->at_start && at->end_target;
	struct path p = {.r = r};
	unsigned skip;
	const struct btf_type *proto = resolve_proto(at, end, &p.btf, &skip, err, errlen);
	if (!proto)
		return -1;
	r->base = READ_BASE_ARG;
	if (strncmp(s, "arg(", 4) == 0) {
		char sname[64];
		s += 4;
		if (!resolve_struct_name(&s, sname, sizeof(sname)) || *s++ != ')') {
			snprintf(err, errlen, "bad recipe '%s'", rc->how);
			return -1;
		}
		int idx = resolve_param(p.btf, proto, sname, skip, &p.type);
		if (idx < 0) {
			snprintf(err, errlen, "%s takes no struct %s * argument on this kernel",
				 end ? at->end_target : at->target, sname);
			return -1;
		}
		r->index = (unsigned)idx;
	} else if (strncmp(s, "arg", 3) == 0 && s[3] >= '0' && s[3] <= '9') {
		r->index = (unsigned)(s[3] - '0');
		s += 4;
		if (r->index + skip >= btf_vlen(proto)) {
			snprintf(err, errlen, "%s has no argument %u", at->target, r->index);
			return -1;
		}
		p.type = btf_params(proto)[r->index + skip].type;
	} else {
		snprintf(err, errlen, "bad recipe '%s'", rc->how);
		return -1;
	}
	char name[64] = "";
	while (*s) {
		name[0] = '\0';
		if (s[0] == '-' && s[1] == '>') { /* member of the struct pointed to */
			s += 2;
			if (!path_load(&p))
				goto too_deep;
			const struct btf_type *pt = btf__type_by_id(p.btf, resolve_strip(p.btf, p.type));
			if (!pt || !btf_is_ptr(pt) || !resolve_ident(&s, name, sizeof(name)))
				goto bad;
			int32_t off = 0;
			if (!resolve_member(&p.btf, pt->type, name, &p.type, &off))
				goto no_member;
			r->off = off;
			p.lvalue = true;
		} else if (s[0] == '.') { /* member of an embedded struct */
			s++;
			if (!p.lvalue || !resolve_ident(&s, name, sizeof(name)))
				goto bad;
			if (!resolve_member(&p.btf, p.type, name, &p.type, &r->off))
				goto no_member;
		} else if (s[0] == '[') { /* element of an array member */
			char *endp;
			long n = strtol(s + 1, &endp, 10);
			const struct btf_type *t = btf__type_by_id(p.btf, resolve_strip(p.btf, p.type));
			if (!p.lvalue || !t || !btf_is_array(t) || *endp != ']')
				goto bad;
			s = endp + 1;
			__s64 esz = btf__resolve_size(p.btf, btf_array(t)->type);
			if (esz <= 0 || n < 0 || (__u32)n >= btf_array(t)->nelems)
				goto bad;
			r->off += (int32_t)(n * esz);
			p.type = btf_array(t)->type;
		} else if (strncmp(s, ":container(", 11) == 0) { /* the struct embedding this pointer's target */
			char sname[64];
			s += 11;
			if (!path_load(&p) || !resolve_struct_name(&s, sname, sizeof(sname)) || *s++ != ',')
				goto bad;
			while (*s == ' ')
				s++;
			if (!resolve_ident(&s, name, sizeof(name)) || *s++ != ')')
				goto bad;
			__s32 sid;
			struct btf *sbtf = resolve_find(sname, BTF_KIND_STRUCT, &sid);
			int32_t off = 0;
			__u32 mtype;
			if (!sbtf || !resolve_member(&sbtf, (__u32)sid, name, &mtype, &off))
				goto no_member;
			p.btf = sbtf;
			p.type = (__u32)sid;
			p.lvalue = true;
			r->off = -off;
		} else {
			goto bad;
		}
	}
	/* the final read */
	const struct btf_type *t = resolve_complete(&p.btf, &p.type);
	bool want_str = out->type.kind == TYPE_STR;
	if (!t)
		goto bad;
	if (btf_is_array(t) && resolve_is_char(p.btf, btf_array(t)->type) && p.lvalue) {
		r->final = READ_STR;
		r->size = btf_array(t)->nelems;
	} else if (btf_is_ptr(t) && resolve_is_char(p.btf, t->type)) {
		r->final = p.lvalue ? READ_STRPTR : READ_STR_AT;
	} else if (btf_is_int(t) || btf_is_enum(t) || btf_is_ptr(t)) {
		r->final = p.lvalue ? READ_INT : READ_VALUE;
		r->size = btf_is_ptr(t) ? 8 : t->size;
		r->is_signed = btf_is_int(t) && (btf_int_encoding(t) & BTF_INT_SIGNED);
		if (r->size != 1 && r->size != 2 && r->size != 4 && r->size != 8)
			goto bad;
	} else {
		goto bad;
	}
	bool is_str = r->final == READ_STR || r->final == READ_STRPTR || r->final == READ_STR_AT;
	if (r->strip[0] && r->final != READ_STRPTR && r->final != READ_STR_AT) {
		snprintf(err, errlen, "recipe '%s': only a string read through a pointer can be stripped", rc->how);
		return -1;
	}
	if (is_str != want_str) {
		snprintf(err, errlen, "recipe '%s' gives %s, but field %s is %s", rc->how,
			 is_str ? "a string" : "an integer", out->name, want_str ? "a string" : "an integer");
		return -1;
	}
	return 0;
too_deep:
	snprintf(err, errlen, "recipe '%s' follows more than %d pointers", rc->how, READ_MAX_DEREF);
	return -1;
no_member:
	snprintf(err, errlen, "recipe '%s': no member '%s' before '%s' on this kernel", rc->how, name, s);
	return -1;
bad:
	snprintf(err, errlen, "recipe '%s' does not fit this kernel's types (at '%s')", rc->how, s);
	return -1;
}

/* p with only its alternative `alt`, every field resolved. */
static struct probe_def *resolve_alt(struct arena *a, const struct probe_def *p,
				     const struct probe_attach *alt, char *err, size_t errlen)
{
	struct probe_def *d = arena_alloc(a, sizeof(*d));
	*d = *p;
	d->attach = alt;
	d->nattach = 1;
	struct probe_field *fields = arena_alloc(a, sizeof(*fields) * (p->nfields ? p->nfields : 1));
	for (unsigned i = 0; i < p->nfields; i++) {
		fields[i] = p->fields[i];
		if (fields[i].src != FIELD_KERNEL)
			continue;
		const struct field_recipe *rc = NULL;
		for (unsigned k = 0; k < alt->nrecipes; k++)
			if (strcmp(alt->recipes[k].field, fields[i].name) == 0)
				rc = &alt->recipes[k];
		char why[300];
		if (!rc) {
			snprintf(err, errlen, "probe %s: field '%s' has no recipe for %s", p->name,
				 fields[i].name, alt->target);
			return NULL;
		}
		if (probe_recipe(a, rc, alt, &fields[i], why, sizeof(why)) != 0) {
			snprintf(err, errlen, "probe %s: field '%s': %s", p->name, fields[i].name, why);
			return NULL;
		}
	}
	d->fields = fields;
	if (alt->guard) {
		struct field_recipe grc = {"guard", alt->guard, false};
		struct probe_field g = {.name = "guard", .type = type_int(), .src = FIELD_KERNEL};
		char why[300];
		if (probe_recipe(a, &grc, alt, &g, why, sizeof(why)) != 0) {
			snprintf(err, errlen, "probe %s: the guard of %s: %s", p->name, alt->target, why);
			return NULL;
		}
		struct field_read *gr = arena_alloc(a, sizeof(*gr));
		*gr = g.read;
		d->guard = gr;
	}
	return d;
}

const struct probe_def *probe_resolve(struct arena *a, const struct probe_def *p, char *err,
				      size_t errlen)
{
	int at = probe_available(p, err, errlen);
	if (at < 0)
		return NULL;
	struct probe_def *first = resolve_alt(a, p, &p->attach[at], err, errlen), *last = first;
	if (!first || !p->attach_all)
		return first;
	char why[256];
	for (unsigned i = (unsigned)at + 1; i < p->nattach; i++) {
		struct probe_def one = *p;
		one.attach = &p->attach[i];
		one.nattach = 1;
		if (probe_available(&one, why, sizeof(why)) < 0)
			continue; /* this alternative's function is not here: the others still are */
		bool dup = false; /* its group has one already (fentry, then kprobe; one of two functions) */
		for (const struct probe_def *d = first; d && !dup; d = d->also)
			dup = d->attach->group == p->attach[i].group;
		if (dup)
			continue;
		struct probe_def *d = resolve_alt(a, p, &p->attach[i], err, errlen);
		if (!d)
			return NULL;
		last->also = d;
		last = d;
	}
	return first;
}
