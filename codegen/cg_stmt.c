/* cg_stmt.c - statements: map updates and aggregations (hist buckets, min/max, atomic
 * add), printf records and print/clear/exit events in the ring buffer, delete, if. */
#include "cg.h"

/* The value pointer of @m[key], creating a zeroed entry when missing. When the map is
 * full the drop is counted and control goes to skip; the builder stays in the block
 * where the returned pointer is valid. */
static LLVMValueRef cg_lookup_or_init(struct cg *g, const struct map_layout *l, LLVMValueRef map,
				      LLVMValueRef key, LLVMBasicBlockRef skip)
{
	LLVMBasicBlockRef init, have = cg_block(g, "agg.have"), retry, full;
	LLVMBasicBlockRef bbs[2];
	LLVMValueRef v, v2, zero, args[4], phi, vals[2];

	v = cg_lookup(g, map, key);
	if (l->array) { /* the entry exists: the index is in range (null only for the verifier) */
		LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntEQ, v, LLVMConstNull(g->ptr), ""),
				skip, have);
		cg_at(g, have);
		return v;
	}
	init = cg_block(g, "agg.init"), retry = cg_block(g, "agg.retry"), full = cg_block(g, "agg.full");
	bbs[0] = LLVMGetInsertBlock(g->b);
	LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntEQ, v, LLVMConstNull(g->ptr), ""), init,
			have);
	cg_at(g, init);
	zero = cg_alloca(g, l->value_size);
	cg_zero(g, zero, 0, l->value_size);
	args[0] = map, args[1] = key, args[2] = zero, args[3] = cg_i64(g, BPF_NOEXIST);
	cg_helper(g, H_MAP_UPDATE, args, 4);
	v2 = cg_lookup(g, map, key);
	LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntEQ, v2, LLVMConstNull(g->ptr), ""), full,
			retry);
	cg_at(g, full);
	cg_count_drop(g, l->info->id);
	LLVMBuildBr(g->b, skip);
	cg_at(g, retry);
	bbs[1] = retry;
	LLVMBuildBr(g->b, have);
	cg_at(g, have);
	phi = LLVMBuildPhi(g->b, g->ptr, "");
	vals[0] = v, vals[1] = v2;
	LLVMAddIncoming(phi, vals, bbs, 2);
	return phi;
}

static LLVMValueRef cg_hist_bucket(struct cg *g, LLVMValueRef x)
{
	LLVMValueRef n = x, r = cg_i64(g, 0);

	for (int s = 32; s >= 1; s /= 2) {
		LLVMValueRef c = LLVMBuildICmp(g->b, LLVMIntUGT, n,
					       LLVMConstInt(g->i64, (1ull << s) - 1, 0), "");
		LLVMValueRef t = LLVMBuildSelect(g->b, c, cg_i64(g, s), cg_i64(g, 0), "");

		n = LLVMBuildLShr(g->b, n, t, "");
		r = LLVMBuildAdd(g->b, r, t, "");
	}
	r = LLVMBuildAdd(g->b, r, cg_i64(g, 2), "");
	r = LLVMBuildSelect(g->b, LLVMBuildICmp(g->b, LLVMIntEQ, x, cg_i64(g, 0), ""), cg_i64(g, 1),
			    r, "");
	return LLVMBuildSelect(g->b, LLVMBuildICmp(g->b, LLVMIntSLT, x, cg_i64(g, 0), ""),
			       cg_i64(g, 0), r, "");
}

static LLVMValueRef cg_lhist_bucket(struct cg *g, const struct map_layout *l, LLVMValueRef x)
{
	const struct map_info *m = l->info;
	LLVMValueRef in, r;

	in = LLVMBuildUDiv(g->b, LLVMBuildSub(g->b, x, cg_i64(g, m->lhist_min), ""),
			   cg_i64(g, m->lhist_step > 0 ? m->lhist_step : 1), "");
	in = LLVMBuildAdd(g->b, in, cg_i64(g, 1), "");
	r = LLVMBuildSelect(g->b, LLVMBuildICmp(g->b, LLVMIntSGE, x, cg_i64(g, m->lhist_max), ""),
			    cg_i64(g, l->nbuckets - 1), in, "");
	return LLVMBuildSelect(g->b, LLVMBuildICmp(g->b, LLVMIntSLT, x, cg_i64(g, m->lhist_min), ""),
			       cg_i64(g, 0), r, "");
}

/* *p = cond ? x : *p, for min/max slots: set when unset or better */
static void cg_minmax(struct cg *g, LLVMValueRef v, uint32_t off, LLVMValueRef first,
		      LLVMValueRef x, LLVMIntPredicate better)
{
	LLVMValueRef cur = cg_load(g, g->i64, v, off);
	LLVMValueRef c = LLVMBuildOr(g->b, first, LLVMBuildICmp(g->b, better, x, cur, ""), "");

	cg_store(g, LLVMBuildSelect(g->b, c, x, cur, ""), v, off);
}

static void cg_add(struct cg *g, LLVMValueRef v, uint32_t off, LLVMValueRef x)
{
	cg_store(g, LLVMBuildAdd(g->b, cg_load(g, g->i64, v, off), x, ""), v, off);
}

static void cg_map_agg(struct cg *g, const struct stmt *s)
{
	const struct expr *lhs = s->u.assign.lhs, *call = s->u.assign.rhs;
	const struct map_info *m = lhs->u.map.info;
	const struct map_layout *l = &g->obj->maps[m->id];
	LLVMBasicBlockRef done = cg_block(g, "agg.done");
	LLVMValueRef x = NULL, bucket = NULL, key, v, first;

	if (call->u.call.args && m->agg != AGG_COUNT) {
		x = cg_expr(g, call->u.call.args);
		if (call->u.call.args->type.kind == TYPE_STR) {
			cg_error(g, call->loc, "aggregation of a string", NULL);
			x = cg_i64(g, 0);
		}
	}
	if (!x)
		x = cg_i64(g, 0);
	if (m->agg == AGG_HIST)
		bucket = cg_hist_bucket(g, x);
	else if (m->agg == AGG_LHIST)
		bucket = cg_lhist_bucket(g, l, x);
	key = cg_key(g, l, lhs->u.map.keys, bucket);
	cg_setloc(g, s->loc);
	v = cg_lookup_or_init(g, l, g->maps[m->id], key, done);
	switch (m->agg) {
	case AGG_COUNT:
	case AGG_HIST:
	case AGG_LHIST:
		cg_add(g, v, 0, cg_i64(g, 1));
		break;
	case AGG_SUM:
		cg_add(g, v, 0, x);
		break;
	case AGG_AVG:
		cg_add(g, v, LAYOUT_AVG_SUM, x);
		cg_add(g, v, LAYOUT_AVG_COUNT, cg_i64(g, 1));
		break;
	case AGG_MIN:
	case AGG_MAX:
		first = LLVMBuildICmp(g->b, LLVMIntEQ, cg_load(g, g->i64, v, LAYOUT_MINMAX_SET),
				      cg_i64(g, 0), "");
		cg_minmax(g, v, LAYOUT_MINMAX_VALUE, first, x,
			  m->agg == AGG_MIN ? LLVMIntSLT : LLVMIntSGT);
		cg_store(g, cg_i64(g, 1), v, LAYOUT_MINMAX_SET);
		break;
	case AGG_STATS:
		first = LLVMBuildICmp(g->b, LLVMIntEQ, cg_load(g, g->i64, v, LAYOUT_STATS_COUNT),
				      cg_i64(g, 0), "");
		cg_minmax(g, v, LAYOUT_STATS_MIN, first, x, LLVMIntSLT);
		cg_minmax(g, v, LAYOUT_STATS_MAX, first, x, LLVMIntSGT);
		cg_add(g, v, LAYOUT_STATS_COUNT, cg_i64(g, 1));
		cg_add(g, v, LAYOUT_STATS_SUM, x);
		break;
	case AGG_NONE:
		break;
	}
	LLVMBuildBr(g->b, done);
	cg_at(g, done);
}

static void cg_map_set(struct cg *g, const struct stmt *s)
{
	const struct expr *lhs = s->u.assign.lhs, *rhs = s->u.assign.rhs;
	const struct map_info *m = lhs->u.map.info;
	const struct map_layout *l = &g->obj->maps[m->id];
	LLVMValueRef x, key, val, args[4], ret;
	LLVMBasicBlockRef full = cg_block(g, "set.full"), done = cg_block(g, "set.done");

	x = cg_expr(g, rhs);
	key = cg_key(g, l, lhs->u.map.keys, NULL);
	if (l->array) { /* a scalar (layout.h): its one entry always exists */
		cg_setloc(g, s->loc);
		val = cg_lookup_or_init(g, l, g->maps[m->id], key, done);
		cg_store_value(g, rhs, x, m->value, val, 0);
		cg_store(g, cg_i64(g, 1), val, LAYOUT_SCALAR_SET);
		LLVMBuildBr(g->b, done);
		LLVMDeleteBasicBlock(full);
		cg_at(g, done);
		return;
	}
	val = cg_alloca(g, l->value_size);
	cg_store_value(g, rhs, x, m->value, val, 0);
	cg_setloc(g, s->loc);
	args[0] = g->maps[m->id], args[1] = key, args[2] = val, args[3] = cg_i64(g, BPF_ANY);
	ret = cg_helper_int(g, H_MAP_UPDATE, args, 4);
	LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntSLT, ret, cg_i64(g, 0), ""), full, done);
	cg_at(g, full);
	cg_count_drop(g, m->id);
	LLVMBuildBr(g->b, done);
	cg_at(g, done);
}

/* @m[k] += x: the value is created as 0 if missing, then added to atomically, so
 * concurrent updates from several CPUs are never lost. */
static void cg_map_add(struct cg *g, const struct stmt *s)
{
	const struct expr *lhs = s->u.assign.lhs;
	const struct map_info *m = lhs->u.map.info;
	const struct map_layout *l = &g->obj->maps[m->id];
	LLVMBasicBlockRef done = cg_block(g, "add.done");
	LLVMValueRef x, key, v;

	x = cg_expr(g, s->u.assign.rhs);
	key = cg_key(g, l, lhs->u.map.keys, NULL);
	cg_setloc(g, s->loc);
	v = cg_lookup_or_init(g, l, g->maps[m->id], key, done);
	LLVMBuildAtomicRMW(g->b, LLVMAtomicRMWBinOpAdd, v, x, LLVMAtomicOrderingMonotonic, 0);
	if (l->array)
		cg_store(g, cg_i64(g, 1), v, LAYOUT_SCALAR_SET);
	LLVMBuildBr(g->b, done);
	cg_at(g, done);
}

static void cg_event(struct cg *g, uint64_t id, LLVMValueRef arg)
{
	LLVMValueRef rec = cg_alloca(g, 16), args[4], ret;
	LLVMBasicBlockRef lost = cg_block(g, "ev.lost"), done = cg_block(g, "ev.done");

	cg_store(g, LLVMConstInt(g->i64, id, 0), rec, 0);
	if (arg)
		cg_store(g, arg, rec, 8);
	args[0] = g->ringbuf, args[1] = rec;
	args[2] = cg_i64(g, arg ? LAYOUT_EV_PRINT_SIZE : LAYOUT_EV_SIZE), args[3] = cg_i64(g, 0);
	ret = cg_helper(g, H_RINGBUF_OUTPUT, args, 4);
	LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntSLT, ret, cg_i64(g, 0), ""), lost, done);
	cg_at(g, lost);
	cg_count_drop(g, LAYOUT_DROP_RINGBUF(g->c->prog->nmaps));
	LLVMBuildBr(g->b, done);
	cg_at(g, done);
}

static void cg_printf(struct cg *g, const struct stmt *s)
{
	const struct printf_info *pi = s->u.call.printf;
	const struct expr *a = s->u.call.call->u.call.args;
	LLVMValueRef vals[64], dens[64], rec, args[3];
	const struct expr *exprs[64];
	unsigned n = 0;
	LLVMBasicBlockRef lost = cg_block(g, "pf.lost"), fill = cg_block(g, "pf.fill");
	LLVMBasicBlockRef done = cg_block(g, "pf.done");

	if (!pi) {
		cg_error(g, s->loc, "printf without format information", NULL);
		return;
	}
	if (a) /* the format string */
		a = a->next;
	for (; a && n < pi->nargs && n < 64; a = a->next, n++) {
		exprs[n] = a;
		if (pi->args[n].ratio) { /* a / b: both, divided when printed */
			vals[n] = cg_expr(g, a->u.binary.lhs);
			dens[n] = cg_expr(g, a->u.binary.rhs);
		} else {
			vals[n] = cg_expr(g, a);
		}
	}
	cg_setloc(g, s->loc);
	args[0] = g->ringbuf, args[1] = cg_i64(g, pi->size), args[2] = cg_i64(g, 0);
	rec = LLVMBuildIntToPtr(g->b, cg_helper(g, H_RINGBUF_RESERVE, args, 3), g->ptr, "");
	LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntEQ, rec, LLVMConstNull(g->ptr), ""), lost,
			fill);
	cg_at(g, lost);
	cg_count_drop(g, LAYOUT_DROP_RINGBUF(g->c->prog->nmaps));
	LLVMBuildBr(g->b, done);
	cg_at(g, fill);
	cg_store(g, LLVMConstInt(g->i64, pi->id, 0), rec, 0);
	for (unsigned i = 0; i < n; i++) {
		struct type t = pi->args[i].type;
		uint32_t room = pi->size - pi->args[i].offset;

		if (t.kind == TYPE_STR && layout_round8(t.size) > room)
			t.size = room & ~7u;
		if (t.kind != TYPE_STR && room < (pi->args[i].ratio ? 16 : layout_type_size(t)))
			continue;
		if (pi->args[i].ratio) {
			cg_store(g, vals[i], rec, pi->args[i].offset);
			cg_store(g, dens[i], rec, pi->args[i].offset + 8);
			continue;
		}
		cg_store_value(g, exprs[i], vals[i], t, rec, pi->args[i].offset);
	}
	args[0] = rec, args[1] = cg_i64(g, 0);
	cg_helper(g, H_RINGBUF_SUBMIT, args, 2);
	LLVMBuildBr(g->b, done);
	cg_at(g, done);
}

static void cg_if(struct cg *g, const struct stmt *s)
{
	LLVMBasicBlockRef tb = cg_block(g, "if.then"), eb = cg_block(g, "if.else");
	LLVMBasicBlockRef done = cg_block(g, "if.done");
	LLVMValueRef c = cg_truth(g, s->u.ifs.cond, cg_expr(g, s->u.ifs.cond));

	LLVMBuildCondBr(g->b, c, tb, eb);
	cg_at(g, tb);
	cg_stmts(g, s->u.ifs.then);
	LLVMBuildBr(g->b, done);
	cg_at(g, eb);
	cg_stmts(g, s->u.ifs.els);
	LLVMBuildBr(g->b, done);
	cg_at(g, done);
}

/* while (c) { body }: the verifier must see it end (a bounded loop, kernel 5.3 and later) */
static void cg_while(struct cg *g, const struct stmt *s)
{
	LLVMBasicBlockRef test = cg_block(g, "while.test"), body = cg_block(g, "while.body");
	LLVMBasicBlockRef done = cg_block(g, "while.done");
	LLVMBasicBlockRef outer_test = g->loop_test, outer_done = g->loop_done; /* (nested loops) */

	LLVMBuildBr(g->b, test);
	cg_at(g, test);
	LLVMBuildCondBr(g->b, cg_truth(g, s->u.ifs.cond, cg_expr(g, s->u.ifs.cond)), body, done);
	cg_at(g, body);
	g->loop_test = test, g->loop_done = done;
	cg_stmts(g, s->u.ifs.then);
	g->loop_test = outer_test, g->loop_done = outer_done;
	LLVMBuildBr(g->b, test);
	cg_at(g, done);
}

static const struct map_info *cg_map_arg(struct cg *g, const struct stmt *s)
{
	const struct expr *a = s->u.call.call->u.call.args;

	if (!a || a->kind != EXPR_MAP || !a->u.map.info) {
		cg_error(g, s->loc, "expected a map argument", NULL);
		return NULL;
	}
	return a->u.map.info;
}

/* Test hook (cg_options.test_reject_line): a store through a pointer made from a
 * number, which the verifier must reject, placed at the statement's location. */
static void cg_test_reject(struct cg *g)
{
	LLVMValueRef v = LLVMBuildIntToPtr(g->b, cg_helper0(g, H_KTIME_GET_NS), g->ptr, "");

	cg_store(g, cg_i64(g, 1), v, 0);
}

/* print(@m[, top]); with take, the print takes on a clear(@m) after it (cg_print_clear) */
static void cg_print(struct cg *g, const struct stmt *s, bool take)
{
	const struct map_info *m = cg_map_arg(g, s);
	const struct expr *a;
	LLVMValueRef v;

	if (!m)
		return;
	a = s->u.call.call->u.call.args->next;
	v = a ? cg_expr(g, a) : cg_i64(g, 0);
	cg_setloc(g, s->loc);
	cg_event(g, (take ? LAYOUT_EV_PRINT_CLEAR : LAYOUT_EV_PRINT) | m->id, v);
}

static void cg_stmt(struct cg *g, const struct stmt *s)
{
	const struct map_info *m;
	const struct expr *a;
	LLVMValueRef v, args[2];

	cg_setloc(g, s->loc);
	if (g->o->test_reject_line) {
		uint32_t line, col;

		src_linecol(&g->c->src, s->loc.begin, &line, &col);
		if (line == g->o->test_reject_line)
			cg_test_reject(g);
	}
	switch (s->kind) {
	case STMT_MAP_AGG:
		if (s->u.assign.lhs->u.map.info->agg == AGG_NONE)
			cg_map_set(g, s);
		else
			cg_map_agg(g, s);
		return;
	case STMT_MAP_SET:
		cg_map_set(g, s);
		return;
	case STMT_MAP_ADD:
		cg_map_add(g, s);
		return;
	case STMT_LOCAL_SET: {
		const struct local_info *li = s->u.assign.lhs->u.local.info;

		if (!li) {
			cg_error(g, s->loc, "untyped local", NULL);
			return;
		}
		v = cg_expr(g, s->u.assign.rhs);
		cg_store_value(g, s->u.assign.rhs, v, li->type, g->locals[li->id], 0);
		return;
	}
	case STMT_PRINTF:
		cg_printf(g, s);
		return;
	case STMT_PRINT:
		cg_print(g, s, false);
		return;
	case STMT_CLEAR:
		if (!(m = cg_map_arg(g, s)))
			return;
		cg_event(g, LAYOUT_EV_CLEAR | m->id, NULL);
		return;
	case STMT_ZERO:
		if (!(m = cg_map_arg(g, s)))
			return;
		cg_event(g, LAYOUT_EV_ZERO | m->id, NULL);
		return;
	case STMT_DELETE:
		if (!(m = cg_map_arg(g, s)))
			return;
		a = s->u.call.call->u.call.args;
		args[1] = cg_key(g, &g->obj->maps[m->id], a->u.map.keys, NULL);
		args[0] = g->maps[m->id];
		cg_setloc(g, s->loc);
		cg_helper(g, H_MAP_DELETE, args, 2);
		return;
	case STMT_EXIT:
		if (g->state) {
			LLVMBasicBlockRef done = cg_block(g, "exit.flag");

			v = cg_state_ptr(g, done);
			cg_store(g, cg_i64(g, 1), v, 0);
			LLVMBuildBr(g->b, done);
			cg_at(g, done);
		}
		a = s->u.call.call->u.call.args;
		v = a ? cg_expr(g, a) : NULL;
		cg_setloc(g, s->loc);
		cg_event(g, LAYOUT_EV_EXIT, v);
		LLVMBuildBr(g->b, g->exit_bb ? g->exit_bb : g->ret_bb);
		cg_at(g, cg_block(g, "after.exit"));
		return;
	case STMT_IF:
		cg_if(g, s);
		return;
	case STMT_WHILE:
		cg_while(g, s);
		return;
	case STMT_FOR:
		cg_for(g, s);
		return;
	case STMT_BREAK:
	case STMT_CONTINUE:
		if (!g->loop_test) {
			cg_error(g, s->loc, "break or continue outside a loop", NULL);
			return;
		}
		LLVMBuildBr(g->b, s->kind == STMT_BREAK ? g->loop_done : g->loop_test);
		cg_at(g, cg_block(g, "after.jump"));
		return;
	case STMT_UNROLL:
		for (int64_t i = 0; i < s->u.ifs.cond->u.num; i++)
			cg_stmts(g, s->u.ifs.then);
		return;
	case STMT_ASSIGN:
	case STMT_CALL:
		break;
	}
	cg_error(g, s->loc, "statement not supported (was the program checked?)", NULL);
}

/* The map a print, clear, zero or delete statement names (NULL if unchecked). */
static const struct map_info *cg_stmt_map(const struct stmt *s)
{
	const struct expr *a = s->u.call.call ? s->u.call.call->u.call.args : NULL;

	return a && a->kind == EXPR_MAP ? a->u.map.info : NULL;
}

/* The clear(@m) that the print(@m) at s can take on: later in the same block, with
 * nothing between that writes @m, prints or zeroes it, stops or branches (NULL if none).
 * The two become one event, whose read of @m deletes each entry as it reads it: an
 * update made while nfsq prints @m lands in the next print instead of being cleared
 * unseen (as in bpftrace, where print and clear are two reads of the map). */
static const struct stmt *cg_print_clear(const struct stmt *s)
{
	const struct map_info *m = cg_stmt_map(s);

	for (const struct stmt *t = s->next; m && t; t = t->next) {
		switch (t->kind) {
		case STMT_CLEAR:
			if (cg_stmt_map(t) == m)
				return t;
			break;
		case STMT_PRINT:
		case STMT_ZERO:
		case STMT_DELETE:
			if (cg_stmt_map(t) == m)
				return NULL;
			break;
		case STMT_MAP_AGG:
		case STMT_MAP_SET:
		case STMT_MAP_ADD:
			if (t->u.assign.lhs->u.map.info == m)
				return NULL;
			break;
		case STMT_LOCAL_SET:
		case STMT_PRINTF:
			break;
		case STMT_ASSIGN: /* (not after sema) */
		case STMT_CALL:
		case STMT_EXIT:
		case STMT_IF:
		case STMT_WHILE:
		case STMT_UNROLL:
		case STMT_FOR:
		case STMT_BREAK:
		case STMT_CONTINUE:
			return NULL;
		}
	}
	return NULL;
}

#define CG_TAKEN_MAX 64 /* clears taken on by prints, per block */

void cg_stmts(struct cg *g, const struct stmt *s)
{
	const struct stmt *taken[CG_TAKEN_MAX], *c;
	unsigned ntaken = 0, i;

	for (; s; s = s->next) {
		for (i = 0; i < ntaken && taken[i] != s; i++)
			;
		if (i < ntaken) /* done by its print */
			continue;
		if (s->kind == STMT_PRINT && ntaken < CG_TAKEN_MAX && (c = cg_print_clear(s))) {
			taken[ntaken++] = c;
			cg_print(g, s, true);
			continue;
		}
		cg_stmt(g, s);
	}
}
