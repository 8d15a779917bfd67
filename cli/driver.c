/* driver.c - compile a checked script with the options of the run, then dump the
 * result or hand it to the runtime. */
#include "driver.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../base/exitcode.h"
#include "../codegen/codegen.h"
#include "../contract/file.h"
#include "../lang/compile.h"
#include "../probes/ksyms.h"
#include "opts.h"
#include "runfile.h"

/* Knobs for tests and measurements (not user options): NFSQ_OPT (0, 1, 2: the LLVM
 * pipeline), NFSQ_MAP_SIZE (entries per map, until the CLI has --map-size),
 * and NFSQ_TEST_REJECT_LINE (emit code the verifier rejects at that script line). */
static void driver_env_options(struct cg_options *co)
{
	const char *v;

	if ((v = getenv("NFSQ_OPT")))
		co->opt_level = atoi(v);
	if ((v = getenv("NFSQ_MAP_SIZE")))
		co->map_size = (uint32_t)strtoul(v, NULL, 0);
	if ((v = getenv("NFSQ_TEST_REJECT_LINE")))
		co->test_reject_line = (uint32_t)strtoul(v, NULL, 0);

}

/* Where compiled objects are cached: $NFSQ_CACHE_DIR, else /var/cache/nfsq for root,
 * else $XDG_CACHE_HOME/nfsq or ~/.cache/nfsq; NFSQ_NO_CACHE=1 turns it off. */
static const char *driver_cache_dir(void)
{
	static char buf[4096];
	const char *v;

	if (getenv("NFSQ_NO_CACHE"))
		return NULL;
	if ((v = getenv("NFSQ_CACHE_DIR")))
		return v;
	if (geteuid() == 0)
		return "/var/cache/nfsq";
	if ((v = getenv("XDG_CACHE_HOME")) && *v)
		snprintf(buf, sizeof(buf), "%s/nfsq", v);
	else if ((v = getenv("HOME")) && *v)
		snprintf(buf, sizeof(buf), "%s/.cache/nfsq", v);
	else
		return NULL;
	return buf;
}

static double driver_ms(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1e3 + (t.tv_nsec - t0->tv_nsec) / 1e6;
}

int driver_run(struct compilation *c, enum dump_kind dump, const struct run_options *o)
{
	struct cg_options co = {.opt_level = 1, .map_size = o->map_size, .want_ir = dump == DUMP_IR};
	struct ct_object obj;
	struct cg_info info;
	struct timespec t0;
	int ret = NFSQ_EXIT_RUNTIME;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	driver_env_options(&co);
	if (dump == DUMP_NONE) {
		co.filter_pid = o->pid > 0;
		co.cache_dir = driver_cache_dir();
	}
	if (cg_compile(c, &co, &obj, &info)) {
		/* only probes this kernel lacks: not the script's fault (and -d cannot
		 * show what was not compiled) */
		if (dump == DUMP_NONE && (!info.unavailable || (int)info.unavailable != c->diag.nerrors))
			ret = NFSQ_EXIT_SCRIPT;
		goto cleanup;
	}
	if (dump == DUMP_IR) {
		fputs(obj.ir, o->out);
	} else if (dump == DUMP_BPF) {
		if (cg_disasm(obj.elf, obj.elf_size, o->out))
			goto cleanup;
	} else {
		if (o->verbose && info.cached)
			fprintf(stderr, "nfsq: object %zu bytes from the cache in %.2f ms\n",
				obj.elf_size, info.ms_ir);
		else if (o->verbose)
			fprintf(stderr, "nfsq: IR %.2f ms, passes %.2f ms, BPF %.2f ms, object %zu bytes\n",
				info.ms_ir, info.ms_opt, info.ms_emit, obj.elf_size);
		if (o->verbose)
			fprintf(stderr, "nfsq: %.2f ms: compiled\n", driver_ms(&t0));
		ret = run_object(&obj, o);
		goto cleanup;
	}
	ret = NFSQ_EXIT_OK;
cleanup:
	ct_object_free(&obj);
	return ret;
}

/* A compiled file has a #! line: executable where it is readable (a regular file). */
static int fchmod_regular(int fd)
{
	struct stat st;

	if (fstat(fd, &st))
		return -1;
	return S_ISREG(st.st_mode) ? fchmod(fd, (st.st_mode & 0777) | (st.st_mode & 0444) >> 2) : 0;
}

/* The script of c compiled again (into c2, obj) as a compiled file's variant without
 * fentry (kprobes), for --no-fentry and for kernels where fentry cannot attach to the NFS
 * modules; with old, resolved as a kernel before 5.11 would (no module BTF: declared
 * prototypes, classic tracepoints), for such kernels (5.10), where a probe may attach to
 * other events. Its messages to quiet. 0, or -1 when it cannot be (the file has no such
 * variant: the script needs what such a kernel lacks). */
static int driver_variant_kprobes(const struct compilation *c, const struct cg_options *co, bool old,
				  struct compilation *c2, FILE *quiet, struct ct_object *obj)
{
	struct cg_info info;
	bool fentry = probe_fentry;
	int ret = -1;

	if (compile_init(c2, c->src.name, c->src.text, c->src.len, c->argc, c->argv, quiet))
		return -1;
	c2->have_cpid = c->have_cpid;
	probe_fentry = false;
	probe_old_kernel = old;
	if (compile_parse(c2) == 0 && compile_check(c2) == 0 && cg_compile(c2, co, obj, &info) == 0 &&
	    obj->fix.portable)
		ret = 0;
	probe_fentry = fentry;
	probe_old_kernel = false;
	obj->fix.no_fentry = true;
	return ret;
}

int driver_compile(struct compilation *c, const char *path, const char *version, const struct run_options *o)
{
	struct cg_options co = {.opt_level = 1, .map_size = o->map_size, .filter_pid = true, .portable = true};
	struct ct_file_info fi = {.nfsq_version = version, .uses_cpid = c->prog->uses_cpid, .pid_filter = true};
	struct ct_object objs_v[3] = {{0}}, *obj0 = &objs_v[0];
	const struct ct_object *objs[3] = {&objs_v[0]};
	unsigned nobjs = 1;
	struct compilation c2[2];
	unsigned nc2 = 0;
	bool kprobes, old;
	struct cg_info info;
	FILE *out = NULL, *quiet = NULL;
	int ret = NFSQ_EXIT_SCRIPT;

	driver_env_options(&co);
	/* (no object cache: a cached object would not say which kernel addresses it holds) */
	if (cg_compile(c, &co, obj0, &info)) {
		if (info.unavailable && (int)info.unavailable == c->diag.nerrors)
			ret = NFSQ_EXIT_RUNTIME; /* only probes this kernel lacks */
		goto cleanup;
	}
	obj0->fix.no_fentry = !probe_fentry;
	/* the variants for other kernels: kprobes where fentry was used, then, made on a kernel
	 * with module BTF, as on one without it */
	kprobes = probe_fentry && runfile_uses_fentry(obj0->progs, obj0->nprogs);
	old = probe_have_module_btf();
	if (obj0->fix.portable && (kprobes || old) && (quiet = fopen("/dev/null", "we")))
		for (int k = kprobes ? 0 : 1; k <= (old ? 1 : 0); k++)
			if (driver_variant_kprobes(c, &co, k, &c2[nc2++], quiet, &objs_v[1 + k]) == 0)
				objs[nobjs++] = &objs_v[1 + k];
	for (unsigned k = 0; k < nobjs; k++) { /* a BTF id holds for one boot: found at load */
		for (unsigned i = 0; i < objs[k]->nprogs; i++)
			objs[k]->progs[i].btf_id = 0;
		/* tests only: the code without the kernel's values, which the load must patch in */
		for (unsigned i = 0; getenv("NFSQ_TEST_UNPATCHED") && i < objs[k]->fix.npatches; i++)
			ct_fix_set(objs[k]->elf, objs[k]->elf_size, objs[k]->fix.patches[i].section,
				   objs[k]->fix.patches[i].insn, 0);
	}
	runfile_kernel(&fi.kernel_release, &fi.kernel_build);
	fi.boot = runfile_boot_id();
	/* kaddr()'s addresses (and those of a file for this kernel build only) hold for this boot */
	if (!obj0->fix.portable || c->prog->uses_kaddr)
		fi.boot_symbol = ksyms_address_used;
	if (fi.boot_symbol && !(fi.boot_id = runfile_boot_id())) {
		fprintf(stderr, "nfsq: the program holds the address of kernel symbol %s, good for this "
				"boot only, and this boot's id cannot be read (/proc/sys/kernel/random/boot_id)\n",
			fi.boot_symbol);
		ret = NFSQ_EXIT_RUNTIME;
		goto cleanup;
	}
	ret = NFSQ_EXIT_USAGE;
	if (!(out = opts_open_output(path)))
		goto cleanup;
	if (ct_file_write(out, objs, nobjs, &fi) || fflush(out) ||
	    fchmod_regular(fileno(out))) {
		fprintf(stderr, "nfsq: writing %s failed: %s\n", path, strerror(errno));
		goto cleanup;
	}
	if (o->verbose)
		fprintf(stderr, "nfsq: wrote %s: %u programs, object %zu bytes, %s, %u variant%s\n", path, obj0->nprogs,
			obj0->elf_size, obj0->fix.portable ? "kernel facts patched at load" : "for this kernel build only",
			nobjs, nobjs > 1 ? "s" : "");
	ret = NFSQ_EXIT_OK;
cleanup:
	if (out && fclose(out) && ret == NFSQ_EXIT_OK) {
		fprintf(stderr, "nfsq: writing %s failed: %s\n", path, strerror(errno));
		ret = NFSQ_EXIT_USAGE;
	}
	for (unsigned k = 0; k < 3; k++)
		ct_object_free(&objs_v[k]);
	while (nc2)
		compile_free(&c2[--nc2]);
	if (quiet)
		fclose(quiet);
	return ret;
}
