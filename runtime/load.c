/* load.c - the compiled object into the kernel: opened by libbpf, its programs indexed
 * and checked, then loaded; a program the kernel refuses is explained. nfsq's section
 * handlers (probes/attach.c) say which program libbpf is loading, so that a failure names
 * that one: libbpf's clean-up after a failure closes every program's fd, so the first
 * program without one was always the first of the object.
 *
 * (Tried on 2026-11-30 and dropped: loading on a thread of its own while the driver
 * attached each program as soon as it was in. In the 6.1 lab, interleaved in one boot,
 * nfshealth.nfsq's cached start got no faster: its loading took 0.55 s beside the
 * attaching instead of 0.36 s alone, the code patching of each attach stopping every vCPU
 * under TCG; nor did a 60-tracepoint script on the host, 63 ms against 58.) */
#include "rt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "../probes/probe.h"

#define RT_LOG_SIZE (256 * 1024)

static int rt_name_cmp(const void *x, const void *y)
{
	return strcmp(((const struct ct_prog *const *)x)[0]->name, ((const struct ct_prog *const *)y)[0]->name);
}

/* r->bprogs[i]: libbpf's program for r->obj->progs[i], found by name in O(n log n) (one
 * bpf_object__find_program_by_name each would be O(n^2): 10k clauses, 50M compares). */
static int rt_index_programs(struct rt *r)
{
	unsigned n = r->obj->nprogs;
	const struct ct_prog **byname = calloc(n + 1, sizeof(*byname));
	struct bpf_program *bp;
	int ret = -1;

	r->bprogs = calloc(n + 1, sizeof(*r->bprogs));
	if (!byname || !r->bprogs)
		goto cleanup;
	for (unsigned i = 0; i < n; i++)
		byname[i] = &r->obj->progs[i];
	qsort(byname, n, sizeof(*byname), rt_name_cmp);
	bpf_object__for_each_program(bp, r->bobj)
	{
		struct ct_prog key, *kp = &key;
		const struct ct_prog **hit;

		snprintf(key.name, sizeof(key.name), "%s", bpf_program__name(bp));
		hit = bsearch(&kp, byname, n, sizeof(*byname), rt_name_cmp);
		if (hit)
			r->bprogs[*hit - r->obj->progs] = bp;
	}
	ret = 0;
cleanup:
	free(byname);
	return ret;
}

/* libbpf is about to load bp */
static void rt_load_hook(struct bpf_program *bp, void *arg)
{
	((struct rt *)arg)->loading = bp;
}

/* The program libbpf failed on explained (the verifier's reason at the script's
 * line:col), else the error. */
static void rt_load_report(struct rt *r, int err, const char *log)
{
	for (unsigned i = 0; r->loading && log[0] && i < r->obj->nprogs; i++) {
		if (r->bprogs[i] != r->loading)
			continue;
		if (r->o->verbose)
			fprintf(stderr, "%s", log);
		if (err == EPERM && !strstr(log, "R0")) /* no verifier trace */
			break;
		rt_report_verifier(r, &r->obj->progs[i], bpf_program__section_name(r->loading), log);
		return;
	}
	if (probe_btf_denied())
		return; /* said why where it happened (probes/attach.c) */
	for (unsigned i = 0; r->loading && geteuid() == 0 && err == EPERM && i < r->obj->nprogs; i++)
		if (r->bprogs[i] == r->loading &&
		    (r->obj->progs[i].attach == ATTACH_FENTRY || r->obj->progs[i].attach == ATTACH_FEXIT)) {
			/* root, and no verifier log: the kernel has no BPF trampoline */
			const struct ct_prog *p = &r->obj->progs[i];

			fprintf(stderr, "nfsq: cannot load %s: this kernel refuses fentry/fexit programs (no BPF trampoline here); ",
				ct_prog_label(p));
			if (p->probe && strncmp(p->probe, "fentry:", 7) && strncmp(p->probe, "fexit:", 6))
				fprintf(stderr, "run with --no-fentry to use kprobes\n");
			else
				fprintf(stderr, "kprobe:%s and kretprobe:%s work without\n", p->target, p->target);
			return;
		}
	if (err == EPERM || err == EACCES)
		fprintf(stderr, "nfsq: the kernel refused to load BPF programs: permission denied "
				"(run as root, or give nfsq CAP_BPF and CAP_PERFMON)\n");
	else
		fprintf(stderr, "nfsq: cannot load the BPF programs: %s (run with -v for libbpf's log)\n",
			strerror(err));
}

int rt_load(struct rt *r)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .object_name = "nfsq");
	struct bpf_program *bp;
	struct bpf_map *rb, *m;
	char *log;
	int ret = -1;

	/* one verifier log for all: libbpf loads the programs in turn and stops at the
	 * first that fails, whose log is the one left in it (at -v 0 only a failed load
	 * writes one: libbpf loads again with log level 1 to get it) */
	log = calloc(1, RT_LOG_SIZE);
	if (!log)
		return -1;
	probe_load_handlers(); /* (before opening: libbpf picks a program's handler then) */
	for (unsigned i = 0; i < r->obj->nprogs; i++) /* known: the kernel's BTF is not loaded */
		if (r->obj->progs[i].btf_id > 0)
			probe_btf_func_known(r->obj->progs[i].target, r->obj->progs[i].btf_module,
					     r->obj->progs[i].btf_id);
	r->bobj = bpf_object__open_mem(r->obj->elf, r->obj->elf_size, &oo);
	if (!r->bobj) {
		fprintf(stderr, "nfsq: cannot open the generated BPF object: %s (an nfsq bug)\n",
			strerror(errno));
		goto cleanup;
	}
	if (rt_index_programs(r))
		goto cleanup;
	bpf_object__for_each_program(bp, r->bobj)
	{
		char why[160];

		if (ct_check_calls(bpf_program__insns(bp), bpf_program__insn_cnt(bp), why, sizeof(why))) {
			fprintf(stderr, "nfsq: refusing to load program %s: %s (an nfsq bug)\n",
				bpf_program__name(bp), why);
			goto cleanup;
		}
		bpf_program__set_log_buf(bp, log, RT_LOG_SIZE);
		if (r->o->verbose >= 2)
			bpf_program__set_log_level(bp, 1);
	}
	/* a compiled file run with another --map-size: its hash maps (the script's, the start
	 * records, the stacks) take the run's size; arrays keep theirs (contract/layout.h) */
	bpf_object__for_each_map(m, r->bobj)
	{
		enum bpf_map_type t = bpf_map__type(m);

		if ((t == BPF_MAP_TYPE_HASH || t == BPF_MAP_TYPE_PERCPU_HASH || t == BPF_MAP_TYPE_LRU_HASH) &&
		    bpf_map__max_entries(m) != r->obj->map_size &&
		    bpf_map__set_max_entries(m, r->obj->map_size)) {
			fprintf(stderr, "nfsq: cannot size map %s: %s\n", bpf_map__name(m), strerror(errno));
			goto cleanup;
		}
	}
	rb = bpf_object__find_map_by_name(r->bobj, CT_RINGBUF_NAME);
	if (rb && r->o->ringbuf_size && bpf_map__set_max_entries(rb, r->o->ringbuf_size)) {
		fprintf(stderr, "nfsq: cannot size the event ring buffer: %s\n", strerror(errno));
		goto cleanup;
	}
	probe_load_hook(rt_load_hook, r);
	if (bpf_object__load(r->bobj)) {
		rt_load_report(r, errno, log);
		goto cleanup;
	}
	ret = 0;
cleanup:
	probe_load_hook(NULL, NULL);
	free(log);
	return ret;
}
