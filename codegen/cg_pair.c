/* cg_pair.c - start/end pairs: the start program, and the end program's pairing with it
 * through the start map (its key, the start time and the fields saved at start). */
#include "cg.h"

#include <string.h>

/* ---- start/end pairs ----
 * The start program stores { u64 start ns; the at-start fields the clause uses } in a
 * hash map keyed by the thread id (or by the probe's pair_key tracepoint fields); the
 * end program finds it, computes latency = now - start, reads the saved fields from
 * it, and deletes it when the program ends, whatever path it takes. */

/* The start record of clause cl on probe def: which at-start fields it saves where, and
 * its hash map (named name). NULL when the clause needs nothing from the start (no
 * latency, no field read there, no saved value): its end event runs alone, one program
 * and one map update fewer per event. */
struct cg_start *cg_start_new(struct cg *g, const struct probe_def *def, const struct clause *cl,
			      const char *name)
{
	struct cg_start *st = arena_alloc(&g->c->arena, sizeof(*st));
	bool *used = arena_alloc(&g->c->arena, def->nfields + 1);
	const struct probe_field *f;
	uint32_t off = def->saved ? 16 : 8; /* the start time, the attach point's saved value */

	st->off = arena_alloc(&g->c->arena, (def->nfields + 1) * sizeof(uint32_t));
	for (unsigned i = 0; i < cl->nfields; i++) /* the fields it reads (lang/record.c) */
		if ((f = probe_field_find(def, cl->fields[i]))) {
			used[f - def->fields] = true;
			st->timed |= f->src == FIELD_LATENCY;
		}
	for (unsigned i = 0; i < def->nfields; i++) {
		if (!used[i] || !cg_field_at_start(&def->fields[i]))
			continue;
		st->off[i] = off;
		off += layout_type_size(def->fields[i].type);
	}
	if (!st->timed && off == 8)
		return NULL;
	st->size = off;
	st->map = cg_map_global(g, name, LAYOUT_MAP_HASH, g->obj->map_size,
				cg_di_array(g, g->di_u64, 64, 2), cg_di_array(g, g->di_u64, 64, st->size / 8));
	return st;
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

/* The start half of (clause, probe) m, in its start program: the start time and the
 * saved fields go to its start map under the pair key. */
void cg_start_segment(struct cg *g, const struct cg_prog *m)
{
	const struct probe_def *def = m->def;
	const struct probe_attach *at = &def->attach[0];
	const struct cg_start *st = m->start;
	LLVMValueRef key, val, args[4], ret;
	LLVMBasicBlockRef full, done;

	key = cg_pair_key(g, at, false, m->probe->loc);
	val = cg_alloca(g, st->size);
	cg_zero(g, val, 0, st->size);
	if (st->timed)
		cg_store(g, cg_now(g), val, 0);
	if (def->saved)
		cg_store(g, cg_read(g, type_int(), m->probe->loc, "saved", def->saved), val, 8);
	for (unsigned i = 0; i < def->nfields; i++) {
		const struct probe_field *f = &def->fields[i];
		LLVMValueRef v;

		if (!st->off[i])
			continue;
		v = cg_field_now(g, f->type, m->probe->loc, f);
		if (f->type.kind == TYPE_STR)
			cg_copy_str(g, val, st->off[i], f->type.size, v, f->type.size);
		else
			cg_store(g, v, val, st->off[i]);
	}
	args[0] = st->map, args[1] = key, args[2] = val, args[3] = cg_i64(g, BPF_ANY);
	ret = cg_helper(g, H_MAP_UPDATE, args, 4);
	full = cg_block(g, "start.full");
	done = cg_block(g, "start.done");
	LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntSLT, ret, cg_i64(g, 0), ""), full, done);
	cg_at(g, full);
	cg_count_drop(g, LAYOUT_DROP_START(g->c->prog->nmaps));
	LLVMBuildBr(g->b, done);
	cg_at(g, done);
}

/* The end half: finds the start (none: nothing happens), latency = now - start; the
 * entry is deleted on the way out, or for a chain restamped with now for the next end
 * (a chain's at-start fields stay for its next end). */
void cg_end_pairing(struct cg *g, const struct probe_attach *at)
{
	LLVMValueRef key = cg_pair_key(g, at, true, g->prog->probe->loc), v, args[2], now;
	LLVMBasicBlockRef have = cg_block(g, "pair.have"), del = cg_block(g, "pair.delete");
	LLVMBasicBlockRef ret = g->ret_bb;

	v = cg_lookup(g, g->start->map, key);
	LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntEQ, v, LLVMConstNull(g->ptr), ""), ret,
			have);
	cg_at(g, del);
	args[0] = g->start->map, args[1] = key;
	cg_helper(g, H_MAP_DELETE, args, 2);
	LLVMBuildBr(g->b, ret);
	cg_at(g, have);
	g->start_val = v;
	if (g->start->timed) {
		now = cg_now(g);
		g->latency = LLVMBuildSub(g->b, now, cg_load(g, g->i64, v, 0), "latency");
		if (at->chain)
			cg_store(g, now, v, 0);
	}
	if (!at->chain)
		g->ret_bb = del;
}
