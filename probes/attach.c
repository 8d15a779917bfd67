/* attach.c - the kinds of attach point, one row each: how codegen reads the context,
 * which ELF section the program goes in, how availability is checked, how the runtime
 * attaches it, and what a failure to attach means. */
#include "probe.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#define ENOTSUPP 524 /* the kernel's own "not supported" (no BPF trampoline) */

/* "category:event" */
static struct bpf_link *attach_tracepoint(struct bpf_program *bp, const char *target)
{
	const char *colon = strchr(target, ':');
	char cat[256];

	if (!colon || (size_t)(colon - target) >= sizeof(cat)) {
		errno = EINVAL;
		return NULL;
	}
	snprintf(cat, sizeof(cat), "%.*s", (int)(colon - target), target);
	return bpf_program__attach_tracepoint(bp, cat, colon + 1);
}

static struct bpf_link *attach_kprobe(struct bpf_program *bp, const char *target)
{
	return bpf_program__attach_kprobe(bp, false, target);
}

static struct bpf_link *attach_kretprobe(struct bpf_program *bp, const char *target)
{
	return bpf_program__attach_kprobe(bp, true, target);
}

static struct bpf_link *attach_raw_tracepoint(struct bpf_program *bp, const char *target)
{
	return bpf_program__attach_raw_tracepoint(bp, target);
}

/* fentry/fexit: the target was found in the kernel's BTF when the program was loaded */
static struct bpf_link *attach_trace(struct bpf_program *bp, const char *target)
{
	(void)target;
	return bpf_program__attach_trace(bp);
}

#define NO_TRACEPOINT "tracepoint %s does not exist on this kernel (see /sys/kernel/tracing/events/)"
#define NO_KPROBE                                                                            \
	"no kprobe on %s (the kernel has no kprobes, or the function is not traceable: see " \
	"/sys/kernel/tracing/available_filter_functions)"
#define NO_TRAMPOLINE \
	"no fentry/fexit on %s (the kernel has no BPF trampoline here; try --no-fentry to use kprobes)"

static const struct attach_ops attach_table[] = {
	[ATTACH_TRACEPOINT] = {
		.name = "tracepoint",
		.section = "tracepoint/",
		.record = true,
		.available = avail_tracepoint,
		.attach = attach_tracepoint,
		.missing = {ENOENT, EINVAL},
		.missing_hint = NO_TRACEPOINT,
	},
	[ATTACH_KPROBE] = {
		.name = "kprobe",
		.section = "kprobe/",
		.args = ATTACH_ARGS_REGS,
		.available = avail_function,
		.attach = attach_kprobe,
		.missing = {ENOENT, EINVAL, EOPNOTSUPP},
		.missing_hint = NO_KPROBE,
	},
	[ATTACH_KRETPROBE] = {
		.name = "kretprobe",
		.section = "kretprobe/",
		.ret = ATTACH_RET_REG,
		.available = avail_function,
		.attach = attach_kretprobe,
		.missing = {ENOENT, EINVAL, EOPNOTSUPP},
		.missing_hint = NO_KPROBE,
	},
	[ATTACH_FENTRY] = {
		.name = "fentry",
		.section = "fentry/",
		.args = ATTACH_ARGS_ARRAY,
		.btf = true,
		.available = avail_btf_function,
		.attach = attach_trace,
		.missing = {ENOENT, EINVAL, EOPNOTSUPP, ENOTSUPP},
		.missing_hint = NO_TRAMPOLINE,
	},
	[ATTACH_FEXIT] = {
		.name = "fexit",
		.section = "fexit/",
		.args = ATTACH_ARGS_ARRAY,
		.btf = true,
		.ret = ATTACH_RET_AFTER_ARGS,
		.available = avail_btf_function,
		.attach = attach_trace,
		.missing = {ENOENT, EINVAL, EOPNOTSUPP, ENOTSUPP},
		.missing_hint = NO_TRAMPOLINE,
	},
	[ATTACH_RAW_TRACEPOINT] = {
		.name = "raw_tp",
		.section = "raw_tp/",
		.args = ATTACH_ARGS_ARRAY,
		.available = avail_raw_tracepoint,
		.attach = attach_raw_tracepoint,
		.missing = {ENOENT, EINVAL},
		.missing_hint = NO_TRACEPOINT,
	},
};

const struct attach_ops *attach_ops(enum attach_kind k)
{
	return &attach_table[k];
}

struct tp_ix {
	const char *target;
	unsigned i;
};

static int tp_ix_cmp(const void *a, const void *b)
{
	const struct tp_ix *x = a, *y = b;
	int c = strcmp(x->target, y->target);

	return c ? c : (x->i > y->i) - (x->i < y->i);
}

static int uint_cmp(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	return (x > y) - (x < y);
}

unsigned probe_tracepoint_excess(const char *const *targets, unsigned n, unsigned *over)
{
	struct tp_ix *v = n ? malloc(n * sizeof(*v)) : NULL;
	unsigned nover = 0, run = 0;

	if (!v)
		return 0;
	for (unsigned i = 0; i < n; i++)
		v[i].target = targets[i], v[i].i = i;
	qsort(v, n, sizeof(*v), tp_ix_cmp);
	for (unsigned i = 0; i < n; i++) {
		run = i && !strcmp(v[i].target, v[i - 1].target) ? run + 1 : 0;
		if (run == PROBE_TRACEPOINT_MAX_PROGS)
			over[nover++] = v[i].i;
	}
	free(v);
	qsort(over, nover, sizeof(*over), uint_cmp);
	return nover;
}

const char *attach_kind_name(enum attach_kind k)
{
	static const char *const names[] = {
		[ATTACH_TRACEPOINT] = "tracepoint", [ATTACH_KPROBE] = "kprobe", [ATTACH_KRETPROBE] = "kretprobe",
		[ATTACH_FENTRY] = "fentry",         [ATTACH_FEXIT] = "fexit",   [ATTACH_RAW_TRACEPOINT] = "raw_tracepoint",
	};

	return names[k];
}
