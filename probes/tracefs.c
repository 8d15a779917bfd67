/* tracefs.c - raw probes: tracepoint fields from tracefs format files, kprobe args. */
#include "probe.h"

#include <errno.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

/* Whether dir/events is a directory; *denied is set to dir when the answer was "permission denied". */
static bool tracefs_has_events(const char *dir, const char **denied)
{
	char path[256];
	struct stat st;
	snprintf(path, sizeof(path), "%s/events", dir);
	if (stat(path, &st) == 0)
		return S_ISDIR(st.st_mode);
	if (errno == EACCES || errno == EPERM)
		*denied = dir;
	return false;
}

const char *probe_tracefs(char *err, size_t errlen)
{
	static const char *const dirs[] = {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"};
	const char *denied = NULL;
	for (unsigned i = 0; i < 2; i++)
		if (tracefs_has_events(dirs[i], &denied))
			return dirs[i];
	if (denied) { /* mounted, but only root may look (tracefs is mode 0700) */
		snprintf(err, errlen,
			 "cannot read tracefs (%s: permission denied): nfsq needs root, or CAP_BPF and "
			 "CAP_PERFMON",
			 denied);
		return NULL;
	}
	if (geteuid() == 0 && mount("nodev", dirs[0], "tracefs", 0, NULL) == 0 &&
	    tracefs_has_events(dirs[0], &denied))
		return dirs[0];
	snprintf(err, errlen,
		 "tracefs is not mounted%s; mount it with: mount -t tracefs nodev /sys/kernel/tracing",
		 geteuid() == 0 ? " and mounting it failed" : " (run nfsq as root to mount it)");
	return NULL;
}

/* The width and sign of a C integer type as written in a format file, or 0 when
 * unknown. Syscall tracepoints keep every argument in an 8-byte unsigned slot
 * ("field:int dfd; size:8; signed:0"): the declared type says how to read it. */
static unsigned tracefs_ctype(const char *decl, bool *is_signed)
{
	static const struct {
		const char *word;
		unsigned size;
		int sign; /* 1 signed, 0 unsigned, -1 from "unsigned" */
	} types[] = {
		{"long", 8, -1},
		{"short", 2, -1},
		{"char", 1, -1},
		{"int", 4, -1},
		{"u8", 1, 0},
		{"u16", 2, 0},
		{"u32", 4, 0},
		{"u64", 8, 0},
		{"s8", 1, 1},
		{"s16", 2, 1},
		{"s32", 4, 1},
		{"s64", 8, 1},
		{"pid_t", 4, 1},
		{"uid_t", 4, 0},
		{"gid_t", 4, 0},
		{"umode_t", 2, 0},
		{"loff_t", 8, 1},
		{"size_t", 8, 0},
		{"ssize_t", 8, 1},
		{"bool", 1, 0},
	};
	char buf[128];
	snprintf(buf, sizeof(buf), "%s", decl);
	if (strchr(buf, '*'))
		return 8;
	unsigned size = 0;
	int sign = -1;
	for (char *w = strtok(buf, " "); w; w = strtok(NULL, " ")) {
		const char *t = w;
		while (*t == '_')
			t++; /* __u32 is u32 */
		for (unsigned i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
			if (strcmp(t, types[i].word) != 0)
				continue;
			if (!size || types[i].size > size)
				size = types[i].size; /* "long int", "unsigned long long" */
			if (types[i].sign >= 0)
				sign = types[i].sign;
		}
	}
	*is_signed = sign >= 0 ? sign == 1 : strstr(decl, "unsigned") == NULL;
	return size;
}

/* One "field:TYPE NAME;\toffset:N;\tsize:N;\tsigned:N;" line. */
static bool tracefs_field(struct arena *a, char *line, struct probe_field *f)
{
	char *decl = strstr(line, "field:");
	char *off = strstr(line, "offset:");
	char *size = strstr(line, "size:");
	char *sgn = strstr(line, "signed:");
	if (!decl || !off || !size || !sgn)
		return false;
	decl += 6;
	char *semi = strchr(decl, ';');
	if (!semi)
		return false;
	*semi = '\0';
	/* the name is the last identifier of the declaration, before any [N] */
	bool data_loc = strncmp(decl, "__data_loc", 10) == 0; /* "__data_loc char[] name" */
	char *bracket = data_loc ? NULL : strchr(decl, '[');
	char *end = bracket ? bracket : semi;
	while (end > decl && end[-1] == ' ')
		end--;
	char *start = end;
	while (start > decl && (start[-1] == '_' || (start[-1] >= 'a' && start[-1] <= 'z') || (start[-1] >= 'A' && start[-1] <= 'Z') || (start[-1] >= '0' && start[-1] <= '9')))
		start--;
	if (start == end)
		return false;
	f->name = arena_strndup(a, start, (size_t)(end - start));
	f->offset = (uint32_t)strtoul(off + 7, NULL, 10);
	f->size = (uint32_t)strtoul(size + 5, NULL, 10);
	f->is_signed = sgn[7] == '1';
	f->src = FIELD_TP;
	bool is_char = strstr(decl, "char") != NULL && !strchr(decl, '*');
	if (data_loc) {
		if (!is_char)
			return false; /* dynamic arrays of other types are not readable yet */
		f->data_loc = true;
		f->type = type_str(NFSQ_STR_DEFAULT);
	} else if (bracket) {
		if (!is_char)
			return false;
		f->type = type_str(f->size + 1 > NFSQ_STR_MAX ? NFSQ_STR_MAX : f->size + 1);
	} else if (f->size == 1 || f->size == 2 || f->size == 4 || f->size == 8) {
		f->type = type_int();
		*start = '\0'; /* the type without the name */
		bool csigned = false;
		unsigned width = tracefs_ctype(decl, &csigned);
		if (width && width < f->size) { /* little-endian: the low bytes at the same offset */
			f->size = width;
			f->is_signed = csigned;
		}
	} else {
		return false;
	}
	f->doc = arena_strdup(a, decl);
	return true;
}

/* Tracepoints read so far, by target: a format file is a fact of the running kernel, read
 * once per process (a script with 100k clauses on 360 tracepoints reads 360 files), kept
 * like kbtf.c's BTF for the process's life in an arena of its own. */
static struct arena tracefs_arena;
static void *tracefs_seen; /* tsearch tree of struct probe_def *, by attach[0].target */

static int tracefs_cmp(const void *x, const void *y)
{
	return strcmp(((const struct probe_def *)x)->attach[0].target,
		      ((const struct probe_def *)y)->attach[0].target);
}

/* Reads target's format file into a probe_def in a; NULL with err set when it cannot. */
static struct probe_def *tracefs_read(struct arena *a, const char *target, char *err, size_t errlen)
{
	const char *dir = probe_tracefs(err, errlen);
	if (!dir)
		return NULL;
	const char *colon = strchr(target, ':');
	if (!colon) {
		snprintf(err, errlen, "a tracepoint is named category:event");
		return NULL;
	}
	char path[512];
	snprintf(path, sizeof(path), "%s/events/%.*s/%s/format", dir, (int)(colon - target), target,
		 colon + 1);
	FILE *f = fopen(path, "r");
	if (!f) {
		if (errno == ENOENT)
			snprintf(err, errlen, "tracepoint %s does not exist on this kernel (no %s)",
				 target, path);
		else
			snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	struct probe_field got[64];
	unsigned n = 0;
	char line[512];
	while (fgets(line, sizeof(line), f) && n < 64) {
		if (!strstr(line, "field:") || strstr(line, "common_"))
			continue;
		memset(&got[n], 0, sizeof(got[n]));
		if (tracefs_field(a, line, &got[n]))
			n++;
	}
	fclose(f);
	struct probe_field *fields = arena_alloc(a, sizeof(*fields) * (n ? n : 1));
	memcpy(fields, got, sizeof(*fields) * n);
	struct probe_def *p = arena_alloc(a, sizeof(*p));
	struct probe_attach *at = arena_alloc(a, sizeof(*at));
	at->kind = ATTACH_TRACEPOINT;
	at->target = arena_strdup(a, target);
	p->name = arena_printf(a, "tracepoint:%s", target);
	p->summary = "kernel tracepoint";
	p->fields = fields;
	p->nfields = n;
	p->attach = at;
	p->nattach = 1;
	return p;
}

const struct probe_def *probe_tracepoint(const char *target, char *err, size_t errlen)
{
	struct probe_attach key_at = {.target = target};
	struct probe_def key = {.attach = &key_at}, *p, **seen;

	if ((seen = tfind(&key, &tracefs_seen, tracefs_cmp)))
		return *seen;
	if (!(p = tracefs_read(&tracefs_arena, target, err, errlen)))
		return NULL;
	if (!tsearch(p, &tracefs_seen, tracefs_cmp)) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	return p;
}

const struct probe_def *probe_kprobe(struct arena *a, const char *fn, bool ret)
{
	static const char *const args[] = {"arg0", "arg1", "arg2", "arg3", "arg4", "arg5"};
	struct probe_field *fields = arena_alloc(a, sizeof(*fields) * 6);
	unsigned n = 0;
	if (ret) {
		fields[n++] = (struct probe_field){.name = "retval", .type = {TYPE_INT, 8, 0}, .doc = "return value", .src = FIELD_RETVAL};
	} else {
		for (unsigned i = 0; i < 6; i++)
			fields[n++] = (struct probe_field){.name = args[i], .type = {TYPE_INT, 8, 0}, .doc = "argument register", .src = FIELD_ARG, .index = i};
	}
	struct probe_def *p = arena_alloc(a, sizeof(*p));
	struct probe_attach *at = arena_alloc(a, sizeof(*at));
	at->kind = ret ? ATTACH_KRETPROBE : ATTACH_KPROBE;
	at->target = arena_strdup(a, fn);
	p->name = arena_printf(a, "%s:%s", ret ? "kretprobe" : "kprobe", fn);
	p->summary = ret ? "kernel function return" : "kernel function entry";
	p->fields = fields;
	p->nfields = n;
	p->attach = at;
	p->nattach = 1;
	return p;
}
