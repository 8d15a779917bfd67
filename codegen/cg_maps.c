/* cg_maps.c - the maps of the object: BTF-described globals in ".maps" (the script's
 * maps, the ring buffer, the drop counters, the exit flag, the run's configuration) with
 * the debug types of their keys and values, and the code that checks the exit flag,
 * reads the configuration and counts drops. */
#include "cg.h"

#include <string.h>

/* A BTF-defined map: struct { int (*type)[T]; int (*max_entries)[N]; K *key; V *value; } */
LLVMValueRef cg_map_new(struct cg *g, const char *name, bool with_key)
{
	LLVMTypeRef f[5] = {g->ptr, g->ptr, g->ptr, g->ptr, g->ptr};
	LLVMTypeRef st = LLVMStructTypeInContext(g->ctx, f, with_key ? 5 : 2, 0);
	LLVMValueRef gv = LLVMAddGlobal(g->mod, st, name);

	LLVMSetInitializer(gv, LLVMConstNull(st));
	LLVMSetSection(gv, ".maps");
	LLVMSetAlignment(gv, 8);
	LLVMSetLinkage(gv, LLVMExternalLinkage);
	return gv;
}

/* The BTF description of a map global (libbpf reads type, size, key, value from it). */
void cg_map_describe(struct cg *g, LLVMValueRef gv, const char *name, uint32_t type,
		     uint32_t max, LLVMMetadataRef key, LLVMMetadataRef value)
{
	unsigned n = key ? 5 : 2;
	LLVMMetadataRef m[5], dit, gve;
	/* hash maps allocate entries on update (bpf_mem_alloc, safe in tracing programs
	 * since 6.1): preallocating 4096 entries per CPU took 1.7 ms per map at start. Not
	 * where g->prealloc says (cg_maps) */
	uint32_t flags = (type == LAYOUT_MAP_HASH || type == LAYOUT_MAP_PERCPU_HASH) && !g->prealloc ? 1 : 0;

	if (type == LAYOUT_MAP_LRU_HASH) /* BPF_F_NO_COMMON_LRU: a list per CPU, no shared lock */
		flags = 2;

	m[0] = cg_di_member(g, "type", cg_di_ptr(g, cg_di_array(g, g->di_int, 32, type)), 64, 0);
	m[1] = cg_di_member(g, "max_entries", cg_di_ptr(g, cg_di_array(g, g->di_int, 32, max)), 64, 8);
	if (key) {
		m[2] = cg_di_member(g, "key", cg_di_ptr(g, key), 64, 16);
		m[3] = cg_di_member(g, "value", cg_di_ptr(g, value), 64, 24);
		m[4] = cg_di_member(g, "map_flags", cg_di_ptr(g, cg_di_array(g, g->di_int, 32, flags)),
				    64, 32);
	}
	dit = cg_di_struct(g, "", n * 8, m, n);
	gve = LLVMDIBuilderCreateGlobalVariableExpression(
		g->dib, g->dicu, name, strlen(name), name, strlen(name), g->difile, 0, dit, 0,
		LLVMDIBuilderCreateExpression(g->dib, NULL, 0), NULL, 0);
	LLVMGlobalSetMetadata(gv, LLVMGetMDKindIDInContext(g->ctx, "dbg", 3), gve);
}

LLVMValueRef cg_map_global(struct cg *g, const char *name, uint32_t type, uint32_t max,
			   LLVMMetadataRef key, LLVMMetadataRef value)
{
	LLVMValueRef gv = cg_map_new(g, name, key != NULL);

	cg_map_describe(g, gv, name, type, max, key, value);
	return gv;
}

static LLVMMetadataRef cg_di_key(struct cg *g, const struct map_layout *l)
{
	LLVMMetadataRef m[34];
	unsigned n = 0;
	char name[40];

	if (l->array)
		return g->di_int;
	if (!l->nkeys && !l->has_bucket)
		return g->di_u64;
	for (unsigned i = 0; i < l->nkeys && n < 32; i++) {
		snprintf(name, sizeof(name), "k%u", i);
		m[n++] = cg_di_member(g, name, cg_di_of_type(g, l->keys[i].type),
				      (uint64_t)l->keys[i].size * 8, l->keys[i].offset);
	}
	if (l->has_bucket)
		m[n++] = cg_di_member(g, "bucket", g->di_u64, 64, l->bucket_offset);
	snprintf(name, sizeof(name), "%s_key", l->obj_name);
	return cg_di_struct(g, name, l->key_size, m, n);
}

static LLVMMetadataRef cg_di_value(struct cg *g, const struct map_layout *l)
{
	LLVMMetadataRef m[4];
	const char *names[4];
	unsigned n = 0;

	switch (l->info->agg) {
	case AGG_NONE:
		if (l->array) /* a scalar (layout.h) */
			break;
		return cg_di_of_type(g, l->info->value);
	case AGG_AVG:
		names[0] = "sum", names[1] = "count", n = 2;
		break;
	case AGG_MIN:
	case AGG_MAX:
		names[0] = "value", names[1] = "set", n = 2;
		break;
	case AGG_STATS:
		names[0] = "count", names[1] = "sum", names[2] = "min", names[3] = "max", n = 4;
		break;
	case AGG_SUM:
		return g->di_s64;
	case AGG_COUNT:
	case AGG_HIST:
	case AGG_LHIST:
		return g->di_u64;
	}
	if (!n)
		names[0] = "value", names[1] = "set", n = 2;
	for (unsigned i = 0; i < n; i++)
		m[i] = cg_di_member(g, names[i], g->di_s64, 64, i * 8);
	return cg_di_struct(g, agg_name(l->info->agg), n * 8, m, n);
}

void cg_map_layouts(struct compilation *c, struct cg_object *obj)
{
	struct program *p = c->prog;

	obj->nmaps = p->nmaps;
	obj->maps = arena_alloc(&c->arena, (p->nmaps ? p->nmaps : 1) * sizeof(*obj->maps));
	for (unsigned i = 0; i < p->nmaps; i++)
		layout_map(&c->arena, p->maps[i], &obj->maps[i]);
}

void cg_maps(struct cg *g)
{
	struct program *p = g->c->prog;
	struct cg_object *obj = g->obj;

	cg_map_layouts(g->c, obj);
	/* perf_event programs (profile) may use only preallocated hash maps before Linux 6.1
	 * (the verifier's "perf_event programs can only use preallocated hash map") */
	for (const struct clause *cl = p->clauses; cl; cl = cl->next)
		for (const struct probe_ref *pr = cl->probes; pr; pr = pr->next)
			g->prealloc |= pr->kind == PROBE_PROFILE;
	g->maps = arena_alloc(&g->c->arena, (p->nmaps ? p->nmaps : 1) * sizeof(*g->maps));
	for (unsigned i = 0; i < p->nmaps; i++) {
		struct map_layout *l = &obj->maps[i];

		g->maps[i] = cg_map_global(g, l->obj_name, l->map_type,
					   l->array ? l->max_entries : obj->map_size,
					   cg_di_key(g, l), cg_di_value(g, l));
	}
	/* creating the ring buffer costs about 2.5 ms per MiB: small when no printf */
	g->ringbuf = cg_map_global(g, CT_RINGBUF_NAME, LAYOUT_MAP_RINGBUF,
				   p->nprintfs ? LAYOUT_RINGBUF_SIZE : LAYOUT_RINGBUF_SMALL, NULL, NULL);
	g->drops = cg_map_global(g, CT_DROPS_NAME, LAYOUT_MAP_PERCPU_ARRAY,
				 LAYOUT_NDROPS(p->nmaps), g->di_int, g->di_u64);
	g->state = cg_map_global(g, CT_STATE_NAME, LAYOUT_MAP_ARRAY, 1, g->di_int, g->di_u64);
	{
		LLVMMetadataRef m[3] = {cg_di_member(g, "cpid", g->di_s64, 64, LAYOUT_CFG_CPID),
					cg_di_member(g, "pid", g->di_s64, 64, LAYOUT_CFG_PID),
					cg_di_member(g, "start_ns", g->di_u64, 64, LAYOUT_CFG_START)};

		g->cfg = cg_map_global(g, CT_CFG_NAME, LAYOUT_MAP_ARRAY, 1, g->di_int,
				       cg_di_struct(g, "nfsq_cfg", LAYOUT_CFG_SIZE, m, 3));
	}
}

/* The exit flag (state[0]): set by exit() or by the runtime when it stops; once set,
 * probes do nothing, so that what is printed is what the program saw up to then,
 * and the slow detaching can wait until the output is out. */
LLVMValueRef cg_state_ptr(struct cg *g, LLVMBasicBlockRef if_null)
{
	LLVMValueRef key = cg_alloca(g, 8), v, args[2];
	LLVMBasicBlockRef ok = cg_block(g, "state.ok");

	cg_store(g, cg_i32(g, 0), key, 0);
	args[0] = g->state, args[1] = key;
	v = LLVMBuildIntToPtr(g->b, cg_helper(g, H_MAP_LOOKUP, args, 2), g->ptr, "");
	LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntEQ, v, LLVMConstNull(g->ptr), ""), if_null,
			ok);
	cg_at(g, ok);
	return v;
}

/* A value of the run's configuration (cpid, -p pid, elapsed origin), written by the
 * runtime after loading: not compiled in, so that the object does not depend on the run
 * (see the object cache in cg_compile). 0 if the lookup fails (it cannot: array map). */
LLVMValueRef cg_cfg_load(struct cg *g, uint32_t off)
{
	LLVMValueRef key = cg_alloca(g, 8), args[2], v, phi, vals[2];
	LLVMBasicBlockRef have = cg_block(g, "cfg.have"), done = cg_block(g, "cfg.done"), bbs[2];

	cg_store(g, cg_i32(g, 0), key, 0);
	args[0] = g->cfg, args[1] = key;
	v = LLVMBuildIntToPtr(g->b, cg_helper(g, H_MAP_LOOKUP, args, 2), g->ptr, "");
	bbs[0] = LLVMGetInsertBlock(g->b);
	LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntEQ, v, LLVMConstNull(g->ptr), ""), done,
			have);
	cg_at(g, have);
	vals[1] = cg_load(g, g->i64, v, off);
	bbs[1] = have;
	LLVMBuildBr(g->b, done);
	cg_at(g, done);
	vals[0] = cg_i64(g, 0);
	phi = LLVMBuildPhi(g->b, g->i64, "");
	LLVMAddIncoming(phi, vals, bbs, 2);
	return phi;
}

void cg_exit_check(struct cg *g)
{
	LLVMValueRef v;
	LLVMBasicBlockRef go;

	if (!g->state)
		return;
	v = cg_state_ptr(g, g->ret_bb);
	go = cg_block(g, "not.exited");
	LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntNE, cg_load(g, g->i64, v, 0), cg_i64(g, 0), ""),
			g->ret_bb, go);
	cg_at(g, go);
}

/* drops[idx] += 1 (per CPU) */
void cg_count_drop(struct cg *g, unsigned idx)
{
	LLVMValueRef key = cg_alloca(g, 8), args[2], v, isnull;
	LLVMBasicBlockRef inc = cg_block(g, "drop.inc"), done = cg_block(g, "drop.done");

	cg_store(g, cg_i32(g, idx), key, 0);
	args[0] = g->drops;
	args[1] = key;
	v = LLVMBuildIntToPtr(g->b, cg_helper(g, H_MAP_LOOKUP, args, 2), g->ptr, "");
	isnull = LLVMBuildICmp(g->b, LLVMIntEQ, v, LLVMConstNull(g->ptr), "");
	LLVMBuildCondBr(g->b, isnull, done, inc);
	cg_at(g, inc);
	cg_store(g, LLVMBuildAdd(g->b, cg_load(g, g->i64, v, 0), cg_i64(g, 1), ""), v, 0);
	LLVMBuildBr(g->b, done);
	cg_at(g, done);
}
