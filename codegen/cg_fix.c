/* cg_fix.c - kernel facts as markers, for compiled files (contract/fix.h): each offset
 * or address a probe's resolution found becomes an ld_imm64 that nfsq-run patches with the
 * value it finds on the kernel it meets; the records say how to find them again. */
#include "cg.h"

#include <stdio.h>
#include <string.h>

LLVMValueRef cg_fact(struct cg *g, const void *slot, enum probe_fact_width width)
{
	struct probe_fact f = {slot, width};
	unsigned i;
	char text[64];

	if (!g->o->portable)
		return cg_i64(g, probe_fact_value(&f));
	for (i = 0; i < g->nfacts && g->facts[i].slot != slot; i++)
		;
	if (i == g->nfacts) {
		if (g->nfacts == g->facts_cap) {
			unsigned cap = g->facts_cap ? 2 * g->facts_cap : 64;
			struct probe_fact *p = arena_alloc(&g->c->arena, cap * sizeof(*p));

			if (g->nfacts)
				memcpy(p, g->facts, g->nfacts * sizeof(*p));
			g->facts = p;
			g->facts_cap = cap;
		}
		g->facts[g->nfacts++] = f;
	}
	/* opaque to LLVM: it cannot fold the value into what uses it */
	snprintf(text, sizeof(text), "$0 = %llu ll", (unsigned long long)CT_FIX_MAGIC << 32 | i);
	LLVMTypeRef ft = LLVMFunctionType(g->i64, NULL, 0, 0);
	LLVMValueRef as = LLVMGetInlineAsm(ft, text, strlen(text), "=r", 2, 0, 0, LLVMInlineAsmDialectATT, 0);
	return LLVMBuildCall2(g->b, ft, as, NULL, 0, "");
}

void cg_fix_record(struct cg *g, enum ct_fix_kind kind, const char *name, const char *const *used,
		   unsigned nused, const struct probe_def *def)
{
	struct cg_fixrec *r;

	if (!g->o->portable || !def)
		return;
	for (r = g->fixrecs; r; r = r->next) /* the same pair key's tracepoint, once */
		if (r->def == def && r->kind == kind && r->nused == nused &&
		    (!nused || !memcmp(r->used, used, nused * sizeof(*used))))
			return;
	r = arena_alloc(&g->c->arena, sizeof(*r));
	*r = (struct cg_fixrec){kind, name, used, nused, def, NULL};
	*g->fixrec_tail = r;
	g->fixrec_tail = &r->next;
}

struct cg_fix_scan {
	struct cg *g;
	struct ct_fixups *fix;
	unsigned *rec, *slot; /* per fact: where it is found (rec UINT32_MAX: nowhere) */
	const int64_t *value;
	unsigned cap;
};

static int cg_fix_patch(void *arg, const char *section, uint32_t insn, uint32_t num)
{
	struct cg_fix_scan *s = arg;
	struct ct_fixups *fix = s->fix;

	if (num >= s->g->nfacts)
		return -1;
	if (ct_fix_set(s->g->obj->elf, s->g->obj->elf_size, section, insn, (uint64_t)s->value[num]))
		return -1;
	if (fix->npatches == s->cap) {
		unsigned cap = s->cap ? 2 * s->cap : 64;
		struct ct_fix_patch *p = arena_alloc(&s->g->c->arena, cap * sizeof(*p));

		if (fix->npatches)
			memcpy(p, fix->patches, fix->npatches * sizeof(*p));
		fix->patches = p;
		s->cap = cap;
	}
	fix->patches[fix->npatches++] =
		(struct ct_fix_patch){arena_strdup(&s->g->c->arena, section), insn, s->rec[num], s->slot[num]};
	return 0;
}

static void cg_fix_walk(const struct cg_fixrec *r, const char *const *used, unsigned nused, struct probe_facts *w)
{
	if (r->kind == CT_FIX_BUILTIN)
		probe_facts_builtin(w, r->def, used, nused);
	else
		probe_facts_tracepoint(w, r->def, used, nused);
}

static bool cg_fix_has(const struct probe_facts *w, const void *slot)
{
	for (unsigned k = 0; k < w->nslots; k++)
		if (w->slots[k].slot == slot)
			return true;
	return false;
}

/* A fact in a field that no clause of the record reads but that its definition's code
 * reads for another clause (a start record shared by the clauses of one probe): that
 * field becomes one the record uses. */
static void cg_fix_widen(struct cg *g, const void *slot)
{
	for (struct cg_fixrec *r = g->fixrecs; r; r = r->next) {
		for (unsigned f = 0; f < r->def->nfields; f++) {
			const char *name = r->def->fields[f].name;
			struct probe_facts w = {0};
			bool found;

			cg_fix_walk(r, &name, 1, &w);
			found = cg_fix_has(&w, slot);
			probe_facts_free(&w);
			if (!found)
				continue;
			const char **used = arena_alloc(&g->c->arena, (r->nused + 1) * sizeof(*used));

			if (r->nused)
				memcpy(used, r->used, r->nused * sizeof(*used));
			used[r->nused] = name;
			r->used = used;
			r->nused++;
			return;
		}
	}
}

/* Each record walked into fix->recs, and where each fact is (rec[i], slot[i]; rec[i]
 * UINT32_MAX: in none). -1 when out of memory. */
static int cg_fix_map(struct cg *g, struct ct_fixups *fix, unsigned *rec, unsigned *slot)
{
	struct arena *a = &g->c->arena;

	fix->nrecs = 0;
	for (unsigned i = 0; i < g->nfacts; i++)
		rec[i] = UINT32_MAX;
	for (const struct cg_fixrec *r = g->fixrecs; r; r = r->next) {
		struct probe_facts w = {0};
		struct ct_fix_rec *out = &fix->recs[fix->nrecs];

		cg_fix_walk(r, r->used, r->nused, &w);
		if (w.oom) {
			probe_facts_free(&w);
			return -1;
		}
		for (unsigned k = 0; k < w.nslots; k++)
			for (unsigned i = 0; i < g->nfacts; i++)
				if (rec[i] == UINT32_MAX && g->facts[i].slot == w.slots[k].slot)
					rec[i] = fix->nrecs, slot[i] = k;
		*out = (struct ct_fix_rec){r->kind, r->name, arena_alloc(a, (r->nused + 1) * sizeof(char *)), r->nused,
					   arena_strdup(a, w.shape ? w.shape : ""),
					   arena_alloc(a, (w.ntargets + 1) * sizeof(char *)), w.ntargets};
		if (r->nused)
			memcpy(out->used, r->used, r->nused * sizeof(char *));
		for (unsigned k = 0; k < w.ntargets; k++)
			out->targets[k] = arena_strdup(a, w.targets[k]);
		fix->nrecs++;
		probe_facts_free(&w);
	}
	return 0;
}

int cg_fix_finish(struct cg *g)
{
	struct arena *a = &g->c->arena;
	struct ct_fixups *fix = &g->obj->fix;
	unsigned n = 0, nf = g->nfacts ? g->nfacts : 1;
	struct cg_fix_scan s = {g, fix, arena_alloc(a, nf * sizeof(unsigned)), arena_alloc(a, nf * sizeof(unsigned)), NULL, 0};
	int64_t *value = arena_alloc(a, nf * sizeof(*value));
	bool widened = false;
	int ret = -1;

	if (!g->o->portable)
		return 0;
	for (const struct cg_fixrec *r = g->fixrecs; r; r = r->next)
		n++;
	fix->recs = arena_alloc(a, (n ? n : 1) * sizeof(*fix->recs));
	for (unsigned i = 0; i < g->nfacts; i++)
		value[i] = probe_fact_value(&g->facts[i]);
	s.value = value;
	if (cg_fix_map(g, fix, s.rec, s.slot))
		goto cleanup;
	for (unsigned i = 0; i < g->nfacts; i++)
		if (s.rec[i] == UINT32_MAX)
			cg_fix_widen(g, g->facts[i].slot), widened = true;
	if (widened && cg_fix_map(g, fix, s.rec, s.slot))
		goto cleanup;
	/* a fact no record gives (a raw probe's typed member): the file is this kernel's only */
	fix->portable = !g->pinned;
	for (unsigned i = 0; i < g->nfacts; i++)
		fix->portable &= s.rec[i] != UINT32_MAX;
	if (ct_fix_scan(g->obj->elf, g->obj->elf_size, cg_fix_patch, &s))
		goto cleanup;
	ret = 0;
cleanup:
	if (ret)
		diag_error_noloc(&g->c->diag, "internal error: the kernel facts of the compiled object cannot be recorded");
	return ret;
}
