/* cg_build.c - the small IR builders every part of the code generator uses (constants,
 * debug locations, stack buffers, loads and stores, helper calls, blocks, string copies
 * and literals) and the debug info helpers (the compile unit, basic and composite types). */
#include "cg.h"

#include <string.h>

void cg_error(struct cg *g, struct loc l, const char *msg, const char *what)
{
	diag_error(&g->c->diag, l, "%s%s%s", msg, what ? ": " : "", what ? what : "");
	g->errors++;
}

LLVMValueRef cg_i64(struct cg *g, int64_t v)
{
	return LLVMConstInt(g->i64, (unsigned long long)v, 1);
}

LLVMValueRef cg_i32(struct cg *g, uint32_t v)
{
	return LLVMConstInt(g->i32, v, 0);
}

void cg_setloc(struct cg *g, struct loc l)
{
	uint32_t line = 1, col = 1;
	LLVMMetadataRef dl;

	if (g->c->src.text)
		src_linecol(&g->c->src, l.begin, &line, &col);
	dl = LLVMDIBuilderCreateDebugLocation(g->ctx, line, col, g->sp, NULL);
	LLVMSetCurrentDebugLocation2(g->b, dl);
}

/* An 8-byte aligned stack buffer of size bytes, allocated in the entry block. */
LLVMValueRef cg_alloca(struct cg *g, uint32_t size)
{
	LLVMBuilderRef eb;
	LLVMValueRef first, a;

	if (g->scratch_mode && g->scratch_base && (size > 8 || g->scratch_all)) {
		a = cg_gep(g, g->scratch_base, g->scratch_used);
		g->scratch_used += layout_round8(size);
		return a;
	}
	g->stack_used += layout_round8(size ? size : 8);
	eb = LLVMCreateBuilderInContext(g->ctx);
	first = LLVMGetFirstInstruction(g->entry);
	if (first)
		LLVMPositionBuilderBefore(eb, first);
	else
		LLVMPositionBuilderAtEnd(eb, g->entry);
	a = LLVMBuildAlloca(eb, LLVMArrayType(g->i64, layout_round8(size ? size : 8) / 8), "");
	LLVMSetAlignment(a, 8);
	LLVMDisposeBuilder(eb);
	return a;
}

LLVMValueRef cg_gep(struct cg *g, LLVMValueRef p, uint32_t off)
{
	LLVMValueRef idx;

	if (!off)
		return p;
	idx = cg_i64(g, off);
	return LLVMBuildGEP2(g->b, g->i8, p, &idx, 1, "");
}

LLVMValueRef cg_load(struct cg *g, LLVMTypeRef t, LLVMValueRef p, uint32_t off)
{
	return LLVMBuildLoad2(g->b, t, cg_gep(g, p, off), "");
}

/* A read of the probe's context (an argument, a register, a tracepoint record's field),
 * through its own opaque copy of the ctx pointer (llvm.bpf.passthrough, which the BPF back
 * end removes before instruction selection): loads of ctx + 8 in several blocks otherwise let
 * LLVM compute ctx + 8 once and keep it in a register, and the verifier refuses a load
 * through such a "modified ctx ptr" (it wants ctx plus a constant in the load itself).
 * (Loading each read once at the function's entry instead kept them all live through a
 * fused program and overflowed its stack.) */
LLVMValueRef cg_ctx_load(struct cg *g, LLVMTypeRef t, uint32_t off)
{
	static const char name[] = "llvm.bpf.passthrough";
	unsigned id = LLVMLookupIntrinsicID(name, sizeof(name) - 1);
	LLVMTypeRef types[2] = {g->ptr, g->ptr};
	LLVMValueRef args[2] = {LLVMConstInt(g->i32, g->ctx_seq++, 0), g->ctxarg}, p;

	if (!id)
		return cg_load(g, t, g->ctxarg, off);
	p = LLVMBuildCall2(g->b, LLVMIntrinsicGetType(g->ctx, id, types, 2),
			   LLVMGetIntrinsicDeclaration(g->mod, id, types, 2), args, 2, "");
	return cg_load(g, t, p, off);
}

void cg_store(struct cg *g, LLVMValueRef v, LLVMValueRef p, uint32_t off)
{
	LLVMBuildStore(g->b, v, cg_gep(g, p, off));
}

void cg_zero(struct cg *g, LLVMValueRef p, uint32_t off, uint32_t size)
{
	for (uint32_t i = 0; i < layout_round8(size); i += 8)
		cg_store(g, cg_i64(g, 0), p, off + i);
}

LLVMValueRef cg_helper(struct cg *g, int id, LLVMValueRef *args, unsigned n)
{
	LLVMTypeRef at[6];
	LLVMTypeRef ft;
	LLVMValueRef fp;

	for (unsigned i = 0; i < n; i++)
		at[i] = LLVMTypeOf(args[i]);
	ft = LLVMFunctionType(g->i64, at, n, 0);
	fp = LLVMConstIntToPtr(cg_i64(g, id), g->ptr);
	return LLVMBuildCall2(g->b, ft, fp, args, n, "");
}

/* A helper whose kernel side returns an int (map update and delete): before Linux 6.4 the
 * verifier calls the map's own function, and the upper half of r0 is not defined (seen in
 * the 6.1 lab: -EEXIST came back as 0xffffff80ffffffef). Its low 32 bits, sign-extended. */
LLVMValueRef cg_helper_int(struct cg *g, int id, LLVMValueRef *args, unsigned n)
{
	return LLVMBuildSExt(g->b, LLVMBuildTrunc(g->b, cg_helper(g, id, args, n), g->i32, ""), g->i64, "");
}

LLVMValueRef cg_helper0(struct cg *g, int id)
{
	return cg_helper(g, id, NULL, 0);
}

LLVMBasicBlockRef cg_block(struct cg *g, const char *name)
{
	return LLVMAppendBasicBlockInContext(g->ctx, g->fn, name);
}

void cg_at(struct cg *g, LLVMBasicBlockRef bb)
{
	LLVMPositionBuilderAtEnd(g->b, bb);
}

LLVMValueRef cg_bool64(struct cg *g, LLVMValueRef i1v)
{
	return LLVMBuildZExt(g->b, i1v, g->i64, "");
}

/* Copies a string buffer of ssize into one of dsize (both zero padded, see top). */
void cg_copy_str(struct cg *g, LLVMValueRef dst, uint32_t doff, uint32_t dsize,
		 LLVMValueRef src, uint32_t ssize)
{
	uint32_t d8 = layout_round8(dsize), s8 = layout_round8(ssize);
	uint32_t n = d8 < s8 ? d8 : s8;

	for (uint32_t i = 0; i < n; i += 8)
		cg_store(g, cg_load(g, g->i64, src, i), dst, doff + i);
	for (uint32_t i = n; i < d8; i += 8)
		cg_store(g, cg_i64(g, 0), dst, doff + i);
	if (ssize > dsize && dsize > 0)
		for (uint32_t i = dsize - 1; i < d8; i++)
			cg_store(g, LLVMConstInt(g->i8, 0, 0), dst, doff + i);
}

LLVMMetadataRef cg_di_array(struct cg *g, LLVMMetadataRef elem, uint32_t elem_bits,
			    uint32_t n)
{
	LLVMMetadataRef sub = LLVMDIBuilderGetOrCreateSubrange(g->dib, 0, n);

	return LLVMDIBuilderCreateArrayType(g->dib, (uint64_t)n * elem_bits, elem_bits, elem, &sub, 1);
}

LLVMMetadataRef cg_di_ptr(struct cg *g, LLVMMetadataRef to)
{
	return LLVMDIBuilderCreatePointerType(g->dib, to, 64, 0, 0, "", 0);
}

LLVMMetadataRef cg_di_member(struct cg *g, const char *name, LLVMMetadataRef t,
			     uint64_t bits, uint64_t off_bytes)
{
	return LLVMDIBuilderCreateMemberType(g->dib, g->dicu, name, strlen(name), g->difile, 0, bits,
					     0, off_bytes * 8, LLVMDIFlagZero, t);
}

LLVMMetadataRef cg_di_struct(struct cg *g, const char *name, uint64_t size,
			     LLVMMetadataRef *members, unsigned n)
{
	return LLVMDIBuilderCreateStructType(g->dib, g->dicu, name, strlen(name), g->difile, 0,
					     size * 8, 64, LLVMDIFlagZero, NULL, members, n, 0, NULL,
					     "", 0);
}

LLVMMetadataRef cg_di_of_type(struct cg *g, struct type t)
{
	if (type_is_buffer(t))
		return cg_di_array(g, g->di_char, 8, layout_type_size(t));
	return g->di_s64;
}

LLVMValueRef cg_str_literal(struct cg *g, const char *s, uint32_t len, uint32_t size)
{
	LLVMValueRef buf = cg_alloca(g, size);
	uint32_t s8 = layout_round8(size);

	if (len >= size)
		len = size ? size - 1 : 0;
	for (uint32_t i = 0; i < s8; i += 8) {
		uint64_t w = 0;

		for (uint32_t k = 0; k < 8 && i + k < len; k++)
			w |= (uint64_t)(unsigned char)s[i + k] << (8 * k);
		cg_store(g, LLVMConstInt(g->i64, w, 0), buf, i);
	}
	return buf;
}

void cg_debug_types(struct cg *g)
{
	const char *name = g->c->src.name ? g->c->src.name : "-e";

	g->dib = LLVMCreateDIBuilder(g->mod);
	g->difile = LLVMDIBuilderCreateFile(g->dib, name, strlen(name), ".", 1);
	g->dicu = LLVMDIBuilderCreateCompileUnit(g->dib, LLVMDWARFSourceLanguageC, g->difile, "nfsq",
						 4, 1, "", 0, 0, "", 0, LLVMDWARFEmissionFull, 0, 0,
						 0, "", 0, "", 0);
	g->di_int = LLVMDIBuilderCreateBasicType(g->dib, "int", 3, 32, 0x05, LLVMDIFlagZero);
	g->di_s64 = LLVMDIBuilderCreateBasicType(g->dib, "long", 4, 64, 0x05, LLVMDIFlagZero);
	g->di_u64 = LLVMDIBuilderCreateBasicType(g->dib, "unsigned long", 13, 64, 0x07,
						 LLVMDIFlagZero);
	g->di_char = LLVMDIBuilderCreateBasicType(g->dib, "char", 4, 8, 0x06, LLVMDIFlagZero);
	g->di_voidp = cg_di_ptr(g, NULL);
	LLVMAddModuleFlag(g->mod, LLVMModuleFlagBehaviorWarning, "Debug Info Version", 18,
			  LLVMValueAsMetadata(cg_i32(g, LLVMDebugMetadataVersion())));
	LLVMAddModuleFlag(g->mod, LLVMModuleFlagBehaviorWarning, "Dwarf Version", 13,
			  LLVMValueAsMetadata(cg_i32(g, 4)));
}
