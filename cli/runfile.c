/* runfile.c - running a compiled file (runfile.h). */
#include "runfile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "../base/exitcode.h"
#include "../contract/file.h"
#include "../contract/layout.h"
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

/* What the file's programs ask of this nfsq: every kind of attach point known, fentry
 * only where it is allowed. 0, or -1 with a message. */
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
		if (!probe_fentry && (p->attach == ATTACH_FENTRY || p->attach == ATTACH_FEXIT)) {
			fprintf(stderr, "nfsq: %s: --no-fentry, but %s attaches to %s with %s: compile it with "
					"nfsq --compile --no-fentry\n",
				path, ct_prog_label(p), p->target, p->attach == ATTACH_FENTRY ? "fentry" : "fexit");
			return -1;
		}
	}
	return 0;
}

/* Whether the file runs on this kernel and boot: 0, or -1 with why on out. Field offsets,
 * tracepoint records and attach points are the compiling kernel's; kernel addresses the
 * compiling boot's. */
static int runfile_here(const char *path, const struct ct_file_info *fi, FILE *out)
{
	const char *release, *build;

	runfile_kernel(&release, &build);
	if (strcmp(release, fi->kernel_release) || strcmp(build, fi->kernel_build)) {
		fprintf(out,
			"nfsq: %s was compiled for Linux %s (%s), and this is Linux %s (%s): a compiled "
			"program runs only on the kernel build it was compiled on (its field offsets and "
			"attach points are that kernel's); compile the script here with nfsq --compile\n",
			path, fi->kernel_release, fi->kernel_build, release, build);
		return -1;
	}
	if (fi->boot_id && (!runfile_boot_id() || strcmp(fi->boot_id, runfile_boot_id()))) {
		fprintf(out,
			"nfsq: %s holds the address of kernel symbol %s (for kaddr(), or the mount field of "
			"rpc.* probes), which the kernel moves at every boot, and it was compiled in another "
			"boot: compile it again (nfsq --compile)\n",
			path, fi->boot_symbol);
		return -1;
	}
	return 0;
}

int runfile_info(const char *path, const char *buf, size_t len, FILE *out)
{
	struct ct_file f;
	char why[256];
	int ret = NFSQ_EXIT_USAGE;

	if (ct_file_read(buf, len, &f, why, sizeof(why))) {
		fprintf(stderr, "nfsq: cannot read %s: %s\n", path, why);
		goto cleanup;
	}
	fprintf(out, "%s: a program compiled by nfsq %s (file format %d)\n", path,
		f.info.nfsq_version ? f.info.nfsq_version : "?", CT_FILE_FORMAT);
	fprintf(out, "kernel: Linux %s (%s)%s%s%s\n", f.info.kernel_release, f.info.kernel_build,
		f.info.boot_id ? ", the boot " : "", f.info.boot_id ? f.info.boot_id : "",
		f.info.boot_id ? " only (it holds a kernel address)" : "");
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
	if (runfile_here(path, &f.info, out)) {
		ret = NFSQ_EXIT_RUNTIME;
		goto cleanup;
	}
	fprintf(out, "runs here: yes (this kernel build%s)\n", f.info.boot_id ? " and boot" : "");
	ret = NFSQ_EXIT_OK;
cleanup:
	ct_file_free(&f);
	return ret;
}

int runfile_run(const char *path, const char *buf, size_t len, int argc, const struct run_options *o)
{
	struct ct_file f;
	char why[256];
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
	if (runfile_check_progs(path, &f.obj))
		goto cleanup;
	if (runfile_here(path, &f.info, stderr)) {
		ret = NFSQ_EXIT_RUNTIME;
		goto cleanup;
	}
	if (o->map_size)
		f.obj.map_size = o->map_size;
	ret = run_object(&f.obj, o);
cleanup:
	ct_file_free(&f);
	return ret;
}
