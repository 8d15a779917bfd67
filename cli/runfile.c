/* runfile.c - running a compiled file (runfile.h). */
#include "runfile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "../base/exitcode.h"
#include "../contract/file.h"
#include "../contract/layout.h"
#include "../probes/facts.h"
#include "../probes/probe.h"

void runfile_kernel(const char **release, const char **build)
{
	static struct utsname u;
	const char *v = getenv("NFSQ_TEST_KERNEL_BUILD"); /* tests only: another kernel's build */

	if (!u.release[0] && uname(&u))
		strcpy(u.release, "unknown");
	*release = u.release;
	*build = v ? v : u.version;
}

const char *runfile_boot_id(void)
{
	static char id[64];
	const char *v = getenv("NFSQ_TEST_BOOT_ID"); /* tests only: another boot */
	FILE *f;

	if (v)
		return v;
	if (!id[0] && (f = fopen("/proc/sys/kernel/random/boot_id", "re"))) {
		if (!fgets(id, sizeof(id), f))
			id[0] = 0;
		id[strcspn(id, "\n")] = 0;
		fclose(f);
	}
	return id[0] ? id : NULL;
}

/* What the file's programs ask of this nfsq: every kind of attach point known. 0, or -1
 * with a message. */
static int runfile_check_progs(const char *path, const struct ct_object *obj)
{
	for (unsigned i = 0; i < obj->nprogs; i++) {
		const struct ct_prog *p = &obj->progs[i];

		if (p->kind != CT_PROG_ATTACH)
			continue;
		if (p->attach > ATTACH_PROFILE || !p->target) {
			fprintf(stderr, "nfsq: %s: program %s has an attach point this nfsq does not know: "
					"compile the script again with this nfsq\n",
				path, p->name);
			return -1;
		}
	}
	return 0;
}

bool runfile_uses_fentry(const struct ct_prog *progs, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (progs[i].kind == CT_PROG_ATTACH &&
		    (progs[i].attach == ATTACH_FENTRY || progs[i].attach == ATTACH_FEXIT))
			return true;
	return false;
}

/* Whether a file for one kernel build runs on this kernel and boot: 0, or -1 with why. */
static int runfile_here(const struct ct_file_info *fi, char *why, size_t len)
{
	const char *release, *build;

	runfile_kernel(&release, &build);
	if (strcmp(release, fi->kernel_release) || strcmp(build, fi->kernel_build)) {
		snprintf(why, len,
			 "it was compiled for Linux %s (%s) only (it reads the kernel in ways nfsq cannot "
			 "find again on another: a raw probe's typed arguments or members), and this is Linux "
			 "%s (%s): compile the script here with nfsq --compile",
			 fi->kernel_release, fi->kernel_build, release, build);
		return -1;
	}
	return 0;
}

/* Whether d, resolved here as the k-th alternative of record r's probe, reads as r's did where
 * it was compiled (the k-th part of its shape): then it is taken before another that fits
 * (7.3 keeps nfsd.request's queue time in the transport; 6.1's stamp program works there too). */
static bool runfile_accept(void *ctx, unsigned k, const struct probe_def *d)
{
	const struct ct_fix_rec *r = ctx;
	struct probe_facts w = {0};
	const char *seg = r->shape;
	bool same = false;

	for (unsigned i = 0; seg && i <= k; i++)
		if ((seg = strchr(seg, '|')))
			seg++;
	if (seg) {
		size_t len = strcspn(seg, "|");

		probe_facts_builtin(&w, d, r->used, r->nused);
		same = !w.oom && w.shape && w.shape[0] == '|' && strlen(w.shape + 1) == len &&
		       !strncmp(w.shape + 1, seg, len);
	}
	probe_facts_free(&w);
	return same;
}

/* Resolves record r on this kernel into w: 0, or -1 with why. */
static int runfile_resolve(struct arena *a, const struct ct_fix_rec *r, struct probe_facts *w, char *why,
			   size_t len)
{
	const struct probe_def *p, *d;
	char err[600];
	int bad = -1;

	if (r->kind == CT_FIX_TRACEPOINT) {
		if (!(d = probe_tracepoint(r->name, err, sizeof(err)))) {
			snprintf(why, len, "%s", err);
			return -1;
		}
		probe_facts_tracepoint(w, d, r->used, r->nused);
		return 0;
	}
	if (!(p = probe_lookup(r->name))) {
		snprintf(why, len, "it uses probe %s, which this nfsq does not have: compile the script again", r->name);
		return -1;
	}
	if (!(d = probe_resolve_as(a, p, r->used, r->nused, runfile_accept, (void *)r, &bad, err, sizeof(err)))) {
		const struct probe_field *f = bad >= 0 ? probe_field_find(p, r->used[bad]) : NULL;

		if (bad >= 0)
			snprintf(why, len, "field '%s' of %s cannot be read on this kernel (Linux %s): %s%s%s",
				 r->used[bad], r->name, probe_kernel_release(), err, f && f->instead ? "; instead: " : "",
				 f && f->instead ? f->instead : "");
		else
			snprintf(why, len, "probe %s cannot be used on this kernel (Linux %s): %s", r->name,
				 probe_kernel_release(), err);
		return -1;
	}
	probe_facts_builtin(w, d, r->used, r->nused);
	return 0;
}

/* The attach points of v's programs that are other events here (w: the records' walks
 * here): each program's target moved to its probe's event here (each from the target it
 * was compiled for: moves do not chain); fentry's BTF target too. 0, or -1 with why when
 * two probes that share an attach point there move it apart, or a raw probe's is moved. */
static int runfile_move(struct ct_file_variant *v, const struct probe_facts *w, char *why, size_t len)
{
	const char *from[64], *to[64];
	unsigned n = 0, m;

	for (unsigned i = 0; i < v->fix.nrecs; i++)
		for (unsigned k = 0; k < v->fix.recs[i].ntargets; k++) {
			for (m = 0; m < n && strcmp(from[m], v->fix.recs[i].targets[k]); m++)
				;
			if (m < n && strcmp(to[m], w[i].targets[k])) {
				snprintf(why, len, "its probes attach at %s where it was compiled, and here at %s and %s: "
						   "compile the script here", from[m], to[m], w[i].targets[k]);
				return -1;
			}
			if (m == n && n == sizeof(from) / sizeof(from[0])) {
				snprintf(why, len, "it has too many attach points to move: compile the script here");
				return -1;
			}
			if (m == n)
				from[n] = v->fix.recs[i].targets[k], to[n++] = w[i].targets[k];
		}
	for (unsigned p = 0; p < v->nprogs; p++) {
		if (v->progs[p].kind != CT_PROG_ATTACH)
			continue;
		for (m = 0; m < n && strcmp(from[m], v->progs[p].target); m++)
			;
		if (m == n || !strcmp(from[m], to[m]))
			continue;
		/* a raw probe's ("kprobe:nfs_create", maybe fused with others) stays where the
		 * script put it */
		if (!v->progs[p].probe || strchr(v->progs[p].probe, ':')) {
			snprintf(why, len, "%s attaches at %s, which is another event here: compile the script here",
				 ct_prog_label(&v->progs[p]), from[m]);
			return -1;
		}
		v->progs[p].target = to[m];
	}
	for (m = 0; m < n; m++)
		if (strcmp(from[m], to[m]) && probe_retarget(from[m], to[m])) {
			snprintf(why, len, "it has too many attach points to move: compile the script here");
			return -1;
		}
	return 0;
}

/* Whether variant v fits this kernel: each probe resolved here the way it was where the
 * file was compiled (the same kinds of attach points, reads and sizes), its offsets and
 * addresses patched into v's code, its programs moved to this kernel's events where they
 * are others (6.4's nfs_do_create for nfs_create). 0, or -1 with why. */
static int runfile_fit(const struct ct_file *f, struct ct_file_variant *v, char *why, size_t len)
{
	struct arena a;
	struct probe_facts *w = calloc(v->fix.nrecs ? v->fix.nrecs : 1, sizeof(*w));
	char name[200];
	bool fentry = probe_fentry;
	int ret = -1;

	arena_init(&a);
	if (!w) {
		snprintf(why, len, "out of memory");
		goto cleanup;
	}
	/* resolved again as it was when compiled (nfsq --no-fentry) */
	probe_fentry = fentry && !v->fix.no_fentry;
	/* every record first: a field that cannot be read here is the reason to give (nfsq's
	 * own), before any probe read otherwise */
	for (unsigned i = 0; i < v->fix.nrecs; i++) {
		if (runfile_resolve(&a, &v->fix.recs[i], &w[i], why, len))
			goto cleanup;
		if (w[i].oom) {
			snprintf(why, len, "out of memory");
			goto cleanup;
		}
	}
	for (unsigned i = 0; i < v->fix.nrecs; i++) {
		const struct ct_fix_rec *r = &v->fix.recs[i];

		if (w[i].ntargets != r->ntargets)
			snprintf(name, sizeof(name), "its attach points");
		if (w[i].ntargets != r->ntargets || probe_facts_diff(r->shape, w[i].shape, name, sizeof(name))) {
			snprintf(why, len,
				 "%s %s reads %s by other code on this kernel (Linux %s) than on Linux %s, where it "
				 "was compiled (another kind of event, recipe or size): compile the script here",
				 r->kind == CT_FIX_TRACEPOINT ? "tracepoint" : "probe", r->name, name,
				 probe_kernel_release(), f->info.kernel_release);
			if (getenv("NFSQ_DEBUG_FACTS"))
				fprintf(stderr, "compiled: %s\nhere:     %s\n", r->shape, w[i].shape);
			goto cleanup;
		}
	}
	if (runfile_move(v, w, why, len))
		goto cleanup;
	for (unsigned i = 0; i < v->fix.npatches; i++) {
		const struct ct_fix_patch *p = &v->fix.patches[i];

		if (p->slot >= w[p->rec].nslots ||
		    ct_fix_set(v->elf, v->elf_size, p->section, p->insn, (uint64_t)probe_fact_value(&w[p->rec].slots[p->slot]))) {
			snprintf(why, len, "it is damaged (a kernel fact's place in its code)");
			goto cleanup;
		}
	}
	ret = 0;
cleanup:
	probe_fentry = fentry;
	for (unsigned i = 0; w && i < v->fix.nrecs; i++)
		probe_facts_free(&w[i]);
	free(w);
	arena_free(&a);
	return ret;
}

/* Makes the first variant of f that runs here f's object: 0, or -1 with why: the first
 * variant's reason, or on a kernel without module BTF the last's (the kprobes one, made
 * for such kernels). A variant with fentry is not for --no-fentry. */
static int runfile_choose(struct ct_file *f, char *why, size_t len)
{
	const char *release, *build;
	char last[1024] = "";

	/* in the boot it was compiled in, the code holds this kernel's facts already */
	runfile_kernel(&release, &build);
	if (f->info.boot && runfile_boot_id() && !strcmp(f->info.boot, runfile_boot_id()) &&
	    !strcmp(release, f->info.kernel_release) && !strcmp(build, f->info.kernel_build) &&
	    (probe_fentry || !runfile_uses_fentry(f->vars[0].progs, f->vars[0].nprogs))) {
		ct_file_use(f, 0);
		return 0;
	}
	for (unsigned i = 0; i < f->nvars; i++) {
		struct ct_file_variant *v = &f->vars[i];
		char vwhy[1024];

		if (!probe_fentry && runfile_uses_fentry(v->progs, v->nprogs)) {
			snprintf(vwhy, sizeof(vwhy), "--no-fentry, and it was compiled with fentry only (the script needs it)");
		} else if (!(v->fix.portable ? runfile_fit(f, v, vwhy, sizeof(vwhy)) : runfile_here(&f->info, vwhy, sizeof(vwhy)))) {
			if (f->info.boot_id && (!runfile_boot_id() || strcmp(f->info.boot_id, runfile_boot_id()))) {
				snprintf(why, len,
					 "it holds the address of kernel symbol %s (kaddr()), which the kernel moves at every "
					 "boot, and it was compiled in another boot: compile it again (nfsq --compile)",
					 f->info.boot_symbol);
				return -1;
			}
			ct_file_use(f, i);
			return 0;
		}
		if (i == 0)
			snprintf(why, len, "%s", vwhy);
		snprintf(last, sizeof(last), "%s", vwhy);
	}
	if (!probe_have_module_btf()) /* (loads the kernel's BTF: only when refusing) */
		snprintf(why, len, "%s", last);
	return -1;
}

int runfile_info(const char *path, const char *buf, size_t len, FILE *out)
{
	struct ct_file f;
	char why[1024];
	int ret = NFSQ_EXIT_USAGE;

	if (ct_file_read(buf, len, &f, why, sizeof(why))) {
		fprintf(stderr, "nfsq: cannot read %s: %s\n", path, why);
		goto cleanup;
	}
	fprintf(out, "%s: a program compiled by nfsq %s (file format %d)\n", path,
		f.info.nfsq_version ? f.info.nfsq_version : "?", CT_FILE_FORMAT);
	fprintf(out, "compiled on: Linux %s (%s)%s%s%s\n", f.info.kernel_release, f.info.kernel_build,
		f.info.boot_id ? ", the boot " : "", f.info.boot_id ? f.info.boot_id : "",
		f.info.boot_id ? " (it holds a kernel address of that boot)" : "");
	fprintf(out, "kernels: %s\n", f.obj.fix.portable ? "any where its probes resolve as they did there (facts patched at load)"
						   : "that kernel build only");
	fprintf(out, "kernel facts: %u probes resolved at load, %u places patched in the code\n", f.obj.fix.nrecs,
		f.obj.fix.npatches);
	fprintf(out, "variants: %u (%s)\n", f.nvars, f.nvars > 1 ? "with fentry, and with kprobes for kernels without module BTF" : "one");
	fprintf(out, "script: %s (%u bytes)%s\n", f.src.name, f.src.len,
		f.info.uses_cpid ? ", reads cpid: run with -c CMD" : "");
	fprintf(out, "programs (%u):\n", f.obj.nprogs);
	for (unsigned i = 0; i < f.obj.nprogs; i++) {
		const struct ct_prog *p = &f.obj.progs[i];

		if (p->kind == CT_PROG_ATTACH && p->attach <= ATTACH_PROFILE)
			fprintf(out, "  %-16s %s:%s%s%s%s%s\n", p->name, attach_kind_name(p->attach), p->target,
				p->btf_module ? " (module " : "", p->btf_module ? p->btf_module : "",
				p->btf_module ? ")" : "", p->is_start ? ", start of a pair" : "");
		else
			fprintf(out, "  %-16s %s\n", p->name, p->kind == CT_PROG_BEGIN ? "BEGIN" : p->kind == CT_PROG_END ? "END"
							       : p->kind == CT_PROG_INTERVAL ? "interval" : "?");
		if (p->probe && p->builtin)
			fprintf(out, "  %-16s   for %s\n", "", p->probe);
	}
	fprintf(out, "maps (%u):", f.obj.nmaps);
	for (unsigned i = 0; i < f.obj.nmaps; i++)
		fprintf(out, " %s (%s)%s", f.obj.maps[i].info->name, agg_name(f.obj.maps[i].info->agg),
			i + 1 < f.obj.nmaps ? "," : "");
	fprintf(out, "\nprintf formats: %u\n", f.obj.nprintfs);
	fprintf(out, "object: %zu bytes of BPF ELF; default map size %u\n", f.obj.elf_size, f.obj.map_size);
	if (runfile_choose(&f, why, sizeof(why))) {
		fprintf(out, "runs here: no: %s\n", why);
		ret = NFSQ_EXIT_RUNTIME;
		goto cleanup;
	}
	fprintf(out, "runs here: yes (variant %u)\n", (unsigned)(f.obj.elf == f.vars[0].elf ? 1 : 2));
	ret = NFSQ_EXIT_OK;
cleanup:
	ct_file_free(&f);
	return ret;
}

int runfile_run(const char *path, const char *buf, size_t len, int argc, const struct run_options *o)
{
	struct ct_file f;
	char why[1024];
	int ret = NFSQ_EXIT_USAGE;

	if (ct_file_read(buf, len, &f, why, sizeof(why))) {
		fprintf(stderr, "nfsq: cannot run %s: %s\n", path, why);
		goto cleanup;
	}
	if (argc > 0) {
		fprintf(stderr, "nfsq: %s is compiled: its arguments ($1, $2, ...) were fixed when it was "
				"compiled; give them to nfsq --compile\n",
			path);
		goto cleanup;
	}
	if (f.info.uses_cpid && !o->cmd) {
		fprintf(stderr, "nfsq: %s reads 'cpid', the pid of the -c command: run it with -c CMD\n", path);
		goto cleanup;
	}
	if (o->pid && !f.info.pid_filter) {
		fprintf(stderr, "nfsq: %s was compiled without the -p filter (an nfsq bug)\n", path);
		goto cleanup;
	}
	if (runfile_choose(&f, why, sizeof(why))) {
		fprintf(stderr, "nfsq: %s does not run here: %s\n", path, why);
		ret = NFSQ_EXIT_RUNTIME;
		goto cleanup;
	}
	if (runfile_check_progs(path, &f.obj))
		goto cleanup;
	if (o->map_size)
		f.obj.map_size = o->map_size;
	ret = run_object(&f.obj, o);
cleanup:
	ct_file_free(&f);
	return ret;
}
