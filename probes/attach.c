/* attach.c - the kinds of attach point, one row each: how codegen reads the context,
 * which ELF section the program goes in, how availability is checked, how the runtime
 * attaches it, and what a failure to attach means. */
#include "probe.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#define ENOTSUPP 524 /* the kernel's own "not supported" (no BPF trampoline) */

int probe_links_add(struct probe_links *l, struct bpf_link *link)
{
	if (!link)
		return -1;
	if (l->n == l->cap) {
		unsigned cap = l->cap ? 2 * l->cap : 16;
		struct bpf_link **v = realloc(l->v, cap * sizeof(*v));

		if (!v) {
			bpf_link__destroy(link);
			errno = ENOMEM;
			return -1;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = link;
	return 0;
}

void probe_links_free(struct probe_links *l)
{
	for (unsigned i = 0; i < l->n; i++)
		bpf_link__destroy(l->v[i]);
	free(l->v);
	*l = (struct probe_links){0};
}

/* "category:event" */
static int attach_tracepoint(struct bpf_program *bp, const char *target, struct probe_links *out)
{
	const char *colon = strchr(target, ':');
	char cat[256];

	if (!colon || (size_t)(colon - target) >= sizeof(cat)) {
		errno = EINVAL;
		return -1;
	}
	snprintf(cat, sizeof(cat), "%.*s", (int)(colon - target), target);
	return probe_links_add(out, bpf_program__attach_tracepoint(bp, cat, colon + 1));
}

static int attach_kprobe(struct bpf_program *bp, const char *target, struct probe_links *out)
{
	return probe_links_add(out, bpf_program__attach_kprobe(bp, false, target));
}

static int attach_kretprobe(struct bpf_program *bp, const char *target, struct probe_links *out)
{
	return probe_links_add(out, bpf_program__attach_kprobe(bp, true, target));
}

static int attach_raw_tracepoint(struct bpf_program *bp, const char *target, struct probe_links *out)
{
	return probe_links_add(out, bpf_program__attach_raw_tracepoint(bp, target));
}

/* fentry/fexit: the target was found in the kernel's BTF when the program was loaded */
static int attach_trace(struct bpf_program *bp, const char *target, struct probe_links *out)
{
	(void)target;
	return probe_links_add(out, bpf_program__attach_trace(bp));
}

/* profile "UNIT:N": the program on a cpu-clock perf event of every online CPU, sampling
 * N times a second (hz) or every N s, ms or us, as bpftrace's profile probe */
static int attach_profile(struct bpf_program *bp, const char *target, struct probe_links *out)
{
	struct perf_event_attr attr = {.size = sizeof(attr), .type = PERF_TYPE_SOFTWARE,
				       .config = PERF_COUNT_SW_CPU_CLOCK};
	int ncpus = libbpf_num_possible_cpus(), attached = 0;
	unsigned long long n;
	char unit[4];

	if (sscanf(target, "%3[a-z]:%llu", unit, &n) != 2 || !n || ncpus <= 0) {
		errno = EINVAL;
		return -1;
	}
	if (strcmp(unit, "hz") == 0) {
		attr.freq = 1;
		attr.sample_freq = n;
	} else {
		attr.sample_period = n * (strcmp(unit, "s") == 0 ? 1000000000ull : strcmp(unit, "ms") == 0 ? 1000000ull : 1000ull);
	}
	for (int cpu = 0; cpu < ncpus; cpu++) {
		int fd = (int)syscall(__NR_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);

		if (fd < 0 && errno == ENODEV)
			continue; /* (an offline CPU) */
		if (fd < 0)
			return -1;
		if (probe_links_add(out, bpf_program__attach_perf_event(bp, fd))) {
			int e = errno;

			close(fd);
			errno = e;
			return -1;
		}
		attached++;
	}
	if (!attached)
		errno = ENODEV;
	return attached ? 0 : -1;
}

/* ---- fentry/fexit targets, found by index ----
 * libbpf 1.1 finds a program's attach target by scanning all of vmlinux's BTF, then all
 * of each loaded module's (its split BTF from type 1, vmlinux's types again), once per
 * program. Our own handlers for the "fentry/" and "fexit/" sections (libbpf tries
 * custom handlers first) give the kernel the id from probes/kbtf.c's index instead, and
 * the fd of the module's BTF object, found once by name among the kernel's BTF objects. */
static int attach_btf_fd(const char *module, bool *denied)
{
	static struct {
		const char *name;
		int fd;
	} found[8];
	static unsigned nfound;
	__u32 id = 0;
	int ret = -1;

	for (unsigned i = 0; i < nfound; i++)
		if (!strcmp(found[i].name, module))
			return found[i].fd;
	while (ret < 0 && !bpf_btf_get_next_id(id, &id)) {
		struct bpf_btf_info info;
		__u32 len = sizeof(info);
		char name[64] = "";
		int fd = bpf_btf_get_fd_by_id(id);

		if (fd < 0)
			continue; /* (unloaded meanwhile) */
		memset(&info, 0, sizeof(info));
		info.name = (__u64)(uintptr_t)name;
		info.name_len = sizeof(name);
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) && info.kernel_btf && !strcmp(name, module))
			ret = fd;
		else
			close(fd);
	}
	*denied = ret < 0 && (errno == EPERM || errno == EACCES); /* listing them needs CAP_SYS_ADMIN */
	if (ret >= 0 && nfound < sizeof(found) / sizeof(found[0])) /* kept open: the NFS modules */
		found[nfound].name = module, found[nfound++].fd = ret;
	return ret;
}

static bool attach_btf_denied; /* a module's BTF could not be found for want of CAP_SYS_ADMIN */

bool probe_btf_denied(void)
{
	return attach_btf_denied;
}

/* set by probe_load_hook: told of each program as libbpf is about to load it */
static void (*attach_hook)(struct bpf_program *bp, void *arg);
static void *attach_hook_arg;

void probe_load_hook(void (*hook)(struct bpf_program *bp, void *arg), void *arg)
{
	attach_hook = hook;
	attach_hook_arg = arg;
}

static int attach_prepare(struct bpf_program *bp, struct bpf_prog_load_opts *opts, long cookie)
{
	(void)opts;
	(void)cookie;
	if (attach_hook)
		attach_hook(bp, attach_hook_arg);
	return 0;
}

static struct {
	const char *from, *to;
} attach_moved[64];
static unsigned attach_nmoved;

int probe_retarget(const char *from, const char *to)
{
	if (attach_nmoved == sizeof(attach_moved) / sizeof(attach_moved[0]))
		return -1;
	attach_moved[attach_nmoved].from = from;
	attach_moved[attach_nmoved++].to = to;
	return 0;
}

static int attach_btf_prepare(struct bpf_program *bp, struct bpf_prog_load_opts *opts, long cookie)
{
	const char *fn = strchr(bpf_program__section_name(bp), '/'), *module = NULL;
	int id, fd = 0;
	bool denied = false;

	attach_prepare(bp, opts, cookie);
	fn = fn ? fn + 1 : NULL; /* the function's name */
	for (unsigned i = 0; fn && i < attach_nmoved; i++)
		if (strcmp(fn, attach_moved[i].from) == 0) {
			fn = attach_moved[i].to;
			break;
		}
	if (!fn || !probe_btf_func_id(fn, &module, &id) || (module && (fd = attach_btf_fd(module, &denied)) < 0)) {
		attach_btf_denied |= denied;
		if (denied)
			fprintf(stderr, "nfsq: cannot find module %s's BTF for %s: the kernel lists its BTF objects "
					"only to CAP_SYS_ADMIN (run as root, or add CAP_SYS_ADMIN)\n", module, fn);
		else
			fprintf(stderr, "nfsq: kernel function %s has no BTF id here%s%s%s\n", fn ? fn : "?",
				module ? " (no BTF object of module " : "", module ? module : "", module ? " loaded)" : "");
		return denied ? -EPERM : -ESRCH;
	}
	opts->attach_btf_id = (__u32)id;
	opts->attach_btf_obj_fd = (__u32)fd;
	/* a TRACING program from here on (see probe_load_handlers) */
	return bpf_program__set_type(bp, BPF_PROG_TYPE_TRACING);
}

void probe_load_handlers(void)
{
	/* every section nfsq writes (libbpf tries custom handlers before its own, whose
	 * preparation does nothing for these types) */
	static const struct {
		const char *section;
		enum bpf_prog_type type;
		enum bpf_attach_type attach;
		bool btf;
	} secs[] = {
		{"tracepoint/", BPF_PROG_TYPE_TRACEPOINT, 0, false},
		{"kprobe/", BPF_PROG_TYPE_KPROBE, 0, false},
		{"kretprobe/", BPF_PROG_TYPE_KPROBE, 0, false},
		{"raw_tp/", BPF_PROG_TYPE_RAW_TRACEPOINT, 0, false},
		{"perf_event/", BPF_PROG_TYPE_PERF_EVENT, 0, false},
		/* Opened as kprobe programs, they become TRACING as each is loaded
		 * (attach_btf_prepare: libbpf reads the type after that callback and allows
		 * changing it until the whole object is loaded). An object with a TRACING program
		 * makes libbpf 1.1 load and parse vmlinux's whole BTF before loading anything
		 * (obj_needs_vmlinux_btf), only to find attach targets, which nfsq gives it here:
		 * 5 MB read and parsed per start. In the TCG lab (6.1, A/B interleaved, 5 runs
		 * each) nfsdist.nfsq's cached load phase went from a median of 418 to 310 ms. */
		{"fentry/", BPF_PROG_TYPE_KPROBE, BPF_TRACE_FENTRY, true},
		{"fexit/", BPF_PROG_TYPE_KPROBE, BPF_TRACE_FEXIT, true},
	};
	static bool done;

	if (done)
		return;
	done = true;
	for (size_t i = 0; i < sizeof(secs) / sizeof(secs[0]); i++) {
		LIBBPF_OPTS(libbpf_prog_handler_opts, o,
			    .prog_prepare_load_fn = secs[i].btf ? attach_btf_prepare : attach_prepare);

		libbpf_register_prog_handler(secs[i].section, secs[i].type, secs[i].attach, &o);
	}
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
	[ATTACH_PROFILE] = {
		.name = "profile",
		.section = "perf_event/",
		.available = avail_profile,
		.attach = attach_profile,
		.missing = {ENOENT, ENODEV, EOPNOTSUPP},
		.missing_hint = "no cpu-clock perf events for profile:%s on this kernel (CONFIG_PERF_EVENTS)",
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
		[ATTACH_PROFILE] = "profile",
	};

	return names[k];
}
