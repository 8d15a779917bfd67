/* cg_read.c - reading the kernel: probe fields (tracepoint records, arguments, return
 * values, resolved reads through kernel pointers, fields saved at start), kernel strings,
 * and the builtins (pid, comm, nsecs, elapsed, ...). */
#include "cg.h"

#include <string.h>

/* x86_64 struct pt_regs offsets: di si dx cx r8 r9, and ax for the return value. */
static const unsigned cg_arg_regs[6] = {14 * 8, 13 * 8, 12 * 8, 11 * 8, 9 * 8, 8 * 8};
#define CG_RETVAL_REG (10 * 8)
#define CG_ARGS_MAX 12 /* the last argument (or fexit return value) a compiled file's read may be at */

static LLVMValueRef cg_ctx_ptr(struct cg *g, LLVMValueRef off)
{
	return LLVMBuildGEP2(g->b, g->i8, g->ctxarg, &off, 1, "");
}

static LLVMValueRef cg_int_of(struct cg *g, LLVMValueRef v, uint32_t size, bool is_signed)
{
	LLVMTypeRef t = size == 1 ? g->i8 : size == 2 ? LLVMInt16TypeInContext(g->ctx)
		: size == 4                           ? g->i32
						      : g->i64;

	if (size < 8) {
		v = LLVMBuildTrunc(g->b, v, t, "");
		v = is_signed ? LLVMBuildSExt(g->b, v, g->i64, "") : LLVMBuildZExt(g->b, v, g->i64, "");
	}
	return v;
}

/* size bytes (up to 8) at p + off, read with bpf_probe_read_kernel (user:
 * bpf_probe_read_user), as a u64 (0 when it faults) */
static LLVMValueRef cg_read_mem(struct cg *g, LLVMValueRef p, LLVMValueRef off, uint32_t size, bool user)
{
	LLVMValueRef tmp = cg_alloca(g, 8), args[3];

	cg_store(g, cg_i64(g, 0), tmp, 0);
	args[0] = tmp;
	args[1] = cg_i32(g, size > 8 ? 8 : size);
	args[2] = LLVMBuildIntToPtr(g->b, LLVMBuildAdd(g->b, p, off, ""), g->ptr, "");
	cg_helper(g, user ? H_PROBE_READ_USER : H_PROBE_READ_KERNEL, args, 3);
	return cg_load(g, g->i64, tmp, 0);
}

LLVMValueRef cg_kread(struct cg *g, LLVMValueRef p, int32_t off, uint32_t size)
{
	return cg_read_mem(g, p, cg_i64(g, off), size, false);
}

LLVMValueRef cg_kread_at(struct cg *g, LLVMValueRef p, const int32_t *off, uint32_t size)
{
	return cg_read_mem(g, p, cg_fact(g, off, PROBE_FACT_S32), size, false);
}

/* After a string read of size bytes from src returned n: when it filled the buffer and
 * the source goes on past it (its byte size - 1 is not the end), the string was cut. */
static void cg_count_cut_mem(struct cg *g, LLVMValueRef n, LLVMValueRef src, uint32_t size, bool user)
{
	LLVMBasicBlockRef full = cg_block(g, "str.full"), cut = cg_block(g, "str.cut");
	LLVMBasicBlockRef done = cg_block(g, "str.done");
	LLVMValueRef last;

	LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntEQ, n, cg_i64(g, size), ""), full, done);
	cg_at(g, full);
	last = LLVMBuildAnd(g->b, cg_read_mem(g, LLVMBuildPtrToInt(g->b, src, g->i64, ""), cg_i64(g, (int32_t)size - 1), 1, user),
			    cg_i64(g, 0xff), "");
	LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntNE, last, cg_i64(g, 0), ""), cut, done);
	cg_at(g, cut);
	cg_count_drop(g, LAYOUT_DROP_CUT(g->c->prog->nmaps));
	LLVMBuildBr(g->b, done);
	cg_at(g, done);
}

static void cg_count_cut(struct cg *g, LLVMValueRef n, LLVMValueRef src, uint32_t size)
{
	cg_count_cut_mem(g, n, src, size, false);
}

/* The string at p (kernel memory; user: user memory), at most size - 1 bytes and a NUL,
 * in a zeroed buffer of size; a string cut short is counted if count */
static LLVMValueRef cg_read_str_mem(struct cg *g, LLVMValueRef p, uint32_t size, bool user, bool count)
{
	LLVMValueRef buf = cg_alloca(g, size), args[3], n;

	cg_zero(g, buf, 0, size);
	args[0] = buf;
	args[1] = cg_i32(g, size);
	args[2] = LLVMBuildIntToPtr(g->b, p, g->ptr, "");
	n = cg_helper(g, user ? H_PROBE_READ_USER_STR : H_PROBE_READ_KERNEL_STR, args, 3);
	if (count)
		cg_count_cut_mem(g, n, args[2], size, user);
	return buf;
}

static LLVMValueRef cg_kread_str(struct cg *g, LLVMValueRef p, uint32_t size)
{
	return cg_read_str_mem(g, p, size, false, true);
}

/* str(x [, n]) (sema_str): x a pointer read here, or a string copied (cut to the type);
 * a cut is counted only at the default length (one given is the cut asked for) */
LLVMValueRef cg_str_call(struct cg *g, const struct expr *e)
{
	const struct expr *a = e->u.call.args;
	LLVMValueRef v = cg_expr(g, a), buf;
	bool user;

	cg_setloc(g, e->loc);
	if (a->type.kind == TYPE_STR) {
		buf = cg_alloca(g, e->type.size);
		cg_copy_str(g, buf, 0, e->type.size, v, a->type.size);
		cg_store(g, LLVMConstInt(LLVMInt8TypeInContext(g->ctx), 0, 0), buf, e->type.size - 1);
		return buf;
	}
	/* a syscall's pointer arguments point into the calling process */
	user = g->attach == ATTACH_TRACEPOINT && g->prog && g->prog->target &&
	       strncmp(g->prog->target, "syscalls:", 9) == 0;
	return cg_read_str_mem(g, v, e->type.size, user, e->u.call.nargs < 2);
}

/* p, or p + strlen(prefix) when the string at p starts with prefix (1 to 8 bytes). */
static LLVMValueRef cg_strip(struct cg *g, LLVMValueRef p, const char *prefix)
{
	size_t n = strlen(prefix);
	uint64_t want = 0, mask = n >= 8 ? ~0ull : (1ull << (8 * n)) - 1;
	LLVMValueRef head;

	if (!n)
		return p;
	for (size_t i = 0; i < n; i++)
		want |= (uint64_t)(unsigned char)prefix[i] << (8 * i);
	head = LLVMBuildAnd(g->b, cg_kread(g, p, 0, (uint32_t)n), LLVMConstInt(g->i64, mask, 0), "");
	return LLVMBuildSelect(g->b, LLVMBuildICmp(g->b, LLVMIntEQ, head, LLVMConstInt(g->i64, want, 0), ""),
			       LLVMBuildAdd(g->b, p, cg_i64(g, (long long)n), ""), p, "");
}

static LLVMValueRef cg_xform(struct cg *g, LLVMValueRef v, enum read_xform x, int64_t scale,
			     int64_t bit)
{
	LLVMValueRef zero = cg_i64(g, 0), neg, c;

	switch (x) {
	case XFORM_NONE:
		break;
	case XFORM_ERRNO:
		neg = LLVMBuildICmp(g->b, LLVMIntSLT, v, zero, "");
		v = LLVMBuildSelect(g->b, neg, LLVMBuildNeg(g->b, v, ""), zero, "");
		break;
	case XFORM_ERR_PTR:
		c = LLVMBuildAnd(g->b, LLVMBuildICmp(g->b, LLVMIntSLT, v, zero, ""),
				 LLVMBuildICmp(g->b, LLVMIntSGE, v, cg_i64(g, -4095), ""), "");
		v = LLVMBuildSelect(g->b, c, LLVMBuildNeg(g->b, v, ""), zero, "");
		break;
	case XFORM_POSITIVE:
		v = LLVMBuildSelect(g->b, LLVMBuildICmp(g->b, LLVMIntSGT, v, zero, ""), v, zero, "");
		break;
	case XFORM_BE32: {
		LLVMValueRef w = LLVMBuildTrunc(g->b, v, g->i32, "");
		LLVMTypeRef ft = LLVMFunctionType(g->i32, &g->i32, 1, 0);
		LLVMValueRef fn = LLVMGetNamedFunction(g->mod, "llvm.bswap.i32");

		if (!fn)
			fn = LLVMAddFunction(g->mod, "llvm.bswap.i32", ft);
		w = LLVMBuildCall2(g->b, ft, fn, &w, 1, "");
		v = LLVMBuildZExt(g->b, w, g->i64, "");
		break;
	}
	case XFORM_BE16:
		v = LLVMBuildAnd(g->b, v, cg_i64(g, 0xffff), "");
		v = LLVMBuildOr(g->b, LLVMBuildLShr(g->b, v, cg_i64(g, 8), ""),
				LLVMBuildAnd(g->b, LLVMBuildShl(g->b, v, cg_i64(g, 8), ""), cg_i64(g, 0xff00), ""), "");
		break;
	case XFORM_SINCE:
		v = LLVMBuildSub(g->b, cg_now(g), v, "");
		break;
	case XFORM_ABS:
		neg = LLVMBuildICmp(g->b, LLVMIntSLT, v, zero, "");
		v = LLVMBuildSelect(g->b, neg, LLVMBuildNeg(g->b, v, ""), v, "");
		break;
	case XFORM_BIT:
		v = LLVMBuildAnd(g->b, LLVMBuildLShr(g->b, v, cg_i64(g, bit), ""), cg_i64(g, 1), "");
		break;

	}
	if (scale && scale != 1)
		v = LLVMBuildMul(g->b, v, cg_i64(g, scale), "");
	return v;
}

/* Argument (or fexit return value) number r->index in ctx's array (regs: pt_regs'
 * registers). In a compiled file the number is a kernel fact (the prototype's): a branch
 * per number, each a load at a constant offset (what the verifier allows of ctx); the
 * verifier follows only the branch of the number patched in. */
static LLVMValueRef cg_read_arg(struct cg *g, const struct field_read *r, bool regs)
{
	unsigned n = regs ? 6 : CG_ARGS_MAX + 1;
	LLVMValueRef idx, phi;
	LLVMBasicBlockRef done, none;

	if (!g->o->portable)
		return cg_ctx_load(g, g->i64, regs ? cg_arg_regs[r->index] : 8 * r->index);
	idx = cg_fact(g, &r->index, PROBE_FACT_U32);
	done = cg_block(g, "arg.done");
	none = cg_block(g, "arg.none");
	LLVMValueRef sw = LLVMBuildSwitch(g->b, idx, none, n);
	cg_at(g, done);
	phi = LLVMBuildPhi(g->b, g->i64, "arg");
	for (unsigned i = 0; i < n; i++) {
		LLVMBasicBlockRef bb = cg_block(g, "arg.at");
		LLVMValueRef v;

		LLVMAddCase(sw, cg_i64(g, i), bb);
		cg_at(g, bb);
		v = cg_ctx_load(g, g->i64, regs ? cg_arg_regs[i] : 8 * i);
		LLVMAddIncoming(phi, &v, (LLVMBasicBlockRef[]){LLVMGetInsertBlock(g->b)}, 1);
		LLVMBuildBr(g->b, done);
	}
	cg_at(g, none);
	LLVMAddIncoming(phi, (LLVMValueRef[]){cg_i64(g, 0)}, &none, 1);
	LLVMBuildBr(g->b, done);
	cg_at(g, done);
	return phi;
}

/* The integer a read ends with, in its size; in a compiled file whether it is signed is
 * a kernel fact (a member's type: pid_t where it was unsigned int) */
static LLVMValueRef cg_read_int(struct cg *g, LLVMValueRef v, const struct field_read *r)
{
	uint32_t size = r->size ? r->size : 8;

	if (!g->o->portable || size >= 8)
		return cg_int_of(g, v, size, r->is_signed);
	return LLVMBuildSelect(g->b, LLVMBuildICmp(g->b, LLVMIntNE, cg_fact(g, &r->is_signed, PROBE_FACT_BOOL), cg_i64(g, 0), ""),
			       cg_int_of(g, v, size, true), cg_int_of(g, v, size, false), "");
}

/* The base value of a resolved read: an argument, the return value or the record. */
static LLVMValueRef cg_read_base(struct cg *g, const struct field_read *r, bool *ok)
{
	const struct attach_ops *at = attach_ops(g->attach);

	*ok = true;
	switch (r->base) {
	case READ_BASE_ARG:
		if (at->args == ATTACH_ARGS_ARRAY && r->index <= CG_ARGS_MAX)
			return cg_read_arg(g, r, false);
		if (at->args == ATTACH_ARGS_REGS && r->index < 6)
			return cg_read_arg(g, r, true);
		break;
	case READ_BASE_RET:
		if (at->ret == ATTACH_RET_REG)
			return cg_ctx_load(g, g->i64, CG_RETVAL_REG);
		if (at->ret == ATTACH_RET_AFTER_ARGS && r->index <= CG_ARGS_MAX)
			return cg_read_arg(g, r, false);
		break;
	case READ_BASE_SAVED: /* the end of a pair: after the start time in the start value */
		if (g->start_val)
			return cg_load(g, g->i64, g->start_val, 8);
		break;
	case READ_BASE_CUR:
		if (g->read_cur)
			return g->read_cur;
		break;
	case READ_BASE_TP:
		if (at->record)
			return LLVMBuildPtrToInt(g->b, g->ctxarg, g->i64, "");
		break;
	}
	*ok = false;
	return cg_i64(g, 0);
}

/* Reads field `name` (of type t) by the resolved read r. */
LLVMValueRef cg_read(struct cg *g, struct type t, struct loc l, const char *name,
		     const struct field_read *r)
{
	bool ok = true;
	LLVMValueRef p, v = NULL;
	uint32_t n;

	if (r->final == READ_CONST)
		return r->text ? cg_str_literal(g, r->text, (uint32_t)strlen(r->text), t.size) : cg_i64(g, r->value);
	if (r->final == READ_SPAN) { /* end - start + 1; 0 when end is OFFSET_MAX or negative */
		LLVMValueRef start = cg_read(g, type_int(), l, name, r->sel);
		LLVMValueRef end = cg_read(g, type_int(), l, name, r->then);
		LLVMValueRef eof = LLVMBuildOr(g->b, LLVMBuildICmp(g->b, LLVMIntSLT, end, cg_i64(g, 0), ""),
					       LLVMBuildICmp(g->b, LLVMIntEQ, end, cg_i64(g, INT64_MAX), ""), "");
		LLVMValueRef len = LLVMBuildAdd(g->b, LLVMBuildSub(g->b, end, start, ""), cg_i64(g, 1), "");

		return LLVMBuildSelect(g->b, eof, cg_i64(g, 0), len, "");
	}
	if (r->final == READ_SELECT) { /* both sides are read (a failed read gives 0): no branches */
		LLVMValueRef sel = cg_read(g, type_int(), l, name, r->sel);
		LLVMValueRef a = cg_read(g, t, l, name, r->then), b = cg_read(g, t, l, name, r->els);

		return LLVMBuildSelect(g->b, LLVMBuildICmp(g->b, r->negate ? LLVMIntNE : LLVMIntEQ, sel, cg_i64(g, r->value), ""), a, b, "");
	}
	if (r->final == READ_PATH) {
		LLVMValueRef dentry = cg_read(g, type_int(), l, name, r->sel);

		return cg_path(g, &r->path, t.size, dentry, cg_read(g, type_int(), l, name, r->then));
	}
	if (r->final == READ_RPCMOUNT)
		return cg_rpcmount(g, t, l, name, r, cg_read(g, type_int(), l, name, r->sel));
	if (r->final == READ_STAMP)
		return cg_stamp_take(g, r->stamp, cg_read(g, type_int(), l, name, r->sel));
	p = cg_read_base(g, r, &ok);
	if (!ok) {
		cg_error(g, l, "field cannot be read at this attach point", name);
		return t.kind == TYPE_STR ? cg_str_literal(g, "", 0, t.size) : cg_i64(g, 0);
	}
	for (unsigned i = 0; i < r->nderef && i < READ_MAX_DEREF; i++)
		p = cg_kread_at(g, p, &r->deref[i], 8);
	switch (r->final) {
	case READ_VALUE: /* an argument or return value in its C width */
		v = r->nderef ? p : cg_read_int(g, p, r);
		break;
	case READ_INT:
		v = cg_read_int(g, cg_kread_at(g, p, &r->off, r->size), r);
		break;
	case READ_STR: /* a char array: at most its size, and at most the field's */
		n = r->size && r->size < t.size ? r->size : t.size;
		v = cg_kread_str(g, LLVMBuildAdd(g->b, p, cg_fact(g, &r->off, PROBE_FACT_S32), ""), n);
		if (n == t.size)
			return v;
		{
			LLVMValueRef buf = cg_alloca(g, t.size);

			cg_copy_str(g, buf, 0, t.size, v, n);
			return buf;
		}
	case READ_STRPTR:
		return cg_kread_str(g, cg_strip(g, cg_kread_at(g, p, &r->off, 8), r->strip), t.size);
	case READ_STR_AT:
		return cg_kread_str(g, cg_strip(g, p, r->strip), t.size);
	case READ_ADDR:
		v = LLVMBuildAdd(g->b, p, cg_fact(g, &r->off, PROBE_FACT_S32), "");
		break;
	case READ_CONST:
	case READ_SELECT:
	case READ_PATH:
	case READ_RPCMOUNT:
	case READ_STAMP:
	case READ_SPAN:
		v = p;
		break;
	}
	if (t.kind == TYPE_STR)
		return cg_str_literal(g, "", 0, t.size);
	return cg_xform(g, v, r->xform, r->scale, r->value);
}

bool cg_field_at_start(const struct probe_field *f)
{
	return f->at_start || (f->src == FIELD_READ && f->read.at_start);
}

/* A tracepoint record's integer of size bytes, sign- or zero-extended (or the field's
 * transform), or errno's sign made positive. */
static LLVMValueRef cg_field_tp_int(struct cg *g, struct type t, const struct probe_field *f, LLVMValueRef v)
{
	v = cg_int_of(g, v, f->size, f->is_signed);
	if (f->read.xform != XFORM_NONE || (f->read.scale && f->read.scale != 1))
		return cg_xform(g, v, f->read.xform, f->read.scale, f->read.value);
	if (t.kind == TYPE_ERRNO) /* kernel errors are negative */
		v = LLVMBuildSelect(g->b, LLVMBuildICmp(g->b, LLVMIntSLT, v, cg_i64(g, 0), ""),
				    LLVMBuildNeg(g->b, v, ""), v, "");
	return v;
}

/* A tracepoint record's string field f (of type t) at src, in a zeroed buffer: a char
 * array read to its size, else (a __data_loc, or longer than t) cut to t and counted. */
static LLVMValueRef cg_field_tp_str(struct cg *g, struct type t, const struct probe_field *f, LLVMValueRef src)
{
	LLVMValueRef buf = cg_alloca(g, t.size), args[3] = {buf, NULL, src};

	cg_zero(g, buf, 0, t.size);
	if (f->data_loc || !f->size || f->size > t.size) { /* may be longer than the field */
		args[1] = cg_i32(g, t.size);
		cg_count_cut(g, cg_helper(g, H_PROBE_READ_KERNEL_STR, args, 3), args[2], t.size);
	} else {
		args[1] = cg_i32(g, f->size);
		cg_helper(g, H_PROBE_READ_KERNEL_STR, args, 3);
	}
	return buf;
}

/* Field f of a tracepoint record in a compiled file: its offset is a kernel fact (the
 * format file's) patched at load, so the record is read with bpf_probe_read_kernel at
 * ctx + offset (a load from ctx needs its offset constant). */
static LLVMValueRef cg_field_tp_at(struct cg *g, struct type t, struct loc l, const struct probe_field *f)
{
	LLVMValueRef ctx = LLVMBuildPtrToInt(g->b, g->ctxarg, g->i64, "");
	LLVMValueRef off = cg_fact(g, &f->offset, PROBE_FACT_U32), src;

	if (t.kind != TYPE_STR) {
		if (f->size != 1 && f->size != 2 && f->size != 4 && f->size != 8) {
			cg_error(g, l, "field size not supported", f->name);
			return cg_i64(g, 0);
		}
		return cg_field_tp_int(g, t, f, cg_read_mem(g, ctx, off, f->size, false));
	}
	src = LLVMBuildAdd(g->b, ctx, off, "");
	if (f->data_loc) /* u32: length << 16 | offset in the record */
		src = LLVMBuildAdd(g->b, ctx, LLVMBuildAnd(g->b, cg_read_mem(g, src, cg_i64(g, 0), 4, false), cg_i64(g, 0xffff), ""), "");
	return cg_field_tp_str(g, t, f, LLVMBuildIntToPtr(g->b, src, g->ptr, ""));
}

/* Reads field f (of type t) at the current attach point. */
LLVMValueRef cg_field_now(struct cg *g, struct type t, struct loc l,
			  const struct probe_field *f)
{
	const struct attach_ops *at = attach_ops(g->attach);
	LLVMValueRef v;

	switch (f->src) {
	case FIELD_TP:
		if (!at->record)
			break;
		if (g->o->portable) /* the record's offsets are patched at load: read through a pointer */
			return cg_field_tp_at(g, t, l, f);
		if (t.kind == TYPE_STR) {
			if (!f->data_loc)
				return cg_field_tp_str(g, t, f, cg_gep(g, g->ctxarg, f->offset));
			v = cg_ctx_load(g, g->i32, f->offset);
			v = LLVMBuildAnd(g->b, LLVMBuildZExt(g->b, v, g->i64, ""), cg_i64(g, 0xffff), "");
			return cg_field_tp_str(g, t, f, cg_ctx_ptr(g, v));
		}
		switch (f->size) {
		case 1: v = cg_ctx_load(g, g->i8, f->offset); break;
		case 2: v = cg_ctx_load(g, LLVMInt16TypeInContext(g->ctx), f->offset); break;
		case 4: v = cg_ctx_load(g, g->i32, f->offset); break;
		case 8: v = cg_ctx_load(g, g->i64, f->offset); break;
		default:
			cg_error(g, l, "field size not supported", f->name);
			return cg_i64(g, 0);
		}
		if (f->size < 8)
			v = f->is_signed ? LLVMBuildSExt(g->b, v, g->i64, "")
					 : LLVMBuildZExt(g->b, v, g->i64, "");
		return cg_field_tp_int(g, t, f, v);
	case FIELD_ARG: /* argN of a kprobe or a raw tracepoint */
		if (at->args == ATTACH_ARGS_ARRAY && !at->btf)
			return cg_ctx_load(g, g->i64, 8 * f->index);
		if (at->args != ATTACH_ARGS_REGS || f->index >= 6)
			break;
		return cg_ctx_load(g, g->i64, cg_arg_regs[f->index]);
	case FIELD_RETVAL: /* retval of a kretprobe */
		if (at->ret != ATTACH_RET_REG)
			break;
		v = cg_ctx_load(g, g->i64, CG_RETVAL_REG);
		if (t.kind == TYPE_ERRNO)
			v = LLVMBuildSelect(g->b, LLVMBuildICmp(g->b, LLVMIntSLT, v, cg_i64(g, 0), ""),
					    LLVMBuildNeg(g->b, v, ""), v, "");
		return v;
	case FIELD_LATENCY:
		if (!g->latency)
			break;
		return g->latency;
	case FIELD_READ:
		return cg_read(g, t, l, f->name, &f->read);
	case FIELD_KERNEL:
	case FIELD_UNAVAIL: /* probe_resolve chose an alternative where the script's fields resolve */
		cg_error(g, l, "internal error: field not resolved for this kernel", f->name);
		return t.kind == TYPE_STR ? cg_str_literal(g, "", 0, t.size) : cg_i64(g, 0);
	}
	cg_error(g, l, "field cannot be read at this attach point", f->name);
	return t.kind == TYPE_STR ? cg_str_literal(g, "", 0, t.size) : cg_i64(g, 0);
}

static LLVMValueRef cg_field(struct cg *g, const struct expr *e, const struct probe_field *f)
{
	const struct probe_def *def = g->prog->def;
	unsigned idx = def ? (unsigned)(f - def->fields) : 0;

	if (g->start_val && cg_field_at_start(f) && def && idx < def->nfields &&
	    g->start->off[idx]) {
		if (e->type.kind == TYPE_STR) {
			LLVMValueRef buf = cg_alloca(g, e->type.size);

			cg_copy_str(g, buf, 0, e->type.size, cg_gep(g, g->start_val, g->start->off[idx]),
				    f->type.size);
			return buf;
		}
		return cg_load(g, g->i64, g->start_val, g->start->off[idx]);
	}
	return cg_field_now(g, e->type, e->loc, f);
}

static LLVMValueRef cg_builtin(struct cg *g, const struct expr *e)
{
	LLVMValueRef v, args[2], buf;
	const char *name;

	switch (e->u.ident.builtin) {
	case BUILTIN_PID:
		return LLVMBuildLShr(g->b, cg_helper0(g, H_GET_CURRENT_PID_TGID), cg_i64(g, 32), "");
	case BUILTIN_TID:
		return LLVMBuildAnd(g->b, cg_helper0(g, H_GET_CURRENT_PID_TGID),
				    cg_i64(g, 0xffffffff), "");
	case BUILTIN_UID:
		return LLVMBuildAnd(g->b, cg_helper0(g, H_GET_CURRENT_UID_GID),
				    cg_i64(g, 0xffffffff), "");
	case BUILTIN_COMM:
		buf = cg_alloca(g, e->type.size);
		cg_zero(g, buf, 0, e->type.size);
		args[0] = buf;
		args[1] = cg_i32(g, e->type.size < 16 ? e->type.size : 16);
		cg_helper(g, H_GET_CURRENT_COMM, args, 2);
		return buf;
	case BUILTIN_CPU:
		return LLVMBuildAnd(g->b, cg_helper0(g, H_GET_SMP_PROCESSOR_ID),
				    cg_i64(g, 0xffffffff), "");
	case BUILTIN_NSECS:
		return cg_helper0(g, H_KTIME_GET_NS);
	case BUILTIN_ELAPSED:
		v = cg_helper0(g, H_KTIME_GET_NS);
		return LLVMBuildSub(g->b, v, cg_cfg_load(g, LAYOUT_CFG_START), "");
	case BUILTIN_PROBE:
		name = g->prog->probe ? g->prog->probe->name : "";
		return cg_str_literal(g, name, strlen(name), e->type.size);
	case BUILTIN_CPID:
		return cg_cfg_load(g, LAYOUT_CFG_CPID);
	case BUILTIN_KSTACK:
	case BUILTIN_USTACK:
		return cg_stack(g, e);
	case BUILTIN_NONE:
		break;
	}
	cg_error(g, e->loc, "unknown builtin", e->u.ident.name);
	return cg_i64(g, 0);
}

LLVMValueRef cg_ident(struct cg *g, const struct expr *e)
{
	const struct probe_def *def = g->prog->def;
	const struct probe_field *f;

	if (e->u.ident.builtin != BUILTIN_NONE)
		return cg_builtin(g, e);
	f = def ? probe_field_find(def, e->u.ident.name) : NULL;
	if (!f) {
		cg_error(g, e->loc, "no such field in this probe", e->u.ident.name);
		return e->type.kind == TYPE_STR ? cg_str_literal(g, "", 0, e->type.size)
						: cg_i64(g, 0);
	}
	return cg_field(g, e, f);
}
