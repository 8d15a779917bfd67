/* cg_expr.c - expressions: map keys and map reads, string comparison, arithmetic (with
 * signed division), logical and ternary operators. */
#include "cg.h"

#include <string.h>

/* Writes v, a value of type t, into dst+off, a slot of type slot (sema made them the same
 * but for the sizes of strings, which are cut or padded). */
static void cg_store_typed(struct cg *g, struct type t, LLVMValueRef v, struct type slot,
			   LLVMValueRef dst, uint32_t off)
{
	if (slot.kind == TYPE_TUPLE) { /* element by element: their strings may differ in size */
		for (unsigned i = 0; t.kind == TYPE_TUPLE && i < slot.tuple->n && i < t.tuple->n; i++) {
			struct type et = t.tuple->elems[i];
			LLVMValueRef ev = type_is_buffer(et) ? cg_gep(g, v, t.tuple->offs[i])
							     : cg_load(g, g->i64, v, t.tuple->offs[i]);

			cg_store_typed(g, et, ev, slot.tuple->elems[i], dst, off + slot.tuple->offs[i]);
		}
	} else if (slot.kind == TYPE_STR) {
		if (t.kind == TYPE_STR)
			cg_copy_str(g, dst, off, slot.size, v, t.size);
		else
			cg_zero(g, dst, off, slot.size);
	} else {
		cg_store(g, type_is_buffer(t) ? cg_i64(g, 0) : v, dst, off);
	}
}

/* Writes a value of expression e into dst+off, in a slot of type slot. */
void cg_store_value(struct cg *g, const struct expr *e, LLVMValueRef v, struct type slot,
		    LLVMValueRef dst, uint32_t off)
{
	cg_store_typed(g, e->type, v, slot, dst, off);
}

/* (a, b, ...): a buffer laid out as its type says */
static LLVMValueRef cg_tuple(struct cg *g, const struct expr *e)
{
	LLVMValueRef buf = cg_alloca(g, e->type.size);
	unsigned i = 0;

	for (const struct expr *a = e->u.tuple.elems; a && i < e->type.tuple->n; a = a->next, i++)
		cg_store_value(g, a, cg_expr(g, a), e->type.tuple->elems[i], buf, e->type.tuple->offs[i]);
	return buf;
}

/* t.N: a string or tuple element is its place in t's buffer (t is a copy) */
static LLVMValueRef cg_elem(struct cg *g, const struct expr *e)
{
	const struct expr *t = e->u.elem.tuple;
	LLVMValueRef v = cg_expr(g, t);
	uint32_t off = t->type.tuple->offs[e->u.elem.index];

	return type_is_buffer(e->type) ? cg_gep(g, v, off) : cg_load(g, g->i64, v, off);
}

/* Builds the key of map l from the key expressions (and a bucket value). */
LLVMValueRef cg_key(struct cg *g, const struct map_layout *l, const struct expr *keys,
		    LLVMValueRef bucket)
{
	LLVMValueRef key = cg_alloca(g, l->key_size);
	const struct expr *k = keys;

	if (l->array) { /* u32 index: the bucket, or 0 */
		cg_store(g, bucket ? LLVMBuildTrunc(g->b, bucket, g->i32, "") : cg_i32(g, 0), key, 0);
		return key;
	}
	if (!l->nkeys && !l->has_bucket) {
		cg_store(g, cg_i64(g, 0), key, 0);
		return key;
	}
	for (unsigned i = 0; i < l->nkeys && k; i++, k = k->next) {
		LLVMValueRef v = cg_expr(g, k);

		cg_store_value(g, k, v, l->keys[i].type, key, l->keys[i].offset);
	}
	if (l->has_bucket)
		cg_store(g, bucket ? bucket : cg_i64(g, 0), key, l->bucket_offset);
	return key;
}

LLVMValueRef cg_lookup(struct cg *g, LLVMValueRef map, LLVMValueRef key)
{
	LLVMValueRef args[2] = {map, key};

	return LLVMBuildIntToPtr(g->b, cg_helper(g, H_MAP_LOOKUP, args, 2), g->ptr, "");
}

/* Reads @m[k] in an expression: the stored value (this CPU's for aggregations), or
 * 0 / "" when absent. */
static LLVMValueRef cg_map_read(struct cg *g, const struct expr *e)
{
	const struct map_info *m = e->u.map.info;
	const struct map_layout *l = &g->obj->maps[m->id];
	LLVMValueRef key = cg_key(g, l, e->u.map.keys, NULL), v, isnull, res = NULL, vals[2];
	LLVMBasicBlockRef have = cg_block(g, "mr.have"), done = cg_block(g, "mr.done"), from, bbs[2];
	LLVMValueRef buf = NULL;

	if (type_is_buffer(e->type)) {
		buf = cg_alloca(g, layout_type_size(e->type));
		cg_zero(g, buf, 0, layout_type_size(e->type));
	}
	v = cg_lookup(g, g->maps[m->id], key);
	from = LLVMGetInsertBlock(g->b);
	isnull = LLVMBuildICmp(g->b, LLVMIntEQ, v, LLVMConstNull(g->ptr), "");
	LLVMBuildCondBr(g->b, isnull, done, have);
	cg_at(g, have);
	if (buf && e->type.kind == TYPE_TUPLE) {
		cg_store_typed(g, m->value, v, e->type, buf, 0);
	} else if (buf) {
		cg_copy_str(g, buf, 0, e->type.size, v, m->value.size);
	} else {
		switch (m->agg) {
		case AGG_AVG: {
			LLVMValueRef s = cg_load(g, g->i64, v, LAYOUT_AVG_SUM);
			LLVMValueRef n = cg_load(g, g->i64, v, LAYOUT_AVG_COUNT);
			LLVMValueRef z = LLVMBuildICmp(g->b, LLVMIntEQ, n, cg_i64(g, 0), "");

			n = LLVMBuildSelect(g->b, z, cg_i64(g, 1), n, "");
			res = LLVMBuildUDiv(g->b, s, n, "");
			break;
		}
		case AGG_STATS:
			res = cg_load(g, g->i64, v, LAYOUT_STATS_COUNT);
			break;
		case AGG_NONE:
		case AGG_COUNT:
		case AGG_SUM:
		case AGG_MIN:
		case AGG_MAX:
		case AGG_HIST:
		case AGG_LHIST:
			res = cg_load(g, g->i64, v, 0);
			break;
		}
	}
	have = LLVMGetInsertBlock(g->b);
	LLVMBuildBr(g->b, done);
	cg_at(g, done);
	if (buf)
		return buf;
	res = res ? res : cg_i64(g, 0);
	vals[0] = cg_i64(g, 0), vals[1] = res;
	bbs[0] = from, bbs[1] = have;
	v = LLVMBuildPhi(g->b, g->i64, "");
	LLVMAddIncoming(v, vals, bbs, 2);
	return v;
}

static LLVMValueRef cg_str_eq(struct cg *g, const struct expr *a, LLVMValueRef av,
			      const struct expr *b, LLVMValueRef bv)
{
	uint32_t a8 = layout_type_size(a->type), b8 = layout_type_size(b->type);
	uint32_t n = a8 > b8 ? a8 : b8;
	LLVMValueRef acc = cg_i64(g, 0);

	for (uint32_t i = 0; i < n; i += 8) {
		LLVMValueRef x = i < a8 ? cg_load(g, g->i64, av, i) : cg_i64(g, 0);
		LLVMValueRef y = i < b8 ? cg_load(g, g->i64, bv, i) : cg_i64(g, 0);

		acc = LLVMBuildOr(g->b, acc, LLVMBuildXor(g->b, x, y, ""), "");
	}
	return LLVMBuildICmp(g->b, LLVMIntEQ, acc, cg_i64(g, 0), "");
}

/* Signed division and remainder without BPF's (missing before v4) signed ops;
 * a zero divisor gives 0. */
static LLVMValueRef cg_divmod(struct cg *g, LLVMValueRef a, LLVMValueRef b, bool mod)
{
	LLVMValueRef zero = cg_i64(g, 0);
	LLVMValueRef an = LLVMBuildICmp(g->b, LLVMIntSLT, a, zero, "");
	LLVMValueRef bn = LLVMBuildICmp(g->b, LLVMIntSLT, b, zero, "");
	LLVMValueRef aa = LLVMBuildSelect(g->b, an, LLVMBuildNeg(g->b, a, ""), a, "");
	LLVMValueRef ba = LLVMBuildSelect(g->b, bn, LLVMBuildNeg(g->b, b, ""), b, "");
	LLVMValueRef bz = LLVMBuildICmp(g->b, LLVMIntEQ, b, zero, "");
	LLVMValueRef safe = LLVMBuildSelect(g->b, bz, cg_i64(g, 1), ba, "");
	LLVMValueRef r, neg;

	if (mod) {
		r = LLVMBuildURem(g->b, aa, safe, "");
		neg = an;
	} else {
		r = LLVMBuildUDiv(g->b, aa, safe, "");
		neg = LLVMBuildXor(g->b, an, bn, "");
	}
	r = LLVMBuildSelect(g->b, neg, LLVMBuildNeg(g->b, r, ""), r, "");
	return LLVMBuildSelect(g->b, bz, zero, r, "");
}

LLVMValueRef cg_truth(struct cg *g, const struct expr *e, LLVMValueRef v)
{
	if (e->type.kind == TYPE_STR) /* a string is true when not empty */
		return LLVMBuildICmp(g->b, LLVMIntNE, cg_load(g, g->i8, v, 0),
				     LLVMConstInt(g->i8, 0, 0), "");
	return LLVMBuildICmp(g->b, LLVMIntNE, v, cg_i64(g, 0), "");
}

static LLVMValueRef cg_logical(struct cg *g, const struct expr *e)
{
	bool is_and = e->u.binary.op == BINOP_LAND;
	LLVMBasicBlockRef rhs = cg_block(g, is_and ? "and.rhs" : "or.rhs");
	LLVMBasicBlockRef done = cg_block(g, is_and ? "and.done" : "or.done");
	LLVMValueRef l, r, phi, vals[2];
	LLVMBasicBlockRef bbs[2];

	l = cg_truth(g, e->u.binary.lhs, cg_expr(g, e->u.binary.lhs));
	bbs[0] = LLVMGetInsertBlock(g->b);
	if (is_and)
		LLVMBuildCondBr(g->b, l, rhs, done);
	else
		LLVMBuildCondBr(g->b, l, done, rhs);
	cg_at(g, rhs);
	r = cg_truth(g, e->u.binary.rhs, cg_expr(g, e->u.binary.rhs));
	bbs[1] = LLVMGetInsertBlock(g->b);
	LLVMBuildBr(g->b, done);
	cg_at(g, done);
	vals[0] = LLVMConstInt(g->i1, is_and ? 0 : 1, 0);
	vals[1] = r;
	phi = LLVMBuildPhi(g->b, g->i1, "");
	LLVMAddIncoming(phi, vals, bbs, 2);
	return cg_bool64(g, phi);
}

static LLVMValueRef cg_binary(struct cg *g, const struct expr *e)
{
	const struct expr *a = e->u.binary.lhs, *b = e->u.binary.rhs;
	LLVMValueRef l, r, m;
	LLVMIntPredicate pred = LLVMIntEQ;

	if (e->u.binary.op == BINOP_LAND || e->u.binary.op == BINOP_LOR)
		return cg_logical(g, e);
	l = cg_expr(g, a);
	r = cg_expr(g, b);
	if (a->type.kind == TYPE_STR || b->type.kind == TYPE_STR) {
		if (a->type.kind != b->type.kind ||
		    (e->u.binary.op != BINOP_EQ && e->u.binary.op != BINOP_NE)) {
			cg_error(g, e->loc, "strings can only be compared with == and !=", NULL);
			return cg_i64(g, 0);
		}
		m = cg_str_eq(g, a, l, b, r);
		if (e->u.binary.op == BINOP_NE)
			m = LLVMBuildNot(g->b, m, "");
		return cg_bool64(g, m);
	}
	cg_setloc(g, e->loc);
	switch (e->u.binary.op) {
	case BINOP_ADD: return LLVMBuildAdd(g->b, l, r, "");
	case BINOP_SUB: return LLVMBuildSub(g->b, l, r, "");
	case BINOP_MUL: return LLVMBuildMul(g->b, l, r, "");
	case BINOP_DIV: return cg_divmod(g, l, r, false);
	case BINOP_MOD: return cg_divmod(g, l, r, true);
	case BINOP_AND: return LLVMBuildAnd(g->b, l, r, "");
	case BINOP_OR: return LLVMBuildOr(g->b, l, r, "");
	case BINOP_XOR: return LLVMBuildXor(g->b, l, r, "");
	case BINOP_SHL:
		return LLVMBuildShl(g->b, l, LLVMBuildAnd(g->b, r, cg_i64(g, 63), ""), "");
	case BINOP_SHR:
		return LLVMBuildAShr(g->b, l, LLVMBuildAnd(g->b, r, cg_i64(g, 63), ""), "");
	case BINOP_EQ: pred = LLVMIntEQ; break;
	case BINOP_NE: pred = LLVMIntNE; break;
	case BINOP_LT: pred = LLVMIntSLT; break;
	case BINOP_LE: pred = LLVMIntSLE; break;
	case BINOP_GT: pred = LLVMIntSGT; break;
	case BINOP_GE: pred = LLVMIntSGE; break;
	case BINOP_LAND: /* cg_logical */
	case BINOP_LOR:
		cg_error(g, e->loc, "unsupported operator", binop_str(e->u.binary.op));
		return cg_i64(g, 0);
	}
	return cg_bool64(g, LLVMBuildICmp(g->b, pred, l, r, ""));
}

static LLVMValueRef cg_ternary(struct cg *g, const struct expr *e)
{
	LLVMBasicBlockRef tb = cg_block(g, "t.then"), eb = cg_block(g, "t.else");
	LLVMBasicBlockRef done = cg_block(g, "t.done"), bbs[2];
	LLVMValueRef cond, tv, ev, vals[2], phi, buf = NULL;
	bool str = e->type.kind == TYPE_STR;

	if (str)
		buf = cg_alloca(g, e->type.size);
	cond = cg_truth(g, e->u.ternary.cond, cg_expr(g, e->u.ternary.cond));
	LLVMBuildCondBr(g->b, cond, tb, eb);
	cg_at(g, tb);
	tv = cg_expr(g, e->u.ternary.then);
	if (str)
		cg_store_value(g, e->u.ternary.then, tv, e->type, buf, 0);
	bbs[0] = LLVMGetInsertBlock(g->b);
	LLVMBuildBr(g->b, done);
	cg_at(g, eb);
	ev = cg_expr(g, e->u.ternary.els);
	if (str)
		cg_store_value(g, e->u.ternary.els, ev, e->type, buf, 0);
	bbs[1] = LLVMGetInsertBlock(g->b);
	LLVMBuildBr(g->b, done);
	cg_at(g, done);
	if (str)
		return buf;
	vals[0] = e->u.ternary.then->type.kind == TYPE_STR ? cg_i64(g, 0) : tv;
	vals[1] = e->u.ternary.els->type.kind == TYPE_STR ? cg_i64(g, 0) : ev;
	phi = LLVMBuildPhi(g->b, g->i64, "");
	LLVMAddIncoming(phi, vals, bbs, 2);
	return phi;
}

LLVMValueRef cg_expr(struct cg *g, const struct expr *e)
{
	LLVMValueRef v;

	cg_setloc(g, e->loc);
	switch (e->kind) {
	case EXPR_INT:
	case EXPR_ERRNO:
		return cg_i64(g, e->u.num);
	case EXPR_STR:
		return cg_str_literal(g, e->u.str.text, e->u.str.len,
				      e->type.kind == TYPE_STR && e->type.size ? e->type.size
									       : e->u.str.len + 1);
	case EXPR_IDENT:
		return cg_ident(g, e);
	case EXPR_LOCAL:
		if (!e->u.local.info) {
			cg_error(g, e->loc, "untyped local", e->u.local.name);
			return cg_i64(g, 0);
		}
		v = g->locals[e->u.local.info->id];
		if (type_is_buffer(e->u.local.info->type)) {
			/* a copy, so that a later assignment does not change this value */
			LLVMValueRef buf = cg_alloca(g, layout_type_size(e->type));

			cg_store_typed(g, e->u.local.info->type, v, e->type, buf, 0);
			return buf;
		}
		return cg_load(g, g->i64, v, 0);
	case EXPR_MAP:
		return cg_map_read(g, e);
	case EXPR_UNARY:
		v = cg_expr(g, e->u.unary.arg);
		cg_setloc(g, e->loc);
		switch (e->u.unary.op) {
		case UNOP_NEG: return LLVMBuildNeg(g->b, v, "");
		case UNOP_BNOT: return LLVMBuildNot(g->b, v, "");
		case UNOP_NOT:
			return cg_bool64(g, LLVMBuildNot(g->b, cg_truth(g, e->u.unary.arg, v), ""));
		}
		break;
	case EXPR_BINARY:
		return cg_binary(g, e);
	case EXPR_TERNARY:
		return cg_ternary(g, e);
	case EXPR_CALL:
		if (strcmp(e->u.call.name, "str") == 0)
			return cg_str_call(g, e);
		if (strcmp(e->u.call.name, "strftime") == 0) /* its ns: formatted when printed */
			return cg_expr(g, e->u.call.args->next);
		if (strcmp(e->u.call.name, "ksym") == 0) /* the address: looked up when printed */
			return cg_expr(g, e->u.call.args);
		break;
	case EXPR_TUPLE:
		return cg_tuple(g, e);
	case EXPR_ELEM:
		return cg_elem(g, e);
	case EXPR_ARG:
		break;
	}
	cg_error(g, e->loc, "expression not supported here", NULL);
	return cg_i64(g, 0);
}
