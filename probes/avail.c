/* avail.c - which attach points exist on the running kernel. */
#include "probe.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool avail_path(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

static bool avail_tracepoint(const char *tracefs, const char *target)
{
	char path[512];
	const char *colon = strchr(target, ':');
	if (!colon)
		return false;
	snprintf(path, sizeof(path), "%s/events/%.*s/%s", tracefs, (int)(colon - target), target,
		 colon + 1);
	return avail_path(path);
}

/* A kernel function can be kprobed when kprobes exist and it is traceable. */
static bool avail_function(const char *tracefs, const char *fn, char *why, size_t whylen)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/kprobe_events", tracefs);
	if (!avail_path(path)) {
		snprintf(why, whylen, "this kernel has no kprobes (no %s)", path);
		return false;
	}
	snprintf(path, sizeof(path), "%s/available_filter_functions", tracefs);
	FILE *f = fopen(path, "r");
	if (!f)
		return true; /* cannot tell; the attach will say */
	char line[256];
	size_t n = strlen(fn);
	bool found = false;
	while (!found && fgets(line, sizeof(line), f))
		found = strncmp(line, fn, n) == 0 && (line[n] == '\n' || line[n] == ' ');
	fclose(f);
	if (!found)
		snprintf(why, whylen, "kernel function %s is not traceable here", fn);
	return found;
}

static bool avail_one(const char *tracefs, enum attach_kind k, const char *target, char *why,
		      size_t whylen)
{
	switch (k) {
	case ATTACH_TRACEPOINT:
		if (avail_tracepoint(tracefs, target))
			return true;
		snprintf(why, whylen, "tracepoint %s does not exist", target);
		return false;
	case ATTACH_KPROBE:
	case ATTACH_KRETPROBE:
		return avail_function(tracefs, target, why, whylen);
	case ATTACH_RAW_TRACEPOINT: {
		char path[512], line[256];
		snprintf(path, sizeof(path), "%s/available_events", tracefs);
		FILE *f = fopen(path, "r");
		bool found = false;
		size_t n = strlen(target);
		while (f && !found && fgets(line, sizeof(line), f)) {
			char *colon = strchr(line, ':');
			found = colon && strncmp(colon + 1, target, n) == 0 && colon[1 + n] == '\n';
		}
		if (f)
			fclose(f);
		if (!found)
			snprintf(why, whylen, "tracepoint %s does not exist", target);
		return found;
	}
	case ATTACH_FENTRY:
	case ATTACH_FEXIT: {
		unsigned nargs;
		if (!probe_fentry) {
			snprintf(why, whylen, "fentry/fexit not used (--no-fentry)");
			return false;
		}
		if (!avail_function(tracefs, target, why, whylen))
			return false;
		if (!probe_btf_func(target, &nargs) || nargs > 6) { /* the x86 trampoline's limit before 6.6 */
			snprintf(why, whylen, "kernel function %s has no BTF prototype of at most 6 arguments", target);
			return false;
		}
		return true;
	}
	}
	return false;
}

int probe_available(const struct probe_def *p, char *why, size_t whylen)
{
	char err[256];
	const char *tracefs = probe_tracefs(err, sizeof(err));
	if (!tracefs) {
		snprintf(why, whylen, "%s", err);
		return -1;
	}
	if (p->module) {
		char path[128];
		snprintf(path, sizeof(path), "/sys/module/%s", p->module); /* loaded or built in */
		if (!avail_path(path)) {
			snprintf(why, whylen, "kernel module '%s' is not loaded (modprobe %s)", p->module,
				 p->module);
			return -1;
		}
	}
	why[0] = '\0';
	for (unsigned i = 0; i < p->nattach; i++) {
		const struct probe_attach *a = &p->attach[i];
		if (!avail_one(tracefs, a->kind, a->target, why, whylen))
			continue;
		if (a->end_target && !avail_one(tracefs, a->end_kind, a->end_target, why, whylen))
			continue;
		return (int)i;
	}
	return -1;
}
