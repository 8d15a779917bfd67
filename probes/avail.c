/* avail.c - which attach points exist on the running kernel (the checks of the kinds
 * of attach point, attach.c, and the probes made of them). */
#include "probe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A tracefs list (available_filter_functions: "fn [module]"; available_events:
 * "category:event"), read once per run and kept sorted: the files have tens of thousands
 * of lines, and scanning them once per attach point cost seconds in a slow VM. */
struct avail_set {
	bool loaded, ok;
	char *buf;
	char **names;
	size_t n;
};

static int avail_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Loads path into s: the first word of each line, or with after_colon the part after
 * the first ':'. s->ok is false when the file cannot be read. */
static void avail_load(struct avail_set *s, const char *path, bool after_colon)
{
	FILE *f = fopen(path, "r");
	size_t len = 0, cap = 0, n = 0;
	char chunk[65536];

	s->loaded = true;
	if (!f)
		return;
	for (size_t got; (got = fread(chunk, 1, sizeof(chunk), f)) > 0;) {
		if (len + got + 1 > cap) {
			cap = (len + got + 1) * 2;
			char *nb = realloc(s->buf, cap);
			if (!nb)
				goto cleanup;
			s->buf = nb;
		}
		memcpy(s->buf + len, chunk, got);
		len += got;
	}
	if (!s->buf)
		goto cleanup;
	s->buf[len] = '\0';
	for (size_t i = 0; i < len; i++)
		n += s->buf[i] == '\n';
	s->names = calloc(n + 1, sizeof(char *));
	if (!s->names)
		goto cleanup;
	for (char *line = s->buf, *next; line < s->buf + len; line = next) {
		char *end = strchr(line, '\n'), *name = line;
		next = end ? end + 1 : s->buf + len;
		if (end)
			*end = '\0';
		if (after_colon && !(name = strchr(line, ':')))
			continue;
		name += after_colon;
		name[strcspn(name, " \t")] = '\0';
		if (*name && s->n < n + 1)
			s->names[s->n++] = name;
	}
	qsort(s->names, s->n, sizeof(char *), avail_cmp);
	s->ok = true;
cleanup:
	fclose(f);
}

static bool avail_has(struct avail_set *s, const char *name)
{
	return bsearch(&name, s->names, s->n, sizeof(char *), avail_cmp) != NULL;
}

static bool avail_path(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

static bool avail_tracepoint_dir(const char *tracefs, const char *target)
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
bool avail_function(const char *tracefs, const char *fn, char *why, size_t whylen)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/kprobe_events", tracefs);
	if (!avail_path(path)) {
		snprintf(why, whylen, "this kernel has no kprobes (no %s)", path);
		return false;
	}
	static struct avail_set functions;
	if (!functions.loaded) {
		snprintf(path, sizeof(path), "%s/available_filter_functions", tracefs);
		avail_load(&functions, path, false);
	}
	if (!functions.ok)
		return true; /* cannot tell; the attach will say */
	bool found = avail_has(&functions, fn);
	if (!found)
		snprintf(why, whylen, "kernel function %s is not traceable here", fn);
	return found;
}

bool avail_tracepoint(const char *tracefs, const char *target, char *why, size_t whylen)
{
	if (avail_tracepoint_dir(tracefs, target))
		return true;
	snprintf(why, whylen, "tracepoint %s does not exist", target);
	return false;
}

bool avail_raw_tracepoint(const char *tracefs, const char *target, char *why, size_t whylen)
{
	static struct avail_set events;
	if (!events.loaded) {
		char path[512];
		snprintf(path, sizeof(path), "%s/available_events", tracefs);
		avail_load(&events, path, true);
	}
	bool found = events.ok && avail_has(&events, target);
	if (!found)
		snprintf(why, whylen, "tracepoint %s does not exist", target);
	return found;
}

bool avail_btf_function(const char *tracefs, const char *target, char *why, size_t whylen)
{
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
		if (!attach_ops(a->kind)->available(tracefs, a->target, why, whylen))
			continue;
		if (a->end_target && !attach_ops(a->end_kind)->available(tracefs, a->end_target, why, whylen))
			continue;
		return (int)i;
	}
	return -1;
}
