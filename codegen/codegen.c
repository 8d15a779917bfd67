/* codegen.c - the LLVM driver: cg_compile sets up LLVM's BPF target and the module,
 * builds the maps and programs (cg_maps.c, cg_prog.c), optimises the IR and emits the BPF
 * ELF object, or takes it from the object cache (cg_cache.c). The code generator's shared
 * state and conventions are in cg.h. */
#include "cg.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <llvm-c/Analysis.h>
#include <llvm-c/Target.h>
#include <llvm-c/Transforms/InstCombine.h>
#include <llvm-c/Transforms/Scalar.h>

/* The salt of the object cache's keys (cg_cache.c), beside nfsq's build id: the layout of
 * its entries. */
const char cg_cache_version[] = "nfsq-cg-3";

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
		LLVMInitializeBPFAsmParser(); /* cg_fact's markers are inline asm */
		LLVMInitializeBPFDisassembler();
		done = 1;
	}
	return 0;
}

/* NFSQ_CGLEVEL=0..3 picks LLVM's code generation level (for measurements). */
LLVMCodeGenOptLevel cg_codegen_level(void)
{
	const char *v = getenv("NFSQ_CGLEVEL");

	return v ? (LLVMCodeGenOptLevel)atoi(v) : LLVMCodeGenLevelDefault;
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
				 strstr(msg, "stack") ? " (a clause's program needs more than the 512 bytes of BPF stack: split the clause)"
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

/* The runtime's view of the built programs (obj->ct_progs): the programs without their syntax. */
static void cg_contract_progs(struct compilation *c, struct cg_object *obj)
{
	obj->ct_progs = arena_alloc(&c->arena, (obj->nprogs + 1) * sizeof(*obj->ct_progs));
	for (unsigned i = 0; i < obj->nprogs; i++) {
		const struct cg_prog *p = &obj->progs[i];
		struct ct_prog *q = &obj->ct_progs[i];

		memcpy(q->name, p->name, sizeof(q->name));
		q->kind = p->kind;
		q->attach = p->attach;
		q->target = p->target;
		q->interval_ns = p->interval_ns;
		q->probe = p->probe ? p->probe->name : NULL;
		q->nprobes = p->nmembers ? p->nmembers : 1;
		for (unsigned k = 1; k < p->nmembers; k++) { /* "a or b": each probe of a fused program once */
			unsigned j = 0;

			while (j < k && strcmp(p->members[j].probe->name, p->members[k].probe->name))
				j++;
			if (j == k)
				q->probe = arena_printf(&c->arena, "%s or %s", q->probe, p->members[k].probe->name);
		}
		q->builtin = p->def != NULL;
		q->is_start = p->is_start || p->is_stamp; /* (no clause body) */
		if (p->kind == CT_PROG_ATTACH && (p->attach == ATTACH_FENTRY || p->attach == ATTACH_FEXIT)) {
			int id;

			if (probe_btf_func_id(p->target, &q->btf_module, &id))
				q->btf_id = id;
		}
	}
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
	g.fixrec_tail = &g.fixrecs;
	g.obj = obj;
	obj->map_size = o->map_size ? o->map_size : LAYOUT_MAP_SIZE_DEFAULT;
	if (!c->prog) {
		diag_error_noloc(&c->diag, "internal error: no program to compile");
		return -1;
	}
	/* from the cache: no LLVM, no probe resolution */
	if (o->cache_dir && !o->want_ir && cg_cache_dir_ok(o->cache_dir)) {
		probe_avail_cache(o->cache_dir);
		if (cg_cache_key(c, o, obj->map_size, key, sizeof(key)) &&
		    !cg_cache_load(o->cache_dir, key, &c->arena, obj)) {
			cg_map_layouts(c, obj);
			obj->cached = true;
			obj->ms_ir = cg_ms_since(&t0);
			return 0;
		}
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
	if (cg_fix_finish(&g))
		goto cleanup;
	cg_contract_progs(c, obj);
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

/* The contract's view of a built object. */
static int cg_export(struct compilation *c, struct cg_object *in, struct ct_object *obj)
{
	obj->progs = in->ct_progs;
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
	obj->fix = in->fix;
	return 0;
}

int cg_compile(struct compilation *c, const struct cg_options *o, struct ct_object *obj,
	       struct cg_info *info)
{
	struct cg_object built;
	int ret;

	memset(obj, 0, sizeof(*obj));
	ret = cg_build(c, o, &built);
	*info = (struct cg_info){.ms_ir = built.ms_ir, .ms_opt = built.ms_opt, .ms_emit = built.ms_emit, .cached = built.cached, .unavailable = built.unavailable};
	if (!ret)
		ret = cg_export(c, &built, obj);
	cg_object_free(&built);
	if (ret)
		ct_object_free(obj);
	return ret;
}
