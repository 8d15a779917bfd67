/* cg_prog.c - programs: one BPF function per attach point (BEGIN, END) for up to 64
 * (clause, probe)s on it run in turn, with its section, debug subprogram, pid filter and
 * exit check, and per clause its pairing, guard, locals and predicate; a program whose
 * buffers would not fit the stack is emitted again with them in the scratch map. */
#define _GNU_SOURCE /* qsort_r */
#include "cg.h"

#include <stdlib.h>
#include <string.h>

void cg_begin_function(struct cg *g, const struct cg_prog *p, const char *section,
		       struct loc l)
{
	LLVMTypeRef ft = LLVMFunctionType(g->i32, &g->ptr, 1, 0);
	LLVMMetadataRef params[2] = {g->di_int, g->di_voidp}, st;
	uint32_t line = 1, col = 1;

	g->prog = p;
	g->fn = LLVMAddFunction(g->mod, p->name, ft);
	g->fn_gen++;
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
	LLVMValueRef pid, want;
	LLVMBasicBlockRef go;

	if (!g->o->filter_pid)
		return;
	go = cg_block(g, "pid.ok");
	pid = LLVMBuildLShr(g->b, cg_helper0(g, H_GET_CURRENT_PID_TGID), cg_i64(g, 32), "");
	want = cg_cfg_load(g, LAYOUT_CFG_PID);
	/* a pid of 0: every process (a compiled file run without -p) */
	LLVMBuildCondBr(g->b, LLVMBuildOr(g->b, LLVMBuildICmp(g->b, LLVMIntEQ, pid, want, ""),
					  LLVMBuildICmp(g->b, LLVMIntEQ, want, cg_i64(g, 0), ""), ""),
			go, g->ret_bb);
	cg_at(g, go);
}

/* The time of the event: in an attach program, one clock read in its prologue, shared by
 * every clause on it (a start time, a latency, "since" fields): the same event has one
 * time, and the clock is slow to read on some machines (HPET: half of an NFS script's
 * BPF time in the lab). Removed after emission when nothing used it. */
LLVMValueRef cg_now(struct cg *g)
{
	return g->now ? g->now : cg_helper0(g, H_KTIME_GET_NS);
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

/* Makes (clause, probe) m the one being emitted: its probe's fields, its start record. */
static void cg_member(struct cg *g, const struct cg_prog *m)
{
	g->prog = m;
	g->start = m->start;
	g->start_val = NULL;
	g->latency = NULL;
}

/* One clause's part of a program, after the prologue: pairing, guard, locals, predicate,
 * body; it ends by branching to g->ret_bb. For a start program, the start record. last:
 * no later clause of the program pairs with the same start record. */
static void cg_segment(struct cg *g, const struct cg_prog *m, bool last)
{
	const struct clause *cl = m->clause;
	LLVMBasicBlockRef body;

	cg_member(g, m);
	if (m->is_stamp) {
		cg_stamp_segment(g, m);
		LLVMBuildBr(g->b, g->ret_bb);
		return;
	}
	if (m->is_start) {
		cg_start_segment(g, m);
		LLVMBuildBr(g->b, g->ret_bb);
		return;
	}
	if (g->start)
		cg_end_pairing(g, &m->def->attach[0], last);
	if (m->def && m->def->guard) { /* this attach point counts only some of its events */
		LLVMBasicBlockRef go = cg_block(g, "guard.ok");
		LLVMValueRef v = cg_read(g, type_int(), cl->loc, "guard", m->def->guard);

		LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntNE, v, cg_i64(g, 0), ""), go, g->ret_bb);
		cg_at(g, go);
	}
	g->locals = arena_alloc(&g->c->arena, (cl->nlocals + 1) * sizeof(*g->locals));
	g->nlocals = cl->nlocals;
	if (cl->has_for) { /* one buffer, which a for loop's callback can be given (cg_for.c) */
		uint32_t size = 0;

		g->local_offs = arena_alloc(&g->c->arena, (cl->nlocals + 1) * sizeof(*g->local_offs));
		for (unsigned i = 0; i < cl->nlocals; i++) {
			g->local_offs[cl->locals[i]->id] = size;
			size += layout_type_size(cl->locals[i]->type);
		}
		g->for_exit_off = size; /* then a word: exit() in a loop's body (cg_for.c) */
		g->locals_off = g->scratch_used;
		g->locals_base = cg_alloca(g, size + 8); /* (more than 8: in scratch mode, there) */
		for (unsigned i = 0; i < cl->nlocals; i++)
			g->locals[i] = cg_gep(g, g->locals_base, g->local_offs[i]);
		cg_store(g, cg_i64(g, 0), g->locals_base, size);
	}
	for (unsigned i = 0; !cl->has_for && i < cl->nlocals; i++) {
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

static const char *cg_prog_section(struct cg *g, const struct cg_prog *p)
{
	switch (p->kind) {
	case CT_PROG_BEGIN:
		return "raw_tp/nfsq_begin";
	case CT_PROG_END:
		return "raw_tp/nfsq_end";
	case CT_PROG_INTERVAL:
		return "raw_tp/nfsq_interval";
	case CT_PROG_ATTACH:
		break;
	}
	return cg_section(g, p->attach, p->target);
}

/* A program: the prologue (pid filter, exit check), then its one (clause, probe) or each
 * of its members in turn, the "return" of one the start of the next; exit() in a member
 * skips the later ones, as when each was a program of its own checking the exit flag. */
static void cg_prog_body(struct cg *g, struct cg_prog *p)
{
	LLVMBasicBlockRef ret;

	cg_begin_function(g, p, cg_prog_section(g, p), p->is_start ? p->probe->loc : p->clause->loc);
	g->attach = p->attach;
	g->exit_bb = NULL;
	g->now = NULL;
	if (p->kind == CT_PROG_ATTACH) {
		if (!p->is_stamp) /* (a stamp is the kernel's event, in whichever task it runs) */
			cg_pid_filter(g);
		cg_exit_check(g);
		/* (a stamp program reads the clock after its guard: most of its events fail it) */
		g->now = p->is_stamp ? NULL : cg_helper0(g, H_KTIME_GET_NS);
	}
	if (!p->nmembers) {
		cg_segment(g, p, true);
	} else {
		ret = g->exit_bb = g->ret_bb;
		for (unsigned i = 0; i < p->nmembers; i++) {
			LLVMBasicBlockRef next = g->ret_bb = cg_block(g, "next.clause");
			bool last = true;

			for (unsigned j = i + 1; j < p->nmembers && last; j++)
				last = !p->members[i].start || p->members[j].start != p->members[i].start;
			cg_segment(g, &p->members[i], last); /* (a pairing may move g->ret_bb: deletes, then next) */
			cg_at(g, next);
		}
		LLVMBuildBr(g->b, ret);
		g->ret_bb = ret;
		g->exit_bb = NULL;
		g->prog = p;
	}
	if (g->now && !LLVMGetFirstUse(g->now))
		LLVMInstructionEraseFromParent(g->now);
	g->now = NULL;
}

/* Emits a program; when its buffers (before optimisation) would not fit the 512-byte
 * BPF stack comfortably, it is emitted again with its big buffers in a per-CPU
 * scratch map value of its own. False: a fused program whose buffers are too big
 * together, or that uses more maps than a program may (nothing emitted; the caller
 * splits it). */
#define CG_STACK_BUDGET 448
#define CG_SCRATCH_MAX 32768 /* a per-CPU map value's limit (PCPU_MIN_UNIT_SIZE) */
#define CG_MAPS_MAX 64        /* maps per program (the kernel's MAX_USED_MAPS) */

/* The maps function fn refers to (the kernel takes at most 64 per program): the
 * distinct ".maps" globals among its instructions' operands, counted up to max + 1. */
static unsigned cg_maps_used(LLVMValueRef fn, unsigned max)
{
	LLVMValueRef seen[CG_MAPS_MAX + 1];
	unsigned n = 0;

	for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn); bb; bb = LLVMGetNextBasicBlock(bb))
		for (LLVMValueRef in = LLVMGetFirstInstruction(bb); in; in = LLVMGetNextInstruction(in))
			for (int k = 0, nops = LLVMGetNumOperands(in); k < nops; k++) {
				LLVMValueRef op = LLVMGetOperand(in, (unsigned)k);
				const char *sec;
				unsigned i = 0;

				if (!op || !LLVMIsAGlobalVariable(op) || !(sec = LLVMGetSection(op)) ||
				    strcmp(sec, ".maps"))
					continue;
				while (i < n && seen[i] != op)
					i++;
				if (i == n && (seen[n++] = op, n > max))
					return n;
			}
	return n;
}

/* Deletes the functions defined after `before` (NULL: all): a program emitted again, and
 * its for loops' callbacks (users first: the program comes before its callbacks). */
static void cg_abandon(struct cg *g, LLVMValueRef before)
{
	LLVMValueRef fn = before ? LLVMGetNextFunction(before) : LLVMGetFirstFunction(g->mod), next;

	for (; fn; fn = next) {
		next = LLVMGetNextFunction(fn);
		if (!LLVMIsDeclaration(fn))
			LLVMDeleteFunction(fn);
	}
}

static bool cg_emit(struct cg *g, struct cg_prog *p)
{
	int errors = g->errors;
	LLVMValueRef before = LLVMGetLastFunction(g->mod);

	g->prog_index = (int)(p - g->obj->progs);
	g->scratch_mode = false;
	cg_prog_body(g, p);
	if (p->nmembers && g->errors == errors && cg_maps_used(g->fn, CG_MAPS_MAX) > CG_MAPS_MAX) {
		cg_abandon(g, before);
		cg_starts_abandon(g, g->prog_index);
		return false;
	}
	if (g->stack_used <= CG_STACK_BUDGET || g->errors != errors)
		return true;
	/* again with the big buffers in the scratch map; when the small ones alone are
	 * still too many (the 8-byte keys and values of many map updates), with all of them */
	for (int all = 0; all < 2; all++) {
		cg_abandon(g, before);
		g->scratch_mode = true;
		g->scratch_all = all;
		cg_prog_body(g, p);
		g->scratch_mode = g->scratch_all = false;
		if (g->stack_used <= CG_STACK_BUDGET || g->errors != errors)
			break;
	}
	if (g->scratch_used > CG_SCRATCH_MAX && g->errors == errors && p->nmembers) {
		cg_abandon(g, before);
		cg_starts_abandon(g, g->prog_index);
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

/* ---- fusion ----
 * Every (clause, probe) becomes a unit: what its program would be on its own (name, kind,
 * attach point), a start/end pair two units (the end, and the start with is_start).
 * Units on one attach point (BEGIN; END; one kind of attach to one target, start
 * halves apart from end halves) are fused, up to CG_FUSE_MAX to a program, in script
 * order: each program is a BPF program to load and run per event, and LLVM's BTF
 * emission is quadratic in functions. Programs come in the order of their first unit,
 * so a script with one unit per attach point compiles as it did before fusion. A fused
 * program whose buffers do not fit together, or that uses more than the 64 maps a program
 * may, is split in two until they do. */
#define CG_FUSE_MAX 64

struct cg_units {
	struct cg_prog *u;
	unsigned *seq; /* per unit: its place in the script (a pair's two units share one) */
	unsigned n, cap;
};

static struct cg_prog *cg_unit_new(struct cg *g, struct cg_units *us, unsigned seq)
{
	if (us->n == us->cap) {
		unsigned cap = us->cap * 2 + 16;
		struct cg_prog *u = arena_alloc(&g->c->arena, cap * sizeof(*u));
		unsigned *sq = arena_alloc(&g->c->arena, cap * sizeof(*sq));

		if (us->n) {
			memcpy(u, us->u, us->n * sizeof(*u));
			memcpy(sq, us->seq, us->n * sizeof(*sq));
		}
		us->u = u, us->seq = sq, us->cap = cap;
	}
	memset(&us->u[us->n], 0, sizeof(us->u[0]));
	us->seq[us->n] = seq;
	return &us->u[us->n++];
}

/* The unit of the stamp program of attach alternative `resolved` (struct probe_stamp), for
 * the first clause that reads it: one for all of them. */
static void cg_stamp_unit(struct cg *g, struct cg_units *us, const struct clause *cl,
			  const struct probe_ref *pr, unsigned idx, const struct probe_def *resolved)
{
	const struct probe_stamp *st = resolved->attach[0].stamp;
	struct cg_prog *p;

	if (cg_stamp_find(g, st, false))
		return;
	cg_stamp_find(g, st, true);
	p = cg_unit_new(g, us, us->n);
	p->clause = cl;
	p->probe = pr;
	p->def = resolved;
	p->kind = CT_PROG_ATTACH;
	p->attach = st->kind;
	p->target = st->target;
	p->is_stamp = true;
	snprintf(p->name, sizeof(p->name), "t%u_p%u", cl->id, idx);
}

/* The unit(s) of one probe of a clause: for a built-in probe, `resolved` is one of its
 * attach alternatives made concrete for this kernel (end and start units for a pair, and
 * the stamp program's where it has one). */
static void cg_units_add(struct cg *g, struct cg_units *us, const struct clause *cl,
			 const struct probe_ref *pr, unsigned idx, const struct probe_def *resolved)
{
	struct cg_prog *p, *sp;
	const struct probe_attach *at;
	char name[24];
	bool is_new;
	unsigned seq;

	if (resolved && resolved->stamp_key)
		cg_stamp_unit(g, us, cl, pr, idx, resolved);
	seq = us->n;
	p = cg_unit_new(g, us, seq);
	p->clause = cl;
	p->probe = pr;
	p->def = pr->def;
	snprintf(p->name, sizeof(p->name), "c%u_p%u", cl->id, idx);
	switch (pr->kind) {
	case PROBE_BEGIN:
		p->kind = CT_PROG_BEGIN;
		return;
	case PROBE_END:
		p->kind = CT_PROG_END;
		return;
	case PROBE_INTERVAL:
		p->kind = CT_PROG_INTERVAL;
		p->interval_ns = pr->interval_ns;
		return;
	case PROBE_TRACEPOINT:
	case PROBE_KPROBE:
	case PROBE_KRETPROBE:
		p->kind = CT_PROG_ATTACH;
		p->attach = pr->kind == PROBE_TRACEPOINT ? ATTACH_TRACEPOINT
			    : pr->kind == PROBE_KPROBE	 ? ATTACH_KPROBE
							 : ATTACH_KRETPROBE;
		p->target = pr->target;
		return;
	case PROBE_FENTRY:
	case PROBE_FEXIT:
		p->kind = CT_PROG_ATTACH;
		p->attach = pr->kind == PROBE_FENTRY ? ATTACH_FENTRY : ATTACH_FEXIT;
		p->target = pr->target;
		return;
	case PROBE_PROFILE:
		p->kind = CT_PROG_ATTACH;
		p->attach = ATTACH_PROFILE;
		p->target = pr->target;
		return;
	case PROBE_BUILTIN:
		break;
	}
	p->kind = CT_PROG_ATTACH;
	p->def = resolved;
	at = &resolved->attach[0];
	if (!at->end_target) {
		p->attach = at->kind;
		p->target = at->target;
		return;
	}
	p->attach = at->end_kind;
	p->target = at->end_target;
	snprintf(name, sizeof(name), "s%u_%u", cl->id, idx);
	if (!(p->start = cg_start_join(g, resolved, cl, name, &is_new)) || !is_new)
		return; /* (no start half, or the record's first clause has it) */
	sp = cg_unit_new(g, us, seq);
	*sp = us->u[us->n - 2]; /* (the array may have moved: p is stale) */
	sp->is_start = true;
	sp->attach = at->kind;
	sp->target = at->target;
	snprintf(sp->name, sizeof(sp->name), "s%u_p%u", cl->id, idx);
}

/* Units on one attach point compare equal; otherwise any fixed order. */
static int cg_unit_key_cmp(const struct cg_prog *a, const struct cg_prog *b)
{
	if (a->kind != b->kind)
		return (int)a->kind - (int)b->kind;
	if (a->is_start != b->is_start)
		return (int)a->is_start - (int)b->is_start;
	if (a->is_stamp != b->is_stamp)
		return (int)a->is_stamp - (int)b->is_stamp;
	if (a->kind != CT_PROG_ATTACH)
		return 0;
	if (a->attach != b->attach)
		return (int)a->attach - (int)b->attach;
	return strcmp(a->target, b->target);
}

static int cg_unit_cmp(const void *x, const void *y, void *units)
{
	const struct cg_prog *u = units;
	unsigned a = *(const unsigned *)x, b = *(const unsigned *)y;
	int c = cg_unit_key_cmp(&u[a], &u[b]);

	return c ? c : (a > b) - (a < b);
}

struct cg_group {
	unsigned first, n; /* in the sorted unit indexes */
	unsigned seq;      /* of the first unit: the program's place */
	bool is_start;
};

static int cg_group_cmp(const void *x, const void *y)
{
	const struct cg_group *a = x, *b = y;

	if (a->seq != b->seq)
		return (a->seq > b->seq) - (a->seq < b->seq);
	return (int)a->is_start - (int)b->is_start;
}

/* One program for units u[ix[0..n-1]] (n <= CG_FUSE_MAX). */
static void cg_fused_prog(struct cg *g, unsigned *cap, const struct cg_units *us,
			  const unsigned *ix, unsigned n, unsigned *nfused)
{
	struct cg_prog *p, *members;

	if (n == 1) {
		p = cg_new_prog(g, cap);
		*p = us->u[ix[0]];
		cg_emit(g, p);
		return;
	}
	members = arena_alloc(&g->c->arena, n * sizeof(*members));
	for (unsigned i = 0; i < n; i++)
		members[i] = us->u[ix[i]];
	p = cg_new_prog(g, cap);
	*p = members[0];
	p->start = NULL;
	p->members = members;
	p->nmembers = n;
	snprintf(p->name, sizeof(p->name), "f%u", (*nfused)++);
	if (cg_emit(g, p))
		return;
	g->obj->nprogs--; /* (p was the last): in two halves, each split again if need be */
	cg_fused_prog(g, cap, us, ix, n / 2, nfused);
	cg_fused_prog(g, cap, us, ix + n / 2, n - n / 2, nfused);
}

static void cg_fuse(struct cg *g, struct cg_units *us)
{
	unsigned *ix = arena_alloc(&g->c->arena, (us->n + 1) * sizeof(*ix)), cap = 0, ngroups = 0, nfused = 0;
	struct cg_group *gr = arena_alloc(&g->c->arena, (us->n + 1) * sizeof(*gr));

	for (unsigned i = 0; i < us->n; i++)
		ix[i] = i;
	qsort_r(ix, us->n, sizeof(*ix), cg_unit_cmp, us->u);
	for (unsigned i = 0; i < us->n; i++) {
		const struct cg_prog *u = &us->u[ix[i]];

		if (ngroups && gr[ngroups - 1].n < CG_FUSE_MAX && u->kind != CT_PROG_INTERVAL &&
		    !cg_unit_key_cmp(&us->u[ix[gr[ngroups - 1].first]], u)) { /* (a timer each) */
			gr[ngroups - 1].n++;
			continue;
		}
		gr[ngroups++] = (struct cg_group){.first = i, .n = 1, .seq = us->seq[ix[i]], .is_start = u->is_start};
	}
	qsort(gr, ngroups, sizeof(*gr), cg_group_cmp);
	for (int start = 0; start < 2; start++) /* start halves last: they write every map of their record */
		for (unsigned i = 0; i < ngroups; i++)
			if (gr[i].is_start == start)
				cg_fused_prog(g, &cap, us, &ix[gr[i].first], gr[i].n, &nfused);
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
	unsigned idx;
	struct cg_units us = {0};

	for (const struct clause *cl = g->c->prog->clauses; cl; cl = cl->next) {
		idx = 0;
		for (const struct probe_ref *pr = cl->probes; pr; pr = pr->next) {
			if (pr->kind != PROBE_BUILTIN) {
				if (pr->kind == PROBE_TRACEPOINT)
					cg_fix_record(g, CT_FIX_TRACEPOINT, pr->target, cl->fields, cl->nfields, pr->def);
				g->pinned |= pr->kind == PROBE_FENTRY || pr->kind == PROBE_FEXIT; /* typed by BTF ids */
				cg_units_add(g, &us, cl, pr, idx++, NULL);
				continue;
			}
			char err[600];
			int bad = -1;
			const struct probe_def *d = pr->def ? probe_resolve(&g->c->arena, pr->def, cl->fields, cl->nfields, &bad, err, sizeof(err))
							    : NULL;
			if (d && d->nattach) {
				cg_fix_record(g, CT_FIX_BUILTIN, pr->def->name, cl->fields, cl->nfields, d);
				for (; d; d = d->also) /* every alternative, for probes that attach to all */
					cg_units_add(g, &us, cl, pr, idx++, d);
				continue;
			}
			g->obj->unavailable++;
			if (bad >= 0)
				cg_field_unavailable(g, cl->field_locs[bad], pr->def, cl->fields[bad], err);
			else
				cg_error(g, pr->loc, "probe cannot be used on this kernel", d || !pr->def ? pr->name : err);
		}
	}
	cg_starts_layout(g);
	cg_fuse(g, &us);
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
