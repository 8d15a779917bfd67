/* cg_prog.c - programs: one BPF function per (clause, probe), or per up to 64 BEGIN or END
 * clauses run in turn, with its section, debug
 * subprogram, pid filter, exit check, guard, locals and predicate; a program whose buffers
 * would not fit the stack is emitted again with them in the scratch map. */
#include "cg.h"

#include <string.h>

void cg_begin_function(struct cg *g, const struct cg_prog *p, const char *section,
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

void cg_pid_filter(struct cg *g)
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

const char *cg_section(struct cg *g, enum attach_kind k, const char *target)
{
	const char *prefix = attach_ops(k)->section;
	char *s = arena_printf(&g->c->arena, "%s%s", prefix, target);

	for (char *p = s + strlen(prefix); *p; p++) /* tracepoint/category/event */
		if (*p == ':')
			*p = '/';
	return s;
}

/* One clause's part of a program, after the prologue: pairing, guard, locals, predicate,
 * body; it ends by branching to g->ret_bb. */
static void cg_segment(struct cg *g, const struct cg_prog *p, const struct clause *cl,
		       const struct probe_attach *at)
{
	LLVMBasicBlockRef body;

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

static void cg_clause_prog(struct cg *g, struct cg_prog *p, const char *section,
			   const struct probe_attach *at)
{
	LLVMBasicBlockRef ret;

	cg_begin_function(g, p, section, p->clause->loc);
	g->start_val = NULL;
	g->exit_bb = NULL;
	if (p->kind != CT_PROG_BEGIN && p->kind != CT_PROG_END && p->kind != CT_PROG_INTERVAL) {
		cg_pid_filter(g);
		cg_exit_check(g);
	}
	if (!p->nmembers) {
		cg_segment(g, p, p->clause, at);
		return;
	}
	/* fused: each clause in turn, its "return" the next one's start; exit() ends them all */
	ret = g->exit_bb = g->ret_bb;
	for (unsigned i = 0; i < p->nmembers; i++) {
		g->ret_bb = cg_block(g, "next.clause");
		cg_segment(g, p, p->members[i], at);
		cg_at(g, g->ret_bb);
	}
	LLVMBuildBr(g->b, ret);
	g->ret_bb = ret;
	g->exit_bb = NULL;
}

/* Emits a program; when its buffers (before optimisation) would not fit the 512-byte
 * BPF stack comfortably, it is emitted again with its big buffers in a per-CPU
 * scratch map value of its own. */
#define CG_STACK_BUDGET 448
#define CG_SCRATCH_MAX 32768 /* a per-CPU map value's limit (PCPU_MIN_UNIT_SIZE) */

static bool cg_emit(struct cg *g, struct cg_prog *p, const char *section,
		    const struct probe_attach *at, bool start)
{
	int errors = g->errors;

	g->scratch_mode = false;
	if (start)
		cg_start_prog(g, p, at);
	else
		cg_clause_prog(g, p, section, at);
	if (g->stack_used <= CG_STACK_BUDGET || g->errors != errors)
		return true;
	/* again with the big buffers in the scratch map; when the small ones alone are
	 * still too many (the 8-byte keys and values of many map updates), with all of them */
	for (int all = 0; all < 2; all++) {
		LLVMDeleteFunction(g->fn);
		g->scratch_mode = true;
		g->scratch_all = all;
		if (start)
			cg_start_prog(g, p, at);
		else
			cg_clause_prog(g, p, section, at);
		g->scratch_mode = g->scratch_all = false;
		if (g->stack_used <= CG_STACK_BUDGET || g->errors != errors)
			break;
	}
	if (g->scratch_used > CG_SCRATCH_MAX && g->errors == errors && p->nmembers) {
		LLVMDeleteFunction(g->fn); /* fused clauses too big together: the caller splits them */
		return false;
	}
	if (g->scratch_used > g->scratch_size)
		g->scratch_size = g->scratch_used;
	g->nscratch++;
	if (g->scratch_used > CG_SCRATCH_MAX && g->errors == errors)
		cg_error(g, p->clause->loc,
			 "the buffers of this clause's program are too big for BPF (more than 32 KiB): "
			 "use fewer or shorter strings and keys in one clause, or split it",
			 NULL);
	return true;
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
		p->kind = CT_PROG_ATTACH;
		p->attach = g->attach;
		p->target = pr->target;
		break;
	case PROBE_KPROBE:
	case PROBE_KRETPROBE:
		g->attach = pr->kind == PROBE_KPROBE ? ATTACH_KPROBE : ATTACH_KRETPROBE;
		p->kind = CT_PROG_ATTACH;
		p->attach = g->attach;
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
		p->kind = CT_PROG_ATTACH;
		p->attach = g->attach;
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
		sp->kind = CT_PROG_ATTACH;
		sp->attach = at->kind;
		sp->target = at->target;
		snprintf(sp->name, sizeof(sp->name), "s%u_p%u", cl->id, idx);
		cg_emit(g, sp, NULL, at, true);
	}
}

/* BEGIN and END clauses are fused, up to CG_FUSE_MAX in one program run in turn (fewer
 * functions: LLVM's BTF emission is quadratic in them, and each is a program to load); a
 * group whose buffers do not fit together is emitted one program per clause instead. */
#define CG_FUSE_MAX 64

struct cg_fuse {
	enum ct_prog_kind kind;
	unsigned n;
	const struct clause *cl[CG_FUSE_MAX];
	const struct probe_ref *pr[CG_FUSE_MAX];
	unsigned idx[CG_FUSE_MAX];
};

static void cg_fuse_flush(struct cg *g, unsigned *cap, struct cg_fuse *f, unsigned *ngroups)
{
	struct cg_prog *p;
	const struct clause **members;
	const char *section = f->kind == CT_PROG_BEGIN ? "raw_tp/nfsq_begin" : "raw_tp/nfsq_end";

	if (f->n <= 1) {
		if (f->n)
			cg_probe(g, cap, f->cl[0], f->pr[0], f->idx[0], NULL);
		f->n = 0;
		return;
	}
	members = arena_alloc(&g->c->arena, f->n * sizeof(*members));
	memcpy(members, f->cl, f->n * sizeof(*members));
	p = cg_new_prog(g, cap);
	p->clause = f->cl[0];
	p->probe = f->pr[0];
	p->kind = f->kind;
	p->members = members;
	p->nmembers = f->n;
	snprintf(p->name, sizeof(p->name), "f%c%u", f->kind == CT_PROG_BEGIN ? 'b' : 'e', (*ngroups)++);
	g->start_map = NULL;
	if (!cg_emit(g, p, section, NULL, false)) {
		g->obj->nprogs--; /* (p was the last) */
		for (unsigned i = 0; i < f->n; i++)
			cg_probe(g, cap, f->cl[i], f->pr[i], f->idx[i], NULL);
	}
	f->n = 0;
}

/* A field the script reads that this kernel cannot give (issue #16's message): where it
 * is read, which field of which probe, the kernel, why, and what else gives it. */
static void cg_field_unavailable(struct cg *g, struct loc l, const struct probe_def *p,
				 const char *field, const char *why)
{
	const struct probe_field *f = probe_field_find(p, field);

	diag_error(&g->c->diag, l, "field '%s' of %s cannot be read on this kernel (%s): %s%s%s", field,
		   p->name, probe_kernel_release(), why, f && f->instead ? "; instead: " : "",
		   f && f->instead ? f->instead : "");
	g->errors++;
}

void cg_programs(struct cg *g)
{
	unsigned cap = 0, idx, ngroups = 0;
	struct cg_fuse fuse[2] = {{.kind = CT_PROG_BEGIN}, {.kind = CT_PROG_END}};

	for (const struct clause *cl = g->c->prog->clauses; cl; cl = cl->next) {
		idx = 0;
		for (const struct probe_ref *pr = cl->probes; pr; pr = pr->next) {
			if (pr->kind == PROBE_BEGIN || pr->kind == PROBE_END) {
				struct cg_fuse *f = &fuse[pr->kind == PROBE_END];

				f->cl[f->n] = cl, f->pr[f->n] = pr, f->idx[f->n++] = idx++;
				if (f->n == CG_FUSE_MAX)
					cg_fuse_flush(g, &cap, f, &ngroups);
				continue;
			}
			if (pr->kind != PROBE_BUILTIN) {
				cg_probe(g, &cap, cl, pr, idx++, NULL);
				continue;
			}
			char err[600];
			int bad = -1;
			const struct probe_def *d = pr->def ? probe_resolve(&g->c->arena, pr->def, cl->fields, cl->nfields, &bad, err, sizeof(err))
							    : NULL;
			if (d && d->nattach) {
				for (; d; d = d->also) /* every alternative, for probes that attach to all */
					cg_probe(g, &cap, cl, pr, idx++, d);
				continue;
			}
			g->obj->unavailable++;
			if (bad >= 0)
				cg_field_unavailable(g, cl->field_locs[bad], pr->def, cl->fields[bad], err);
			else
				cg_error(g, pr->loc, "probe cannot be used on this kernel", d || !pr->def ? pr->name : err);
		}
	}
	cg_fuse_flush(g, &cap, &fuse[0], &ngroups);
	cg_fuse_flush(g, &cap, &fuse[1], &ngroups);
	if (g->obj->nprogs > PROBE_TRACEPOINT_MAX_PROGS) { /* built-in probes too: sema saw raw ones */
		const char **targets = arena_alloc(&g->c->arena, g->obj->nprogs * sizeof(*targets));
		unsigned *ix = arena_alloc(&g->c->arena, g->obj->nprogs * sizeof(*ix)), *over, n = 0, nover;

		for (unsigned i = 0; i < g->obj->nprogs; i++)
			if (g->obj->progs[i].kind == CT_PROG_ATTACH &&
			    g->obj->progs[i].attach == ATTACH_TRACEPOINT)
				ix[n] = i, targets[n++] = g->obj->progs[i].target;
		over = arena_alloc(&g->c->arena, (n ? n : 1) * sizeof(*over));
		nover = probe_tracepoint_excess(targets, n, over);
		for (unsigned i = 0; i < nover; i++) {
			const struct cg_prog *p = &g->obj->progs[ix[over[i]]];

			if (i && g->obj->progs[ix[over[i - 1]]].probe == p->probe)
				continue; /* the start and end programs of one pair: said once */
			diag_error(&g->c->diag, p->probe->loc, PROBE_TRACEPOINT_MAX_MSG, p->target,
				   PROBE_TRACEPOINT_MAX_PROGS);
			g->errors++;
		}
	}
	if (g->scratch)
		cg_map_describe(g, g->scratch, CT_SCRATCH_NAME, LAYOUT_MAP_PERCPU_ARRAY, g->nscratch,
				g->di_int, cg_di_array(g, g->di_u64, 64, layout_round8(g->scratch_size ? g->scratch_size : 8) / 8));
}
