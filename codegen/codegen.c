/* codegen.c - typed AST -> LLVM IR -> BPF ELF object, with the LLVM-C API.
 *
 * One BPF program per (clause, probe); start/end probes add a start program that
 * records the start time per thread. Every function gets a DISubprogram and a
 * named ctx parameter, and every statement and expression a DILocation from its
 * script position, so the BTF line info LLVM emits maps instructions back to the
 * script (see runtime/verifier.c). Maps are BTF-defined globals in ".maps".
 *
 * Values: integers are i64; a string is a pointer to an 8-byte aligned stack
 * buffer of layout_type_size() bytes, zero padded after its NUL (every producer
 * keeps that invariant, so comparing and hashing strings is word-wise). */
#include "codegen.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <llvm-c/Analysis.h>
#include <llvm-c/Core.h>
#include <llvm-c/DebugInfo.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include <llvm-c/Transforms/InstCombine.h>
#include <llvm-c/Transforms/Scalar.h>

#include "../probes/probe.h"

/* BPF helper ids (enum bpf_func_id). */
enum {
	H_MAP_LOOKUP = 1,
	H_MAP_UPDATE = 2,
	H_MAP_DELETE = 3,
	H_KTIME_GET_NS = 5,
	H_GET_SMP_PROCESSOR_ID = 8,
	H_GET_CURRENT_PID_TGID = 14,
	H_GET_CURRENT_UID_GID = 15,
	H_GET_CURRENT_COMM = 16,
	H_PROBE_READ_KERNEL = 113,
	H_PROBE_READ_KERNEL_STR = 115,
	H_RINGBUF_OUTPUT = 130,
	H_RINGBUF_RESERVE = 131,
	H_RINGBUF_SUBMIT = 132,
};

#define BPF_ANY 0
#define BPF_NOEXIST 1

/* x86_64 struct pt_regs offsets: di si dx cx r8 r9, and ax for the return value. */
static const unsigned cg_arg_regs[6] = {14 * 8, 13 * 8, 12 * 8, 11 * 8, 9 * 8, 8 * 8};
#define CG_RETVAL_REG (10 * 8)

struct cg {
	struct compilation *c;
	const struct cg_options *o;
	struct cg_object *obj;
	LLVMContextRef ctx;
	LLVMModuleRef mod;
	LLVMBuilderRef b;
	LLVMDIBuilderRef dib;
	LLVMTargetMachineRef tm;
	LLVMTypeRef i1, i8, i32, i64, ptr;
	LLVMMetadataRef difile, dicu, di_int, di_s64, di_u64, di_char, di_voidp;
	LLVMValueRef *maps;     /* per map_info.id */
	LLVMValueRef ringbuf, drops, state, cfg;
	LLVMValueRef scratch;     /* per-CPU array: one value per program that needs it */
	uint32_t scratch_size;    /* its value size: the largest need */
	unsigned nscratch;        /* programs using it */
	bool scratch_mode;        /* the function being emitted keeps big buffers there */
	LLVMValueRef scratch_base;
	uint32_t scratch_used, stack_used;
	/* the function being emitted */
	LLVMValueRef fn, ctxarg;
	LLVMMetadataRef sp;
	LLVMBasicBlockRef entry, ret_bb;
	LLVMValueRef *locals;
	const struct cg_prog *prog;
	enum attach_kind attach; /* how ctx is laid out (end event of a pair) */
	LLVMValueRef latency;    /* FIELD_LATENCY value, or NULL */
	LLVMValueRef start_map;  /* of the probe being emitted, or NULL */
	LLVMValueRef start_val;  /* end program: the start map's value (start ns, saved fields) */
	uint32_t *start_off;     /* per field of the probe: offset in the start value, 0 = not saved */
	uint32_t start_size;
	int errors;
};

/* ---- small builders ---- */

static void cg_error(struct cg *g, struct loc l, const char *msg, const char *what)
{
	diag_error(&g->c->diag, l, "%s%s%s", msg, what ? ": " : "", what ? what : "");
	g->errors++;
}

static LLVMValueRef cg_i64(struct cg *g, int64_t v)
{
	return LLVMConstInt(g->i64, (unsigned long long)v, 1);
}

static LLVMValueRef cg_i32(struct cg *g, uint32_t v)
{
	return LLVMConstInt(g->i32, v, 0);
}

static void cg_setloc(struct cg *g, struct loc l)
{
	uint32_t line = 1, col = 1;
	LLVMMetadataRef dl;

	if (g->c->src.text)
		src_linecol(&g->c->src, l.begin, &line, &col);
	dl = LLVMDIBuilderCreateDebugLocation(g->ctx, line, col, g->sp, NULL);
	LLVMSetCurrentDebugLocation2(g->b, dl);
}

/* An 8-byte aligned stack buffer of size bytes, allocated in the entry block. */
static LLVMValueRef cg_gep(struct cg *g, LLVMValueRef p, uint32_t off);

static LLVMValueRef cg_alloca(struct cg *g, uint32_t size)
{
	LLVMBuilderRef eb;
	LLVMValueRef first, a;

	if (g->scratch_mode && g->scratch_base && size > 8) {
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

static LLVMValueRef cg_gep(struct cg *g, LLVMValueRef p, uint32_t off)
{
	LLVMValueRef idx;

	if (!off)
		return p;
	idx = cg_i64(g, off);
	return LLVMBuildGEP2(g->b, g->i8, p, &idx, 1, "");
}

static LLVMValueRef cg_load(struct cg *g, LLVMTypeRef t, LLVMValueRef p, uint32_t off)
{
	return LLVMBuildLoad2(g->b, t, cg_gep(g, p, off), "");
}

static void cg_store(struct cg *g, LLVMValueRef v, LLVMValueRef p, uint32_t off)
{
	LLVMBuildStore(g->b, v, cg_gep(g, p, off));
}

static void cg_zero(struct cg *g, LLVMValueRef p, uint32_t off, uint32_t size)
{
	for (uint32_t i = 0; i < layout_round8(size); i += 8)
		cg_store(g, cg_i64(g, 0), p, off + i);
}

static LLVMValueRef cg_helper(struct cg *g, int id, LLVMValueRef *args, unsigned n)
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

static LLVMValueRef cg_helper0(struct cg *g, int id)
{
	return cg_helper(g, id, NULL, 0);
}

static LLVMBasicBlockRef cg_block(struct cg *g, const char *name)
{
	return LLVMAppendBasicBlockInContext(g->ctx, g->fn, name);
}

static void cg_at(struct cg *g, LLVMBasicBlockRef bb)
{
	LLVMPositionBuilderAtEnd(g->b, bb);
}

static LLVMValueRef cg_bool64(struct cg *g, LLVMValueRef i1v)
{
	return LLVMBuildZExt(g->b, i1v, g->i64, "");
}

/* Copies a string buffer of ssize into one of dsize (both zero padded, see top). */
static void cg_copy_str(struct cg *g, LLVMValueRef dst, uint32_t doff, uint32_t dsize,
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

/* ---- maps and debug types ---- */

static LLVMMetadataRef cg_di_array(struct cg *g, LLVMMetadataRef elem, uint32_t elem_bits,
				   uint32_t n)
{
	LLVMMetadataRef sub = LLVMDIBuilderGetOrCreateSubrange(g->dib, 0, n);

	return LLVMDIBuilderCreateArrayType(g->dib, (uint64_t)n * elem_bits, elem_bits, elem, &sub, 1);
}

static LLVMMetadataRef cg_di_ptr(struct cg *g, LLVMMetadataRef to)
{
	return LLVMDIBuilderCreatePointerType(g->dib, to, 64, 0, 0, "", 0);
}

static LLVMMetadataRef cg_di_member(struct cg *g, const char *name, LLVMMetadataRef t,
				    uint64_t bits, uint64_t off_bytes)
{
	return LLVMDIBuilderCreateMemberType(g->dib, g->dicu, name, strlen(name), g->difile, 0, bits,
					     0, off_bytes * 8, LLVMDIFlagZero, t);
}

static LLVMMetadataRef cg_di_struct(struct cg *g, const char *name, uint64_t size,
				    LLVMMetadataRef *members, unsigned n)
{
	return LLVMDIBuilderCreateStructType(g->dib, g->dicu, name, strlen(name), g->difile, 0,
					     size * 8, 64, LLVMDIFlagZero, NULL, members, n, 0, NULL,
					     "", 0);
}

static LLVMMetadataRef cg_di_of_type(struct cg *g, struct type t)
{
	if (t.kind == TYPE_STR)
		return cg_di_array(g, g->di_char, 8, layout_type_size(t));
	return g->di_s64;
}

/* A BTF-defined map: struct { int (*type)[T]; int (*max_entries)[N]; K *key; V *value; } */
static LLVMValueRef cg_map_new(struct cg *g, const char *name, bool with_key)
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
static void cg_map_describe(struct cg *g, LLVMValueRef gv, const char *name, uint32_t type,
			    uint32_t max, LLVMMetadataRef key, LLVMMetadataRef value)
{
	unsigned n = key ? 5 : 2;
	LLVMMetadataRef m[5], dit, gve;
	/* hash maps allocate entries on update (bpf_mem_alloc, safe in tracing programs
	 * since 6.1): preallocating 4096 entries per CPU took 1.7 ms per map at start */
	uint32_t flags = type == LAYOUT_MAP_HASH || type == LAYOUT_MAP_PERCPU_HASH ? 1 : 0;

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

static LLVMValueRef cg_map_global(struct cg *g, const char *name, uint32_t type, uint32_t max,
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
	default:
		return l->info->agg == AGG_SUM ? g->di_s64 : g->di_u64;
	}
	for (unsigned i = 0; i < n; i++)
		m[i] = cg_di_member(g, names[i], g->di_s64, 64, i * 8);
	return cg_di_struct(g, agg_name(l->info->agg), n * 8, m, n);
}

static void cg_maps(struct cg *g)
{
	struct program *p = g->c->prog;
	struct cg_object *obj = g->obj;

	obj->nmaps = p->nmaps;
	obj->maps = arena_alloc(&g->c->arena, (p->nmaps ? p->nmaps : 1) * sizeof(*obj->maps));
	g->maps = arena_alloc(&g->c->arena, (p->nmaps ? p->nmaps : 1) * sizeof(*g->maps));
	for (unsigned i = 0; i < p->nmaps; i++) {
		struct map_layout *l = &obj->maps[i];

		layout_map(&g->c->arena, p->maps[i], l);
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
static LLVMValueRef cg_state_ptr(struct cg *g, LLVMBasicBlockRef if_null)
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
static LLVMValueRef cg_cfg_load(struct cg *g, uint32_t off)
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

static void cg_exit_check(struct cg *g)
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
static void cg_count_drop(struct cg *g, unsigned idx)
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

/* ---- expressions ---- */

static LLVMValueRef cg_expr(struct cg *g, const struct expr *e);

static LLVMValueRef cg_str_literal(struct cg *g, const char *s, uint32_t len, uint32_t size)
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

static LLVMValueRef cg_ctx_ptr(struct cg *g, LLVMValueRef off)
{
	return LLVMBuildGEP2(g->b, g->i8, g->ctxarg, &off, 1, "");
}

static LLVMValueRef cg_int_of(struct cg *g, LLVMValueRef v, uint32_t size, bool is_signed)
{
	LLVMTypeRef t = size == 1 ? g->i8 : size == 2 ? LLVMInt16TypeInContext(g->ctx)
					  : size == 4 ? g->i32 : g->i64;

	if (size < 8) {
		v = LLVMBuildTrunc(g->b, v, t, "");
		v = is_signed ? LLVMBuildSExt(g->b, v, g->i64, "") : LLVMBuildZExt(g->b, v, g->i64, "");
	}
	return v;
}

/* *(u64 *)(p + off) read with bpf_probe_read_kernel (0 when it faults). */
static LLVMValueRef cg_kread(struct cg *g, LLVMValueRef p, int32_t off, uint32_t size)
{
	LLVMValueRef tmp = cg_alloca(g, 8), args[3];

	cg_store(g, cg_i64(g, 0), tmp, 0);
	args[0] = tmp;
	args[1] = cg_i32(g, size > 8 ? 8 : size);
	args[2] = LLVMBuildIntToPtr(g->b, LLVMBuildAdd(g->b, p, cg_i64(g, off), ""), g->ptr, "");
	cg_helper(g, H_PROBE_READ_KERNEL, args, 3);
	return cg_load(g, g->i64, tmp, 0);
}

static void cg_count_drop(struct cg *g, unsigned idx);

/* After a string read of size bytes from src returned n: when it filled the buffer and
 * the source goes on past it (its byte size - 1 is not the end), the string was cut. */
static void cg_count_cut(struct cg *g, LLVMValueRef n, LLVMValueRef src, uint32_t size)
{
	LLVMBasicBlockRef full = cg_block(g, "str.full"), cut = cg_block(g, "str.cut");
	LLVMBasicBlockRef done = cg_block(g, "str.done");
	LLVMValueRef last;

	LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntEQ, n, cg_i64(g, size), ""), full, done);
	cg_at(g, full);
	last = LLVMBuildAnd(g->b, cg_kread(g, LLVMBuildPtrToInt(g->b, src, g->i64, ""), (int32_t)size - 1, 1),
			    cg_i64(g, 0xff), "");
	LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntNE, last, cg_i64(g, 0), ""), cut, done);
	cg_at(g, cut);
	cg_count_drop(g, LAYOUT_DROP_CUT(g->c->prog->nmaps));
	LLVMBuildBr(g->b, done);
	cg_at(g, done);
}

static LLVMValueRef cg_kread_str(struct cg *g, LLVMValueRef p, uint32_t size)
{
	LLVMValueRef buf = cg_alloca(g, size), args[3], n;

	cg_zero(g, buf, 0, size);
	args[0] = buf;
	args[1] = cg_i32(g, size);
	args[2] = LLVMBuildIntToPtr(g->b, p, g->ptr, "");
	n = cg_helper(g, H_PROBE_READ_KERNEL_STR, args, 3);
	cg_count_cut(g, n, args[2], size);
	return buf;
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
	case XFORM_SINCE:
		v = LLVMBuildSub(g->b, cg_helper0(g, H_KTIME_GET_NS), v, "");
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

/* The base value of a resolved read: an argument, the return value or the record. */
static LLVMValueRef cg_read_base(struct cg *g, const struct field_read *r, bool *ok)
{
	*ok = true;
	switch (r->base) {
	case READ_BASE_ARG:
		if (g->attach == ATTACH_RAW_TRACEPOINT || g->attach == ATTACH_FENTRY ||
		    g->attach == ATTACH_FEXIT) /* ctx is the array of u64 arguments */
			return cg_load(g, g->i64, g->ctxarg, 8 * r->index);
		if (g->attach == ATTACH_KPROBE && r->index < 6)
			return cg_load(g, g->i64, g->ctxarg, cg_arg_regs[r->index]);
		break;
	case READ_BASE_RET:
		if (g->attach == ATTACH_KRETPROBE)
			return cg_load(g, g->i64, g->ctxarg, CG_RETVAL_REG);
		if (g->attach == ATTACH_FEXIT) /* after the arguments */
			return cg_load(g, g->i64, g->ctxarg, 8 * r->index);
		break;
	case READ_BASE_TP:
		if (g->attach == ATTACH_TRACEPOINT)
			return LLVMBuildPtrToInt(g->b, g->ctxarg, g->i64, "");
		break;
	}
	*ok = false;
	return cg_i64(g, 0);
}

/* Reads field `name` (of type t) by the resolved read r. */
static LLVMValueRef cg_read(struct cg *g, struct type t, struct loc l, const char *name,
			    const struct field_read *r)
{
	bool ok = true;
	LLVMValueRef p, v;
	uint32_t n;

	if (r->final == READ_CONST)
		return cg_i64(g, r->value);
	if (r->final == READ_SELECT) { /* both sides are read (a failed read gives 0): no branches */
		LLVMValueRef sel = cg_read(g, type_int(), l, name, r->sel);
		LLVMValueRef a = cg_read(g, t, l, name, r->then), b = cg_read(g, t, l, name, r->els);

		return LLVMBuildSelect(g->b, LLVMBuildICmp(g->b, r->negate ? LLVMIntNE : LLVMIntEQ, sel,
							   cg_i64(g, r->value), ""), a, b, "");
	}
	p = cg_read_base(g, r, &ok);
	if (!ok) {
		cg_error(g, l, "field cannot be read at this attach point", name);
		return t.kind == TYPE_STR ? cg_str_literal(g, "", 0, t.size) : cg_i64(g, 0);
	}
	for (unsigned i = 0; i < r->nderef && i < READ_MAX_DEREF; i++)
		p = cg_kread(g, p, r->deref[i], 8);
	switch (r->final) {
	case READ_VALUE: /* an argument or return value in its C width */
		v = r->nderef ? p : cg_int_of(g, p, r->size ? r->size : 8, r->is_signed);
		break;
	case READ_INT:
		v = cg_int_of(g, cg_kread(g, p, r->off, r->size), r->size ? r->size : 8, r->is_signed);
		break;
	case READ_STR: /* a char array: at most its size, and at most the field's */
		n = r->size && r->size < t.size ? r->size : t.size;
		v = cg_kread_str(g, LLVMBuildAdd(g->b, p, cg_i64(g, r->off), ""), n);
		if (n == t.size)
			return v;
		{
			LLVMValueRef buf = cg_alloca(g, t.size);

			cg_copy_str(g, buf, 0, t.size, v, n);
			return buf;
		}
	case READ_STRPTR:
		return cg_kread_str(g, cg_strip(g, cg_kread(g, p, r->off, 8), r->strip), t.size);
	case READ_STR_AT:
		return cg_kread_str(g, cg_strip(g, p, r->strip), t.size);
	default:
		v = p;
		break;
	}
	if (t.kind == TYPE_STR)
		return cg_str_literal(g, "", 0, t.size);
	return cg_xform(g, v, r->xform, r->scale, r->value);
}

static bool cg_field_at_start(const struct probe_field *f)
{
	return f->at_start || (f->src == FIELD_READ && f->read.at_start);
}

/* Reads field f (of type t) at the current attach point. */
static LLVMValueRef cg_field_now(struct cg *g, struct type t, struct loc l,
				 const struct probe_field *f)
{
	LLVMValueRef v, args[3], buf;

	switch (f->src) {
	case FIELD_TP:
		if (g->attach != ATTACH_TRACEPOINT)
			break;
		if (t.kind == TYPE_STR) {
			buf = cg_alloca(g, t.size);
			cg_zero(g, buf, 0, t.size);
			if (f->data_loc) {
				v = cg_load(g, g->i32, g->ctxarg, f->offset);
				v = LLVMBuildAnd(g->b, LLVMBuildZExt(g->b, v, g->i64, ""),
						 cg_i64(g, 0xffff), "");
				args[2] = cg_ctx_ptr(g, v);
			} else {
				args[2] = cg_gep(g, g->ctxarg, f->offset);
			}
			args[0] = buf;
			if (f->data_loc || !f->size || f->size > t.size) { /* may be longer than the field */
				args[1] = cg_i32(g, t.size);
				cg_count_cut(g, cg_helper(g, H_PROBE_READ_KERNEL_STR, args, 3), args[2], t.size);
			} else {
				args[1] = cg_i32(g, f->size);
				cg_helper(g, H_PROBE_READ_KERNEL_STR, args, 3);
			}
			return buf;
		}
		switch (f->size) {
		case 1: v = cg_load(g, g->i8, g->ctxarg, f->offset); break;
		case 2: v = cg_load(g, LLVMInt16TypeInContext(g->ctx), g->ctxarg, f->offset); break;
		case 4: v = cg_load(g, g->i32, g->ctxarg, f->offset); break;
		case 8: v = cg_load(g, g->i64, g->ctxarg, f->offset); break;
		default:
			cg_error(g, l, "field size not supported", f->name);
			return cg_i64(g, 0);
		}
		if (f->size < 8)
			v = f->is_signed ? LLVMBuildSExt(g->b, v, g->i64, "")
					 : LLVMBuildZExt(g->b, v, g->i64, "");
		if (f->read.xform != XFORM_NONE || (f->read.scale && f->read.scale != 1))
			return cg_xform(g, v, f->read.xform, f->read.scale, f->read.value);
		if (t.kind == TYPE_ERRNO) /* kernel errors are negative */
			v = LLVMBuildSelect(g->b, LLVMBuildICmp(g->b, LLVMIntSLT, v, cg_i64(g, 0), ""),
					    LLVMBuildNeg(g->b, v, ""), v, "");
		return v;
	case FIELD_ARG:
		if (g->attach == ATTACH_RAW_TRACEPOINT)
			return cg_load(g, g->i64, g->ctxarg, 8 * f->index);
		if (g->attach != ATTACH_KPROBE || f->index >= 6)
			break;
		return cg_load(g, g->i64, g->ctxarg, cg_arg_regs[f->index]);
	case FIELD_RETVAL:
		if (g->attach != ATTACH_KRETPROBE)
			break;
		v = cg_load(g, g->i64, g->ctxarg, CG_RETVAL_REG);
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
	    g->start_off[idx]) {
		if (e->type.kind == TYPE_STR) {
			LLVMValueRef buf = cg_alloca(g, e->type.size);

			cg_copy_str(g, buf, 0, e->type.size, cg_gep(g, g->start_val, g->start_off[idx]),
				    f->type.size);
			return buf;
		}
		return cg_load(g, g->i64, g->start_val, g->start_off[idx]);
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
	case BUILTIN_NONE:
		break;
	}
	cg_error(g, e->loc, "unknown builtin", e->u.ident.name);
	return cg_i64(g, 0);
}

static LLVMValueRef cg_ident(struct cg *g, const struct expr *e)
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

/* Writes a value of type t (from expression e) into dst+off, in a slot of type slot. */
static void cg_store_value(struct cg *g, const struct expr *e, LLVMValueRef v, struct type slot,
			   LLVMValueRef dst, uint32_t off)
{
	if (slot.kind == TYPE_STR) {
		if (e->type.kind == TYPE_STR)
			cg_copy_str(g, dst, off, slot.size, v, e->type.size);
		else
			cg_zero(g, dst, off, slot.size);
	} else {
		cg_store(g, e->type.kind == TYPE_STR ? cg_i64(g, 0) : v, dst, off);
	}
}

/* Builds the key of map l from the key expressions (and a bucket value). */
static LLVMValueRef cg_key(struct cg *g, const struct map_layout *l, const struct expr *keys,
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

static LLVMValueRef cg_lookup(struct cg *g, LLVMValueRef map, LLVMValueRef key)
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

	if (e->type.kind == TYPE_STR) {
		buf = cg_alloca(g, e->type.size);
		cg_zero(g, buf, 0, e->type.size);
	}
	v = cg_lookup(g, g->maps[m->id], key);
	from = LLVMGetInsertBlock(g->b);
	isnull = LLVMBuildICmp(g->b, LLVMIntEQ, v, LLVMConstNull(g->ptr), "");
	LLVMBuildCondBr(g->b, isnull, done, have);
	cg_at(g, have);
	if (buf) {
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
		default:
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

static LLVMValueRef cg_truth(struct cg *g, const struct expr *e, LLVMValueRef v)
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
	LLVMIntPredicate pred;

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
	default:
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

static LLVMValueRef cg_expr(struct cg *g, const struct expr *e)
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
		if (e->u.local.info->type.kind == TYPE_STR) {
			/* a copy, so that a later assignment does not change this value */
			LLVMValueRef buf = cg_alloca(g, e->type.size);

			cg_copy_str(g, buf, 0, e->type.size, v, e->u.local.info->type.size);
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
	case EXPR_ARG:
	case EXPR_CALL:
		break;
	}
	cg_error(g, e->loc, "expression not supported here", NULL);
	return cg_i64(g, 0);
}

/* ---- statements ---- */

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
	val = cg_alloca(g, l->value_size);
	cg_store_value(g, rhs, x, m->value, val, 0);
	cg_setloc(g, s->loc);
	args[0] = g->maps[m->id], args[1] = key, args[2] = val, args[3] = cg_i64(g, BPF_ANY);
	ret = cg_helper(g, H_MAP_UPDATE, args, 4);
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
	LLVMValueRef vals[64], rec, args[3];
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
		vals[n] = cg_expr(g, a);
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
		if (t.kind != TYPE_STR && room < 8)
			continue;
		cg_store_value(g, exprs[i], vals[i], t, rec, pi->args[i].offset);
	}
	args[0] = rec, args[1] = cg_i64(g, 0);
	cg_helper(g, H_RINGBUF_SUBMIT, args, 2);
	LLVMBuildBr(g->b, done);
	cg_at(g, done);
}

static void cg_stmts(struct cg *g, const struct stmt *s);

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
		if (!(m = cg_map_arg(g, s)))
			return;
		a = s->u.call.call->u.call.args->next;
		v = a ? cg_expr(g, a) : cg_i64(g, 0);
		cg_setloc(g, s->loc);
		cg_event(g, LAYOUT_EV_PRINT | m->id, v);
		return;
	case STMT_CLEAR:
		if (!(m = cg_map_arg(g, s)))
			return;
		cg_event(g, LAYOUT_EV_CLEAR | m->id, NULL);
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
		cg_event(g, LAYOUT_EV_EXIT, NULL);
		LLVMBuildBr(g->b, g->ret_bb);
		cg_at(g, cg_block(g, "after.exit"));
		return;
	case STMT_IF:
		cg_if(g, s);
		return;
	case STMT_ASSIGN:
	case STMT_CALL:
		break;
	}
	cg_error(g, s->loc, "statement not supported (was the program checked?)", NULL);
}

static void cg_stmts(struct cg *g, const struct stmt *s)
{
	for (; s; s = s->next)
		cg_stmt(g, s);
}

/* ---- programs ---- */

static void cg_begin_function(struct cg *g, const struct cg_prog *p, const char *section,
			      struct loc l)
{
	LLVMTypeRef ft = LLVMFunctionType(g->i32, &g->ptr, 1, 0);
	LLVMMetadataRef params[2] = {g->di_int, g->di_voidp}, st;
	uint32_t line = 1, col = 1;

	g->prog = p;
	g->fn = LLVMAddFunction(g->mod, p->name, ft);
	LLVMSetSection(g->fn, section);
	LLVMSetLinkage(g->fn, LLVMExternalLinkage);
	g->ctxarg = LLVMGetParam(g->fn, 0);
	LLVMSetValueName2(g->ctxarg, "ctx", 3);
	if (g->c->src.text)
		src_linecol(&g->c->src, l.begin, &line, &col);
	st = LLVMDIBuilderCreateSubroutineType(g->dib, g->difile, params, 2, LLVMDIFlagZero);
	g->sp = LLVMDIBuilderCreateFunction(g->dib, g->difile, p->name, strlen(p->name), p->name,
					    strlen(p->name), g->difile, line, st, 0, 1, line,
					    LLVMDIFlagPrototyped, 1);
	LLVMSetSubprogram(g->fn, g->sp);
	/* the named, always preserved ctx parameter: without it the kernel rejects the BTF
	 * and libbpf silently drops it (and with it the line info) */
	LLVMDIBuilderCreateParameterVariable(g->dib, g->sp, "ctx", 3, 1, g->difile, line,
					     g->di_voidp, 1, LLVMDIFlagZero);
	g->entry = cg_block(g, "entry");
	g->ret_bb = cg_block(g, "ret");
	cg_at(g, g->ret_bb);
	cg_setloc(g, l);
	LLVMBuildRet(g->b, LLVMConstInt(g->i32, 0, 0));
	cg_at(g, g->entry);
	cg_setloc(g, l);
	g->latency = NULL;
	g->scratch_base = NULL;
	g->scratch_used = 0;
	g->stack_used = 0;
	if (g->scratch_mode) {
		LLVMValueRef key = cg_alloca(g, 8), args[2], v;
		LLVMBasicBlockRef ok = cg_block(g, "scratch.ok");

		if (!g->scratch)
			g->scratch = cg_map_new(g, CT_SCRATCH_NAME, true);
		cg_store(g, cg_i32(g, g->nscratch), key, 0);
		args[0] = g->scratch, args[1] = key;
		v = LLVMBuildIntToPtr(g->b, cg_helper(g, H_MAP_LOOKUP, args, 2), g->ptr, "scratch");
		LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntEQ, v, LLVMConstNull(g->ptr), ""),
				g->ret_bb, ok);
		cg_at(g, ok);
		g->scratch_base = v;
	}
}

static void cg_pid_filter(struct cg *g)
{
	LLVMValueRef pid;
	LLVMBasicBlockRef go;

	if (!g->o->filter_pid)
		return;
	go = cg_block(g, "pid.ok");
	pid = LLVMBuildLShr(g->b, cg_helper0(g, H_GET_CURRENT_PID_TGID), cg_i64(g, 32), "");
	LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntEQ, pid, cg_cfg_load(g, LAYOUT_CFG_PID), ""),
			go, g->ret_bb);
	cg_at(g, go);
}

static const char *cg_section(struct cg *g, enum attach_kind k, const char *target)
{
	const char *prefix = "tracepoint/";
	char *s, *p;

	switch (k) {
	case ATTACH_TRACEPOINT:
		s = arena_printf(&g->c->arena, "%s%s", prefix, target);
		for (p = s + strlen(prefix); *p; p++)
			if (*p == ':')
				*p = '/';
		return s;
	case ATTACH_KPROBE:
		return arena_printf(&g->c->arena, "kprobe/%s", target);
	case ATTACH_KRETPROBE:
		return arena_printf(&g->c->arena, "kretprobe/%s", target);
	case ATTACH_RAW_TRACEPOINT:
		return arena_printf(&g->c->arena, "raw_tp/%s", target);
	case ATTACH_FENTRY:
		return arena_printf(&g->c->arena, "fentry/%s", target);
	case ATTACH_FEXIT:
		return arena_printf(&g->c->arena, "fexit/%s", target);
	default:
		return NULL;
	}
}

static enum ct_prog_kind cg_prog_kind_of(enum attach_kind k)
{
	return k == ATTACH_KPROBE ? CT_PROG_KPROBE
	       : k == ATTACH_KRETPROBE ? CT_PROG_KRETPROBE
	       : k == ATTACH_RAW_TRACEPOINT ? CT_PROG_RAW_TRACEPOINT
	       : k == ATTACH_FENTRY ? CT_PROG_FENTRY
	       : k == ATTACH_FEXIT ? CT_PROG_FEXIT : CT_PROG_TRACEPOINT;
}

/* ---- start/end pairs ----
 * The start program stores { u64 start ns; the at-start fields the clause uses } in a
 * hash map keyed by the thread id (or by the probe's pair_key tracepoint fields); the
 * end program finds it, computes latency = now - start, reads the saved fields from
 * it, and deletes it when the program ends, whatever path it takes. */

static void cg_mark_stmts(const struct probe_def *def, const struct stmt *s, bool *used);

static void cg_mark_exprs(const struct probe_def *def, const struct expr *e, bool *used)
{
	const struct probe_field *f;

	for (; e; e = e->next) {
		switch (e->kind) {
		case EXPR_IDENT:
			if (e->u.ident.builtin == BUILTIN_NONE &&
			    (f = probe_field_find(def, e->u.ident.name)))
				used[f - def->fields] = true;
			break;
		case EXPR_MAP:
			cg_mark_exprs(def, e->u.map.keys, used);
			break;
		case EXPR_UNARY:
			cg_mark_exprs(def, e->u.unary.arg, used);
			break;
		case EXPR_BINARY:
			cg_mark_exprs(def, e->u.binary.lhs, used);
			cg_mark_exprs(def, e->u.binary.rhs, used);
			break;
		case EXPR_TERNARY:
			cg_mark_exprs(def, e->u.ternary.cond, used);
			cg_mark_exprs(def, e->u.ternary.then, used);
			cg_mark_exprs(def, e->u.ternary.els, used);
			break;
		case EXPR_CALL:
			cg_mark_exprs(def, e->u.call.args, used);
			break;
		default:
			break;
		}
	}
}

static void cg_mark_stmts(const struct probe_def *def, const struct stmt *s, bool *used)
{
	for (; s; s = s->next) {
		switch (s->kind) {
		case STMT_IF:
			cg_mark_exprs(def, s->u.ifs.cond, used);
			cg_mark_stmts(def, s->u.ifs.then, used);
			cg_mark_stmts(def, s->u.ifs.els, used);
			break;
		case STMT_ASSIGN:
		case STMT_MAP_AGG:
		case STMT_MAP_SET:
		case STMT_MAP_ADD:
		case STMT_LOCAL_SET:
			cg_mark_exprs(def, s->u.assign.lhs, used);
			cg_mark_exprs(def, s->u.assign.rhs, used);
			break;
		default:
			if (s->u.call.call)
				cg_mark_exprs(def, s->u.call.call, used);
			break;
		}
	}
}

/* Lays out the start value for clause cl of probe def: which at-start fields it saves. */
static void cg_start_layout(struct cg *g, const struct probe_def *def, const struct clause *cl)
{
	bool *used = arena_alloc(&g->c->arena, def->nfields + 1);
	uint32_t off = 8;

	g->start_off = arena_alloc(&g->c->arena, (def->nfields + 1) * sizeof(uint32_t));
	cg_mark_exprs(def, cl->pred, used);
	cg_mark_stmts(def, cl->body, used);
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
		const struct probe_def *tp = probe_tracepoint(&g->c->arena, target, err, sizeof(err));

		for (unsigned i = 0; i < 2; i++) {
			const struct probe_field *f = tp ? probe_field_find(tp, at->pair_key[i]) : NULL;

			if (!f) {
				cg_error(g, l, "cannot pair start and end events", tp ? at->pair_key[i] : err);
				return key;
			}
			cg_store(g, cg_field_now(g, type_int(), l, f), key, 8 * i);
		}
	} else {
		cg_store(g, LLVMBuildAnd(g->b, cg_helper0(g, H_GET_CURRENT_PID_TGID),
					 cg_i64(g, 0xffffffff), ""), key, 0);
	}
	return key;
}

static void cg_start_prog(struct cg *g, struct cg_prog *p, const struct probe_attach *at)
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
static void cg_end_pairing(struct cg *g, const struct probe_attach *at)
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

static void cg_clause_prog(struct cg *g, struct cg_prog *p, const char *section,
			   const struct probe_attach *at)
{
	const struct clause *cl = p->clause;
	LLVMBasicBlockRef body;

	cg_begin_function(g, p, section, cl->loc);
	g->start_val = NULL;
	if (p->kind != CT_PROG_BEGIN && p->kind != CT_PROG_END && p->kind != CT_PROG_INTERVAL) {
		cg_pid_filter(g);
		cg_exit_check(g);
	}
	if (g->start_map)
		cg_end_pairing(g, at);
	if (p->def && p->def->guard) { /* this attach point counts only some of its events */
		LLVMBasicBlockRef go = cg_block(g, "guard.ok");
		LLVMValueRef v = cg_read(g, type_int(), cl->loc, "guard", p->def->guard);

		LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntNE, v, cg_i64(g, 0), ""), go, g->ret_bb);
		cg_at(g, go);
	}
	g->locals = arena_alloc(&g->c->arena, (cl->nlocals + 1) * sizeof(*g->locals));
	for (unsigned i = 0; i < cl->nlocals; i++) {
		const struct local_info *li = cl->locals[i];

		g->locals[li->id < cl->nlocals ? li->id : i] = cg_alloca(g, layout_type_size(li->type));
	}
	for (unsigned i = 0; i < cl->nlocals; i++)
		cg_zero(g, g->locals[i], 0, layout_type_size(cl->locals[i]->type));
	if (cl->pred) {
		body = cg_block(g, "body");
		LLVMBuildCondBr(g->b, cg_truth(g, cl->pred, cg_expr(g, cl->pred)), body, g->ret_bb);
		cg_at(g, body);
	}
	cg_stmts(g, cl->body);
	LLVMBuildBr(g->b, g->ret_bb);
}

/* Emits a program; when its buffers (before optimisation) would not fit the 512-byte
 * BPF stack comfortably, it is emitted again with its big buffers in a per-CPU
 * scratch map value of its own. */
#define CG_STACK_BUDGET 448

static void cg_emit(struct cg *g, struct cg_prog *p, const char *section,
		    const struct probe_attach *at, bool start)
{
	int errors = g->errors;

	g->scratch_mode = false;
	if (start)
		cg_start_prog(g, p, at);
	else
		cg_clause_prog(g, p, section, at);
	if (g->stack_used <= CG_STACK_BUDGET || g->errors != errors)
		return;
	LLVMDeleteFunction(g->fn);
	g->scratch_mode = true;
	if (start)
		cg_start_prog(g, p, at);
	else
		cg_clause_prog(g, p, section, at);
	g->scratch_mode = false;
	if (g->scratch_used > g->scratch_size)
		g->scratch_size = g->scratch_used;
	g->nscratch++;
}

static struct cg_prog *cg_new_prog(struct cg *g, unsigned *cap)
{
	struct cg_object *obj = g->obj;

	if (obj->nprogs == *cap) {
		struct cg_prog *n = arena_alloc(&g->c->arena, (*cap * 2 + 8) * sizeof(*n));

		if (obj->nprogs)
			memcpy(n, obj->progs, obj->nprogs * sizeof(*n));
		obj->progs = n;
		*cap = *cap * 2 + 8;
	}
	memset(&obj->progs[obj->nprogs], 0, sizeof(obj->progs[0]));
	return &obj->progs[obj->nprogs++];
}

/* The program(s) of one probe of a clause: for a built-in probe, `resolved` is one of
 * its attach alternatives made concrete for this kernel (start and end programs for a pair). */
static void cg_probe(struct cg *g, unsigned *cap, const struct clause *cl,
		     const struct probe_ref *pr, unsigned idx, const struct probe_def *resolved)
{
	struct cg_prog *p = cg_new_prog(g, cap), *sp;
	const struct probe_attach *at = NULL;
	const char *section = NULL;

	p->clause = cl;
	p->probe = pr;
	p->def = pr->def;
	snprintf(p->name, sizeof(p->name), "c%u_p%u", cl->id, idx);
	g->start_map = NULL;
	switch (pr->kind) {
	case PROBE_BEGIN:
		p->kind = CT_PROG_BEGIN;
		section = "raw_tp/nfsq_begin";
		break;
	case PROBE_END:
		p->kind = CT_PROG_END;
		section = "raw_tp/nfsq_end";
		break;
	case PROBE_INTERVAL:
		p->kind = CT_PROG_INTERVAL;
		p->interval_ns = pr->interval_ns;
		section = "raw_tp/nfsq_interval";
		break;
	case PROBE_TRACEPOINT:
		g->attach = ATTACH_TRACEPOINT;
		p->kind = CT_PROG_TRACEPOINT;
		p->target = pr->target;
		break;
	case PROBE_KPROBE:
	case PROBE_KRETPROBE:
		g->attach = pr->kind == PROBE_KPROBE ? ATTACH_KPROBE : ATTACH_KRETPROBE;
		p->kind = cg_prog_kind_of(g->attach);
		p->target = pr->target;
		break;
	case PROBE_BUILTIN: {
		p->def = resolved;
		at = &p->def->attach[0];
		if (at->end_target) {
			char name[24];

			snprintf(name, sizeof(name), "s%u_%u", cl->id, idx);
			cg_start_layout(g, p->def, cl);
			g->start_map = cg_map_global(
				g, name, LAYOUT_MAP_HASH, g->obj->map_size, cg_di_array(g, g->di_u64, 64, 2),
				cg_di_array(g, g->di_u64, 64, g->start_size / 8));
			g->attach = at->end_kind;
			p->target = at->end_target;
		} else {
			g->attach = at->kind;
			p->target = at->target;
		}
		p->kind = cg_prog_kind_of(g->attach);
		break;
	}
	}
	if (!section)
		section = cg_section(g, g->attach, p->target);
	cg_emit(g, p, section, at, false);
	if (at && at->end_target) {
		const struct probe_def *def = p->def;

		sp = cg_new_prog(g, cap); /* may move the array: p is stale */
		sp->clause = cl;
		sp->probe = pr;
		sp->def = def;
		sp->is_start = true;
		sp->kind = cg_prog_kind_of(at->kind);
		sp->target = at->target;
		snprintf(sp->name, sizeof(sp->name), "s%u_p%u", cl->id, idx);
		cg_emit(g, sp, NULL, at, true);
	}
}

static void cg_programs(struct cg *g)
{
	unsigned cap = 0, idx;

	for (const struct clause *cl = g->c->prog->clauses; cl; cl = cl->next) {
		idx = 0;
		for (const struct probe_ref *pr = cl->probes; pr; pr = pr->next) {
			if (pr->kind != PROBE_BUILTIN) {
				cg_probe(g, &cap, cl, pr, idx++, NULL);
				continue;
			}
			char err[300];
			const struct probe_def *d = pr->def ? probe_resolve(&g->c->arena, pr->def, err, sizeof(err))
							     : NULL;
			if (!d || !d->nattach) {
				cg_error(g, pr->loc, "probe cannot be used on this kernel", d || !pr->def ? pr->name : err);
				g->obj->unavailable++;
				continue;
			}
			for (; d; d = d->also) /* every alternative, for probes that attach to all */
				cg_probe(g, &cap, cl, pr, idx++, d);
		}
	}
	if (g->scratch)
		cg_map_describe(g, g->scratch, CT_SCRATCH_NAME, LAYOUT_MAP_PERCPU_ARRAY, g->nscratch,
				g->di_int, cg_di_array(g, g->di_u64, 64, layout_round8(g->scratch_size) / 8));
}
/* ---- driver ---- */

static double cg_ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1e3 + (t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static int cg_target_init(void)
{
	static int done;

	if (!done) {
		LLVMInitializeBPFTargetInfo();
		LLVMInitializeBPFTarget();
		LLVMInitializeBPFTargetMC();
		LLVMInitializeBPFAsmPrinter();
		LLVMInitializeBPFDisassembler();
		done = 1;
	}
	return 0;
}

/* NFSQ_CGLEVEL=0..3 picks LLVM's code generation level (for measurements). */
static LLVMCodeGenOptLevel cg_codegen_level(void)
{
	const char *v = getenv("NFSQ_CGLEVEL");

	return v ? (LLVMCodeGenOptLevel)atoi(v) : LLVMCodeGenLevelDefault;
}

static void cg_debug_types(struct cg *g)
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

/* LLVM's errors (e.g. the BPF stack limit) become nfsq diagnostics, not an exit(). */
static void cg_llvm_diag(LLVMDiagnosticInfoRef di, void *ctx)
{
	struct cg *g = ctx;
	char *msg;

	if (LLVMGetDiagInfoSeverity(di) != LLVMDSError)
		return;
	msg = LLVMGetDiagInfoDescription(di);
	if (!g->errors)
		diag_error_noloc(&g->c->diag, "cannot compile the program for BPF: %s%s", msg,
				 strstr(msg, "stack") ? " (use fewer or shorter strings in one probe)"
						      : "");
	g->errors++;
	LLVMDisposeMessage(msg);
}

static void cg_license(struct cg *g)
{
	LLVMValueRef lic = LLVMConstStringInContext(g->ctx, "GPL", 3, 0);
	LLVMValueRef gv = LLVMAddGlobal(g->mod, LLVMTypeOf(lic), "_license");

	LLVMSetInitializer(gv, lic);
	LLVMSetSection(gv, "license");
	LLVMSetLinkage(gv, LLVMExternalLinkage);
}

/* The passes, per function (each program is one function and calls none): level 1
 * (the default) is SROA, early CSE, instcombine and simplifycfg; level 2 adds GVN, SCCP,
 * DSE and ADCE. Run by the legacy pass manager on purpose: the new one's PassBuilder
 * parses pipelines by name and so links every pass LLVM has: 9.8 MB more text, which
 * start-up maps in (bench/SUMMARY.md: peak RSS 26.3 -> 20.1 MB when compiling). */
static void cg_optimize(struct cg *g)
{
	LLVMPassManagerRef fpm;

	if (g->o->opt_level <= 0)
		return;
	fpm = LLVMCreateFunctionPassManagerForModule(g->mod);
	LLVMAddAnalysisPasses(g->tm, fpm);
	LLVMAddScalarReplAggregatesPass(fpm);
	LLVMAddEarlyCSEPass(fpm);
	LLVMAddInstructionCombiningPass(fpm);
	LLVMAddCFGSimplificationPass(fpm);
	if (g->o->opt_level >= 2) {
		LLVMAddGVNPass(fpm);
		LLVMAddSCCPPass(fpm);
		LLVMAddDeadStoreEliminationPass(fpm);
		LLVMAddAggressiveDCEPass(fpm);
		LLVMAddInstructionCombiningPass(fpm);
		LLVMAddCFGSimplificationPass(fpm);
	}
	LLVMInitializeFunctionPassManager(fpm);
	for (LLVMValueRef fn = LLVMGetFirstFunction(g->mod); fn; fn = LLVMGetNextFunction(fn))
		if (!LLVMIsDeclaration(fn))
			LLVMRunFunctionPassManager(fpm, fn);
	LLVMFinalizeFunctionPassManager(fpm);
	LLVMDisposePassManager(fpm);
}

/* ---- the object cache ----
 * The object is a function of the LLVM module (code, maps, BTF, line info), LLVM's
 * version and nfsq's pipeline, and nothing of the run is compiled in (see cg_cfg_load).
 * So objects are kept in cache_dir under a 128-bit hash of the unoptimised IR: a repeated
 * script skips the passes and the BPF back end (about 3 ms of a 5 ms start). The directory
 * must belong to the user and be writable by nobody else, or the cache is not used. */
#define CG_CACHE_VERSION "nfsq-cg-1 " __DATE__ " " __TIME__
#define CG_CACHE_MAX (16u << 20)

static void cg_hash(const char *s, size_t n, uint64_t h[2])
{
	for (size_t i = 0; i < n; i++) {
		h[0] = (h[0] ^ (unsigned char)s[i]) * 0x100000001b3ull;
		h[1] = (h[1] ^ (unsigned char)s[i]) * 0x100000001b3ull + (h[1] >> 29);
	}
}

static bool cg_cache_dir_ok(const char *dir)
{
	struct stat st;

	if (lstat(dir, &st) && (errno != ENOENT || mkdir(dir, 0700) || lstat(dir, &st)))
		return false;
	return S_ISDIR(st.st_mode) && st.st_uid == geteuid() && !(st.st_mode & 022);
}

static void cg_cache_key(const struct cg *g, char *key, size_t len)
{
	uint64_t h[2] = {0xcbf29ce484222325ull, 0x84222325cbf29ce4ull};
	unsigned major = 0, minor = 0, patch = 0;
	char salt[160];
	char *ir = LLVMPrintModuleToString(g->mod);

	LLVMGetVersion(&major, &minor, &patch);
	snprintf(salt, sizeof(salt), "%s llvm %u.%u.%u opt %d cg %d", CG_CACHE_VERSION, major, minor,
		 patch, g->o->opt_level, (int)cg_codegen_level());
	cg_hash(salt, strlen(salt), h);
	cg_hash(ir, strlen(ir), h);
	LLVMDisposeMessage(ir);
	snprintf(key, len, "%016llx%016llx", (unsigned long long)h[0], (unsigned long long)h[1]);
}

static int cg_cache_load(const char *dir, const char *key, struct cg_object *obj)
{
	char path[4096];
	struct stat st;
	int fd, ret = -1;

	snprintf(path, sizeof(path), "%s/%s.o", dir, key);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) || st.st_uid != geteuid() || (st.st_mode & 022) || st.st_size < 64 ||
	    st.st_size > CG_CACHE_MAX || !(obj->elf = malloc(st.st_size)))
		goto cleanup;
	if (read(fd, obj->elf, st.st_size) != st.st_size || memcmp(obj->elf, "\177ELF", 4)) {
		free(obj->elf);
		obj->elf = NULL;
		goto cleanup;
	}
	obj->elf_size = st.st_size;
	ret = 0;
cleanup:
	close(fd);
	return ret;
}

static void cg_cache_store(const char *dir, const char *key, const struct cg_object *obj)
{
	char path[4096], tmp[4096];
	int fd;
	bool ok;

	snprintf(path, sizeof(path), "%s/%s.o", dir, key);
	snprintf(tmp, sizeof(tmp), "%s/.%s.%d", dir, key, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	ok = write(fd, obj->elf, obj->elf_size) == (ssize_t)obj->elf_size;
	ok = !close(fd) && ok;
	if (!ok || rename(tmp, path))
		unlink(tmp);
}

static int cg_build(struct compilation *c, const struct cg_options *o, struct cg_object *obj)
{
	char key[40] = "";
	struct cg g;
	LLVMTargetRef target;
	LLVMMemoryBufferRef buf = NULL;
	char *err = NULL;
	struct timespec t0;
	int ret = -1;

	memset(&g, 0, sizeof(g));
	memset(obj, 0, sizeof(*obj));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	g.c = c;
	g.o = o;
	g.obj = obj;
	obj->map_size = o->map_size ? o->map_size : LAYOUT_MAP_SIZE_DEFAULT;
	if (!c->prog) {
		diag_error_noloc(&c->diag, "internal error: no program to compile");
		return -1;
	}
	cg_target_init();
	if (LLVMGetTargetFromTriple("bpfel", &target, &err)) {
		diag_error_noloc(&c->diag, "internal error: LLVM has no BPF target: %s", err);
		LLVMDisposeMessage(err);
		return -1;
	}
	g.tm = LLVMCreateTargetMachine(target, "bpfel", "v3", "", cg_codegen_level(),
				       LLVMRelocDefault, LLVMCodeModelDefault);
	g.ctx = LLVMContextCreate();
	LLVMContextSetDiagnosticHandler(g.ctx, cg_llvm_diag, &g);
	g.mod = LLVMModuleCreateWithNameInContext("nfsq", g.ctx);
	g.b = LLVMCreateBuilderInContext(g.ctx);
	LLVMSetTarget(g.mod, "bpfel");
	{
		LLVMTargetDataRef td = LLVMCreateTargetDataLayout(g.tm);

		LLVMSetModuleDataLayout(g.mod, td);
		LLVMDisposeTargetData(td);
	}
	g.i1 = LLVMInt1TypeInContext(g.ctx);
	g.i8 = LLVMInt8TypeInContext(g.ctx);
	g.i32 = LLVMInt32TypeInContext(g.ctx);
	g.i64 = LLVMInt64TypeInContext(g.ctx);
	g.ptr = LLVMPointerTypeInContext(g.ctx, 0);
	cg_debug_types(&g);
	cg_license(&g);
	cg_maps(&g);
	cg_programs(&g);
	LLVMDIBuilderFinalize(g.dib);
	if (g.errors)
		goto cleanup;
	if (o->cache_dir && !o->want_ir && cg_cache_dir_ok(o->cache_dir)) {
		cg_cache_key(&g, key, sizeof(key));
		if (!cg_cache_load(o->cache_dir, key, obj)) {
			obj->cached = true;
			obj->ms_ir = cg_ms_since(&t0);
			ret = 0;
			goto cleanup;
		}
	}
	if (LLVMVerifyModule(g.mod, LLVMReturnStatusAction, &err)) {
		diag_error_noloc(&c->diag, "internal error: invalid LLVM IR: %s", err);
		goto cleanup;
	}
	obj->ms_ir = cg_ms_since(&t0);
	cg_optimize(&g);
	obj->ms_opt = cg_ms_since(&t0) - obj->ms_ir;
	if (o->want_ir)
		obj->ir = LLVMPrintModuleToString(g.mod);
	if (LLVMTargetMachineEmitToMemoryBuffer(g.tm, g.mod, LLVMObjectFile, &err, &buf) ||
	    g.errors) {
		if (!g.errors)
			diag_error_noloc(&c->diag, "internal error: BPF code generation failed: %s", err);
		goto cleanup;
	}
	obj->elf_size = LLVMGetBufferSize(buf);
	obj->elf = malloc(obj->elf_size);
	if (!obj->elf) {
		diag_error_noloc(&c->diag, "out of memory");
		goto cleanup;
	}
	memcpy(obj->elf, LLVMGetBufferStart(buf), obj->elf_size);
	obj->ms_emit = cg_ms_since(&t0) - obj->ms_ir - obj->ms_opt;
	if (key[0])
		cg_cache_store(o->cache_dir, key, obj);
	ret = 0;
cleanup:
	if (err)
		LLVMDisposeMessage(err);
	if (buf)
		LLVMDisposeMemoryBuffer(buf);
	if (g.dib)
		LLVMDisposeDIBuilder(g.dib);
	LLVMDisposeBuilder(g.b);
	LLVMDisposeModule(g.mod);
	LLVMContextDispose(g.ctx);
	LLVMDisposeTargetMachine(g.tm);
	return ret;
}

static void cg_object_free(struct cg_object *obj)
{
	free(obj->elf);
	if (obj->ir)
		LLVMDisposeMessage(obj->ir);
	obj->elf = NULL;
	obj->ir = NULL;
}

/* The contract's view of a built object: the programs without their syntax. */
static int cg_export(struct compilation *c, struct cg_object *in, struct ct_object *obj)
{
	obj->progs = arena_alloc(&c->arena, (in->nprogs + 1) * sizeof(*obj->progs));
	for (unsigned i = 0; i < in->nprogs; i++) {
		const struct cg_prog *p = &in->progs[i];
		struct ct_prog *q = &obj->progs[i];

		memcpy(q->name, p->name, sizeof(q->name));
		q->kind = p->kind;
		q->target = p->target;
		q->interval_ns = p->interval_ns;
		q->probe = p->probe ? p->probe->name : NULL;
		q->def = p->def;
		q->is_start = p->is_start;
	}
	obj->nprogs = in->nprogs;
	obj->elf = in->elf;
	obj->elf_size = in->elf_size;
	in->elf = NULL;
	if (in->ir && !(obj->ir = strdup(in->ir))) {
		diag_error_noloc(&c->diag, "out of memory");
		return -1;
	}
	obj->maps = in->maps;
	obj->nmaps = in->nmaps;
	obj->map_size = in->map_size;
	obj->printfs = c->prog->printfs;
	obj->nprintfs = c->prog->nprintfs;
	obj->src = &c->src;
	return 0;
}

int cg_compile(struct compilation *c, const struct cg_options *o, struct ct_object *obj,
	       struct cg_info *info)
{
	struct cg_object built;
	int ret;

	memset(obj, 0, sizeof(*obj));
	ret = cg_build(c, o, &built);
	*info = (struct cg_info){.ms_ir = built.ms_ir, .ms_opt = built.ms_opt,
				 .ms_emit = built.ms_emit, .cached = built.cached,
				 .unavailable = built.unavailable};
	if (!ret)
		ret = cg_export(c, &built, obj);
	cg_object_free(&built);
	if (ret)
		ct_object_free(obj);
	return ret;
}
