/* cg_pair.c - start/end pairs: the start program, and the end program's pairing with it
 * through the start map (its key, the start time and the fields saved at start). */
#include "cg.h"

#include <string.h>

/* ---- start/end pairs ----
 * The start program stores { u64 start ns; the at-start fields the clause uses } in a
 * hash map keyed by the thread id (or by the probe's pair_key tracepoint fields); the
 * end program finds it, computes latency = now - start, reads the saved fields from
 * it, and deletes it when the program ends, whatever path it takes. */

/* Lays out the start value for clause cl of probe def: which at-start fields it saves. */
void cg_start_layout(struct cg *g, const struct probe_def *def, const struct clause *cl)
{
	bool *used = arena_alloc(&g->c->arena, def->nfields + 1);
	const struct probe_field *f;
	uint32_t off = def->saved ? 16 : 8; /* the start time, the attach point's saved value */

	g->start_off = arena_alloc(&g->c->arena, (def->nfields + 1) * sizeof(uint32_t));
	for (unsigned i = 0; i < cl->nfields; i++) /* the fields it reads (lang/record.c) */
		if ((f = probe_field_find(def, cl->fields[i])))
			used[f - def->fields] = true;
	for (unsigned i = 0; i < def->nfields; i++) {
		if (!used[i] || !cg_field_at_start(&def->fields[i]))
			continue;
		g->start_off[i] = off;
		off += layout_type_size(def->fields[i].type);
	}
	g->start_size = off;
}

/* The 16-byte key pairing start and end: the two pair_key fields of the event (both
 * events have them, e.g. fileid and offset of an I/O RPC), or {thread id, 0}. */
static LLVMValueRef cg_pair_key(struct cg *g, const struct probe_attach *at, bool end,
				struct loc l)
{
	LLVMValueRef key = cg_alloca(g, 16);

	cg_zero(g, key, 0, 16);
	if (at->pair_key && at->pair_key[0] && at->pair_key[1]) {
		const char *target = end ? at->end_target : at->target;
		char err[256];
		const struct probe_def *tp = probe_tracepoint(target, err, sizeof(err));

		for (unsigned i = 0; i < 2; i++) {
			const struct probe_field *f = tp ? probe_field_find(tp, at->pair_key[i]) : NULL;

			if (!f) {
				cg_error(g, l, "cannot pair start and end events", tp ? at->pair_key[i] : err);
				return key;
			}
			cg_store(g, cg_field_now(g, type_int(), l, f), key, 8 * i);
		}
	} else {
		cg_store(g, LLVMBuildAnd(g->b, cg_helper0(g, H_GET_CURRENT_PID_TGID), cg_i64(g, 0xffffffff), ""), key, 0);
	}
	return key;
}

void cg_start_prog(struct cg *g, struct cg_prog *p, const struct probe_attach *at)
{
	const struct probe_def *def = p->def;
	LLVMValueRef key, val, args[4], ret;
	LLVMBasicBlockRef full, done;

	cg_begin_function(g, p, cg_section(g, at->kind, at->target), p->probe->loc);
	g->attach = at->kind;
	g->start_val = NULL;
	cg_pid_filter(g);
	cg_exit_check(g);
	key = cg_pair_key(g, at, false, p->probe->loc);
	val = cg_alloca(g, g->start_size);
	cg_zero(g, val, 0, g->start_size);
	cg_store(g, cg_helper0(g, H_KTIME_GET_NS), val, 0);
	if (def->saved)
		cg_store(g, cg_read(g, type_int(), p->probe->loc, "saved", def->saved), val, 8);
	for (unsigned i = 0; i < def->nfields; i++) {
		const struct probe_field *f = &def->fields[i];
		LLVMValueRef v;

		if (!g->start_off[i])
			continue;
		v = cg_field_now(g, f->type, p->probe->loc, f);
		if (f->type.kind == TYPE_STR)
			cg_copy_str(g, val, g->start_off[i], f->type.size, v, f->type.size);
		else
			cg_store(g, v, val, g->start_off[i]);
	}
	args[0] = g->start_map, args[1] = key, args[2] = val, args[3] = cg_i64(g, BPF_ANY);
	ret = cg_helper(g, H_MAP_UPDATE, args, 4);
	full = cg_block(g, "start.full");
	done = cg_block(g, "start.done");
	LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntSLT, ret, cg_i64(g, 0), ""), full, done);
	cg_at(g, full);
	cg_count_drop(g, LAYOUT_DROP_START(g->c->prog->nmaps));
	LLVMBuildBr(g->b, done);
	cg_at(g, done);
	LLVMBuildBr(g->b, g->ret_bb);
}

/* The end half: finds the start (none: nothing happens), latency = now - start; the
 * entry is deleted on the way out, or for a chain restamped with now for the next end. */
void cg_end_pairing(struct cg *g, const struct probe_attach *at)
{
	LLVMValueRef key = cg_pair_key(g, at, true, g->prog->probe->loc), v, args[2], now;
	LLVMBasicBlockRef have = cg_block(g, "pair.have"), del = cg_block(g, "pair.delete");
	LLVMBasicBlockRef ret = g->ret_bb;

	v = cg_lookup(g, g->start_map, key);
	LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntEQ, v, LLVMConstNull(g->ptr), ""), ret,
			have);
	cg_at(g, del);
	args[0] = g->start_map, args[1] = key;
	cg_helper(g, H_MAP_DELETE, args, 2);
	LLVMBuildBr(g->b, ret);
	cg_at(g, have);
	g->start_val = v;
	now = cg_helper0(g, H_KTIME_GET_NS);
	g->latency = LLVMBuildSub(g->b, now, cg_load(g, g->i64, v, 0), "latency");
	if (at->chain)
		cg_store(g, now, v, 0);
	else
		g->ret_bb = del;
}
