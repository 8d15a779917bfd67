/* cg_stack.c - kstack and ustack: the stack read into a per-CPU buffer (bpf_get_stack),
 * hashed, and kept in the stack map under its hash, which is the value the script sees
 * (the bit layout and why not bpf_get_stackid: contract/layout.h). */
#include "cg.h"

#include <errno.h>

#define CG_F_USER_STACK (1ull << 8) /* BPF_F_USER_STACK */

/* The stack map and the buffer, made by the first program that reads a stack. */
static void cg_stack_maps(struct cg *g)
{
	LLVMMetadataRef frames;

	if (g->stacks)
		return;
	frames = cg_di_array(g, g->di_u64, 64, LAYOUT_STACK_SIZE / 8);
	g->stacks = cg_map_global(g, CT_STACKS_NAME, LAYOUT_MAP_HASH, g->obj->map_size, g->di_u64,
				  frames);
	g->stackbuf = cg_map_global(g, CT_STACKBUF_NAME, LAYOUT_MAP_PERCPU_ARRAY, 1, g->di_int,
				    frames);
}

/* h = (h ^ w) * K; h ^= h >> 29 (one step of the hash) */
static LLVMValueRef cg_stack_mix(struct cg *g, LLVMValueRef h, LLVMValueRef w)
{
	h = LLVMBuildMul(g->b, LLVMBuildXor(g->b, h, w, ""), cg_i64(g, (int64_t)0x9e3779b97f4a7c15ull), "");
	return LLVMBuildXor(g->b, h, LLVMBuildLShr(g->b, h, cg_i64(g, 29), ""), "");
}

LLVMValueRef cg_stack(struct cg *g, const struct expr *e)
{
	bool user = e->u.ident.builtin == BUILTIN_USTACK;
	unsigned frames = e->u.ident.frames;
	LLVMValueRef key = cg_alloca(g, 8), hp = cg_alloca(g, 8), ip = cg_alloca(g, 8);
	LLVMValueRef args[4], buf, n, nr, i, h, r, v;
	LLVMBasicBlockRef have = cg_block(g, "stack.buf"), test = cg_block(g, "stack.test"),
			  step = cg_block(g, "stack.step"), keep = cg_block(g, "stack.keep"),
			  lost = cg_block(g, "stack.lost"), done = cg_block(g, "stack.done");

	cg_stack_maps(g);
	cg_store(g, cg_i64(g, 0), hp, 0);
	cg_store(g, cg_i32(g, 0), key, 0);
	args[0] = g->stackbuf, args[1] = key;
	buf = LLVMBuildIntToPtr(g->b, cg_helper(g, H_MAP_LOOKUP, args, 2), g->ptr, "stack.buf");
	LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntEQ, buf, LLVMConstNull(g->ptr), ""), done,
			have);

	/* n bytes of frames after the count; none (a kernel thread's user stack) is a stack */
	cg_at(g, have);
	args[0] = g->ctxarg;
	args[1] = cg_gep(g, buf, 8);
	args[2] = cg_i32(g, frames * 8);
	/* under fentry/fexit the kernel stack starts in nfsq's program and the BPF trampoline:
	 * two frames skipped (the 6.1, 6.12 and 7.3 labs: tests/nfs/probes.sh) */
	args[3] = cg_i64(g, user ? CG_F_USER_STACK : g->attach == ATTACH_FENTRY || g->attach == ATTACH_FEXIT ? 2 : 0);
	n = cg_helper(g, H_GET_STACK, args, 4);
	nr = LLVMBuildSelect(g->b, LLVMBuildICmp(g->b, LLVMIntSGT, n, cg_i64(g, 0), ""),
			     LLVMBuildLShr(g->b, n, cg_i64(g, 3), ""), cg_i64(g, 0), "stack.nr");
	cg_store(g, nr, buf, 0);
	cg_store(g, cg_stack_mix(g, nr, cg_i64(g, user ? 0x75 : 0x6b)), hp, 0);
	cg_store(g, cg_i64(g, 0), ip, 0);
	LLVMBuildBr(g->b, test);

	/* for (i = 0; i < frames && i < nr; i++) h = mix(h, frame[i]): i's constant bound keeps
	 * every read inside the buffer for the verifier */
	cg_at(g, test);
	i = cg_load(g, g->i64, ip, 0);
	LLVMBuildCondBr(g->b,
			LLVMBuildAnd(g->b, LLVMBuildICmp(g->b, LLVMIntULT, i, cg_i64(g, frames), ""),
				     LLVMBuildICmp(g->b, LLVMIntULT, i, nr, ""), ""),
			step, keep);
	cg_at(g, step);
	{
		LLVMValueRef off = LLVMBuildAdd(g->b, LLVMBuildShl(g->b, i, cg_i64(g, 3), ""), cg_i64(g, 8), "");
		LLVMValueRef at = LLVMBuildGEP2(g->b, g->i8, buf, &off, 1, "");

		cg_store(g, cg_stack_mix(g, cg_load(g, g->i64, hp, 0), LLVMBuildLoad2(g->b, g->i64, at, "")), hp, 0);
	}
	cg_store(g, LLVMBuildAdd(g->b, i, cg_i64(g, 1), ""), ip, 0);
	LLVMBuildBr(g->b, test);

	/* the frames kept under their hash (0 is "lost": made 1) */
	cg_at(g, keep);
	h = LLVMBuildAnd(g->b, cg_load(g, g->i64, hp, 0), cg_i64(g, (int64_t)LAYOUT_STACK_HASH_MASK), "");
	h = LLVMBuildSelect(g->b, LLVMBuildICmp(g->b, LLVMIntEQ, h, cg_i64(g, 0), ""), cg_i64(g, 1), h, "");
	cg_store(g, h, hp, 0);
	cg_store(g, h, key, 0);
	args[0] = g->stacks, args[1] = key, args[2] = buf, args[3] = cg_i64(g, BPF_NOEXIST);
	r = cg_helper_int(g, H_MAP_UPDATE, args, 4);
	LLVMBuildCondBr(g->b,
			LLVMBuildAnd(g->b, LLVMBuildICmp(g->b, LLVMIntNE, r, cg_i64(g, 0), ""),
				     LLVMBuildICmp(g->b, LLVMIntNE, r, cg_i64(g, -EEXIST), ""), ""),
			lost, done);
	cg_at(g, lost);
	cg_count_drop(g, LAYOUT_DROP_STACK(g->c->prog->nmaps));
	cg_store(g, cg_i64(g, 0), hp, 0);
	LLVMBuildBr(g->b, done);

	cg_at(g, done);
	v = cg_load(g, g->i64, hp, 0);
	if (e->u.ident.perf)
		v = LLVMBuildOr(g->b, v, cg_i64(g, (int64_t)LAYOUT_STACK_PERF), "");
	if (user)
		v = LLVMBuildOr(g->b, v,
				LLVMBuildShl(g->b,
					     LLVMBuildLShr(g->b, cg_helper0(g, H_GET_CURRENT_PID_TGID),
							   cg_i64(g, 32), ""),
					     cg_i64(g, LAYOUT_STACK_PID_SHIFT), ""),
				"");
	return v;
}
