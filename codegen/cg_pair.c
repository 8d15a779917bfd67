/* cg_pair.c - start/end pairs: the start program, and the end program's pairing with it
 * through the start map (its key, the start time and the fields saved at start). */
#include "cg.h"

#include <stdio.h>
#include <string.h>

/* ---- start/end pairs ----
 * The start program stores { u64 start ns; saved value; the at-start fields the clauses
 * use } in a hash map keyed by the thread id (or by the probe's pair_key tracepoint
 * fields); the end program finds it, computes latency = now - start, reads the saved
 * fields from it, and deletes it after the last clause that uses it. The record is
 * shared by every clause on the same attach alternative of a probe: nfsslower's hist and
 * printf clauses cost one update, one lookup and one delete per event, not two of each. */

/* Joins clause cl on probe def (resolved: one attach alternative) to the start record of
 * that alternative, made (named name, *is_new) for the first clause. NULL when the clause
 * needs nothing from the start (no latency, no field read there, no saved value): its end
 * event runs alone, one program and one map update fewer per event. */
struct cg_start *cg_start_join(struct cg *g, const struct probe_def *def, const struct clause *cl,
			       const char *name, bool *is_new)
{
	struct cg_start *st;
	const struct probe_field *f;
	bool timed = false, fields = false;

	for (unsigned i = 0; i < cl->nfields; i++) /* the fields it reads (lang/record.c) */
		if ((f = probe_field_find(def, cl->fields[i]))) {
			timed |= f->src == FIELD_LATENCY;
			fields |= cg_field_at_start(f);
		}
	*is_new = false;
	if (!timed && !fields && !def->saved)
		return NULL;
	for (st = g->starts; st && st->at != def->attach; st = st->next)
		;
	if (!st) {
		st = arena_alloc(&g->c->arena, sizeof(*st));
		st->at = def->attach;
		st->def = def;
		st->used = arena_alloc(&g->c->arena, def->nfields + 1);
		st->off = arena_alloc(&g->c->arena, (def->nfields + 1) * sizeof(uint32_t));
		st->map_prog = -1;
		snprintf(st->name, sizeof(st->name), "%s", name);
		st->next = g->starts;
		g->starts = st;
		*is_new = true;
	}
	st->timed |= timed;
	for (unsigned i = 0; i < cl->nfields; i++)
		if ((f = probe_field_find(def, cl->fields[i])) && cg_field_at_start(f))
			st->used[f - def->fields] = true;
	return st;
}

/* Where each record keeps its fields, once every clause has joined. */
void cg_starts_layout(struct cg *g)
{
	for (struct cg_start *st = g->starts; st; st = st->next) {
		uint32_t off = st->def->saved ? 16 : 8; /* the start time, the saved value */

		for (unsigned i = 0; i < st->def->nfields; i++)
			if (st->used[i]) {
				st->off[i] = off;
				off += layout_type_size(st->def->fields[i].type);
			}
		st->size = off;
	}
}

/* The map of record st for the end program being emitted: made for its first clause there
 * (or one made for a program that was then split, reused). */
static LLVMValueRef cg_start_map(struct cg *g, struct cg_start *st)
{
	char name[32];

	if (st->map_prog == g->prog_index)
		return st->maps[st->nmaps - 1];
	if (st->nmaps == st->nmade) {
		LLVMValueRef *maps = arena_alloc(&g->c->arena, (st->nmade + 1) * sizeof(*maps));

		if (st->nmade)
			memcpy(maps, st->maps, st->nmade * sizeof(*maps));
		st->maps = maps;
		if (st->nmade)
			snprintf(name, sizeof(name), "%s_%u", st->name, st->nmade);
		else
			snprintf(name, sizeof(name), "%s", st->name);
		st->maps[st->nmade++] = cg_map_global(g, name, LAYOUT_MAP_HASH, g->obj->map_size,
						      cg_di_array(g, g->di_u64, 64, 2),
						      cg_di_array(g, g->di_u64, 64, st->size / 8));
	}
	st->map_prog = g->prog_index;
	return st->maps[st->nmaps++];
}

/* The end program prog_index was not kept (it is split in two): its maps go back. */
void cg_starts_abandon(struct cg *g, int prog_index)
{
	for (struct cg_start *st = g->starts; st; st = st->next)
		if (st->map_prog == prog_index) {
			st->nmaps--;
			st->map_prog = -1;
		}
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

		cg_fix_record(g, CT_FIX_TRACEPOINT, target, at->pair_key, 2, tp);

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

/* The start half of a record (its one start unit m), in its start program: the start
 * time and the saved fields go to each of its maps under the pair key. */
void cg_start_segment(struct cg *g, const struct cg_prog *m)
{
	const struct cg_start *st = m->start;
	const struct probe_def *def = st->def;
	const struct probe_attach *at = st->at;
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
	for (unsigned k = 0; k < st->nmaps; k++) {
		args[0] = st->maps[k], args[1] = key, args[2] = val, args[3] = cg_i64(g, BPF_ANY);
		ret = cg_helper_int(g, H_MAP_UPDATE, args, 4);
		full = cg_block(g, "start.full");
		done = cg_block(g, "start.done");
		LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntSLT, ret, cg_i64(g, 0), ""), full, done);
		cg_at(g, full);
		cg_count_drop(g, LAYOUT_DROP_START(g->c->prog->nmaps));
		LLVMBuildBr(g->b, done);
		cg_at(g, done);
	}
}

/* The end half of a clause on record g->start: the record is looked up by the first of its
 * clauses in this program (none: the clause does nothing); latency = now - start. After
 * the last of them (last), it is deleted, or for a chain restamped with now for the next
 * end (a chain's at-start fields stay for it). */
void cg_end_pairing(struct cg *g, const struct probe_attach *at, bool last)
{
	struct cg_start *st = g->start;
	LLVMValueRef map = cg_start_map(g, st), args[2], v;
	LLVMBasicBlockRef have = cg_block(g, "pair.have"), next = g->ret_bb, fin;

	if (st->gen != g->fn_gen) {
		st->gen = g->fn_gen;
		st->key = cg_pair_key(g, at, true, g->prog->probe->loc);
		st->val = cg_lookup(g, map, st->key);
	}
	v = st->val;
	LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntEQ, v, LLVMConstNull(g->ptr), ""), next,
			have);
	if (last) {
		fin = cg_block(g, "pair.done");
		cg_at(g, fin);
		if (!at->chain) {
			args[0] = map, args[1] = st->key;
			cg_helper(g, H_MAP_DELETE, args, 2);
		} else if (st->timed) {
			cg_store(g, cg_now(g), v, 0);
		}
		LLVMBuildBr(g->b, next);
		g->ret_bb = fin;
	}
	cg_at(g, have);
	g->start_val = v;
	if (st->timed)
		g->latency = LLVMBuildSub(g->b, cg_now(g), cg_load(g, g->i64, v, 0), "latency");
}

/* ---- stamps ----
 * A pair's alternative may read when a third event last happened for a key (struct
 * probe_stamp): the stamp program keeps now under the key in an LRU hash map (keys that
 * are never taken, a closed transport's, age out), and "stamp(K)" takes it. */

/* The stamp of st (made when make, else NULL when there is none yet). */
struct cg_stamp *cg_stamp_find(struct cg *g, const struct probe_stamp *st, bool make)
{
	struct cg_stamp *s;
	char name[16];
	unsigned n = 0;

	for (s = g->stamps; s && s->st != st; s = s->next)
		n++;
	if (s || !make)
		return s;
	s = arena_alloc(&g->c->arena, sizeof(*s));
	s->st = st;
	snprintf(name, sizeof(name), "stamp%u", n);
	s->map = cg_map_global(g, name, LAYOUT_MAP_LRU_HASH, g->obj->map_size, g->di_u64, g->di_u64);
	s->next = g->stamps;
	g->stamps = s;
	return s;
}

/* The stamp program's one segment: where the guard is not 0, now under the key. */
void cg_stamp_segment(struct cg *g, const struct cg_prog *m)
{
	const struct probe_def *def = m->def;
	struct cg_stamp *s = cg_stamp_find(g, def->attach[0].stamp, true);
	LLVMValueRef key = cg_alloca(g, 8), val = cg_alloca(g, 8), args[4];

	if (def->stamp_guard) {
		LLVMBasicBlockRef go = cg_block(g, "stamp.go");
		LLVMValueRef v = cg_read(g, type_int(), m->probe->loc, "stamp guard", def->stamp_guard);

		LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntNE, v, cg_i64(g, 0), ""), go, g->ret_bb);
		cg_at(g, go);
	}
	cg_store(g, cg_read(g, type_int(), m->probe->loc, "stamp key", def->stamp_key), key, 0);
	cg_store(g, cg_now(g), val, 0);
	args[0] = s->map, args[1] = key, args[2] = val, args[3] = cg_i64(g, BPF_ANY);
	cg_helper_int(g, H_MAP_UPDATE, args, 4); /* (an LRU map makes room) */
}

/* "stamp(K)": ns since st stamped key (0: it has not), the stamp deleted. */
LLVMValueRef cg_stamp_take(struct cg *g, const struct probe_stamp *st, LLVMValueRef key)
{
	struct cg_stamp *s = cg_stamp_find(g, st, true);
	LLVMValueRef k = cg_alloca(g, 8), p, args[2], out = cg_alloca(g, 8), v;
	LLVMBasicBlockRef have = cg_block(g, "stamp.have"), done = cg_block(g, "stamp.done");

	cg_store(g, key, k, 0);
	cg_store(g, cg_i64(g, 0), out, 0);
	p = cg_lookup(g, s->map, k);
	LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntEQ, p, LLVMConstNull(g->ptr), ""), done, have);
	cg_at(g, have);
	v = LLVMBuildSub(g->b, cg_now(g), cg_load(g, g->i64, p, 0), "");
	cg_store(g, LLVMBuildSelect(g->b, LLVMBuildICmp(g->b, LLVMIntSGT, v, cg_i64(g, 0), ""), v, cg_i64(g, 0), ""), out, 0);
	args[0] = s->map, args[1] = k;
	cg_helper(g, H_MAP_DELETE, args, 2);
	LLVMBuildBr(g->b, done);
	cg_at(g, done);
	return cg_load(g, g->i64, out, 0);
}
