/* file.c - compiled programs as files (file.h). */
#include "file.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "layout.h"

#define CT_FILE_TUPLE_MAX 64 /* elements of a tuple, nested tuples' included */

/* ---- writing ---- */

static void ct_file_put_type(struct ct_buf *b, struct type t)
{
	ct_buf_put_u32(b, t.kind);
	ct_buf_put_u32(b, t.size);
	if (t.kind != TYPE_TUPLE)
		return;
	ct_buf_put_u32(b, t.tuple->n);
	for (unsigned i = 0; i < t.tuple->n; i++) {
		ct_file_put_type(b, t.tuple->elems[i]);
		ct_buf_put_u32(b, t.tuple->offs[i]);
	}
}

static void ct_file_put_map(struct ct_buf *b, const struct map_info *m)
{
	int64_t lhist[3] = {m->lhist_min, m->lhist_max, m->lhist_step};
	uint32_t locs[4] = {m->first.begin, m->first.end, m->clause_loc.begin, m->clause_loc.end};

	ct_buf_put_str(b, m->name);
	ct_buf_put_u32(b, m->nkeys);
	for (unsigned k = 0; k < m->nkeys; k++)
		ct_file_put_type(b, m->keys[k]);
	ct_buf_put_u32(b, m->agg);
	ct_file_put_type(b, m->value);
	ct_buf_put(b, lhist, sizeof(lhist));
	ct_buf_put_u32(b, m->key_names != NULL);
	for (unsigned k = 0; m->key_names && k < m->nkeys; k++)
		ct_buf_put_str(b, m->key_names[k]);
	ct_buf_put_u32(b, m->have_first | m->clause_first << 1);
	ct_buf_put(b, locs, sizeof(locs));
}

static void ct_file_put_printf(struct ct_buf *b, const struct printf_info *p)
{
	ct_buf_put_str(b, p->fmt);
	ct_buf_put_u32(b, p->size);
	ct_buf_put_u32(b, p->time);
	ct_buf_put_u32(b, p->nargs);
	for (unsigned i = 0; i < p->nargs; i++) {
		const struct printf_arg *a = &p->args[i];

		ct_file_put_type(b, a->type);
		ct_buf_put_u32(b, a->offset);
		ct_buf_put_u32(b, (unsigned char)a->conv | (uint32_t)a->ratio << 8);
		ct_buf_put_str(b, a->spec);
		ct_buf_put_str(b, a->strftime);
	}
}

static void ct_file_put_fix(struct ct_buf *b, const struct ct_fixups *fix)
{
	ct_buf_put_u32(b, fix->portable | fix->no_fentry << 1);
	ct_buf_put_u32(b, fix->nrecs);
	for (unsigned i = 0; i < fix->nrecs; i++) {
		const struct ct_fix_rec *r = &fix->recs[i];

		ct_buf_put_u32(b, r->kind);
		ct_buf_put_str(b, r->name);
		ct_buf_put_u32(b, r->nused);
		for (unsigned k = 0; k < r->nused; k++)
			ct_buf_put_str(b, r->used[k]);
		ct_buf_put_str(b, r->shape);
		ct_buf_put_u32(b, r->ntargets);
		for (unsigned k = 0; k < r->ntargets; k++)
			ct_buf_put_str(b, r->targets[k]);
	}
	ct_buf_put_u32(b, fix->npatches);
	for (unsigned i = 0; i < fix->npatches; i++) {
		const struct ct_fix_patch *p = &fix->patches[i];

		ct_buf_put_str(b, p->section);
		ct_buf_put_u32(b, p->insn);
		ct_buf_put_u32(b, p->rec);
		ct_buf_put_u32(b, p->slot);
	}
}

int ct_file_write(FILE *out, const struct ct_object *const *objs, unsigned n, const struct ct_file_info *info)
{
	const struct ct_object *obj = objs[0];
	struct ct_buf b = {0};
	char head[64];
	uint64_t h[2] = CT_HASH_INIT;
	size_t body;
	int ret = -1;

	snprintf(head, sizeof(head), "%s%s%d\n", CT_FILE_SHEBANG, CT_FILE_MAGIC, CT_FILE_FORMAT);
	ct_buf_put(&b, head, strlen(head));
	body = b.len;
	ct_buf_put_str(&b, info->nfsq_version);
	ct_buf_put_str(&b, info->kernel_release);
	ct_buf_put_str(&b, info->kernel_build);
	ct_buf_put_str(&b, info->boot_id);
	ct_buf_put_str(&b, info->boot_symbol);
	ct_buf_put_str(&b, info->boot);
	ct_buf_put_u32(&b, info->uses_cpid | info->pid_filter << 1);
	ct_buf_put_u32(&b, obj->map_size);
	ct_buf_put_str(&b, obj->src->name);
	ct_buf_put_u32(&b, obj->src->len);
	ct_buf_put(&b, obj->src->text, obj->src->len);
	ct_buf_put_u32(&b, obj->nmaps);
	for (unsigned i = 0; i < obj->nmaps; i++)
		ct_file_put_map(&b, obj->maps[i].info);
	ct_buf_put_u32(&b, obj->nprintfs);
	for (unsigned i = 0; i < obj->nprintfs; i++)
		ct_file_put_printf(&b, obj->printfs[i]);
	ct_buf_put_u32(&b, n);
	for (unsigned i = 0; i < n; i++) {
		uint64_t elf_size = objs[i]->elf_size;

		ct_buf_put_progs(&b, objs[i]->progs, objs[i]->nprogs);
		ct_file_put_fix(&b, &objs[i]->fix);
		ct_buf_put(&b, &elf_size, sizeof(elf_size));
		ct_buf_put(&b, objs[i]->elf, objs[i]->elf_size);
	}
	if (b.oom) {
		errno = ENOMEM;
		goto cleanup;
	}
	ct_hash(b.p + body, b.len - body, h);
	ct_buf_put(&b, h, sizeof(h));
	if (b.oom) {
		errno = ENOMEM;
		goto cleanup;
	}
	if (fwrite(b.p, 1, b.len, out) != b.len)
		goto cleanup;
	ret = 0;
cleanup:
	free(b.p);
	return ret;
}

/* ---- reading ---- */

struct ct_file_rd {
	struct ct_rd r;
	struct arena *a;
	uint32_t src_len;
	unsigned tuple_elems; /* read so far, against CT_FILE_TUPLE_MAX */
	char *why;
	size_t whylen;
};

static bool ct_file_bad(struct ct_file_rd *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static bool ct_file_bad(struct ct_file_rd *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->why, d->whylen, fmt, ap);
	va_end(ap);
	return false;
}

static bool ct_file_get_type(struct ct_file_rd *d, struct type *t)
{
	uint32_t kind, size, n;
	struct tuple_type *tt;

	if (!ct_rd_u32(&d->r, &kind) || !ct_rd_u32(&d->r, &size) || kind > TYPE_TUPLE ||
	    size == 0 || size > (1u << 16) || (kind == TYPE_STR && size > NFSQ_STR_MAX) ||
	    (kind != TYPE_STR && kind != TYPE_TUPLE && size != 8))
		return false;
	*t = (struct type){kind, size, NULL};
	if (kind != TYPE_TUPLE)
		return true;
	if (!ct_rd_u32(&d->r, &n) || n == 0 || (d->tuple_elems += n) > CT_FILE_TUPLE_MAX)
		return false;
	tt = arena_alloc(d->a, sizeof(*tt));
	tt->n = n;
	tt->elems = arena_alloc(d->a, n * sizeof(*tt->elems));
	tt->offs = arena_alloc(d->a, n * sizeof(*tt->offs));
	for (unsigned i = 0; i < n; i++)
		if (!ct_file_get_type(d, &tt->elems[i]) || !ct_rd_u32(&d->r, &tt->offs[i]) ||
		    tt->offs[i] + layout_type_size(tt->elems[i]) > size)
			return false;
	t->tuple = tt;
	return true;
}

static bool ct_file_loc_ok(const struct ct_file_rd *d, uint32_t begin, uint32_t end)
{
	return begin <= end && end <= d->src_len;
}

static bool ct_file_get_map(struct ct_file_rd *d, unsigned id, struct map_info *m)
{
	int64_t lhist[3];
	uint32_t agg, has_names, flags, locs[4];

	m->id = id;
	if (!ct_rd_str(&d->r, d->a, &m->name) || !m->name || !ct_rd_u32(&d->r, &m->nkeys) ||
	    m->nkeys > 64)
		return false;
	m->keys = arena_alloc(d->a, (m->nkeys + 1) * sizeof(*m->keys));
	for (unsigned k = 0; k < m->nkeys; k++)
		if (!ct_file_get_type(d, &m->keys[k]))
			return false;
	if (!ct_rd_u32(&d->r, &agg) || agg > AGG_LHIST || !ct_file_get_type(d, &m->value) ||
	    !ct_rd_get(&d->r, lhist, sizeof(lhist)) || !ct_rd_u32(&d->r, &has_names))
		return false;
	m->agg = agg;
	if (agg == AGG_LHIST && (lhist[2] <= 0 || lhist[1] <= lhist[0] ||
				 (uint64_t)lhist[1] - (uint64_t)lhist[0] > (uint64_t)LAYOUT_LHIST_MAX * (uint64_t)lhist[2]))
		return false;
	m->lhist_min = lhist[0];
	m->lhist_max = lhist[1];
	m->lhist_step = lhist[2];
	if (has_names) {
		m->key_names = arena_alloc(d->a, (m->nkeys + 1) * sizeof(*m->key_names));
		for (unsigned k = 0; k < m->nkeys; k++)
			if (!ct_rd_str(&d->r, d->a, &m->key_names[k]))
				return false;
	}
	if (!ct_rd_u32(&d->r, &flags) || !ct_rd_get(&d->r, locs, sizeof(locs)) ||
	    !ct_file_loc_ok(d, locs[0], locs[1]) || !ct_file_loc_ok(d, locs[2], locs[3]))
		return false;
	m->have_first = flags & 1;
	m->clause_first = flags >> 1 & 1;
	m->first = (struct loc){locs[0], locs[1]};
	m->clause_loc = (struct loc){locs[2], locs[3]};
	m->keys_known = true;
	m->assigned = true;
	return true;
}

static bool ct_file_get_printf(struct ct_file_rd *d, unsigned id, struct printf_info *p)
{
	uint32_t time;

	p->id = id;
	if (!ct_rd_str(&d->r, d->a, &p->fmt) || !p->fmt || !ct_rd_u32(&d->r, &p->size) ||
	    p->size < 8 || p->size > (1u << 20) || !ct_rd_u32(&d->r, &time) ||
	    !ct_rd_u32(&d->r, &p->nargs) || p->nargs > 64)
		return false;
	p->time = time != 0;
	p->args = arena_alloc(d->a, (p->nargs + 1) * sizeof(*p->args));
	for (unsigned i = 0; i < p->nargs; i++) {
		struct printf_arg *a = &p->args[i];
		uint32_t conv;

		if (!ct_file_get_type(d, &a->type) || !ct_rd_u32(&d->r, &a->offset) ||
		    a->offset < 8 || a->offset + layout_type_size(a->type) > p->size ||
		    !ct_rd_u32(&d->r, &conv) || !strchr("diuxXscefFgG", (char)(conv & 0xff)) ||
		    !(conv & 0xff) || !ct_rd_str(&d->r, d->a, &a->spec) || !a->spec ||
		    !ct_rd_str(&d->r, d->a, &a->strftime))
			return false;
		a->conv = (char)(conv & 0xff);
		a->ratio = conv >> 8 & 1;
	}
	return true;
}

static bool ct_file_get_fix(struct ct_file_rd *d, struct ct_fixups *fix)
{
	uint32_t portable;

	if (!ct_rd_u32(&d->r, &portable) || !ct_rd_u32(&d->r, &fix->nrecs) || fix->nrecs > 4096)
		return false;
	fix->portable = portable & 1;
	fix->no_fentry = portable >> 1 & 1;
	fix->recs = arena_alloc(d->a, (fix->nrecs + 1) * sizeof(*fix->recs));
	for (unsigned i = 0; i < fix->nrecs; i++) {
		struct ct_fix_rec *r = &fix->recs[i];

		if (!ct_rd_u32(&d->r, &r->kind) || r->kind > CT_FIX_TRACEPOINT || !ct_rd_str(&d->r, d->a, &r->name) ||
		    !r->name || !ct_rd_u32(&d->r, &r->nused) || r->nused > 1024)
			return false;
		r->used = arena_alloc(d->a, (r->nused + 1) * sizeof(*r->used));
		for (unsigned k = 0; k < r->nused; k++)
			if (!ct_rd_str(&d->r, d->a, &r->used[k]) || !r->used[k])
				return false;
		if (!ct_rd_str(&d->r, d->a, &r->shape) || !r->shape || !ct_rd_u32(&d->r, &r->ntargets) ||
		    r->ntargets > 64)
			return false;
		r->targets = arena_alloc(d->a, (r->ntargets + 1) * sizeof(*r->targets));
		for (unsigned k = 0; k < r->ntargets; k++)
			if (!ct_rd_str(&d->r, d->a, &r->targets[k]) || !r->targets[k])
				return false;
	}
	if (!ct_rd_u32(&d->r, &fix->npatches) || fix->npatches > (1u << 20))
		return false;
	fix->patches = arena_alloc(d->a, (fix->npatches + 1) * sizeof(*fix->patches));
	for (unsigned i = 0; i < fix->npatches; i++) {
		struct ct_fix_patch *p = &fix->patches[i];

		if (!ct_rd_str(&d->r, d->a, &p->section) || !p->section || !ct_rd_u32(&d->r, &p->insn) ||
		    !ct_rd_u32(&d->r, &p->rec) || !ct_rd_u32(&d->r, &p->slot) ||
		    (fix->portable && p->rec >= fix->nrecs))
			return false;
	}
	return true;
}

bool ct_file_is(const char *buf, size_t len)
{
	const char *nl;

	if (len >= 2 && buf[0] == '#' && buf[1] == '!' && (nl = memchr(buf, '\n', len))) {
		len -= (size_t)(nl + 1 - buf);
		buf = nl + 1;
	}
	return len >= strlen(CT_FILE_MAGIC) && !memcmp(buf, CT_FILE_MAGIC, strlen(CT_FILE_MAGIC));
}

/* The body after the header: everything but the hash. */
static bool ct_file_get_body(struct ct_file_rd *d, struct ct_file *f)
{
	struct ct_object *o = &f->obj;
	const char *name;
	uint32_t flags, n;
	uint64_t elf_size;
	struct map_info *infos;

	if (!ct_rd_str(&d->r, d->a, &f->info.nfsq_version) ||
	    !ct_rd_str(&d->r, d->a, &f->info.kernel_release) ||
	    !ct_rd_str(&d->r, d->a, &f->info.kernel_build) || !f->info.kernel_release ||
	    !ct_rd_str(&d->r, d->a, &f->info.boot_id) || !ct_rd_str(&d->r, d->a, &f->info.boot_symbol) ||
	    !ct_rd_str(&d->r, d->a, &f->info.boot) ||
	    !f->info.boot_id != !f->info.boot_symbol ||
	    !f->info.kernel_build || !ct_rd_u32(&d->r, &flags) || !ct_rd_u32(&d->r, &o->map_size) ||
	    o->map_size == 0 || !ct_rd_str(&d->r, d->a, &name) || !name ||
	    !ct_rd_u32(&d->r, &d->src_len) || (size_t)(d->r.end - d->r.p) < d->src_len ||
	    src_init(&f->src, name, d->r.p, d->src_len))
		return ct_file_bad(d, "its header or script is cut or damaged");
	d->r.p += d->src_len;
	f->info.uses_cpid = flags & 1;
	f->info.pid_filter = flags >> 1 & 1;
	o->src = &f->src;
	if (!ct_rd_u32(&d->r, &n) || n > 4096)
		return ct_file_bad(d, "its table of maps is damaged");
	infos = arena_alloc(d->a, (n + 1) * sizeof(*infos));
	o->maps = arena_alloc(d->a, (n + 1) * sizeof(*o->maps));
	for (unsigned i = 0; i < n; i++) {
		if (!ct_file_get_map(d, i, &infos[i]))
			return ct_file_bad(d, "map %u of its table is damaged", i);
		layout_map(d->a, &infos[i], &o->maps[i]);
	}
	o->nmaps = n;
	if (!ct_rd_u32(&d->r, &n) || n > 4096)
		return ct_file_bad(d, "its table of printf formats is damaged");
	o->printfs = arena_alloc(d->a, (n + 1) * sizeof(*o->printfs));
	for (unsigned i = 0; i < n; i++) {
		o->printfs[i] = arena_alloc(d->a, sizeof(*o->printfs[i]));
		if (!ct_file_get_printf(d, i, o->printfs[i]))
			return ct_file_bad(d, "printf format %u of its table is damaged", i);
	}
	o->nprintfs = n;
	if (!ct_rd_u32(&d->r, &n) || n == 0 || n > CT_FILE_VARIANTS)
		return ct_file_bad(d, "its table of variants is damaged");
	for (unsigned i = 0; i < n; i++) {
		struct ct_file_variant *v = &f->vars[i];

		if (!ct_rd_progs(&d->r, d->a, &v->progs, &v->nprogs))
			return ct_file_bad(d, "its table of programs is damaged");
		if (!ct_file_get_fix(d, &v->fix))
			return ct_file_bad(d, "its table of kernel facts is damaged");
		if (!ct_rd_get(&d->r, &elf_size, sizeof(elf_size)) || elf_size > (size_t)(d->r.end - d->r.p) ||
		    elf_size < 64 || memcmp(d->r.p, "\177ELF", 4) || !(v->elf = malloc(elf_size)))
			return ct_file_bad(d, "its BPF object is cut or damaged");
		memcpy(v->elf, d->r.p, elf_size);
		v->elf_size = elf_size;
		d->r.p += elf_size;
		f->nvars++;
	}
	if (d->r.p != d->r.end)
		return ct_file_bad(d, "it is damaged (bytes after its last object)");
	ct_file_use(f, 0);
	return true;
}

void ct_file_use(struct ct_file *f, unsigned i)
{
	f->obj.progs = f->vars[i].progs;
	f->obj.nprogs = f->vars[i].nprogs;
	f->obj.elf = f->vars[i].elf;
	f->obj.elf_size = f->vars[i].elf_size;
	f->obj.fix = f->vars[i].fix;
}

int ct_file_read(const char *buf, size_t len, struct ct_file *f, char *why, size_t whylen)
{
	struct ct_file_rd d = {.a = &f->arena, .why = why, .whylen = whylen};
	uint64_t want[2] = CT_HASH_INIT, got[2];
	const char *p = buf, *end = buf + len, *nl;
	char *num_end;
	long format;

	memset(f, 0, sizeof(*f));
	arena_init(&f->arena);
	if (len >= 2 && p[0] == '#' && p[1] == '!' && (nl = memchr(p, '\n', len)))
		p = nl + 1;
	if (!ct_file_is(p, (size_t)(end - p)))
		return ct_file_bad(&d, "it is not a compiled nfsq program"), -1;
	format = strtol(p + strlen(CT_FILE_MAGIC), &num_end, 10);
	if (num_end >= end || *num_end != '\n')
		return ct_file_bad(&d, "its header is damaged"), -1;
	if (format != CT_FILE_FORMAT)
		return ct_file_bad(&d, "it is in format %ld, and this nfsq reads format %d: compile "
				       "the script again with this nfsq (nfsq --compile)",
				   format, CT_FILE_FORMAT),
		       -1;
	p = num_end + 1;
	if (end - p < (ptrdiff_t)sizeof(got))
		return ct_file_bad(&d, "it is cut short"), -1;
	end -= sizeof(got);
	memcpy(got, end, sizeof(got));
	ct_hash(p, (size_t)(end - p), want);
	if (memcmp(got, want, sizeof(got)))
		return ct_file_bad(&d, "it is cut or damaged (its checksum does not match)"), -1;
	d.r = (struct ct_rd){p, end};
	return ct_file_get_body(&d, f) ? 0 : -1;
}

void ct_file_free(struct ct_file *f)
{
	for (unsigned i = 0; i < f->nvars; i++)
		free(f->vars[i].elf);
	f->obj.elf = NULL; /* a variant's */
	ct_object_free(&f->obj);
	src_free(&f->src);
	arena_free(&f->arena);
}
