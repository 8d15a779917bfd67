/* cg_for.c - for ($kv : @m) { body }: the body becomes a callback that
 * bpf_for_each_map_elem (Linux 5.13) calls for each entry, $kv filled from the entry's key
 * and value (a count() or sum() summed over the CPUs with bpf_map_lookup_percpu_elem, 5.19).
 * The callback sees the clause's locals: they are one buffer when the clause has a loop,
 * on the stack (given to the callback as its context) or in the scratch map (looked up
 * again by the callback, the same per-CPU value). */
#include "cg.h"

#include <string.h>

#define CG_FOR_MAX_CPUS 1024 /* a per-CPU value summed over at most these CPUs */

/* What the callback changes of the function being emitted, put back afterwards. */
struct cg_for_saved {
	LLVMValueRef fn, ctxarg, latency, now, scratch_base, start_val, *locals;
	LLVMMetadataRef sp;
	LLVMBasicBlockRef entry, ret_bb, exit_bb, loop_test, loop_done, at;
	struct cg_start *start;
	unsigned fn_gen;
};

/* words of 8 bytes from src to dst (both 8-byte aligned buffers) */
static void cg_for_copy(struct cg *g, LLVMValueRef dst, uint32_t doff, LLVMValueRef src, uint32_t n)
{
	for (uint32_t i = 0; i + 8 <= n; i += 8)
		cg_store(g, cg_load(g, g->i64, src, i), dst, doff + i);
}

/* The sum of key's values on every CPU of the per-CPU map m. */
static LLVMValueRef cg_for_percpu_sum(struct cg *g, LLVMValueRef m, LLVMValueRef key)
{
	LLVMValueRef sum = cg_alloca(g, 8), cpu = cg_alloca(g, 8), args[3], c, p;
	LLVMBasicBlockRef test = cg_block(g, "pcpu.test"), look = cg_block(g, "pcpu.look"),
			  add = cg_block(g, "pcpu.add"), done = cg_block(g, "pcpu.done");

	cg_store(g, cg_i64(g, 0), sum, 0);
	cg_store(g, cg_i64(g, 0), cpu, 0);
	LLVMBuildBr(g->b, test);
	cg_at(g, test);
	c = cg_load(g, g->i64, cpu, 0);
	LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntULT, c, cg_i64(g, CG_FOR_MAX_CPUS), ""), look, done);
	cg_at(g, look);
	args[0] = m, args[1] = key, args[2] = LLVMBuildTrunc(g->b, c, g->i32, "");
	p = LLVMBuildIntToPtr(g->b, cg_helper(g, H_MAP_LOOKUP_PERCPU, args, 3), g->ptr, "");
	LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntEQ, p, LLVMConstNull(g->ptr), ""), done, add);
	cg_at(g, add); /* (no entry for a CPU past the last) */
	cg_store(g, LLVMBuildAdd(g->b, cg_load(g, g->i64, sum, 0), cg_load(g, g->i64, p, 0), ""), sum, 0);
	cg_store(g, LLVMBuildAdd(g->b, c, cg_i64(g, 1), ""), cpu, 0);
	LLVMBuildBr(g->b, test);
	cg_at(g, done);
	return cg_load(g, g->i64, sum, 0);
}

/* long forN(struct bpf_map *map, void *key, void *value, void *ctx): 0 goes on, 1 stops */
static LLVMValueRef cg_for_callback(struct cg *g, const struct stmt *s, const struct map_layout *l)
{
	LLVMTypeRef pt[4] = {g->ptr, g->ptr, g->ptr, g->ptr};
	LLVMMetadataRef dp[5] = {g->di_s64, g->di_voidp, g->di_voidp, g->di_voidp, g->di_voidp};
	static const char *const pnames[4] = {"map", "key", "value", "ctx"};
	const struct local_info *kv = s->u.ifs.var->u.local.info;
	const struct type *el = kv->type.tuple->elems;
	char name[24];
	uint32_t line = 1, col = 1;
	LLVMValueRef fn, base, slot;
	LLVMBasicBlockRef stop, exited;

	snprintf(name, sizeof(name), "for%u", g->nfor++);
	fn = LLVMAddFunction(g->mod, name, LLVMFunctionType(g->i64, pt, 4, 0));
	LLVMSetLinkage(fn, LLVMInternalLinkage);
	LLVMSetSection(fn, ".text");
	if (g->c->src.text)
		src_linecol(&g->c->src, s->loc.begin, &line, &col);
	g->sp = LLVMDIBuilderCreateFunction(g->dib, g->difile, name, strlen(name), name, strlen(name),
					    g->difile, line,
					    LLVMDIBuilderCreateSubroutineType(g->dib, g->difile, dp, 5, LLVMDIFlagZero),
					    1, 1, line, LLVMDIFlagPrototyped, 1);
	LLVMSetSubprogram(fn, g->sp);
	for (unsigned i = 0; i < 4; i++)
		LLVMDIBuilderCreateParameterVariable(g->dib, g->sp, pnames[i], strlen(pnames[i]), i + 1,
						     g->difile, line, g->di_voidp, 1, LLVMDIFlagZero);
	g->fn = fn;
	g->fn_gen++;
	g->ctxarg = LLVMConstNull(g->ptr); /* (sema lets nothing read the probe's context here) */
	g->latency = g->now = g->start_val = NULL;
	g->start = NULL;
	g->entry = cg_block(g, "entry");
	g->ret_bb = cg_block(g, "next");
	stop = cg_block(g, "stop");
	cg_at(g, g->ret_bb);
	cg_setloc(g, s->loc);
	LLVMBuildRet(g->b, cg_i64(g, 0));
	cg_at(g, stop);
	LLVMBuildRet(g->b, cg_i64(g, 1));
	g->loop_done = stop; /* break stops the loop, continue goes on */
	g->loop_test = g->ret_bb;
	exited = g->exit_bb = cg_block(g, "exited"); /* exit(): stops it, and says so to the clause */
	cg_at(g, g->entry);
	if (g->scratch_mode) { /* the locals in the scratch map: its value again */
		LLVMValueRef key = cg_alloca(g, 8), args[2];
		LLVMBasicBlockRef ok = cg_block(g, "scratch.ok");

		cg_store(g, cg_i32(g, g->nscratch), key, 0);
		args[0] = g->scratch, args[1] = key;
		g->scratch_base = LLVMBuildIntToPtr(g->b, cg_helper(g, H_MAP_LOOKUP, args, 2), g->ptr, "");
		LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntEQ, g->scratch_base, LLVMConstNull(g->ptr), ""),
				stop, ok);
		cg_at(g, ok);
		base = cg_gep(g, g->scratch_base, g->locals_off);
	} else {
		base = LLVMGetParam(fn, 3);
	}
	g->locals = arena_alloc(&g->c->arena, (g->nlocals + 1) * sizeof(*g->locals));
	for (unsigned i = 0; i < g->nlocals; i++)
		g->locals[i] = cg_gep(g, base, g->local_offs[i]);
	/* $kv = (key, value) */
	slot = g->locals[kv->id];
	cg_for_copy(g, slot, 0, LLVMGetParam(fn, 1),
		    l->key_size < layout_type_size(el[0]) ? l->key_size : layout_type_size(el[0]));
	if (l->percpu)
		cg_store(g, cg_for_percpu_sum(g, g->maps[l->info->id], LLVMGetParam(fn, 1)), slot,
			 kv->type.tuple->offs[1]);
	else
		cg_for_copy(g, slot, kv->type.tuple->offs[1], LLVMGetParam(fn, 2),
			    l->value_size < layout_type_size(el[1]) ? l->value_size : layout_type_size(el[1]));
	cg_stmts(g, s->u.ifs.then);
	LLVMBuildBr(g->b, g->ret_bb);
	cg_at(g, exited);
	cg_store(g, cg_i64(g, 1), base, g->for_exit_off);
	LLVMBuildBr(g->b, stop);
	return fn;
}

void cg_for(struct cg *g, const struct stmt *s)
{
	const struct map_layout *l = &g->obj->maps[s->u.ifs.cond->u.map.info->id];
	struct cg_for_saved sv = {g->fn, g->ctxarg, g->latency, g->now, g->scratch_base, g->start_val,
				  g->locals, g->sp, g->entry, g->ret_bb, g->exit_bb, g->loop_test,
				  g->loop_done, LLVMGetInsertBlock(g->b), g->start, g->fn_gen};
	LLVMValueRef cb = cg_for_callback(g, s, l), args[4];

	g->fn = sv.fn, g->ctxarg = sv.ctxarg, g->latency = sv.latency, g->now = sv.now;
	g->scratch_base = sv.scratch_base, g->start_val = sv.start_val, g->locals = sv.locals;
	g->sp = sv.sp, g->entry = sv.entry, g->ret_bb = sv.ret_bb, g->exit_bb = sv.exit_bb;
	g->loop_test = sv.loop_test, g->loop_done = sv.loop_done, g->start = sv.start;
	g->fn_gen = sv.fn_gen;
	cg_at(g, sv.at);
	cg_setloc(g, s->loc);
	args[0] = g->maps[l->info->id];
	args[1] = cb;
	args[2] = g->scratch_mode ? LLVMConstNull(g->ptr) : g->locals_base;
	args[3] = cg_i64(g, 0);
	cg_helper(g, H_FOR_EACH_MAP_ELEM, args, 4);
	if (g->c->prog->has_exit) { /* exit() in the body ends the clause too */
		LLVMBasicBlockRef go = cg_block(g, "for.go");

		LLVMBuildCondBr(g->b,
				LLVMBuildICmp(g->b, LLVMIntNE, cg_load(g, g->i64, g->locals_base, g->for_exit_off),
					      cg_i64(g, 0), ""),
				g->exit_bb ? g->exit_bb : g->ret_bb, go);
		cg_at(g, go);
	}
}
