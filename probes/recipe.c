/* recipe.c - one field's recipe ("arg(struct kiocb)->ki_filp->f_path.dentry->d_name.name",
 * "ret:errno", "tp.rtt*1000", "A == N ? B : C") turned into a read at offsets of the
 * running kernel (struct field_read): BTF paths through kbtf.c, tracepoint record fields
 * through the tracefs format files. */
#include "kbtf.h"
#include "ksyms.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads an identifier at *s (letters, digits, _). */
static bool recipe_ident(const char **s, char *out, size_t outlen)
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
static bool recipe_struct_name(const char **s, char *out, size_t outlen)
{
	if (strncmp(*s, "struct ", 7) != 0)
		return false;
	*s += 7;
	return recipe_ident(s, out, outlen);
}

/* The evaluation state of a BTF path: an rvalue (the value reached) or an lvalue
 * (ptr + off). */
struct path {
	struct field_read *r;
	bool lvalue;
	__u32 type;
	struct btf *btf;
};

static bool recipe_path_load(struct path *p)
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

static int recipe_tp(const struct field_recipe *rc, const struct probe_attach *at,
		     struct probe_field *out, char *err, size_t errlen)
{
	const char *target = rc->at_start || !at->end_target ? at->target : at->end_target;
	const char *name = rc->how + 3;
	char fname[64];
	const char *s = name;
	if (!recipe_ident(&s, fname, sizeof(fname))) {
		snprintf(err, errlen, "bad recipe '%s'", rc->how);
		return -1;
	}
	int64_t scale = 0;
	if (*s == '*')
		scale = strtoll(s + 1, NULL, 10);
	const struct probe_def *tp = probe_tracepoint(target, err, errlen);
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
static const char *recipe_xform(struct arena *a, const char *how, enum read_xform *x)
{
	static const struct {
		const char *suffix;
		enum read_xform x;
	} xs[] = {{":errno", XFORM_ERRNO}, {":err_ptr", XFORM_ERR_PTR}, {":positive", XFORM_POSITIVE}, {":be32", XFORM_BE32}, {":be16", XFORM_BE16}, {":since", XFORM_SINCE}, {":abs", XFORM_ABS}};
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
static const char *recipe_strip_prefix(struct arena *a, const char *how, char strip[9])
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

/* One side of a choice: a decimal constant or an integer recipe (str: a string recipe of
 * out's type), resolved into an arena copy. */
static const struct field_read *recipe_part(struct arena *a, const struct field_recipe *rc,
					     const char *how, size_t len, bool str,
					     const struct probe_attach *at,
					     const struct probe_field *out, char *err, size_t errlen)
{
	struct field_recipe sub = *rc;
	struct probe_field f = *out;
	struct field_read *r = arena_alloc(a, sizeof(*r));
	char *end;

	sub.how = arena_strndup(a, how, len);
	f.type = str ? out->type : type_int();
	long long v = strtoll(sub.how, &end, 10);
	if (!str && end != sub.how && *end == '\0') {
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
static int recipe_select(struct arena *a, const struct field_recipe *rc, const char *q,
			  const struct probe_attach *at, struct probe_field *out, char *err,
			  size_t errlen)
{
	const char *how = rc->how, *eq = strstr(how, " == "), *ne = strstr(how, " != ");
	const char *op = eq && eq < q ? eq : ne && ne < q ? ne
							  : NULL,
		   *colon = strstr(q + 3, " : ");
	struct field_read *r = &out->read;
	bool str = out->type.kind == TYPE_STR;
	char *end;

	if (!op || !colon)
		goto bad;
	r->value = strtoll(op + 4, &end, 10);
	if (end != q)
		goto bad;
	r->final = READ_SELECT;
	r->negate = op == ne;
	r->at_start = rc->at_start;
	if (!(r->sel = recipe_part(a, rc, how, (size_t)(op - how), false, at, out, err, errlen)) ||
	    !(r->then = recipe_part(a, rc, q + 3, (size_t)(colon - q - 3), str, at, out, err, errlen)) ||
	    !(r->els = recipe_part(a, rc, colon + 3, strlen(colon + 3), str, at, out, err, errlen)))
		return -1;
	out->src = FIELD_READ;
	out->at_start = rc->at_start;
	return 0;
bad:
	snprintf(err, errlen, "bad recipe '%s': a choice is 'A == N ? B : C'", how);
	return -1;
}

/* The offset of member path "a.b" of struct sname into *off (0 first); false with the
 * reason in err. */
static bool recipe_offset(const char *sname, const char *member, int32_t *off, char *err, size_t errlen)
{
	__s32 sid;
	struct btf *btf = kbtf_find(sname, BTF_KIND_STRUCT, &sid);
	__u32 type = (__u32)sid;
	char name[64];

	*off = 0;
	if (!btf) {
		kbtf_why_unknown(sname, err, errlen);
		return false;
	}
	for (const char *s = member; *s;) {
		if (*s == '.')
			s++;
		if (!recipe_ident(&s, name, sizeof(name)) || !kbtf_member(&btf, type, name, &type, off)) {
			snprintf(err, errlen, "struct %s has no member %s on this kernel", sname, member);
			return false;
		}
		type = kbtf_strip(btf, type);
	}
	return true;
}

/* "NAME(A | B)", a string field read by a walk (final): A, an integer recipe, into
 * r->sel, and B (an integer recipe, or a string one when str) into r->then. */
static bool recipe_walk(struct arena *a, const struct field_recipe *rc, const char *usage, enum read_final final,
			bool str, const struct probe_attach *at, struct probe_field *out, char *err, size_t errlen)
{
	const char *how = strchr(rc->how, '(') + 1, *bar = strstr(how, " | ");
	size_t len = strlen(how);
	struct field_read *r = &out->read;

	if (!bar || len < 2 || how[len - 1] != ')' || out->type.kind != TYPE_STR) {
		snprintf(err, errlen, "bad recipe '%s': %s", rc->how, usage);
		return false;
	}
	r->final = final;
	r->at_start = rc->at_start;
	out->src = FIELD_READ;
	out->at_start = rc->at_start;
	return (r->sel = recipe_part(a, rc, how, (size_t)(bar - how), false, at, out, err, errlen)) &&
	       (r->then = recipe_part(a, rc, bar + 3, (size_t)(how + len - 1 - bar - 3), str, at, out, err, errlen));
}

/* "path(D | M)": the path of dentry D in mount M, and the members the walk reads. */
static int recipe_path(struct arena *a, const struct field_recipe *rc, const struct probe_attach *at,
		       struct probe_field *out, char *err, size_t errlen)
{
	struct path_offs *o = &out->read.path;

	if (!recipe_walk(a, rc, "a path is 'path(DENTRY | MOUNT)', a string", READ_PATH, false, at, out, err, errlen) ||
	    !recipe_offset("dentry", "d_parent", &o->d_parent, err, errlen) ||
	    !recipe_offset("dentry", "d_name.name", &o->d_name, err, errlen) ||
	    !recipe_offset("dentry", "d_name.len", &o->d_len, err, errlen) ||
	    !recipe_offset("mount", "mnt.mnt_root", &o->mnt_root, err, errlen) ||
	    !recipe_offset("mount", "mnt_parent", &o->mnt_parent, err, errlen) ||
	    !recipe_offset("mount", "mnt_mountpoint", &o->mnt_mountpoint, err, errlen))
		return -1;
	return 0;
}

/* "rpcmount(C | S)": string S (from "cur(struct super_block)") of the NFS mount whose RPC
 * client is C, found by walking the kernel's super_blocks list. */
static int recipe_rpcmount(struct arena *a, const struct field_recipe *rc, const struct probe_attach *at,
			   struct probe_field *out, char *err, size_t errlen)
{
	struct rpcmount_offs *o = &out->read.rpcmount;

	if (!recipe_walk(a, rc, "'rpcmount(CLIENT | STRING)' is a string", READ_RPCMOUNT, true, at, out, err, errlen) ||
	    !recipe_offset("super_block", "s_list", &o->s_list, err, errlen) ||
	    !recipe_offset("super_block", "s_magic", &o->s_magic, err, errlen) ||
	    !recipe_offset("super_block", "s_fs_info", &o->s_fs_info, err, errlen) ||
	    !recipe_offset("nfs_server", "client", &o->client, err, errlen) ||
	    !recipe_offset("nfs_server", "nfs_client", &o->nfs_client, err, errlen) ||
	    !recipe_offset("nfs_client", "cl_rpcclient", &o->cl_rpcclient, err, errlen))
		return -1;
	if (!recipe_offset("nfs_server", "client_acl", &o->client_acl, err, errlen))
		o->client_acl = -1;
	if (!ksyms_data_addr("super_blocks", &o->head)) {
		snprintf(err, errlen, "the kernel's list of super_blocks is not in /proc/kallsyms here "
			 "(it needs CONFIG_KALLSYMS_ALL, and root to show addresses)");
		return -1;
	}
	return 0;
}

/* "stamp(K)": ns since the attach alternative's stamp program stamped key K. */
static int recipe_stamp(struct arena *a, const struct field_recipe *rc, const struct probe_attach *at,
			struct probe_field *out, char *err, size_t errlen)
{
	size_t len = strlen(rc->how);
	struct field_read *r = &out->read;

	if (!at->stamp || out->type.kind == TYPE_STR || rc->how[len - 1] != ')') {
		snprintf(err, errlen, "bad recipe '%s': 'stamp(KEY)' is an integer, read where the attach "
			 "alternative has a stamp program", rc->how);
		return -1;
	}
	r->final = READ_STAMP;
	r->stamp = at->stamp;
	r->at_start = rc->at_start;
	out->src = FIELD_READ;
	out->at_start = rc->at_start;
	return (r->sel = recipe_part(a, rc, rc->how + 6, len - 7, false, at, out, err, errlen)) ? 0 : -1;
}

/* "span(A | B)": the length of the byte range from offset A to offset B inclusive, 0 for one
 * that runs to the end of the file. */
static int recipe_span(struct arena *a, const struct field_recipe *rc, const struct probe_attach *at,
		       struct probe_field *out, char *err, size_t errlen)
{
	const char *how = rc->how + 5, *bar = strstr(how, " | ");
	size_t len = strlen(how);
	struct field_read *r = &out->read;

	if (!bar || how[len - 1] != ')' || out->type.kind == TYPE_STR) {
		snprintf(err, errlen, "bad recipe '%s': 'span(START | END)' is an integer", rc->how);
		return -1;
	}
	r->final = READ_SPAN;
	r->at_start = rc->at_start;
	out->src = FIELD_READ;
	out->at_start = rc->at_start;
	return (r->sel = recipe_part(a, rc, how, (size_t)(bar - how), false, at, out, err, errlen)) &&
			       (r->then = recipe_part(a, rc, bar + 3, (size_t)(how + len - 1 - bar - 3), false, at, out, err, errlen))
		       ? 0
		       : -1;
}

/* "'TEXT'": a constant string. */
static int recipe_text(struct arena *a, const struct field_recipe *rc, struct probe_field *out, char *err,
		       size_t errlen)
{
	size_t len = strlen(rc->how);
	struct field_read *r = &out->read;

	if (len < 2 || rc->how[len - 1] != '\'' || out->type.kind != TYPE_STR || len - 2 >= out->type.size) {
		snprintf(err, errlen, "bad recipe '%s': a constant string is 'TEXT', shorter than its field", rc->how);
		return -1;
	}
	r->final = READ_CONST;
	r->text = arena_strndup(a, rc->how + 1, len - 2);
	r->at_start = rc->at_start;
	out->src = FIELD_READ;
	out->at_start = rc->at_start;
	return 0;
}

/* Why member `name` of type id (a struct, or a pointer to one with deref) is not there. */
static void recipe_no_member(struct btf *btf, __u32 id, bool deref, const char *name,
			     const char *how, char *err, size_t errlen)
{
	const struct btf_type *t = btf__type_by_id(btf, kbtf_strip(btf, id));
	const char *sn;

	if (deref && t && btf_is_ptr(t)) {
		id = t->type;
		t = kbtf_complete(&btf, &id);
	}
	sn = t ? btf__name_by_offset(btf, t->name_off) : NULL;
	if (t && btf_is_fwd(t) && sn)
		kbtf_why_unknown(sn, err, errlen);
	else if (t && btf_is_composite(t))
		snprintf(err, errlen, "%s %s has no member '%s' on this kernel (recipe '%s')",
			 btf_is_union(t) ? "union" : "struct", sn && *sn ? sn : "(anonymous)", name, how);
	else
		snprintf(err, errlen, "'%s' is not in a struct here: the type before it changed on this kernel (recipe '%s')",
			 name, how);
}

bool probe_recipe_at_start(const struct field_recipe *rc, const struct probe_attach *at)
{
	return rc->at_start && !(rc->at_start == RECIPE_STABLE && at->kind == ATTACH_FENTRY && at->end_kind == ATTACH_FEXIT &&
				 at->end_target && !strcmp(at->target, at->end_target));
}

int probe_recipe(struct arena *a, const struct field_recipe *rc, const struct probe_attach *at,
		 struct probe_field *out, char *err, size_t errlen)
{
	struct field_recipe at_end;
	enum read_xform xform;

	if (rc->at_start && !probe_recipe_at_start(rc, at)) { /* stable, and fexit has the arguments */
		at_end = *rc;
		at_end.at_start = false;
		rc = &at_end;
	}
	struct field_read *r = &out->read;
	memset(r, 0, sizeof(*r));
	if (strncmp(rc->how, "path(", 5) == 0)
		return recipe_path(a, rc, at, out, err, errlen);
	if (strncmp(rc->how, "rpcmount(", 9) == 0)
		return recipe_rpcmount(a, rc, at, out, err, errlen);
	if (strncmp(rc->how, "stamp(", 6) == 0)
		return recipe_stamp(a, rc, at, out, err, errlen);
	if (strncmp(rc->how, "span(", 5) == 0)
		return recipe_span(a, rc, at, out, err, errlen);
	if (rc->how[0] == '\'')
		return recipe_text(a, rc, out, err, errlen);
	if (strcmp(rc->how, "elapsed") == 0) { /* a pair's start to its end, as a probe's latency */
		if (!at->end_target || out->type.kind == TYPE_STR) {
			snprintf(err, errlen, "recipe 'elapsed' needs a pair of events and an integer field");
			return -1;
		}
		out->src = FIELD_LATENCY;
		return 0;
	}
	if ((rc->how[0] >= '0' && rc->how[0] <= '9') || rc->how[0] == '-') { /* a constant */
		const struct field_read *c = recipe_part(a, rc, rc->how, strlen(rc->how), false, at, out, err, errlen);

		if (!c || c->final != READ_CONST || out->type.kind == TYPE_STR) {
			snprintf(err, errlen, "bad recipe '%s': a constant is a decimal integer", rc->how);
			return -1;
		}
		*r = *c;
		out->src = FIELD_READ;
		out->at_start = rc->at_start;
		return 0;
	}
	const char *q = strstr(rc->how, " ? ");
	if (q)
		return recipe_select(a, rc, q, at, out, err, errlen);
	const char *s = recipe_strip_prefix(a, rc->how, r->strip);
	if (!s) {
		snprintf(err, errlen, "bad recipe '%s': a stripped prefix has 1 to 8 bytes", rc->how);
		return -1;
	}
	s = recipe_xform(a, s, &xform);
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
		int rv = recipe_tp(&plain, at, out, err, errlen);
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
		const struct btf_type *proto = kbtf_proto(at, at->end_target != NULL, &btf, &skip, err, errlen);
		if (!proto)
			return -1;
		const struct btf_type *rt = btf__type_by_id(btf, kbtf_strip(btf, proto->type));
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
	const struct btf_type *proto = kbtf_proto(at, end, &p.btf, &skip, err, errlen);
	if (!proto)
		return -1;
	r->base = READ_BASE_ARG;
	bool cur = strncmp(s, "cur(", 4) == 0;
	if (cur || (strncmp(s, "saved", 5) == 0 && end)) { /* the pair's saved start value, or a list walk's entry */
		char sname[64];
		__s32 sid, pid;

		r->base = cur ? READ_BASE_CUR : READ_BASE_SAVED;
		s += cur ? 3 : 5;
		if (*s != '(') {
			r->final = READ_VALUE;
			r->size = 8;
			return *s ? (snprintf(err, errlen, "bad recipe '%s'", rc->how), -1) : 0;
		}
		s++;
		if (!recipe_struct_name(&s, sname, sizeof(sname)) || *s++ != ')') {
			snprintf(err, errlen, "bad recipe '%s'", rc->how);
			return -1;
		}
		if (!(p.btf = kbtf_find(sname, BTF_KIND_STRUCT, &sid))) {
			kbtf_why_unknown(sname, err, errlen);
			return -1;
		}
		if ((pid = kbtf_ptr_to(p.btf, (__u32)sid)) < 0) {
			snprintf(err, errlen, "no struct %s * type in this kernel's BTF", sname);
			return -1;
		}
		p.type = (__u32)pid;
	} else if (strncmp(s, "arg(", 4) == 0) {
		char sname[64];
		s += 4;
		if (!recipe_struct_name(&s, sname, sizeof(sname)) || *s++ != ')') {
			snprintf(err, errlen, "bad recipe '%s'", rc->how);
			return -1;
		}
		int idx = kbtf_param(p.btf, proto, sname, skip, &p.type);
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
			if (!recipe_path_load(&p))
				goto too_deep;
			const struct btf_type *pt = btf__type_by_id(p.btf, kbtf_strip(p.btf, p.type));
			if (!pt || !btf_is_ptr(pt) || !recipe_ident(&s, name, sizeof(name)))
				goto bad;
			int32_t off = 0;
			if (!kbtf_member(&p.btf, pt->type, name, &p.type, &off)) {
				recipe_no_member(p.btf, p.type, true, name, rc->how, err, errlen);
				return -1;
			}
			r->off = off;
			p.lvalue = true;
		} else if (s[0] == '.') { /* member of an embedded struct */
			s++;
			if (!p.lvalue || !recipe_ident(&s, name, sizeof(name)))
				goto bad;
			if (!kbtf_member(&p.btf, p.type, name, &p.type, &r->off)) {
				recipe_no_member(p.btf, p.type, false, name, rc->how, err, errlen);
				return -1;
			}
		} else if (s[0] == '[') { /* element of an array member */
			char *endp;
			long n = strtol(s + 1, &endp, 10);
			const struct btf_type *t = btf__type_by_id(p.btf, kbtf_strip(p.btf, p.type));
			if (!p.lvalue || !t || !btf_is_array(t) || *endp != ']')
				goto bad;
			s = endp + 1;
			__s64 esz = btf__resolve_size(p.btf, btf_array(t)->type);
			if (esz <= 0 || n < 0 || (__u32)n >= btf_array(t)->nelems)
				goto bad;
			r->off += (int32_t)(n * esz);
			p.type = btf_array(t)->type;
		} else if (strncmp(s, ":container(", 11) == 0) {
			/* the struct embedding this pointer's target, or this embedded struct */
			char sname[64], member[128];
			size_t mlen = 0;
			const struct btf_type *ct = p.lvalue ? btf__type_by_id(p.btf, kbtf_strip(p.btf, p.type)) : NULL;
			bool embedded = ct && btf_is_composite(ct);
			s += 11;
			if ((!embedded && !recipe_path_load(&p)) || !recipe_struct_name(&s, sname, sizeof(sname)) || *s++ != ',')
				goto bad;
			while (*s == ' ')
				s++;
			while (*s && *s != ')' && mlen + 1 < sizeof(member)) /* a member, or a path of them: a.b */
				member[mlen++] = *s++;
			member[mlen] = '\0';
			if (!mlen || *s++ != ')')
				goto bad;
			__s32 sid;
			struct btf *sbtf = kbtf_find(sname, BTF_KIND_STRUCT, &sid);
			int32_t off = 0;
			if (!sbtf) {
				kbtf_why_unknown(sname, err, errlen);
				return -1;
			}
			if (!recipe_offset(sname, member, &off, err, errlen))
				return -1;
			p.btf = sbtf;
			p.type = (__u32)sid;
			p.lvalue = true;
			r->off = embedded ? r->off - off : -off;
		} else {
			goto bad;
		}
	}
	/* the final read */
	const struct btf_type *t = kbtf_complete(&p.btf, &p.type);
	bool want_str = out->type.kind == TYPE_STR;
	if (!t)
		goto bad;
	if (btf_is_array(t) && kbtf_is_char(p.btf, btf_array(t)->type) && p.lvalue) {
		r->final = READ_STR;
		r->size = btf_array(t)->nelems;
	} else if (btf_is_ptr(t) && kbtf_is_char(p.btf, t->type)) {
		r->final = p.lvalue ? READ_STRPTR : READ_STR_AT;
	} else if (btf_is_int(t) || btf_is_enum(t) || btf_is_ptr(t)) {
		r->final = p.lvalue ? READ_INT : READ_VALUE;
		r->size = btf_is_ptr(t) ? 8 : t->size;
		r->is_signed = btf_is_int(t) && (btf_int_encoding(t) & BTF_INT_SIGNED);
		if (r->size != 1 && r->size != 2 && r->size != 4 && r->size != 8)
			goto bad;
	} else if (btf_is_composite(t) && p.lvalue && !want_str) { /* its address */
		r->final = READ_ADDR;
		r->size = 8;
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
bad:
	snprintf(err, errlen, "recipe '%s' does not fit this kernel's types (at '%s')", rc->how, s);
	return -1;
}

